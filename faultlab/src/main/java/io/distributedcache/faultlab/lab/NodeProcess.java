package io.distributedcache.faultlab.lab;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One server process of the lab, started from a command line; its stdout and stderr (merged) are
 * copied line by line to a log file by a daemon thread, which also watches for {@value #READY}.
 *
 * <p>Signals go to the PID of the process that was started, so a command prefix must exec the
 * server rather than fork it ({@code env} does; the {@code faketime} wrapper does not, see {@link
 * LabCluster#clockOffsetPrefix}). Every method may be called from any thread.
 */
final class NodeProcess {

  /** The line the server logs once it accepts client connections. */
  static final String READY = "Ready to accept connections";

  /**
   * Every process started and not yet gone: a safety net for a JVM that exits without closing its
   * cluster (the hook SIGCONTs and SIGKILLs them).
   */
  private static final Set<NodeProcess> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (NodeProcess p : RUNNING) {
                    p.signal("CONT");
                    p.process.destroyForcibly();
                  }
                },
                "faultlab-kill-leftover-nodes"));
  }

  private final String id;
  private final Process process;
  private final Path logFile;
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private final Thread pump;

  private NodeProcess(String id, List<String> command, Path logFile) throws IOException {
    this.id = id;
    this.logFile = logFile;
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.redirectErrorStream(true);
    builder.redirectInput(ProcessBuilder.Redirect.PIPE);
    Files.createDirectories(logFile.getParent());
    try (BufferedWriter w = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8)) {
      w.write("# " + String.join(" ", command) + "\n");
    }
    this.process = builder.start();
    RUNNING.add(this);
    process.onExit().thenRun(() -> RUNNING.remove(this));
    process.getOutputStream().close();
    this.pump = new Thread(this::pumpOutput, "faultlab-" + id + "-output");
    pump.setDaemon(true);
    pump.start();
  }

  /** Starts {@code command}, logging to {@code logFile} (appended to after the command line). */
  static NodeProcess start(String id, List<String> command, Path logFile) {
    try {
      return new NodeProcess(id, command, logFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + id + ": " + command, e);
    }
  }

  /** Waits for the ready line; false if the process exited first or the deadline passed. */
  boolean awaitReady(Duration timeout) {
    try {
      CompletableFuture.anyOf(ready, process.onExit()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
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

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  Path logFile() {
    return logFile;
  }

  /**
   * Sends {@code kill -<name> <pid>} (STOP, CONT, KILL, TERM) and waits for kill(1) itself, which
   * returns at once.
   *
   * @return whether kill(1) succeeded (false if the process is gone)
   */
  boolean signal(String name) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return kill.waitFor(5, TimeUnit.SECONDS) && kill.exitValue() == 0;
    } catch (IOException e) {
      throw new UncheckedIOException("kill -" + name + " " + process.pid(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** SIGKILL and waits (up to 10 s) until the process is gone. */
  void kill9() {
    process.destroyForcibly();
    waitFor(Duration.ofSeconds(10));
  }

  /**
   * Waits for the process to exit.
   *
   * @return the exit code, or null if it still runs at the deadline
   */
  Integer waitFor(Duration timeout) {
    try {
      if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return process.exitValue();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return null;
  }

  /**
   * Stops the process: SIGCONT (a paused JVM cannot handle SIGTERM), SIGTERM, up to {@code
   * timeout}, then SIGKILL. Never throws.
   */
  void stop(Duration timeout) {
    if (!process.isAlive()) {
      return;
    }
    signal("CONT");
    process.toHandle().destroy();
    if (waitFor(timeout) == null) {
      process.destroyForcibly();
      waitFor(Duration.ofSeconds(10));
    }
  }

  /** The last {@code lines} lines of the log, for failure messages. */
  String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + logFile + ": " + e + ")";
    }
  }

  private void pumpOutput() {
    try (BufferedReader reader =
            new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        BufferedWriter out =
            Files.newBufferedWriter(
                logFile, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND)) {
      String line;
      while ((line = reader.readLine()) != null) {
        out.write(line);
        out.write('\n');
        if (!reader.ready()) {
          out.flush();
        }
        if (line.contains(READY)) {
          ready.complete(null);
        }
      }
    } catch (IOException e) {
      // The log file is for people; losing its end does not change the run.
    }
  }

  @Override
  public String toString() {
    return id + "[pid " + process.pid() + "]";
  }
}
