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
import java.util.function.Consumer;
import java.util.function.Function;
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
    return Unwrapping.unwrap(this, clazz, getClass().getName());
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
      setBeanRegistered(ManagementRegistry.Kind.STATISTICS, statistics, enabled);
      configuration.setStatisticsEnabled(enabled);
      statisticsEnabled = enabled;
    }
  }

  /** Enables or disables the configuration bean. */
  void setManagementEnabled(boolean enabled) {
    synchronized (lifecycleLock) {
      setBeanRegistered(ManagementRegistry.Kind.CONFIGURATION, management, enabled);
      configuration.setManagementEnabled(enabled);
    }
  }

  /** Registers or unregisters one bean of this cache; the caller holds {@code lifecycleLock}. */
  private void setBeanRegistered(ManagementRegistry.Kind kind, Object bean, boolean registered) {
    if (registered) {
      ManagementRegistry.register(this, kind, bean);
    } else {
      ManagementRegistry.unregister(this, kind);
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
      if (registrationOf(listenerConfig) != null) {
        throw new IllegalArgumentException("listener configuration already registered");
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
      ListenerRegistration<K, V> existing = registrationOf(listenerConfig);
      if (existing != null) {
        listeners.remove(existing);
        configuration.removeCacheEntryListenerConfiguration(listenerConfig);
        existing.close();
      }
    }
  }

  /**
   * The registration of {@code listenerConfig}, or {@code null}; there is at most one, as
   * registering rejects duplicates. The caller holds {@code lifecycleLock}.
   */
  private ListenerRegistration<K, V> registrationOf(
      CacheEntryListenerConfiguration<K, V> listenerConfig) {
    for (ListenerRegistration<K, V> registration : listeners) {
      if (registration.configuration().equals(listenerConfig)) {
        return registration;
      }
    }
    return null;
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

  /**
   * One atomic change of one key; see {@link #atomically}. Its helpers build the new entry and
   * report the change to the operation's {@link Events}; they run on the calling thread while the
   * store holds the key's lock.
   */
  private abstract class Step {
    final K key;
    final Events events;

    /** The value the step stored, for the codec's bookkeeping. */
    V written;

    Step(K key, Events events) {
      this.key = key;
      this.events = events;
    }

    /**
     * Decides the key's new entry.
     *
     * @param id the store key
     * @param live the current entry, or {@code null} if absent or expired
     * @param now the ticker reading of this step
     * @return {@code live} to change nothing, {@code null} to remove, or a new entry (made with
     *     {@link #write}, {@link #create} or {@link #update} when the value changes)
     */
    abstract Stored apply(ByteKey id, Stored live, long now);

    final Stored write(V value, long expiresAtNanos) {
      written = value;
      return Stored.of(codec.encodeValue(value), expiresAtNanos);
    }

    /**
     * A new entry of {@code value} with the policy's creation expiry, reported as created; {@code
     * null} (nothing stored, nothing reported) if that expiry has already come, as a creation
     * duration of zero has it.
     */
    final Stored create(V value, long now) {
      long expiry = creationExpiry(now);
      if (expiredAt(expiry, now)) {
        return null;
      }
      events.created(key, value);
      return write(value, expiry);
    }

    /** {@code value} in place of {@code live} with the update expiry, reported as updated. */
    final Stored update(V value, V oldValue, Stored live, long now) {
      events.updated(key, value, oldValue);
      return write(value, updateExpiry(live, now));
    }

    /**
     * The value of {@code live} if the caller {@code wanted} it or a listener of {@code type} needs
     * it, else {@code null}: decoding a stored-by-value entry costs a copy.
     */
    final V oldValue(ByteKey id, Stored live, boolean wanted, EventType type) {
      return wanted || events.wants(type) ? decode(id, live) : null;
    }
  }

  /**
   * Runs {@code step} for its key inside the store's compute: an entry found expired is removed
   * (and reported to the step's events) unless the step writes a new one.
   */
  private void atomically(Step step) {
    K key = step.key;
    while (true) {
      ByteKey id = codec.keyFor(key);
      boolean[] stale = new boolean[1];
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
            if (expired && step.events.wants(EventType.EXPIRED)) {
              step.events.expired(key, codec.decodeValue(id, current.payload()));
            }
            if (next == null) {
              codec.onAbsent(key, id);
            } else if (step.written != null) {
              codec.onStored(id, step.written);
            }
            return next;
          });
      if (!stale[0]) {
        return;
      }
    }
  }

  private V decode(ByteKey id, Stored entry) {
    return codec.decodeValue(id, entry.payload());
  }

  // ------------------------------------------------------------------------------------------
  // Statistics

  /** Whether and how an operation counts as a read ("get") in the statistics. */
  private enum ReadCount {
    /** Not a read. */
    NONE,
    /** A hit or a miss, without time. */
    UNTIMED,
    /** A hit or a miss; its time counts toward the average get time. */
    TIMED,
    /** A hit or a miss; only a hit's time counts (the compare-and-change operations). */
    TIMED_IF_HIT
  }

  private long startTimer() {
    return statisticsEnabled ? System.nanoTime() : 0;
  }

  /**
   * Records one operation, if statistics are enabled: its read as {@code read} says, {@code puts}
   * entries put and {@code removals} entries removed, each kind with its time since {@code
   * startNanos} (one clock reading for all). Called on the operation's thread after its store
   * changes and before its events are delivered.
   */
  private void record(long startNanos, ReadCount read, boolean hit, long puts, long removals) {
    if (!statisticsEnabled) {
      return;
    }
    long elapsedNanos = System.nanoTime() - startNanos;
    if (read != ReadCount.NONE) {
      if (hit) {
        statistics.hits(1);
      } else {
        statistics.misses(1);
      }
      if (read == ReadCount.TIMED || (read == ReadCount.TIMED_IF_HIT && hit)) {
        statistics.getTime(elapsedNanos);
      }
    }
    if (puts > 0) {
      statistics.puts(puts);
      statistics.putTime(elapsedNanos);
    }
    if (removals > 0) {
      statistics.removals(removals);
      statistics.removeTime(elapsedNanos);
    }
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

  /**
   * What {@code query} asks of the expiry policy, or {@code null} (unchanged) if there is no policy
   * or it throws; {@code event} names the query in the log.
   */
  private Duration policyDuration(String event, Function<ExpiryPolicy, Duration> query) {
    if (expiryPolicy == null) {
      return null;
    }
    try {
      return query.apply(expiryPolicy);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "expiry policy failed on " + event, e);
      return null;
    }
  }

  /** The expiry time of a new entry: the policy's creation duration, or eternal. */
  private long creationExpiry(long now) {
    Duration duration = policyDuration("creation", ExpiryPolicy::getExpiryForCreation);
    return duration == null ? Stored.ETERNAL : expiresAt(duration, now);
  }

  /** The expiry time after an update: the policy's update duration, or unchanged. */
  private long updateExpiry(Stored live, long now) {
    Duration duration = policyDuration("update", ExpiryPolicy::getExpiryForUpdate);
    return duration == null ? live.expiresAtNanos() : expiresAt(duration, now);
  }

  /** The access duration of the policy, or {@code null} for unchanged. */
  private Duration accessDuration() {
    return policyDuration("access", ExpiryPolicy::getExpiryForAccess);
  }

  /**
   * {@code live} with the expiry time an access gives it (the same instance if unchanged); for
   * steps, which hold the key's lock.
   */
  private Stored accessed(Stored live, long now) {
    Duration duration = accessDuration();
    if (duration == null) {
      return live;
    }
    return live.withExpiry(expiresAt(duration, now));
  }

  /**
   * Gives {@code found}, read at {@code now} without the key's lock, the expiry time an access
   * gives it. Only the write that was read gets the new time: a concurrent update keeps its own.
   */
  private void accessedOutsideStep(ByteKey id, Stored found, long now) {
    Duration access = accessDuration();
    if (access == null) {
      return;
    }
    long accessExpiry = expiresAt(access, now);
    store.compute(
        id,
        current ->
            current != null && current.version() == found.version()
                ? current.withExpiry(accessExpiry)
                : current);
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
    callWriter("write", () -> writer.write(new CacheEntry<>(key, value)));
  }

  private void deleteThrough(K key) {
    callWriter("delete", () -> writer.delete(key));
  }

  /** Runs {@code call} on the writer if the cache writes through; a failure is thrown as below. */
  private void callWriter(String method, Runnable call) {
    if (!writesThrough()) {
      return;
    }
    try {
      call.run();
    } catch (RuntimeException e) {
      throw writerFailure(method, e);
    }
  }

  /**
   * Calls a batch method of the writer ({@code writeAll} or {@code deleteAll}) on {@code pending}.
   * If it fails, what it left in {@code pending} was not written, and each of those is given to
   * {@code notDone}.
   *
   * @return the failure, to be thrown once the rest is applied; {@code null} if none
   */
  private <E> CacheWriterException callWriterBatch(
      String method, List<E> pending, Consumer<List<E>> call, Consumer<E> notDone) {
    try {
      call.accept(pending);
      return null;
    } catch (RuntimeException e) {
      pending.forEach(notDone);
      return writerFailure(method, e);
    }
  }

  /** What the writer's {@code method} threw, as the {@link CacheWriterException} JCache throws. */
  private static CacheWriterException writerFailure(String method, RuntimeException e) {
    return e instanceof CacheWriterException cwe
        ? cwe
        : new CacheWriterException("CacheWriter." + method + " failed", e);
  }

  /** What the loader's {@code method} threw, as the {@link CacheLoaderException} JCache throws. */
  private static CacheLoaderException loaderFailure(String method, RuntimeException e) {
    return e instanceof CacheLoaderException cle
        ? cle
        : new CacheLoaderException("CacheLoader." + method + " failed", e);
  }

  private V load(K key) {
    try {
      return loader.load(key);
    } catch (RuntimeException e) {
      throw loaderFailure("load", e);
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
        accessedOutsideStep(id, found, now);
        record(start, ReadCount.TIMED, true, 0, 0);
        return value;
      }
    }
    if (found == null && !readsThrough()) {
      // A plain miss: nothing to remove, report or load, so no need for the key's lock.
      record(start, ReadCount.TIMED, false, 0, 0);
      return null;
    }
    // Expired, or absent with read-through: look again under the key's lock, load if configured.
    Object[] result = new Object[1];
    atomically(
        new Step(key, events) {
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
            Stored created = create(loaded, stepNow);
            if (created != null) {
              result[0] = loaded;
            }
            return created;
          }
        });
    record(start, ReadCount.TIMED, false, 0, 0);
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
                } catch (RuntimeException e) {
                  throw loaderFailure("loadAll", e);
                }
                if (loaded != null) {
                  // Loaded values are stored without writing them through; loads are not puts.
                  PutCondition condition =
                      replaceExistingValues ? PutCondition.ALWAYS : PutCondition.IF_ABSENT;
                  Events events = new Events();
                  for (Map.Entry<K, V> entry : loaded.entrySet()) {
                    if (entry.getKey() != null && entry.getValue() != null) {
                      putValue(entry.getKey(), entry.getValue(), condition, false, false, events);
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

  // ------------------------------------------------------------------------------------------
  // Writes

  /** Outcome flags of one step, read after it ran. */
  private static final class Outcome<V> {
    /** An entry was there (not expired) when the step ran. */
    boolean hit;
    /** The step stored or removed an entry. */
    boolean changed;
    /** The value replaced or removed, if the caller asked for it. */
    V oldValue;
  }

  /** When a put stores its value. */
  private enum PutCondition {
    ALWAYS,
    IF_ABSENT,
    IF_PRESENT
  }

  /**
   * Puts {@code value} if {@code condition} holds, writing it through first if {@code useWriter}
   * (only then). The outcome's old value is set only if {@code wantOld}.
   */
  private Outcome<V> putValue(
      K key, V value, PutCondition condition, boolean useWriter, boolean wantOld, Events events) {
    Outcome<V> outcome = new Outcome<>();
    atomically(
        new Step(key, events) {
          @Override
          Stored apply(ByteKey id, Stored live, long now) {
            outcome.hit = live != null;
            if (condition == (live == null ? PutCondition.IF_PRESENT : PutCondition.IF_ABSENT)) {
              return live;
            }
            if (useWriter) {
              writeThrough(key, value);
            }
            if (live == null) {
              Stored created = create(value, now);
              outcome.changed = created != null;
              return created;
            }
            outcome.oldValue = oldValue(id, live, wantOld, EventType.UPDATED);
            outcome.changed = true;
            return update(value, outcome.oldValue, live, now);
          }
        });
    return outcome;
  }

  /**
   * One public put operation: checks the cache is open and the arguments are not null, runs {@link
   * #putValue} through the writer, records it as a put if it stored and as a read as {@code read}
   * says, then delivers its events. The outcome has the old value only if {@code wantOld}.
   */
  private Outcome<V> putOne(
      K key, V value, PutCondition condition, ReadCount read, boolean wantOld) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    long start = startTimer();
    Events events = new Events();
    Outcome<V> outcome = putValue(key, value, condition, true, wantOld, events);
    record(start, read, outcome.hit, outcome.changed ? 1 : 0, 0);
    events.dispatch();
    return outcome;
  }

  @Override
  public void put(K key, V value) {
    putOne(key, value, PutCondition.ALWAYS, ReadCount.NONE, false);
  }

  @Override
  public V getAndPut(K key, V value) {
    return putOne(key, value, PutCondition.ALWAYS, ReadCount.TIMED, true).oldValue;
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
      // What the writer left in the collection was not written: do not cache it.
      failure =
          callWriterBatch(
              "writeAll",
              pending,
              writer::writeAll,
              notWritten -> toStore.remove(notWritten.getKey()));
    }
    Events events = new Events();
    long written = 0;
    for (Map.Entry<K, V> entry : toStore.entrySet()) {
      Outcome<V> outcome =
          putValue(entry.getKey(), entry.getValue(), PutCondition.ALWAYS, false, false, events);
      written += outcome.changed ? 1 : 0;
    }
    finishBatch(start, written, 0, events, failure);
  }

  /**
   * The end of {@code putAll} and {@code removeAll}: records the puts and removals, delivers the
   * events, then throws the writer's {@code failure} if there was one.
   */
  private void finishBatch(
      long startNanos, long puts, long removals, Events events, CacheWriterException failure) {
    record(startNanos, ReadCount.NONE, false, puts, removals);
    events.dispatch();
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public boolean putIfAbsent(K key, V value) {
    // True when the key was absent, even if a zero creation expiry kept the value out.
    return !putOne(key, value, PutCondition.IF_ABSENT, ReadCount.UNTIMED, false).hit;
  }

  /**
   * Removes the entry of {@code key}, deleting it through the writer first if {@code useWriter}
   * (whether or not an entry exists); the outcome tells whether there was one and, if {@code
   * wantOld}, its value.
   */
  private Outcome<V> removeValue(K key, boolean wantOld, boolean useWriter, Events events) {
    Outcome<V> outcome = new Outcome<>();
    atomically(
        new Step(key, events) {
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
            V old = oldValue(id, live, wantOld, EventType.REMOVED);
            outcome.oldValue = old;
            events.removed(key, old);
            return null;
          }
        });
    return outcome;
  }

  /**
   * One public remove operation: checks the cache is open and the key is not null, runs {@link
   * #removeValue} through the writer, records it as a removal if there was an entry and as a read
   * as {@code read} says, then delivers its events.
   */
  private Outcome<V> removeOne(K key, ReadCount read, boolean wantOld) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    long start = startTimer();
    Events events = new Events();
    Outcome<V> outcome = removeValue(key, wantOld, true, events);
    record(start, read, outcome.hit, 0, outcome.changed ? 1 : 0);
    events.dispatch();
    return outcome;
  }

  @Override
  public boolean remove(K key) {
    return removeOne(key, ReadCount.NONE, false).changed;
  }

  @Override
  public V getAndRemove(K key) {
    return removeOne(key, ReadCount.TIMED, true).oldValue;
  }

  @Override
  public boolean remove(K key, V oldValue) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(oldValue, "oldValue");
    return changeIfEquals(key, oldValue, null);
  }

  @Override
  public boolean replace(K key, V oldValue, V newValue) {
    ensureOpen();
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(oldValue, "oldValue");
    Objects.requireNonNull(newValue, "newValue");
    return changeIfEquals(key, oldValue, newValue);
  }

  /**
   * {@code remove(key, expected)} ({@code replacement == null}) and {@code replace(key, expected,
   * replacement)}: if the entry's value equals {@code expected} it is removed or replaced, through
   * the writer; an entry with another value only counts as accessed. Returns whether it changed.
   */
  private boolean changeIfEquals(K key, V expected, V replacement) {
    long start = startTimer();
    Events events = new Events();
    Outcome<V> outcome = new Outcome<>();
    atomically(
        new Step(key, events) {
          @Override
          Stored apply(ByteKey id, Stored live, long now) {
            if (live == null) {
              return null;
            }
            outcome.hit = true;
            V current = decode(id, live);
            if (!expected.equals(current)) {
              return accessed(live, now);
            }
            if (replacement == null) {
              deleteThrough(key);
              outcome.changed = true;
              events.removed(key, current);
              return null;
            }
            writeThrough(key, replacement);
            outcome.changed = true;
            return update(replacement, current, live, now);
          }
        });
    long changed = outcome.changed ? 1 : 0;
    record(
        start,
        ReadCount.TIMED_IF_HIT,
        outcome.hit,
        replacement == null ? 0 : changed,
        replacement == null ? changed : 0);
    events.dispatch();
    return outcome.changed;
  }

  @Override
  public boolean replace(K key, V value) {
    return putOne(key, value, PutCondition.IF_PRESENT, ReadCount.UNTIMED, false).changed;
  }

  @Override
  public V getAndReplace(K key, V value) {
    return putOne(key, value, PutCondition.IF_PRESENT, ReadCount.TIMED, true).oldValue;
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
      // What the writer left in the collection was not deleted: keep it cached.
      failure =
          callWriterBatch(
              "deleteAll", new ArrayList<>(toRemove), writer::deleteAll, toRemove::remove);
    }
    Events events = new Events();
    long removed = 0;
    for (K key : toRemove) {
      removed += removeValue(key, false, false, events).changed ? 1 : 0;
    }
    finishBatch(start, 0, removed, events, failure);
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
        new Step(key, events) {
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
              case LOAD -> create(entry.value, now);
              case CREATE -> {
                writeThrough(key, entry.value);
                Stored created = create(entry.value, now);
                if (created == null) {
                  entry.operation = Operation.NONE; // nothing was put
                }
                yield created;
              }
              case UPDATE -> {
                writeThrough(key, entry.value);
                yield update(entry.value, entry.originalValue(), live, now);
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
        });
    ProcessorEntry entry = seen.get();
    boolean hit = entry.original != null;
    Operation operation = entry.operation;
    boolean put = operation == Operation.CREATE || operation == Operation.UPDATE;
    boolean removed = operation == Operation.REMOVE && hit;
    record(start, ReadCount.UNTIMED, hit, put ? 1 : 0, removed ? 1 : 0);
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
      return Unwrapping.unwrap(this, clazz, "a mutable entry");
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
      accessedOutsideStep(id, found, now);
      record(start, ReadCount.TIMED, true, 0, 0);
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
