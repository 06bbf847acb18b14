package io.distributedcache.simulator;

import io.distributedcache.core.cluster.ClusterNode.SlotState;
import io.distributedcache.core.cluster.ClusterStats;
import io.distributedcache.core.cluster.VerifyReport;
import io.distributedcache.core.control.ClusterMetadata;
import io.distributedcache.core.control.MetadataCommand;
import io.distributedcache.core.control.NodeRecord;
import io.distributedcache.core.control.NodeState;
import io.distributedcache.core.hlc.HybridLogicalClock;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import io.distributedcache.core.placement.RingPublisher;
import io.distributedcache.core.storage.ByteKey;
import io.distributedcache.core.storage.KeyEvent;
import io.distributedcache.core.storage.VersionedValue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * A deterministic simulation of a DistributedCache cluster (DESIGN.md section 10): the production
 * {@code ClusterNode}s, storage and command executors, with only the network and the clocks
 * swapped, run on one thread from one seed, with invariant checkers after every event.
 *
 * <h2>Design note</h2>
 *
 * <ul>
 *   <li><b>Time.</b> One global simulated time in nanoseconds and a priority queue of events
 *       ordered by (time, sequence number), so that events due at the same moment run in the
 *       order they were scheduled. Before each event every live node's {@code ManualClock} moves
 *       forward to the event's time: tickers all advance with simulated time (each from its own
 *       origin), wall clocks start up to {@link SimConfig#maxInitialSkew()} off either way and
 *       jump forward and backward when the fault profile says so. Each node's {@code tick()} is
 *       an event every {@link SimConfig#tickInterval()} plus up to 10% jitter; every tenth tick
 *       also runs the storage's maintenance, as the server does.
 *   <li><b>Randomness.</b> One seed; separate {@link SplittableRandom} streams (split from it)
 *       for the network, the workload, the faults and the nodes, so that adding a draw in one
 *       part does not reshuffle the others. Nothing else is random: same config, same run, which
 *       {@link SimResult#traceDigest()} proves.
 *   <li><b>Faults.</b> The network's (see {@link SimNetwork}), and partitions of 50 ms to 1.5 s
 *       (one node isolated, both ways or one; the cluster split in two; random one-way links; a
 *       single link), crashes (the node loses everything and restarts 100 ms to 1 s later; at
 *       most one node down or catching up at a time unless the profile overlaps crashes), wall
 *       clock steps of up to {@link FaultProfile#maxClockStep()} either way, and slow links; all
 *       drawn from the {@link FaultProfile}, plus {@link ScriptedFault}s at fixed moments.
 *   <li><b>Phases.</b> The workload runs for {@link SimConfig#workload()} with faults; then every
 *       link heals, every crashed node restarts, faults and new requests stop, and the cluster
 *       runs quietly for {@link SimConfig#heal()}. Then {@link ReplicasConverge} compares the
 *       copies, every key is read at QUORUM through fresh connections, and {@link
 *       CountersCountEveryIncrement} checks the counters.
 *   <li><b>Control plane.</b> Every node runs its own {@code ControlPlane} (Raft over the
 *       simulated network, its storage surviving crashes) and routes by the layout it applied:
 *       the first leader commits the founding layout as epoch 1, crashes and partitions longer
 *       than the failure timeout become failovers, returning nodes ask to be recovered, and the
 *       {@link MembershipScript} adds a joiner or asks a node to leave. Each node's {@code tick()}
 *       event ticks its control plane first, then its cluster node, as the server does.
 *   <li><b>Invariants.</b> {@link ReadsSeeAcknowledgedWrites}, {@link TtlStaysWithinWindow}, {@link
 *       CopiesStayOnReplicas}, {@link EveryRequestAnswered}, {@link ControlPlaneAgrees} and {@link
 *       NearCachesHearOfChanges} (after healing too) run incrementally, after every event or when
 *       the change they check happens; an exception escaping the code under test is a violation
 *       too. After healing, {@value #LAYOUT_SETTLES}
 *       (every node applied the same final layout, no rebalance or failover left) and, in
 *       membership runs, {@value #VERIFY_HEALTHY} (the cluster's own {@code verify}). The first
 *       violation stops the run with an {@link InvariantViolation}.
 * </ul>
 *
 * <p>Not thread-safe: a simulation runs on the thread that calls {@link #run()}.
 */
public final class Simulation {

  static final int EV_TICK = 1;
  static final int EV_DELIVER = 2;
  static final int EV_CONNECT = 3;
  static final int EV_DOWN = 4;
  static final int EV_CLIENT = 5;
  static final int EV_FAULT = 6;
  static final int EV_CHECK = 7;
  static final int EV_PHASE = 8;

  static final long MS = 1_000_000L;

  /** A crashed node stays down at least this long: longer than anything in flight. */
  static final long MIN_DOWN_NANOS = 100 * MS;

  static final String LAYOUT_SETTLES = "LayoutSettlesAfterHealing";
  static final String VERIFY_HEALTHY = "VerifyFindsEveryCopyInPlace";

  /** How often the simulated operator asks for a leave until the metadata shows it. */
  private static final long LEAVE_RETRY_NANOS = 200 * MS;

  /** How long the final QUORUM reads may take. */
  private static final long FINAL_READS_NANOS = 5_000 * MS;

  private enum Phase {
    WORKLOAD,
    HEALING,
    FINAL
  }

  private final SimConfig config;
  private final SplittableRandom faultRandom;
  private final SplittableRandom nodeRandom;
  private final EventQueue queue = new EventQueue();
  private final ConsistentHashRing founding;
  private final List<Member> founders;
  private final SimNode[] nodes;
  private final Map<String, Integer> indexById = new HashMap<>();
  private final long[] downSinceNanos;
  private final long[] ticks;
  private final long[] firstTick;
  private final SimNetwork network;
  private final History history = new History();
  private final SimWorkload workload;
  private final ReplicaImpairment impairment;
  private final ReadsSeeAcknowledgedWrites reads;
  private final TtlStaysWithinWindow ttl;
  private final CopiesStayOnReplicas placement;
  private final EveryRequestAnswered answered;
  private final ControlPlaneAgrees control;
  private final NearCachesHearOfChanges nearCaches;
  private final List<StoreEvent> stores = new ArrayList<>();
  private final Map<String, Long> retiredFigures = new HashMap<>();
  private final SimTrace trace = new SimTrace(this, System.getProperty("sim.trace"));

  private long nowNanos;
  private long events;
  private long digest = 0x243F6A8885A308D3L;
  private Phase phase = Phase.WORKLOAD;
  private InvariantViolation violation;
  private int crashes;
  private int partitions;
  private int clockSteps;
  private boolean ran;
  private boolean suppressStores;
  private VerifyReport verifyReport;

  /** Whether the last event may have changed {@link #calm()}; {@link #calmNow} is its value. */
  private boolean calmChanged = true;

  private boolean calmNow;

  /** A change a storage listener saw; checked after the event, outside the storage's call. */
  private record StoreEvent(int node, int incarnation, ByteKey key) {}

  /** Builds the cluster of {@code config}; nothing runs before {@link #run()}. */
  public Simulation(SimConfig config) {
    this.config = config;
    SplittableRandom seedRandom = new SplittableRandom(config.seed());
    SplittableRandom networkRandom = seedRandom.split();
    SplittableRandom workloadRandom = seedRandom.split();
    this.faultRandom = seedRandom.split();
    this.nodeRandom = seedRandom.split();
    List<Member> members = new ArrayList<>();
    for (int i = 0; i < config.totalNodes(); i++) {
      members.add(new Member("n" + (i + 1), "127.0.0.1", 7101 + i));
    }
    this.founders = List.copyOf(members.subList(0, config.nodeCount()));
    this.founding =
        ConsistentHashRing.build(
            RingPublisher.STATIC_EPOCH,
            founders,
            config.virtualNodes(),
            config.replicationFactor());
    this.nodes = new SimNode[members.size()];
    for (int i = 0; i < nodes.length; i++) {
      Member m = members.get(i);
      boolean founder = i < config.nodeCount();
      nodes[i] = new SimNode(i, m, founder ? founding.memberIndex(m.id()) : -1, founder);
      indexById.put(m.id(), i);
    }
    this.downSinceNanos = new long[nodes.length];
    this.ticks = new long[nodes.length];
    this.firstTick = new long[nodes.length];
    this.network = new SimNetwork(this, networkRandom, nodes.length, config.faults());
    this.workload = new SimWorkload(this, workloadRandom, history);
    this.impairment = new ReplicaImpairment(this);
    long tickNanos = config.tickInterval().toNanos();
    long transitBound = SimNetwork.MAX_TRANSIT_NANOS + tickNanos + tickNanos / 10;
    this.reads = new ReadsSeeAcknowledgedWrites(this, history, impairment);
    this.ttl = new TtlStaysWithinWindow(this, history, transitBound);
    this.placement = new CopiesStayOnReplicas(this, history);
    this.answered =
        new EveryRequestAnswered(this, config.requestTimeout().toNanos(), tickNanos);
    this.control = new ControlPlaneAgrees(this, nodes.length);
    this.nearCaches = new NearCachesHearOfChanges(this, history, impairment);
  }

  /** Runs {@code config} to the end. */
  public static SimResult run(SimConfig config) {
    return new Simulation(config).run();
  }

  /**
   * Runs the simulation: boot, workload with faults, healing, convergence check, final reads.
   *
   * @return what happened, if every invariant held
   * @throws InvariantViolation at the first broken invariant
   * @throws IllegalStateException if called twice
   */
  public SimResult run() {
    if (ran) {
      throw new IllegalStateException("a simulation runs once");
    }
    ran = true;
    for (String key : SimWorkload.ALL_KEYS) {
      impairment.track(key);
    }
    // Mostly the peers connect before the first tick, as on a LAN; sometimes they trickle in while
    // the nodes already catch up (each connection then starts another catch-up round).
    boolean slowBoot = faultRandom.nextInt(100) < 20;
    for (int i = 0; i < config.nodeCount(); i++) {
      startNode(i);
    }
    if (!slowBoot) {
      for (int i = 0; i < config.nodeCount(); i++) {
        firstTick[i] = 3 * MS + nodeRandom.nextLong(config.tickInterval().toNanos());
      }
    }
    network.startAll(slowBoot ? 50 * MS : 2 * MS);
    workload.start(config.sessions());
    scheduleFaults();
    long workloadEnd = config.workload().toNanos();
    long healEnd = workloadEnd + config.heal().toNanos();
    schedule(workloadEnd, EV_PHASE, 1, this::heal);
    runUntil(healEnd, null);

    phase = Phase.FINAL;
    ConsistentHashRing finalRing = checkLayoutSettled();
    throwIfViolated();
    new ReplicasConverge(this).check(SimWorkload.ALL_KEYS, finalRing);
    throwIfViolated();
    nearCaches.checkAfterHealing();
    throwIfViolated();
    if (config.membership().any() || config.sabotage() == Sabotage.PLANT_MISPLACED) {
      verifyCopies(finalRing);
      throwIfViolated();
    }
    workload.startFinalReads();
    runUntil(healEnd + FINAL_READS_NANOS, workload::finalReadsDone);
    Map<String, Op> finals = workload.finalReads();
    for (String key : SimWorkload.ALL_KEYS) {
      if (!finals.containsKey(key)) {
        fail(
            ReadsSeeAcknowledgedWrites.NAME,
            "(b) no QUORUM read of " + key + " succeeded after healing",
            List.of(key));
        break;
      }
    }
    throwIfViolated();
    new CountersCountEveryIncrement(this, history, impairment).check(finals);
    throwIfViolated();
    SimResult result = result();
    if (result.figure("storage.listenerFailures") > 0) {
      // The checkers' storage listener threw, and the storage swallowed it: a simulator bug.
      fail("SimulatorSelfCheck", "a storage listener of the simulator threw", List.of());
      throwIfViolated();
    }
    if (result.figure("nearCache.listenerFailures") > 0) {
      // A near cache threw inside the invalidation hub, which swallowed it: a simulator bug.
      fail("SimulatorSelfCheck", "a near cache of the simulator threw", List.of());
      throwIfViolated();
    }
    return result;
  }

  private SimResult result() {
    long ok = 0;
    long failed = 0;
    long unknown = 0;
    for (Op op : history.all()) {
      switch (op.outcome) {
        case OK -> ok++;
        case FAILED -> failed++;
        case UNKNOWN, NO_REPLY -> unknown++;
        default -> {}
      }
    }
    return new SimResult(
        config.seed(),
        events,
        digest,
        nowNanos,
        workload.operations,
        ok,
        failed,
        unknown,
        network.sent,
        network.dropped,
        network.duplicated,
        crashes,
        partitions,
        clockSteps,
        figures());
  }

  private Map<String, Long> figures() {
    Map<String, Long> result = new java.util.TreeMap<>(retiredFigures);
    for (SimNode node : nodes) {
      if (node.serving()) {
        addFigures(node, result);
      }
    }
    result.put("impairment.slotsRecovered", impairment.slotsRecovered);
    result.put("control.metadataApplied", control.applied);
    result.put("control.maxTerm", control.maxTerm);
    result.put("control.finalEpoch", latestMetadata().epoch());
    long failovers = 0;
    for (SimNode node : nodes) {
      if (node.alive) {
        failovers += node.control.failoversProposed();
      }
    }
    result.put("control.failoversProposed", failovers);
    result.put("ttl.copiesChecked", ttl.copiesChecked);
    result.put("ttl.relayedCopies", ttl.relayedCopies);
    result.put("ttl.expiryChecks", ttl.expiryChecks);
    result.put("nearCache.timelyChecks", nearCaches.timelyChecks);
    result.put("nearCache.entriesCheckedAfterHealing", nearCaches.entriesCheckedAfterHealing);
    result.put("nearCache.excused", nearCaches.excused);
    result.put("network.delivered", network.delivered);
    result.put("network.lost", network.lost);
    result.put("network.connects", network.connects);
    network.sentByType.forEach((type, count) -> result.put("network.sent." + type, count[0]));
    return result;
  }

  /** Adds the counters of {@code node}'s current incarnation to {@code into}. */
  private static void addFigures(SimNode node, Map<String, Long> into) {
    ClusterStats stats = node.cluster.stats();
    into.merge("cluster.forwarded", stats.forwarded.sum(), Long::sum);
    into.merge("cluster.failedFast", stats.failedFast.sum(), Long::sum);
    into.merge("cluster.notReady", stats.notReady.sum(), Long::sum);
    into.merge("cluster.unknownOutcomes", stats.unknownOutcomes.sum(), Long::sum);
    into.merge("cluster.timeouts", stats.timeouts.sum(), Long::sum);
    into.merge("cluster.readRepairs", stats.readRepairs.sum(), Long::sum);
    into.merge("cluster.replicatesApplied", stats.replicatesApplied.sum(), Long::sum);
    into.merge("cluster.slotsSynced", stats.slotsSynced.sum(), Long::sum);
    into.merge("cluster.keysSynced", stats.keysSynced.sum(), Long::sum);
    into.merge("cluster.keysRemovedBySync", stats.keysRemovedBySync.sum(), Long::sum);
    into.merge("cluster.digestMismatches", stats.digestMismatches.sum(), Long::sum);
    into.merge("cluster.antiEntropyRounds", stats.antiEntropyRounds.sum(), Long::sum);
    into.merge("cluster.ringChanges", stats.ringChanges.sum(), Long::sum);
    into.merge("cluster.slotsPulled", stats.slotsPulled.sum(), Long::sum);
    into.merge("cluster.keysDropped", stats.keysDropped.sum(), Long::sum);
    into.merge("hlc.skewEvents", node.engine.hlc().skewEvents(), Long::sum);
    into.merge("storage.listenerFailures", node.storage.listenerFailures(), Long::sum);
    if (node.nearCache != null) {
      into.merge("nearCache.cached", node.nearCache.cached, Long::sum);
      into.merge("nearCache.drops", node.nearCache.drops, Long::sum);
      into.merge("nearCache.poisoned", node.nearCache.poisoned, Long::sum);
      into.merge(
          "nearCache.listenerFailures",
          node.context.invalidations().listenerFailures(),
          Long::sum);
    }
  }

  // ------------------------------------------------------------------------------------------
  // The event loop

  /**
   * Runs {@code action} at simulated time {@code atNanos} (now, if that is past). {@code kind} and
   * {@code detail} go into the trace digest.
   */
  void schedule(long atNanos, int kind, long detail, Runnable action) {
    queue.add(new EventQueue.Event(Math.max(atNanos, nowNanos), kind, detail, action));
  }

  private void runUntil(long endNanos, BooleanSupplier done) {
    while (!queue.isEmpty() && queue.peekTime() <= endNanos) {
      if (done != null && done.getAsBoolean()) {
        return;
      }
      EventQueue.Event e = queue.poll();
      advanceTo(e.at());
      events++;
      digest = mix(mix(digest + e.at()) + e.kind() * 0x100000001B3L + e.detail());
      try {
        e.action().run();
      } catch (InvariantViolation v) {
        throw v;
      } catch (RuntimeException | AssertionError ex) {
        fail("NoExceptionEscapes", "the code under test threw " + ex, List.of(), ex);
      }
      afterEvent();
    }
    if (done == null) {
      advanceTo(endNanos);
    }
  }

  private void advanceTo(long t) {
    long delta = t - nowNanos;
    if (delta > 0) {
      nowNanos = t;
      for (SimNode node : nodes) {
        node.advance(delta);
      }
    }
  }

  private void afterEvent() {
    if (!stores.isEmpty()) {
      // One event may store a key twice on a node (two retried writes run in one tick): the
      // checkers read the value as it stands after the event, so each (node, key) once.
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (StoreEvent s : stores) {
        SimNode node = nodes[s.node];
        if (!node.alive || node.incarnation != s.incarnation || node.storage == null) {
          continue;
        }
        if (!seen.add(s.node + "/" + s.incarnation + "/" + s.key)) {
          continue;
        }
        VersionedValue raw = node.storage.getRaw(s.key);
        String key = new String(s.key.bytes(), StandardCharsets.UTF_8);
        if (trace.enabled() && trace.traces(key)) {
          trace.log(node.id + " stores " + key + " = " + describe(raw, node));
        }
        if (raw != null && !raw.isTombstone()) {
          placement.onStored(node, key, raw);
          ttl.onStored(node, key, raw);
        }
      }
      stores.clear();
    }
    impairment.update();
    answered.check(workload);
    if (config.checkNearCaches()) {
      if (calmChanged) {
        // Evaluated only after events that may change it, not after each of ~200k events a run.
        calmChanged = false;
        calmNow = calm();
      }
      nearCaches.afterEvent(calmNow);
    }
    if (trace.enabled()) {
      trace.afterEvent();
    }
    throwIfViolated();
  }

  private void throwIfViolated() {
    if (violation != null) {
      throw violation;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Nodes

  private void startNode(int i) {
    calmChanged = true;
    SimNode node = nodes[i];
    long maxSkewMillis = config.maxInitialSkew().toMillis();
    long skewMillis =
        maxSkewMillis == 0 ? 0 : faultRandom.nextLong(-maxSkewMillis, maxSkewMillis + 1);
    int incarnation = node.incarnation + 1;
    control.onStart(node);
    node.start(
        nowNanos,
        skewMillis,
        nodeRandom,
        config,
        founding,
        founders,
        network.outbox(i, incarnation),
        (event, key) -> {
          if (suppressStores) {
            return;
          }
          if (event == KeyEvent.WRITTEN) {
            stores.add(new StoreEvent(i, incarnation, key));
          } else if (trace.enabled()) {
            String k = new String(key.bytes(), StandardCharsets.UTF_8);
            if (trace.traces(k)) {
              trace.log(node.id + " " + event + " " + k);
            }
          }
        },
        (previous, next) -> onMetadata(i, next));
    if (config.checkNearCaches()) {
      node.nearCache = new NearCache(this, node);
      node.nearCache.listen();
    }
    long first = nowNanos + nodeRandom.nextLong(config.tickInterval().toNanos());
    schedule(first, EV_TICK, i, () -> firstTick(i, incarnation));
  }

  /** The first tick of an incarnation, possibly held back at boot until the peers connected. */
  private void firstTick(int i, int incarnation) {
    if (firstTick[i] > nowNanos) {
      scheduleTick(i, incarnation, firstTick[i]);
      return;
    }
    tick(i, incarnation);
  }

  private void scheduleTick(int i, int incarnation, long at) {
    schedule(at, EV_TICK, i, () -> tick(i, incarnation));
  }

  private void tick(int i, int incarnation) {
    SimNode node = nodes[i];
    if (!node.alive || node.incarnation != incarnation) {
      return;
    }
    // As the server's ticking thread: the control plane first, then the cluster node.
    node.control.tick();
    control.afterTick(node);
    if (node.alive && node.incarnation == incarnation && node.cluster != null) {
      node.cluster.tick();
    }
    if (!node.alive || node.incarnation != incarnation) {
      return;
    }
    if (++ticks[i] % 10 == 0) {
      node.storage.runMaintenance();
    }
    long interval = config.tickInterval().toNanos();
    scheduleTick(i, incarnation, nowNanos + interval + nodeRandom.nextLong(interval / 10 + 1));
  }

  private void crash(int i) {
    calmChanged = true;
    SimNode node = nodes[i];
    if (!node.alive) {
      return;
    }
    addFigures(node, retiredFigures);
    node.crash();
    if (trace.enabled()) {
      trace.log(node.id + " CRASHES");
    }
    downSinceNanos[i] = nowNanos;
    crashes++;
    impairment.onCrash(i);
    network.onCrash(i);
    workload.onCrash(i);
  }

  private void restart(int i) {
    calmChanged = true;
    SimNode node = nodes[i];
    if (node.alive || node.retired) {
      return;
    }
    long earliest = downSinceNanos[i] + MIN_DOWN_NANOS;
    if (nowNanos < earliest) {
      schedule(earliest, EV_FAULT, 100 + i, () -> restart(i));
      return;
    }
    startNode(i);
    if (trace.enabled()) {
      trace.log(node.id + " RESTARTS");
    }
    network.onRestart(i);
    impairment.onRestart(i);
  }

  /** Founders that crashed and have not restarted (a retired node is not down). */
  private int downCount() {
    int count = 0;
    for (int i = 0; i < config.nodeCount(); i++) {
      if (!nodes[i].alive && !nodes[i].retired) {
        count++;
      }
    }
    return count;
  }

  private boolean anyDown() {
    return downCount() > 0;
  }

  /** Founders still in the cluster. */
  private int foundersLeft() {
    int count = 0;
    for (int i = 0; i < config.nodeCount(); i++) {
      if (!nodes[i].retired) {
        count++;
      }
    }
    return count;
  }

  // ------------------------------------------------------------------------------------------
  // Faults

  private void scheduleFaults() {
    FaultProfile f = config.faults();
    if (f.partitions()) {
      schedule(faultRandom.nextLong(50 * MS, 500 * MS), EV_FAULT, 1, this::randomPartition);
    }
    if (f.crashes()) {
      schedule(faultRandom.nextLong(200 * MS, 800 * MS), EV_FAULT, 2, this::randomCrash);
    }
    if (f.clockSteps()) {
      schedule(faultRandom.nextLong(20 * MS, 300 * MS), EV_FAULT, 3, this::randomClockStep);
    }
    if (f.slowLinks()) {
      schedule(faultRandom.nextLong(50 * MS, 500 * MS), EV_FAULT, 4, this::randomSlowLink);
    }
    scheduleMembership();
    for (ScriptedFault s : config.script()) {
      schedule(s.atMillis() * MS, EV_FAULT, 5, () -> apply(s));
    }
    if (config.sabotage() == Sabotage.AMNESIA) {
      schedule(config.workload().toNanos() / 2, EV_FAULT, 6, this::amnesia);
    }
  }

  private void randomPartition() {
    if (phase != Phase.WORKLOAD) {
      return;
    }
    int n = nodes.length;
    List<int[]> links = new ArrayList<>();
    int shape = faultRandom.nextInt(5);
    if (shape == 0 || shape == 1) {
      // Isolate one node: both ways, or only what it sends, or only what it receives.
      int x = faultRandom.nextInt(n);
      int direction = shape == 0 ? 2 : faultRandom.nextInt(2);
      for (int y = 0; y < n; y++) {
        if (y != x) {
          if (direction != 1) {
            links.add(new int[] {x, y});
          }
          if (direction != 0) {
            links.add(new int[] {y, x});
          }
        }
      }
    } else if (shape == 2) {
      // Split the cluster in two.
      boolean[] side = new boolean[n];
      int first = faultRandom.nextInt(n);
      side[first] = true;
      for (int i = 0; i < n; i++) {
        if (i != first && faultRandom.nextBoolean() && i != (first + 1) % n) {
          side[i] = true;
        }
      }
      for (int a = 0; a < n; a++) {
        for (int b = 0; b < n; b++) {
          if (side[a] != side[b]) {
            links.add(new int[] {a, b});
          }
        }
      }
    } else if (shape == 3) {
      for (int a = 0; a < n; a++) {
        for (int b = 0; b < n; b++) {
          if (a != b && faultRandom.nextInt(10) < 3) {
            links.add(new int[] {a, b});
          }
        }
      }
    } else {
      int a = faultRandom.nextInt(n);
      int b = (a + 1 + faultRandom.nextInt(n - 1)) % n;
      links.add(new int[] {a, b});
    }
    for (int[] l : links) {
      network.cut(l[0], l[1]);
    }
    partitions++;
    long duration = faultRandom.nextLong(50 * MS, 1500 * MS);
    schedule(
        nowNanos + duration,
        EV_FAULT,
        7,
        () -> {
          for (int[] l : links) {
            network.heal(l[0], l[1]);
          }
          schedule(
              nowNanos + faultRandom.nextLong(50 * MS, 800 * MS),
              EV_FAULT,
              1,
              this::randomPartition);
        });
  }

  private void randomCrash() {
    if (phase != Phase.WORKLOAD) {
      return;
    }
    // At most one replica down or catching up at a time (with 3 to 5 nodes and RF 3 every pair of
    // nodes shares replica sets, so this means one node), unless the profile overlaps crashes;
    // then anything but the last node.
    boolean overlapping = config.faults().overlappingCrashes();
    if (overlapping ? downCount() >= foundersLeft() - 1 : anyDown() || impairment.anyRecovering()) {
      schedule(nowNanos + 50 * MS, EV_FAULT, 2, this::randomCrash);
      return;
    }
    // Founders only: the joiner's and a leaver's lives are the membership script's.
    int x = faultRandom.nextInt(config.nodeCount());
    if (!nodes[x].alive || nodes[x].retired) {
      schedule(nowNanos + 50 * MS, EV_FAULT, 2, this::randomCrash);
      return;
    }
    crash(x);
    // Up to 1.8 s: about half the crashes outlast the control plane's failure timeout (1 s) and
    // become failovers, the others do not.
    long down = faultRandom.nextLong(MIN_DOWN_NANOS, 1800 * MS);
    schedule(nowNanos + down, EV_FAULT, 8, () -> restart(x));
    long gap =
        overlapping
            ? faultRandom.nextLong(20 * MS, 600 * MS)
            : down + faultRandom.nextLong(200 * MS, 1500 * MS);
    schedule(nowNanos + gap, EV_FAULT, 2, this::randomCrash);
  }

  private void randomClockStep() {
    if (phase != Phase.WORKLOAD) {
      return;
    }
    int x = faultRandom.nextInt(nodes.length);
    long maxMillis = Math.max(1, config.faults().maxClockStep().toMillis());
    // Log-uniform from 1 ms to the maximum: small NTP slews and hour-long jumps alike.
    long magnitude = Math.round(Math.exp(faultRandom.nextDouble() * Math.log(maxMillis)));
    stepWallClock(x, Duration.ofMillis(faultRandom.nextBoolean() ? magnitude : -magnitude));
    schedule(
        nowNanos + faultRandom.nextLong(100 * MS, 700 * MS), EV_FAULT, 3, this::randomClockStep);
  }

  private void stepWallClock(int x, Duration step) {
    SimNode node = nodes[x];
    if (node.alive) {
      node.clock.stepWallClock(step);
      clockSteps++;
    }
  }

  private void randomSlowLink() {
    if (phase != Phase.WORKLOAD) {
      return;
    }
    int n = nodes.length;
    int a = faultRandom.nextInt(n);
    int b = (a + 1 + faultRandom.nextInt(n - 1)) % n;
    network.slowDown(a, b, nowNanos + faultRandom.nextLong(100 * MS, 800 * MS));
    schedule(
        nowNanos + faultRandom.nextLong(200 * MS, 1000 * MS), EV_FAULT, 4, this::randomSlowLink);
  }

  private void apply(ScriptedFault fault) {
    if (phase != Phase.WORKLOAD) {
      return;
    }
    if (fault instanceof ScriptedFault.Isolate f) {
      List<int[]> links = new ArrayList<>();
      for (int y = 0; y < nodes.length; y++) {
        if (y != f.node()) {
          links.add(new int[] {f.node(), y});
          links.add(new int[] {y, f.node()});
        }
      }
      cutFor(links, f.forMillis());
    } else if (fault instanceof ScriptedFault.CutLink f) {
      cutFor(List.of(new int[] {f.from(), f.to()}), f.forMillis());
    } else if (fault instanceof ScriptedFault.Crash f) {
      crashFor(f.node(), f.downMillis());
    } else if (fault instanceof ScriptedFault.CrashPrimaryOf f) {
      int slot = Slots.slot(f.key().getBytes(StandardCharsets.UTF_8));
      crashFor(indexOf(servingRing().primary(slot).id()), f.downMillis());
    } else if (fault instanceof ScriptedFault.StepWallClock f) {
      stepWallClock(f.node(), f.step());
    }
  }

  private void cutFor(List<int[]> links, long forMillis) {
    for (int[] l : links) {
      network.cut(l[0], l[1]);
    }
    partitions++;
    schedule(
        nowNanos + forMillis * MS,
        EV_FAULT,
        9,
        () -> {
          for (int[] l : links) {
            network.heal(l[0], l[1]);
          }
        });
  }

  private void crashFor(int node, long downMillis) {
    if (nodes[node].retired) {
      return;
    }
    crash(node);
    schedule(
        nowNanos + Math.max(MIN_DOWN_NANOS, downMillis * MS),
        EV_FAULT,
        10,
        () -> restart(node));
  }

  private void amnesia() {
    for (int i = 0; i < nodes.length; i++) {
      SimNode node = nodes[(i + 1) % nodes.length];
      if (node.alive) {
        node.storage.clear();
        return;
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // The control plane and membership

  /** Node {@code i}'s control plane applied {@code next}: follow it, as the server does. */
  private void onMetadata(int i, ClusterMetadata next) {
    calmChanged = true;
    SimNode node = nodes[i];
    ClusterMetadata previous = node.metadata;
    if (node.follow(next, config)) {
      ttl.onDiscarded(node); // its copies are gone by design, not by expiry
    }
    if (node.cluster != null) {
      ttl.onLayout(node);
    }
    control.onApplied(node, next);
    if (!next.isBootstrapped()) {
      return;
    }
    if (trace.enabled() && previous.epoch() != next.epoch()) {
      trace.log(node.id + " applies epoch " + next.epoch() + ": " + next.nodes());
    }
    impairment.onLayout(next.ring(), next.targetRing());
    for (NodeRecord r : next.nodes()) {
      network.know(i, indexOf(r.id()));
      // A member failed over has lost its copies as far as the cluster is concerned: what only it
      // held (a ONE write to a partitioned primary) may be gone, as after a crash.
      if (r.state() == NodeState.FAILED) {
        impairment.onFailedOver(indexOf(r.id()));
      } else if (r.state() == NodeState.ACTIVE) {
        impairment.onReinstated(indexOf(r.id()));
      }
    }
    if (next.node(node.id) == null
        && previous.isBootstrapped()
        && previous.node(node.id) != null) {
      // Removed after a graceful leave: the server stops (its onRemoved), after this tick.
      int incarnation = node.incarnation;
      schedule(nowNanos, EV_FAULT, 200 + i, () -> retire(i, incarnation));
    }
  }

  /** A node that left stops for good: like a crash, but nothing it held counts as lost. */
  private void retire(int i, int incarnation) {
    calmChanged = true;
    SimNode node = nodes[i];
    if (node.retired || (node.alive && node.incarnation != incarnation)) {
      return;
    }
    node.retired = true;
    if (trace.enabled()) {
      trace.log(node.id + " STOPS after leaving");
    }
    if (node.alive) {
      if (node.cluster != null) {
        addFigures(node, retiredFigures);
      }
      node.crash();
      network.onCrash(i);
      workload.onCrash(i);
    }
  }

  private void scheduleMembership() {
    MembershipScript m = config.membership();
    if (m.joins()) {
      schedule(m.joinAtMillis() * MS, EV_FAULT, 11, this::startJoiner);
    }
    if (m.leaves()) {
      schedule(m.leaveAtMillis() * MS, EV_FAULT, 12, () -> askToLeave(m.leaveNode()));
    }
  }

  /** Starts the joiner with one founder as its seed. */
  private void startJoiner() {
    int joiner = config.nodeCount();
    List<Integer> seeds = new ArrayList<>();
    for (int i = 0; i < config.nodeCount(); i++) {
      if (nodes[i].alive && !nodes[i].retired) {
        seeds.add(i);
      }
    }
    int seed = seeds.get(faultRandom.nextInt(seeds.size()));
    if (trace.enabled()) {
      trace.log(nodes[joiner].id + " STARTS, joining through " + nodes[seed].id);
    }
    startNode(joiner);
    network.know(joiner, seed);
  }

  /**
   * The operator's leave: asked through a random member until the metadata shows the node leaving
   * (a proposal may be lost, or rejected while another rebalance runs); once it is gone, a node
   * that has not heard so is stopped too.
   */
  private void askToLeave(int leaver) {
    SimNode node = nodes[leaver];
    ClusterMetadata latest = latestMetadata();
    NodeRecord record = latest.isBootstrapped() ? latest.node(node.id) : null;
    if (latest.isBootstrapped() && record == null) {
      if (node.retired) {
        return;
      }
      if (node.founder || node.metadata.node(node.id) != null || !node.alive) {
        // Removed, but this node has not applied it (down or cut off): the operator stops it.
        schedule(nowNanos + 1000 * MS, EV_FAULT, 13, () -> retire(leaver, node.incarnation));
      }
      // Else the joiner is not in yet; either way keep watching (a late Join may add it again).
      schedule(nowNanos + LEAVE_RETRY_NANOS, EV_FAULT, 12, () -> askToLeave(leaver));
      return;
    }
    if (record != null && record.state() != NodeState.LEAVING) {
      List<SimNode> members = new ArrayList<>();
      for (SimNode n : nodes) {
        if (n.serving()) {
          members.add(n);
        }
      }
      if (!members.isEmpty()) {
        SimNode via = members.get(faultRandom.nextInt(members.size()));
        if (trace.enabled()) {
          trace.log("operator asks " + via.id + " to have " + node.id + " leave");
        }
        via.control.submit(new MetadataCommand.Leave(node.id));
      }
    }
    schedule(nowNanos + LEAVE_RETRY_NANOS, EV_FAULT, 12, () -> askToLeave(leaver));
  }

  /** The applied metadata of the highest epoch among the live nodes (EMPTY before bootstrap). */
  ClusterMetadata latestMetadata() {
    ClusterMetadata best = ClusterMetadata.EMPTY;
    for (SimNode node : nodes) {
      if (node.alive && node.metadata.epoch() > best.epoch()) {
        best = node.metadata;
      }
    }
    return best;
  }

  /** The serving ring of the latest metadata, or the founding ring before the first commit. */
  ConsistentHashRing servingRing() {
    ClusterMetadata m = latestMetadata();
    return m.isBootstrapped() ? m.ring() : founding;
  }

  /**
   * After healing: every live node applied the same layout, which has no rebalance in progress and
   * no failed node (every node is back and recovered). Returns its serving ring.
   */
  private ConsistentHashRing checkLayoutSettled() {
    ClusterMetadata latest = latestMetadata();
    if (!latest.isBootstrapped()) {
      fail(LAYOUT_SETTLES, "no layout was ever committed", List.of());
      return founding;
    }
    List<String> lagging = new ArrayList<>();
    for (SimNode node : nodes) {
      if (node.alive && node.metadata.epoch() != latest.epoch()) {
        lagging.add(node.id + "@" + node.metadata.epoch());
      }
      if (node.alive && node.cluster != null && node.cluster.ring().epoch() != latest.epoch()) {
        lagging.add(node.id + " routes by " + node.cluster.ring().epoch());
      }
    }
    List<String> unsettled = new ArrayList<>();
    for (NodeRecord r : latest.nodes()) {
      if (r.state() != NodeState.ACTIVE) {
        unsettled.add(r.toString());
      }
      SimNode node = nodes[indexOf(r.id())];
      if (!node.serving()) {
        unsettled.add(r.id() + " is a member but not running");
      }
    }
    if (!lagging.isEmpty() || !unsettled.isEmpty()) {
      fail(
          LAYOUT_SETTLES,
          "after healing, epoch "
              + latest.epoch()
              + ": nodes behind "
              + lagging
              + ", not settled "
              + unsettled
              + (latest.inTransition() ? ", still rebalancing, to pull " + latest.pendingMoves() : ""),
          List.of());
    }
    return latest.ring();
  }

  /**
   * The cluster's own check ({@code ClusterNode.verify}, what {@code CLUSTER VERIFY} runs) on a
   * live member: no copy missing, stale or misplaced. Repeated a few times before it counts,
   * since the Javadoc allows a difference that is still settling.
   */
  private void verifyCopies(ConsistentHashRing ring) {
    if (config.sabotage() == Sabotage.PLANT_MISPLACED) {
      plantMisplaced(ring);
    }
    VerifyReport last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      SimNode by = null;
      for (SimNode node : nodes) {
        if (node.serving()) {
          by = node;
          break;
        }
      }
      if (by == null) {
        fail(VERIFY_HEALTHY, "no live member to verify with", List.of());
        return;
      }
      verifyReport = null;
      by.cluster.verify(report -> verifyReport = report);
      runUntil(nowNanos + 3 * config.requestTimeout().toNanos(), () -> verifyReport != null);
      last = verifyReport;
      if (last != null && last.healthy()) {
        return;
      }
      runUntil(nowNanos + 300 * MS, null);
    }
    fail(
        VERIFY_HEALTHY,
        last == null ? "verify never answered" : "verify reports " + last,
        List.of());
  }

  /** {@link Sabotage#PLANT_MISPLACED}: an entry on a node that holds no copy of its slot. */
  private void plantMisplaced(ConsistentHashRing ring) {
    String key = "planted-by-sabotage";
    int slot = Slots.slot(key.getBytes(StandardCharsets.UTF_8));
    for (SimNode node : nodes) {
      if (node.serving() && ring.rankOf(ring.memberIndex(node.id), slot) < 0) {
        suppressStores = true;
        try {
          node.storage.applyIfNewer(
              ByteKey.of(key),
              VersionedValue.of(
                  "misplaced".getBytes(StandardCharsets.UTF_8), node.engine.hlc().now()));
        } finally {
          suppressStores = false;
        }
        if (trace.enabled()) {
          trace.log("sabotage plants " + key + " (slot " + slot + ") on " + node.id);
        }
        return;
      }
    }
    throw new IllegalStateException("every node replicates slot " + slot + ": nowhere to plant");
  }

  /** End of the workload: heal everything, restart every crashed node, stop faults. */
  private void heal() {
    phase = Phase.HEALING;
    network.healAllAndStopFaults();
    workload.stopIssuing();
    for (int i = 0; i < nodes.length; i++) {
      if (!nodes[i].alive && nodes[i].incarnation > 0) {
        restart(i);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // For the parts of the simulation

  long now() {
    return nowNanos;
  }

  SimConfig config() {
    return config;
  }

  /** The founding ring (epoch 1): the layout before the control plane changed anything. */
  ConsistentHashRing foundingRing() {
    return founding;
  }

  int nodeCount() {
    return nodes.length;
  }

  SimNode node(int index) {
    return nodes[index];
  }

  /** The index of the node with member id {@code id}, or -1. */
  int indexOf(String id) {
    Integer index = indexById.get(id);
    return index == null ? -1 : index;
  }

  /** Mixes a reply into the trace digest. */
  void digest(byte[] reply) {
    digest = mix(digest * 31 + Arrays.hashCode(reply));
  }

  /** An operation completed: the checkers that look at completions run. */
  void onComplete(Op op) {
    reads.onComplete(op);
    ttl.onComplete(op);
    nearCaches.onComplete(op);
  }

  /** A read was dispatched through node {@code node}: its near cache starts listening for it. */
  void onReadInvoked(int node, Op op) {
    nearCaches.onReadInvoked(nodes[node], op);
  }

  /** A peer connection changed state (or a node learnt of a peer): {@link #calm()} may change. */
  void linksChanged() {
    calmChanged = true;
  }

  NearCachesHearOfChanges nearCaches() {
    return nearCaches;
  }

  /**
   * Whether nothing can delay an invalidation now: every started node up and serving, all on one
   * epoch with every member active and no rebalance, and every peer link established.
   */
  private boolean calm() {
    long epoch = -1;
    for (SimNode node : nodes) {
      if (node.retired || node.incarnation == 0) {
        continue;
      }
      if (!node.serving()) {
        return false;
      }
      ClusterMetadata m = node.metadata;
      if (!m.isBootstrapped() || m.inTransition() || node.cluster.ring().epoch() != m.epoch()) {
        return false;
      }
      if (epoch >= 0 && m.epoch() != epoch) {
        return false;
      }
      epoch = m.epoch();
      for (NodeRecord r : m.nodes()) {
        if (r.state() != NodeState.ACTIVE) {
          return false;
        }
      }
    }
    return network.allLinksUp();
  }

  /** Records a violation (the first one wins); the run stops after the current event. */
  void fail(String invariant, String detail, Collection<String> keys) {
    fail(invariant, detail, keys, null);
  }

  private void fail(String invariant, String detail, Collection<String> keys, Throwable cause) {
    if (violation != null) {
      return;
    }
    StringBuilder b = new StringBuilder(4096);
    b.append("Invariant ").append(invariant).append(" broken: ").append(detail).append('\n');
    b.append("  seed ")
        .append(config.seed())
        .append(", event #")
        .append(events)
        .append(", simulated time ")
        .append(Op.millis(nowNanos))
        .append(", phase ")
        .append(phase)
        .append('\n');
    b.append("  run: ").append(config.describe()).append('\n');
    List<String> down = new ArrayList<>();
    for (SimNode node : nodes) {
      if (!node.alive && !node.retired && node.incarnation > 0) {
        down.add(node.id);
      }
    }
    ClusterMetadata latest = latestMetadata();
    b.append("  layout: ").append(latest).append('\n');
    ConsistentHashRing ring = servingRing();
    b.append("  down: ").append(down).append(", cut links: ").append(network.cutLinks());
    b.append('\n');
    for (String key : keys) {
      int slot = Slots.slot(key.getBytes(StandardCharsets.UTF_8));
      b.append("  history of ")
          .append(key)
          .append(" (slot ")
          .append(slot)
          .append(", replicas ")
          .append(ring.preferenceList(slot).stream().map(Member::id).toList())
          .append(", replica crashes ")
          .append(impairment.crashes(slot))
          .append("), last 30 operations:\n")
          .append(history.recent(key, 30));
      b.append("  copies of ").append(key).append(" now:\n").append(copies(key, slot));
    }
    violation = new InvariantViolation(invariant, config.seed(), events, b.toString(), cause);
  }

  private String copies(String key, int slot) {
    StringBuilder b = new StringBuilder();
    ByteKey k = ByteKey.of(key);
    ConsistentHashRing ring = servingRing();
    for (SimNode node : nodes) {
      int rank = ring.rankOf(ring.memberIndex(node.id), slot);
      b.append("    ").append(node.id);
      if (rank >= 0) {
        b.append(" (rank ").append(rank).append(')');
      }
      if (!node.alive) {
        b.append(node.retired ? ": left\n" : node.incarnation == 0 ? ": not started\n" : ": down\n");
        continue;
      }
      if (node.cluster == null) {
        b.append(": joining, no cluster node yet\n");
        continue;
      }
      b.append(" epoch ").append(node.cluster.ring().epoch());
      SlotState state = node.cluster.slotState(slot);
      b.append(' ').append(state).append(": ").append(describe(node.storage.getRaw(k), node));
      b.append(" (wall clock ")
          .append(node.clock.currentTimeMillis() - SimNode.WALL_START_MILLIS - nowNanos / MS)
          .append(" ms off)\n");
    }
    return b.toString();
  }

  private static String describe(VersionedValue raw, SimNode node) {
    if (raw == null) {
      return "absent";
    }
    String shown =
        (raw.isTombstone() ? "tombstone" : new String(raw.value(), StandardCharsets.UTF_8))
            + " version "
            + HybridLogicalClock.toString(raw.version());
    return raw.hasDeadline()
        ? shown + " deadline " + Op.millis(node.toSimNanos(raw.deadlineNanos()))
        : shown;
  }

  SimTrace trace() {
    return trace;
  }

  /** The first violation recorded so far, or null (for checker tests). */
  InvariantViolation violation() {
    return violation;
  }

  /** The control-plane checker (for checker tests). */
  ControlPlaneAgrees controlChecker() {
    return control;
  }

  TtlStaysWithinWindow ttl() {
    return ttl;
  }

  private static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
