package io.distributedcache.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.core.keyspace.Slots;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Demoted (failed) members: same copies, moved to the end of each preference list. */
class ConsistentHashRingDemotionTest {

  private static ConsistentHashRing vectorRing(Set<String> demoted) {
    return ConsistentHashRing.build(
        1,
        RingFixtures.VECTOR_MEMBERS,
        RingFixtures.VECTOR_VIRTUAL_NODES,
        RingFixtures.VECTOR_REPLICATION_FACTOR,
        demoted);
  }

  @Test
  void noDemotionKeepsThePinnedVectors() {
    ConsistentHashRing plain = RingFixtures.vectorRing();
    ConsistentHashRing none = vectorRing(Set.of());
    assertThat(none.placementDigest()).isEqualTo(RingTestVectorsTest.PLACEMENT_DIGEST);
    assertThat(RingTestVectorsTest.independentDigest(none))
        .isEqualTo(RingTestVectorsTest.PLACEMENT_DIGEST);
    assertThat(none.membershipDigest()).isEqualTo(RingTestVectorsTest.MEMBERSHIP_DIGEST);
    assertThat(plain.demotedIds()).isEmpty();
    assertThat(none.demotedIds()).isEmpty();
    for (int m = 0; m < 3; m++) {
      assertThat(plain.isDemoted(m)).isFalse();
    }
    for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
      assertThat(none.preferenceIndexes(slot)).isEqualTo(plain.preferenceIndexes(slot));
    }
    assertThat(none.toString()).isEqualTo(plain.toString()).doesNotContain("demoted");
  }

  @Test
  void aDemotedMemberMovesToTheEndOfEveryList() {
    ConsistentHashRing ring = vectorRing(Set.of("n1"));
    // Pinned lists n3,n2,n1 / n1,n2,n3 / n2,n1,n3 / n3,n1,n2 (RingTestVectorsTest).
    assertThat(RingFixtures.ids(ring, 0)).containsExactly("n3", "n2", "n1");
    assertThat(RingFixtures.ids(ring, 8191)).containsExactly("n2", "n3", "n1");
    assertThat(RingFixtures.ids(ring, 100)).containsExactly("n2", "n3", "n1");
    assertThat(RingFixtures.ids(ring, 4095)).containsExactly("n3", "n2", "n1");

    int n1 = ring.memberIndex("n1");
    int n2 = ring.memberIndex("n2");
    int n3 = ring.memberIndex("n3");
    assertThat(ring.isDemoted(n1)).isTrue();
    assertThat(ring.isDemoted(n2)).isFalse();
    assertThat(ring.demotedIds()).containsExactly("n1");
    assertThat(ring.primarySlotCount(n1)).isZero();
    assertThat(ring.slotsPrimaryOn(n1)).isEmpty();
    // n1's 5130 slots go to the next live member of each list.
    assertThat(ring.primarySlotCount(n2) + ring.primarySlotCount(n3)).isEqualTo(Slots.SLOT_COUNT);
    assertThat(ring.replicatedSlotCount(n1)).isEqualTo(Slots.SLOT_COUNT);
    assertThat(ring.rankOf(n1, 8191)).isEqualTo(2);
    assertThat(ring.primaryIndex(8191)).isEqualTo(n2);
    assertThat(ring.primary(0).id()).isEqualTo("n3");
    assertThat(ring.preference(8191, 2)).isEqualTo(n1);

    assertThat(ring.placementDigest()).isNotEqualTo(RingTestVectorsTest.PLACEMENT_DIGEST);
    assertThat(ring.membershipDigest()).isEqualTo(RingTestVectorsTest.MEMBERSHIP_DIGEST);
    assertThat(ring.toString()).endsWith("], demoted=[n1]}");
    assertThatThrownBy(() -> ring.demotedIds().clear())
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> ring.isDemoted(3)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void demotedMembersKeepTheirRelativeOrder() {
    ConsistentHashRing ring = vectorRing(Set.of("n3", "n1"));
    assertThat(ring.demotedIds()).containsExactly("n1", "n3"); // id order, whatever the input
    assertThat(RingFixtures.ids(ring, 0)).containsExactly("n2", "n3", "n1");
    assertThat(RingFixtures.ids(ring, 8191)).containsExactly("n2", "n1", "n3");
    assertThat(RingFixtures.ids(ring, 100)).containsExactly("n2", "n1", "n3");
    assertThat(ring.primarySlotCount(ring.memberIndex("n2"))).isEqualTo(Slots.SLOT_COUNT);
    assertThat(ring.toString()).contains("demoted=[n1, n3]");
  }

  @Test
  void whenEveryMemberOfAListIsDemotedItsOrderStays() {
    ConsistentHashRing plain = RingFixtures.vectorRing();
    ConsistentHashRing all = vectorRing(Set.of("n1", "n2", "n3"));
    for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
      assertThat(all.preferenceIndexes(slot)).isEqualTo(plain.preferenceIndexes(slot));
    }
    // Same lists, but the demotion itself is part of the placement.
    assertThat(all.placementDigest()).isNotEqualTo(plain.placementDigest());
    assertThat(all.placementDigest())
        .isNotEqualTo(vectorRing(Set.of("n1", "n2")).placementDigest());

    // With rf 1 every list is one member: demoting it changes nothing but the digest.
    List<Member> members = RingFixtures.VECTOR_MEMBERS;
    ConsistentHashRing rf1 = ConsistentHashRing.build(1, members, 150, 1);
    ConsistentHashRing rf1Demoted = ConsistentHashRing.build(1, members, 150, 1, Set.of("n2"));
    for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
      assertThat(rf1Demoted.primaryIndex(slot)).isEqualTo(rf1.primaryIndex(slot));
    }
    assertThat(rf1Demoted.placementDigest()).isNotEqualTo(rf1.placementDigest());
  }

  @Test
  void demotedIdsMustBeMembers() {
    assertThatThrownBy(() -> vectorRing(Set.of("n4")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("demoted id 'n4' is not a member");
    assertThatThrownBy(() -> vectorRing(null)).isInstanceOf(NullPointerException.class);
    Set<String> withNull = new HashSet<>();
    withNull.add(null);
    assertThatThrownBy(() -> vectorRing(withNull)).isInstanceOf(NullPointerException.class);
  }

  /**
   * Over random memberships and demoted subsets: each list is the stable partition of the
   * undemoted list (live members first, both groups in their old order), so the set of members per
   * slot is unchanged and no demoted member is primary unless the whole list is demoted; the
   * per-member tables agree with the lists.
   */
  @Test
  void demotionOnlyReordersEachList() {
    long seed = 0xDE307EL;
    SplittableRandom random = new SplittableRandom(seed);
    for (int trial = 0; trial < 40; trial++) {
      int memberCount = 1 + random.nextInt(12);
      int vnodes = 1 + random.nextInt(40);
      int rf = 1 + random.nextInt(5);
      List<Member> members = RingFixtures.randomMembers(random, memberCount);
      Set<String> demoted = new LinkedHashSet<>();
      for (Member member : members) {
        if (random.nextInt(3) == 0) {
          demoted.add(member.id());
        }
      }
      String context =
          String.format(
              "seed=%d trial=%d members=%d vnodes=%d rf=%d demoted=%s",
              seed, trial, memberCount, vnodes, rf, demoted);
      ConsistentHashRing plain = ConsistentHashRing.build(trial, members, vnodes, rf);
      ConsistentHashRing ring = ConsistentHashRing.build(trial, members, vnodes, rf, demoted);
      assertThat(ring.demotedIds()).as(context).containsExactlyInAnyOrderElementsOf(demoted);
      assertThat(ring.members()).as(context).isEqualTo(plain.members());
      int[] primaries = new int[memberCount];
      int[] copies = new int[memberCount];
      for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
        int[] before = plain.preferenceIndexes(slot);
        int[] after = ring.preferenceIndexes(slot);
        int[] expected = stablePartition(before, ring);
        if (!Arrays.equals(after, expected)) {
          assertThat(after).as("%s slot=%d", context, slot).containsExactly(expected);
        }
        int[] sortedBefore = before.clone();
        int[] sortedAfter = after.clone();
        Arrays.sort(sortedBefore);
        Arrays.sort(sortedAfter);
        if (!Arrays.equals(sortedAfter, sortedBefore)) {
          assertThat(sortedAfter).as("%s slot=%d", context, slot).containsExactly(sortedBefore);
        }
        if (ring.isDemoted(ring.primaryIndex(slot))
            && !Arrays.stream(after).allMatch(ring::isDemoted)) {
          assertThat(ring.primary(slot).id())
              .as("%s slot=%d: a demoted primary while %s has a live member",
                  context, slot, Arrays.toString(after))
              .isNotIn(demoted);
        }
        primaries[ring.primaryIndex(slot)]++;
        for (int rank = 0; rank < after.length; rank++) {
          if (ring.rankOf(after[rank], slot) != rank) {
            assertThat(ring.rankOf(after[rank], slot))
                .as("%s slot=%d", context, slot)
                .isEqualTo(rank);
          }
          copies[after[rank]]++;
        }
      }
      for (int m = 0; m < memberCount; m++) {
        assertThat(ring.primarySlotCount(m)).as(context).isEqualTo(primaries[m]);
        assertThat(ring.slotsPrimaryOn(m)).as(context).hasSize(primaries[m]);
        assertThat(ring.replicatedSlotCount(m))
            .as(context)
            .isEqualTo(copies[m])
            .isEqualTo(plain.replicatedSlotCount(m));
        assertThat(ring.slotsReplicatedBy(m)).as(context).isEqualTo(plain.slotsReplicatedBy(m));
      }
      if (demoted.isEmpty()) {
        assertThat(ring.placementDigest()).as(context).isEqualTo(plain.placementDigest());
      } else {
        assertThat(ring.placementDigest()).as(context).isNotEqualTo(plain.placementDigest());
      }
    }
  }

  private static int[] stablePartition(int[] list, ConsistentHashRing ring) {
    List<Integer> live = new ArrayList<>();
    List<Integer> dead = new ArrayList<>();
    for (int member : list) {
      (ring.isDemoted(member) ? dead : live).add(member);
    }
    live.addAll(dead);
    return live.stream().mapToInt(Integer::intValue).toArray();
  }
}
