package io.distributedcache.jcache;

import io.distributedcache.core.storage.ByteKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.cache.CacheException;

/**
 * How the keys and values of one cache are represented in its {@link EntryStore}.
 *
 * <ul>
 *   <li>{@link #byValue store-by-value}: keys and values are Java-serialized; the store key is the
 *       serialized key (two keys are the same entry when their serialized forms are equal), the
 *       payload the serialized value, and every read deserializes a fresh copy.
 *   <li>{@link #byReference store-by-reference}: objects cannot live in a byte store, so they live
 *       in two maps beside it and the store holds an 8-byte id per key and an empty payload. Keys
 *       are matched by {@code equals}/{@code hashCode} and need not be serializable. An id belongs
 *       to its key from {@link #keyFor} until the entry is gone; the JCache layer calls {@link
 *       #owns}, {@link #onStored} and {@link #onAbsent} inside {@link EntryStore#compute} for that
 *       id, so the maps change under the same lock as the store.
 * </ul>
 *
 * <p>Thread-safe.
 */
abstract class EntryCodec<K, V> {

  private static final byte[] NO_PAYLOAD = new byte[0];

  /** A store-by-value codec that resolves classes through {@code classLoader}. */
  static <K, V> EntryCodec<K, V> byValue(ClassLoader classLoader) {
    return new ByValue<>(classLoader);
  }

  /** A store-by-reference codec. */
  static <K, V> EntryCodec<K, V> byReference() {
    return new ByReference<>();
  }

  /** Whether the store must see every removal (no reclaiming of expired entries on its own). */
  abstract boolean keepsObjectsBesideStore();

  /** The store key of {@code key} for a lookup, or {@code null} if it has no entry for sure. */
  abstract ByteKey findKey(K key);

  /** The store key of {@code key} for an atomic step (allocated if needed). */
  abstract ByteKey keyFor(K key);

  /** Whether {@code storeKey} still belongs to {@code key}; called under the store's lock. */
  abstract boolean owns(K key, ByteKey storeKey);

  /** The application key of a store key seen by iteration, or {@code null} if it is gone. */
  abstract K decodeKey(ByteKey storeKey);

  /** The payload to store for {@code value}. */
  abstract byte[] encodeValue(V value);

  /** The value of a stored payload, or {@code null} if it is gone. */
  abstract V decodeValue(ByteKey storeKey, byte[] payload);

  /** Called under the store's lock once {@code storeKey} holds {@code value}. */
  void onStored(ByteKey storeKey, V value) {}

  /** Called under the store's lock once {@code storeKey} holds nothing. */
  void onAbsent(K key, ByteKey storeKey) {}

  /** The application's view of a value handed to the cache (a copy when stored by value). */
  abstract V copyOf(V value);

  private static final class ByValue<K, V> extends EntryCodec<K, V> {
    private final ClassLoader classLoader;

    ByValue(ClassLoader classLoader) {
      this.classLoader = classLoader;
    }

    @Override
    boolean keepsObjectsBesideStore() {
      return false;
    }

    @Override
    ByteKey findKey(K key) {
      return ByteKey.of(serialize(key));
    }

    @Override
    ByteKey keyFor(K key) {
      return ByteKey.of(serialize(key));
    }

    @Override
    boolean owns(K key, ByteKey storeKey) {
      return true;
    }

    @Override
    K decodeKey(ByteKey storeKey) {
      return deserialize(storeKey.bytes());
    }

    @Override
    byte[] encodeValue(V value) {
      return serialize(value);
    }

    @Override
    V decodeValue(ByteKey storeKey, byte[] payload) {
      return deserialize(payload);
    }

    @Override
    V copyOf(V value) {
      return deserialize(serialize(value));
    }

    private static byte[] serialize(Object object) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
      try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
        out.writeObject(object);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "cannot store by value, serialization failed: " + object.getClass().getName(), e);
      }
      return bytes.toByteArray();
    }

    @SuppressWarnings("unchecked")
    private <T> T deserialize(byte[] bytes) {
      try (ObjectInputStream in = new LoaderObjectInputStream(bytes, classLoader)) {
        return (T) in.readObject();
      } catch (IOException | ClassNotFoundException e) {
        throw new CacheException("cannot deserialize a stored key or value", e);
      }
    }
  }

  /** Resolves classes through the cache manager's class loader. */
  private static final class LoaderObjectInputStream extends ObjectInputStream {
    private final ClassLoader classLoader;

    LoaderObjectInputStream(byte[] bytes, ClassLoader classLoader) throws IOException {
      super((InputStream) new ByteArrayInputStream(bytes));
      this.classLoader = classLoader;
    }

    @Override
    protected Class<?> resolveClass(ObjectStreamClass desc)
        throws IOException, ClassNotFoundException {
      try {
        return Class.forName(desc.getName(), false, classLoader);
      } catch (ClassNotFoundException e) {
        return super.resolveClass(desc);
      }
    }
  }

  private static final class ByReference<K, V> extends EntryCodec<K, V> {
    private final AtomicLong nextId = new AtomicLong();
    private final ConcurrentHashMap<Object, ByteKey> idByKey = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ByteKey, K> keyById = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ByteKey, V> valueById = new ConcurrentHashMap<>();

    @Override
    boolean keepsObjectsBesideStore() {
      return true;
    }

    @Override
    ByteKey findKey(K key) {
      return idByKey.get(key);
    }

    @Override
    ByteKey keyFor(K key) {
      return idByKey.computeIfAbsent(
          key,
          k -> {
            ByteKey id =
                ByteKey.of(
                    ByteBuffer.allocate(Long.BYTES).putLong(nextId.incrementAndGet()).array());
            keyById.put(id, key);
            return id;
          });
    }

    @Override
    boolean owns(K key, ByteKey storeKey) {
      return idByKey.get(key) == storeKey;
    }

    @Override
    K decodeKey(ByteKey storeKey) {
      return keyById.get(storeKey);
    }

    @Override
    byte[] encodeValue(V value) {
      return NO_PAYLOAD;
    }

    @Override
    V decodeValue(ByteKey storeKey, byte[] payload) {
      return valueById.get(storeKey);
    }

    @Override
    void onStored(ByteKey storeKey, V value) {
      valueById.put(storeKey, value);
    }

    @Override
    void onAbsent(K key, ByteKey storeKey) {
      valueById.remove(storeKey);
      if (key != null && idByKey.remove(key, storeKey)) {
        keyById.remove(storeKey);
      }
    }

    @Override
    V copyOf(V value) {
      return value;
    }
  }
}
