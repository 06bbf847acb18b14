package io.distributedcache.resp.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.time.Ticker;
import io.distributedcache.core.time.WallClock;
import io.distributedcache.resp.codec.RespDecoder;
import io.distributedcache.resp.command.CommandSpec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * SLOWLOG and its CONFIG SET parameters through the real connection handler, on a ticker that
 * moves 1.5 ms at every reading, so that every command takes a known, non-zero time.
 */
class SlowLogTest {

  private static final long STEP_NANOS = 1_500_000L;
  private static final long WALL_MILLIS = 1_700_000_000_000L;

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final Ticker ticker = () -> now.addAndGet(STEP_NANOS);
  private final WallClock wall = () -> WALL_MILLIS;
  private final NodeContext node =
      RespServer.assemble(ServerSettings.defaults(), ticker, wall, new SplittableRandom(3), 0);
  private final EmbeddedChannel ch = connect(node);

  private static EmbeddedChannel connect(NodeContext node) {
    RespDecoder decoder = new RespDecoder(node.settings().limits());
    return new EmbeddedChannel(decoder, new RespConnectionHandler(node, decoder));
  }

  private Object send(String... args) {
    ch.writeInbound(Unpooled.copiedBuffer(cmd(args), StandardCharsets.UTF_8));
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    ByteBuf out;
    while ((out = ch.readOutbound()) != null) {
      byte[] bytes = new byte[out.readableBytes()];
      out.readBytes(bytes);
      wire.writeBytes(bytes);
      out.release();
    }
    return RespReplies.parseOne(wire.toByteArray());
  }

  private static String cmd(String... args) {
    StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
    for (String a : args) {
      sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a)
          .append("\r\n");
    }
    return sb.toString();
  }

  @SuppressWarnings("unchecked")
  private List<List<Object>> slowlogGet(String... count) {
    List<String> args = new ArrayList<>(List.of("SLOWLOG", "GET"));
    args.addAll(List.of(count));
    return (List<List<Object>>) send(args.toArray(new String[0]));
  }

  @Test
  void thresholdZeroLogsEveryCommandWithArgsDurationAndClient() {
    assertThat(send("CONFIG", "SET", "slowlog-log-slower-than", "0")).isEqualTo("OK");
    assertThat(send("CLIENT", "SETNAME", "reporter")).isEqualTo("OK");
    assertThat(send("SET", "k", "v")).isEqualTo("OK");
    List<List<Object>> entries = slowlogGet();
    assertThat(entries).hasSize(3);
    List<Object> set = entries.get(0);
    assertThat(set).hasSize(6);
    assertThat(set.get(0)).isEqualTo(2L);
    assertThat(set.get(1)).isEqualTo(WALL_MILLIS / 1000);
    // At least the start and the end reading apart: one ticker step.
    assertThat((Long) set.get(2)).isGreaterThanOrEqualTo(STEP_NANOS / 1000).isPositive();
    assertThat(set.get(3)).isEqualTo(List.of("SET", "k", "v"));
    assertThat(set.get(4)).isEqualTo(ch.remoteAddress().toString());
    assertThat(set.get(5)).isEqualTo("reporter");
    assertThat(entries.get(1).get(3)).isEqualTo(List.of("CLIENT", "SETNAME", "reporter"));
    // CONFIG SET itself is logged: as in Redis, a command meets the threshold once it has run.
    assertThat(entries.get(2).get(3))
        .isEqualTo(List.of("CONFIG", "SET", "slowlog-log-slower-than", "0"));
    assertThat(entries.get(2).get(5)).isEqualTo("");
  }

  @Test
  void lenResetAndGetCount() {
    send("CONFIG", "SET", "slowlog-log-slower-than", "0");
    for (int i = 0; i < 5; i++) {
      send("PING");
    }
    // CONFIG SET and five PINGs.
    assertThat(send("SLOWLOG", "LEN")).isEqualTo(6L);
    assertThat(slowlogGet("2")).hasSize(2);
    assertThat(slowlogGet("-1")).hasSize(8); // and LEN and the first GET
    assertThat(send("SLOWLOG", "RESET")).isEqualTo("OK");
    // As in Redis, RESET is itself logged once it ran.
    List<List<Object>> afterReset = slowlogGet();
    assertThat(afterReset).hasSize(1);
    assertThat(afterReset.get(0).get(3)).isEqualTo(List.of("SLOWLOG", "RESET"));
    // Ids keep counting across RESET.
    assertThat((Long) afterReset.get(0).get(0)).isEqualTo(9L);
    assertThat(send("SLOWLOG", "GET", "-2"))
        .isEqualTo(new RespReplies.Error("ERR count should be greater than or equal to -1"));
    assertThat(send("SLOWLOG", "GET", "x"))
        .isEqualTo(new RespReplies.Error("ERR value is not an integer or out of range"));
    assertThat(send("SLOWLOG", "LEN", "x"))
        .isEqualTo(
            new RespReplies.Error("ERR wrong number of arguments for 'slowlog|len' command"));
    assertThat(send("SLOWLOG", "NOPE"))
        .isEqualTo(new RespReplies.Error("ERR unknown subcommand 'NOPE'. Try SLOWLOG HELP."));
    assertThat((List<?>) send("SLOWLOG", "HELP")).isNotEmpty();
  }

  @Test
  void maxLenKeepsTheNewest() {
    send("CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "3");
    for (int i = 0; i < 10; i++) {
      send("SET", "k" + i, "v");
    }
    assertThat(send("SLOWLOG", "LEN")).isEqualTo(3L);
    List<List<Object>> entries = slowlogGet("-1");
    assertThat(entries).extracting(e -> e.get(3))
        .containsExactly(List.of("SLOWLOG", "LEN"), List.of("SET", "k9", "v"),
            List.of("SET", "k8", "v"));
    send("CONFIG", "SET", "slowlog-max-len", "1");
    assertThat(slowlogGet("-1")).hasSize(1);
    send("CONFIG", "SET", "slowlog-max-len", "0");
    send("PING");
    assertThat(send("SLOWLOG", "LEN")).isEqualTo(0L);
  }

  @Test
  void thresholdFiltersAndNegativeDisables() {
    // Each command here spans a few ticker readings, i.e. a few ms: under 1 s, over 1 µs.
    send("CONFIG", "SET", "slowlog-log-slower-than", "1000000");
    send("SET", "a", "1");
    assertThat(send("SLOWLOG", "LEN")).isEqualTo(0L);
    send("CONFIG", "SET", "slowlog-log-slower-than", "1");
    send("SET", "a", "2");
    assertThat(send("SLOWLOG", "LEN")).isEqualTo(2L); // CONFIG SET and SET
    send("CONFIG", "SET", "slowlog-log-slower-than", "-1");
    send("SLOWLOG", "RESET");
    send("SET", "a", "3");
    assertThat(send("SLOWLOG", "LEN")).isEqualTo(0L);
  }

  @Test
  void longCommandsAreCutAndSecretsRedactedAsInRedis() {
    send("CONFIG", "SET", "slowlog-log-slower-than", "0");
    List<String> many = new ArrayList<>(List.of("DEL"));
    for (int i = 0; i < 40; i++) {
      many.add("key" + i);
    }
    send(many.toArray(new String[0]));
    String big = "x".repeat(200);
    send("SET", "big", big);
    send("AUTH", "someone", "secret");
    send("HELLO", "2", "AUTH", "default", "secret", "SETNAME", "n");
    send("ACL", "SETUSER", "alice", ">secret", "on");
    List<List<Object>> entries = slowlogGet("5");
    assertThat(entries.get(0).get(3))
        .isEqualTo(List.of("ACL", "SETUSER", "(redacted)", "(redacted)", "(redacted)"));
    assertThat(entries.get(1).get(3))
        .isEqualTo(List.of("HELLO", "2", "AUTH", "(redacted)", "(redacted)", "SETNAME", "n"));
    assertThat(entries.get(2).get(3)).isEqualTo(List.of("AUTH", "(redacted)", "(redacted)"));
    assertThat(entries.get(3).get(3))
        .isEqualTo(List.of("SET", "big", "x".repeat(128) + "... (72 more bytes)"));
    @SuppressWarnings("unchecked")
    List<Object> del = (List<Object>) entries.get(4).get(3);
    assertThat(del).hasSize(32);
    assertThat(del.get(30)).isEqualTo("key29");
    assertThat(del.get(31)).isEqualTo("... (10 more arguments)");
  }

  @Test
  void configSetIsAllOrNothingAndConfigGetShowsIt() {
    assertThat(send("CONFIG", "GET", "slowlog-*"))
        .isEqualTo(List.of("slowlog-log-slower-than", "10000", "slowlog-max-len", "128"));
    assertThat(send("CONFIG", "SET", "slowlog-max-len", "5", "slowlog-log-slower-than", "abc"))
        .isEqualTo(
            new RespReplies.Error(
                "ERR CONFIG SET failed (possibly related to argument 'slowlog-log-slower-than')"
                    + " - argument couldn't be parsed into an integer"));
    assertThat(send("CONFIG", "SET", "slowlog-log-slower-than", "-2"))
        .isEqualTo(
            new RespReplies.Error(
                "ERR CONFIG SET failed (possibly related to argument 'slowlog-log-slower-than')"
                    + " - argument must be between -1 and 9223372036854775807 inclusive"));
    assertThat(send("CONFIG", "SET", "maxmemory", "1"))
        .isEqualTo(
            new RespReplies.Error(
                "ERR Unknown option or number of arguments for CONFIG SET - 'maxmemory'"));
    assertThat(send("CONFIG", "SET", "slowlog-max-len"))
        .isEqualTo(
            new RespReplies.Error("ERR wrong number of arguments for 'config|set' command"));
    assertThat(node.slowLog().maxLen()).isEqualTo(128);
    assertThat(send("CONFIG", "SET", "SLOWLOG-MAX-LEN", "5", "slowlog-log-slower-than", "7"))
        .isEqualTo("OK");
    assertThat(send("CONFIG", "GET", "slowlog-*"))
        .isEqualTo(List.of("slowlog-log-slower-than", "7", "slowlog-max-len", "5"));
    node.configureSlowLog(-1, 64);
    assertThat(send("CONFIG", "GET", "slowlog-max-len"))
        .isEqualTo(List.of("slowlog-max-len", "64"));
  }

  @Test
  void slowlogAndConfigSetAreAdminCommandsAsInRedis7() {
    CommandSpec slowlog = node.commands().lookup("slowlog");
    assertThat(slowlog.aclCategories()).containsExactly("slow");
    for (String sub : List.of("GET", "LEN", "RESET")) {
      assertThat(slowlog.subcommand(sub.getBytes(StandardCharsets.US_ASCII)).aclCategories())
          .containsExactlyInAnyOrder("admin", "slow", "dangerous");
    }
    CommandSpec config = node.commands().lookup("config");
    assertThat(config.subcommand("SET".getBytes(StandardCharsets.US_ASCII)).aclCategories())
        .containsExactlyInAnyOrder("admin", "slow", "dangerous");
    node.acl().setUser("default", List.of("-@dangerous"));
    assertThat(send("SLOWLOG", "LEN")).isInstanceOf(RespReplies.Error.class);
    assertThat(send("SLOWLOG", "HELP")).isInstanceOf(List.class);
  }
}
