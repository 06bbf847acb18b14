package io.distributedcache.simulator;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.cluster.ClusterRequest;
import io.distributedcache.core.cluster.ClusterSettings;
import io.distributedcache.core.cluster.PeerOutbox;
import io.distributedcache.core.control.ClusterMetadata;
import io.distributedcache.core.control.NodeState;
import io.distributedcache.core.control.NodeRecord;
import io.distributedcache.core.control.ControlPlane;
import io.distributedcache.core.control.ControlSettings;
import io.distributedcache.core.engine.KeyspaceEngine;
import io.distributedcache.core.hlc.HybridLogicalClock;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import io.distributedcache.core.placement.RingPublisher;
import io.distributedcache.core.placement.StableHash;
import io.distributedcache.core.storage.CacheStorage;
import io.distributedcache.core.storage.KeyEventListener;
import io.distributedcache.core.storage.StorageSettings;
import io.distributedcache.core.time.ManualClock;
import io.distributedcache.raft.InMemoryRaftStorage;
import io.distributedcache.resp.cluster.LocalCommandExecutor;
import io.distributedcache.resp.command.CommandKeys;
import io.distributedcache.resp.command.CommandRegistry;
import io.distributedcache.resp.command.CommandSpec;
import io.distributedcache.resp.server.NodeContext;
import io.distributedcache.resp.server.ServerSettings;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One simulated cluster member: the production parts (storage, engine, RESP command executor,
 * {@link ClusterNode}, {@link ControlPlane}) assembled as the server's {@code ClusterBoot}
 * assembles them, with a {@link ManualClock} for both clocks and the simulator's network as the
 * outbox.
 *
 * <p>Each node has its own {@link RingPublisher}: the layout it routes by is the one its own
 * control plane applied, as in production. A founder starts from the founding ring (epoch 1, the
 * epoch the first Raft leader commits); a joiner has no {@link ClusterNode} until it applies
 * metadata that contains it, then builds one from an epoch-0 ring of its own and installs the
 * cluster's layout, so that the install marks what it must pull.
 *
 * <p>A crash drops every part but the Raft storage (term, vote, log and snapshot are on disk in
 * production); a restart builds new ones under the same id and HLC index, with a fresh clock (new
 * ticker origin, new wall-clock skew) whose ticker still moves with simulated time. Only the
 * simulator's thread touches a node.
 */
final class SimNode {

  /** Wall-clock time at simulated time zero, before each node's skew. */
  static final long WALL_START_MILLIS = 1_795_000_000_000L; // 2026-11-18T11:06:40Z

  final int index;
  final String id;

  /** The node's peer address as the metadata knows it. */
  final Member member;

  /** The index stamped into HLC versions: the founding ring's member index, or a hash bit field. */
  final int hlcIndex;

  /** Whether this node founds the cluster (as opposed to joining it later). */
  final boolean founder;

  /** Survives crashes: Raft's state is on disk in production. */
  final InMemoryRaftStorage raftStorage = new InMemoryRaftStorage();

  /** Counts starts; events scheduled for an earlier incarnation are ignored. */
  int incarnation;

  boolean alive;
  ManualClock clock;

  /** {@code clock.read() == simulated time + tickerOffsetNanos} while alive. */
  long tickerOffsetNanos;

  CacheStorage storage;
  KeyspaceEngine engine;
  NodeContext context;
  /** Null while a joiner waits for the cluster to accept it. */
  ClusterNode cluster;

  ControlPlane control;

  /**
   * This incarnation's near cache, listening to the node's invalidation hub (the one {@link
   * NodeContext} creates and hands to the cluster node with {@code useInvalidations}, as in
   * production); null while down, or when the run does not check near caches.
   */
  NearCache nearCache;

  /** The metadata this incarnation's control plane applied last (EMPTY before the first). */
  ClusterMetadata metadata = ClusterMetadata.EMPTY;

  /** Left the cluster gracefully and stopped; never restarts. */
  boolean retired;

  private ClusterSettings clusterSettings;
  private LocalCommandExecutor executor;
  private PeerOutbox outbox;

  SimNode(int index, Member member, int hlcIndex, boolean founder) {
    this.index = index;
    this.id = member.id();
    this.member = member;
    this.hlcIndex = hlcIndex < 0 ? (int) (StableHash.utf8(member.id()) & 0x3ff) : hlcIndex;
    this.founder = founder;
  }

  /** Whether this node is up and has a cluster node (a member, not a joiner still waiting). */
  boolean serving() {
    return alive && cluster != null;
  }

  /**
   * Builds a fresh node: new clock, new storage, engine and cluster node; nothing survives from an
   * earlier incarnation.
   */
  void start(
      long nowNanos,
      long wallSkewMillis,
      SplittableRandom random,
      SimConfig config,
      ConsistentHashRing founding,
      List<Member> founders,
      PeerOutbox outbox,
      KeyEventListener listener,
      ControlPlane.Listener metadataListener) {
    incarnation++;
    alive = true;
    tickerOffsetNanos = random.nextLong(1L << 40, 1L << 50);
    clock =
        new ManualClock(
            nowNanos + tickerOffsetNanos,
            WALL_START_MILLIS + nowNanos / 1_000_000L + wallSkewMillis);
    // Mirrors RespServer.assemble and the server's cluster boot.
    storage = new CacheStorage(new StorageSettings(0, Duration.ofSeconds(10)), clock);
    storage.subscribe(listener);
    HybridLogicalClock hlc = new HybridLogicalClock(clock, hlcIndex, Duration.ofSeconds(60));
    engine = new KeyspaceEngine(storage, hlc, clock, clock, random.split());
    context =
        new NodeContext(
            engine, CommandRegistry.standard(), ServerSettings.defaults(), clock, clock);
    executor = new LocalCommandExecutor(context);
    clusterSettings =
        new ClusterSettings(
            id, config.requestTimeout(), config.syncRetryInterval(), config.antiEntropyInterval());
    this.outbox = outbox;
    cluster = null;
    metadata = ClusterMetadata.EMPTY;
    if (founder) {
      createCluster(founding);
    }
    control =
        new ControlPlane(
            new ControlSettings(
                member,
                CLIENT_PORT_BASE + index,
                founder ? founders : List.of(),
                config.replicationFactor(),
                config.virtualNodes(),
                Duration.ofMillis(10),
                Duration.ofMillis(300),
                Duration.ofMillis(30),
                Duration.ofSeconds(1),
                Duration.ofMillis(200),
                SNAPSHOT_EVERY_ENTRIES),
            raftStorage,
            random.split(),
            clock,
            outbox,
            metadataListener);
    control.localCopies(
        new ControlPlane.LocalCopies() {
          @Override
          public boolean allReady() {
            return cluster != null && cluster.slotsNotReady() == 0;
          }

          @Override
          public boolean movesDone(long epoch) {
            return cluster != null && cluster.movesDone(epoch);
          }
        });
  }

  /** Client ports are not simulated, but the metadata records one per node. */
  static final int CLIENT_PORT_BASE = 6379;

  /** Small, so that snapshots (and a restart from one) happen within a short run. */
  static final int SNAPSHOT_EVERY_ENTRIES = 50;

  /** Builds the cluster node over {@code initial}, as the server's {@code createClusterNode}. */
  void createCluster(ConsistentHashRing initial) {
    cluster =
        new ClusterNode(
            clusterSettings,
            new RingPublisher(initial),
            storage,
            engine.hlc(),
            clock,
            outbox,
            executor);
    cluster.writeLease(() -> control == null || control.inMajorityContact());
    context.cluster(cluster);
  }

  /**
   * Follows applied metadata as the server's {@code onMetadata} does: a joiner that finds itself
   * in it builds its cluster node from an empty layout of its own and installs the cluster's; a
   * member installs the new layout (discarding its copies when it has just been failed over).
   * Called from the control plane's listener, inside its tick.
   *
   * @return whether this node discarded its copies
   */
  boolean follow(ClusterMetadata next, SimConfig config) {
    ClusterMetadata previous = metadata;
    metadata = next;
    if (!next.isBootstrapped()) {
      return false;
    }
    if (cluster == null) {
      if (next.node(id) == null) {
        return false; // our join is not applied yet
      }
      createCluster(ConsistentHashRing.build(0, List.of(member), config.virtualNodes(), 1));
    }
    NodeRecord now = next.node(id);
    NodeRecord before = previous.isBootstrapped() ? previous.node(id) : null;
    boolean newlyFailed =
        now != null
            && now.state() == NodeState.FAILED
            && (before == null || before.state() != NodeState.FAILED);
    cluster.installLayout(next.ring(), next.targetRing(), newlyFailed);
    return newlyFailed;
  }

  /** Loses everything: the parts become garbage, and no event reaches them any more. */
  void crash() {
    alive = false;
    if (nearCache != null) {
      nearCache.close();
      nearCache = null;
    }
    cluster = null;
    control = null;
    executor = null;
    outbox = null;
    context = null;
    engine = null;
    storage = null;
  }

  /** Moves this node's clocks with simulated time. */
  void advance(long deltaNanos) {
    if (alive && deltaNanos > 0) {
      clock.advance(Duration.ofNanos(deltaNanos));
    }
  }

  /** A reading of this node's ticker as simulated time. */
  long toSimNanos(long tickerNanos) {
    return tickerNanos - tickerOffsetNanos;
  }

  /** Builds the cluster request for {@code args} exactly as the RESP connection handler does. */
  ClusterRequest request(byte[][] args) {
    CommandSpec spec = context.commands().lookup(args[0]);
    byte[][] keys = CommandKeys.of(spec, args);
    return new ClusterRequest(args, keys, Slots.slot(keys[0]), CommandKeys.writes(spec), 2);
  }

  @Override
  public String toString() {
    return id + (alive ? "" : "(down)");
  }
}
