package io.distributedcache.embedded;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.cluster.ClusterStats;
import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import io.distributedcache.embedded.internal.ClusterBoot;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where keys live and how replication is doing, from the ring in force and the node's counters.
 * Replication itself is the cluster's: a write runs on the key's primary, which sends it to the
 * other copies and answers once the level's count of copies confirmed (DESIGN.md).
 *
 * <p>Thread-safe; nothing here blocks or talks to peers. Answers reflect the ring at the time of
 * the call: a rebalance or failover may move a key right after.
 */
public final class ReplicationManager {

  private final CacheNode node;

  ReplicationManager(CacheNode node) {
    this.node = node;
  }

  /** The id of the member that runs writes of {@code key} now. */
  public String primaryOf(byte[] key) {
    return node.ring().primary(Slots.slot(key)).id();
  }

  /** {@link #primaryOf(byte[])} of a UTF-8 key. */
  public String primaryOf(String key) {
    return primaryOf(key.getBytes(StandardCharsets.UTF_8));
  }

  /** The ids of the members holding the other copies of {@code key}, in preference order. */
  public List<String> replicasOf(byte[] key) {
    List<String> copies = copiesOf(key);
    return copies.subList(1, copies.size());
  }

  /** {@link #replicasOf(byte[])} of a UTF-8 key. */
  public List<String> replicasOf(String key) {
    return replicasOf(key.getBytes(StandardCharsets.UTF_8));
  }

  /** Every member holding a copy of {@code key}: the primary first, then the replicas. */
  public List<String> copiesOf(byte[] key) {
    List<String> ids = new ArrayList<>();
    for (Member m : node.ring().preferenceList(Slots.slot(key))) {
      ids.add(m.id());
    }
    return List.copyOf(ids);
  }

  /** Copies per key in the ring in force: the configured factor, capped at the member count. */
  public int replicationFactor() {
    return node.ring().replicationFactor();
  }

  /** How many copies a request at {@code level} waits for in the ring in force. */
  public int requiredCopies(ConsistencyLevel level) {
    return level.requiredCopies(replicationFactor());
  }

  /**
   * A snapshot of the replication figures. A standalone node reports its one-member ring and
   * zeros.
   */
  public Status status() {
    ConsistentHashRing ring = node.ring();
    List<String> members = new ArrayList<>();
    List<String> unreachable = new ArrayList<>();
    ClusterBoot boot = node.boot();
    for (Member m : ring.members()) {
      members.add(m.id());
      if (boot != null && !boot.isReachable(m.id())) {
        unreachable.add(m.id());
      }
    }
    ClusterNode cluster = node.clusterNode();
    if (cluster == null) {
      return new Status(
          ring.epoch(), ring.replicationFactor(), members, unreachable, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }
    ClusterStats s = cluster.stats();
    return new Status(
        ring.epoch(),
        ring.replicationFactor(),
        members,
        unreachable,
        cluster.pendingRequests(),
        cluster.slotsNotReady(),
        cluster.pullsPending(),
        s.forwarded.sum(),
        s.replicatesApplied.sum(),
        s.unknownOutcomes.sum(),
        s.failedFast.sum(),
        s.readRepairs.sum(),
        s.digestMismatches.sum());
  }

  /**
   * What {@code INFO cluster} reports for this node: Raft role and term, ring epoch, member
   * states, rebalance progress, the last periodic verification, peer traffic. Empty when
   * standalone. Keys and values as in the server's INFO.
   */
  public Map<String, Object> figures() {
    ClusterBoot boot = node.boot();
    return boot == null ? Map.of() : Map.copyOf(boot.figures());
  }

  /**
   * Replication figures at one moment.
   *
   * @param ringEpoch the epoch of the ring in force
   * @param replicationFactor copies per key in that ring
   * @param members member ids of that ring
   * @param unreachable members whose peer link is down now (their slots fail over after the
   *     failure timeout)
   * @param pendingRequests requests this node waits on peers for (forwarded, or waiting for
   *     copies to confirm)
   * @param slotsNotReady slots this node holds whose copy is still catching up or suspect
   * @param slotsToPull slots a rebalance still has this node pull
   * @param forwarded requests sent to another member so far
   * @param replicatesApplied writes applied here as a replica so far
   * @param unknownOutcomes writes answered with an unknown outcome (level not confirmed in time)
   * @param failedFast requests refused at once because too few copies were reachable
   * @param readRepairs stale copies repaired by QUORUM and ALL reads
   * @param digestMismatches slots anti-entropy found different from the primary's
   */
  public record Status(
      long ringEpoch,
      int replicationFactor,
      List<String> members,
      List<String> unreachable,
      int pendingRequests,
      int slotsNotReady,
      int slotsToPull,
      long forwarded,
      long replicatesApplied,
      long unknownOutcomes,
      long failedFast,
      long readRepairs,
      long digestMismatches) {

    /** Copies the lists. */
    public Status {
      members = List.copyOf(members);
      unreachable = List.copyOf(unreachable);
    }
  }
}
