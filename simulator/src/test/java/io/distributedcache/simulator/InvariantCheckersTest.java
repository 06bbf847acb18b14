package io.distributedcache.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.core.control.ClusterMetadata;
import io.distributedcache.core.control.MetadataCommand;
import io.distributedcache.core.control.NodeRecord;
import io.distributedcache.core.control.NodeState;
import io.distributedcache.core.placement.Member;
import java.time.Duration;
import java.util.List;
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

  private static ClusterMetadata bootstrap(int replicationFactor, String... ids) {
    List<NodeRecord> nodes =
        java.util.stream.IntStream.range(0, ids.length)
            .mapToObj(i -> new NodeRecord(ids[i], "127.0.0.1", 7101 + i, 0, NodeState.ACTIVE))
            .toList();
    ClusterMetadata.Result r =
        ClusterMetadata.EMPTY.apply(new MetadataCommand.Bootstrap(replicationFactor, 150, nodes));
    return ((ClusterMetadata.Result.Applied) r).next();
  }

  private static SimNode node(int index) {
    return new SimNode(index, new Member("n" + (index + 1), "127.0.0.1", 7101 + index), index, true);
  }

  @Test
  void twoLayoutsUnderOneEpochAreCaught() {
    Simulation sim = new Simulation(quiet(1).build());
    ClusterMetadata a = bootstrap(3, "n1", "n2", "n3");
    ClusterMetadata b = bootstrap(2, "n1", "n2", "n3");
    assertThat(a.epoch()).isEqualTo(b.epoch());
    sim.controlChecker().onApplied(node(0), a);
    sim.controlChecker().onApplied(node(1), a);
    assertThat(sim.violation()).isNull();
    sim.controlChecker().onApplied(node(2), b);
    assertThat(sim.violation()).isNotNull();
    assertThat(sim.violation().invariant()).isEqualTo(ControlPlaneAgrees.SAME_METADATA);
  }

  @Test
  void anEpochGoingBackIsCaught() {
    Simulation sim = new Simulation(quiet(1).build());
    ClusterMetadata first = bootstrap(3, "n1", "n2", "n3");
    ClusterMetadata second =
        ((ClusterMetadata.Result.Applied) first.apply(new MetadataCommand.Fail("n2"))).next();
    SimNode n1 = node(0);
    sim.controlChecker().onApplied(n1, second);
    sim.controlChecker().onApplied(n1, first);
    assertThat(sim.violation()).isNotNull();
    assertThat(sim.violation().invariant()).isEqualTo(ControlPlaneAgrees.EPOCHS_GROW);
  }
}
