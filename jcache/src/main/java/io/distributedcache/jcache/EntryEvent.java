package io.distributedcache.jcache;

import javax.cache.Cache;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.EventType;

/**
 * A cache entry event as listeners receive it. For {@code REMOVED} and {@code EXPIRED} events the
 * value and the old value are both the value the entry had, and both are {@code null} for a
 * listener that did not ask for old values; for {@code UPDATED} the old value is given only to
 * listeners that asked for it. Immutable.
 */
final class EntryEvent<K, V> extends CacheEntryEvent<K, V> {

  private static final long serialVersionUID = 1L;

  private final K key;
  private final V value;
  private final V oldValue;
  private final boolean oldValueAvailable;

  EntryEvent(Cache<K, V> source, EventType type, K key, V value, V oldValue) {
    super(source, type);
    this.key = key;
    this.value = value;
    this.oldValue = oldValue;
    this.oldValueAvailable = oldValue != null;
  }

  /** This event as seen by a listener that did not ask for old values. */
  @SuppressWarnings("unchecked")
  EntryEvent<K, V> withoutOldValue() {
    return oldValue == null
        ? this
        : new EntryEvent<>((Cache<K, V>) getSource(), getEventType(), key, valueWithoutOld(), null);
  }

  /** For removals and expiries the value is the old value, so it goes with it (as the TCK has). */
  private V valueWithoutOld() {
    EventType type = getEventType();
    return type == EventType.REMOVED || type == EventType.EXPIRED ? null : value;
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
  public V getOldValue() {
    return oldValue;
  }

  @Override
  public boolean isOldValueAvailable() {
    return oldValueAvailable;
  }

  @Override
  public <T> T unwrap(Class<T> clazz) {
    return Unwrapping.unwrap(this, clazz, "an event");
  }

  @Override
  public String toString() {
    return "EntryEvent{" + getEventType() + ", key=" + key + ", value=" + value
        + ", oldValue=" + oldValue + '}';
  }
}
