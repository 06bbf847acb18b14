package io.distributedcache.core.cluster;

import io.distributedcache.core.cluster.message.DigestReply;
import io.distributedcache.core.cluster.message.DigestRequest;
import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.Execute;
import io.distributedcache.core.cluster.message.ExecuteReply;
import io.distributedcache.core.cluster.message.ExecuteReply.Status;
import io.distributedcache.core.cluster.message.Flush;
import io.distributedcache.core.cluster.message.FlushAck;
import io.distributedcache.core.cluster.message.Hello;
import io.distributedcache.core.cluster.message.Invalidate;
import io.distributedcache.core.cluster.message.PeerMessage;
import io.distributedcache.core.cluster.message.Publish;
import io.distributedcache.core.cluster.message.ReadState;
import io.distributedcache.core.cluster.message.ReadStateReply;
import io.distributedcache.core.cluster.message.Replicate;
import io.distributedcache.core.cluster.message.ReplicateAck;
import io.distributedcache.core.cluster.message.StateEntry;
import io.distributedcache.core.cluster.message.SyncReply;
import io.distributedcache.core.cluster.message.SyncRequest;
import io.distributedcache.core.cluster.message.WrongEpoch;
import io.distributedcache.core.hlc.HybridLogicalClock;
import io.distributedcache.core.invalidation.Invalidation;
import io.distributedcache.core.invalidation.Invalidation.Cause;
import io.distributedcache.core.invalidation.InvalidationManager;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import io.distributedcache.core.placement.RingPublisher;
import io.distributedcache.core.storage.ByteKey;
import io.distributedcache.core.storage.CacheStorage;
import io.distributedcache.core.storage.VersionedValue;
import io.distributedcache.core.time.Ticker;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One member of a cluster: coordinates client requests, executes the writes of the slots it is
 * primary of, keeps replicas of others, and catches up after a restart. The data plane of DESIGN.md
 * sections 3 and 4, as a state machine without I/O.
 *
 * <h2>Design note</h2>
 *
 * <ul>
 *   <li><b>Inputs and outputs.</b> Client requests come in through {@link #submit}, peer messages
 *       through {@link PeerInbox}, time through {@link #tick()} (which reads the injected {@link
 *       Ticker}). Output goes to a {@link PeerOutbox} and to each request's {@link ReplySink}. The
 *       node owns no thread, socket or clock, so the production server and the deterministic
 *       simulator run exactly this code.
 *   <li><b>Writes.</b> The coordinator forwards a write to the slot's primary (or runs it itself
 *       when it is the primary). The primary checks that enough replicas are reachable for the
 *       level (otherwise it refuses without executing: a clear failure), executes the command
 *       through the {@link CommandExecutor} (atomic under the engine's stripe locks), reads the
 *       resulting state of every key, and sends that state, never the command, to every reachable
 *       replica. It answers when {@code level.requiredCopies(N)} copies, itself included, hold it;
 *       if that does not happen within the request timeout the answer is an unknown outcome, never
 *       a failure, because the primary has applied it.
 *   <li><b>State, not commands.</b> A replica keeps per key whichever state has the higher HLC
 *       version ({@link CacheStorage#applyIfNewer}). Reordered, duplicated and replayed messages
 *       are therefore harmless, and two writes racing on the primary may both ship the later
 *       state: each ack then covers a version at least as new as the writer's own.
 *   <li><b>TTL.</b> States carry the remaining time to live, measured on the sender's ticker just
 *       before sending; the receiver adds it to its own ticker (seed bug 1). A copy therefore
 *       expires no earlier than the primary's and at most one transit time later, whatever the wall
 *       clocks say.
 *   <li><b>Reads.</b> At ONE the local copy answers when this node replicates the slot, has caught
 *       up, and holds each key at least as new as the session's own writes; otherwise the primary
 *       answers. At QUORUM and ALL the node collects the copies of {@code requiredCopies(N)}
 *       caught-up replicas (itself first), takes the newest per key, repairs stale copies and
 *       waits for their acknowledgements, then runs the command on an up-to-date copy. A read that
 *       must see a session's write waits for a copy that has it (the primary always does).
 *   <li><b>Catch-up.</b> A node starts with every slot it replicates {@link SlotState#CATCHING_UP}:
 *       it serves nothing from those copies, and refuses writes as their primary, until it has
 *       pulled the slot from a caught-up primary, or from enough caught-up replicas that any
 *       QUORUM write must be among them ({@code N - majority(N) + 1}), or from every other replica.
 *       When the connection between a replica and a primary comes back (in either direction), the
 *       replica marks the primary's slots {@link SlotState#SUSPECT}: it may have missed writes,
 *       and even a delete whose tombstone has since expired everywhere else, so the copy answers
 *       no read (ONE reads go to the primary, QUORUM reads to other copies) until a digest
 *       comparison, and a transfer of the slots that differ, has brought it up to date. The same
 *       comparison runs periodically.
 *   <li><b>Threads.</b> Many threads call in at once (client event loops, transport threads, the
 *       ticking thread). Shared tables are concurrent maps; each in-flight request is a small
 *       object whose transitions are synchronized on itself; slot states are an atomic array.
 *       Nothing blocks; replies are handed to sinks, which must not block either.
 * </ul>
 */
public final class ClusterNode implements PeerInbox {

  /** How a slot's local copy may be used. */
  public enum SlotState {
    /** Up to date: serves reads and, on the primary, writes. */
    READY,
    /**
     * Reconnected to the primary after a gap, not compared yet: serves no read; still applies
     * replication and, on its primary, writes.
     */
    SUSPECT,
    /** After a restart, before the first catch-up: serves nothing. */
    CATCHING_UP
  }

  private static final SlotState[] SLOT_STATES = SlotState.values();
  private static final int SLOT_COUNT = io.distributedcache.core.keyspace.Slots.SLOT_COUNT;
  private static final long[] NO_VERSIONS = new long[0];

  /** Slots per catch-up or digest request: bounds the burst of replies one request causes. */
  private static final int SLOTS_PER_SYNC_REQUEST = 1024;

  /** Remembered outcomes of forwarded writes per coordinator, to answer duplicates. */
  private static final int REMEMBERED_WRITES_PER_PEER = 4096;

  private final ClusterSettings settings;
  private final RingPublisher rings;
  private final CacheStorage storage;
  private final HybridLogicalClock hlc;
  private final Ticker ticker;
  private final PeerOutbox outbox;
  private final CommandExecutor executor;
  private final long requestTimeoutNanos;

  /**
   * Request ids must not repeat across restarts: a primary remembers the outcome of each forwarded
   * write by (coordinator, id), and a peer may still answer a request of the previous process, so
   * a restarted node counting from 1 again would be handed old outcomes for new requests (a write
   * acknowledged without being run). Starting from the clock's reading puts them beyond every id
   * an earlier process used, unless the wall clock was stepped back past that process's start.
   */
  private final AtomicLong nextRequestId;
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();

  /** Client requests answered {@code -TRYAGAIN}, to run again at the next tick. */
  private final java.util.Queue<Runnable> parked = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final java.util.concurrent.atomic.AtomicIntegerArray slotStates =
      new java.util.concurrent.atomic.AtomicIntegerArray(SLOT_COUNT);
  private final Map<String, WriteLog> writeLogs = new ConcurrentHashMap<>();
  private final CatchUp catchUp;
  private final ClusterStats stats = new ClusterStats();

  /**
   * The serving ring and, during a rebalance, its target, published together. Set before the
   * serving ring is published to {@link #rings}, so a request that read a ring finds its target
   * here (see {@link #targetOf}).
   */
  private volatile Layout layout;

  /** Where invalidation events go; null until {@link #useInvalidations}. */
  private volatile InvalidationManager invalidations;

  /**
   * Whether this node may take writes as a primary: in touch with a majority of the cluster (see
   * {@link #writeLease}). Always, until set.
   */
  private volatile java.util.function.BooleanSupplier writeLease = () -> true;

  /** Where peers' PUBLISH messages go; null until {@link #onPublish}. */
  private volatile PublishListener publishListener;

  /**
   * Receives the {@code PUBLISH}es made through other nodes. Called on a transport thread; must
   * not block.
   */
  @FunctionalInterface
  public interface PublishListener {
    void onPublish(byte[] channel, byte[] message);
  }

  /** A serving ring and the target ring of the rebalance in progress (null when none). */
  private record Layout(ConsistentHashRing serving, ConsistentHashRing target) {}

  /**
   * Creates a node. Every slot this node replicates starts {@link SlotState#CATCHING_UP}; the
   * first {@link #tick()} starts catching up.
   *
   * @param settings this node's id and timeouts
   * @param rings the ring snapshots; {@link #installRing} publishes later ones here. A node that is
   *     not a member of the current ring (it is joining, or has left) only coordinates: it
   *     forwards every request to the members that hold the slot
   * @param storage the node's store, shared with the engine that {@code executor} runs commands on
   * @param hlc the clock the engine stamps versions with
   * @param ticker the storage's monotonic clock
   * @param outbox where messages to peers go
   * @param executor runs commands on the local engine
   */
  public ClusterNode(
      ClusterSettings settings,
      RingPublisher rings,
      CacheStorage storage,
      HybridLogicalClock hlc,
      Ticker ticker,
      PeerOutbox outbox,
      CommandExecutor executor) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.rings = Objects.requireNonNull(rings, "rings");
    this.storage = Objects.requireNonNull(storage, "storage");
    this.hlc = Objects.requireNonNull(hlc, "hlc");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.outbox = Objects.requireNonNull(outbox, "outbox");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.requestTimeoutNanos = settings.requestTimeout().toNanos();
    this.nextRequestId = new AtomicLong(hlc.now());
    ConsistentHashRing ring = rings.current();
    int self = ring.memberIndex(settings.nodeId());
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
      SlotState state =
          ring.rankOf(self, slot) >= 0 && ring.replicationFactor() > 1
              ? SlotState.CATCHING_UP
              : SlotState.READY;
      slotStates.set(slot, state.ordinal());
    }
    this.layout = new Layout(ring, null);
    this.catchUp = new CatchUp(this);
  }

  // ------------------------------------------------------------------------------------------
  // Invalidation and pub/sub

  /**
   * Makes this node the cluster side of {@code manager}: the writes it runs as a primary, the
   * expiries of its primary slots and explicit invalidations go to every other member (once per
   * tick, batched), the events peers send are delivered to it, and layout changes and reconnected
   * peers produce slot events. Called once, before the node takes traffic.
   */
  public void useInvalidations(InvalidationManager manager) {
    Objects.requireNonNull(manager, "manager");
    this.invalidations = manager;
    manager.broadcastTo(this::isPrimaryHere, this::removeEverywhere);
  }

  /**
   * Makes this node run writes as a primary only while {@code lease} says it is in touch with a
   * majority of the cluster (the control plane's view). A primary cut off by a partition then
   * refuses writes, at every level, before the majority fails its slots over, so two primaries
   * never accept writes to the same slot at once (without it, ONE writes on the minority side
   * would diverge: two INCRs returning the same count). Called once, before traffic; {@code
   * lease} is read on client and transport threads, so it must be cheap and thread-safe.
   */
  public void writeLease(java.util.function.BooleanSupplier lease) {
    this.writeLease = Objects.requireNonNull(lease, "lease");
  }

  /** Receives the {@code PUBLISH}es made through other nodes from now on. */
  public void onPublish(PublishListener listener) {
    this.publishListener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * Sends a {@code PUBLISH} to every other member, at once, on the caller's thread (the local
   * subscribers are the caller's business). Returns how many members it was sent to.
   */
  public int publish(byte[] channel, byte[] message) {
    Publish body = new Publish(channel, message);
    Layout l = layout;
    int sent = 0;
    for (String id : otherMembers(l)) {
      if (send(l.serving(), id, body)) {
        sent++;
      }
    }
    return sent;
  }

  /** Whether this node is the primary of {@code slot} in the serving ring. Any thread. */
  public boolean isPrimaryHere(int slot) {
    ConsistentHashRing ring = layout.serving();
    int self = ring.memberIndex(settings.nodeId());
    return self >= 0 && ring.primaryIndex(slot) == self;
  }

  /** Every member of the serving and target rings but this node. */
  private List<String> otherMembers(Layout l) {
    List<String> others = new ArrayList<>();
    for (ConsistentHashRing r : new ConsistentHashRing[] {l.serving(), l.target()}) {
      if (r == null) {
        continue;
      }
      for (Member m : r.members()) {
        if (!m.id().equals(settings.nodeId()) && !others.contains(m.id())) {
          others.add(m.id());
        }
      }
    }
    return others;
  }

  /**
   * An explicit invalidation: a key is deleted through its primary (a replicated tombstone, so no
   * copy brings it back); a prefix is deleted by every member for the slots it is primary of; all
   * is a FLUSHALL.
   */
  private CompletableFuture<Void> removeEverywhere(Invalidation what) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    switch (what.scope()) {
      case KEY -> {
        byte[] key = what.bytes();
        int slot = io.distributedcache.core.keyspace.Slots.slot(key);
        submit(
            new ClusterRequest(new byte[][] {DEL, key}, new byte[][] {key}, slot, true, 2),
            new ClusterSession(ConsistencyLevel.QUORUM),
            reply -> completeFromReply(done, reply));
      }
      case ALL -> flushAll(reply -> completeFromReply(done, reply));
      default -> {
        removePrimaryKeys(what);
        InvalidationManager manager = invalidations;
        if (manager != null) {
          manager.announce(what);
        }
        done.complete(null);
      }
    }
    return done;
  }

  private static final byte[] DEL = "DEL".getBytes(StandardCharsets.US_ASCII);

  private static void completeFromReply(CompletableFuture<Void> done, byte[] reply) {
    if (reply.length > 0 && reply[0] == '-') {
      done.completeExceptionally(
          new IllegalStateException(
              new String(reply, 1, Math.max(0, reply.length - 3), StandardCharsets.UTF_8)));
    } else {
      done.complete(null);
    }
  }

  /**
   * Deletes, through the write path, every key {@code what} covers of the slots this node is
   * primary of, so each delete is versioned and replicated like a client's.
   */
  private void removePrimaryKeys(Invalidation what) {
    List<ByteKey> keys = new ArrayList<>();
    storage.forEachLiveKey(
        key -> {
          if (what.covers(key.bytes()) && isPrimaryHere(key.slot())) {
            keys.add(key);
          }
        });
    ClusterSession session = new ClusterSession(ConsistencyLevel.ONE);
    for (ByteKey key : keys) {
      byte[] k = key.bytes();
      submit(
          new ClusterRequest(new byte[][] {DEL, k}, new byte[][] {k}, key.slot(), true, 2),
          session,
          reply -> {});
    }
  }

  /** Hands {@code event} to this node's listeners only. */
  void deliverLocally(Invalidation event) {
    InvalidationManager manager = invalidations;
    if (manager != null) {
      manager.deliver(event);
    }
  }

  /** Sends what the invalidation manager queued to every other member, in one message. */
  private void flushInvalidations() {
    InvalidationManager manager = invalidations;
    if (manager == null) {
      return;
    }
    List<Invalidation> batch = manager.drainOutgoing();
    if (batch.isEmpty()) {
      return;
    }
    Layout l = layout;
    Invalidate message = new Invalidate(batch);
    for (String id : otherMembers(l)) {
      send(l.serving(), id, message);
    }
  }

  private void onInvalidate(Invalidate m) {
    InvalidationManager manager = invalidations;
    if (manager == null) {
      return;
    }
    for (Invalidation event : m.events()) {
      if (event.cause() == Cause.INVALIDATED && event.scope() == Invalidation.Scope.PREFIX) {
        removePrimaryKeys(event);
      }
      manager.deliver(event);
    }
  }

  /** Slot events for every slot {@code peer} is the primary of. */
  private void invalidateSlotsOf(String peer) {
    ConsistentHashRing ring = layout.serving();
    int index = ring.memberIndex(peer);
    if (index < 0 || invalidations == null) {
      return;
    }
    List<Integer> slots = new ArrayList<>();
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
      if (ring.primaryIndex(slot) == index) {
        slots.add(slot);
      }
    }
    deliverSlots(slots);
  }

  private void deliverSlots(List<Integer> slots) {
    if (!slots.isEmpty()) {
      deliverLocally(
          Invalidation.slots(
              Cause.OWNER_CHANGED, slots.stream().mapToInt(Integer::intValue).toArray()));
    }
  }

  // ------------------------------------------------------------------------------------------
  // Queries

  /** This node's member id. */
  public String nodeId() {
    return settings.nodeId();
  }

  /** The ring snapshot in force now. */
  public ConsistentHashRing ring() {
    return rings.current();
  }

  /** The state of this node's copy of {@code slot}. */
  public SlotState slotState(int slot) {
    return SLOT_STATES[slotStates.get(slot)];
  }

  /** Counters for {@code INFO}. */
  public ClusterStats stats() {
    return stats;
  }

  /** Requests waiting for peers right now. */
  public int pendingRequests() {
    return pending.size();
  }

  /** Whether {@code nodeId} is reachable through the transport. */
  public boolean isReachable(String nodeId) {
    return nodeId.equals(settings.nodeId()) || outbox.isReachable(nodeId);
  }

  /** Number of slots this node replicates whose copy is not {@link SlotState#READY}. */
  public int slotsNotReady() {
    int count = 0;
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
      if (slotStates.get(slot) != SlotState.READY.ordinal()) {
        count++;
      }
    }
    return count;
  }

  // ------------------------------------------------------------------------------------------
  // Layout changes

  /** {@link #installLayout(ConsistentHashRing, ConsistentHashRing, boolean)}, keeping copies. */
  public void installLayout(ConsistentHashRing serving, ConsistentHashRing target) {
    installLayout(serving, target, false);
  }

  /**
   * Makes {@code serving} the ring in force, with {@code target} the layout a rebalance moves to
   * (null when none), after preparing this node's copies for them. Called by the control plane,
   * on its one thread, for every epoch it applies; concurrent calls are serialized. A layout whose
   * epoch is not greater than the current one is ignored (it was applied already).
   *
   * <p>Slot states change before the ring is published, so no request ever runs under the new ring
   * with a copy that is not fit for its new role:
   *
   * <ul>
   *   <li>a slot this node becomes primary of (a failover promoted it, it is back, or a rebalance
   *       cut over) reconciles first: it is {@link SlotState#CATCHING_UP}, refusing writes, until
   *       it has pulled the slot from the other live copies, newest version winning (DESIGN.md
   *       section 7). Any write a majority acknowledged is on one of them;
   *   <li>a slot this node newly holds a copy of catches up the same way, unless a rebalance had
   *       it pull the slot already (then every write since reached it as a target copy);
   *   <li>when this node is newly marked failed, its ready copies become {@link
   *       SlotState#SUSPECT}: writes may have been acknowledged without it, so they answer no
   *       read until compared with their primaries;
   *   <li>a slot the target gives this node, and the serving ring does not, is pulled from the
   *       slot's primary while writes already reach it ({@link #movesDone});
   *   <li>a slot this node no longer holds in either ring is emptied once the new ring is
   *       published: no copy stays on a node that does not own it (DESIGN.md section 8);
   *   <li>with {@code discardOwnCopies} (the control plane has just failed this node over) every
   *       copy is emptied and caught up again from the primaries. While it was cut off it may have
   *       taken writes as a deposed primary (at ONE, or not acknowledged at all), stamped by its own
   *       clock: merged by version, they could override writes the new primary acknowledged.
   *       Nothing it alone holds was ever acknowledged at QUORUM, so nothing durable is lost.
   * </ul>
   */
  public synchronized void installLayout(
      ConsistentHashRing serving, ConsistentHashRing target, boolean discardOwnCopies) {
    Objects.requireNonNull(serving, "serving");
    if (target != null && target.epoch() != serving.epoch()) {
      throw new IllegalArgumentException(
          "target epoch " + target.epoch() + " differs from serving epoch " + serving.epoch());
    }
    ConsistentHashRing previous = rings.current();
    if (serving.epoch() <= previous.epoch()) {
      return;
    }
    String id = settings.nodeId();
    int before = previous.memberIndex(id);
    int after = serving.memberIndex(id);
    int inTarget = target == null ? -1 : target.memberIndex(id);
    boolean newlyDemoted =
        after >= 0 && serving.isDemoted(after) && (before < 0 || !previous.isDemoted(before));
    boolean replicated = serving.replicationFactor() > 1;
    List<Integer> reconciling = new ArrayList<>();
    List<Integer> pulls = new ArrayList<>();
    List<Integer> lost = new ArrayList<>();
    List<Integer> discarded = new ArrayList<>();
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
      int rankBefore = previous.rankOf(before, slot);
      int rankAfter = serving.rankOf(after, slot);
      boolean targetCopy = target != null && target.rankOf(inTarget, slot) >= 0;
      if (rankAfter < 0) {
        if (targetCopy) {
          pulls.add(slot);
          slotStates.set(slot, SlotState.READY.ordinal());
        } else if (rankBefore >= 0 || catchUp.pulled(slot) || catchUp.pulling(slot)) {
          // Guard the copy until it is dropped below: requests under the old ring must not
          // read it once the new ring says it is gone.
          slotStates.set(slot, SlotState.CATCHING_UP.ordinal());
          lost.add(slot);
        } else {
          slotStates.set(slot, SlotState.READY.ordinal());
        }
      } else if (replicated && rankBefore < 0 && rankAfter > 0 && catchUp.pulled(slot)) {
        slotStates.set(slot, SlotState.READY.ordinal()); // moved here by the rebalance
      } else if (replicated && (rankBefore < 0 || (rankAfter == 0 && rankBefore != 0))) {
        slotStates.set(slot, SlotState.CATCHING_UP.ordinal());
        reconciling.add(slot);
      } else if (discardOwnCopies && replicated) {
        slotStates.set(slot, SlotState.CATCHING_UP.ordinal());
        reconciling.add(slot);
        discarded.add(slot);
      } else if (newlyDemoted) {
        compareAndSetSlotState(slot, SlotState.READY, SlotState.SUSPECT);
      }
    }
    catchUp.restart(reconciling, pulls);
    layout = new Layout(serving, target);
    rings.publish(serving);
    stats.ringChanges.increment();
    for (int slot : lost) {
      dropSlot(slot);
      slotStates.set(slot, SlotState.READY.ordinal());
    }
    for (int slot : discarded) {
      dropSlot(slot); // stays CATCHING_UP: caught up again from scratch
    }
    // Whatever a client read of a slot whose primary changed, or whose copy here was dropped, may
    // be stale now: tell this node's listeners and tracking clients.
    java.util.BitSet changed = new java.util.BitSet(SLOT_COUNT);
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
      int primaryBefore = previous.primaryIndex(slot);
      int primaryAfter = serving.primaryIndex(slot);
      if (!previous.member(primaryBefore).id().equals(serving.member(primaryAfter).id())) {
        changed.set(slot);
      }
    }
    lost.forEach(changed::set);
    discarded.forEach(changed::set);
    if (!changed.isEmpty()) {
      deliverLocally(Invalidation.slots(Cause.OWNER_CHANGED, changed.stream().toArray()));
    }
  }

  /**
   * Whether this node has pulled every slot the rebalance of {@code epoch} gives it: true when a
   * rebalance to that epoch's target is in progress and no pull is outstanding. The control plane
   * then reports the move done. Any thread.
   */
  public boolean movesDone(long epoch) {
    Layout l = layout;
    return l.target() != null && l.serving().epoch() == epoch && catchUp.pullsComplete();
  }

  /** Slots this node still has to pull for the rebalance in progress. Any thread. */
  public int pullsPending() {
    return catchUp.pullsPending();
  }

  /** The rebalance's target ring if {@code ring} is the serving ring in force, else null. */
  ConsistentHashRing targetOf(ConsistentHashRing ring) {
    Layout l = layout;
    return l.serving() == ring ? l.target() : null;
  }

  private void dropSlot(int slot) {
    List<ByteKey> keys = new ArrayList<>();
    storage.forEachEntryInSlot(slot, (key, value) -> keys.add(key));
    for (ByteKey key : keys) {
      storage.removeIfOlder(key, Long.MAX_VALUE);
    }
    stats.keysDropped.add(keys.size());
  }

  // ------------------------------------------------------------------------------------------
  // Client requests

  /**
   * Runs one client command whose keys all live in {@code request.slot()}, at the session's
   * levels, and hands the reply to {@code sink} exactly once. Called on the client's thread; never
   * blocks. The session must not submit another request before this one's reply (a connection's
   * commands are answered in order, and read-your-own-writes relies on it).
   */
  public void submit(ClusterRequest request, ClusterSession session, ReplySink sink) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(sink, "sink");
    submitUntil(request, session, sink, ticker.read() + requestTimeoutNanos);
  }

  /**
   * Runs the request; a {@code -TRYAGAIN} answer (the peers were on another epoch, the primary was
   * reconciling or catching up: in every case nothing was executed) is retried at the next tick
   * rather than handed to the client, until {@code retryDeadlineNanos}. Layout changes thus cost
   * clients a few milliseconds, not an error.
   */
  private void submitUntil(
      ClusterRequest request, ClusterSession session, ReplySink sink, long retryDeadlineNanos) {
    ReplySink retrying =
        reply -> {
          if (isTryAgain(reply) && ticker.read() - retryDeadlineNanos < 0) {
            stats.retries.increment();
            parked.add(() -> submitUntil(request, session, sink, retryDeadlineNanos));
          } else {
            sink.reply(reply);
          }
        };
    ConsistentHashRing ring = rings.current();
    ByteKey[] keys = new ByteKey[request.keys().length];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = ByteKey.of(request.keys()[i]);
    }
    if (request.write()) {
      submitWrite(ring, request, keys, session, retrying);
    } else {
      submitRead(ring, request, keys, session, retrying);
    }
  }

  private static final byte[] TRYAGAIN = "-TRYAGAIN".getBytes(StandardCharsets.US_ASCII);

  private static boolean isTryAgain(byte[] reply) {
    if (reply.length < TRYAGAIN.length) {
      return false;
    }
    for (int i = 0; i < TRYAGAIN.length; i++) {
      if (reply[i] != TRYAGAIN[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Removes every key on every member (FLUSHALL through any node), and answers {@code +OK} once
   * every member confirmed; an error naming the members that did not.
   */
  public void flushAll(ReplySink sink) {
    Layout l = layout;
    ConsistentHashRing ring = l.serving();
    storage.clear();
    deliverLocally(Invalidation.all(Cause.FLUSHED));
    List<String> others = new ArrayList<>();
    for (ConsistentHashRing r : new ConsistentHashRing[] {ring, l.target()}) {
      if (r == null) {
        continue;
      }
      for (Member m : r.members()) {
        if (!m.id().equals(settings.nodeId()) && !others.contains(m.id())) {
          others.add(m.id());
        }
      }
    }
    if (others.isEmpty()) {
      sink.reply(RespErrors.OK);
      return;
    }
    FlushCall call = new FlushCall(nextRequestId(), deadline(), others, sink);
    pending.put(call.id, call);
    for (String id : others) {
      send(ring, id, new Flush(call.id));
    }
  }

  /**
   * Compares every member's copies of every slot under the layout in force and hands the result
   * to {@code done} once, on whichever thread completes it (a transport thread, or the ticking
   * thread at the deadline). Never blocks. See {@link VerifyReport} for what is counted.
   */
  public void verify(java.util.function.Consumer<VerifyReport> done) {
    Objects.requireNonNull(done, "done");
    Layout l = layout;
    ConsistentHashRing ring = l.serving();
    List<String> members = new ArrayList<>();
    for (Member m : ring.members()) {
      members.add(m.id());
    }
    if (l.target() != null) {
      for (Member m : l.target().members()) {
        if (!members.contains(m.id())) {
          members.add(m.id());
        }
      }
    }
    if (!members.contains(settings.nodeId())) {
      members.add(settings.nodeId());
    }
    VerifyCall call = new VerifyCall(nextRequestId(), deadline(), l, members, done);
    pending.put(call.id, call);
    int[] all = new int[SLOT_COUNT];
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
      all[slot] = slot;
    }
    call.onDigestReply(settings.nodeId(), catchUp.digests(new DigestRequest(call.id, all)));
    for (String id : members) {
      if (id.equals(settings.nodeId())) {
        continue;
      }
      if (!outbox.isReachable(id)) {
        call.unreachable(id);
        continue;
      }
      for (int from = 0; from < SLOT_COUNT; from += SLOTS_PER_SYNC_REQUEST) {
        int[] batch = java.util.Arrays.copyOfRange(all, from, from + SLOTS_PER_SYNC_REQUEST);
        send(ring, id, new DigestRequest(call.id, batch));
      }
    }
  }

  private void submitWrite(
      ConsistentHashRing ring,
      ClusterRequest request,
      ByteKey[] keys,
      ClusterSession session,
      ReplySink sink) {
    ConsistencyLevel level = session.writeLevel();
    stats.writes(level).increment();
    int primary = ring.primaryIndex(request.slot());
    String primaryId = ring.member(primary).id();
    WriteCompletion done =
        (status, reply, versions, entries) -> {
          if (status == Status.OK || status == Status.UNKNOWN_OUTCOME) {
            for (int i = 0; i < keys.length && i < versions.length; i++) {
              session.recordWrite(keys[i], versions[i]);
            }
          }
          sink.reply(reply);
        };
    if (primaryId.equals(settings.nodeId())) {
      executeWrite(
          ring,
          request.slot(),
          request.args(),
          keys,
          level,
          request.protocol(),
          null,
          settings.nodeId(),
          request.originClient(),
          done);
      return;
    }
    if (!outbox.isReachable(primaryId)) {
      stats.failedFast.increment();
      sink.reply(
          RespErrors.error(
              "CLUSTERDOWN the primary of slot "
                  + request.slot()
                  + " ("
                  + primaryId
                  + ") is unreachable; writes to its slots fail until it returns"));
      return;
    }
    stats.forwarded.increment();
    ForwardCall call =
        new ForwardCall(
            nextRequestId(), deadline() + requestTimeoutNanos / 2, ring, primary, true, done);
    pending.put(call.id, call);
    send(
        ring,
        primaryId,
        new Execute(
            call.id,
            request.slot(),
            level,
            request.protocol(),
            true,
            request.args(),
            NO_VERSIONS,
            request.originClient()));
  }

  private void submitRead(
      ConsistentHashRing ring,
      ClusterRequest request,
      ByteKey[] keys,
      ClusterSession session,
      ReplySink sink) {
    ConsistencyLevel level = session.readLevel();
    stats.reads(level).increment();
    int slot = request.slot();
    long[] minVersions = new long[keys.length];
    for (int i = 0; i < keys.length; i++) {
      minVersions[i] = session.minVersion(keys[i]);
    }
    int self = ring.memberIndex(settings.nodeId());
    int rank = ring.rankOf(self, slot);
    if (level == ConsistencyLevel.ONE || ring.replicationFactor() == 1) {
      if (rank >= 0 && canServeLocally(rank, slot, keys, minVersions)) {
        sink.reply(executor.execute(request.args(), request.protocol()));
        return;
      }
      int primary = ring.primaryIndex(slot);
      String primaryId = ring.member(primary).id();
      if (primary != self && outbox.isReachable(primaryId)) {
        stats.forwarded.increment();
        ForwardCall call =
            new ForwardCall(
                nextRequestId(),
                deadline(),
                ring,
                primary,
                false,
                (status, reply, versions, entries) -> {
                  if (status == Status.NOT_READY) {
                    startQuorumRead(ring, request, keys, 1, minVersions, sink);
                  } else {
                    sink.reply(reply);
                  }
                });
        pending.put(call.id, call);
        send(
            ring,
            primaryId,
            new Execute(
                call.id,
                slot,
                ConsistencyLevel.ONE,
                request.protocol(),
                false,
                request.args(),
                minVersions));
        return;
      }
      startQuorumRead(ring, request, keys, 1, minVersions, sink);
      return;
    }
    startQuorumRead(
        ring, request, keys, level.requiredCopies(ring.replicationFactor()), minVersions, sink);
  }

  /** Whether this node's copy may answer a ONE read on its own. */
  private boolean canServeLocally(int rank, int slot, ByteKey[] keys, long[] minVersions) {
    int state = slotStates.get(slot);
    if (rank == 0) {
      return state != SlotState.CATCHING_UP.ordinal(); // the primary has every write it ordered
    }
    if (state != SlotState.READY.ordinal()) {
      return false;
    }
    return localSatisfies(keys, minVersions);
  }

  private boolean localSatisfies(ByteKey[] keys, long[] minVersions) {
    if (keys.length != minVersions.length) {
      return false; // the coordinator names other keys than we found: let the primary answer
    }
    for (int i = 0; i < keys.length; i++) {
      if (minVersions[i] != StateEntry.ABSENT) {
        VersionedValue raw = storage.getRaw(keys[i]);
        if (raw == null || raw.version() < minVersions[i]) {
          return false;
        }
      }
    }
    return true;
  }

  private void startQuorumRead(
      ConsistentHashRing ring,
      ClusterRequest request,
      ByteKey[] keys,
      int required,
      long[] minVersions,
      ReplySink sink) {
    int slot = request.slot();
    int n = ring.replicationFactor();
    int self = ring.memberIndex(settings.nodeId());
    QuorumRead read =
        new QuorumRead(nextRequestId(), deadline(), ring, request, keys, required, minVersions, sink);
    pending.put(read.id, read);
    byte[][] keyBytes = request.keys();
    List<Integer> toAsk = new ArrayList<>(n);
    synchronized (read) {
      for (int r = 0; r < n; r++) {
        int member = ring.preference(slot, r);
        if (member == self) {
          // A suspect copy may lack a delete whose tombstone is gone elsewhere: only a ready copy
          // takes part in a comparison, where its "I have an older value" would win.
          if (slotStates.get(slot) == SlotState.READY.ordinal()) {
            read.localRank = r;
            read.responses[r] = localState(keys);
            read.answeredAtNanos[r] = ticker.read();
          } else {
            read.refused[r] = true;
          }
        } else if (outbox.isReachable(ring.member(member).id())) {
          toAsk.add(r);
        } else {
          read.refused[r] = true;
        }
      }
    }
    for (int r : toAsk) {
      if (!send(ring, ring.member(ring.preference(slot, r)).id(), new ReadState(read.id, slot, keyBytes))) {
        synchronized (read) {
          read.refused[r] = true;
        }
      }
    }
    read.advance();
  }

  // ------------------------------------------------------------------------------------------
  // The primary's write path

  /** Who hears about the outcome of a write this node executes as primary. */
  @FunctionalInterface
  private interface WriteCompletion {
    /**
     * @param entries the state the write produced, for a coordinator that replicates the slot
     *     (empty when the write changed nothing or failed)
     */
    void done(Status status, byte[] reply, long[] versions, List<StateEntry> entries);
  }

  private void executeWrite(
      ConsistentHashRing ring,
      int slot,
      byte[][] args,
      ByteKey[] keys,
      ConsistencyLevel level,
      int protocol,
      String coordinatorReplica,
      String originNode,
      long originClient,
      WriteCompletion done) {
    if (slotStates.get(slot) == SlotState.CATCHING_UP.ordinal()) {
      stats.notReady.increment();
      done.done(
          Status.FAILED,
          RespErrors.error(
              "TRYAGAIN slot "
                  + slot
                  + " is catching up on its primary "
                  + settings.nodeId()
                  + " after a restart; nothing was written"),
          NO_VERSIONS,
          List.of());
      return;
    }
    if (!writeLease.getAsBoolean()) {
      stats.notReady.increment();
      done.done(
          Status.FAILED,
          RespErrors.error(
              "TRYAGAIN the primary of slot "
                  + slot
                  + " ("
                  + settings.nodeId()
                  + ") is out of touch with the majority of the cluster; nothing was written"),
          NO_VERSIONS,
          List.of());
      return;
    }
    WriteCopies before =
        new WriteCopies(
            ring, targetOf(ring), slot, level, settings.nodeId(), coordinatorReplica, outbox);
    if (!before.reachable()) {
      stats.failedFast.increment();
      done.done(
          Status.FAILED,
          RespErrors.error(
              "CLUSTERDOWN "
                  + level
                  + " write needs "
                  + before.describeNeed()
                  + " of slot "
                  + slot
                  + " but "
                  + String.join(", ", before.unreachable())
                  + " cannot be reached; nothing was written"),
          NO_VERSIONS,
          List.of());
      return;
    }
    byte[] reply = executor.execute(args, protocol);
    // Who must hold the write is decided by the layout read AFTER it ran. A catch-up or a
    // promotion under a newer layout reads this node's copy only once that layout is published
    // here, so it either finds this write or is covered by the copies named now.
    Layout after = layout;
    if (after.serving() != ring) {
      int self = after.serving().memberIndex(settings.nodeId());
      if (self < 0 || after.serving().primaryIndex(slot) != self) {
        // No longer the primary: the new one may have reconciled without this write, so it must
        // not count as acknowledged.
        stats.unknownOutcomes.increment();
        done.done(
            Status.UNKNOWN_OUTCOME,
            RespErrors.error(
                "TIMEOUT unknown outcome: slot "
                    + slot
                    + " moved to another primary (epoch "
                    + after.serving().epoch()
                    + ") while the write ran on "
                    + settings.nodeId()
                    + "; retry it"),
            NO_VERSIONS,
            List.of());
        return;
      }
      ring = after.serving();
    }
    WriteCopies copies =
        new WriteCopies(
            ring, after.target(), slot, level, settings.nodeId(), coordinatorReplica, outbox);
    long now = ticker.read();
    List<StateEntry> entries = new ArrayList<>(keys.length);
    long[] versions = new long[keys.length];
    InvalidationManager manager = invalidations;
    boolean announce = manager != null && (reply.length == 0 || reply[0] != '-');
    for (int i = 0; i < keys.length; i++) {
      VersionedValue raw = storage.getRaw(keys[i]);
      if (raw != null) {
        versions[i] = raw.version();
        entries.add(toEntry(keys[i], raw, now));
      }
      if (announce) {
        Cause cause = raw == null || raw.isTombstone() ? Cause.DELETED : Cause.WRITTEN;
        manager.announce(Invalidation.key(cause, keys[i].bytes(), originNode, originClient));
      }
    }
    List<StateEntry> forCoordinator = coordinatorReplica == null ? List.of() : entries;
    boolean met = copies.met(List.of());
    if (entries.isEmpty() || copies.toSend().isEmpty()) {
      if (met || entries.isEmpty()) {
        done.done(Status.OK, reply, versions, forCoordinator);
      } else {
        stats.unknownOutcomes.increment();
        done.done(
            Status.UNKNOWN_OUTCOME,
            RespErrors.error(
                "TIMEOUT unknown outcome: the copies of slot "
                    + slot
                    + " became unreachable while the write ran; it is applied on the primary"),
            versions,
            forCoordinator);
      }
      return;
    }
    PrimaryWrite write =
        new PrimaryWrite(
            nextRequestId(), deadline(), level, copies, reply, versions, forCoordinator, done);
    if (!met) {
      pending.put(write.id, write);
    }
    Replicate replicate = new Replicate(write.id, slot, entries, !met);
    for (String id : copies.toSend()) {
      send(ring, id, replicate);
    }
    if (met) {
      done.done(Status.OK, reply, versions, forCoordinator);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Peer messages

  @Override
  public void onMessage(String from, Envelope envelope) {
    hlc.receive(envelope.version());
    ConsistentHashRing ring = rings.current();
    PeerMessage body = envelope.body();
    if (envelope.epoch() != ring.epoch() && !isKnownWrite(from, body)) {
      long requestId = requestIdOf(body);
      if (requestId != NOT_A_REQUEST) {
        if (body instanceof Execute m && m.write()) {
          writeLogs.computeIfAbsent(from, id -> new WriteLog()).refuse(requestId);
        }
        stats.wrongEpoch.increment();
        send(ring, from, new WrongEpoch(requestId, ring.epoch()));
        return;
      }
    }
    if (body instanceof Execute m) {
      onExecute(ring, from, m);
    } else if (body instanceof ExecuteReply m) {
      deliver(m.requestId(), p -> p.onExecuteReply(from, m));
    } else if (body instanceof Replicate m) {
      onReplicate(ring, from, m);
    } else if (body instanceof ReplicateAck m) {
      deliver(m.requestId(), p -> p.onReplicateAck(from));
    } else if (body instanceof ReadState m) {
      onReadState(ring, from, m);
    } else if (body instanceof ReadStateReply m) {
      deliver(m.requestId(), p -> p.onReadStateReply(from, m));
    } else if (body instanceof DigestRequest m) {
      send(ring, from, catchUp.digests(m));
    } else if (body instanceof DigestReply m) {
      Pending p = pending.get(m.requestId());
      if (p != null) {
        p.onDigestReply(from, m);
      } else {
        catchUp.onDigestReply(ring, from, m);
      }
    } else if (body instanceof SyncRequest m) {
      catchUp.onSyncRequest(ring, from, m);
    } else if (body instanceof SyncReply m) {
      catchUp.onSyncReply(ring, from, m, envelope.epoch() == ring.epoch());
    } else if (body instanceof Flush m) {
      storage.clear();
      deliverLocally(Invalidation.all(Cause.FLUSHED));
      send(ring, from, new FlushAck(m.requestId()));
    } else if (body instanceof Invalidate m) {
      onInvalidate(m);
    } else if (body instanceof Publish m) {
      PublishListener listener = publishListener;
      if (listener != null) {
        listener.onPublish(m.channel(), m.message());
      }
    } else if (body instanceof FlushAck m) {
      deliver(m.requestId(), p -> p.onFlushAck(from));
    } else if (body instanceof WrongEpoch m) {
      Pending p = pending.get(m.requestId());
      if (p != null) {
        p.onWrongEpoch(from, m.epoch());
      } else {
        // A catch-up or digest request met a peer on another epoch: one of us applies the
        // control plane's log later than the other, by milliseconds. Ask again soon rather than
        // after a whole retry interval, which would hold up a failover's reconciliation.
        catchUp.retrySoon();
      }
    }
    // A Hello is the transport's business; one arriving here changes nothing.
  }

  @Override
  public void onPeerUp(String nodeId) {
    catchUp.onPeerUp(rings.current(), nodeId);
    // Its broadcasts while the link was down are lost: what we read of its slots may be stale.
    invalidateSlotsOf(nodeId);
  }

  /**
   * A peer reconnected to us: replication it sent before may be lost, so the copies of its slots
   * are suspect until compared with it.
   */
  @Override
  public void onInboundConnection(String nodeId) {
    catchUp.onPeerUp(rings.current(), nodeId);
    invalidateSlotsOf(nodeId);
  }

  @Override
  public void onPeerDown(String nodeId) {
    for (Pending p : pending.values()) {
      p.onPeerDown(nodeId);
    }
  }

  /**
   * Whether {@code body} is a duplicate of a forwarded write this node has already begun. Such a
   * copy is answered from the write log whatever its epoch: refusing it with {@code WrongEpoch}
   * would tell the coordinator that nothing ran, and it would run the write again.
   */
  private boolean isKnownWrite(String from, PeerMessage body) {
    if (body instanceof Execute m && m.write()) {
      WriteLog log = writeLogs.get(from);
      return log != null && log.knows(m.requestId());
    }
    return false;
  }

  /** {@link #requestIdOf} of a message that asks nothing (a reply, a Hello). */
  private static final long NOT_A_REQUEST = -1;

  /** The id of a request a peer must answer, or {@link #NOT_A_REQUEST}. */
  private static long requestIdOf(PeerMessage body) {
    if (body instanceof Execute m) {
      return m.requestId();
    } else if (body instanceof Replicate m) {
      return m.requestId();
    } else if (body instanceof ReadState m) {
      return m.requestId();
    } else if (body instanceof DigestRequest m) {
      return m.requestId();
    } else if (body instanceof SyncRequest m) {
      return m.requestId();
    } else if (body instanceof Flush m) {
      return m.requestId();
    }
    return NOT_A_REQUEST; // replies are not refused for their epoch: they answer a request made
  }

  private void deliver(long requestId, java.util.function.Consumer<Pending> action) {
    Pending p = pending.get(requestId);
    if (p != null) {
      action.accept(p);
    }
  }

  private void onExecute(ConsistentHashRing ring, String from, Execute m) {
    int self = ring.memberIndex(settings.nodeId());
    int rank = ring.rankOf(self, m.slot());
    if (m.write()) {
      // A duplicate is answered from the log before anything else: whatever changed since (the
      // epoch, our role), saying "not run" about a write that ran would make it run twice.
      WriteLog log = writeLogs.computeIfAbsent(from, id -> new WriteLog());
      if (log.knows(m.requestId())) {
        WriteLog.Outcome earlier = log.begin(m.requestId());
        if (earlier != null && earlier != WriteLog.IN_PROGRESS && earlier != WriteLog.REFUSED) {
          send(ring, from, earlier.replay(ticker.read()));
        }
        return;
      }
      if (rank != 0) {
        send(
            ring,
            from,
            new ExecuteReply(
                m.requestId(),
                m.slot(),
                Status.FAILED,
                RespErrors.error(
                    "TRYAGAIN node " + settings.nodeId() + " is not the primary of slot " + m.slot()),
                NO_VERSIONS,
                List.of()));
        return;
      }
      WriteLog.Outcome earlier = log.begin(m.requestId());
      if (earlier != null) {
        if (earlier != WriteLog.IN_PROGRESS) {
          // A duplicate of a finished write: the same answer, no re-run.
          send(ring, from, earlier.replay(ticker.read()));
        }
        return;
      }
      int coordinator = ring.memberIndex(from);
      String coordinatorReplica =
          coordinator >= 0 && ring.rankOf(coordinator, m.slot()) > 0 ? from : null;
      executeWrite(
          ring,
          m.slot(),
          m.args(),
          keysOf(m.args()),
          m.level(),
          m.protocol(),
          coordinatorReplica,
          from,
          m.originClient(),
          (status, reply, versions, entries) -> {
            ExecuteReply answer =
                new ExecuteReply(m.requestId(), m.slot(), status, reply, versions, entries);
            log.finish(m.requestId(), answer, ticker.read());
            send(ring, from, answer);
          });
      return;
    }
    ByteKey[] keys = keysOf(m.args());
    boolean servable =
        rank >= 0
            && (rank == 0
                ? slotStates.get(m.slot()) != SlotState.CATCHING_UP.ordinal()
                : slotStates.get(m.slot()) != SlotState.CATCHING_UP.ordinal()
                    && localSatisfies(keys, m.minVersions()));
    if (!servable) {
      stats.notReady.increment();
      send(
          ring,
          from,
          new ExecuteReply(
              m.requestId(),
              m.slot(),
              Status.NOT_READY,
              RespErrors.error("TRYAGAIN the copy of slot " + m.slot() + " on " + settings.nodeId()
                  + " is not caught up"),
              NO_VERSIONS,
              List.of()));
      return;
    }
    byte[] reply = executor.execute(m.args(), m.protocol());
    send(
        ring,
        from,
        new ExecuteReply(m.requestId(), m.slot(), Status.OK, reply, NO_VERSIONS, List.of()));
  }

  /**
   * Applies replicated states of {@code slot} (newer version wins), then makes sure none stays
   * if this node holds no copy of the slot in the layout in force. States can arrive after a
   * layout moved the slot away (a late reply or replication); {@link #installLayout} publishes
   * before it drops, so either it drops what we stored, or we see the new layout here.
   */
  void applyStates(int slot, List<StateEntry> entries) {
    applyStates(slot, entries, false);
  }

  /**
   * {@link #applyStates(int, List)}; with {@code announceLocally}, each key whose copy changed is
   * reported to this node's listeners (a pull or repair: unlike replication, no primary broadcast
   * covers it).
   */
  void applyStates(int slot, List<StateEntry> entries, boolean announceLocally) {
    long now = ticker.read();
    for (StateEntry entry : entries) {
      if (!entry.isAbsent()) {
        boolean changed = storage.applyIfNewer(ByteKey.of(entry.key()), fromEntry(entry, now));
        if (changed && announceLocally) {
          deliverLocally(
              Invalidation.key(
                  entry.value() == null ? Cause.DELETED : Cause.WRITTEN, entry.key()));
        }
      }
    }
    if (!holdsCopy(slot)) {
      for (StateEntry entry : entries) {
        storage.removeIfOlder(ByteKey.of(entry.key()), Long.MAX_VALUE);
      }
    }
  }

  /**
   * Whether this node holds a copy of {@code slot} in the serving or the target ring in force.
   * Any thread.
   */
  public boolean holdsCopy(int slot) {
    Layout l = layout;
    String id = settings.nodeId();
    return l.serving().rankOf(l.serving().memberIndex(id), slot) >= 0
        || (l.target() != null && l.target().rankOf(l.target().memberIndex(id), slot) >= 0);
  }

  /** Whether {@code slot} has the same preference list, in the same order, in both rings. */
  private static boolean sameCopies(ConsistentHashRing a, ConsistentHashRing b, int slot) {
    int n = a.replicationFactor();
    if (n != b.replicationFactor()) {
      return false;
    }
    for (int r = 0; r < n; r++) {
      if (!a.member(a.preference(slot, r)).equals(b.member(b.preference(slot, r)))) {
        return false;
      }
    }
    return true;
  }

  /** The keys of a forwarded command; the RESP layer knows where they are. */
  private ByteKey[] keysOf(byte[][] args) {
    byte[][] keys = executor.keys(args);
    ByteKey[] result = new ByteKey[keys.length];
    for (int i = 0; i < keys.length; i++) {
      result[i] = ByteKey.of(keys[i]);
    }
    return result;
  }

  private void onReplicate(ConsistentHashRing ring, String from, Replicate m) {
    applyStates(m.slot(), m.entries());
    stats.replicatesApplied.increment();
    if (m.ackRequested()) {
      send(ring, from, new ReplicateAck(m.requestId(), m.slot()));
    }
  }

  private void onReadState(ConsistentHashRing ring, String from, ReadState m) {
    if (slotStates.get(m.slot()) != SlotState.READY.ordinal()) {
      send(ring, from, new ReadStateReply(m.requestId(), m.slot(), false, List.of()));
      return;
    }
    ByteKey[] keys = new ByteKey[m.keys().length];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = ByteKey.of(m.keys()[i]);
    }
    send(ring, from, new ReadStateReply(m.requestId(), m.slot(), true, List.of(localState(keys))));
  }

  // ------------------------------------------------------------------------------------------
  // Time

  /**
   * Advances timers: answers requests whose time is up, retries catch-up, runs anti-entropy. Called
   * periodically (the server: every few milliseconds from one thread; the simulator: as an event).
   * Never blocks.
   */
  public void tick() {
    Runnable retry;
    int due = parked.size();
    for (int i = 0; i < due && (retry = parked.poll()) != null; i++) {
      retry.run();
    }
    long now = ticker.read();
    for (Pending p : pending.values()) {
      p.onTick(now);
    }
    catchUp.tick(rings.current(), now);
    flushInvalidations();
  }

  // ------------------------------------------------------------------------------------------
  // Helpers shared with CatchUp

  long nextRequestId() {
    return nextRequestId.getAndIncrement();
  }

  private long deadline() {
    return ticker.read() + requestTimeoutNanos;
  }

  boolean send(ConsistentHashRing ring, String to, PeerMessage body) {
    return outbox.send(to, new Envelope(ring.epoch(), hlc.now(), body));
  }

  int selfIndex(ConsistentHashRing ring) {
    return ring.memberIndex(settings.nodeId());
  }

  CacheStorage storage() {
    return storage;
  }

  Ticker ticker() {
    return ticker;
  }

  ClusterSettings settings() {
    return settings;
  }

  PeerOutbox outbox() {
    return outbox;
  }

  long hlcNow() {
    return hlc.now();
  }

  void slotState(int slot, SlotState state) {
    slotStates.set(slot, state.ordinal());
  }

  boolean compareAndSetSlotState(int slot, SlotState expected, SlotState next) {
    return slotStates.compareAndSet(slot, expected.ordinal(), next.ordinal());
  }

  static int slotsPerRequest() {
    return SLOTS_PER_SYNC_REQUEST;
  }

  private StateEntry[] localState(ByteKey[] keys) {
    long now = ticker.read();
    StateEntry[] entries = new StateEntry[keys.length];
    for (int i = 0; i < keys.length; i++) {
      VersionedValue raw = storage.getRaw(keys[i]);
      entries[i] = raw == null ? StateEntry.absent(keys[i].bytes()) : toEntry(keys[i], raw, now);
    }
    return entries;
  }

  /** The wire form of a stored state: remaining TTL, never a deadline (seed bug 1). */
  static StateEntry toEntry(ByteKey key, VersionedValue raw, long nowNanos) {
    if (raw.isTombstone()) {
      return new StateEntry(key.bytes(), null, raw.version(), StateEntry.NO_TTL);
    }
    long remaining = raw.hasDeadline() ? Math.max(0, raw.remainingNanos(nowNanos)) : StateEntry.NO_TTL;
    return new StateEntry(key.bytes(), raw.value(), raw.version(), remaining);
  }

  /** {@code entry} as it stands {@code heldNanos} after its TTL was measured. */
  static StateEntry aged(StateEntry entry, long heldNanos) {
    long remaining = entry.remainingTtlNanos();
    if (remaining == StateEntry.NO_TTL || entry.value() == null || heldNanos <= 0) {
      return entry;
    }
    return new StateEntry(
        entry.key(), entry.value(), entry.version(), Math.max(0, remaining - heldNanos));
  }

  /** The stored form of a received state: a deadline on this node's own ticker. */
  static VersionedValue fromEntry(StateEntry entry, long nowNanos) {
    if (entry.isTombstone() || entry.remainingTtlNanos() == 0) {
      // A value whose time ran out in transit is a delete at that version: it must not let an
      // older copy come back.
      return VersionedValue.tombstone(entry.version(), VersionedValue.NO_DEADLINE);
    }
    long deadline =
        entry.remainingTtlNanos() == StateEntry.NO_TTL
            ? VersionedValue.NO_DEADLINE
            : VersionedValue.deadlineAfter(nowNanos, entry.remainingTtlNanos());
    return new VersionedValue(entry.value(), entry.version(), deadline);
  }

  // ------------------------------------------------------------------------------------------
  // In-flight requests

  /** One request waiting for peers. Transitions are synchronized on the instance. */
  private abstract class Pending {
    final long id;
    final long deadlineNanos;
    private boolean finished;

    Pending(long id, long deadlineNanos) {
      this.id = id;
      this.deadlineNanos = deadlineNanos;
    }

    /** Marks this request finished; returns false if it already was (the caller then does nothing). */
    final synchronized boolean finish() {
      if (finished) {
        return false;
      }
      finished = true;
      pending.remove(id);
      return true;
    }

    abstract void onTimeout();

    /** Time passed; the default answers with {@link #onTimeout()} once the deadline is reached. */
    void onTick(long nowNanos) {
      if (nowNanos - deadlineNanos >= 0) {
        onTimeout();
      }
    }

    /** The connection to {@code memberId} closed (member indexes differ between rings). */
    void onPeerDown(String memberId) {}

    void onExecuteReply(String from, ExecuteReply reply) {}

    void onReplicateAck(String from) {}

    void onReadStateReply(String from, ReadStateReply reply) {}

    void onFlushAck(String from) {}

    void onDigestReply(String from, DigestReply reply) {}

    void onWrongEpoch(String from, long epoch) {
      if (finish()) {
        stats.wrongEpoch.increment();
        answerEpochError(from, epoch);
      }
    }

    abstract void answerEpochError(String from, long epoch);

    byte[] epochError(String from, long epoch) {
      return RespErrors.error(
          "TRYAGAIN ring epoch mismatch: "
              + settings.nodeId()
              + " is on epoch "
              + rings.current().epoch()
              + ", "
              + from
              + " on "
              + epoch);
    }
  }

  /** A request forwarded to another node's {@code Execute}: a write to the primary, or a read. */
  private final class ForwardCall extends Pending {
    final int target;
    /** The target's id, taken from the ring the request was sent under (indexes change). */
    final String targetId;
    final boolean write;
    final WriteCompletion done;

    ForwardCall(
        long id,
        long deadlineNanos,
        ConsistentHashRing ring,
        int target,
        boolean write,
        WriteCompletion done) {
      super(id, deadlineNanos);
      this.target = target;
      this.targetId = ring.member(target).id();
      this.write = write;
      this.done = done;
    }

    @Override
    void onExecuteReply(String from, ExecuteReply reply) {
      if (finish()) {
        if (reply.status() == Status.UNKNOWN_OUTCOME) {
          stats.unknownOutcomes.increment();
        }
        if (!reply.entries().isEmpty()) {
          // We replicate this slot: the primary counted us as a copy, so hold the state before
          // the client hears that the write is acknowledged (unless the layout moved the slot
          // away from us meanwhile: then no copy may stay here).
          applyStates(reply.slot(), reply.entries());
        }
        done.done(reply.status(), reply.reply(), reply.keyVersions(), reply.entries());
      }
    }

    @Override
    void onTimeout() {
      if (finish()) {
        if (write) {
          unknownOutcome(
              "no answer from the primary "
                  + targetId
                  + " within "
                  + settings.requestTimeout().toMillis() * 3 / 2
                  + " ms");
        } else {
          stats.timeouts.increment();
          fail(
              Status.FAILED,
              "TIMEOUT no answer from "
                  + targetId
                  + " within "
                  + settings.requestTimeout().toMillis()
                  + " ms");
        }
      }
    }

    @Override
    void onPeerDown(String memberId) {
      if (!memberId.equals(targetId) || !finish()) {
        return;
      }
      if (write) {
        unknownOutcome("the connection to the primary " + targetId + " closed before it answered");
      } else {
        fail(Status.NOT_READY, "TRYAGAIN " + targetId + " disconnected");
      }
    }

    /** A forwarded write whose fate we cannot know: it may have been applied. */
    private void unknownOutcome(String why) {
      stats.unknownOutcomes.increment();
      fail(
          Status.UNKNOWN_OUTCOME,
          "TIMEOUT unknown outcome: " + why + "; the write may or may not have been applied");
    }

    private void fail(Status status, String error) {
      done.done(status, RespErrors.error(error), NO_VERSIONS, List.of());
    }

    @Override
    void answerEpochError(String from, long epoch) {
      done.done(Status.FAILED, epochError(from, epoch), NO_VERSIONS, List.of());
    }
  }

  /** A write this node executed as primary, waiting for replicas to confirm. */
  private final class PrimaryWrite extends Pending {
    final ConsistencyLevel level;
    final WriteCopies copies;
    final byte[] reply;
    final long[] versions;
    final List<StateEntry> forCoordinator;
    /** When the TTLs in {@link #forCoordinator} were measured; they age while we wait. */
    final long measuredAtNanos = ticker.read();
    final WriteCompletion done;
    private final List<String> acked = new ArrayList<>(4);

    PrimaryWrite(
        long id,
        long deadlineNanos,
        ConsistencyLevel level,
        WriteCopies copies,
        byte[] reply,
        long[] versions,
        List<StateEntry> forCoordinator,
        WriteCompletion done) {
      super(id, deadlineNanos);
      this.level = level;
      this.copies = copies;
      this.reply = reply;
      this.versions = versions;
      this.forCoordinator = forCoordinator;
      this.done = done;
    }

    private List<StateEntry> forCoordinatorNow() {
      long held = ticker.read() - measuredAtNanos;
      List<StateEntry> result = new ArrayList<>(forCoordinator.size());
      for (StateEntry entry : forCoordinator) {
        result.add(aged(entry, held));
      }
      return result;
    }

    @Override
    void onReplicateAck(String from) {
      boolean met;
      synchronized (this) {
        if (!acked.contains(from)) {
          acked.add(from);
        }
        met = copies.met(acked);
      }
      if (met && finish()) {
        done.done(Status.OK, reply, versions, forCoordinatorNow());
      }
    }

    @Override
    void onTimeout() {
      if (finish()) {
        int confirmed;
        synchronized (this) {
          confirmed = copies.confirmed(acked);
        }
        stats.unknownOutcomes.increment();
        done.done(
            Status.UNKNOWN_OUTCOME,
            RespErrors.error(
                "TIMEOUT unknown outcome: "
                    + level
                    + " write confirmed by "
                    + confirmed
                    + " copies, short of "
                    + copies.describeNeed()
                    + ", within "
                    + settings.requestTimeout().toMillis()
                    + " ms; it is applied on the primary and may or may not survive"),
            versions,
            forCoordinatorNow());
      }
    }

    /**
     * A replica on another epoch refused the state: one acknowledgement fewer, nothing more. The
     * write is applied here, so it must not end in a {@code -TRYAGAIN} (which means "nothing was
     * executed" and is retried): it waits for the other copies, or ends as an unknown outcome.
     */
    @Override
    void onWrongEpoch(String from, long epoch) {
      stats.wrongEpoch.increment();
    }

    @Override
    void answerEpochError(String from, long epoch) {
      throw new IllegalStateException("a primary's write never ends on an epoch error");
    }
  }

  /** A QUORUM or ALL read (or a ONE read the local copy and the primary could not serve). */
  private final class QuorumRead extends Pending {
    final ConsistentHashRing ring;
    final ClusterRequest request;
    final ByteKey[] keys;
    final int required;
    final long[] minVersions;
    final ReplySink sink;
    final StateEntry[][] responses;
    /** Per response, the ticker reading when it was taken or arrived: TTLs in it age from then. */
    final long[] answeredAtNanos;
    final boolean[] refused;
    int localRank = -1;
    private int phase; // 0 collecting, 1 repairing, 2 executing remotely
    private StateEntry[] newest;

    /**
     * Repairs may wait this long (half the request's time); then the read goes on without their
     * acknowledgements, on a copy known to be up to date, rather than fail a read whose answer is
     * known.
     */
    private long repairDeadlineNanos;
    private final List<String> awaitingRepair = new ArrayList<>();
    private int executeRank = -1;

    QuorumRead(
        long id,
        long deadlineNanos,
        ConsistentHashRing ring,
        ClusterRequest request,
        ByteKey[] keys,
        int required,
        long[] minVersions,
        ReplySink sink) {
      super(id, deadlineNanos);
      this.ring = ring;
      this.request = request;
      this.keys = keys;
      this.required = required;
      this.minVersions = minVersions;
      this.sink = sink;
      this.responses = new StateEntry[ring.replicationFactor()][];
      this.answeredAtNanos = new long[ring.replicationFactor()];
      this.refused = new boolean[ring.replicationFactor()];
    }

    private int rankOf(String from) {
      int member = ring.memberIndex(from);
      return member < 0 ? -1 : ring.rankOf(member, request.slot());
    }

    @Override
    void onReadStateReply(String from, ReadStateReply reply) {
      int rank = rankOf(from);
      if (rank < 0) {
        return;
      }
      synchronized (this) {
        if (phase != 0 || responses[rank] != null || refused[rank]) {
          return;
        }
        if (!reply.ready() || reply.entries().size() != keys.length) {
          refused[rank] = true;
        } else {
          responses[rank] = reply.entries().toArray(new StateEntry[0]);
          answeredAtNanos[rank] = ticker.read();
        }
      }
      advance();
    }

    @Override
    void onPeerDown(String memberId) {
      int member = ring.memberIndex(memberId);
      int rank = ring.rankOf(member, request.slot());
      if (rank < 0) {
        return;
      }
      synchronized (this) {
        if (phase == 0 && responses[rank] == null) {
          refused[rank] = true;
        } else if (phase == 2 && rank == executeRank) {
          phase = 3;
        }
      }
      if (phaseIs(3) && finish()) {
        sink.reply(RespErrors.error("TRYAGAIN " + ring.member(member).id() + " disconnected"));
        return;
      }
      advance();
    }

    private synchronized boolean phaseIs(int p) {
      return phase == p;
    }

    /** Moves on when enough copies answered: merge, repair, execute. */
    void advance() {
      String failure = null;
      boolean startRepair = false;
      synchronized (this) {
        if (phase != 0) {
          return;
        }
        int answered = 0;
        int outstanding = 0;
        boolean primaryAnswered = responses[0] != null;
        for (int r = 0; r < responses.length; r++) {
          if (responses[r] != null) {
            answered++;
          } else if (!refused[r]) {
            outstanding++;
          }
        }
        boolean ownWritesSeen = primaryAnswered || newestSatisfies();
        if (answered >= required && ownWritesSeen) {
          phase = 1;
          startRepair = true;
        } else if (outstanding == 0) {
          failure = describeFailure(answered);
        }
      }
      if (failure != null) {
        if (finish()) {
          stats.failedFast.increment();
          sink.reply(RespErrors.error(failure));
        }
        return;
      }
      if (startRepair) {
        repair();
      }
    }

    /** Whether the newest copies so far are at least as new as the session's own writes. */
    private boolean newestSatisfies() {
      for (int i = 0; i < keys.length; i++) {
        if (minVersions[i] == StateEntry.ABSENT) {
          continue;
        }
        long best = StateEntry.ABSENT;
        for (StateEntry[] response : responses) {
          if (response != null) {
            best = Math.max(best, response[i].version());
          }
        }
        if (best < minVersions[i]) {
          return false;
        }
      }
      return true;
    }

    private String describeFailure(int answered) {
      List<String> missing = new ArrayList<>();
      for (int r = 0; r < responses.length; r++) {
        if (responses[r] == null) {
          missing.add(ring.member(ring.preference(request.slot(), r)).id());
        }
      }
      String level = required == 1 ? "ONE" : required == responses.length ? "ALL" : "QUORUM";
      if (answered < required) {
        return "CLUSTERDOWN "
            + level
            + " read of slot "
            + request.slot()
            + " needs "
            + required
            + " caught-up copies but only "
            + answered
            + " answered ("
            + String.join(", ", missing)
            + " unreachable or catching up)";
      }
      return "TRYAGAIN read-your-own-writes: no reachable copy of slot "
          + request.slot()
          + " holds this connection's last write yet (its primary "
          + ring.member(ring.primaryIndex(request.slot())).id()
          + " is unreachable)";
    }

    private void repair() {
      long now = ticker.read();
      List<Integer> staleRemote = new ArrayList<>();
      synchronized (this) {
        newest = new StateEntry[keys.length];
        for (int i = 0; i < keys.length; i++) {
          StateEntry best = null;
          long bestAt = now;
          for (int r = 0; r < responses.length; r++) {
            StateEntry[] response = responses[r];
            if (response != null && (best == null || response[i].version() > best.version())) {
              best = response[i];
              bestAt = answeredAtNanos[r];
            }
          }
          // The newest copy may have waited here for slower responders: the copies it repairs
          // must not outlive the key's TTL by that wait.
          newest[i] = aged(best, now - bestAt);
        }
        for (int r = 0; r < responses.length; r++) {
          if (responses[r] != null && r != localRank && isStale(responses[r])) {
            staleRemote.add(r);
          }
        }
        if (localRank >= 0 && isStale(responses[localRank])) {
          for (StateEntry entry : newest) {
            if (!entry.isAbsent()) {
              storage.applyIfNewer(ByteKey.of(entry.key()), fromEntry(entry, now));
            }
          }
          stats.readRepairs.increment();
        }
        for (int r : staleRemote) {
          awaitingRepair.add(ring.member(ring.preference(request.slot(), r)).id());
        }
      }
      if (!staleRemote.isEmpty()) {
        List<StateEntry> present = new ArrayList<>(newest.length);
        for (StateEntry entry : newest) {
          if (!entry.isAbsent()) {
            present.add(entry);
          }
        }
        synchronized (this) {
          repairDeadlineNanos = ticker.read() + requestTimeoutNanos / 2;
        }
        Replicate repair = new Replicate(id, request.slot(), present, true);
        for (int r : staleRemote) {
          stats.readRepairs.increment();
          send(ring, ring.member(ring.preference(request.slot(), r)).id(), repair);
        }
        return; // execute() once the repairs are acknowledged (or time runs out)
      }
      execute();
    }

    private boolean isStale(StateEntry[] response) {
      for (int i = 0; i < keys.length; i++) {
        if (response[i].version() < newest[i].version()) {
          return true;
        }
      }
      return false;
    }

    @Override
    void onReplicateAck(String from) {
      boolean done;
      synchronized (this) {
        if (phase != 1) {
          return;
        }
        awaitingRepair.remove(from);
        done = awaitingRepair.isEmpty();
      }
      if (done) {
        execute();
      }
    }

    /** Runs the command on an up-to-date copy: this node's if it took part, else a repaired one. */
    private void execute() {
      int target;
      synchronized (this) {
        if (phase != 1) {
          return;
        }
        if (localRank >= 0 && localStillNewest()) {
          phase = 3;
          target = -1;
        } else {
          // This node's copy may have gone since it answered (a layout change dropped the slot
          // here while the others answered): then a copy that answered runs it.
          target = upToDateRank(localRank);
          executeRank = target;
          phase = 2;
        }
      }
      if (target < 0) {
        if (finish()) {
          sink.reply(executor.execute(request.args(), request.protocol()));
        }
        return;
      }
      long[] required = new long[keys.length];
      for (int i = 0; i < keys.length; i++) {
        required[i] = Math.max(newest[i].version(), minVersions[i]);
      }
      send(
          ring,
          ring.member(ring.preference(request.slot(), target)).id(),
          new Execute(
              id,
              request.slot(),
              ConsistencyLevel.ONE,
              request.protocol(),
              false,
              request.args(),
              required));
    }

    /**
     * A responder other than {@code excluded} that had, or was repaired to, the newest copies; the
     * primary first.
     */
    private int upToDateRank(int excluded) {
      for (int r = 0; r < responses.length; r++) {
        if (r != excluded && responses[r] != null && !isStale(responses[r])) {
          return r;
        }
      }
      for (int r = 0; r < responses.length; r++) {
        if (r != excluded && responses[r] != null) {
          return r;
        }
      }
      return excluded == 0 ? 1 : 0;
    }

    /**
     * Whether this node still holds the slot, caught up, with every key at least as new as the
     * newest copy taken and the session's own writes. Checked right before running the command
     * here: between its answer and now a layout change may have dropped the copy.
     */
    private boolean localStillNewest() {
      int slot = request.slot();
      if (!holdsCopy(slot) || slotStates.get(slot) != SlotState.READY.ordinal()) {
        return false;
      }
      for (int i = 0; i < keys.length; i++) {
        long need = Math.max(newest == null ? StateEntry.ABSENT : newest[i].version(), minVersions[i]);
        if (need == StateEntry.ABSENT) {
          continue;
        }
        VersionedValue raw = storage.getRaw(keys[i]);
        if (raw == null || raw.version() < need) {
          return false;
        }
      }
      return true;
    }

    @Override
    void onExecuteReply(String from, ExecuteReply reply) {
      synchronized (this) {
        if (phase != 2) {
          return;
        }
      }
      if (finish()) {
        sink.reply(reply.reply());
      }
    }

    @Override
    void onTick(long nowNanos) {
      boolean repairsOverdue;
      synchronized (this) {
        repairsOverdue = phase == 1 && nowNanos - repairDeadlineNanos >= 0;
      }
      if (repairsOverdue) {
        execute();
      }
      super.onTick(nowNanos);
    }

    @Override
    void onTimeout() {
      int p;
      synchronized (this) {
        p = phase;
      }
      if (p == 1 && localRank >= 0 && localStillNewest()) {
        // Repairs unconfirmed, but this node's copy is the newest: answer from it.
        synchronized (this) {
          phase = 3;
        }
        if (finish()) {
          sink.reply(executor.execute(request.args(), request.protocol()));
        }
        return;
      }
      if (finish()) {
        stats.timeouts.increment();
        int answered = 0;
        synchronized (this) {
          for (StateEntry[] response : responses) {
            if (response != null) {
              answered++;
            }
          }
        }
        sink.reply(
            RespErrors.error(
                "TIMEOUT read of slot "
                    + request.slot()
                    + ": "
                    + answered
                    + " of the "
                    + required
                    + " copies it needs answered within "
                    + settings.requestTimeout().toMillis()
                    + " ms"));
      }
    }

    @Override
    void answerEpochError(String from, long epoch) {
      sink.reply(epochError(from, epoch));
    }
  }

  /** FLUSHALL waiting for every other member. */
  /** Collects every member's digests of every slot, then compares them. */
  private final class VerifyCall extends Pending {
    private static final int MAX_PROBLEMS = 20;
    private final Layout layout;
    private final List<String> members;
    private final java.util.function.Consumer<VerifyReport> done;
    private final Map<String, long[]> digests = new java.util.HashMap<>();
    private final Map<String, Integer> received = new java.util.HashMap<>();
    private final List<String> unreachable = new ArrayList<>();

    VerifyCall(
        long id,
        long deadlineNanos,
        Layout layout,
        List<String> members,
        java.util.function.Consumer<VerifyReport> done) {
      super(id, deadlineNanos);
      this.layout = layout;
      this.members = members;
      this.done = done;
    }

    void unreachable(String id) {
      boolean complete;
      synchronized (this) {
        unreachable.add(id);
        complete = isComplete();
      }
      if (complete && finish()) {
        done.accept(report());
      }
    }

    @Override
    void onDigestReply(String from, DigestReply reply) {
      boolean complete;
      synchronized (this) {
        if (!members.contains(from)) {
          return;
        }
        long[] d = digests.computeIfAbsent(from, k -> new long[SLOT_COUNT]);
        int[] slots = reply.slots();
        for (int i = 0; i < slots.length && i < reply.digests().length; i++) {
          if (slots[i] >= 0 && slots[i] < SLOT_COUNT) {
            d[slots[i]] = reply.digests()[i];
          }
        }
        received.merge(from, slots.length, Integer::sum);
        complete = isComplete();
      }
      if (complete && finish()) {
        done.accept(report());
      }
    }

    private boolean isComplete() {
      for (String id : members) {
        if (!unreachable.contains(id) && received.getOrDefault(id, 0) < SLOT_COUNT) {
          return false;
        }
      }
      return true;
    }

    @Override
    void onTimeout() {
      if (finish()) {
        synchronized (this) {
          for (String id : members) {
            if (!unreachable.contains(id) && received.getOrDefault(id, 0) < SLOT_COUNT) {
              unreachable.add(id);
            }
          }
        }
        done.accept(report());
      }
    }

    @Override
    void onWrongEpoch(String from, long epoch) {
      // One batch met the member on another epoch: its copies cannot be judged by our layout.
      synchronized (this) {
        if (unreachable.contains(from) || !members.contains(from)) {
          return;
        }
      }
      unreachable(from);
    }

    @Override
    void answerEpochError(String from, long epoch) {}

    private synchronized VerifyReport report() {
      int missing = 0;
      int stale = 0;
      int misplaced = 0;
      List<String> problems = new ArrayList<>();
      ConsistentHashRing serving = layout.serving();
      ConsistentHashRing target = layout.target();
      List<String> holders = new ArrayList<>();
      for (int slot = 0; slot < SLOT_COUNT; slot++) {
        holders.clear();
        for (String id : members) {
          if (serving.rankOf(serving.memberIndex(id), slot) >= 0
              || (target != null && target.rankOf(target.memberIndex(id), slot) >= 0)) {
            holders.add(id);
          }
        }
        long reference = 0;
        boolean differ = false;
        boolean someEmpty = false;
        boolean someFull = false;
        for (String id : holders) {
          long[] d = digests.get(id);
          if (d == null || unreachable.contains(id)) {
            continue;
          }
          if (d[slot] == 0) {
            someEmpty = true;
          } else if (!someFull) {
            someFull = true;
            reference = d[slot];
          } else if (d[slot] != reference) {
            differ = true;
          }
        }
        if (someEmpty && someFull) {
          for (String id : holders) {
            long[] d = digests.get(id);
            if (d != null && !unreachable.contains(id) && d[slot] == 0) {
              missing++;
              note(problems, "slot " + slot + ": the copy on " + id + " is missing");
            }
          }
        }
        if (differ) {
          stale++;
          note(problems, "slot " + slot + ": copies differ");
        }
        for (Map.Entry<String, long[]> e : digests.entrySet()) {
          if (!holders.contains(e.getKey()) && e.getValue()[slot] != 0) {
            misplaced++;
            note(problems, "slot " + slot + ": " + e.getKey() + " holds entries but no copy");
          }
        }
      }
      return new VerifyReport(
          serving.epoch(), members.size(), unreachable, SLOT_COUNT, missing, stale, misplaced,
          problems);
    }

    private void note(List<String> problems, String line) {
      if (problems.size() < MAX_PROBLEMS) {
        problems.add(line);
      }
    }
  }

  private final class FlushCall extends Pending {
    private final List<String> waiting;
    private final ReplySink sink;

    FlushCall(long id, long deadlineNanos, List<String> others, ReplySink sink) {
      super(id, deadlineNanos);
      this.waiting = new ArrayList<>(others);
      this.sink = sink;
    }

    @Override
    void onFlushAck(String from) {
      boolean done;
      synchronized (this) {
        waiting.remove(from);
        done = waiting.isEmpty();
      }
      if (done && finish()) {
        sink.reply(RespErrors.OK);
      }
    }

    @Override
    void onTimeout() {
      if (finish()) {
        String missing;
        synchronized (this) {
          missing = String.join(", ", waiting);
        }
        sink.reply(
            RespErrors.error(
                "TIMEOUT unknown outcome: FLUSHALL was not confirmed by " + missing
                    + "; their keys may remain"));
      }
    }

    @Override
    void answerEpochError(String from, long epoch) {
      sink.reply(epochError(from, epoch));
    }
  }

  /**
   * Outcomes of the writes one coordinator forwarded here, so that a duplicated {@link Execute}
   * (the simulated network duplicates messages) is answered again rather than run twice.
   */
  private static final class WriteLog {
    static final Outcome IN_PROGRESS =
        new Outcome(new ExecuteReply(0, -1, Status.FAILED, new byte[0], NO_VERSIONS, List.of()), 0);

    /** An answer and when it was built: the TTLs in its entries age from then. */
    record Outcome(ExecuteReply reply, long builtAtNanos) {
      /** The answer again, as it stands at {@code nowNanos}. */
      ExecuteReply replay(long nowNanos) {
        if (reply.entries().isEmpty()) {
          return reply;
        }
        List<StateEntry> entries = new ArrayList<>(reply.entries().size());
        for (StateEntry entry : reply.entries()) {
          entries.add(aged(entry, nowNanos - builtAtNanos));
        }
        return new ExecuteReply(
            reply.requestId(), reply.slot(), reply.status(), reply.reply(), reply.keyVersions(),
            entries);
      }
    }

    private final java.util.LinkedHashMap<Long, Outcome> outcomes =
        new java.util.LinkedHashMap<>(64, 0.75f, false) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<Long, Outcome> eldest) {
            return size() > REMEMBERED_WRITES_PER_PEER;
          }
        };

    /**
     * A request refused for its epoch: it must never run later either (a copy delayed until this
     * node reaches the sender's epoch), since the coordinator was told it did not run.
     */
    static final Outcome REFUSED =
        new Outcome(new ExecuteReply(0, -1, Status.FAILED, new byte[0], NO_VERSIONS, List.of()), 0);

    /** Whether {@code requestId} has begun here (in progress, finished or refused). */
    synchronized boolean knows(long requestId) {
      return outcomes.containsKey(requestId);
    }

    /** Records that {@code requestId} was refused, unless it had begun already. */
    synchronized void refuse(long requestId) {
      outcomes.putIfAbsent(requestId, REFUSED);
    }

    /** Returns null (and records the request) if it is new, else what is known of it. */
    synchronized Outcome begin(long requestId) {
      Outcome known = outcomes.get(requestId);
      if (known == null) {
        outcomes.put(requestId, IN_PROGRESS);
      }
      return known;
    }

    synchronized void finish(long requestId, ExecuteReply reply, long builtAtNanos) {
      outcomes.put(requestId, new Outcome(reply, builtAtNanos));
    }
  }

  /** RESP replies the cluster writes itself; simple strings and errors read alike in RESP2 and 3. */
  static final class RespErrors {
    static final byte[] OK = "+OK\r\n".getBytes(StandardCharsets.US_ASCII);

    private RespErrors() {}

    static byte[] error(String message) {
      return ("-" + message.replace('\r', ' ').replace('\n', ' ') + "\r\n")
          .getBytes(StandardCharsets.UTF_8);
    }
  }
}
