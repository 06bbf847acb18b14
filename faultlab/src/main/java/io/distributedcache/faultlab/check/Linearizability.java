package io.distributedcache.faultlab.check;

import io.distributedcache.faultlab.history.Op;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per-key linearizability of {@code write} and {@code read} against a register (DESIGN.md section
 * 3: the primary orders every write; QUORUM reads return the newest version).
 *
 * <p>Model: each key is a register, initially absent (null); {@code write v} sets it to v, {@code
 * read} returns it. {@code OK} operations must be linearized inside their [invoke, ok] interval;
 * an unknown write may take effect at any point after its invocation or never; {@code FAIL}ed
 * operations and unknown reads are dropped. Events with equal timestamps count as concurrent.
 * Final reads are not part of the model (they are checked by {@link Convergence}), and keys that
 * {@code write-ttl}, {@code incr} or {@code add} touch are skipped with a note: they are not plain
 * registers.
 *
 * <p>Search: Wing and Gong's algorithm with Lowe's memoization ("Testing for linearizability",
 * 2017), as in Porcupine: the invocations and completions form a time-ordered linked list; the
 * search linearizes the first invocation it can, lifting the operation out of the list, and
 * backtracks when it meets the completion of an operation it has not linearized. A cache of
 * (linearized set, register value) pairs prunes configurations already explored.
 *
 * <p>Splitting: a key's history is cut into segments wherever no operation is pending (every
 * earlier operation completed before the next was invoked, so every linearization orders them the
 * same way). The search enumerates the register values a segment can end with and starts the next
 * segment from each of them, which keeps the search exponential only in the concurrency, not in
 * the length of the history. A segment longer than {@link CheckOptions#maxOpsPerSegment()} or one
 * that exhausts {@link CheckOptions#maxSearchSteps()} is counted as unknown with a note, and the
 * next segment starts from any value the key was ever written (so later segments are still checked
 * soundly). Since an unknown write stays pending forever, everything after one is a single segment.
 */
public final class Linearizability implements Checker {

  private final long maxSearchSteps;
  private final int maxOpsPerSegment;

  /** A checker with the search limits of {@code options}. */
  public Linearizability(CheckOptions options) {
    this.maxSearchSteps = options.maxSearchSteps();
    this.maxOpsPerSegment = options.maxOpsPerSegment();
  }

  @Override
  public String name() {
    return "linearizability";
  }

  @Override
  public CheckResult check(List<Op> history) {
    List<Call> calls = Calls.pair(history);
    Map<String, List<Call>> byKey = Calls.group(calls,
        c -> c.f().equals(Call.WRITE) || c.f().equals(Call.READ)
            || c.f().equals(Call.WRITE_TTL) || c.f().equals(Call.INCR) || c.f().equals(Call.ADD),
        Call::key);
    Report report = new Report();
    for (Map.Entry<String, List<Call>> entry : byKey.entrySet()) {
      List<Call> ops = new ArrayList<>();
      Call foreign = null;
      for (Call op : entry.getValue()) {
        boolean write = op.f().equals(Call.WRITE);
        boolean read = op.f().equals(Call.READ);
        if (!write && !read) {
          foreign = op;
          break;
        }
        if ((write && !op.failed()) || (read && op.ok())) {
          ops.add(op);
        }
      }
      if (foreign != null) {
        report.unknown++;
        report.notes.add("key " + Call.quote(entry.getKey()) + ": not a register (also "
            + foreign.describe() + "); not checked");
        continue;
      }
      report.checked += ops.size();
      checkKey(entry.getKey(), ops, report);
    }
    return CheckResult.of(name(), report.checked, report.violations, report.unknown, report.notes);
  }

  private void checkKey(String key, List<Call> ops, Report report) {
    Interner values = new Interner();
    Set<Integer> anyValue = new LinkedHashSet<>();
    anyValue.add(values.id(null));
    for (Call op : ops) {
      if (op.f().equals(Call.WRITE)) {
        anyValue.add(values.id(op.argument()));
      }
    }
    Set<Integer> startStates = Set.of(values.id(null));
    List<List<Call>> segments = segments(ops);
    for (int s = 0; s < segments.size(); s++) {
      List<Call> segment = segments.get(s);
      boolean last = s == segments.size() - 1;
      String where = "key " + Call.quote(key) + " ops #" + segment.get(0).index() + ".."
          + segment.get(segment.size() - 1).index() + " (" + segment.size() + " ops)";
      if (segment.size() > maxOpsPerSegment) {
        report.unknown++;
        report.notes.add(where + ": longer than " + maxOpsPerSegment
            + " ops without a quiet moment; not checked");
        startStates = anyValue;
        continue;
      }
      Search search = new Search(segment, values, maxSearchSteps);
      Search.Outcome outcome = search.run(startStates, !last);
      switch (outcome) {
        case LINEARIZABLE -> startStates = search.endStates;
        case UNKNOWN -> {
          report.unknown++;
          report.notes.add(where + ": search gave up after " + maxSearchSteps + " steps");
          startStates = anyValue;
        }
        case INCOMPLETE -> {
          report.notes.add(where + ": linearizable, but the search budget ran out listing its "
              + "end states; the next segment starts from any value");
          startStates = anyValue;
        }
        case NOT_LINEARIZABLE -> {
          report.violations.add(where + " not linearizable: " + search.explain(startStates));
          startStates = anyValue;
        }
        default -> throw new IllegalStateException(outcome.name());
      }
    }
  }

  /** Cuts ops (ordered by invocation) wherever no earlier operation is still pending. */
  private static List<List<Call>> segments(List<Call> ops) {
    List<List<Call>> segments = new ArrayList<>();
    List<Call> current = new ArrayList<>();
    long pendingUntilNanos = Long.MIN_VALUE;
    for (Call op : ops) {
      if (!current.isEmpty() && op.invokeNanos() > pendingUntilNanos) {
        segments.add(current);
        current = new ArrayList<>();
      }
      current.add(op);
      pendingUntilNanos = Math.max(pendingUntilNanos, op.completeNanos());
    }
    if (!current.isEmpty()) {
      segments.add(current);
    }
    return segments;
  }

  /** Mutable totals while checking one history. */
  private static final class Report {
    final List<String> violations = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    long unknown;
    long checked;
  }

  /** Register values as small ints; null (absent) is 0. */
  private static final class Interner {
    private final Map<String, Integer> ids = new HashMap<>();
    private final List<String> names = new ArrayList<>();

    Interner() {
      ids.put(null, 0);
      names.add(null);
    }

    int id(String value) {
      return ids.computeIfAbsent(value, v -> {
        names.add(v);
        return names.size() - 1;
      });
    }

    String name(int id) {
      return names.get(id);
    }
  }

  /**
   * The WGL search over one segment. Not thread-safe; one instance per segment.
   */
  private static final class Search {

    enum Outcome {
      LINEARIZABLE,
      NOT_LINEARIZABLE,
      UNKNOWN,
      /** Linearizable, but the budget ran out before every end state was found. */
      INCOMPLETE
    }

    /** A node of the doubly linked list of invocations and completions. */
    private static final class Entry {
      final int op;
      final boolean invocation;
      final long timeNanos;
      Entry match;
      Entry prev;
      Entry next;

      Entry(int op, boolean invocation, long timeNanos) {
        this.op = op;
        this.invocation = invocation;
        this.timeNanos = timeNanos;
      }
    }

    /** A configuration already explored: which ops are linearized, and the register value. */
    private record Configuration(BitSet linearized, int state) {}

    private final List<Call> ops;
    private final boolean[] isWrite;
    private final boolean[] mayNeverHappen;
    private final int[] value;
    private final Interner values;
    private final long maxSteps;
    private final Entry head = new Entry(-1, false, Long.MIN_VALUE);
    private final Set<Configuration> explored = new HashSet<>();
    private long steps;
    final Set<Integer> endStates = new LinkedHashSet<>();

    private int deepest = -1;
    private int stuckOp = -1;
    private int stuckState;

    Search(List<Call> ops, Interner values, long maxSteps) {
      this.ops = ops;
      this.values = values;
      this.maxSteps = maxSteps;
      int n = ops.size();
      isWrite = new boolean[n];
      mayNeverHappen = new boolean[n];
      value = new int[n];
      List<Entry> entries = new ArrayList<>(2 * n);
      for (int i = 0; i < n; i++) {
        Call op = ops.get(i);
        isWrite[i] = op.f().equals(Call.WRITE);
        mayNeverHappen[i] = !op.ok();
        value[i] = values.id(isWrite[i] ? op.argument() : op.result());
        Entry invocation = new Entry(i, true, op.invokeNanos());
        Entry completion = new Entry(i, false, op.completeNanos());
        invocation.match = completion;
        entries.add(invocation);
        entries.add(completion);
      }
      // Invocations before completions at equal times: equal timestamps are concurrent.
      entries.sort(Comparator.comparingLong((Entry e) -> e.timeNanos)
          .thenComparing(e -> !e.invocation)
          .thenComparingInt(e -> e.op));
      Entry previous = head;
      for (Entry e : entries) {
        previous.next = e;
        e.prev = previous;
        previous = e;
      }
    }

    /**
     * Searches from each of {@code startStates}. With {@code enumerate}, keeps searching after a
     * success to collect every value the segment can end with in {@link #endStates}.
     */
    Outcome run(Set<Integer> startStates, boolean enumerate) {
      for (int start : startStates) {
        Outcome outcome = runFrom(start, enumerate);
        if (outcome == Outcome.UNKNOWN) {
          return endStates.isEmpty() ? Outcome.UNKNOWN : Outcome.INCOMPLETE;
        }
        if (outcome == Outcome.LINEARIZABLE && !enumerate) {
          return Outcome.LINEARIZABLE;
        }
      }
      return endStates.isEmpty() ? Outcome.NOT_LINEARIZABLE : Outcome.LINEARIZABLE;
    }

    private Outcome runFrom(int start, boolean enumerate) {
      BitSet linearized = new BitSet(ops.size());
      if (!explored.add(new Configuration((BitSet) linearized.clone(), start))) {
        return Outcome.NOT_LINEARIZABLE;
      }
      Deque<Entry> liftedStack = new ArrayDeque<>();
      Deque<Integer> stateStack = new ArrayDeque<>();
      int state = start;
      Entry entry = head.next;
      while (true) {
        if (++steps > maxSteps) {
          return Outcome.UNKNOWN;
        }
        boolean success = entry == null
            || (!entry.invocation && mayNeverHappen[entry.op]);
        if (success) {
          // Every OK op is linearized; unknown writes still in the list happen last or never.
          endStates.add(state);
          if (!enumerate) {
            return Outcome.LINEARIZABLE;
          }
        } else if (entry.invocation) {
          int op = entry.op;
          boolean legal = isWrite[op] || value[op] == state;
          if (legal) {
            int next = isWrite[op] ? value[op] : state;
            BitSet after = (BitSet) linearized.clone();
            after.set(op);
            if (explored.add(new Configuration(after, next))) {
              liftedStack.push(entry);
              stateStack.push(state);
              linearized.set(op);
              state = next;
              lift(entry);
              entry = head.next;
              continue;
            }
          }
          entry = entry.next;
          continue;
        } else {
          int depth = linearized.cardinality();
          if (depth > deepest) {
            deepest = depth;
            stuckOp = entry.op;
            stuckState = state;
          }
        }
        // Backtrack: undo the most recent linearization and try the entries after it.
        if (liftedStack.isEmpty()) {
          return Outcome.NOT_LINEARIZABLE;
        }
        Entry undone = liftedStack.pop();
        state = stateStack.pop();
        linearized.clear(undone.op);
        unlift(undone);
        entry = undone.next;
      }
    }

    private static void lift(Entry invocation) {
      invocation.prev.next = invocation.next;
      invocation.next.prev = invocation.prev;
      Entry completion = invocation.match;
      completion.prev.next = completion.next;
      if (completion.next != null) {
        completion.next.prev = completion.prev;
      }
    }

    private static void unlift(Entry invocation) {
      Entry completion = invocation.match;
      completion.prev.next = completion;
      if (completion.next != null) {
        completion.next.prev = completion;
      }
      invocation.prev.next = invocation;
      invocation.next.prev = invocation;
    }

    /** Why the search failed: the op it could not place at its deepest point. */
    String explain(Set<Integer> startStates) {
      StringBuilder sb = new StringBuilder();
      if (startStates.size() == 1) {
        sb.append("starting from ").append(Call.quote(values.name(startStates.iterator().next())))
            .append(", ");
      }
      if (stuckOp < 0) {
        return sb.append("no order of the ops fits a register").toString();
      }
      sb.append("at best ").append(deepest).append(" of ").append(ops.size())
          .append(" ops linearize (register then ").append(Call.quote(values.name(stuckState)))
          .append("), and then ").append(ops.get(stuckOp).describe())
          .append(" cannot be placed before its completion");
      return sb.toString();
    }
  }
}
