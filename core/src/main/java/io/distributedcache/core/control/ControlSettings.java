package io.distributedcache.core.control;

import io.distributedcache.core.placement.Member;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How one node takes part in the control plane.
 *
 * @param self this node's id and peer address
 * @param clientPort this node's client (RESP) port, announced to the cluster for {@code CLUSTER
 *     SLOTS} and {@code -MOVED}
 * @param bootstrapMembers the founding members ({@code --members}), self included; empty for a
 *     node that joins a running cluster. Founders with the same list form the Raft group; the first
 *     leader commits the initial layout from it
 * @param replicationFactor copies per slot in the initial layout
 * @param virtualNodesPerMember virtual nodes per member in the initial layout
 * @param raftTick the length of one Raft tick; {@link ControlPlane#tick()} may be called more often
 * @param electionTimeout the minimum Raft election timeout (randomised up to twice that)
 * @param heartbeatInterval the Raft leader's heartbeat interval
 * @param failureTimeout how long a member must stay unreachable or silent before the leader fails
 *     its slots over
 * @param retryInterval how often an unconfirmed request of this node (announce, join, recover,
 *     move done) is sent again
 * @param snapshotEveryEntries applied entries between two snapshots of the metadata
 */
public record ControlSettings(
    Member self,
    int clientPort,
    List<Member> bootstrapMembers,
    int replicationFactor,
    int virtualNodesPerMember,
    Duration raftTick,
    Duration electionTimeout,
    Duration heartbeatInterval,
    Duration failureTimeout,
    Duration retryInterval,
    int snapshotEveryEntries) {

  /** Checks the values. */
  public ControlSettings {
    Objects.requireNonNull(self, "self");
    bootstrapMembers = List.copyOf(bootstrapMembers);
    if (!bootstrapMembers.isEmpty()
        && bootstrapMembers.stream().noneMatch(m -> m.id().equals(self.id()))) {
      throw new IllegalArgumentException(
          "node " + self.id() + " is not in its own member list " + bootstrapMembers);
    }
    if (clientPort < 0 || clientPort > Member.MAX_PORT) {
      // 0: the node serves no RESP clients (an embedded node); it announces no client address.
      throw new IllegalArgumentException("client port must be in 0.." + Member.MAX_PORT);
    }
    positive(raftTick, "raftTick");
    positive(electionTimeout, "electionTimeout");
    positive(heartbeatInterval, "heartbeatInterval");
    positive(failureTimeout, "failureTimeout");
    positive(retryInterval, "retryInterval");
    if (heartbeatInterval.compareTo(raftTick) < 0 || electionTimeout.compareTo(heartbeatInterval) <= 0) {
      throw new IllegalArgumentException(
          "need raftTick <= heartbeatInterval < electionTimeout: "
              + raftTick + ", " + heartbeatInterval + ", " + electionTimeout);
    }
    if (snapshotEveryEntries < 1) {
      throw new IllegalArgumentException("snapshotEveryEntries must be >= 1");
    }
  }

  /**
   * Defaults for a server: 10 ms ticks, an election timeout of 500 ms and heartbeats every 50 ms,
   * failover after 1 s, retries every 200 ms, a snapshot every 1000 entries.
   */
  public static ControlSettings defaults(
      Member self,
      int clientPort,
      List<Member> bootstrapMembers,
      int replicationFactor,
      int virtualNodesPerMember,
      Duration failureTimeout) {
    return new ControlSettings(
        self,
        clientPort,
        bootstrapMembers,
        replicationFactor,
        virtualNodesPerMember,
        Duration.ofMillis(10),
        Duration.ofMillis(500),
        Duration.ofMillis(50),
        failureTimeout,
        Duration.ofMillis(200),
        1000);
  }

  /** Whether this node founds the cluster (rather than joining a running one). */
  public boolean isFounder() {
    return !bootstrapMembers.isEmpty();
  }

  private static void positive(Duration d, String name) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }
}
