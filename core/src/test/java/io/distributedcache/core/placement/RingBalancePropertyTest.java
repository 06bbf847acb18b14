package io.distributedcache.core.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.keyspace.Slots;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * How evenly 150 virtual nodes per member spread the 16384 slots, for 3 to 50 members with random
 * ids ({@code node-<hex>}), {@value #SEEDS_PER_COUNT} seeded memberships per count.
 *
 * <p>Measured with this code (seeds {@code count * 1000 + i}, 200 memberships per count, 9600 rings
 * in all): the busiest member is primary of at most 1.47x the mean number of slots and the idlest
 * of at least 0.65x; with replication factor 3 the busiest member holds copies of at most 1.24x the
 * mean and the idlest at least 0.76x. The spread comes from two sources of about equal size: arc
 * lengths of 150 random points per member (about 8% standard deviation) and 16384 hashed slot
 * positions sampling those arcs. The bounds below leave margin over those worst cases; the
 * memberships tested here are the first {@value #SEEDS_PER_COUNT} of each count, so the test is
 * deterministic.
 */
class RingBalancePropertyTest {

  static final int SEEDS_PER_COUNT = 5;
  static final int VIRTUAL_NODES = 150;
  static final int REPLICATION_FACTOR = 3;

  /** Busiest member's primary slots over the mean; measured worst 1.47. */
  static final double MAX_PRIMARY_OVER_MEAN = 1.55;

  /** Idlest member's primary slots over the mean; measured worst 0.65. */
  static final double MIN_PRIMARY_OVER_MEAN = 0.58;

  /** Busiest member's replicated slots (RF 3) over the mean; measured worst 1.24. */
  static final double MAX_COPIES_OVER_MEAN = 1.30;

  /** Idlest member's replicated slots (RF 3) over the mean; measured worst 0.76. */
  static final double MIN_COPIES_OVER_MEAN = 0.70;

  @Test
  void slotsSpreadEvenlyFor3To50Members() {
    double worstPrimaryMax = 0;
    double worstPrimaryMin = Double.MAX_VALUE;
    double worstCopiesMax = 0;
    double worstCopiesMin = Double.MAX_VALUE;
    for (int count = 3; count <= 50; count++) {
      for (int i = 0; i < SEEDS_PER_COUNT; i++) {
        long seed = count * 1000L + i;
        List<Member> members = RingFixtures.randomMembers(new SplittableRandom(seed), count);
        ConsistentHashRing ring =
            ConsistentHashRing.build(1, members, VIRTUAL_NODES, REPLICATION_FACTOR);
        double primaryMean = (double) Slots.SLOT_COUNT / count;
        double copiesMean = (double) Slots.SLOT_COUNT * REPLICATION_FACTOR / count;
        int primaryMax = 0;
        int primaryMin = Integer.MAX_VALUE;
        int copiesMax = 0;
        int copiesMin = Integer.MAX_VALUE;
        for (int m = 0; m < count; m++) {
          primaryMax = Math.max(primaryMax, ring.primarySlotCount(m));
          primaryMin = Math.min(primaryMin, ring.primarySlotCount(m));
          copiesMax = Math.max(copiesMax, ring.replicatedSlotCount(m));
          copiesMin = Math.min(copiesMin, ring.replicatedSlotCount(m));
        }
        String where = String.format(Locale.ROOT, "seed=%d members=%d %s", seed, count, ring);
        assertThat(primaryMax / primaryMean).as(where).isLessThanOrEqualTo(MAX_PRIMARY_OVER_MEAN);
        assertThat(primaryMin / primaryMean).as(where).isGreaterThanOrEqualTo(MIN_PRIMARY_OVER_MEAN);
        assertThat(copiesMax / copiesMean).as(where).isLessThanOrEqualTo(MAX_COPIES_OVER_MEAN);
        assertThat(copiesMin / copiesMean).as(where).isGreaterThanOrEqualTo(MIN_COPIES_OVER_MEAN);
        worstPrimaryMax = Math.max(worstPrimaryMax, primaryMax / primaryMean);
        worstPrimaryMin = Math.min(worstPrimaryMin, primaryMin / primaryMean);
        worstCopiesMax = Math.max(worstCopiesMax, copiesMax / copiesMean);
        worstCopiesMin = Math.min(worstCopiesMin, copiesMin / copiesMean);
      }
    }
    System.out.printf(
        Locale.ROOT,
        "ring balance, 3..50 members x %d seeds, %d vnodes: primary max/mean %.3f min/mean %.3f;"
            + " copies (RF %d) max/mean %.3f min/mean %.3f%n",
        SEEDS_PER_COUNT,
        VIRTUAL_NODES,
        worstPrimaryMax,
        worstPrimaryMin,
        REPLICATION_FACTOR,
        worstCopiesMax,
        worstCopiesMin);
  }
}
