package io.distributedcache.core.storage;

import static io.distributedcache.core.storage.VersionedValue.NO_DEADLINE;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VersionedValueTest {

  @Test
  void livenessIsValueAndDeadline() {
    VersionedValue v = new VersionedValue(new byte[] {1}, 5, 100);
    assertThat(v.isLive(99)).isTrue();
    assertThat(v.isLive(100)).isFalse();
    assertThat(v.hasDeadline()).isTrue();
    assertThat(v.remainingNanos(40)).isEqualTo(60);
    assertThat(v.remainingNanos(140)).isZero();
    VersionedValue forever = VersionedValue.of(new byte[0], 1);
    assertThat(forever.isLive(Long.MAX_VALUE - 1)).isTrue();
    assertThat(forever.remainingNanos(0)).isEqualTo(Long.MAX_VALUE);
    VersionedValue tombstone = VersionedValue.tombstone(9, 100);
    assertThat(tombstone.isTombstone()).isTrue();
    assertThat(tombstone.isLive(0)).isFalse();
  }

  @Test
  void deadlinesSaturateInsteadOfWrapping() {
    assertThat(VersionedValue.deadlineAfter(10, 5)).isEqualTo(15);
    assertThat(VersionedValue.deadlineAfter(Long.MAX_VALUE - 10, 100)).isEqualTo(NO_DEADLINE - 1);
    assertThat(VersionedValue.deadlineAfter(0, Long.MAX_VALUE)).isEqualTo(NO_DEADLINE - 1);
    assertThat(VersionedValue.deadlineAfter(Long.MIN_VALUE + 1, -5)).isEqualTo(Long.MIN_VALUE);
    assertThat(new VersionedValue(new byte[0], 0, Long.MAX_VALUE - 1).remainingNanos(-10))
        .isEqualTo(Long.MAX_VALUE);
  }
}
