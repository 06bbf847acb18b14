package io.distributedcache.core.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.keyspace.Slots;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Placement pinned forever (seed bug 5): for {@code n1@127.0.0.1:7101, n2@127.0.0.1:7102,
 * n3@127.0.0.1:7103}, 150 virtual nodes, replication factor 3, these are the preference lists every
 * build, JVM and node must compute. If one of these literals has to change, placement changed: every
 * existing cluster would disagree with the new build about where keys live. (They changed once,
 * before any release, when slots moved from hashed to evenly spaced ring positions so that the
 * layout forms contiguous ranges for Redis Cluster clients.)
 */
class RingTestVectorsTest {

  private static final ConsistentHashRing RING = RingFixtures.vectorRing();

  /** XXH64 of every preference list, see {@link ConsistentHashRing#placementDigest()}. */
  static final long PLACEMENT_DIGEST = 0xb9351a6166eb10a2L;

  /** XXH64 of the configuration, see {@link ConsistentHashRing#membershipDigest()}. */
  static final long MEMBERSHIP_DIGEST = 0x3578b49bb5514064L;

  @ParameterizedTest(name = "slot {0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "0|n3,n2,n1",
        "1|n3,n2,n1",
        "2|n3,n2,n1",
        "3|n3,n2,n1",
        "100|n2,n1,n3",
        "1000|n3,n2,n1",
        "4095|n3,n1,n2",
        "4096|n3,n1,n2",
        "5460|n3,n2,n1",
        "5461|n3,n2,n1",
        "5462|n3,n2,n1",
        "8191|n1,n2,n3",
        "8192|n1,n2,n3",
        "10922|n2,n1,n3",
        "10923|n2,n1,n3",
        "12182|n2,n1,n3",
        "12345|n2,n1,n3",
        "15495|n1,n2,n3",
        "16382|n3,n2,n1",
        "16383|n3,n2,n1",
      })
  void pinnedPreferenceLists(int slot, String expected) {
    assertThat(RingFixtures.ids(RING, slot)).isEqualTo(Arrays.asList(expected.split(",")));
  }

  @Test
  void pinnedDigestOverAll16384Lists() {
    assertThat(RING.placementDigest()).isEqualTo(PLACEMENT_DIGEST);
    assertThat(independentDigest(RING)).isEqualTo(PLACEMENT_DIGEST);
    assertThat(RING.membershipDigest()).isEqualTo(MEMBERSHIP_DIGEST);
  }

  /** A pinned per-member count: cheap to read when a vector fails, to see how far placement moved. */
  @Test
  void pinnedPrimaryCounts() {
    assertThat(RING.primarySlotCount(RING.memberIndex("n1"))).isEqualTo(5130);
    assertThat(RING.primarySlotCount(RING.memberIndex("n2"))).isEqualTo(4654);
    assertThat(RING.primarySlotCount(RING.memberIndex("n3"))).isEqualTo(6600);
  }

  /** Well-known keys, from key to nodes, as a user would check them with CLUSTER KEYSLOT. */
  @Test
  void pinnedKeys() {
    assertThat(RingFixtures.ids(RING, Slots.slot(utf8("foo")))).containsExactly("n2", "n1", "n3");
    assertThat(RingFixtures.ids(RING, Slots.slot(utf8("a")))).containsExactly("n1", "n2", "n3");
  }

  /**
   * Recomputes the digest from the public API with the documented layout, so the pinned value
   * checks the digest's definition as well as the placement.
   */
  static long independentDigest(ConsistentHashRing ring) {
    ByteBuffer out = ByteBuffer.allocate(4 + Slots.SLOT_COUNT * ring.replicationFactor() * 64);
    out.putInt(ring.replicationFactor());
    for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
      List<Member> list = ring.preferenceList(slot);
      for (Member member : list) {
        byte[] id = member.id().getBytes(StandardCharsets.UTF_8);
        out.putInt(id.length).put(id);
      }
    }
    return StableHash.bytes(out.array(), 0, out.position());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
