package io.distributedcache.resp.server;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.cluster.ClusterSettings;
import io.distributedcache.core.cluster.PeerOutbox;
import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.PeerCodec;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import io.distributedcache.core.placement.RingPublisher;
import io.distributedcache.resp.cluster.LocalCommandExecutor;
import io.distributedcache.resp.server.ClusterTopology.ClientAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Real {@link RespServer}s on loopback ephemeral ports, each with a real {@link ClusterNode}, joined
 * by an in-process peer network (messages go through the wire codec and are delivered in send
 * order on one thread) and ticked every 10 ms on the real clock: the smallest whole cluster that
 * real Redis Cluster clients can talk to.
 *
 * <p>Each node's {@link ClusterTopology} reports {@link #advertise advertised ring} to clients,
 * which is the placement ring unless a test replaces it: the nodes then redirect clients to the
 * advertised primaries while the data stays where the placement ring put it (any node serves any
 * key by forwarding), which is how a test provokes {@code -MOVED}. Thread-safe where it matters;
 * the test thread owns it.
 */
final class InProcessCluster implements AutoCloseable {

  final RingPublisher rings;
  private final Map<String, NodeContext> contexts = new LinkedHashMap<>();
  private final Map<String, ClusterNode> nodes = new LinkedHashMap<>();
  private final List<RespServer> servers = new ArrayList<>();
  private final Map<String, Integer> clientPorts = new java.util.concurrent.ConcurrentHashMap<>();
  private final ExecutorService network =
      Executors.newSingleThreadExecutor(r -> daemon(r, "in-process-network"));
  private final ScheduledExecutorService ticks =
      Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "in-process-ticks"));
  private volatile ConsistentHashRing advertised;

  /** Starts nodes n1..n{count} with {@code replicationFactor} copies and waits until caught up. */
  InProcessCluster(int count, int replicationFactor) {
    List<Member> members = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      members.add(new Member("n" + i, "127.0.0.1", 17100 + i));
    }
    rings = new RingPublisher(ConsistentHashRing.build(1, members, 150, replicationFactor));
    try {
      for (Member m : members) {
        NodeContext context =
            RespServer.assemble(
                ServerSettings.defaults(),
                SystemClock.INSTANCE,
                SystemClock.INSTANCE,
                new SplittableRandom(m.clusterPort()),
                rings.current().memberIndex(m.id()));
        ClusterNode node =
            new ClusterNode(
                new ClusterSettings(
                    m.id(), Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofSeconds(30)),
                rings,
                context.engine().storage(),
                context.engine().hlc(),
                SystemClock.INSTANCE,
                new Outbox(m.id()),
                new LocalCommandExecutor(context));
        context.cluster(node);
        context.topology(new Topology(m.id()));
        contexts.put(m.id(), context);
        nodes.put(m.id(), node);
      }
      for (Map.Entry<String, NodeContext> e : contexts.entrySet()) {
        RespServer server = new RespServer(e.getValue()).start();
        servers.add(server);
        clientPorts.put(e.getKey(), server.port());
      }
      for (ClusterNode node : nodes.values()) {
        for (String peer : nodes.keySet()) {
          if (!peer.equals(node.nodeId())) {
            node.onPeerUp(peer);
          }
        }
      }
      ticks.scheduleAtFixedRate(
          () -> nodes.values().forEach(ClusterNode::tick), 10, 10, TimeUnit.MILLISECONDS);
      await(
          "every node caught up",
          () -> nodes.values().stream().allMatch(n -> n.slotsNotReady() == 0),
          Duration.ofSeconds(20));
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Polls {@code condition} until it holds, failing with {@code what} after {@code timeout}. */
  static void await(String what, BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  /** The client (RESP) port of member {@code id}. */
  int port(String id) {
    return clientPorts.get(id);
  }

  NodeContext context(String id) {
    return contexts.get(id);
  }

  /** The member ids in order. */
  List<String> ids() {
    return List.copyOf(contexts.keySet());
  }

  /** The ring the nodes report to clients and redirect by; {@code null} means the placement ring. */
  void advertise(ConsistentHashRing ring) {
    this.advertised = ring;
  }

  /** The ring clients are told about now. */
  ConsistentHashRing advertisedRing() {
    ConsistentHashRing ring = advertised;
    return ring != null ? ring : rings.current();
  }

  /** Commands each node has processed so far, by member id. */
  Map<String, Long> commandsProcessed() {
    Map<String, Long> counts = new LinkedHashMap<>();
    contexts.forEach((id, context) -> counts.put(id, context.stats().commandsProcessed()));
    return counts;
  }

  @Override
  public void close() {
    ticks.shutdownNow();
    for (RespServer server : servers) {
      server.close();
    }
    network.shutdownNow();
  }

  private final class Topology implements ClusterTopology {
    private final String self;

    Topology(String self) {
      this.self = self;
    }

    @Override
    public String selfId() {
      return self;
    }

    @Override
    public ConsistentHashRing ring() {
      return advertisedRing();
    }

    @Override
    public ClientAddress clientAddress(String memberId) {
      Integer port = clientPorts.get(memberId);
      return port == null ? null : new ClientAddress("127.0.0.1", port);
    }

    @Override
    public boolean isReachable(String memberId) {
      return true;
    }

    @Override
    public boolean isFailed(String memberId) {
      return false;
    }
  }

  private final class Outbox implements PeerOutbox {
    private final String self;

    Outbox(String self) {
      this.self = self;
    }

    @Override
    public boolean send(String nodeId, Envelope message) {
      ClusterNode to = nodes.get(nodeId);
      if (to == null || network.isShutdown()) {
        return false;
      }
      // Through the wire format, as production does; encoded now, while the sender's state is.
      byte[] frame = PeerCodec.encode(message);
      try {
        network.execute(() -> to.onMessage(self, PeerCodec.decode(frame)));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        return false;
      }
      return true;
    }

    @Override
    public boolean isReachable(String nodeId) {
      return nodes.containsKey(nodeId);
    }
  }
}
