package io.distributedcache.core.cluster.message;

import java.util.List;
import java.util.Objects;

/**
 * New state of keys of one slot, sent by the primary after a write and by a read coordinator to
 * repair a stale copy. The receiver keeps, per key, whichever of its own and the incoming state
 * has the higher version, so replays, duplicates and reordering are harmless.
 *
 * @param requestId the sender's id; echoed by the {@link ReplicateAck}
 * @param slot the slot of every entry
 * @param entries the states, never {@link StateEntry#isAbsent() absent}
 * @param ackRequested whether the sender waits for a {@link ReplicateAck}
 */
public record Replicate(long requestId, int slot, List<StateEntry> entries, boolean ackRequested)
    implements PeerMessage {
  public Replicate {
    entries = List.copyOf(Objects.requireNonNull(entries, "entries"));
  }
}
