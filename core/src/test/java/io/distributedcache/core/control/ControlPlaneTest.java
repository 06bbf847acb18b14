package io.distributedcache.core.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.cluster.PeerOutbox;
import io.distributedcache.core.cluster.message.ControlFrame;
import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.placement.Member;
import io.distributedcache.core.time.ManualClock;
import io.distributedcache.raft.InMemoryRaftStorage;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Control planes of several nodes over an in-memory network that delivers every frame at the next
 * step, on one thread, with one shared clock: bootstrap, failover and recovery, join and leave,
 * and a restart from the Raft storage. The data plane is stood in for by answers the test sets
 * ({@link ControlPlane.LocalCopies}).
 */
class ControlPlaneTest {

  private static final Duration STEP = Duration.ofMillis(10);
  private static final int CLIENT_PORT_BASE = 7000;

  private final ManualClock clock = new ManualClock(1_000_000_000L, 1_800_000_000_000L);
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final ArrayDeque<Object[]> inFlight = new ArrayDeque<>();
  private final Set<String> down = new HashSet<>();
  private final List<Member> founders =
      List.of(member("n1"), member("n2"), member("n3"));

  /** One node: its control plane, storage (survives restarts) and what the data plane says. */
  private final class Node {
    final String id;
    final InMemoryRaftStorage storage = new InMemoryRaftStorage();
    final List<ClusterMetadata> applied = new ArrayList<>();
    boolean copiesReady = true;
    boolean movesDone = true;
    ControlPlane control;

    Node(String id) {
      this.id = id;
    }

    void start(List<Member> bootstrap) {
      ControlSettings settings =
          new ControlSettings(
              member(id),
              clientPort(id),
              bootstrap,
              3,
              16,
              Duration.ofMillis(10),
              Duration.ofMillis(300),
              Duration.ofMillis(30),
              Duration.ofSeconds(1),
              Duration.ofMillis(200),
              5);
      control =
          new ControlPlane(
              settings,
              storage,
              new SplittableRandom(id.hashCode()),
              clock,
              new Outbox(id),
              (previous, next) -> applied.add(next));
      control.localCopies(
          new ControlPlane.LocalCopies() {
            @Override
            public boolean allReady() {
              return copiesReady;
            }

            @Override
            public boolean movesDone(long epoch) {
              return movesDone;
            }
          });
    }

    ClusterMetadata metadata() {
      return control.metadata();
    }
  }

  private final class Outbox implements PeerOutbox {
    final String from;

    Outbox(String from) {
      this.from = from;
    }

    @Override
    public boolean send(String nodeId, Envelope message) {
      if (!isReachable(nodeId)) {
        return false;
      }
      inFlight.add(new Object[] {from, nodeId, message});
      return true;
    }

    @Override
    public boolean isReachable(String nodeId) {
      return nodes.containsKey(nodeId) && !down.contains(nodeId) && !down.contains(from);
    }
  }

  private static Member member(String id) {
    int n = Integer.parseInt(id.substring(1));
    return new Member(id, "127.0.0.1", 17000 + n);
  }

  private static int clientPort(String id) {
    return CLIENT_PORT_BASE + Integer.parseInt(id.substring(1));
  }

  private Node startFounders() {
    for (Member m : founders) {
      Node node = new Node(m.id());
      nodes.put(m.id(), node);
      node.start(founders);
    }
    runUntil(n -> n.metadata().isBootstrapped() && announcedAll(n.metadata()), "bootstrap");
    return nodes.get("n1");
  }

  private static boolean announcedAll(ClusterMetadata m) {
    return m.nodes().stream().allMatch(r -> r.clientPort() != 0);
  }

  /** Steps time until {@code done} holds on every running node, or fails after 60 s. */
  private void runUntil(Predicate<Node> done, String what) {
    for (int step = 0; step < 6000; step++) {
      boolean all = true;
      for (Node node : nodes.values()) {
        if (!down.contains(node.id) && !done.test(node)) {
          all = false;
        }
      }
      if (all) {
        return;
      }
      step();
    }
    StringBuilder state = new StringBuilder();
    for (Node node : nodes.values()) {
      state.append('\n').append(node.id).append(' ').append(node.control.raftState())
          .append(' ').append(node.metadata());
    }
    throw new AssertionError("not reached within 60 simulated seconds: " + what + state);
  }

  private void step() {
    clock.advance(STEP);
    int count = inFlight.size();
    for (int i = 0; i < count; i++) {
      Object[] m = inFlight.poll();
      String to = (String) m[1];
      Node target = nodes.get(to);
      if (target != null && !down.contains(to) && !down.contains((String) m[0])) {
        Envelope envelope = (Envelope) m[2];
        target.control.onControlFrame((String) m[0], (ControlFrame) envelope.body());
      }
    }
    for (Node node : nodes.values()) {
      if (!down.contains(node.id)) {
        node.control.tick();
      }
    }
  }

  @Test
  void foundersBootstrapOneLayoutAndAnnounceTheirClientPorts() {
    startFounders();
    ClusterMetadata first = nodes.get("n1").metadata();
    for (Node node : nodes.values()) {
      assertThat(node.metadata()).isEqualTo(first);
      assertThat(node.metadata().ring().placementDigest())
          .isEqualTo(first.ring().placementDigest());
      assertThat(node.metadata().node(node.id).clientPort()).isEqualTo(clientPort(node.id));
    }
    assertThat(first.nodes()).allMatch(r -> r.state() == NodeState.ACTIVE);
    long leaders =
        nodes.values().stream().filter(n -> n.control.raftState().isLeader()).count();
    assertThat(leaders).isEqualTo(1);
    // Every listener heard each change in order: epochs only grow.
    for (Node node : nodes.values()) {
      for (int i = 1; i < node.applied.size(); i++) {
        assertThat(node.applied.get(i).epoch()).isGreaterThan(node.applied.get(i - 1).epoch());
      }
    }
  }

  @Test
  void anUnreachableMemberFailsOverAndIsRecoveredWhenItsCopiesAreReady() {
    startFounders();
    String victim = followerOrLeader(false);
    long failoversBefore = totalFailovers();
    down.add(victim);
    long cutAt = clock.read();
    runUntil(
        n -> n.metadata().node(victim).state() == NodeState.FAILED, "failover of " + victim);
    long tookNanos = clock.read() - cutAt;
    assertThat(Duration.ofNanos(tookNanos))
        .as("failover waits for the failure timeout, and not much longer")
        .isBetween(Duration.ofSeconds(1), Duration.ofMillis(1500));
    assertThat(totalFailovers()).isGreaterThan(failoversBefore);

    Node back = nodes.get(victim);
    back.copiesReady = false;
    down.remove(victim);
    runUntil(n -> n.metadata().node(victim).state() == NodeState.FAILED, "the node learns it failed");
    for (int i = 0; i < 100; i++) {
      step();
    }
    assertThat(back.metadata().node(victim).state())
        .as("no recovery while its copies are catching up")
        .isEqualTo(NodeState.FAILED);
    back.copiesReady = true;
    runUntil(n -> n.metadata().node(victim).state() == NodeState.ACTIVE, "recovery");
  }

  @Test
  void theLeaderItselfFailsOverAfterANewLeaderIsElected() {
    startFounders();
    String leader = followerOrLeader(true);
    down.add(leader);
    runUntil(n -> n.metadata().node(leader).state() == NodeState.FAILED, "failover of the leader");
    long newLeaders =
        nodes.values().stream()
            .filter(n -> !n.id.equals(leader) && n.control.raftState().isLeader())
            .count();
    assertThat(newLeaders).as("one of the others leads now").isEqualTo(1);
  }

  @Test
  void aJoinerIsAddedRebalancedAndBecomesAnActiveMemberAndALearner() {
    startFounders();
    Node joiner = new Node("n4");
    joiner.movesDone = false;
    nodes.put("n4", joiner);
    joiner.start(List.of());
    joiner.control.onPeerUp("n2"); // its seed
    runUntil(
        n -> n.metadata().isBootstrapped()
            && n.metadata().node("n4") != null
            && n.metadata().node("n4").state() == NodeState.JOINING,
        "join applied");
    assertThat(joiner.metadata().pendingMoves()).containsExactly("n4");
    for (int i = 0; i < 50; i++) {
      step();
    }
    assertThat(joiner.metadata().node("n4").state())
        .as("no cutover before the joiner pulled its slots")
        .isEqualTo(NodeState.JOINING);
    joiner.movesDone = true;
    runUntil(n -> n.metadata().node("n4").state() == NodeState.ACTIVE, "cutover");
    runUntil(n -> n.control.raftMembership().contains("n4"), "n4 in the Raft group");
    assertThat(joiner.metadata().node("n4").clientPort()).isEqualTo(clientPort("n4"));
  }

  @Test
  void aJoinerThatLeftDoesNotAskToJoinAgain() {
    startFounders();
    Node joiner = new Node("n4");
    nodes.put("n4", joiner);
    joiner.start(List.of());
    joiner.control.onPeerUp("n1");
    runUntil(
        n -> n.metadata().node("n4") != null && n.metadata().node("n4").state() == NodeState.ACTIVE,
        "n4 active");
    nodes.get("n2").control.submit(new MetadataCommand.Leave("n4"));
    runUntil(n -> n.metadata().node("n4") == null, "n4 gone");
    for (int i = 0; i < 300; i++) {
      step();
      assertThat(nodes.get("n1").metadata().node("n4"))
          .as("the removed node (its process still running) must not join again")
          .isNull();
    }
  }

  @Test
  void anOperatorsLeaveWhoseForwardIsLostIsSentAgainUntilItShows() {
    startFounders();
    Node asked =
        nodes.values().stream()
            .filter(n -> !n.control.raftState().isLeader())
            .findFirst()
            .orElseThrow();
    asked.control.submit(new MetadataCommand.Leave("n3"));
    asked.control.tick(); // forwards it to the leader...
    inFlight.clear(); // ...and the network loses that message
    runUntil(n -> n.metadata().node("n3") == null, "n3 gone after the lost forward");
  }

  @Test
  void aNodeCutOffFromTheMajorityLosesContactBeforeTheFailureTimeout() {
    startFounders();
    runUntil(n -> n.control.inMajorityContact(), "everyone in contact");
    Node cutOff =
        nodes.values().stream()
            .filter(n -> !n.control.raftState().isLeader())
            .findFirst()
            .orElseThrow();
    Node observer =
        nodes.values().stream().filter(n -> n.control.raftState().isLeader()).findFirst().orElseThrow();
    down.add(cutOff.id);
    // The lease is min(election timeout 300 ms, failure timeout 1 s / 2): well under the 1 s after
    // which the others fail n3 over.
    for (int i = 0; i < 40; i++) {
      step();
      cutOff.control.tick(); // the cut-off node keeps running, alone
    }
    assertThat(cutOff.control.inMajorityContact()).isFalse();
    for (Node n : nodes.values()) {
      if (n != cutOff) {
        assertThat(n.control.inMajorityContact()).as(n.id).isTrue();
      }
    }
    assertThat(observer.metadata().node(cutOff.id).state())
        .as("not failed over yet: the lease ran out first")
        .isEqualTo(NodeState.ACTIVE);
  }

  @Test
  void aLeaveMovesTheSlotsAwayThenRemovesTheMemberFromTheLayoutAndTheRaftGroup() {
    startFounders();
    Node asked = nodes.get("n2");
    asked.control.submit(new MetadataCommand.Leave("n3"));
    runUntil(n -> n.metadata().node("n3") == null, "n3 gone");
    assertThat(nodes.get("n1").metadata().ring().memberCount()).isEqualTo(2);
    runUntil(
        n -> n.id.equals("n3") || !n.control.raftMembership().contains("n3"),
        "n3 out of the Raft group");
  }

  @Test
  void aRestartedNodeRebuildsTheMetadataFromItsLogAndSnapshot() {
    startFounders();
    Node n2 = nodes.get("n2");
    // Enough changes for several snapshots (every 5 entries here).
    for (int round = 0; round < 3; round++) {
      String victim = "n3";
      down.add(victim);
      runUntil(n -> n.metadata().node(victim).state() == NodeState.FAILED, "fail " + round);
      down.remove(victim);
      runUntil(n -> n.metadata().node(victim).state() == NodeState.ACTIVE, "recover " + round);
    }
    ClusterMetadata before = n2.metadata();
    assertThat(n2.storage.snapshot().isEmpty()).as("a snapshot was taken").isFalse();
    n2.applied.clear();
    n2.start(founders); // a new process over the same storage
    runUntil(n -> n.metadata().equals(before) || n.metadata().epoch() > before.epoch(), "restore");
    assertThat(n2.metadata().epoch()).isGreaterThanOrEqualTo(before.epoch());
    assertThat(n2.metadata().ring().placementDigest())
        .isEqualTo(nodes.get("n1").metadata().ring().placementDigest());
  }

  private String followerOrLeader(boolean leader) {
    for (Node node : nodes.values()) {
      if (node.control.raftState().isLeader() == leader) {
        return node.id;
      }
    }
    throw new AssertionError("no " + (leader ? "leader" : "follower"));
  }

  private long totalFailovers() {
    long total = 0;
    for (Node node : nodes.values()) {
      total += node.control.failoversProposed();
    }
    return total;
  }
}
