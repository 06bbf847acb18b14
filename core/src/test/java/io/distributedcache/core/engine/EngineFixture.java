package io.distributedcache.core.engine;

import io.distributedcache.core.hlc.HybridLogicalClock;
import io.distributedcache.core.storage.CacheStorage;
import io.distributedcache.core.storage.StorageSettings;
import io.distributedcache.core.time.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;

/** One node's keyspace under a manual clock: what every engine test starts from. */
final class EngineFixture {

  static final long SECOND_NANOS = 1_000_000_000L;
  static final long WALL_START_MILLIS = Instant.parse("2026-11-26T10:00:00Z").toEpochMilli();

  final ManualClock clock = new ManualClock(5_000 * SECOND_NANOS, WALL_START_MILLIS);
  final CacheStorage storage = new CacheStorage(StorageSettings.defaults(), clock);
  final HybridLogicalClock hlc = new HybridLogicalClock(clock, 1, Duration.ofSeconds(60));
  final KeyspaceEngine engine = new KeyspaceEngine(storage, hlc, clock, clock, new Random(42));

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String s(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  static byte[][] args(String... parts) {
    byte[][] result = new byte[parts.length][];
    for (int i = 0; i < parts.length; i++) {
      result[i] = b(parts[i]);
    }
    return result;
  }

  void set(String key, String value) {
    engine.set(b(key), b(value), KeyspaceEngine.NO_TTL, KeyspaceEngine.Condition.ALWAYS);
  }

  void setWithTtl(String key, String value, Duration ttl) {
    engine.set(b(key), b(value), ttl.toNanos(), KeyspaceEngine.Condition.ALWAYS);
  }

  String get(String key) {
    return s(engine.get(b(key)));
  }

  long version(String key) {
    return storage.getLive(io.distributedcache.core.storage.ByteKey.of(key)).version();
  }
}
