package io.distributedcache.core.cluster.message;

import java.util.Objects;

/**
 * The outcome of an {@link Execute}.
 *
 * @param requestId the request's id
 * @param slot the request's slot
 * @param status how the coordinator should treat the reply
 * @param reply the complete RESP reply for the client, encoded for the request's protocol (for
 *     {@link Status#OK} and {@link Status#FAILED} alike: an error reply is RESP too)
 * @param keyVersions for a write, per key of the command in argument order, the version now
 *     stored by the primary ({@link StateEntry#ABSENT} if none); the coordinator remembers them
 *     for read-your-own-writes. Empty for reads.
 * @param entries for a write whose coordinator is itself a replica of the slot, the state the
 *     write produced: the coordinator applies it and counts as one of the copies, so the primary
 *     sends it no separate {@link Replicate} and a QUORUM write of three copies costs one round
 *     trip. Empty otherwise.
 */
public record ExecuteReply(
    long requestId,
    int slot,
    Status status,
    byte[] reply,
    long[] keyVersions,
    java.util.List<StateEntry> entries)
    implements PeerMessage {

  /** What happened to the request. */
  public enum Status {
    /** Executed; for a write, the level was met. */
    OK,
    /** Not executed, for the reason in {@code reply}; nothing changed. */
    FAILED,
    /** Not executed because the receiver's copy is not caught up; try elsewhere. */
    NOT_READY,
    /**
     * Executed on the primary, but the level was not confirmed in time: the write may or may not
     * survive. {@code reply} says so.
     */
    UNKNOWN_OUTCOME;

    private static final Status[] VALUES = values();

    /** The status with this ordinal, for decoding. */
    public static Status ofOrdinal(int ordinal) {
      if (ordinal < 0 || ordinal >= VALUES.length) {
        throw new IllegalArgumentException("no status #" + ordinal);
      }
      return VALUES[ordinal];
    }
  }

  public ExecuteReply {
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(reply, "reply");
    Objects.requireNonNull(keyVersions, "keyVersions");
    entries = java.util.List.copyOf(Objects.requireNonNull(entries, "entries"));
  }
}
