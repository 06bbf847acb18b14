package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * {@code --maxmemory} bounds the data a node keeps: writing several times the bound evicts keys
 * (W-TinyLFU), reports the evictions in INFO, and keeps the dataset estimate under the bound.
 */
class EvictionIT {

  private static final int VALUE_BYTES = 1000;
  private static final int KEYS = 40_000; // ~40 MB of values against a 10 MiB bound

  @Test
  void writingPastMaxmemoryEvictsAndStaysUnderTheBound() {
    assumeThat(ServerProcess.referenceMode())
        .as("redis-server's default policy is noeviction; this checks ours")
        .isFalse();
    try (ServerProcess server = ServerProcess.start("--maxmemory", "10mb");
        Jedis jedis = new Jedis(ServerProcess.LOOPBACK, server.port())) {
      byte[] value = new byte[VALUE_BYTES];
      Arrays.fill(value, (byte) 'x');
      Pipeline pipeline = jedis.pipelined();
      for (int i = 0; i < KEYS; i++) {
        pipeline.set(("evict:" + i).getBytes(), value);
      }
      pipeline.sync();

      long keys = jedis.dbSize();
      String memory = jedis.info("memory");
      String stats = jedis.info("stats");
      assertThat(keys).as("keys kept under a 10 MiB bound").isGreaterThan(0).isLessThan(KEYS / 2);
      assertThat(field(stats, "evicted_keys")).isEqualTo(KEYS - keys);
      assertThat(field(memory, "maxmemory")).isEqualTo(10L * 1024 * 1024);
      assertThat(field(memory, "used_memory_dataset")).isLessThanOrEqualTo(10L * 1024 * 1024);
      // The most recent writes are readable: eviction removed old keys, not the node's ability
      // to serve.
      assertThat(jedis.get(("evict:" + (KEYS - 1)).getBytes())).hasSize(VALUE_BYTES);
      assertThat(jedis.ping()).isEqualTo("PONG");
    }
  }

  private static long field(String info, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + ":(\\d+)\\r?$").matcher(info);
    assertThat(m.find()).as("%s in:%n%s", name, info).isTrue();
    return Long.parseLong(m.group(1));
  }
}
