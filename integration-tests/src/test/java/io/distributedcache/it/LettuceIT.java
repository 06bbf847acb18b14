package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Lettuce (sync and async APIs) over RESP2 and RESP3 against one real server process. */
@ExtendWith(Seeds.class)
class LettuceIT {

  private static ServerProcess server;
  private static ClientResources resources;
  private RedisClient client;

  @BeforeAll
  static void startServer() {
    server = ServerProcess.start();
    resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
  }

  @AfterAll
  static void stopServer() {
    try {
      if (resources != null) {
        resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  @BeforeEach
  void flush() {
    client =
        RedisClient.create(
            resources, RedisURI.builder().withHost(ServerProcess.LOOPBACK).withPort(server.port())
                .withTimeout(Duration.ofSeconds(30)).build());
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      c.sync().flushall();
    }
  }

  @AfterEach
  void closeClient() {
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }

  private StatefulRedisConnection<String, String> connect(ProtocolVersion protocol) {
    client.setOptions(ClientOptions.builder().protocolVersion(protocol).build());
    return client.connect();
  }

  // ---------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @EnumSource(ProtocolVersion.class)
  void helloNegotiatesTheRequestedProtocol(ProtocolVersion protocol) {
    try (StatefulRedisConnection<String, String> c = connect(protocol)) {
      RedisCommands<String, String> sync = c.sync();
      assertThat(sync.ping()).isEqualTo("PONG");
      String expected = protocol == ProtocolVersion.RESP3 ? "resp=3" : "resp=2";
      assertThat(sync.clientInfo()).contains(expected);
      assertThat(sync.clientList()).contains(expected);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ProtocolVersion.class)
  void syncStringAndKeyCommands(ProtocolVersion protocol) {
    try (StatefulRedisConnection<String, String> c = connect(protocol)) {
      RedisCommands<String, String> sync = c.sync();
      assertThat(sync.set("k", "v")).isEqualTo("OK");
      assertThat(sync.get("k")).isEqualTo("v");
      assertThat(sync.get("missing")).isNull();
      assertThat(sync.set("k", "w", SetArgs.Builder.nx())).isNull();
      assertThat(sync.setGet("k", "w")).isEqualTo("v");
      assertThat(sync.mset(Map.of("a", "1", "b", "2"))).isEqualTo("OK");
      assertThat(sync.mget("a", "missing", "b"))
          .containsExactly(KeyValue.just("a", "1"), KeyValue.empty("missing"), KeyValue.just("b", "2"));
      assertThat(sync.incr("a")).isEqualTo(2L);
      assertThat(sync.incrby("a", 5)).isEqualTo(7L);
      assertThat(sync.incrbyfloat("a", 0.5)).isEqualTo(7.5);
      assertThat(sync.append("b", "xy")).isEqualTo(3L);
      assertThat(sync.strlen("b")).isEqualTo(3L);
      assertThat(sync.getrange("b", 1, 2)).isEqualTo("xy");
      assertThat(sync.exists("a", "b", "missing")).isEqualTo(2L);
      assertThat(sync.type("a")).isEqualTo("string");
      assertThat(sync.expire("a", 100)).isTrue();
      assertThat(sync.ttl("a")).isBetween(98L, 100L);
      assertThat(sync.persist("a")).isTrue();
      assertThat(sync.ttl("a")).isEqualTo(-1L);
      assertThat(sync.rename("a", "c")).isEqualTo("OK");
      assertThat(sync.getdel("c")).isEqualTo("7.5");
      assertThat(sync.del("b", "k", "missing")).isEqualTo(2L);
      assertThat(sync.dbsize()).isZero();
      sync.set("text", "abc");
      assertThatThrownBy(() -> sync.incr("text"))
          .isInstanceOf(RedisCommandExecutionException.class)
          .hasMessage("ERR value is not an integer or out of range");
      assertThat(sync.configGet("maxmemory")).containsEntry("maxmemory", "0");
      if (!ServerProcess.referenceMode()) {
        assertThat(sync.clusterKeyslot("foo")).isEqualTo(12182L);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ProtocolVersion.class)
  void scanIteratorSeesEveryKeyOnce(ProtocolVersion protocol) {
    try (StatefulRedisConnection<String, String> c = connect(protocol)) {
      RedisCommands<String, String> sync = c.sync();
      Set<String> expected = new HashSet<>();
      for (int i = 0; i < 300; i++) {
        expected.add("scan:" + i);
      }
      Map<String, String> values = new HashMap<>();
      expected.forEach(k -> values.put(k, "v"));
      sync.mset(values);
      sync.set("other", "x");
      List<String> seen = new ArrayList<>();
      ScanIterator.scan(sync, ScanArgs.Builder.matches("scan:*").limit(7)).forEachRemaining(seen::add);
      assertThat(seen).hasSize(expected.size()).containsExactlyInAnyOrderElementsOf(expected);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ProtocolVersion.class)
  void asyncPipelineOfTenThousandSetsThenGets(ProtocolVersion protocol) {
    int n = 10_000;
    try (StatefulRedisConnection<String, String> c = connect(protocol)) {
      RedisAsyncCommands<String, String> async = c.async();
      c.setAutoFlushCommands(false);
      try {
        List<RedisFuture<String>> sets = new ArrayList<>(n);
        List<RedisFuture<Long>> incrs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          sets.add(async.set("a:" + i, "value-" + i));
          incrs.add(async.incr("a:counter"));
        }
        c.flushCommands();
        assertThat(LettuceFutures.awaitAll(Duration.ofSeconds(60), sets.toArray(new RedisFuture<?>[0])))
            .isTrue();
        assertThat(LettuceFutures.awaitAll(Duration.ofSeconds(60), incrs.toArray(new RedisFuture<?>[0])))
            .isTrue();
        for (int i = 0; i < n; i++) {
          assertThat(sets.get(i).toCompletableFuture().join()).isEqualTo("OK");
          assertThat(incrs.get(i).toCompletableFuture().join())
              .as("INCR replies arrive in the order sent")
              .isEqualTo(i + 1L);
        }

        List<RedisFuture<String>> gets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          gets.add(async.get("a:" + i));
        }
        c.flushCommands();
        assertThat(LettuceFutures.awaitAll(Duration.ofSeconds(60), gets.toArray(new RedisFuture<?>[0])))
            .isTrue();
        for (int i = 0; i < n; i++) {
          assertThat(gets.get(i).toCompletableFuture().join()).isEqualTo("value-" + i);
        }
      } finally {
        c.setAutoFlushCommands(true);
      }
      assertThat(c.sync().dbsize()).isEqualTo(n + 1L);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ProtocolVersion.class)
  void binaryCodecRoundTrip(ProtocolVersion protocol) {
    client.setOptions(ClientOptions.builder().protocolVersion(protocol).build());
    try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE)) {
      RedisCommands<byte[], byte[]> sync = c.sync();
      byte[] key = new byte[256];
      for (int i = 0; i < key.length; i++) {
        key[i] = (byte) i;
      }
      Random random = Seeds.random("LettuceIT.binary." + protocol);
      byte[] value = new byte[100_000];
      random.nextBytes(value);
      value[0] = '\r';
      value[1] = '\n';
      value[2] = 0;
      assertThat(sync.set(key, value)).isEqualTo("OK");
      assertThat(sync.get(key)).as(Seeds.describe()).isEqualTo(value);
      assertThat(sync.strlen(key)).isEqualTo(value.length);
      byte[] empty = new byte[0];
      assertThat(sync.set(empty, empty)).isEqualTo("OK");
      assertThat(sync.get(empty)).isEmpty();
      assertThat(sync.keys("*")).containsExactlyInAnyOrder(key, empty);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ProtocolVersion.class)
  void asyncExpiryIsObserved(ProtocolVersion protocol) throws Exception {
    try (StatefulRedisConnection<String, String> c = connect(protocol)) {
      RedisAsyncCommands<String, String> async = c.async();
      long start = System.nanoTime();
      assertThat(async.set("short", "v", SetArgs.Builder.px(200)).get(10, TimeUnit.SECONDS))
          .isEqualTo("OK");
      assertThat(async.get("short").get(10, TimeUnit.SECONDS)).isEqualTo("v");
      assertThat(async.pttl("short").get(10, TimeUnit.SECONDS)).isBetween(1L, 200L);
      await()
          .atMost(Duration.ofSeconds(5))
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(5))
          .until(() -> async.get("short").get(10, TimeUnit.SECONDS) == null);
      long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(elapsedMillis).as("gone, but not before ~150 ms").isGreaterThanOrEqualTo(150L);
      assertThat(async.exists("short").get(10, TimeUnit.SECONDS)).isZero();
    }
  }
}
