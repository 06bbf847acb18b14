package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * Stock Redis Cluster clients against three real nodes: Jedis's JedisCluster and
 * RedisClusterClient, Lettuce's RedisClusterClient, {@code redis-cli -c} and {@code
 * redis-benchmark --cluster}. They learn the
 * layout from {@code CLUSTER SLOTS}/{@code CLUSTER NODES}/{@code CLUSTER SHARDS} and send each
 * command to its slot's primary, following {@code -MOVED}.
 *
 * <p>"Routed" is checked on the server side: a node forwards a write only when it is not the
 * key's primary ({@code forwarded_requests} in {@code INFO cluster}), so a client that routes
 * every write itself leaves that counter unchanged on every node, while each node coordinates
 * some of the writes ({@code writes_quorum}). Tests share the cluster and run one at a time
 * (the counters rely on that).
 */
@ExtendWith(Seeds.class)
class RedisClusterClientsIT {

  private static final Path REDIS_CLI = Path.of("/usr/bin/redis-cli");
  private static final Path REDIS_BENCHMARK = Path.of("/usr/bin/redis-benchmark");
  private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(45);
  private static final int KEYS = 600;

  private static ClusterHarness cluster;

  @BeforeAll
  static void startCluster() {
    assumeFalse(ServerProcess.referenceMode(), "cluster mode is DistributedCache's own");
    cluster =
        ClusterHarness.start(
            3, "--replication-factor", "3", "--consistency", "QUORUM", "--request-timeout", "2s");
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** {@code forwarded_requests} and {@code writes_quorum} of every node. */
  private static Map<String, long[]> counters() {
    Map<String, long[]> counters = new HashMap<>();
    for (String id : cluster.ids()) {
      Map<String, String> info = cluster.infoCluster(id);
      counters.put(
          id,
          new long[] {
            Long.parseLong(info.get("forwarded_requests")), Long.parseLong(info.get("writes_quorum"))
          });
    }
    return counters;
  }

  /** Asserts that no node forwarded anything since {@code before} and each coordinated writes. */
  private static void assertRoutedByTheClient(Map<String, long[]> before, String client) {
    Map<String, long[]> after = counters();
    for (String id : cluster.ids()) {
      assertThat(after.get(id)[0] - before.get(id)[0])
          .as("%s: writes %s forwarded (the client sent them to another node than the primary)",
              client, id)
          .isZero();
      assertThat(after.get(id)[1] - before.get(id)[1])
          .as("%s: writes %s coordinated as the keys' primary", client, id)
          .isPositive();
    }
  }

  private static List<String> keys(String prefix) {
    List<String> keys = new ArrayList<>(KEYS);
    for (int i = 0; i < KEYS; i++) {
      keys.add(prefix + i);
    }
    return keys;
  }

  /**
   * JedisCluster, which Jedis 8 deprecates in favour of its RedisClusterClient (same routing
   * code) but which is what most deployed applications use: both are run.
   */
  @SuppressWarnings("deprecation")
  @Test
  void jedisClusterRoutesEveryCommandToItsPrimary() {
    Map<String, long[]> before = counters();
    try (JedisCluster jedis =
        new JedisCluster.Builder().nodes(seed("n1")).clientConfig(jedisConfig()).maxAttempts(5)
            .build()) {
      exercise(jedis, jedis.getClusterNodes().keySet(), "jedis-cluster:", "JedisCluster via n1");
    }
    assertRoutedByTheClient(before, "JedisCluster");
  }

  @Test
  void jedisRedisClusterClientRoutesEveryCommandToItsPrimary() {
    Map<String, long[]> before = counters();
    try (RedisClusterClient jedis =
        RedisClusterClient.builder().nodes(seed("n3")).clientConfig(jedisConfig()).maxAttempts(5)
            .build()) {
      exercise(jedis, jedis.getClusterNodes().keySet(), "jedis-client:", "RedisClusterClient via n3");
    }
    assertRoutedByTheClient(before, "Jedis RedisClusterClient");
  }

  private static Set<HostAndPort> seed(String id) {
    return Set.of(new HostAndPort(ServerProcess.LOOPBACK, cluster.clientPort(id)));
  }

  private static DefaultJedisClientConfig jedisConfig() {
    return DefaultJedisClientConfig.builder()
        .connectionTimeoutMillis(5_000)
        .socketTimeoutMillis(10_000)
        .build();
  }

  /** SET, GET and DEL of {@link #KEYS} keys through a Jedis cluster client. */
  private static void exercise(
      UnifiedJedis jedis, Set<String> discovered, String prefix, String client) {
    assertThat(discovered)
        .as("nodes %s discovered", client)
        .containsExactlyInAnyOrderElementsOf(
            cluster.ids().stream()
                .map(id -> ServerProcess.LOOPBACK + ":" + cluster.clientPort(id))
                .toList());
    List<String> keys = keys(prefix);
    for (String key : keys) {
      assertThat(jedis.set(key, "v-" + key)).as("%s: SET %s", client, key).isEqualTo("OK");
    }
    for (String key : keys) {
      assertThat(jedis.get(key)).as("%s: GET %s", client, key).isEqualTo("v-" + key);
    }
    assertThat(jedis.del(keys.get(0))).isEqualTo(1L);
    assertThat(jedis.get(keys.get(0))).isNull();
  }

  @Test
  void lettuceClusterClientRoutesEveryCommandToItsPrimary() {
    Map<String, long[]> before = counters();
    ClientResources resources = DefaultClientResources.create();
    io.lettuce.core.cluster.RedisClusterClient client =
        io.lettuce.core.cluster.RedisClusterClient.create(
            resources,
            RedisURI.builder()
                .withHost(ServerProcess.LOOPBACK)
                .withPort(cluster.clientPort("n2"))
                .withTimeout(Duration.ofSeconds(10))
                .build());
    try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
      Set<Integer> ports = new HashSet<>();
      for (RedisClusterNode node : connection.getPartitions()) {
        ports.add(node.getUri().getPort());
      }
      assertThat(ports)
          .as("nodes Lettuce discovered from n2")
          .containsExactlyInAnyOrderElementsOf(cluster.ids().stream().map(cluster::clientPort).toList());
      RedisAdvancedClusterCommands<String, String> sync = connection.sync();
      List<String> keys = keys("lettuce-cluster:");
      for (String key : keys) {
        assertThat(sync.set(key, "v-" + key)).as("SET %s", key).isEqualTo("OK");
      }
      for (String key : keys) {
        assertThat(sync.get(key)).as("GET %s", key).isEqualTo("v-" + key);
      }
    } finally {
      client.shutdown(0, 2, TimeUnit.SECONDS);
      resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
    assertRoutedByTheClient(before, "Lettuce");
  }

  /**
   * {@code redis-cli -c}: a key of another node, as one-shot commands (a plain connection, which
   * the node serves by forwarding), and as a script after {@code READWRITE} (the connection is
   * then in cluster mode: {@code -MOVED}, which redis-cli follows to the primary).
   */
  @Test
  void redisCliFollowsRedirectionsToOtherNodes() {
    assumeTrue(Files.isExecutable(REDIS_CLI), "/usr/bin/redis-cli is not installed");
    for (String via : cluster.ids()) {
      String other = cluster.ids().stream().filter(id -> !id.equals(via)).findFirst().orElseThrow();
      String key = cluster.keyWithPrimary(other, "cli:" + via + ":");
      String port = Integer.toString(cluster.clientPort(via));
      CommandRunner.Result set =
          CommandRunner.run(
              List.of(REDIS_CLI.toString(), "-c", "-p", port, "set", key, "one-shot"), "",
              TOOL_TIMEOUT);
      assertThat(set.exitCode()).as("%s", set).isZero();
      assertThat(set.stdout().strip()).as("%s", set).isEqualTo("OK");
      CommandRunner.Result get =
          CommandRunner.run(
              List.of(REDIS_CLI.toString(), "-c", "-p", port, "get", key), "", TOOL_TIMEOUT);
      assertThat(get.stdout().strip()).as("%s", get).isEqualTo("one-shot");

      String movedKey = cluster.keyWithPrimary(other, "cli-moved:" + via + ":");
      CommandRunner.Result script =
          CommandRunner.run(
              List.of(REDIS_CLI.toString(), "-c", "-p", port),
              "READWRITE\nSET " + movedKey + " redirected\nGET " + movedKey + "\n",
              TOOL_TIMEOUT);
      assertThat(script.exitCode()).as("%s", script).isZero();
      assertThat(script.stdout())
          .as("redis-cli -c via %s, key of %s: %s", via, other, script)
          .contains("-> Redirected to slot [" + ClusterHarness.slot(movedKey) + "] located at "
              + ServerProcess.LOOPBACK + ":" + cluster.clientPort(other))
          .contains("redirected");
      assertThat(cluster.jedis(other, "ALL").get(movedKey)).isEqualTo("redirected");
    }
  }

  @Test
  void redisBenchmarkInClusterModeRuns() {
    assumeTrue(Files.isExecutable(REDIS_BENCHMARK), "/usr/bin/redis-benchmark is not installed");
    List<String> cmd =
        List.of(
            REDIS_BENCHMARK.toString(), "--cluster", "-p", Integer.toString(cluster.clientPort("n3")),
            "-t", "set,get", "-n", "2000", "-q");
    CommandRunner.Result result = CommandRunner.run(cmd, "", TOOL_TIMEOUT);
    System.out.println("[RedisClusterClientsIT] " + result);
    assertThat(result.exitCode()).as("%s", result).isZero();
    assertThat(result.stdout())
        .as("%s", result)
        .contains("Cluster has 3 master nodes")
        .contains("SET: ")
        .contains("GET: ")
        .doesNotContain("error");
  }
}
