package io.distributedcache.resp.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.cluster.ClusterRequest;
import io.distributedcache.core.cluster.ClusterSession;
import io.distributedcache.core.cluster.ClusterSettings;
import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.cluster.PeerOutbox;
import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.PeerCodec;
import io.distributedcache.core.cluster.message.Replicate;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import io.distributedcache.core.placement.RingPublisher;
import io.distributedcache.core.time.ManualClock;
import io.distributedcache.resp.server.NodeContext;
import io.distributedcache.resp.server.RespServer;
import io.distributedcache.resp.server.ServerSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three cluster nodes wired through an in-memory network that delivers messages in order when the
 * test says so: the production node and command code end to end, without sockets. The
 * deterministic simulator explores faults; these tests pin the plain paths a user sees first.
 */
class ClusterLoopbackTest {

  private final ManualClock clock = new ManualClock(1_000_000_000L, 1_800_000_000_000L);
  private final List<Member> members =
      List.of(
          new Member("n1", "127.0.0.1", 17001),
          new Member("n2", "127.0.0.1", 17002),
          new Member("n3", "127.0.0.1", 17003));
  private final RingPublisher rings =
      new RingPublisher(ConsistentHashRing.build(1, members, 150, 3));
  private final ArrayDeque<Object[]> inFlight = new ArrayDeque<>();
  private final Set<String> down = new HashSet<>();
  private final List<ClusterNode> nodes = new ArrayList<>();
  private final List<NodeContext> contexts = new ArrayList<>();

  @BeforeEach
  void start() {
    for (Member m : members) {
      NodeContext context =
          RespServer.assemble(
              ServerSettings.defaults(),
              clock,
              clock,
              new SplittableRandom(1),
              rings.current().memberIndex(m.id()));
      ClusterNode node =
          new ClusterNode(
              new ClusterSettings(
                  m.id(), Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofSeconds(30)),
              rings,
              context.engine().storage(),
              context.engine().hlc(),
              clock,
              new Outbox(m.id()),
              new LocalCommandExecutor(context));
      context.cluster(node);
      nodes.add(node);
      contexts.add(context);
    }
    for (ClusterNode node : nodes) {
      for (Member m : members) {
        if (!m.id().equals(node.nodeId())) {
          node.onPeerUp(m.id());
        }
      }
    }
    tickAndDeliver();
    for (ClusterNode node : nodes) {
      assertThat(node.slotsNotReady()).as(node.nodeId() + " caught up at start").isZero();
    }
  }

  @Test
  void aWriteThroughAnyNodeIsReadOnEveryNodeAtEveryLevel() {
    String key = "user:1";
    assertThat(run(nodeThatIsNotPrimaryOf(key), level(ConsistencyLevel.QUORUM), "SET", key, "v1"))
        .isEqualTo("+OK\r\n");
    for (ClusterNode node : nodes) {
      for (ConsistencyLevel level : ConsistencyLevel.values()) {
        assertThat(run(node, level(level), "GET", key)).isEqualTo("$2\r\nv1\r\n");
      }
    }
  }

  @Test
  void incrementsThroughAllNodesAddUp() {
    for (int i = 0; i < 30; i++) {
      run(nodes.get(i % 3), level(ConsistencyLevel.QUORUM), "INCR", "counter");
    }
    assertThat(run(nodes.get(0), level(ConsistencyLevel.ALL), "GET", "counter"))
        .isEqualTo("$2\r\n30\r\n");
  }

  @Test
  void quorumWriteFailsFastWhenTwoReplicasAreDown() {
    String key = "k";
    ClusterNode primary = primaryOf(key);
    for (ClusterNode node : nodes) {
      if (node != primary) {
        takeDown(node.nodeId());
      }
    }
    String reply = run(primary, level(ConsistencyLevel.QUORUM), "SET", key, "v");
    assertThat(reply).startsWith("-CLUSTERDOWN QUORUM write needs 2 of 3 copies");
    assertThat(run(primary, level(ConsistencyLevel.ONE), "SET", key, "v")).isEqualTo("+OK\r\n");
  }

  @Test
  void writeToAnUnreachablePrimaryFailsFastWithAClearError() {
    String key = "k2";
    ClusterNode primary = primaryOf(key);
    takeDown(primary.nodeId());
    ClusterNode other = nodeThatIsNotPrimaryOf(key);
    assertThat(run(other, level(ConsistencyLevel.QUORUM), "SET", key, "v"))
        .startsWith("-CLUSTERDOWN the primary of slot");
  }

  @Test
  void quorumReadsKeepWorkingWithOneNodeDownAndRepairStaleCopies() {
    String key = "k3";
    ClusterNode coordinator = nodeThatIsNotPrimaryOf(key);
    run(coordinator, level(ConsistencyLevel.ALL), "SET", key, "old");
    ClusterNode stale = nodes.stream()
        .filter(n -> n != primaryOf(key) && n != coordinator).findFirst().orElseThrow();
    takeDown(stale.nodeId());
    run(coordinator, level(ConsistencyLevel.QUORUM), "SET", key, "new");
    bringUp(stale.nodeId());
    // The stale copy still says "old" until anti-entropy or a quorum read repairs it.
    takeDown(coordinator.nodeId());
    ClusterNode reader = stale;
    assertThat(run(reader, level(ConsistencyLevel.QUORUM), "GET", key)).isEqualTo("$3\r\nnew\r\n");
    assertThat(run(reader, level(ConsistencyLevel.ONE), "GET", key)).isEqualTo("$3\r\nnew\r\n");
  }

  @Test
  void readYourOwnWritesAtOneEvenWhenTheLocalReplicaLags() {
    String key = "ryow";
    ClusterNode coordinator = nodeThatIsNotPrimaryOf(key);
    ClusterSession session = level(ConsistencyLevel.ONE);
    // The coordinator's own copy misses the write: the primary's replication to it is lost.
    dropMessagesTo(coordinator.nodeId());
    String reply = run(coordinator, session, "SET", key, "mine");
    assertThat(reply).isEqualTo("+OK\r\n");
    restoreMessagesTo(coordinator.nodeId());
    assertThat(run(coordinator, session, "GET", key)).isEqualTo("$4\r\nmine\r\n");
  }

  @Test
  void crossSlotKeysAreLeftToTheRespLayerButSameTagKeysWork() {
    ClusterSession session = level(ConsistencyLevel.QUORUM);
    assertThat(run(nodes.get(0), session, "MSET", "{t}a", "1", "{t}b", "2")).isEqualTo("+OK\r\n");
    assertThat(run(nodes.get(1), session, "MGET", "{t}a", "{t}b"))
        .isEqualTo("*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  }

  @Test
  void ttlTravelsAsRemainingTimeSoSkewedWallClocksDoNotMatter() {
    String key = "ttl";
    run(nodes.get(0), level(ConsistencyLevel.ALL), "SET", key, "v", "PX", "5000");
    clock.advance(Duration.ofMillis(4900));
    for (ClusterNode node : nodes) {
      assertThat(run(node, level(ConsistencyLevel.ONE), "GET", key)).isEqualTo("$1\r\nv\r\n");
    }
    clock.advance(Duration.ofMillis(200));
    for (ClusterNode node : nodes) {
      assertThat(run(node, level(ConsistencyLevel.ONE), "GET", key)).isEqualTo("$-1\r\n");
    }
  }

  // ------------------------------------------------------------------------------------------

  private final Set<String> dropping = new HashSet<>();

  private void dropMessagesTo(String id) {
    dropping.add(id);
  }

  private void restoreMessagesTo(String id) {
    dropping.remove(id);
  }

  private void takeDown(String id) {
    down.add(id);
    for (ClusterNode node : nodes) {
      if (!node.nodeId().equals(id)) {
        node.onPeerDown(id);
      }
    }
  }

  private void bringUp(String id) {
    down.remove(id);
    for (ClusterNode node : nodes) {
      if (!node.nodeId().equals(id)) {
        node.onPeerUp(id);
      }
    }
    tickAndDeliver();
  }

  private static ClusterSession level(ConsistencyLevel level) {
    return new ClusterSession(level);
  }

  private ClusterNode primaryOf(String key) {
    int primary = rings.current().primaryIndex(Slots.slot(key.getBytes(StandardCharsets.UTF_8)));
    String id = rings.current().member(primary).id();
    return nodes.stream().filter(n -> n.nodeId().equals(id)).findFirst().orElseThrow();
  }

  private ClusterNode nodeThatIsNotPrimaryOf(String key) {
    ClusterNode primary = primaryOf(key);
    return nodes.stream().filter(n -> n != primary && !down.contains(n.nodeId()))
        .findFirst().orElseThrow();
  }

  private String run(ClusterNode node, ClusterSession session, String... words) {
    byte[][] args = new byte[words.length][];
    for (int i = 0; i < words.length; i++) {
      args[i] = words[i].getBytes(StandardCharsets.UTF_8);
    }
    byte[][] keys =
        new LocalCommandExecutor(contexts.get(nodes.indexOf(node))).keys(args);
    boolean write =
        !List.of("GET", "MGET", "TTL", "PTTL", "EXISTS", "STRLEN").contains(words[0]);
    String[] reply = new String[1];
    node.submit(
        new ClusterRequest(args, keys, Slots.slot(keys[0]), write, 2),
        session,
        bytes -> reply[0] = new String(bytes, StandardCharsets.UTF_8));
    deliverAll();
    for (int i = 0; i < 50 && reply[0] == null; i++) {
      clock.advance(Duration.ofMillis(50));
      tickAndDeliver();
    }
    assertThat(reply[0]).as("reply to " + String.join(" ", words)).isNotNull();
    return reply[0];
  }

  private void tickAndDeliver() {
    for (int round = 0; round < 5; round++) {
      for (ClusterNode node : nodes) {
        if (!down.contains(node.nodeId())) {
          node.tick();
        }
      }
      deliverAll();
    }
  }

  private void deliverAll() {
    Object[] next;
    while ((next = inFlight.poll()) != null) {
      String from = (String) next[0];
      String to = (String) next[1];
      if (down.contains(to)
          || down.contains(from)
          || (dropping.contains(to) && ((Envelope) next[2]).body() instanceof Replicate)) {
        continue;
      }
      // Through the wire format, as production does.
      Envelope envelope = PeerCodec.decode(PeerCodec.encode((Envelope) next[2]));
      nodes.stream().filter(n -> n.nodeId().equals(to)).findFirst().orElseThrow()
          .onMessage(from, envelope);
    }
  }

  private final class Outbox implements PeerOutbox {
    private final String self;

    Outbox(String self) {
      this.self = self;
    }

    @Override
    public boolean send(String nodeId, Envelope message) {
      if (!isReachable(nodeId)) {
        return false;
      }
      inFlight.add(new Object[] {self, nodeId, message});
      return true;
    }

    @Override
    public boolean isReachable(String nodeId) {
      return !down.contains(nodeId) && !down.contains(self);
    }
  }
}
