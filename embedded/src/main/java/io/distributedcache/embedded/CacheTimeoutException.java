package io.distributedcache.embedded;

/**
 * No answer within the request timeout ({@link NodeConfig#requestTimeout()}), or the cluster
 * answered {@code -TIMEOUT}. For a write the outcome is unknown: it may have been applied on some
 * or all copies; reading the key tells.
 */
public class CacheTimeoutException extends CacheException {

  private static final long serialVersionUID = 1L;

  public CacheTimeoutException(String errorCode, String message, Throwable cause) {
    super(errorCode, message, cause);
  }
}
