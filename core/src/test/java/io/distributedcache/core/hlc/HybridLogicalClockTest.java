package io.distributedcache.core.hlc;

import static io.distributedcache.core.hlc.HybridLogicalClock.compare;
import static io.distributedcache.core.hlc.HybridLogicalClock.logical;
import static io.distributedcache.core.hlc.HybridLogicalClock.nodeIndex;
import static io.distributedcache.core.hlc.HybridLogicalClock.pack;
import static io.distributedcache.core.hlc.HybridLogicalClock.physicalMillis;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.core.time.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * The HLC's properties, checked by seeded random walks: every seed is printed in the failure
 * message and replays exactly ({@code BASE_SEED + repetition}).
 */
class HybridLogicalClockTest {

  private static final long BASE_SEED = 0x5EED_C10CL;
  private static final long START_MILLIS = Instant.parse("2026-11-26T10:00:00Z").toEpochMilli();
  private static final Duration MAX_SKEW = Duration.ofSeconds(60);

  @Test
  void layoutIsPhysicalLogicalNode() {
    long v = pack(START_MILLIS, 17, 513);
    assertThat(physicalMillis(v)).isEqualTo(START_MILLIS);
    assertThat(logical(v)).isEqualTo(17);
    assertThat(nodeIndex(v)).isEqualTo(513);
    assertThat(v >>> 22).isEqualTo(START_MILLIS - HybridLogicalClock.EPOCH_UNIX_MILLIS);
    assertThat((v >>> 10) & 0xFFF).isEqualTo(17);
    assertThat(v & 0x3FF).isEqualTo(513);
  }

  @Test
  void epochIsFirstOfJanuary2020() {
    assertThat(HybridLogicalClock.EPOCH_UNIX_MILLIS).isEqualTo(1_577_836_800_000L);
    assertThat(pack(HybridLogicalClock.EPOCH_UNIX_MILLIS, 0, 0)).isZero();
  }

  @Test
  void nowFollowsTheWallClockWhenItMovesForward() {
    ManualClock clock = new ManualClock(0, START_MILLIS);
    HybridLogicalClock hlc = new HybridLogicalClock(clock, 3, MAX_SKEW);
    long first = hlc.now();
    assertThat(physicalMillis(first)).isEqualTo(START_MILLIS);
    assertThat(logical(first)).isZero();
    long second = hlc.now();
    assertThat(physicalMillis(second)).isEqualTo(START_MILLIS);
    assertThat(logical(second)).isEqualTo(1);
    clock.advance(Duration.ofMillis(5));
    long third = hlc.now();
    assertThat(physicalMillis(third)).isEqualTo(START_MILLIS + 5);
    assertThat(logical(third)).isZero();
    assertThat(nodeIndex(third)).isEqualTo(3);
  }

  @Test
  void nowStaysAheadWhenTheWallClockStepsBack() {
    ManualClock clock = new ManualClock(0, START_MILLIS);
    HybridLogicalClock hlc = new HybridLogicalClock(clock, 0, MAX_SKEW);
    long before = hlc.now();
    clock.stepWallClock(Duration.ofHours(-5));
    long after = hlc.now();
    assertThat(compare(after, before)).isPositive();
    assertThat(physicalMillis(after)).isEqualTo(START_MILLIS);
    assertThat(logical(after)).isEqualTo(1);
  }

  @Test
  void logicalOverflowCarriesIntoThePhysicalPart() {
    ManualClock clock = new ManualClock(0, START_MILLIS);
    HybridLogicalClock hlc = new HybridLogicalClock(clock, 1, MAX_SKEW);
    long previous = hlc.now();
    for (int i = 0; i < 3 * 4096; i++) {
      long next = hlc.now();
      assertThat(compare(next, previous)).isPositive();
      previous = next;
    }
    // 3 * 4096 + 1 events in one wall millisecond: the counter wrapped three times.
    assertThat(physicalMillis(previous)).isEqualTo(START_MILLIS + 3);
    assertThat(logical(previous)).isZero();
    clock.advance(Duration.ofMillis(1));
    assertThat(physicalMillis(hlc.now())).isEqualTo(START_MILLIS + 3);
  }

  @Test
  void receiveFollowsTheHlcPaperCases() {
    ManualClock clock = new ManualClock(0, START_MILLIS);
    HybridLogicalClock hlc = new HybridLogicalClock(clock, 2, MAX_SKEW);
    long local = hlc.now(); // (T, 0)
    // Remote ahead within skew: take its physical time, its counter + 1.
    long remote = pack(START_MILLIS + 10, 7, 9);
    long merged = hlc.receive(remote);
    assertThat(physicalMillis(merged)).isEqualTo(START_MILLIS + 10);
    assertThat(logical(merged)).isEqualTo(8);
    assertThat(nodeIndex(merged)).isEqualTo(2);
    assertThat(hlc.skewEvents()).isZero();
    // Equal physical parts: max of the counters + 1.
    long merged2 = hlc.receive(pack(START_MILLIS + 10, 20, 9));
    assertThat(logical(merged2)).isEqualTo(21);
    // Remote behind: our own counter + 1.
    long merged3 = hlc.receive(pack(START_MILLIS - 1000, 4000, 9));
    assertThat(physicalMillis(merged3)).isEqualTo(START_MILLIS + 10);
    assertThat(logical(merged3)).isEqualTo(22);
    // Wall clock ahead of everything: reset the counter.
    clock.advance(Duration.ofSeconds(1));
    long merged4 = hlc.receive(pack(START_MILLIS, 0, 9));
    assertThat(physicalMillis(merged4)).isEqualTo(START_MILLIS + 1000);
    assertThat(logical(merged4)).isZero();
    assertThat(compare(merged4, local)).isPositive();
  }

  @Test
  void farAheadRemoteIsReportedAsSkewButStillOrdersAfter() {
    ManualClock clock = new ManualClock(0, START_MILLIS);
    HybridLogicalClock hlc = new HybridLogicalClock(clock, 0, MAX_SKEW);
    long twoHoursAhead = pack(START_MILLIS + Duration.ofHours(2).toMillis(), 5, 1);
    long merged = hlc.receive(twoHoursAhead);
    assertThat(hlc.skewEvents()).isEqualTo(1);
    assertThat(hlc.maxObservedForwardSkewMillis()).isEqualTo(Duration.ofHours(2).toMillis());
    assertThat(compare(merged, twoHoursAhead)).isPositive();
    assertThat(compare(hlc.now(), twoHoursAhead)).isPositive();
    // Exactly at the bound is not skew.
    hlc.receive(pack(START_MILLIS + MAX_SKEW.toMillis(), 0, 1));
    assertThat(hlc.skewEvents()).isEqualTo(1);
  }

  @Test
  void rejectsBadArguments() {
    ManualClock clock = new ManualClock(0, START_MILLIS);
    assertThatThrownBy(() -> new HybridLogicalClock(clock, 1024, MAX_SKEW))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HybridLogicalClock(clock, -1, MAX_SKEW))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HybridLogicalClock(clock, 0, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    HybridLogicalClock hlc = new HybridLogicalClock(clock, 0, MAX_SKEW);
    assertThatThrownBy(() -> hlc.receive(-1L)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void compareIsUnsignedSoThe2089RolloverKeepsOrder() {
    long before = pack(HybridLogicalClock.EPOCH_UNIX_MILLIS + (1L << 41) - 1, 4095, 1023);
    long after = pack(HybridLogicalClock.EPOCH_UNIX_MILLIS + (1L << 41), 0, 0);
    assertThat(after).isNegative();
    assertThat(compare(after, before)).isPositive();
    assertThat(physicalMillis(after)).isEqualTo(HybridLogicalClock.EPOCH_UNIX_MILLIS + (1L << 41));
  }

  @RepeatedTest(20)
  void packUnpackRoundTrips(RepetitionInfo repetition) {
    long seed = BASE_SEED + repetition.getCurrentRepetition();
    Random random = new Random(seed);
    for (int i = 0; i < 10_000; i++) {
      long millis = HybridLogicalClock.EPOCH_UNIX_MILLIS + (random.nextLong() >>> 22);
      int logical = random.nextInt(4096);
      int node = random.nextInt(1024);
      long v = pack(millis, logical, node);
      String where = "seed=" + seed + " i=" + i;
      assertThat(physicalMillis(v)).as(where).isEqualTo(millis);
      assertThat(logical(v)).as(where).isEqualTo(logical);
      assertThat(nodeIndex(v)).as(where).isEqualTo(node);
    }
  }

  /**
   * A random walk of local events, receives and wall-clock steps in both directions on two clocks
   * that exchange versions: issued versions only grow, receives exceed both sides, node indexes
   * stay, and far-ahead remotes are counted exactly.
   */
  @RepeatedTest(50)
  void monotonicAndCausalUnderRandomClockSteps(RepetitionInfo repetition) {
    long seed = BASE_SEED * 31 + repetition.getCurrentRepetition();
    Random random = new Random(seed);
    ManualClock clockA = new ManualClock(0, START_MILLIS);
    ManualClock clockB = new ManualClock(0, START_MILLIS + random.nextInt(120_000) - 60_000);
    int nodeA = random.nextInt(1024);
    int nodeB = random.nextInt(1024);
    HybridLogicalClock a = new HybridLogicalClock(clockA, nodeA, MAX_SKEW);
    HybridLogicalClock b = new HybridLogicalClock(clockB, nodeB, MAX_SKEW);
    long lastA = a.now();
    long lastB = b.now();
    long expectedSkewEventsA = 0;
    for (int step = 0; step < 5_000; step++) {
      String where = "seed=" + seed + " step=" + step;
      switch (random.nextInt(6)) {
        case 0 -> clockA.advance(Duration.ofMillis(random.nextInt(50)));
        case 1 -> clockA.stepWallClock(Duration.ofMinutes(random.nextInt(600) - 300));
        case 2 -> clockB.stepWallClock(Duration.ofMinutes(random.nextInt(600) - 300));
        case 3 -> {
          long next = a.now();
          assertThat(compare(next, lastA)).as(where).isPositive();
          assertThat(nodeIndex(next)).as(where).isEqualTo(nodeA);
          lastA = next;
        }
        case 4 -> {
          // B's version travels to A.
          long remote = b.now();
          assertThat(compare(remote, lastB)).as(where).isPositive();
          lastB = remote;
          if (physicalMillis(remote) - clockA.currentTimeMillis() > MAX_SKEW.toMillis()) {
            expectedSkewEventsA++;
          }
          long merged = a.receive(remote);
          assertThat(compare(merged, remote)).as(where).isPositive();
          assertThat(compare(merged, lastA)).as(where).isPositive();
          assertThat(nodeIndex(merged)).as(where).isEqualTo(nodeA);
          lastA = merged;
          assertThat(compare(a.now(), remote)).as(where).isPositive();
          lastA = a.now();
        }
        default -> {
          // A's version travels to B.
          long remote = a.now();
          lastA = remote;
          long merged = b.receive(remote);
          assertThat(compare(merged, remote)).as(where).isPositive();
          assertThat(compare(merged, lastB)).as(where).isPositive();
          lastB = merged;
        }
      }
    }
    assertThat(a.skewEvents()).as("seed=" + seed).isEqualTo(expectedSkewEventsA);
  }

  @RepeatedTest(10)
  void concurrentCallersNeverGetTheSameVersion(RepetitionInfo repetition) throws Exception {
    ManualClock clock = new ManualClock(0, START_MILLIS);
    HybridLogicalClock hlc = new HybridLogicalClock(clock, 7, MAX_SKEW);
    int threads = 4;
    int perThread = 20_000;
    long[][] issued = new long[threads][perThread];
    Thread[] workers = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int id = t;
      workers[t] =
          new Thread(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  issued[id][i] =
                      (i % 3 == 0) ? hlc.receive(pack(START_MILLIS, 100, 1)) : hlc.now();
                }
              });
      workers[t].start();
    }
    for (Thread worker : workers) {
      worker.join();
    }
    java.util.Set<Long> all = new java.util.HashSet<>();
    for (long[] perWorker : issued) {
      for (int i = 0; i < perThread; i++) {
        assertThat(all.add(perWorker[i]))
            .as("repetition " + repetition.getCurrentRepetition())
            .isTrue();
        if (i > 0) {
          assertThat(compare(perWorker[i], perWorker[i - 1])).isPositive();
        }
      }
    }
  }
}
