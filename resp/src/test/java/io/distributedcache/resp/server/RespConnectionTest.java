package io.distributedcache.resp.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.time.ManualClock;
import io.distributedcache.resp.codec.RespDecoder;
import io.distributedcache.resp.codec.RespLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The connection handler end to end, without sockets: bytes in through the real decoder, replies out
 * through the real writer, over a real engine on a manual clock.
 */
class RespConnectionTest {

  private final ManualClock clock = new ManualClock(1_000_000_000L, 1_700_000_000_000L);

  private NodeContext node(ServerSettings settings) {
    return RespServer.standalone(settings, clock, clock, new SplittableRandom(42)).node();
  }

  private static EmbeddedChannel connect(NodeContext node) {
    RespLimits limits =
        node.settings().passwordRequired() ? RespLimits.unauthenticated() : node.settings().limits();
    RespDecoder decoder = new RespDecoder(limits);
    return new EmbeddedChannel(decoder, new RespConnectionHandler(node, decoder));
  }

  private static String send(EmbeddedChannel ch, String request) {
    ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.UTF_8));
    StringBuilder sb = new StringBuilder();
    ByteBuf out;
    while ((out = ch.readOutbound()) != null) {
      sb.append(out.toString(StandardCharsets.UTF_8));
      out.release();
    }
    return sb.toString();
  }

  private static String cmd(String... args) {
    StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
    for (String a : args) {
      sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a)
          .append("\r\n");
    }
    return sb.toString();
  }

  @Test
  void pipelinedCommandsAreAnsweredInOrderInOneFlush() {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    String reply =
        send(ch, cmd("SET", "a", "1") + cmd("INCR", "a") + cmd("GET", "a") + cmd("GET", "nope"));
    assertThat(reply).isEqualTo("+OK\r\n:2\r\n$1\r\n2\r\n$-1\r\n");
  }

  @Test
  void unknownCommandUsesRedisWording() {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    assertThat(send(ch, cmd("FOO", "bar", "baz")))
        .isEqualTo("-ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' \r\n");
    assertThat(send(ch, cmd("PING"))).isEqualTo("+PONG\r\n");
  }

  @Test
  void wrongArityNamesTheCommand() {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    assertThat(send(ch, cmd("GET")))
        .isEqualTo("-ERR wrong number of arguments for 'get' command\r\n");
    assertThat(send(ch, cmd("MSET", "a", "1", "b")))
        .isEqualTo("-ERR wrong number of arguments for 'mset' command\r\n");
  }

  @Test
  void requirepassGatesEverythingButAuthHelloQuit() {
    NodeContext node = node(ServerSettings.defaults().withRequirePass("s3cret"));
    EmbeddedChannel ch = connect(node);
    assertThat(send(ch, cmd("GET", "k"))).isEqualTo("-NOAUTH Authentication required.\r\n");
    assertThat(send(ch, cmd("AUTH", "wrong")))
        .isEqualTo("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    assertThat(send(ch, cmd("HELLO", "3"))).startsWith("-NOAUTH HELLO must be called");
    assertThat(send(ch, cmd("AUTH", "s3cret"))).isEqualTo("+OK\r\n");
    assertThat(send(ch, cmd("SET", "k", "v"))).isEqualTo("+OK\r\n");
    assertThat(send(ch, cmd("RESET"))).isEqualTo("+RESET\r\n");
    assertThat(send(ch, cmd("GET", "k"))).isEqualTo("-NOAUTH Authentication required.\r\n");
    assertThat(send(ch, cmd("AUTH", "default", "s3cret"))).isEqualTo("+OK\r\n");
    assertThat(send(ch, cmd("GET", "k"))).isEqualTo("$1\r\nv\r\n");
  }

  @Test
  void helloAuthenticatesAndSwitchesToResp3() {
    NodeContext node = node(ServerSettings.defaults().withRequirePass("pw"));
    EmbeddedChannel ch = connect(node);
    String hello = send(ch, cmd("HELLO", "3", "AUTH", "default", "pw", "SETNAME", "me"));
    assertThat(hello).startsWith("%8\r\n").contains("$5\r\nproto\r\n:3\r\n");
    assertThat(send(ch, cmd("GET", "missing"))).isEqualTo("_\r\n");
    assertThat(send(ch, cmd("CLIENT", "GETNAME"))).isEqualTo("$2\r\nme\r\n");
    assertThat(send(ch, cmd("HELLO", "4"))).isEqualTo("-NOPROTO unsupported protocol version\r\n");
  }

  @Test
  void protocolErrorRepliesAndClosesOnlyThisConnection() {
    NodeContext node = node(ServerSettings.defaults());
    EmbeddedChannel bad = connect(node);
    EmbeddedChannel good = connect(node);
    assertThat(send(bad, "*1\r\n$abc\r\n")).startsWith("-ERR Protocol error: invalid bulk length");
    bad.runPendingTasks();
    assertThat(bad.isOpen()).isFalse();
    assertThat(send(good, cmd("PING"))).isEqualTo("+PONG\r\n");
    assertThat(node.stats().protocolErrors()).isEqualTo(1);
  }

  @Test
  void quitRepliesThenCloses() {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    assertThat(send(ch, cmd("QUIT") + cmd("PING"))).isEqualTo("+OK\r\n");
    ch.runPendingTasks();
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void inlineCommandsWork() {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    assertThat(send(ch, "SET greeting \"hello world\"\r\nGET greeting\r\n"))
        .isEqualTo("+OK\r\n$11\r\nhello world\r\n");
  }

  @Test
  void setIfEqualAndDelexCompareBeforeTheyWrite() {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    assertThat(send(ch, cmd("SET", "k", "2", "IFEQ", "1"))).isEqualTo("$-1\r\n");
    assertThat(send(ch, cmd("SET", "k", "1", "IFNE", "x"))).isEqualTo("+OK\r\n");
    assertThat(send(ch, cmd("SET", "k", "2", "IFEQ", "0"))).isEqualTo("$-1\r\n");
    assertThat(send(ch, cmd("SET", "k", "2", "IFEQ", "1", "GET", "PX", "100000")))
        .isEqualTo("$1\r\n1\r\n");
    assertThat(send(ch, cmd("GET", "k"))).isEqualTo("$1\r\n2\r\n");
    assertThat(send(ch, cmd("SET", "k", "3", "IFEQ", "2", "NX"))).startsWith("-ERR syntax error");
    assertThat(send(ch, cmd("SET", "k", "3", "IFEQ", "2", "IFNE", "2")))
        .startsWith("-ERR syntax error");
    assertThat(send(ch, cmd("DELEX", "k", "IFEQ", "1"))).isEqualTo(":0\r\n");
    assertThat(send(ch, cmd("DELEX", "k", "IFNE", "2"))).isEqualTo(":0\r\n");
    assertThat(send(ch, cmd("DELEX", "k", "IFEQ", "2"))).isEqualTo(":1\r\n");
    assertThat(send(ch, cmd("DELEX", "k"))).isEqualTo(":0\r\n");
    assertThat(send(ch, cmd("DELEX", "k", "IFEQ"))).startsWith("-ERR syntax error");
  }

  @Test
  void ttlFollowsTheMonotonicClockNotTheWallClock() {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    assertThat(send(ch, cmd("SET", "k", "v", "EX", "100"))).isEqualTo("+OK\r\n");
    clock.stepWallClock(Duration.ofHours(5));
    assertThat(send(ch, cmd("TTL", "k"))).isEqualTo(":100\r\n");
    clock.stepWallClock(Duration.ofHours(-10));
    assertThat(send(ch, cmd("PTTL", "k"))).isEqualTo(":100000\r\n");
    clock.advance(Duration.ofSeconds(99));
    assertThat(send(ch, cmd("TTL", "k"))).isEqualTo(":1\r\n");
    clock.advance(Duration.ofSeconds(1));
    assertThat(send(ch, cmd("GET", "k"))).isEqualTo("$-1\r\n");
  }

  @Test
  void expireAtIsConvertedWhereItArrives() {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    long nowSeconds = clock.currentTimeMillis() / 1000;
    send(ch, cmd("SET", "k", "v"));
    assertThat(send(ch, cmd("EXPIREAT", "k", Long.toString(nowSeconds + 50)))).isEqualTo(":1\r\n");
    clock.stepWallClock(Duration.ofDays(1));
    assertThat(send(ch, cmd("TTL", "k"))).isEqualTo(":50\r\n");
    assertThat(send(ch, cmd("EXPIREAT", "k", Long.toString(nowSeconds - 10)))).isEqualTo(":1\r\n");
    assertThat(send(ch, cmd("EXISTS", "k"))).isEqualTo(":0\r\n");
  }

  @Test
  void setOptionErrorsMatchRedis() {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    assertThat(send(ch, cmd("SET", "k", "v", "NX", "XX"))).isEqualTo("-ERR syntax error\r\n");
    assertThat(send(ch, cmd("SET", "k", "v", "EX", "0")))
        .isEqualTo("-ERR invalid expire time in 'set' command\r\n");
    assertThat(send(ch, cmd("SET", "k", "v", "EX", "x")))
        .isEqualTo("-ERR value is not an integer or out of range\r\n");
    assertThat(send(ch, cmd("SET", "k", "v", "EX", "10", "KEEPTTL"))).isEqualTo("-ERR syntax error\r\n");
    assertThat(send(ch, cmd("SET", "k", "v", "EX", "10", "PX", "10"))).isEqualTo("-ERR syntax error\r\n");
    // Repeating an option is fine in Redis; the last expiry wins.
    assertThat(send(ch, cmd("SET", "k", "v", "NX", "NX"))).isEqualTo("+OK\r\n");
    assertThat(send(ch, cmd("SET", "k", "w", "XX", "XX", "EX", "10", "EX", "20", "GET", "GET")))
        .isEqualTo("$1\r\nv\r\n");
    assertThat(send(ch, cmd("TTL", "k"))).isEqualTo(":20\r\n");
    assertThat(send(ch, cmd("SETEX", "k", "-1", "v")))
        .isEqualTo("-ERR invalid expire time in 'setex' command\r\n");
    assertThat(send(ch, cmd("SELECT", "1"))).isEqualTo("-ERR DB index is out of range\r\n");
    assertThat(send(ch, cmd("EXPIRE", "k", "10", "NX", "XX")))
        .isEqualTo("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n");
  }

  @Test
  void commandIntrospectionDescribesRealCommands() {
    NodeContext node = node(ServerSettings.defaults());
    EmbeddedChannel ch = connect(node);
    assertThat(send(ch, cmd("COMMAND", "COUNT")))
        .isEqualTo(":" + node.commands().all().size() + "\r\n");
    assertThat(send(ch, cmd("COMMAND", "INFO", "get")))
        .startsWith("*1\r\n*10\r\n$3\r\nget\r\n:2\r\n");
    assertThat(send(ch, cmd("CONFIG", "GET", "maxmemory*")))
        .isEqualTo("*4\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n$16\r\nmaxmemory-policy\r\n$9\r\nw-tinylfu\r\n");
  }

  @Test
  void infoReportsRealCounters() {
    NodeContext node = node(ServerSettings.defaults());
    EmbeddedChannel ch = connect(node);
    send(ch, cmd("SET", "a", "1") + cmd("SET", "b", "2", "EX", "100") + cmd("GET", "a")
        + cmd("GET", "zz"));
    String info = send(ch, cmd("INFO"));
    assertThat(info).contains("# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=100000");
    assertThat(info).contains("keyspace_hits:1\r\n").contains("keyspace_misses:1\r\n");
    assertThat(info).contains("total_commands_processed:5\r\n");
    assertThat(info).contains("connected_clients:1\r\n");
  }
}
