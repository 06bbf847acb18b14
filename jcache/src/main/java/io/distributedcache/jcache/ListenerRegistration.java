package io.distributedcache.jcache;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import javax.cache.configuration.CacheEntryListenerConfiguration;
import javax.cache.configuration.Factory;
import javax.cache.event.CacheEntryCreatedListener;
import javax.cache.event.CacheEntryEventFilter;
import javax.cache.event.CacheEntryExpiredListener;
import javax.cache.event.CacheEntryListener;
import javax.cache.event.CacheEntryListenerException;
import javax.cache.event.CacheEntryRemovedListener;
import javax.cache.event.CacheEntryUpdatedListener;
import javax.cache.event.EventType;

/**
 * One registered {@link CacheEntryListenerConfiguration}: the listener and filter its factories
 * created, and how events reach them.
 *
 * <p>Synchronous listeners are called on the thread of the cache operation, after the entries
 * changed and before the operation returns; what they throw reaches the caller as a {@link
 * CacheEntryListenerException}. Asynchronous ones are called on the cache's event thread, one
 * batch at a time in the order the operations published them; what they throw is logged. Each
 * batch holds one operation's events of one type.
 */
final class ListenerRegistration<K, V> {

  private static final System.Logger LOG = System.getLogger(ListenerRegistration.class.getName());

  private final CacheEntryListenerConfiguration<K, V> configuration;
  private final CacheEntryListener<? super K, ? super V> listener;
  private final CacheEntryEventFilter<? super K, ? super V> filter;

  ListenerRegistration(CacheEntryListenerConfiguration<K, V> configuration) {
    this.configuration = configuration;
    this.listener = configuration.getCacheEntryListenerFactory().create();
    Factory<CacheEntryEventFilter<? super K, ? super V>> filterFactory =
        configuration.getCacheEntryEventFilterFactory();
    this.filter = filterFactory == null ? null : filterFactory.create();
  }

  CacheEntryListenerConfiguration<K, V> configuration() {
    return configuration;
  }

  /** Whether this listener receives events of {@code type}. */
  boolean handles(EventType type) {
    return switch (type) {
      case CREATED -> listener instanceof CacheEntryCreatedListener;
      case UPDATED -> listener instanceof CacheEntryUpdatedListener;
      case REMOVED -> listener instanceof CacheEntryRemovedListener;
      case EXPIRED -> listener instanceof CacheEntryExpiredListener;
    };
  }

  /**
   * Delivers the events of {@code type} among {@code events} that pass the filter.
   *
   * @param asyncExecutor where asynchronous listeners run
   * @throws CacheEntryListenerException if a synchronous listener or filter throws
   */
  void deliver(EventType type, List<EntryEvent<K, V>> events, Executor asyncExecutor) {
    if (!handles(type)) {
      return;
    }
    if (configuration.isSynchronous()) {
      try {
        deliverNow(type, events);
      } catch (CacheEntryListenerException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new CacheEntryListenerException("listener failed on " + type + " events", e);
      }
    } else {
      asyncExecutor.execute(
          () -> {
            try {
              deliverNow(type, events);
            } catch (RuntimeException e) {
              LOG.log(System.Logger.Level.WARNING, "asynchronous cache entry listener failed", e);
            }
          });
    }
  }

  @SuppressWarnings("unchecked")
  private void deliverNow(EventType type, List<EntryEvent<K, V>> events) {
    List<javax.cache.event.CacheEntryEvent<? extends K, ? extends V>> selected =
        new ArrayList<>(events.size());
    boolean oldValues = configuration.isOldValueRequired();
    for (EntryEvent<K, V> event : events) {
      if (event.getEventType() != type) {
        continue;
      }
      EntryEvent<K, V> seen = oldValues ? event : event.withoutOldValue();
      if (filter == null || filter.evaluate(seen)) {
        selected.add(seen);
      }
    }
    if (selected.isEmpty()) {
      return;
    }
    Iterable<javax.cache.event.CacheEntryEvent<? extends K, ? extends V>> batch = selected;
    switch (type) {
      case CREATED -> ((CacheEntryCreatedListener<K, V>) listener).onCreated(batch);
      case UPDATED -> ((CacheEntryUpdatedListener<K, V>) listener).onUpdated(batch);
      case REMOVED -> ((CacheEntryRemovedListener<K, V>) listener).onRemoved(batch);
      case EXPIRED -> ((CacheEntryExpiredListener<K, V>) listener).onExpired(batch);
    }
  }

  /** Closes the listener and filter if they are {@link Closeable}/{@link AutoCloseable}. */
  void close() {
    closeQuietly(listener);
    closeQuietly(filter);
  }

  static void closeQuietly(Object resource) {
    if (resource instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        LOG.log(System.Logger.Level.WARNING, "closing " + resource.getClass().getName(), e);
      }
    }
  }
}
