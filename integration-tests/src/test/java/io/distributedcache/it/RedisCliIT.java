package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The stock {@code redis-cli} (Debian redis-tools) against one real server process: what a person
 * at a terminal, or a shell script, sees.
 */
@ExtendWith(Seeds.class)
class RedisCliIT {

  private static final Path REDIS_CLI = Path.of("/usr/bin/redis-cli");
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static ServerProcess server;

  @BeforeAll
  static void startServer() {
    assumeTrue(Files.isExecutable(REDIS_CLI), "/usr/bin/redis-cli is not installed");
    server = ServerProcess.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  /** {@code redis-cli -p PORT args...}, stdin closed at once. */
  private static CommandRunner.Result cli(String... args) {
    return cliWithInput(null, args);
  }

  private static CommandRunner.Result cliWithInput(String stdin, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(REDIS_CLI.toString());
    cmd.add("-h");
    cmd.add(ServerProcess.LOOPBACK);
    cmd.add("-p");
    cmd.add(Integer.toString(server.port()));
    cmd.addAll(Arrays.asList(args));
    CommandRunner.Result result = CommandRunner.run(cmd, stdin == null ? "" : stdin, TIMEOUT);
    assertThat(result.exitCode()).as("%s", result).isZero();
    return result;
  }

  @Test
  void setGetIncrInRawOutput() {
    // stdout is not a terminal, so redis-cli prints raw replies
    assertThat(cli("SET", "cli:k", "some value").stdout()).isEqualTo("OK\n");
    assertThat(cli("GET", "cli:k").stdout()).isEqualTo("some value\n");
    assertThat(cli("INCR", "cli:n").stdout()).isEqualTo("1\n");
    assertThat(cli("INCRBY", "cli:n", "41").stdout()).isEqualTo("42\n");
    assertThat(cli("GET", "cli:missing").stdout()).isEqualTo("\n");
    assertThat(cli("MGET", "cli:k", "cli:missing", "cli:n").stdout())
        .isEqualTo("some value\n\n42\n");
    assertThat(cli("DEL", "cli:k", "cli:n").stdout()).isEqualTo("2\n");
  }

  @Test
  void noRawOutputIsTyped() {
    cli("SET", "cli:typed", "v");
    assertThat(cli("--no-raw", "GET", "cli:typed").stdout()).isEqualTo("\"v\"\n");
    assertThat(cli("--no-raw", "GET", "cli:absent").stdout()).isEqualTo("(nil)\n");
    assertThat(cli("--no-raw", "INCR", "cli:typed-n").stdout()).isEqualTo("(integer) 1\n");
    assertThat(cli("--no-raw", "INCR", "cli:typed").stdout())
        .isEqualTo("(error) ERR value is not an integer or out of range\n");
    assertThat(cli("--no-raw", "MGET", "cli:typed", "cli:absent").stdout())
        .isEqualTo("1) \"v\"\n2) (nil)\n");
    assertThat(cli("--no-raw", "NOSUCHCOMMAND").stdout())
        .startsWith("(error) ERR unknown command");
  }

  @Test
  void resp3Hello() {
    String raw = cli("-3", "HELLO", "3").stdout();
    assertThat(raw.lines()).contains("proto 3", "server redis").anyMatch(l -> l.startsWith("version "));

    String typed = cli("-3", "--no-raw", "HELLO", "3").stdout();
    assertThat(typed).contains("\"server\" => \"redis\"").contains("\"proto\" => (integer) 3");
    // RESP3 types reach the terminal: a null and a map
    assertThat(cli("-3", "--no-raw", "GET", "cli:none").stdout()).isEqualTo("(nil)\n");
    assertThat(cli("-3", "--no-raw", "CONFIG", "GET", "maxmemory").stdout())
        .isEqualTo("1# \"maxmemory\" => \"0\"\n");
  }

  @Test
  void commandsTypedOnStdin() {
    String out =
        cliWithInput("SET cli:greeting \"hello world\"\nGET cli:greeting\nINCRBY cli:cnt 5\nPING\n")
            .stdout();
    assertThat(out).isEqualTo("OK\nhello world\n5\nPONG\n");
  }

  @Test
  void pipeModeLoadsThousandsOfCommands() throws Exception {
    int n = 3_000;
    Random random = Seeds.random("RedisCliIT.pipe");
    StringBuilder resp = new StringBuilder();
    List<String> values = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String key = "pipe:" + i;
      String value = "v" + random.nextInt(1_000_000) + (i % 7 == 0 ? " with space\r\nand crlf" : "");
      values.add(value);
      resp.append(respCommand("SET", key, value));
    }
    resp.append(respCommand("INCRBY", "pipe:count", Integer.toString(n)));
    CommandRunner.Result result = cliWithInput(resp.toString(), "--pipe");
    assertThat(result.stdout() + result.stderr())
        .as(Seeds.describe())
        .contains("errors: 0, replies: " + (n + 1));
    assertThat(cli("GET", "pipe:count").stdout()).isEqualTo(n + "\n");
    try (RawClient raw = new RawClient(server.port())) {
      for (int i : new int[] {0, 7, n / 2, n - 1}) {
        raw.send(respCommand("GET", "pipe:" + i));
        assertThat(raw.readReply()).as(Seeds.describe()).isEqualTo(values.get(i));
      }
    }

    // An error inside the pipe is counted, and redis-cli exits non-zero
    List<String> cmd =
        List.of(REDIS_CLI.toString(), "-p", Integer.toString(server.port()), "--pipe");
    CommandRunner.Result bad =
        CommandRunner.run(cmd, respCommand("SET", "pipe:text", "x") + respCommand("INCR", "pipe:text"), TIMEOUT);
    assertThat(bad.stdout() + bad.stderr()).contains("errors: 1, replies: 2");
    assertThat(bad.exitCode()).isNotZero();
  }

  @Test
  void commandDocsDoesNotError() {
    CommandRunner.Result docs = cli("COMMAND", "DOCS", "GET");
    assertThat(docs.stdout()).isNotBlank().doesNotContain("ERR").contains("summary");
    CommandRunner.Result typed = cli("--no-raw", "COMMAND", "DOCS", "GET");
    assertThat(typed.stdout()).doesNotContain("(error)");
    assertThat(cli("COMMAND", "COUNT").stdout().trim()).matches("[1-9][0-9]*");
  }

  @Test
  void inlineProtocolOnStdinOfNetcatStyleClient() throws Exception {
    // a script piping plain text lines straight onto the socket (inline commands)
    try (RawClient raw = new RawClient(server.port())) {
      raw.send("SET cli:inline \"two words\"\r\nGET cli:inline\r\n");
      assertThat(raw.readReply()).isEqualTo("OK");
      assertThat(raw.readReply()).isEqualTo("two words");
    }
    assertThat(cli("GET", "cli:inline").stdout()).isEqualTo("two words\n");
  }

  private static String respCommand(String... args) {
    StringBuilder sb = new StringBuilder().append('*').append(args.length).append("\r\n");
    for (String a : args) {
      byte[] b = a.getBytes(StandardCharsets.UTF_8);
      sb.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
    }
    return sb.toString();
  }
}
