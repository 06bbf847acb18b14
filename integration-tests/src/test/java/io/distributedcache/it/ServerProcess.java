package io.distributedcache.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One DistributedCache server process started from the shaded jar ({@code java -jar $JAR server
 * ...}), listening on 127.0.0.1.
 *
 * <p>Its stdout and stderr are each drained by a daemon thread into a buffer, so the process never
 * blocks on a full pipe and tests can assert on what it logged. {@link #start} waits (with a
 * deadline) for the line containing {@value #READY}. {@link #close()} stops the process by its PID:
 * SIGTERM, a bounded wait, then SIGKILL.
 *
 * <p>For checking the tests themselves, {@code -Ddistributedcache.it.reference=/usr/bin/redis-server}
 * runs a real Redis with the same flags instead (tests specific to DistributedCache skip then).
 */
public final class ServerProcess implements AutoCloseable {

  /** The line the server logs once it accepts connections. */
  public static final String READY = "Ready to accept connections";

  public static final String LOOPBACK = "127.0.0.1";

  static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private static final int START_ATTEMPTS = 5;

  /**
   * Every process started and not yet stopped. Tests stop their servers themselves; this is only a
   * safety net for a test JVM that dies before its {@code @AfterAll} runs.
   */
  private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (Process p : RUNNING) {
                    p.destroyForcibly();
                  }
                },
                "kill-leftover-servers"));
  }

  private final Process process;
  private final int port;
  private final List<String> command;
  private final StringBuffer stdout = new StringBuffer();
  private final StringBuffer stderr = new StringBuffer();
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private final Thread stdoutPump;
  private final Thread stderrPump;

  private ServerProcess(List<String> command, int port) throws IOException {
    this.command = List.copyOf(command);
    this.port = port;
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.redirectInput(ProcessBuilder.Redirect.PIPE);
    this.process = builder.start();
    RUNNING.add(process);
    process.onExit().thenRun(() -> RUNNING.remove(process));
    process.getOutputStream().close();
    this.stdoutPump = pump(process.getInputStream(), stdout, "stdout");
    this.stderrPump = pump(process.getErrorStream(), stderr, "stderr");
  }

  // ---------------------------------------------------------------------------------------------
  // Starting

  /** Whether the tests run against a real redis-server (only for validating the tests). */
  public static boolean referenceMode() {
    String ref = System.getProperty("distributedcache.it.reference", "");
    return !ref.isBlank();
  }

  /** The shaded server jar given by the build ({@code -Ddistributedcache.jar=...}). */
  public static Path jar() {
    String path = System.getProperty("distributedcache.jar");
    if (path == null || path.isBlank()) {
      throw new IllegalStateException("system property distributedcache.jar is not set");
    }
    Path jar = Path.of(path);
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("server jar " + jar + " does not exist: build it first");
    }
    return jar;
  }

  /**
   * Starts {@code server --port <free port> --bind 127.0.0.1 <extraArgs>} and waits until it is
   * ready. A port taken between choosing and binding makes it retry with another port.
   */
  public static ServerProcess start(String... extraArgs) {
    List<String> failures = new ArrayList<>();
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      int port = freePort();
      List<String> args = new ArrayList<>();
      args.add("server");
      args.add("--port");
      args.add(Integer.toString(port));
      args.add("--bind");
      args.add(LOOPBACK);
      args.addAll(Arrays.asList(extraArgs));
      ServerProcess server = launch(args, port);
      boolean ok = false;
      try {
        if (server.awaitReady(START_TIMEOUT)) {
          ok = true;
          return server;
        }
        String out = server.allOutput();
        failures.add("attempt " + attempt + " on port " + port + ":\n" + out);
        if (server.isAlive() || !looksLikeBindFailure(out)) {
          break; // hung or failed for another reason: retrying would not help
        }
      } finally {
        if (!ok) {
          server.close();
        }
      }
    }
    throw new IllegalStateException(
        "server did not become ready within " + START_TIMEOUT + ":\n" + String.join("\n", failures));
  }

  /**
   * Launches the server with exactly {@code args} (after {@code java -jar $JAR}) and does not wait
   * for anything. {@code port} is only remembered for {@link #port()}; pass 0 if unknown.
   */
  public static ServerProcess launch(List<String> args, int port) {
    return launch(List.of(), args, port);
  }

  /**
   * Like {@link #launch(List, int)}, with {@code prefix} in front of the {@code java} command, e.g.
   * {@code env FAKETIME=+1h LD_PRELOAD=...}. The prefix must exec the command rather than fork
   * it ({@code env}, {@code nice} and {@code taskset} do; the {@code faketime} wrapper forks,
   * waits and does not pass SIGTERM on): {@link #pid()}, {@link #stop} and {@link #close()} act
   * on the process that was started, which must therefore end up being the server itself.
   */
  public static ServerProcess launch(List<String> prefix, List<String> args, int port) {
    List<String> cmd = new ArrayList<>(prefix);
    if (referenceMode()) {
      cmd.add(System.getProperty("distributedcache.it.reference"));
      List<String> rest = new ArrayList<>(args);
      if (!rest.isEmpty() && rest.get(0).equals("server")) {
        rest.remove(0);
      }
      int configAt = rest.indexOf("--config");
      if (configAt >= 0) { // redis-server takes the file as its first argument
        String file = rest.get(configAt + 1);
        rest.remove(configAt + 1);
        rest.remove(configAt);
        cmd.add(file);
      }
      cmd.addAll(List.of("--save", "", "--appendonly", "no", "--daemonize", "no"));
      cmd.addAll(rest);
    } else {
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      String jvmArgs = System.getProperty("distributedcache.it.jvmArgs", "");
      for (String a : jvmArgs.trim().split("\\s+")) {
        if (!a.isEmpty()) {
          cmd.add(a);
        }
      }
      cmd.add("-jar");
      cmd.add(jar().toString());
      cmd.addAll(args);
    }
    try {
      return new ServerProcess(cmd, port);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + cmd, e);
    }
  }

  /** A TCP port on 127.0.0.1 that was free a moment ago. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean looksLikeBindFailure(String output) {
    String lower = output.toLowerCase(Locale.ROOT);
    return lower.contains("address already in use")
        || lower.contains("already in use")
        || lower.contains("bind");
  }

  /** Waits for the ready line; false if the process exited first or the deadline passed. */
  public boolean awaitReady(Duration timeout) {
    try {
      CompletableFuture.anyOf(ready, process.onExit())
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
    return ready.isDone();
  }

  // ---------------------------------------------------------------------------------------------
  // Stopping

  /**
   * Waits for the process to exit on its own.
   *
   * @return the exit code
   * @throws AssertionError if it is still running at the deadline (it is then killed)
   */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        killHard();
        throw new AssertionError(
            "process " + pid() + " did not exit within " + timeout + "; output:\n" + allOutput());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      killHard();
      throw new AssertionError("interrupted", e);
    }
    drainPumps();
    return process.exitValue();
  }

  /**
   * Sends SIGTERM to the PID and waits up to {@code timeout}; if the process is still alive it gets
   * SIGKILL.
   *
   * @return the exit code, or -1 if it had to be killed
   */
  public int stop(Duration timeout) {
    if (!process.isAlive()) {
      drainPumps();
      return process.exitValue();
    }
    // SIGTERM to this PID. ProcessHandle.destroy() rather than Process.destroy(): the latter also
    // closes our end of the stdout/stderr pipes at once, losing what the server logs on shutdown.
    process.toHandle().destroy();
    try {
      if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        drainPumps();
        return process.exitValue();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    killHard();
    return -1;
  }

  private void killHard() {
    process.destroyForcibly(); // SIGKILL to this PID
    try {
      process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void drainPumps() {
    try {
      stdoutPump.join(5_000);
      stderrPump.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the process if it still runs (SIGTERM, bounded wait, SIGKILL). Never throws. */
  @Override
  public void close() {
    if (process.isAlive()) {
      int exit = stop(STOP_TIMEOUT);
      if (exit == -1) {
        System.err.println(
            "[ServerProcess] pid " + pid() + " ignored SIGTERM for " + STOP_TIMEOUT + "; killed");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Observing

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Process process() {
    return process;
  }

  public List<String> command() {
    return command;
  }

  /** Everything the process wrote to stdout so far. */
  public String stdout() {
    return stdout.toString();
  }

  /** Everything the process wrote to stderr so far. */
  public String stderr() {
    return stderr.toString();
  }

  /** stdout then stderr, labelled, for failure messages. */
  public String allOutput() {
    return "--- stdout of pid " + pid() + " ---\n" + stdout() + "--- stderr ---\n" + stderr();
  }

  /** Resident set size of the process in KiB, from /proc/PID/status (VmRSS). */
  public long rssKib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalStateException("no VmRSS in /proc/" + pid() + "/status");
  }

  @Override
  public String toString() {
    return "ServerProcess[pid=" + pid() + ", port=" + port + "]";
  }

  private Thread pump(InputStream in, StringBuffer sink, String name) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  sink.append(line).append('\n');
                  if (line.contains(READY)) {
                    ready.complete(null);
                  }
                }
              } catch (IOException e) {
                sink.append("[pump ").append(name).append(" failed: ").append(e).append("]\n");
              }
            },
            "server-" + name + "-pump");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
