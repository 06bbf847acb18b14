package io.distributedcache.bench;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * Runs one closed-loop load: opens every connection, then drives each from its own thread, each
 * sending its next command as soon as the previous reply arrived, and merges what they measured.
 *
 * <h2>Design note</h2>
 *
 * One platform thread per connection with blocking sockets: the simplest client that puts exactly
 * one request in flight per connection, like redis-benchmark without pipelining, and one whose cost
 * per request is two system calls and no hand-off between threads. Each worker records into its own
 * {@link Histogram} (no sharing in the hot loop); the histograms are merged after the workers have
 * stopped. Latency is from just before the command is written to just after the last reply is
 * parsed; as in any closed loop, a stall delays the requests queued behind it without recording
 * them (coordinated omission), so tails are optimistic under saturation, equally so for every
 * server measured.
 *
 * <p>Time: all workers wait on one latch, then the measured window is {@code [start, end)} with
 * {@code start = release + warmup}. An operation counts if it started in that window; workers stop
 * starting operations at {@code end}. A worker stuck in a read past {@code end + replyTimeout +
 * grace} has its socket closed from the calling thread.
 */
final class LoadRun {

  private static final byte[] SET = bytes("SET");
  private static final byte[] GET = bytes("GET");
  private static final byte[] INCR = bytes("INCR");
  private static final byte[] WAIT = bytes("WAIT");
  private static final byte[] KEY_PREFIX = bytes("key:");
  private static final Duration STOP_GRACE = Duration.ofSeconds(2);

  /** Thrown when the run cannot start: a connection fails to open or to take CONSISTENCY. */
  static final class SetupException extends Exception {
    private static final long serialVersionUID = 1L;

    SetupException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private LoadRun() {}

  /**
   * Opens the connections, runs warm-up and the measured window, and returns the merged result.
   * Blocks for about {@code warmup + duration}. Every connection is closed on return.
   *
   * @throws SetupException if a connection cannot be opened or answers CONSISTENCY with anything
   *     but {@code +OK}; nothing has been measured then
   * @throws InterruptedException if the calling thread is interrupted while waiting for workers
   */
  static LoadResult run(LoadSettings settings) throws SetupException, InterruptedException {
    List<RespConnection> connections = new ArrayList<>(settings.connections());
    try {
      for (int i = 0; i < settings.connections(); i++) {
        Target target = settings.targets().get(i % settings.targets().size());
        connections.add(open(target, i, settings));
      }
      return drive(settings, connections);
    } finally {
      for (RespConnection c : connections) {
        closeQuietly(c);
      }
    }
  }

  private static RespConnection open(Target target, int index, LoadSettings settings)
      throws SetupException {
    RespConnection c;
    try {
      c = RespConnection.open(target, settings.connectTimeout(), settings.replyTimeout());
    } catch (IOException e) {
      throw new SetupException(
          "cannot open connection " + index + " to " + target + ": " + describe(e), e);
    }
    if (settings.consistency().isPresent()) {
      String level = settings.consistency().get();
      try {
        RespReply reply = c.call("CONSISTENCY", level);
        if (!(reply instanceof RespReply.Simple simple && simple.text().equals("OK"))) {
          closeQuietly(c);
          throw new SetupException(
              "CONSISTENCY " + level + " on " + target + " answered " + reply.describe(), null);
        }
      } catch (IOException e) {
        closeQuietly(c);
        throw new SetupException(
            "CONSISTENCY " + level + " on " + target + " failed: " + describe(e), e);
      }
    }
    return c;
  }

  private static LoadResult drive(LoadSettings settings, List<RespConnection> connections)
      throws InterruptedException {
    CountDownLatch ready = new CountDownLatch(connections.size());
    CountDownLatch go = new CountDownLatch(1);
    Window window = new Window();
    AtomicReference<String> firstError = new AtomicReference<>();
    SplittableRandom seeds = new SplittableRandom(settings.seed());
    List<Worker> workers = new ArrayList<>(connections.size());
    List<Thread> threads = new ArrayList<>(connections.size());
    for (int i = 0; i < connections.size(); i++) {
      Worker w =
          new Worker(settings, connections.get(i), seeds.split(), window, ready, go, firstError);
      workers.add(w);
      Thread t = new Thread(w, "load-" + i);
      // Daemon: a worker stuck in a read must never keep the JVM alive after main returns.
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    ready.await();
    long release = System.nanoTime();
    window.startNanos = release + settings.warmup().toNanos();
    window.endNanos = window.startNanos + settings.duration().toNanos();
    // The latch publishes the window's fields to every worker (happens-before on countDown/await).
    go.countDown();

    long deadline = window.endNanos + settings.replyTimeout().toNanos() + STOP_GRACE.toNanos();
    for (Thread t : threads) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        TimeUnit.NANOSECONDS.timedJoin(t, left);
      }
    }
    if (threads.stream().anyMatch(Thread::isAlive)) {
      // A socket timeout should have ended every read by now; close the sockets to be sure.
      window.forcedStop = true;
      connections.forEach(LoadRun::closeQuietly);
      for (Thread t : threads) {
        t.join(STOP_GRACE.toMillis());
      }
    }

    Histogram merged = new Histogram(3);
    long ops = 0;
    long errors = 0;
    int lost = 0;
    for (Worker w : workers) {
      synchronized (w) {
        merged.add(w.histogram);
        ops += w.ops;
        errors += w.errors;
        lost += w.lost ? 1 : 0;
      }
    }
    return new LoadResult(
        settings, ops, errors, lost, Optional.ofNullable(firstError.get()), merged);
  }

  /** The measured window, written once before the workers are released. */
  private static final class Window {
    long startNanos;
    long endNanos;
    volatile boolean forcedStop;
  }

  /** One connection's closed loop. */
  private static final class Worker implements Runnable {
    private final LoadSettings settings;
    private final RespConnection connection;
    private final SplittableRandom random;
    private final Window window;
    private final CountDownLatch ready;
    private final CountDownLatch go;
    private final AtomicReference<String> firstError;
    private final byte[] value;

    // Written by the worker thread, read by the driver after join (or under the lock if the
    // worker could not be stopped).
    final Histogram histogram = new Histogram(3);
    long ops;
    long errors;
    boolean lost;

    Worker(
        LoadSettings settings,
        RespConnection connection,
        SplittableRandom random,
        Window window,
        CountDownLatch ready,
        CountDownLatch go,
        AtomicReference<String> firstError) {
      this.settings = settings;
      this.connection = connection;
      this.random = random;
      this.window = window;
      this.ready = ready;
      this.go = go;
      this.firstError = firstError;
      this.value = new byte[settings.valueSize()];
      // Printable bytes from the connection's own stream: every connection writes its own value.
      for (int i = 0; i < value.length; i++) {
        value[i] = (byte) ('a' + random.nextInt(26));
      }
    }

    @Override
    public void run() {
      ready.countDown();
      try {
        go.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      long start = window.startNanos;
      long end = window.endNanos;
      while (true) {
        long t0 = System.nanoTime();
        if (t0 - end >= 0) {
          break;
        }
        boolean measured = t0 - start >= 0;
        String failure;
        boolean broken = false;
        try {
          failure = operation();
        } catch (IOException | RuntimeException e) {
          broken = true;
          failure =
              window.forcedStop
                  ? "no reply before the run's end (connection closed by the load generator)"
                  : connection.target() + ": " + describe(e);
        }
        long latency = System.nanoTime() - t0;
        synchronized (this) {
          if (failure == null) {
            if (measured) {
              histogram.recordValue(latency);
              ops++;
            }
          } else if (measured || broken) {
            errors++;
            lost |= broken;
            if (firstError.get() == null) {
              firstError.compareAndSet(null, failure);
            }
          }
        }
        if (broken) {
          return;
        }
      }
    }

    /** Sends one operation and checks its reply; returns null on success, else the error text. */
    private String operation() throws IOException {
      long keyNumber = random.nextLong(settings.keyspace());
      RespCommandBuffer cmd = connection.command();
      switch (settings.operation()) {
        case SET -> cmd.begin(3).arg(SET).argWithSuffix(KEY_PREFIX, keyNumber).arg(value);
        case GET -> cmd.begin(2).arg(GET).argWithSuffix(KEY_PREFIX, keyNumber);
        case INCR -> cmd.begin(2).arg(INCR).argWithSuffix(KEY_PREFIX, keyNumber);
      }
      connection.send();
      RespReply reply = connection.read();
      boolean ok =
          switch (settings.operation()) {
            case SET -> reply instanceof RespReply.Simple s && s.text().equals("OK");
            case GET -> reply instanceof RespReply.Bulk || reply == RespReply.Nil.BULK;
            case INCR -> reply instanceof RespReply.Int;
          };
      if (!ok) {
        return settings.operation().name() + " answered " + reply.describe();
      }
      int replicas = settings.waitReplicas();
      if (replicas > 0) {
        cmd.begin(3).arg(WAIT).arg(replicas).arg(0);
        connection.send();
        RespReply acked = connection.read();
        if (!(acked instanceof RespReply.Int n)) {
          return "WAIT " + replicas + " 0 answered " + acked.describe();
        }
        if (n.value() < replicas) {
          return "WAIT " + replicas + " 0 answered :" + n.value() + " (fewer replicas than asked)";
        }
      }
      return null;
    }
  }

  static String describe(Throwable e) {
    if (e instanceof SocketTimeoutException) {
      return "no reply within the reply timeout (" + e.getMessage() + ")";
    }
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  private static void closeQuietly(RespConnection c) {
    try {
      c.close();
    } catch (IOException e) {
      // Closing a socket we are done with: nothing to report and nothing to retry.
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
