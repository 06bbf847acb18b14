package io.distributedcache.core.engine;

import static io.distributedcache.core.engine.KeyspaceEngine.NO_TTL;
import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.engine.KeyspaceEngine.Condition;
import io.distributedcache.core.engine.KeyspaceEngine.SetResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** SET ... IFEQ / IFNE and DELEX (Redis 8.4): compare-and-set and compare-and-delete. */
class KeyspaceEngineCompareAndSetTest {

  private final EngineFixture f = new EngineFixture();
  private final KeyspaceEngine engine = f.engine;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void ifEqualSetsOnlyWhenTheCurrentValueMatches() {
    assertThat(engine.setIf(b("k"), b("1"), NO_TTL, Condition.IF_EQUAL, b("0")).applied())
        .as("IFEQ never creates a key")
        .isFalse();
    assertThat(engine.get(b("k"))).isNull();
    engine.set(b("k"), b("1"), NO_TTL, Condition.ALWAYS);
    assertThat(engine.setIf(b("k"), b("2"), NO_TTL, Condition.IF_EQUAL, b("0")).applied())
        .isFalse();
    SetResult swapped = engine.setIf(b("k"), b("2"), NO_TTL, Condition.IF_EQUAL, b("1"));
    assertThat(swapped.applied()).isTrue();
    assertThat(swapped.previous()).isEqualTo(b("1"));
    assertThat(engine.get(b("k"))).isEqualTo(b("2"));
  }

  @Test
  void ifNotEqualCreatesOrReplacesAnythingElse() {
    assertThat(engine.setIf(b("k"), b("1"), NO_TTL, Condition.IF_NOT_EQUAL, b("x")).applied())
        .as("IFNE creates a missing key")
        .isTrue();
    assertThat(engine.setIf(b("k"), b("2"), NO_TTL, Condition.IF_NOT_EQUAL, b("1")).applied())
        .isFalse();
    assertThat(engine.setIf(b("k"), b("2"), NO_TTL, Condition.IF_NOT_EQUAL, b("9")).applied())
        .isTrue();
    assertThat(engine.get(b("k"))).isEqualTo(b("2"));
  }

  @Test
  void deleteIfComparesBeforeDeleting() {
    engine.set(b("k"), b("1"), NO_TTL, Condition.ALWAYS);
    assertThat(engine.deleteIf(b("k"), true, b("0"))).isFalse();
    assertThat(engine.deleteIf(b("k"), false, b("1"))).isFalse();
    assertThat(engine.deleteIf(b("k"), true, b("1"))).isTrue();
    assertThat(engine.get(b("k"))).isNull();
    assertThat(engine.deleteIf(b("k"), true, null)).as("gone already").isFalse();
    engine.set(b("k"), b("1"), NO_TTL, Condition.ALWAYS);
    assertThat(engine.deleteIf(b("k"), false, b("0"))).isTrue();
  }

  @Test
  void concurrentCompareAndSetIncrementsLoseNothing() throws Exception {
    engine.set(b("n"), b("0"), NO_TTL, Condition.ALWAYS);
    int threads = 4;
    int perThread = 2_000;
    AtomicInteger conflicts = new AtomicInteger();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w =
          new Thread(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  while (true) {
                    byte[] current = engine.get(b("n"));
                    long next = Long.parseLong(new String(current, StandardCharsets.UTF_8)) + 1;
                    if (engine
                        .setIf(b("n"), b(Long.toString(next)), NO_TTL, Condition.IF_EQUAL, current)
                        .applied()) {
                      break;
                    }
                    conflicts.incrementAndGet();
                  }
                }
              });
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join();
    }
    assertThat(engine.get(b("n"))).isEqualTo(b(Integer.toString(threads * perThread)));
  }
}
