package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.SetParams;

/**
 * Three real nodes ({@code --replication-factor 3 --consistency QUORUM}), all healthy, shared by
 * every test of this class: replication across nodes, concurrent writers, multi-key rules, the
 * {@code CONSISTENCY} command and {@code INFO cluster}. Tests use disjoint keys and run one after
 * another (the {@code INFO} counter checks rely on that).
 */
@ExtendWith(Seeds.class)
class ClusterIT {

  private static final List<String> LEVELS = List.of("ONE", "QUORUM", "ALL");

  private static ClusterHarness cluster;

  @BeforeAll
  static void startCluster() {
    assumeFalse(ServerProcess.referenceMode(), "cluster mode is DistributedCache's own");
    cluster =
        ClusterHarness.start(
            3, "--replication-factor", "3", "--consistency", "QUORUM", "--request-timeout", "1s");
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static long millisSince(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  // ---------------------------------------------------------------------------------------------
  // (a) a write through one node is read through every other node

  /**
   * For every (coordinator, primary) pair: {@code SET k v PX 60000} through the coordinator, then
   * through each other node GET and PTTL at ONE, QUORUM and ALL. After a QUORUM write the third
   * copy may lag by a moment, so the ONE reads wait for it (with a deadline); after an ALL write
   * every copy holds it when the SET is acknowledged, so ONE must see it at once.
   */
  @ParameterizedTest(name = "write at {0}")
  @ValueSource(strings = {"QUORUM", "ALL"})
  void aWriteThroughOneNodeIsReadThroughEveryOtherNodeAtEveryLevel(String writeLevel) {
    long ttlMillis = 60_000;
    Map<String, Jedis> readers = new HashMap<>();
    for (String id : cluster.ids()) {
      for (String level : LEVELS) {
        readers.put(id + "@" + level, cluster.jedis(id, level));
      }
    }
    for (String coordinator : cluster.ids()) {
      Jedis writer = cluster.jedis(coordinator);
      assertThat(ClusterHarness.consistency(writer, "WRITE", writeLevel)).isEqualTo("OK");
      for (String primary : cluster.ids()) {
        String key =
            cluster.keyWithPrimary(primary, "rw:" + writeLevel + ":via-" + coordinator + ":");
        String value = "value of " + key;
        long before = System.nanoTime();
        assertThat(writer.set(key, value, SetParams.setParams().px(ttlMillis))).isEqualTo("OK");

        for (String reader : cluster.ids()) {
          if (reader.equals(coordinator)) {
            continue;
          }
          for (String level : LEVELS) {
            Jedis r = readers.get(reader + "@" + level);
            String where =
                key + " (primary " + primary + ") written via " + coordinator + " at " + writeLevel
                    + ", read via " + reader + " at " + level;
            if (level.equals("ONE") && writeLevel.equals("QUORUM")) {
              await(where)
                  .atMost(Duration.ofSeconds(2))
                  .pollInterval(Duration.ofMillis(5))
                  .until(() -> value.equals(r.get(key)));
            } else {
              assertThat(r.get(key)).as(where).isEqualTo(value);
            }
            long pttl = r.pttl(key);
            long elapsed = millisSince(before);
            // Every copy expires no earlier than the primary's, which started counting after
            // `before`; 1 ms for rounding to whole milliseconds.
            assertThat(pttl).as("PTTL of " + where).isBetween(ttlMillis - elapsed - 1, ttlMillis);
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // (b) concurrent INCR through every node

  /**
   * Three threads, each with connections to two different nodes, INCR three counters (one per
   * primary) 3000 times in all. Every INCR runs on the counter's primary, atomically, so the
   * replies of each counter are exactly 1..1000, each once; then every node reads 1000 at ALL.
   */
  @Test
  void concurrentIncrementsThroughEveryNodeGiveTheExactTotal() throws Exception {
    List<String> ids = cluster.ids();
    List<String> counters = new ArrayList<>();
    for (String primary : ids) {
      counters.add(cluster.keyWithPrimary(primary, "counter:" + primary + ":"));
    }
    int threads = 3;
    int perConnection = 500;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<List<List<Long>>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int shift = t; // thread t starts on counter t, so that each counter gets total / 3
        Jedis first = cluster.jedis(ids.get(t % ids.size()));
        Jedis second = cluster.jedis(ids.get((t + 1) % ids.size()));
        results.add(
            pool.submit(
                () -> {
                  List<List<Long>> seen = new ArrayList<>();
                  for (int c = 0; c < counters.size(); c++) {
                    seen.add(new ArrayList<>());
                  }
                  for (int i = 0; i < 2 * perConnection; i++) {
                    Jedis via = i % 2 == 0 ? first : second;
                    int c = (i + shift) % counters.size();
                    seen.get(c).add(via.incr(counters.get(c)));
                  }
                  return seen;
                }));
      }
      int total = threads * 2 * perConnection;
      int perCounter = total / counters.size();
      List<List<Long>> replies = new ArrayList<>();
      for (int c = 0; c < counters.size(); c++) {
        replies.add(new ArrayList<>());
      }
      for (Future<List<List<Long>>> f : results) {
        List<List<Long>> seen = f.get(60, TimeUnit.SECONDS);
        for (int c = 0; c < counters.size(); c++) {
          replies.get(c).addAll(seen.get(c));
        }
      }
      for (int c = 0; c < counters.size(); c++) {
        List<Long> got = replies.get(c);
        TreeSet<Long> distinct = new TreeSet<>(got);
        // Compact figures rather than 1000 numbers in the message.
        String summary =
            "INCR replies of " + counters.get(c) + ": " + got.size() + " replies, "
                + distinct.size() + " distinct, from " + distinct.first() + " to "
                + distinct.last();
        assertThat(got.size()).as(summary).isEqualTo(perCounter);
        assertThat(distinct.size()).as("no value twice: " + summary).isEqualTo(perCounter);
        assertThat(distinct.first()).as(summary).isEqualTo(1L);
        assertThat(distinct.last())
            .as("no increment lost: " + summary)
            .isEqualTo((long) perCounter);
      }
      for (String reader : ids) {
        Jedis r = cluster.jedis(reader, "ALL");
        for (String counter : counters) {
          assertThat(r.get(counter))
              .as("%s at ALL via %s", counter, reader)
              .isEqualTo(Integer.toString(perCounter));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // (c) multi-key commands

  @Test
  void keysInDifferentSlotsAreRefusedAndOneTagIsServed() {
    String a = "crossslot:a";
    String b = "crossslot:b";
    assertThat(ClusterHarness.slot(a)).isNotEqualTo(ClusterHarness.slot(b));
    String crossSlot = "CROSSSLOT Keys in request don't hash to the same slot";
    for (String id : cluster.ids()) {
      Jedis j = cluster.jedis(id);
      assertThatThrownBy(() -> j.mset(a, "1", b, "2"))
          .as("MSET via %s", id)
          .isInstanceOf(JedisDataException.class)
          .hasMessage(crossSlot);
      assertThatThrownBy(() -> j.mget(a, b)).as("MGET via %s", id).hasMessage(crossSlot);
      assertThatThrownBy(() -> j.del(a, b)).as("DEL via %s", id).hasMessage(crossSlot);
      assertThatThrownBy(() -> j.exists(a, b)).as("EXISTS via %s", id).hasMessage(crossSlot);
    }
    Jedis all = cluster.jedis("n1", "ALL");
    assertThat(all.get(a)).as("a refused MSET wrote nothing").isNull();
    assertThat(all.get(b)).as("a refused MSET wrote nothing").isNull();

    // One {tag}: one slot, so one primary; written through a node that is not that primary.
    String tag = "{user:" + Seeds.random("tag").nextInt(1_000_000) + "}";
    String x = tag + ":name";
    String y = tag + ":email";
    assertThat(ClusterHarness.slot(x)).isEqualTo(ClusterHarness.slot(y));
    String primary = cluster.primaryOf(x);
    String via = cluster.ids().stream().filter(id -> !id.equals(primary)).findFirst().orElseThrow();
    assertThat(cluster.jedis(via).mset(x, "Ada", y, "ada@example.org")).isEqualTo("OK");
    for (String reader : cluster.ids()) {
      for (String level : List.of("QUORUM", "ALL")) {
        assertThat(cluster.jedis(reader, level).mget(x, y))
            .as("MGET %s %s via %s at %s", x, y, reader, level)
            .containsExactly("Ada", "ada@example.org");
      }
    }
    assertThat(cluster.jedis(primary).del(x, y)).isEqualTo(2L);
    for (String reader : cluster.ids()) {
      assertThat(cluster.jedis(reader, "ALL").mget(x, y))
          .as("after DEL, via %s", reader)
          .containsExactly(null, null);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // (d) CONSISTENCY and INFO cluster

  @Test
  void consistencyCommandRoundTrips() {
    Jedis j = cluster.jedis("n2");
    assertThat(ClusterHarness.consistency(j)).as("the --consistency default").isEqualTo("QUORUM");
    assertThat(ClusterHarness.consistency(j, "ONE")).isEqualTo("OK");
    assertThat(ClusterHarness.consistency(j)).isEqualTo("ONE");
    assertThat(ClusterHarness.consistency(j, "WRITE", "ALL")).isEqualTo("OK");
    assertThat(ClusterHarness.consistency(j)).isEqualTo("READ ONE WRITE ALL");
    assertThat(ClusterHarness.consistency(j, "READ", "QUORUM")).isEqualTo("OK");
    assertThat(ClusterHarness.consistency(j)).isEqualTo("READ QUORUM WRITE ALL");
    assertThat(ClusterHarness.consistency(j, "quorum")).as("case-insensitive").isEqualTo("OK");
    assertThat(ClusterHarness.consistency(j)).isEqualTo("QUORUM");
    assertThat(ClusterHarness.consistency(j, "ALL")).isEqualTo("OK");
    assertThat(ClusterHarness.consistency(j)).isEqualTo("ALL");
    for (String[] bad :
        List.of(
            new String[] {"TWO"},
            new String[] {"READ"},
            new String[] {"READ", "MANY"},
            new String[] {"SOMETIMES", "ONE"},
            new String[] {"READ", "ONE", "WRITE", "ALL"})) {
      assertThatThrownBy(() -> ClusterHarness.consistency(j, bad))
          .as("CONSISTENCY %s", Arrays.toString(bad))
          .isInstanceOf(JedisDataException.class)
          .hasMessageStartingWith("ERR");
    }
    assertThat(ClusterHarness.consistency(j))
        .as("a refused change changes nothing")
        .isEqualTo("ALL");
    assertThat(ClusterHarness.consistency(cluster.jedis("n2")))
        .as("the level is per connection")
        .isEqualTo("QUORUM");
  }

  @Test
  void infoClusterShowsRealFigures() {
    long primarySlots = 0;
    for (String id : cluster.ids()) {
      Map<String, String> info = cluster.infoCluster(id);
      int index = cluster.ring().memberIndex(id);
      assertThat(info)
          .as("INFO cluster of %s", id)
          .containsEntry("cluster_enabled", "1")
          .containsEntry("node_id", id)
          .containsEntry("members", "3")
          .containsEntry("members_reachable", "3")
          .containsEntry("replication_factor", "3")
          .containsEntry("slots_replicated", "16384")
          .containsEntry("slots_not_ready", "0")
          .containsEntry("default_consistency", "QUORUM")
          .containsEntry("slots_primary",
              Integer.toString(cluster.ring().primarySlotCount(index)));
      primarySlots += Long.parseLong(info.get("slots_primary"));
    }
    assertThat(primarySlots).as("every slot has exactly one primary").isEqualTo(16384);

    // The counters belong to the coordinating node and count exactly what it was asked.
    String node = "n3";
    Map<String, String> before = cluster.infoCluster(node);
    Jedis quorum = cluster.jedis(node, "QUORUM");
    Jedis one = cluster.jedis(node, "ONE");
    Jedis all = cluster.jedis(node, "ALL");
    int n = 12;
    for (int i = 0; i < n; i++) {
      String key = "info:" + i; // spread over the three primaries
      assertThat(quorum.set(key, "v")).isEqualTo("OK");
      assertThat(one.get(key)).isEqualTo("v");
      assertThat(all.set(key, "w")).isEqualTo("OK");
      assertThat(all.get(key)).isEqualTo("w");
    }
    Map<String, String> after = cluster.infoCluster(node);
    assertThat(delta(before, after, "writes_quorum")).as("writes_quorum").isEqualTo(n);
    assertThat(delta(before, after, "reads_one")).as("reads_one").isEqualTo(n);
    assertThat(delta(before, after, "writes_all")).as("writes_all").isEqualTo(n);
    assertThat(delta(before, after, "reads_all")).as("reads_all").isEqualTo(n);
    assertThat(delta(before, after, "peer_messages_sent")).as("peer_messages_sent").isPositive();
    assertThat(after.get("unknown_outcomes")).as("healthy cluster").isEqualTo("0");
  }

  private static long delta(Map<String, String> before, Map<String, String> after, String field) {
    assertThat(before).containsKey(field);
    assertThat(after).containsKey(field);
    return Long.parseLong(after.get(field)) - Long.parseLong(before.get(field));
  }
}
