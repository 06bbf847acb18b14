package io.distributedcache.faultlab.check;

import io.distributedcache.faultlab.history.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * INCR is exact: the primary executes it, so it is atomic cluster-wide (DESIGN.md section 3), and
 * an acknowledged increment is never lost nor applied twice.
 *
 * <p>For each key that {@code incr} operations touch (the counter is absent, so 0, when the run
 * starts), with d(J) the delta of increment J; "unknown" below means {@code INFO} or pending, and
 * {@code FAIL}ed increments never happened:
 *
 * <ul>
 *   <li><b>Final value</b>: every {@code OK} final read of the key (absent = 0) lies in [sum of
 *       d(OK) + sum of min(0, d(unknown)), sum of d(OK) + sum of max(0, d(unknown))]; with positive
 *       deltas that is [acked, acked + unknown].
 *   <li><b>Each acknowledged increment</b> I returning c: the increments that surely came before I
 *       are the {@code OK} ones that completed before I was invoked; those that may have are the
 *       other non-failed ones invoked no later than I completed. Then c - d(I) lies in [sum of d(sure)
 *       + sum of min(0, d(may)), sum of d(sure) + sum of max(0, d(may))].
 *   <li><b>Distinct counts</b>: if every non-failed delta of the key is positive, no two
 *       acknowledged increments return the same count.
 * </ul>
 *
 * <p>Keys that other functions also write are skipped with a note: their value is not a counter.
 * Without a final read only the per-increment bounds are checked.
 */
public final class CounterBounds implements Checker {

  @Override
  public String name() {
    return "counter-bounds";
  }

  @Override
  public CheckResult check(List<Op> history) {
    List<Call> calls = Calls.pair(history);
    Map<String, List<Call>> incrs = Calls.group(calls, c -> c.f().equals(Call.INCR), Call::key);
    Map<String, List<Call>> finalReads =
        Calls.group(calls, c -> c.f().equals(Call.FINAL_READ) && c.ok(), Call::key);
    Map<String, List<Call>> otherWrites = Calls.group(calls,
        c -> c.f().equals(Call.WRITE) || c.f().equals(Call.WRITE_TTL) || c.f().equals(Call.ADD),
        Call::key);
    List<String> violations = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    long unknown = 0;
    long checked = 0;
    for (Map.Entry<String, List<Call>> entry : incrs.entrySet()) {
      String key = entry.getKey();
      List<Call> ops = entry.getValue();
      if (otherWrites.containsKey(key)) {
        unknown++;
        notes.add("key " + Call.quote(key) + ": also written by "
            + otherWrites.get(key).get(0).describe() + "; counter not checked");
        continue;
      }
      checked += ops.size();
      checkKey(key, ops, finalReads.getOrDefault(key, List.of()), violations, notes);
    }
    return CheckResult.of(name(), checked, violations, unknown, notes);
  }

  private static void checkKey(
      String key, List<Call> ops, List<Call> finalReads, List<String> violations,
      List<String> notes) {
    int n = ops.size();
    long[] delta = new long[n];
    boolean allPositive = true;
    long ackedSum = 0;
    long unknownLow = 0;
    long unknownHigh = 0;
    for (int i = 0; i < n; i++) {
      Call op = ops.get(i);
      delta[i] = Calls.parseLong(op.argument(), op);
      if (op.failed()) {
        continue;
      }
      allPositive &= delta[i] > 0;
      if (op.ok()) {
        ackedSum += delta[i];
      } else {
        unknownLow += Math.min(0, delta[i]);
        unknownHigh += Math.max(0, delta[i]);
      }
    }
    Map<Long, Call> byCount = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Call op = ops.get(i);
      if (!op.ok()) {
        continue;
      }
      Long count = parseResult(op, violations);
      if (count == null) {
        continue;
      }
      long low = delta[i];
      long high = delta[i];
      for (int j = 0; j < n; j++) {
        Call other = ops.get(j);
        if (j == i || other.failed()) {
          continue;
        }
        if (other.precedes(op)) {
          low += delta[j];
          high += delta[j];
        } else if (other.invokeNanos() <= op.completeNanos()) {
          low += Math.min(0, delta[j]);
          high += Math.max(0, delta[j]);
        }
      }
      if (count < low || count > high) {
        violations.add(op.describe() + " returned " + count + ", outside [" + low + ", "
            + high + "] allowed by the increments before and concurrent with it");
      }
      if (allPositive) {
        Call same = byCount.putIfAbsent(count, op);
        if (same != null) {
          violations.add("incrs " + same.describe() + " and " + op.describe()
              + " both returned " + count + " (an increment applied twice or lost)");
        }
      }
    }
    long low = ackedSum + unknownLow;
    long high = ackedSum + unknownHigh;
    if (finalReads.isEmpty()) {
      notes.add("key " + Call.quote(key) + ": no successful final read; final value unchecked");
    }
    for (Call read : finalReads) {
      long value;
      try {
        value = read.result() == null ? 0 : Long.parseLong(read.result());
      } catch (NumberFormatException e) {
        violations.add("final read " + read.describe() + " of a counter is not an integer");
        continue;
      }
      if (value < low || value > high) {
        violations.add("counter " + Call.quote(key) + ": final read " + read.describe()
            + " outside [" + low + ", " + high + "] (acknowledged sum " + ackedSum
            + ", unknown increments " + unknownLow + ".." + unknownHigh + ")");
      }
    }
  }

  private static Long parseResult(Call op, List<String> violations) {
    try {
      return Long.parseLong(op.result());
    } catch (NumberFormatException e) {
      violations.add(op.describe() + " returned a count that is not an integer");
      return null;
    }
  }
}
