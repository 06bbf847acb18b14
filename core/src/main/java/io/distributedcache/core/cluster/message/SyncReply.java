package io.distributedcache.core.cluster.message;

import java.util.List;
import java.util.Objects;

/**
 * Every entry of one slot on the sender, taken at one moment.
 *
 * @param requestId the request's id
 * @param slot the slot
 * @param snapshotVersion the sender's HLC when it read the slot: a key the receiver holds with an
 *     older version that is not in {@code entries} was removed on the sender
 * @param ready whether the sender's own copy of the slot is caught up (it was not restarted
 *     since, or it finished its own catch-up); a copy that is not counts for less
 * @param entries the entries, tombstones included, never absent ones
 */
public record SyncReply(
    long requestId, int slot, long snapshotVersion, boolean ready, List<StateEntry> entries)
    implements PeerMessage {
  public SyncReply {
    entries = List.copyOf(Objects.requireNonNull(entries, "entries"));
  }
}
