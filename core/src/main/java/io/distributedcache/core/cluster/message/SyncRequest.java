package io.distributedcache.core.cluster.message;

import java.util.Objects;

/**
 * Asks a peer for every entry (tombstones included) of some slots; it answers one {@link
 * SyncReply} per slot.
 *
 * @param requestId the sender's id
 * @param slots the slots
 */
public record SyncRequest(long requestId, int[] slots) implements PeerMessage {
  public SyncRequest {
    Objects.requireNonNull(slots, "slots");
  }
}
