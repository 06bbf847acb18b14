package io.distributedcache.embedded;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.cluster.ClusterRequest;
import io.distributedcache.core.cluster.ClusterSession;
import io.distributedcache.core.invalidation.InvalidationManager;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import io.distributedcache.core.placement.RingPublisher;
import io.distributedcache.core.storage.CacheStorage;
import io.distributedcache.embedded.internal.ClusterBoot;
import io.distributedcache.resp.cluster.LocalCommandExecutor;
import io.distributedcache.resp.command.CommandKeys;
import io.distributedcache.resp.command.CommandSpec;
import io.distributedcache.resp.server.NodeContext;
import io.distributedcache.resp.server.RespServer;
import io.distributedcache.resp.server.ServerSettings;
import io.distributedcache.resp.server.SystemClock;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A running cache node inside this JVM: the same node the server runs (storage, engine, and in a
 * cluster the control plane, replication and peer port), with an optional client (RESP) port, and
 * its parts for Java code: {@link #storage()}, {@link #ring()}, {@link #ttlManager()}, {@link
 * #replicationManager()} and {@link #consistencyChecker()}. {@link DistributedCache} is the typed
 * API on top.
 *
 * <p>Lifecycle: {@link #start} binds the ports and returns; a founder serves at once, a joiner (and
 * a restarted founder) once it knows the cluster's layout ({@link #awaitReady}). Requests made
 * before wait for that within their timeout. {@link #close} stops everything and frees the ports.
 *
 * <p>Threading: every method is thread-safe. Blocking calls (here and in the managers and caches)
 * must not run on the node's own threads (its Netty event loops and its ticking thread): they
 * would wait for the thread that has to answer them, so they throw {@link IllegalStateException}
 * there. Futures of the async calls complete on the node's callback threads ({@code
 * cache-callback-<nodeId>-N}), never on an event loop, so callbacks may block.
 */
public final class CacheNode implements AutoCloseable {

  /** Replies come as RESP3: nulls, booleans and maps keep their types. */
  static final int PROTOCOL = 3;

  private final NodeConfig config;
  private final NodeContext context;
  private final ClusterBoot boot;
  private final RespServer standaloneServer;
  private final EventLoopGroup standaloneLoops;
  private final ScheduledExecutorService standaloneMaintenance;
  private final LocalCommandExecutor local;
  private final ExecutorService callbacks;
  private final Set<CompletableFuture<byte[]>> pending = ConcurrentHashMap.newKeySet();
  private final TtlManager ttlManager;
  private final ReplicationManager replicationManager;
  private final ConsistencyChecker consistencyChecker;
  private volatile ConsistentHashRing standaloneRing;
  private volatile boolean closed;
  private volatile boolean removed;

  private CacheNode(
      NodeConfig config,
      NodeContext context,
      ClusterBoot boot,
      RespServer standaloneServer,
      EventLoopGroup standaloneLoops,
      ScheduledExecutorService standaloneMaintenance) {
    this.config = config;
    this.context = context;
    this.boot = boot;
    this.standaloneServer = standaloneServer;
    this.standaloneLoops = standaloneLoops;
    this.standaloneMaintenance = standaloneMaintenance;
    this.local = new LocalCommandExecutor(context);
    AtomicInteger threadNumber = new AtomicInteger();
    String prefix = "cache-callback-" + config.nodeId() + "-";
    this.callbacks =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, prefix + threadNumber.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.ttlManager = new TtlManager(this);
    this.replicationManager = new ReplicationManager(this);
    this.consistencyChecker = new ConsistencyChecker(this);
  }

  /**
   * Starts a node. Blocks until its ports are bound (and, for a founder, a few milliseconds of
   * setup); does not wait for the cluster: see {@link #awaitReady}.
   *
   * @throws IllegalStateException if a port cannot be bound or the data directory not opened
   */
  public static CacheNode start(NodeConfig config) {
    ServerSettings settings = config.serverSettings();
    if (!config.standalone()) {
      CacheNode[] self = new CacheNode[1];
      ClusterBoot boot =
          ClusterBoot.start(
              settings,
              config.clusterOptions(),
              config.clientPort().isPresent(),
              () -> {
                CacheNode n = self[0];
                if (n != null) {
                  n.removed = true;
                }
              });
      CacheNode node = new CacheNode(config, boot.node(), boot, null, null, null);
      self[0] = node;
      return node;
    }
    NodeContext context =
        RespServer.assemble(
            settings, SystemClock.INSTANCE, SystemClock.INSTANCE, new SplittableRandom(), 0);
    context.defaultConsistency(config.defaultConsistency());
    if (config.clientPort().isPresent()) {
      // Our own loops, so that blocking calls can tell when they run on one.
      EventLoopGroup loops = RespServer.newEventLoopGroup(config.ioThreads());
      RespServer server = new RespServer(context, loops);
      try {
        server.start();
      } catch (RuntimeException e) {
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        throw e;
      }
      return new CacheNode(config, context, null, server, loops, null);
    }
    // Without a server, expired and evicted entries are cleaned up here, as RespServer does.
    ScheduledExecutorService maintenance =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "storage-maintenance-" + config.nodeId());
              t.setDaemon(true);
              return t;
            });
    maintenance.scheduleAtFixedRate(
        () -> context.engine().storage().runMaintenance(), 100, 100, TimeUnit.MILLISECONDS);
    return new CacheNode(config, context, null, null, null, maintenance);
  }

  /** The settings this node runs with. */
  public NodeConfig config() {
    return config;
  }

  /** This node's id. */
  public String nodeId() {
    return config.nodeId();
  }

  /** Whether the node runs alone (no cluster). */
  public boolean isStandalone() {
    return boot == null;
  }

  /** The bound client (RESP) port, or empty when the node has none. */
  public OptionalInt clientPort() {
    RespServer server = boot != null ? boot.server() : standaloneServer;
    return server == null ? OptionalInt.empty() : OptionalInt.of(server.port());
  }

  /** The peer port; 0 for a standalone node. */
  public int clusterPort() {
    return boot == null ? 0 : config.clusterPort();
  }

  /** Whether the node knows the cluster's layout and serves requests (always, standalone). */
  public boolean isReady() {
    return boot == null || boot.serving().isDone();
  }

  /**
   * Waits until the node serves requests: at once for a standalone node or a new founder; for a
   * joiner once the cluster accepted it, for a restarted founder once it heard from a leader.
   *
   * @throws CacheTimeoutException if that takes longer than {@code timeout}
   * @throws IllegalStateException on one of the node's own threads
   */
  public void awaitReady(Duration timeout) {
    if (boot == null) {
      return;
    }
    checkBlockingAllowed();
    try {
      boot.serving().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new CacheTimeoutException(
          "", "node " + nodeId() + " did not learn the cluster's layout within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CacheException("interrupted while waiting for the cluster", e);
    } catch (ExecutionException e) {
      throw translate(e.getCause());
    }
  }

  /** Whether the cluster removed this node after it left; it then only forwards requests. */
  public boolean isRemoved() {
    return removed;
  }

  /** The node's local store (this node's copies only; reads through it bypass the cluster). */
  public CacheStorage storage() {
    return context.engine().storage();
  }

  /**
   * The ring in force now: which members hold which slots. A standalone node's has itself as the
   * only member, with one copy (its cluster port there is a placeholder: nothing listens).
   *
   * @throws ClusterUnavailableException if a joining node has no layout yet
   */
  public ConsistentHashRing ring() {
    if (boot == null) {
      ConsistentHashRing ring = standaloneRing;
      if (ring == null) {
        ring =
            ConsistentHashRing.build(
                RingPublisher.STATIC_EPOCH,
                List.of(new Member(nodeId(), config.host(), 1)),
                config.virtualNodes(),
                1);
        standaloneRing = ring;
      }
      return ring;
    }
    ConsistentHashRing ring = boot.ring();
    if (ring == null) {
      throw new ClusterUnavailableException(
          "", "node " + nodeId() + " has no cluster layout yet (still joining)", null);
    }
    return ring;
  }

  /** TTLs of keys, through the cluster. */
  /**
   * The node's invalidation hub (the seed's {@code InvalidationManager}): subscribe to hear of
   * every change to a key this node learns of, cluster-wide, and invalidate keys, prefixes or
   * everything on every copy.
   */
  public InvalidationManager invalidationManager() {
    return context.invalidations();
  }

  public TtlManager ttlManager() {
    return ttlManager;
  }

  /** Where keys live and how replication is doing. */
  public ReplicationManager replicationManager() {
    return replicationManager;
  }

  /** Reads and writes at a chosen level, and verification of every copy. */
  public ConsistencyChecker consistencyChecker() {
    return consistencyChecker;
  }

  /**
   * Stops the node: pending requests fail with {@link ClusterUnavailableException}, then the
   * ticker, the client port, the peer port and the event loops stop, and the data directory is
   * released. Blocks up to a few seconds. Idempotent. Peers see this node as unreachable (its
   * slots fail over after the failure timeout); it does not leave the cluster.
   *
   * @throws IllegalStateException on one of the node's own threads
   */
  @Override
  public void close() {
    checkBlockingAllowed();
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    for (CompletableFuture<byte[]> f : pending) {
      f.completeExceptionally(closedException());
    }
    try {
      if (boot != null) {
        boot.close();
      } else {
        if (standaloneServer != null) {
          standaloneServer.close();
          standaloneLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (standaloneMaintenance != null) {
          standaloneMaintenance.shutdownNow();
        }
      }
    } finally {
      callbacks.shutdown();
    }
  }

  @Override
  public String toString() {
    return "CacheNode{" + nodeId() + (closed ? ", closed" : "") + ", " + config + "}";
  }

  // ------------------------------------------------------------------------------------------
  // Requests (for the managers and caches of this package)

  /** The node's engine and settings. */
  NodeContext context() {
    return context;
  }

  /** The cluster side, or null when standalone or not a member yet. */
  ClusterNode clusterNode() {
    return boot == null ? null : boot.cluster();
  }

  ClusterBoot boot() {
    return boot;
  }

  /**
   * Runs one keyed command as {@code session}: on the local engine when standalone, else through
   * the cluster once the node is ready, as a RESP connection's command is. Never blocks. The
   * future completes, on any thread, with the reply bytes (errors are replies), or exceptionally
   * with a {@link TimeoutException} after the request timeout or a {@link
   * ClusterUnavailableException} when the node closes.
   *
   * @throws IllegalArgumentException for an unknown command, a wrong argument count, or keys in
   *     different slots
   */
  CompletableFuture<byte[]> execute(byte[][] args, ClusterSession session) {
    CommandSpec spec = args.length == 0 ? null : context.commands().lookup(args[0]);
    if (spec == null || !spec.arityAccepts(args.length)) {
      throw new IllegalArgumentException(
          "not a command this node runs: "
              + (args.length == 0 ? "(empty)" : new String(args[0], StandardCharsets.UTF_8))
              + " with "
              + (args.length - 1)
              + " arguments");
    }
    CompletableFuture<byte[]> reply = new CompletableFuture<>();
    if (closed) {
      reply.completeExceptionally(closedException());
      return reply;
    }
    if (boot == null) {
      byte[] bytes = local.execute(args, PROTOCOL);
      if (CommandKeys.writes(spec) && (bytes.length == 0 || bytes[0] != '-')) {
        // In a cluster the primary announces its writes; alone, this node does.
        context.announceStandaloneWrite(CommandKeys.of(spec, args), 0);
      }
      reply.complete(bytes);
      return reply;
    }
    byte[][] keys = CommandKeys.of(spec, args);
    if (keys.length == 0) {
      throw new IllegalArgumentException(spec.name() + " has no key: the cluster runs keyed commands");
    }
    int slot = Slots.slot(keys[0]);
    for (int i = 1; i < keys.length; i++) {
      if (Slots.slot(keys[i]) != slot) {
        throw new IllegalArgumentException("CROSSSLOT keys in request don't hash to the same slot");
      }
    }
    ClusterRequest request =
        new ClusterRequest(args, keys, slot, CommandKeys.writes(spec), PROTOCOL);
    pending.add(reply);
    reply.whenComplete((r, e) -> pending.remove(reply));
    reply.orTimeout(config.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
    if (closed) { // close() may have swept pending before the add
      reply.completeExceptionally(closedException());
      return reply;
    }
    // Runs at once when the node serves already; else on the thread that makes it serve.
    boot.serving()
        .thenRun(
            () -> {
              if (reply.isDone()) {
                return; // timed out while the node was joining, or closed
              }
              try {
                boot.cluster().submit(request, session, reply::complete);
              } catch (RuntimeException e) {
                reply.completeExceptionally(e);
              }
            });
    return reply;
  }

  /**
   * Waits for {@code reply} on the caller's thread.
   *
   * @throws CacheException (a subclass) if it failed, timed out or the wait was interrupted
   * @throws IllegalStateException on one of the node's own threads
   */
  byte[] await(CompletableFuture<byte[]> reply) {
    if (!reply.isDone()) {
      checkBlockingAllowed();
    }
    try {
      return reply.get();
    } catch (ExecutionException e) {
      throw translate(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CacheException("interrupted while waiting for the cluster", e);
    }
  }

  /**
   * A future of {@code convert} applied to {@code reply}'s bytes, completed on a callback thread
   * (so that callers' continuations never run on an event loop).
   */
  <T> CompletableFuture<T> deliver(CompletableFuture<byte[]> reply, Function<byte[], T> convert) {
    CompletableFuture<T> result = new CompletableFuture<>();
    reply.whenComplete(
        (bytes, error) -> {
          Runnable task =
              () -> {
                try {
                  if (error != null) {
                    throw translate(error);
                  }
                  result.complete(convert.apply(bytes));
                } catch (RuntimeException e) {
                  result.completeExceptionally(e);
                }
              };
          runCallback(task);
        });
    return result;
  }

  /** Runs {@code task} on a callback thread, or here once the node is closed. */
  void runCallback(Runnable task) {
    try {
      callbacks.execute(task);
    } catch (RejectedExecutionException e) {
      task.run(); // closed: nothing may block any more, so any thread will do
    }
  }

  /** The exception a failed request's future carries, as the API throws it. */
  CacheException translate(Throwable error) {
    Throwable t = error;
    while (t instanceof CompletionException || t instanceof ExecutionException) {
      if (t.getCause() == null) {
        break;
      }
      t = t.getCause();
    }
    if (t instanceof CacheException e) {
      return e;
    }
    if (t instanceof TimeoutException) {
      return new CacheTimeoutException(
          "",
          "no answer within the request timeout of "
              + config.requestTimeout()
              + (isReady() ? "" : " (node " + nodeId() + " has not joined the cluster yet)")
              + "; a write's outcome is unknown",
          t);
    }
    return new CacheException("", "request failed: " + t, t);
  }

  /** Throws on the node's own threads, where waiting would hold up the answer. */
  void checkBlockingAllowed() {
    boolean onNodeThread = boot != null && boot.onNodeThread();
    if (!onNodeThread && standaloneLoops != null) {
      for (EventExecutor loop : standaloneLoops) {
        onNodeThread |= loop.inEventLoop();
      }
    }
    if (onNodeThread) {
      throw new IllegalStateException(
          "blocking cache call on " + Thread.currentThread().getName()
              + ", one of node " + nodeId() + "'s own threads: use the async variant");
    }
  }

  private ClusterUnavailableException closedException() {
    return new ClusterUnavailableException("", "node " + nodeId() + " is closed", null);
  }
}
