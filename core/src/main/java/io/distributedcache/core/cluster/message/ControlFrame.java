package io.distributedcache.core.cluster.message;

import java.util.Arrays;
import java.util.Objects;

/**
 * Opaque bytes for the control plane (Raft messages, join requests), carried between peers like
 * any other message. The peer transport neither reads nor checks the payload; whoever sends it
 * defines its format.
 *
 * <p>Unlike the data-plane records, this one copies its array in and out and compares by content:
 * a control message is small and rare next to replication traffic, and its payload is handed
 * between layers (a Raft library's buffer, a queue, the codec) that must not see each other's
 * later writes. {@link PeerCodec} reads the array without the outbound copy.
 *
 * @param payload the bytes, at most {@link #MAX_PAYLOAD_BYTES}; the record keeps its own copy and
 *     the accessor returns a fresh copy each time
 */
public record ControlFrame(byte[] payload) implements PeerMessage {

  /**
   * The largest payload: 16 MiB. Enough for a Raft snapshot chunk or a batch of log entries, and
   * small enough that a peer cannot make us hold much more than that per connection.
   */
  public static final int MAX_PAYLOAD_BYTES = 16 << 20;

  /**
   * Copies {@code payload}.
   *
   * @throws IllegalArgumentException if it is longer than {@link #MAX_PAYLOAD_BYTES}
   * @throws NullPointerException if it is null
   */
  public ControlFrame {
    Objects.requireNonNull(payload, "payload");
    if (payload.length > MAX_PAYLOAD_BYTES) {
      throw new IllegalArgumentException(
          "control frame payload of "
              + payload.length
              + " bytes exceeds the maximum of "
              + MAX_PAYLOAD_BYTES);
    }
    payload = payload.clone();
  }

  /** A copy of the payload. */
  @Override
  public byte[] payload() {
    return payload.clone();
  }

  /** Bytes in the payload, without copying it. */
  public int size() {
    return payload.length;
  }

  /** The record's own array, for the codec to write without a copy. Callers must not modify it. */
  byte[] sharedPayload() {
    return payload;
  }

  /** Equal when the payloads hold the same bytes. */
  @Override
  public boolean equals(Object o) {
    return o instanceof ControlFrame other && Arrays.equals(payload, other.payload);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(payload);
  }

  /** The size only: a payload can be megabytes, and log lines should stay one line. */
  @Override
  public String toString() {
    return "ControlFrame[" + payload.length + " bytes]";
  }
}
