package io.distributedcache.core.engine;

import static io.distributedcache.core.keyspace.Slots.SLOT_COUNT;
import static io.distributedcache.core.storage.VersionedValue.NO_DEADLINE;

import io.distributedcache.core.hlc.HybridLogicalClock;
import io.distributedcache.core.storage.ByteKey;
import io.distributedcache.core.storage.CacheStorage;
import io.distributedcache.core.storage.VersionedValue;
import io.distributedcache.core.time.Ticker;
import io.distributedcache.core.time.WallClock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import java.util.random.RandomGenerator;

/**
 * Redis string and keyspace commands, executed atomically over a {@link CacheStorage}.
 *
 * <h2>Design note</h2>
 *
 * <ul>
 *   <li><b>Threads.</b> Several event-loop threads call one engine concurrently. Reads (GET, MGET,
 *       EXISTS, TTL, ...) take no lock: they are single lock-free Caffeine lookups, and stored
 *       arrays are never modified, so a read sees one whole value.
 *   <li><b>Writes.</b> Every write holds the stripe lock of its key (1024 {@link ReentrantLock}s,
 *       chosen by {@code slot & 1023}, so keys sharing a hash tag share a stripe) and makes its
 *       decision inside {@link CacheStorage#compute}, atomic per key even against writers that
 *       bypass the engine. Multi-key commands (MSET, MSETNX, RENAME, RENAMENX) take all their
 *       stripes in ascending order, which rules out deadlock and makes them serializable with every
 *       other write: MSETNX never half-applies, RENAME never loses a concurrent write. DEL of many
 *       keys is one single-key delete per key, as Redis allows.
 *   <li><b>Versions.</b> Every write that changes something stamps a fresh {@link
 *       HybridLogicalClock#now()}, taken under the key's lock, so per key versions grow in the
 *       order the writes were applied.
 *   <li><b>Time.</b> TTLs are durations on the {@link Ticker} (seed bug 1); the wall clock is read
 *       only to convert EXPIREAT/PXAT arguments ({@link #ttlFromUnixMillis}) and to show
 *       EXPIRETIME. The ticker must be the one the storage was built with.
 *   <li><b>Arrays.</b> Arrays passed in (keys, values) become owned by the store; arrays returned
 *       are the stored ones, not copies. Callers must not modify either.
 * </ul>
 *
 * <h2>TTL arguments of write methods</h2>
 *
 * {@code ttlNanos} is a duration from now on the ticker when {@code >= 0}, or one of the flags
 * {@link #NO_TTL}, {@link #KEEP_TTL}, {@link #PERSIST}. A duration of 0 means "already expired" (an
 * EXAT or PXAT in the past, see {@link #ttlFromUnixMillis}): the write takes place and the key ends
 * up deleted, as Redis does.
 *
 * <p>Errors are thrown as {@link CommandException} with Redis' exact message; other exceptions
 * ({@link IllegalArgumentException}) mean the caller broke this API's contract. Reference: the
 * Redis command pages (redis.io/docs/latest/commands/), Redis 7 semantics.
 */
public final class KeyspaceEngine {

  /** TTL flag: the key gets no expiry (SET without EX/PX clears an existing TTL). */
  public static final long NO_TTL = -1;

  /** TTL flag: the key keeps its current expiry (SET ... KEEPTTL, GETEX without options). */
  public static final long KEEP_TTL = -2;

  /** TTL flag for {@link #getEx} only: remove the expiry (GETEX ... PERSIST). */
  public static final long PERSIST = -3;

  /** Redis' default {@code proto-max-bulk-len}, the largest string SETRANGE/APPEND may build. */
  public static final long DEFAULT_MAX_STRING_BYTES = 512L * 1024 * 1024;

  private static final int STRIPE_COUNT = 1024;

  /** Java arrays stop a little short of Integer.MAX_VALUE. */
  private static final long MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;

  private static final byte[] EMPTY = new byte[0];
  private static final String STRING_EXCEEDS_MAX =
      "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

  /**
   * The condition of a SET: NX is {@link #IF_ABSENT}, XX is {@link #IF_PRESENT}; Redis 8.4's IFEQ
   * is {@link #IF_EQUAL} and IFNE {@link #IF_NOT_EQUAL}, which compare the current value with a
   * given one (compare-and-set: atomic on the primary, so cluster-wide).
   */
  public enum Condition {
    ALWAYS,
    IF_ABSENT,
    IF_PRESENT,
    /** Only if the key exists and its value equals the comparand. */
    IF_EQUAL,
    /** Only if the key does not exist or its value differs from the comparand. */
    IF_NOT_EQUAL
  }

  /** The condition of EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT (Redis 7). */
  public enum ExpireCondition {
    ALWAYS,
    /** Only if the key has no expiry. */
    NX,
    /** Only if the key has an expiry. */
    XX,
    /** Only if the new expiry is later than the current one; no expiry counts as infinite. */
    GT,
    /** Only if the new expiry is earlier than the current one; no expiry counts as infinite. */
    LT,
    /**
     * XX and LT together: only if the key has an expiry and the new one is earlier. (XX with GT is
     * plain {@link #GT}, which already needs an expiry to compare with.)
     */
    XX_LT
  }

  /**
   * Outcome of {@link #setAndGet}: whether the SET happened, and the value before it (null if
   * none).
   *
   * @param applied whether the condition held and the value was written
   * @param previous the live value before the command, or {@code null}
   */
  public record SetResult(boolean applied, byte[] previous) {}

  /**
   * One SCAN step.
   *
   * @param nextCursor the cursor for the next call (the next slot to visit), 0 when the iteration
   *     is complete
   * @param keys the keys of this step
   */
  public record ScanResult(long nextCursor, List<byte[]> keys) {}

  private final CacheStorage storage;
  private final HybridLogicalClock hlc;
  private final Ticker ticker;
  private final WallClock wall;
  private final RandomGenerator random;
  private final ReentrantLock[] stripes = new ReentrantLock[STRIPE_COUNT];
  private volatile long maxStringBytes = DEFAULT_MAX_STRING_BYTES;

  /**
   * Creates an engine.
   *
   * @param storage the node's store
   * @param hlc stamps the version of every write
   * @param ticker the storage's ticker: TTLs are measured on it
   * @param wall converts absolute expiry times and shows them
   * @param random for RANDOMKEY; the engine serializes its use, so it need not be thread-safe
   */
  public KeyspaceEngine(
      CacheStorage storage,
      HybridLogicalClock hlc,
      Ticker ticker,
      WallClock wall,
      RandomGenerator random) {
    this.storage = Objects.requireNonNull(storage, "storage");
    this.hlc = Objects.requireNonNull(hlc, "hlc");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.wall = Objects.requireNonNull(wall, "wall");
    this.random = Objects.requireNonNull(random, "random");
    for (int i = 0; i < STRIPE_COUNT; i++) {
      stripes[i] = new ReentrantLock();
    }
  }

  /**
   * Sets the largest string SETRANGE and APPEND may produce (Redis {@code proto-max-bulk-len}).
   *
   * @throws IllegalArgumentException if not positive
   */
  public void setMaxStringBytes(long maxStringBytes) {
    if (maxStringBytes <= 0) {
      throw new IllegalArgumentException("maxStringBytes must be positive: " + maxStringBytes);
    }
    this.maxStringBytes = Math.min(maxStringBytes, MAX_ARRAY_BYTES);
  }

  /** The largest string SETRANGE and APPEND may produce. */
  public long maxStringBytes() {
    return maxStringBytes;
  }

  /** The clock that stamps this engine's versions. */
  public HybridLogicalClock hlc() {
    return hlc;
  }

  /** The storage this engine runs on. */
  public CacheStorage storage() {
    return storage;
  }

  /**
   * Converts an absolute expiry time (EXPIREAT, PEXPIREAT, SET EXAT/PXAT, GETEX EXAT/PXAT) into a
   * {@code ttlNanos} argument, using the wall clock now, where the command arrives; from then on
   * the expiry is a ticker deadline that wall-clock steps do not move.
   *
   * @return the remaining nanoseconds, or 0 ("expire immediately") if the time is not in the future
   */
  public long ttlFromUnixMillis(long unixMillis) {
    long nowMillis = wall.currentTimeMillis();
    long remainingMillis = unixMillis - nowMillis;
    if (((unixMillis ^ nowMillis) & (unixMillis ^ remainingMillis)) < 0) {
      return unixMillis > nowMillis ? Long.MAX_VALUE : 0; // the subtraction overflowed
    }
    if (remainingMillis <= 0) {
      return 0;
    }
    return remainingMillis > Long.MAX_VALUE / 1_000_000
        ? Long.MAX_VALUE
        : remainingMillis * 1_000_000;
  }

  // ------------------------------------------------------------------------------------------
  // GET, SET and friends

  /** GET: the value, or {@code null} if absent. Lock-free; counts a keyspace hit or miss. */
  public byte[] get(byte[] key) {
    VersionedValue value = storage.getLive(ByteKey.of(key), true);
    return value == null ? null : value.value();
  }

  /**
   * SET with optional expiry and NX/XX. {@code ttlNanos}: {@link #NO_TTL}, {@link #KEEP_TTL} or a
   * duration (0: the key ends up deleted).
   *
   * @return whether the condition held and the value was written ("OK" rather than nil)
   */
  public boolean set(byte[] key, byte[] value, long ttlNanos, Condition condition) {
    return runSet(key, value, ttlNanos, condition, null).applied;
  }

  /**
   * SET with IFEQ / IFNE ({@link Condition#IF_EQUAL}, {@link Condition#IF_NOT_EQUAL}) or any other
   * condition, {@code comparand} being the value compared with (ignored by the others).
   */
  public SetResult setIf(
      byte[] key, byte[] value, long ttlNanos, Condition condition, byte[] comparand) {
    SetOp op = runSet(key, value, ttlNanos, condition, comparand);
    return new SetResult(op.applied, op.previous == null ? null : op.previous.value());
  }

  /**
   * DELEX key [IFEQ v | IFNE v]: deletes the key if it exists and (with a comparand) its value is
   * ({@code equal}) or is not equal to {@code comparand}. Returns whether it was deleted.
   */
  public boolean deleteIf(byte[] key, boolean equal, byte[] comparand) {
    ByteKey k = ByteKey.of(key);
    boolean[] deleted = new boolean[1];
    ReentrantLock lock = lock(k);
    try {
      storage.compute(
          k,
          (ignored, current) -> {
            if (current == null
                || (comparand != null
                    && java.util.Arrays.equals(current.value(), comparand) != equal)) {
              return current;
            }
            deleted[0] = true;
            return tombstone();
          });
    } finally {
      lock.unlock();
    }
    return deleted[0];
  }

  /**
   * SET ... GET, and GETSET ({@code ALWAYS}, {@link #NO_TTL}): like {@link #set}, also returning
   * the value the key had before.
   */
  public SetResult setAndGet(byte[] key, byte[] value, long ttlNanos, Condition condition) {
    SetOp op = runSet(key, value, ttlNanos, condition, null);
    return new SetResult(op.applied, op.previous == null ? null : op.previous.value());
  }

  private SetOp runSet(
      byte[] key, byte[] value, long ttlNanos, Condition condition, byte[] comparand) {
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(condition, "condition");
    checkWriteTtl(ttlNanos);
    ByteKey k = ByteKey.of(key);
    if ((condition == Condition.IF_EQUAL || condition == Condition.IF_NOT_EQUAL)
        && comparand == null) {
      throw new IllegalArgumentException(condition + " needs a comparand");
    }
    SetOp op = new SetOp(value, ttlNanos, condition, comparand);
    ReentrantLock lock = lock(k);
    try {
      storage.compute(k, op);
    } finally {
      lock.unlock();
    }
    return op;
  }

  /**
   * GETDEL: returns the value and deletes the key; {@code null} if absent. Counts a hit or miss.
   */
  public byte[] getDel(byte[] key) {
    ByteKey k = ByteKey.of(key);
    DeleteOp op = new DeleteOp();
    ReentrantLock lock = lock(k);
    try {
      storage.compute(k, op);
    } finally {
      lock.unlock();
    }
    storage.recordLookup(op.previous != null);
    return op.previous == null ? null : op.previous.value();
  }

  /**
   * GETEX: returns the value and changes its expiry. {@code ttlNanos}: {@link #KEEP_TTL} (no
   * option: nothing changes), {@link #PERSIST}, or a duration (0: the key is deleted after its
   * value is read). Counts a hit or miss.
   *
   * @return the value, or {@code null} if absent
   */
  public byte[] getEx(byte[] key, long ttlNanos) {
    if (ttlNanos == KEEP_TTL) {
      return get(key);
    }
    if (ttlNanos != PERSIST && ttlNanos < 0) {
      throw new IllegalArgumentException(
          "getEx takes KEEP_TTL, PERSIST or a duration: " + ttlNanos);
    }
    ByteKey k = ByteKey.of(key);
    BiFunction<ByteKey, VersionedValue, VersionedValue> op;
    DeleteOp delete = null;
    VersionedValue[] seen = new VersionedValue[1];
    if (ttlNanos == 0) {
      delete = new DeleteOp();
      op = delete;
    } else {
      op =
          (kk, current) -> {
            seen[0] = current;
            if (current == null) {
              return null;
            }
            long deadline =
                ttlNanos == PERSIST
                    ? NO_DEADLINE
                    : VersionedValue.deadlineAfter(ticker.read(), ttlNanos);
            if (deadline == current.deadlineNanos()) {
              return current;
            }
            return new VersionedValue(current.value(), hlc.now(), deadline);
          };
    }
    ReentrantLock lock = lock(k);
    try {
      storage.compute(k, op);
    } finally {
      lock.unlock();
    }
    VersionedValue previous = delete != null ? delete.previous : seen[0];
    storage.recordLookup(previous != null);
    return previous == null ? null : previous.value();
  }

  /**
   * MGET of {@code keys[from..]}: one entry per key, {@code null} for a miss; counts stats. Atomic
   * like Redis' MGET: with several keys it holds their stripe locks while reading, so it never sees
   * half of a concurrent MSET. A single key is one lock-free read.
   */
  public byte[][] mget(byte[][] keys, int from) {
    checkFrom(keys, from);
    int n = keys.length - from;
    byte[][] values = new byte[n][];
    if (n == 1) {
      VersionedValue value = storage.getLive(ByteKey.of(keys[from]), true);
      values[0] = value == null ? null : value.value();
      return values;
    }
    ByteKey[] byteKeys = new ByteKey[n];
    for (int i = 0; i < n; i++) {
      byteKeys[i] = ByteKey.of(keys[from + i]);
    }
    int[] locked = lockAll(byteKeys);
    try {
      for (int i = 0; i < n; i++) {
        VersionedValue value = storage.getLive(byteKeys[i], true);
        values[i] = value == null ? null : value.value();
      }
    } finally {
      unlockAll(locked);
    }
    return values;
  }

  /**
   * MSET of {@code args[from..]}, alternating key and value; clears TTLs like SET. Atomic: no
   * reader or writer sees some of the keys set and not others. A repeated key takes its last value.
   *
   * @throws CommandException if the number of arguments is zero or odd
   */
  public void mset(byte[][] args, int from) {
    ByteKey[] keys = pairKeys(args, from, "mset");
    int[] locked = lockAll(keys);
    try {
      for (int i = 0; i < keys.length; i++) {
        storage.put(keys[i], new VersionedValue(args[from + 2 * i + 1], hlc.now(), NO_DEADLINE));
      }
    } finally {
      unlockAll(locked);
    }
  }

  /**
   * MSETNX: sets all the pairs only if none of the keys exists, atomically.
   *
   * @return whether the keys were set
   * @throws CommandException if the number of arguments is zero or odd
   */
  public boolean msetnx(byte[][] args, int from) {
    ByteKey[] keys = pairKeys(args, from, "msetnx");
    int[] locked = lockAll(keys);
    try {
      for (ByteKey key : keys) {
        if (storage.getLive(key) != null) {
          return false;
        }
      }
      for (int i = 0; i < keys.length; i++) {
        storage.put(keys[i], new VersionedValue(args[from + 2 * i + 1], hlc.now(), NO_DEADLINE));
      }
      return true;
    } finally {
      unlockAll(locked);
    }
  }

  // ------------------------------------------------------------------------------------------
  // String editing

  /**
   * APPEND: appends {@code value} (creating the key if absent), keeps the TTL.
   *
   * @return the length after the append
   * @throws CommandException if the result would exceed {@link #maxStringBytes()}
   */
  public long append(byte[] key, byte[] value) {
    Objects.requireNonNull(value, "value");
    ByteKey k = ByteKey.of(key);
    long[] length = new long[1];
    ReentrantLock lock = lock(k);
    try {
      storage.compute(
          k,
          (kk, current) -> {
            byte[] old = current == null ? EMPTY : current.value();
            checkStringLength(old.length, value.length);
            byte[] joined;
            if (old.length == 0) {
              joined = value;
            } else {
              // Copy on write: lock-free readers may be holding the old array.
              joined = Arrays.copyOf(old, old.length + value.length);
              System.arraycopy(value, 0, joined, old.length, value.length);
            }
            length[0] = joined.length;
            return new VersionedValue(
                joined, hlc.now(), current == null ? NO_DEADLINE : current.deadlineNanos());
          });
    } finally {
      lock.unlock();
    }
    return length[0];
  }

  /** STRLEN: the length of the value, 0 if absent. Lock-free; counts stats. */
  public long strlen(byte[] key) {
    VersionedValue value = storage.getLive(ByteKey.of(key), true);
    return value == null ? 0 : value.value().length;
  }

  /**
   * GETRANGE: the bytes from {@code start} to {@code end} inclusive; negative indexes count from
   * the end; an empty array when the range is empty or the key absent. Lock-free; counts stats.
   */
  public byte[] getRange(byte[] key, long start, long end) {
    VersionedValue value = storage.getLive(ByteKey.of(key), true);
    if (value == null) {
      return EMPTY;
    }
    byte[] bytes = value.value();
    long length = bytes.length;
    // The steps of getrangeCommand in Redis' t_string.c, in order.
    if (start < 0 && end < 0 && start > end) {
      return EMPTY;
    }
    if (start < 0) {
      start = length + start;
    }
    if (end < 0) {
      end = length + end;
    }
    if (start < 0) {
      start = 0;
    }
    if (end < 0) {
      end = 0;
    }
    if (end >= length) {
      end = length - 1;
    }
    if (start > end || length == 0) {
      return EMPTY;
    }
    return Arrays.copyOfRange(bytes, (int) start, (int) end + 1);
  }

  /**
   * SETRANGE: overwrites from {@code offset}, zero-padding as needed; keeps the TTL. On an absent
   * key with an empty {@code value} it returns 0 and creates nothing; on an existing key with an
   * empty value it returns the length and changes nothing.
   *
   * @return the length after the change
   * @throws CommandException "ERR offset is out of range" if {@code offset < 0}; "ERR string
   *     exceeds maximum allowed size (proto-max-bulk-len)" if {@code offset + value.length} exceeds
   *     {@link #maxStringBytes()}
   */
  public long setRange(byte[] key, long offset, byte[] value) {
    Objects.requireNonNull(value, "value");
    if (offset < 0) {
      throw new CommandException("ERR offset is out of range");
    }
    ByteKey k = ByteKey.of(key);
    long[] length = new long[1];
    ReentrantLock lock = lock(k);
    try {
      storage.compute(
          k,
          (kk, current) -> {
            byte[] old = current == null ? EMPTY : current.value();
            if (value.length == 0) {
              length[0] = old.length;
              return current;
            }
            checkStringLength(offset, value.length);
            int end = (int) offset + value.length;
            byte[] updated = Arrays.copyOf(old, Math.max(old.length, end));
            System.arraycopy(value, 0, updated, (int) offset, value.length);
            length[0] = updated.length;
            return new VersionedValue(
                updated, hlc.now(), current == null ? NO_DEADLINE : current.deadlineNanos());
          });
    } finally {
      lock.unlock();
    }
    return length[0];
  }

  // ------------------------------------------------------------------------------------------
  // Counters

  /**
   * INCRBY (and INCR, DECR): adds {@code delta} to the integer stored at {@code key} (0 if absent);
   * keeps the TTL.
   *
   * @return the new value
   * @throws CommandException "ERR value is not an integer or out of range" if the stored value is
   *     not a strict 64-bit integer; "ERR increment or decrement would overflow"
   */
  public long incrBy(byte[] key, long delta) {
    ByteKey k = ByteKey.of(key);
    long[] result = new long[1];
    ReentrantLock lock = lock(k);
    try {
      storage.compute(
          k,
          (kk, current) -> {
            long old = current == null ? 0 : RedisNumbers.parseLong(current.value());
            if ((delta < 0 && old < 0 && delta < Long.MIN_VALUE - old)
                || (delta > 0 && old > 0 && delta > Long.MAX_VALUE - old)) {
              throw new CommandException("ERR increment or decrement would overflow");
            }
            long updated = old + delta;
            result[0] = updated;
            return new VersionedValue(
                RedisNumbers.formatLong(updated),
                hlc.now(),
                current == null ? NO_DEADLINE : current.deadlineNanos());
          });
    } finally {
      lock.unlock();
    }
    return result[0];
  }

  /**
   * DECRBY: {@code incrBy(key, -delta)}, with Redis' check that {@code -delta} exists.
   *
   * @throws CommandException "ERR decrement would overflow" for {@code Long.MIN_VALUE}, and the
   *     errors of {@link #incrBy}
   */
  public long decrBy(byte[] key, long delta) {
    if (delta == Long.MIN_VALUE) {
      throw new CommandException("ERR decrement would overflow");
    }
    return incrBy(key, -delta);
  }

  /**
   * INCRBYFLOAT: adds {@code delta} to the number stored at {@code key} (0 if absent); keeps the
   * TTL. See {@link RedisNumbers#addFloat} for the arithmetic and the formatting.
   *
   * @return the new value as stored, e.g. "10.6"
   * @throws CommandException "ERR value is not a valid float"; "ERR increment would produce NaN or
   *     Infinity"
   */
  public byte[] incrByFloat(byte[] key, double delta) {
    ByteKey k = ByteKey.of(key);
    byte[][] result = new byte[1][];
    ReentrantLock lock = lock(k);
    try {
      storage.compute(
          k,
          (kk, current) -> {
            byte[] updated = RedisNumbers.addFloat(current == null ? null : current.value(), delta);
            result[0] = updated;
            return new VersionedValue(
                updated, hlc.now(), current == null ? NO_DEADLINE : current.deadlineNanos());
          });
    } finally {
      lock.unlock();
    }
    return result[0];
  }

  // ------------------------------------------------------------------------------------------
  // Keyspace

  /** DEL/UNLINK of {@code keys[from..]}: how many of them existed (a repeated key counts once). */
  public long delete(byte[][] keys, int from) {
    checkFrom(keys, from);
    long deleted = 0;
    for (int i = from; i < keys.length; i++) {
      ByteKey k = ByteKey.of(keys[i]);
      DeleteOp op = new DeleteOp();
      ReentrantLock lock = lock(k);
      try {
        storage.compute(k, op);
        if (op.previous == null) {
          VersionedValue raw = storage.getRaw(k);
          if (raw != null && raw.isTombstone()) {
            // The key just expired (or was deleted) here, but another copy may still hold it for
            // a transit longer: a delete at a new version supersedes that copy too, so the client
            // that deleted the key never reads it again.
            storage.applyIfNewer(k, tombstone());
          }
        }
      } finally {
        lock.unlock();
      }
      if (op.previous != null) {
        deleted++;
      }
    }
    return deleted;
  }

  /**
   * EXISTS of {@code keys[from..]}: how many exist, a repeated key counting each time. Lock-free.
   */
  public long exists(byte[][] keys, int from) {
    checkFrom(keys, from);
    long count = 0;
    for (int i = from; i < keys.length; i++) {
      if (storage.getLive(ByteKey.of(keys[i]), true) != null) {
        count++;
      }
    }
    return count;
  }

  /** TYPE: "string" or "none". Lock-free. */
  public String type(byte[] key) {
    return storage.getLive(ByteKey.of(key), true) == null ? "none" : "string";
  }

  /**
   * RENAME: moves the value and its TTL from {@code src} to {@code dst}, replacing {@code dst}.
   * Renaming a key to itself is allowed when it exists and changes nothing.
   *
   * @throws CommandException "ERR no such key" if {@code src} does not exist
   */
  public void rename(byte[] src, byte[] dst) {
    rename(src, dst, false);
  }

  /**
   * RENAMENX: like {@link #rename} but only if {@code dst} does not exist.
   *
   * @return whether the key was renamed (false also when {@code src} and {@code dst} are the same)
   * @throws CommandException "ERR no such key" if {@code src} does not exist
   */
  public boolean renameNx(byte[] src, byte[] dst) {
    return rename(src, dst, true);
  }

  private boolean rename(byte[] src, byte[] dst, boolean onlyIfAbsent) {
    ByteKey from = ByteKey.of(src);
    ByteKey to = ByteKey.of(dst);
    int[] locked = lockAll(new ByteKey[] {from, to});
    try {
      VersionedValue value = storage.getLive(from);
      if (value == null) {
        throw new CommandException("ERR no such key");
      }
      if (from.equals(to)) {
        return !onlyIfAbsent;
      }
      if (onlyIfAbsent && storage.getLive(to) != null) {
        return false;
      }
      storage.put(to, new VersionedValue(value.value(), hlc.now(), value.deadlineNanos()));
      storage.compute(from, new DeleteOp());
      return true;
    } finally {
      unlockAll(locked);
    }
  }

  /**
   * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (the absolute forms through {@link #ttlFromUnixMillis}).
   * {@code ttlNanos <= 0} (any non-positive value; the TTL flags mean nothing here) deletes the key
   * if the condition allows, as an expiry time in the past does in Redis.
   *
   * @return whether the key exists and the condition allowed the change
   */
  public boolean expire(byte[] key, long ttlNanos, ExpireCondition condition) {
    Objects.requireNonNull(condition, "condition");
    ByteKey k = ByteKey.of(key);
    ExpireOp op = new ExpireOp(ttlNanos, condition);
    ReentrantLock lock = lock(k);
    try {
      storage.compute(k, op);
    } finally {
      lock.unlock();
    }
    return op.applied;
  }

  /**
   * TTL/PTTL in nanoseconds: -2 if the key does not exist, -1 if it has no expiry, else the
   * remaining time (at least 1). Lock-free; counts stats.
   */
  public long ttlNanos(byte[] key) {
    VersionedValue value = storage.getLive(ByteKey.of(key), true);
    if (value == null) {
      return -2;
    }
    if (!value.hasDeadline()) {
      return -1;
    }
    return value.remainingNanos(ticker.read());
  }

  /**
   * EXPIRETIME/PEXPIRETIME in Unix milliseconds: -2 if absent, -1 if no expiry, else the wall clock
   * now plus the remaining time (rounded to the nearest millisecond). Because the deadline lives on
   * the ticker, a wall-clock step moves this answer and not the moment of expiry. Lock-free.
   */
  public long expireTimeUnixMillis(byte[] key) {
    VersionedValue value = storage.getLive(ByteKey.of(key), true);
    if (value == null) {
      return -2;
    }
    if (!value.hasDeadline()) {
      return -1;
    }
    long remainingNanos = value.remainingNanos(ticker.read());
    long remainingMillis =
        remainingNanos / 1_000_000 + (remainingNanos % 1_000_000 >= 500_000 ? 1 : 0);
    long nowMillis = wall.currentTimeMillis();
    return remainingMillis > Long.MAX_VALUE - nowMillis
        ? Long.MAX_VALUE
        : nowMillis + remainingMillis;
  }

  /**
   * PERSIST: removes the expiry.
   *
   * @return whether the key exists and had an expiry
   */
  public boolean persist(byte[] key) {
    ByteKey k = ByteKey.of(key);
    boolean[] changed = new boolean[1];
    ReentrantLock lock = lock(k);
    try {
      storage.compute(
          k,
          (kk, current) -> {
            if (current == null || !current.hasDeadline()) {
              return current;
            }
            changed[0] = true;
            return new VersionedValue(current.value(), hlc.now(), NO_DEADLINE);
          });
    } finally {
      lock.unlock();
    }
    return changed[0];
  }

  /**
   * KEYS: every live key matching the glob pattern (see {@link GlobPattern}), in slot order.
   * O(number of keys), as in Redis; a pattern without special characters is a single lookup.
   */
  public List<byte[]> keys(byte[] globPattern) {
    GlobPattern glob = GlobPattern.compile(globPattern);
    List<byte[]> result = new ArrayList<>();
    byte[] literal = glob.literalOrNull();
    if (literal != null) {
      if (storage.getLive(ByteKey.of(literal)) != null) {
        result.add(literal);
      }
      return result;
    }
    boolean all = glob.isMatchAll();
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
      if (storage.slotKeyCount(slot) == 0) {
        continue;
      }
      for (ByteKey key : storage.slotKeys(slot, Integer.MAX_VALUE)) {
        if (all || glob.matches(key.bytes())) {
          result.add(key.bytes());
        }
      }
    }
    return result;
  }

  /**
   * SCAN. The cursor is the next slot to visit: each call visits whole slots, starting at {@code
   * cursor}, until it has examined at least {@code count} keys (COUNT is the work per call, before
   * MATCH filters, as in Redis) or visited the last slot. Guarantees, as Redis gives them: a key
   * that exists during the whole iteration is returned exactly once; no key is returned twice in
   * one full iteration (a key lives in one slot and each slot is visited once).
   *
   * @param cursor 0 to start; a cursor outside 0..16383 ends the iteration at once
   * @param matchOrNull a glob pattern, or null for all keys
   * @param count keys to examine per call; values below 1 count as 1
   * @param typeOrNull a TYPE filter: null or "string" lists keys, any other type lists none
   */
  public ScanResult scan(long cursor, byte[] matchOrNull, int count, String typeOrNull) {
    if (cursor < 0 || cursor >= SLOT_COUNT) {
      return new ScanResult(0, new ArrayList<>(0));
    }
    if (typeOrNull != null && !typeOrNull.equalsIgnoreCase("string")) {
      // Only strings live here, so no slot can yield a key: finish the iteration now.
      return new ScanResult(0, new ArrayList<>(0));
    }
    GlobPattern glob = matchOrNull == null ? null : GlobPattern.compile(matchOrNull);
    if (glob != null && glob.isMatchAll()) {
      glob = null;
    }
    int budget = Math.max(1, count);
    List<byte[]> result = new ArrayList<>();
    int examined = 0;
    int slot = (int) cursor;
    while (slot < SLOT_COUNT && examined < budget) {
      if (storage.slotKeyCount(slot) > 0) {
        for (ByteKey key : storage.slotKeys(slot, Integer.MAX_VALUE)) {
          examined++;
          if (glob == null || glob.matches(key.bytes())) {
            result.add(key.bytes());
          }
        }
      }
      slot++;
    }
    return new ScanResult(slot >= SLOT_COUNT ? 0 : slot, result);
  }

  /** RANDOMKEY: a random live key, or {@code null} if there is none. */
  public byte[] randomKey() {
    ByteKey key;
    synchronized (random) {
      key = storage.randomKey(random);
    }
    return key == null ? null : key.bytes();
  }

  /** DBSIZE: the number of keys (see {@link CacheStorage#size()}). */
  public long dbSize() {
    return storage.size();
  }

  /** FLUSHALL/FLUSHDB: removes every key. Not atomic against concurrent writers. */
  public void flushAll() {
    storage.clear();
  }

  /**
   * CLUSTER COUNTKEYSINSLOT.
   *
   * @throws CommandException "ERR Invalid slot" if {@code slot} is not in 0..16383
   */
  public long countKeysInSlot(int slot) {
    if (slot < 0 || slot >= SLOT_COUNT) {
      throw new CommandException("ERR Invalid slot");
    }
    return storage.slotKeyCount(slot);
  }

  /**
   * CLUSTER GETKEYSINSLOT: up to {@code count} live keys of {@code slot}.
   *
   * @throws CommandException "ERR Invalid slot or number of keys"
   */
  public List<byte[]> getKeysInSlot(int slot, int count) {
    if (slot < 0 || slot >= SLOT_COUNT || count < 0) {
      throw new CommandException("ERR Invalid slot or number of keys");
    }
    List<ByteKey> keys = storage.slotKeys(slot, count);
    List<byte[]> result = new ArrayList<>(keys.size());
    for (ByteKey key : keys) {
      result.add(key.bytes());
    }
    return result;
  }

  /** Redis {@code keyspace_hits}: lookups by read commands that found the key. */
  public long keyspaceHits() {
    return storage.hits();
  }

  /** Redis {@code keyspace_misses}: lookups by read commands that did not find the key. */
  public long keyspaceMisses() {
    return storage.misses();
  }

  // ------------------------------------------------------------------------------------------
  // Internals

  private ReentrantLock lock(ByteKey key) {
    ReentrantLock lock = stripes[key.slot() & (STRIPE_COUNT - 1)];
    lock.lock();
    return lock;
  }

  /**
   * Locks the distinct stripes of {@code keys} in ascending order; returns them for {@link
   * #unlockAll}.
   */
  private int[] lockAll(ByteKey[] keys) {
    int[] indexes = new int[keys.length];
    for (int i = 0; i < keys.length; i++) {
      indexes[i] = keys[i].slot() & (STRIPE_COUNT - 1);
    }
    Arrays.sort(indexes);
    int distinct = 0;
    for (int i = 0; i < indexes.length; i++) {
      if (i == 0 || indexes[i] != indexes[i - 1]) {
        indexes[distinct++] = indexes[i];
      }
    }
    int[] locked = Arrays.copyOf(indexes, distinct);
    for (int index : locked) {
      stripes[index].lock();
    }
    return locked;
  }

  private void unlockAll(int[] locked) {
    for (int i = locked.length - 1; i >= 0; i--) {
      stripes[locked[i]].unlock();
    }
  }

  private static ByteKey[] pairKeys(byte[][] args, int from, String command) {
    checkFrom(args, from);
    int n = args.length - from;
    if (n == 0 || n % 2 != 0) {
      throw new CommandException("ERR wrong number of arguments for '" + command + "' command");
    }
    ByteKey[] keys = new ByteKey[n / 2];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = ByteKey.of(args[from + 2 * i]);
      Objects.requireNonNull(args[from + 2 * i + 1], "value");
    }
    return keys;
  }

  private static void checkFrom(byte[][] array, int from) {
    if (from < 0 || from > array.length) {
      throw new IllegalArgumentException("from " + from + " outside 0.." + array.length);
    }
  }

  private static void checkWriteTtl(long ttlNanos) {
    if (ttlNanos < 0 && ttlNanos != NO_TTL && ttlNanos != KEEP_TTL) {
      throw new IllegalArgumentException("ttlNanos must be NO_TTL, KEEP_TTL or >= 0: " + ttlNanos);
    }
  }

  /** Redis' {@code checkStringLength}: {@code size + append} must not exceed the maximum. */
  private void checkStringLength(long size, long append) {
    long max = maxStringBytes;
    if (append > max || size > max - append) {
      throw new CommandException(STRING_EXCEEDS_MAX);
    }
  }

  private VersionedValue tombstone() {
    return VersionedValue.tombstone(hlc.now(), NO_DEADLINE);
  }

  /** SET in all its forms; runs under the key's stripe lock inside the storage's compute. */
  private final class SetOp implements BiFunction<ByteKey, VersionedValue, VersionedValue> {
    private final byte[] value;
    private final long ttlNanos;
    private final Condition condition;
    private final byte[] comparand;
    boolean applied;
    VersionedValue previous;

    SetOp(byte[] value, long ttlNanos, Condition condition, byte[] comparand) {
      this.value = value;
      this.ttlNanos = ttlNanos;
      this.condition = condition;
      this.comparand = comparand;
    }

    @Override
    public VersionedValue apply(ByteKey key, VersionedValue current) {
      previous = current;
      boolean refused =
          switch (condition) {
            case ALWAYS -> false;
            case IF_ABSENT -> current != null;
            case IF_PRESENT -> current == null;
            case IF_EQUAL -> current == null || !java.util.Arrays.equals(current.value(), comparand);
            case IF_NOT_EQUAL ->
                current != null && java.util.Arrays.equals(current.value(), comparand);
          };
      if (refused) {
        return current;
      }
      applied = true;
      if (ttlNanos == 0) {
        // Already expired on arrival: the write happens and the key is gone.
        return current == null ? null : tombstone();
      }
      long deadline;
      if (ttlNanos == NO_TTL) {
        deadline = NO_DEADLINE;
      } else if (ttlNanos == KEEP_TTL) {
        deadline = current == null ? NO_DEADLINE : current.deadlineNanos();
      } else {
        deadline = VersionedValue.deadlineAfter(ticker.read(), ttlNanos);
      }
      return new VersionedValue(value, hlc.now(), deadline);
    }
  }

  /** Replaces a live value by a tombstone and remembers it. */
  private final class DeleteOp implements BiFunction<ByteKey, VersionedValue, VersionedValue> {
    VersionedValue previous;

    @Override
    public VersionedValue apply(ByteKey key, VersionedValue current) {
      previous = current;
      return current == null ? null : tombstone();
    }
  }

  /** EXPIRE and its conditions (Redis 7 {@code expireGenericCommand}). */
  private final class ExpireOp implements BiFunction<ByteKey, VersionedValue, VersionedValue> {
    private final long ttlNanos;
    private final ExpireCondition condition;
    boolean applied;

    ExpireOp(long ttlNanos, ExpireCondition condition) {
      this.ttlNanos = ttlNanos;
      this.condition = condition;
    }

    @Override
    public VersionedValue apply(ByteKey key, VersionedValue current) {
      if (current == null) {
        return null;
      }
      long newDeadline = VersionedValue.deadlineAfter(ticker.read(), ttlNanos);
      boolean hasTtl = current.hasDeadline();
      boolean allowed =
          switch (condition) {
            case ALWAYS -> true;
            case NX -> !hasTtl;
            case XX -> hasTtl;
            // No TTL counts as infinite: nothing is greater, everything is less.
            case GT -> hasTtl && newDeadline > current.deadlineNanos();
            case LT -> !hasTtl || newDeadline < current.deadlineNanos();
            case XX_LT -> hasTtl && newDeadline < current.deadlineNanos();
          };
      if (!allowed) {
        return current;
      }
      applied = true;
      if (ttlNanos <= 0) {
        return tombstone();
      }
      return new VersionedValue(current.value(), hlc.now(), newDeadline);
    }
  }
}
