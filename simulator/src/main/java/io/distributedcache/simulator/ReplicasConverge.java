package io.distributedcache.simulator;

import io.distributedcache.core.cluster.ClusterNode.SlotState;
import io.distributedcache.core.hlc.HybridLogicalClock;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.storage.ByteKey;
import io.distributedcache.core.storage.VersionedValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Invariant (d), checked once the cluster has been healed and has run quietly for a while (every
 * partition healed, every crashed node restarted, no faults, no new requests, every TTL of the
 * workload run out): every replica of every key holds the same version and value, read directly
 * from each node's storage. Absent, tombstone and expired count as the same thing. Every replica's
 * copy of the slot must also be {@link SlotState#READY} again: catch-up and digest comparisons
 * finish once the network is healthy. The replicas are those of the layout in force after
 * healing (the control plane may have failed nodes over, added or removed members meanwhile).
 */
final class ReplicasConverge {

  static final String NAME = "ReplicasConverge";

  private final Simulation sim;

  ReplicasConverge(Simulation sim) {
    this.sim = sim;
  }

  /** Compares the copies of {@code keys} on their replicas in {@code ring}, the final layout. */
  void check(List<String> keys, ConsistentHashRing ring) {
    for (String key : keys) {
      int slot = Slots.slot(key.getBytes(StandardCharsets.UTF_8));
      ByteKey k = ByteKey.of(key);
      List<String> states = new ArrayList<>();
      String first = null;
      boolean differ = false;
      for (int member : ring.preferenceIndexes(slot)) {
        SimNode node = sim.node(sim.indexOf(ring.member(member).id()));
        if (!node.serving()) {
          sim.fail(NAME, node.id + " is still down after healing", List.of(key));
          return;
        }
        SlotState slotState = node.cluster.slotState(slot);
        if (slotState != SlotState.READY) {
          sim.fail(
              NAME,
              node.id + "'s copy of slot " + slot + " is still " + slotState + " after healing",
              List.of(key));
          return;
        }
        String state = describe(node.storage.getRaw(k));
        states.add(node.id + "=" + state);
        if (first == null) {
          first = state;
        } else if (!first.equals(state)) {
          differ = true;
        }
      }
      if (differ) {
        sim.fail(NAME, "replicas of " + key + " disagree after healing: " + states, List.of(key));
        return;
      }
    }
  }

  private static String describe(VersionedValue raw) {
    if (raw == null || raw.isTombstone()) {
      return "absent";
    }
    return new String(raw.value(), StandardCharsets.UTF_8)
        + "@"
        + HybridLogicalClock.toString(raw.version());
  }
}
