package io.distributedcache.embedded.internal;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.cluster.ClusterSettings;
import io.distributedcache.core.cluster.PeerInbox;
import io.distributedcache.core.cluster.VerifyReport;
import io.distributedcache.core.cluster.message.ControlFrame;
import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.control.ClusterMetadata;
import io.distributedcache.core.control.ControlPlane;
import io.distributedcache.core.control.ControlSettings;
import io.distributedcache.core.control.MetadataCommand;
import io.distributedcache.core.control.NodeRecord;
import io.distributedcache.core.control.NodeState;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import io.distributedcache.core.placement.RingPublisher;
import io.distributedcache.core.placement.StableHash;
import io.distributedcache.raft.FileRaftStorage;
import io.distributedcache.raft.SoftState;
import io.distributedcache.resp.cluster.LocalCommandExecutor;
import io.distributedcache.resp.server.ClusterAdmin;
import io.distributedcache.resp.server.ClusterTopology;
import io.distributedcache.resp.server.NodeContext;
import io.distributedcache.resp.server.RespServer;
import io.distributedcache.resp.server.ServerSettings;
import io.distributedcache.resp.server.SystemClock;
import io.distributedcache.transport.NettyPeerTransport;
import io.distributedcache.transport.PeerTls;
import io.distributedcache.transport.TransportStats;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assembles and runs one cluster member: the control plane (Raft over the peer transport, with
 * its log in the data directory), the node's engine, the cluster state machine, the peer
 * transport, the RESP server, and a ticker thread that drives both state machines' timers.
 *
 * <p>A founder (started with {@code --members}) builds the founding layout from its list, so it
 * serves as soon as it has caught up; the first Raft leader commits that same layout as epoch 1.
 * A joiner (started with {@code --join}) dials its seed, asks to join, and opens its client port
 * once the cluster has accepted it, so no client ever reaches a node that does not know the
 * layout.
 *
 * <p>Start order: peer port, then client port, so that a node that says it is ready to accept
 * connections can also be reached by its peers.
 *
 * <p>The client port is optional: the server always opens one, an embedded node (a {@code
 * CacheNode} inside an application) may run without. Such a node takes part in the cluster like
 * any other (it holds copies, coordinates requests submitted to {@link #cluster()}) and is
 * "serving" once it knows the layout, which {@link #serving()} reports.
 *
 * <p>Used by the server's {@code ServerCommand} and the embedded {@code CacheNode}; public only
 * because they live in other packages.
 */
public final class ClusterBoot implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger("distributedcache");
  private static final long TICK_MILLIS = 10;
  private static final String TICK_THREAD_NAME = "cluster-tick";

  /** How often a node without a client port runs storage maintenance (as RespServer does). */
  private static final long MAINTENANCE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final ServerSettings settings;
  private final ClusterOptions options;
  private final NodeContext node;
  /** The client port's server, or null for an embedded node without one. */
  private final RespServer server;
  private final NettyPeerTransport transport;
  private final ScheduledExecutorService ticker;
  private final EventLoopGroup loops;
  private final FileRaftStorage raftStorage;
  private final Runnable onRemoved;
  private ControlPlane control;
  private volatile ClusterNode cluster;
  private volatile boolean serving;
  private volatile boolean servesAtStart;
  private boolean announcedCaughtUp;
  private boolean pulling;
  private Admin admin;

  /** How often the node checks every copy in the cluster for the health figures. */
  private static final long VERIFY_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(60);

  private long nextVerifyNanos = System.nanoTime() + VERIFY_INTERVAL_NANOS;
  private long nextMaintenanceNanos = System.nanoTime() + MAINTENANCE_INTERVAL_NANOS;
  private final CompletableFuture<Void> servingFuture = new CompletableFuture<>();
  private volatile boolean closed;
  private volatile VerifyReport lastVerify;
  private volatile long lastVerifyAtMillis;

  private ClusterBoot(
      ServerSettings settings,
      ClusterOptions options,
      NodeContext node,
      EventLoopGroup loops,
      NettyPeerTransport transport,
      FileRaftStorage raftStorage,
      boolean serveClients,
      Runnable onRemoved) {
    this.settings = settings;
    this.options = options;
    this.node = node;
    this.loops = loops;
    this.transport = transport;
    this.raftStorage = raftStorage;
    this.onRemoved = onRemoved;
    this.server = serveClients ? new RespServer(node, loops) : null;
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, TICK_THREAD_NAME);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts the member. Blocks until the peer port is bound, and for a founder the client port.
   *
   * @param onRemoved run (once, on the ticking thread) when the cluster removed this node after a
   *     graceful leave: the process should stop
   * @throws IllegalStateException if a port cannot be bound or the data directory not opened
   */
  public static ClusterBoot start(
      ServerSettings settings, ClusterOptions options, Runnable onRemoved) {
    return start(settings, options, true, onRemoved);
  }

  /**
   * Starts the member, with or without a client port. Blocks until the peer port is bound, and
   * for a founder with a client port that port too.
   *
   * @param settings the engine's settings; with {@code serveClients} also the client port's
   * @param serveClients whether to open the client (RESP) port of {@code settings}
   * @param onRemoved run (once, on the ticking thread) when the cluster removed this node after a
   *     graceful leave
   * @throws IllegalStateException if a port cannot be bound or the data directory not opened
   */
  public static ClusterBoot start(
      ServerSettings settings,
      ClusterOptions options,
      boolean serveClients,
      Runnable onRemoved) {
    Member self = options.self();
    LogContext.nodeId(options.nodeId());
    ConsistentHashRing founding =
        options.founder()
            ? ConsistentHashRing.build(
                RingPublisher.STATIC_EPOCH,
                options.members(),
                options.virtualNodes(),
                options.replicationFactor())
            : null;
    // Version stamps carry a 10-bit node index so that two primaries never stamp the same
    // version. Founders use their place in the founding list (distinct by construction); a
    // joiner takes bits of its id's stable hash, which can collide, but only a tie between two
    // primaries of the same key within one millisecond would notice.
    int hlcIndex =
        founding != null
            ? founding.memberIndex(options.nodeId())
            : (int) (StableHash.utf8(options.nodeId()) & 0x3ff);
    NodeContext node =
        RespServer.assemble(
            settings, SystemClock.INSTANCE, SystemClock.INSTANCE, new SplittableRandom(), hlcIndex);
    node.defaultConsistency(options.consistency());
    InboxRelay relay = new InboxRelay();
    // One set of event loops for clients and peers: a forwarded request and its answer then
    // cross fewer threads, which on a small machine is most of a replicated write's cost.
    ClusterOptions.PeerSecurity security = options.security();
    PeerTls peerTls;
    try {
      // Read before any thread starts, so that a bad certificate fails the start cleanly.
      peerTls =
          security.tls()
              ? PeerTls.fromPem(
                  security.tlsCertFile(), security.tlsKeyFile(), security.tlsCaCertFile())
              : null;
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    EventLoopGroup loops = RespServer.newEventLoopGroup(settings.ioThreads());
    NettyPeerTransport.Builder transportBuilder =
        NettyPeerTransport.builder(self, options.clusterName(), relay);
    if (!security.clusterSecret().isEmpty()) {
      transportBuilder.clusterSecret(security.clusterSecret().getBytes(StandardCharsets.UTF_8));
    }
    if (peerTls != null) {
      transportBuilder.tls(peerTls.server(), peerTls.client());
    }
    if (options.clusterBindPort() != 0) {
      transportBuilder.bindPort(options.clusterBindPort());
    }
    NettyPeerTransport transport =
        transportBuilder
            .members(options.members())
            .bootstrapDigest(founding == null ? 0 : founding.membershipDigest())
            .eventLoopGroup(loops)
            .connectTimeout(Duration.ofSeconds(2))
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofSeconds(1))
            .build();
    FileRaftStorage raftStorage;
    try {
      raftStorage = FileRaftStorage.open(options.dataDir().resolve("raft"));
    } catch (UncheckedIOException | IllegalArgumentException e) {
      loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      throw new IllegalStateException(
          "cannot open the data directory " + options.dataDir() + ": " + e.getMessage(), e);
    }
    ClusterBoot boot =
        new ClusterBoot(
            settings, options, node, loops, transport, raftStorage, serveClients, onRemoved);
    relay.boot = boot;
    boot.control =
        new ControlPlane(
            ControlSettings.defaults(
                self,
                // 0: no client port to announce; CLUSTER SLOTS/NODES then leave the node out
                // of the addresses they give Redis Cluster clients.
                serveClients ? settings.port() : 0,
                options.members(),
                options.replicationFactor(),
                options.virtualNodes(),
                options.failureTimeout()),
            raftStorage,
            new SplittableRandom(),
            SystemClock.INSTANCE,
            transport,
            boot::onMetadata);
    boot.control.localCopies(
        new ControlPlane.LocalCopies() {
          @Override
          public boolean allReady() {
            ClusterNode c = boot.cluster;
            return c != null && c.slotsNotReady() == 0;
          }

          @Override
          public boolean movesDone(long epoch) {
            ClusterNode c = boot.cluster;
            return c != null && c.movesDone(epoch);
          }
        });
    node.topology(boot.new Topology());
    boot.admin = boot.new Admin();
    node.admin(boot.admin);
    node.peerFigures(() -> boot.figures(transport.stats()));
    if (founding != null) {
      boot.createClusterNode(founding, null);
    }
    // A founder that restarts (its Raft log is not empty) may have missed any number of layout
    // changes: like a joiner, it opens its client port once it has applied the cluster's current
    // metadata, so that no client waits on a node still on epoch 1.
    boot.servesAtStart =
        founding != null && raftStorage.entries().isEmpty() && raftStorage.snapshot().isEmpty();
    try {
      transport.start();
      if (boot.servesAtStart) {
        boot.startServing();
      } else if (founding != null) {
        log.info("Restarted: the client port opens once this node has caught up on the layout");
      } else {
        transport.dial(ClusterOptions.seedHost(options.joinSeed()), ClusterOptions.seedPort(options.joinSeed()));
        log.info("Joining through {} as {}", options.joinSeed(), self);
      }
    } catch (RuntimeException e) {
      boot.close();
      throw e;
    }
    boot.ticker.scheduleAtFixedRate(boot::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    return boot;
  }

  /** The client port's server; null for a node started without a client port. */
  public RespServer server() {
    return server;
  }

  /** The node's engine, settings and stats, shared with the client port's server if any. */
  public NodeContext node() {
    return node;
  }

  /**
   * The cluster side of this node, or null until it exists: a joiner gets it once the cluster has
   * accepted it. Requests go through {@link ClusterNode#submit} once {@link #serving()} is done.
   */
  public ClusterNode cluster() {
    return cluster;
  }

  /**
   * The ring in force: the cluster node's, or before it exists (a joiner not accepted yet) the
   * applied metadata's; null while there is none.
   */
  public ConsistentHashRing ring() {
    ClusterNode c = cluster;
    if (c != null) {
      return c.ring();
    }
    ClusterMetadata m = control.metadata();
    return m.isBootstrapped() ? m.ring() : null;
  }

  /** This node's options. */
  public ClusterOptions options() {
    return options;
  }

  /**
   * Completes (on the ticking or the starting thread) once the node knows the cluster's layout:
   * when a client port would open. Never completes exceptionally; {@link #close} leaves it as is.
   */
  public CompletableFuture<Void> serving() {
    return servingFuture;
  }

  /** The peer transport's counters. */
  public TransportStats transportStats() {
    return transport.stats();
  }

  /** Whether {@code memberId} is this node or its peer link to it is up. */
  public boolean isReachable(String memberId) {
    return memberId.equals(options.nodeId()) || transport.isReachable(memberId);
  }

  /**
   * What {@code INFO cluster} shows: the control plane's figures (Raft, epoch, members, rebalance,
   * last verification) and the peer transport's counters. Any thread.
   */
  public Map<String, Object> figures() {
    return figures(transport.stats());
  }

  /**
   * Checks every copy in the cluster ({@code CLUSTER VERIFY}); {@code done} runs once, on a
   * transport or the ticking thread. Never blocks.
   */
  public void verify(Consumer<VerifyReport> done) {
    admin.verify(done);
  }

  /**
   * Whether the calling thread is one of this node's event loops or its ticking thread, where a
   * blocking call would hold up the very threads that must answer it.
   */
  public boolean onNodeThread() {
    if (Thread.currentThread().getName().equals(TICK_THREAD_NAME)) {
      return true;
    }
    for (EventExecutor loop : loops) {
      if (loop.inEventLoop()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the client port opened during {@link #start}; otherwise (a joiner, a restarted
   * founder) it opens, and the node logs "Ready to accept connections", once it knows the layout.
   */
  public boolean servesAtStart() {
    return servesAtStart;
  }

  /**
   * Stops the ticker, the client port, the peer port and the event loops, in that order. Blocks
   * up to a few seconds for the event loops; idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    ticker.shutdownNow();
    try {
      ticker.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (server != null) {
      server.close();
    }
    transport.close();
    loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    raftStorage.close();
  }

  // ------------------------------------------------------------------------------------------
  // The ticking thread

  private void tick() {
    try {
      control.tick();
      ClusterNode c = cluster;
      if (c != null && !serving && control.raftState().leaderId() != null
          && control.metadata().isBootstrapped()
          && control.metadata().node(options.nodeId()) != null) {
        // A restarted founder: it heard from a leader, so what it applied is current.
        startServing();
      }
      if (c != null) {
        c.tick();
        if (!announcedCaughtUp && c.slotsNotReady() == 0) {
          announcedCaughtUp = true;
          ConsistentHashRing ring = c.ring();
          int self = ring.memberIndex(options.nodeId());
          if (self >= 0) {
            log.info(
                "Caught up: node {} serves its {} slots ({} as primary)",
                options.nodeId(),
                ring.replicatedSlotCount(self),
                ring.primarySlotCount(self));
          }
        }
        long now = System.nanoTime();
        if (now - nextVerifyNanos >= 0) {
          nextVerifyNanos = now + VERIFY_INTERVAL_NANOS;
          c.verify(
              report -> {
                lastVerify = report;
                lastVerifyAtMillis = System.currentTimeMillis();
              });
        }
        if (server == null && now - nextMaintenanceNanos >= 0) {
          // RespServer runs this on its event loop; without one the ticking thread does.
          nextMaintenanceNanos = now + MAINTENANCE_INTERVAL_NANOS;
          node.engine().storage().runMaintenance();
        }
        if (c.pullsPending() > 0) {
          pulling = true;
        } else if (pulling) {
          pulling = false;
          log.info("Pulled every slot this rebalance gives node {}", options.nodeId());
        }
      }
    } catch (RuntimeException e) {
      log.warn("cluster tick failed", e);
    }
  }

  /** The control plane applied new metadata: follow it. On the ticking thread. */
  private void onMetadata(ClusterMetadata previous, ClusterMetadata next) {
    if (!next.isBootstrapped()) {
      return;
    }
    LogContext.epoch(next.epoch());
    logChanges(previous, next);
    followPeers(next);
    NodeRecord me = next.node(options.nodeId());
    ClusterNode c = cluster;
    if (c == null) {
      if (me == null) {
        return; // our join is not applied yet
      }
      // A joiner: start from an empty layout of its own so that installing the cluster's
      // marks what it must pull.
      createClusterNode(
          ConsistentHashRing.build(0, List.of(options.self()), options.virtualNodes(), 1), next);
      startServing();
      return;
    }
    c.installLayout(next.ring(), next.targetRing(), newlyFailed(previous, next));
    if (me == null && previous.isBootstrapped() && previous.node(options.nodeId()) != null) {
      log.info("Node {} left the cluster at epoch {}", options.nodeId(), next.epoch());
      onRemoved.run();
    }
  }

  /** Whether {@code next} is the first metadata in which this node is failed over. */
  private boolean newlyFailed(ClusterMetadata previous, ClusterMetadata next) {
    NodeRecord now = next.node(options.nodeId());
    NodeRecord before = previous.isBootstrapped() ? previous.node(options.nodeId()) : null;
    return now != null
        && now.state() == NodeState.FAILED
        && (before == null || before.state() != NodeState.FAILED);
  }

  private void createClusterNode(ConsistentHashRing initial, ClusterMetadata metadata) {
    ClusterNode c =
        new ClusterNode(
            new ClusterSettings(
                options.nodeId(),
                options.requestTimeout(),
                Duration.ofSeconds(1),
                options.antiEntropyInterval()),
            new RingPublisher(initial),
            node.engine().storage(),
            node.engine().hlc(),
            SystemClock.INSTANCE,
            transport,
            new LocalCommandExecutor(node));
    ControlPlane plane = control;
    c.writeLease(() -> plane == null || plane.inMajorityContact());
    if (metadata != null) {
      c.installLayout(metadata.ring(), metadata.targetRing());
    }
    cluster = c;
    node.cluster(c);
  }

  private void startServing() {
    if (!serving) {
      serving = true;
      if (server == null) {
        log.info(
            "Node {} knows the cluster's layout and serves the embedded API (no client port)",
            options.nodeId());
        servingFuture.complete(null);
        return;
      }
      server.start();
      servingFuture.complete(null);
      if (!servesAtStart) {
        log.info(
            "Ready to accept connections tcp bind={} port={} pid={} node-id={} cluster-port={}"
                + " (knows the cluster's layout)",
            settings.bindAddress(),
            server.port(),
            ProcessHandle.current().pid(),
            options.nodeId(),
            options.clusterPort());
      }
    }
  }

  /** Dials members the metadata names, forgets those it no longer does. */
  private void followPeers(ClusterMetadata next) {
    Set<String> known = transport.peers();
    for (NodeRecord record : next.nodes()) {
      if (!record.id().equals(options.nodeId())) {
        transport.addPeer(record.member());
      }
    }
    for (String id : known) {
      if (next.node(id) == null && !control.raftMembership().contains(id)) {
        transport.removePeer(id);
      }
    }
  }

  private void logChanges(ClusterMetadata previous, ClusterMetadata next) {
    if (previous.epoch() == next.epoch()) {
      return;
    }
    List<String> states = new ArrayList<>();
    for (NodeRecord r : next.nodes()) {
      states.add(r.id() + "=" + r.state().name().toLowerCase(java.util.Locale.ROOT));
    }
    log.info(
        "Epoch {}: {}{}",
        next.epoch(),
        String.join(" ", states),
        next.inTransition() ? " (rebalancing; to pull: " + next.pendingMoves() + ")" : "");
  }

  // ------------------------------------------------------------------------------------------
  // Views for the RESP layer

  Map<String, Object> figures(TransportStats stats) {
    Map<String, Object> figures = new LinkedHashMap<>(admin.figures());
    figures.put("peer_messages_sent", stats.messagesSent());
    figures.put("peer_bytes_sent", stats.bytesSent());
    figures.put("peer_messages_received", stats.messagesReceived());
    figures.put("peer_bytes_received", stats.bytesReceived());
    figures.put("peer_messages_dropped", stats.messagesDropped());
    figures.put("peer_reconnects", stats.reconnects());
    figures.put("peer_protocol_errors", stats.protocolErrors());
    figures.put("peer_strangers_accepted", stats.strangersAccepted());
    figures.put("peer_auth_failures", stats.authFailures());
    return figures;
  }

  /** What {@code CLUSTER SLOTS} and friends report, from the applied metadata. */
  private final class Topology implements ClusterTopology {
    @Override
    public String selfId() {
      return options.nodeId();
    }

    @Override
    public ConsistentHashRing ring() {
      ClusterNode c = cluster;
      return c != null ? c.ring() : control.metadata().ring();
    }

    @Override
    public ClientAddress clientAddress(String memberId) {
      if (memberId.equals(options.nodeId())) {
        return server == null ? null : new ClientAddress(options.self().host(), server.port());
      }
      ClusterMetadata m = control.metadata();
      NodeRecord record = m.isBootstrapped() ? m.node(memberId) : null;
      return record == null || record.clientPort() == 0
          ? null
          : new ClientAddress(record.host(), record.clientPort());
    }

    @Override
    public boolean isReachable(String memberId) {
      return memberId.equals(options.nodeId()) || transport.isReachable(memberId);
    }

    @Override
    public boolean isFailed(String memberId) {
      ClusterMetadata m = control.metadata();
      NodeRecord record = m.isBootstrapped() ? m.node(memberId) : null;
      return record != null && record.state() == NodeState.FAILED;
    }
  }

  /** CLUSTER LEAVE, CLUSTER VERIFY and the control plane's figures. */
  private final class Admin implements ClusterAdmin {
    @Override
    public String leave(String memberId) {
      ClusterMetadata m = control.metadata();
      if (!m.isBootstrapped()) {
        return "the cluster has no layout yet";
      }
      MetadataCommand.Leave leave = new MetadataCommand.Leave(memberId);
      // The same deterministic rules run on every node, so the local metadata predicts the
      // verdict (short of a change racing this one).
      if (m.apply(leave) instanceof ClusterMetadata.Result.Rejected r) {
        return r.reason();
      }
      control.submit(leave);
      return null;
    }

    @Override
    public void verify(Consumer<VerifyReport> done) {
      ClusterNode c = cluster;
      if (c == null) {
        done.accept(new VerifyReport(0, 0, List.of(options.nodeId()), 0, 0, 0, 0,
            List.of("this node is not a member yet")));
        return;
      }
      c.verify(
          report -> {
            lastVerify = report;
            lastVerifyAtMillis = System.currentTimeMillis();
            done.accept(report);
          });
    }

    @Override
    public Map<String, Object> figures() {
      Map<String, Object> f = new LinkedHashMap<>();
      SoftState raft = control.raftState();
      ClusterMetadata m = control.metadata();
      f.put("raft_role", raft.role().name().toLowerCase(java.util.Locale.ROOT));
      f.put("raft_term", raft.term());
      f.put("raft_leader", raft.leaderId() == null ? "" : raft.leaderId());
      f.put("raft_commit_index", control.commitIndex());
      f.put("raft_voters", String.join(",", control.raftMembership().voters()));
      f.put("raft_learners", String.join(",", control.raftMembership().learners()));
      f.put("ring_epoch", m.epoch());
      int active = 0;
      int failed = 0;
      int joining = 0;
      int leaving = 0;
      for (NodeRecord r : m.nodes()) {
        switch (r.state()) {
          case ACTIVE -> active++;
          case FAILED -> failed++;
          case JOINING -> joining++;
          case LEAVING -> leaving++;
        }
      }
      f.put("members_active", active);
      f.put("members_failed", failed);
      f.put("members_joining", joining);
      f.put("members_leaving", leaving);
      f.put("rebalance_in_progress", m.isBootstrapped() && m.inTransition() ? 1 : 0);
      f.put("rebalance_nodes_pulling", m.isBootstrapped() ? m.pendingMoves().size() : 0);
      ClusterNode c = cluster;
      f.put("rebalance_slots_to_pull_here", c == null ? 0 : c.pullsPending());
      f.put("rebalance_slots_pulled", c == null ? 0 : c.stats().slotsPulled.sum());
      f.put("rebalance_keys_pulled", c == null ? 0 : c.stats().keysPulled.sum());
      f.put("rebalance_keys_dropped", c == null ? 0 : c.stats().keysDropped.sum());
      f.put("failovers_proposed", control.failoversProposed());
      // The last periodic CLUSTER VERIFY (every minute), so health checks see misplaced or missing
      // copies without running one.
      VerifyReport v = lastVerify;
      f.put("verify_last_result", v == null ? "none" : v.healthy() ? "ok" : "problems");
      f.put("verify_last_age_seconds",
          v == null ? -1 : (System.currentTimeMillis() - lastVerifyAtMillis) / 1000);
      f.put("verify_copies_missing", v == null ? 0 : v.missing());
      f.put("verify_slots_stale", v == null ? 0 : v.stale());
      f.put("verify_copies_misplaced", v == null ? 0 : v.misplaced());
      return f;
    }
  }

  /**
   * The transport needs its inbox before the cluster node exists (a joiner has none until the
   * cluster accepted it): control frames go to the control plane, the rest to the node once it
   * exists.
   */
  private static final class InboxRelay implements PeerInbox {
    volatile ClusterBoot boot;

    @Override
    public void onMessage(String fromNodeId, Envelope message) {
      ClusterBoot b = boot;
      if (b == null) {
        return;
      }
      if (message.body() instanceof ControlFrame frame) {
        b.control.onControlFrame(fromNodeId, frame);
        return;
      }
      ClusterNode c = b.cluster;
      if (c != null) {
        c.onMessage(fromNodeId, message);
      }
    }

    @Override
    public void onPeerUp(String nodeId) {
      ClusterBoot b = boot;
      if (b == null) {
        return;
      }
      b.control.onPeerUp(nodeId);
      ClusterNode c = b.cluster;
      if (c != null) {
        c.onPeerUp(nodeId);
      }
    }

    @Override
    public void onPeerDown(String nodeId) {
      ClusterBoot b = boot;
      ClusterNode c = b == null ? null : b.cluster;
      if (c != null) {
        c.onPeerDown(nodeId);
      }
    }

    @Override
    public void onInboundConnection(String nodeId) {
      ClusterBoot b = boot;
      ClusterNode c = b == null ? null : b.cluster;
      if (c != null) {
        c.onInboundConnection(nodeId);
      }
    }
  }
}
