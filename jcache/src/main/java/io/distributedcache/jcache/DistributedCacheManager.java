package io.distributedcache.jcache;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.configuration.Configuration;
import javax.cache.spi.CachingProvider;

/**
 * A JSR-107 {@link CacheManager}: a named set of {@link JCacheCache}s, identified by a URI and
 * a class loader, which its {@link DistributedCacheCachingProvider} hands out.
 *
 * <p>Thread-safe. Creating and closing caches is serialized on the manager; reads of the cache map
 * are lock-free. Once closed, every method but {@link #isClosed}, {@link #getURI}, {@link
 * #getClassLoader}, {@link #getProperties}, {@link #getCachingProvider}, {@link #unwrap} and
 * {@link #close} throws {@link IllegalStateException}.
 */
public final class DistributedCacheManager implements CacheManager {

  private final DistributedCacheCachingProvider provider;
  private final URI uri;
  private final ClassLoader classLoader;
  private final Properties properties;
  private final ConcurrentMap<String, JCacheCache<?, ?>> caches = new ConcurrentHashMap<>();
  private volatile boolean closed;

  DistributedCacheManager(
      DistributedCacheCachingProvider provider,
      URI uri,
      ClassLoader classLoader,
      Properties properties) {
    this.provider = provider;
    this.uri = uri;
    this.classLoader = classLoader;
    this.properties = properties == null ? new Properties() : properties;
  }

  @Override
  public CachingProvider getCachingProvider() {
    return provider;
  }

  @Override
  public URI getURI() {
    return uri;
  }

  @Override
  public ClassLoader getClassLoader() {
    return classLoader;
  }

  @Override
  public Properties getProperties() {
    return properties;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("cache manager " + uri + " is closed");
    }
  }

  @Override
  public <K, V, C extends Configuration<K, V>> Cache<K, V> createCache(
      String cacheName, C configuration) {
    ensureOpen();
    Objects.requireNonNull(cacheName, "cacheName");
    Objects.requireNonNull(configuration, "configuration");
    synchronized (this) {
      ensureOpen();
      if (caches.containsKey(cacheName)) {
        throw new CacheException("a cache named " + cacheName + " already exists");
      }
      JCacheCache<K, V> cache = new JCacheCache<>(this, cacheName, configuration);
      caches.put(cacheName, cache);
      return cache;
    }
  }

  @Override
  public <K, V> Cache<K, V> getCache(String cacheName, Class<K> keyType, Class<V> valueType) {
    JCacheCache<?, ?> cache = cacheNamed(cacheName);
    Objects.requireNonNull(keyType, "keyType");
    Objects.requireNonNull(valueType, "valueType");
    if (cache == null) {
      return null;
    }
    CompleteConfiguration<?, ?> configuration = cache.configuration();
    requireType(cacheName, "key", keyType, configuration.getKeyType());
    requireType(cacheName, "value", valueType, configuration.getValueType());
    @SuppressWarnings("unchecked")
    Cache<K, V> typed = (Cache<K, V>) cache;
    return typed;
  }

  /** Throws {@link ClassCastException} unless {@code requested} is the configured type. */
  private static void requireType(
      String cacheName, String role, Class<?> requested, Class<?> configured) {
    if (!requested.equals(configured)) {
      throw new ClassCastException(
          "cache " + cacheName + " has " + role + " type " + configured.getName()
              + ", not " + requested.getName());
    }
  }

  @Override
  public <K, V> Cache<K, V> getCache(String cacheName) {
    @SuppressWarnings("unchecked")
    Cache<K, V> cache = (Cache<K, V>) cacheNamed(cacheName);
    return cache;
  }

  /**
   * The cache named {@code cacheName}, or {@code null}: the lookup of the methods that take a cache
   * name. Throws {@link IllegalStateException} if this manager is closed, {@link
   * NullPointerException} if the name is null.
   */
  private JCacheCache<?, ?> cacheNamed(String cacheName) {
    ensureOpen();
    Objects.requireNonNull(cacheName, "cacheName");
    return caches.get(cacheName);
  }

  @Override
  public Iterable<String> getCacheNames() {
    ensureOpen();
    return Collections.unmodifiableSet(new LinkedHashSet<>(caches.keySet()));
  }

  @Override
  public void destroyCache(String cacheName) {
    JCacheCache<?, ?> cache = cacheNamed(cacheName);
    if (cache != null) {
      cache.destroy();
    }
  }

  @Override
  public void enableManagement(String cacheName, boolean enabled) {
    JCacheCache<?, ?> cache = cacheNamed(cacheName);
    if (cache != null) {
      cache.setManagementEnabled(enabled);
    }
  }

  @Override
  public void enableStatistics(String cacheName, boolean enabled) {
    JCacheCache<?, ?> cache = cacheNamed(cacheName);
    if (cache != null) {
      cache.setStatisticsEnabled(enabled);
    }
  }

  /** Called by a closing cache: it is no longer this manager's. */
  void release(JCacheCache<?, ?> cache) {
    caches.remove(cache.getName(), cache);
  }

  /** Closes every cache and leaves the provider. Idempotent. */
  @Override
  public void close() {
    List<JCacheCache<?, ?>> toClose;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      toClose = new ArrayList<>(caches.values());
    }
    provider.release(this);
    for (JCacheCache<?, ?> cache : toClose) {
      cache.close();
    }
    caches.clear();
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  @Override
  public <T> T unwrap(Class<T> clazz) {
    return Unwrapping.unwrap(this, clazz, getClass().getName());
  }

  @Override
  public String toString() {
    return "DistributedCacheManager{" + uri + '}';
  }
}
