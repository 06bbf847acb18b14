package io.distributedcache.core.invalidation;

import io.distributedcache.core.invalidation.Invalidation.Cause;
import io.distributedcache.core.storage.ByteKey;
import io.distributedcache.core.storage.CacheStorage;
import io.distributedcache.core.storage.KeyEvent;
import io.distributedcache.core.storage.KeyEventListener;
import io.distributedcache.core.storage.ListenerRegistry;
import io.distributedcache.core.storage.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntPredicate;

/**
 * The node's invalidation hub (the seed's {@code InvalidationManager}): every change to a key this
 * node learns of becomes one {@link Invalidation} delivered to every subscribed listener, and the
 * changes other nodes must hear of wait in a queue that the cluster layer broadcasts.
 *
 * <p>Design note. Where events come from:
 *
 * <ul>
 *   <li>Writes and deletes are announced by whoever runs the write command: the connection in a
 *       standalone node, the slot's primary in a cluster ({@link #announce}, which also queues the
 *       event for every other node). Replicas do not announce the copies they apply: the
 *       primary's broadcast reaches every node, and the client that wrote is named in it, which
 *       a replica applying a copy could not know ({@code NOLOOP}).
 *   <li>Expiry and eviction come from the storage's own events. Every node delivers them to its
 *       listeners; an expiry on a slot's primary is also broadcast, since nodes without a copy
 *       may have clients that read the key.
 *   <li>Peers' broadcasts ({@link #deliver}), layout changes and reconnections (slot events) and
 *       repairs come from the cluster layer.
 * </ul>
 *
 * <p>Seed bug 3: the seed registered a lambda capturing its manager with the storage and never
 * removed it. Here listeners live in a {@link ListenerRegistry}: each in its own handle, held in one
 * array and nowhere else; {@link Subscription#close()} takes it out and clears its references, so
 * a closed subscription keeps nothing alive, whatever else refers to it. The manager's own storage
 * subscription is closed by {@link #close()}.
 *
 * <p>Thread safety: every method may be called from any thread. Delivery runs on the caller's
 * thread, without a lock; the listener array is copied on write.
 */
public final class InvalidationManager implements AutoCloseable {

  private final ListenerRegistry<InvalidationListener> listeners = new ListenerRegistry<>();
  private final ConcurrentLinkedQueue<Invalidation> outgoing = new ConcurrentLinkedQueue<>();
  private final AtomicInteger outgoingSize = new AtomicInteger();
  private final Subscription storageEvents;
  private final CacheStorage storage;

  private volatile boolean broadcasting;
  private volatile IntPredicate primaryHere = slot -> false;
  private volatile Remover remover;

  private final LongAdder delivered = new LongAdder();
  private final LongAdder queued = new LongAdder();
  private final LongAdder listenerFailures = new LongAdder();

  /** Most events queued for broadcast; beyond it they are merged into one "all" event. */
  public static final int MAX_OUTGOING = 65_536;

  /**
   * Removes what an explicit invalidation names from every copy, then the manager announces it.
   * Implemented by the cluster layer; a standalone node removes from its own storage. Called on
   * the caller's thread; never blocks.
   */
  public interface Remover {
    /**
     * Removes every key {@code what} covers from every copy that holds one, and completes the
     * returned future once that is done (exceptionally if it could not be).
     */
    CompletableFuture<Void> remove(Invalidation what);
  }

  /** A manager that hears the expiries and evictions of {@code storage}. */
  public InvalidationManager(CacheStorage storage) {
    this.storage = Objects.requireNonNull(storage, "storage");
    LocalRemover local = new LocalRemover(storage);
    local.manager = this;
    this.remover = local;
    this.storageEvents = storage.subscribe(new StorageEvents(this));
  }

  // ------------------------------------------------------------------------------------------
  // Wiring (the cluster layer)

  /**
   * Makes {@link #announce} queue events for peers, and broadcast the expiries of the slots for
   * which {@code primaryHere} answers true. Called once by the cluster layer when it starts.
   */
  public void broadcastTo(IntPredicate primaryHere, Remover clusterRemover) {
    this.primaryHere = Objects.requireNonNull(primaryHere, "primaryHere");
    this.remover = Objects.requireNonNull(clusterRemover, "clusterRemover");
    this.broadcasting = true;
  }

  /**
   * Takes the events queued for peers, oldest first. Called by the cluster layer's ticking
   * thread, which sends them to every other member in one message.
   */
  public List<Invalidation> drainOutgoing() {
    if (outgoing.isEmpty()) {
      return List.of();
    }
    List<Invalidation> batch = new ArrayList<>();
    Invalidation next;
    while ((next = outgoing.poll()) != null) {
      outgoingSize.decrementAndGet();
      batch.add(next);
    }
    return batch;
  }

  // ------------------------------------------------------------------------------------------
  // Events

  /**
   * A change made on this node that every node must hear of: delivered here at once and, in a
   * cluster, queued for every peer. If peers fall so far behind that {@link #MAX_OUTGOING}
   * events wait, the queue collapses into one "everything changed" event: a near cache then
   * drops more than it had to, never less.
   */
  public void announce(Invalidation invalidation) {
    deliver(invalidation);
    if (broadcasting) {
      queue(invalidation);
    }
  }

  private void queue(Invalidation invalidation) {
    queued.increment();
    if (outgoingSize.incrementAndGet() > MAX_OUTGOING) {
      outgoing.clear();
      outgoingSize.set(1);
      outgoing.add(Invalidation.all(Cause.FLUSHED));
      return;
    }
    outgoing.add(invalidation);
  }

  /** Hands {@code invalidation} to every listener of this node, on this thread. */
  public void deliver(Invalidation invalidation) {
    delivered.increment();
    for (ListenerRegistry.Handle<InvalidationListener> handle : listeners.handles()) {
      InvalidationListener listener = handle.listener();
      if (listener != null) {
        try {
          listener.onInvalidation(invalidation);
        } catch (RuntimeException e) {
          listenerFailures.increment();
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Explicit invalidation

  /** Removes {@code key} from every copy; listeners everywhere hear of it. */
  public CompletableFuture<Void> invalidate(byte[] key) {
    return remover.remove(Invalidation.key(Cause.INVALIDATED, key));
  }

  /** Removes every key that starts with {@code prefix} from every copy. */
  public CompletableFuture<Void> invalidatePrefix(byte[] prefix) {
    return remover.remove(Invalidation.prefix(Cause.INVALIDATED, prefix));
  }

  /** Removes every key from every copy. */
  public CompletableFuture<Void> invalidateAll() {
    return remover.remove(Invalidation.all(Cause.FLUSHED));
  }

  // ------------------------------------------------------------------------------------------
  // Listeners

  /**
   * Registers {@code listener} for every event this node learns of; see {@link
   * InvalidationListener} for the threading contract. Kept only until the subscription closes.
   */
  public Subscription subscribe(InvalidationListener listener) {
    return listeners.add(listener);
  }

  /** Open subscriptions. */
  public int listenerCount() {
    return listeners.size();
  }

  /** Events delivered on this node so far. */
  public long delivered() {
    return delivered.sum();
  }

  /** Events queued for peers so far. */
  public long queuedForPeers() {
    return queued.sum();
  }

  /** Listener calls that threw. */
  public long listenerFailures() {
    return listenerFailures.sum();
  }

  /** Stops hearing the storage's events. Listeners stay registered until they close. */
  @Override
  public void close() {
    storageEvents.close();
  }

  /** The storage this manager hears. */
  public CacheStorage storage() {
    return storage;
  }

  /**
   * The storage's expiry and eviction events. A named class, not a lambda, so what it holds is
   * visible: the manager, until the manager closes the subscription.
   */
  private static final class StorageEvents implements KeyEventListener {
    private final InvalidationManager manager;

    StorageEvents(InvalidationManager manager) {
      this.manager = manager;
    }

    @Override
    public void onKeyEvent(KeyEvent event, ByteKey key) {
      if (event == KeyEvent.EXPIRED) {
        Invalidation expired = Invalidation.key(Cause.EXPIRED, key.bytes());
        manager.deliver(expired);
        if (manager.broadcasting && manager.primaryHere.test(key.slot())) {
          manager.queue(expired);
        }
      } else if (event == KeyEvent.EVICTED) {
        manager.deliver(Invalidation.key(Cause.EVICTED, key.bytes()));
      }
      // WRITTEN and DELETED are announced by the write path, which knows who wrote.
    }
  }

  /** A standalone node's removal: its own storage is every copy there is. */
  private static final class LocalRemover implements Remover {
    private final CacheStorage storage;
    private InvalidationManager manager;

    LocalRemover(CacheStorage storage) {
      this.storage = storage;
    }

    @Override
    public CompletableFuture<Void> remove(Invalidation what) {
      switch (what.scope()) {
        case KEY -> storage.removeIfOlder(ByteKey.of(what.bytes()), Long.MAX_VALUE);
        case ALL -> storage.clear();
        default ->
            storage.forEachLiveKey(
                key -> {
                  if (what.covers(key.bytes())) {
                    storage.removeIfOlder(key, Long.MAX_VALUE);
                  }
                });
      }
      if (manager != null) {
        manager.announce(what);
      }
      return CompletableFuture.completedFuture(null);
    }
  }
}
