package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.SetParams;

/**
 * Seed bug 1, end to end: one node of three runs with its wall clock an hour ahead (libfaketime),
 * and TTLs must still mean the same span of time on every copy. A TTL shipped as an absolute wall
 * clock deadline would make the skewed node keep keys an hour too long, or the others drop its
 * keys at once; states carry the remaining time instead, measured on each node's monotonic ticker.
 *
 * <p>Skipped when {@code faketime} (Debian package faketime, installed by bin/install-test-deps)
 * is not on the PATH.
 */
@ExtendWith(Seeds.class)
class SeedBug1FaketimeTtlIT {

  private static final String SKEWED = "n3";
  private static final long SKEW_SECONDS = 3600;
  private static final long TTL_MILLIS = 3000;
  /** How long after its TTL a key may still be seen: transit plus a loaded 2-core box. */
  private static final long EXPIRY_BOUND_MILLIS = 500;

  private static ClusterHarness cluster;

  @BeforeAll
  static void startCluster() {
    assumeFalse(ServerProcess.referenceMode(), "cluster mode is DistributedCache's own");
    assumeTrue(onPath("faketime"), "faketime is not on the PATH (bin/install-test-deps)");
    cluster =
        ClusterHarness.start(
            3,
            List.of("--replication-factor", "3", "--consistency", "QUORUM"),
            Map.of(SKEWED, fakeClockPrefix("+1h")));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /**
   * A command prefix that runs the server with its wall clock shifted by {@code offset} (a
   * libfaketime offset such as {@code +1h}).
   *
   * <p>Why not simply {@code faketime -f +1h java ...}: the faketime 0.9.10 wrapper forks the
   * program and waits for it, so the PID we would hold is the wrapper's, and a SIGTERM to it does
   * not reach the server (observed: the JVM kept running). So we ask the wrapper which
   * environment it would give the program (it prints it when the program is {@code env}) and pass
   * that through {@code env(1)}, which execs: the PID is the server's own. The wrapper's
   * {@code FAKETIME_SHARED} (a shared-memory segment it removes when it exits) is left out.
   *
   * <p>Why the monotonic clock is faked too ({@code FAKETIME_DONT_FAKE_MONOTONIC} unset, and
   * removed if the test JVM has it): with {@code FAKETIME_DONT_FAKE_MONOTONIC=1} this JDK 17 busy-
   * spins while idle (observed: VM Thread, G1 Service, Monitor Deflation and the other periodic
   * threads all runnable, 60 to 80% CPU, a 3-node cluster on 2 cores barely responding),
   * apparently because libfaketime still shifts the deadlines of the JVM's timed waits, which
   * the JVM takes on CLOCK_MONOTONIC, so every wait times out at once. Faking CLOCK_MONOTONIC by
   * the same constant offset is harmless: the JVM and the server only use {@code
   * System.nanoTime()} differences, which the offset cancels out of.
   */
  static List<String> fakeClockPrefix(String offset) {
    CommandRunner.Result probe =
        CommandRunner.run(List.of("faketime", "-f", offset, "env"), "", Duration.ofSeconds(10));
    assertThat(probe.exitCode()).as("%s", probe).isZero();
    List<String> prefix = new ArrayList<>(List.of("env", "-u", "FAKETIME_DONT_FAKE_MONOTONIC"));
    for (String line : probe.stdout().split("\n")) {
      if (line.startsWith("LD_PRELOAD=") || line.startsWith("FAKETIME=")) {
        prefix.add(line);
      }
    }
    assertThat(prefix)
        .as("what faketime sets, from %s", probe)
        .anyMatch(s -> s.startsWith("LD_PRELOAD=") && s.contains("faketime"))
        .contains("FAKETIME=" + offset);
    return prefix;
  }

  private static boolean onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  private static long serverTimeMicros(Jedis jedis) {
    List<String> time = jedis.time();
    return Long.parseLong(time.get(0)) * 1_000_000 + Long.parseLong(time.get(1));
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void theSkewedNodeReallyRunsAnHourAhead() {
    Map<String, Long> secondsAhead = new HashMap<>();
    Jedis reference = cluster.jedis("n1");
    for (String id : cluster.ids()) {
      Jedis j = cluster.jedis(id);
      long ref = serverTimeMicros(reference);
      long theirs = serverTimeMicros(j);
      secondsAhead.put(id, TimeUnit.MICROSECONDS.toSeconds(theirs - ref));
    }
    for (String id : cluster.ids()) {
      long expected = id.equals(SKEWED) ? SKEW_SECONDS : 0;
      assertThat(secondsAhead.get(id))
          .as("TIME of %s minus TIME of n1, in seconds: %s", id, secondsAhead)
          .isBetween(expected - 5, expected + 5);
    }
  }

  /**
   * An absolute expiry means the clock of the node the client talks to: sent through a node with
   * a true clock for a key whose primary runs an hour ahead, {@code PEXPIREAT now+60s} and {@code
   * SET ... PXAT now+60s} leave a minute to live, not minus an hour (which the primary's own clock
   * would make of it, deleting the key at once).
   */
  @Test
  void anAbsoluteExpiryMeansTheClockOfTheNodeItArrivesAt() {
    String via = cluster.ids().stream().filter(id -> !id.equals(SKEWED)).findFirst().orElseThrow();
    Jedis jedis = cluster.jedis(via, "ALL");
    String expireAtKey = cluster.keyWithPrimary(SKEWED, "abs:expireat:");
    String pxatKey = cluster.keyWithPrimary(SKEWED, "abs:pxat:");
    long inAMinute = serverTimeMicros(jedis) / 1000 + 60_000;
    assertThat(jedis.set(expireAtKey, "v")).isEqualTo("OK");
    assertThat(jedis.pexpireAt(expireAtKey, inAMinute)).isEqualTo(1);
    assertThat(
            jedis.set(
                pxatKey, "v", redis.clients.jedis.params.SetParams.setParams().pxAt(inAMinute)))
        .isEqualTo("OK");
    for (String id : cluster.ids()) {
      Jedis reader = cluster.jedis(id, "ONE");
      for (String key : List.of(expireAtKey, pxatKey)) {
        assertThat(reader.pttl(key))
            .as("PTTL of %s on %s (primary %s runs an hour ahead)", key, id, SKEWED)
            .isBetween(50_000L, 60_000L);
      }
    }
  }

  /** One key's SET: when it was sent and acknowledged, on the test's monotonic clock. */
  private record Written(String key, String via, String primary, long sentNanos, long ackNanos) {
    long earliestExpiryNanos() {
      // The primary starts the TTL after the SET was sent; no copy may expire before it does.
      return sentNanos + TimeUnit.MILLISECONDS.toNanos(TTL_MILLIS);
    }

    /**
     * A copy may expire up to one transit later than the primary's (it adds the remaining TTL to
     * its own ticker on arrival), and at ALL every copy arrived before the acknowledgement: so
     * from the acknowledgement, not the sending, which on a loaded box can be far apart.
     */
    long latestExpiryNanos() {
      return ackNanos + TimeUnit.MILLISECONDS.toNanos(TTL_MILLIS + EXPIRY_BOUND_MILLIS);
    }

    @Override
    public String toString() {
      return key + " (primary " + primary + ", SET PX " + TTL_MILLIS + " via " + via + ", acked "
          + TimeUnit.NANOSECONDS.toMillis(ackNanos - sentNanos) + " ms after sending)";
    }
  }

  /**
   * {@code SET k v PX 3000} through every node, for keys whose primary is each node (the skewed one
   * among them), then every node is read at ONE until all should be gone. No copy may expire
   * before 3000 ms after its SET was sent, nor outlive 3000 ms after its SET was acknowledged by
   * more than {@value #EXPIRY_BOUND_MILLIS} ms.
   *
   * <p>The SETs are made at ALL so that every copy holds the key when the SET is acknowledged: a
   * ONE read of a copy that a QUORUM write has not reached yet would be an absence for another
   * reason than expiry.
   */
  @Test
  void aTtlMeansTheSameTimeOnEveryNodeWhateverItsWallClock() {
    List<String> ids = cluster.ids();
    List<Written> written = new ArrayList<>();
    Map<String, Jedis> one = new HashMap<>();
    for (String id : ids) {
      one.put(id, cluster.jedis(id, "ONE"));
    }
    for (String via : ids) {
      Jedis writer = cluster.jedis(via);
      assertThat(ClusterHarness.consistency(writer, "WRITE", "ALL")).isEqualTo("OK");
      for (String primary : ids) {
        String key = cluster.keyWithPrimary(primary, "ttl:via-" + via + ":");
        long sent = System.nanoTime();
        assertThat(writer.set(key, "v", SetParams.setParams().px(TTL_MILLIS))).isEqualTo("OK");
        written.add(new Written(key, via, primary, sent, System.nanoTime()));
      }
    }

    List<String> violations = new ArrayList<>();
    // Right after the writes: every copy's PTTL counts down from 3000 ms, not an hour more or less.
    for (Written w : written) {
      for (String node : ids) {
        long pttl = one.get(node).pttl(w.key());
        // Measured after the reply: the server computed PTTL at most this long after the SET.
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - w.sentNanos());
        if (pttl > TTL_MILLIS || pttl < TTL_MILLIS - elapsedMillis - 1) {
          violations.add("PTTL on " + node + " " + elapsedMillis + " ms after sending was " + pttl
              + " (expected " + (TTL_MILLIS - elapsedMillis) + ".." + TTL_MILLIS + "): " + w);
        }
      }
    }

    // Then poll each copy until every key should be gone everywhere.
    long lastDeadline = written.stream().mapToLong(Written::latestExpiryNanos).max().orElseThrow();
    Map<String, Long> lastSeenNanos = new HashMap<>();
    Map<String, Long> firstGoneNanos = new HashMap<>();
    boolean finalSweep = false;
    while (!finalSweep) {
      finalSweep = System.nanoTime() > lastDeadline;
      for (Written w : written) {
        for (String node : ids) {
          String where = node + " " + w.key();
          long sent = System.nanoTime();
          String value = one.get(node).get(w.key());
          long received = System.nanoTime();
          if (value != null) {
            lastSeenNanos.put(where, sent);
            if (sent > w.latestExpiryNanos()) {
              violations.add("still present on " + node + " "
                  + TimeUnit.NANOSECONDS.toMillis(sent - w.sentNanos())
                  + " ms after the SET was sent: " + w);
            }
          } else {
            firstGoneNanos.putIfAbsent(where, received);
            if (received < w.earliestExpiryNanos()) {
              violations.add("absent on " + node + " after only "
                  + TimeUnit.NANOSECONDS.toMillis(received - w.sentNanos()) + " ms: " + w);
            }
          }
        }
      }
      if (violations.size() > 40) {
        break; // enough to see what is wrong
      }
    }
    assertThat(violations)
        .as("expiry of %d keys on %s, %s ahead; per node, last present / first absent in ms"
                + " after the SET was sent: %s",
            written.size(), ids, SKEWED, summary(written, ids, lastSeenNanos, firstGoneNanos))
        .isEmpty();
  }

  private static String summary(
      List<Written> written, List<String> ids, Map<String, Long> lastSeen, Map<String, Long> gone) {
    StringBuilder sb = new StringBuilder();
    for (Written w : written) {
      sb.append("\n  ").append(w);
      for (String node : ids) {
        String where = node + " " + w.key();
        sb.append(" | ").append(node).append(": ")
            .append(millisAfter(w, lastSeen.get(where))).append('/')
            .append(millisAfter(w, gone.get(where)));
      }
    }
    return sb.toString();
  }

  private static String millisAfter(Written w, Long nanos) {
    return nanos == null
        ? "-"
        : Long.toString(TimeUnit.NANOSECONDS.toMillis(nanos - w.sentNanos()));
  }

  /** The others refuse to follow a clock an hour ahead, and count it. */
  @Test
  void theOtherNodesCountTheForwardSkew() {
    Jedis viaSkewed = cluster.jedis(SKEWED);
    for (String primary : cluster.ids()) {
      String key = cluster.keyWithPrimary(primary, "skew:");
      assertThat(viaSkewed.set(key, "v")).isEqualTo("OK");
    }
    for (String id : cluster.ids()) {
      if (!id.equals(SKEWED)) {
        Map<String, String> info = cluster.infoCluster(id);
        assertThat(Long.parseLong(info.get("hlc_forward_skew_events")))
            .as("hlc_forward_skew_events on %s", id)
            .isPositive();
      }
    }
  }
}
