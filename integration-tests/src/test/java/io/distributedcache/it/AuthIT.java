package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/** A server started with {@code --requirepass s3cret}. */
@ExtendWith(Seeds.class)
class AuthIT {

  private static final String PASSWORD = "s3cret";
  private static final String WRONGPASS =
      "WRONGPASS invalid username-password pair or user is disabled.";

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

  private static Jedis jedis(DefaultJedisClientConfig.Builder config) {
    return new Jedis(
        new HostAndPort(ServerProcess.LOOPBACK, server.port()),
        config.connectionTimeoutMillis(5_000).socketTimeoutMillis(10_000).build());
  }

  @Test
  void unauthenticatedCommandsAreRefused() {
    try (Jedis jedis = jedis(DefaultJedisClientConfig.builder())) {
      assertThatThrownBy(() -> jedis.get("k"))
          .isInstanceOf(JedisDataException.class)
          .hasMessage("NOAUTH Authentication required.");
      assertThatThrownBy(() -> jedis.set("k", "v")).hasMessage("NOAUTH Authentication required.");
      assertThatThrownBy(() -> jedis.ping()).hasMessage("NOAUTH Authentication required.");
      // nothing was written
      assertThat(jedis.auth(PASSWORD)).isEqualTo("OK");
      assertThat(jedis.exists("k")).isFalse();
    }
  }

  @Test
  void wrongPasswordThenRightOne() {
    try (Jedis jedis = jedis(DefaultJedisClientConfig.builder())) {
      assertThatThrownBy(() -> jedis.auth("wrong"))
          .isInstanceOf(JedisDataException.class)
          .hasMessage(WRONGPASS);
      assertThatThrownBy(() -> jedis.auth("default", "wrong")).hasMessage(WRONGPASS);
      assertThatThrownBy(() -> jedis.auth("nobody", PASSWORD)).hasMessage(WRONGPASS);
      assertThatThrownBy(() -> jedis.get("k")).hasMessage("NOAUTH Authentication required.");

      assertThat(jedis.auth(PASSWORD)).isEqualTo("OK");
      assertThat(jedis.set("auth:k", "v")).isEqualTo("OK");
      assertThat(jedis.get("auth:k")).isEqualTo("v");
      assertThat(jedis.ping()).isEqualTo("PONG");
    }
  }

  @Test
  void authWithDefaultUser() {
    try (Jedis jedis = jedis(DefaultJedisClientConfig.builder())) {
      assertThat(jedis.auth("default", PASSWORD)).isEqualTo("OK");
      assertThat(jedis.incr("auth:counter")).isPositive();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(RedisProtocol.class)
  void jedisWithPasswordAuthenticatesOnConnect(RedisProtocol protocol) {
    // RESP3 makes Jedis send HELLO 3 AUTH default s3cret: protocol and login in one step
    try (Jedis jedis = jedis(DefaultJedisClientConfig.builder().protocol(protocol).password(PASSWORD))) {
      assertThat(jedis.set("auth:jedis", protocol.name())).isEqualTo("OK");
      assertThat(jedis.get("auth:jedis")).isEqualTo(protocol.name());
      assertThat(jedis.clientInfo()).contains(protocol == RedisProtocol.RESP3 ? "resp=3" : "resp=2");
    }
    // a wrong password fails the connection itself
    assertThatThrownBy(
            () -> {
              try (Jedis jedis =
                  jedis(
                      DefaultJedisClientConfig.builder()
                          .protocol(protocol)
                          .user("default")
                          .password("nope"))) {
                jedis.ping();
              }
            })
        .isInstanceOf(JedisException.class)
        .hasMessageContaining("WRONGPASS");
  }

  @Test
  void lettuceWithPasswordUsesHelloAuth() {
    ClientResources resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1).build();
    try {
      RedisClient good =
          RedisClient.create(
              resources,
              RedisURI.builder()
                  .withHost(ServerProcess.LOOPBACK)
                  .withPort(server.port())
                  .withAuthentication("default", PASSWORD)
                  .withTimeout(Duration.ofSeconds(10))
                  .build());
      try (StatefulRedisConnection<String, String> c = good.connect()) {
        assertThat(c.sync().set("auth:lettuce", "ok")).isEqualTo("OK");
        assertThat(c.sync().get("auth:lettuce")).isEqualTo("ok");
        assertThat(c.sync().clientInfo()).contains("resp=3");
      } finally {
        good.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      }

      RedisClient bad =
          RedisClient.create(
              resources,
              RedisURI.builder()
                  .withHost(ServerProcess.LOOPBACK)
                  .withPort(server.port())
                  .withPassword("wrong".toCharArray())
                  .withTimeout(Duration.ofSeconds(10))
                  .build());
      try {
        assertThatThrownBy(bad::connect)
            .isInstanceOf(RedisConnectionException.class)
            .rootCause()
            .hasMessageContaining("WRONGPASS");
      } finally {
        bad.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      }
    } finally {
      resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void helloWithAuthInOneStepOnTheWire() throws IOException {
    try (RawClient raw = new RawClient(server.port())) {
      raw.send("*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n");
      Object refused = raw.readReply();
      assertThat(refused).isInstanceOf(RawClient.ErrorReply.class);
      assertThat(((RawClient.ErrorReply) refused).message()).startsWith("NOAUTH");

      raw.send("HELLO 3 AUTH default wrong\r\n");
      assertThat(raw.readReply()).isEqualTo(new RawClient.ErrorReply(WRONGPASS));

      raw.send("HELLO 3 AUTH default " + PASSWORD + "\r\n");
      Object hello = raw.readReply();
      assertThat(hello).isInstanceOf(List.class);
      List<Object> fields = new ArrayList<>((List<?>) hello);
      assertThat(fields).containsSubsequence("server", "redis").containsSubsequence("proto", 3L);
      raw.send("SET auth:hello yes\r\nGET auth:hello\r\n");
      assertThat(raw.readReply()).isEqualTo("OK");
      assertThat(raw.readReply()).isEqualTo("yes");
    }
  }

  @Test
  void unauthenticatedHugeMultibulkIsAProtocolErrorAndDisconnects() throws IOException {
    try (RawClient raw = new RawClient(server.port())) {
      raw.send("*100\r\n");
      Object reply = raw.readReply();
      assertThat(reply).isInstanceOf(RawClient.ErrorReply.class);
      assertThat(((RawClient.ErrorReply) reply).message()).startsWith("ERR Protocol error");
      assertThat(raw.awaitClosedByServer(Duration.ofSeconds(5)))
          .as("the server closes the connection after a protocol error")
          .isTrue();
    }
    try (RawClient raw = new RawClient(server.port())) {
      raw.send("*1\r\n$100000\r\n");
      Object reply = raw.readReply();
      assertThat(reply).isInstanceOf(RawClient.ErrorReply.class);
      assertThat(((RawClient.ErrorReply) reply).message()).startsWith("ERR Protocol error");
      assertThat(raw.awaitClosedByServer(Duration.ofSeconds(5))).isTrue();
    }
    // once authenticated, the same sizes are fine
    try (RawClient raw = new RawClient(server.port())) {
      raw.send("AUTH " + PASSWORD + "\r\n");
      assertThat(raw.readReply()).isEqualTo("OK");
      StringBuilder mset = new StringBuilder("*101\r\n$4\r\nMSET\r\n");
      for (int i = 0; i < 50; i++) {
        String k = "auth:m" + i;
        mset.append('$').append(k.length()).append("\r\n").append(k).append("\r\n");
        mset.append("$1\r\nv\r\n");
      }
      raw.send(mset.toString());
      assertThat(raw.readReply()).isEqualTo("OK");
      raw.send("GET auth:m49\r\n");
      assertThat(raw.readReply()).isEqualTo("v");
    }
  }
}
