package io.distributedcache.core.time;

/**
 * The wall clock: milliseconds since the Unix epoch, as the operating system believes them. It may
 * jump forwards or backwards at any moment.
 *
 * <p>Read only to show absolute times to people (TIME, EXPIRETIME), to turn an absolute command
 * (EXPIREAT, PXAT, EXAT) into a remaining duration at the node where it arrives, and as the physical
 * component of the {@code HybridLogicalClock}. Never used to decide whether something has expired.
 *
 * <p>Called from any thread; implementations must be thread-safe, must not block and must not throw.
 */
@FunctionalInterface
public interface WallClock {

  /** Returns the current wall-clock time in milliseconds since 1970-01-01T00:00:00Z. */
  long currentTimeMillis();
}
