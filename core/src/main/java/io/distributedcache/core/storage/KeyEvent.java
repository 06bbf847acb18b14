package io.distributedcache.core.storage;

/** What happened to a key; delivered to {@link KeyEventListener}s by {@link CacheStorage}. */
public enum KeyEvent {
  /** A value was written (created or replaced). */
  WRITTEN,
  /** A live value was deleted (replaced by a tombstone or removed). */
  DELETED,
  /** A live value reached its deadline and was removed. */
  EXPIRED,
  /**
   * A live value was evicted to stay under the memory bound; a local decision, not an invalidation
   * of other copies.
   */
  EVICTED
}
