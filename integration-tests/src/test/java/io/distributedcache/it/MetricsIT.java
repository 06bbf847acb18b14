package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.Slowlog;

/**
 * The server's operations side on a real process: flags given through environment variables
 * ({@code DISTRIBUTEDCACHE_<NAME>}), the Prometheus endpoint ({@code --metrics-port}) agreeing
 * with INFO, and the slow log threshold ({@code --slowlog-log-slower-than}).
 */
class MetricsIT {

  private ServerProcess server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void environmentVariablesConfigureMetricsAndTheSlowLog() throws Exception {
    assumeFalse(ServerProcess.referenceMode(), "our own flags");
    int port = ServerProcess.freePort();
    int metricsPort = ServerProcess.freePort();
    server =
        ServerProcess.launch(
            List.of(
                "env",
                "DISTRIBUTEDCACHE_METRICS_PORT=" + metricsPort,
                "DISTRIBUTEDCACHE_SLOWLOG_LOG_SLOWER_THAN=0",
                "DISTRIBUTEDCACHE_SLOWLOG_MAX_LEN=5"),
            List.of("server", "--port", Integer.toString(port), "--bind", "127.0.0.1"),
            port);
    assertThat(server.awaitReady(Duration.ofSeconds(60))).as(server.allOutput()).isTrue();

    try (Jedis jedis = new Jedis("127.0.0.1", port)) {
      for (int i = 0; i < 20; i++) {
        jedis.set("k" + i, "v" + i);
      }
      jedis.get("k1");
      jedis.get("missing");
      List<Slowlog> slow = jedis.slowlogGet();
      assertThat(slow).as("threshold 0 from the environment logs every command").isNotEmpty();
      assertThat(jedis.slowlogLen()).as("max length 5 from the environment").isEqualTo(5);

      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      String body = response.body();
      assertThat(body).contains("distributedcache_commands_total{cmd=\"set\"} 20");
      String info = jedis.info("stats");
      String hits = line(info, "keyspace_hits");
      String misses = line(info, "keyspace_misses");
      assertThat(body).contains("distributedcache_keyspace_hits_total " + hits);
      assertThat(body).contains("distributedcache_keyspace_misses_total " + misses);
      assertThat(body).contains("distributedcache_command_duration_seconds_bucket{cmd=\"set\"");
    }
  }

  private static String line(String info, String name) {
    for (String l : info.split("\r\n")) {
      if (l.startsWith(name + ":")) {
        return l.substring(name.length() + 1).trim();
      }
    }
    throw new AssertionError(name + " not in INFO: " + info);
  }
}
