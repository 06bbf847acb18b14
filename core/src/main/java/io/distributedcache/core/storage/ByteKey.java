package io.distributedcache.core.storage;

import io.distributedcache.core.keyspace.Slots;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A cache key: an immutable wrapper of a binary-safe byte array with content equality.
 *
 * <p>The wrapper takes ownership of the array it is given and does not copy it: callers must not
 * modify the array afterwards, and must not modify what {@link #bytes()} returns.
 *
 * <p>Memory: with compressed oops an instance is a 12-byte header, the array reference, the hash
 * and the lazily computed slot: exactly 24 bytes, the same as without the slot field because of
 * 8-byte alignment, so the slot is cached for free.
 *
 * <p>The hash is MurmurHash3 (x86, 32 bit) over the bytes with a fixed seed, computed eagerly:
 * every key is hashed at least once by the map it goes into, and equality checks compare hashes
 * first. It is deliberately independent of the process, so it behaves the same in every JVM; a
 * flood of colliding keys degrades to O(log n) rather than O(n) per bin because keys are {@link
 * Comparable}, which lets {@code ConcurrentHashMap} turn a crowded bin into a tree.
 *
 * <p>The slot ({@link Slots#slot}) is computed on first use and cached: reads (GET) never need it,
 * writes need it for the stripe lock and the per-slot index. The cache is a benign race, like
 * {@link String#hashCode}: the value is deterministic and an {@code int} write is atomic.
 *
 * <p>Thread-safe (immutable).
 */
public final class ByteKey implements Comparable<ByteKey> {

  private static final VarHandle INT_LE =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final int SEED = 0x9747b28c;
  private static final int MAX_PRINTED_BYTES = 256;

  private final byte[] bytes;
  private final int hash;

  /** Slot + 1, or 0 when not yet computed. */
  private int slotPlusOne;

  private ByteKey(byte[] bytes) {
    this.bytes = bytes;
    this.hash = murmur3(bytes);
  }

  /** Wraps {@code bytes} without copying; the key owns the array from now on. */
  public static ByteKey of(byte[] bytes) {
    if (bytes == null) {
      throw new NullPointerException("key bytes");
    }
    return new ByteKey(bytes);
  }

  /** Returns the key of the UTF-8 encoding of {@code key}. */
  public static ByteKey of(String key) {
    return new ByteKey(key.getBytes(StandardCharsets.UTF_8));
  }

  /** The key's bytes, not a copy: do not modify. */
  public byte[] bytes() {
    return bytes;
  }

  /** The key's length in bytes. */
  public int length() {
    return bytes.length;
  }

  /** The Redis Cluster slot of this key, 0 to 16383 (computed once, then cached). */
  public int slot() {
    int cached = slotPlusOne;
    if (cached == 0) {
      cached = Slots.slot(bytes) + 1;
      slotPlusOne = cached;
    }
    return cached - 1;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    return o instanceof ByteKey other && hash == other.hash && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  /** Orders keys by unsigned lexicographic byte order, as Redis compares binary strings. */
  @Override
  public int compareTo(ByteKey other) {
    return Arrays.compareUnsigned(bytes, other.bytes);
  }

  /**
   * Returns the key in double quotes with non-printable bytes escaped as redis-cli does ({@code
   * \n}, {@code \r}, {@code \t}, {@code \"}, {@code \\}, {@code \xHH}); keys longer than 256 bytes
   * are cut.
   */
  @Override
  public String toString() {
    int shown = Math.min(bytes.length, MAX_PRINTED_BYTES);
    StringBuilder sb = new StringBuilder(shown + 2).append('"');
    for (int i = 0; i < shown; i++) {
      int b = bytes[i] & 0xFF;
      switch (b) {
        case '\\' -> sb.append("\\\\");
        case '"' -> sb.append("\\\"");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (b >= 0x20 && b < 0x7F) {
            sb.append((char) b);
          } else {
            sb.append("\\x")
                .append(Character.forDigit(b >>> 4, 16))
                .append(Character.forDigit(b & 0xF, 16));
          }
        }
      }
    }
    sb.append('"');
    if (shown < bytes.length) {
      sb.append("...(").append(bytes.length).append(" bytes)");
    }
    return sb.toString();
  }

  /** MurmurHash3 x86 32-bit. */
  static int murmur3(byte[] data) {
    int length = data.length;
    int h = SEED;
    int blockEnd = length & ~3;
    for (int i = 0; i < blockEnd; i += 4) {
      h ^= mixK((int) INT_LE.get(data, i));
      h = Integer.rotateLeft(h, 13) * 5 + 0xe6546b64;
    }
    int tail = length & 3;
    if (tail != 0) {
      int k = 0;
      for (int i = tail - 1; i >= 0; i--) {
        k = (k << 8) | (data[blockEnd + i] & 0xFF);
      }
      h ^= mixK(k);
    }
    h ^= length;
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }

  private static int mixK(int k) {
    k *= 0xcc9e2d51;
    k = Integer.rotateLeft(k, 15);
    return k * 0x1b873593;
  }
}
