package io.distributedcache.server;

import java.time.Duration;
import java.util.Locale;

/** Parses durations as flags write them: 500ms, 2s, 1m, 1h; a bare number is milliseconds. */
final class Durations {

  private Durations() {}

  static Duration parse(String text) {
    String s = text.trim().toLowerCase(Locale.ROOT);
    long unitNanos;
    if (s.endsWith("ms")) {
      unitNanos = 1_000_000L;
      s = s.substring(0, s.length() - 2);
    } else if (s.endsWith("s")) {
      unitNanos = 1_000_000_000L;
      s = s.substring(0, s.length() - 1);
    } else if (s.endsWith("m")) {
      unitNanos = 60_000_000_000L;
      s = s.substring(0, s.length() - 1);
    } else if (s.endsWith("h")) {
      unitNanos = 3_600_000_000_000L;
      s = s.substring(0, s.length() - 1);
    } else {
      unitNanos = 1_000_000L;
    }
    long value;
    try {
      value = Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "not a duration: '" + text + "' (examples: 500ms, 2s, 1m, 1h)");
    }
    if (value <= 0) {
      throw new IllegalArgumentException("duration must be positive: '" + text + "'");
    }
    return Duration.ofNanos(Math.multiplyExact(value, unitNanos));
  }
}
