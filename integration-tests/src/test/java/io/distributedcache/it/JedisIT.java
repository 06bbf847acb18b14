package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.args.ExpiryOption;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.GetExParams;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The string and keyspace commands through Jedis, once over RESP2 and once over RESP3, against one
 * real server process ({@code --maxmemory 100mb}). The keyspace is flushed before each test.
 */
@ExtendWith(Seeds.class)
class JedisIT {

  private static ServerProcess server;
  private static Jedis admin;

  @BeforeAll
  static void startServer() {
    server = ServerProcess.start("--maxmemory", "100mb");
    admin = connect(RedisProtocol.RESP2);
  }

  @AfterAll
  static void stopServer() {
    try {
      if (admin != null) {
        admin.close();
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  @BeforeEach
  void flush() {
    admin.flushAll();
  }

  static Jedis connect(RedisProtocol protocol) {
    return new Jedis(
        new HostAndPort(ServerProcess.LOOPBACK, server.port()),
        DefaultJedisClientConfig.builder()
            .protocol(protocol)
            .connectionTimeoutMillis(5_000)
            .socketTimeoutMillis(30_000)
            .build());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void setAndGet(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      assertThat(jedis.set("greeting", "hello")).isEqualTo("OK");
      assertThat(jedis.get("greeting")).isEqualTo("hello");
      assertThat(jedis.set("greeting", "")).isEqualTo("OK");
      assertThat(jedis.get("greeting")).isEmpty();
      assertThat(jedis.get("missing")).isNull();
      assertThat(jedis.ping()).isEqualTo("PONG");
      assertThat(jedis.echo("echo me")).isEqualTo("echo me");
      assertThat(jedis.clientInfo())
          .as("the connection speaks the protocol it asked for")
          .contains(protocol == RedisProtocol.RESP3 ? "resp=3" : "resp=2");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void setOptions(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      assertThat(jedis.set("ex", "v", SetParams.setParams().ex(100))).isEqualTo("OK");
      assertThat(jedis.ttl("ex")).isBetween(98L, 100L);
      assertThat(jedis.set("px", "v", SetParams.setParams().px(5_000))).isEqualTo("OK");
      assertThat(jedis.pttl("px")).isBetween(3_000L, 5_000L);

      // NX: only if absent
      assertThat(jedis.set("nx", "first", SetParams.setParams().nx())).isEqualTo("OK");
      assertThat(jedis.set("nx", "second", SetParams.setParams().nx())).isNull();
      assertThat(jedis.get("nx")).isEqualTo("first");

      // XX: only if present
      assertThat(jedis.set("xx", "v", SetParams.setParams().xx())).isNull();
      assertThat(jedis.exists("xx")).isFalse();
      jedis.set("xx", "old");
      assertThat(jedis.set("xx", "new", SetParams.setParams().xx())).isEqualTo("OK");
      assertThat(jedis.get("xx")).isEqualTo("new");

      // GET: returns the old value
      assertThat(jedis.setGet("xx", "newer")).isEqualTo("new");
      assertThat(jedis.get("xx")).isEqualTo("newer");
      assertThat(jedis.setGet("absent", "v")).isNull();
      assertThat(jedis.get("absent")).isEqualTo("v");
      // NX + GET on an existing key: not set, old value returned (Redis 7)
      assertThat(jedis.setGet("xx", "ignored", SetParams.setParams().nx())).isEqualTo("newer");
      assertThat(jedis.get("xx")).isEqualTo("newer");

      // KEEPTTL keeps the expiry, a plain SET clears it
      jedis.set("keep", "v1", SetParams.setParams().ex(100));
      assertThat(jedis.set("keep", "v2", SetParams.setParams().keepTtl())).isEqualTo("OK");
      assertThat(jedis.get("keep")).isEqualTo("v2");
      assertThat(jedis.ttl("keep")).isBetween(98L, 100L);
      jedis.set("keep", "v3");
      assertThat(jedis.ttl("keep")).isEqualTo(-1L);

      // Absolute expiries
      long inOneHour = System.currentTimeMillis() / 1000 + 3600;
      jedis.set("exat", "v", SetParams.setParams().exAt(inOneHour));
      assertThat(jedis.ttl("exat")).isBetween(3590L, 3600L);
      assertThat(jedis.expireTime("exat")).isCloseTo(inOneHour, within(2L));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void msetAndMget(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      assertThat(jedis.mset("k1", "v1", "k2", "v2", "k3", "v3")).isEqualTo("OK");
      assertThat(jedis.mget("k1", "missing", "k2", "k3", "k1"))
          .containsExactly("v1", null, "v2", "v3", "v1");
      // MSET overwrites and the last occurrence of a key wins
      jedis.mset("k1", "a", "k1", "b");
      assertThat(jedis.get("k1")).isEqualTo("b");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void counters(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      assertThat(jedis.incr("n")).isEqualTo(1L);
      assertThat(jedis.incrBy("n", 10)).isEqualTo(11L);
      assertThat(jedis.decr("n")).isEqualTo(10L);
      assertThat(jedis.decrBy("n", 13)).isEqualTo(-3L);
      assertThat(jedis.get("n")).isEqualTo("-3");
      assertThat(jedis.incrByFloat("n", 1.5)).isEqualTo(-1.5);
      assertThat(jedis.get("n")).isEqualTo("-1.5");

      jedis.set("f", "10.50");
      assertThat(jedis.incrByFloat("f", 0.1)).isEqualTo(10.6);
      assertThat(jedis.get("f")).isEqualTo("10.6");
      jedis.set("e", "5.0e3");
      assertThat(jedis.incrByFloat("e", 200)).isEqualTo(5200.0);
      assertThat(jedis.get("e")).isEqualTo("5200");

      jedis.set("max", Long.toString(Long.MAX_VALUE));
      assertThatThrownBy(() -> jedis.incr("max"))
          .isInstanceOf(JedisDataException.class)
          .hasMessage("ERR increment or decrement would overflow");
      assertThat(jedis.get("max")).isEqualTo(Long.toString(Long.MAX_VALUE));

      jedis.set("spaces", " 1");
      assertThatThrownBy(() -> jedis.incr("spaces"))
          .hasMessage("ERR value is not an integer or out of range");
      assertThatThrownBy(() -> jedis.incrByFloat("spaces", 1))
          .hasMessage("ERR value is not a valid float");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void appendStrlenAndRanges(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      assertThat(jedis.strlen("s")).isZero();
      assertThat(jedis.append("s", "Hello")).isEqualTo(5L);
      assertThat(jedis.append("s", " World")).isEqualTo(11L);
      assertThat(jedis.strlen("s")).isEqualTo(11L);
      assertThat(jedis.getrange("s", 0, 4)).isEqualTo("Hello");
      assertThat(jedis.getrange("s", -5, -1)).isEqualTo("World");
      assertThat(jedis.getrange("s", 0, -1)).isEqualTo("Hello World");
      assertThat(jedis.getrange("s", 5, 3)).isEmpty();
      assertThat(jedis.getrange("s", 100, 200)).isEmpty();
      assertThat(jedis.getrange("missing", 0, -1)).isEmpty();

      assertThat(jedis.setrange("s", 6, "Redis")).isEqualTo(11L);
      assertThat(jedis.get("s")).isEqualTo("Hello Redis");
      assertThat(jedis.setrange("s", 11, "!!")).isEqualTo(13L);
      assertThat(jedis.get("s")).isEqualTo("Hello Redis!!");

      // SETRANGE past the end pads with zero bytes
      assertThat(jedis.setrange("pad", 5, "x")).isEqualTo(6L);
      assertThat(jedis.get(bytes("pad"))).containsExactly(0, 0, 0, 0, 0, 'x');
      assertThatThrownBy(() -> jedis.setrange("pad", -1, "x"))
          .hasMessage("ERR offset is out of range");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void delExistsTypeRename(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      jedis.mset("a", "1", "b", "2");
      assertThat(jedis.exists("a", "b", "missing", "a")).isEqualTo(3L);
      assertThat(jedis.exists("a")).isTrue();
      assertThat(jedis.del("a", "missing")).isEqualTo(1L);
      assertThat(jedis.exists("a")).isFalse();
      assertThat(jedis.get("a")).isNull();
      assertThat(jedis.del("a")).isZero();

      assertThat(jedis.type("b")).isEqualTo("string");
      assertThat(jedis.type("missing")).isEqualTo("none");

      jedis.expire("b", 100);
      assertThat(jedis.rename("b", "c")).isEqualTo("OK");
      assertThat(jedis.exists("b")).isFalse();
      assertThat(jedis.get("c")).isEqualTo("2");
      assertThat(jedis.ttl("c")).as("RENAME carries the TTL").isBetween(98L, 100L);
      assertThatThrownBy(() -> jedis.rename("missing", "x")).hasMessage("ERR no such key");

      assertThat(jedis.renamenx("c", "d")).isEqualTo(1L);
      assertThat(jedis.get("d")).isEqualTo("2");
      jedis.set("e", "5");
      assertThat(jedis.renamenx("d", "e")).isZero();
      assertThat(jedis.get("d")).isEqualTo("2");
      assertThat(jedis.get("e")).isEqualTo("5");
      // renaming onto itself succeeds
      assertThat(jedis.rename("e", "e")).isEqualTo("OK");
      assertThat(jedis.get("e")).isEqualTo("5");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void expireOptions(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      assertThat(jedis.expire("missing", 100)).isZero();
      jedis.set("k", "v");
      // No TTL yet: XX and GT refuse (no TTL counts as infinite), LT and NX accept
      assertThat(jedis.expire("k", 100, ExpiryOption.XX)).isZero();
      assertThat(jedis.expire("k", 100, ExpiryOption.GT)).isZero();
      assertThat(jedis.ttl("k")).isEqualTo(-1L);
      assertThat(jedis.expire("k", 100, ExpiryOption.NX)).isEqualTo(1L);
      assertThat(jedis.expire("k", 500, ExpiryOption.NX)).isZero();
      assertThat(jedis.ttl("k")).isBetween(98L, 100L);
      assertThat(jedis.expire("k", 200, ExpiryOption.XX)).isEqualTo(1L);
      assertThat(jedis.ttl("k")).isBetween(198L, 200L);
      assertThat(jedis.expire("k", 50, ExpiryOption.GT)).isZero();
      assertThat(jedis.expire("k", 300, ExpiryOption.GT)).isEqualTo(1L);
      assertThat(jedis.ttl("k")).isBetween(298L, 300L);
      assertThat(jedis.expire("k", 400, ExpiryOption.LT)).isZero();
      assertThat(jedis.expire("k", 10, ExpiryOption.LT)).isEqualTo(1L);
      assertThat(jedis.ttl("k")).isBetween(8L, 10L);
      assertThat(jedis.pexpire("k", 20_000, ExpiryOption.GT)).isEqualTo(1L);
      assertThat(jedis.pttl("k")).isBetween(18_000L, 20_000L);

      jedis.set("plain", "v");
      assertThat(jedis.expire("plain", 100, ExpiryOption.LT)).isEqualTo(1L);
      assertThat(jedis.ttl("plain")).isBetween(98L, 100L);

      // A non-positive TTL deletes the key
      assertThat(jedis.expire("plain", -1)).isEqualTo(1L);
      assertThat(jedis.exists("plain")).isFalse();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void ttlPttlPersistExpiretime(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      assertThat(jedis.ttl("missing")).isEqualTo(-2L);
      assertThat(jedis.pttl("missing")).isEqualTo(-2L);
      assertThat(jedis.expireTime("missing")).isEqualTo(-2L);
      jedis.set("k", "v");
      assertThat(jedis.ttl("k")).isEqualTo(-1L);
      assertThat(jedis.pttl("k")).isEqualTo(-1L);
      assertThat(jedis.expireTime("k")).isEqualTo(-1L);
      assertThat(jedis.persist("k")).isZero();

      long nowSeconds = System.currentTimeMillis() / 1000;
      assertThat(jedis.expire("k", 100)).isEqualTo(1L);
      assertThat(jedis.ttl("k")).isBetween(98L, 100L);
      assertThat(jedis.pttl("k")).isBetween(98_000L, 100_000L);
      assertThat(jedis.expireTime("k")).isCloseTo(nowSeconds + 100, within(2L));
      assertThat(jedis.pexpireTime("k"))
          .isCloseTo(System.currentTimeMillis() + 100_000, within(2_000L));

      assertThat(jedis.persist("k")).isEqualTo(1L);
      assertThat(jedis.ttl("k")).isEqualTo(-1L);
      assertThat(jedis.get("k")).isEqualTo("v");
      assertThat(jedis.persist("k")).isZero();
      assertThat(jedis.persist("missing")).isZero();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void keysAndScanReturnEveryKeyExactlyOnce(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      Set<String> users = new HashSet<>();
      Set<String> all = new HashSet<>();
      Pipeline p = jedis.pipelined();
      for (int i = 0; i < 700; i++) {
        String user = "user:" + i;
        users.add(user);
        all.add(user);
        p.set(user, "u");
      }
      for (int i = 0; i < 300; i++) {
        String other = "other:" + i;
        all.add(other);
        p.set(other, "o");
      }
      p.sync();

      assertThat(jedis.keys("*")).containsExactlyInAnyOrderElementsOf(all);
      assertThat(jedis.keys("user:*")).containsExactlyInAnyOrderElementsOf(users);
      assertThat(jedis.keys("user:1?")).containsExactlyInAnyOrder(
          "user:10", "user:11", "user:12", "user:13", "user:14",
          "user:15", "user:16", "user:17", "user:18", "user:19");
      assertThat(jedis.keys("user:[12]")).containsExactlyInAnyOrder("user:1", "user:2");
      assertThat(jedis.keys("nothing*")).isEmpty();

      assertThat(scanAll(jedis, new ScanParams().match("user:*").count(10)))
          .hasSize(users.size())
          .containsExactlyInAnyOrderElementsOf(users);
      assertThat(scanAll(jedis, new ScanParams().count(1)))
          .hasSize(all.size())
          .containsExactlyInAnyOrderElementsOf(all);
      assertThat(scanAll(jedis, new ScanParams().count(1000)))
          .hasSize(all.size())
          .containsExactlyInAnyOrderElementsOf(all);
      assertThat(scanAll(jedis, new ScanParams().match("nothing*"))).isEmpty();
    }
  }

  /** Every key a full SCAN returns, duplicates kept (a list, so that duplicates show). */
  private static List<String> scanAll(Jedis jedis, ScanParams params) {
    List<String> seen = new ArrayList<>();
    String cursor = ScanParams.SCAN_POINTER_START;
    int rounds = 0;
    do {
      ScanResult<String> page = jedis.scan(cursor, params);
      seen.addAll(page.getResult());
      cursor = page.getCursor();
      assertThat(++rounds).as("SCAN must finish").isLessThan(100_000);
    } while (!cursor.equals("0"));
    return seen;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void randomKey(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      assertThat(jedis.randomKey()).isNull();
      jedis.mset("r1", "v", "r2", "v", "r3", "v");
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < 200; i++) {
        String key = jedis.randomKey();
        assertThat(key).isIn("r1", "r2", "r3");
        seen.add(key);
      }
      assertThat(seen).as("200 draws from 3 keys should see more than one").hasSizeGreaterThan(1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void dbsizeAndFlushall(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      assertThat(jedis.dbSize()).isZero();
      jedis.mset("a", "1", "b", "2", "c", "3");
      jedis.set("d", "4", SetParams.setParams().ex(100));
      assertThat(jedis.dbSize()).isEqualTo(4L);
      jedis.del("a");
      assertThat(jedis.dbSize()).isEqualTo(3L);
      assertThat(jedis.flushAll()).isEqualTo("OK");
      assertThat(jedis.dbSize()).isZero();
      assertThat(jedis.get("b")).isNull();
      assertThat(jedis.keys("*")).isEmpty();
      jedis.set("b", "again");
      assertThat(jedis.get("b")).isEqualTo("again");
      assertThat(jedis.flushDB()).isEqualTo("OK");
      assertThat(jedis.dbSize()).isZero();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void getdelAndGetex(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      jedis.set("k", "v");
      assertThat(jedis.getDel("k")).isEqualTo("v");
      assertThat(jedis.get("k")).isNull();
      assertThat(jedis.getDel("k")).isNull();

      jedis.set("x", "v");
      assertThat(jedis.getEx("x", GetExParams.getExParams().ex(100))).isEqualTo("v");
      assertThat(jedis.ttl("x")).isBetween(98L, 100L);
      assertThat(jedis.getEx("x", GetExParams.getExParams().px(50_000))).isEqualTo("v");
      assertThat(jedis.pttl("x")).isBetween(48_000L, 50_000L);
      assertThat(jedis.getEx("x", GetExParams.getExParams().persist())).isEqualTo("v");
      assertThat(jedis.ttl("x")).isEqualTo(-1L);
      long at = System.currentTimeMillis() / 1000 + 1000;
      assertThat(jedis.getEx("x", GetExParams.getExParams().exAt(at))).isEqualTo("v");
      assertThat(jedis.expireTime("x")).isCloseTo(at, within(1L));
      assertThat(jedis.getEx("x", new GetExParams())).isEqualTo("v");
      assertThat(jedis.expireTime("x")).as("GETEX without options keeps the TTL").isPositive();
      assertThat(jedis.getEx("missing", GetExParams.getExParams().ex(10))).isNull();
      assertThat(jedis.exists("missing")).isFalse();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  @SuppressWarnings("deprecation") // SETNX, SETEX, PSETEX, GETSET: deprecated in Redis, still served
  void legacySetVariants(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      assertThat(jedis.setnx("nx", "1")).isEqualTo(1L);
      assertThat(jedis.setnx("nx", "2")).isZero();
      assertThat(jedis.get("nx")).isEqualTo("1");

      assertThat(jedis.setex("ex", 100, "v")).isEqualTo("OK");
      assertThat(jedis.get("ex")).isEqualTo("v");
      assertThat(jedis.ttl("ex")).isBetween(98L, 100L);
      assertThatThrownBy(() -> jedis.setex("ex", 0, "v"))
          .hasMessage("ERR invalid expire time in 'setex' command");

      assertThat(jedis.psetex("pex", 5_000, "v")).isEqualTo("OK");
      assertThat(jedis.pttl("pex")).isBetween(3_000L, 5_000L);

      assertThat(getSet(jedis, "gs", "first")).isNull();
      assertThat(getSet(jedis, "gs", "second")).isEqualTo("first");
      assertThat(jedis.get("gs")).isEqualTo("second");
      jedis.expire("gs", 100);
      getSet(jedis, "gs", "third");
      assertThat(jedis.ttl("gs")).as("GETSET clears the TTL").isEqualTo(-1L);

      assertThat(jedis.msetnx("m1", "a", "m2", "b")).isEqualTo(1L);
      assertThat(jedis.msetnx("m3", "c", "m1", "z")).isZero();
      assertThat(jedis.exists("m3")).as("MSETNX sets nothing if one key exists").isFalse();
      assertThat(jedis.mget("m1", "m2", "m3")).containsExactly("a", "b", null);
    }
  }

  @SuppressWarnings("deprecation")
  private static String getSet(Jedis jedis, String key, String value) {
    return jedis.getSet(key, value); // GETSET is deprecated in Redis, still supported
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void binaryKeysAndValues(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      byte[] every = new byte[256];
      for (int i = 0; i < 256; i++) {
        every[i] = (byte) i;
      }
      byte[] value = new byte[256 * 4];
      for (int i = 0; i < value.length; i++) {
        value[i] = (byte) (255 - i % 256);
      }
      assertThat(jedis.set(every, value)).isEqualTo("OK");
      assertThat(jedis.get(every)).isEqualTo(value);
      assertThat(jedis.strlen(every)).isEqualTo(value.length);
      assertThat(jedis.exists(every)).isTrue();

      byte[] crlfKey = {'\r', '\n', 0, '*', '1', '\r', '\n', '$'};
      byte[] crlfValue = {'$', '-', '1', '\r', '\n', 0, 0, '\n', '\r'};
      jedis.set(crlfKey, crlfValue);
      assertThat(jedis.get(crlfKey)).isEqualTo(crlfValue);
      assertThat(jedis.append(crlfKey, new byte[] {0, '\r'})).isEqualTo(crlfValue.length + 2L);
      assertThat(jedis.getrange(crlfKey, -2, -1)).isEqualTo(new byte[] {0, '\r'});

      byte[] single = {0};
      jedis.mset(single, every, new byte[] {(byte) 0xff}, single);
      assertThat(jedis.mget(single, new byte[] {(byte) 0xff}, new byte[] {1}))
          .containsExactly(every, single, null);
      assertThat(jedis.keys(bytes("*"))).hasSize(4);
      assertThat(jedis.del(every)).isEqualTo(1L);
      assertThat(jedis.get(every)).isNull();
    }
  }

  /** A connection whose reads give up after {@code seconds}: a lost reply fails fast. */
  static Jedis connect(RedisProtocol protocol, int seconds) {
    return new Jedis(
        new HostAndPort(ServerProcess.LOOPBACK, server.port()),
        DefaultJedisClientConfig.builder()
            .protocol(protocol)
            .connectionTimeoutMillis(5_000)
            .socketTimeoutMillis(seconds * 1_000)
            .build());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void valuesOfManySizesRoundTrip(RedisProtocol protocol) {
    Random random = Seeds.random("JedisIT.sizes." + protocol);
    int[] sizes = {
      0, 1, 2, 15, 16 * 1024 - 1, 16 * 1024, 64 * 1024 + 1, 256 * 1024 - 12, 256 * 1024 - 11,
      256 * 1024, 256 * 1024 + 1, 1024 * 1024, 3 * 1024 * 1024 + 17
    };
    try (Jedis jedis = connect(protocol, 5)) {
      for (int size : sizes) {
        byte[] value = new byte[size];
        random.nextBytes(value);
        byte[] key = bytes("size:" + size);
        try {
          assertThat(jedis.set(key, value)).as("SET of %d bytes", size).isEqualTo("OK");
          assertThat(jedis.get(key)).as("GET of %d bytes; %s", size, Seeds.describe()).isEqualTo(value);
        } catch (JedisConnectionException e) {
          throw new AssertionError("no reply within 5 s to SET/GET of a " + size + "-byte value", e);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void largeValueRoundTrip(RedisProtocol protocol) {
    Random random = Seeds.random("JedisIT.largeValue." + protocol);
    byte[] big = new byte[20 * 1024 * 1024];
    random.nextBytes(big);
    try (Jedis jedis = connect(protocol, 10)) {
      assertThat(jedis.set(bytes("big"), big)).isEqualTo("OK");
      assertThat(jedis.strlen("big")).isEqualTo(big.length);
      byte[] back;
      try {
        back = jedis.get(bytes("big"));
      } catch (JedisConnectionException e) {
        throw new AssertionError("no reply within 10 s to GET of a 20 MiB value", e);
      }
      assertThat(back.length).isEqualTo(big.length);
      assertThat(back).as(Seeds.describe()).isEqualTo(big);
      assertThat(jedis.getrange(bytes("big"), big.length - 3, -1))
          .isEqualTo(new byte[] {big[big.length - 3], big[big.length - 2], big[big.length - 1]});
      assertThat(jedis.del("big")).isEqualTo(1L);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void pipelineOfTenThousandCommandsAnswersInOrder(RedisProtocol protocol) {
    int n = 10_000;
    try (Jedis jedis = connect(protocol)) {
      Pipeline pipeline = jedis.pipelined();
      List<Response<String>> sets = new ArrayList<>();
      List<Response<String>> gets = new ArrayList<>();
      List<Response<Long>> incrs = new ArrayList<>();
      for (int i = 0; i < n / 4; i++) {
        sets.add(pipeline.set("p:" + i, "value-" + i));
        gets.add(pipeline.get("p:" + i));
        incrs.add(pipeline.incr("p:counter"));
        gets.add(pipeline.get("p:missing:" + i));
      }
      pipeline.sync();
      for (int i = 0; i < n / 4; i++) {
        assertThat(sets.get(i).get()).isEqualTo("OK");
        assertThat(gets.get(2 * i).get()).isEqualTo("value-" + i);
        assertThat(incrs.get(i).get()).isEqualTo(i + 1L);
        assertThat(gets.get(2 * i + 1).get()).isNull();
      }
      assertThat(jedis.get("p:counter")).isEqualTo(Integer.toString(n / 4));
      assertThat(jedis.dbSize()).isEqualTo(n / 4 + 1L);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void pipelinedRepliesAddingUpToHundredsOfKilobytesArrive(RedisProtocol protocol) {
    Random random = Seeds.random("JedisIT.bigPipeline." + protocol);
    byte[] value = new byte[4096];
    random.nextBytes(value);
    byte[] key = bytes("four-k");
    try (Jedis jedis = connect(protocol, 5)) {
      jedis.set(key, value);
      // each reply is 4104 bytes: 63 of them stay under 256 KiB, 64 go just over it
      for (int count : new int[] {1, 63, 64, 65, 128, 1_000}) {
        Pipeline pipeline = jedis.pipelined();
        List<Response<byte[]>> replies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          replies.add(pipeline.get(key));
        }
        try {
          pipeline.sync();
        } catch (JedisConnectionException e) {
          throw new AssertionError(
              "no replies within 5 s to a pipeline of " + count + " GETs of a 4 KiB value", e);
        }
        for (Response<byte[]> reply : replies) {
          assertThat(reply.get()).as("pipeline of %d GETs", count).isEqualTo(value);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void expiryIsObserved(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      long start = System.nanoTime();
      assertThat(jedis.set("short", "lived", SetParams.setParams().px(200))).isEqualTo("OK");
      jedis.set("long", "lived", SetParams.setParams().ex(100));
      assertThat(jedis.get("short")).isEqualTo("lived");

      long[] goneAfterMillis = {-1};
      await()
          .atMost(Duration.ofSeconds(5))
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(5))
          .until(
              () -> {
                if (jedis.get("short") == null) {
                  goneAfterMillis[0] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                  return true;
                }
                return false;
              });
      assertThat(goneAfterMillis[0])
          .as("a key with PX 200 must not vanish before ~150 ms")
          .isGreaterThanOrEqualTo(150L);
      assertThat(jedis.exists("short")).isFalse();
      assertThat(jedis.ttl("short")).isEqualTo(-2L);
      assertThat(jedis.keys("*")).containsExactly("long");
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> jedis.dbSize() == 1L);
    }
  }

  private enum Raw implements ProtocolCommand {
    FOOBAR,
    GET,
    SET;

    @Override
    public byte[] getRaw() {
      return bytes(name());
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void errorReplies(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      jedis.set("text", "abc");
      assertThatThrownBy(() -> jedis.incr("text"))
          .isInstanceOf(JedisDataException.class)
          .hasMessage("ERR value is not an integer or out of range");
      assertThatThrownBy(() -> jedis.incrBy("text", 2))
          .hasMessage("ERR value is not an integer or out of range");
      assertThatThrownBy(() -> jedis.sendCommand(Raw.FOOBAR, "a", "b"))
          .isInstanceOf(JedisDataException.class)
          .message()
          .startsWith("ERR unknown command")
          .containsIgnoringCase("'foobar'")
          .contains("with args beginning with: 'a' 'b'");
      assertThatThrownBy(() -> jedis.sendCommand(Raw.GET))
          .hasMessage("ERR wrong number of arguments for 'get' command");
      assertThatThrownBy(() -> jedis.sendCommand(Raw.SET, "k", "v", "NX", "XX"))
          .hasMessage("ERR syntax error");
      assertThatThrownBy(() -> jedis.sendCommand(Raw.SET, "k", "v", "EX", "0"))
          .hasMessage("ERR invalid expire time in 'set' command");
      assertThatThrownBy(() -> jedis.sendCommand(Raw.SET, "k", "v", "EX", "ten"))
          .hasMessage("ERR value is not an integer or out of range");
      assertThat(jedis.exists("k")).as("a refused SET stores nothing").isFalse();
      // the connection is still usable after errors
      assertThat(jedis.ping()).isEqualTo("PONG");
      assertThat(jedis.get("text")).isEqualTo("abc");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void clientCommands(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol);
        Jedis other = connect(protocol)) {
      assertThat(jedis.clientGetname()).isNull();
      assertThat(jedis.clientSetname("it-conn")).isEqualTo("OK");
      assertThat(jedis.clientGetname()).isEqualTo("it-conn");
      long id = jedis.clientId();
      long otherId = other.clientId();
      assertThat(id).isPositive();
      assertThat(otherId).isPositive().isNotEqualTo(id);
      String list = jedis.clientList();
      assertThat(list.lines())
          .anySatisfy(
              line ->
                  assertThat(line)
                      .contains("id=" + id + " ")
                      .contains("name=it-conn")
                      .contains("addr=127.0.0.1:"))
          .anySatisfy(line -> assertThat(line).contains("id=" + otherId + " "));
      assertThatThrownBy(() -> jedis.clientSetname("has space"))
          .isInstanceOf(JedisDataException.class)
          .message()
          .startsWith("ERR Client names cannot contain spaces");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void configGetShowsConfiguredMaxmemory(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      assertThat(jedis.configGet("maxmemory")).containsExactly(Map.entry("maxmemory", "104857600"));
      assertThat(jedis.configGet("port"))
          .containsExactly(Map.entry("port", Integer.toString(server.port())));
      assertThat(jedis.configGet("no-such-parameter")).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void infoKeyspaceMatchesDbsize(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      for (int i = 0; i < 7; i++) {
        jedis.set("info:" + i, "v");
      }
      jedis.set("info:ttl", "v", SetParams.setParams().ex(100));
      String info = jedis.info();
      assertThat(info).contains("# Server").contains("# Keyspace").contains("redis_version:");
      Matcher m = Pattern.compile("(?m)^db0:keys=(\\d+)(.*)$").matcher(info);
      assertThat(m.find()).as("db0 line in:\n%s", info).isTrue();
      assertThat(Long.parseLong(m.group(1))).isEqualTo(jedis.dbSize()).isEqualTo(8L);
      // Redis' format, which monitoring tools parse: db0:keys=8,expires=1,avg_ttl=...
      assertThat(m.group(2)).as("rest of the db0 line").startsWith(",expires=1,avg_ttl=");

      String keyspace = jedis.info("keyspace");
      assertThat(keyspace).contains("# Keyspace").contains("db0:keys=8").doesNotContain("# Server");
      jedis.flushAll();
      assertThat(jedis.info("keyspace")).contains("# Keyspace").doesNotContain("db0:");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void timeIsTheWallClock(RedisProtocol protocol) {
    try (Jedis jedis = connect(protocol)) {
      List<String> time = jedis.time();
      assertThat(time).hasSize(2);
      long seconds = Long.parseLong(time.get(0));
      long micros = Long.parseLong(time.get(1));
      assertThat(seconds).isCloseTo(System.currentTimeMillis() / 1000, within(5L));
      assertThat(micros).isBetween(0L, 999_999L);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void clusterKeyslot(RedisProtocol protocol) {
    // a plain redis-server refuses CLUSTER without cluster mode; DistributedCache always has slots
    assumeFalse(ServerProcess.referenceMode(), "redis-server without cluster mode");
    try (Jedis jedis = connect(protocol)) {
      assertThat(jedis.clusterKeySlot("foo")).isEqualTo(12182L);
      assertThat(jedis.clusterKeySlot("somekey")).isEqualTo(11058L);
      assertThat(jedis.clusterKeySlot("{user1000}.following"))
          .isEqualTo(jedis.clusterKeySlot("{user1000}.followers"))
          .isEqualTo(jedis.clusterKeySlot("user1000"));
      assertThat(jedis.clusterKeySlot("")).isZero();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void concurrentIncrementsLoseNothing(RedisProtocol protocol) throws Exception {
    int clients = 8;
    int perClient = 2_000;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<Long>> results = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        results.add(
            pool.submit(
                () -> {
                  long last = 0;
                  try (Jedis jedis = connect(protocol)) {
                    for (int i = 0; i < perClient; i++) {
                      long v = jedis.incr("shared");
                      assertThat(v).isGreaterThan(last);
                      last = v;
                    }
                  }
                  return last;
                }));
      }
      long max = 0;
      for (Future<Long> f : results) {
        max = Math.max(max, f.get(60, TimeUnit.SECONDS));
      }
      assertThat(max).isEqualTo((long) clients * perClient);
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
    try (Jedis jedis = connect(protocol)) {
      assertThat(jedis.get("shared")).isEqualTo("16000");
    }
  }
}
