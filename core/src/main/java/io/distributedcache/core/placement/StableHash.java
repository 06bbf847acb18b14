package io.distributedcache.core.placement;

import java.nio.charset.StandardCharsets;
import net.openhft.hashing.LongHashFunction;

/**
 * The one hash function that decides placement: 64-bit xxHash64 with seed 0 (Yann Collet's
 * XXH64, as specified in the xxHash repository's {@code doc/xxhash_spec.md}).
 *
 * <p>Placement must be identical in every build, every JVM and every restart of every node (seed bug
 * 5), so it never uses {@link Object#hashCode()}, {@link String#hashCode()}, identity hashes or
 * anything seeded per process. Every input is an explicit byte sequence: strings are hashed as
 * their UTF-8 bytes and integers as their big-endian two's-complement bytes, never through the
 * library's native-byte-order {@code hashLong}/{@code hashInt}, whose result depends on the
 * platform. {@code StableHashTest} pins the function to published XXH64 values and to an
 * independent implementation of the specification.
 *
 * <p>Stateless and thread-safe. The {@code byte[]} methods do not allocate; {@link #utf8} and
 * {@link #int32} allocate the encoded bytes.
 */
public final class StableHash {

  private static final LongHashFunction XX64 = LongHashFunction.xx(0);

  private StableHash() {}

  /** XXH64, seed 0, of all of {@code bytes}. */
  public static long bytes(byte[] bytes) {
    return XX64.hashBytes(bytes);
  }

  /**
   * XXH64, seed 0, of {@code bytes[offset, offset + length)}.
   *
   * @throws IndexOutOfBoundsException if the range is not inside {@code bytes}
   */
  public static long bytes(byte[] bytes, int offset, int length) {
    if (offset < 0 || length < 0 || offset > bytes.length - length) {
      throw new IndexOutOfBoundsException(
          "range [" + offset + ", " + offset + "+" + length + ") outside length " + bytes.length);
    }
    return XX64.hashBytes(bytes, offset, length);
  }

  /** XXH64, seed 0, of the UTF-8 encoding of {@code text}. */
  public static long utf8(String text) {
    return bytes(text.getBytes(StandardCharsets.UTF_8));
  }

  /** XXH64, seed 0, of the 4 big-endian bytes of {@code value}. */
  public static long int32(int value) {
    return bytes(
        new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value});
  }
}
