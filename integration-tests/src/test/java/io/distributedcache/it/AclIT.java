package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.resps.AccessControlUser;

/**
 * ACL users on a real server process started with {@code --requirepass}: created with {@code ACL
 * SETUSER} through redis-cli and Jedis, logged in with {@code AUTH user pass} and {@code HELLO 3
 * AUTH}, refused with {@code -NOPERM}. The NOPERM texts are Redis 7.2+'s; in reference mode (a
 * local redis-server 7.0) only their prefix is checked.
 */
@ExtendWith(Seeds.class)
class AclIT {

  private static final String PASSWORD = "s3cret";
  private static final Path REDIS_CLI = Path.of("/usr/bin/redis-cli");
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static ServerProcess server;

  @BeforeAll
  static void startServer() {
    server = ServerProcess.start("--requirepass", PASSWORD);
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  private static Jedis jedis() {
    return jedis(DefaultJedisClientConfig.builder());
  }

  private static Jedis jedis(DefaultJedisClientConfig.Builder config) {
    return new Jedis(
        new HostAndPort(ServerProcess.LOOPBACK, server.port()),
        config.connectionTimeoutMillis(5_000).socketTimeoutMillis(10_000).build());
  }

  private static Jedis admin() {
    Jedis jedis = jedis();
    jedis.auth(PASSWORD);
    return jedis;
  }

  /** {@code redis-cli -h 127.0.0.1 -p PORT args...}; its exit code is returned, not asserted. */
  private static CommandRunner.Result cli(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(REDIS_CLI.toString());
    cmd.add("-h");
    cmd.add(ServerProcess.LOOPBACK);
    cmd.add("-p");
    cmd.add(Integer.toString(server.port()));
    cmd.add("--no-auth-warning");
    cmd.addAll(Arrays.asList(args));
    return CommandRunner.run(cmd, "", TIMEOUT);
  }

  /** A NOPERM error: the exact Redis 7.2+ text, or only the prefix against a reference Redis. */
  private static void assertNoPerm(Throwable error, String text) {
    assertThat(error).isInstanceOf(JedisDataException.class);
    if (ServerProcess.referenceMode()) {
      assertThat(error.getMessage()).startsWith("NOPERM");
    } else {
      assertThat(error.getMessage()).isEqualTo("NOPERM " + text);
    }
  }

  private static Throwable thrown(Supplier<?> call) {
    try {
      call.get();
    } catch (RuntimeException e) {
      return e;
    }
    throw new AssertionError("expected an error reply");
  }

  @Test
  void redisCliCreatesAUserAndLogsInAsIt() {
    assumeTrue(Files.isExecutable(REDIS_CLI), "/usr/bin/redis-cli is not installed");
    CommandRunner.Result created =
        cli("-a", PASSWORD, "ACL", "SETUSER", "cli-app", "on", ">app-pw", "~cli:*", "+@read",
            "+@write", "-@dangerous");
    assertThat(created.stdout()).as("%s", created).isEqualTo("OK\n");

    CommandRunner.Result set = cli("--user", "cli-app", "--pass", "app-pw", "SET", "cli:1", "v");
    assertThat(set.stdout()).as("%s", set).isEqualTo("OK\n");
    CommandRunner.Result get = cli("--user", "cli-app", "--pass", "app-pw", "GET", "cli:1");
    assertThat(get.stdout()).isEqualTo("v\n");
    CommandRunner.Result refused =
        cli("--user", "cli-app", "--pass", "app-pw", "SET", "elsewhere", "v");
    assertThat(refused.stdout() + refused.stderr()).contains("NOPERM");
    CommandRunner.Result flush = cli("--user", "cli-app", "--pass", "app-pw", "FLUSHALL");
    assertThat(flush.stdout() + flush.stderr()).contains("NOPERM");

    CommandRunner.Result wrong = cli("--user", "cli-app", "--pass", "nope", "GET", "cli:1");
    assertThat(wrong.stdout() + wrong.stderr()).contains("WRONGPASS");

    CommandRunner.Result list = cli("-a", PASSWORD, "ACL", "LIST");
    assertThat(list.stdout()).contains("user cli-app on #").contains(" ~cli:* ");
    try (Jedis admin = admin()) {
      assertThat(admin.exists("elsewhere")).isFalse();
    }
  }

  @Test
  void jedisAuthAsUserIsHeldToItsRules() {
    try (Jedis admin = admin()) {
      assertThat(
              admin.aclSetUser(
                  "jedis-app", "reset", "on", ">pw1", "~jedis:*", "+@read", "+@write",
                  "-@dangerous", "+acl|whoami"))
          .isEqualTo("OK");
      AccessControlUser user = admin.aclGetUser("jedis-app");
      assertThat(user.getFlags()).contains("on");
      assertThat(user.getKeys()).isEqualTo("~jedis:*");
      assertThat(user.getPasswords()).hasSize(1);
      assertThat(admin.aclUsers()).contains("default", "jedis-app");
    }
    try (Jedis app = jedis()) {
      assertThatThrownBy(() -> app.auth("jedis-app", "wrong"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("WRONGPASS");
      assertThat(app.auth("jedis-app", "pw1")).isEqualTo("OK");
      assertThat(app.aclWhoAmI()).isEqualTo("jedis-app");
      assertThat(app.set("jedis:1", "one")).isEqualTo("OK");
      assertThat(app.get("jedis:1")).isEqualTo("one");
      assertNoPerm(thrown(() -> app.set("other:1", "x")), "No permissions to access a key");
      assertNoPerm(
          thrown(app::flushAll), "User jedis-app has no permissions to run the 'flushall' command");
      assertNoPerm(
          thrown(() -> app.configGet("port")),
          "User jedis-app has no permissions to run the 'config|get' command");
      assertNoPerm(
          thrown(app::aclList), "User jedis-app has no permissions to run the 'acl|list' command");

      // A change to the user applies to its connected client from the next command on.
      try (Jedis admin = admin()) {
        admin.aclSetUser("jedis-app", "-get");
        assertThat(admin.aclDryRun("jedis-app", "get", "jedis:1"))
            .contains("no permissions to run the 'get' command");
      }
      assertNoPerm(
          thrown(() -> app.get("jedis:1")),
          "User jedis-app has no permissions to run the 'get' command");
    }
  }

  @Test
  void helloAuthWithAUserOverResp3() {
    try (Jedis admin = admin()) {
      admin.aclSetUser("resp3-user", "reset", "on", ">pw3", "~*", "+@all", "-@admin");
    }
    try (Jedis jedis =
        jedis(
            DefaultJedisClientConfig.builder()
                .protocol(RedisProtocol.RESP3)
                .user("resp3-user")
                .password("pw3"))) {
      assertThat(jedis.aclWhoAmI()).isEqualTo("resp3-user");
      assertThat(jedis.set("resp3:k", "v")).isEqualTo("OK");
      assertThat(jedis.clientInfo()).contains("user=resp3-user").contains("resp=3");
      assertNoPerm(
          thrown(jedis::clientList),
          "User resp3-user has no permissions to run the 'client|list' command");
    }
  }

  @Test
  void deletingAUserDisconnectsItsClients() {
    try (Jedis admin = admin()) {
      admin.aclSetUser("doomed", "reset", "on", ">pw", "~*", "+@all");
      try (Jedis victim = jedis()) {
        victim.auth("doomed", "pw");
        assertThat(victim.ping()).isEqualTo("PONG");
        assertThat(admin.aclDelUser("doomed")).isEqualTo(1L);
        assertThatThrownBy(victim::ping).isInstanceOf(JedisConnectionException.class);
      }
      assertThat(admin.aclUsers()).doesNotContain("doomed");
      try (Jedis again = jedis()) {
        assertThatThrownBy(() -> again.auth("doomed", "pw"))
            .isInstanceOf(JedisDataException.class)
            .hasMessageContaining("WRONGPASS");
      }
    }
  }

  @Test
  void requirePassIsTheDefaultUsersPassword() {
    try (Jedis jedis = jedis()) {
      assertThatThrownBy(() -> jedis.get("k")).hasMessage("NOAUTH Authentication required.");
      assertThat(jedis.auth("default", PASSWORD)).isEqualTo("OK");
      assertThat(jedis.aclWhoAmI()).isEqualTo("default");
      assertThat(jedis.aclGetUser("default").getPasswords()).hasSize(1);
      assertThat(jedis.aclGetUser("default").getCommands()).isEqualTo("+@all");
    }
  }
}
