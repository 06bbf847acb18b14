package io.distributedcache.faultlab.check;

import io.distributedcache.faultlab.history.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Read-your-own-writes and monotonic reads per client session (DESIGN.md section 3: a connection
 * remembers the versions it wrote and never reads anything older; the causality token carries this
 * to the next connection of the session).
 *
 * <p>Each value is written once per key, so a read maps to the write of the value it returned.
 * Write A is <i>older</i> than write B when A surely took effect before B: A is {@code OK} and
 * completed before B was invoked. Writes that overlap, or whose outcome is unknown, are not ordered.
 * Absent is older than every write (the workload deletes nothing). For each session (or process,
 * see {@link CheckOptions#sessionsSpanReconnects()}) and key, over its {@code OK} {@code read}s:
 *
 * <ul>
 *   <li><b>Read-your-own-writes</b>: if the session's {@code OK} write W of the key completed
 *       before read R was invoked, R returns W's value or the value of a write not older than W.
 *   <li><b>Monotonic reads</b>: if read R1 completed before read R2 was invoked and returned the
 *       value of write W1, R2 returns W1's value or the value of a write not older than W1.
 * </ul>
 *
 * <p>Reads of a value no write (or more than one write) of the key wrote are not checked here;
 * {@link Linearizability} reports them. Keys also written by {@code write-ttl}, {@code incr} or
 * {@code add} are skipped: expiry makes absent legitimate, counters repeat values.
 */
public final class SessionGuarantees implements Checker {

  private final boolean bySession;

  /** A checker that groups by session or by process as {@code options} say. */
  public SessionGuarantees(CheckOptions options) {
    this.bySession = options.sessionsSpanReconnects();
  }

  @Override
  public String name() {
    return "session-guarantees";
  }

  @Override
  public CheckResult check(List<Op> history) {
    List<Call> calls = Calls.pair(history);
    Set<String> skipped = new HashSet<>();
    Map<String, Map<String, List<Call>>> writersByKey = new HashMap<>();
    for (Call call : calls) {
      switch (call.f()) {
        case Call.WRITE -> writersByKey.computeIfAbsent(call.key(), k -> new HashMap<>())
            .computeIfAbsent(call.argument(), v -> new ArrayList<>()).add(call);
        case Call.WRITE_TTL, Call.INCR, Call.ADD -> skipped.add(call.key());
        default -> { }
      }
    }
    Map<StreamKey, List<Call>> streams = Calls.group(calls,
        c -> (c.f().equals(Call.READ) || c.f().equals(Call.WRITE)) && !skipped.contains(c.key()),
        c -> new StreamKey(bySession ? c.session() : c.process(), c.key()));
    List<String> violations = new ArrayList<>();
    long checked = 0;
    for (List<Call> stream : streams.values()) {
      Map<String, List<Call>> writers =
          writersByKey.getOrDefault(stream.get(0).key(), Map.of());
      List<Call> ownWrites = new ArrayList<>();
      List<Call> earlierReads = new ArrayList<>();
      for (Call op : stream) {
        if (op.f().equals(Call.WRITE)) {
          if (op.ok()) {
            ownWrites.add(op);
          }
          continue;
        }
        if (!op.ok()) {
          continue;
        }
        checked++;
        Call source = writerOf(op, writers);
        String problem = readYourWrites(op, source, ownWrites);
        if (problem == null) {
          problem = monotonic(op, source, earlierReads, writers);
        }
        if (problem != null) {
          violations.add(problem);
        }
        earlierReads.add(op);
      }
    }
    return CheckResult.of(name(), checked, violations, 0, List.of());
  }

  private String readYourWrites(Call read, Call source, List<Call> ownWrites) {
    for (Call own : ownWrites) {
      if (own.completeNanos() >= read.invokeNanos() || own == source) {
        continue;
      }
      if (read.result() == null) {
        return "read-your-writes: " + read.describe() + " after the session's " + own.describe();
      }
      if (source != null && source.precedes(own)) {
        return "read-your-writes: " + read.describe() + " returns the value of " + source.describe()
            + ", older than the session's " + own.describe();
      }
    }
    return null;
  }

  private String monotonic(
      Call read, Call source, List<Call> earlierReads, Map<String, List<Call>> writers) {
    for (Call earlier : earlierReads) {
      if (earlier.completeNanos() >= read.invokeNanos() || earlier.result() == null) {
        continue;
      }
      Call earlierSource = writerOf(earlier, writers);
      if (earlierSource == null || earlierSource == source) {
        continue;
      }
      if (read.result() == null) {
        return "monotonic reads: " + read.describe() + " after " + earlier.describe();
      }
      if (source != null && source.precedes(earlierSource)) {
        return "monotonic reads: " + read.describe() + " after " + earlier.describe()
            + ", whose " + earlierSource.describe() + " overwrote it";
      }
    }
    return null;
  }

  /** A session's (or process's) operations on one key. */
  private record StreamKey(int client, String key) {}

  /** The one write of the value {@code read} returned, or null if none or several. */
  private static Call writerOf(Call read, Map<String, List<Call>> writers) {
    if (read.result() == null) {
      return null;
    }
    List<Call> candidates = writers.get(read.result());
    return candidates != null && candidates.size() == 1 ? candidates.get(0) : null;
  }
}
