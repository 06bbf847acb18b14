package io.distributedcache.faultlab.workload;

import io.distributedcache.faultlab.history.Op;
import io.distributedcache.faultlab.lab.LabCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.SetParams;

/**
 * The client side of a run: {@code sessions} threads, each a client session with its own Jedis
 * connection to one node (session i starts on member {@code i mod N}), issuing one operation at a
 * time on a small key set and recording each as {@link Op.Type#INVOKE} then {@code OK}, {@code
 * FAIL} or {@code INFO} in a {@link HistoryRecorder}.
 *
 * <p>Operations (see {@link Op} for the values recorded): {@code write} and {@code read} of the
 * register keys {@code r0..}, with {@code r0} taking half of them (the hot key); {@code write-ttl}
 * ({@code PX 1000..3000}) and {@code read} of the TTL keys {@code t0..}; {@code incr} ({@code
 * INCRBY 1..5}) of the counter keys {@code c0..}; {@code add} of a new key {@code s-<process>-<n>}
 * per call (the set workload). Written values are {@code p<process>-<n>}, unique in the run.
 *
 * <p>Outcomes: a reply is OK. {@code -CLUSTERDOWN} and {@code -TRYAGAIN} (the node refused before
 * doing anything), and a connection that could not be opened (or whose {@code CONSISTENCY} set-up
 * failed) before the command was sent, are FAIL. {@code -TIMEOUT} (the node's "unknown outcome"),
 * any other error reply, a client timeout and a connection lost after sending are INFO: the
 * process then retires, and a new process number takes over the session on a new connection, as
 * the {@link Op} contract requires. Every connection runs {@code CONSISTENCY <level>} first
 * (QUORUM by default) and never sends a CLUSTER command (it would switch the connection to
 * cluster mode).
 *
 * <p>Threading: {@link #start} and {@link #stop} are for the run's driver thread; {@link
 * #finalReads} runs on the caller's thread after {@link #stop}. Sessions pace themselves with a
 * short random pause between operations so that a run's history stays small enough for the
 * linearizability search.
 */
public final class Workload {

  /** The function names of {@link Op}. */
  public static final String WRITE = "write";

  public static final String READ = "read";
  public static final String INCR = "incr";
  public static final String WRITE_TTL = "write-ttl";
  public static final String ADD = "add";
  public static final String FINAL_READ = "final-read";

  /** Longest TTL a write-ttl uses. */
  public static final long MAX_TTL_MILLIS = 3_000;

  private static final long MIN_TTL_MILLIS = 1_000;

  /** Settings of a workload. */
  public record Settings(
      int sessions,
      int registerKeys,
      int ttlKeys,
      int counterKeys,
      String consistency,
      Duration clientTimeout,
      long maxPauseMillis,
      long seed) {

    /** Six sessions, four registers, two TTL keys, two counters, QUORUM, 3 s timeout. */
    public static Settings defaults(long seed) {
      return new Settings(6, 4, 2, 2, "QUORUM", Duration.ofSeconds(3), 40, seed);
    }
  }

  private enum Consistency implements ProtocolCommand {
    CONSISTENCY;

    @Override
    public byte[] getRaw() {
      return name().getBytes(StandardCharsets.US_ASCII);
    }
  }

  private final LabCluster cluster;
  private final HistoryRecorder history;
  private final Settings settings;
  private final SplittableRandom seeds;
  private final AtomicInteger nextProcess = new AtomicInteger();
  private final AtomicInteger nextSession = new AtomicInteger();
  private final Set<String> addedKeys = ConcurrentHashMap.newKeySet();
  private final AtomicLong lastTtlWriteNanos = new AtomicLong(System.nanoTime());
  private final List<Thread> threads = new ArrayList<>();
  private final Set<Jedis> open = ConcurrentHashMap.newKeySet();
  private volatile boolean stopping;

  public Workload(LabCluster cluster, HistoryRecorder history, Settings settings) {
    this.cluster = cluster;
    this.history = history;
    this.settings = settings;
    this.seeds = new SplittableRandom(settings.seed());
  }

  /** Starts the session threads; returns at once. */
  public void start() {
    List<String> members = cluster.members();
    for (int i = 0; i < settings.sessions(); i++) {
      Session s =
          new Session(nextSession.getAndIncrement(), members.get(i % members.size()), seeds.split());
      Thread t = new Thread(s::run, "faultlab-session-" + s.session);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  /**
   * Stops the sessions: each finishes its operation in flight (bounded by the client timeout) and
   * exits; connections still open after {@code 2 x timeout} are closed to unblock their threads.
   */
  public void stop() {
    stopping = true;
    long deadline = System.nanoTime() + 2 * settings.clientTimeout().toNanos() + 1_000_000_000L;
    for (Thread t : threads) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      try {
        t.join(Math.max(1, left));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    for (Jedis j : open) {
      closeQuietly(j);
    }
  }

  /** Nanos of the last write-ttl invocation (the start time if none). */
  public long lastTtlWriteNanos() {
    return lastTtlWriteNanos.get();
  }

  /**
   * After the faults healed and the workload stopped: reads every key the run used (registers,
   * TTL keys, counters, every key an {@code add} was invoked on) through every node in {@code
   * nodes}, at consistency {@code level}, on a fresh connection per node, recorded as {@code
   * final-read} with a session and process per node.
   */
  public void finalReads(List<String> nodes, String level) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < settings.registerKeys(); i++) {
      keys.add("r" + i);
    }
    for (int i = 0; i < settings.ttlKeys(); i++) {
      keys.add("t" + i);
    }
    for (int i = 0; i < settings.counterKeys(); i++) {
      keys.add("c" + i);
    }
    keys.addAll(addedKeys.stream().sorted().toList());
    for (String node : nodes) {
      int session = nextSession.getAndIncrement();
      int process = nextProcess.getAndIncrement();
      Jedis jedis = null;
      for (String key : keys) {
        history.record(Op.Type.INVOKE, process, session, node, FINAL_READ, key, null, 0, null);
        try {
          if (jedis == null) {
            jedis = connect(node, level);
          }
        } catch (RuntimeException e) {
          history.record(
              Op.Type.FAIL, process, session, node, FINAL_READ, key, null, 0, describe(e));
          continue;
        }
        try {
          String value = jedis.get(key);
          history.record(Op.Type.OK, process, session, node, FINAL_READ, key, value, 0, null);
        } catch (JedisDataException e) {
          history.record(
              Op.Type.FAIL, process, session, node, FINAL_READ, key, null, 0, describe(e));
        } catch (RuntimeException e) {
          history.record(
              Op.Type.INFO, process, session, node, FINAL_READ, key, null, 0, describe(e));
          closeQuietly(jedis);
          jedis = null;
          process = nextProcess.getAndIncrement();
        }
      }
      if (jedis != null) {
        closeQuietly(jedis);
      }
    }
  }

  /** One client session: one thread, one connection at a time, one process per connection. */
  private final class Session {
    final int session;
    final SplittableRandom random;
    String node;
    int process = nextProcess.getAndIncrement();
    int seq;
    Jedis jedis;

    Session(int session, String node, SplittableRandom random) {
      this.session = session;
      this.node = node;
      this.random = random;
    }

    void run() {
      try {
        while (!stopping) {
          step();
          pace(random.nextLong(settings.maxPauseMillis() + 1));
        }
      } finally {
        if (jedis != null) {
          closeQuietly(jedis);
        }
      }
    }

    private void step() {
      int roll = random.nextInt(100);
      String f;
      String key;
      String value = null;
      long ttl = 0;
      if (roll < 25) {
        f = WRITE;
        key = registerKey();
        value = nextValue();
      } else if (roll < 55) {
        f = READ;
        key = registerKey();
      } else if (roll < 70) {
        f = INCR;
        key = "c" + random.nextInt(settings.counterKeys());
        value = Integer.toString(1 + random.nextInt(5));
      } else if (roll < 80) {
        f = WRITE_TTL;
        key = "t" + random.nextInt(settings.ttlKeys());
        value = nextValue();
        ttl = MIN_TTL_MILLIS + random.nextLong(MAX_TTL_MILLIS - MIN_TTL_MILLIS + 1);
      } else if (roll < 90) {
        f = READ;
        key = "t" + random.nextInt(settings.ttlKeys());
      } else {
        f = ADD;
        key = "s-" + process + "-" + (seq++);
        value = key;
        addedKeys.add(key);
      }
      if (f.equals(WRITE_TTL)) {
        lastTtlWriteNanos.accumulateAndGet(System.nanoTime(), Math::max);
      }
      history.record(Op.Type.INVOKE, process, session, node, f, key, value, ttl, null);
      if (jedis == null) {
        try {
          jedis = connect(node, settings.consistency());
        } catch (RuntimeException e) {
          // Nothing was sent: the operation certainly did not happen.
          history.record(Op.Type.FAIL, process, session, node, f, key, value, ttl, describe(e));
          moveIfGone();
          pace(100 + random.nextLong(200)); // a down node: do not spin on it
          return;
        }
      }
      try {
        String result =
            switch (f) {
              case WRITE, ADD -> jedis.set(key, value);
              case WRITE_TTL -> jedis.set(key, value, SetParams.setParams().px(ttl));
              case INCR -> Long.toString(jedis.incrBy(key, Long.parseLong(value)));
              case READ -> jedis.get(key);
              default -> throw new IllegalStateException(f);
            };
        String recorded = f.equals(READ) || f.equals(INCR) ? result : value;
        history.record(Op.Type.OK, process, session, node, f, key, recorded, ttl, null);
      } catch (JedisDataException e) {
        String message = String.valueOf(e.getMessage());
        String upper = message.toUpperCase(Locale.ROOT);
        if (upper.startsWith("CLUSTERDOWN") || upper.startsWith("TRYAGAIN")) {
          history.record(Op.Type.FAIL, process, session, node, f, key, value, ttl, message);
        } else {
          history.record(Op.Type.INFO, process, session, node, f, key, value, ttl, message);
          retire();
        }
      } catch (RuntimeException e) {
        // Sent, then timed out or lost: it may or may not have happened.
        history.record(Op.Type.INFO, process, session, node, f, key, value, ttl, describe(e));
        retire();
      }
    }

    /** After an unknown outcome: this process never issues another operation. */
    private void retire() {
      if (jedis != null) {
        closeQuietly(jedis);
        jedis = null;
      }
      process = nextProcess.getAndIncrement();
      seq = 0;
      moveIfGone();
    }

    /** A session whose node left the cluster moves to another member. */
    private void moveIfGone() {
      List<String> members = cluster.members();
      if (!members.contains(node) && !members.isEmpty()) {
        node = members.get(session % members.size());
      }
    }

    private String registerKey() {
      // r0 is the hot key: half of the register operations.
      return random.nextBoolean() ? "r0" : "r" + random.nextInt(settings.registerKeys());
    }

    private String nextValue() {
      return "p" + process + "-" + (seq++);
    }
  }

  /** Opens a connection to {@code node} and sets its consistency level; closes it on failure. */
  private Jedis connect(String node, String level) {
    int timeoutMillis = (int) settings.clientTimeout().toMillis();
    Jedis j =
        new Jedis(
            new HostAndPort(LabCluster.LOOPBACK, cluster.clientPort(node)),
            DefaultJedisClientConfig.builder()
                .autoNegotiateProtocol(false)
                .connectionTimeoutMillis(Math.min(timeoutMillis, 1_000))
                .socketTimeoutMillis(timeoutMillis)
                .build());
    open.add(j);
    try {
      Object reply = j.sendCommand(Consistency.CONSISTENCY, level);
      String text =
          reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(reply);
      if (!"OK".equals(text)) {
        throw new IllegalStateException("CONSISTENCY " + level + ": " + text);
      }
      return j;
    } catch (RuntimeException e) {
      closeQuietly(j);
      throw e;
    }
  }

  private void closeQuietly(Jedis j) {
    open.remove(j);
    try {
      j.close();
    } catch (RuntimeException e) {
      // the connection is broken already: nothing left to release
    }
  }

  private static String describe(Throwable e) {
    String text = e.getClass().getSimpleName() + ": " + e.getMessage();
    if (e instanceof JedisConnectionException && e.getCause() != null) {
      text += " (" + e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage() + ")";
    }
    return text;
  }

  /** Pacing between operations (a client's think time), not a wait for a condition. */
  private static void pace(long millis) {
    if (millis <= 0) {
      return;
    }
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
