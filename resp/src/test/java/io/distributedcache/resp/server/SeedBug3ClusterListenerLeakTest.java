package io.distributedcache.resp.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.invalidation.Invalidation;
import io.distributedcache.core.invalidation.InvalidationManager;
import io.distributedcache.core.storage.Subscription;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Seed bug 3 regression across a running cluster: one million listeners are registered and closed
 * on the three nodes' invalidation managers while writes through every node keep invalidation
 * events flowing between them. The retained heap must not grow, and the listeners must really
 * have heard events while they were registered.
 */
class SeedBug3ClusterListenerLeakTest {

  private static final int CYCLES = 1_000_000;
  private static final long MAX_GROWTH_BYTES = 24L * 1024 * 1024;

  /** A near-cache-like owner: state, a reference to its node, and a method reference to itself. */
  static final class NearCache {
    final byte[] state = new byte[512];
    final NodeContext node;
    final AtomicLong heard;

    NearCache(NodeContext node, AtomicLong heard) {
      this.node = node;
      this.heard = heard;
    }

    void onInvalidation(Invalidation event) {
      heard.incrementAndGet();
    }
  }

  @Test
  void aMillionListenersRegisteredAndClosedAcrossAClusterLeaveTheHeapFlat() throws Exception {
    try (InProcessCluster cluster = new InProcessCluster(3, 3)) {
      List<String> ids = cluster.ids();
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicLong heard = new AtomicLong();
      AtomicLong written = new AtomicLong();
      Thread writer =
          new Thread(
              () -> {
                // A long timeout: the first commands of a fresh JVM load many classes.
                try (Jedis n1 = new Jedis("127.0.0.1", cluster.port("n1"), 30_000);
                    Jedis n3 = new Jedis("127.0.0.1", cluster.port("n3"), 30_000)) {
                  for (int i = 0; writing.get(); i++) {
                    try {
                      (i % 2 == 0 ? n1 : n3).set("k" + (i % 500), "v" + i);
                      written.incrementAndGet();
                    } catch (JedisDataException e) {
                      // -TIMEOUT on a loaded machine: not what this test is about; write on.
                    }
                  }
                }
              },
              "writer");
      writer.setDaemon(true);
      writer.start();
      // Every node must be hearing events before the count starts: the cluster is live.
      InvalidationManager[] managers = new InvalidationManager[ids.size()];
      for (int i = 0; i < managers.length; i++) {
        managers[i] = cluster.context(ids.get(i)).invalidations();
      }
      for (int i = 0; i < 10_000; i++) {
        InvalidationManager m = managers[i % managers.length];
        m.subscribe(new NearCache(cluster.context(ids.get(i % managers.length)), heard)
                ::onInvalidation)
            .close();
      }
      InProcessCluster.await(
          "writes flowing", () -> written.get() > 100, Duration.ofSeconds(30));
      long before = usedHeapAfterGc();
      int held = 64;
      Subscription[] window = new Subscription[held];
      for (int i = 0; i < CYCLES; i++) {
        int node = i % managers.length;
        NearCache cache = new NearCache(cluster.context(ids.get(node)), heard);
        int slot = i % held;
        if (window[slot] != null) {
          window[slot].close();
        }
        window[slot] = managers[node].subscribe(cache::onInvalidation);
      }
      for (Subscription s : window) {
        s.close();
      }
      writing.set(false);
      writer.join(Duration.ofSeconds(10).toMillis());
      long after = usedHeapAfterGc();

      for (InvalidationManager m : managers) {
        // The tracking table's own subscription is the one that stays.
        assertThat(m.listenerCount()).isEqualTo(1);
      }
      assertThat(heard.get()).as("listeners heard cluster events while registered").isPositive();
      assertThat(after - before)
          .as("heap growth after %d cycles (before=%d, after=%d)", CYCLES, before, after)
          .isLessThan(MAX_GROWTH_BYTES);
    }
  }

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
