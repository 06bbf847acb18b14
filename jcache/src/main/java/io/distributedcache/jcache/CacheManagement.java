package io.distributedcache.jcache;

import javax.cache.configuration.CompleteConfiguration;
import javax.cache.management.CacheMXBean;

/**
 * The standard {@code CacheConfiguration} MXBean of one cache: a live view of its configuration.
 * Thread-safe (reads the cache's configuration, whose flags are volatile in effect through the
 * cache's synchronized setters).
 */
final class CacheManagement implements CacheMXBean {

  private final JCacheCache<?, ?> cache;

  CacheManagement(JCacheCache<?, ?> cache) {
    this.cache = cache;
  }

  private CompleteConfiguration<?, ?> configuration() {
    return cache.configuration();
  }

  @Override
  public String getKeyType() {
    return configuration().getKeyType().getName();
  }

  @Override
  public String getValueType() {
    return configuration().getValueType().getName();
  }

  @Override
  public boolean isReadThrough() {
    return configuration().isReadThrough();
  }

  @Override
  public boolean isWriteThrough() {
    return configuration().isWriteThrough();
  }

  @Override
  public boolean isStoreByValue() {
    return configuration().isStoreByValue();
  }

  @Override
  public boolean isStatisticsEnabled() {
    return configuration().isStatisticsEnabled();
  }

  @Override
  public boolean isManagementEnabled() {
    return configuration().isManagementEnabled();
  }
}
