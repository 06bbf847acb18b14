package io.distributedcache.server;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.cluster.ClusterSettings;
import io.distributedcache.core.cluster.PeerInbox;
import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.RingPublisher;
import io.distributedcache.resp.cluster.LocalCommandExecutor;
import io.distributedcache.resp.server.NodeContext;
import io.distributedcache.resp.server.RespServer;
import io.distributedcache.resp.server.ServerSettings;
import io.distributedcache.resp.server.SystemClock;
import io.distributedcache.transport.NettyPeerTransport;
import io.distributedcache.transport.TransportStats;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assembles and runs one cluster member: the ring from the static member list, the node's engine,
 * the cluster state machine, the peer transport and the RESP server, and a ticker thread that
 * drives the state machine's timers.
 *
 * <p>Start order: peer port, then client port, so that a node that says it is ready to accept
 * connections can also be reached by its peers. The node serves the slots it replicates once it
 * has caught up (it logs when); until then requests on them get {@code -TRYAGAIN} or are answered
 * by other replicas.
 */
final class ClusterBoot implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger("distributedcache");
  private static final long TICK_MILLIS = 10;

  private final RespServer server;
  private final NettyPeerTransport transport;
  private final ScheduledExecutorService ticker;
  private final EventLoopGroup loops;

  private ClusterBoot(
      RespServer server,
      NettyPeerTransport transport,
      ScheduledExecutorService ticker,
      EventLoopGroup loops) {
    this.server = server;
    this.transport = transport;
    this.ticker = ticker;
    this.loops = loops;
  }

  /**
   * Starts the member. Blocks until both ports are bound.
   *
   * @throws IllegalStateException if a port cannot be bound
   */
  static ClusterBoot start(ServerSettings settings, ClusterOptions options) {
    ConsistentHashRing ring =
        ConsistentHashRing.build(
            RingPublisher.STATIC_EPOCH,
            options.members(),
            options.virtualNodes(),
            options.replicationFactor());
    RingPublisher rings = new RingPublisher(ring);
    NodeContext node =
        RespServer.assemble(
            settings,
            SystemClock.INSTANCE,
            SystemClock.INSTANCE,
            new SplittableRandom(),
            ring.memberIndex(options.nodeId()));
    node.defaultConsistency(options.consistency());
    InboxRelay relay = new InboxRelay();
    // One set of event loops for clients and peers: a forwarded request and its answer then
    // cross fewer threads, which on a small machine is most of a replicated write's cost.
    EventLoopGroup loops = RespServer.newEventLoopGroup(settings.ioThreads());
    NettyPeerTransport transport =
        NettyPeerTransport.builder(options.self(), options.members(), ring.membershipDigest(), relay)
            .eventLoopGroup(loops)
            .connectTimeout(Duration.ofSeconds(2))
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofSeconds(1))
            .build();
    ClusterNode cluster =
        new ClusterNode(
            new ClusterSettings(
                options.nodeId(),
                options.requestTimeout(),
                Duration.ofSeconds(1),
                options.antiEntropyInterval()),
            rings,
            node.engine().storage(),
            node.engine().hlc(),
            SystemClock.INSTANCE,
            transport,
            new LocalCommandExecutor(node));
    relay.target = cluster;
    node.cluster(cluster);
    node.peerFigures(() -> figures(transport.stats()));
    ScheduledExecutorService ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "cluster-tick");
              t.setDaemon(true);
              return t;
            });
    RespServer server = new RespServer(node, loops);
    try {
      transport.start();
      server.start();
    } catch (RuntimeException e) {
      server.close();
      transport.close();
      ticker.shutdownNow();
      loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      throw e;
    }
    boolean[] announced = new boolean[1];
    ticker.scheduleAtFixedRate(
        () -> {
          try {
            cluster.tick();
            if (!announced[0] && cluster.slotsNotReady() == 0) {
              announced[0] = true;
              log.info(
                  "Caught up: node {} serves its {} slots ({} as primary)",
                  options.nodeId(),
                  ring.replicatedSlotCount(ring.memberIndex(options.nodeId())),
                  ring.primarySlotCount(ring.memberIndex(options.nodeId())));
            }
          } catch (RuntimeException e) {
            log.warn("cluster tick failed", e);
          }
        },
        TICK_MILLIS,
        TICK_MILLIS,
        TimeUnit.MILLISECONDS);
    return new ClusterBoot(server, transport, ticker, loops);
  }

  RespServer server() {
    return server;
  }

  /** Stops the ticker, the client port, the peer port and the event loops, in that order. */
  @Override
  public void close() {
    ticker.shutdownNow();
    server.close();
    transport.close();
    loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static Map<String, Object> figures(TransportStats stats) {
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("peer_messages_sent", stats.messagesSent());
    figures.put("peer_bytes_sent", stats.bytesSent());
    figures.put("peer_messages_received", stats.messagesReceived());
    figures.put("peer_bytes_received", stats.bytesReceived());
    figures.put("peer_messages_dropped", stats.messagesDropped());
    figures.put("peer_reconnects", stats.reconnects());
    figures.put("peer_protocol_errors", stats.protocolErrors());
    return figures;
  }

  /**
   * The transport needs its inbox before the cluster node exists, and the node needs the
   * transport: this relay is built first and pointed at the node before the transport starts.
   */
  private static final class InboxRelay implements PeerInbox {
    volatile ClusterNode target;

    @Override
    public void onMessage(String fromNodeId, Envelope message) {
      target.onMessage(fromNodeId, message);
    }

    @Override
    public void onPeerUp(String nodeId) {
      target.onPeerUp(nodeId);
    }

    @Override
    public void onPeerDown(String nodeId) {
      target.onPeerDown(nodeId);
    }

    @Override
    public void onInboundConnection(String nodeId) {
      target.onInboundConnection(nodeId);
    }
  }
}
