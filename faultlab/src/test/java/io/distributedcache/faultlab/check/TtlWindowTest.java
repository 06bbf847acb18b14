package io.distributedcache.faultlab.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.faultlab.history.Op;
import org.junit.jupiter.api.Test;

/** Times in milliseconds; TTL slack is the default 1000 ms. */
class TtlWindowTest {

  private final TtlWindow checker = new TtlWindow(CheckOptions.defaults());

  @Test
  void valueVisibleWithinTtlPlusSlackAndGoneAfterIsValid() {
    HistoryBuilder h = new HistoryBuilder()
        .writeTtl(1, "k", "a", 3000, 0, 10)
        .read(2, "k", "a", 100, 110)
        .read(2, "k", "a", 3500, 3510)
        .read(2, "k", null, 3600, 3610)
        .finalRead(5, "n2", "k", null, 9000, 9010);

    CheckResult result = checker.check(h.build());

    assertThat(result.valid()).as("%s", result).isTrue();
    assertThat(result.opsChecked()).isEqualTo(5);
  }

  @Test
  void valueVisibleAfterTtlPlusSlackIsAViolation() {
    HistoryBuilder h = new HistoryBuilder()
        .writeTtl(1, "k", "a", 3000, 0, 10)
        .read(2, "k", "a", 4011, 4020);

    assertThat(checker.check(h.build()).violations()).singleElement().asString()
        .startsWith("expired value visible")
        .contains("#2/#3", "4001.0 ms after", "ttl 3000 ms");
  }

  @Test
  void finalReadOfAnExpiredValueIsAViolation() {
    HistoryBuilder h = new HistoryBuilder()
        .writeTtl(1, "k", "a", 3000, 0, 10)
        .finalRead(5, "n3", "k", "a", 60_000, 60_010);

    assertThat(checker.check(h.build()).valid()).isFalse();
  }

  @Test
  void unknownTtlWriteMayBeAppliedLate() {
    HistoryBuilder h = new HistoryBuilder()
        .op(1, Call.WRITE_TTL, "k", "a", 3000, null, Op.Type.INFO, 0, 10)
        .read(2, "k", "a", 60_000, 60_010);

    assertThat(checker.check(h.build()).valid()).isTrue();
  }

  @Test
  void valueGoneBeforeTtlMinusSlackIsAViolation() {
    HistoryBuilder h = new HistoryBuilder()
        .writeTtl(1, "k", "a", 10_000, 0, 10)
        .read(2, "k", null, 5000, 5010);

    assertThat(checker.check(h.build()).violations()).singleElement().asString()
        .startsWith("value gone before its TTL").contains("#2/#3");
  }

  @Test
  void valueGoneNearTheDeadlineIsWithinSlack() {
    HistoryBuilder h = new HistoryBuilder()
        .writeTtl(1, "k", "a", 10_000, 0, 10)
        .read(2, "k", null, 8995, 9005);

    assertThat(checker.check(h.build()).valid()).isTrue();
  }

  @Test
  void readConcurrentWithTheWriteIsNotChecked() {
    HistoryBuilder h = new HistoryBuilder()
        .writeTtl(1, "k", "a", 10_000, 0, 100)
        .read(2, "k", null, 50, 150);

    assertThat(checker.check(h.build()).valid()).isTrue();
  }

  @Test
  void laterWriteMayReplaceTheValue() {
    HistoryBuilder h = new HistoryBuilder()
        .writeTtl(1, "k", "a", 10_000, 0, 10)
        .op(3, Call.WRITE_TTL, "k", "b", 10_000, null, Op.Type.INFO, 50, 60)
        .read(2, "k", "b", 100, 110)
        .read(2, "k", null, 200, 210);

    assertThat(checker.check(h.build()).valid()).isTrue();
  }

  @Test
  void olderWriteReappearingBeforeTheTtlIsAViolation() {
    HistoryBuilder h = new HistoryBuilder()
        .write(3, "k", "x", 0, 5)
        .writeTtl(1, "k", "a", 10_000, 10, 20)
        .read(2, "k", "x", 100, 110);

    assertThat(checker.check(h.build()).violations()).singleElement().asString()
        .startsWith("value replaced before its TTL");
  }

  @Test
  void valueAlsoWrittenWithoutTtlMayStayVisible() {
    HistoryBuilder h = new HistoryBuilder()
        .writeTtl(1, "k", "a", 1000, 0, 10)
        .write(3, "k", "a", 20, 30)
        .read(2, "k", "a", 60_000, 60_010);

    assertThat(checker.check(h.build()).valid()).isTrue();
  }

  @Test
  void slackIsConfigurable() {
    HistoryBuilder h = new HistoryBuilder()
        .writeTtl(1, "k", "a", 3000, 0, 10)
        .read(2, "k", "a", 3100, 3110);
    TtlWindow tight = new TtlWindow(CheckOptions.defaults().withTtlSlackMillis(50));

    assertThat(checker.check(h.build()).valid()).isTrue();
    assertThat(tight.check(h.build()).valid()).isFalse();
  }
}
