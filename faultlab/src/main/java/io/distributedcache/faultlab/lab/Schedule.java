package io.distributedcache.faultlab.lab;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A named fault schedule: which {@link Faults} actions a run applies, in which order, with calm
 * periods of 2-4 s between them, until the run's fault period is over. Every schedule but {@link
 * #CLOCK_OFFSET} starts every node with the real clock.
 */
public enum Schedule {
  /** kill -9 a random node, restart it 3-6 s later (same data directory); repeat. */
  KILL_RESTART("kill-restart"),
  /** SIGSTOP a random node for 5-10 s, then SIGCONT; repeat. */
  PAUSE("pause"),
  /** Cut a random minority from the majority for 5-10 s (close or black-hole); repeat. */
  PARTITION_MAJORITY_MINORITY("partition-majority-minority"),
  /** Cut off the current primary of the hot key r0 for 5-10 s; repeat. */
  PARTITION_ISOLATED_PRIMARY("partition-isolated-primary"),
  /** One direction only: a node's messages to the others, or theirs to it, for 5-10 s; repeat. */
  ASYMMETRIC("asymmetric"),
  /** A minority's partition toggled every 1-2 s for 6-10 s; repeat. */
  FLAPPING("flapping"),
  /** 10-100 ms latency with jitter and resets on every link for 5-10 s; repeat. */
  LATENCY_LOSS("latency-loss"),
  /**
   * One node runs with its clock 90 s ahead (libfaketime, past the 60 s skew warning), and on a
   * five-node cluster another 45 s behind; faults alternate kill-restart and minority partitions.
   */
  CLOCK_OFFSET("clock-offset"),
  /** A new node joins under latency, a minority partition, then another member leaves; repeat. */
  MEMBERSHIP("membership"),
  /**
   * kill-restart, then a minority partition, then the other faults in a seeded random order
   * (pause, isolated primary, asymmetric, flapping, latency-loss, kill-restart, partition); repeat.
   */
  MIXED("mixed");

  private final String label;

  Schedule(String label) {
    this.label = label;
  }

  /** The name used on the command line, in file names and in the table. */
  public String label() {
    return label;
  }

  /** The schedule called {@code name} (its label, case-insensitive). */
  public static Schedule byLabel(String name) {
    for (Schedule s : values()) {
      if (s.label.equalsIgnoreCase(name.trim())) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "no schedule " + name + "; known: " + Arrays.stream(values()).map(Schedule::label).toList());
  }

  /** {@code all} or a comma-separated list of labels. */
  public static List<Schedule> parseList(String spec) {
    if (spec == null || spec.isBlank() || spec.trim().toLowerCase(Locale.ROOT).equals("all")) {
      return List.of(values());
    }
    List<Schedule> list = new ArrayList<>();
    for (String name : spec.split(",")) {
      list.add(byLabel(name));
    }
    return list;
  }

  /** Node id to libfaketime offset for the nodes this schedule starts with a shifted clock. */
  public Map<String, String> clockOffsets(int nodes, SplittableRandom random) {
    Map<String, String> offsets = new LinkedHashMap<>();
    if (this == CLOCK_OFFSET) {
      int ahead = 1 + random.nextInt(nodes);
      offsets.put("n" + ahead, "+90s");
      if (nodes >= 5) {
        offsets.put("n" + (ahead % nodes + 1), "-45s");
      }
    }
    return offsets;
  }

  /**
   * Applies the faults until {@code faults} says the period is over, at most {@code maxFaults} of
   * them (0: no limit; after the last one the period runs out calm).
   */
  void run(Faults faults, SplittableRandom random, int maxFaults) {
    List<Runnable> mixed = new ArrayList<>();
    boolean first = true;
    int done = 0;
    while (!faults.over()) {
      faults.calm(2_000, 4_000);
      if (faults.over()) {
        return;
      }
      if (maxFaults > 0 && done >= maxFaults) {
        continue;
      }
      done++;
      switch (this) {
        case KILL_RESTART -> faults.killRestart();
        case PAUSE -> faults.pause();
        case PARTITION_MAJORITY_MINORITY -> faults.partitionMajorityMinority();
        case PARTITION_ISOLATED_PRIMARY -> faults.partitionIsolatedPrimary();
        case ASYMMETRIC -> faults.asymmetric();
        case FLAPPING -> faults.flapping();
        case LATENCY_LOSS -> faults.latencyLoss();
        case CLOCK_OFFSET -> {
          if (first) {
            faults.killRestart();
          } else {
            faults.partitionMajorityMinority();
          }
          first = !first;
        }
        case MEMBERSHIP -> faults.membership();
        case MIXED -> {
          if (mixed.isEmpty()) {
            mixed.addAll(mixedRound(faults, random, first));
            first = false;
          }
          mixed.remove(0).run();
        }
      }
    }
  }

  private static List<Runnable> mixedRound(Faults f, SplittableRandom random, boolean firstRound) {
    List<Runnable> rest =
        new ArrayList<>(
            List.of(
                f::pause,
                f::partitionIsolatedPrimary,
                f::asymmetric,
                f::flapping,
                f::latencyLoss,
                f::killRestart,
                f::partitionMajorityMinority));
    for (int i = rest.size() - 1; i > 0; i--) { // seeded Fisher-Yates
      int j = random.nextInt(i + 1);
      Runnable t = rest.get(i);
      rest.set(i, rest.get(j));
      rest.set(j, t);
    }
    List<Runnable> round = new ArrayList<>();
    if (firstRound) {
      round.add(f::killRestart);
      round.add(f::partitionMajorityMinority);
    }
    round.addAll(rest);
    return round;
  }
}
