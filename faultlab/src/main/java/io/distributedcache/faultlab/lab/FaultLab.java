package io.distributedcache.faultlab.lab;

import io.distributedcache.faultlab.check.CheckOptions;
import io.distributedcache.faultlab.check.CheckResult;
import io.distributedcache.faultlab.check.Checkers;
import io.distributedcache.faultlab.check.RunSummary;
import io.distributedcache.faultlab.check.Table;
import io.distributedcache.faultlab.history.HistoryFile;
import io.distributedcache.faultlab.history.Op;
import io.distributedcache.faultlab.workload.HistoryRecorder;
import io.distributedcache.faultlab.workload.Workload;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs one fault-lab run: start a cluster behind the fault proxy, drive the {@link Workload}
 * while the {@link Schedule}'s faults play, heal everything, wait for the cluster to settle, read
 * every key through every node, write the history and run the checkers.
 *
 * <p>A run is reproducible in its choices (victims, durations, modes, operations: everything drawn
 * from the seed, which it prints) though not in its timing, which belongs to real processes. Files
 * of a run {@code <schedule>-<seed>} in the history directory: {@code .jsonl} (the history, {@link
 * HistoryFile}), {@code .faults.txt} (the fault log and the check results) and the directory with
 * the nodes' logs. Blocking; for one thread at a time per history directory.
 */
public final class FaultLab {

  /** How long the cluster may take to settle after the heal. */
  static final Duration HEAL_TIMEOUT = Duration.ofSeconds(60);

  /** How long CLUSTER VERIFY may take to report the replicas in agreement after the heal. */
  static final Duration VERIFY_TIMEOUT = Duration.ofSeconds(30);

  /** Level of the final reads: ONE reads the node's own copy, which is what convergence is about. */
  static final String FINAL_READ_LEVEL = "ONE";

  private FaultLab() {}

  /**
   * What to run.
   *
   * @param schedule the faults
   * @param seed every random choice of the run derives from it
   * @param nodes founders, 3 or 5
   * @param workload how long the workload and the faults run (a fault in progress at the end is
   *     finished first: a membership change can take longer)
   * @param maxFaults at most this many faults (0: as many as fit)
   * @param serverJar the shaded server jar the nodes run
   * @param historyDir where histories, reports and node logs go
   */
  public record RunConfig(
      Schedule schedule,
      long seed,
      int nodes,
      Duration workload,
      int maxFaults,
      Path serverJar,
      Path historyDir) {}

  /**
   * What a run produced.
   *
   * @param schedule the schedule's label
   * @param seed the seed (replay: {@code -Dfaultlab.seed=<seed>})
   * @param operations client operations invoked during the faults (final reads not counted)
   * @param ok operations that completed OK
   * @param failed operations that completed FAIL
   * @param unknown operations that completed INFO
   * @param finalReads final reads invoked
   * @param okByFunction OK operations per function
   * @param results the checkers' results
   * @param faultLog the fault events
   * @param problems what kept the run from healing or settling (empty when all went to plan)
   * @param historyFile the history written
   */
  public record RunResult(
      String schedule,
      long seed,
      long operations,
      long ok,
      long failed,
      long unknown,
      long finalReads,
      Map<String, Long> okByFunction,
      List<CheckResult> results,
      List<String> faultLog,
      List<String> problems,
      Path historyFile) {

    /** Violations over all checkers. */
    public long violations() {
      return results.stream().mapToLong(r -> r.violations().size()).sum();
    }

    /** Items the checkers could not decide. */
    public long undecided() {
      return results.stream().mapToLong(CheckResult::unknown).sum();
    }

    /** One line for logs. */
    public String line() {
      return String.format(
          java.util.Locale.ROOT,
          "%s seed=%d: %d ops (%d ok, %d fail, %d info), %d final reads, %d violations,"
              + " %d undecided%s",
          schedule, seed, operations, ok, failed, unknown, finalReads, violations(), undecided(),
          problems.isEmpty() ? "" : ", problems: " + problems);
    }
  }

  /** Starts a cluster for the run, runs it ({@link #run(LabCluster, RunConfig)}) and stops it. */
  public static RunResult run(RunConfig config) {
    Path runDir = config.historyDir().resolve(config.schedule().label() + "-" + config.seed());
    Map<String, String> offsets =
        config.schedule().clockOffsets(config.nodes(), new SplittableRandom(config.seed() ^ 0x5eed));
    if (!offsets.isEmpty() && !LabCluster.faketimeAvailable()) {
      throw new IllegalStateException(
          config.schedule().label() + " needs /usr/bin/faketime (apt-get install faketime)");
    }
    System.out.printf(
        "[faultlab] run %s seed=%d (replay: -Dfaultlab.seed=%d) nodes=%d workload=%ds%s%n",
        config.schedule().label(), config.seed(), config.seed(), config.nodes(),
        config.workload().toSeconds(), offsets.isEmpty() ? "" : " clock offsets " + offsets);
    LabCluster.Config clusterConfig =
        new LabCluster.Config(
            config.nodes(),
            config.serverJar(),
            runDir,
            List.of("--anti-entropy-interval", "5s"),
            offsets,
            config.seed());
    try (LabCluster cluster = LabCluster.start(clusterConfig)) {
      return run(cluster, config);
    }
  }

  /**
   * Runs the workload and the faults on a running {@code cluster} for {@code config.workload()},
   * heals, settles, reads back, writes the history and checks it. The cluster is left running
   * (healed) for the caller to close.
   */
  public static RunResult run(LabCluster cluster, RunConfig config) {
    SplittableRandom random = new SplittableRandom(config.seed());
    HistoryRecorder history = new HistoryRecorder();
    Workload workload =
        new Workload(cluster, history, Workload.Settings.defaults(random.nextLong()));
    long startNanos = System.nanoTime();
    Faults faults = new Faults(cluster, random.split(), startNanos, config.workload(), "r0");
    List<String> problems = new ArrayList<>();
    workload.start();
    try {
      config.schedule().run(faults, random.split(), config.maxFaults());
    } catch (RuntimeException e) {
      problems.add("fault schedule failed: " + e);
      faults.note("fault schedule failed: " + e);
    } finally {
      faults.healAll();
      workload.stop();
    }
    problems.addAll(faults.problems());
    faults.note("workload stopped after " + history.size() + " history lines");

    String unhealthy = cluster.awaitHealthy(HEAL_TIMEOUT);
    if (unhealthy != null) {
      problems.add("not healthy " + HEAL_TIMEOUT.toSeconds() + " s after the heal: " + unhealthy);
    }
    faults.note(unhealthy == null ? "cluster healthy" : "cluster NOT healthy: " + unhealthy);
    String verify = cluster.awaitVerifyOk(VERIFY_TIMEOUT);
    faults.note(verify == null ? "CLUSTER VERIFY ok" : "CLUSTER VERIFY not ok: " + verify);
    if (verify != null) {
      problems.add("CLUSTER VERIFY not ok " + VERIFY_TIMEOUT.toSeconds() + " s after the heal");
    }
    // Every TTL written must have run out before the final reads, so that nodes reading a TTL key
    // a few milliseconds apart do not see it on either side of its expiry.
    long ttlDone =
        workload.lastTtlWriteNanos()
            + TimeUnit.MILLISECONDS.toNanos(Workload.MAX_TTL_MILLIS + 1_500);
    long wait = ttlDone - System.nanoTime();
    if (wait > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(wait); // a fixed span of time, nothing to poll for
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    workload.finalReads(cluster.members(), FINAL_READ_LEVEL);

    List<Op> ops = history.ops();
    Path historyFile = config.historyDir().resolve(config.schedule().label() + "-" + config.seed() + ".jsonl");
    try {
      Files.createDirectories(config.historyDir());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    HistoryFile.write(historyFile, ops);
    List<CheckResult> results =
        Checkers.checkAll(ops, CheckOptions.defaults().withSessionsSpanReconnects(false));
    RunResult result = summarize(config, ops, results, faults.log(), problems, historyFile);
    writeReport(config, result);
    System.out.println("[faultlab] " + result.line());
    System.out.print(Table.results(results, 160));
    for (CheckResult r : results) {
      for (String v : r.violations().subList(0, Math.min(10, r.violations().size()))) {
        System.out.println("[faultlab] VIOLATION " + r.checker() + ": " + v);
      }
    }
    return result;
  }

  /** The table row of a schedule's runs. */
  public static RunSummary tableRow(String fault, List<RunResult> runs) {
    long operations = runs.stream().mapToLong(RunResult::operations).sum();
    List<CheckResult> all = new ArrayList<>();
    runs.forEach(r -> all.addAll(r.results()));
    return RunSummary.of(fault, runs.size(), operations, all);
  }

  private static RunResult summarize(
      RunConfig config,
      List<Op> ops,
      List<CheckResult> results,
      List<String> faultLog,
      List<String> problems,
      Path historyFile) {
    long operations = 0;
    long ok = 0;
    long failed = 0;
    long unknown = 0;
    long finalReads = 0;
    Map<String, Long> okByFunction = new LinkedHashMap<>();
    for (Op op : ops) {
      boolean fin = op.f().equals(Workload.FINAL_READ);
      switch (op.type()) {
        case INVOKE -> {
          if (fin) {
            finalReads++;
          } else {
            operations++;
          }
        }
        case OK -> {
          okByFunction.merge(op.f(), 1L, Long::sum);
          if (!fin) {
            ok++;
          }
        }
        case FAIL -> failed += fin ? 0 : 1;
        case INFO -> unknown += fin ? 0 : 1;
      }
    }
    return new RunResult(
        config.schedule().label(), config.seed(), operations, ok, failed, unknown, finalReads,
        okByFunction, results, faultLog, List.copyOf(problems), historyFile);
  }

  private static void writeReport(RunConfig config, RunResult result) {
    StringBuilder sb = new StringBuilder();
    sb.append(result.line()).append("\n\n# faults\n");
    result.faultLog().forEach(l -> sb.append(l).append('\n'));
    sb.append("\n# checks\n").append(Table.results(result.results(), 400));
    for (CheckResult r : result.results()) {
      r.violations().forEach(v -> sb.append("VIOLATION ").append(r.checker()).append(": ").append(v).append('\n'));
      r.notes().forEach(n -> sb.append("note ").append(r.checker()).append(": ").append(n).append('\n'));
    }
    Path file =
        config.historyDir().resolve(config.schedule().label() + "-" + config.seed() + ".faults.txt");
    try {
      Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The seed to use: {@code -Dfaultlab.seed} when set, else a fresh random one. */
  public static long seedFromProperty() {
    String text = System.getProperty("faultlab.seed", "");
    return text.isBlank() ? new SplittableRandom().nextLong() & Long.MAX_VALUE : Long.parseLong(text.trim());
  }
}
