package io.distributedcache.core.storage;

/**
 * What the store keeps for a key: the value, its version and its deadline.
 *
 * <ul>
 *   <li>{@link #value()}: the bytes, or {@code null} for a tombstone (a recent delete, kept for a
 *       grace period so that a late replica write with an older version cannot resurrect the key);
 *   <li>{@link #version()}: the {@code HybridLogicalClock} version of the write that produced it;
 *   <li>{@link #deadlineNanos()}: when it expires, as a reading of the node's own {@code Ticker},
 *       or {@link #NO_DEADLINE}. Never a wall-clock time: expiry travels between nodes as a
 *       remaining duration and each node turns it into its own deadline (seed bug 1).
 * </ul>
 *
 * <p>Memory per key is a benchmark target, so this is exactly three fields (32 bytes with
 * compressed oops) and not a record: a record would give {@code equals} by array identity, which is
 * misleading. The value array is owned by this object and never modified after construction:
 * readers take it without locks.
 *
 * <p>Thread-safe (immutable).
 */
public final class VersionedValue {

  /** The deadline of a value that never expires. */
  public static final long NO_DEADLINE = Long.MAX_VALUE;

  private final byte[] value;
  private final long version;
  private final long deadlineNanos;

  /**
   * Creates a value; takes ownership of {@code value} without copying.
   *
   * @param value the bytes, or {@code null} for a tombstone
   * @param version the HLC version of the write
   * @param deadlineNanos ticker reading at which it expires, or {@link #NO_DEADLINE}
   */
  public VersionedValue(byte[] value, long version, long deadlineNanos) {
    this.value = value;
    this.version = version;
    this.deadlineNanos = deadlineNanos;
  }

  /** A live value that never expires. */
  public static VersionedValue of(byte[] value, long version) {
    return new VersionedValue(value, version, NO_DEADLINE);
  }

  /**
   * A tombstone. With {@link #NO_DEADLINE} the store replaces the deadline by its tombstone grace
   * period when the tombstone is written.
   */
  public static VersionedValue tombstone(long version, long deadlineNanos) {
    return new VersionedValue(null, version, deadlineNanos);
  }

  /** The bytes (not a copy: do not modify), or {@code null} for a tombstone. */
  public byte[] value() {
    return value;
  }

  /** The HLC version of the write that produced this value. */
  public long version() {
    return version;
  }

  /** The ticker reading at which this expires, or {@link #NO_DEADLINE}. */
  public long deadlineNanos() {
    return deadlineNanos;
  }

  /** Whether this value expires at all. */
  public boolean hasDeadline() {
    return deadlineNanos != NO_DEADLINE;
  }

  /** Whether this is a tombstone (a delete marker). */
  public boolean isTombstone() {
    return value == null;
  }

  /**
   * Whether this is a value (not a tombstone) whose deadline is still ahead of {@code nowNanos}.
   */
  public boolean isLive(long nowNanos) {
    return value != null && nowNanos < deadlineNanos;
  }

  /** Remaining time to live at {@code nowNanos}, never negative; {@code Long.MAX_VALUE} if none. */
  public long remainingNanos(long nowNanos) {
    if (deadlineNanos == NO_DEADLINE) {
      return Long.MAX_VALUE;
    }
    long remaining = deadlineNanos - nowNanos;
    // Overflow-safe: if the subtraction wrapped, the deadline is farther than a long can say.
    if (((deadlineNanos ^ nowNanos) & (deadlineNanos ^ remaining)) < 0) {
      return deadlineNanos > nowNanos ? Long.MAX_VALUE : 0;
    }
    return Math.max(0, remaining);
  }

  /**
   * Returns the deadline {@code durationNanos} after {@code nowNanos}. Saturates instead of
   * overflowing: a deadline too far to represent becomes {@code NO_DEADLINE - 1} (it still counts
   * as a TTL, it just never arrives), so a huge TTL can never wrap into the past.
   */
  public static long deadlineAfter(long nowNanos, long durationNanos) {
    long deadline = nowNanos + durationNanos;
    if (durationNanos > 0 && deadline < nowNanos) {
      return NO_DEADLINE - 1;
    }
    if (durationNanos < 0 && deadline > nowNanos) {
      return Long.MIN_VALUE;
    }
    return deadline == NO_DEADLINE ? NO_DEADLINE - 1 : deadline;
  }

  @Override
  public String toString() {
    return "VersionedValue{"
        + (value == null ? "tombstone" : value.length + " bytes")
        + ", version="
        + Long.toHexString(version)
        + ", deadlineNanos="
        + (deadlineNanos == NO_DEADLINE ? "none" : Long.toString(deadlineNanos))
        + '}';
  }
}
