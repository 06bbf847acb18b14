package io.distributedcache.jcache;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.WeakHashMap;
import javax.cache.CacheManager;
import javax.cache.configuration.OptionalFeature;
import javax.cache.spi.CachingProvider;

/**
 * The JSR-107 {@link CachingProvider} of DistributedCache, found by {@code
 * Caching.getCachingProvider()} through {@code META-INF/services/javax.cache.spi.CachingProvider}.
 *
 * <p>Keeps one {@link DistributedCacheManager} per (class loader, URI) until it is closed; class
 * loaders are held weakly. Thread-safe: the registry is guarded by this provider's monitor, and
 * managers are closed outside it.
 */
public final class DistributedCacheCachingProvider implements CachingProvider {

  /** The URI of the default cache manager. */
  public static final URI DEFAULT_URI = URI.create("urn:X-distributedcache:jcache");

  private final Map<ClassLoader, Map<URI, DistributedCacheManager>> managers =
      new WeakHashMap<>();

  @Override
  public CacheManager getCacheManager(URI uri, ClassLoader classLoader, Properties properties) {
    URI managerUri = uri == null ? getDefaultURI() : uri;
    ClassLoader loader = classLoader == null ? getDefaultClassLoader() : classLoader;
    synchronized (this) {
      Map<URI, DistributedCacheManager> byUri =
          managers.computeIfAbsent(loader, l -> new HashMap<>());
      DistributedCacheManager manager = byUri.get(managerUri);
      if (manager == null) {
        Properties props = properties == null ? new Properties() : properties;
        manager = new DistributedCacheManager(this, managerUri, loader, props);
        byUri.put(managerUri, manager);
      }
      return manager;
    }
  }

  @Override
  public CacheManager getCacheManager(URI uri, ClassLoader classLoader) {
    return getCacheManager(uri, classLoader, getDefaultProperties());
  }

  @Override
  public CacheManager getCacheManager() {
    return getCacheManager(getDefaultURI(), getDefaultClassLoader(), getDefaultProperties());
  }

  @Override
  public ClassLoader getDefaultClassLoader() {
    return getClass().getClassLoader();
  }

  @Override
  public URI getDefaultURI() {
    return DEFAULT_URI;
  }

  @Override
  public Properties getDefaultProperties() {
    return new Properties();
  }

  @Override
  public void close() {
    List<DistributedCacheManager> toClose = new ArrayList<>();
    synchronized (this) {
      for (Map<URI, DistributedCacheManager> byUri : managers.values()) {
        toClose.addAll(byUri.values());
      }
      managers.clear();
    }
    toClose.forEach(DistributedCacheManager::close);
  }

  @Override
  public void close(ClassLoader classLoader) {
    ClassLoader loader = classLoader == null ? getDefaultClassLoader() : classLoader;
    List<DistributedCacheManager> toClose = new ArrayList<>();
    synchronized (this) {
      Map<URI, DistributedCacheManager> byUri = managers.remove(loader);
      if (byUri != null) {
        toClose.addAll(byUri.values());
      }
    }
    toClose.forEach(DistributedCacheManager::close);
  }

  @Override
  public void close(URI uri, ClassLoader classLoader) {
    URI managerUri = uri == null ? getDefaultURI() : uri;
    ClassLoader loader = classLoader == null ? getDefaultClassLoader() : classLoader;
    DistributedCacheManager manager = null;
    synchronized (this) {
      Map<URI, DistributedCacheManager> byUri = managers.get(loader);
      if (byUri != null) {
        manager = byUri.remove(managerUri);
        if (byUri.isEmpty()) {
          managers.remove(loader);
        }
      }
    }
    if (manager != null) {
      manager.close();
    }
  }

  /** Called by a closing manager: forget it, so the next request creates a new one. */
  void release(DistributedCacheManager manager) {
    synchronized (this) {
      Map<URI, DistributedCacheManager> byUri = managers.get(manager.getClassLoader());
      if (byUri != null && byUri.get(manager.getURI()) == manager) {
        byUri.remove(manager.getURI());
        if (byUri.isEmpty()) {
          managers.remove(manager.getClassLoader());
        }
      }
    }
  }

  @Override
  public boolean isSupported(OptionalFeature feature) {
    return feature == OptionalFeature.STORE_BY_REFERENCE;
  }
}
