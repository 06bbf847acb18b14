package io.distributedcache.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Pins {@link StableHash} to XXH64 with seed 0 (seed bug 5): published values, and an independent
 * implementation written from the xxHash specification ({@code doc/xxhash_spec.md}) that must agree
 * on every input length through all code paths (stripes of 32, lanes of 8 and 4, single bytes).
 */
class StableHashTest {

  @ParameterizedTest(name = "XXH64(\"{0}\") = {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        // The xxHash project's own sanity values for seed 0.
        "''|ef46db3751d8e999",
        "abc|44bc2cf5ad770999",
        "The quick brown fox jumps over the lazy dog|0b242d361fda71bc",
      })
  void publishedVectors(String text, String hex) {
    long expected = Long.parseUnsignedLong(hex, 16);
    assertThat(StableHash.utf8(text)).isEqualTo(expected);
    assertThat(Reference.xxh64(text.getBytes(StandardCharsets.UTF_8))).isEqualTo(expected);
  }

  /** Our own pins of the two encodings placement uses: a virtual node and a slot. */
  @Test
  void pinnedPlacementInputs() {
    assertThat(StableHash.utf8("n1#0")).isEqualTo(Reference.xxh64(utf8("n1#0")));
    assertThat(StableHash.int32(0)).isEqualTo(Reference.xxh64(new byte[4]));
    assertThat(StableHash.int32(16383))
        .isEqualTo(Reference.xxh64(new byte[] {0, 0, 0x3F, (byte) 0xFF}));
    assertThat(StableHash.int32(0x01020304))
        .isEqualTo(StableHash.bytes(new byte[] {1, 2, 3, 4}));
    assertThat(hex(StableHash.utf8("n1#0"))).isEqualTo(PINNED_N1_0);
    assertThat(hex(StableHash.int32(0))).isEqualTo(PINNED_SLOT_0);
  }

  private static final String PINNED_N1_0 = "d894fa02c36ac9de";
  private static final String PINNED_SLOT_0 = "3aefa6fd5cf2deb4";

  @Test
  void agreesWithTheSpecificationOnEveryLengthAndRange() {
    long seed = 0x5EEDL;
    SplittableRandom random = new SplittableRandom(seed);
    for (int length = 0; length <= 200; length++) {
      for (int trial = 0; trial < 5; trial++) {
        byte[] data = new byte[length + 7];
        random.nextBytes(data);
        int offset = random.nextInt(8);
        int len = Math.min(length, data.length - offset);
        byte[] slice = Arrays.copyOfRange(data, offset, offset + len);
        assertThat(StableHash.bytes(data, offset, len))
            .as("seed=%d length=%d trial=%d", seed, len, trial)
            .isEqualTo(Reference.xxh64(slice))
            .isEqualTo(StableHash.bytes(slice));
      }
    }
  }

  @Test
  void rangeIsChecked() {
    assertThatThrownBy(() -> StableHash.bytes(new byte[4], 2, 3))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> StableHash.bytes(new byte[4], -1, 1))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> StableHash.bytes(new byte[4], 1, -1))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String hex(long value) {
    return String.format(Locale.ROOT, "%016x", value);
  }

  /** XXH64 straight from the specification, slow and obvious. */
  static final class Reference {
    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;

    static long xxh64(byte[] input) {
      long seed = 0;
      int length = input.length;
      int p = 0;
      long acc;
      if (length >= 32) {
        long v1 = seed + P1 + P2;
        long v2 = seed + P2;
        long v3 = seed;
        long v4 = seed - P1;
        while (p + 32 <= length) {
          v1 = round(v1, le64(input, p));
          v2 = round(v2, le64(input, p + 8));
          v3 = round(v3, le64(input, p + 16));
          v4 = round(v4, le64(input, p + 24));
          p += 32;
        }
        acc =
            Long.rotateLeft(v1, 1)
                + Long.rotateLeft(v2, 7)
                + Long.rotateLeft(v3, 12)
                + Long.rotateLeft(v4, 18);
        acc = merge(acc, v1);
        acc = merge(acc, v2);
        acc = merge(acc, v3);
        acc = merge(acc, v4);
      } else {
        acc = seed + P5;
      }
      acc += length;
      while (p + 8 <= length) {
        acc ^= round(0, le64(input, p));
        acc = Long.rotateLeft(acc, 27) * P1 + P4;
        p += 8;
      }
      if (p + 4 <= length) {
        acc ^= (le32(input, p) & 0xFFFFFFFFL) * P1;
        acc = Long.rotateLeft(acc, 23) * P2 + P3;
        p += 4;
      }
      while (p < length) {
        acc ^= (input[p] & 0xFFL) * P5;
        acc = Long.rotateLeft(acc, 11) * P1;
        p++;
      }
      acc ^= acc >>> 33;
      acc *= P2;
      acc ^= acc >>> 29;
      acc *= P3;
      acc ^= acc >>> 32;
      return acc;
    }

    private static long round(long acc, long lane) {
      return Long.rotateLeft(acc + lane * P2, 31) * P1;
    }

    private static long merge(long acc, long v) {
      return (acc ^ round(0, v)) * P1 + P4;
    }

    private static long le64(byte[] b, int at) {
      long value = 0;
      for (int i = 7; i >= 0; i--) {
        value = (value << 8) | (b[at + i] & 0xFFL);
      }
      return value;
    }

    private static int le32(byte[] b, int at) {
      return (b[at] & 0xFF)
          | (b[at + 1] & 0xFF) << 8
          | (b[at + 2] & 0xFF) << 16
          | (b[at + 3] & 0xFF) << 24;
    }
  }
}
