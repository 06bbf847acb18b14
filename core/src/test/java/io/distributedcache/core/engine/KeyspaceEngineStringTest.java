package io.distributedcache.core.engine;

import static io.distributedcache.core.engine.EngineFixture.SECOND_NANOS;
import static io.distributedcache.core.engine.EngineFixture.args;
import static io.distributedcache.core.engine.EngineFixture.b;
import static io.distributedcache.core.engine.EngineFixture.s;
import static io.distributedcache.core.engine.KeyspaceEngine.Condition.ALWAYS;
import static io.distributedcache.core.engine.KeyspaceEngine.Condition.IF_ABSENT;
import static io.distributedcache.core.engine.KeyspaceEngine.Condition.IF_PRESENT;
import static io.distributedcache.core.engine.KeyspaceEngine.KEEP_TTL;
import static io.distributedcache.core.engine.KeyspaceEngine.NO_TTL;
import static io.distributedcache.core.engine.KeyspaceEngine.PERSIST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.core.engine.KeyspaceEngine.SetResult;
import io.distributedcache.core.hlc.HybridLogicalClock;
import io.distributedcache.core.storage.KeyEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** String commands, with the examples and edge cases of their Redis documentation pages. */
class KeyspaceEngineStringTest {

  private final EngineFixture f = new EngineFixture();
  private final KeyspaceEngine engine = f.engine;

  @Nested
  class GetAndSet {

    @Test
    void setThenGet() {
      assertThat(engine.get(b("mykey"))).isNull();
      assertThat(engine.set(b("mykey"), b("Hello"), NO_TTL, ALWAYS)).isTrue();
      assertThat(f.get("mykey")).isEqualTo("Hello");
      assertThat(engine.keyspaceHits()).isEqualTo(1);
      assertThat(engine.keyspaceMisses()).isEqualTo(1);
    }

    @Test
    void nxAndXx() {
      assertThat(engine.set(b("k"), b("1"), NO_TTL, IF_PRESENT)).isFalse();
      assertThat(engine.get(b("k"))).isNull();
      assertThat(engine.set(b("k"), b("1"), NO_TTL, IF_ABSENT)).isTrue();
      assertThat(engine.set(b("k"), b("2"), NO_TTL, IF_ABSENT)).isFalse();
      assertThat(f.get("k")).isEqualTo("1");
      assertThat(engine.set(b("k"), b("3"), NO_TTL, IF_PRESENT)).isTrue();
      assertThat(f.get("k")).isEqualTo("3");
    }

    @Test
    void nxSucceedsOnAnExpiredOrDeletedKey() {
      f.setWithTtl("k", "old", Duration.ofSeconds(1));
      f.clock.advance(Duration.ofSeconds(1));
      assertThat(engine.set(b("k"), b("new"), NO_TTL, IF_ABSENT)).isTrue();
      engine.delete(args("k"), 0);
      assertThat(engine.set(b("k"), b("again"), NO_TTL, IF_ABSENT)).isTrue();
      assertThat(f.get("k")).isEqualTo("again");
    }

    @Test
    void ttlVariants() {
      engine.set(b("k"), b("v"), 10 * SECOND_NANOS, ALWAYS);
      assertThat(engine.ttlNanos(b("k"))).isEqualTo(10 * SECOND_NANOS);
      engine.set(b("k"), b("v2"), KEEP_TTL, ALWAYS);
      assertThat(engine.ttlNanos(b("k"))).isEqualTo(10 * SECOND_NANOS);
      assertThat(f.get("k")).isEqualTo("v2");
      engine.set(b("k"), b("v3"), NO_TTL, ALWAYS);
      assertThat(engine.ttlNanos(b("k"))).isEqualTo(-1);
      engine.set(b("fresh"), b("v"), KEEP_TTL, ALWAYS);
      assertThat(engine.ttlNanos(b("fresh"))).isEqualTo(-1);
    }

    @Test
    void aTtlOfZeroMeansAlreadyExpiredAndDeletesTheKey() {
      f.set("k", "v");
      assertThat(engine.set(b("k"), b("new"), 0, ALWAYS)).isTrue();
      assertThat(engine.get(b("k"))).isNull();
      assertThat(engine.dbSize()).isZero();
      assertThat(engine.set(b("absent"), b("new"), 0, ALWAYS)).isTrue();
      assertThat(engine.get(b("absent"))).isNull();
      f.set("k2", "v");
      assertThat(engine.set(b("k2"), b("new"), 0, IF_ABSENT)).isFalse();
      assertThat(f.get("k2")).isEqualTo("v");
    }

    @Test
    void setAndGetReturnsThePreviousValue() {
      SetResult first = engine.setAndGet(b("k"), b("1"), NO_TTL, ALWAYS);
      assertThat(first.applied()).isTrue();
      assertThat(first.previous()).isNull();
      SetResult second = engine.setAndGet(b("k"), b("2"), NO_TTL, ALWAYS);
      assertThat(s(second.previous())).isEqualTo("1");
      // SET NX GET (Redis 7): not applied, old value returned.
      SetResult third = engine.setAndGet(b("k"), b("3"), NO_TTL, IF_ABSENT);
      assertThat(third.applied()).isFalse();
      assertThat(s(third.previous())).isEqualTo("2");
      assertThat(f.get("k")).isEqualTo("2");
      SetResult fourth = engine.setAndGet(b("none"), b("3"), NO_TTL, IF_PRESENT);
      assertThat(fourth.applied()).isFalse();
      assertThat(fourth.previous()).isNull();
    }

    @Test
    void getsetClearsTheTtl() {
      f.setWithTtl("k", "1", Duration.ofSeconds(5));
      assertThat(s(engine.setAndGet(b("k"), b("2"), NO_TTL, ALWAYS).previous())).isEqualTo("1");
      assertThat(engine.ttlNanos(b("k"))).isEqualTo(-1);
    }

    @Test
    void everyWriteStampsAFreshVersionAndNoOpsDoNot() {
      f.set("k", "1");
      long v1 = f.version("k");
      f.set("k", "2");
      long v2 = f.version("k");
      assertThat(HybridLogicalClock.compare(v2, v1)).isPositive();
      engine.set(b("k"), b("3"), NO_TTL, IF_ABSENT);
      assertThat(f.version("k")).isEqualTo(v2);
      engine.persist(b("k"));
      assertThat(f.version("k")).isEqualTo(v2);
      assertThat(HybridLogicalClock.nodeIndex(v2)).isEqualTo(1);
    }

    @Test
    void rejectsUnknownTtlFlags() {
      assertThatThrownBy(() -> engine.set(b("k"), b("v"), PERSIST, ALWAYS))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> engine.set(b("k"), b("v"), -7, ALWAYS))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void writesPublishEvents() {
      List<String> events = new ArrayList<>();
      try (var sub = f.storage.subscribe((e, k) -> events.add(e + " " + s(k.bytes())))) {
        f.set("k", "v");
        engine.delete(args("k", "missing"), 0);
        f.setWithTtl("t", "v", Duration.ofSeconds(1));
        f.clock.advance(Duration.ofSeconds(1));
        f.storage.runMaintenance();
      }
      assertThat(events).containsExactly("WRITTEN k", "DELETED k", "WRITTEN t", "EXPIRED t");
      assertThat(KeyEvent.values()).hasSize(4);
    }
  }

  @Nested
  class GetDelAndGetEx {

    @Test
    void getDel() {
      f.set("mykey", "Hello");
      assertThat(s(engine.getDel(b("mykey")))).isEqualTo("Hello");
      assertThat(engine.getDel(b("mykey"))).isNull();
      assertThat(engine.get(b("mykey"))).isNull();
    }

    @Test
    void getExWithoutOptionsChangesNothing() {
      f.setWithTtl("k", "v", Duration.ofSeconds(10));
      assertThat(s(engine.getEx(b("k"), KEEP_TTL))).isEqualTo("v");
      assertThat(engine.ttlNanos(b("k"))).isEqualTo(10 * SECOND_NANOS);
    }

    @Test
    void getExSetsAndRemovesTheTtl() {
      f.set("mykey", "Hello");
      assertThat(s(engine.getEx(b("mykey"), 60 * SECOND_NANOS))).isEqualTo("Hello");
      assertThat(engine.ttlNanos(b("mykey"))).isEqualTo(60 * SECOND_NANOS);
      assertThat(s(engine.getEx(b("mykey"), PERSIST))).isEqualTo("Hello");
      assertThat(engine.ttlNanos(b("mykey"))).isEqualTo(-1);
    }

    @Test
    void getExWithAPastTimeDeletesAfterReading() {
      f.set("k", "v");
      assertThat(
              s(
                  engine.getEx(
                      b("k"), engine.ttlFromUnixMillis(EngineFixture.WALL_START_MILLIS - 1))))
          .isEqualTo("v");
      assertThat(engine.get(b("k"))).isNull();
    }

    @Test
    void getExOnAnAbsentKey() {
      assertThat(engine.getEx(b("none"), PERSIST)).isNull();
      assertThat(engine.getEx(b("none"), SECOND_NANOS)).isNull();
      assertThat(engine.getEx(b("none"), 0)).isNull();
      assertThat(engine.dbSize()).isZero();
      assertThatThrownBy(() -> engine.getEx(b("none"), NO_TTL))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Nested
  class MultiKey {

    @Test
    void mgetFromAnIndex() {
      f.set("key1", "Hello");
      f.set("key2", "World");
      byte[][] values = engine.mget(args("MGET", "key1", "key2", "nonexisting"), 1);
      assertThat(values.length).isEqualTo(3);
      assertThat(s(values[0])).isEqualTo("Hello");
      assertThat(s(values[1])).isEqualTo("World");
      assertThat(values[2]).isNull();
    }

    @Test
    void msetSetsAllAndClearsTtls() {
      f.setWithTtl("key1", "old", Duration.ofSeconds(5));
      engine.mset(args("MSET", "key1", "Hello", "key2", "World"), 1);
      assertThat(f.get("key1")).isEqualTo("Hello");
      assertThat(f.get("key2")).isEqualTo("World");
      assertThat(engine.ttlNanos(b("key1"))).isEqualTo(-1);
      engine.mset(args("k", "1", "k", "2"), 0);
      assertThat(f.get("k")).isEqualTo("2");
    }

    @Test
    void msetRejectsOddArguments() {
      assertThatThrownBy(() -> engine.mset(args("MSET", "k"), 1))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR wrong number of arguments for 'mset' command");
      assertThatThrownBy(() -> engine.msetnx(args("MSETNX"), 1))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR wrong number of arguments for 'msetnx' command");
    }

    @Test
    void msetnxIsAllOrNothing() {
      assertThat(engine.msetnx(args("key1", "Hello", "key2", "there"), 0)).isTrue();
      assertThat(engine.msetnx(args("key2", "new", "key3", "world"), 0)).isFalse();
      byte[][] values = engine.mget(args("key1", "key2", "key3"), 0);
      assertThat(java.util.Arrays.stream(values).map(EngineFixture::s).toList())
          .containsExactly("Hello", "there", null);
    }
  }

  @Nested
  class Editing {

    @Test
    void appendCreatesAndExtends() {
      assertThat(engine.exists(args("mykey"), 0)).isZero();
      assertThat(engine.append(b("mykey"), b("Hello"))).isEqualTo(5);
      assertThat(engine.append(b("mykey"), b(" World"))).isEqualTo(11);
      assertThat(f.get("mykey")).isEqualTo("Hello World");
      assertThat(engine.append(b("empty"), b(""))).isZero();
      assertThat(engine.exists(args("empty"), 0)).isEqualTo(1);
    }

    @Test
    void appendKeepsTheTtlAndNeverTouchesTheOldArray() {
      f.setWithTtl("k", "abc", Duration.ofSeconds(9));
      byte[] before = engine.get(b("k"));
      engine.append(b("k"), b("def"));
      assertThat(s(before)).isEqualTo("abc");
      assertThat(engine.ttlNanos(b("k"))).isEqualTo(9 * SECOND_NANOS);
    }

    @Test
    void appendRespectsTheMaximumSize() {
      engine.setMaxStringBytes(8);
      f.set("k", "12345");
      assertThatThrownBy(() -> engine.append(b("k"), b("6789")))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
      assertThat(f.get("k")).isEqualTo("12345");
      assertThat(engine.append(b("k"), b("678"))).isEqualTo(8);
    }

    @Test
    void strlen() {
      f.set("mykey", "Hello world");
      assertThat(engine.strlen(b("mykey"))).isEqualTo(11);
      assertThat(engine.strlen(b("nonexisting"))).isZero();
    }

    @Test
    void getRangeDocumentationExamples() {
      f.set("mykey", "This is a string");
      assertThat(s(engine.getRange(b("mykey"), 0, 3))).isEqualTo("This");
      assertThat(s(engine.getRange(b("mykey"), -3, -1))).isEqualTo("ing");
      assertThat(s(engine.getRange(b("mykey"), 0, -1))).isEqualTo("This is a string");
      assertThat(s(engine.getRange(b("mykey"), 10, 100))).isEqualTo("string");
    }

    @Test
    void getRangeEdges() {
      f.set("k", "Hello");
      assertThat(engine.getRange(b("k"), 3, 2)).isEmpty();
      assertThat(engine.getRange(b("k"), -1, -5)).isEmpty();
      assertThat(s(engine.getRange(b("k"), -100, 1))).isEqualTo("He");
      assertThat(s(engine.getRange(b("k"), -100, -100))).isEqualTo("H");
      assertThat(engine.getRange(b("k"), 5, 10)).isEmpty();
      assertThat(s(engine.getRange(b("k"), Long.MIN_VALUE, Long.MAX_VALUE))).isEqualTo("Hello");
      assertThat(engine.getRange(b("absent"), 0, -1)).isEmpty();
      f.set("empty", "");
      assertThat(engine.getRange(b("empty"), 0, -1)).isEmpty();
    }

    @Test
    void setRangeDocumentationExamples() {
      f.set("key1", "Hello World");
      assertThat(engine.setRange(b("key1"), 6, b("Redis"))).isEqualTo(11);
      assertThat(f.get("key1")).isEqualTo("Hello Redis");
      assertThat(engine.setRange(b("key2"), 6, b("Redis"))).isEqualTo(11);
      assertThat(engine.get(b("key2")))
          .isEqualTo(new byte[] {0, 0, 0, 0, 0, 0, 'R', 'e', 'd', 'i', 's'});
    }

    @Test
    void setRangeEdges() {
      assertThat(engine.setRange(b("absent"), 100, b(""))).isZero();
      assertThat(engine.exists(args("absent"), 0)).isZero();
      f.setWithTtl("k", "abc", Duration.ofSeconds(3));
      assertThat(engine.setRange(b("k"), 100, b(""))).isEqualTo(3);
      assertThat(engine.setRange(b("k"), 1, b("X"))).isEqualTo(3);
      assertThat(f.get("k")).isEqualTo("aXc");
      assertThat(engine.ttlNanos(b("k"))).isEqualTo(3 * SECOND_NANOS);
      assertThatThrownBy(() -> engine.setRange(b("k"), -1, b("x")))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR offset is out of range");
      assertThatThrownBy(
              () -> engine.setRange(b("k"), KeyspaceEngine.DEFAULT_MAX_STRING_BYTES, b("x")))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
      assertThatThrownBy(() -> engine.setRange(b("new"), Long.MAX_VALUE, b("x")))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
      assertThat(engine.exists(args("new"), 0)).isZero();
    }
  }

  @Nested
  class Counters {

    @Test
    void incrDocumentationExample() {
      f.set("mykey", "10");
      assertThat(engine.incrBy(b("mykey"), 1)).isEqualTo(11);
      assertThat(f.get("mykey")).isEqualTo("11");
      assertThat(engine.incrBy(b("new"), 5)).isEqualTo(5);
      assertThat(engine.decrBy(b("new"), 7)).isEqualTo(-2);
    }

    @Test
    void incrRejectsNonIntegers() {
      for (String bad :
          new String[] {"abc", "1.5", " 1", "+1", "01", "-0", "", "9223372036854775808"}) {
        f.set("k", bad);
        assertThatThrownBy(() -> engine.incrBy(b("k"), 1))
            .as(bad)
            .isInstanceOf(CommandException.class)
            .hasMessage("ERR value is not an integer or out of range");
        assertThat(f.get("k")).isEqualTo(bad);
      }
    }

    @Test
    void incrDetectsOverflow() {
      f.set("k", "9223372036854775807");
      assertThatThrownBy(() -> engine.incrBy(b("k"), 1))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR increment or decrement would overflow");
      f.set("k", "-9223372036854775808");
      assertThatThrownBy(() -> engine.incrBy(b("k"), -1))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR increment or decrement would overflow");
      assertThat(engine.incrBy(b("k"), Long.MAX_VALUE)).isEqualTo(-1);
      assertThatThrownBy(() -> engine.decrBy(b("k"), Long.MIN_VALUE))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR decrement would overflow");
    }

    @Test
    void incrKeepsTheTtl() {
      f.setWithTtl("k", "1", Duration.ofSeconds(30));
      engine.incrBy(b("k"), 1);
      assertThat(engine.ttlNanos(b("k"))).isEqualTo(30 * SECOND_NANOS);
    }

    @Test
    void incrByFloatDocumentationExamples() {
      f.set("mykey", "10.50");
      assertThat(s(engine.incrByFloat(b("mykey"), 0.1))).isEqualTo("10.6");
      assertThat(s(engine.incrByFloat(b("mykey"), -5))).isEqualTo("5.6");
      f.set("mykey", "5.0e3");
      assertThat(s(engine.incrByFloat(b("mykey"), 2.0e2))).isEqualTo("5200");
      assertThat(f.get("mykey")).isEqualTo("5200");
    }

    @Test
    void incrByFloatEdges() {
      assertThat(s(engine.incrByFloat(b("new"), 3.0))).isEqualTo("3");
      assertThat(s(engine.incrByFloat(b("new"), 1.1))).isEqualTo("4.1");
      f.set("k", "abc");
      assertThatThrownBy(() -> engine.incrByFloat(b("k"), 1))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR value is not a valid float");
      assertThatThrownBy(() -> engine.incrByFloat(b("new"), Double.POSITIVE_INFINITY))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR increment would produce NaN or Infinity");
      f.setWithTtl("t", "1", Duration.ofSeconds(4));
      engine.incrByFloat(b("t"), 0.5);
      assertThat(engine.ttlNanos(b("t"))).isEqualTo(4 * SECOND_NANOS);
    }
  }
}
