package io.distributedcache.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.invalidation.Invalidation;
import io.distributedcache.core.placement.Member;
import io.distributedcache.core.storage.ByteKey;
import io.distributedcache.core.storage.Subscription;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three CacheNodes founding a cluster in this JVM on loopback; n2 has no client port. The last
 * test closes them and checks every port is free again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(120)
class ClusterCacheTest {

  private final Set<Integer> taken = new HashSet<>();
  private final List<CacheNode> nodes = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();
  private final List<DistributedCache<String, String>> caches = new ArrayList<>();
  private ExecutorService threads;

  @BeforeAll
  void startCluster(@TempDir Path dataDirs) throws IOException {
    threads = Executors.newFixedThreadPool(4);
    List<Member> members = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      int clusterPort = freePort();
      members.add(new Member("n" + i, "127.0.0.1", clusterPort));
      ports.add(clusterPort);
    }
    for (int i = 1; i <= 3; i++) {
      NodeConfig.Builder config =
          NodeConfig.builder()
              .nodeId("n" + i)
              .members(members)
              .replicationFactor(3)
              .virtualNodes(16) // fewer than the default 150: lighter start on 2 cores
              .ioThreads(1)
              .requestTimeout(Duration.ofSeconds(5))
              .failureTimeout(Duration.ofSeconds(5))
              .clusterName("embedded-test")
              .dataDir(dataDirs.resolve("n" + i));
      if (i != 2) {
        int clientPort = freePort();
        config.clientPort(clientPort);
        ports.add(clientPort);
      }
      CacheNode node = CacheNode.start(config.build());
      nodes.add(node);
      caches.add(
          DistributedCache.builder()
              .keyCodec(Codecs.utf8())
              .valueCodec(Codecs.utf8())
              .node(node)
              .consistency(ConsistencyLevel.QUORUM)
              .build());
    }
    for (CacheNode node : nodes) {
      node.awaitReady(Duration.ofSeconds(30));
    }
    // Every copy caught up and every peer link up: a write at ALL through each node succeeds.
    for (DistributedCache<String, String> cache : caches) {
      DistributedCache<String, String> all = cache.with(ConsistencyLevel.ALL);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptionsInstanceOf(CacheException.class)
          .until(
              () -> {
                all.put("probe:" + cache.node().nodeId(), "ok");
                return true;
              });
    }
  }

  @AfterAll
  void stopCluster() {
    for (CacheNode node : nodes) {
      node.close();
    }
    threads.shutdownNow();
  }

  private DistributedCache<String, String> cache(int n) {
    return caches.get(n - 1);
  }

  @Test
  @Order(1)
  void quorumWriteThroughOneNodeIsReadThroughAnother() {
    cache(1).put("user:1234", "Alice");
    assertThat(cache(3).get("user:1234")).contains("Alice");
    assertThat(cache(2).with(ConsistencyLevel.ALL).get("user:1234")).contains("Alice");
    ReplicationManager replication = nodes.get(0).replicationManager();
    assertThat(replication.replicationFactor()).isEqualTo(3);
    assertThat(replication.copiesOf("user:1234".getBytes(StandardCharsets.UTF_8)))
        .containsExactlyInAnyOrder("n1", "n2", "n3");
    assertThat(replication.replicasOf("user:1234")).doesNotContain(replication.primaryOf("user:1234"));
    assertThat(replication.status().unreachable()).isEmpty();
    assertThat(replication.figures()).containsKey("raft_role");
  }

  @Test
  @Order(2)
  void nodeWithoutClientPortJoinsReplicatesAndServes() {
    CacheNode n2 = nodes.get(1);
    assertThat(n2.clientPort()).isEmpty();
    assertThat(n2.ring().members()).extracting(Member::id).containsExactlyInAnyOrder("n1", "n2", "n3");
    cache(2).put("written-by-n2", "v2");
    assertThat(cache(1).get("written-by-n2")).contains("v2");
    cache(1).with(ConsistencyLevel.ALL).put("written-by-n1", "v1");
    // At ALL every copy has it, n2's own included: its local store holds a copy.
    assertThat(n2.consistencyChecker()
            .readWithConsistency("written-by-n1".getBytes(StandardCharsets.UTF_8), ConsistencyLevel.ONE))
        .hasValueSatisfying(v -> assertThat(new String(v, StandardCharsets.UTF_8)).isEqualTo("v1"));
    assertThat(n2.storage().size()).isPositive();
  }

  @Test
  @Order(3)
  void ttlExpiresOnEveryNode() {
    cache(1).put("session:9", "s", Duration.ofMillis(300));
    assertThat(nodes.get(2).ttlManager().ttl("session:9")).isPresent();
    for (int n = 1; n <= 3; n++) {
      DistributedCache<String, String> c = cache(n);
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
          .until(() -> c.get("session:9").isEmpty());
    }
  }

  @Test
  @Order(4)
  void putIfAbsentRaceBetweenTwoNodesHasOneWinner() throws Exception {
    for (int round = 0; round < 20; round++) {
      String key = "race:" + round;
      CountDownLatch go = new CountDownLatch(1);
      Future<Boolean> a = threads.submit(() -> { go.await(); return cache(1).putIfAbsent(key, "n1", Duration.ofMinutes(1)); });
      Future<Boolean> b = threads.submit(() -> { go.await(); return cache(3).putIfAbsent(key, "n3", Duration.ofMinutes(1)); });
      go.countDown();
      boolean first = a.get(30, TimeUnit.SECONDS);
      boolean second = b.get(30, TimeUnit.SECONDS);
      assertThat(first ^ second).as("exactly one winner for " + key).isTrue();
      assertThat(cache(2).get(key)).contains(first ? "n1" : "n3");
    }
  }

  @Test
  @Order(5)
  void concurrentIncrementsThroughTwoNodesAllCount() throws Exception {
    int perThread = 300;
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> running = new ArrayList<>();
    for (int n : new int[] {1, 3}) {
      DistributedCache<String, String> c = cache(n);
      running.add(threads.submit(() -> {
        go.await();
        for (int i = 0; i < perThread; i++) {
          c.increment("counter", 1);
        }
        return null;
      }));
    }
    go.countDown();
    for (Future<?> f : running) {
      f.get(60, TimeUnit.SECONDS);
    }
    assertThat(cache(2).increment("counter", 0)).isEqualTo(2L * perThread);
    DistributedCache<String, Long> counters =
        DistributedCache.builder().keyCodec(Codecs.utf8()).valueCodec(Codecs.longs()).node(nodes.get(1)).build();
    assertThat(counters.get("counter")).contains(2L * perThread);
  }

  @Test
  @Order(6)
  void asyncCallsInvalidateAndVerify() throws Exception {
    List<CompletableFuture<Void>> puts = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      puts.add(cache(3).putAsync("async:" + i, "v" + i));
    }
    CompletableFuture.allOf(puts.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
    assertThat(cache(1).getAsync("async:49").get(10, TimeUnit.SECONDS)).contains("v49");
    cache(2).invalidate("async:49");
    assertThat(cache(3).with(ConsistencyLevel.ONE).get("async:49")).isEmpty();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> nodes.get(0).consistencyChecker().verify().get(10, TimeUnit.SECONDS).healthy());
  }

  @Test
  @Order(7)
  void respClientsSeeTheSameData() throws IOException {
    cache(2).put("shared", "from-java");
    int clientPort = nodes.get(0).clientPort().orElseThrow();
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), clientPort)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(CacheProtocol.encodeRequest(CacheProtocol.get("shared".getBytes(StandardCharsets.UTF_8))));
      out.flush();
      byte[] expected = "$9\r\nfrom-java\r\n".getBytes(StandardCharsets.US_ASCII);
      byte[] reply = s.getInputStream().readNBytes(expected.length);
      assertThat(CacheProtocol.decode(reply)).isEqualTo("from-java".getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  @Order(8)
  void listenersOnEveryNodeHearOfWritesThroughAnother() {
    List<String> heardOnN3 = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<String> heardOnN2 = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Subscription s3 =
            caches.get(2).addListener((event, key) -> heardOnN3.add(event.cause() + " " + key));
        Subscription s2 =
            caches.get(1).addListener((event, key) -> heardOnN2.add(event.cause() + " " + key))) {
      caches.get(0).put("listened", "1");
      caches.get(0).delete("listened");
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(heardOnN3).contains("WRITTEN listened", "DELETED listened");
                assertThat(heardOnN2).contains("WRITTEN listened", "DELETED listened");
              });
      caches.get(0).put("short-lived", "1", Duration.ofMillis(200));
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(heardOnN3).contains("EXPIRED short-lived"));
    }
    int before = nodes.get(2).invalidationManager().listenerCount();
    caches.get(0).put("after-close", "1");
    assertThat(nodes.get(2).invalidationManager().listenerCount()).isEqualTo(before);
    assertThat(heardOnN3).noneMatch(e -> e.endsWith("after-close"));
  }

  @Test
  @Order(9)
  void invalidatePrefixRemovesEveryCopyAndEveryNodeHearsIt() {
    for (int i = 0; i < 20; i++) {
      caches.get(0).with(ConsistencyLevel.ALL).put("user:" + i, "u" + i);
      caches.get(0).with(ConsistencyLevel.ALL).put("order:" + i, "o" + i);
    }
    List<Invalidation> heardOnN1 = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Subscription s = caches.get(0).addListener((event, key) -> heardOnN1.add(event))) {
      caches.get(1).invalidatePrefix("user:");
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                for (CacheNode node : nodes) {
                  for (int i = 0; i < 20; i++) {
                    assertThat(node.storage().getLive(ByteKey.of("user:" + i)))
                        .as("user:%d on %s", i, node.nodeId())
                        .isNull();
                    assertThat(node.storage().getLive(ByteKey.of("order:" + i))).isNotNull();
                  }
                }
                assertThat(heardOnN1)
                    .anyMatch(
                        e -> e.scope() == Invalidation.Scope.PREFIX
                            && new String(e.bytes(), StandardCharsets.UTF_8).equals("user:"));
              });
    }
    caches.get(2).invalidateAll();
    for (CacheNode node : nodes) {
      assertThat(node.storage().getLive(ByteKey.of("order:3"))).isNull();
    }
  }

  @Test
  @Order(100)
  void closeStopsEverythingAndFreesThePorts() throws IOException {
    for (CacheNode node : nodes) {
      node.close();
    }
    assertThat(cache(1).getAsync("user:1234"))
        .failsWithin(Duration.ofSeconds(5))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withCauseInstanceOf(ClusterUnavailableException.class);
    for (int port : ports) {
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        assertThat(s.getLocalPort()).isEqualTo(port);
      }
    }
    // Idle callback threads exit shortly after the pool is shut down.
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
        .until(() -> Thread.getAllStackTraces().keySet().stream()
            .map(Thread::getName)
            .noneMatch(name -> name.equals("cluster-tick") || name.startsWith("cache-callback-n")));
  }

  private int freePort() throws IOException {
    for (int i = 0; i < 100; i++) {
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        if (taken.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      }
    }
    throw new IllegalStateException("no distinct free port");
  }
}
