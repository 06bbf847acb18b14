package io.distributedcache.faultlab.check;

import io.distributedcache.faultlab.history.Op;
import java.util.List;

/**
 * A property of a fault-lab history, checked after the run. Implementations are pure functions of
 * the history: they keep no state between calls, may be called from any thread, do not block and
 * do not read the clock.
 *
 * <p>Every checker is sound with respect to the guarantee it checks: an operation whose outcome is
 * unknown ({@code INFO}, or an invocation without a completion) may have taken effect at any time
 * after its invocation or never, and two events with the same timestamp count as concurrent. A
 * reported violation is therefore a history that no execution honouring the guarantee can produce;
 * what the checker cannot decide is counted as {@link CheckResult#unknown()} with a note.
 */
public interface Checker {

  /** A short stable name such as {@code "linearizability"}, used in reports. */
  String name();

  /**
   * Checks {@code history}, the lines of one run in the order they were recorded.
   *
   * @throws IllegalArgumentException if the history is malformed (a completion without a pending
   *     invocation on its process, a completion whose function differs from its invocation's, a
   *     numeric argument that is not a number)
   */
  CheckResult check(List<Op> history);
}
