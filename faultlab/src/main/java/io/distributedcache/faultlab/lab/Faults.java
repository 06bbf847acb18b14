package io.distributedcache.faultlab.lab;

import io.distributedcache.faultlab.proxy.LinkRule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The fault actions a {@link Schedule} strings together, on one {@link LabCluster}, each one
 * complete in itself (it injects the fault, holds it, and undoes it) and logged with its time since
 * the run started. Actions never hold a fault past the run's deadline by more than one second,
 * and they choose their victims, durations and modes from the run's seeded random.
 *
 * <p>Used only by the run's fault thread. An action that cannot do its work (no node to pick, a
 * restart that fails) logs it and returns; {@link #problems()} collects those for the summary.
 */
public final class Faults {

  private final LabCluster cluster;
  private final SplittableRandom random;
  private final long startNanos;
  private final long deadlineNanos;
  private final String hotKey;
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());
  private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
  private int nextJoiner;

  Faults(LabCluster cluster, SplittableRandom random, long startNanos, Duration length, String hotKey) {
    this.cluster = cluster;
    this.random = random;
    this.startNanos = startNanos;
    this.deadlineNanos = startNanos + length.toNanos();
    this.hotKey = hotKey;
    this.nextJoiner = cluster.members().size() + 1;
  }

  /** What happened, one line per event: {@code +12.3s kill -9 n2}. */
  public List<String> log() {
    return List.copyOf(log);
  }

  /** Actions that could not do what they meant to (a restart that failed, a join refused). */
  public List<String> problems() {
    return List.copyOf(problems);
  }

  /** Whether the run's fault period is over. */
  public boolean over() {
    return System.nanoTime() - deadlineNanos >= 0;
  }

  /** A quiet period of {@code minMillis..maxMillis} (cut at the deadline). */
  public void calm(long minMillis, long maxMillis) {
    hold(minMillis, maxMillis);
  }

  /** kill -9 a random running node, wait 3-6 s, restart it with the same data directory. */
  public void killRestart() {
    String victim = pick(cluster.responsive());
    if (victim == null) {
      return;
    }
    cluster.kill9(victim);
    note("kill -9 " + victim);
    hold(3_000, 6_000);
    restart(victim);
  }

  /** SIGSTOP a random node for 5-10 s, then SIGCONT. */
  public void pause() {
    String victim = pick(cluster.responsive());
    if (victim == null) {
      return;
    }
    cluster.pause(victim);
    note("SIGSTOP " + victim);
    hold(5_000, 10_000);
    cluster.resume(victim);
    note("SIGCONT " + victim);
  }

  /** Cut a random minority (size (n-1)/2, at least 1) from the majority for 5-10 s. */
  public void partitionMajorityMinority() {
    List<String> members = cluster.members();
    List<String> minority = pickSome(members, Math.max(1, (members.size() - 1) / 2));
    partition(minority, "minority " + minority, 5_000, 10_000);
  }

  /** Cut off the node that is primary of the hot key for 5-10 s. */
  public void partitionIsolatedPrimary() {
    String primary = cluster.primaryOf(hotKey);
    if (primary == null) {
      primary = pick(cluster.members());
    }
    partition(List.of(primary), "primary of " + hotKey + " " + primary, 5_000, 10_000);
  }

  /**
   * One direction only for 5-10 s: a random node's messages to all others are cut (it hears them,
   * they do not hear it), or the reverse.
   */
  public void asymmetric() {
    List<String> members = cluster.members();
    String node = pick(members);
    List<String> others = members.stream().filter(m -> !m.equals(node)).toList();
    LinkRule rule = partitionRule();
    boolean outbound = random.nextBoolean();
    if (outbound) {
      cluster.proxy().setRules(List.of(node), others, rule);
    } else {
      cluster.proxy().setRules(others, List.of(node), rule);
    }
    note("asymmetric " + rule + ": " + (outbound ? node + " -> " + others : others + " -> " + node));
    hold(5_000, 10_000);
    cluster.proxy().healAll();
    note("heal");
  }

  /** For 6-10 s, toggle a partition of a random minority every 1-2 s; then heal. */
  public void flapping() {
    List<String> members = cluster.members();
    List<String> minority = pickSome(members, Math.max(1, (members.size() - 1) / 2));
    List<String> majority = members.stream().filter(m -> !minority.contains(m)).toList();
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(6_000 + random.nextLong(4_001));
    boolean cut = false;
    int toggles = 0;
    while (System.nanoTime() - end < 0 && !over()) {
      if (cut) {
        cluster.proxy().healAll();
        note("flap: heal");
      } else {
        LinkRule rule = partitionRule();
        cluster.proxy().partition(minority, majority, rule);
        note("flap: partition " + rule + ": " + minority + " | " + majority);
      }
      cut = !cut;
      toggles++;
      hold(1_000, 2_000);
    }
    cluster.proxy().healAll();
    note("flapping partition of " + minority + ": " + toggles + " toggles, healed");
  }

  /** Every link: 10-100 ms delay, up to 50 ms jitter, resets with p 0.5-3% per chunk, 5-10 s. */
  public void latencyLoss() {
    List<String> members = cluster.members();
    LinkRule rule =
        LinkRule.delayAndLoss(
            10 + random.nextLong(91), random.nextLong(51), 0.005 + random.nextDouble() * 0.025);
    cluster.proxy().setRules(members, members, rule);
    note("all links " + rule);
    hold(5_000, 10_000);
    cluster.proxy().healAll();
    note("heal");
  }

  /**
   * Membership during faults: a new node joins while every link has 5-30 ms of latency and a
   * random node is cut off for part of the time; then a random founder-era member other than the
   * joiner leaves.
   */
  public void membership() {
    String joiner = "n" + (nextJoiner++);
    List<String> members = cluster.members();
    cluster.proxy().setRules(members, members, LinkRule.delay(5 + random.nextLong(26), 10));
    note("latency on all links; " + joiner + " joins");
    String joined = cluster.join(joiner, Duration.ofSeconds(60));
    cluster.proxy().healAll();
    if (joined != null) {
      problems.add("join " + joiner + ": " + joined);
      note("join " + joiner + " did not settle: " + joined);
    } else {
      note(joiner + " joined");
    }
    if (over()) {
      return;
    }
    partitionMajorityMinority();
    if (over()) {
      return;
    }
    List<String> candidates =
        cluster.responsive().stream().filter(m -> !m.equals(joiner)).toList();
    if (cluster.members().size() <= 3 || candidates.isEmpty()) {
      return;
    }
    String leaver = pick(candidates);
    note(leaver + " leaves (CLUSTER LEAVE)");
    String left = cluster.leave(leaver, Duration.ofSeconds(60));
    if (left != null) {
      problems.add("leave " + leaver + ": " + left);
      note("leave " + leaver + " did not settle: " + left);
    } else {
      note(leaver + " left");
    }
  }

  /** Heals everything: rules cleared, paused nodes resumed, killed nodes restarted. */
  public void healAll() {
    cluster.proxy().healAll();
    for (String id : cluster.paused()) {
      cluster.resume(id);
    }
    for (String id : cluster.down()) {
      restart(id);
    }
    note("healed everything");
  }

  // ---------------------------------------------------------------------------------------------

  private void partition(List<String> side, String what, long minMillis, long maxMillis) {
    List<String> others = cluster.members().stream().filter(m -> !side.contains(m)).toList();
    LinkRule rule = partitionRule();
    cluster.proxy().partition(side, others, rule);
    note("partition " + rule + ": " + what + " | " + others);
    hold(minMillis, maxMillis);
    cluster.proxy().healAll();
    note("heal");
  }

  private LinkRule partitionRule() {
    return random.nextBoolean() ? LinkRule.partitionClose() : LinkRule.blackHole();
  }

  private void restart(String id) {
    try {
      cluster.restart(id);
      note("restarted " + id);
    } catch (RuntimeException e) {
      problems.add("restart " + id + ": " + e.getMessage());
      note("restart of " + id + " failed: " + e.getMessage());
    }
  }

  private String pick(List<String> from) {
    return from.isEmpty() ? null : from.get(random.nextInt(from.size()));
  }

  private List<String> pickSome(List<String> from, int count) {
    List<String> copy = new ArrayList<>(from);
    List<String> chosen = new ArrayList<>();
    while (chosen.size() < count && !copy.isEmpty()) {
      chosen.add(copy.remove(random.nextInt(copy.size())));
    }
    return List.copyOf(chosen);
  }

  /** Holds the current fault for a random time in the range, ending at most 1 s past the deadline. */
  private void hold(long minMillis, long maxMillis) {
    long wanted = minMillis + random.nextLong(maxMillis - minMillis + 1);
    long untilDeadline = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()) + 1_000;
    long millis = Math.max(0, Math.min(wanted, untilDeadline));
    try {
      Thread.sleep(millis); // the fault's duration itself: nothing to poll for
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void note(String event) {
    String line =
        String.format(
            java.util.Locale.ROOT, "+%.1fs %s", (System.nanoTime() - startNanos) / 1e9, event);
    log.add(line);
    System.out.println("[faultlab] " + line);
  }
}
