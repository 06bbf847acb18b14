package io.distributedcache.faultlab.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.faultlab.check.RunSummary;
import io.distributedcache.faultlab.check.Table;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The long runs, only under {@code -Pfaultlab} (the default build excludes this class): every
 * schedule of {@code -Dfaultlab.schedules} (default all) {@code -Dfaultlab.runs} times (default 3)
 * for {@code -Dfaultlab.seconds} each (default 60) on {@code -Dfaultlab.nodes} nodes (default 3),
 * a fresh cluster per run; prints the table fault, runs, operations, violations and fails if any
 * run had a violation or did not heal. Run seeds derive from {@code -Dfaultlab.seed} (printed),
 * the schedule and the run number; {@code -Dfaultlab.runSeed=N} runs each listed schedule once
 * with the run seed N (the one a run prints), to replay it.
 */
class FaultLabScheduleTableTest {

  @Test
  void everyScheduleRunsWithoutViolations() {
    List<Schedule> schedules = Schedule.parseList(System.getProperty("faultlab.schedules", "all"));
    String runSeed = System.getProperty("faultlab.runSeed", "").trim();
    int runs =
        runSeed.isEmpty() ? Integer.parseInt(System.getProperty("faultlab.runs", "3").trim()) : 1;
    int seconds = Integer.parseInt(System.getProperty("faultlab.seconds", "60").trim());
    int nodes = Integer.parseInt(System.getProperty("faultlab.nodes", "3").trim());
    long seed = FaultLab.seedFromProperty();
    System.out.printf(
        "[faultlab] table: %s x %d runs x %d s on %d nodes, seed %d%n",
        schedules, runs, seconds, nodes, seed);
    List<RunSummary> rows = new ArrayList<>();
    List<String> bad = new ArrayList<>();
    for (Schedule schedule : schedules) {
      if (schedule == Schedule.CLOCK_OFFSET && !LabCluster.faketimeAvailable()) {
        System.out.println("[faultlab] skipping clock-offset: /usr/bin/faketime not installed");
        continue;
      }
      List<FaultLab.RunResult> results = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        // A run's seed depends only on (seed, schedule, run number), so a subset of schedules
        // replays the same runs; -Dfaultlab.runSeed=N replays one run printed by another table.
        long thisSeed =
            runSeed.isEmpty()
                ? new SplittableRandom(seed + 1_000_003L * schedule.ordinal() + i).nextLong()
                    & Long.MAX_VALUE
                : Long.parseLong(runSeed);
        FaultLab.RunConfig config =
            new FaultLab.RunConfig(
                schedule,
                thisSeed,
                nodes,
                Duration.ofSeconds(seconds),
                0,
                FaultLabMixedTest.Lab.serverJar(),
                FaultLabMixedTest.Lab.historyDir());
        FaultLab.RunResult r = FaultLab.run(config);
        results.add(r);
        if (r.violations() > 0 || !r.problems().isEmpty()) {
          bad.add(r.line());
        }
      }
      rows.add(FaultLab.tableRow(schedule.label() + ", " + seconds + " s", results));
      System.out.print("[faultlab] table so far:\n" + Table.runs(rows));
    }
    String table = Table.runs(rows);
    System.out.print("\n[faultlab] RESULT TABLE\n" + table);
    assertThat(bad).as("runs with violations or problems\n" + table).isEmpty();
  }
}
