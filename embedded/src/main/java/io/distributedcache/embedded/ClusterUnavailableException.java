package io.distributedcache.embedded;

/**
 * The request was not run: too few copies of the key were reachable or caught up ({@code
 * -CLUSTERDOWN}, a {@code -TRYAGAIN} that lasted past the timeout), or the node is closed. Nothing
 * was written; trying again later is safe.
 */
public class ClusterUnavailableException extends CacheException {

  private static final long serialVersionUID = 1L;

  public ClusterUnavailableException(String errorCode, String message, Throwable cause) {
    super(errorCode, message, cause);
  }
}
