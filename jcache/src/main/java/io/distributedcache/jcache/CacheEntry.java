package io.distributedcache.jcache;

import java.util.Objects;
import javax.cache.Cache;

/**
 * An immutable {@link Cache.Entry}: what iteration returns and what a {@code CacheWriter} is given.
 */
final class CacheEntry<K, V> implements Cache.Entry<K, V> {

  private final K key;
  private final V value;

  CacheEntry(K key, V value) {
    this.key = Objects.requireNonNull(key, "key");
    this.value = Objects.requireNonNull(value, "value");
  }

  @Override
  public K getKey() {
    return key;
  }

  @Override
  public V getValue() {
    return value;
  }

  @Override
  public <T> T unwrap(Class<T> clazz) {
    return Unwrapping.unwrap(this, clazz, "a cache entry");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CacheEntry<?, ?> other
        && key.equals(other.key)
        && value.equals(other.value);
  }

  @Override
  public int hashCode() {
    return key.hashCode() * 31 + value.hashCode();
  }

  @Override
  public String toString() {
    return "CacheEntry{" + key + '=' + value + '}';
  }
}
