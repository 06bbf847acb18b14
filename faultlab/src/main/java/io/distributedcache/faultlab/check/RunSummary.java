package io.distributedcache.faultlab.check;

import java.util.List;
import java.util.Objects;

/**
 * One row of the fault-lab results: the runs of one fault or schedule, for {@link Table}.
 *
 * @param fault the fault or schedule, e.g. {@code "partition primary, 30 s"}
 * @param runs how many runs (seeds) were made
 * @param operations how many client operations those runs issued in total
 * @param violations how many violations the checkers reported in total
 * @param unknown how many items the checkers could not decide in total
 */
public record RunSummary(String fault, int runs, long operations, long violations, long unknown) {

  public RunSummary {
    Objects.requireNonNull(fault, "fault");
    if (runs < 0 || operations < 0 || violations < 0 || unknown < 0) {
      throw new IllegalArgumentException("counts must not be negative");
    }
  }

  /** A row without undecided items. */
  public RunSummary(String fault, int runs, long operations, long violations) {
    this(fault, runs, operations, violations, 0);
  }

  /** Sums the violations and unknowns of every checker result of every run. */
  public static RunSummary of(
      String fault, int runs, long operations, List<CheckResult> results) {
    long violations = 0;
    long unknown = 0;
    for (CheckResult result : results) {
      violations += result.violations().size();
      unknown += result.unknown();
    }
    return new RunSummary(fault, runs, operations, violations, unknown);
  }
}
