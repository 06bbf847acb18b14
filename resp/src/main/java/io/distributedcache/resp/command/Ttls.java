package io.distributedcache.resp.command;

import io.distributedcache.core.engine.CommandException;
import io.distributedcache.core.engine.KeyspaceEngine;

/**
 * Turns the expiry arguments of SET, GETEX, SETEX, EXPIRE and friends into the engine's remaining
 * nanoseconds. Absolute forms (EXAT, PXAT, EXPIREAT) are converted here, where the command arrives,
 * with the node's wall clock; from then on only the remaining duration exists (seed bug 1).
 */
final class Ttls {

  /**
   * TTLs beyond this are stored as this: about 73 years, far enough to be "no practical expiry",
   * near enough that a monotonic deadline ({@code now + ttl}) cannot overflow a long.
   */
  static final long MAX_TTL_NANOS = Long.MAX_VALUE / 4;

  private Ttls() {}

  enum Unit {
    SECONDS,
    MILLISECONDS,
    UNIX_SECONDS,
    UNIX_MILLISECONDS
  }

  /**
   * Converts a SET-style expiry (which must be positive) to remaining nanoseconds.
   *
   * @throws CommandException "invalid expire time in '&lt;command&gt;' command" as Redis does
   */
  static long positive(KeyspaceEngine engine, long amount, Unit unit, String command) {
    if (amount <= 0) {
      throw invalid(command);
    }
    return convert(engine, amount, unit, command);
  }

  /** Converts an EXPIRE-style amount, which may be zero or negative (the key is then deleted). */
  static long any(KeyspaceEngine engine, long amount, Unit unit, String command) {
    return convert(engine, amount, unit, command);
  }

  private static long convert(KeyspaceEngine engine, long amount, Unit unit, String command) {
    switch (unit) {
      case SECONDS:
        if (amount > Long.MAX_VALUE / 1000 || amount < Long.MIN_VALUE / 1000) {
          throw invalid(command);
        }
        return relativeMillis(amount * 1000);
      case MILLISECONDS:
        return relativeMillis(amount);
      case UNIX_SECONDS:
        if (amount > Long.MAX_VALUE / 1000 || amount < Long.MIN_VALUE / 1000) {
          throw invalid(command);
        }
        return clamp(engine.ttlFromUnixMillis(amount * 1000));
      case UNIX_MILLISECONDS:
        return clamp(engine.ttlFromUnixMillis(amount));
      default:
        throw new AssertionError(unit);
    }
  }

  private static long relativeMillis(long millis) {
    if (millis <= 0) {
      return 0;
    }
    if (millis >= MAX_TTL_NANOS / 1_000_000) {
      return MAX_TTL_NANOS;
    }
    return millis * 1_000_000;
  }

  private static long clamp(long nanos) {
    return Math.max(0, Math.min(nanos, MAX_TTL_NANOS));
  }

  static CommandException invalid(String command) {
    return new CommandException("ERR invalid expire time in '" + command + "' command");
  }

  /** Nanoseconds remaining, rounded up to whole milliseconds: a live key never shows 0 ms early. */
  static long ceilMillis(long nanos) {
    return (nanos + 999_999) / 1_000_000;
  }

  /** Redis rounds a millisecond TTL to seconds as {@code (ms + 500) / 1000}. */
  static long roundedSeconds(long millis) {
    return (millis + 500) / 1000;
  }
}
