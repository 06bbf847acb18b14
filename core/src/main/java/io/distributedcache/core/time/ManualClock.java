package io.distributedcache.core.time;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} and {@link WallClock} that move only when told to: the clock of tests and of the
 * deterministic simulator.
 *
 * <p>Design note: the two readings are independent counters. {@link #advance} moves both (real time
 * passing), {@link #stepWallClock} and {@link #setWallClockMillis} move only the wall clock (an NTP
 * step, a DST mistake, an operator with {@code date -s}), which is exactly the situation in which
 * nothing that measures durations may change (seed bug 1). The wall clock is kept in nanoseconds so
 * that many sub-millisecond advances add up to whole milliseconds, as real time does.
 *
 * <p>Thread-safe: both counters are {@link AtomicLong}s, so any thread may read or move the clock.
 * {@link #advance} updates the two counters one after the other, so a concurrent reader may see the
 * ticker already moved and the wall clock not yet; tests that need a consistent pair move time from
 * one thread while nothing else runs. No method blocks; only argument checks throw.
 */
public final class ManualClock implements Ticker, WallClock {

  private static final long NANOS_PER_MILLI = 1_000_000L;

  private final AtomicLong tickerNanos;
  private final AtomicLong wallNanos;

  /**
   * Creates a clock.
   *
   * @param startNanos the first {@link #read()} value; any value, as with {@code System.nanoTime}
   * @param startWallMillis the first {@link #currentTimeMillis()} value, Unix milliseconds
   */
  public ManualClock(long startNanos, long startWallMillis) {
    this.tickerNanos = new AtomicLong(startNanos);
    this.wallNanos = new AtomicLong(Math.multiplyExact(startWallMillis, NANOS_PER_MILLI));
  }

  @Override
  public long read() {
    return tickerNanos.get();
  }

  @Override
  public long currentTimeMillis() {
    return Math.floorDiv(wallNanos.get(), NANOS_PER_MILLI);
  }

  /**
   * Lets {@code d} of real time pass: moves the ticker and the wall clock forward by {@code d}.
   *
   * @throws IllegalArgumentException if {@code d} is negative (a ticker never goes backwards)
   */
  public void advance(Duration d) {
    long nanos = d.toNanos();
    if (nanos < 0) {
      throw new IllegalArgumentException("a ticker cannot go backwards: " + d);
    }
    tickerNanos.addAndGet(nanos);
    wallNanos.addAndGet(nanos);
  }

  /** Moves only the wall clock by {@code delta}, which may be negative; the ticker stays put. */
  public void stepWallClock(Duration delta) {
    wallNanos.addAndGet(Objects.requireNonNull(delta, "delta").toNanos());
  }

  /** Sets only the wall clock to {@code wallMillis} (Unix milliseconds); the ticker stays put. */
  public void setWallClockMillis(long wallMillis) {
    wallNanos.set(Math.multiplyExact(wallMillis, NANOS_PER_MILLI));
  }

  @Override
  public String toString() {
    return "ManualClock{tickerNanos=" + read() + ", wallMillis=" + currentTimeMillis() + '}';
  }
}
