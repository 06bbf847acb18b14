package io.distributedcache.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Runs the whole generator for a fraction of a second against in-process fake servers on loopback
 * that answer each command as scripted, to check what counts as success, error and set-up failure.
 */
class LoadGeneratorRunTest {

  private final List<FakeServer> servers = new ArrayList<>();

  @AfterEach
  void stopServers() throws IOException {
    for (FakeServer s : servers) {
      s.close();
    }
  }

  @Test
  void setAgainstAServerThatAnswersOkSucceeds() throws IOException {
    FakeServer server = start(cmd -> "+OK\r\n");
    Run run =
        run(
            "--targets",
            server.target(),
            "-c",
            "3",
            "--duration",
            "200ms",
            "--warmup",
            "50ms",
            "--keyspace",
            "10",
            "--label",
            "fake set");
    assertThat(run.exit).as(run.err).isZero();
    assertThat(run.json).contains("\"label\":\"fake set\"", "\"errors\":0", "\"first_error\":null");
    assertThat(longField(run.json, "ops")).isPositive();
    assertThat(run.err).startsWith("fake set: ").contains("ops/s", "p50", "p99", "p99.9");
    // Keys stay inside the keyspace, values have the default size.
    assertThat(server.keys).isNotEmpty().allMatch(k -> k.matches("key:[0-9]"));
    assertThat(server.valueSizes).containsOnly(100);
  }

  @Test
  void connectionsAreSpreadRoundRobinOverTargets() throws IOException {
    FakeServer a = start(cmd -> "+OK\r\n");
    FakeServer b = start(cmd -> "+OK\r\n");
    Run run =
        run(
            "--targets",
            a.target() + "," + b.target(),
            "-c",
            "5",
            "--duration",
            "100ms",
            "--warmup",
            "0");
    assertThat(run.exit).as(run.err).isZero();
    assertThat(a.accepted.get()).isEqualTo(3);
    assertThat(b.accepted.get()).isEqualTo(2);
  }

  @Test
  void consistencyIsSentOnEveryConnectionBeforeTheLoad() throws IOException {
    FakeServer server = start(cmd -> "+OK\r\n");
    Run run =
        run(
            "--targets",
            server.target(),
            "-c",
            "4",
            "--duration",
            "100ms",
            "--warmup",
            "0",
            "--consistency",
            "QUORUM");
    assertThat(run.exit).as(run.err).isZero();
    assertThat(server.firstCommands).hasSize(4).containsOnly("CONSISTENCY QUORUM");
    assertThat(run.json).contains("\"consistency\":\"QUORUM\"");
  }

  @Test
  void consistencyRefusedIsASetupFailure() throws IOException {
    FakeServer server =
        start(cmd -> cmd.get(0).equals("CONSISTENCY") ? "-ERR unknown command\r\n" : "+OK\r\n");
    Run run = run("--targets", server.target(), "--duration", "100ms", "--consistency", "ALL");
    assertThat(run.exit).isEqualTo(LoadGenerator.EXIT_SETUP_FAILED);
    assertThat(run.json).isEmpty();
    assertThat(run.err).contains("CONSISTENCY ALL", "-ERR unknown command");
  }

  @Test
  void anUnreachableTargetIsASetupFailure() throws IOException {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    Run run = run("--targets", "127.0.0.1:" + port, "--duration", "100ms");
    assertThat(run.exit).isEqualTo(LoadGenerator.EXIT_SETUP_FAILED);
    assertThat(run.err).contains("cannot open connection 0 to 127.0.0.1:" + port);
  }

  @Test
  void waitIsSentAfterEachSetAndCountsWithinTheOperation() throws IOException {
    FakeServer server = start(cmd -> cmd.get(0).equals("WAIT") ? ":2\r\n" : "+OK\r\n");
    Run run =
        run(
            "--targets",
            server.target(),
            "-c",
            "2",
            "--duration",
            "150ms",
            "--warmup",
            "0",
            "--wait-replicas",
            "2");
    assertThat(run.exit).as(run.err).isZero();
    assertThat(run.json).contains("\"errors\":0", "\"wait_replicas\":2");
    assertThat(server.waits).isNotEmpty().containsOnly("WAIT 2 0");
    // Every SET was followed by a WAIT (the last SET may have been cut off by the end of the run).
    assertThat(server.waits.size()).isBetween(server.keys.size() - 2, server.keys.size());
  }

  @Test
  void aWaitReplyBelowTheAskedCountIsAnErrorAndNoSuccessExitsOne() throws IOException {
    FakeServer server = start(cmd -> cmd.get(0).equals("WAIT") ? ":0\r\n" : "+OK\r\n");
    Run run =
        run(
            "--targets",
            server.target(),
            "-c",
            "2",
            "--duration",
            "150ms",
            "--warmup",
            "0",
            "--wait-replicas",
            "1");
    assertThat(run.exit).isEqualTo(LoadGenerator.EXIT_NO_SUCCESS);
    assertThat(longField(run.json, "ops")).isZero();
    assertThat(longField(run.json, "errors")).isPositive();
    assertThat(run.json).contains("WAIT 1 0 answered :0");
  }

  @Test
  void errorRepliesAreCountedWithTheFirstErrorText() throws IOException {
    AtomicInteger n = new AtomicInteger();
    // Every third reply is an error: the run succeeds overall and reports both.
    FakeServer server =
        start(cmd -> n.incrementAndGet() % 3 == 0 ? "-ERR injected failure\r\n" : ":7\r\n");
    Run run =
        run(
            "--targets",
            server.target(),
            "-c",
            "2",
            "--duration",
            "150ms",
            "--warmup",
            "0",
            "--command",
            "incr");
    assertThat(run.exit).as(run.err).isZero();
    assertThat(longField(run.json, "ops")).isPositive();
    assertThat(longField(run.json, "errors")).isPositive();
    assertThat(run.json).contains("\"first_error\":\"INCR answered -ERR injected failure\"");
    assertThat(run.err).contains("(first: INCR answered -ERR injected failure)");
  }

  @Test
  void getAcceptsHitsAndMissesButNotOtherTypes() throws IOException {
    AtomicInteger n = new AtomicInteger();
    FakeServer ok = start(cmd -> n.incrementAndGet() % 2 == 0 ? "$-1\r\n" : "$3\r\nabc\r\n");
    Run hits =
        run(
            "--targets",
            ok.target(),
            "-c",
            "1",
            "--duration",
            "100ms",
            "--warmup",
            "0",
            "--command",
            "get");
    assertThat(hits.exit).as(hits.err).isZero();
    assertThat(hits.json).contains("\"errors\":0");

    FakeServer wrong = start(cmd -> "+OK\r\n");
    Run bad =
        run(
            "--targets",
            wrong.target(),
            "-c",
            "1",
            "--duration",
            "100ms",
            "--warmup",
            "0",
            "--command",
            "get");
    assertThat(bad.exit).isEqualTo(LoadGenerator.EXIT_NO_SUCCESS);
    assertThat(bad.json).contains("GET answered +OK");
  }

  @Test
  void aServerThatStopsAnsweringEndsTheConnectionAfterTheReplyTimeout() throws IOException {
    FakeServer server = start(cmd -> null); // never answers
    long t0 = System.nanoTime();
    Run run =
        run(
            "--targets",
            server.target(),
            "-c",
            "2",
            "--duration",
            "100ms",
            "--warmup",
            "0",
            "--reply-timeout",
            "300ms");
    long elapsedMillis = (System.nanoTime() - t0) / 1_000_000;
    assertThat(run.exit).isEqualTo(LoadGenerator.EXIT_NO_SUCCESS);
    assertThat(run.json).contains("\"connections_lost\":2", "no reply within the reply timeout");
    assertThat(elapsedMillis).isLessThan(5_000);
  }

  @Test
  void aServerThatClosesTheConnectionCountsAsALostConnection() throws IOException {
    FakeServer server = start(cmd -> FakeServer.HANG_UP);
    Run run = run("--targets", server.target(), "-c", "3", "--duration", "100ms", "--warmup", "0");
    assertThat(run.exit).isEqualTo(LoadGenerator.EXIT_NO_SUCCESS);
    assertThat(run.json).contains("\"connections_lost\":3", "\"errors\":3", "EOFException");
  }

  @Test
  void usageErrorsExitTwo() {
    Run run = run("--connections", "zero");
    assertThat(run.exit).isEqualTo(2);
    assertThat(run.err).contains("--connections");
  }

  private FakeServer start(Function<List<String>, String> answer) throws IOException {
    FakeServer s = new FakeServer(answer);
    servers.add(s);
    return s;
  }

  private static long longField(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\":(-?[0-9]+)").matcher(json);
    assertThat(m.find()).as("field %s in %s", name, json).isTrue();
    return Long.parseLong(m.group(1));
  }

  private record Run(int exit, String json, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        LoadGenerator.execute(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        exit, out.toString(StandardCharsets.UTF_8).strip(), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * A RESP server on an ephemeral loopback port, one thread per connection. Requests are parsed
   * with {@link RespReader} (a command is a RESP array) and answered with whatever {@code answer}
   * returns for the argument list: raw reply bytes, {@code null} to stay silent, or {@link
   * #HANG_UP} to close the connection.
   */
  private static final class FakeServer implements AutoCloseable {
    static final String HANG_UP = "hang up";

    private final ServerSocket listener;
    private final Function<List<String>, String> answer;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    final AtomicInteger accepted = new AtomicInteger();
    final List<String> firstCommands = new CopyOnWriteArrayList<>();
    // Appended once per operation: a copy-on-write list would copy itself thousands of times.
    final List<String> keys = Collections.synchronizedList(new ArrayList<>());
    final List<String> waits = Collections.synchronizedList(new ArrayList<>());
    final Set<Integer> valueSizes = ConcurrentHashMap.newKeySet();

    FakeServer(Function<List<String>, String> answer) throws IOException {
      this.answer = answer;
      this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread acceptor = new Thread(this::acceptLoop, "fake-accept");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    String target() {
      return "127.0.0.1:" + listener.getLocalPort();
    }

    private void acceptLoop() {
      try {
        while (true) {
          Socket s = listener.accept();
          sockets.add(s);
          accepted.incrementAndGet();
          Thread t = new Thread(() -> serve(s), "fake-conn");
          t.setDaemon(true);
          t.start();
        }
      } catch (IOException e) {
        // The listener was closed: the test is over.
      }
    }

    private void serve(Socket s) {
      try (s) {
        RespReader reader = new RespReader(s.getInputStream());
        OutputStream out = s.getOutputStream();
        boolean first = true;
        while (true) {
          List<String> cmd = new ArrayList<>();
          for (RespReply arg : ((RespReply.Array) reader.read()).elements()) {
            cmd.add(((RespReply.Bulk) arg).utf8());
          }
          if (first) {
            firstCommands.add(String.join(" ", cmd));
            first = false;
          }
          switch (cmd.get(0)) {
            case "SET" -> {
              keys.add(cmd.get(1));
              valueSizes.add(cmd.get(2).length());
            }
            case "GET", "INCR" -> keys.add(cmd.get(1));
            case "WAIT" -> waits.add(String.join(" ", cmd));
            default -> {}
          }
          String reply = answer.apply(cmd);
          if (reply == HANG_UP) {
            return;
          }
          if (reply != null) {
            out.write(reply.getBytes(StandardCharsets.UTF_8));
            out.flush();
          }
        }
      } catch (IOException e) {
        // The client went away or the test closed the socket.
      }
    }

    @Override
    public void close() throws IOException {
      listener.close();
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
