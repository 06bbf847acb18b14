package io.distributedcache.core.cluster.message;

/**
 * A peer frame that does not follow the wire format of {@link PeerCodec}: unknown format version or
 * message type, a length or count that is negative or larger than the bytes that follow, an invalid
 * enum ordinal, slot or field value, truncated data or trailing bytes.
 *
 * <p>Unchecked because it is the peer's fault, not the caller's: the transport catches it, closes
 * the one connection that carried the frame and carries on. The message says what was wrong and at
 * which byte offset of the frame, for one clear log line.
 */
public final class PeerProtocolException extends RuntimeException {

  /** Creates an exception whose message says what was wrong with the frame. */
  public PeerProtocolException(String message) {
    super(message);
  }

  /** Creates an exception whose message says what was wrong, caused by {@code cause}. */
  public PeerProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
