package io.distributedcache.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code distributedcache cluster ...} against {@link FakeRespServer}s answering as nodes of a
 * pretend cluster ({@link FakeClusterNode}): the report texts, the progress of join and leave,
 * and the exit codes for healthy, degraded, refused, unreachable and timed-out cases.
 */
class ClusterCliCommandTest {

  private final List<FakeRespServer> servers = new ArrayList<>();

  @AfterEach
  void closeServers() throws IOException {
    for (FakeRespServer s : servers) {
      s.close();
    }
  }

  record Run(int exitCode, String out, String err) {}

  /** Runs the launcher's command line in-process, capturing both streams. */
  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  /** A port nothing listens on (bound, then released at once). */
  static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return s.getLocalPort();
    }
  }

  /**
   * Starts a fake node {@code self} of a cluster of {@code names} (ports 7001, 7002, ... in the
   * replies, whatever port the fake really listens on).
   */
  private FakeClusterNode fake(String self, AtomicReference<FakeRespServer> server,
      String... names) throws IOException {
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (int i = 0; i < names.length; i++) {
      ports.put(names[i], 7001 + i);
    }
    FakeClusterNode node = new FakeClusterNode(self, ports);
    FakeRespServer s = FakeRespServer.start(node::respond);
    servers.add(s);
    server.set(s);
    return node;
  }

  private static String port(AtomicReference<FakeRespServer> server) {
    return Integer.toString(server.get().port());
  }

  // ------------------------------------------------------------------------------------------
  // status

  @Test
  void statusOfAHealthyClusterIsTheFullReportAndExitsZero() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    fake("n1", s, "n1", "n2", "n3").set("dc_raft_role", "leader");

    Run r = run("cluster", "status", "--port", port(s), "--no-probe");

    assertThat(r.exitCode()).as(r.err()).isEqualTo(0);
    assertThat(r.out().replace("127.0.0.1:" + port(s) + ")", "<asked>)"))
        .isEqualTo(
            String.join(
                "\n",
                "Cluster:    ok, 16384 of 16384 slots served (asked n1 at <asked>)",
                "Ring epoch: 1",
                "Raft:       leader n1, term 2 (n1 is leader); voters n1,n2,n3",
                "Members:    3 active, 0 failed, 0 joining, 0 leaving",
                "  NAME  CLIENT          CLUSTER-PORT  STATE   LINK       PING  PRIMARY-SLOTS",
                "  n1    127.0.0.1:7001  17001         active  myself     -     5461",
                "  n2    127.0.0.1:7002  17002         active  connected  -     5461",
                "  n3    127.0.0.1:7003  17003         active  connected  -     5462",
                "Rebalance:  none",
                "Health:     healthy",
                ""));
    assertThat(r.err()).isEmpty();
  }

  @Test
  void statusProbesEveryMemberFromHere() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    FakeClusterNode node = fake("n1", s, "n1", "n2", "n3");
    node.member("n1").port = s.get().port();
    node.member("n2").port = s.get().port(); // answers PING: the same fake
    node.member("n3").port = closedPort();

    Run r = run("cluster", "status", "--port", port(s));

    assertThat(r.exitCode()).isEqualTo(0); // probes inform; the node's view decides
    assertThat(r.out())
        .containsPattern("n1 +127\\.0\\.0\\.1:\\d+ +\\d+ +active +myself +ok ")
        .containsPattern("n2 +127\\.0\\.0\\.1:\\d+ +\\d+ +active +connected +ok ")
        .containsPattern("n3 +127\\.0\\.0\\.1:\\d+ +\\d+ +active +connected +refused ");
    assertThat(s.get().count("PING")).isEqualTo(2);
  }

  @Test
  void aFailedMemberMakesStatusDegraded() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    FakeClusterNode node = fake("n1", s, "n1", "n2", "n3");
    node.set("dc_members_active", 2).set("dc_members_failed", 1);
    node.member("n3").failed = true;
    node.member("n3").connected = false;
    node.member("n3").slots = null; // demoted: its slots failed over
    node.member("n1").slots = "0-8191";
    node.member("n2").slots = "8192-16383";

    Run r = run("cluster", "status", "--port", port(s), "--no-probe");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out())
        .contains("Members:    2 active, 1 failed, 0 joining, 0 leaving")
        .containsPattern("n3 +127\\.0\\.0\\.1:7003 +17003 +failed +disconnected +- +0")
        .contains("Health:     degraded", "  - 1 member failed");
  }

  @Test
  void anUnreachablePrimaryMakesStateFailAndStatusDegraded() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    FakeClusterNode node = fake("n1", s, "n1", "n2", "n3");
    node.set("cluster_state", "fail").set("cluster_slots_ok", 10923)
        .set("cluster_slots_pfail", 5461);
    node.member("n2").connected = false;

    Run r = run("cluster", "status", "--port", port(s), "--no-probe");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out())
        .contains("Cluster:    fail, 10923 of 16384 slots served")
        .contains("  - cluster_state is fail (5461 slots with an unreachable primary, 0 with a"
            + " failed one)")
        .contains("  - n2 is unreachable from n1");
  }

  @Test
  void aLeavingMemberIsShownAsLeavingAndTheRebalanceAsProgress() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    FakeClusterNode node = fake("n1", s, "n1", "n2", "n3");
    node.set("dc_members_active", 2).set("dc_members_leaving", 1)
        .set("dc_rebalance_in_progress", 1).set("dc_rebalance_nodes_pulling", 2)
        .set("dc_rebalance_slots_pulled", 700).set("dc_rebalance_slots_to_pull_here", 1200)
        .set("dc_ring_epoch", 4);
    node.member("n3").slots = null; // demoted while it leaves

    Run r = run("cluster", "status", "--port", port(s), "--no-probe");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out())
        .contains("Ring epoch: 4")
        .containsPattern("n3 +127\\.0\\.0\\.1:7003 +17003 +leaving +connected")
        .contains("Rebalance:  in progress: 2 nodes still pulling; n1 pulled 700 slots, 1200 left"
            + " to pull")
        .contains("  - rebalance in progress (0 joining, 1 leaving, 2 nodes pulling)");
  }

  @Test
  void statusOfANodeThatCannotBeReachedExitsTwo() throws IOException {
    Run r = run("cluster", "status", "--port", Integer.toString(closedPort()), "--timeout", "2s");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("cannot reach 127.0.0.1:");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void statusOfANodeThatAnswersAnErrorExitsTwo() throws IOException {
    FakeRespServer s =
        FakeRespServer.start(c -> FakeRespServer.error("ERR This instance has cluster support"
            + " disabled"));
    servers.add(s);

    Run r = run("cluster", "status", "--port", Integer.toString(s.port()));

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .isEqualTo("127.0.0.1:" + s.port() + " answered: ERR This instance has cluster support"
            + " disabled" + System.lineSeparator());
  }

  @Test
  void statusAuthenticatesWithThePassword() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    fake("n1", s, "n1", "n2", "n3").requirePassword("s3cret");

    Run wrong = run("cluster", "status", "--port", port(s), "--no-probe", "--password", "nope");
    Run right = run("cluster", "status", "--port", port(s), "--no-probe", "--password", "s3cret");

    assertThat(wrong.exitCode()).isEqualTo(2);
    assertThat(wrong.err()).isEqualTo("127.0.0.1:" + port(s) + ": AUTH refused: WRONGPASS invalid username-password pair or"
        + " user is disabled." + System.lineSeparator());
    assertThat(right.exitCode()).as(right.err()).isEqualTo(0);
    assertThat(s.get().received().get(0)).isEqualTo(List.of("AUTH", "nope"));
  }

  @Test
  void aRepliesTimeoutIsReportedAsUnreachable() throws IOException {
    // A node that accepts but never answers (until the test ends): the read timeout ends the
    // wait.
    CountDownLatch testDone = new CountDownLatch(1);
    FakeRespServer s =
        FakeRespServer.start(
            c -> {
              try {
                testDone.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return null;
            });
    servers.add(s);
    long start = System.nanoTime();

    Run r;
    try {
      r = run("cluster", "status", "--port", Integer.toString(s.port()), "--timeout", "300ms");
    } finally {
      testDone.countDown();
    }

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("timed out");
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(4_000);
  }

  // ------------------------------------------------------------------------------------------
  // leave

  @Test
  void aRefusedLeavePrintsTheReasonAndExitsOne() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    fake("n1", s, "n1", "n2", "n3")
        .leaveReply(FakeRespServer.error("ERR cannot leave: a rebalance is in progress"));

    Run r = run("cluster", "leave", "n3", "--port", port(s));

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).isEqualTo(
        "refused: n3 cannot leave: a rebalance is in progress" + System.lineSeparator());
    assertThat(s.get().count("CLUSTER", "LEAVE")).isEqualTo(1);
  }

  @Test
  void leaveWaitsUntilTheMemberIsGoneAndTheRebalanceFinished() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    FakeClusterNode node = fake("n1", s, "n1", "n2", "n3");
    // Script: the first look (before LEAVE) is healthy; then n3 leaves over a few looks.
    node.onInfo(
        n -> {
          int look = n.infoRequests();
          if (look == 2) {
            n.set("dc_ring_epoch", 2).set("dc_members_active", 2).set("dc_members_leaving", 1)
                .set("dc_rebalance_in_progress", 1).set("dc_rebalance_nodes_pulling", 2);
            n.member("n3").slots = null;
          } else if (look == 4) {
            n.set("dc_rebalance_nodes_pulling", 1).set("dc_rebalance_slots_pulled", 5000);
          } else if (look == 6) {
            n.set("dc_ring_epoch", 3).set("dc_members_leaving", 0)
                .set("dc_rebalance_in_progress", 0).set("dc_rebalance_nodes_pulling", 0);
            n.remove("n3");
          }
        });

    Run r = run("cluster", "leave", "n3", "--port", port(s), "--interval", "10ms");

    assertThat(r.exitCode()).as(r.err()).isEqualTo(0);
    assertThat(progressLines(r.out()))
        .containsExactly(
            "n3: leave accepted by n1 (epoch 1)",
            "epoch 2: n3 leaving; rebalancing (0 joining, 1 leaving, 2 nodes pulling; n1 pulled"
                + " 0 slots)",
            "epoch 2: n3 leaving; rebalancing (0 joining, 1 leaving, 1 nodes pulling; n1 pulled"
                + " 5000 slots)",
            "n3 left at epoch 3; rebalance finished");
  }

  @Test
  void leaveAskedThroughTheLeavingNodeWatchesAnotherMember() throws IOException {
    // n3 (asked) accepts the leave and exits; n1, which the CLI learns of from n3's
    // CLUSTER NODES, reports the rest.
    AtomicReference<FakeRespServer> s1 = new AtomicReference<>();
    FakeClusterNode n1 = fake("n1", s1, "n1", "n2", "n3");
    AtomicReference<FakeRespServer> s3 = new AtomicReference<>();
    FakeClusterNode n3 = fake("n3", s3, "n1", "n2", "n3");
    for (FakeClusterNode n : List.of(n1, n3)) {
      n.member("n1").port = s1.get().port();
      n.member("n2").port = closedPort();
      n.member("n3").port = s3.get().port();
    }
    n3.leaveReply("+OK\r\n");
    n1.set("dc_ring_epoch", 3);
    n1.remove("n3");

    Run r = run("cluster", "leave", "n3", "--port", port(s3), "--interval", "10ms");

    assertThat(r.exitCode()).as(r.err()).isEqualTo(0);
    assertThat(progressLines(r.out()))
        .containsExactly("n3: leave accepted by n3 (epoch 1)", "n3 left at epoch 3; rebalance"
            + " finished");
    assertThat(n3.infoRequests()).isEqualTo(1); // only the look before LEAVE
    assertThat(n1.infoRequests()).isEqualTo(1);
  }

  @Test
  void leaveSwitchesToAnotherMemberWhenTheOneItAsksStops() throws IOException {
    AtomicReference<FakeRespServer> s1 = new AtomicReference<>();
    FakeClusterNode n1 = fake("n1", s1, "n1", "n2", "n3");
    AtomicReference<FakeRespServer> s2 = new AtomicReference<>();
    FakeClusterNode n2 = fake("n2", s2, "n1", "n2", "n3");
    for (FakeClusterNode n : List.of(n1, n2)) {
      n.member("n1").port = s1.get().port();
      n.member("n2").port = s2.get().port();
      n.member("n3").port = closedPort();
      n.set("dc_members_leaving", 1).set("dc_rebalance_in_progress", 1);
    }
    n1.onInfo(
        n -> {
          if (n.infoRequests() == 3) {
            try {
              s1.get().close(); // n1 dies mid-wait
            } catch (IOException e) {
              throw new IllegalStateException(e);
            }
          }
        });
    n2.onInfo(
        n ->
            n.set("dc_ring_epoch", 5).set("dc_members_leaving", 0)
                .set("dc_rebalance_in_progress", 0).remove("n3"));

    Run r = run("cluster", "leave", "n3", "--port", port(s1), "--interval", "10ms");

    assertThat(r.exitCode()).as(r.err()).isEqualTo(0);
    assertThat(r.out()).containsPattern("asking n2 at 127\\.0\\.0\\.1:\\d+ now")
        .contains("n3 left at epoch 5; rebalance finished");
  }

  @Test
  void leaveIsDoneAtItsCutoverEvenIfAnotherRebalanceStartsRightAfter() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    FakeClusterNode node = fake("n1", s, "n1", "n2", "n3");
    node.onInfo(
        n -> {
          if (n.infoRequests() == 2) {
            n.set("dc_ring_epoch", 3).set("dc_members_joining", 1)
                .set("dc_rebalance_in_progress", 1).remove("n3");
          }
        });

    Run r = run("cluster", "leave", "n3", "--port", port(s), "--interval", "10ms");

    assertThat(r.exitCode()).as(r.err()).isEqualTo(0);
    assertThat(progressLines(r.out()))
        .containsExactly(
            "n3: leave accepted by n1 (epoch 1)",
            "n3 left at epoch 3; rebalance finished, another one started (1 joining, 0 leaving)");
  }

  @Test
  void leaveThatDoesNotFinishInTimeExitsTwo() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    FakeClusterNode node = fake("n1", s, "n1", "n2", "n3");
    node.set("dc_members_leaving", 1).set("dc_rebalance_in_progress", 1);

    Run r = run("cluster", "leave", "n3", "--port", port(s), "--interval", "10ms", "--timeout",
        "200ms");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("timed out after 200ms waiting for n3 to leave (last: epoch 1: n3"
        + " active; rebalancing");
  }

  @Test
  void leaveWithNoWaitReturnsOnceAccepted() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    FakeClusterNode node = fake("n1", s, "n1", "n2", "n3");

    Run r = run("cluster", "leave", "n2", "--port", port(s), "--no-wait");

    assertThat(r.exitCode()).isEqualTo(0);
    assertThat(s.get().received()).contains(List.of("CLUSTER", "LEAVE", "n2"));
    assertThat(node.infoRequests()).isEqualTo(1);
  }

  @Test
  void leaveOfAnUnreachableNodeExitsTwo() throws IOException {
    Run r = run("cluster", "leave", "n2", "--port", Integer.toString(closedPort()));

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("cannot reach 127.0.0.1:");
  }

  // ------------------------------------------------------------------------------------------
  // join

  @Test
  void joinWaitsUntilTheNodeIsAnActiveMemberAndTheRebalanceFinished() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    FakeClusterNode node = fake("n1", s, "n1", "n2", "n3");
    node.onInfo(
        n -> {
          int look = n.infoRequests();
          if (look == 2) {
            n.set("dc_ring_epoch", 2).set("dc_members_joining", 1)
                .set("dc_rebalance_in_progress", 1).set("dc_rebalance_nodes_pulling", 1);
          } else if (look == 4) {
            n.set("dc_ring_epoch", 3).set("dc_members_joining", 0).set("dc_members_active", 4)
                .set("dc_rebalance_in_progress", 0).set("dc_rebalance_nodes_pulling", 0);
            n.add(new FakeClusterNode.Line("n4", 7004, "100-200"));
          }
        });

    Run r = run("cluster", "join", "n4", "--port", port(s), "--interval", "10ms");

    assertThat(r.exitCode()).as(r.err()).isEqualTo(0);
    assertThat(progressLines(r.out()))
        .containsExactly(
            "epoch 1: n4 not in the serving ring yet; no rebalance",
            "epoch 2: n4 not in the serving ring yet; rebalancing (1 joining, 0 leaving, 1 nodes"
                + " pulling; n1 pulled 0 slots)",
            "n4 is an active member at epoch 3; rebalance finished");
  }

  @Test
  void joinRetriesWhileNoMemberAnswersThenTimesOutWithTwo() throws IOException {
    Run r = run("cluster", "join", "n4", "--port", Integer.toString(closedPort()), "--interval",
        "10ms", "--timeout", "200ms");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(progressLines(r.out())).hasSize(1);
    assertThat(progressLines(r.out()).get(0)).startsWith("no member answers yet (127.0.0.1:");
    assertThat(r.err()).startsWith("timed out after 200ms: no member answered");
  }

  @Test
  void aJoinedNodeThatIsFailedAtTheDeadlineExitsOne() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    FakeClusterNode node = fake("n1", s, "n1", "n2", "n3", "n4");
    node.member("n4").failed = true;
    node.set("dc_members_failed", 1);

    Run r = run("cluster", "join", "n4", "--port", port(s), "--interval", "10ms", "--timeout",
        "100ms");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("n4 joined but is marked failed (epoch 1)"
        + System.lineSeparator());
  }

  @Test
  void joinHelpSaysHowANodeJoins() {
    Run r = run("cluster", "join", "--help");

    assertThat(r.out().replaceAll("\\s+", " "))
        .contains("A node joins by being started with 'server --join host:clusterPort'; this"
            + " command waits until <node-name> is an active member (not joining) and the"
            + " rebalance finished, printing progress.");
  }

  // ------------------------------------------------------------------------------------------
  // verify

  private static final String VERIFY_OK =
      "verify_result:ok\r\nepoch:1\r\nmembers_checked:3\r\nmembers_unreachable:\r\n"
          + "slots_checked:16384\r\ncopies_missing:0\r\nslots_stale:0\r\ncopies_misplaced:0\r\n";
  private static final String VERIFY_STALE =
      "verify_result:problems\r\nepoch:1\r\nmembers_checked:3\r\nmembers_unreachable:\r\n"
          + "slots_checked:16384\r\ncopies_missing:0\r\nslots_stale:2\r\ncopies_misplaced:0\r\n"
          + "problem:slot 12 stale on n2\r\nproblem:slot 99 stale on n3\r\n";

  @Test
  void verifyOfAHealthyClusterPrintsTheReportAndExitsZero() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    fake("n1", s, "n1", "n2", "n3").verifyReplies(VERIFY_OK);

    Run r = run("cluster", "verify", "--port", port(s));

    assertThat(r.exitCode()).isEqualTo(0);
    assertThat(r.out())
        .isEqualTo(
            String.join(
                "\n",
                "Verify via 127.0.0.1:" + port(s) + " at epoch 1: ok (attempt 1 of 3)",
                "  members checked:     3",
                "  members unreachable: none",
                "  slots checked:       16384",
                "  copies missing:      0",
                "  slots stale:         0",
                "  copies misplaced:    0",
                ""));
  }

  @Test
  void verifyTriesAgainAfterATransientDifference() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    fake("n1", s, "n1", "n2", "n3").verifyReplies(VERIFY_STALE, VERIFY_OK);

    Run r = run("cluster", "verify", "--port", port(s), "--interval", "10ms");

    assertThat(r.exitCode()).isEqualTo(0);
    assertThat(progressLines(r.out()))
        .containsExactly("attempt 1 of 3: slots stale 2; again in 10ms");
    assertThat(r.out()).contains("at epoch 1: ok (attempt 2 of 3)");
    assertThat(s.get().count("CLUSTER", "VERIFY")).isEqualTo(2);
  }

  @Test
  void verifyThatKeepsFindingProblemsPrintsThemAndExitsOne() throws IOException {
    AtomicReference<FakeRespServer> s = new AtomicReference<>();
    fake("n1", s, "n1", "n2", "n3").verifyReplies(VERIFY_STALE);

    Run r = run("cluster", "verify", "--port", port(s), "--interval", "10ms", "--attempts", "2");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out())
        .contains("at epoch 1: problems (attempt 2 of 2)")
        .contains("  slots stale:         2")
        .contains(
            String.join(
                "\n",
                "  problems:",
                "    - slot 12 stale on n2",
                "    - slot 99 stale on n3"));
    assertThat(s.get().count("CLUSTER", "VERIFY")).isEqualTo(2);
  }

  @Test
  void verifyOfANodeThatAnswersAnErrorExitsTwo() throws IOException {
    FakeRespServer s = FakeRespServer.start(c -> FakeRespServer.error("ERR unknown subcommand"));
    servers.add(s);

    Run r = run("cluster", "verify", "--port", Integer.toString(s.port()));

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("answered: ERR unknown subcommand");
  }

  @Test
  void badDurationsAreUsageErrors() {
    Run r = run("cluster", "status", "--timeout", "soon");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("not a duration: 'soon'");
  }

  /** The {@code [  1.2s] ...} lines without their time. */
  static List<String> progressLines(String out) {
    List<String> lines = new ArrayList<>();
    for (String line : out.split("\\R")) {
      if (line.matches("\\[ *\\d+\\.\\ds\\] .*")) {
        lines.add(line.substring(line.indexOf("] ") + 2));
      }
    }
    return lines;
  }
}
