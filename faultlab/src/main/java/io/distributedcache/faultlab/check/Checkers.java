package io.distributedcache.faultlab.check;

import io.distributedcache.faultlab.history.Op;
import java.util.ArrayList;
import java.util.List;

/** The full set of fault-lab checkers, for the harness. */
public final class Checkers {

  private Checkers() {}

  /**
   * Every checker, configured with {@code options}: lost writes, linearizability, session
   * guarantees, counter bounds, TTL window, convergence. Each one ignores the functions it does not
   * check, so all of them can run over any history.
   */
  public static List<Checker> all(CheckOptions options) {
    return List.of(
        new LostWrites(),
        new Linearizability(options),
        new SessionGuarantees(options),
        new CounterBounds(),
        new TtlWindow(options),
        new Convergence());
  }

  /** Runs every checker of {@link #all} over {@code history}, in that order. */
  public static List<CheckResult> checkAll(List<Op> history, CheckOptions options) {
    List<CheckResult> results = new ArrayList<>();
    for (Checker checker : all(options)) {
      results.add(checker.check(history));
    }
    return results;
  }
}
