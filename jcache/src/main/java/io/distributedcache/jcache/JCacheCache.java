package io.distributedcache.jcache;

import io.distributedcache.core.storage.ByteKey;
import io.distributedcache.core.time.Ticker;
import io.distributedcache.jcache.EntryStore.Stored;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.configuration.CacheEntryListenerConfiguration;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.configuration.Configuration;
import javax.cache.configuration.Factory;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.event.EventType;
import javax.cache.expiry.Duration;
import javax.cache.expiry.ExpiryPolicy;
import javax.cache.integration.CacheLoader;
import javax.cache.integration.CacheLoaderException;
import javax.cache.integration.CacheWriter;
import javax.cache.integration.CacheWriterException;
import javax.cache.integration.CompletionListener;
import javax.cache.processor.EntryProcessor;
import javax.cache.processor.EntryProcessorException;
import javax.cache.processor.EntryProcessorResult;
import javax.cache.processor.MutableEntry;

/**
 * A JSR-107 {@link Cache} whose entries live in an {@link EntryStore} (the engine's node-local
 * {@code CacheStorage}).
 *
 * <h2>Atomicity</h2>
 *
 * Every change of one key is one {@link EntryStore#compute} call ({@link #atomically}): the current
 * entry is read, the application's code that decides the outcome (expiry policy, {@code
 * CacheWriter}, read-through {@code CacheLoader} in {@code get} and {@code invoke}, the {@code
 * EntryProcessor}) runs, and the new entry is written, all while the store holds that key's lock.
 * That code must therefore not call back into this cache; listeners are called after the lock is
 * released. Bulk operations ({@code putAll}, {@code removeAll}, {@code getAll}, {@code invokeAll})
 * are atomic per key, not as a whole, as the specification allows.
 *
 * <h2>Expiry</h2>
 *
 * The expiry time of an entry is kept in its {@link Stored} form, on {@link SystemTicker}. An
 * entry whose time has come is never returned: the operation that meets it removes it and reports
 * it to expiry listeners. A creation duration of zero stores nothing; an update or access duration
 * of zero makes the entry expire at once. A policy that throws leaves the expiry unchanged (for
 * creation: eternal).
 *
 * <h2>Threads</h2>
 *
 * All methods may be called from any thread. Each cache owns at most one daemon thread, started on
 * first need, which runs {@link #loadAll} and delivers events to asynchronous listeners in order.
 */
public final class JCacheCache<K, V> implements Cache<K, V> {

  private static final System.Logger LOG = System.getLogger(JCacheCache.class.getName());
  private static final EventType[] DISPATCH_ORDER = {
    EventType.EXPIRED, EventType.CREATED, EventType.UPDATED, EventType.REMOVED
  };

  private final DistributedCacheManager manager;
  private final String name;
  private final MutableConfiguration<K, V> configuration;
  private final CacheLoader<K, V> loader;
  private final CacheWriter<K, V> writer;
  private final ExpiryPolicy expiryPolicy;
  private final EntryCodec<K, V> codec;
  private final EntryStore store;
  private final Ticker ticker = SystemTicker.INSTANCE;
  private final CopyOnWriteArrayList<ListenerRegistration<K, V>> listeners =
      new CopyOnWriteArrayList<>();
  private final CacheStatistics statistics = new CacheStatistics();
  private final CacheManagement management = new CacheManagement(this);
  private final Object lifecycleLock = new Object();

  private volatile boolean closed;
  private volatile boolean statisticsEnabled;
  private ExecutorService background; // guarded by lifecycleLock

  @SuppressWarnings("unchecked")
  JCacheCache(
      DistributedCacheManager manager, String name, Configuration<K, V> given) {
    this.manager = manager;
    this.name = name;
    this.configuration = copyOf(given);
    Factory<CacheLoader<K, V>> loaderFactory = configuration.getCacheLoaderFactory();
    this.loader = loaderFactory == null ? null : loaderFactory.create();
    Factory<CacheWriter<? super K, ? super V>> writerFactory =
        configuration.getCacheWriterFactory();
    // A writer of supertypes accepts our keys and values; the cast only narrows its signature.
    this.writer = writerFactory == null ? null : (CacheWriter<K, V>) writerFactory.create();
    Factory<ExpiryPolicy> expiryFactory = configuration.getExpiryPolicyFactory();
    this.expiryPolicy = expiryFactory == null ? null : expiryFactory.create();
    this.codec =
        configuration.isStoreByValue()
            ? EntryCodec.byValue(manager.getClassLoader())
            : EntryCodec.byReference();
    this.store = new StorageEntryStore(ticker, !codec.keepsObjectsBesideStore());
    for (CacheEntryListenerConfiguration<K, V> listener :
        configuration.getCacheEntryListenerConfigurations()) {
      listeners.add(new ListenerRegistration<>(listener));
    }
    if (configuration.isManagementEnabled()) {
      setManagementEnabled(true);
    }
    if (configuration.isStatisticsEnabled()) {
      setStatisticsEnabled(true);
    }
  }

  private static <K, V> MutableConfiguration<K, V> copyOf(Configuration<K, V> given) {
    if (given instanceof CompleteConfiguration<K, V> complete) {
      return new MutableConfiguration<>(complete);
    }
    MutableConfiguration<K, V> copy = new MutableConfiguration<>();
    copy.setTypes(given.getKeyType(), given.getValueType());
    copy.setStoreByValue(given.isStoreByValue());
    return copy;
  }

  // ------------------------------------------------------------------------------------------
  // Identity, configuration, lifecycle

  @Override
  public String getName() {
    return name;
  }

  @Override
  public CacheManager getCacheManager() {
    return manager;
  }

  @Override
  public <C extends Configuration<K, V>> C getConfiguration(Class<C> clazz) {
    if (clazz.isInstance(configuration)) {
      return clazz.cast(configuration);
    }
    throw new IllegalArgumentException(
        "the configuration is not a " + clazz.getName() + " but a MutableConfiguration");
  }

  /** The live configuration, for the management bean. */
  CompleteConfiguration<K, V> configuration() {
    return configuration;
  }

  /** The store of this cache (for tests). */
  EntryStore store() {
    return store;
  }

  /** Number of registered listeners (for tests). */
  int listenerCount() {
    return listeners.size();
  }

  @Override
  public <T> T unwrap(Class<T> clazz) {
    if (clazz.isAssignableFrom(getClass())) {
      return clazz.cast(this);
    }
    throw new IllegalArgumentException("cannot unwrap " + getClass().getName() + " to " + clazz);
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  /**
   * Closes the cache: it leaves its manager, its beans are unregistered, the loader, writer,
   * expiry policy and listeners are closed if they are {@link AutoCloseable}, pending asynchronous
   * work finishes (waiting up to 10 s), and the entries are dropped. Idempotent.
   */
  @Override
  public void close() {
    ExecutorService executor;
    synchronized (lifecycleLock) {
      if (closed) {
        return;
      }
      closed = true;
      executor = background;
      background = null;
    }
    manager.release(this);
    ManagementRegistry.unregister(this, ManagementRegistry.Kind.STATISTICS);
    ManagementRegistry.unregister(this, ManagementRegistry.Kind.CONFIGURATION);
    if (executor != null) {
      executor.shutdown();
      try {
        if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
          executor.shutdownNow();
        }
      } catch (InterruptedException e) {
        executor.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    ListenerRegistration.closeQuietly(loader);
    ListenerRegistration.closeQuietly(writer);
    ListenerRegistration.closeQuietly(expiryPolicy);
    for (ListenerRegistration<K, V> registration : listeners) {
      registration.close();
    }
    listeners.clear();
    store.close();
  }

  /** Enables or disables the statistics bean and counting. */
  void setStatisticsEnabled(boolean enabled) {
    synchronized (lifecycleLock) {
      if (enabled) {
        ManagementRegistry.register(this, ManagementRegistry.Kind.STATISTICS, statistics);
      } else {
        ManagementRegistry.unregister(this, ManagementRegistry.Kind.STATISTICS);
      }
      configuration.setStatisticsEnabled(enabled);
      statisticsEnabled = enabled;
    }
  }

  /** Enables or disables the configuration bean. */
  void setManagementEnabled(boolean enabled) {
    synchronized (lifecycleLock) {
      if (enabled) {
        ManagementRegistry.register(this, ManagementRegistry.Kind.CONFIGURATION, management);
      } else {
        ManagementRegistry.unregister(this, ManagementRegistry.Kind.CONFIGURATION);
      }
      configuration.setManagementEnabled(enabled);
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("cache " + name + " is closed");
    }
  }

  private ExecutorService background() {
    synchronized (lifecycleLock) {
      ensureOpen();
      if (background == null) {
        background =
            Executors.newSingleThreadExecutor(
                runnable -> {
                  Thread thread = new Thread(runnable, "jcache-" + name);
                  thread.setDaemon(true);
                  return thread;
                });
      }
      return background;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Listeners

  @Override
  public void registerCacheEntryListener(CacheEntryListenerConfiguration<K, V> listenerConfig) {
    ensureOpen();
    Objects.requireNonNull(listenerConfig, "cacheEntryListenerConfiguration");
    synchronized (lifecycleLock) {
      for (ListenerRegistration<K, V> existing : listeners) {
        if (existing.configuration().equals(listenerConfig)) {
          throw new IllegalArgumentException("listener configuration already registered");
        }
      }
      listeners.add(new ListenerRegistration<>(listenerConfig));
      configuration.addCacheEntryListenerConfiguration(listenerConfig);
    }
  }

  @Override
  public void deregisterCacheEntryListener(CacheEntryListenerConfiguration<K, V> listenerConfig) {
    ensureOpen();
    Objects.requireNonNull(listenerConfig, "cacheEntryListenerConfiguration");
    synchronized (lifecycleLock) {
      for (ListenerRegistration<K, V> existing : listeners) {
        if (existing.configuration().equals(listenerConfig)) {
          listeners.remove(existing);
          configuration.removeCacheEntryListenerConfiguration(listenerConfig);
          existing.close();
        }
      }
    }
  }

  /** The events one operation produced; delivered after the store released its locks. */
  private final class Events {
    private final List<ListenerRegistration<K, V>> registrations = listeners;
    private List<EntryEvent<K, V>> events;

    boolean wants(EventType type) {
      for (ListenerRegistration<K, V> registration : registrations) {
        if (registration.handles(type)) {
          return true;
        }
      }
      return false;
    }

    void add(EventType type, K key, V value, V oldValue) {
      if (!wants(type)) {
        return;
      }
      if (events == null) {
        events = new ArrayList<>(2);
      }
      events.add(new EntryEvent<>(JCacheCache.this, type, key, value, oldValue));
    }

    void created(K key, V value) {
      add(EventType.CREATED, key, value, null);
    }

    void updated(K key, V value, V oldValue) {
      add(EventType.UPDATED, key, value, oldValue);
    }

    void removed(K key, V oldValue) {
      add(EventType.REMOVED, key, oldValue, oldValue);
    }

    void expired(K key, V oldValue) {
      add(EventType.EXPIRED, key, oldValue, oldValue);
    }

    /** Delivers the events; throws what a synchronous listener threw, after all are delivered. */
    void dispatch() {
      if (events == null) {
        return;
      }
      List<EntryEvent<K, V>> batch = List.copyOf(events);
      events = null;
      RuntimeException failure = null;
      for (ListenerRegistration<K, V> registration : registrations) {
        for (EventType type : DISPATCH_ORDER) {
          try {
            registration.deliver(type, batch, JCacheCache.this::runInBackground);
          } catch (RuntimeException e) {
            if (failure == null) {
              failure = e;
            }
          }
        }
      }
      if (failure != null) {
        throw failure;
      }
    }
  }

  private void runInBackground(Runnable task) {
    try {
      background().execute(task);
    } catch (IllegalStateException | java.util.concurrent.RejectedExecutionException e) {
      LOG.log(System.Logger.Level.DEBUG, "cache {0} closed; event not delivered", name);
    }
  }

  // ------------------------------------------------------------------------------------------
  // The atomic step

  /** One atomic change of one key; see {@link #atomically}. */
  private abstract class Step {
    /** The value the step stored, for the codec's bookkeeping. */
    V written;

    /**
     * Decides the key's new entry.
     *
     * @param id the store key
     * @param live the current entry, or {@code null} if absent or expired
     * @param now the ticker reading of this step
     * @return {@code live} to change nothing, {@code null} to remove, or a new entry (made with
     *     {@link #write} when the value changes)
     */
    abstract Stored apply(ByteKey id, Stored live, long now);

    final Stored write(V value, long expiresAtNanos) {
      written = value;
      return Stored.of(codec.encodeValue(value), expiresAtNanos);
    }
  }

  /**
   * Runs {@code step} for {@code key} inside the store's compute: an entry found expired is
   * removed (and reported to {@code events}) unless the step writes a new one.
   */
  private Stored atomically(K key, Step step, Events events) {
    while (true) {
      ByteKey id = codec.keyFor(key);
      boolean[] stale = new boolean[1];
      Stored result =
          store.compute(
              id,
              current -> {
                if (!codec.owns(key, id)) {
                  stale[0] = true; // the id was released meanwhile: look the key up again
                  return current;
                }
                long now = ticker.read();
                boolean expired = current != null && current.isExpiredAt(now);
                Stored live = expired ? null : current;
                step.written = null;
                Stored next = step.apply(id, live, now);
                if (expired && events.wants(EventType.EXPIRED)) {
                  events.expired(key, codec.decodeValue(id, current.payload()));
                }
                if (next == null) {
                  codec.onAbsent(key, id);
                } else if (step.written != null) {
                  codec.onStored(id, step.written);
                }
                return next;
              });
      if (!stale[0]) {
        return result;
      }
    }
  }

  private V decode(ByteKey id, Stored entry) {
    return codec.decodeValue(id, entry.payload());
  }

  private long startTimer() {
    return statisticsEnabled ? System.nanoTime() : 0;
  }

  private static long since(long startNanos) {
    return System.nanoTime() - startNanos;
  }

  // ------------------------------------------------------------------------------------------
  // Expiry

  private static long expiresAt(Duration duration, long now) {
    if (duration.isEternal()) {
      return Stored.ETERNAL;
    }
    if (duration.isZero()) {
      return now;
    }
    long nanos = duration.getTimeUnit().toNanos(duration.getDurationAmount());
    long at = now + nanos;
    if (nanos > 0 && at < now) {
      return Stored.ETERNAL - 1;
    }
    return at == Stored.ETERNAL ? Stored.ETERNAL - 1 : at;
  }

  private static boolean expiredAt(long expiresAtNanos, long now) {
    return expiresAtNanos != Stored.ETERNAL && now - expiresAtNanos >= 0;
  }

  /** The expiry time of a new entry: the policy's creation duration, eternal if it fails. */
  private long creationExpiry(long now) {
    if (expiryPolicy == null) {
      return Stored.ETERNAL;
    }
    Duration duration;
    try {
      duration = expiryPolicy.getExpiryForCreation();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "expiry policy failed on creation", e);
      duration = null;
    }
    return duration == null ? Stored.ETERNAL : expiresAt(duration, now);
  }

  /** The expiry time after an update: the policy's update duration, or unchanged. */
  private long updateExpiry(Stored live, long now) {
    if (expiryPolicy == null) {
      return live.expiresAtNanos();
    }
    Duration duration;
    try {
      duration = expiryPolicy.getExpiryForUpdate();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "expiry policy failed on update", e);
      duration = null;
    }
    return duration == null ? live.expiresAtNanos() : expiresAt(duration, now);
  }

  /** The access duration of the policy, or {@code null} for unchanged. */
  private Duration accessDuration() {
    if (expiryPolicy == null) {
      return null;
    }
    try {
      return expiryPolicy.getExpiryForAccess();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "expiry policy failed on access", e);
      return null;
    }
  }

  /** {@code live} with the expiry time an access gives it (the same instance if unchanged). */
  private Stored accessed(Stored live, long now) {
    Duration duration = accessDuration();
    if (duration == null) {
      return live;
    }
    return live.withExpiry(expiresAt(duration, now));
  }

  // ------------------------------------------------------------------------------------------
  // Integration

  private boolean writesThrough() {
    return writer != null && configuration.isWriteThrough();
  }

  private boolean readsThrough() {
    return loader != null && configuration.isReadThrough();
  }

  private void writeThrough(K key, V value) {
    if (!writesThrough()) {
      return;
    }
    try {
      writer.write(new CacheEntry<>(key, value));
    } catch (CacheWriterException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CacheWriterException("CacheWriter.write failed", e);
    }
  }

  private void deleteThrough(K key) {
    if (!writesThrough()) {
      return;
    }
    try {
      writer.delete(key);
    } catch (CacheWriterException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CacheWriterException("CacheWriter.delete failed", e);
    }
  }

  private V load(K key) {
    try {
      return loader.load(key);
    } catch (CacheLoaderException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CacheLoaderException("CacheLoader.load failed", e);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Reads

  @Override
  public V get(K key) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    Events events = new Events();
    V value = getValue(key, events);
    events.dispatch();
    return value;
  }

  private V getValue(K key, Events events) {
    long start = startTimer();
    ByteKey id = codec.findKey(key);
    Stored found = id == null ? null : store.get(id);
    long now = ticker.read();
    if (found != null && !found.isExpiredAt(now)) {
      V value = decode(id, found);
      if (value != null) {
        Duration access = accessDuration();
        if (access != null) {
          long accessExpiry = expiresAt(access, now);
          // Only the write we read gets the new time: a concurrent update keeps its own.
          store.compute(
              id,
              current ->
                  current != null && current.version() == found.version()
                      ? current.withExpiry(accessExpiry)
                      : current);
        }
        if (statisticsEnabled) {
          statistics.hits(1);
          statistics.getTime(since(start));
        }
        return value;
      }
    }
    if (found == null && !readsThrough()) {
      // A plain miss: nothing to remove, report or load, so no need for the key's lock.
      if (statisticsEnabled) {
        statistics.misses(1);
        statistics.getTime(since(start));
      }
      return null;
    }
    // Expired, or absent with read-through: look again under the key's lock, load if configured.
    Object[] result = new Object[1];
    atomically(
        key,
        new Step() {
          @Override
          Stored apply(ByteKey storeKey, Stored live, long stepNow) {
            if (live != null) {
              result[0] = decode(storeKey, live); // written meanwhile
              return live;
            }
            if (!readsThrough()) {
              return null;
            }
            V loaded = load(key);
            if (loaded == null) {
              return null;
            }
            long expiry = creationExpiry(stepNow);
            if (expiredAt(expiry, stepNow)) {
              return null;
            }
            events.created(key, loaded);
            result[0] = loaded;
            return write(loaded, expiry);
          }
        },
        events);
    if (statisticsEnabled) {
      statistics.misses(1);
      statistics.getTime(since(start));
    }
    @SuppressWarnings("unchecked")
    V value = (V) result[0];
    return value;
  }

  @Override
  public Map<K, V> getAll(Set<? extends K> keys) {
    ensureOpen();
    requireNoNulls(keys);
    Events events = new Events();
    Map<K, V> result = new HashMap<>();
    for (K key : keys) {
      V value = getValue(key, events);
      if (value != null) {
        result.put(key, value);
      }
    }
    events.dispatch();
    return result;
  }

  @Override
  public boolean containsKey(K key) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    ByteKey id = codec.findKey(key);
    Stored found = id == null ? null : store.get(id);
    return found != null && !found.isExpiredAt(ticker.read());
  }

  private static void requireNoNulls(Collection<?> items) {
    Objects.requireNonNull(items, "keys");
    for (Object item : items) {
      Objects.requireNonNull(item, "a key is null");
    }
  }

  // ------------------------------------------------------------------------------------------
  // Loading

  @Override
  public void loadAll(
      Set<? extends K> keys, boolean replaceExistingValues, CompletionListener listener) {
    ensureOpen();
    requireNoNulls(keys);
    if (loader == null) {
      if (listener != null) {
        listener.onCompletion();
      }
      return;
    }
    List<K> requested = new ArrayList<>(keys);
    background()
        .execute(
            () -> {
              try {
                List<K> toLoad = new ArrayList<>(requested.size());
                for (K key : requested) {
                  if (replaceExistingValues || !containsKey(key)) {
                    toLoad.add(key);
                  }
                }
                Map<K, V> loaded;
                try {
                  loaded = loader.loadAll(toLoad);
                } catch (CacheLoaderException e) {
                  throw e;
                } catch (RuntimeException e) {
                  throw new CacheLoaderException("CacheLoader.loadAll failed", e);
                }
                if (loaded != null) {
                  Events events = new Events();
                  for (Map.Entry<K, V> entry : loaded.entrySet()) {
                    if (entry.getKey() != null && entry.getValue() != null) {
                      storeLoaded(entry.getKey(), entry.getValue(), replaceExistingValues, events);
                    }
                  }
                  events.dispatch();
                }
                if (listener != null) {
                  listener.onCompletion();
                }
              } catch (Exception e) {
                if (listener != null) {
                  listener.onException(e);
                }
              }
            });
  }

  /** Stores a loaded value without writing it through; loads do not count as puts. */
  private void storeLoaded(K key, V value, boolean replace, Events events) {
    atomically(
        key,
        new Step() {
          @Override
          Stored apply(ByteKey id, Stored live, long now) {
            if (live == null) {
              long expiry = creationExpiry(now);
              if (expiredAt(expiry, now)) {
                return null;
              }
              events.created(key, value);
              return write(value, expiry);
            }
            if (!replace) {
              return live;
            }
            events.updated(key, value, events.wants(EventType.UPDATED) ? decode(id, live) : null);
            return write(value, updateExpiry(live, now));
          }
        },
        events);
  }

  // ------------------------------------------------------------------------------------------
  // Writes

  /** Outcome flags of one step, read after it ran. */
  private static final class Outcome<V> {
    boolean hit;
    boolean changed;
    V oldValue;
  }

  /** Puts {@code value}; returns the previous value if {@code wantOld}, else null. */
  private Outcome<V> putValue(K key, V value, boolean useWriter, boolean wantOld, Events events) {
    Outcome<V> outcome = new Outcome<>();
    atomically(
        key,
        new Step() {
          @Override
          Stored apply(ByteKey id, Stored live, long now) {
            if (useWriter) {
              writeThrough(key, value);
            }
            if (live == null) {
              long expiry = creationExpiry(now);
              if (expiredAt(expiry, now)) {
                return null;
              }
              events.created(key, value);
              outcome.changed = true;
              return write(value, expiry);
            }
            outcome.hit = true;
            V old = wantOld || events.wants(EventType.UPDATED) ? decode(id, live) : null;
            outcome.oldValue = old;
            events.updated(key, value, old);
            outcome.changed = true;
            return write(value, updateExpiry(live, now));
          }
        },
        events);
    return outcome;
  }

  @Override
  public void put(K key, V value) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    long start = startTimer();
    Events events = new Events();
    Outcome<V> outcome = putValue(key, value, true, false, events);
    if (statisticsEnabled && outcome.changed) {
      statistics.puts(1);
      statistics.putTime(since(start));
    }
    events.dispatch();
  }

  @Override
  public V getAndPut(K key, V value) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    long start = startTimer();
    Events events = new Events();
    Outcome<V> outcome = putValue(key, value, true, true, events);
    if (statisticsEnabled) {
      long elapsed = since(start);
      if (outcome.changed) {
        statistics.puts(1);
        statistics.putTime(elapsed);
      }
      if (outcome.hit) {
        statistics.hits(1);
      } else {
        statistics.misses(1);
      }
      statistics.getTime(elapsed);
    }
    events.dispatch();
    return outcome.oldValue;
  }

  @Override
  public void putAll(Map<? extends K, ? extends V> map) {
    ensureOpen();
    Objects.requireNonNull(map, "map");
    Map<K, V> toStore = new LinkedHashMap<>();
    for (Map.Entry<? extends K, ? extends V> entry : map.entrySet()) {
      K key = Objects.requireNonNull(entry.getKey(), "a key is null");
      V value = Objects.requireNonNull(entry.getValue(), "a value is null");
      toStore.put(key, value);
    }
    long start = startTimer();
    CacheWriterException failure = null;
    if (writesThrough() && !toStore.isEmpty()) {
      List<Cache.Entry<? extends K, ? extends V>> pending = new ArrayList<>(toStore.size());
      for (Map.Entry<K, V> entry : toStore.entrySet()) {
        pending.add(new CacheEntry<>(entry.getKey(), entry.getValue()));
      }
      try {
        writer.writeAll(pending);
      } catch (RuntimeException e) {
        failure =
            e instanceof CacheWriterException cwe
                ? cwe
                : new CacheWriterException("CacheWriter.writeAll failed", e);
        // What the writer left in the collection was not written: do not cache it.
        for (Cache.Entry<? extends K, ? extends V> notWritten : pending) {
          toStore.remove(notWritten.getKey());
        }
      }
    }
    Events events = new Events();
    long written = 0;
    for (Map.Entry<K, V> entry : toStore.entrySet()) {
      if (putValue(entry.getKey(), entry.getValue(), false, false, events).changed) {
        written++;
      }
    }
    if (statisticsEnabled && written > 0) {
      statistics.puts(written);
      statistics.putTime(since(start));
    }
    events.dispatch();
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public boolean putIfAbsent(K key, V value) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    long start = startTimer();
    Events events = new Events();
    Outcome<V> outcome = new Outcome<>();
    atomically(
        key,
        new Step() {
          @Override
          Stored apply(ByteKey id, Stored live, long now) {
            if (live != null) {
              outcome.hit = true;
              return live;
            }
            writeThrough(key, value);
            long expiry = creationExpiry(now);
            if (expiredAt(expiry, now)) {
              return null;
            }
            outcome.changed = true;
            events.created(key, value);
            return write(value, expiry);
          }
        },
        events);
    if (statisticsEnabled) {
      if (outcome.hit) {
        statistics.hits(1);
      } else {
        statistics.misses(1);
        if (outcome.changed) {
          statistics.puts(1);
          statistics.putTime(since(start));
        }
      }
    }
    events.dispatch();
    // True when the key was absent, even if a zero creation expiry kept the value out.
    return !outcome.hit;
  }

  @Override
  public boolean remove(K key) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    long start = startTimer();
    Events events = new Events();
    Outcome<V> outcome = removeValue(key, true, true, events);
    if (statisticsEnabled && outcome.changed) {
      statistics.removals(1);
      statistics.removeTime(since(start));
    }
    events.dispatch();
    return outcome.changed;
  }

  /**
   * Removes the entry of {@code key}, deleting it through the writer first if {@code useWriter}
   * (whether or not an entry exists); the outcome tells whether there was one and its value.
   */
  private Outcome<V> removeValue(K key, boolean wantOld, boolean useWriter, Events events) {
    Outcome<V> outcome = new Outcome<>();
    atomically(
        key,
        new Step() {
          @Override
          Stored apply(ByteKey id, Stored live, long now) {
            if (useWriter) {
              deleteThrough(key);
            }
            if (live == null) {
              return null;
            }
            outcome.hit = true;
            outcome.changed = true;
            V old = wantOld || events.wants(EventType.REMOVED) ? decode(id, live) : null;
            outcome.oldValue = old;
            events.removed(key, old);
            return null;
          }
        },
        events);
    return outcome;
  }

  @Override
  public boolean remove(K key, V oldValue) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(oldValue, "oldValue");
    long start = startTimer();
    Events events = new Events();
    Outcome<V> outcome = new Outcome<>();
    atomically(
        key,
        new Step() {
          @Override
          Stored apply(ByteKey id, Stored live, long now) {
            if (live == null) {
              return null;
            }
            outcome.hit = true;
            V current = decode(id, live);
            if (!oldValue.equals(current)) {
              return accessed(live, now);
            }
            deleteThrough(key);
            outcome.changed = true;
            events.removed(key, current);
            return null;
          }
        },
        events);
    if (statisticsEnabled) {
      if (outcome.hit) {
        statistics.hits(1);
        statistics.getTime(since(start));
      } else {
        statistics.misses(1);
      }
      if (outcome.changed) {
        statistics.removals(1);
        statistics.removeTime(since(start));
      }
    }
    events.dispatch();
    return outcome.changed;
  }

  @Override
  public V getAndRemove(K key) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    long start = startTimer();
    Events events = new Events();
    Outcome<V> outcome = removeValue(key, true, true, events);
    if (statisticsEnabled) {
      long elapsed = since(start);
      if (outcome.hit) {
        statistics.hits(1);
        statistics.removals(1);
        statistics.removeTime(elapsed);
      } else {
        statistics.misses(1);
      }
      statistics.getTime(elapsed);
    }
    events.dispatch();
    return outcome.oldValue;
  }

  @Override
  public boolean replace(K key, V oldValue, V newValue) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(oldValue, "oldValue");
    Objects.requireNonNull(newValue, "newValue");
    long start = startTimer();
    Events events = new Events();
    Outcome<V> outcome = new Outcome<>();
    atomically(
        key,
        new Step() {
          @Override
          Stored apply(ByteKey id, Stored live, long now) {
            if (live == null) {
              return null;
            }
            outcome.hit = true;
            V current = decode(id, live);
            if (!oldValue.equals(current)) {
              return accessed(live, now);
            }
            writeThrough(key, newValue);
            outcome.changed = true;
            events.updated(key, newValue, current);
            return write(newValue, updateExpiry(live, now));
          }
        },
        events);
    if (statisticsEnabled) {
      if (outcome.hit) {
        statistics.hits(1);
        statistics.getTime(since(start));
      } else {
        statistics.misses(1);
      }
      if (outcome.changed) {
        statistics.puts(1);
        statistics.putTime(since(start));
      }
    }
    events.dispatch();
    return outcome.changed;
  }

  @Override
  public boolean replace(K key, V value) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    long start = startTimer();
    Events events = new Events();
    Outcome<V> outcome = replaceValue(key, value, false, events);
    if (statisticsEnabled) {
      if (outcome.changed) {
        statistics.hits(1);
        statistics.puts(1);
        statistics.putTime(since(start));
      } else {
        statistics.misses(1);
      }
    }
    events.dispatch();
    return outcome.changed;
  }

  private Outcome<V> replaceValue(K key, V value, boolean wantOld, Events events) {
    Outcome<V> outcome = new Outcome<>();
    atomically(
        key,
        new Step() {
          @Override
          Stored apply(ByteKey id, Stored live, long now) {
            if (live == null) {
              return null;
            }
            writeThrough(key, value);
            outcome.hit = true;
            outcome.changed = true;
            V old = wantOld || events.wants(EventType.UPDATED) ? decode(id, live) : null;
            outcome.oldValue = old;
            events.updated(key, value, old);
            return write(value, updateExpiry(live, now));
          }
        },
        events);
    return outcome;
  }

  @Override
  public V getAndReplace(K key, V value) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    long start = startTimer();
    Events events = new Events();
    Outcome<V> outcome = replaceValue(key, value, true, events);
    if (statisticsEnabled) {
      long elapsed = since(start);
      if (outcome.changed) {
        statistics.hits(1);
        statistics.puts(1);
        statistics.putTime(elapsed);
      } else {
        statistics.misses(1);
      }
      statistics.getTime(elapsed);
    }
    events.dispatch();
    return outcome.oldValue;
  }

  @Override
  public void removeAll(Set<? extends K> keys) {
    ensureOpen();
    requireNoNulls(keys);
    removeKeys(new ArrayList<>(keys));
  }

  @Override
  public void removeAll() {
    ensureOpen();
    removeKeys(currentKeys());
  }

  private List<K> currentKeys() {
    List<K> keys = new ArrayList<>();
    store.forEachKey(
        id -> {
          K key = codec.decodeKey(id);
          if (key != null) {
            keys.add(key);
          }
        });
    return keys;
  }

  private void removeKeys(List<K> keys) {
    long start = startTimer();
    Set<K> toRemove = new HashSet<>(keys);
    CacheWriterException failure = null;
    if (writesThrough() && !toRemove.isEmpty()) {
      List<K> pending = new ArrayList<>(toRemove);
      try {
        writer.deleteAll(pending);
      } catch (RuntimeException e) {
        failure =
            e instanceof CacheWriterException cwe
                ? cwe
                : new CacheWriterException("CacheWriter.deleteAll failed", e);
        // What the writer left in the collection was not deleted: keep it cached.
        for (Object notDeleted : pending) {
          toRemove.remove(notDeleted);
        }
      }
    }
    Events events = new Events();
    long removed = 0;
    for (K key : toRemove) {
      if (removeValue(key, false, false, events).changed) {
        removed++;
      }
    }
    if (statisticsEnabled && removed > 0) {
      statistics.removals(removed);
      statistics.removeTime(since(start));
    }
    events.dispatch();
    if (failure != null) {
      throw failure;
    }
  }

  /** Removes every entry without writer, events or statistics. */
  @Override
  public void clear() {
    ensureOpen();
    if (!codec.keepsObjectsBesideStore()) {
      store.clear();
      return;
    }
    store.forEachKey(
        id ->
            store.compute(
                id,
                current -> {
                  codec.onAbsent(codec.decodeKey(id), id);
                  return null;
                }));
  }

  // ------------------------------------------------------------------------------------------
  // Entry processors

  @Override
  public <T> T invoke(K key, EntryProcessor<K, V, T> processor, Object... arguments) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(processor, "entryProcessor");
    long start = startTimer();
    Events events = new Events();
    Object[] result = new Object[1];
    AtomicReference<ProcessorEntry> seen = new AtomicReference<>();
    atomically(
        key,
        new Step() {
          @Override
          Stored apply(ByteKey id, Stored live, long now) {
            ProcessorEntry entry = new ProcessorEntry(key, id, live);
            seen.set(entry);
            try {
              result[0] = processor.process(entry, arguments);
            } catch (EntryProcessorException e) {
              throw e;
            } catch (RuntimeException e) {
              throw new EntryProcessorException(e);
            }
            return switch (entry.operation) {
              case NONE -> live;
              case ACCESS -> accessed(live, now);
              case LOAD -> {
                long expiry = creationExpiry(now);
                if (expiredAt(expiry, now)) {
                  yield null;
                }
                events.created(key, entry.value);
                yield write(entry.value, expiry);
              }
              case CREATE -> {
                writeThrough(key, entry.value);
                long expiry = creationExpiry(now);
                if (expiredAt(expiry, now)) {
                  entry.operation = Operation.NONE; // nothing was put
                  yield null;
                }
                events.created(key, entry.value);
                yield write(entry.value, expiry);
              }
              case UPDATE -> {
                writeThrough(key, entry.value);
                events.updated(key, entry.value, entry.originalValue());
                yield write(entry.value, updateExpiry(live, now));
              }
              case REMOVE -> {
                deleteThrough(key);
                if (live != null) {
                  events.removed(key, entry.originalValue());
                }
                yield null;
              }
            };
          }
        },
        events);
    if (statisticsEnabled) {
      ProcessorEntry entry = seen.get();
      if (entry.original != null) {
        statistics.hits(1);
      } else {
        statistics.misses(1);
      }
      switch (entry.operation) {
        case CREATE, UPDATE -> {
          statistics.puts(1);
          statistics.putTime(since(start));
        }
        case REMOVE -> {
          if (entry.original != null) {
            statistics.removals(1);
            statistics.removeTime(since(start));
          }
        }
        default -> {}
      }
    }
    events.dispatch();
    @SuppressWarnings("unchecked")
    T value = (T) result[0];
    return value;
  }

  @Override
  public <T> Map<K, EntryProcessorResult<T>> invokeAll(
      Set<? extends K> keys, EntryProcessor<K, V, T> processor, Object... arguments) {
    ensureOpen();
    requireNoNulls(keys);
    Objects.requireNonNull(processor, "entryProcessor");
    Map<K, EntryProcessorResult<T>> results = new HashMap<>();
    for (K key : keys) {
      try {
        T value = invoke(key, processor, arguments);
        if (value != null) {
          results.put(key, ProcessorResult.of(value));
        }
      } catch (RuntimeException e) {
        results.put(key, ProcessorResult.failed(e));
      }
    }
    return results;
  }

  /** What an entry processor did to its entry, in the end. */
  private enum Operation {
    NONE,
    ACCESS,
    LOAD,
    CREATE,
    UPDATE,
    REMOVE
  }

  /**
   * The {@link MutableEntry} an {@link EntryProcessor} works on: changes are recorded and applied
   * when the processor returns. Used by one thread, inside the key's step.
   */
  private final class ProcessorEntry implements MutableEntry<K, V> {
    private final K key;
    private final ByteKey id;
    private final Stored original;
    private boolean originalDecoded;
    private V originalValue;
    private V value;
    private boolean valueKnown;
    private Operation operation = Operation.NONE;

    ProcessorEntry(K key, ByteKey id, Stored original) {
      this.key = key;
      this.id = id;
      this.original = original;
    }

    V originalValue() {
      if (!originalDecoded) {
        originalValue = original == null ? null : decode(id, original);
        originalDecoded = true;
      }
      return originalValue;
    }

    @Override
    public K getKey() {
      return key;
    }

    @Override
    public V getValue() {
      if (valueKnown) {
        return value;
      }
      if (original != null) {
        value = originalValue();
        valueKnown = true;
        if (operation == Operation.NONE) {
          operation = Operation.ACCESS;
        }
        return value;
      }
      valueKnown = true;
      if (readsThrough()) {
        V loaded = load(key);
        if (loaded != null) {
          value = loaded;
          operation = Operation.LOAD;
        }
      }
      return value;
    }

    @Override
    public boolean exists() {
      if (valueKnown) {
        return value != null;
      }
      return original != null;
    }

    @Override
    public void remove() {
      value = null;
      valueKnown = true;
      // Removing what this processor created (or loaded) leaves nothing to do; any other removal
      // is deleted through the writer, even of an absent entry.
      operation =
          operation == Operation.CREATE || operation == Operation.LOAD
              ? Operation.NONE
              : Operation.REMOVE;
    }

    @Override
    public void setValue(V newValue) {
      Objects.requireNonNull(newValue, "value");
      value = newValue;
      valueKnown = true;
      operation = original == null ? Operation.CREATE : Operation.UPDATE;
    }

    @Override
    public <T> T unwrap(Class<T> clazz) {
      if (clazz.isInstance(this)) {
        return clazz.cast(this);
      }
      throw new IllegalArgumentException("cannot unwrap a mutable entry to " + clazz.getName());
    }
  }

  // ------------------------------------------------------------------------------------------
  // Iteration

  /**
   * Iterates over the entries present when each is reached: the keys are listed when the iterator
   * is created, their values read one by one (an entry removed or expired meanwhile is skipped).
   * Each entry returned counts as a hit and as an access for expiry. {@code remove()} removes the
   * last returned key as {@link #remove(Object)} does.
   */
  @Override
  public Iterator<Cache.Entry<K, V>> iterator() {
    ensureOpen();
    List<ByteKey> ids = new ArrayList<>();
    store.forEachKey(ids::add);
    return new EntryIterator(ids.iterator());
  }

  private final class EntryIterator implements Iterator<Cache.Entry<K, V>> {
    private final Iterator<ByteKey> ids;
    private Cache.Entry<K, V> next;
    private Cache.Entry<K, V> last;

    EntryIterator(Iterator<ByteKey> ids) {
      this.ids = ids;
    }

    @Override
    public boolean hasNext() {
      ensureOpen();
      while (next == null && ids.hasNext()) {
        next = read(ids.next());
      }
      return next != null;
    }

    private Cache.Entry<K, V> read(ByteKey id) {
      long start = startTimer();
      Stored found = store.get(id);
      long now = ticker.read();
      if (found == null || found.isExpiredAt(now)) {
        return null;
      }
      K key = codec.decodeKey(id);
      V value = decode(id, found);
      if (key == null || value == null) {
        return null;
      }
      Duration access = accessDuration();
      if (access != null) {
        long accessExpiry = expiresAt(access, now);
        store.compute(
            id,
            current ->
                current != null && current.version() == found.version()
                    ? current.withExpiry(accessExpiry)
                    : current);
      }
      if (statisticsEnabled) {
        statistics.hits(1);
        statistics.getTime(since(start));
      }
      return new CacheEntry<>(key, value);
    }

    @Override
    public Cache.Entry<K, V> next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      last = next;
      next = null;
      return last;
    }

    @Override
    public void remove() {
      if (last == null) {
        throw new IllegalStateException("next() has not returned an entry to remove");
      }
      K key = last.getKey();
      last = null;
      JCacheCache.this.remove(key);
    }
  }

  @Override
  public String toString() {
    return "JCacheCache{" + manager.getURI() + '/' + name + '}';
  }

  /** Closes, for {@link DistributedCacheManager#destroyCache}: drops the entries first. */
  void destroy() {
    if (!closed) {
      try {
        store.clear();
      } catch (RuntimeException e) {
        throw new CacheException("cannot clear cache " + name, e);
      }
    }
    close();
  }
}
