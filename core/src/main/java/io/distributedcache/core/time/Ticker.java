package io.distributedcache.core.time;

/**
 * A monotonic time source with nanosecond resolution, {@link System#nanoTime()} semantics: only
 * differences between two readings mean anything, and readings never go backwards.
 *
 * <p>Every deadline, interval, timeout and TTL in DistributedCache is measured on a ticker, never on a
 * wall clock, so that NTP steps, DST and clock skew between nodes cannot move an expiry (seed bug 1).
 * The core never reads the system clock itself: the server injects a system ticker, tests and the
 * simulator inject a {@link ManualClock}.
 *
 * <p>Called from any thread; implementations must be thread-safe, must not block and must not throw.
 */
@FunctionalInterface
public interface Ticker {

  /** Returns the current reading in nanoseconds, relative to an arbitrary fixed origin. */
  long read();
}
