package io.distributedcache.core.engine;

import static io.distributedcache.core.engine.EngineFixture.args;
import static io.distributedcache.core.engine.EngineFixture.b;
import static io.distributedcache.core.engine.EngineFixture.s;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Writes from several threads must be serializable. Real threads are the subject here, so they are
 * used; nothing sleeps or polls: threads start together on a barrier and the test joins them.
 */
class KeyspaceEngineConcurrencyTest {

  private final EngineFixture f = new EngineFixture();
  private final KeyspaceEngine engine = f.engine;

  @Test
  void concurrentIncrementsLoseNothing() throws Exception {
    int threads = 4;
    int perThread = 10_000;
    runConcurrently(
        threads,
        id -> {
          for (int i = 0; i < perThread; i++) {
            engine.incrBy(b("counter"), 1);
          }
        });
    assertThat(f.get("counter")).isEqualTo("40000");
  }

  @Test
  void concurrentAppendsLoseNothing() throws Exception {
    runConcurrently(
        4,
        id -> {
          for (int i = 0; i < 2_000; i++) {
            engine.append(b("log"), new byte[] {(byte) ('a' + id)});
          }
        });
    assertThat(engine.strlen(b("log"))).isEqualTo(8_000);
  }

  /**
   * Four threads race MSETNX over overlapping key sets (a ring: thread i writes keys i and i+1),
   * for many rounds: in each round every thread's keys either all carry its value or none do.
   */
  @Test
  void msetnxNeverHalfApplies() throws Exception {
    int threads = 4;
    int rounds = 2_000;
    boolean[][] applied = new boolean[threads][rounds];
    runConcurrently(
        threads,
        id -> {
          for (int round = 0; round < rounds; round++) {
            String mine = "r" + round + ":k" + id;
            String next = "r" + round + ":k" + ((id + 1) % threads);
            String shared = "r" + round + ":shared" + (id % 2);
            applied[id][round] =
                engine.msetnx(args(mine, "t" + id, next, "t" + id, shared, "t" + id), 0);
          }
        });
    for (int round = 0; round < rounds; round++) {
      int winners = 0;
      for (int id = 0; id < threads; id++) {
        String value = "t" + id;
        List<String> mine = new ArrayList<>();
        for (String key :
            new String[] {
              "r" + round + ":k" + id,
              "r" + round + ":k" + ((id + 1) % threads),
              "r" + round + ":shared" + (id % 2)
            }) {
          mine.add(f.get(key));
        }
        if (applied[id][round]) {
          winners++;
          assertThat(mine).as("round %d thread %d", round, id).containsOnly(value);
        } else {
          assertThat(mine).as("round %d thread %d", round, id).doesNotContain(value);
        }
      }
      assertThat(winners).as("round %d", round).isBetween(1, 2);
    }
  }

  /**
   * One thread MSETs two keys in different stripes to the same generation number, another MGETs
   * them: every MGET sees both keys at one generation, never one old and one new.
   */
  @Test
  void mgetNeverSeesHalfAnMset() throws Exception {
    f.set("{a}x", "0");
    f.set("{b}y", "0");
    int generations = 20_000;
    List<String> torn = java.util.Collections.synchronizedList(new ArrayList<>());
    runConcurrently(
        2,
        id -> {
          for (int g = 1; g <= generations; g++) {
            if (id == 0) {
              engine.mset(args("{a}x", Integer.toString(g), "{b}y", Integer.toString(g)), 0);
            } else {
              byte[][] values = engine.mget(args("{a}x", "{b}y"), 0);
              if (!java.util.Arrays.equals(values[0], values[1])) {
                torn.add(s(values[0]) + "/" + s(values[1]));
              }
            }
          }
        });
    assertThat(torn).isEmpty();
  }

  /** Two threads rename a key back and forth: the value is never lost or duplicated. */
  @Test
  void renamesNeverLoseOrDuplicateTheKey() throws Exception {
    f.set("a", "payload");
    AtomicInteger moved = new AtomicInteger();
    runConcurrently(
        2,
        id -> {
          byte[] from = b(id == 0 ? "a" : "b");
          byte[] to = b(id == 0 ? "b" : "a");
          for (int i = 0; i < 5_000; i++) {
            try {
              engine.rename(from, to);
              moved.incrementAndGet();
            } catch (CommandException e) {
              assertThat(e).hasMessage("ERR no such key");
            }
            long count = engine.exists(args("a", "b"), 0);
            assertThat(count).isBetween(0L, 2L);
          }
        });
    assertThat(engine.exists(args("a", "b"), 0)).isEqualTo(1);
    assertThat(moved.get()).isPositive();
    String survivor = f.get("a") != null ? f.get("a") : f.get("b");
    assertThat(survivor).isEqualTo("payload");
  }

  /**
   * Multi-key writes over the same stripes in opposite orders finish: stripes lock in one order.
   */
  @Test
  void multiKeyWritesDoNotDeadlock() throws Exception {
    runConcurrently(
        4,
        id -> {
          for (int i = 0; i < 5_000; i++) {
            if (id % 2 == 0) {
              engine.mset(args("x", "1", "y", "1", "z", "1"), 0);
            } else {
              engine.mset(args("z", "2", "y", "2", "x", "2"), 0);
            }
            try {
              engine.rename(b(id % 2 == 0 ? "x" : "z"), b(id % 2 == 0 ? "w" + id : "v" + id));
            } catch (CommandException e) {
              // Another thread renamed it first: fine, this test is about finishing at all.
              assertThat(e).hasMessage("ERR no such key");
            }
          }
        });
    assertThat(s(engine.get(b("y")))).isIn("1", "2");
  }

  interface Worker {
    void run(int id) throws Exception;
  }

  private static void runConcurrently(int threads, Worker worker) throws Exception {
    CyclicBarrier start = new CyclicBarrier(threads);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> running = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread thread =
          new Thread(
              () -> {
                try {
                  start.await();
                  worker.run(id);
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              });
      thread.start();
      running.add(thread);
    }
    for (Thread thread : running) {
      thread.join();
    }
    if (failure.get() != null) {
      throw new AssertionError("a worker failed", failure.get());
    }
  }
}
