package io.distributedcache.core.invalidation;

/**
 * Receives invalidation events; register with {@link InvalidationManager#subscribe} and close the
 * returned subscription when done.
 *
 * <p>Contract: called on the thread that learned of the change: a client's event loop (a write it
 * ran), a transport thread (an event from a peer), the ticking thread (a layout change), or the
 * thread that expired or evicted a key, possibly inside the storage's lock of that key. So it must
 * be fast, must not block and must not call back into the storage; hand real work to a queue. It
 * should not throw; if it does, the manager counts the failure and carries on. Events about one key
 * from one source arrive in order; events from different nodes may interleave.
 */
@FunctionalInterface
public interface InvalidationListener {

  /** Called once per event this node learns of. */
  void onInvalidation(Invalidation invalidation);
}
