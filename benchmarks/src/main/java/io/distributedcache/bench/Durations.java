package io.distributedcache.bench;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import picocli.CommandLine;

/**
 * Parses durations as people type them on a command line: {@code 10s}, {@code 500ms}, {@code 1.5s},
 * {@code 2m}, {@code 1h}, a bare number of seconds ({@code 10}), or ISO-8601 ({@code PT10S}).
 */
public final class Durations implements CommandLine.ITypeConverter<Duration> {

  /** For picocli, which instantiates converters reflectively. */
  public Durations() {}

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /**
   * Parses {@code text}; negative durations are accepted here and rejected by the caller that knows
   * what the duration is for.
   *
   * @throws IllegalArgumentException naming {@code text} if it is not a duration
   */
  public static Duration parse(String text) {
    String s = text.strip().toLowerCase(Locale.ROOT);
    if (s.startsWith("pt") || s.startsWith("-pt")) {
      try {
        return Duration.parse(s);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("bad duration '" + text + "'", e);
      }
    }
    int unitStart = s.length();
    while (unitStart > 0 && Character.isLetter(s.charAt(unitStart - 1))) {
      unitStart--;
    }
    String number = s.substring(0, unitStart);
    String unit = s.substring(unitStart);
    long nanosPerUnit =
        switch (unit) {
          case "ns" -> 1L;
          case "us" -> 1_000L;
          case "ms" -> 1_000_000L;
          case "", "s" -> 1_000_000_000L;
          case "m" -> 60_000_000_000L;
          case "h" -> 3_600_000_000_000L;
          default ->
              throw new IllegalArgumentException(
                  "bad duration unit in '" + text + "' (use ns, us, ms, s, m or h)");
        };
    BigDecimal amount;
    try {
      amount = new BigDecimal(number);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad duration '" + text + "'", e);
    }
    try {
      return Duration.ofNanos(
          amount
              .multiply(BigDecimal.valueOf(nanosPerUnit))
              .setScale(0, RoundingMode.HALF_UP)
              .longValueExact());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("duration out of range '" + text + "'", e);
    }
  }

  /** Seconds with a fraction, for reports. */
  public static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }
}
