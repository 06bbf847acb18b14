package io.distributedcache.simulator;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.keyspace.Slots;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Invariant (f), at the end: the final value F of each counter (a QUORUM read after healing) counts
 * every acknowledged INCR once and nothing that did not run: {@code acked <= F <= acked + unknown}.
 *
 * <p>"Acked" counts the INCRs acknowledged at QUORUM or ALL, and those acknowledged at ONE whose
 * primary was never impaired afterwards: ONE promises only that the primary applied the write, so
 * an INCR acknowledged at ONE may die with its primary (it then counts among the unknown). The
 * check is skipped for a counter whose slot had more than {@code N - majority(N)} replicas impaired
 * at once. While the primary was never impaired, the results of acknowledged INCRs must moreover be
 * distinct (no two increments collapsed into one).
 */
final class CountersCountEveryIncrement {

  static final String NAME = "CountersCountEveryIncrement";

  private final Simulation sim;
  private final History history;
  private final ReplicaImpairment impairment;

  CountersCountEveryIncrement(Simulation sim, History history, ReplicaImpairment impairment) {
    this.sim = sim;
    this.history = history;
    this.impairment = impairment;
  }

  void check(Map<String, Op> finalReads) {
    int n = sim.config().replicationFactor();
    int tolerated = n - ConsistencyLevel.majority(n);
    long end = sim.now();
    for (String counter : SimWorkload.COUNTERS) {
      int slot = Slots.slot(counter.getBytes(StandardCharsets.UTF_8));
      if (impairment.maxImpaired(slot, 0, end) > tolerated) {
        continue;
      }
      Op read = finalReads.get(counter);
      if (read == null || !read.acknowledged()) {
        continue; // the final read itself failed: reported by the simulation
      }
      long value = read.values[0] == null ? 0 : Long.parseLong(read.values[0]);
      long acked = 0;
      long possible = 0;
      boolean primaryEverImpaired = impairment.primaryImpaired(slot, 0, end);
      Set<Long> results = new HashSet<>();
      for (Op w : history.writesOf(counter)) {
        if (!w.mayHaveApplied()) {
          continue;
        }
        possible++;
        if (w.acknowledged()) {
          boolean durable =
              w.level != ConsistencyLevel.ONE
                  || !impairment.primaryImpaired(slot, w.completeNanos, end);
          if (durable) {
            acked++;
          }
          if (!primaryEverImpaired && !results.add(w.counterResult)) {
            sim.fail(
                NAME,
                "two acknowledged INCRs of "
                    + counter
                    + " both returned "
                    + w.counterResult
                    + " (one increment lost)",
                List.of(counter));
            return;
          }
        }
      }
      if (value < acked || value > possible) {
        sim.fail(
            NAME,
            "final value of "
                + counter
                + " is "
                + value
                + ", outside [acknowledged "
                + acked
                + ", acknowledged + unknown "
                + possible
                + "]",
            List.of(counter));
        return;
      }
    }
  }
}
