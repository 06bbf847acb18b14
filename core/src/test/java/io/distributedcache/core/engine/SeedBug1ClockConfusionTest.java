package io.distributedcache.core.engine;

import static io.distributedcache.core.engine.EngineFixture.SECOND_NANOS;
import static io.distributedcache.core.engine.EngineFixture.WALL_START_MILLIS;
import static io.distributedcache.core.engine.EngineFixture.b;
import static io.distributedcache.core.engine.KeyspaceEngine.Condition.ALWAYS;
import static io.distributedcache.core.engine.KeyspaceEngine.ExpireCondition;
import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.hlc.HybridLogicalClock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Seed bug 1 regression: the prototype computed expiry from the wall clock, so an NTP step or a
 * skewed node expired keys early or kept them late. Here a TTL is a deadline on the monotonic
 * ticker; the wall clock can jump by hours either way and nothing expires a nanosecond early or
 * late.
 */
class SeedBug1ClockConfusionTest {

  private final EngineFixture f = new EngineFixture();
  private final KeyspaceEngine engine = f.engine;

  @Test
  void wallClockStepsDoNotMoveTtls() {
    Map<String, Long> ttls = new LinkedHashMap<>();
    ttls.put("short", 1_500_000_000L); // PX 1500
    ttls.put("minute", 60 * SECOND_NANOS); // EX 60
    ttls.put("hour", 3_600 * SECOND_NANOS); // EX 3600
    ttls.forEach((key, ttl) -> engine.set(b(key), b("v"), ttl, ALWAYS));
    engine.set(b("forever"), b("v"), KeyspaceEngine.NO_TTL, ALWAYS);

    for (Duration step :
        new Duration[] {
          Duration.ofHours(5), Duration.ofHours(-12), Duration.ofHours(30), Duration.ofDays(-400)
        }) {
      f.clock.stepWallClock(step);
      ttls.forEach(
          (key, ttl) ->
              assertThat(engine.ttlNanos(b(key))).as(key + " after " + step).isEqualTo(ttl));
      assertThat(engine.ttlNanos(b("forever"))).isEqualTo(-1);
      f.storage.runMaintenance();
      assertThat(engine.dbSize()).as("after " + step).isEqualTo(4);
    }

    // Each key expires exactly when the ticker reaches its deadline, whatever the wall clock says.
    long elapsed = 0;
    for (Map.Entry<String, Long> entry : ttls.entrySet()) {
      f.clock.advance(Duration.ofNanos(entry.getValue() - 1 - elapsed));
      f.clock.stepWallClock(Duration.ofHours(-7));
      assertThat(engine.get(b(entry.getKey()))).as(entry.getKey() + " one ns early").isNotNull();
      assertThat(engine.ttlNanos(b(entry.getKey()))).isEqualTo(1);
      f.clock.advance(Duration.ofNanos(1));
      f.clock.stepWallClock(Duration.ofHours(9));
      assertThat(engine.get(b(entry.getKey()))).as(entry.getKey() + " at its deadline").isNull();
      assertThat(engine.ttlNanos(b(entry.getKey()))).isEqualTo(-2);
      elapsed = entry.getValue();
    }
    f.storage.runMaintenance();
    assertThat(engine.dbSize()).isEqualTo(1);
    assertThat(f.storage.expirations()).isEqualTo(3);
  }

  /**
   * EXPIREAT/PXAT are converted to a remaining time where the command arrives, using that node's
   * wall clock; after that a wall-clock step changes what EXPIRETIME shows, never when the key
   * expires.
   */
  @Test
  void absoluteExpiryIsConvertedOnArrival() {
    f.set("k", "v");
    long pxat = WALL_START_MILLIS + 5_000;
    long ttl = engine.ttlFromUnixMillis(pxat);
    assertThat(ttl).isEqualTo(5 * SECOND_NANOS);
    assertThat(engine.expire(b("k"), ttl, ExpireCondition.ALWAYS)).isTrue();
    assertThat(engine.expireTimeUnixMillis(b("k"))).isEqualTo(pxat);

    f.clock.stepWallClock(Duration.ofHours(1));
    assertThat(engine.ttlNanos(b("k"))).isEqualTo(5 * SECOND_NANOS);
    assertThat(engine.expireTimeUnixMillis(b("k"))).isEqualTo(pxat + 3_600_000);

    f.clock.advance(Duration.ofMillis(4_999));
    assertThat(engine.get(b("k"))).isNotNull();
    f.clock.advance(Duration.ofMillis(1));
    assertThat(engine.get(b("k"))).isNull();

    // A wall clock that is ahead makes the same absolute time already past on arrival.
    f.set("k2", "v");
    f.clock.setWallClockMillis(pxat + 10_000);
    assertThat(engine.ttlFromUnixMillis(pxat)).isZero();
    assertThat(engine.expire(b("k2"), engine.ttlFromUnixMillis(pxat), ExpireCondition.ALWAYS))
        .isTrue();
    assertThat(engine.get(b("k2"))).isNull();
  }

  /** Versions keep growing when the wall clock steps back, so a later write still wins. */
  @Test
  void versionsIgnoreBackwardSteps() {
    f.set("k", "1");
    long first = f.version("k");
    f.clock.stepWallClock(Duration.ofHours(-3));
    f.set("k", "2");
    assertThat(HybridLogicalClock.compare(f.version("k"), first)).isPositive();
  }
}
