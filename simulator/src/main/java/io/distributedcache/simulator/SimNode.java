package io.distributedcache.simulator;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.cluster.ClusterRequest;
import io.distributedcache.core.cluster.ClusterSettings;
import io.distributedcache.core.cluster.PeerOutbox;
import io.distributedcache.core.engine.KeyspaceEngine;
import io.distributedcache.core.hlc.HybridLogicalClock;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.RingPublisher;
import io.distributedcache.core.storage.CacheStorage;
import io.distributedcache.core.storage.KeyEventListener;
import io.distributedcache.core.storage.StorageSettings;
import io.distributedcache.core.time.ManualClock;
import io.distributedcache.resp.cluster.LocalCommandExecutor;
import io.distributedcache.resp.command.CommandKeys;
import io.distributedcache.resp.command.CommandRegistry;
import io.distributedcache.resp.command.CommandSpec;
import io.distributedcache.resp.server.NodeContext;
import io.distributedcache.resp.server.ServerSettings;
import java.time.Duration;
import java.util.SplittableRandom;

/**
 * One simulated cluster member: the production parts (storage, engine, RESP command executor,
 * {@link ClusterNode}) assembled as the server assembles them, with a {@link ManualClock} for both
 * clocks and the simulator's network as the outbox.
 *
 * <p>A crash drops every part; a restart builds new ones under the same id and member index, with
 * a fresh clock (new ticker origin, new wall-clock skew) whose ticker still moves with simulated
 * time. Only the simulator's thread touches a node.
 */
final class SimNode {

  /** Wall-clock time at simulated time zero, before each node's skew. */
  static final long WALL_START_MILLIS = 1_795_000_000_000L; // 2026-11-18T11:06:40Z

  final int index;
  final String id;
  final int memberIndex;

  /** Counts starts; events scheduled for an earlier incarnation are ignored. */
  int incarnation;

  boolean alive;
  ManualClock clock;

  /** {@code clock.read() == simulated time + tickerOffsetNanos} while alive. */
  long tickerOffsetNanos;

  CacheStorage storage;
  KeyspaceEngine engine;
  NodeContext context;
  ClusterNode cluster;

  SimNode(int index, String id, int memberIndex) {
    this.index = index;
    this.id = id;
    this.memberIndex = memberIndex;
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
      RingPublisher rings,
      PeerOutbox outbox,
      KeyEventListener listener) {
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
    HybridLogicalClock hlc = new HybridLogicalClock(clock, memberIndex, Duration.ofSeconds(60));
    engine = new KeyspaceEngine(storage, hlc, clock, clock, random.split());
    context =
        new NodeContext(
            engine, CommandRegistry.standard(), ServerSettings.defaults(), clock, clock);
    LocalCommandExecutor executor = new LocalCommandExecutor(context);
    cluster =
        new ClusterNode(
            new ClusterSettings(
                id,
                config.requestTimeout(),
                config.syncRetryInterval(),
                config.antiEntropyInterval()),
            rings,
            storage,
            hlc,
            clock,
            outbox,
            executor);
    context.cluster(cluster);
  }

  /** Loses everything: the parts become garbage, and no event reaches them any more. */
  void crash() {
    alive = false;
    cluster = null;
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
