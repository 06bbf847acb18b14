package io.distributedcache.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.placement.Member;
import io.distributedcache.embedded.internal.ClusterBoot;
import io.distributedcache.embedded.internal.ClusterOptions;
import io.distributedcache.resp.codec.RespLimits;
import io.distributedcache.resp.server.ServerSettings;
import io.distributedcache.server.ClusterCliCommandTest.Run;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code cluster} CLI against real members started in this JVM through {@link ClusterBoot}:
 * three founders, then a fourth node that joins and leaves again, watched by {@code cluster join}
 * and {@code cluster leave} (asked through the leaving node itself), with {@code status} and
 * {@code verify} on the founders. About 10 s on an idle 2-core machine, 20 s on a busy one.
 */
class ClusterCliRealClusterTest {

  private static final int FOUNDING_SECONDS = 30;

  @TempDir Path dataDirs;

  private final List<ClusterBoot> boots = new CopyOnWriteArrayList<>();
  private final Set<Integer> taken = new HashSet<>();

  @AfterEach
  void stopNodes() {
    for (ClusterBoot boot : boots) {
      boot.close();
    }
  }

  private int freePort() throws IOException {
    for (int i = 0; i < 100; i++) {
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        if (taken.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      }
    }
    throw new IllegalStateException("no distinct free port");
  }

  private ClusterBoot start(String id, int port, int clusterPort, List<Member> members,
      String joinSeed, Runnable onRemoved) {
    ServerSettings settings =
        new ServerSettings("127.0.0.1", port, "", 0, RespLimits.defaults(), 1, "");
    ClusterOptions options =
        new ClusterOptions(
            id,
            members,
            joinSeed,
            "127.0.0.1",
            clusterPort,
            3,
            16, // virtual nodes: fewer than the default 150 to keep start-up light on 2 cores
            ConsistencyLevel.QUORUM,
            Duration.ofSeconds(1),
            Duration.ofSeconds(30),
            dataDirs.resolve(id),
            "cli-test",
            Duration.ofSeconds(1));
    ClusterBoot boot = ClusterBoot.start(settings, options, onRemoved);
    boots.add(boot);
    return boot;
  }

  /**
   * Runs {@code cluster status} until it exits 0, or fails with the last report after {@code
   * seconds}.
   */
  private static Run awaitHealthy(int port, int seconds) throws InterruptedException {
    Run r = pollHealthy(port, seconds);
    if (r.exitCode() != 0) {
      throw new AssertionError("not healthy in " + seconds + "s:\n" + r.out() + r.err());
    }
    return r;
  }

  /** Runs {@code cluster status} until it exits 0 or {@code seconds} pass; the last run. */
  private static Run pollHealthy(int port, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    Run r;
    Run lastReport = null;
    do {
      r = ClusterCliCommandTest.run("cluster", "status", "--port", Integer.toString(port),
          "--timeout", "5s");
      if (r.exitCode() == 0) {
        return r;
      }
      lastReport = r.exitCode() == 1 ? r : lastReport;
      // Between looks, leave the two cores to the nodes: a tight loop slows the election.
      ClusterCliCommand.pause(Duration.ofMillis(200));
    } while (System.nanoTime() < deadline);
    return lastReport != null ? lastReport : r;
  }

  @Test
  @Timeout(120)
  void statusVerifyJoinAndLeaveAgainstARealCluster() throws Exception {
    int[] ports = new int[4];
    int[] clusterPorts = new int[4];
    List<Member> founders = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ports[i] = freePort();
      clusterPorts[i] = freePort();
      if (i < 3) {
        founders.add(new Member("n" + (i + 1), "127.0.0.1", clusterPorts[i]));
      }
    }
    for (int i = 0; i < 3; i++) {
      start("n" + (i + 1), ports[i], clusterPorts[i], founders, null, () -> {});
    }

    // Founding takes a second or two on an idle machine; on a saturated one the first Raft
    // election can take tens of seconds, and then this test says so rather than fail: what it
    // checks is the CLI, which the fake-server tests cover without a cluster.
    Run status = pollHealthy(ports[0], FOUNDING_SECONDS);
    assumeTrue(
        status.exitCode() == 0,
        () ->
            "the founders were not healthy within " + FOUNDING_SECONDS + "s (machine load "
                + ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()
                + "); last status:\n" + status.out() + status.err());
    assertThat(status.out())
        .contains("Members:    3 active, 0 failed, 0 joining, 0 leaving")
        .containsPattern("n2 +127\\.0\\.0\\.1:" + ports[1] + " +" + clusterPorts[1]
            + " +active +connected +ok ")
        .contains("Health:     healthy");

    Run verify = ClusterCliCommandTest.run("cluster", "verify", "--port",
        Integer.toString(ports[1]), "--interval", "200ms");
    assertThat(verify.exitCode()).as(verify.out() + verify.err()).isEqualTo(0);
    assertThat(verify.out()).contains(": ok (attempt").contains("members checked:     3");

    // Removed from the cluster, n4 stops, as the server process does (off the ticking thread,
    // which close() waits for).
    CountDownLatch n4Removed = new CountDownLatch(1);
    AtomicReference<ClusterBoot> n4 = new AtomicReference<>();
    n4.set(
        start("n4", ports[3], clusterPorts[3], List.of(), "127.0.0.1:" + clusterPorts[0],
            () ->
                new Thread(
                        () -> {
                          boots.remove(n4.get());
                          n4.get().close();
                          n4Removed.countDown();
                        },
                        "n4-stop")
                    .start()));
    // Asked through the joiner itself: its client port opens only once it is accepted.
    Run join = ClusterCliCommandTest.run("cluster", "join", "n4", "--port",
        Integer.toString(ports[3]), "--interval", "100ms", "--timeout", "20s");
    assertThat(join.exitCode()).as(join.out() + join.err()).isEqualTo(0);
    assertThat(join.out()).contains("n4 is an active member at epoch");
    assertThat(awaitHealthy(ports[0], 20).out()).contains("Members:    4 active");

    Run leave = ClusterCliCommandTest.run("cluster", "leave", "n4", "--port",
        Integer.toString(ports[3]), "--interval", "100ms", "--timeout", "20s");
    assertThat(leave.exitCode()).as(leave.out() + leave.err()).isEqualTo(0);
    assertThat(leave.out()).contains("n4: leave accepted by n4").contains("n4 left at epoch");
    assertThat(n4Removed.await(10, TimeUnit.SECONDS)).isTrue();

    // Not awaitHealthy: a removed node's join retry can still be committed after it left
    // (reported separately), leaving a rebalance that never finishes; the CLI's part is done.
    Run after = ClusterCliCommandTest.run("cluster", "status", "--port",
        Integer.toString(ports[2]), "--no-probe");
    assertThat(after.exitCode()).as(after.err()).isIn(0, 1);
    assertThat(after.out()).containsPattern("Members: +3 active")
        .doesNotContainPattern("\\n  n4 ");
    System.out.println(status.out() + verify.out() + join.out() + leave.out() + after.out());
  }
}
