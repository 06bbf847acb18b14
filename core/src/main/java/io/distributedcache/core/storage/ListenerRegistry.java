package io.distributedcache.core.storage;

import java.util.Arrays;
import java.util.Objects;

/**
 * A copy-on-write registry of listeners that hands out a closeable {@link Subscription} per
 * listener; used by {@link CacheStorage} and the invalidation manager.
 *
 * <p>Seed bug 3 is impossible by construction: the registry keeps each listener only in its own
 * {@link Handle}, held in one array; closing the handle takes it out of the array and clears both
 * of its references (the listener and the registry), so a closed subscription keeps nothing
 * alive, however long the caller keeps it.
 *
 * <p>Thread safety: {@link #add} and {@link Subscription#close()} lock the registry; {@link
 * #handles()} is a volatile read of an array that is never modified, so delivery (on any thread,
 * often a hot path) takes no lock and allocates nothing. A handle closed during a delivery may
 * still be in that delivery's array: callers read {@link Handle#listener()} and skip null.
 *
 * @param <L> the listener type
 */
public final class ListenerRegistry<L> {

  private static final Handle<?>[] NONE = new Handle<?>[0];

  private final Object lock = new Object();
  private volatile Handle<?>[] handles = NONE;

  /** Registers {@code listener}; it stays registered until the returned subscription closes. */
  public Subscription add(L listener) {
    Handle<L> handle = new Handle<>(this, Objects.requireNonNull(listener, "listener"));
    synchronized (lock) {
      Handle<?>[] current = handles;
      Handle<?>[] next = Arrays.copyOf(current, current.length + 1);
      next[current.length] = handle;
      handles = next;
    }
    return handle;
  }

  /** Open subscriptions. */
  public int size() {
    return handles.length;
  }

  /**
   * The registered handles as of now, for iteration without a lock; never modified. Read each
   * one's {@link Handle#listener()} and skip null (closed meanwhile).
   */
  @SuppressWarnings("unchecked") // every element was created by add(L)
  public Handle<L>[] handles() {
    return (Handle<L>[]) handles;
  }

  private void remove(Handle<?> handle) {
    synchronized (lock) {
      Handle<?>[] current = handles;
      for (int i = 0; i < current.length; i++) {
        if (current[i] == handle) {
          Handle<?>[] next = current.length == 1 ? NONE : new Handle<?>[current.length - 1];
          System.arraycopy(current, 0, next, 0, i);
          System.arraycopy(current, i + 1, next, i, current.length - i - 1);
          handles = next;
          return;
        }
      }
    }
  }

  /** One registered listener, and its subscription. */
  public static final class Handle<L> implements Subscription {
    private volatile ListenerRegistry<L> registry;
    private volatile L listener;

    Handle(ListenerRegistry<L> registry, L listener) {
      this.registry = registry;
      this.listener = listener;
    }

    /** The listener, or null once closed. */
    public L listener() {
      return listener;
    }

    /** Unregisters; afterwards the handle refers to neither listener nor registry. Idempotent. */
    @Override
    public void close() {
      ListenerRegistry<L> r = registry;
      if (r != null) {
        r.remove(this);
        listener = null;
        registry = null;
      }
    }
  }
}
