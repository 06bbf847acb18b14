package io.distributedcache.faultlab.check;

import io.distributedcache.faultlab.history.Op;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/** Pairs the lines of a history into {@link Call}s and groups them; shared by the checkers. */
final class Calls {

  private Calls() {}

  /**
   * Pairs each invocation with the next line of its process, in history order; invocations left
   * pending at the end have no completion. The result is ordered by invocation time, then index.
   *
   * @throws IllegalArgumentException if a completion has no pending invocation on its process or
   *     names another function, or a process invokes while its previous operation is pending
   */
  static List<Call> pair(List<Op> history) {
    Map<Integer, Op> pending = new HashMap<>();
    List<Call> calls = new ArrayList<>();
    Map<Op, Integer> position = new IdentityHashMap<>();
    for (Op op : history) {
      if (op.type() == Op.Type.INVOKE) {
        Op previous = pending.put(op.process(), op);
        if (previous != null) {
          throw new IllegalArgumentException(
              "op #" + op.index() + ": process " + op.process() + " invokes while op #"
                  + previous.index() + " is pending");
        }
        position.put(op, calls.size());
        calls.add(new Call(op, null));
      } else {
        Op invoke = pending.remove(op.process());
        if (invoke == null) {
          throw new IllegalArgumentException(
              "op #" + op.index() + ": " + op.type() + " on process " + op.process()
                  + " without a pending invocation");
        }
        if (!invoke.f().equals(op.f())) {
          throw new IllegalArgumentException(
              "op #" + op.index() + ": completes " + op.f() + " but op #" + invoke.index()
                  + " invoked " + invoke.f());
        }
        calls.set(position.get(invoke), new Call(invoke, op));
      }
    }
    calls.sort(Comparator.comparingLong(Call::invokeNanos).thenComparingLong(Call::index));
    return calls;
  }

  /** The calls that match {@code filter}, grouped by {@code key}, in first-seen order. */
  static <K> Map<K, List<Call>> group(
      List<Call> calls, Predicate<Call> filter, Function<Call, K> key) {
    Map<K, List<Call>> groups = new LinkedHashMap<>();
    for (Call call : calls) {
      if (filter.test(call)) {
        groups.computeIfAbsent(key.apply(call), k -> new ArrayList<>()).add(call);
      }
    }
    return groups;
  }

  /** Parses an integer argument or result, naming the op when it is not one. */
  static long parseLong(String text, Call call) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "op #" + call.index() + ": not an integer: " + Call.quote(text), e);
    }
  }

  /** Milliseconds for messages, with one decimal. */
  static String millis(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.1f ms", nanos / 1e6);
  }
}
