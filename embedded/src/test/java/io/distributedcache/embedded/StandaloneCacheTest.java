package io.distributedcache.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.cluster.VerifyReport;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The embedded API on one standalone node without a client port. */
@Timeout(60)
class StandaloneCacheTest {

  private CacheNode node;
  private DistributedCache<String, String> cache;

  @BeforeEach
  void start() {
    node = CacheNode.start(NodeConfig.builder().nodeId("solo").build());
    cache =
        DistributedCache.builder().keyCodec(Codecs.utf8()).valueCodec(Codecs.utf8()).node(node).build();
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  void listenersHearWritesDeletesAndInvalidations() {
    List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (io.distributedcache.core.storage.Subscription s =
        cache.addListener(
            (event, key) -> heard.add(event.cause() + " " + (key != null ? key : event.scope())))) {
      cache.put("a", "1");
      cache.delete("a");
      cache.put("user:1", "x");
      cache.invalidatePrefix("user:");
      assertThat(cache.get("user:1")).isEmpty();
      cache.invalidateAll();
      assertThat(heard)
          .containsExactly(
              "WRITTEN a", "DELETED a", "WRITTEN user:1", "INVALIDATED PREFIX", "FLUSHED ALL");
    }
    cache.put("b", "1");
    assertThat(heard).hasSize(5);
  }

  @Test
  void putGetDeleteRoundTrip() {
    assertThat(node.isStandalone()).isTrue();
    assertThat(node.clientPort()).isEmpty();
    assertThat(cache.get("user:1")).isEmpty();
    cache.put("user:1", "Alice");
    assertThat(cache.get("user:1")).contains("Alice");
    cache.put("user:1", "Bob");
    assertThat(cache.get("user:1")).contains("Bob");
    assertThat(cache.delete("user:1")).isTrue();
    assertThat(cache.delete("user:1")).isFalse();
    assertThat(cache.get("user:1")).isEmpty();
  }

  @Test
  void putIfAbsentStoresOnlyOnce() {
    assertThat(cache.putIfAbsent("lock", "a", Duration.ofSeconds(30))).isTrue();
    assertThat(cache.putIfAbsent("lock", "b", Duration.ofSeconds(30))).isFalse();
    assertThat(cache.get("lock")).contains("a");
  }

  @Test
  void ttlExpiresAndCanBeChanged() {
    cache.put("short", "x", Duration.ofMillis(150));
    assertThat(cache.ttl("short")).hasValueSatisfying(d -> assertThat(d).isPositive());
    awaitMissing(cache, "short", Duration.ofSeconds(5));

    cache.put("long", "y");
    assertThat(cache.ttl("long")).isEmpty(); // no default TTL: no expiry
    assertThat(cache.expire("long", Duration.ofMinutes(5))).isTrue();
    assertThat(node.ttlManager().ttl("long"))
        .hasValueSatisfying(d -> assertThat(d).isBetween(Duration.ofMinutes(4), Duration.ofMinutes(5)));
    assertThat(node.ttlManager().persist("long")).isTrue();
    assertThat(cache.ttl("long")).isEmpty();
    assertThat(cache.expire("missing", Duration.ofSeconds(1))).isFalse();
  }

  @Test
  void defaultTtlAppliesToPutsWithoutOne() {
    DistributedCache<String, String> expiring =
        DistributedCache.builder()
            .keyCodec(Codecs.utf8())
            .valueCodec(Codecs.utf8())
            .node(node)
            .defaultTtl(Duration.ofMinutes(10))
            .build();
    expiring.put("k", "v");
    assertThat(expiring.ttl("k"))
        .hasValueSatisfying(d -> assertThat(d).isBetween(Duration.ofMinutes(9), Duration.ofMinutes(10)));
    expiring.put("k", "v", Duration.ofSeconds(20));
    assertThat(expiring.ttl("k")).hasValueSatisfying(d -> assertThat(d).isLessThanOrEqualTo(Duration.ofSeconds(20)));
  }

  @Test
  void countersAndTheirValueCodec() {
    assertThat(cache.increment("hits", 5)).isEqualTo(5);
    assertThat(cache.increment("hits", -2)).isEqualTo(3);
    assertThat(cache.get("hits")).contains("3"); // decimal text, read through utf8

    DistributedCache<String, Long> counters =
        DistributedCache.builder().keyCodec(Codecs.utf8()).valueCodec(Codecs.longs()).node(node).build();
    assertThat(counters.get("hits")).contains(3L);
    counters.put("hits", 40L);
    assertThat(counters.increment("hits", 2)).isEqualTo(42);

    cache.put("name", "Alice");
    assertThatThrownBy(() -> cache.increment("name", 1)).isInstanceOf(WrongTypeException.class);
    assertThatThrownBy(() -> counters.get("name")).isInstanceOf(CodecException.class);
  }

  @Test
  void asyncVariantsCompleteOffTheCallerWithTheSameResults() throws Exception {
    cache.putAsync("a", "1").get(5, TimeUnit.SECONDS);
    assertThat(cache.getAsync("a").get(5, TimeUnit.SECONDS)).contains("1");
    assertThat(cache.putIfAbsentAsync("a", "2").get(5, TimeUnit.SECONDS)).isFalse();
    assertThat(cache.incrementAsync("n", 7).get(5, TimeUnit.SECONDS)).isEqualTo(7);
    // (Which thread runs a continuation depends on whether the future completed before it was
    // attached, so the callback thread is not asserted here.)
    assertThat(cache.deleteAsync("a").get(5, TimeUnit.SECONDS)).isTrue();
    assertThatThrownBy(() -> cache.incrementAsync("x", Long.MAX_VALUE).thenCompose(
                v -> cache.incrementAsync("x", 1)).join())
        .hasCauseInstanceOf(CacheException.class)
        .hasMessageContaining("overflow");
  }

  @Test
  void viewsAndChecker() throws Exception {
    DistributedCache<String, String> all = cache.with(ConsistencyLevel.ALL);
    assertThat(all.consistency()).isEqualTo(ConsistencyLevel.ALL);
    all.put("k", "v");
    assertThat(cache.get("k")).contains("v");
    all.close(); // a view leaves the node running
    cache.invalidate("k");
    assertThat(all.get("k")).isEmpty();

    ConsistencyChecker checker = node.consistencyChecker();
    byte[] key = "raw".getBytes(StandardCharsets.UTF_8);
    checker.writeWithConsistency(key, new byte[] {1, 2, 3}, null, ConsistencyLevel.QUORUM);
    assertThat(checker.readWithConsistency(key, ConsistencyLevel.ONE))
        .hasValueSatisfying(v -> assertThat(v).containsExactly(1, 2, 3));
    VerifyReport report = checker.verify().get(5, TimeUnit.SECONDS);
    assertThat(report.healthy()).isTrue();

    ReplicationManager replication = node.replicationManager();
    assertThat(replication.primaryOf("raw")).isEqualTo("solo");
    assertThat(replication.replicasOf("raw")).isEmpty();
    assertThat(replication.replicationFactor()).isEqualTo(1);
    assertThat(node.ring().members()).hasSize(1);
    assertThat(node.storage()).isNotNull();
  }

  record User(String name, int age) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  @Test
  void javaSerializationAndBytesCodecs() {
    DistributedCache<String, User> users =
        DistributedCache.builder()
            .keyCodec(Codecs.utf8())
            .valueCodec(Codecs.javaSerialization(User.class))
            .node(node)
            .build();
    users.put("user:1234", new User("Alice", 30));
    assertThat(users.get("user:1234")).contains(new User("Alice", 30));

    DistributedCache<byte[], byte[]> raw =
        DistributedCache.builder().keyCodec(Codecs.bytes()).valueCodec(Codecs.bytes()).node(node).build();
    byte[] value = {0, (byte) 0xff, '\r', '\n'};
    raw.put(new byte[] {9}, value);
    value[0] = 42; // the cache copied it
    assertThat(raw.get(new byte[] {9})).hasValueSatisfying(v -> assertThat(v).containsExactly(0, 0xff, '\r', '\n'));
    assertThat(users.get("user:1")).isEmpty();
  }

  @Test
  void closedNodeRefusesRequestsAndAnOwnedNodeCloses() {
    DistributedCache<String, String> owning =
        DistributedCache.builder().keyCodec(Codecs.utf8()).valueCodec(Codecs.utf8()).build();
    CacheNode itsNode = owning.node();
    owning.put("k", "v");
    owning.close();
    assertThatThrownBy(() -> owning.get("k")).isInstanceOf(ClusterUnavailableException.class);
    assertThatThrownBy(() -> itsNode.ttlManager().ttl("k"))
        .isInstanceOf(ClusterUnavailableException.class)
        .hasMessageContaining("closed");
    itsNode.close(); // idempotent
  }

  @Test
  void nullKeysAndBadTtlsAreRefusedAtOnce() {
    assertThatThrownBy(() -> cache.get(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> cache.put("k", null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> cache.put("k", "v", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(cache.get("k")).isEqualTo(Optional.empty());
    assertThat(List.of(cache.defaultTtl())).containsExactly(Optional.empty());
  }

  static void awaitMissing(DistributedCache<String, ?> c, String key, Duration within) {
    await().atMost(within).pollInterval(Duration.ofMillis(10)).until(() -> c.get(key).isEmpty());
  }
}
