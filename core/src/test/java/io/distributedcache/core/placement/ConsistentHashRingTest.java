package io.distributedcache.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.core.keyspace.Slots;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ConsistentHashRingTest {

  /**
   * The fast table against a dumb definition: a slot's list is the members ordered by the clockwise
   * distance from the slot to their nearest virtual node (0 first, unsigned), ties by id.
   */
  @Test
  void agreesWithTheDumbDefinitionOnEverySlot() {
    long seed = 0xD0BBL;
    SplittableRandom random = new SplittableRandom(seed);
    for (int trial = 0; trial < 25; trial++) {
      int memberCount = 1 + random.nextInt(12);
      int vnodes = 1 + random.nextInt(40);
      int rf = 1 + random.nextInt(5);
      List<Member> members = RingFixtures.randomMembers(random, memberCount);
      ConsistentHashRing ring = ConsistentHashRing.build(trial, members, vnodes, rf);
      List<Member> sorted = new ArrayList<>(members);
      sorted.sort(Comparator.comparing(Member::id));
      long[][] positions = new long[memberCount][vnodes];
      for (int m = 0; m < memberCount; m++) {
        for (int i = 0; i < vnodes; i++) {
          positions[m][i] = StableHash.utf8(sorted.get(m).id() + "#" + i);
        }
      }
      for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
        long slotPosition = (long) slot << 50; // evenly spaced, in order
        long[] distance = new long[memberCount];
        Integer[] order = new Integer[memberCount];
        for (int m = 0; m < memberCount; m++) {
          order[m] = m;
          distance[m] = -1L; // the largest unsigned value
          for (long position : positions[m]) {
            long d = position - slotPosition; // clockwise distance mod 2^64
            if (Long.compareUnsigned(d, distance[m]) < 0) {
              distance[m] = d;
            }
          }
        }
        Arrays.sort(
            order,
            (a, b) -> {
              int byDistance = Long.compareUnsigned(distance[a], distance[b]);
              return byDistance != 0 ? byDistance : sorted.get(a).id().compareTo(sorted.get(b).id());
            });
        int expectedLength = Math.min(rf, memberCount);
        int[] expected = new int[expectedLength];
        for (int rank = 0; rank < expectedLength; rank++) {
          expected[rank] = order[rank];
        }
        int[] actual = ring.preferenceIndexes(slot);
        if (!Arrays.equals(actual, expected)) {
          assertThat(actual)
              .as("seed=%d trial=%d members=%d vnodes=%d rf=%d slot=%d",
                  seed, trial, memberCount, vnodes, rf, slot)
              .containsExactly(expected);
        }
      }
    }
  }

  @Test
  void placementIgnoresListOrderAddressesAndEpoch() {
    long seed = 0x0DE5L;
    Random random = new Random(seed);
    List<Member> members = RingFixtures.randomMembers(new SplittableRandom(seed), 7);
    ConsistentHashRing ring = ConsistentHashRing.build(1, members, 150, 3);
    List<Member> shuffled = new ArrayList<>(members);
    Collections.shuffle(shuffled, random);
    ConsistentHashRing same = ConsistentHashRing.build(9, shuffled, 150, 3);
    assertThat(same.members()).isEqualTo(ring.members());
    assertThat(same.placementDigest()).isEqualTo(ring.placementDigest());
    assertThat(same.membershipDigest()).isEqualTo(ring.membershipDigest());

    List<Member> moved = new ArrayList<>();
    for (Member m : members) {
      moved.add(new Member(m.id(), "10.1.2.3", m.clusterPort() + 1000));
    }
    ConsistentHashRing elsewhere = ConsistentHashRing.build(1, moved, 150, 3);
    assertThat(elsewhere.placementDigest()).isEqualTo(ring.placementDigest());
    assertThat(elsewhere.membershipDigest()).isNotEqualTo(ring.membershipDigest());
    for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
      assertThat(elsewhere.preferenceIndexes(slot)).isEqualTo(ring.preferenceIndexes(slot));
    }
  }

  @Test
  void membershipDigestCoversEveryConfigurationInput() {
    List<Member> base = Member.parseList("a@h:1,b@h:2,c@h:3");
    long digest = ConsistentHashRing.build(1, base, 150, 3).membershipDigest();
    assertThat(ConsistentHashRing.build(2, base, 150, 3).membershipDigest()).isEqualTo(digest);
    assertThat(ConsistentHashRing.build(1, base, 151, 3).membershipDigest()).isNotEqualTo(digest);
    assertThat(ConsistentHashRing.build(1, base, 150, 2).membershipDigest()).isNotEqualTo(digest);
    // RF 3 and 4 place identically on three members, but they are configured differently.
    assertThat(ConsistentHashRing.build(1, base, 150, 4).membershipDigest()).isNotEqualTo(digest);
    assertThat(ConsistentHashRing.build(1, Member.parseList("a@h:1,b@h:2,c@h:4"), 150, 3)
            .membershipDigest())
        .isNotEqualTo(digest);
    assertThat(ConsistentHashRing.build(1, Member.parseList("a@h:1,b@h:2,c@g:3"), 150, 3)
            .membershipDigest())
        .isNotEqualTo(digest);
    assertThat(ConsistentHashRing.build(1, Member.parseList("a@h:1,b@h:2,d@h:3"), 150, 3)
            .membershipDigest())
        .isNotEqualTo(digest);
    // Length-prefixed fields: moving a character between id and host changes the digest.
    assertThat(ConsistentHashRing.build(1, Member.parseList("ab@c:1"), 1, 1).membershipDigest())
        .isNotEqualTo(
            ConsistentHashRing.build(1, Member.parseList("a@bc:1"), 1, 1).membershipDigest());
  }

  @Test
  void accessorsAgreeWithEachOther() {
    long seed = 0xACCL;
    List<Member> members = RingFixtures.randomMembers(new SplittableRandom(seed), 6);
    ConsistentHashRing ring = ConsistentHashRing.build(4, members, 150, 3);
    assertThat(ring.epoch()).isEqualTo(4);
    assertThat(ring.memberCount()).isEqualTo(6);
    assertThat(ring.virtualNodesPerMember()).isEqualTo(150);
    assertThat(ring.replicationFactor()).isEqualTo(3);
    assertThat(ring.configuredReplicationFactor()).isEqualTo(3);
    assertThat(ring.members()).isSortedAccordingTo(Comparator.comparing(Member::id));
    assertThat(ring.members()).containsExactlyInAnyOrderElementsOf(members);
    assertThatThrownBy(() -> ring.members().clear())
        .isInstanceOf(UnsupportedOperationException.class);
    for (int m = 0; m < ring.memberCount(); m++) {
      assertThat(ring.memberIndex(ring.member(m).id())).isEqualTo(m);
    }
    assertThat(ring.memberIndex("nobody")).isEqualTo(-1);

    List<List<Integer>> primaries = new ArrayList<>();
    List<List<Integer>> copies = new ArrayList<>();
    for (int m = 0; m < ring.memberCount(); m++) {
      primaries.add(new ArrayList<>());
      copies.add(new ArrayList<>());
    }
    for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
      int[] list = ring.preferenceIndexes(slot);
      assertThat(list).hasSize(3).doesNotHaveDuplicates();
      assertThat(ring.primaryIndex(slot)).isEqualTo(list[0]);
      assertThat(ring.primary(slot)).isEqualTo(ring.member(list[0]));
      List<Member> asMembers = ring.preferenceList(slot);
      for (int rank = 0; rank < 3; rank++) {
        assertThat(ring.preference(slot, rank)).isEqualTo(list[rank]);
        assertThat(asMembers.get(rank)).isEqualTo(ring.member(list[rank]));
        assertThat(ring.rankOf(list[rank], slot)).isEqualTo(rank);
        copies.get(list[rank]).add(slot);
      }
      primaries.get(list[0]).add(slot);
      for (int m = 0; m < ring.memberCount(); m++) {
        boolean inList = contains(list, m);
        assertThat(ring.replicates(m, slot)).isEqualTo(inList);
        assertThat(ring.rankOf(m, slot) >= 0).isEqualTo(inList);
      }
      assertThat(ring.rankOf(-1, slot)).isEqualTo(-1);
      assertThat(ring.rankOf(99, slot)).isEqualTo(-1);
    }
    int total = 0;
    for (int m = 0; m < ring.memberCount(); m++) {
      int[] own = ring.slotsPrimaryOn(m);
      assertThat(own).containsExactly(primaries.get(m).stream().mapToInt(x -> x).toArray());
      assertThat(ring.slotsReplicatedBy(m))
          .containsExactly(copies.get(m).stream().mapToInt(x -> x).toArray());
      assertThat(ring.primarySlotCount(m)).isEqualTo(own.length);
      assertThat(ring.replicatedSlotCount(m)).isEqualTo(copies.get(m).size());
      total += own.length;
      if (own.length > 0) {
        own[0] = -7; // the caller's copy: the ring must not change
        assertThat(ring.slotsPrimaryOn(m)[0]).isNotEqualTo(-7);
      }
    }
    assertThat(total).isEqualTo(Slots.SLOT_COUNT);
    int[] list = ring.preferenceIndexes(0);
    list[0] = -7;
    assertThat(ring.preference(0, 0)).isNotEqualTo(-7);
  }

  @Test
  void replicationFactorIsCappedByTheMemberCount() {
    ConsistentHashRing ring = ConsistentHashRing.build(0, Member.parseList("b@h:2,a@h:1"), 8, 5);
    assertThat(ring.replicationFactor()).isEqualTo(2);
    assertThat(ring.configuredReplicationFactor()).isEqualTo(5);
    for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
      assertThat(ring.preferenceIndexes(slot)).containsExactlyInAnyOrder(0, 1);
    }
    assertThat(ring.slotsReplicatedBy(0)).hasSize(Slots.SLOT_COUNT);
    assertThat(ring.toString()).contains("rf=2 (configured 5)");

    ConsistentHashRing single = ConsistentHashRing.build(0, Member.parseList("solo@h:1"), 1, 3);
    assertThat(single.replicationFactor()).isEqualTo(1);
    assertThat(single.slotsPrimaryOn(0)).hasSize(Slots.SLOT_COUNT);
    assertThat(single.primary(16383).id()).isEqualTo("solo");
  }

  @Test
  void lookupsCheckTheirArguments() {
    ConsistentHashRing ring = RingFixtures.vectorRing();
    assertThatThrownBy(() -> ring.primaryIndex(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> ring.primaryIndex(Slots.SLOT_COUNT))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessage("slot must be in 0..16383: 16384");
    assertThatThrownBy(() -> ring.preference(0, 3))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessage("rank must be in 0..2: 3");
    assertThatThrownBy(() -> ring.preference(0, -1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> ring.preferenceList(16384))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> ring.rankOf(0, -5)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> ring.member(3)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void buildValidatesItsInputs() {
    List<Member> three = RingFixtures.VECTOR_MEMBERS;
    assertThatThrownBy(() -> ConsistentHashRing.build(-1, three, 150, 3))
        .hasMessage("epoch must be >= 0: -1");
    assertThatThrownBy(() -> ConsistentHashRing.build(1, List.of(), 150, 3))
        .hasMessage("a ring needs at least one member");
    assertThatThrownBy(() -> ConsistentHashRing.build(1, three, 0, 3))
        .hasMessage("virtualNodesPerMember must be in 1..4096: 0");
    assertThatThrownBy(() -> ConsistentHashRing.build(1, three, 4097, 3))
        .hasMessageContaining("4097");
    assertThatThrownBy(() -> ConsistentHashRing.build(1, three, 150, 0))
        .hasMessage("replicationFactor must be >= 1: 0");
    List<Member> duplicate = List.of(new Member("a", "h", 1), new Member("a", "g", 2));
    assertThatThrownBy(() -> ConsistentHashRing.build(1, duplicate, 150, 3))
        .hasMessageContaining("duplicate member id 'a'");
    List<Member> sameAddress = List.of(new Member("a", "h", 1), new Member("b", "h", 1));
    assertThatThrownBy(() -> ConsistentHashRing.build(1, sameAddress, 150, 3))
        .hasMessageContaining("duplicate member address h:1");
    List<Member> withNull = new ArrayList<>(three);
    withNull.add(null);
    assertThatThrownBy(() -> ConsistentHashRing.build(1, withNull, 150, 3))
        .isInstanceOf(NullPointerException.class);
    List<Member> tooMany = RingFixtures.randomMembers(new SplittableRandom(1), 1025);
    assertThatThrownBy(() -> ConsistentHashRing.build(1, tooMany, 1, 3))
        .hasMessage("a ring takes at most 1024 members: 1025");
  }

  private static boolean contains(int[] values, int wanted) {
    for (int value : values) {
      if (value == wanted) {
        return true;
      }
    }
    return false;
  }

  @Test
  void toStringShowsEpochReplicationDigestsAndLoad() {
    String text = RingFixtures.vectorRing().toString();
    assertThat(text)
        .startsWith("ConsistentHashRing{epoch=1, rf=3, vnodes=150, ")
        .contains("membershipDigest=0x3578b49bb5514064")
        .contains("placementDigest=0xb9351a6166eb10a2")
        .contains("n3@127.0.0.1:7103 primary=6600 copies=16384");
    List<Member> many = RingFixtures.randomMembers(new SplittableRandom(2), 20);
    assertThat(ConsistentHashRing.build(1, many, 4, 3).toString()).endsWith(", ... 4 more]}");
  }
}
