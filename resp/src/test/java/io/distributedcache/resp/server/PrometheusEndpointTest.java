package io.distributedcache.resp.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.resps.Slowlog;

/**
 * {@code /metrics} over real HTTP next to a real RESP server, both on the same event loops, with a
 * real Redis client: the exposition is well formed, its counters agree with {@code INFO}, the
 * latency histograms grow, and SLOWLOG's replies parse in Jedis.
 */
class PrometheusEndpointTest {

  /** {@code name{labels} value}, as the text format 0.0.4 writes a sample. */
  private static final Pattern SAMPLE =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? (\\S+)");

  private EventLoopGroup group;
  private RespServer server;
  private PrometheusEndpoint endpoint;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() {
    group = RespServer.newEventLoopGroup(2);
    NodeContext node =
        RespServer.assemble(
            ServerSettings.defaults(),
            SystemClock.INSTANCE,
            SystemClock.INSTANCE,
            new SplittableRandom(7),
            0);
    server = new RespServer(node, group).start();
    endpoint = PrometheusEndpoint.start(node, "127.0.0.1", 0, group);
  }

  @AfterEach
  void stop() {
    if (endpoint != null) {
      endpoint.close();
    }
    if (server != null) {
      server.close();
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + path))
            .timeout(Duration.ofSeconds(10))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The samples of a scrape, keyed by {@code name{labels}} as written. */
  private Map<String, Double> scrape() throws IOException, InterruptedException {
    HttpResponse<String> response = get("/metrics");
    assertThat(response.statusCode()).isEqualTo(200);
    Map<String, Double> samples = new LinkedHashMap<>();
    for (String line : response.body().split("\n")) {
      if (line.startsWith("#") || line.isEmpty()) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      assertThat(m.matches()).as(line).isTrue();
      String key = m.group(1) + (m.group(2) == null ? "" : m.group(2));
      assertThat(samples.put(key, parseValue(m.group(3)))).as("duplicate " + key).isNull();
    }
    return samples;
  }

  private static double parseValue(String v) {
    return v.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(v);
  }

  private static Map<String, String> info(Jedis jedis) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : jedis.info("everything").split("\r\n")) {
      int colon = line.indexOf(':');
      if (!line.startsWith("#") && colon > 0) {
        fields.put(line.substring(0, colon), line.substring(colon + 1));
      }
    }
    return fields;
  }

  private static long calls(Map<String, String> info, String cmd) {
    String stats = info.get("cmdstat_" + cmd);
    Matcher m = Pattern.compile("calls=(\\d+)").matcher(stats);
    assertThat(m.find()).isTrue();
    return Long.parseLong(m.group(1));
  }

  @Test
  void countersAgreeWithInfo() throws Exception {
    try (Jedis jedis = new Jedis("127.0.0.1", server.port())) {
      jedis.set("a", "1");
      jedis.get("a");
      jedis.get("a");
      jedis.get("missing");
      jedis.incr("counter");
      jedis.subscribe(
          new redis.clients.jedis.JedisPubSub() {
            @Override
            public void onSubscribe(String channel, int subscribedChannels) {
              unsubscribe();
            }
          },
          "news");
      try {
        jedis.sendCommand(() -> "NOSUCHCOMMAND".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      } catch (JedisDataException expected) {
        // counted as an unknown command
      }
      // INFO runs as a command itself; nothing runs between it and the scrape.
      Map<String, String> info = info(jedis);
      Map<String, Double> m = scrape();

      assertThat(m.get("distributedcache_keyspace_hits_total"))
          .isEqualTo(Double.parseDouble(info.get("keyspace_hits")))
          .isEqualTo(2.0);
      assertThat(m.get("distributedcache_keyspace_misses_total"))
          .isEqualTo(Double.parseDouble(info.get("keyspace_misses")));
      assertThat(m.get("distributedcache_commands_processed_total"))
          .isEqualTo(Double.parseDouble(info.get("total_commands_processed")));
      assertThat(m.get("distributedcache_unknown_commands_total"))
          .isEqualTo(Double.parseDouble(info.get("unknown_commands")))
          .isEqualTo(1.0);
      assertThat(m.get("distributedcache_connected_clients"))
          .isEqualTo(Double.parseDouble(info.get("connected_clients")))
          .isEqualTo(1.0);
      assertThat(m.get("distributedcache_expired_keys_total"))
          .isEqualTo(Double.parseDouble(info.get("expired_keys")));
      assertThat(m.get("distributedcache_evicted_keys_total"))
          .isEqualTo(Double.parseDouble(info.get("evicted_keys")));
      assertThat(m.get("distributedcache_tracking_invalidations_sent_total"))
          .isEqualTo(Double.parseDouble(info.get("tracking_invalidations_sent")));
      assertThat(m.get("distributedcache_memory_dataset_bytes"))
          .isEqualTo(Double.parseDouble(info.get("used_memory_dataset")));
      assertThat(m.get("distributedcache_memory_used_bytes")).isPositive();
      assertThat(m.get("distributedcache_cluster_enabled")).isEqualTo(0.0);
      // As in Redis, INFO's own call is counted once it has run: in the scrape, not in INFO.
      assertThat(info).doesNotContainKey("cmdstat_info");
      assertThat(m.get("distributedcache_commands_total{cmd=\"info\"}")).isEqualTo(1.0);
      for (String cmd : List.of("get", "set", "incr", "subscribe")) {
        String key = "distributedcache_commands_total{cmd=\"" + cmd + "\"}";
        assertThat(m.get(key)).as(key).isEqualTo((double) calls(info, cmd));
        assertThat(m.get("distributedcache_command_duration_seconds_count{cmd=\"" + cmd + "\"}"))
            .isEqualTo(m.get(key));
      }
      assertThat(m.get("distributedcache_commands_total{cmd=\"get\"}")).isEqualTo(3.0);
    }
  }

  @Test
  void histogramBucketsGrowWithCalls() throws Exception {
    try (Jedis jedis = new Jedis("127.0.0.1", server.port())) {
      jedis.set("warm", "up");
      Map<String, Double> before = scrape();
      for (int i = 0; i < 50; i++) {
        jedis.set("k" + i, "v");
      }
      Map<String, Double> after = scrape();
      String inf = "distributedcache_command_duration_seconds_bucket{cmd=\"set\",le=\"+Inf\"}";
      String oneSecond = "distributedcache_command_duration_seconds_bucket{cmd=\"set\",le=\"1\"}";
      assertThat(after.get(inf) - before.get(inf)).isEqualTo(50.0);
      // A SET on loopback takes far less than a second.
      assertThat(after.get(oneSecond) - before.get(oneSecond)).isEqualTo(50.0);
      assertThat(after.get("distributedcache_command_duration_seconds_count{cmd=\"set\"}"))
          .isEqualTo(after.get(inf));
      assertThat(after.get("distributedcache_command_duration_seconds_sum{cmd=\"set\"}"))
          .isGreaterThan(before.get("distributedcache_command_duration_seconds_sum{cmd=\"set\"}"));
      double previous = 0;
      for (Map.Entry<String, Double> e : after.entrySet()) {
        if (e.getKey().startsWith("distributedcache_command_duration_seconds_bucket{cmd=\"set\"")) {
          assertThat(e.getValue()).as("cumulative " + e.getKey()).isGreaterThanOrEqualTo(previous);
          previous = e.getValue();
        }
      }
    }
  }

  @Test
  void expositionIsWellFormed() throws Exception {
    try (Jedis jedis = new Jedis("127.0.0.1", server.port())) {
      jedis.set("a", "1");
    }
    HttpResponse<String> response = get("/metrics");
    assertThat(response.headers().firstValue("content-type"))
        .hasValue("text/plain; version=0.0.4; charset=utf-8");
    Set<String> typed = new HashSet<>();
    Set<String> helped = new HashSet<>();
    for (String line : response.body().split("\n")) {
      if (line.startsWith("# HELP ")) {
        assertThat(helped.add(line.split(" ")[2])).as("one HELP per family: " + line).isTrue();
      } else if (line.startsWith("# TYPE ")) {
        String[] parts = line.split(" ");
        assertThat(parts[3]).isIn("counter", "gauge", "histogram");
        assertThat(typed.add(parts[2])).as("one TYPE per family: " + line).isTrue();
        if (parts[3].equals("counter")) {
          assertThat(parts[2]).endsWith("_total");
        }
      } else {
        Matcher m = SAMPLE.matcher(line);
        assertThat(m.matches()).as(line).isTrue();
        String name = m.group(1);
        if (!typed.contains(name)) {
          // A histogram's series carry a suffix on the family's name.
          name = name.replaceFirst("_(bucket|sum|count)$", "");
        }
        assertThat(typed).as("TYPE before " + line).contains(name);
        assertThat(name).startsWith("distributedcache_");
      }
    }
    assertThat(typed)
        .contains(
            "distributedcache_commands_total",
            "distributedcache_command_duration_seconds",
            "distributedcache_keyspace_hits_total",
            "distributedcache_keyspace_misses_total",
            "distributedcache_evicted_keys_total",
            "distributedcache_expired_keys_total",
            "distributedcache_memory_used_bytes",
            "distributedcache_connected_clients",
            "distributedcache_tracking_invalidations_sent_total",
            "distributedcache_slowlog_length");
  }

  @Test
  void otherPathsAndMethodsAreRefused() throws Exception {
    assertThat(get("/").statusCode()).isEqualTo(404);
    assertThat(get("/metricsx").statusCode()).isEqualTo(404);
    assertThat(get("/metrics?name[]=x").statusCode()).isEqualTo(200);
    HttpResponse<String> post =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
  }

  @Test
  void slowlogRepliesParseInJedis() throws Exception {
    try (Jedis jedis = new Jedis("127.0.0.1", server.port())) {
      jedis.configSet("slowlog-log-slower-than", "0");
      jedis.slowlogReset();
      jedis.clientSetname("reporter");
      jedis.set("slow", "value");
      List<Slowlog> entries = jedis.slowlogGet();
      Slowlog newest = entries.get(0);
      assertThat(newest.getArgs()).containsExactly("SET", "slow", "value");
      assertThat(newest.getClientName()).isEqualTo("reporter");
      assertThat(newest.getClientIpPort().getHost()).isEqualTo("127.0.0.1");
      assertThat(newest.getClientIpPort().getPort()).isPositive();
      assertThat(newest.getExecutionTime()).isGreaterThanOrEqualTo(0);
      assertThat(newest.getTimeStamp())
          .isBetween(System.currentTimeMillis() / 1000 - 60, System.currentTimeMillis() / 1000 + 1);
      assertThat(entries.get(1).getId()).isLessThan(newest.getId());
      // SLOWLOG GET itself is logged once it has run, as in Redis; then SLOWLOG LEN.
      assertThat(jedis.slowlogLen()).isEqualTo(entries.size() + 1L);
      Map<String, Double> m = scrape();
      assertThat(m.get("distributedcache_slowlog_length")).isEqualTo(entries.size() + 2.0);
      assertThat(m.get("distributedcache_slowlog_threshold_seconds")).isEqualTo(0.0);
    }
  }
}
