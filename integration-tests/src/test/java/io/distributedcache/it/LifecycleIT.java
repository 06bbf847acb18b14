package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/** Starting, configuring and stopping the server process: what an operator sees. */
@ExtendWith(Seeds.class)
class LifecycleIT {

  private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path dir;

  @BeforeAll
  static void onlyForDistributedCache() {
    assumeFalse(ServerProcess.referenceMode(), "DistributedCache's own command line");
  }

  private static Jedis jedis(int port, String password) {
    DefaultJedisClientConfig.Builder config =
        DefaultJedisClientConfig.builder().connectionTimeoutMillis(5_000).socketTimeoutMillis(10_000);
    if (password != null) {
      config.password(password);
    }
    return new Jedis(new HostAndPort(ServerProcess.LOOPBACK, port), config.build());
  }

  /**
   * Launches {@code args(port)} on a free port and waits until ready, retrying on another port if
   * the chosen one was taken meanwhile.
   */
  private static ServerProcess startOnFreePort(IntFunction<List<String>> args) {
    String failures = "";
    for (int attempt = 0; attempt < 5; attempt++) {
      int port = ServerProcess.freePort();
      ServerProcess server = ServerProcess.launch(args.apply(port), port);
      if (server.awaitReady(ServerProcess.START_TIMEOUT)) {
        return server;
      }
      server.close();
      failures += server.allOutput();
      if (!server.allOutput().toLowerCase(Locale.ROOT).contains("in use")) {
        break;
      }
    }
    throw new AssertionError("server did not become ready:\n" + failures);
  }

  private Path configFile(String... lines) throws IOException {
    Path file = Files.createTempFile(dir, "distributedcache", ".conf");
    Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    return file;
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void sigtermStopsCleanlyWithExitCodeZero() throws Exception {
    ServerProcess server = ServerProcess.start();
    try (Jedis client = jedis(server.port(), null)) {
      assertThat(client.set("k", "v")).isEqualTo("OK");

      long start = System.nanoTime();
      int exit = server.stop(Duration.ofSeconds(10)); // SIGTERM to the PID
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(exit)
          .as("exit code after SIGTERM (-1 = had to be killed; 143 = JVM default for SIGTERM)\n%s",
              server.allOutput())
          .isZero();
      assertThat(took).isLessThan(Duration.ofSeconds(10));
      String out = server.stdout();
      assertThat(out).contains("Shutting down").contains("Stopped");
      assertThat(out.indexOf("Stopped")).isGreaterThan(out.indexOf("Shutting down"));
      assertThatThrownBy(client::ping)
          .as("open connections are closed on shutdown")
          .isInstanceOf(JedisConnectionException.class);
      // the port is released: it can be bound again at once
      try (ServerSocket again =
          new ServerSocket(server.port(), 1, InetAddress.getByName(ServerProcess.LOOPBACK))) {
        assertThat(again.getLocalPort()).isEqualTo(server.port());
      }
    } finally {
      server.close();
    }
  }

  @Test
  void helpListsEveryFlag() {
    ServerProcess help = ServerProcess.launch(List.of("server", "--help"), 0);
    try {
      assertThat(help.awaitExit(EXIT_TIMEOUT)).as(help.allOutput()).isZero();
      assertThat(help.stdout())
          .contains("Usage")
          .contains("--port")
          .contains("--bind")
          .contains("--maxmemory")
          .contains("--requirepass")
          .contains("--config")
          .contains("--io-threads")
          .contains("--proto-max-bulk-len")
          .contains("--help");
    } finally {
      help.close();
    }
    ServerProcess top = ServerProcess.launch(List.of("--help"), 0);
    try {
      assertThat(top.awaitExit(EXIT_TIMEOUT)).as(top.allOutput()).isZero();
      assertThat(top.stdout()).contains("Usage").contains("server");
    } finally {
      top.close();
    }
  }

  @Test
  void configFileValuesApply() throws IOException {
    ServerProcess server =
        startOnFreePort(
            port -> {
              try {
                Path conf =
                    configFile(
                        "# DistributedCache test configuration",
                        "",
                        "port " + port,
                        "bind 127.0.0.1",
                        "maxmemory 1gb",
                        "requirepass secret");
                return List.of("server", "--config", conf.toString());
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    try {
      try (Jedis anonymous = jedis(server.port(), null)) {
        assertThatThrownBy(() -> anonymous.get("k"))
            .isInstanceOf(JedisDataException.class)
            .hasMessage("NOAUTH Authentication required.");
      }
      try (Jedis jedis = jedis(server.port(), "secret")) {
        assertThat(jedis.configGet("port"))
            .containsExactly(Map.entry("port", Integer.toString(server.port())));
        assertThat(jedis.configGet("maxmemory"))
            .containsExactly(Map.entry("maxmemory", Long.toString(1024L * 1024 * 1024)));
        assertThat(jedis.configGet("requirepass"))
            .containsExactly(Map.entry("requirepass", "secret"));
        assertThat(jedis.set("k", "v")).isEqualTo("OK");
      }
    } finally {
      server.close();
    }
  }

  @Test
  void flagOverridesTheFile() throws IOException {
    int filePort = ServerProcess.freePort();
    Path conf = configFile("port " + filePort, "maxmemory 1gb", "requirepass secret");
    ServerProcess server =
        startOnFreePort(
            port ->
                List.of(
                    "server",
                    "--config",
                    conf.toString(),
                    "--port",
                    Integer.toString(port),
                    "--maxmemory",
                    "50mb"));
    try {
      assertThat(server.port()).isNotEqualTo(filePort);
      try (Jedis jedis = jedis(server.port(), "secret")) {
        assertThat(jedis.configGet("port"))
            .containsExactly(Map.entry("port", Integer.toString(server.port())));
        assertThat(jedis.configGet("maxmemory"))
            .containsExactly(Map.entry("maxmemory", Long.toString(50L * 1024 * 1024)));
        assertThat(jedis.configGet("requirepass"))
            .as("a value only in the file still applies")
            .containsExactly(Map.entry("requirepass", "secret"));
      }
      assertThatThrownBy(
              () -> {
                try (Socket s = new Socket()) {
                  s.connect(new InetSocketAddress(ServerProcess.LOOPBACK, filePort), 2_000);
                }
              })
          .as("nothing listens on the port from the file")
          .isInstanceOf(ConnectException.class);
    } finally {
      server.close();
    }
  }

  @Test
  void unknownConfigKeyIsFatalWithAClearMessage() throws IOException {
    int port = ServerProcess.freePort();
    Path conf = configFile("port " + port, "no-such-setting yes");
    ServerProcess server = ServerProcess.launch(List.of("server", "--config", conf.toString()), port);
    try {
      int exit = server.awaitExit(EXIT_TIMEOUT);
      String out = server.allOutput();
      assertThat(exit).as(out).isNotZero();
      assertThat(out).contains("no-such-setting").containsIgnoringCase("unknown");
      assertThat(out).doesNotContain(ServerProcess.READY);
    } finally {
      server.close();
    }
  }

  @Test
  void invalidFlagValueIsFatalWithAClearMessage() {
    int port = ServerProcess.freePort();
    ServerProcess server =
        ServerProcess.launch(
            List.of("server", "--port", Integer.toString(port), "--maxmemory", "lots"), port);
    try {
      int exit = server.awaitExit(EXIT_TIMEOUT);
      String out = server.allOutput();
      assertThat(exit).as(out).isNotZero();
      assertThat(out).contains("lots");
      assertThat(out).doesNotContain(ServerProcess.READY);
    } finally {
      server.close();
    }
  }

  @Test
  void portInUseIsFatalWithAClearMessage() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName(ServerProcess.LOOPBACK))) {
      int port = taken.getLocalPort();
      ServerProcess server =
          ServerProcess.launch(
              List.of("server", "--port", Integer.toString(port), "--bind", ServerProcess.LOOPBACK),
              port);
      try {
        int exit = server.awaitExit(EXIT_TIMEOUT);
        String out = server.allOutput();
        assertThat(exit).as(out).isNotZero();
        assertThat(out).doesNotContain(ServerProcess.READY);
        assertThat(out).contains(Integer.toString(port)).containsIgnoringCase("in use");
      } finally {
        server.close();
      }
    }
  }
}
