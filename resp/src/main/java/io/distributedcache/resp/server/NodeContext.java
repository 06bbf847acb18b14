package io.distributedcache.resp.server;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.engine.KeyspaceEngine;
import io.distributedcache.core.invalidation.InvalidationManager;
import io.distributedcache.resp.command.CommandTable;
import io.distributedcache.core.time.Ticker;
import io.distributedcache.core.time.WallClock;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Everything a command may need beyond its own connection: the engine, the configuration, the
 * clocks, the connected clients and the counters. One per server; shared by all event loops, so each
 * part is either immutable or thread-safe.
 */
public final class NodeContext {

  /** The Redis version whose commands and replies we follow; clients gate features on it. */
  public static final String REDIS_COMPATIBLE_VERSION = "7.4.0";

  /** Our own version, reported beside the Redis one. */
  public static final String VERSION = "0.1.0";

  private final KeyspaceEngine engine;
  private final ServerSettings settings;
  private final Ticker ticker;
  private final WallClock wallClock;
  private final long startNanos;
  private final ServerStats stats = new ServerStats();
  private final Metrics metrics;
  private final SlowLog slowLog = new SlowLog();
  private final Map<Long, ClientSession> clients = new ConcurrentHashMap<>();
  private final AtomicLong nextClientId = new AtomicLong(1);
  private final CommandTable commands;
  private volatile int boundPort;
  private volatile int ioThreads;
  private volatile ClusterNode cluster;
  private volatile ClusterTopology topology;
  private volatile ClusterAdmin admin;
  private volatile ConsistencyLevel defaultConsistency = ConsistencyLevel.QUORUM;
  private volatile Supplier<Map<String, Object>> peerFigures = Map::of;
  private final InvalidationManager invalidations;
  private final PubSub pubSub = new PubSub();
  private final Tracking tracking;
  private final AclRegistry acl;

  public NodeContext(
      KeyspaceEngine engine,
      CommandTable commands,
      ServerSettings settings,
      Ticker ticker,
      WallClock wall) {
    this.engine = engine;
    this.commands = commands;
    this.settings = settings;
    this.ticker = ticker;
    this.wallClock = wall;
    this.startNanos = ticker.read();
    this.metrics = new Metrics(commands);
    this.boundPort = settings.port();
    this.invalidations = new InvalidationManager(engine.storage());
    this.tracking = new Tracking(this);
    this.acl = new AclRegistry(commands, settings.requirePass());
    // The tracking table lives as long as the node; its subscription is never closed.
    this.invalidations.subscribe(tracking);
  }

  /** The node's invalidation hub: every change to a key this node learns of goes through it. */
  public InvalidationManager invalidations() {
    return invalidations;
  }

  /** The node's pub/sub subscribers. */
  public PubSub pubSub() {
    return pubSub;
  }

  /**
   * The node's ACL users. Node-local: {@code ACL SETUSER} on one member does not reach the others.
   */
  public AclRegistry acl() {
    return acl;
  }

  /** The node's client-side caching table. */
  public Tracking tracking() {
    return tracking;
  }

  /**
   * A write ran on this node alone (no cluster): announces each of its keys as written or deleted,
   * as the state it left says, naming {@code originClient} (a connection id, or 0). Skipped when
   * nobody listens: no tracking client and no listener but the tracking table. Any thread.
   */
  public void announceStandaloneWrite(byte[][] keys, long originClient) {
    if (tracking.idle() && invalidations.listenerCount() <= 1) {
      return;
    }
    io.distributedcache.core.storage.CacheStorage storage = engine.storage();
    for (byte[] key : keys) {
      io.distributedcache.core.storage.VersionedValue now =
          storage.getRaw(io.distributedcache.core.storage.ByteKey.of(key));
      io.distributedcache.core.invalidation.Invalidation.Cause cause =
          now == null || now.isTombstone()
              ? io.distributedcache.core.invalidation.Invalidation.Cause.DELETED
              : io.distributedcache.core.invalidation.Invalidation.Cause.WRITTEN;
      invalidations.announce(
          io.distributedcache.core.invalidation.Invalidation.key(cause, key, "", originClient));
    }
  }

  /** The connected client with this id, or null. */
  public ClientSession client(long id) {
    return clients.get(id);
  }

  public KeyspaceEngine engine() {
    return engine;
  }

  /** The cluster this node is a member of, or {@code null} when it runs alone. */
  public ClusterNode cluster() {
    return cluster;
  }

  /**
   * The cluster layout for the Redis Cluster commands, or {@code null} when the node runs alone
   * (those commands then answer that cluster support is disabled, as Redis does).
   */
  public ClusterTopology topology() {
    return topology;
  }

  /** Sets the layout the Redis Cluster commands report; called once while the server starts. */
  public void topology(ClusterTopology clusterTopology) {
    this.topology = clusterTopology;
  }

  /** The control plane's admin side, or {@code null} when the node runs alone. */
  public ClusterAdmin admin() {
    return admin;
  }

  /** Sets the control plane's admin side; called once while the server starts. */
  public void admin(ClusterAdmin clusterAdmin) {
    this.admin = clusterAdmin;
  }

  /**
   * Makes this node a cluster member: keyed commands go through {@code clusterNode} from now on.
   * Call before the server starts.
   */
  public void cluster(ClusterNode clusterNode) {
    this.cluster = clusterNode;
    // Writes this node runs as a primary are announced to every member, peers' announcements
    // and PUBLISHes reach this node's tracking clients and subscribers.
    clusterNode.useInvalidations(invalidations);
    clusterNode.onPublish(pubSub::deliverLocally);
  }

  /**
   * Figures about the peer links (from the transport, which this module does not know), shown in
   * {@code INFO cluster}; called on the thread running INFO.
   */
  public void peerFigures(Supplier<Map<String, Object>> figures) {
    this.peerFigures = java.util.Objects.requireNonNull(figures, "figures");
  }

  public Map<String, Object> peerFigures() {
    return peerFigures.get();
  }

  /** The level new connections start with ({@code --consistency}). */
  public ConsistencyLevel defaultConsistency() {
    return defaultConsistency;
  }

  public void defaultConsistency(ConsistencyLevel level) {
    this.defaultConsistency = java.util.Objects.requireNonNull(level, "level");
  }

  /** The commands this server answers. */
  public CommandTable commands() {
    return commands;
  }

  /** The number of event-loop threads actually serving clients. */
  public int ioThreads() {
    return ioThreads;
  }

  void ioThreads(int threads) {
    this.ioThreads = threads;
  }

  public ServerSettings settings() {
    return settings;
  }

  public Ticker ticker() {
    return ticker;
  }

  public WallClock wallClock() {
    return wallClock;
  }

  public ServerStats stats() {
    return stats;
  }

  /** Per-command calls and latency histograms, for {@code INFO commandstats} and {@code /metrics}. */
  public Metrics metrics() {
    return metrics;
  }

  /** The slow log ({@code SLOWLOG}). */
  public SlowLog slowLog() {
    return slowLog;
  }

  /**
   * Sets the slow log's {@code slowlog-log-slower-than} (microseconds; negative disables it, 0 logs
   * every command) and {@code slowlog-max-len}, as {@code CONFIG SET} does; for the server to pass
   * its flags. Any thread.
   *
   * @throws IllegalArgumentException if {@code maxLen} is negative
   */
  public void configureSlowLog(long slowerThanMicros, int maxLen) {
    slowLog.maxLen(maxLen);
    slowLog.slowerThanMicros(slowerThanMicros);
  }

  /** Seconds since this node started, on the monotonic ticker. */
  public long uptimeSeconds() {
    return (ticker.read() - startNanos) / 1_000_000_000L;
  }

  /** The port the server actually listens on (differs from the setting when that was 0). */
  public int port() {
    return boundPort;
  }

  void boundPort(int port) {
    this.boundPort = port;
  }

  long nextClientId() {
    return nextClientId.getAndIncrement();
  }

  void register(ClientSession session) {
    clients.put(session.id(), session);
    stats.connectionsReceived.increment();
  }

  void unregister(ClientSession session) {
    clients.remove(session.id());
    pubSub.forget(session);
    session.trackingOff();
    tracking.stopped(session);
  }

  /** The connected clients, in no particular order; a live view. */
  public Collection<ClientSession> clients() {
    return clients.values();
  }
}
