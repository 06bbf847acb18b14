package io.distributedcache.core.engine;

import static io.distributedcache.core.engine.EngineFixture.SECOND_NANOS;
import static io.distributedcache.core.engine.EngineFixture.WALL_START_MILLIS;
import static io.distributedcache.core.engine.EngineFixture.args;
import static io.distributedcache.core.engine.EngineFixture.b;
import static io.distributedcache.core.engine.EngineFixture.s;
import static io.distributedcache.core.engine.KeyspaceEngine.ExpireCondition.ALWAYS;
import static io.distributedcache.core.engine.KeyspaceEngine.ExpireCondition.XX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.core.engine.KeyspaceEngine.ExpireCondition;
import io.distributedcache.core.engine.KeyspaceEngine.ScanResult;
import io.distributedcache.core.keyspace.Slots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Keyspace commands, with the examples and edge cases of their Redis documentation pages. */
class KeyspaceEngineKeyspaceTest {

  private final EngineFixture f = new EngineFixture();
  private final KeyspaceEngine engine = f.engine;

  private static List<String> strings(List<byte[]> keys) {
    List<String> result = new ArrayList<>();
    for (byte[] key : keys) {
      result.add(s(key));
    }
    return result;
  }

  @Nested
  class DeleteExistsType {

    @Test
    void delCountsKeysThatExisted() {
      f.set("key1", "Hello");
      f.set("key2", "World");
      assertThat(engine.delete(args("DEL", "key1", "key2", "key3"), 1)).isEqualTo(2);
      assertThat(engine.delete(args("k", "k"), 0)).isZero();
      f.set("k", "v");
      assertThat(engine.delete(args("k", "k"), 0)).isEqualTo(1);
      assertThat(f.storage.tombstones()).isEqualTo(3);
    }

    /**
     * A copy elsewhere may outlive this node's by a transit: deleting a key that has just expired
     * here must still leave a newer delete, or that copy would satisfy a read after the DEL.
     */
    @Test
    void delOfAKeyThatJustExpiredStampsANewerDelete() {
      f.setWithTtl("t", "v", java.time.Duration.ofSeconds(1));
      long written = f.storage.getRaw(io.distributedcache.core.storage.ByteKey.of("t")).version();
      f.clock.advance(java.time.Duration.ofMillis(1001));
      assertThat(engine.delete(args("DEL", "t"), 1)).isZero();
      var raw = f.storage.getRaw(io.distributedcache.core.storage.ByteKey.of("t"));
      assertThat(raw.isTombstone()).isTrue();
      assertThat(raw.version()).isGreaterThan(written);
      // A key never written leaves nothing behind.
      assertThat(engine.delete(args("DEL", "never"), 1)).isZero();
      assertThat(f.storage.getRaw(io.distributedcache.core.storage.ByteKey.of("never"))).isNull();
    }

    @Test
    void existsCountsRepeats() {
      f.set("key1", "Hello");
      assertThat(engine.exists(args("key1"), 0)).isEqualTo(1);
      assertThat(engine.exists(args("nosuchkey"), 0)).isZero();
      f.set("key2", "World");
      assertThat(engine.exists(args("EXISTS", "key1", "key2", "nosuchkey"), 1)).isEqualTo(2);
      assertThat(engine.exists(args("key1", "key1"), 0)).isEqualTo(2);
    }

    @Test
    void type() {
      f.set("key1", "value");
      assertThat(engine.type(b("key1"))).isEqualTo("string");
      assertThat(engine.type(b("nothing"))).isEqualTo("none");
    }

    @Test
    void badFromIsACallerBug() {
      assertThatThrownBy(() -> engine.exists(args("a"), 2))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Nested
  class Rename {

    @Test
    void renameMovesValueAndTtl() {
      f.setWithTtl("mykey", "Hello", Duration.ofSeconds(20));
      f.set("myotherkey", "old");
      engine.rename(b("mykey"), b("myotherkey"));
      assertThat(f.get("myotherkey")).isEqualTo("Hello");
      assertThat(engine.exists(args("mykey"), 0)).isZero();
      assertThat(engine.ttlNanos(b("myotherkey"))).isEqualTo(20 * SECOND_NANOS);
    }

    @Test
    void renameReplacesTheDestinationTtl() {
      f.set("src", "v");
      f.setWithTtl("dst", "old", Duration.ofSeconds(5));
      engine.rename(b("src"), b("dst"));
      assertThat(engine.ttlNanos(b("dst"))).isEqualTo(-1);
    }

    @Test
    void renameOfAMissingKeyFails() {
      assertThatThrownBy(() -> engine.rename(b("none"), b("x")))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR no such key");
      assertThatThrownBy(() -> engine.renameNx(b("none"), b("x")))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR no such key");
      assertThatThrownBy(() -> engine.rename(b("none"), b("none")))
          .isInstanceOf(CommandException.class);
    }

    @Test
    void renameToItself() {
      f.set("k", "v");
      engine.rename(b("k"), b("k"));
      assertThat(f.get("k")).isEqualTo("v");
      assertThat(engine.renameNx(b("k"), b("k"))).isFalse();
    }

    @Test
    void renameNx() {
      f.set("mykey", "Hello");
      f.set("myotherkey", "World");
      assertThat(engine.renameNx(b("mykey"), b("myotherkey"))).isFalse();
      assertThat(f.get("myotherkey")).isEqualTo("World");
      assertThat(engine.renameNx(b("mykey"), b("free"))).isTrue();
      assertThat(f.get("free")).isEqualTo("Hello");
      assertThat(engine.get(b("mykey"))).isNull();
    }
  }

  @Nested
  class Expiry {

    @Test
    void expireThenTtl() {
      f.set("mykey", "Hello");
      assertThat(engine.expire(b("mykey"), 10 * SECOND_NANOS, ALWAYS)).isTrue();
      assertThat(engine.ttlNanos(b("mykey"))).isEqualTo(10 * SECOND_NANOS);
      f.set("mykey", "Hello World");
      assertThat(engine.ttlNanos(b("mykey"))).isEqualTo(-1);
      assertThat(engine.expire(b("absent"), SECOND_NANOS, ALWAYS)).isFalse();
      assertThat(engine.ttlNanos(b("absent"))).isEqualTo(-2);
    }

    /**
     * Redis 7 EXPIRE options; "none" is a key without TTL, "10s" a key with 10 s left; the new TTL
     * is 5 s or 20 s.
     */
    @ParameterizedTest(name = "{0} on {1} with {2}s -> {3}")
    @CsvSource({
      "NX,none,5,true",
      "NX,10s,5,false",
      "XX,none,5,false",
      "XX,10s,5,true",
      "GT,none,20,false",
      "GT,10s,5,false",
      "GT,10s,20,true",
      "LT,none,20,true",
      "LT,10s,5,true",
      "LT,10s,20,false",
      "XX_LT,none,5,false",
      "XX_LT,10s,5,true",
      "XX_LT,10s,20,false",
      "ALWAYS,none,5,true",
      "ALWAYS,10s,20,true",
    })
    void expireConditions(
        ExpireCondition condition, String current, int newSeconds, boolean applies) {
      if (current.equals("none")) {
        f.set("k", "v");
      } else {
        f.setWithTtl("k", "v", Duration.ofSeconds(10));
      }
      long before = engine.ttlNanos(b("k"));
      assertThat(engine.expire(b("k"), newSeconds * SECOND_NANOS, condition)).isEqualTo(applies);
      assertThat(engine.ttlNanos(b("k"))).isEqualTo(applies ? newSeconds * SECOND_NANOS : before);
    }

    @Test
    void aNonPositiveTtlDeletesTheKey() {
      f.set("a", "v");
      f.set("b", "v");
      assertThat(engine.expire(b("a"), 0, ALWAYS)).isTrue();
      assertThat(engine.expire(b("b"), -5 * SECOND_NANOS, ALWAYS)).isTrue();
      assertThat(engine.dbSize()).isZero();
      f.set("c", "v");
      assertThat(engine.expire(b("c"), 0, XX)).as("condition fails first").isFalse();
      assertThat(f.get("c")).isEqualTo("v");
      assertThat(engine.expire(b("gone"), 0, ALWAYS)).isFalse();
    }

    @Test
    void expireAtInThePastDeletesTheKey() {
      f.set("k", "v");
      long ttl = engine.ttlFromUnixMillis(WALL_START_MILLIS - 1000);
      assertThat(ttl).isZero();
      assertThat(engine.expire(b("k"), ttl, ALWAYS)).isTrue();
      assertThat(engine.get(b("k"))).isNull();
    }

    @Test
    void persist() {
      f.setWithTtl("mykey", "Hello", Duration.ofSeconds(10));
      assertThat(engine.persist(b("mykey"))).isTrue();
      assertThat(engine.ttlNanos(b("mykey"))).isEqualTo(-1);
      assertThat(engine.persist(b("mykey"))).isFalse();
      assertThat(engine.persist(b("absent"))).isFalse();
    }

    @Test
    void expireTime() {
      f.set("mykey", "Hello");
      assertThat(engine.expireTimeUnixMillis(b("mykey"))).isEqualTo(-1);
      assertThat(engine.expireTimeUnixMillis(b("absent"))).isEqualTo(-2);
      long at = WALL_START_MILLIS + 33_177_117_420L; // the documentation's EXPIREAT, relative
      engine.expire(b("mykey"), engine.ttlFromUnixMillis(at), ALWAYS);
      assertThat(engine.expireTimeUnixMillis(b("mykey"))).isEqualTo(at);
      f.clock.advance(Duration.ofMillis(1500));
      assertThat(engine.expireTimeUnixMillis(b("mykey"))).isEqualTo(at);
    }

    @Test
    void ttlFromUnixMillis() {
      assertThat(engine.ttlFromUnixMillis(WALL_START_MILLIS + 1)).isEqualTo(1_000_000);
      assertThat(engine.ttlFromUnixMillis(WALL_START_MILLIS)).isZero();
      assertThat(engine.ttlFromUnixMillis(0)).isZero();
      assertThat(engine.ttlFromUnixMillis(Long.MIN_VALUE)).isZero();
      assertThat(engine.ttlFromUnixMillis(Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aHugeTtlNeverWrapsIntoThePast() {
      f.set("k", "v");
      assertThat(engine.expire(b("k"), Long.MAX_VALUE, ALWAYS)).isTrue();
      assertThat(engine.get(b("k"))).isNotNull();
      assertThat(engine.ttlNanos(b("k"))).isGreaterThan(Long.MAX_VALUE / 2);
    }
  }

  @Nested
  class Listing {

    @Test
    void keysDocumentationExample() {
      engine.mset(args("firstname", "Jack", "lastname", "Stuntman", "age", "35"), 0);
      assertThat(strings(engine.keys(b("*name*"))))
          .containsExactlyInAnyOrder("firstname", "lastname");
      assertThat(strings(engine.keys(b("a??")))).containsExactly("age");
      assertThat(strings(engine.keys(b("*"))))
          .containsExactlyInAnyOrder("firstname", "lastname", "age");
    }

    @Test
    void keysWithALiteralPatternOrEmptyKey() {
      f.set("plain", "v");
      f.set("", "empty key");
      assertThat(strings(engine.keys(b("plain")))).containsExactly("plain");
      assertThat(strings(engine.keys(b("nope")))).isEmpty();
      assertThat(strings(engine.keys(b("")))).containsExactly("");
      assertThat(strings(engine.keys(b("*")))).containsExactlyInAnyOrder("plain", "");
    }

    @Test
    void keysSkipsExpired() {
      f.set("a", "v");
      f.setWithTtl("b", "v", Duration.ofSeconds(1));
      f.clock.advance(Duration.ofSeconds(1));
      assertThat(strings(engine.keys(b("*")))).containsExactly("a");
    }

    @Test
    void scanVisitsEveryKeyOnce() {
      Set<String> all = new HashSet<>();
      for (int i = 0; i < 1000; i++) {
        f.set("key:" + i, "v");
        all.add("key:" + i);
      }
      List<String> seen = new ArrayList<>();
      long cursor = 0;
      int calls = 0;
      do {
        ScanResult step = engine.scan(cursor, null, 10, null);
        seen.addAll(strings(step.keys()));
        cursor = step.nextCursor();
        calls++;
      } while (cursor != 0);
      assertThat(seen).hasSize(1000);
      assertThat(new HashSet<>(seen)).isEqualTo(all);
      assertThat(calls).isBetween(60, 110);
    }

    @Test
    void scanWithMatchTypeAndOddCursors() {
      f.set("user:1", "a");
      f.set("user:2", "b");
      f.set("order:1", "c");
      List<String> users = new ArrayList<>();
      long cursor = 0;
      do {
        ScanResult step = engine.scan(cursor, b("user:*"), 1, "STRING");
        users.addAll(strings(step.keys()));
        cursor = step.nextCursor();
      } while (cursor != 0);
      assertThat(users).containsExactlyInAnyOrder("user:1", "user:2");
      ScanResult hashes = engine.scan(0, null, 100, "hash");
      assertThat(hashes.nextCursor()).isZero();
      assertThat(hashes.keys()).isEmpty();
      assertThat(engine.scan(Slots.SLOT_COUNT, null, 10, null).nextCursor()).isZero();
      assertThat(engine.scan(-1, null, 10, null).keys()).isEmpty();
      ScanResult everything = engine.scan(0, b("*"), 0, null);
      assertThat(everything.keys()).hasSize(1);
    }

    /**
     * The SCAN guarantee under churn: keys that exist for the whole iteration come back exactly
     * once; no key comes back twice; keys come back only if they existed at some point.
     */
    @RepeatedTest(10)
    void scanGuaranteesHoldWhileKeysChange(RepetitionInfo repetition) {
      long seed = 0x5CA17L + repetition.getCurrentRepetition();
      Random random = new Random(seed);
      Set<String> stable = new HashSet<>();
      for (int i = 0; i < 500; i++) {
        f.set("stable:" + i, "v");
        stable.add("stable:" + i);
      }
      Set<String> everExisted = new HashSet<>(stable);
      List<String> seen = new ArrayList<>();
      long cursor = 0;
      do {
        for (int i = 0; i < 5; i++) {
          String churn = "churn:" + random.nextInt(300);
          if (random.nextBoolean()) {
            f.set(churn, "v");
            everExisted.add(churn);
          } else {
            engine.delete(args(churn), 0);
          }
        }
        ScanResult step = engine.scan(cursor, null, 1 + random.nextInt(20), null);
        seen.addAll(strings(step.keys()));
        cursor = step.nextCursor();
      } while (cursor != 0);
      assertThat(seen).as("seed=" + seed).doesNotHaveDuplicates();
      assertThat(seen).as("seed=" + seed).containsAll(stable);
      assertThat(everExisted).as("seed=" + seed).containsAll(seen);
    }

    @Test
    void randomKeyDbSizeFlushAll() {
      assertThat(engine.randomKey()).isNull();
      f.set("a", "1");
      f.set("b", "2");
      assertThat(s(engine.randomKey())).isIn("a", "b");
      assertThat(engine.dbSize()).isEqualTo(2);
      engine.flushAll();
      assertThat(engine.dbSize()).isZero();
      assertThat(engine.randomKey()).isNull();
      assertThat(engine.get(b("a"))).isNull();
    }

    @Test
    void clusterSlotCommands() {
      f.set("{user1000}.following", "1");
      f.set("{user1000}.followers", "2");
      f.set("other", "3");
      assertThat(engine.countKeysInSlot(3443)).isEqualTo(2);
      assertThat(strings(engine.getKeysInSlot(3443, 10)))
          .containsExactlyInAnyOrder("{user1000}.following", "{user1000}.followers");
      assertThat(engine.getKeysInSlot(3443, 1)).hasSize(1);
      assertThat(engine.getKeysInSlot(3443, 0)).isEmpty();
      assertThatThrownBy(() -> engine.countKeysInSlot(16384))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR Invalid slot");
      assertThatThrownBy(() -> engine.getKeysInSlot(-1, 1))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR Invalid slot or number of keys");
      assertThatThrownBy(() -> engine.getKeysInSlot(0, -1))
          .isInstanceOf(CommandException.class)
          .hasMessage("ERR Invalid slot or number of keys");
    }
  }
}
