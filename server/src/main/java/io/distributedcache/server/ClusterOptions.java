package io.distributedcache.server;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.placement.Member;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a node joins a statically configured cluster: the values of {@code --node-id}, {@code
 * --members} and the flags around them, validated.
 *
 * @param nodeId this node's id; must be one of {@code members}
 * @param members every member with its cluster (peer) port, this node included
 * @param clusterPort the port this node's peers connect to (its entry in {@code members} must
 *     agree)
 * @param replicationFactor copies of every key (capped at the member count)
 * @param virtualNodes ring positions per member
 * @param consistency the level new connections start with
 * @param requestTimeout how long a request waits for peers
 * @param antiEntropyInterval how often replicas compare digests with primaries
 */
record ClusterOptions(
    String nodeId,
    List<Member> members,
    int clusterPort,
    int replicationFactor,
    int virtualNodes,
    ConsistencyLevel consistency,
    Duration requestTimeout,
    Duration antiEntropyInterval) {

  ClusterOptions {
    Objects.requireNonNull(nodeId, "nodeId");
    members = List.copyOf(members);
    Member self = members.stream().filter(m -> m.id().equals(nodeId)).findFirst().orElse(null);
    if (self == null) {
      throw new IllegalArgumentException(
          "--node-id " + nodeId + " is not one of --members " + members);
    }
    if (self.clusterPort() != clusterPort) {
      throw new IllegalArgumentException(
          "--cluster-port "
              + clusterPort
              + " disagrees with this node's entry in --members ("
              + self
              + ")");
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("--replication-factor must be at least 1");
    }
    if (virtualNodes < 1) {
      throw new IllegalArgumentException("--virtual-nodes must be at least 1");
    }
  }

  /** This node's entry in {@link #members}. */
  Member self() {
    return members.stream().filter(m -> m.id().equals(nodeId)).findFirst().orElseThrow();
  }
}
