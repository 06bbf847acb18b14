package io.distributedcache.core.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.keyspace.Slots;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * What a membership change moves, for 3 to 20 members, {@value #SEEDS_PER_COUNT} seeded
 * memberships per count, 150 virtual nodes, replication factor 3.
 *
 * <p>Exact properties (consistent hashing): adding member X changes a slot's primary only to X and
 * a slot's list only if X enters it, and then the old list keeps its order minus its last member;
 * removing member Y changes exactly the primaries Y held (its first replica takes over) and exactly
 * the lists Y was in, whose other members keep their order and gain one member at the end.
 *
 * <p>Statistical property: the number of slots whose primary moves, over the ideal {@code
 * 16384/(N+1)}, stays within [{@value #MIN_MOVED_OVER_IDEAL}, {@value #MAX_MOVED_OVER_IDEAL}].
 * Measured with this code over 200 memberships per count (3600 additions): 0.74 to 1.31; for whole
 * lists, slots whose list changes over the ideal {@code 3 x 16384/(N+1)}: 0.84 to 1.21.
 */
class RingMovementPropertyTest {

  static final int SEEDS_PER_COUNT = 5;
  static final int VIRTUAL_NODES = 150;
  static final int REPLICATION_FACTOR = 3;

  static final double MIN_MOVED_OVER_IDEAL = 0.6;
  static final double MAX_MOVED_OVER_IDEAL = 1.45;
  static final double MIN_LISTS_CHANGED_OVER_IDEAL = 0.7;
  static final double MAX_LISTS_CHANGED_OVER_IDEAL = 1.35;

  @Test
  void addingAMemberMovesOnlyWhatTheNewMemberTakes() {
    double lowest = Double.MAX_VALUE;
    double highest = 0;
    for (int n = 3; n <= 20; n++) {
      for (int i = 0; i < SEEDS_PER_COUNT; i++) {
        long seed = 77_000L + n * 1000L + i;
        int size = n;
        List<Member> all = RingFixtures.randomMembers(new SplittableRandom(seed), n + 1);
        Member added = all.get(n);
        ConsistentHashRing before =
            ConsistentHashRing.build(1, all.subList(0, n), VIRTUAL_NODES, REPLICATION_FACTOR);
        ConsistentHashRing after =
            ConsistentHashRing.build(2, all, VIRTUAL_NODES, REPLICATION_FACTOR);
        int moved = 0;
        int listsChanged = 0;
        for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
          int s = slot;
          Supplier<String> where = () -> "seed=" + seed + " n=" + size + " slot=" + s;
          List<String> old = RingFixtures.ids(before, slot);
          List<String> now = RingFixtures.ids(after, slot);
          if (!old.get(0).equals(now.get(0))) {
            moved++;
            assertThat(now.get(0)).as(where).isEqualTo(added.id());
          }
          if (!old.equals(now)) {
            listsChanged++;
            assertThat(now).as(where).contains(added.id());
            List<String> rest = new ArrayList<>(now);
            rest.remove(added.id());
            assertThat(rest).as(where).isEqualTo(old.subList(0, REPLICATION_FACTOR - 1));
          } else {
            assertThat(now).as(where).doesNotContain(added.id());
          }
        }
        double ideal = (double) Slots.SLOT_COUNT / (n + 1);
        String where = String.format(Locale.ROOT, "seed=%d n=%d moved=%d", seed, n, moved);
        assertThat(moved / ideal)
            .as(where)
            .isBetween(MIN_MOVED_OVER_IDEAL, MAX_MOVED_OVER_IDEAL);
        assertThat(listsChanged / (ideal * REPLICATION_FACTOR))
            .as(where + " listsChanged=" + listsChanged)
            .isBetween(MIN_LISTS_CHANGED_OVER_IDEAL, MAX_LISTS_CHANGED_OVER_IDEAL);
        assertThat(after.primarySlotCount(after.memberIndex(added.id()))).isEqualTo(moved);
        lowest = Math.min(lowest, moved / ideal);
        highest = Math.max(highest, moved / ideal);
      }
    }
    System.out.printf(
        Locale.ROOT,
        "ring movement on add, 3..20 members x %d seeds: moved primaries / ideal in [%.3f, %.3f]%n",
        SEEDS_PER_COUNT,
        lowest,
        highest);
  }

  @Test
  void removingAMemberMovesOnlyWhatItHeld() {
    for (int n = 3; n <= 20; n++) {
      for (int i = 0; i < SEEDS_PER_COUNT; i++) {
        long seed = 99_000L + n * 1000L + i;
        int size = n;
        SplittableRandom random = new SplittableRandom(seed);
        List<Member> all = RingFixtures.randomMembers(random, n + 1);
        Member removed = all.get(random.nextInt(n + 1));
        List<Member> rest = new ArrayList<>(all);
        rest.remove(removed);
        ConsistentHashRing before =
            ConsistentHashRing.build(1, all, VIRTUAL_NODES, REPLICATION_FACTOR);
        ConsistentHashRing after =
            ConsistentHashRing.build(2, rest, VIRTUAL_NODES, REPLICATION_FACTOR);
        int moved = 0;
        for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
          int s = slot;
          Supplier<String> where = () -> "seed=" + seed + " n=" + size + " slot=" + s;
          List<String> old = RingFixtures.ids(before, slot);
          List<String> now = RingFixtures.ids(after, slot);
          boolean wasPrimary = old.get(0).equals(removed.id());
          assertThat(!old.get(0).equals(now.get(0))).as(where).isEqualTo(wasPrimary);
          if (wasPrimary) {
            moved++;
            // The first replica takes over: promotion, not a new owner from elsewhere.
            assertThat(now.get(0)).as(where).isEqualTo(old.get(1));
          }
          if (old.contains(removed.id())) {
            List<String> kept = new ArrayList<>(old);
            kept.remove(removed.id());
            assertThat(now.subList(0, REPLICATION_FACTOR - 1)).as(where).isEqualTo(kept);
            assertThat(old).as(where).doesNotContain(now.get(REPLICATION_FACTOR - 1));
          } else {
            assertThat(now).as(where).isEqualTo(old);
          }
        }
        assertThat(moved).isEqualTo(before.primarySlotCount(before.memberIndex(removed.id())));
      }
    }
  }
}
