package io.distributedcache.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a short-lived external command (redis-cli, redis-benchmark) to completion with a deadline,
 * feeding it stdin and collecting stdout and stderr on their own threads. A command still running at
 * the deadline is stopped by its PID (SIGTERM, then SIGKILL) and reported as a failure.
 */
public final class CommandRunner {

  /** What a finished command produced. */
  public record Result(List<String> command, int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
      return command + " exited " + exitCode + "\n--- stdout ---\n" + stdout + "--- stderr ---\n" + stderr;
    }
  }

  private CommandRunner() {}

  public static Result run(List<String> command, byte[] stdin, Duration timeout) {
    Process process;
    try {
      process = new ProcessBuilder(command).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread outPump = pump(process.getInputStream(), out);
    Thread errPump = pump(process.getErrorStream(), err);
    Thread feeder =
        new Thread(
            () -> {
              try (OutputStream in = process.getOutputStream()) {
                if (stdin != null) {
                  in.write(stdin);
                }
              } catch (IOException e) {
                // the command stopped reading: its exit code and output tell the story
              }
            },
            "stdin-feeder");
    feeder.setDaemon(true);
    feeder.start();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(5, TimeUnit.SECONDS);
        }
        throw new AssertionError(command + " did not finish within " + timeout + "; stdout so far:\n"
            + out + "\nstderr:\n" + err);
      }
      outPump.join(5_000);
      errPump.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new AssertionError("interrupted", e);
    }
    synchronized (out) {
      synchronized (err) {
        return new Result(
            command,
            process.exitValue(),
            out.toString(StandardCharsets.UTF_8),
            err.toString(StandardCharsets.UTF_8));
      }
    }
  }

  public static Result run(List<String> command, String stdin, Duration timeout) {
    return run(command, stdin == null ? null : stdin.getBytes(StandardCharsets.UTF_8), timeout);
  }

  private static Thread pump(InputStream in, ByteArrayOutputStream sink) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[8192];
              try (in) {
                int n;
                while ((n = in.read(buf)) != -1) {
                  synchronized (sink) {
                    sink.write(buf, 0, n);
                  }
                }
              } catch (IOException e) {
                // process gone
              }
            },
            "output-pump");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
