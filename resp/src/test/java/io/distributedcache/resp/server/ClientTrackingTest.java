package io.distributedcache.resp.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisURI;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.support.caching.CacheAccessor;
import io.lettuce.core.support.caching.CacheFrontend;
import io.lettuce.core.support.caching.ClientSideCaching;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.csc.CacheConfig;
import redis.clients.jedis.params.SetParams;

/**
 * Cluster-wide server-assisted client-side caching ({@code CLIENT TRACKING}) as clients see it:
 * a client connected to one node reads, a write goes through another node, and the reader is told
 * on its own connection, in the exact frames Redis sends (RESP3 pushes; RESP2 messages on the
 * {@code __redis__:invalidate} channel of a redirect target). Runs against a three-node
 * in-process cluster, a standalone node, and the client-side caches of Jedis and Lettuce.
 *
 * <p>Ordering used for "nothing else came": every test key carries a hash tag, so the keys of one
 * test share one slot and one primary; that primary announces its writes in order and the peer
 * network delivers them in order. So when the invalidation of a later write of the same slot
 * arrives (a "barrier"), any invalidation of an earlier write would already have arrived.
 */
class ClientTrackingTest {

  private static final Duration DELIVERY = Duration.ofSeconds(5);

  /** How long a raw connection waits for a command's reply (see {@link #jedis(int)}). */
  private static final Duration REPLY = Duration.ofSeconds(10);

  private static InProcessCluster cluster;

  @BeforeAll
  static void start() {
    cluster = new InProcessCluster(3, 3);
    warmUp(cluster);
  }

  /**
   * Writes and reads through every node until each answers: the first requests of a fresh JVM
   * (class loading, JIT) can take longer than the cluster's 2 s request timeout on a busy
   * machine, and a test should not fail for that.
   */
  static void warmUp(InProcessCluster c) {
    for (String node : c.ids()) {
      try (Jedis j = jedis(c.port(node))) {
        InProcessCluster.await(
            node + " answers a write and a read",
            () -> {
              try {
                return "OK".equals(j.set("warm-up:" + node, node))
                    && node.equals(j.get("warm-up:" + node));
              } catch (redis.clients.jedis.exceptions.JedisDataException e) {
                return false; // -TIMEOUT while cold: try again
              }
            },
            Duration.ofSeconds(60));
      }
    }
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /**
   * A plain Jedis connection to {@code node}. Its read timeout is generous because the first
   * request a fresh JVM sends through the cluster takes about a second here (class loading and
   * JIT), more on a loaded machine, beyond Jedis' 2 s default.
   */
  static Jedis jedis(int port) {
    return new Jedis(
        new HostAndPort("127.0.0.1", port),
        DefaultJedisClientConfig.builder().socketTimeoutMillis(10_000).build());
  }

  private static Jedis jedis(String node) {
    return jedis(cluster.port(node));
  }

  /** A RESP3 connection to {@code node} with {@code CLIENT TRACKING ON options...}. */
  private static RawResp tracking(int port, String... options) {
    RawResp c = new RawResp(port);
    c.call("HELLO", "3");
    String[] args = new String[3 + options.length];
    args[0] = "CLIENT";
    args[1] = "TRACKING";
    args[2] = "ON";
    System.arraycopy(options, 0, args, 3, options.length);
    assertThat(c.call(args).text()).isEqualTo("+OK\r\n");
    return c;
  }

  /** The RESP3 push that says {@code key} changed. */
  static String invalidate3(String key) {
    return ">2\r\n$10\r\ninvalidate\r\n*1\r\n" + bulk(key);
  }

  /** The RESP2 message a redirect target subscribed to {@code __redis__:invalidate} receives. */
  static String invalidate2(String key) {
    return "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n" + bulk(key);
  }

  static String bulk(String s) {
    return "$" + s.getBytes(StandardCharsets.UTF_8).length + "\r\n" + s + "\r\n";
  }

  /**
   * Makes {@code reader} (a default-mode tracking connection) read {@code {tag}sync}, writes that
   * key through {@code writer} and asserts that the next push {@code reader} gets is its
   * invalidation: proof that no invalidation for an earlier write of the slot is still on its way.
   */
  private static void barrier(RawResp reader, Jedis writer, String tag) {
    String sync = "{" + tag + "}sync";
    reader.call("GET", sync);
    writer.set(sync, Long.toString(System.nanoTime()));
    assertThat(reader.nextPush(DELIVERY).text()).isEqualTo(invalidate3(sync));
  }

  /**
   * Waits until every invalidation for writes of {@code tag}'s slot made so far reached node
   * {@code node}, with a tracking connection of its own: afterwards a client's first read there is
   * not hit by the invalidation of a write that came before it.
   */
  private static void settle(String node, Jedis writer, String tag) {
    try (RawResp probe = tracking(cluster.port(node))) {
      barrier(probe, writer, tag);
    }
  }

  @Test
  void defaultModeTellsAReaderOnOneNodeAboutAWriteThroughAnother() {
    String k = "{dm}k";
    try (Jedis n2 = jedis("n2")) {
      n2.set(k, "v1");
      settle("n1", n2, "dm");
      try (RawResp reader = tracking(cluster.port("n1"))) {
        assertThat(reader.call("GET", k).text()).isEqualTo("$2\r\nv1\r\n");

        n2.set(k, "v2");
        assertThat(reader.nextPush(DELIVERY).text()).isEqualTo(invalidate3(k));

        // Not read again: a second write is not announced to this client.
        n2.set(k, "v3");
        barrier(reader, n2, "dm");
        // Read again: tracked again.
        assertThat(reader.call("GET", k).text()).isEqualTo("$2\r\nv3\r\n");
        n2.del(k);
        assertThat(reader.nextPush(DELIVERY).text()).isEqualTo(invalidate3(k));
      }
    }
  }

  @Test
  void noLoopSparesTheWriterButTellsOtherReaders() {
    String k = "{nl}k";
    try (Jedis n2 = jedis("n2")) {
      n2.set(k, "v1");
      settle("n1", n2, "nl");
      try (RawResp writer = tracking(cluster.port("n1"), "NOLOOP");
          RawResp other = tracking(cluster.port("n1"))) {
        assertThat(writer.call("GET", k).text()).isEqualTo("$2\r\nv1\r\n");
        assertThat(other.call("GET", k).text()).isEqualTo("$2\r\nv1\r\n");

        assertThat(writer.call("SET", k, "mine").text()).isEqualTo("+OK\r\n");
        assertThat(other.nextPush(DELIVERY).text()).isEqualTo(invalidate3(k));
        barrier(writer, n2, "nl");

        // A write by someone else still reaches the NOLOOP client.
        assertThat(writer.call("GET", k).text()).isEqualTo("$4\r\nmine\r\n");
        n2.set(k, "theirs");
        assertThat(writer.nextPush(DELIVERY).text()).isEqualTo(invalidate3(k));
      }
    }
  }

  @Test
  void bcastPrefixTellsAboutMatchingKeysWithoutReadingThem() {
    try (Jedis n2 = jedis("n2");
        RawResp bcast = tracking(cluster.port("n1"), "BCAST", "PREFIX", "user:")) {
      n2.set("user:{bc}1", "alice");
      assertThat(bcast.nextPush(DELIVERY).text()).isEqualTo(invalidate3("user:{bc}1"));

      n2.set("order:{bc}1", "book");
      n2.set("user:{bc}2", "bob");
      // Same slot, so order:{bc}1 would have come first had it been sent.
      assertThat(bcast.nextPush(DELIVERY).text()).isEqualTo(invalidate3("user:{bc}2"));

      // BCAST does not forget: the same key again, still unread, is announced again.
      n2.del("user:{bc}1");
      assertThat(bcast.nextPush(DELIVERY).text()).isEqualTo(invalidate3("user:{bc}1"));
    }
  }

  @Test
  void optInTracksOnlyReadsAfterCachingYes() {
    try (Jedis n2 = jedis("n2")) {
      n2.set("{oi}a", "1");
      n2.set("{oi}b", "2");
      settle("n1", n2, "oi");
      try (RawResp c = tracking(cluster.port("n1"), "OPTIN")) {
        assertThat(c.call("GET", "{oi}a").text()).isEqualTo("$1\r\n1\r\n");
        assertThat(c.call("CLIENT", "CACHING", "YES").text()).isEqualTo("+OK\r\n");
        assertThat(c.call("GET", "{oi}b").text()).isEqualTo("$1\r\n2\r\n");
        // CACHING YES covered one command only.
        assertThat(c.call("GET", "{oi}c").text()).isEqualTo("_\r\n");

        n2.set("{oi}a", "x");
        n2.set("{oi}c", "x");
        n2.set("{oi}b", "x");
        assertThat(c.nextPush(DELIVERY).text()).isEqualTo(invalidate3("{oi}b"));
      }
    }
  }

  @Test
  void optOutTracksEveryReadButThoseAfterCachingNo() {
    try (Jedis n2 = jedis("n2")) {
      n2.set("{oo}a", "1");
      n2.set("{oo}b", "2");
      settle("n1", n2, "oo");
      try (RawResp c = tracking(cluster.port("n1"), "OPTOUT")) {
        assertThat(c.call("CLIENT", "CACHING", "NO").text()).isEqualTo("+OK\r\n");
        assertThat(c.call("GET", "{oo}a").text()).isEqualTo("$1\r\n1\r\n");
        assertThat(c.call("GET", "{oo}b").text()).isEqualTo("$1\r\n2\r\n");

        n2.set("{oo}a", "x");
        n2.set("{oo}b", "x");
        assertThat(c.nextPush(DELIVERY).text()).isEqualTo(invalidate3("{oo}b"));
      }
    }
  }

  @Test
  void resp2RedirectDeliversOnTheInvalidateChannel() {
    String k = "{rd}k";
    try (Jedis n2 = jedis("n2")) {
      n2.set(k, "v1");
      settle("n1", n2, "rd");
      try (RawResp r = new RawResp(cluster.port("n1"));
          RawResp t = new RawResp(cluster.port("n1"))) {
        long rid = (Long) r.call("CLIENT", "ID").value();
        r.send("SUBSCRIBE", "__redis__:invalidate");
        assertThat(r.next(DELIVERY).text())
            .isEqualTo("*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n");
        assertThat(t.call("CLIENT", "TRACKING", "ON", "REDIRECT", Long.toString(rid)).text())
            .isEqualTo("+OK\r\n");
        assertThat(t.call("CLIENT", "GETREDIR").value()).isEqualTo(rid);
        assertThat(t.call("GET", k).text()).isEqualTo("$2\r\nv1\r\n");

        n2.set(k, "v2");
        assertThat(r.next(DELIVERY).text()).isEqualTo(invalidate2(k));
        // T itself, speaking RESP2, got nothing: its next reply is its own.
        assertThat(t.call("PING").text()).isEqualTo("+PONG\r\n");
      }
    }
  }

  @Test
  void trackingInfoGetRedirAndErrors() {
    try (RawResp c = new RawResp(cluster.port("n1"));
        RawResp other = new RawResp(cluster.port("n1"))) {
      c.call("HELLO", "3");
      assertThat(c.call("CLIENT", "TRACKINGINFO").value())
          .isEqualTo(Map.of("flags", List.of("off"), "redirect", -1L, "prefixes", List.of()));
      assertThat(c.call("CLIENT", "GETREDIR").value()).isEqualTo(-1L);

      assertThat(c.call("CLIENT", "TRACKING", "ON", "PREFIX", "a").text())
          .isEqualTo("-ERR PREFIX option requires BCAST mode to be enabled\r\n");
      assertThat(c.call("CLIENT", "TRACKING", "ON", "REDIRECT", "987654321").text())
          .isEqualTo("-ERR The client ID you want redirect to does not exist\r\n");
      assertThat(c.call("CLIENT", "CACHING", "YES").text())
          .isEqualTo(
              "-ERR CLIENT CACHING can be called only when the client is in tracking mode with"
                  + " OPTIN or OPTOUT mode enabled\r\n");
      // Tracking on, but neither OPTIN nor OPTOUT: each answer names the mode it needs.
      assertThat(c.call("CLIENT", "TRACKING", "ON").text()).isEqualTo("+OK\r\n");
      assertThat(c.call("CLIENT", "CACHING", "YES").text())
          .isEqualTo(
              "-ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.\r\n");
      assertThat(c.call("CLIENT", "CACHING", "NO").text())
          .isEqualTo(
              "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n");
      assertThat(c.call("CLIENT", "TRACKING", "OFF").text()).isEqualTo("+OK\r\n");

      assertThat(
              c.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a:", "PREFIX", "b:", "NOLOOP")
                  .text())
          .isEqualTo("+OK\r\n");
      // RESP3 shape: a map whose flags are a set, redirect an integer, prefixes an array.
      assertThat(c.call("CLIENT", "TRACKINGINFO").text())
          .isEqualTo(
              "%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\nbcast\r\n$6\r\nnoloop\r\n"
                  + "$8\r\nredirect\r\n:0\r\n"
                  + "$8\r\nprefixes\r\n*2\r\n$2\r\na:\r\n$2\r\nb:\r\n");
      assertThat(c.call("CLIENT", "GETREDIR").value()).isEqualTo(0L);
      assertThat(c.call("CLIENT", "TRACKING", "OFF").text()).isEqualTo("+OK\r\n");

      long otherId = (Long) other.call("CLIENT", "ID").value();
      assertThat(
              c.call("CLIENT", "TRACKING", "ON", "OPTIN", "REDIRECT", Long.toString(otherId))
                  .text())
          .isEqualTo("+OK\r\n");
      assertThat(c.call("CLIENT", "TRACKINGINFO").value())
          .isEqualTo(
              Map.of("flags", List.of("on", "optin"), "redirect", otherId, "prefixes", List.of()));
      assertThat(c.call("CLIENT", "GETREDIR").value()).isEqualTo(otherId);
    }
  }

  @Test
  void flushAllSendsANullInvalidation() {
    try (Jedis n2 = jedis("n2")) {
      n2.set("{fa}k", "v");
      settle("n1", n2, "fa");
      try (RawResp c = tracking(cluster.port("n1"))) {
        assertThat(c.call("GET", "{fa}k").text()).isEqualTo("$1\r\nv\r\n");
        assertThat(n2.flushAll()).isEqualTo("OK");
        assertThat(c.nextPush(DELIVERY).text()).isEqualTo(">2\r\n$10\r\ninvalidate\r\n_\r\n");
      }
    }
  }

  @Test
  void expiryOnThePrimaryInvalidatesAReaderOnAnotherNode() {
    String k = "{ex}k";
    try (Jedis n2 = jedis("n2");
        RawResp reader = tracking(cluster.port("n1"))) {
      // The barrier first, so the SET's own invalidation cannot be mistaken for the expiry's.
      reader.call("GET", "{ex}sync");
      long setNanos = System.nanoTime();
      assertThat(n2.set(k, "v", new SetParams().px(200)))
          .isEqualTo("OK");
      n2.set("{ex}sync", "x");
      assertThat(reader.nextPush(DELIVERY).text()).isEqualTo(invalidate3("{ex}sync"));
      assertThat(reader.call("GET", k).text())
          .as("read before the 200 ms TTL ran out")
          .isEqualTo("$1\r\nv\r\n");

      assertThat(reader.nextPush(DELIVERY).text()).isEqualTo(invalidate3(k));
      assertThat(System.nanoTime() - setNanos)
          .as("the invalidation came from the expiry, not the write")
          .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
      assertThat(n2.get(k)).isNull();
    }
  }

  /**
   * Regression: a read made right after a write through another node, while that write's
   * invalidation is still on its way. The invalidation used to overtake the read's reply (the
   * client then cached the old value) or to take the read's tracking entry with it (the next
   * write was announced to nobody). Now an invalidation that arrives while the client's read of
   * the key is out is held until after the reply, and the read stays tracked. Modelled as a near
   * cache: whatever it holds at the end of a round must be the latest value.
   */
  @Test
  void aReadRacingTheInvalidationOfTheWriteBeforeItIsStillTracked() {
    String k = "{race}k";
    String sync = "{race}sync";
    try (Jedis n2 = jedis("n2");
        RawResp reader = tracking(cluster.port("n1"))) {
      for (int round = 0; round < 60; round++) {
        n2.set(k, "a" + round);
        RawResp.Frame got = reader.call("GET", k);
        // Pushes that came before the reply do not touch what the client caches from it.
        while (reader.pendingPushes() > 0) {
          reader.nextPush(DELIVERY);
        }
        String cached = got.text().startsWith("$-1") ? null : got.text();
        n2.set(k, "b" + round);
        // Everything announced for this slot so far arrives before the sync key's push.
        reader.call("GET", sync);
        n2.set(sync, "s" + round);
        while (true) {
          String push = reader.nextPush(DELIVERY).text();
          if (push.equals(invalidate3(k))) {
            cached = null;
          } else if (push.equals(invalidate3(sync))) {
            break;
          }
        }
        assertThat(cached)
            .as("round %d: the near cache may hold nothing or the latest value", round)
            .isIn(null, bulk("b" + round));
      }
    }
  }

  /**
   * Regression (one node): a write on another event loop landing between a read and the
   * remembering of its key used to be announced to nobody. Reads are now remembered before they
   * run.
   */
  @Test
  void standaloneReadRacingAWriteIsStillTracked() throws Exception {
    RespServer server =
        RespServer.standalone(
                ServerSettings.defaults(),
                SystemClock.INSTANCE,
                SystemClock.INSTANCE,
                new SplittableRandom(11))
            .start();
    try (RawResp writer = new RawResp(server.port());
        RawResp reader = tracking(server.port())) {
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newSingleThreadExecutor();
      try {
        for (int round = 0; round < 500; round++) {
          String value = "v" + round;
          java.util.concurrent.Future<?> write =
              pool.submit(() -> writer.call("SET", "k", value));
          RawResp.Frame got = reader.call("GET", "k");
          while (reader.pendingPushes() > 0) {
            reader.nextPush(DELIVERY);
          }
          write.get();
          String cached = got.text();
          // The writer's next reply follows the invalidation of its previous write on one node.
          writer.call("SET", "sync", value);
          reader.call("GET", "sync");
          writer.call("SET", "sync", value + "!");
          while (true) {
            String push = reader.nextPush(DELIVERY).text();
            if (push.equals(invalidate3("k"))) {
              cached = null;
            } else if (push.equals(invalidate3("sync"))) {
              break;
            }
          }
          assertThat(cached).as("round %d", round).isIn(null, bulk(value));
        }
      } finally {
        pool.shutdownNow();
      }
    } finally {
      server.close();
    }
  }

  @Test
  void standaloneNodeTracksReadsAndWritesOfOtherConnections() {
    RespServer server =
        RespServer.standalone(
                ServerSettings.defaults(),
                SystemClock.INSTANCE,
                SystemClock.INSTANCE,
                new SplittableRandom(7))
            .start();
    try (RawResp writer = new RawResp(server.port());
        RawResp reader = tracking(server.port());
        RawResp noLoop = tracking(server.port(), "NOLOOP")) {
      assertThat(writer.call("SET", "k", "v1").text()).isEqualTo("+OK\r\n");
      assertThat(reader.call("GET", "k").text()).isEqualTo("$2\r\nv1\r\n");
      assertThat(noLoop.call("GET", "k").text()).isEqualTo("$2\r\nv1\r\n");

      assertThat(writer.call("SET", "k", "v2").text()).isEqualTo("+OK\r\n");
      assertThat(reader.nextPush(DELIVERY).text()).isEqualTo(invalidate3("k"));
      assertThat(noLoop.nextPush(DELIVERY).text()).isEqualTo(invalidate3("k"));

      // The second write, unread since: nothing for the reader. On one node the write's
      // invalidation is delivered before its reply, so the next reply proves it.
      assertThat(writer.call("SET", "k", "v3").text()).isEqualTo("+OK\r\n");
      assertThat(reader.call("PING").text()).isEqualTo("+PONG\r\n");
      assertThat(reader.pendingPushes()).isZero();

      // NOLOOP on one node: its own write is not announced to it, another's is.
      assertThat(noLoop.call("GET", "k").text()).isEqualTo("$2\r\nv3\r\n");
      assertThat(noLoop.call("SET", "k", "own").text()).isEqualTo("+OK\r\n");
      assertThat(noLoop.call("PING").text()).isEqualTo("+PONG\r\n");
      assertThat(noLoop.pendingPushes()).isZero();
      assertThat(noLoop.call("GET", "k").text()).isEqualTo("$3\r\nown\r\n");
      assertThat(writer.call("DEL", "k").text()).isEqualTo(":1\r\n");
      assertThat(noLoop.nextPush(DELIVERY).text()).isEqualTo(invalidate3("k"));
    } finally {
      server.close();
    }
  }

  @Test
  void jedisClientSideCacheSeesAWriteThroughAnotherNode() {
    String k = "{jc}k";
    try (Jedis n2 = jedis("n2")) {
      n2.set(k, "v1");
      settle("n1", n2, "jc");
      try (RedisClient cached =
          RedisClient.builder()
              .hostAndPort("127.0.0.1", cluster.port("n1"))
              .clientConfig(DefaultJedisClientConfig.builder().resp3().build())
              .cacheConfig(CacheConfig.builder().maxSize(1000).build())
              .build()) {
        assertThat(cached.get(k)).isEqualTo("v1");
        assertThat(cached.get(k)).isEqualTo("v1");
        assertThat(cached.getCache().getStats().getHitCount())
            .as("the second get was served from the client's cache")
            .isGreaterThanOrEqualTo(1);

        n2.set(k, "v2");
        InProcessCluster.await(
            "the Jedis cache returns the value written through n2",
            () -> "v2".equals(cached.get(k)),
            DELIVERY);
        assertThat(cached.getCache().getStats().getInvalidationCount()).isGreaterThanOrEqualTo(1);
      }
    }
  }

  @Test
  void lettuceClientSideCachingDropsAnEntryWrittenThroughAnotherNode() {
    String k = "{lc}k";
    io.lettuce.core.RedisClient client =
        io.lettuce.core.RedisClient.create(RedisURI.create("127.0.0.1", cluster.port("n1")));
    try (Jedis n2 = jedis("n2")) {
      n2.set(k, "v1");
      settle("n1", n2, "lc");
      try (StatefulRedisConnection<String, String> connection = client.connect()) {
        Map<String, String> map = new ConcurrentHashMap<>();
        CacheFrontend<String, String> frontend =
            ClientSideCaching.enable(
                CacheAccessor.forMap(map), connection, TrackingArgs.Builder.enabled());
        try {
          assertThat(frontend.get(k)).isEqualTo("v1");
          assertThat(map).containsEntry(k, "v1");

          n2.set(k, "v2");
          InProcessCluster.await(
              "Lettuce's cache drops " + k, () -> !map.containsKey(k), DELIVERY);
          assertThat(frontend.get(k)).isEqualTo("v2");
          assertThat(map).containsEntry(k, "v2");
        } finally {
          frontend.close();
        }
      }
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * A minimal RESP2/RESP3 client over a plain socket that keeps each frame's exact bytes, for
   * asserting the wire. {@link #call} answers the command's reply and keeps RESP3 pushes that
   * arrive before it for {@link #nextPush}. Every read has a deadline. One thread at a time.
   */
  static final class RawResp implements AutoCloseable {

    /** One frame as received, with its value parsed by {@link RespReplies}. */
    record Frame(byte[] wire) {
      String text() {
        return new String(wire, StandardCharsets.UTF_8);
      }

      Object value() {
        return RespReplies.parseOne(wire);
      }

      boolean isPush() {
        return wire.length > 0 && wire[0] == '>';
      }

      @Override
      public String toString() {
        return text().replace("\r\n", "\\r\\n");
      }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ArrayDeque<Frame> pushes = new ArrayDeque<>();

    RawResp(int port) {
      this(port, 0);
    }

    /** With {@code receiveBufferBytes} > 0, a small socket receive buffer (set before connect). */
    RawResp(int port, int receiveBufferBytes) {
      try {
        socket = new Socket();
        if (receiveBufferBytes > 0) {
          socket.setReceiveBufferSize(receiveBufferBytes);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot connect to 127.0.0.1:" + port, e);
      }
    }

    /** Writes one command as a RESP array of bulk strings. */
    void send(String... args) {
      StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
      for (String a : args) {
        sb.append(bulk(a));
      }
      try {
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Sends a command and returns its reply; pushes read on the way are kept. */
    Frame call(String... args) {
      send(args);
      while (true) {
        Frame f = next(REPLY);
        if (!f.isPush()) {
          return f;
        }
        pushes.add(f);
      }
    }

    /** The next RESP3 push (one kept by {@link #call}, or the next frame, which must be one). */
    Frame nextPush(Duration timeout) {
      if (!pushes.isEmpty()) {
        return pushes.poll();
      }
      Frame f = next(timeout);
      assertThat(f.isPush()).as("expected a push but got %s", f).isTrue();
      return f;
    }

    /** Pushes {@link #call} kept and nobody took yet. */
    int pendingPushes() {
      return pushes.size();
    }

    /** The next frame of any kind, within {@code timeout}. */
    Frame next(Duration timeout) {
      try {
        socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        readValue(wire);
        return new Frame(wire.toByteArray());
      } catch (SocketTimeoutException e) {
        throw new AssertionError("nothing received within " + timeout, e);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /**
     * Reads and discards until the server closes the connection.
     *
     * @return true if it closed (end of stream or reset) within {@code timeout}
     */
    boolean awaitClosedByServer(Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      byte[] sink = new byte[64 * 1024];
      try {
        socket.setSoTimeout(100);
        while (System.nanoTime() - deadline < 0) {
          try {
            if (in.read(sink) == -1) {
              return true;
            }
          } catch (SocketTimeoutException e) {
            // nothing yet: keep reading until the deadline
          }
        }
      } catch (IOException e) {
        return true; // reset by the server counts as closed
      }
      return false;
    }

    private void readValue(ByteArrayOutputStream wire) throws IOException {
      String line = readLine(wire);
      char type = line.charAt(0);
      switch (type) {
        case '$', '=', '!' -> {
          int length = Integer.parseInt(line.substring(1));
          if (length >= 0) {
            wire.write(readExactly(length + 2));
          }
        }
        case '*', '~', '>' -> {
          int n = Integer.parseInt(line.substring(1));
          for (int i = 0; i < n; i++) {
            readValue(wire);
          }
        }
        case '%', '|' -> {
          int n = Integer.parseInt(line.substring(1));
          for (int i = 0; i < 2 * n; i++) {
            readValue(wire);
          }
        }
        default -> {
          // simple string, error, integer, null, boolean, double, big number: the line is all
        }
      }
    }

    private byte[] readExactly(int n) throws IOException {
      byte[] bytes = in.readNBytes(n);
      if (bytes.length < n) {
        throw new EOFException("connection closed inside a bulk string");
      }
      return bytes;
    }

    private String readLine(ByteArrayOutputStream wire) throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int previous = -1;
      while (true) {
        int b = in.read();
        if (b == -1) {
          throw new EOFException("connection closed; line so far: " + line);
        }
        wire.write(b);
        if (previous == '\r' && b == '\n') {
          byte[] bytes = line.toByteArray();
          return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
        }
        line.write(b);
        previous = b;
      }
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway: nothing left to do
      }
    }
  }
}
