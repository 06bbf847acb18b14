package io.distributedcache.core.storage;

import static io.distributedcache.core.keyspace.Slots.SLOT_COUNT;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.distributedcache.core.time.Ticker;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * The node-local store: {@link ByteKey} to {@link VersionedValue}, on Caffeine (DESIGN.md section
 * 5).
 *
 * <h2>Design note</h2>
 *
 * <ul>
 *   <li><b>Time.</b> Caffeine reads our injected {@link Ticker}; every entry expires at its own
 *       {@link VersionedValue#deadlineNanos()} through a variable {@link Expiry} (tombstones at
 *       their grace deadline, {@link VersionedValue#NO_DEADLINE} never). Caffeine stores the expiry
 *       time as {@code now + (deadline - now)}, so its notion of "expired" is exactly {@code
 *       !isLive(now)} and reads need no second check.
 *   <li><b>No threads.</b> {@code executor(Runnable::run)}: Caffeine's maintenance (draining
 *       buffers, expiring, evicting) runs on the thread that triggers it, a writer or {@link
 *       #runMaintenance()}. The core owns no threads (it must run inside the single-threaded
 *       simulator, and ForkJoinPool's common pool would make runs non-deterministic), and it puts
 *       expiry/eviction events on a thread we know. No Caffeine scheduler is set, so nothing is
 *       ever scheduled.
 *   <li><b>Memory bound.</b> With {@code maxMemoryBytes > 0}, {@code maximumWeight} with a weigher
 *       that estimates an entry's bytes as {@code key length + value length + }{@link
 *       #ENTRY_OVERHEAD_BYTES}.
 *   <li><b>One mutation path.</b> Every change goes through {@code asMap().compute(key, ...)}, and
 *       the bookkeeping (per-slot key index, counters, weighed bytes) is updated inside the compute
 *       function, under Caffeine's lock for that key. Caffeine's removals (expiry, size eviction)
 *       come through the {@code evictionListener}, which Caffeine also runs inside the atomic
 *       removal. So for every key the index and counters change in the same critical section as the
 *       map: they are exactly consistent with it, not eventually.
 *   <li><b>Slot index.</b> 16384 concurrent key sets, created on first use, holding every key whose
 *       stored value is not a tombstone (including expired values Caffeine has not removed yet).
 *       SCAN, KEYS-by-slot, RANDOMKEY and rebalancing read it.
 *   <li><b>Events.</b> {@link KeyEventListener}s live only in a registry the storage owns (a
 *       copy-on-write array of small holders); closing the {@link Subscription} removes the holder
 *       and clears its reference, so nothing keeps a closed listener alive (seed bug 3). {@code
 *       WRITTEN}/{@code DELETED} are delivered right after the compute returns (outside Caffeine's
 *       lock); {@code EXPIRED}/{@code EVICTED} from inside Caffeine's atomic removal. Both on the
 *       thread that made the change.
 * </ul>
 *
 * <h2>An expired value is a delete at its own version</h2>
 *
 * A value past its deadline is not forgotten at once: for the tombstone grace period it stays, as a
 * tombstone carrying the value's version ({@link #getRaw} shows it so; the first mutation or sweep
 * that meets it stores it so, counting the expiry and firing {@link KeyEvent#EXPIRED} once). A copy
 * of that same write, or an older one, arriving later from a replica whose deadline is a transit
 * later is therefore refused by {@link #applyIfNewer} like any stale write, instead of coming back
 * to life, and a newer write still wins. Caffeine's own expiry is set to the deadline plus the
 * grace; every read checks the deadline itself.
 *
 * <h2>Lag of Caffeine's expiry</h2>
 *
 * Caffeine's timer wheel removes an expired entry only when its lowest wheel ticks (every 2^30 ns,
 * about 1.07 s) and at most 1000 per maintenance run. Reads never see an expired entry regardless,
 * but counters would lag. {@link #runMaintenance()} therefore loops Caffeine's clean-up and then
 * sweeps a bounded part of the slot index, removing entries whose deadline has passed; with fewer
 * than {@value #SWEEP_KEYS_PER_RUN} keys one call sweeps them all, so {@link #size()} is exact
 * after it.
 *
 * <p>Thread-safety: every method may be called from any thread concurrently. Reads ({@link
 * #getLive}, {@link #getRaw}) are lock-free Caffeine lookups; a mutation holds only Caffeine's
 * per-key bin lock. Nothing blocks except on those short per-key locks and on the listener registry
 * lock in {@link #subscribe}/{@link Subscription#close()}. Methods throw only on invalid arguments
 * or when a compute function throws.
 */
public final class CacheStorage {

  /**
   * Estimated heap bytes of one entry beyond its key and value bytes (64-bit JVM, compressed oops),
   * used by the weigher and by {@link #weightedBytes()}. Measured by {@code
   * EntryOverheadMeasurementTest}, which stores 200,000 entries (16-byte keys, 3-byte values) and
   * divides the retained heap: 254 bytes per entry with a memory bound, 240 without (JDK 17, G1).
   * Where it goes:
   *
   * <pre>
   *   ByteKey                                   24  (header 12, array ref, hash, cached slot)
   *   key byte[] header                         16  (+ 0..7 alignment, ~4 on average)
   *   VersionedValue                            32  (header 12, array ref, version, deadline)
   *   value byte[] header                       16  (+ 0..7 alignment, ~4 on average)
   *   ConcurrentHashMap.Node in Caffeine's map  32  (+ ~10 of table at load factor 0.75)
   *   Caffeine node (weight, variable expiry)  ~64  (key, value, weights, queue type, times,
   *                                                  access-order and timer-wheel links)
   *   Caffeine frequency sketch                 ~8
   *   slot index: ConcurrentHashMap.Node        32  (+ ~10 of table)
   *   ------------------------------------------------
   *                                           ~262  with average alignment; 256 is the round figure
   * </pre>
   */
  public static final int ENTRY_OVERHEAD_BYTES = 256;

  /** How many indexed keys one {@link #runMaintenance()} sweep examines at most. */
  public static final int SWEEP_KEYS_PER_RUN = 4096;

  /** Caffeine's {@code EXPIRATION_THRESHOLD}: expirations per clean-up, beyond which it stops. */
  private static final int CAFFEINE_EXPIRATIONS_PER_CLEANUP = 1000;

  private static final int MAX_CLEANUP_ROUNDS = 64;
  private static final int RANDOM_KEY_ATTEMPTS = 32;
  private static final int SLOT_MASK = SLOT_COUNT - 1;

  /** A compute function that keeps a live value and lets Caffeine drop an expired one. */
  private static final BiFunction<ByteKey, VersionedValue, VersionedValue> KEEP_UNLESS_EXPIRED =
      (key, value) -> value;

  private final Ticker ticker;
  private final long tickerOriginNanos;
  private final long tombstoneGraceNanos;
  private final Cache<ByteKey, VersionedValue> cache;
  private final ConcurrentMap<ByteKey, VersionedValue> map;
  private final Policy<ByteKey, VersionedValue> policy;
  private final AtomicReferenceArray<Set<ByteKey>> slotIndex =
      new AtomicReferenceArray<>(SLOT_COUNT);

  /** Keys stored as tombstones, per slot: replication transfers deletes too. */
  private final AtomicReferenceArray<Set<ByteKey>> slotTombstones =
      new AtomicReferenceArray<>(SLOT_COUNT);

  private final LongAdder storedValues = new LongAdder();
  private final LongAdder tombstones = new LongAdder();
  private final LongAdder volatileValues = new LongAdder();

  /**
   * Sum of the deadlines of volatile values, in milliseconds after {@link #tickerOriginNanos}: with
   * {@link #volatileValues} it gives the average TTL. A double so that no number of keys with
   * decades-long TTLs can overflow it; an average needs no more precision.
   */
  private final DoubleAdder volatileDeadlineMillisSum = new DoubleAdder();
  private final LongAdder weightedBytes = new LongAdder();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder expirations = new LongAdder();

  /**
   * Every removal Caffeine made because of expiry, tombstones included: paces the clean-up loop.
   */
  private final LongAdder policyExpirations = new LongAdder();

  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder listenerFailures = new LongAdder();

  private final ListenerRegistry<KeyEventListener> listeners = new ListenerRegistry<>();

  private final Object maintenanceLock = new Object();
  private int sweepCursor; // guarded by maintenanceLock

  /**
   * Creates an empty storage.
   *
   * @param settings memory bound and tombstone grace
   * @param ticker the node's monotonic clock; every deadline stored here is a reading of it
   */
  public CacheStorage(StorageSettings settings, Ticker ticker) {
    Objects.requireNonNull(settings, "settings");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.tombstoneGraceNanos = settings.tombstoneGrace().toNanos();
    this.tickerOriginNanos = ticker.read();
    Caffeine<ByteKey, VersionedValue> builder =
        Caffeine.newBuilder()
            .ticker(ticker::read)
            .executor(Runnable::run)
            .expireAfter(new DeadlineExpiry(settings.tombstoneGrace().toNanos()))
            .evictionListener(this::onPolicyRemoval);
    if (settings.maxMemoryBytes() > 0) {
      builder.maximumWeight(settings.maxMemoryBytes()).weigher(CacheStorage::weigh);
    }
    this.cache = builder.build();
    this.map = cache.asMap();
    this.policy = cache.policy();
  }

  // ------------------------------------------------------------------------------------------
  // Reads

  /**
   * Returns the live value of {@code key}, or {@code null} if it is absent, expired or a tombstone.
   * Lock-free; does not count hits or misses.
   */
  public VersionedValue getLive(ByteKey key) {
    VersionedValue value = cache.getIfPresent(key);
    return value == null || !value.isLive(ticker.read()) ? null : value;
  }

  /**
   * Like {@link #getLive(ByteKey)}, and if {@code countStats} counts a hit or a miss in {@link
   * #hits()}/{@link #misses()} (Redis {@code keyspace_hits}/{@code keyspace_misses}: read commands
   * count, write commands and internal lookups do not).
   */
  public VersionedValue getLive(ByteKey key, boolean countStats) {
    VersionedValue value = getLive(key);
    if (countStats) {
      (value == null ? misses : hits).increment();
    }
    return value;
  }

  /**
   * Returns what is stored for {@code key}, tombstones included, or {@code null}; never an expired
   * value: a value past its deadline is shown as the tombstone it has become (same version).
   */
  public VersionedValue getRaw(ByteKey key) {
    return asStored(cache.getIfPresent(key), ticker.read());
  }

  /** A value past its deadline as what it is now: a tombstone at its version, or nothing. */
  private VersionedValue asStored(VersionedValue value, long nowNanos) {
    if (value == null || value.isTombstone() || value.isLive(nowNanos)) {
      return value;
    }
    return expiredTombstone(value, nowNanos);
  }

  /** The tombstone an expired value turns into; null once the grace after its deadline is over. */
  private VersionedValue expiredTombstone(VersionedValue expired, long nowNanos) {
    long until = VersionedValue.deadlineAfter(expired.deadlineNanos(), tombstoneGraceNanos);
    if (tombstoneGraceNanos == 0 || nowNanos - until >= 0) {
      return null;
    }
    return VersionedValue.tombstone(expired.version(), until);
  }

  // ------------------------------------------------------------------------------------------
  // Writes

  /**
   * Atomically replaces the value of {@code key} by what {@code fn} returns.
   *
   * <p>{@code fn} receives the live value, or {@code null} if the key is absent, expired or a
   * tombstone. It returns:
   *
   * <ul>
   *   <li>the argument itself (the same instance, or {@code null} when given {@code null}): nothing
   *       changes, no event; a stored tombstone or expired value stays until it times out;
   *   <li>a new value: stored; {@link KeyEvent#WRITTEN};
   *   <li>a tombstone ({@code value() == null}): stored; one with {@link
   *       VersionedValue#NO_DEADLINE} gets the tombstone grace period as its deadline (or is
   *       dropped outright if the grace is zero); {@link KeyEvent#DELETED} if there was a live
   *       value;
   *   <li>{@code null} when given a value: the entry is removed outright; {@link KeyEvent#DELETED}.
   * </ul>
   *
   * A value found past its deadline produces {@link KeyEvent#EXPIRED} first.
   *
   * <p>{@code fn} runs under Caffeine's lock for the key, on the calling thread, and is called at
   * most once (Caffeine's map compute is not retried). It must be quick and must not touch this
   * storage. If it throws, nothing changes and the exception propagates.
   *
   * @return what {@code fn} returned (after the tombstone-deadline adjustment above)
   */
  public VersionedValue compute(
      ByteKey key, BiFunction<ByteKey, VersionedValue, VersionedValue> fn) {
    Objects.requireNonNull(fn, "fn");
    Mutation mutation = new Mutation(fn, false);
    map.compute(key, mutation);
    mutation.publish(key);
    return mutation.result;
  }

  /** Stores {@code value} (a value or a tombstone) for {@code key}, whatever was there. */
  public void put(ByteKey key, VersionedValue value) {
    Objects.requireNonNull(value, "value");
    compute(key, (k, current) -> value);
  }

  /**
   * Replaces the live value of {@code key}, if any, by a tombstone with {@code version} that lasts
   * the tombstone grace period.
   *
   * @return whether a live value existed (if not, nothing is written)
   */
  public boolean delete(ByteKey key, long version) {
    Mutation mutation =
        new Mutation(
            (k, current) ->
                current == null
                    ? null
                    : VersionedValue.tombstone(version, VersionedValue.NO_DEADLINE),
            false);
    map.compute(key, mutation);
    mutation.publish(key);
    return mutation.live != null;
  }

  /**
   * Removes every entry, tombstones included, with a {@link KeyEvent#DELETED} per live key. Not
   * atomic with respect to concurrent writers: a key written while this runs may survive.
   */
  public void clear() {
    for (ByteKey key : map.keySet()) {
      removeOutright(key);
    }
    // Expired values Caffeine has not removed yet are invisible to its iterators but still indexed.
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
      Set<ByteKey> keys = slotIndex.get(slot);
      if (keys != null) {
        for (ByteKey key : keys) {
          removeOutright(key);
        }
      }
      Set<ByteKey> tombstoneKeys = slotTombstones.get(slot);
      if (tombstoneKeys != null) {
        for (ByteKey key : tombstoneKeys) {
          removeOutright(key);
        }
      }
    }
  }

  private void removeOutright(ByteKey key) {
    Mutation mutation = new Mutation(null, true);
    map.compute(key, mutation);
    mutation.publish(key);
  }

  // ------------------------------------------------------------------------------------------
  // Maintenance and figures

  /**
   * Runs Caffeine's maintenance on this thread (drains its buffers, expires due entries, evicts
   * down to the memory bound), repeated while Caffeine stopped at its per-run expiry limit, then
   * sweeps up to {@value #SWEEP_KEYS_PER_RUN} indexed keys for expired values the timer wheel has
   * not reached yet. The server calls this periodically; tests call it to make the figures exact.
   * Bounded work; does not throw.
   */
  public void runMaintenance() {
    synchronized (maintenanceLock) {
      for (int round = 0; round < MAX_CLEANUP_ROUNDS; round++) {
        long before = policyExpirations.sum();
        cache.cleanUp();
        if (policyExpirations.sum() - before < CAFFEINE_EXPIRATIONS_PER_CLEANUP) {
          break;
        }
      }
      sweepExpired();
    }
  }

  private void sweepExpired() {
    if (volatileValues.sum() == 0) {
      return; // nothing can be past a deadline: spare the lookups (a cache of 1M plain keys
      // otherwise spends a tenth of a core here)
    }
    int examined = 0;
    int slot = sweepCursor;
    for (int visited = 0; visited < SLOT_COUNT && examined < SWEEP_KEYS_PER_RUN; visited++) {
      Set<ByteKey> keys = slotIndex.get(slot);
      if (keys != null) {
        long now = ticker.read();
        for (ByteKey key : keys) {
          examined++;
          VersionedValue value = policy.getIfPresentQuietly(key);
          if (value == null) {
            // Caffeine's compute evicts an expired entry (our listener does the bookkeeping) and
            // passes null on; a concurrently rewritten live value is handed back unchanged.
            map.compute(key, KEEP_UNLESS_EXPIRED);
          } else if (!value.isTombstone() && !value.isLive(now)) {
            // Past its deadline: a mutation that changes nothing stores it as its tombstone.
            Mutation mutation = new Mutation((k, v) -> v, false);
            map.compute(key, mutation);
            mutation.publish(key);
          }
        }
      }
      slot = (slot + 1) & SLOT_MASK;
    }
    sweepCursor = slot;
  }

  /**
   * Number of keys with a value (tombstones excluded). Values past their deadline count until they
   * are removed, as in Redis' DBSIZE; exact after {@link #runMaintenance()} when fewer than {@value
   * #SWEEP_KEYS_PER_RUN} keys are stored.
   */
  public long size() {
    return storedValues.sum();
  }

  /**
   * Number of keys with a value and a deadline (Redis' {@code expires} in {@code INFO keyspace});
   * like {@link #size()}, values past their deadline count until they are removed.
   */
  public long volatileKeys() {
    return volatileValues.sum();
  }

  /**
   * The average remaining TTL of the keys that have one, in milliseconds (Redis' {@code avg_ttl});
   * 0 when no key has a TTL. Exact over the values stored; values past their deadline but not yet
   * removed count as 0.
   */
  public long averageTtlMillis() {
    long count = volatileValues.sum();
    if (count <= 0) {
      return 0;
    }
    double nowMillis = (ticker.read() - tickerOriginNanos) / 1e6;
    double average = volatileDeadlineMillisSum.sum() / count - nowMillis;
    return Math.max(0, Math.round(average));
  }

  /**
   * Number of stored tombstones, including ones past their grace not yet removed (up to ~1 s late).
   */
  public long tombstones() {
    return tombstones.sum();
  }

  /**
   * Estimated heap bytes of all entries: key and value bytes plus {@link #ENTRY_OVERHEAD_BYTES}
   * each.
   */
  public long weightedBytes() {
    return weightedBytes.sum();
  }

  /** Values evicted to stay under the memory bound (Redis {@code evicted_keys}). */
  public long evictions() {
    return evictions.sum();
  }

  /**
   * Values removed because their deadline passed (Redis {@code expired_keys}); tombstones excluded.
   */
  public long expirations() {
    return expirations.sum();
  }

  /**
   * Counts one keyspace hit or miss for a lookup made another way (a read command carried out
   * through {@link #compute}, such as GETDEL). Lock-free.
   */
  public void recordLookup(boolean hit) {
    (hit ? hits : misses).increment();
  }

  /**
   * Lookups counted through {@link #getLive(ByteKey, boolean)} or {@link #recordLookup} that found
   * a live value.
   */
  public long hits() {
    return hits.sum();
  }

  /**
   * Lookups counted through {@link #getLive(ByteKey, boolean)} or {@link #recordLookup} that found
   * nothing live.
   */
  public long misses() {
    return misses.sum();
  }

  /** How many times a {@link KeyEventListener} threw. */
  public long listenerFailures() {
    return listenerFailures.sum();
  }

  // ------------------------------------------------------------------------------------------
  // Replication

  /**
   * Stores {@code incoming} (a value or a tombstone arriving from another node) if it is newer than
   * what is stored for {@code key}: last writer wins by version, tombstones included, so applying
   * the same states in any order, any number of times, ends in the same place. A tombstone with
   * {@link VersionedValue#NO_DEADLINE} gets the grace period, as in {@link #compute}.
   *
   * @return whether {@code incoming} was stored; false if the stored entry's version is equal or
   *     newer
   */
  public boolean applyIfNewer(ByteKey key, VersionedValue incoming) {
    Objects.requireNonNull(incoming, "incoming");
    boolean[] applied = new boolean[1];
    Mutation mutation =
        new Mutation(
            (k, current) -> {
              if (current != null && current.version() >= incoming.version()) {
                return current;
              }
              applied[0] = true;
              return incoming;
            },
            false,
            true);
    map.compute(key, mutation);
    mutation.publish(key);
    return applied[0];
  }

  /**
   * Removes the entry of {@code key} outright (value or tombstone) if its version is older than
   * {@code version}: the authoritative copy, read at {@code version}, no longer has the key.
   *
   * @return whether an entry was removed
   */
  public boolean removeIfOlder(ByteKey key, long version) {
    boolean[] removed = new boolean[1];
    Mutation mutation =
        new Mutation(
            (k, current) -> {
              if (current == null || current.version() >= version) {
                return current;
              }
              removed[0] = true;
              return null;
            },
            false,
            true);
    map.compute(key, mutation);
    mutation.publish(key);
    return removed[0];
  }

  /**
   * Calls {@code action} with every entry of {@code slot} that has not expired, tombstones
   * included, weakly consistently (an entry unchanged during the whole call is visited exactly
   * once). {@code action} runs outside any lock.
   *
   * @throws IllegalArgumentException if {@code slot} is not in 0..16383
   */
  public void forEachEntryInSlot(int slot, BiConsumer<ByteKey, VersionedValue> action) {
    Objects.requireNonNull(action, "action");
    checkSlot(slot);
    visitIndexed(slotIndex.get(slot), action);
    visitIndexed(slotTombstones.get(slot), action);
  }

  private void visitIndexed(Set<ByteKey> keys, BiConsumer<ByteKey, VersionedValue> action) {
    if (keys == null) {
      return;
    }
    long now = ticker.read();
    for (ByteKey key : keys) {
      VersionedValue value = asStored(policy.getIfPresentQuietly(key), now);
      if (value != null) {
        action.accept(key, value);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Slot index

  /**
   * Number of keys with a value in {@code slot}; like {@link #size()}, counts values past their
   * deadline until they are removed. O(1).
   *
   * @throws IllegalArgumentException if {@code slot} is not in 0..16383
   */
  public int slotKeyCount(int slot) {
    Set<ByteKey> keys = slotIndex.get(checkSlot(slot));
    return keys == null ? 0 : keys.size();
  }

  /**
   * Returns up to {@code limit} live keys of {@code slot}, in no particular order. Weakly
   * consistent: a key live during the whole call is listed (if within the limit), a key changed
   * concurrently may or may not be.
   *
   * @throws IllegalArgumentException if {@code slot} is not in 0..16383 or {@code limit} is
   *     negative
   */
  public List<ByteKey> slotKeys(int slot, int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative: " + limit);
    }
    Set<ByteKey> keys = slotIndex.get(checkSlot(slot));
    if (keys == null || limit == 0) {
      return new ArrayList<>(0);
    }
    List<ByteKey> result = new ArrayList<>(Math.min(limit, keys.size()));
    for (ByteKey key : keys) {
      if (isLiveQuietly(key)) {
        result.add(key);
        if (result.size() == limit) {
          break;
        }
      }
    }
    return result;
  }

  /**
   * Returns a random live key, or {@code null} if there is none. Tries a random non-empty slot and
   * a random key in it a bounded number of times (O(keys per slot) each), then falls back to
   * walking the slots from a random one. Not uniform, like Redis' RANDOMKEY. {@code random} is used
   * only by the calling thread during the call; it needs no thread-safety of its own.
   */
  public ByteKey randomKey(RandomGenerator random) {
    for (int attempt = 0; attempt < RANDOM_KEY_ATTEMPTS; attempt++) {
      Set<ByteKey> keys = slotIndex.get(random.nextInt(SLOT_COUNT));
      if (keys == null) {
        continue;
      }
      int size = keys.size();
      if (size == 0) {
        continue;
      }
      int skip = random.nextInt(size);
      Iterator<ByteKey> iterator = keys.iterator();
      while (skip > 0 && iterator.hasNext()) {
        iterator.next();
        skip--;
      }
      if (iterator.hasNext()) {
        ByteKey key = iterator.next();
        if (isLiveQuietly(key)) {
          return key;
        }
      }
    }
    int start = random.nextInt(SLOT_COUNT);
    for (int i = 0; i < SLOT_COUNT; i++) {
      Set<ByteKey> keys = slotIndex.get((start + i) & SLOT_MASK);
      if (keys != null) {
        for (ByteKey key : keys) {
          if (isLiveQuietly(key)) {
            return key;
          }
        }
      }
    }
    return null;
  }

  /**
   * Calls {@code action} for every live key, weakly consistently (a key live during the whole call
   * is visited exactly once). {@code action} runs outside any lock and may call this storage.
   */
  public void forEachLiveKey(Consumer<ByteKey> action) {
    Objects.requireNonNull(action, "action");
    long now = ticker.read();
    map.forEach(
        (key, value) -> {
          if (value.isLive(now)) {
            action.accept(key);
          }
        });
  }

  // ------------------------------------------------------------------------------------------
  // Listeners

  /**
   * Registers {@code listener} for every {@link KeyEvent} of every key; see {@link
   * KeyEventListener} for the threading contract. The storage keeps the listener only until the
   * returned subscription is closed.
   */
  public Subscription subscribe(KeyEventListener listener) {
    return listeners.add(listener);
  }

  /** Number of open subscriptions. */
  public int listenerCount() {
    return listeners.size();
  }

  private void fire(KeyEvent event, ByteKey key) {
    for (ListenerRegistry.Handle<KeyEventListener> handle : listeners.handles()) {
      KeyEventListener listener = handle.listener();
      if (listener != null) {
        try {
          listener.onKeyEvent(event, key);
        } catch (RuntimeException e) {
          listenerFailures.increment();
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Bookkeeping

  /**
   * Caffeine's eviction listener: an entry removed by expiry or by the memory bound. Runs inside
   * Caffeine's atomic removal of that entry, so the index and counters change with the map.
   */
  private void onPolicyRemoval(ByteKey key, VersionedValue value, RemovalCause cause) {
    if (key == null || value == null) {
      return; // collected references; we hold keys and values strongly, so this does not happen
    }
    account(key, value, null);
    if (cause == RemovalCause.EXPIRED) {
      policyExpirations.increment();
    }
    if (!value.isTombstone()) {
      if (cause == RemovalCause.EXPIRED) {
        expirations.increment();
        fire(KeyEvent.EXPIRED, key);
      } else if (cause == RemovalCause.SIZE) {
        evictions.increment();
        fire(KeyEvent.EVICTED, key);
      }
    }
  }

  /** Moves the index and counters from {@code stored} to {@code next}; either may be null. */
  private void account(ByteKey key, VersionedValue stored, VersionedValue next) {
    boolean wasValue = stored != null && !stored.isTombstone();
    boolean isValue = next != null && !next.isTombstone();
    long weightDelta = 0;
    if (stored != null) {
      weightDelta -= weigh(key, stored);
      if (!wasValue) {
        tombstones.decrement();
      }
    }
    if (next != null) {
      weightDelta += weigh(key, next);
      if (!isValue) {
        tombstones.increment();
      }
    }
    if (weightDelta != 0) {
      weightedBytes.add(weightDelta);
    }
    boolean wasVolatile = wasValue && stored.hasDeadline();
    boolean isVolatile = isValue && next.hasDeadline();
    if (wasVolatile) {
      volatileValues.decrement();
      volatileDeadlineMillisSum.add(-deadlineMillis(stored));
    }
    if (isVolatile) {
      volatileValues.increment();
      volatileDeadlineMillisSum.add(deadlineMillis(next));
    }
    boolean wasTombstone = stored != null && stored.isTombstone();
    boolean isTombstone = next != null && next.isTombstone();
    if (wasTombstone != isTombstone) {
      if (isTombstone) {
        indexOf(slotTombstones, key.slot()).add(key);
      } else {
        Set<ByteKey> keys = slotTombstones.get(key.slot());
        if (keys != null) {
          keys.remove(key);
        }
      }
    }
    if (wasValue != isValue) {
      int slot = key.slot();
      if (isValue) {
        storedValues.increment();
        indexOf(slotIndex, slot).add(key);
      } else {
        storedValues.decrement();
        Set<ByteKey> keys = slotIndex.get(slot);
        if (keys != null) {
          keys.remove(key);
        }
      }
    }
  }

  private double deadlineMillis(VersionedValue value) {
    return (value.deadlineNanos() - tickerOriginNanos) / 1e6;
  }

  private static Set<ByteKey> indexOf(AtomicReferenceArray<Set<ByteKey>> index, int slot) {
    Set<ByteKey> keys = index.get(slot);
    if (keys == null) {
      Set<ByteKey> created = ConcurrentHashMap.newKeySet();
      keys = index.compareAndExchange(slot, null, created);
      if (keys == null) {
        keys = created;
      }
    }
    return keys;
  }

  private boolean isLiveQuietly(ByteKey key) {
    VersionedValue value = policy.getIfPresentQuietly(key);
    return value != null && value.isLive(ticker.read());
  }

  private static int checkSlot(int slot) {
    if (slot < 0 || slot >= SLOT_COUNT) {
      throw new IllegalArgumentException("slot out of range: " + slot);
    }
    return slot;
  }

  /** The weigher: estimated heap bytes of one entry. */
  static int weigh(ByteKey key, VersionedValue value) {
    byte[] bytes = value.value();
    long weight = (long) ENTRY_OVERHEAD_BYTES + key.length() + (bytes == null ? 0 : bytes.length);
    return (int) Math.min(weight, Integer.MAX_VALUE);
  }

  /**
   * The compute function behind every mutation: applies the caller's function to the live value and
   * does the bookkeeping; events are collected here and published after Caffeine releases the key.
   * One instance per call, used by one thread.
   */
  private final class Mutation implements BiFunction<ByteKey, VersionedValue, VersionedValue> {
    private final BiFunction<ByteKey, VersionedValue, VersionedValue> fn;
    private final boolean removeAll;

    /** Whether {@link #fn} sees unexpired tombstones too (replication) or only live values. */
    private final boolean raw;

    /** What {@link #fn} was given. */
    VersionedValue live;

    /** What {@link #fn} returned, adjusted. */
    VersionedValue result;

    private boolean expired;
    private KeyEvent event;

    Mutation(BiFunction<ByteKey, VersionedValue, VersionedValue> fn, boolean removeAll) {
      this(fn, removeAll, false);
    }

    Mutation(
        BiFunction<ByteKey, VersionedValue, VersionedValue> fn, boolean removeAll, boolean raw) {
      this.fn = fn;
      this.removeAll = removeAll;
      this.raw = raw;
    }

    @Override
    public VersionedValue apply(ByteKey key, VersionedValue stored) {
      // Caffeine has already evicted (and passed as null) an entry it saw expired; we check again
      // with a later reading so that the function never sees a value past its deadline.
      long now = ticker.read();
      if (stored != null && !stored.isTombstone() && !stored.isLive(now)) {
        // The value ran out: from here on it is a delete at its own version (see the class note).
        VersionedValue tombstone = expiredTombstone(stored, now);
        expired = true;
        expirations.increment();
        account(key, stored, tombstone);
        stored = tombstone;
      }
      VersionedValue visible = stored != null && stored.isLive(now) ? stored : null;
      live = visible;
      VersionedValue next;
      if (removeAll) {
        if (stored == null) {
          return null;
        }
        next = null;
      } else {
        VersionedValue given = visible;
        if (raw && stored != null && stored.isTombstone() && now < stored.deadlineNanos()) {
          given = stored;
        }
        next = fn.apply(key, given);
        if (next == given) {
          result = next;
          return stored;
        }
        if (next != null && next.isTombstone() && !next.hasDeadline()) {
          next =
              tombstoneGraceNanos == 0
                  ? null
                  : VersionedValue.tombstone(
                      next.version(), VersionedValue.deadlineAfter(now, tombstoneGraceNanos));
        }
      }
      result = next;
      account(key, stored, next);
      if (next != null && !next.isTombstone()) {
        event = KeyEvent.WRITTEN;
      } else if (visible != null) {
        event = KeyEvent.DELETED;
      }
      return next;
    }

    void publish(ByteKey key) {
      if (expired) {
        fire(KeyEvent.EXPIRED, key);
      }
      if (event != null) {
        fire(event, key);
      }
    }
  }

  /** Variable expiry at each value's own deadline; reads do not extend it. */
  private static final class DeadlineExpiry implements Expiry<ByteKey, VersionedValue> {
    private final long graceNanos;

    DeadlineExpiry(long graceNanos) {
      this.graceNanos = graceNanos;
    }

    /** Tombstones go at their deadline; values stay the grace beyond theirs (the class note). */
    private long lifetime(VersionedValue value, long currentTime) {
      long remaining = value.remainingNanos(currentTime);
      if (value.isTombstone() || remaining == Long.MAX_VALUE) {
        return remaining;
      }
      long extended = remaining + graceNanos;
      return extended < remaining ? Long.MAX_VALUE : extended;
    }

    @Override
    public long expireAfterCreate(ByteKey key, VersionedValue value, long currentTime) {
      return lifetime(value, currentTime);
    }

    @Override
    public long expireAfterUpdate(
        ByteKey key, VersionedValue value, long currentTime, long currentDuration) {
      return lifetime(value, currentTime);
    }

    @Override
    public long expireAfterRead(
        ByteKey key, VersionedValue value, long currentTime, long currentDuration) {
      return currentDuration;
    }
  }
}
