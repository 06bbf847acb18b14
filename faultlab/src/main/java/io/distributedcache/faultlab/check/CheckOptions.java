package io.distributedcache.faultlab.check;

/**
 * Bounds and limits for the checkers. Immutable; start from {@link #defaults()} and change one
 * value with the {@code with*} methods.
 *
 * @param ttlSlackMillis how far a TTL may be off in either direction before {@link TtlWindow}
 *     reports it: message transit between nodes (DESIGN.md section 4) plus client round trips
 * @param maxSearchSteps the most steps {@link Linearizability} spends on one segment of one key
 *     before it gives up and counts the segment as unknown
 * @param maxOpsPerSegment the most operations {@link Linearizability} searches in one segment (a
 *     stretch of a key's history between two moments when no operation was pending); longer
 *     segments are skipped with a note
 * @param sessionsSpanReconnects true if {@link SessionGuarantees} checks a whole session, across
 *     the processes that take it over after an unknown outcome (the harness hands the causality
 *     token on); false to check each process (one connection) on its own
 */
public record CheckOptions(
    long ttlSlackMillis,
    long maxSearchSteps,
    int maxOpsPerSegment,
    boolean sessionsSpanReconnects) {

  /** Default slack for TTL checks. */
  public static final long DEFAULT_TTL_SLACK_MILLIS = 1000;

  /** Default search budget per segment; a few seconds of CPU at most. */
  public static final long DEFAULT_MAX_SEARCH_STEPS = 2_000_000;

  /** Default segment size limit. */
  public static final int DEFAULT_MAX_OPS_PER_SEGMENT = 200;

  public CheckOptions {
    if (ttlSlackMillis < 0) {
      throw new IllegalArgumentException("ttlSlackMillis must be >= 0: " + ttlSlackMillis);
    }
    if (maxSearchSteps <= 0) {
      throw new IllegalArgumentException("maxSearchSteps must be > 0: " + maxSearchSteps);
    }
    if (maxOpsPerSegment <= 0) {
      throw new IllegalArgumentException("maxOpsPerSegment must be > 0: " + maxOpsPerSegment);
    }
  }

  /** The defaults: 1000 ms TTL slack, 2,000,000 search steps, 200 ops per segment, sessions. */
  public static CheckOptions defaults() {
    return new CheckOptions(
        DEFAULT_TTL_SLACK_MILLIS, DEFAULT_MAX_SEARCH_STEPS, DEFAULT_MAX_OPS_PER_SEGMENT, true);
  }

  /** A copy with another TTL slack. */
  public CheckOptions withTtlSlackMillis(long value) {
    return new CheckOptions(value, maxSearchSteps, maxOpsPerSegment, sessionsSpanReconnects);
  }

  /** A copy with another search budget. */
  public CheckOptions withMaxSearchSteps(long value) {
    return new CheckOptions(ttlSlackMillis, value, maxOpsPerSegment, sessionsSpanReconnects);
  }

  /** A copy with another segment size limit. */
  public CheckOptions withMaxOpsPerSegment(int value) {
    return new CheckOptions(ttlSlackMillis, maxSearchSteps, value, sessionsSpanReconnects);
  }

  /** A copy that checks sessions ({@code true}) or single processes ({@code false}). */
  public CheckOptions withSessionsSpanReconnects(boolean value) {
    return new CheckOptions(ttlSlackMillis, maxSearchSteps, maxOpsPerSegment, value);
  }
}
