package io.distributedcache.core.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ManualClockTest {

  @Test
  void startsWhereItIsTold() {
    ManualClock clock = new ManualClock(42, 1_700_000_000_000L);
    assertThat(clock.read()).isEqualTo(42);
    assertThat(clock.currentTimeMillis()).isEqualTo(1_700_000_000_000L);
  }

  @Test
  void advanceMovesBothClocks() {
    ManualClock clock = new ManualClock(0, 1_000);
    clock.advance(Duration.ofMillis(1500));
    assertThat(clock.read()).isEqualTo(1_500_000_000L);
    assertThat(clock.currentTimeMillis()).isEqualTo(2_500);
  }

  @Test
  void subMillisecondAdvancesAddUpOnTheWallClock() {
    ManualClock clock = new ManualClock(0, 1_000);
    for (int i = 0; i < 4; i++) {
      clock.advance(Duration.ofNanos(250_000));
    }
    assertThat(clock.currentTimeMillis()).isEqualTo(1_001);
  }

  @Test
  void wallClockStepsLeaveTheTickerAlone() {
    ManualClock clock = new ManualClock(7, 1_000_000);
    clock.stepWallClock(Duration.ofHours(-3));
    assertThat(clock.read()).isEqualTo(7);
    assertThat(clock.currentTimeMillis()).isEqualTo(1_000_000 - Duration.ofHours(3).toMillis());
    clock.setWallClockMillis(5);
    assertThat(clock.read()).isEqualTo(7);
    assertThat(clock.currentTimeMillis()).isEqualTo(5);
  }

  @Test
  void theTickerNeverGoesBackwards() {
    ManualClock clock = new ManualClock(0, 0);
    assertThatThrownBy(() -> clock.advance(Duration.ofNanos(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
