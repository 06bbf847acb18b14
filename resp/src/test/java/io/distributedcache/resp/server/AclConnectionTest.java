package io.distributedcache.resp.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.time.ManualClock;
import io.distributedcache.resp.codec.RespDecoder;
import io.distributedcache.resp.codec.RespLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * ACL users end to end through the connection handler (real decoder, writer, engine; no sockets):
 * what a client sees from AUTH, ACL and the permission check, with Redis 7.4's texts.
 */
class AclConnectionTest {

  private final ManualClock clock = new ManualClock(1_000_000_000L, 1_700_000_000_000L);

  private NodeContext node(ServerSettings settings) {
    return RespServer.standalone(settings, clock, clock, new SplittableRandom(7)).node();
  }

  private static EmbeddedChannel connect(NodeContext node) {
    RespLimits limits =
        node.settings().passwordRequired() ? RespLimits.unauthenticated() : node.settings().limits();
    RespDecoder decoder = new RespDecoder(limits);
    return new EmbeddedChannel(decoder, new RespConnectionHandler(node, decoder));
  }

  /** Sends one command and returns its single parsed reply. */
  private static Object call(EmbeddedChannel ch, String... args) {
    StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
    for (String a : args) {
      sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a)
          .append("\r\n");
    }
    ch.writeInbound(Unpooled.copiedBuffer(sb.toString(), StandardCharsets.UTF_8));
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    ByteBuf out;
    while ((out = ch.readOutbound()) != null) {
      byte[] b = new byte[out.readableBytes()];
      out.readBytes(b);
      bytes.writeBytes(b);
      out.release();
    }
    return RespReplies.parseOne(bytes.toByteArray());
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object reply) {
    assertThat(reply).isInstanceOf(List.class);
    return (List<Object>) reply;
  }

  private static RespReplies.Error error(String message) {
    return new RespReplies.Error(message);
  }

  private static String sha256(String password) throws Exception {
    return HexFormat.of()
        .formatHex(
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(password.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void defaultUserIsListedAsRedisListsIt() {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    assertThat(call(ch, "ACL", "LIST")).isEqualTo(List.of("user default on nopass ~* &* +@all"));
    assertThat(call(ch, "ACL", "WHOAMI")).isEqualTo("default");
    assertThat(call(ch, "ACL", "USERS")).isEqualTo(List.of("default"));
    assertThat((String) call(ch, "CLIENT", "INFO")).contains(" user=default ");
  }

  @Test
  void rulesAreListedAsRedis7Writes() throws Exception {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    assertThat(call(ch, "ACL", "SETUSER", "u1")).isEqualTo("OK");
    assertThat(
            call(ch, "ACL", "SETUSER", "u2", "on", ">pw", "~foo:*", "+@read", "-GET", "+get",
                "+@write", "-set", "+client|id", "-@admin"))
        .isEqualTo("OK");
    assertThat(call(ch, "ACL", "SETUSER", "u3", "+@all", "-client|list", "-get", "&chan*"))
        .isEqualTo("OK");
    assertThat(call(ch, "ACL", "SETUSER", "u4", "allcommands", "allkeys", "allchannels", "nopass"))
        .isEqualTo("OK");
    assertThat(call(ch, "ACL", "SETUSER", "u5", "on", "+client", "-client|list", "reset"))
        .isEqualTo("OK");
    assertThat(call(ch, "ACL", "LIST"))
        .isEqualTo(
            List.of(
                "user default on nopass ~* &* +@all",
                "user u1 off resetchannels -@all",
                "user u2 on #" + sha256("pw")
                    + " ~foo:* resetchannels -@all +@read +get +@write -set +client|id -@admin",
                "user u3 off resetchannels &chan* +@all -client|list -get",
                "user u4 off nopass ~* &* +@all",
                "user u5 off sanitize-payload resetchannels -@all"));
    // A rule for a whole command replaces the earlier rules for its subcommands.
    assertThat(call(ch, "ACL", "SETUSER", "u3", "+client")).isEqualTo("OK");
    assertThat(list(call(ch, "ACL", "LIST")))
        .contains("user u3 off resetchannels &chan* +@all -get +client");
    assertThat(call(ch, "ACL", "USERS"))
        .isEqualTo(List.of("default", "u1", "u2", "u3", "u4", "u5"));
  }

  @Test
  void getUserIsAMapOfTheUsersSettings() throws Exception {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    call(ch, "HELLO", "3");
    call(ch, "ACL", "SETUSER", "app", "on", ">secret", "~app:*", "&news", "+@read");
    Object user = call(ch, "ACL", "GETUSER", "app");
    assertThat(user)
        .isEqualTo(
            Map.of(
                "flags", List.of("on"),
                "passwords", List.of(sha256("secret")),
                "commands", "-@all +@read",
                "keys", "~app:*",
                "channels", "&news",
                "selectors", List.of()));
    assertThat(call(ch, "ACL", "GETUSER", "nobody")).isNull();
  }

  @Test
  void badRulesAreRefusedWithRedisReasonsAndChangeNothing() {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    String prefix = "ERR Error in ACL SETUSER modifier ";
    assertThat(call(ch, "ACL", "SETUSER", "u", "+nocmd"))
        .isEqualTo(error(prefix + "'+nocmd': Unknown command or category name in ACL"));
    assertThat(call(ch, "ACL", "SETUSER", "u", "+@nocat"))
        .isEqualTo(error(prefix + "'+@nocat': Unknown command or category name in ACL"));
    assertThat(call(ch, "ACL", "SETUSER", "u", "+client|nosub"))
        .isEqualTo(error(prefix + "'+client|nosub': Unknown command or category name in ACL"));
    assertThat(call(ch, "ACL", "SETUSER", "u", "<nopw"))
        .isEqualTo(
            error(prefix + "'<nopw': The password you are trying to remove from the user does not"
                + " exist"));
    assertThat(call(ch, "ACL", "SETUSER", "u", "#abc"))
        .isEqualTo(
            error(prefix + "'#abc': The password hash must be exactly 64 characters and contain"
                + " only lowercase hexadecimal characters"));
    assertThat(call(ch, "ACL", "SETUSER", "u", "weird"))
        .isEqualTo(error(prefix + "'weird': Syntax error"));
    assertThat(call(ch, "ACL", "SETUSER", "u", "allkeys", "~x"))
        .isEqualTo(
            error(prefix + "'~x': Adding a pattern after the * pattern (or the 'allkeys' flag) is"
                + " not valid and does not have any effect. Try 'resetkeys' to start with an"
                + " empty list of patterns"));
    assertThat(call(ch, "ACL", "SETUSER", "a b"))
        .isEqualTo(error("ERR Usernames can't contain spaces or null characters"));
    // None of the failed SETUSERs created the user.
    assertThat(call(ch, "ACL", "USERS")).isEqualTo(List.of("default"));

    // A failing rule list leaves an existing user exactly as it was.
    call(ch, "ACL", "SETUSER", "u", "on", "nopass", "+get");
    assertThat(call(ch, "ACL", "SETUSER", "u", "off", "-get", "+nocmd"))
        .isInstanceOf(RespReplies.Error.class);
    assertThat(list(call(ch, "ACL", "LIST")))
        .contains("user u on nopass resetchannels -@all +get");

    assertThat(call(ch, "ACL", "DELUSER", "default"))
        .isEqualTo(error("ERR The 'default' user cannot be removed"));
    assertThat(call(ch, "ACL", "FOO"))
        .isEqualTo(error("ERR unknown subcommand 'FOO'. Try ACL HELP."));
    assertThat(call(ch, "ACL", "CAT", "nosuch"))
        .isEqualTo(error("ERR Unknown category 'nosuch'"));
  }

  @Test
  void aUserRunsOnlyWhatItsRulesAllowOnTheKeysItMayUse() {
    NodeContext node = node(ServerSettings.defaults());
    EmbeddedChannel admin = connect(node);
    call(admin, "ACL", "SETUSER", "app", "on", ">secret", "~app:*", "+@read", "+@write",
        "-@dangerous", "+auth");
    EmbeddedChannel ch = connect(node);
    assertThat(call(ch, "AUTH", "app", "wrong"))
        .isEqualTo(error("WRONGPASS invalid username-password pair or user is disabled."));
    assertThat(call(ch, "AUTH", "app", "secret")).isEqualTo("OK");
    assertThat(call(ch, "ACL", "WHOAMI"))
        .isEqualTo(error("NOPERM User app has no permissions to run the 'acl|whoami' command"));
    assertThat(call(ch, "SET", "app:1", "v")).isEqualTo("OK");
    assertThat(call(ch, "GET", "app:1")).isEqualTo("v");
    assertThat(call(ch, "SET", "other", "v"))
        .isEqualTo(error("NOPERM No permissions to access a key"));
    assertThat(call(ch, "MGET", "app:1", "other"))
        .isEqualTo(error("NOPERM No permissions to access a key"));
    assertThat(call(ch, "FLUSHALL"))
        .isEqualTo(error("NOPERM User app has no permissions to run the 'flushall' command"));
    assertThat(call(ch, "KEYS", "*"))
        .isEqualTo(error("NOPERM User app has no permissions to run the 'keys' command"));
    assertThat(call(ch, "PING"))
        .isEqualTo(error("NOPERM User app has no permissions to run the 'ping' command"));
    assertThat(call(ch, "CONFIG", "GET", "port"))
        .isEqualTo(error("NOPERM User app has no permissions to run the 'config|get' command"));
    // nothing denied ran
    assertThat(call(admin, "EXISTS", "other")).isEqualTo(0L);

    // Changing the user governs its connected clients from their next command on.
    call(admin, "ACL", "SETUSER", "app", "-get", "+ping");
    assertThat(call(ch, "GET", "app:1"))
        .isEqualTo(error("NOPERM User app has no permissions to run the 'get' command"));
    assertThat(call(ch, "PING")).isEqualTo("PONG");
    assertThat((String) call(admin, "CLIENT", "LIST")).contains(" user=app ");

    // RESET logs the connection back in as the default user.
    assertThat(call(ch, "RESET")).isEqualTo("RESET");
    assertThat(call(ch, "ACL", "WHOAMI")).isEqualTo("default");
  }

  @Test
  void containerSubcommandsHaveTheirOwnPermissions() {
    NodeContext node = node(ServerSettings.defaults());
    EmbeddedChannel admin = connect(node);
    call(admin, "ACL", "SETUSER", "ops", "on", "nopass", "+@all", "-@admin");
    call(admin, "ACL", "SETUSER", "idonly", "on", "nopass", "+client|id");
    EmbeddedChannel ch = connect(node);
    assertThat(call(ch, "AUTH", "ops", "anything")).isEqualTo("OK");
    assertThat(call(ch, "CLIENT", "ID")).isInstanceOf(Long.class);
    assertThat(call(ch, "CLIENT", "LIST"))
        .isEqualTo(error("NOPERM User ops has no permissions to run the 'client|list' command"));
    assertThat(call(ch, "ACL", "SETUSER", "x"))
        .isEqualTo(error("NOPERM User ops has no permissions to run the 'acl|setuser' command"));
    assertThat(call(ch, "ACL", "WHOAMI")).isEqualTo("ops");
    assertThat(call(ch, "CONFIG", "HELP")).isInstanceOf(List.class);

    assertThat(call(ch, "AUTH", "idonly", "x")).isEqualTo("OK");
    assertThat(call(ch, "CLIENT", "ID")).isInstanceOf(Long.class);
    assertThat(call(ch, "CLIENT", "GETNAME"))
        .isEqualTo(error("NOPERM User idonly has no permissions to run the 'client|getname'"
            + " command"));
  }

  @Test
  void channelPatternsLimitPublishAndSubscribe() {
    NodeContext node = node(ServerSettings.defaults());
    EmbeddedChannel admin = connect(node);
    call(admin, "ACL", "SETUSER", "pub", "on", "nopass", "+@pubsub", "&news.*");
    EmbeddedChannel ch = connect(node);
    call(ch, "AUTH", "pub", "x");
    assertThat(call(ch, "PUBLISH", "news.today", "hi")).isEqualTo(0L);
    assertThat(call(ch, "PUBLISH", "sport", "hi"))
        .isEqualTo(error("NOPERM No permissions to access a channel"));
    // A pattern subscription needs the very pattern: news.x* could be granted only by news.x*.
    assertThat(call(ch, "PSUBSCRIBE", "news.x*"))
        .isEqualTo(error("NOPERM No permissions to access a channel"));
    assertThat(call(ch, "SUBSCRIBE", "sport"))
        .isEqualTo(error("NOPERM No permissions to access a channel"));
    assertThat(call(ch, "PSUBSCRIBE", "news.*")).isEqualTo(List.of("psubscribe", "news.*", 1L));
  }

  @Test
  void readAndWriteKeyPatternsFollowRedisKeySpecifications() {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    call(ch, "ACL", "SETUSER", "rw4", "on", "nopass", "+@all", "%R~r:*", "%W~w:*", "~rw:*");
    assertThat(list(call(ch, "ACL", "LIST")))
        .contains("user rw4 on nopass %R~r:* %W~w:* ~rw:* resetchannels +@all");
    // What a Redis 7.0.15 answered to ACL DRYRUN for the same user (null: OK, else the key).
    String[][] cases = {
      {"get r:1", null}, {"set r:1 x", "r:1"}, {"set w:1 x", null}, {"get w:1", "w:1"},
      {"exists r:1", null}, {"exists w:1", null}, {"type w:1", null}, {"strlen w:1", null},
      {"strlen r:1", null}, {"incr w:1", "w:1"}, {"set w:1 x GET", "w:1"},
      {"append w:1 x", null}, {"rename r:1 w:1", "r:1"}, {"rename rw:1 w:1", null},
      {"del r:1", "r:1"}, {"del w:1", null}, {"ttl w:1", "w:1"}, {"ttl r:1", null},
      {"getdel w:1", "w:1"}, {"mset w:1 a w:2 b", null}, {"setnx w:1 x", null},
      {"getrange w:1 0 1", "w:1"}, {"setrange w:1 0 x", null}, {"expire w:1 5", null},
      {"persist w:1", null}, {"getex w:1", "w:1"}, {"mget r:1 w:1", "w:1"}, {"exists x", "x"},
    };
    for (String[] c : cases) {
      String[] words = c[0].split(" ");
      String[] args = new String[words.length + 3];
      args[0] = "ACL";
      args[1] = "DRYRUN";
      args[2] = "rw4";
      System.arraycopy(words, 0, args, 3, words.length);
      Object expected =
          c[1] == null ? "OK" : "User rw4 has no permissions to access the '" + c[1] + "' key";
      assertThat(call(ch, args)).as(c[0]).isEqualTo(expected);
    }
    // The same pattern again widens what it grants, as in Redis.
    call(ch, "ACL", "SETUSER", "rw4", "%R~w:*");
    assertThat(list(call(ch, "ACL", "LIST")))
        .contains("user rw4 on nopass %R~r:* ~w:* ~rw:* resetchannels +@all");
    assertThat(call(ch, "ACL", "SETUSER", "rw5", "%X~a"))
        .isEqualTo(error("ERR Error in ACL SETUSER modifier '%X~a': Syntax error"));
  }

  @Test
  void dryRunSaysWhatWouldHappenWithoutRunningIt() {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    call(ch, "ACL", "SETUSER", "u2", "on", "~foo:*", "+@read", "&ok");
    assertThat(call(ch, "ACL", "DRYRUN", "u2", "get", "foo:1")).isEqualTo("OK");
    assertThat(call(ch, "ACL", "DRYRUN", "u2", "get", "bar"))
        .isEqualTo("User u2 has no permissions to access the 'bar' key");
    assertThat(call(ch, "ACL", "DRYRUN", "u2", "set", "foo:1", "x"))
        .isEqualTo("User u2 has no permissions to run the 'set' command");
    assertThat(call(ch, "ACL", "DRYRUN", "u2", "client", "list"))
        .isEqualTo("User u2 has no permissions to run the 'client|list' command");
    assertThat(call(ch, "ACL", "DRYRUN", "nouser", "get", "x"))
        .isEqualTo(error("ERR User 'nouser' not found"));
    assertThat(call(ch, "ACL", "DRYRUN", "u2", "nocmd", "x"))
        .isEqualTo(error("ERR Command 'nocmd' not found"));
    assertThat(call(ch, "ACL", "DRYRUN", "u2", "get"))
        .isEqualTo(error("ERR wrong number of arguments for 'get' command"));
    assertThat(call(ch, "EXISTS", "foo:1")).isEqualTo(0L);
  }

  @Test
  void deletingAUserDisconnectsItsClients() {
    NodeContext node = node(ServerSettings.defaults());
    EmbeddedChannel admin = connect(node);
    call(admin, "ACL", "SETUSER", "temp", "on", ">pw", "+@all", "~*");
    EmbeddedChannel a = connect(node);
    EmbeddedChannel b = connect(node);
    call(a, "AUTH", "temp", "pw");
    call(b, "AUTH", "temp", "pw");
    assertThat(call(admin, "ACL", "DELUSER", "temp", "nobody")).isEqualTo(1L);
    a.runPendingTasks();
    b.runPendingTasks();
    assertThat(a.isOpen()).isFalse();
    assertThat(b.isOpen()).isFalse();
    assertThat(admin.isOpen()).isTrue();
    assertThat(call(admin, "ACL", "USERS")).isEqualTo(List.of("default"));
    // A user deleting itself gets its reply, then the connection closes.
    call(admin, "ACL", "SETUSER", "self", "on", "nopass", "+@all");
    EmbeddedChannel c = connect(node);
    call(c, "AUTH", "self", "x");
    assertThat(call(c, "ACL", "DELUSER", "self")).isEqualTo(1L);
    c.runPendingTasks();
    assertThat(c.isOpen()).isFalse();
    assertThat(call(admin, "AUTH", "self", "x"))
        .isEqualTo(error("WRONGPASS invalid username-password pair or user is disabled."));
  }

  @Test
  void requirePassIsTheDefaultUsersPassword() throws Exception {
    NodeContext node = node(ServerSettings.defaults().withRequirePass("s3cret"));
    EmbeddedChannel ch = connect(node);
    assertThat(call(ch, "GET", "k")).isEqualTo(error("NOAUTH Authentication required."));
    assertThat(call(ch, "AUTH", "s3cret")).isEqualTo("OK");
    assertThat(call(ch, "ACL", "LIST"))
        .isEqualTo(List.of("user default on #" + sha256("s3cret") + " ~* &* +@all"));

    // ACL SETUSER default changes the password: the old one stops working.
    assertThat(call(ch, "ACL", "SETUSER", "default", "resetpass", ">n3w")).isEqualTo("OK");
    EmbeddedChannel other = connect(node);
    assertThat(call(other, "AUTH", "s3cret"))
        .isEqualTo(error("WRONGPASS invalid username-password pair or user is disabled."));
    assertThat(call(other, "AUTH", "default", "n3w")).isEqualTo("OK");

    // Dropping the password opens connections that never authenticated, as in Redis.
    EmbeddedChannel waiting = connect(node);
    assertThat(call(waiting, "GET", "k")).isEqualTo(error("NOAUTH Authentication required."));
    call(ch, "ACL", "SETUSER", "default", "nopass");
    assertThat(call(waiting, "GET", "k")).isNull();
    assertThat(call(waiting, "AUTH", "whatever"))
        .isEqualTo(error("ERR AUTH <password> called without any password configured for the"
            + " default user. Are you sure your configuration is correct?"));
  }

  @Test
  void helloAuthLogsInAsAnyUser() {
    NodeContext node = node(ServerSettings.defaults().withRequirePass("pw"));
    EmbeddedChannel admin = connect(node);
    call(admin, "AUTH", "pw");
    call(admin, "ACL", "SETUSER", "reader", "on", ">r", "~*", "+@read", "+@connection");
    EmbeddedChannel ch = connect(node);
    assertThat(call(ch, "HELLO", "3", "AUTH", "reader", "nope"))
        .isEqualTo(error("WRONGPASS invalid username-password pair or user is disabled."));
    assertThat(call(ch, "HELLO", "3", "AUTH", "reader", "r")).isInstanceOf(Map.class);
    assertThat(call(ch, "ACL", "WHOAMI"))
        .isEqualTo(error("NOPERM User reader has no permissions to run the 'acl|whoami' command"));
    assertThat(call(ch, "GET", "k")).isNull();
    assertThat(call(ch, "SET", "k", "v"))
        .isEqualTo(error("NOPERM User reader has no permissions to run the 'set' command"));
    // A disabled user cannot log in.
    call(admin, "ACL", "SETUSER", "reader", "off");
    EmbeddedChannel late = connect(node);
    assertThat(call(late, "AUTH", "reader", "r"))
        .isEqualTo(error("WRONGPASS invalid username-password pair or user is disabled."));
  }

  @Test
  void catListsCategoriesAndTheirCommands() {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    assertThat(list(call(ch, "ACL", "CAT")))
        .startsWith("keyspace", "read", "write")
        .contains("admin", "dangerous", "fast", "slow", "string", "connection", "pubsub")
        .hasSize(21);
    assertThat(list(call(ch, "ACL", "CAT", "admin")))
        .contains("config|get", "client|list", "acl|setuser", "acl|deluser", "cluster|leave")
        .doesNotContain("get", "client|id", "acl|whoami");
    assertThat(list(call(ch, "ACL", "CAT", "dangerous")))
        .contains("flushall", "flushdb", "keys", "info", "config|get", "client|list");
    assertThat(list(call(ch, "ACL", "CAT", "write")))
        .contains("set", "del", "incr", "flushall")
        .doesNotContain("get");
    assertThat(call(ch, "ACL", "CAT", "hash")).isEqualTo(List.of());
  }

  @Test
  void genpassReturnsRandomHexOfTheAskedLength() {
    EmbeddedChannel ch = connect(node(ServerSettings.defaults()));
    assertThat((String) call(ch, "ACL", "GENPASS")).matches("[0-9a-f]{64}");
    assertThat((String) call(ch, "ACL", "GENPASS", "5")).matches("[0-9a-f]{2}");
    assertThat(call(ch, "ACL", "GENPASS", "0"))
        .isEqualTo(error("ERR ACL GENPASS argument must be the number of bits for the output"
            + " password, a positive number up to 4096"));
  }
}
