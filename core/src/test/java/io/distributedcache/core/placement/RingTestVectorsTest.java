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
 * existing cluster would disagree with the new build about where keys live.
 */
class RingTestVectorsTest {

  private static final ConsistentHashRing RING = RingFixtures.vectorRing();

  /** XXH64 of every preference list, see {@link ConsistentHashRing#placementDigest()}. */
  static final long PLACEMENT_DIGEST = 0xa9fada1743458deeL;

  /** XXH64 of the configuration, see {@link ConsistentHashRing#membershipDigest()}. */
  static final long MEMBERSHIP_DIGEST = 0x3578b49bb5514064L;

  @ParameterizedTest(name = "slot {0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "0|n1,n2,n3",
        "1|n1,n3,n2",
        "2|n3,n2,n1",
        "3|n2,n1,n3",
        "100|n3,n1,n2",
        "1000|n2,n3,n1",
        "4095|n2,n3,n1",
        "4096|n2,n1,n3",
        "5460|n2,n1,n3",
        "5461|n3,n1,n2",
        "5462|n1,n3,n2",
        "8191|n3,n1,n2",
        "8192|n3,n2,n1",
        "10922|n2,n3,n1",
        "10923|n3,n1,n2",
        "12182|n2,n1,n3",
        "12345|n2,n3,n1",
        "15495|n2,n3,n1",
        "16382|n3,n1,n2",
        "16383|n3,n1,n2",
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
    assertThat(RING.primarySlotCount(RING.memberIndex("n1"))).isEqualTo(5141);
    assertThat(RING.primarySlotCount(RING.memberIndex("n2"))).isEqualTo(4603);
    assertThat(RING.primarySlotCount(RING.memberIndex("n3"))).isEqualTo(6640);
  }

  /** Well-known keys, from key to nodes, as a user would check them with CLUSTER KEYSLOT. */
  @Test
  void pinnedKeys() {
    assertThat(RingFixtures.ids(RING, Slots.slot(utf8("foo")))).containsExactly("n2", "n1", "n3");
    assertThat(RingFixtures.ids(RING, Slots.slot(utf8("a")))).containsExactly("n2", "n3", "n1");
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
