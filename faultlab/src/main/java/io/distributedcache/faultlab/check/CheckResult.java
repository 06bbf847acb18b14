package io.distributedcache.faultlab.check;

import java.util.List;
import java.util.Objects;

/**
 * What one {@link Checker} found in one history.
 *
 * @param checker the checker's {@link Checker#name()}
 * @param valid true if and only if {@code violations} is empty
 * @param opsChecked how many operations (invocation plus completion) the checker examined
 * @param violations one human-readable line per violation, naming the op indexes ({@code #12})
 * @param unknown how many items the checker could not decide (a search that ran out of budget, a
 *     key without a successful final read); these are not violations
 * @param notes one line per undecided or skipped item, saying why
 */
public record CheckResult(
    String checker,
    boolean valid,
    long opsChecked,
    List<String> violations,
    long unknown,
    List<String> notes) {

  public CheckResult {
    Objects.requireNonNull(checker, "checker");
    violations = List.copyOf(violations);
    notes = List.copyOf(notes);
    if (valid != violations.isEmpty()) {
      throw new IllegalArgumentException("valid must equal violations.isEmpty()");
    }
    if (opsChecked < 0 || unknown < 0) {
      throw new IllegalArgumentException("counts must not be negative");
    }
  }

  /** A result with nothing undecided. */
  public CheckResult(String checker, boolean valid, long opsChecked, List<String> violations) {
    this(checker, valid, opsChecked, violations, 0, List.of());
  }

  /** A result whose validity follows from {@code violations}. */
  public static CheckResult of(
      String checker, long opsChecked, List<String> violations, long unknown, List<String> notes) {
    return new CheckResult(
        checker, violations.isEmpty(), opsChecked, violations, unknown, notes);
  }
}
