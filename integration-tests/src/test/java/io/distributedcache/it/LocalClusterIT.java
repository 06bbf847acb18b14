package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code distributedcache local-cluster --nodes 3}: one command starts a working cluster, and
 * SIGTERM to it stops every node it started.
 */
@ExtendWith(Seeds.class)
class LocalClusterIT {

  private static final Path REDIS_CLI = Path.of("/usr/bin/redis-cli");
  private static final int NODES = 3;
  private static final Duration CLI_TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern NODE_PID =
      Pattern.compile(
          "^\\[(n\\d+)\\] .*" + ServerProcess.READY + ".* pid=(\\d+)", Pattern.MULTILINE);

  private ServerProcess launcher;
  private final Map<String, Long> nodePids = new LinkedHashMap<>();

  @BeforeEach
  void preconditions() {
    assumeFalse(ServerProcess.referenceMode(), "local-cluster is DistributedCache's own");
    assumeTrue(Files.isExecutable(REDIS_CLI), "/usr/bin/redis-cli is not installed");
  }

  @AfterEach
  void stopEverything() {
    if (launcher != null) {
      launcher.close();
    }
    // Should the launcher have failed to stop its nodes, do not leave them behind.
    for (long pid : nodePids.values()) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  /**
   * A base port P with P..P+2 (client) and P+10000..P+10002 (cluster) free. Taken below the
   * kernel's ephemeral range (32768 and up) so that other tests' free ports and outgoing
   * connections do not take them between this check and the nodes binding.
   */
  private static int freeBasePort() {
    Random random = Seeds.random("LocalClusterIT.basePort");
    for (int attempt = 0; attempt < 50; attempt++) {
      int base = 15_000 + random.nextInt(7_000);
      if (allFree(base) && allFree(base + 10_000)) {
        return base;
      }
    }
    throw new IllegalStateException("no free base port in 50 tries");
  }

  private static boolean allFree(int first) {
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int port = first; port < first + NODES; port++) {
        held.add(new ServerSocket(port, 1, InetAddress.getByName(ServerProcess.LOOPBACK)));
      }
      return true;
    } catch (IOException e) {
      return false;
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException e) {
          // only probing
        }
      }
    }
  }

  private static String cli(int port, String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                REDIS_CLI.toString(), "-h", ServerProcess.LOOPBACK, "-p", Integer.toString(port)));
    cmd.addAll(List.of(args));
    CommandRunner.Result result = CommandRunner.run(cmd, "", CLI_TIMEOUT);
    assertThat(result.exitCode()).as("%s", result).isZero();
    return result.stdout();
  }

  private static long count(String text, String needle) {
    return text.lines().filter(line -> line.contains(needle)).count();
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void startsAWorkingClusterAndSigtermStopsEveryNode() {
    int base = freeBasePort();
    launcher =
        ServerProcess.launch(
            List.of(
                "local-cluster", "--nodes", Integer.toString(NODES), "--base-port",
                Integer.toString(base)),
            base);

    await("three nodes caught up")
        .atMost(ClusterHarness.CATCH_UP_TIMEOUT)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> !launcher.isAlive() || count(launcher.stdout(), "Caught up: node") == NODES);
    String out = launcher.stdout();
    assertThat(launcher.isAlive()).as("launcher running\n%s", launcher.allOutput()).isTrue();
    for (int i = 1; i <= NODES; i++) {
      assertThat(out)
          .as("node n%d's lines carry its prefix", i)
          .containsPattern(
              "(?m)^\\[n" + i + "\\] .*Caught up: node n" + i + " serves its 16384 slots");
    }
    Matcher m = NODE_PID.matcher(out);
    while (m.find()) {
      nodePids.put(m.group(1), Long.parseLong(m.group(2)));
    }
    assertThat(nodePids).as("a ready line with a pid per node\n%s", out).hasSize(NODES);
    assertThat(nodePids.values()).doesNotHaveDuplicates().doesNotContain(launcher.pid());
    for (Map.Entry<String, Long> node : nodePids.entrySet()) {
      Optional<ProcessHandle> handle = ProcessHandle.of(node.getValue());
      assertThat(handle.map(ProcessHandle::isAlive)).as("%s running", node).contains(true);
      assertThat(handle.flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
          .as("%s is a child of the launcher", node)
          .contains(launcher.pid());
    }

    // Written through node 1, read through node 3.
    assertThat(cli(base, "SET", "local:greeting", "hello from n1")).isEqualTo("OK\n");
    assertThat(cli(base + NODES - 1, "GET", "local:greeting")).isEqualTo("hello from n1\n");
    assertThat(cli(base + NODES - 1, "INFO", "cluster"))
        .contains("members_reachable:" + NODES)
        .contains("node_id:n" + NODES);

    int exit = launcher.stop(Duration.ofSeconds(30)); // SIGTERM to the launcher's PID
    assertThat(exit)
        .as("launcher exit status after SIGTERM (-1: had to be killed)\n%s", launcher.allOutput())
        .isZero();
    for (Map.Entry<String, Long> node : nodePids.entrySet()) {
      assertThat(ProcessHandle.of(node.getValue()).map(ProcessHandle::isAlive))
          .as("%s (pid %d) after the launcher exited\n%s", node.getKey(), node.getValue(),
              launcher.allOutput())
          .isNotEqualTo(Optional.of(true));
    }
  }
}
