package io.distributedcache.resp.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.time.ManualClock;
import io.distributedcache.resp.command.CommandSpec;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The per-command counters and histograms behind INFO commandstats and /metrics. */
class MetricsTest {

  private final ManualClock clock = new ManualClock(1_000_000_000L, 1_700_000_000_000L);
  private final NodeContext node =
      RespServer.standalone(ServerSettings.defaults(), clock, clock, new SplittableRandom(5))
          .node();

  @Test
  void bucketsAreUpperInclusiveOnTheSecondsScale() {
    assertThat(Metrics.bucket(0)).isZero();
    assertThat(Metrics.bucket(50_000)).isZero();
    assertThat(Metrics.bucket(50_001)).isEqualTo(1);
    assertThat(Metrics.leLabel(0)).isEqualTo("0.00005");
    assertThat(Metrics.leLabel(4)).isEqualTo("0.001");
    assertThat(Metrics.bucket(1_000_000_000L)).isEqualTo(Metrics.bucketCount() - 2);
    assertThat(Metrics.leLabel(Metrics.bucketCount() - 2)).isEqualTo("1");
    assertThat(Metrics.bucket(Long.MAX_VALUE)).isEqualTo(Metrics.bucketCount() - 1);
    assertThat(Metrics.leLabel(Metrics.bucketCount() - 1)).isEqualTo("+Inf");
  }

  @Test
  void snapshotCountsCallsFailuresAndRejections() {
    Metrics metrics = node.metrics();
    CommandSpec get = node.commands().lookup("get");
    CommandSpec set = node.commands().lookup("set");
    metrics.record(get, 10_000, false);
    metrics.record(get, 3_000_000, true);
    metrics.record(get, -5, false); // a ticker that went backwards counts as 0
    metrics.rejected(set);
    List<Metrics.CommandFigures> figures = metrics.snapshot();
    assertThat(figures).extracting(f -> f.spec().name()).containsExactly("get", "set");
    Metrics.CommandFigures g = figures.get(0);
    assertThat(g.calls()).isEqualTo(3);
    assertThat(g.failedCalls()).isEqualTo(1);
    assertThat(g.durationNanos()).isEqualTo(3_010_000);
    assertThat(g.bucketCounts()[0]).isEqualTo(2);
    assertThat(g.bucketCounts()[Metrics.bucket(3_000_000)]).isEqualTo(1);
    Metrics.CommandFigures s = figures.get(1);
    assertThat(s.calls()).isZero();
    assertThat(s.rejectedCalls()).isEqualTo(1);
    assertThat(ServerInfo.render(node, List.of("commandstats")))
        .contains("cmdstat_get:calls=3,usec=3010,usec_per_call=1003.33,rejected_calls=0,"
            + "failed_calls=1\r\n")
        .contains("cmdstat_set:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,"
            + "failed_calls=0\r\n");
    assertThat(ServerInfo.render(node, List.of())).doesNotContain("cmdstat_");
    assertThat(ServerInfo.render(node, List.of("all"))).contains("# Commandstats");
  }

  @Test
  void recordingACallAllocatesNothing() {
    Metrics metrics = node.metrics();
    SlowLog slowLog = node.slowLog();
    CommandSpec get = node.commands().lookup("get");
    CommandSpec set = node.commands().lookup("set");
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    long logged = 0;
    for (int i = 0; i < 20_000; i++) {
      metrics.record(get, i * 997L, false);
    }
    long before = threads.getThreadAllocatedBytes(tid);
    for (int i = 0; i < 200_000; i++) {
      long nanos = (i * 7919L) % 2_000_000_000L;
      metrics.record((i & 1) == 0 ? get : set, nanos, (i & 7) == 0);
      // What the connection handler does after each command: one comparison, no entry below it.
      logged += nanos >= slowLog.slowerThanNanos() ? 1 : 0;
    }
    long allocated = threads.getThreadAllocatedBytes(tid) - before;
    assertThat(logged).isPositive();
    // 200,000 calls: any per-call allocation would be megabytes; the bean itself costs a little.
    assertThat(allocated).isLessThan(4_096);
  }
}
