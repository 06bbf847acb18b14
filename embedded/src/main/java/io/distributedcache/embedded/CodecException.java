package io.distributedcache.embedded;

/**
 * A {@link Codec} could not encode a key or value, or decode stored bytes: for example a value
 * written by another codec (a counter read through {@link Codecs#javaSerialization()}).
 */
public class CodecException extends CacheException {

  private static final long serialVersionUID = 1L;

  public CodecException(String message, Throwable cause) {
    super("", message, cause);
  }
}
