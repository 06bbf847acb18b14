package io.distributedcache.embedded;

/**
 * The key holds a value the operation cannot work on: {@code -WRONGTYPE} (a RESP client stored a
 * list or hash under it), or {@link DistributedCache#increment} on a value that is not a decimal
 * 64-bit integer ({@code -ERR value is not an integer or out of range}).
 */
public class WrongTypeException extends CacheException {

  private static final long serialVersionUID = 1L;

  public WrongTypeException(String errorCode, String message, Throwable cause) {
    super(errorCode, message, cause);
  }
}
