package io.distributedcache.simulator;

import io.distributedcache.core.control.ClusterMetadata;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.storage.VersionedValue;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Checked on every store: a node stores a key only if it is one of the key's replicas in the layout
 * that node has installed (the first N members of the slot's preference list in its serving ring,
 * or, during a rebalance, in the target ring), and only values that some SET wrote (or numbers,
 * for the counters). Cheap and incremental: it sees each change as it happens.
 */
final class CopiesStayOnReplicas {

  static final String NAME = "CopiesStayOnReplicas";

  private final Simulation sim;
  private final History history;

  CopiesStayOnReplicas(Simulation sim, History history) {
    this.sim = sim;
    this.history = history;
  }

  void onStored(SimNode node, String key, VersionedValue raw) {
    int slot = Slots.slot(key.getBytes(StandardCharsets.UTF_8));
    if (!holdsCopy(node, slot)) {
      sim.fail(
          NAME,
          node.id
              + " stored "
              + key
              + " (slot "
              + slot
              + ") but does not replicate that slot at epoch "
              + (node.cluster == null ? "none" : node.cluster.ring().epoch()),
          List.of(key));
      return;
    }
    String value = new String(raw.value(), StandardCharsets.UTF_8);
    if (SimWorkload.isCounter(key)) {
      if (!value.chars().allMatch(Character::isDigit)) {
        sim.fail(
            NAME, node.id + " stored a non-number in counter " + key + ": " + value, List.of(key));
      }
    } else if (history.writeOf(value) == null) {
      sim.fail(NAME, node.id + " stored " + value + ", which no SET wrote", List.of(key));
    }
  }

  private static boolean holdsCopy(SimNode node, int slot) {
    if (node.cluster == null) {
      return false;
    }
    ConsistentHashRing serving = node.cluster.ring();
    if (serving.rankOf(serving.memberIndex(node.id), slot) >= 0) {
      return true;
    }
    ClusterMetadata m = node.metadata;
    ConsistentHashRing target =
        m.isBootstrapped() && m.epoch() == serving.epoch() ? m.targetRing() : null;
    return target != null && target.rankOf(target.memberIndex(node.id), slot) >= 0;
  }
}
