package io.distributedcache.simulator;

import io.distributedcache.core.control.ClusterMetadata;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.raft.SoftState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The control plane's safety invariants, in the manner of Kafka KRaft's simulation invariants,
 * checked as the run goes (after every control-plane tick and every applied batch):
 *
 * <ul>
 *   <li><b>{@value #ONE_LEADER}</b>: at most one node is leader in any Raft term, across every
 *       node and every incarnation (terms are persisted, so a restart cannot reuse one).
 *   <li><b>{@value #SAME_METADATA}</b>: committed metadata never changes, so every node that
 *       applies epoch E applies the same layout: the same nodes in the same states, replication
 *       factor, virtual-node count, and the same serving and target ring placement. (Moves
 *       recorded without a cutover keep the epoch, so the set of moves done is not compared.)
 *   <li><b>{@value #EPOCHS_GROW}</b>: within one incarnation, the epochs a node applies never
 *       decrease. A restarted node has lost its cache and rebuilds its layout from its Raft
 *       storage, so its count starts again.
 * </ul>
 *
 * <p>Cheap: a map lookup per tick, and per applied batch a fingerprint of rings the node built
 * anyway to install them. Single-threaded, like the simulation.
 */
final class ControlPlaneAgrees {

  static final String ONE_LEADER = "OneLeaderPerTerm";
  static final String SAME_METADATA = "CommittedMetadataAgrees";
  static final String EPOCHS_GROW = "EpochsNeverDecrease";

  private final Simulation sim;
  private final Map<Long, String> leaderByTerm = new HashMap<>();
  private final Map<Long, String> layoutByEpoch = new HashMap<>();
  private final Map<Long, String> firstAppliedBy = new HashMap<>();
  private final long[] lastEpoch;

  /** Batches of metadata applied, over all nodes. */
  long applied;

  /** Highest term seen. */
  long maxTerm;

  ControlPlaneAgrees(Simulation sim, int nodes) {
    this.sim = sim;
    this.lastEpoch = new long[nodes];
  }

  /** A new incarnation of {@code node} starts from nothing. */
  void onStart(SimNode node) {
    lastEpoch[node.index] = 0;
  }

  /** After {@code node}'s control plane ticked. */
  void afterTick(SimNode node) {
    SoftState state = node.control.raftState();
    if (state == null || !state.isLeader()) {
      return;
    }
    maxTerm = Math.max(maxTerm, state.term());
    String previous = leaderByTerm.putIfAbsent(state.term(), node.id);
    if (previous != null && !previous.equals(node.id)) {
      sim.fail(
          ONE_LEADER,
          "term " + state.term() + " has two leaders: " + previous + " and " + node.id,
          List.of());
    }
  }

  /** {@code node} applied {@code next} (its control plane's listener). */
  void onApplied(SimNode node, ClusterMetadata next) {
    applied++;
    long epoch = next.epoch();
    if (epoch < lastEpoch[node.index]) {
      sim.fail(
          EPOCHS_GROW,
          node.id + " applied epoch " + epoch + " after epoch " + lastEpoch[node.index],
          List.of());
      return;
    }
    lastEpoch[node.index] = epoch;
    if (!next.isBootstrapped()) {
      return;
    }
    String layout = fingerprint(next);
    String known = layoutByEpoch.putIfAbsent(epoch, layout);
    if (known == null) {
      firstAppliedBy.put(epoch, node.id);
    } else if (!known.equals(layout)) {
      sim.fail(
          SAME_METADATA,
          "epoch "
              + epoch
              + " differs: "
              + firstAppliedBy.get(epoch)
              + " applied "
              + known
              + ", "
              + node.id
              + " applied "
              + layout,
          List.of());
    }
  }

  private static String fingerprint(ClusterMetadata m) {
    ConsistentHashRing target = m.targetRing();
    return "rf="
        + m.replicationFactor()
        + " vnodes="
        + m.virtualNodesPerMember()
        + " nodes="
        + m.nodes()
        + " serving="
        + Long.toHexString(m.ring().placementDigest())
        + " target="
        + (target == null ? "none" : Long.toHexString(target.placementDigest()));
  }
}
