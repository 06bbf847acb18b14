package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Cluster-wide client-side caching and pub/sub through the stock {@code redis-cli} against three
 * real server processes: an interactive {@code redis-cli -3} on one node turns tracking on and
 * reads a key, a write through another node (to a key whose primary is the third) makes the
 * {@code invalidate} push show up in its output; a {@code redis-cli SUBSCRIBE} on one node prints
 * a message published with {@code redis-cli PUBLISH} through another.
 *
 * <p>redis-cli with stdin and stdout not a terminal still reads one command per line and prints
 * each reply at once (raw format); {@code --show-pushes yes} makes it print RESP3 pushes, which
 * it does when it next reads from the socket, so the tests poll with PING.
 */
class ClientTrackingIT {

  private static final Path REDIS_CLI = Path.of("/usr/bin/redis-cli");
  private static final Duration DELIVERY = Duration.ofSeconds(10);

  private static ClusterHarness cluster;

  @BeforeAll
  static void startCluster() {
    assumeTrue(Files.isExecutable(REDIS_CLI), "/usr/bin/redis-cli is not installed");
    cluster = ClusterHarness.start(3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The first key {@code {tagN}name} whose founding primary is {@code primary}, and its tag. */
  private static String[] taggedKeyWithPrimary(String primary, String name) {
    for (int n = 0; ; n++) {
      String tag = "tt" + n;
      String key = "{" + tag + "}" + name;
      if (cluster.primaryOf(key).equals(primary)) {
        return new String[] {tag, key};
      }
    }
  }

  @Test
  void redisCliResp3SeesTheInvalidationOfAWriteThroughAnotherNode() {
    // Reader on n1, writer on n2, the key's primary n3: the invalidation crosses the cluster.
    String[] tagAndKey = taggedKeyWithPrimary("n3", "k");
    String key = tagAndKey[1];
    String sync = "{" + tagAndKey[0] + "}sync";
    Jedis writer = cluster.jedis("n2");
    writer.set(key, "v1");
    writer.set(sync, "s0");

    try (Cli cli =
        Cli.start(
            "-3", "--show-pushes", "yes", "-h", ServerProcess.LOOPBACK,
            "-p", Integer.toString(cluster.clientPort("n1")))) {
      cli.line("CLIENT TRACKING ON");
      cli.line("GET " + sync);
      cli.awaitOutput("OK\ns0\n");
      // Barrier: once the invalidation of this later write of the same slot is printed, the
      // one for the "v1" write (same primary, sent earlier) cannot arrive after our read.
      writer.set(sync, "x");
      cli.pollUntilPrinted("invalidate\n" + sync + "\n");

      cli.line("GET " + key);
      int before = cli.awaitOutput("v1\n");
      writer.set(key, "v2");
      cli.pollUntilPrinted("invalidate\n" + key + "\n");
      assertThat(cli.output().substring(before))
          .as("the push for %s came after its read", key)
          .contains("invalidate\n" + key + "\n");

      // Read again: the new value, and tracked again.
      cli.line("GET " + key);
      int second = cli.awaitOutput("v2\n");
      writer.del(key);
      cli.pollUntilPrinted("invalidate\n" + key + "\n", second);
    }
  }

  @Test
  void redisCliPublishThroughOneNodeReachesSubscribersOnTheOthers() {
    try (Cli subscriber =
            Cli.start(
                "-h", ServerProcess.LOOPBACK, "-p", Integer.toString(cluster.clientPort("n1")),
                "SUBSCRIBE", "it-news");
        Cli patterns =
            Cli.start(
                "-h", ServerProcess.LOOPBACK, "-p", Integer.toString(cluster.clientPort("n3")),
                "PSUBSCRIBE", "it-news*")) {
      subscriber.awaitOutput("subscribe\nit-news\n1\n");
      patterns.awaitOutput("psubscribe\nit-news*\n1\n");

      CommandRunner.Result published =
          CommandRunner.run(
              List.of(
                  REDIS_CLI.toString(), "-h", ServerProcess.LOOPBACK,
                  "-p", Integer.toString(cluster.clientPort("n2")),
                  "PUBLISH", "it-news", "hello from n2"),
              "",
              DELIVERY);
      assertThat(published.exitCode()).as("%s", published).isZero();
      // The count is the publishing node's subscribers, as in Redis Cluster: none on n2.
      assertThat(published.stdout()).isEqualTo("0\n");

      subscriber.awaitOutput("message\nit-news\nhello from n2\n");
      patterns.awaitOutput("pmessage\nit-news*\nit-news\nhello from n2\n");
    }
  }

  /**
   * A redis-cli process fed one command per line; its stdout and stderr are collected as they
   * come. Closing it closes its stdin and stops it by its PID (SIGTERM, then SIGKILL).
   */
  private static final class Cli implements AutoCloseable {
    private final Process process;
    private final OutputStream stdin;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final List<String> command;

    private Cli(List<String> command) {
      this.command = command;
      try {
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start " + command, e);
      }
      stdin = process.getOutputStream();
      Thread pump =
          new Thread(
              () -> {
                byte[] buf = new byte[8192];
                try (InputStream in = process.getInputStream()) {
                  int n;
                  while ((n = in.read(buf)) != -1) {
                    synchronized (out) {
                      out.write(buf, 0, n);
                    }
                  }
                } catch (IOException e) {
                  // the process is gone: what it printed is kept
                }
              },
              "redis-cli-output");
      pump.setDaemon(true);
      pump.start();
    }

    static Cli start(String... args) {
      List<String> command = new ArrayList<>();
      command.add(REDIS_CLI.toString());
      command.addAll(List.of(args));
      return new Cli(command);
    }

    /** Sends one command line. */
    void line(String text) {
      try {
        stdin.write((text + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(command + " does not take input; output:\n" + output(), e);
      }
    }

    String output() {
      synchronized (out) {
        return out.toString(StandardCharsets.UTF_8);
      }
    }

    /**
     * Waits until the output contains {@code text} and returns the index just past its first
     * occurrence.
     */
    int awaitOutput(String text) {
      await(command + " prints " + text.replace("\n", "\\n"))
          .atMost(DELIVERY)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> output().contains(text));
      String now = output();
      return now.indexOf(text) + text.length();
    }

    /** Sends PING until {@code text} appears in the output (redis-cli prints pushes on reads). */
    void pollUntilPrinted(String text) {
      pollUntilPrinted(text, 0);
    }

    /** Like {@link #pollUntilPrinted(String)}, looking only after output index {@code from}. */
    void pollUntilPrinted(String text, int from) {
      await(command + " prints " + text.replace("\n", "\\n") + "; output so far: " + output())
          .atMost(DELIVERY)
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                if (output().indexOf(text, from) >= 0) {
                  return true;
                }
                line("PING");
                return false;
              });
    }

    @Override
    public void close() {
      try {
        stdin.close();
      } catch (IOException e) {
        // already gone
      }
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }
}
