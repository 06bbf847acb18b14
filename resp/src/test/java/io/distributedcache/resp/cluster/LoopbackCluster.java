package io.distributedcache.resp.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.cluster.ClusterRequest;
import io.distributedcache.core.cluster.ClusterSession;
import io.distributedcache.core.cluster.ClusterSettings;
import io.distributedcache.core.cluster.PeerOutbox;
import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.PeerCodec;
import io.distributedcache.core.cluster.message.PeerMessage;
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
import java.util.function.BiPredicate;

/**
 * Cluster nodes wired through an in-memory network that delivers messages in send order, through
 * the wire format, when the test lets time pass: the production node and command code end to end
 * without sockets. Tests can take nodes down and drop chosen messages. One thread; not thread-safe.
 */
final class LoopbackCluster {

  final ManualClock clock = new ManualClock(1_000_000_000L, 1_800_000_000_000L);
  final RingPublisher rings;
  final List<ClusterNode> nodes = new ArrayList<>();
  private final List<NodeContext> contexts = new ArrayList<>();
  private final ArrayDeque<Object[]> inFlight = new ArrayDeque<>();
  private final Set<String> down = new HashSet<>();

  /** Decides, per (receiver, message), whether the network loses it. */
  BiPredicate<String, PeerMessage> lose = (to, message) -> false;

  /** Starts {@code count} nodes n1..n{count} with {@code replicationFactor} copies, caught up. */
  LoopbackCluster(int count, int replicationFactor) {
    List<Member> members = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      members.add(new Member("n" + i, "127.0.0.1", 17000 + i));
    }
    rings = new RingPublisher(ConsistentHashRing.build(1, members, 150, replicationFactor));
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

  ClusterNode node(String id) {
    return nodes.stream().filter(n -> n.nodeId().equals(id)).findFirst().orElseThrow();
  }

  ClusterNode primaryOf(String key) {
    int primary = rings.current().primaryIndex(Slots.slot(key.getBytes(StandardCharsets.UTF_8)));
    return node(rings.current().member(primary).id());
  }

  /** Nodes that hold a copy of {@code key} but are not its primary. */
  List<ClusterNode> replicasOf(String key) {
    ConsistentHashRing ring = rings.current();
    int slot = Slots.slot(key.getBytes(StandardCharsets.UTF_8));
    List<ClusterNode> replicas = new ArrayList<>();
    for (int rank = 1; rank < ring.replicationFactor(); rank++) {
      replicas.add(node(ring.member(ring.preference(slot, rank)).id()));
    }
    return replicas;
  }

  ClusterNode nodeThatIsNotPrimaryOf(String key) {
    ClusterNode primary = primaryOf(key);
    return nodes.stream()
        .filter(n -> n != primary && !down.contains(n.nodeId()))
        .findFirst()
        .orElseThrow();
  }

  void takeDown(String id) {
    down.add(id);
    for (ClusterNode node : nodes) {
      if (!node.nodeId().equals(id)) {
        node.onPeerDown(id);
      }
    }
  }

  void bringUp(String id) {
    down.remove(id);
    for (ClusterNode node : nodes) {
      if (!node.nodeId().equals(id)) {
        node.onPeerUp(id);
      }
    }
    tickAndDeliver();
  }

  /** Runs a command through {@code node} on {@code session} and returns the RESP2 reply. */
  String run(ClusterNode node, ClusterSession session, String... words) {
    byte[][] args = new byte[words.length][];
    for (int i = 0; i < words.length; i++) {
      args[i] = words[i].getBytes(StandardCharsets.UTF_8);
    }
    LocalCommandExecutor executor = new LocalCommandExecutor(contexts.get(nodes.indexOf(node)));
    byte[][] keys = executor.keys(args);
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

  void tickAndDeliver() {
    for (int round = 0; round < 5; round++) {
      for (ClusterNode node : nodes) {
        if (!down.contains(node.nodeId())) {
          node.tick();
        }
      }
      deliverAll();
    }
  }

  /**
   * Queues {@code body} for {@code to} as if its sender were the last one that sent to it: for a
   * test that replaces a message it made the network lose.
   */
  void deliverLater(String to, PeerMessage body) {
    replacements.add(new Object[] {to, body});
  }

  private final ArrayDeque<Object[]> replacements = new ArrayDeque<>();
  private String lastSender;

  void deliverAll() {
    Object[] next;
    while ((next = inFlight.poll()) != null || (next = replacement()) != null) {
      String from = (String) next[0];
      String to = (String) next[1];
      Envelope sent = (Envelope) next[2];
      if (down.contains(to) || down.contains(from) || lose.test(to, sent.body())) {
        lastSender = from;
        continue;
      }
      // Through the wire format, as production does.
      node(to).onMessage(from, PeerCodec.decode(PeerCodec.encode(sent)));
    }
  }

  private Object[] replacement() {
    Object[] next = replacements.poll();
    if (next == null) {
      return null;
    }
    Envelope envelope = new Envelope(rings.current().epoch(), 0, (PeerMessage) next[1]);
    return new Object[] {lastSender, next[0], envelope};
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
