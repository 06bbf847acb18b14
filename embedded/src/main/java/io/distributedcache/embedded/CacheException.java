package io.distributedcache.embedded;

/**
 * A cache operation failed. Thrown by the blocking methods of {@link DistributedCache}, {@link
 * TtlManager} and {@link ConsistencyChecker}, and the cause of a failed future of their async
 * variants. Subclasses say why: {@link CacheTimeoutException}, {@link
 * ClusterUnavailableException}, {@link WrongTypeException}, {@link CodecException}; a plain
 * {@code CacheException} carries any other error reply of the cluster (its {@link #errorCode()}).
 */
public class CacheException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String errorCode;

  /** An error without a reply code (the node's own, such as an interrupted wait). */
  public CacheException(String message, Throwable cause) {
    this("", message, cause);
  }

  /**
   * An error reply of the cluster or the local engine.
   *
   * @param errorCode the reply's first word ({@code ERR}, {@code WRONGTYPE}, {@code TIMEOUT}, ...),
   *     or empty when the error did not come from a reply
   */
  public CacheException(String errorCode, String message, Throwable cause) {
    super(message, cause);
    this.errorCode = errorCode == null ? "" : errorCode;
  }

  /** The error reply's code ({@code ERR}, {@code TIMEOUT}, ...); empty if there was no reply. */
  public String errorCode() {
    return errorCode;
  }
}
