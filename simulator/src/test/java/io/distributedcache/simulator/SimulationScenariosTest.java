package io.distributedcache.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fixed scenarios on top of a quiet network, each run for a few fixed seeds with every invariant
 * checked: a partition that isolates one replica and heals, a primary that crashes in the middle of
 * the workload and restarts empty, and wall clocks stepped by hours on running nodes. Each also
 * asserts that the scenario really took the path it is about.
 */
class SimulationScenariosTest {

  private static final FaultProfile LIGHT =
      new FaultProfile(
          0.005, 0.005, 0.02, 0.01, false, false, false, false, false, Duration.ZERO);

  private static SimConfig.Builder base(long seed) {
    return SimConfig.builder(seed).nodeCount(3).workload(Duration.ofMillis(3000)).faults(LIGHT);
  }

  private static String replay(String method, long seed) {
    return SimTests.replay("SimulationScenariosTest#" + method, "") + " (seed " + seed + ")";
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {11, 12, 13})
  void partitionIsolatingOneReplicaHeals(long seed) {
    // n3 is cut off both ways for 0.7 s in the middle of the workload: it misses writes, the
    // others carry on at QUORUM, and after the heal anti-entropy and the digest comparison on
    // reconnection bring it back; then every copy must agree. (Shorter than the 1 s failure
    // timeout: a longer cut fails n3 over, and it then discards its copies and pulls them anew.)
    // No other faults, so that every digest mismatch is the partition's doing.
    SimConfig config =
        base(seed)
            .faults(FaultProfile.NONE)
            .fault(new ScriptedFault.Isolate(800, 2, 700))
            .build();
    SimResult result =
        SimTests.runOrFail(config, replay("partitionIsolatingOneReplicaHeals", seed));
    assertThat(result.partitions()).isEqualTo(1);
    assertThat(result.acknowledged()).isGreaterThan(100);
    assertThat(result.figure("cluster.digestMismatches"))
        .as("the isolated replica was behind and was compared")
        .isPositive();
    assertThat(result.figure("cluster.keysSynced")).isPositive();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {21, 22, 23})
  void primaryCrashMidWorkloadLosesNoQuorumWrite(long seed) {
    // The primary of k0 (and of every slot it leads) crashes at 1.2 s, losing its memory, and
    // comes back 600 ms later: it refuses its slots' writes while catching up, pulls them from
    // the replicas, and no write acknowledged at QUORUM may be missing from any read after.
    SimConfig config =
        base(seed).fault(new ScriptedFault.CrashPrimaryOf(1200, "k0", 600)).build();
    SimResult result =
        SimTests.runOrFail(config, replay("primaryCrashMidWorkloadLosesNoQuorumWrite", seed));
    assertThat(result.crashes()).isEqualTo(1);
    assertThat(result.figure("cluster.notReady") + result.figure("cluster.failedFast"))
        .as("writes were refused while the primary was down or catching up")
        .isPositive();
    assertThat(result.figure("impairment.slotsRecovered"))
        .as("the restarted primary caught up in the workload's slots")
        .isPositive();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {31, 32, 33})
  void wallClockStepsOfHoursKeepTtlsInTheirWindow(long seed) {
    // One node's wall clock jumps 3 h forward, then 5 h back, another's 2 h forward, while a
    // third of the writes carry a TTL: the TTL window of every copy must not move (seed bug 1),
    // and versions keep ordering writes because the hybrid logical clock never goes back.
    SimConfig config =
        base(seed)
            .maxInitialSkew(Duration.ZERO) // skew only from the steps
            .ttlPercent(35)
            .fault(new ScriptedFault.StepWallClock(400, 0, Duration.ofHours(3)))
            .fault(new ScriptedFault.StepWallClock(1100, 0, Duration.ofHours(-5)))
            .fault(new ScriptedFault.StepWallClock(1700, 1, Duration.ofHours(2)))
            .build();
    SimResult result =
        SimTests.runOrFail(config, replay("wallClockStepsOfHoursKeepTtlsInTheirWindow", seed));
    assertThat(result.clockSteps()).isEqualTo(3);
    assertThat(result.figure("ttl.copiesChecked")).isGreaterThan(50);
    assertThat(result.figure("ttl.expiryChecks")).isGreaterThan(10);
    assertThat(result.figure("hlc.skewEvents"))
        .as("peers saw a clock hours ahead of theirs")
        .isPositive();
  }
}
