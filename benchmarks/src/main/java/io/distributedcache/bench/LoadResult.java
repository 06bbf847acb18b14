package io.distributedcache.bench;

import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * What one run measured: successful operations started in the measured window, their latency
 * distribution, and the failures.
 *
 * @param settings the run's settings
 * @param ops successful operations started inside the measured window
 * @param errors failed operations started inside the measured window, plus connections lost at any
 *     time (a connection lost during warm-up is missing from the whole measured window)
 * @param connectionsLost connections that failed with an I/O error and stopped
 * @param firstError the text of the earliest counted error
 * @param latencyNanos latency of each successful measured operation, send to last reply
 */
public record LoadResult(
    LoadSettings settings,
    long ops,
    long errors,
    int connectionsLost,
    Optional<String> firstError,
    Histogram latencyNanos) {

  /** Successful operations per second of the measured window. */
  public double opsPerSecond() {
    return ops / Durations.seconds(settings.duration());
  }

  /** The latency at {@code percentile} (0-100) in microseconds; 0 when nothing succeeded. */
  public double percentileMicros(double percentile) {
    return latencyNanos.getTotalCount() == 0
        ? 0
        : latencyNanos.getValueAtPercentile(percentile) / 1000.0;
  }

  /** The whole result as one line of JSON (keys in snake_case; latencies in microseconds). */
  public String toJson() {
    LoadSettings s = settings;
    StringBuilder b = new StringBuilder(512).append('{');
    field(b, "label", quote(s.label()));
    field(b, "command", quote(s.operation().cliName()));
    field(
        b,
        "targets",
        quote(s.targets().stream().map(Target::toString).collect(Collectors.joining(","))));
    field(b, "connections", Integer.toString(s.connections()));
    field(b, "duration_s", number(Durations.seconds(s.duration())));
    field(b, "warmup_s", number(Durations.seconds(s.warmup())));
    field(b, "keyspace", Long.toString(s.keyspace()));
    field(b, "value_size", Integer.toString(s.valueSize()));
    field(b, "wait_replicas", Integer.toString(s.waitReplicas()));
    field(b, "consistency", s.consistency().map(LoadResult::quote).orElse("null"));
    field(b, "seed", Long.toString(s.seed()));
    field(b, "ops", Long.toString(ops));
    field(b, "ops_per_sec", number(opsPerSecond()));
    field(b, "p50_us", number(percentileMicros(50)));
    field(b, "p99_us", number(percentileMicros(99)));
    field(b, "p999_us", number(percentileMicros(99.9)));
    field(
        b,
        "max_us",
        number(latencyNanos.getTotalCount() == 0 ? 0 : latencyNanos.getMaxValue() / 1000.0));
    field(
        b,
        "mean_us",
        number(latencyNanos.getTotalCount() == 0 ? 0 : latencyNanos.getMean() / 1000.0));
    field(b, "errors", Long.toString(errors));
    field(b, "connections_lost", Integer.toString(connectionsLost));
    field(b, "first_error", firstError.map(LoadResult::quote).orElse("null"));
    b.setLength(b.length() - 1);
    return b.append('}').toString();
  }

  /** One line for people: label, ops/s, p50/p99/p99.9 in microseconds, errors. */
  public String humanLine() {
    String line =
        String.format(
            Locale.ROOT,
            "%s: %.0f ops/s, p50 %.1f us, p99 %.1f us, p99.9 %.1f us, errors %d",
            settings.label(),
            opsPerSecond(),
            percentileMicros(50),
            percentileMicros(99),
            percentileMicros(99.9),
            errors);
    return firstError.map(e -> line + " (first: " + e + ")").orElse(line);
  }

  private static void field(StringBuilder b, String key, String jsonValue) {
    b.append('"').append(key).append("\":").append(jsonValue).append(',');
  }

  private static String number(double value) {
    return String.format(Locale.ROOT, "%.1f", value);
  }

  /** A JSON string literal (RFC 8259 escaping). */
  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
