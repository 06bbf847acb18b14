package io.distributedcache.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The checkers can fail: with a defect injected on purpose ({@link Sabotage}), the invariant it
 * breaks is reported, with the seed, the event and the key's history. A checker that passes
 * everything would make the seed sweep worthless.
 */
class InvariantCheckersTest {

  private static SimConfig.Builder quiet(long seed) {
    return SimConfig.builder(seed).nodeCount(3).workload(Duration.ofMillis(2000)).ttlPercent(40);
  }

  @Test
  void stretchedTtlsAreCaught() {
    SimConfig config = quiet(7).sabotage(Sabotage.STRETCH_TTL).build();
    assertThatThrownBy(() -> Simulation.run(config))
        .isInstanceOfSatisfying(
            InvariantViolation.class,
            v -> {
              assertThat(v.invariant()).isEqualTo(TtlStaysWithinWindow.NAME);
              assertThat(v.seed()).isEqualTo(7);
              assertThat(v.event()).isPositive();
            })
        .hasMessageContaining("seed 7")
        .hasMessageContaining("history of ")
        .hasMessageContaining("copies of ");
  }

  @Test
  void aNodeThatSilentlyForgetsIsCaught() {
    // A node wipes its store without crashing, so the checkers do not know that data may be gone:
    // reads, the convergence check, the counters or the TTL checker (a copy taken back) must
    // notice.
    int caught = 0;
    for (long seed = 1; seed <= 5; seed++) {
      try {
        Simulation.run(quiet(seed).sabotage(Sabotage.AMNESIA).build());
      } catch (InvariantViolation v) {
        assertThat(v.invariant())
            .isIn(
                ReadsSeeAcknowledgedWrites.NAME,
                ReplicasConverge.NAME,
                CountersCountEveryIncrement.NAME,
                TtlStaysWithinWindow.NAME);
        caught++;
      }
    }
    assertThat(caught).isGreaterThanOrEqualTo(4);
  }

  @Test
  void withoutSabotageTheSameRunsPass() {
    SimResult result = Simulation.run(quiet(7).build());
    assertThat(result.acknowledged()).isGreaterThan(100);
    assertThat(result.figure("ttl.copiesChecked")).isPositive();
  }
}
