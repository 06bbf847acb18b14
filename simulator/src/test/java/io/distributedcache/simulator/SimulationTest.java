package io.distributedcache.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The seed sweep: many short simulations, each with a fault mix drawn from its seed ({@link
 * SimConfig#randomFor}), every invariant checked after every event. A failure prints the seed and
 * the command that replays exactly that run.
 *
 * <p>Properties (set by the POM, overridable with -D): {@code sim.seeds} (how many),
 * {@code sim.firstSeed}, {@code sim.workloadMillis}; {@code sim.seed} runs that one seed only;
 * {@code sim.trace=k1,k2} prints a transcript of those keys (use with {@code sim.seed}). Seeds
 * run in parallel, one simulation per core; each simulation is single-threaded and owns all its
 * state, so runs stay deterministic.
 */
class SimulationTest {

  private static final long FIRST_SEED = Long.getLong("sim.firstSeed", 1);
  private static final int SEEDS = Integer.getInteger("sim.seeds", 200);
  private static final Duration WORKLOAD =
      Duration.ofMillis(Long.getLong("sim.workloadMillis", 2500));
  private static final Long ONE_SEED = Long.getLong("sim.seed");

  private static SimConfig config(long seed) {
    return SimConfig.randomFor(seed, WORKLOAD);
  }

  private static String replay(long seed) {
    String props = "-Dsim.seed=" + seed;
    if (WORKLOAD.toMillis() != 2500) {
      props += " -Dsim.workloadMillis=" + WORKLOAD.toMillis();
    }
    return SimTests.replay("SimulationTest#seeds", props);
  }

  @Test
  void seeds() throws Exception {
    if (ONE_SEED != null) {
      SimResult result = SimTests.runOrFail(config(ONE_SEED), replay(ONE_SEED));
      System.out.println("[simulation] " + result.summary());
      return;
    }
    long started = System.nanoTime();
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<Object>> futures = new ArrayList<>();
    try {
      for (long seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
        long s = seed;
        futures.add(
            pool.submit(
                () -> {
                  try {
                    return Simulation.run(config(s));
                  } catch (InvariantViolation v) {
                    return v;
                  }
                }));
      }
      List<InvariantViolation> failures = new ArrayList<>();
      long operations = 0;
      long events = 0;
      for (Future<Object> f : futures) {
        Object outcome = f.get();
        if (outcome instanceof InvariantViolation v) {
          failures.add(v);
        } else if (outcome instanceof SimResult r) {
          operations += r.operations();
          events += r.events();
        }
      }
      System.out.printf(
          "[simulation] %d seeds from %d, %d ms of workload each: %d operations, %d events,"
              + " %d failed, %.1f s%n",
          SEEDS,
          FIRST_SEED,
          WORKLOAD.toMillis(),
          operations,
          events,
          failures.size(),
          (System.nanoTime() - started) / 1e9);
      if (!failures.isEmpty()) {
        StringBuilder b = new StringBuilder();
        b.append(failures.size()).append(" of ").append(SEEDS).append(" seeds failed:\n");
        for (InvariantViolation v : failures) {
          b.append("  seed ").append(v.seed()).append(' ').append(v.invariant());
          b.append("  replay: ").append(replay(v.seed())).append('\n');
        }
        InvariantViolation first = failures.get(0);
        b.append("\nFirst failure:\n").append(first.getMessage());
        throw new AssertionError(b.toString(), first);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void sameSeedSameRun() throws Exception {
    SimConfig config =
        SimConfig.builder(4242).nodeCount(4).faults(FaultProfile.ALL).build();
    SimResult first = Simulation.run(config);
    // Again, twice at once on two threads: nothing a run depends on is shared.
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<SimResult> second = pool.submit(() -> Simulation.run(config));
      Future<SimResult> third = pool.submit(() -> Simulation.run(config));
      assertThat(second.get()).isEqualTo(first);
      assertThat(third.get()).isEqualTo(first);
    } finally {
      pool.shutdownNow();
    }
    assertThat(first.events()).isGreaterThan(10_000);
    assertThat(first.crashes() + first.partitions() + first.clockSteps()).isPositive();
    assertThat(first.messagesDropped() + first.messagesDuplicated()).isPositive();
    SimResult other = Simulation.run(config.withSeed(4243));
    assertThat(other.traceDigest()).isNotEqualTo(first.traceDigest());
  }
}
