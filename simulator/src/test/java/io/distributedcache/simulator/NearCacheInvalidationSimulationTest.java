package io.distributedcache.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Cluster-wide invalidation (invariant 18) under the simulator: every node keeps a near cache of
 * what reads through it returned, and {@link NearCachesHearOfChanges} checks that each hears of
 * every later acknowledged write of a key it holds. Fixed scenarios, a few seeds each: a calm
 * cluster with a lossy network, a partition that isolates a node and heals (its missed broadcasts
 * are covered by the reconnection's slot events), and a primary that crashes for longer than the
 * failure timeout (failover: the layout change's slot events). Each asserts that near caches
 * really were filled and dropped, so that a checker with nothing to check cannot pass.
 */
class NearCacheInvalidationSimulationTest {

  private static final FaultProfile LIGHT =
      new FaultProfile(
          0.005, 0.005, 0.02, 0.01, false, false, false, false, false, Duration.ZERO);

  private static SimConfig.Builder base(long seed) {
    return SimConfig.builder(seed).nodeCount(4).workload(Duration.ofMillis(3000)).faults(LIGHT);
  }

  private static String replay(String method, long seed) {
    return SimTests.replay("NearCacheInvalidationSimulationTest#" + method, "")
        + " (seed "
        + seed
        + ")";
  }

  private static void assertChecked(SimResult result) {
    System.out.println("[near caches] " + result.summary() + " " + nearCacheFigures(result));
    assertThat(result.figure("nearCache.cached")).as("reads filled near caches").isPositive();
    assertThat(result.figure("nearCache.drops"))
        .as("near caches dropped entries on invalidations")
        .isPositive();
    assertThat(result.figure("nearCache.entriesCheckedAfterHealing"))
        .as("entries were checked after healing")
        .isPositive();
  }

  private static String nearCacheFigures(SimResult result) {
    StringBuilder b = new StringBuilder();
    result.figures().entrySet().stream()
        .filter(e -> e.getKey().startsWith("nearCache."))
        .sorted(java.util.Map.Entry.comparingByKey())
        .forEach(e -> b.append(e.getKey()).append('=').append(e.getValue()).append(' '));
    return b.toString().strip();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {41, 42, 43})
  void calmClusterDropsWithinTheBound(long seed) {
    SimResult result = SimTests.runOrFail(base(seed).build(), replay("calmClusterDrops", seed));
    assertChecked(result);
    assertThat(result.figure("nearCache.timelyChecks"))
        .as("writes were checked against the %d ms bound", NearCachesHearOfChanges.BOUND_MILLIS)
        .isGreaterThan(100);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {51, 52, 53})
  void partitionThatHealsIsCoveredBySlotEvents(long seed) {
    // n2 is cut off both ways for 0.8 s (under the 1 s failure timeout: no failover), so the
    // broadcasts of the writes the others run are lost on the way to it; the reconnection must
    // deliver slot events for every slot each peer is primary of.
    SimConfig config =
        base(seed).faults(FaultProfile.NONE).fault(new ScriptedFault.Isolate(900, 1, 800)).build();
    SimResult result =
        SimTests.runOrFail(config, replay("partitionThatHealsIsCoveredBySlotEvents", seed));
    assertThat(result.partitions()).isEqualTo(1);
    assertChecked(result);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {61, 62, 63})
  void primaryCrashAndFailoverIsCoveredByLayoutEvents(long seed) {
    // The primary of k0 crashes at 1.2 s and stays down 1.6 s: it is failed over, the new
    // primaries' layout changes must produce slot events wherever a near cache read from it.
    SimConfig config =
        base(seed).fault(new ScriptedFault.CrashPrimaryOf(1200, "k0", 1600)).build();
    SimResult result =
        SimTests.runOrFail(config, replay("primaryCrashAndFailoverIsCoveredByLayoutEvents", seed));
    assertThat(result.crashes()).isEqualTo(1);
    assertThat(result.figure("control.failoversProposed")).as("a failover").isPositive();
    assertChecked(result);
  }

  @Test
  void lostBroadcastsAreCaught() {
    SimConfig config =
        base(7).faults(FaultProfile.NONE).sabotage(Sabotage.LOSE_INVALIDATIONS).build();
    assertThatThrownBy(() -> Simulation.run(config))
        .isInstanceOfSatisfying(
            InvariantViolation.class,
            v -> assertThat(v.invariant()).isEqualTo(NearCachesHearOfChanges.NAME))
        .hasMessageContaining("still holds")
        .hasMessageContaining("history of ");
  }
}
