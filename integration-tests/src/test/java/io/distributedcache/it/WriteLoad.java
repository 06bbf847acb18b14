package io.distributedcache.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Writer threads that SET their own keys in a loop through chosen nodes, and the ledger of what
 * the cluster answered, to check afterwards that no acknowledged write was lost.
 *
 * <p>Each key belongs to one writer, which writes it sequentially with distinct values, so the
 * last acknowledged value of a key is well defined. Outcomes:
 *
 * <ul>
 *   <li>{@code OK}: acknowledged; the key must read back this value unless a later write to it
 *       has an unknown outcome.
 *   <li>{@code TRYAGAIN} and {@code CLUSTERDOWN}: refused, nothing applied: the value must never
 *       be read back.
 *   <li>{@code TIMEOUT} (unknown outcome) or a broken connection: the value may or may not have
 *       been applied, so it is also accepted on read-back until a later write of the key is
 *       acknowledged.
 *   <li>Any other reply or error stops the writer and fails {@link #stop()}.
 * </ul>
 *
 * <p>Threads: {@link #startWriter} and {@link #stop()} are called by the test thread; each writer
 * is a thread of its own with its own connection. The ledger is complete once {@link #stop()}
 * returned.
 */
final class WriteLoad {

  /** What is known of one key: its last acknowledged value, and values of unknown outcome since. */
  record KeyState(String acknowledged, Set<String> uncertain) {}

  /** One acknowledged write: when it was sent and when the reply came ({@link System#nanoTime}). */
  record Ack(String key, long sentNanos, long ackedNanos) {}

  private final ClusterHarness cluster;
  private final String level;
  private final Map<String, KeyState> ledger = new ConcurrentHashMap<>();
  /** Refused values (unique per write) and the refusal, to explain a refused value read back. */
  private final Map<String, String> refused = new ConcurrentHashMap<>();
  private final List<Thread> threads = new ArrayList<>();
  private final List<Ack> acks = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final AtomicLong acknowledged = new AtomicLong();

  /** Writers will write at {@code level} (ONE, QUORUM or ALL). */
  WriteLoad(ClusterHarness cluster, String level) {
    this.cluster = cluster;
    this.level = level;
  }

  /**
   * Starts a writer thread that cycles over {@code keys} (which no other writer has) through node
   * {@code via} until {@link #stop()}.
   */
  void startWriter(String via, List<String> keys) {
    Jedis first = cluster.jedis(via, level);
    String name = "writer-" + threads.size() + "-via-" + via;
    Thread t = new Thread(() -> writeLoop(name, via, first, List.copyOf(keys)), name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  private void writeLoop(String name, String via, Jedis first, List<String> keys) {
    Jedis jedis = first;
    try {
      for (long seq = 0; !stopping.get(); seq++) {
        String key = keys.get((int) (seq % keys.size()));
        String value = name + ":" + seq;
        long sent = System.nanoTime();
        String outcome;
        try {
          String reply = jedis.set(key, value);
          if (!"OK".equals(reply)) {
            throw new AssertionError("SET " + key + " via " + name + " replied " + reply);
          }
          ledger.put(key, new KeyState(value, Set.of()));
          acks.add(new Ack(key, sent, System.nanoTime()));
          acknowledged.incrementAndGet();
          outcome = "OK";
        } catch (JedisDataException e) {
          String message = String.valueOf(e.getMessage());
          outcome = message.split(" ", 2)[0];
          switch (outcome) {
            case "TRYAGAIN", "CLUSTERDOWN" -> refused.put(value, message); // nothing applied
            case "TIMEOUT" -> uncertain(key, value);
            default -> throw new AssertionError(
                "SET " + key + " via " + name + " failed: " + message, e);
          }
        } catch (JedisConnectionException e) {
          // The reply was lost with the connection: unknown outcome. A new connection, with the
          // level set again (it is per connection).
          uncertain(key, value);
          outcome = "connection: " + e.getMessage();
          jedis.close();
          jedis = cluster.jedis(via, level);
        }
        outcomes.computeIfAbsent(outcome, o -> new LongAdder()).increment();
      }
    } catch (Throwable e) {
      failure.compareAndSet(null, e);
    }
  }

  private void uncertain(String key, String value) {
    KeyState before = ledger.get(key);
    Set<String> values = new LinkedHashSet<>(before == null ? Set.of() : before.uncertain());
    values.add(value);
    ledger.put(key, new KeyState(before == null ? null : before.acknowledged(), values));
  }

  /**
   * Stops every writer and waits for them.
   *
   * @throws AssertionError if a writer failed (the first failure is the cause) or does not stop
   *     within 30 s
   */
  void stop() {
    stopping.set(true);
    for (Thread t : threads) {
      try {
        t.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
      if (t.isAlive()) {
        throw new AssertionError(t.getName() + " did not stop within 30 s");
      }
    }
    Throwable f = failure.get();
    if (f != null) {
      throw new AssertionError("a writer failed: " + f.getMessage(), f);
    }
  }

  /** Acknowledged writes so far. */
  long acknowledged() {
    return acknowledged.get();
  }

  /** Whether a writer stopped on an unexpected reply (see {@link #stop()} for the reason). */
  boolean failed() {
    return failure.get() != null;
  }

  /** The first write sent after {@code sinceNanos} and acknowledged, or null. */
  Ack firstAckSentAfter(long sinceNanos) {
    synchronized (acks) {
      Ack first = null;
      for (Ack a : acks) {
        if (a.sentNanos() > sinceNanos && (first == null || a.ackedNanos() < first.ackedNanos())) {
          first = a;
        }
      }
      return first;
    }
  }

  /** Outcome counts, by first word of the reply ({@code OK}, {@code TIMEOUT}...), for reports. */
  Map<String, Long> outcomes() {
    Map<String, Long> counts = new TreeMap<>();
    outcomes.forEach((k, v) -> counts.put(k, v.sum()));
    return counts;
  }

  /** The ledger: every key written at least once. Complete after {@link #stop()}. */
  Map<String, KeyState> ledger() {
    return Map.copyOf(ledger);
  }

  /**
   * Reads every key of the ledger through {@code reader} and returns what disagrees: a key whose
   * value is neither its last acknowledged one nor one of unknown outcome sent after it.
   */
  List<String> mismatches(Jedis reader) {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, KeyState> e : ledger().entrySet()) {
      String key = e.getKey();
      KeyState state = e.getValue();
      String got;
      try {
        got = reader.get(key);
      } catch (JedisDataException ex) {
        problems.add(key + ": " + ex.getMessage());
        continue;
      }
      boolean ok =
          (got == null ? state.acknowledged() == null : got.equals(state.acknowledged()))
              || state.uncertain().contains(got);
      if (!ok) {
        String refusal = got == null ? null : refused.get(got);
        problems.add(key + ": read " + got + ", last acknowledged " + state.acknowledged()
            + (state.uncertain().isEmpty() ? "" : ", unknown outcome " + state.uncertain())
            + (refusal == null ? "" : "; the write of " + got + " was refused: " + refusal));
      }
    }
    return problems;
  }

  /** A one-line summary for reports. */
  String describe(Duration ran) {
    return ledger.size() + " keys, " + acknowledged() + " writes acknowledged in " + ran.toMillis()
        + " ms, outcomes " + outcomes();
  }
}
