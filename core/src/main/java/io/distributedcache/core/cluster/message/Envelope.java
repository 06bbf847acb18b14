package io.distributedcache.core.cluster.message;

import java.util.Objects;

/**
 * One peer message with the header every message carries.
 *
 * @param epoch the sender's ring epoch; a receiver on another epoch answers {@link WrongEpoch}
 * @param version the sender's hybrid logical clock when it sent the message; receivers merge it so
 *     that versions they stamp later order after everything they have heard of
 * @param body the message itself
 */
public record Envelope(long epoch, long version, PeerMessage body) {

  public Envelope {
    Objects.requireNonNull(body, "body");
  }

  /** The slot the body is about, or -1. */
  public int slot() {
    return body.slot();
  }
}
