package io.distributedcache.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Seed bug 2's regression under the control plane (DESIGN.md section 8): while clients write at
 * QUORUM, a node joins through one seed, pulls its slots and is cut over, then leaves again. After
 * healing and convergence no acknowledged write is missing (the read checkers and the final QUORUM
 * reads), every replica of the final layout agrees ({@link ReplicasConverge}), and the cluster's
 * own {@code ClusterNode.verify} on a member reports no missing, stale or misplaced copy ({@value
 * Simulation#VERIFY_HEALTHY}). The sabotage test shows that the last check can fail.
 */
class SeedBug2RebalanceSimulationTest {

  private static SimConfig.Builder rebalance(long seed) {
    return SimConfig.builder(seed)
        .nodeCount(4)
        .workload(Duration.ofMillis(2500))
        .quorumWrites(true)
        .membership(new MembershipScript(300, 1300, 4));
  }

  /** The same join and leave on an idle cluster: the layout settles and verify is healthy. */
  private static SimConfig.Builder idleRebalance(long seed) {
    return rebalance(seed).workload(Duration.ofMillis(20)).heal(Duration.ofMillis(4000));
  }

  @Test
  void joinThenLeaveOnAnIdleClusterLeavesNothingBehind() {
    SimResult result =
        SimTests.runOrFail(
            idleRebalance(1).build(),
            SimTests.replay("SeedBug2RebalanceSimulationTest#joinThenLeaveOnAnIdleCluster*", ""));
    assertThat(result.figure("cluster.slotsPulled")).isPositive();
    assertThat(result.figure("control.finalEpoch")).isGreaterThan(3);
  }

  @Test
  void joinThenLeaveUnderQuorumWritesLosesNothingAndLeavesNothingBehind() {
    for (long seed = 1; seed <= 3; seed++) {
      SimConfig config = rebalance(seed).build();
      SimResult result =
          SimTests.runOrFail(
              config,
              SimTests.replay(
                  "SeedBug2RebalanceSimulationTest", "(seed " + seed + " of the loop)"));
      // The scenario happened: the joiner pulled slots, and the leave cut over and dropped them.
      assertThat(result.figure("cluster.slotsPulled")).as("seed %d", seed).isPositive();
      assertThat(result.figure("cluster.keysDropped") + result.figure("cluster.ringChanges"))
          .as("seed %d", seed)
          .isPositive();
      assertThat(result.figure("control.finalEpoch")).as("seed %d", seed).isGreaterThan(3);
      assertThat(result.acknowledged()).as("seed %d", seed).isGreaterThan(100);
    }
  }

  @Test
  void aCopyLeftOnANonOwnerIsReportedByVerify() {
    // Idle, so that the run reaches the final verify whatever the state of the write path; the
    // same run without the sabotage passes (joinThenLeaveOnAnIdleClusterLeavesNothingBehind).
    SimConfig config = idleRebalance(1).sabotage(Sabotage.PLANT_MISPLACED).build();
    assertThatThrownBy(() -> Simulation.run(config))
        .isInstanceOfSatisfying(
            InvariantViolation.class,
            v -> assertThat(v.invariant()).isEqualTo(Simulation.VERIFY_HEALTHY))
        .hasMessageContaining("misplaced=1")
        .hasMessageContaining("seed 1");
  }
}
