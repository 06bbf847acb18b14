package io.distributedcache.core.cluster.message;

import java.util.Objects;

/**
 * Asks a replica for its copies of some keys of one slot (a QUORUM or ALL read compares them).
 *
 * @param requestId the coordinator's id
 * @param slot the keys' slot
 * @param keys the keys
 */
public record ReadState(long requestId, int slot, byte[][] keys) implements PeerMessage {
  public ReadState {
    Objects.requireNonNull(keys, "keys");
  }
}
