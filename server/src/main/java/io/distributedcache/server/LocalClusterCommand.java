package io.distributedcache.server;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code distributedcache local-cluster}: starts N nodes as separate processes on loopback, one
 * cluster, for trying the product; SIGINT/SIGTERM (Ctrl-C) stops them all.
 *
 * <p>Node i (from 1) is {@code n<i>}, serves clients on {@code base-port + i - 1} and its peers on
 * that port + 10000. Each node's output is printed with its id in front. A node that exits on its
 * own is reported and the others keep running. Unless {@code --io-threads} is passed through, each
 * node gets an equal share of this machine's processors as event loops (at least one).
 *
 * <p>Node i keeps its control-plane state (Raft log, term, vote) in {@code n<i>} under a base
 * directory: by default a fresh temporary directory per run, deleted once the nodes have stopped,
 * so every run founds a new cluster; with {@code --data-dir BASE} the state stays in {@code
 * BASE/n<i>} and a later run with the same base restarts the same cluster.
 */
@Command(
    name = "local-cluster",
    mixinStandardHelpOptions = true,
    description =
        "Starts a cluster of N nodes as separate processes on 127.0.0.1; Ctrl-C stops them all.")
final class LocalClusterCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--nodes", description = "Number of nodes. Default: ${DEFAULT-VALUE}.")
  int nodes = 3;

  @Option(
      names = "--base-port",
      description = "Client port of the first node; the others follow. Default: ${DEFAULT-VALUE}.")
  int basePort = 7000;

  @Option(
      names = "--replication-factor",
      description = "Copies of every key. Default: ${DEFAULT-VALUE} (at most --nodes).")
  int replicationFactor = 3;

  @Option(
      names = "--consistency",
      description = "Level new connections use. Default: ${DEFAULT-VALUE}.")
  String consistency = "QUORUM";

  @Option(
      names = "--data-dir",
      paramLabel = "BASE",
      description =
          "Keep node i's state in BASE/n<i>, so it survives runs. Default: a fresh temporary"
              + " directory per run, deleted on exit.")
  Path dataDir;

  @CommandLine.Parameters(
      paramLabel = "SERVER-OPTION",
      description = "Further options passed to every node (after --), e.g. -- --maxmemory 1gb")
  List<String> extra = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (nodes < 1 || nodes > 64) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--nodes must be in 1..64");
    }
    if (basePort < 1 || basePort + nodes - 1 + 10000 > 65535) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--base-port leaves no room for the cluster ports (port + 10000)");
    }
    for (String arg : extra) {
      if (arg.equals("--data-dir") || arg.startsWith("--data-dir=")) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "pass --data-dir to local-cluster itself (before --): each node gets BASE/n<i>");
      }
    }
    boolean temporary = dataDir == null;
    Path base =
        temporary
            ? Files.createTempDirectory("distributedcache-local-")
            : dataDir.toAbsolutePath();
    String members = members();
    List<Process> processes = new ArrayList<>();
    AtomicBoolean stopping = new AtomicBoolean();
    CountDownLatch stopped = new CountDownLatch(1);
    Runnable stop =
        () -> {
          if (stopping.compareAndSet(false, true)) {
            System.out.println("local-cluster: stopping " + processes.size() + " nodes");
            for (Process p : processes) {
              p.destroy(); // SIGTERM: each node closes its connections and exits 0
            }
            for (Process p : processes) {
              try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                  p.destroyForcibly();
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
              }
            }
            if (temporary) {
              deleteRecursively(base, System.out);
            }
          }
          stopped.countDown();
        };
    Signals.onTerminate(stop);
    Runtime.getRuntime().addShutdownHook(new Thread(stop, "local-cluster-stop"));
    for (int i = 1; i <= nodes; i++) {
      List<String> command = new ArrayList<>(javaCommand());
      command.addAll(nodeArguments(i, members, base));
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      processes.add(process);
      pipe("n" + i, process, System.out);
    }
    System.out.println(
        "local-cluster: "
            + nodes
            + " nodes on 127.0.0.1 ports "
            + basePort
            + ".."
            + (basePort + nodes - 1)
            + "; try: redis-cli -p "
            + basePort
            + " set hello world; Ctrl-C stops them");
    System.out.println(
        "local-cluster: node state in "
            + base
            + File.separator
            + "n<i>"
            + (temporary ? " (deleted on exit; --data-dir keeps it)" : " (kept)"));
    stopped.await();
    return 0;
  }

  /** {@code n1@127.0.0.1:<cluster port>,...}: every node's entry for {@code --members}. */
  String members() {
    StringBuilder members = new StringBuilder();
    for (int i = 1; i <= nodes; i++) {
      members.append(i == 1 ? "" : ",")
          .append("n").append(i).append("@127.0.0.1:").append(basePort + i - 1 + 10000);
    }
    return members.toString();
  }

  /** The arguments after the launcher for node {@code i} (from 1), with its data directory. */
  List<String> nodeArguments(int i, String members, Path base) {
    int port = basePort + i - 1;
    List<String> args =
        new ArrayList<>(
            List.of(
                "server",
                "--node-id", "n" + i,
                "--port", Integer.toString(port),
                "--cluster-port", Integer.toString(port + 10000),
                "--members", members,
                "--replication-factor", Integer.toString(replicationFactor),
                "--consistency", consistency,
                "--data-dir", base.resolve("n" + i).toString()));
    if (!extra.contains("--io-threads")) {
      // The nodes share this machine's processors: one event loop per node and processor
      // share, so that a request crossing nodes does not also cross threads within a node.
      args.addAll(
          List.of(
              "--io-threads",
              Integer.toString(Math.max(1, Runtime.getRuntime().availableProcessors() / nodes))));
    }
    args.addAll(extra);
    return args;
  }

  /**
   * Deletes {@code dir} and everything under it, deepest first; reports (to {@code log}) what it
   * could not delete instead of failing, since it runs while the launcher exits. Called once, on
   * the stopping thread, after every node process has exited.
   */
  static void deleteRecursively(Path dir, PrintStream log) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        try {
          Files.delete(p);
        } catch (IOException e) {
          log.println("local-cluster: could not delete " + p + ": " + e);
        }
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      log.println("local-cluster: could not delete " + dir + ": " + e);
    }
  }

  /** The same java, JVM options and jar (or class path) this launcher runs with. */
  private static List<String> javaCommand() throws URISyntaxException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>();
    command.add(java);
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    Path location =
        Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    command.add("-cp");
    command.add(location.toString().endsWith(".jar") ? location.toString()
        : System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    return command;
  }

  /** Copies a node's output to ours, each line prefixed with the node id. */
  private static void pipe(String id, Process process, PrintStream out) {
    Thread thread =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  out.println("[" + id + "] " + line);
                }
              } catch (IOException e) {
                // The node's output closed: it is gone; reported below.
              }
              int status;
              try {
                status = process.waitFor();
              } catch (InterruptedException e) {
                return;
              }
              out.println("[" + id + "] exited with status " + status);
            },
            "output-" + id);
    thread.setDaemon(true);
    thread.start();
  }
}
