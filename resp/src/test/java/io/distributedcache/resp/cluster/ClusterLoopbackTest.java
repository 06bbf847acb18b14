package io.distributedcache.resp.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.cluster.ClusterSession;
import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.cluster.message.Replicate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Three cluster nodes over the {@link LoopbackCluster} network: the production node and command code
 * end to end, without sockets. The deterministic simulator explores faults; these tests pin the
 * plain paths a user sees first.
 */
class ClusterLoopbackTest {

  private final LoopbackCluster cluster = new LoopbackCluster(3, 3);
  private final List<ClusterNode> nodes = cluster.nodes;

  @Test
  void aWriteThroughAnyNodeIsReadOnEveryNodeAtEveryLevel() {
    String key = "user:1";
    assertThat(cluster.run(cluster.nodeThatIsNotPrimaryOf(key), level(ConsistencyLevel.QUORUM), "SET", key, "v1"))
        .isEqualTo("+OK\r\n");
    for (ClusterNode node : nodes) {
      for (ConsistencyLevel level : ConsistencyLevel.values()) {
        assertThat(cluster.run(node, level(level), "GET", key)).isEqualTo("$2\r\nv1\r\n");
      }
    }
  }

  @Test
  void incrementsThroughAllNodesAddUp() {
    for (int i = 0; i < 30; i++) {
      cluster.run(nodes.get(i % 3), level(ConsistencyLevel.QUORUM), "INCR", "counter");
    }
    assertThat(cluster.run(nodes.get(0), level(ConsistencyLevel.ALL), "GET", "counter"))
        .isEqualTo("$2\r\n30\r\n");
  }

  @Test
  void quorumWriteFailsFastWhenTwoReplicasAreDown() {
    String key = "k";
    ClusterNode primary = cluster.primaryOf(key);
    for (ClusterNode node : nodes) {
      if (node != primary) {
        cluster.takeDown(node.nodeId());
      }
    }
    String reply = cluster.run(primary, level(ConsistencyLevel.QUORUM), "SET", key, "v");
    assertThat(reply).startsWith("-CLUSTERDOWN QUORUM write needs 2 of 3 copies");
    assertThat(cluster.run(primary, level(ConsistencyLevel.ONE), "SET", key, "v")).isEqualTo("+OK\r\n");
  }

  @Test
  void writeToAnUnreachablePrimaryFailsFastWithAClearError() {
    String key = "k2";
    ClusterNode primary = cluster.primaryOf(key);
    cluster.takeDown(primary.nodeId());
    ClusterNode other = cluster.nodeThatIsNotPrimaryOf(key);
    assertThat(cluster.run(other, level(ConsistencyLevel.QUORUM), "SET", key, "v"))
        .startsWith("-CLUSTERDOWN the primary of slot");
  }

  @Test
  void quorumReadsKeepWorkingWithOneNodeDownAndRepairStaleCopies() {
    String key = "k3";
    ClusterNode coordinator = cluster.nodeThatIsNotPrimaryOf(key);
    cluster.run(coordinator, level(ConsistencyLevel.ALL), "SET", key, "old");
    ClusterNode stale = nodes.stream()
        .filter(n -> n != cluster.primaryOf(key) && n != coordinator).findFirst().orElseThrow();
    cluster.takeDown(stale.nodeId());
    cluster.run(coordinator, level(ConsistencyLevel.QUORUM), "SET", key, "new");
    cluster.bringUp(stale.nodeId());
    // The stale copy still says "old" until anti-entropy or a quorum read repairs it.
    cluster.takeDown(coordinator.nodeId());
    ClusterNode reader = stale;
    assertThat(cluster.run(reader, level(ConsistencyLevel.QUORUM), "GET", key)).isEqualTo("$3\r\nnew\r\n");
    assertThat(cluster.run(reader, level(ConsistencyLevel.ONE), "GET", key)).isEqualTo("$3\r\nnew\r\n");
  }

  @Test
  void readYourOwnWritesAtOneEvenWhenTheLocalReplicaLags() {
    String key = "ryow";
    ClusterNode coordinator = cluster.nodeThatIsNotPrimaryOf(key);
    ClusterSession session = level(ConsistencyLevel.ONE);
    // The coordinator's own copy misses the write: the primary's replication to it is lost.
    cluster.lose = (to, message) -> to.equals(coordinator.nodeId()) && message instanceof Replicate;
    String reply = cluster.run(coordinator, session, "SET", key, "mine");
    assertThat(reply).isEqualTo("+OK\r\n");
    cluster.lose = (to, message) -> false;
    assertThat(cluster.run(coordinator, session, "GET", key)).isEqualTo("$4\r\nmine\r\n");
  }

  @Test
  void crossSlotKeysAreLeftToTheRespLayerButSameTagKeysWork() {
    ClusterSession session = level(ConsistencyLevel.QUORUM);
    assertThat(cluster.run(nodes.get(0), session, "MSET", "{t}a", "1", "{t}b", "2")).isEqualTo("+OK\r\n");
    assertThat(cluster.run(nodes.get(1), session, "MGET", "{t}a", "{t}b"))
        .isEqualTo("*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  }

  @Test
  void ttlTravelsAsRemainingTimeSoSkewedWallClocksDoNotMatter() {
    String key = "ttl";
    cluster.run(nodes.get(0), level(ConsistencyLevel.ALL), "SET", key, "v", "PX", "5000");
    cluster.clock.advance(Duration.ofMillis(4900));
    for (ClusterNode node : nodes) {
      assertThat(cluster.run(node, level(ConsistencyLevel.ONE), "GET", key)).isEqualTo("$1\r\nv\r\n");
    }
    cluster.clock.advance(Duration.ofMillis(200));
    for (ClusterNode node : nodes) {
      assertThat(cluster.run(node, level(ConsistencyLevel.ONE), "GET", key)).isEqualTo("$-1\r\n");
    }
  }

  private static ClusterSession level(ConsistencyLevel level) {
    return new ClusterSession(level);
  }
}
