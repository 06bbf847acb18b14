package io.distributedcache.bench;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Command-line entry point of the load generator: parses options, runs {@link LoadRun}, prints the
 * result as one JSON line on standard output and one human line on standard error.
 *
 * <p>Exit status: 0 when at least one operation succeeded (errors, if any, are in the output); 1
 * when none did; 2 for a usage error; 3 when a connection could not be opened or refused {@code
 * CONSISTENCY}.
 */
@Command(
    name = "distributedcache-loadgen",
    sortOptions = false,
    description = {
      "Closed-loop RESP load generator: each connection sends one command, waits for its reply,"
          + " sends the next. Prints one JSON line on stdout and a summary on stderr.",
      ""
    },
    footer = {
      "",
      "Durations: 10s, 500ms, 1.5s, 2m, or a bare number of seconds.",
      "Exit status: 0 some operations succeeded; 1 none did; 2 usage error;"
          + " 3 a connection could not be opened or refused CONSISTENCY."
    })
public final class LoadGenerator implements Callable<Integer> {

  /** Exit status when not a single operation succeeded. */
  public static final int EXIT_NO_SUCCESS = 1;

  /** Exit status when the connections could not be set up. */
  public static final int EXIT_SETUP_FAILED = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--targets",
      split = ",",
      paramLabel = "host:port",
      description =
          "Servers; connections are spread over them round-robin. Default: ${DEFAULT-VALUE}.",
      defaultValue = "127.0.0.1:6379")
  List<String> targets;

  @Option(
      names = {"-c", "--connections"},
      description = "Parallel connections, one thread each. Default: ${DEFAULT-VALUE}.")
  int connections = 50;

  @Option(
      names = "--duration",
      converter = Durations.class,
      description = "Measured time. Default: 10s.")
  Duration duration = Duration.ofSeconds(10);

  @Option(
      names = "--warmup",
      converter = Durations.class,
      description = "Time before the measured window, not recorded. Default: 2s.")
  Duration warmup = Duration.ofSeconds(2);

  @Option(names = "--command", description = "Operation: ${COMPLETION-CANDIDATES}. Default: set.")
  Operation command = Operation.SET;

  @Option(
      names = "--keyspace",
      description = "Keys are key:<n>, n uniform in [0, keyspace). Default: ${DEFAULT-VALUE}.")
  long keyspace = 100_000;

  @Option(
      names = {"-d", "--value-size"},
      description = "Bytes per SET value. Default: ${DEFAULT-VALUE}.")
  int valueSize = 100;

  @Option(
      names = "--wait-replicas",
      paramLabel = "N",
      description =
          "After each write send WAIT N 0 on the same connection; the latency covers both, and a"
              + " reply below N is an error. Default: 0 (no WAIT).")
  int waitReplicas = 0;

  @Option(
      names = "--consistency",
      paramLabel = "LEVEL",
      description = "Send CONSISTENCY LEVEL on every connection first; expects +OK.")
  String consistency;

  @Option(names = "--label", description = "Names the run in the output. Default: the command.")
  String label;

  @Option(names = "--seed", description = "Seed of the key choice. Default: ${DEFAULT-VALUE}.")
  long seed = 1;

  @Option(
      names = "--connect-timeout",
      converter = Durations.class,
      description = "Bound on opening one connection. Default: 5s.")
  Duration connectTimeout = Duration.ofSeconds(5);

  @Option(
      names = "--reply-timeout",
      converter = Durations.class,
      description =
          "Bound on waiting for one reply; a slower one is an error and ends that connection."
              + " Default: 10s.")
  Duration replyTimeout = Duration.ofSeconds(10);

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  boolean help;

  private PrintStream out = System.out;
  private PrintStream err = System.err;

  /** For picocli and {@link #main}. */
  public LoadGenerator() {}

  /** Runs {@link #execute} on the process's streams and exits with its status. */
  public static void main(String[] args) {
    // Exit explicitly: worker threads are daemons, but the status must be ours.
    System.exit(execute(args, System.out, System.err));
  }

  /**
   * Parses {@code args}, runs the load, prints the JSON line to {@code out} and the human line and
   * any diagnostics to {@code err}; returns the exit status. Blocks for the run's duration.
   */
  public static int execute(String[] args, PrintStream out, PrintStream err) {
    LoadGenerator generator = new LoadGenerator();
    generator.out = out;
    generator.err = err;
    CommandLine cl = commandLine(generator);
    cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    return cl.execute(args);
  }

  /**
   * Parses {@code args} into validated settings without running anything.
   *
   * @throws CommandLine.ParameterException for unknown options, malformed or out-of-range values
   */
  public static LoadSettings parse(String... args) {
    LoadGenerator generator = new LoadGenerator();
    CommandLine cl = commandLine(generator);
    cl.parseArgs(args);
    return generator.settings();
  }

  private static CommandLine commandLine(LoadGenerator generator) {
    CommandLine cl = new CommandLine(generator);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }

  @Override
  public Integer call() throws InterruptedException {
    LoadSettings settings = settings();
    LoadResult result;
    try {
      result = LoadRun.run(settings);
    } catch (LoadRun.SetupException e) {
      err.println(settings.label() + ": " + e.getMessage());
      return EXIT_SETUP_FAILED;
    }
    out.println(result.toJson());
    out.flush();
    err.println(result.humanLine());
    err.flush();
    return result.ops() == 0 ? EXIT_NO_SUCCESS : 0;
  }

  /** Turns the parsed options into settings; range errors become usage errors. */
  LoadSettings settings() {
    try {
      List<Target> parsedTargets = targets.stream().map(Target::parse).toList();
      return new LoadSettings(
          parsedTargets,
          connections,
          duration,
          warmup,
          command,
          keyspace,
          valueSize,
          waitReplicas,
          Optional.ofNullable(consistency),
          label == null ? command.cliName() : label,
          seed,
          connectTimeout,
          replyTimeout);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }
}
