package io.distributedcache.simulator;

import java.time.Duration;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Which faults a simulation injects while its workload runs, and how often. All of them stop when
 * the workload ends and the cluster is healed (see {@link Simulation}).
 *
 * @param dropProbability chance that one message silently disappears while its connection stays up
 * @param duplicateProbability chance that a message is delivered twice (the copy up to {@link
 *     SimNetwork#MAX_DUPLICATE_DELAY_NANOS} after the original)
 * @param reorderProbability chance that a message leaves its connection's FIFO order (TCP keeps
 *     per-connection order; this is the fault where it does not)
 * @param slowMessageProbability chance that a message takes 5 to 50 ms instead of 0.1 to 5 ms
 * @param partitions whether sets of links are cut (symmetric or one-way) for a while, then healed
 * @param crashes whether nodes crash (losing all memory) and restart; at most one node is down or
 *     catching up at a time, unless {@code overlappingCrashes}
 * @param overlappingCrashes whether a node may crash while another is down or catching up (at
 *     least one node stays up): data loss becomes possible, and the checkers skip what it excuses
 * @param clockSteps whether wall clocks jump forward and backward while the nodes run
 * @param slowLinks whether single links become slow (20 to 50 ms per message) for a while
 * @param maxClockStep the largest single wall-clock jump
 */
public record FaultProfile(
    double dropProbability,
    double duplicateProbability,
    double reorderProbability,
    double slowMessageProbability,
    boolean partitions,
    boolean crashes,
    boolean overlappingCrashes,
    boolean clockSteps,
    boolean slowLinks,
    Duration maxClockStep) {

  /** No faults at all: a perfect network and clocks that only drift by their initial skew. */
  public static final FaultProfile NONE =
      new FaultProfile(0, 0, 0, 0, false, false, false, false, false, Duration.ZERO);

  /** Every fault, at moderate rates. */
  public static final FaultProfile ALL =
      new FaultProfile(
          0.02, 0.02, 0.05, 0.02, true, true, false, true, true, Duration.ofHours(2));

  public FaultProfile {
    checkProbability(dropProbability, "dropProbability");
    checkProbability(duplicateProbability, "duplicateProbability");
    checkProbability(reorderProbability, "reorderProbability");
    checkProbability(slowMessageProbability, "slowMessageProbability");
    Objects.requireNonNull(maxClockStep, "maxClockStep");
  }

  /**
   * A fault mix drawn from {@code random}: each family is on or off, each rate one of a few levels,
   * so that a sweep of seeds covers quiet runs, single faults and everything at once.
   */
  public static FaultProfile random(SplittableRandom random) {
    double drop = pick(random, 0, 0, 0.005, 0.02, 0.08);
    double duplicate = pick(random, 0, 0, 0.01, 0.05);
    double reorder = pick(random, 0, 0.02, 0.1, 0.3);
    double slow = pick(random, 0, 0.01, 0.05);
    boolean partitions = random.nextInt(100) < 60;
    boolean crashes = random.nextInt(100) < 60;
    boolean overlapping = crashes && random.nextInt(100) < 15;
    return new FaultProfile(
        drop,
        duplicate,
        reorder,
        slow,
        partitions,
        crashes,
        overlapping,
        random.nextInt(100) < 60,
        random.nextInt(100) < 40,
        Duration.ofHours(2));
  }

  private static double pick(SplittableRandom random, double... levels) {
    return levels[random.nextInt(levels.length)];
  }

  private static void checkProbability(double p, String name) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException(name + " must be in [0, 1]: " + p);
    }
  }

  /** A short description for failure reports. */
  public String describe() {
    return String.format(
        java.util.Locale.ROOT,
        "drop=%.3f dup=%.3f reorder=%.3f slow=%.3f partitions=%s crashes=%s%s clockSteps=%s"
            + " slowLinks=%s",
        dropProbability,
        duplicateProbability,
        reorderProbability,
        slowMessageProbability,
        partitions,
        crashes,
        overlappingCrashes ? "(overlapping)" : "",
        clockSteps,
        slowLinks);
  }
}
