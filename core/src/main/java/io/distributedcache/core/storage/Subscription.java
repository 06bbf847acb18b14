package io.distributedcache.core.storage;

/**
 * The handle of a registered {@link KeyEventListener}. Closing it removes the listener from the
 * storage's registry, after which nothing in the storage refers to the listener (seed bug 3).
 */
public interface Subscription extends AutoCloseable {

  /**
   * Unregisters the listener. No event is delivered to it once this returns. Idempotent; never
   * throws; any thread.
   */
  @Override
  void close();
}
