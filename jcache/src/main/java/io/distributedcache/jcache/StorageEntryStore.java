package io.distributedcache.jcache;

import io.distributedcache.core.storage.ByteKey;
import io.distributedcache.core.storage.CacheStorage;
import io.distributedcache.core.storage.StorageSettings;
import io.distributedcache.core.storage.VersionedValue;
import io.distributedcache.core.time.Ticker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The node-local {@link EntryStore}: one {@link CacheStorage} of the engine per JCache cache.
 *
 * <p>Encoding: the stored bytes are the JCache expiry time (8 bytes, big-endian) followed by the
 * payload. The expiry time lives in our encoding rather than only in the storage deadline because
 * JCache must see an expired entry once more to report it ({@code CacheEntryExpiredListener} gets
 * the old value) and because access expiry rewrites it on reads.
 *
 * <p>Reclaiming: when {@code reclaimExpired} is set, the storage deadline is the expiry time plus
 * {@link #RECLAIM_DELAY}, so that an expired entry nobody touches again is dropped by the engine's
 * own expiry instead of staying forever; the delay leaves the JCache layer time to see it first.
 * A store-by-reference cache turns it off: it keeps objects beside the store and must see every
 * removal (see {@link EntryCodec}).
 *
 * <p>Versions are a per-store counter; they only need to tell writes apart (see {@link
 * EntryStore.Stored#version()}). No tombstones are kept (grace zero): there are no replicas.
 *
 * <p>Thread-safe, like {@link CacheStorage}.
 */
final class StorageEntryStore implements EntryStore {

  /** How long after its JCache expiry time an untouched entry stays before the engine drops it. */
  static final Duration RECLAIM_DELAY = Duration.ofSeconds(30);

  private static final VarHandle LONG_BE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final int HEADER_BYTES = Long.BYTES;

  private final CacheStorage storage;
  private final boolean reclaimExpired;
  private final AtomicLong versions = new AtomicLong();

  /**
   * Creates an empty store with its own unbounded {@link CacheStorage}.
   *
   * @param ticker the clock of the expiry times (the same one the JCache layer reads)
   * @param reclaimExpired whether the engine may drop entries some time after they expired
   */
  StorageEntryStore(Ticker ticker, boolean reclaimExpired) {
    this.storage = new CacheStorage(new StorageSettings(0, Duration.ZERO), ticker);
    this.reclaimExpired = reclaimExpired;
  }

  /** The engine storage behind this store (for tests and figures). */
  CacheStorage storage() {
    return storage;
  }

  @Override
  public Stored get(ByteKey key) {
    VersionedValue value = storage.getLive(key);
    return value == null ? null : decode(value);
  }

  @Override
  public Stored compute(ByteKey key, UnaryOperator<Stored> fn) {
    Objects.requireNonNull(fn, "fn");
    Stored[] result = new Stored[1];
    storage.compute(
        key,
        (k, current) -> {
          Stored given = current == null ? null : decode(current);
          Stored next = fn.apply(given);
          if (next == given) {
            result[0] = given;
            return current;
          }
          if (next == null) {
            return null;
          }
          VersionedValue encoded = encode(next);
          result[0] = new Stored(next.payload(), next.expiresAtNanos(), encoded.version());
          return encoded;
        });
    return result[0];
  }

  @Override
  public void remove(ByteKey key) {
    storage.compute(key, (k, current) -> null);
  }

  @Override
  public void forEachKey(Consumer<ByteKey> action) {
    storage.forEachLiveKey(action);
  }

  @Override
  public void clear() {
    storage.clear();
  }

  @Override
  public long size() {
    return storage.size();
  }

  @Override
  public long storedBytes() {
    return storage.weightedBytes();
  }

  @Override
  public void close() {
    storage.clear();
  }

  private VersionedValue encode(Stored entry) {
    byte[] payload = entry.payload();
    byte[] bytes = new byte[HEADER_BYTES + payload.length];
    LONG_BE.set(bytes, 0, entry.expiresAtNanos());
    System.arraycopy(payload, 0, bytes, HEADER_BYTES, payload.length);
    long deadline = VersionedValue.NO_DEADLINE;
    if (reclaimExpired && entry.expiresAtNanos() != Stored.ETERNAL) {
      deadline = VersionedValue.deadlineAfter(entry.expiresAtNanos(), RECLAIM_DELAY.toNanos());
    }
    return new VersionedValue(bytes, versions.incrementAndGet(), deadline);
  }

  private static Stored decode(VersionedValue value) {
    byte[] bytes = value.value();
    long expiresAt = (long) LONG_BE.get(bytes, 0);
    return new Stored(
        Arrays.copyOfRange(bytes, HEADER_BYTES, bytes.length), expiresAt, value.version());
  }
}
