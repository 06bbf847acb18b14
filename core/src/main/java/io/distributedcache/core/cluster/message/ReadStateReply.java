package io.distributedcache.core.cluster.message;

import java.util.List;
import java.util.Objects;

/**
 * A replica's copies of the keys a {@link ReadState} asked for, in the same order.
 *
 * @param requestId the request's id
 * @param slot the slot
 * @param ready false if the replica is still catching up on this slot: its copies must not count
 * @param entries one per requested key ({@link StateEntry#absent} when it has none); empty when not
 *     ready
 */
public record ReadStateReply(long requestId, int slot, boolean ready, List<StateEntry> entries)
    implements PeerMessage {
  public ReadStateReply {
    entries = List.copyOf(Objects.requireNonNull(entries, "entries"));
  }
}
