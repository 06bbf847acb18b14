package io.distributedcache.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.core.keyspace.Slots;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteKeyTest {

  @Test
  void equalityIsByContent() {
    ByteKey a = ByteKey.of(new byte[] {1, 2, 3});
    ByteKey b = ByteKey.of(new byte[] {1, 2, 3});
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(ByteKey.of(new byte[] {1, 2}));
    assertThat(ByteKey.of("héllo").bytes()).isEqualTo("héllo".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void takesOwnershipWithoutCopying() {
    byte[] bytes = {'k'};
    assertThat(ByteKey.of(bytes).bytes()).isSameAs(bytes);
  }

  @Test
  void hashIsMurmur3WithAFixedSeed() {
    // Pinned so that a change to the hash is a conscious one (it affects no placement, only maps).
    assertThat(ByteKey.of("").hashCode()).isEqualTo(ByteKey.murmur3(new byte[0]));
    assertThat(ByteKey.of("hello").hashCode()).isEqualTo(ByteKey.of("hello").hashCode());
    // All tail lengths give distinct hashes for prefixes of one string.
    Set<Integer> hashes = new HashSet<>();
    for (int n = 0; n <= 9; n++) {
      hashes.add(ByteKey.of("abcdefghi".substring(0, n)).hashCode());
    }
    assertThat(hashes).hasSize(10);
  }

  @Test
  void hashSpreadsSequentialKeys() {
    int buckets = 1024;
    int[] counts = new int[buckets];
    int n = 102_400;
    for (int i = 0; i < n; i++) {
      counts[ByteKey.of("key:" + i).hashCode() & (buckets - 1)]++;
    }
    for (int count : counts) {
      assertThat(count).isBetween(40, 170); // mean 100
    }
  }

  @Test
  void slotMatchesSlots() {
    assertThat(ByteKey.of("foo").slot()).isEqualTo(12182);
    assertThat(ByteKey.of("foo").slot())
        .isEqualTo(Slots.slot("foo".getBytes(StandardCharsets.UTF_8)));
    assertThat(ByteKey.of("").slot()).isZero();
    ByteKey k = ByteKey.of("{user1000}.following");
    assertThat(k.slot()).isEqualTo(3443);
    assertThat(k.slot()).isEqualTo(3443);
  }

  @Test
  void ordersUnsigned() {
    assertThat(ByteKey.of(new byte[] {(byte) 0xFF}).compareTo(ByteKey.of(new byte[] {0x01})))
        .isPositive();
    assertThat(ByteKey.of("a").compareTo(ByteKey.of("ab"))).isNegative();
  }

  @Test
  void toStringEscapesLikeRedisCli() {
    assertThat(ByteKey.of(new byte[] {'a', '"', '\\', '\n', '\r', '\t', 0, (byte) 0xE9}).toString())
        .isEqualTo("\"a\\\"\\\\\\n\\r\\t\\x00\\xe9\"");
    assertThat(ByteKey.of(new byte[300]).toString()).endsWith("...(300 bytes)");
  }

  @Test
  void rejectsNull() {
    assertThatThrownBy(() -> ByteKey.of((byte[]) null)).isInstanceOf(NullPointerException.class);
  }
}
