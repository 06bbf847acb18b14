package io.distributedcache.faultlab.check;

import io.distributedcache.faultlab.history.Op;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds histories for tests from whole operations with explicit times in milliseconds. {@link
 * #build} orders the lines by time (lines at equal times keep the order they were added in) and
 * numbers them. A process belongs to session = process number unless {@link #session} says else.
 */
final class HistoryBuilder {

  private record Line(long timeNanos, long seq, Op op) {}

  private final List<Line> lines = new ArrayList<>();
  private final Map<Integer, Integer> sessions = new HashMap<>();
  private final Map<Integer, String> nodes = new HashMap<>();
  private long seq;

  /** Puts {@code process} into {@code session}. */
  HistoryBuilder session(int process, int session) {
    sessions.put(process, session);
    return this;
  }

  /** Sends {@code process}'s operations to {@code node}. */
  HistoryBuilder node(int process, String node) {
    nodes.put(process, node);
    return this;
  }

  /** An OK write of {@code value}. */
  HistoryBuilder write(int process, String key, String value, long invokeMillis, long okMillis) {
    return op(process, Call.WRITE, key, value, 0, value, Op.Type.OK, invokeMillis, okMillis);
  }

  /** An OK read that returned {@code value} (null: absent). */
  HistoryBuilder read(int process, String key, String value, long invokeMillis, long okMillis) {
    return op(process, Call.READ, key, null, 0, value, Op.Type.OK, invokeMillis, okMillis);
  }

  /** An OK write with a TTL. */
  HistoryBuilder writeTtl(
      int process, String key, String value, long ttlMillis, long invokeMillis, long okMillis) {
    return op(process, Call.WRITE_TTL, key, value, ttlMillis, value, Op.Type.OK, invokeMillis,
        okMillis);
  }

  /** An OK increment by {@code delta} that returned {@code count}. */
  HistoryBuilder incr(
      int process, String key, long delta, long count, long invokeMillis, long okMillis) {
    return op(process, Call.INCR, key, Long.toString(delta), 0, Long.toString(count), Op.Type.OK,
        invokeMillis, okMillis);
  }

  /** An OK add of a set element. */
  HistoryBuilder add(int process, String key, String value, long invokeMillis, long okMillis) {
    return op(process, Call.ADD, key, value, 0, value, Op.Type.OK, invokeMillis, okMillis);
  }

  /** An OK final read on {@code node} (a process of its own). */
  HistoryBuilder finalRead(
      int process, String node, String key, String value, long invokeMillis, long okMillis) {
    node(process, node);
    return op(process, Call.FINAL_READ, key, null, 0, value, Op.Type.OK, invokeMillis, okMillis);
  }

  /**
   * Any operation: {@code f} with {@code argument} (and {@code ttlMillis}), completed as {@code
   * outcome} at {@code completeMillis} with {@code result}; {@code outcome} null leaves it pending.
   */
  HistoryBuilder op(
      int process, String f, String key, String argument, long ttlMillis, String result,
      Op.Type outcome, long invokeMillis, long completeMillis) {
    int session = sessions.getOrDefault(process, process);
    String node = nodes.getOrDefault(process, "n1");
    add(invokeMillis, new Op(0, Op.Type.INVOKE, process, session, node, f, key, argument,
        ttlMillis, 0, null));
    if (outcome != null) {
      String value = outcome == Op.Type.OK ? result : null;
      String error = outcome == Op.Type.OK ? null : outcome == Op.Type.FAIL ? "refused" : "timeout";
      add(completeMillis, new Op(0, outcome, process, session, node, f, key, value, ttlMillis, 0,
          error));
    }
    return this;
  }

  private void add(long millis, Op op) {
    lines.add(new Line(millis * 1_000_000L, seq++, op));
  }

  /** The history: lines ordered by time, indexed 0, 1, 2... */
  List<Op> build() {
    List<Line> sorted = new ArrayList<>(lines);
    sorted.sort(Comparator.comparingLong(Line::timeNanos).thenComparingLong(Line::seq));
    List<Op> ops = new ArrayList<>();
    for (Line line : sorted) {
      Op op = line.op();
      ops.add(new Op(ops.size(), op.type(), op.process(), op.session(), op.node(), op.f(),
          op.key(), op.value(), op.ttlMillis(), line.timeNanos(), op.error()));
    }
    return ops;
  }
}
