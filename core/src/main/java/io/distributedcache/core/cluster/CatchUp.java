package io.distributedcache.core.cluster;

import io.distributedcache.core.cluster.ClusterNode.SlotState;
import io.distributedcache.core.cluster.message.DigestReply;
import io.distributedcache.core.cluster.message.DigestRequest;
import io.distributedcache.core.cluster.message.StateEntry;
import io.distributedcache.core.cluster.message.SyncReply;
import io.distributedcache.core.cluster.message.SyncRequest;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.storage.ByteKey;
import io.distributedcache.core.storage.CacheStorage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a {@link ClusterNode}'s copies catch up: after a restart, after a reconnection to a primary,
 * and periodically (anti-entropy).
 *
 * <h2>Design note</h2>
 *
 * <ul>
 *   <li><b>After a restart</b> every replicated slot is {@link SlotState#CATCHING_UP}. Each round
 *       (every {@code syncRetryInterval} while any slot is) asks every reachable replica of those
 *       slots for all their entries. A slot becomes ready when one of these holds: its primary
 *       (another node) answered and was itself caught up, so it has every write it ordered; or
 *       {@code N - majority(N) + 1} caught-up replicas answered, so that any write a majority
 *       acknowledged is among them; or every other replica answered, so there is nothing more to
 *       learn (this is how a cluster that starts cold becomes ready).
 *   <li><b>After a reconnection</b> to a primary, its slots are {@link SlotState#SUSPECT}: the
 *       copy may have missed writes while the link was down. The node compares per-slot digests
 *       with the primary and pulls the slots that differ; then they are ready again. A primary that
 *       answers while it is itself catching up has restarted and can hold nothing newer, so the
 *       suspect copies are ready again too.
 *   <li><b>Anti-entropy</b>: every {@code antiEntropyInterval} the same digest comparison runs for
 *       every slot whose primary is reachable, so copies converge even after lost messages.
 *   <li><b>Deletes</b>: a transfer includes tombstones; and when the primary, caught up, sends a
 *       slot, an entry the replica holds that the primary does not, older than the moment the
 *       primary read the slot, is removed.
 * </ul>
 *
 * <p>Thread-safety: progress is guarded by this object's monitor; messages are built outside it.
 */
final class CatchUp {

  private static final int SLOT_COUNT = Slots.SLOT_COUNT;

  private final ClusterNode node;
  private final long retryIntervalNanos;
  private final long antiEntropyIntervalNanos;

  // Guarded by this: per slot, bit r set when the replica of rank r answered (ready or not).
  private final int[] answered = new int[SLOT_COUNT];
  private final int[] answeredReady = new int[SLOT_COUNT];

  /**
   * When each lagging slot was last asked for (ticker nanos), so that a round asks only for slots
   * whose previous request went unanswered for a retry interval: asking again for all of them
   * every round floods the peers exactly when they are slow to answer.
   */
  private final long[] lastAskedNanos = new long[SLOT_COUNT];

  private final boolean[] asked = new boolean[SLOT_COUNT];

  // Guarded by this: slots a rebalance gives this node before the cutover, still to pull, and
  // those pulled (kept until the cutover makes them ordinary copies).
  private final boolean[] pulling = new boolean[SLOT_COUNT];
  private final boolean[] pulled = new boolean[SLOT_COUNT];
  private int pullsOutstanding;
  private boolean roundStarted;
  private long lastRoundNanos;
  private long nextAntiEntropyNanos;

  CatchUp(ClusterNode node) {
    this.node = node;
    this.retryIntervalNanos = node.settings().syncRetryInterval().toNanos();
    this.antiEntropyIntervalNanos = node.settings().antiEntropyInterval().toNanos();
    this.nextAntiEntropyNanos = node.ticker().read() + antiEntropyIntervalNanos;
  }

  /** Starts or retries catch-up rounds and anti-entropy when due. */
  void tick(ConsistentHashRing ring, long now) {
    boolean roundDue;
    synchronized (this) {
      roundDue = !roundStarted || now - lastRoundNanos >= retryIntervalNanos;
      if (roundDue) {
        roundStarted = true;
        lastRoundNanos = now;
      }
    }
    if (roundDue) {
      requestLaggingSlots(ring, now);
    }
    if (now - nextAntiEntropyNanos >= 0) {
      nextAntiEntropyNanos = now + antiEntropyIntervalNanos;
      node.stats().antiEntropyRounds.increment();
      int self = node.selfIndex(ring);
      for (int member = 0; member < ring.members().size(); member++) {
        if (member != self) {
          compareDigests(ring, member, false);
        }
      }
    }
  }

  /**
   * A new ring made {@code slots} catch up (new copies, or a promotion that must reconcile): what
   * earlier rounds learned about them was counted by the old ranks, so it is forgotten, and the
   * next tick asks for them.
   */
  synchronized void restart(List<Integer> slots, List<Integer> pulls) {
    for (int slot : slots) {
      answered[slot] = 0;
      answeredReady[slot] = 0;
      asked[slot] = false;
    }
    boolean[] keep = new boolean[SLOT_COUNT];
    for (int slot : pulls) {
      keep[slot] = true;
    }
    pullsOutstanding = 0;
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
      // A slot pulled under the previous epoch of the same rebalance stays pulled: writes kept
      // reaching it as a target copy.
      pulled[slot] = keep[slot] && pulled[slot];
      pulling[slot] = keep[slot] && !pulled[slot];
      if (pulling[slot]) {
        pullsOutstanding++;
        answeredReady[slot] = 0;
        asked[slot] = false;
      }
    }
    roundStarted = false;
  }

  /** Whether the rebalance in progress had this node pull {@code slot}, and it has. */
  synchronized boolean pulled(int slot) {
    return pulled[slot];
  }

  /** Whether the rebalance in progress has this node pull {@code slot}, and it has not yet. */
  synchronized boolean pulling(int slot) {
    return pulling[slot];
  }

  synchronized boolean pullsComplete() {
    return pullsOutstanding == 0;
  }

  synchronized int pullsPending() {
    return pullsOutstanding;
  }

  /** Makes the next tick ask again for every slot still lagging, whenever it was last asked. */
  synchronized void retrySoon() {
    roundStarted = false;
    java.util.Arrays.fill(asked, false);
  }

  /** A connection to a peer came up: suspect the copies of its slots and compare them. */
  void onPeerUp(ConsistentHashRing ring, String nodeId) {
    int member = ring.memberIndex(nodeId);
    if (member < 0) {
      return;
    }
    compareDigests(ring, member, true);
    synchronized (this) {
      // A source appeared for slots still catching up: ask again now, whatever was asked before.
      roundStarted = false;
      java.util.Arrays.fill(asked, false);
    }
  }

  /**
   * Sends the digests of the slots {@code member} is primary of and this node replicates to
   * {@code member}; with {@code suspect}, first marks ready copies of them {@link
   * SlotState#SUSPECT}.
   */
  private void compareDigests(ConsistentHashRing ring, int member, boolean suspect) {
    int self = node.selfIndex(ring);
    String id = ring.member(member).id();
    if (!node.isReachable(id)) {
      return;
    }
    List<Integer> slots = new ArrayList<>();
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
      if (ring.primaryIndex(slot) == member && ring.rankOf(self, slot) > 0) {
        if (suspect) {
          node.compareAndSetSlotState(slot, SlotState.READY, SlotState.SUSPECT);
        }
        if (node.slotState(slot) != SlotState.CATCHING_UP) {
          slots.add(slot);
        }
      }
    }
    for (int[] batch : batches(slots)) {
      node.send(ring, id, new DigestRequest(node.nextRequestId(), batch));
    }
  }

  /** Asks the sources of every slot that is catching up (all entries) or suspect (digests). */
  private void requestLaggingSlots(ConsistentHashRing ring, long now) {
    int self = node.selfIndex(ring);
    int n = ring.replicationFactor();
    Map<Integer, List<Integer>> syncBySource = new LinkedHashMap<>();
    Map<Integer, List<Integer>> digestBySource = new LinkedHashMap<>();
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
      SlotState state = node.slotState(slot);
      if (state == SlotState.READY) {
        continue;
      }
      synchronized (this) {
        if (asked[slot] && now - lastAskedNanos[slot] < retryIntervalNanos) {
          continue;
        }
        asked[slot] = true;
        lastAskedNanos[slot] = now;
      }
      if (state == SlotState.SUSPECT) {
        int primary = ring.primaryIndex(slot);
        if (primary != self && node.isReachable(ring.member(primary).id())) {
          digestBySource.computeIfAbsent(primary, k -> new ArrayList<>()).add(slot);
        } else if (primary == self || ring.rankOf(self, slot) < 0) {
          node.compareAndSetSlotState(slot, SlotState.SUSPECT, SlotState.READY);
        }
        continue;
      }
      if (ring.rankOf(self, slot) < 0 || n == 1 || !hasLiveOther(ring, slot, self)) {
        // No copy here, or no other copy that could answer: every member holding one failed.
        node.slotState(slot, SlotState.READY);
        continue;
      }
      for (int r = 0; r < n; r++) {
        int member = ring.preference(slot, r);
        if (member != self && node.isReachable(ring.member(member).id())) {
          syncBySource.computeIfAbsent(member, k -> new ArrayList<>()).add(slot);
        }
      }
    }
    requestPulls(ring, now, syncBySource);
    for (Map.Entry<Integer, List<Integer>> e : syncBySource.entrySet()) {
      String id = ring.member(e.getKey()).id();
      for (int[] batch : batches(e.getValue())) {
        node.send(ring, id, new SyncRequest(node.nextRequestId(), batch));
      }
    }
    for (Map.Entry<Integer, List<Integer>> e : digestBySource.entrySet()) {
      String id = ring.member(e.getKey()).id();
      for (int[] batch : batches(e.getValue())) {
        node.send(ring, id, new DigestRequest(node.nextRequestId(), batch));
      }
    }
  }

  /**
   * Asks each slot's serving primary for the slots this node pulls for a rebalance (every
   * reachable serving copy while the primary cannot be reached).
   */
  private void requestPulls(
      ConsistentHashRing ring, long now, Map<Integer, List<Integer>> syncBySource) {
    int n = ring.replicationFactor();
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
      synchronized (this) {
        if (!pulling[slot] || (asked[slot] && now - lastAskedNanos[slot] < retryIntervalNanos)) {
          continue;
        }
        asked[slot] = true;
        lastAskedNanos[slot] = now;
      }
      int primary = ring.primaryIndex(slot);
      if (node.isReachable(ring.member(primary).id())) {
        syncBySource.computeIfAbsent(primary, k -> new ArrayList<>()).add(slot);
        continue;
      }
      for (int r = 1; r < n; r++) {
        int member = ring.preference(slot, r);
        if (node.isReachable(ring.member(member).id())) {
          syncBySource.computeIfAbsent(member, k -> new ArrayList<>()).add(slot);
        }
      }
    }
  }

  /**
   * A transfer for a slot this node pulls for a rebalance: applied; the pull is done when the
   * slot's serving primary sent it while caught up, or enough caught-up serving copies did that
   * every majority-acknowledged write is among them.
   */
  private void onPullReply(ConsistentHashRing ring, int rank, SyncReply reply, boolean sameEpoch) {
    CacheStorage storage = applyEntries(reply);
    node.stats().keysPulled.add(reply.entries().size());
    if (!sameEpoch || !reply.ready()) {
      return;
    }
    int slot = reply.slot();
    boolean authoritative = rank == 0;
    if (authoritative) {
      removeWhatThePrimaryDropped(storage, reply);
    }
    int n = ring.replicationFactor();
    int needReady = n - ConsistencyLevel.majority(n) + 1;
    synchronized (this) {
      if (!pulling[slot]) {
        return;
      }
      answeredReady[slot] |= 1 << rank;
      if (authoritative || Integer.bitCount(answeredReady[slot]) >= needReady) {
        pulling[slot] = false;
        pulled[slot] = true;
        answeredReady[slot] = 0;
        pullsOutstanding--;
        node.stats().slotsPulled.increment();
      }
    }
  }

  /** Applies a transfer's states (the newer version of each key wins); returns the storage. */
  private CacheStorage applyEntries(SyncReply reply) {
    node.applyStates(reply.slot(), reply.entries(), true);
    node.stats().keysSynced.add(reply.entries().size());
    return node.storage();
  }

  private static boolean hasLiveOther(ConsistentHashRing ring, int slot, int self) {
    for (int r = 0; r < ring.replicationFactor(); r++) {
      int member = ring.preference(slot, r);
      if (member != self && !ring.isDemoted(member)) {
        return true;
      }
    }
    return false;
  }

  private static List<int[]> batches(List<Integer> slots) {
    List<int[]> result = new ArrayList<>();
    int size = ClusterNode.slotsPerRequest();
    for (int from = 0; from < slots.size(); from += size) {
      List<Integer> part = slots.subList(from, Math.min(slots.size(), from + size));
      result.add(part.stream().mapToInt(Integer::intValue).toArray());
    }
    return result;
  }

  /** Answers a digest request with this node's digests of the same slots. */
  DigestReply digests(DigestRequest request) {
    long[] digests = new long[request.slots().length];
    for (int i = 0; i < digests.length; i++) {
      digests[i] = digest(node.storage(), request.slots()[i]);
    }
    return new DigestReply(request.requestId(), request.slots(), digests);
  }

  /** Compares the primary's digests with ours; pulls the slots that differ. */
  void onDigestReply(ConsistentHashRing ring, String from, DigestReply reply) {
    int member = ring.memberIndex(from);
    if (member < 0) {
      return;
    }
    List<Integer> differing = new ArrayList<>();
    int[] slots = reply.slots();
    for (int i = 0; i < slots.length; i++) {
      int slot = slots[i];
      if (slot < 0 || slot >= SLOT_COUNT || ring.primaryIndex(slot) != member) {
        continue;
      }
      if (digest(node.storage(), slot) == reply.digests()[i]) {
        node.compareAndSetSlotState(slot, SlotState.SUSPECT, SlotState.READY);
      } else {
        differing.add(slot);
      }
    }
    if (!differing.isEmpty()) {
      node.stats().digestMismatches.add(differing.size());
      for (int[] batch : batches(differing)) {
        node.send(ring, from, new SyncRequest(node.nextRequestId(), batch));
      }
    }
  }

  /** Sends every entry of each requested slot, one reply per slot. */
  void onSyncRequest(ConsistentHashRing ring, String from, SyncRequest request) {
    CacheStorage storage = node.storage();
    for (int slot : request.slots()) {
      if (slot < 0 || slot >= SLOT_COUNT) {
        continue;
      }
      // Read the clock first: anything written while we copy has a newer version, so the
      // receiver never removes it for being absent from this snapshot.
      long snapshotVersion = node.hlcNow();
      boolean ready = node.slotState(slot) != SlotState.CATCHING_UP;
      long now = node.ticker().read();
      List<StateEntry> entries = new ArrayList<>();
      storage.forEachEntryInSlot(
          slot, (key, value) -> entries.add(ClusterNode.toEntry(key, value, now)));
      node.send(
          ring, from, new SyncReply(request.requestId(), slot, snapshotVersion, ready, entries));
    }
  }

  /**
   * Applies one slot's transfer and decides whether the slot has caught up.
   *
   * @param sameEpoch whether the sender answered under the ring in force here. An answer from
   *     another epoch is applied (states are harmless) but does not count: the sender may have
   *     held another role then, for example a replica that was not yet the primary
   */
  void onSyncReply(ConsistentHashRing ring, String from, SyncReply reply, boolean sameEpoch) {
    int member = ring.memberIndex(from);
    int slot = reply.slot();
    if (member < 0 || slot < 0 || slot >= SLOT_COUNT) {
      return;
    }
    int rank = ring.rankOf(member, slot);
    int self = node.selfIndex(ring);
    int selfRank = ring.rankOf(self, slot);
    if (rank >= 0 && selfRank < 0 && pulling(slot)) {
      onPullReply(ring, rank, reply, sameEpoch);
      return;
    }
    if (rank < 0 || selfRank < 0) {
      return;
    }
    CacheStorage storage = applyEntries(reply);
    boolean authoritative = rank == 0 && selfRank > 0 && reply.ready();
    if (authoritative) {
      removeWhatThePrimaryDropped(storage, reply);
    }
    if (!sameEpoch) {
      return;
    }
    SlotState state = node.slotState(slot);
    if (state == SlotState.SUSPECT && rank == 0) {
      if (node.compareAndSetSlotState(slot, SlotState.SUSPECT, SlotState.READY)) {
        node.stats().slotsSynced.increment();
      }
      return;
    }
    if (state != SlotState.CATCHING_UP) {
      if (authoritative) {
        node.stats().slotsSynced.increment();
      }
      return;
    }
    int n = ring.replicationFactor();
    int needReady = Math.min(n - 1, n - ConsistencyLevel.majority(n) + 1);
    // Members the control plane marked failed are not waited for: the failover that marked them
    // made this node reconcile precisely because they are gone. Whatever a majority acknowledged
    // has a copy on a live member when at most a minority failed.
    int liveOthers = 0;
    for (int r = 0; r < n; r++) {
      int holder = ring.preference(slot, r);
      if (holder != self && !ring.isDemoted(holder)) {
        liveOthers |= 1 << r;
      }
    }
    boolean caughtUp;
    synchronized (this) {
      answered[slot] |= 1 << rank;
      if (reply.ready()) {
        answeredReady[slot] |= 1 << rank;
      }
      caughtUp =
          authoritative
              || Integer.bitCount(answeredReady[slot]) >= needReady
              || (answered[slot] & liveOthers) == liveOthers;
      if (caughtUp) {
        answered[slot] = 0;
        answeredReady[slot] = 0;
      }
    }
    if (caughtUp && node.compareAndSetSlotState(slot, SlotState.CATCHING_UP, SlotState.READY)) {
      node.stats().slotsSynced.increment();
    }
  }

  private void removeWhatThePrimaryDropped(CacheStorage storage, SyncReply reply) {
    Set<ByteKey> present = new HashSet<>(reply.entries().size() * 2);
    for (StateEntry entry : reply.entries()) {
      present.add(ByteKey.of(entry.key()));
    }
    List<ByteKey> candidates = new ArrayList<>();
    storage.forEachEntryInSlot(
        reply.slot(),
        (key, value) -> {
          if (!present.contains(key) && value.version() < reply.snapshotVersion()) {
            candidates.add(key);
          }
        });
    for (ByteKey key : candidates) {
      if (storage.removeIfOlder(key, reply.snapshotVersion())) {
        node.stats().keysRemovedBySync.increment();
        node.deliverLocally(
            io.distributedcache.core.invalidation.Invalidation.key(
                io.distributedcache.core.invalidation.Invalidation.Cause.DELETED, key.bytes()));
      }
    }
  }

  /**
   * A digest of one slot's entries (keys and versions, tombstones included): XOR of a mix of each,
   * so it does not depend on iteration order. Not a placement hash; it never leaves a comparison.
   */
  static long digest(CacheStorage storage, int slot) {
    long[] acc = new long[1];
    storage.forEachEntryInSlot(
        slot,
        (key, value) -> acc[0] ^= mix(hashBytes(key.bytes()) ^ mix(value.version())));
    return acc[0];
  }

  private static long hashBytes(byte[] bytes) {
    long h = 0xcbf29ce484222325L;
    for (byte b : bytes) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return h;
  }

  /** MurmurHash3's 64-bit finalizer. */
  private static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
