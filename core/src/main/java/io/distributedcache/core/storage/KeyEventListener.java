package io.distributedcache.core.storage;

/**
 * Receives changes to keys of a {@link CacheStorage}; register with {@link CacheStorage#subscribe}
 * and close the returned {@link Subscription} when done.
 *
 * <p>Contract: called on the thread that made the change, possibly while Caffeine holds the lock of
 * the key's hash bin (expiry and eviction are reported from inside the atomic removal). So it must
 * be fast, must not block, and must not call back into the storage (that could deadlock); hand the
 * event to a queue if there is real work to do. It should not throw; if it does, the storage counts
 * the failure and carries on. Events for one key arrive in the order the changes happened; events
 * for different keys may arrive concurrently on different threads.
 */
@FunctionalInterface
public interface KeyEventListener {

  /** Called once per change of {@code key}. */
  void onKeyEvent(KeyEvent event, ByteKey key);
}
