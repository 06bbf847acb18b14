package io.distributedcache.jcache;

import io.distributedcache.core.storage.ByteKey;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Where a JCache cache keeps its entries: binary keys mapped to {@link Stored} entries. The JCache
 * logic ({@link JCacheCache}) talks only to this interface, so that a cluster-backed store can
 * replace the node-local one ({@link StorageEntryStore}) without touching it.
 *
 * <p>A store knows nothing of JCache expiry: it hands back entries whose {@link
 * Stored#expiresAtNanos()} has passed, and the caller decides what an expired entry means (it must
 * never return one to an application). A store may reclaim such an entry on its own some time after
 * its expiry time.
 *
 * <p>Thread-safety: every method may be called from any thread concurrently.
 */
interface EntryStore extends AutoCloseable {

  /**
   * One stored entry.
   *
   * @param payload the encoded value (not a copy: do not modify)
   * @param expiresAtNanos the {@link SystemTicker} reading at which the entry expires, or {@link
   *     #ETERNAL}
   * @param version assigned by the store on every write; entries read at different times with the
   *     same version are the same write (the value given to {@link #compute} is ignored)
   */
  record Stored(byte[] payload, long expiresAtNanos, long version) {

    /** The expiry time of an entry that never expires. */
    static final long ETERNAL = Long.MAX_VALUE;

    /** A new entry to be written. */
    static Stored of(byte[] payload, long expiresAtNanos) {
      return new Stored(payload, expiresAtNanos, 0);
    }

    /** Whether the entry has expired at {@code nowNanos} (wrap-safe, like nanoTime arithmetic). */
    boolean isExpiredAt(long nowNanos) {
      return expiresAtNanos != ETERNAL && nowNanos - expiresAtNanos >= 0;
    }

    /** The same payload with another expiry time. */
    Stored withExpiry(long newExpiresAtNanos) {
      return new Stored(payload, newExpiresAtNanos, version);
    }
  }

  /** Returns the entry of {@code key}, expired or not, or {@code null}. Lock-free. */
  Stored get(ByteKey key);

  /**
   * Atomically replaces the entry of {@code key} by what {@code fn} returns: {@code fn} gets the
   * current entry (expired or not) or {@code null}; returning the argument itself changes nothing,
   * {@code null} removes the entry, anything else is stored. {@code fn} runs on the calling thread
   * while the store holds the key's lock, exactly once; other keys may share that lock, so {@code
   * fn} must not call this store. If {@code fn} throws, nothing changes and the exception
   * propagates.
   *
   * @return what {@code fn} returned
   */
  Stored compute(ByteKey key, UnaryOperator<Stored> fn);

  /** Removes the entry of {@code key}, if any. */
  void remove(ByteKey key);

  /**
   * Calls {@code action} for every key with an entry, weakly consistently (a key present during the
   * whole call is visited exactly once). {@code action} runs outside any lock.
   */
  void forEachKey(Consumer<ByteKey> action);

  /** Removes every entry; not atomic with respect to concurrent writers. */
  void clear();

  /** Number of entries, including expired ones not removed yet. */
  long size();

  /** Estimated heap bytes of all entries (keys, payloads and per-entry overhead). */
  long storedBytes();

  /** Drops every entry and releases the store; it must not be used afterwards. */
  @Override
  void close();
}
