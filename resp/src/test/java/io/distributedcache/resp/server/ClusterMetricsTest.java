package io.distributedcache.resp.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.resp.command.Args;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The cluster part of {@code /metrics} on a member of a real three-node in-process cluster: the
 * per-level counters and the ring agree with {@code INFO cluster}, and a command sent to the
 * cluster is timed until its reply came.
 */
class ClusterMetricsTest {

  @Test
  void clusterFiguresAgreeWithInfoCluster() throws Exception {
    EventLoopGroup group = RespServer.newEventLoopGroup(1);
    try (InProcessCluster cluster = new InProcessCluster(3, 2);
        Jedis jedis = new Jedis("127.0.0.1", cluster.port("n1"))) {
      NodeContext n1 = cluster.context("n1");
      try (PrometheusEndpoint endpoint = PrometheusEndpoint.start(n1, "127.0.0.1", 0, group)) {
        // Keys n1 is the primary of: coordinated here, replicated to one peer.
        List<String> keys = new ArrayList<>();
        for (int i = 0; keys.size() < 20; i++) {
          String key = "key:" + i;
          if (cluster.rings.current().primary(Slots.slot(Args.bytes(key))).id().equals("n1")) {
            keys.add(key);
          }
        }
        for (String key : keys) {
          jedis.set(key, "v-" + key);
          assertThat(jedis.get(key)).isEqualTo("v-" + key);
        }
        Map<String, String> info = new LinkedHashMap<>();
        for (String line : jedis.info("cluster").split("\r\n")) {
          int colon = line.indexOf(':');
          if (colon > 0 && !line.startsWith("#")) {
            info.putIfAbsent(line.substring(0, colon), line.substring(colon + 1));
          }
        }
        String body =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics"))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        Map<String, Double> m = new LinkedHashMap<>();
        for (String line : body.split("\n")) {
          if (!line.startsWith("#")) {
            int space = line.lastIndexOf(' ');
            m.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)
                .replace("+Inf", "Infinity")));
          }
        }
        assertThat(m.get("distributedcache_cluster_enabled")).isEqualTo(1.0);
        assertThat(m.get("distributedcache_ring_epoch"))
            .isEqualTo(Double.parseDouble(info.get("ring_epoch")));
        assertThat(m.get("distributedcache_cluster_members")).isEqualTo(3.0);
        assertThat(m.get("distributedcache_cluster_members_unreachable")).isEqualTo(0.0);
        assertThat(m.get("distributedcache_cluster_peer_up{peer=\"n2\"}")).isEqualTo(1.0);
        assertThat(m.get("distributedcache_cluster_slots_not_ready"))
            .isEqualTo(Double.parseDouble(info.get("slots_not_ready")));
        for (String level : new String[] {"one", "quorum", "all"}) {
          assertThat(m.get("distributedcache_cluster_writes_total{level=\"" + level + "\"}"))
              .as(level)
              .isEqualTo(Double.parseDouble(info.get("writes_" + level)));
          assertThat(m.get("distributedcache_cluster_reads_total{level=\"" + level + "\"}"))
              .as(level)
              .isEqualTo(Double.parseDouble(info.get("reads_" + level)));
        }
        assertThat(m.get("distributedcache_cluster_writes_total{level=\"quorum\"}"))
            .isEqualTo(20.0);
        assertThat(m.get("distributedcache_cluster_forwarded_requests_total"))
            .isEqualTo(Double.parseDouble(info.get("forwarded_requests")));
        // Every SET went through the cluster and was timed until its reply arrived.
        assertThat(m.get("distributedcache_command_duration_seconds_count{cmd=\"set\"}"))
            .isEqualTo(20.0);
        assertThat(m.get("distributedcache_commands_total{cmd=\"get\"}")).isEqualTo(20.0);
      }
    } finally {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
