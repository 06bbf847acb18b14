package io.distributedcache.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Seed bug 1's regression at cluster scale: nodes whose wall clocks are up to two hours apart and
 * jump by up to two hours either way while they run, a workload where half the writes carry a TTL,
 * and a lossy, reordering, partitioned network. {@link TtlStaysWithinWindow} checks every copy of
 * every TTL'd value on every store and at the end of its window: it lives at least {@code ttl}
 * after the write was invoked and at most a transit per hop after it was acknowledged plus {@code
 * ttl}. Expiry travels as remaining time and lands on each node's own ticker, so none of the wall
 * clocks matter; the seed prototype, which shipped absolute wall-clock expiry times, fails this at
 * once.
 */
class SeedBug1SkewedTtlSimulationTest {

  private static final int SEEDS = 16;

  @Test
  void ttlWindowsHoldWhateverTheWallClocksSay() {
    FaultProfile faults =
        new FaultProfile(
            0.01, 0.02, 0.1, 0.02, true, false, false, true, true, Duration.ofHours(2));
    long copies = 0;
    long relayed = 0;
    long expiryChecks = 0;
    long clockSteps = 0;
    for (long seed = 100; seed < 100 + SEEDS; seed++) {
      SimConfig config =
          SimConfig.builder(seed)
              .nodeCount(3 + (int) (seed % 3))
              .workload(Duration.ofMillis(2500))
              .maxInitialSkew(Duration.ofHours(2))
              .ttlPercent(50)
              .faults(faults)
              .build();
      SimResult result =
          SimTests.runOrFail(
              config,
              SimTests.replay("SeedBug1SkewedTtlSimulationTest", "") + " (seed " + seed + ")");
      copies += result.figure("ttl.copiesChecked");
      relayed += result.figure("ttl.relayedCopies");
      expiryChecks += result.figure("ttl.expiryChecks");
      clockSteps += result.clockSteps();
    }
    // The runs did what this test is about: many TTL'd copies on skewed, stepping clocks.
    assertThat(clockSteps).isGreaterThan(SEEDS * 2L);
    assertThat(copies).isGreaterThan(SEEDS * 200L);
    assertThat(relayed).isGreaterThan(SEEDS * 100L);
    assertThat(expiryChecks).isGreaterThan(SEEDS * 50L);
  }
}
