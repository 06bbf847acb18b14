package io.distributedcache.resp.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.cluster.ClusterSession;
import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.cluster.message.ExecuteReply;
import io.distributedcache.core.cluster.message.Replicate;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Seed bug 4: the prototype's quorum was {@code N/2}, not a majority, so a read could miss the
 * write just acknowledged. Quorum arithmetic itself is pinned by {@code
 * SeedBug4QuorumArithmeticTest} in core; this test pins what a user sees: on one connection, a read
 * after a write returns that write (or newer), at every combination of levels, with N = 3 and 5
 * copies, while the network loses replication messages so that replicas lag.
 */
class SeedBug4ReadYourOwnWritesTest {

  private static final long SEED = Long.getLong("test.seed", 4L);

  @ParameterizedTest(name = "{0} nodes, {1} copies")
  @CsvSource({"3, 3", "5, 3", "5, 5"})
  void aConnectionAlwaysReadsItsOwnLastWrite(int nodeCount, int copies) {
    LoopbackCluster cluster = new LoopbackCluster(nodeCount, copies);
    SplittableRandom random = new SplittableRandom(SEED + nodeCount * 31L + copies);
    ConsistencyLevel[] levels = ConsistencyLevel.values();
    for (int round = 0; round < 150; round++) {
      ClusterNode coordinator = cluster.nodes.get(random.nextInt(nodeCount));
      ClusterSession session = new ClusterSession(levels[random.nextInt(levels.length)]);
      String key = "k" + random.nextInt(20);
      String value = "v" + round;
      ConsistencyLevel write = random.nextBoolean() ? ConsistencyLevel.ONE : session.writeLevel();
      session.writeLevel(write);
      // Replicas lag: the primary's replication to every other copy is lost, so only the primary
      // (and a coordinator that replicates the slot, through the answer) holds the write.
      boolean lag = write == ConsistencyLevel.ONE;
      cluster.lose = (to, message) -> lag && message instanceof Replicate;
      String written = cluster.run(coordinator, session, "SET", key, value);
      assertThat(written).as("seed %d round %d: SET at %s", SEED, round, write).isEqualTo("+OK\r\n");
      for (ConsistencyLevel read : levels) {
        session.readLevel(read);
        assertThat(cluster.run(coordinator, session, "GET", key))
            .as("seed %d round %d: %s read after %s write through %s",
                SEED, round, read, write, coordinator.nodeId())
            .isEqualTo("$" + value.length() + "\r\n" + value + "\r\n");
      }
      cluster.lose = (to, message) -> false;
    }
  }

  @ParameterizedTest(name = "{0} nodes, {1} copies")
  @CsvSource({"3, 3", "5, 3"})
  void keysBeyondWhatTheSessionRemembersAreStillReadFresh(int nodeCount, int copies) {
    LoopbackCluster cluster = new LoopbackCluster(nodeCount, copies);
    ClusterSession session = new ClusterSession(ConsistencyLevel.ONE);
    ClusterNode coordinator = cluster.nodes.get(1);
    // Nothing but the primary gets the writes, the coordinator's copy included.
    cluster.lose =
        (to, message) ->
            message instanceof Replicate
                || (message instanceof ExecuteReply reply && !reply.entries().isEmpty()
                    && dropEntries(cluster, to, reply));
    int keys = ClusterSession.REMEMBERED_KEYS + 200;
    for (int i = 0; i < keys; i++) {
      assertThat(cluster.run(coordinator, session, "SET", "old" + i, "x" + i)).isEqualTo("+OK\r\n");
    }
    assertThat(session.rememberedKeys()).isEqualTo(ClusterSession.REMEMBERED_KEYS);
    // The first keys were pushed out of the session's memory; reads of them still see the writes.
    for (int i = 0; i < 50; i++) {
      assertThat(cluster.run(coordinator, session, "GET", "old" + i))
          .isEqualTo("$" + ("x" + i).length() + "\r\nx" + i + "\r\n");
    }
  }

  /**
   * Delivers the answer without its entries, so the coordinator's own copy lags: the answer is
   * handed over by hand and the original is lost.
   */
  private static boolean dropEntries(LoopbackCluster cluster, String to, ExecuteReply reply) {
    cluster.deliverLater(
        to,
        new ExecuteReply(
            reply.requestId(),
            reply.slot(),
            reply.status(),
            reply.reply(),
            reply.keyVersions(),
            java.util.List.of()));
    return true;
  }
}
