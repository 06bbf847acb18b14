package io.distributedcache.jcache;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.storage.CacheStorage;
import java.io.Serializable;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.event.CacheEntryCreatedListener;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.CacheEntryExpiredListener;
import javax.cache.event.CacheEntryListenerException;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.spi.CachingProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Behaviour of the provider that the JSR-107 TCK does not check. */
class DistributedCacheProviderTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final AtomicInteger CACHE_NUMBER = new AtomicInteger();

  private CacheManager manager;
  private final List<String> created = new ArrayList<>();

  @BeforeEach
  void openManager() {
    CachingProvider provider = Caching.getCachingProvider();
    assertThat(provider).isInstanceOf(DistributedCacheCachingProvider.class);
    manager = provider.getCacheManager();
  }

  @AfterEach
  void destroyCaches() {
    for (String name : created) {
      manager.destroyCache(name);
    }
  }

  private <K, V> Cache<K, V> newCache(MutableConfiguration<K, V> configuration) {
    String name = "provider-test-" + CACHE_NUMBER.incrementAndGet();
    created.add(name);
    return manager.createCache(name, configuration);
  }

  private static CacheStorage storageOf(Cache<?, ?> cache) {
    EntryStore store = cache.unwrap(JCacheCache.class).store();
    return ((StorageEntryStore) store).storage();
  }

  /** Polls {@code condition} until it holds or {@link #WAIT} is over; true if it held. */
  private static boolean eventually(BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
    return true;
  }

  /** A mutable application class, to see copies being made. */
  static final class Basket implements Serializable {
    private static final long serialVersionUID = 1L;
    final List<String> items = new ArrayList<>();

    Basket with(String item) {
      items.add(item);
      return this;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Basket other && items.equals(other.items);
    }

    @Override
    public int hashCode() {
      return Objects.hash(items);
    }
  }

  @Test
  void entriesLiveInTheEngineStorage() {
    Cache<String, String> cache =
        newCache(new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    CacheStorage storage = storageOf(cache);
    long emptyBytes = storage.weightedBytes();

    for (int i = 0; i < 100; i++) {
      cache.put("key-" + i, "value-" + i);
    }

    assertThat(storage.size()).isEqualTo(100);
    assertThat(storage.weightedBytes())
        .isGreaterThanOrEqualTo(emptyBytes + 100L * CacheStorage.ENTRY_OVERHEAD_BYTES);
    cache.remove("key-0");
    assertThat(storage.size()).isEqualTo(99);
    cache.clear();
    assertThat(storage.size()).isZero();
  }

  @Test
  void storesStringsAndCustomSerializableClassesByValue() {
    Cache<String, Basket> cache =
        newCache(new MutableConfiguration<String, Basket>().setTypes(String.class, Basket.class));
    Basket basket = new Basket().with("apple");

    cache.put("basket", basket);
    basket.with("pear"); // changing the application's object must not change the cached one

    Basket first = cache.get("basket");
    Basket second = cache.get("basket");
    assertThat(first.items).containsExactly("apple");
    assertThat(second).isEqualTo(first).isNotSameAs(first);
    assertThat(manager.getCache(cache.getName(), String.class, Basket.class)).isSameAs(cache);
  }

  @Test
  void storeByReferenceKeepsInstancesAndAcceptsUnserializableKeys() {
    Cache<Object, Basket> cache =
        newCache(new MutableConfiguration<Object, Basket>().setStoreByValue(false));
    Object key = new Object(); // not serializable: matched by identity-based equals
    Basket basket = new Basket().with("plum");

    cache.put(key, basket);

    assertThat(cache.get(key)).isSameAs(basket);
    assertThat(cache.iterator().next().getKey()).isSameAs(key);
    assertThat(cache.remove(key)).isTrue();
    assertThat(cache.get(key)).isNull();
    assertThat(storageOf(cache).size()).isZero();
  }

  /** Counts the expired events it receives; collects their old values. */
  public static final class ExpiryRecorder implements CacheEntryExpiredListener<String, String> {
    static final List<String> EXPIRED_VALUES = new CopyOnWriteArrayList<>();

    /** Public: FactoryBuilder's class factory instantiates it reflectively. */
    public ExpiryRecorder() {}

    @Override
    public void onExpired(Iterable<CacheEntryEvent<? extends String, ? extends String>> events)
        throws CacheEntryListenerException {
      for (CacheEntryEvent<? extends String, ? extends String> event : events) {
        EXPIRED_VALUES.add(event.getOldValue());
      }
    }
  }

  @Test
  void expiryRemovesEntriesAndReportsThem() {
    ExpiryRecorder.EXPIRED_VALUES.clear();
    MutableConfiguration<String, String> configuration =
        new MutableConfiguration<String, String>()
            .setTypes(String.class, String.class)
            .setExpiryPolicyFactory(
                CreatedExpiryPolicy.factoryOf(
                    new javax.cache.expiry.Duration(TimeUnit.MILLISECONDS, 50)))
            .addCacheEntryListenerConfiguration(
                new MutableCacheEntryListenerConfiguration<>(
                    FactoryBuilder.factoryOf(ExpiryRecorder.class), null, true, true));
    Cache<String, String> cache = newCache(configuration);
    CacheStorage storage = storageOf(cache);

    cache.put("short-lived", "soon gone");
    assertThat(cache.get("short-lived")).isEqualTo("soon gone");

    assertThat(eventually(() -> cache.get("short-lived") == null)).isTrue();
    assertThat(cache.containsKey("short-lived")).isFalse();
    assertThat(storage.size()).isZero();
    assertThat(ExpiryRecorder.EXPIRED_VALUES).containsExactly("soon gone");
  }

  /** A listener that counts created events and remembers every instance made of it. */
  public static final class TrackedListener implements CacheEntryCreatedListener<String, String> {
    static final List<WeakReference<TrackedListener>> INSTANCES = new CopyOnWriteArrayList<>();
    static final AtomicInteger CREATED = new AtomicInteger();

    /** Public: FactoryBuilder's class factory instantiates it reflectively. */
    public TrackedListener() {
      INSTANCES.add(new WeakReference<>(this));
    }

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      events.forEach(event -> CREATED.incrementAndGet());
    }
  }

  @Test
  void deregisteredListenerIsNoLongerReferenced() {
    TrackedListener.INSTANCES.clear();
    TrackedListener.CREATED.set(0);
    Cache<String, String> cache =
        newCache(new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    MutableCacheEntryListenerConfiguration<String, String> listenerConfiguration =
        new MutableCacheEntryListenerConfiguration<>(
            FactoryBuilder.factoryOf(TrackedListener.class), null, false, true);

    cache.registerCacheEntryListener(listenerConfiguration);
    cache.put("a", "1");
    assertThat(TrackedListener.CREATED.get()).isEqualTo(1);

    cache.deregisterCacheEntryListener(listenerConfiguration);
    cache.put("b", "2");

    assertThat(TrackedListener.CREATED.get()).isEqualTo(1);
    assertThat(cache.unwrap(JCacheCache.class).listenerCount()).isZero();
    @SuppressWarnings("unchecked")
    MutableConfiguration<String, String> live = cache.getConfiguration(MutableConfiguration.class);
    assertThat(live.getCacheEntryListenerConfigurations()).isEmpty();
    assertThat(TrackedListener.INSTANCES).hasSize(1);
    WeakReference<TrackedListener> instance = TrackedListener.INSTANCES.get(0);
    assertThat(
            eventually(
                () -> {
                  System.gc();
                  return instance.get() == null;
                }))
        .as("the deregistered listener can be garbage collected")
        .isTrue();
  }

  @Test
  void entryProcessorsAreAtomicPerKey() throws Exception {
    Cache<String, Integer> cache =
        newCache(
            new MutableConfiguration<String, Integer>().setTypes(String.class, Integer.class));
    int threads = 8;
    int incrementsPerThread = 500;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < incrementsPerThread; i++) {
                    cache.invoke(
                        "counter",
                        (entry, args) -> {
                          Integer current = entry.getValue();
                          entry.setValue(current == null ? 1 : current + 1);
                          return null;
                        });
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> future : done) {
        future.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(cache.get("counter")).isEqualTo(threads * incrementsPerThread);
  }
}
