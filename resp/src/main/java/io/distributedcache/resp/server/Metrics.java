package io.distributedcache.resp.server;

import io.distributedcache.resp.command.CommandSpec;
import io.distributedcache.resp.command.CommandTable;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per-command counters and latency histograms, read by {@code INFO commandstats} and {@code
 * /metrics} alike.
 *
 * <p>Design note. Everything is pre-sized when the node starts: one slot per command of the {@link
 * CommandTable}, indexed by the command's id ({@link CommandSpec#aclId()}, which is dense for
 * top-level commands), each with a fixed set of latency buckets. Recording a call is then a bucket
 * search over a constant array and three {@link LongAdder} increments: no map lookup, no
 * allocation, no lock, from any number of event loops at once. The buckets follow the 1-2.5-5
 * series from 50 µs to 1 s; Prometheus' {@code histogram_quantile} interpolates between them.
 *
 * <p>A snapshot read while commands run is not atomic across counters; {@link #snapshot} derives a
 * command's call count from its buckets, so that in one snapshot the count, the {@code +Inf} bucket
 * and the call counter always agree.
 */
public final class Metrics {

  /** Upper bounds of the latency buckets, in nanoseconds; a final {@code +Inf} bucket follows. */
  private static final long[] BOUNDS_NANOS = {
    50_000L,
    100_000L,
    250_000L,
    500_000L,
    1_000_000L,
    2_500_000L,
    5_000_000L,
    10_000_000L,
    25_000_000L,
    50_000_000L,
    100_000_000L,
    250_000_000L,
    500_000_000L,
    1_000_000_000L,
  };

  /** The bucket bounds as Prometheus {@code le} labels (seconds), {@code +Inf} last. */
  private static final String[] LE_LABELS = leLabels();

  private final List<CommandSpec> specsById;
  /** [command id][bucket]; the last bucket of each row is {@code +Inf}. */
  private final LongAdder[][] buckets;
  private final LongAdder[] durationNanos;
  private final LongAdder[] failed;
  private final LongAdder[] rejected;

  /** Slots for every top-level command of {@code table}. Called once, when the node starts. */
  public Metrics(CommandTable table) {
    int n = 0;
    for (CommandSpec spec : table.all()) {
      n = Math.max(n, spec.aclId() + 1);
    }
    CommandSpec[] byId = new CommandSpec[n];
    for (CommandSpec spec : table.all()) {
      byId[spec.aclId()] = spec;
    }
    this.specsById = Arrays.asList(byId);
    this.buckets = new LongAdder[n][BOUNDS_NANOS.length + 1];
    this.durationNanos = new LongAdder[n];
    this.failed = new LongAdder[n];
    this.rejected = new LongAdder[n];
    for (int i = 0; i < n; i++) {
      for (int b = 0; b <= BOUNDS_NANOS.length; b++) {
        buckets[i][b] = new LongAdder();
      }
      durationNanos[i] = new LongAdder();
      failed[i] = new LongAdder();
      rejected[i] = new LongAdder();
    }
  }

  /**
   * Counts one call of {@code spec} that ran for {@code nanos} (negative readings count as 0);
   * {@code error} when its reply was an error. Any thread; allocation-free.
   */
  public void record(CommandSpec spec, long nanos, boolean error) {
    int id = spec.aclId();
    long d = Math.max(0, nanos);
    buckets[id][bucket(d)].increment();
    durationNanos[id].add(d);
    if (error) {
      failed[id].increment();
    }
  }

  /**
   * Counts a call of {@code spec} refused before it ran (arity, authentication, ACL, subscribed
   * mode, a cluster redirection), as Redis' {@code rejected_calls}. Any thread; allocation-free.
   */
  public void rejected(CommandSpec spec) {
    rejected[spec.aclId()].increment();
  }

  /** The index of the bucket {@code nanos} falls in: the first whose bound is at least it. */
  static int bucket(long nanos) {
    long[] bounds = BOUNDS_NANOS;
    int i = 0;
    while (i < bounds.length && nanos > bounds[i]) {
      i++;
    }
    return i;
  }

  /** The {@code le} labels of the buckets, in order, {@code +Inf} last. */
  static String leLabel(int bucket) {
    return LE_LABELS[bucket];
  }

  /** The number of buckets, {@code +Inf} included. */
  static int bucketCount() {
    return BOUNDS_NANOS.length + 1;
  }

  /**
   * The figures of one command.
   *
   * @param spec the command
   * @param calls calls that ran (equals the sum of {@code bucketCounts})
   * @param durationNanos their total duration
   * @param failedCalls of those, the ones answered with an error
   * @param rejectedCalls calls refused before running
   * @param bucketCounts calls per bucket (not cumulative), {@code +Inf} last
   */
  public record CommandFigures(
      CommandSpec spec,
      long calls,
      long durationNanos,
      long failedCalls,
      long rejectedCalls,
      long[] bucketCounts) {}

  /**
   * Figures of the commands called or rejected at least once, in name order. Any thread; allocates
   * (for INFO and scrapes only).
   */
  public List<CommandFigures> snapshot() {
    List<CommandFigures> result = new ArrayList<>();
    List<CommandSpec> ordered = new ArrayList<>();
    for (CommandSpec spec : specsById) {
      if (spec != null) {
        ordered.add(spec);
      }
    }
    ordered.sort((a, b) -> a.name().compareTo(b.name()));
    for (CommandSpec spec : ordered) {
      int id = spec.aclId();
      long[] counts = new long[BOUNDS_NANOS.length + 1];
      long calls = 0;
      for (int b = 0; b < counts.length; b++) {
        counts[b] = buckets[id][b].sum();
        calls += counts[b];
      }
      long rejectedCalls = rejected[id].sum();
      if (calls == 0 && rejectedCalls == 0) {
        continue;
      }
      result.add(
          new CommandFigures(
              spec, calls, durationNanos[id].sum(), failed[id].sum(), rejectedCalls, counts));
    }
    return result;
  }

  private static String[] leLabels() {
    String[] labels = new String[BOUNDS_NANOS.length + 1];
    for (int i = 0; i < BOUNDS_NANOS.length; i++) {
      labels[i] =
          BigDecimal.valueOf(BOUNDS_NANOS[i]).movePointLeft(9).stripTrailingZeros().toPlainString();
    }
    labels[BOUNDS_NANOS.length] = "+Inf";
    return labels;
  }
}
