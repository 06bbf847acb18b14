package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.clients.jedis.Jedis;

/**
 * Membership changes under load with real processes: three founders, a fourth node joins, then a
 * founder leaves gracefully, while writers keep writing at QUORUM through several nodes. Nothing
 * acknowledged is lost, and afterwards every copy is where the final layout puts it.
 *
 * <p>This is the real-process regression test for seed bug 2 (ARCHITECTURE.md invariants 8 and
 * 16): an operation must use one ring snapshot from start to end, and after a cutover no member
 * may keep entries of a slot it holds no copy of. A coordinator that mixed the old and the new
 * layout within one write would acknowledge a write whose copies are not those of the layout in
 * force, which the read-back and {@code CLUSTER VERIFY} (copies missing, stale or misplaced)
 * catch here.
 */
@ExtendWith(Seeds.class)
class RebalanceIT {

  private static final int KEYS_PER_WRITER = 400;
  /** Acknowledged writes to wait for before each membership change, so it happens under load. */
  private static final long WRITES_BETWEEN_CHANGES = 300;

  private ClusterHarness cluster;

  @BeforeEach
  void startCluster() {
    assumeFalse(ServerProcess.referenceMode(), "cluster mode is DistributedCache's own");
    cluster =
        ClusterHarness.start(
            3,
            "--replication-factor", "3",
            "--consistency", "QUORUM",
            "--request-timeout", "2s");
  }

  @AfterEach
  void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void seedBug2NoAcknowledgedWriteIsLostOrMisplacedAcrossAJoinAndAGracefulLeave() {
    long started = System.nanoTime();
    WriteLoad load = new WriteLoad(cluster, "QUORUM");
    // Writers go through nodes that stay (n1 leaves); a third starts through the joiner.
    load.startWriter("n2", keys("rb:a:"));
    load.startWriter("n3", keys("rb:b:"));
    awaitMoreWrites(load, "before the join");

    cluster.join("n4");
    load.startWriter("n4", keys("rb:c:"));
    awaitMoreWrites(load, "after the join");

    cluster.leave("n1"); // asserts that n1 exited by itself with status 0
    awaitMoreWrites(load, "after the leave");
    load.stop();
    String summary = load.describe(Duration.ofNanos(System.nanoTime() - started));
    System.out.println("[RebalanceIT] " + summary);

    assertThat(cluster.ids()).containsExactly("n2", "n3", "n4");
    for (String id : cluster.ids()) {
      Map<String, String> info = cluster.clusterInfo(id);
      assertThat(info)
          .as("CLUSTER INFO of %s", id)
          .containsEntry("dc_members_active", "3")
          .containsEntry("dc_members_leaving", "0")
          .containsEntry("dc_members_joining", "0")
          .containsEntry("dc_rebalance_in_progress", "0");
    }
    for (String id : cluster.ids()) {
      List<String> wrong = load.mismatches(cluster.jedis(id, "QUORUM"));
      assertThat(wrong)
          .as("QUORUM reads through %s of every acknowledged write (%d wrong; %s; %s)",
              id, wrong.size(), summary, Seeds.describe())
          .isEmpty();
    }
    Map<String, String> verify = cluster.awaitVerifyOk("n3", Duration.ofSeconds(30));
    assertThat(verify)
        .as("CLUSTER VERIFY after the join and the leave")
        .containsEntry("copies_missing", "0")
        .containsEntry("slots_stale", "0")
        .containsEntry("copies_misplaced", "0")
        .containsEntry("members_unreachable", "")
        .containsEntry("members_checked", "3")
        .containsEntry("slots_checked", "16384");
    System.out.printf(
        "[RebalanceIT] done in %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  private static List<String> keys(String prefix) {
    List<String> keys = new ArrayList<>(KEYS_PER_WRITER);
    for (int i = 0; i < KEYS_PER_WRITER; i++) {
      keys.add(prefix + i);
    }
    return keys;
  }

  /** Waits for {@value #WRITES_BETWEEN_CHANGES} more acknowledged writes (or a writer failing). */
  private void awaitMoreWrites(WriteLoad load, String when) {
    long target = load.acknowledged() + WRITES_BETWEEN_CHANGES;
    await(WRITES_BETWEEN_CHANGES + " more acknowledged writes " + when)
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> load.failed() || load.acknowledged() >= target);
    if (load.failed()) {
      load.stop(); // throws with the writer's failure
    }
  }
}
