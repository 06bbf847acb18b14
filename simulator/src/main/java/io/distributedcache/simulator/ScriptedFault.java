package io.distributedcache.simulator;

import java.time.Duration;
import java.util.Objects;

/**
 * A fault a scenario schedules at a fixed moment of the workload, on top of (or instead of) the
 * random {@link FaultProfile}. Times are milliseconds of simulated time since the start.
 */
public sealed interface ScriptedFault {

  /** When the fault starts, in simulated milliseconds since the start of the run. */
  long atMillis();

  /** Cuts every link to and from {@code node} (both directions) for {@code forMillis}. */
  record Isolate(long atMillis, int node, long forMillis) implements ScriptedFault {}

  /** Cuts the one-way link {@code from -> to} for {@code forMillis}. */
  record CutLink(long atMillis, int from, int to, long forMillis) implements ScriptedFault {}

  /** Crashes {@code node} (it loses all memory) and restarts it {@code downMillis} later. */
  record Crash(long atMillis, int node, long downMillis) implements ScriptedFault {}

  /** Crashes the primary of {@code key}'s slot and restarts it {@code downMillis} later. */
  record CrashPrimaryOf(long atMillis, String key, long downMillis) implements ScriptedFault {
    public CrashPrimaryOf {
      Objects.requireNonNull(key, "key");
    }
  }

  /** Steps {@code node}'s wall clock by {@code step} (negative: backwards); its ticker stays. */
  record StepWallClock(long atMillis, int node, Duration step) implements ScriptedFault {
    public StepWallClock {
      Objects.requireNonNull(step, "step");
    }
  }
}
