package io.distributedcache.faultlab.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.faultlab.history.Op;
import org.junit.jupiter.api.Test;

class SessionGuaranteesTest {

  private final SessionGuarantees checker = new SessionGuarantees(CheckOptions.defaults());

  @Test
  void readingOwnWriteOrANewerOneIsValid() {
    HistoryBuilder h = new HistoryBuilder()
        .write(1, "k", "a", 0, 10)
        .read(1, "k", "a", 20, 30)
        .write(2, "k", "b", 5, 15)
        .read(1, "k", "b", 40, 50);

    CheckResult result = checker.check(h.build());

    assertThat(result.valid()).as("%s", result).isTrue();
    assertThat(result.opsChecked()).isEqualTo(2);
  }

  @Test
  void readingAValueOlderThanOwnWriteIsAViolation() {
    HistoryBuilder h = new HistoryBuilder()
        .write(2, "k", "x", 0, 5)
        .write(1, "k", "a", 10, 20)
        .read(1, "k", "x", 30, 40);

    CheckResult result = checker.check(h.build());

    assertThat(result.violations()).singleElement().asString()
        .startsWith("read-your-writes")
        .contains("read 'k' -> 'x' [#4/#5", "write 'k' 'x' [#0/#1", "write 'k' 'a' [#2/#3");
  }

  @Test
  void readingAbsentAfterOwnWriteIsAViolation() {
    HistoryBuilder h = new HistoryBuilder()
        .write(1, "k", "a", 0, 10)
        .read(1, "k", null, 20, 30);

    assertThat(checker.check(h.build()).valid()).isFalse();
  }

  @Test
  void ownWriteStillInFlightImposesNothing() {
    HistoryBuilder h = new HistoryBuilder()
        .op(1, Call.WRITE, "k", "a", 0, null, Op.Type.INFO, 0, 10)
        .session(3, 1)
        .read(3, "k", null, 20, 30);

    assertThat(checker.check(h.build()).valid()).isTrue();
  }

  @Test
  void goingBackToAnOverwrittenValueIsAViolation() {
    HistoryBuilder h = new HistoryBuilder()
        .write(2, "k", "x", 0, 5)
        .write(3, "k", "y", 10, 15)
        .read(1, "k", "y", 20, 25)
        .read(1, "k", "x", 30, 35);

    CheckResult result = checker.check(h.build());

    assertThat(result.violations()).singleElement().asString().startsWith("monotonic reads");
  }

  @Test
  void goingBackToAbsentIsAViolation() {
    HistoryBuilder h = new HistoryBuilder()
        .write(2, "k", "x", 0, 5)
        .read(1, "k", "x", 20, 25)
        .read(1, "k", null, 30, 35);

    assertThat(checker.check(h.build()).valid()).isFalse();
  }

  @Test
  void concurrentWritesMayBeSeenInEitherOrder() {
    // Not linearizable (a register settles), but no session guarantee orders x and y.
    HistoryBuilder h = new HistoryBuilder()
        .write(2, "k", "x", 0, 20)
        .write(3, "k", "y", 0, 20)
        .read(1, "k", "y", 25, 30)
        .read(1, "k", "x", 35, 40);

    assertThat(checker.check(h.build()).valid()).isTrue();
  }

  @Test
  void otherSessionsMayReadOlderValues() {
    HistoryBuilder h = new HistoryBuilder()
        .write(2, "k", "x", 0, 5)
        .write(1, "k", "a", 10, 20)
        .read(3, "k", "x", 30, 40)
        .read(4, "k", "a", 30, 40)
        .read(5, "k", "x", 50, 60);

    assertThat(checker.check(h.build()).valid()).isTrue();
  }

  @Test
  void sessionSpansTheProcessesThatTakeItOverUnlessConfiguredPerProcess() {
    HistoryBuilder h = new HistoryBuilder()
        .write(1, "k", "a", 0, 10)
        .op(1, Call.READ, "k", null, 0, null, Op.Type.INFO, 20, 30)
        .session(2, 1)
        .read(2, "k", null, 40, 50);
    SessionGuarantees perProcess =
        new SessionGuarantees(CheckOptions.defaults().withSessionsSpanReconnects(false));

    assertThat(checker.check(h.build()).valid()).isFalse();
    assertThat(perProcess.check(h.build()).valid()).isTrue();
  }

  @Test
  void ambiguousValuesAndTtlKeysAreNotChecked() {
    HistoryBuilder h = new HistoryBuilder()
        .write(2, "k", "x", 0, 5)
        .write(3, "k", "x", 6, 7)
        .write(1, "k", "a", 10, 20)
        .read(1, "k", "x", 30, 40)
        .writeTtl(1, "t", "b", 10, 50, 60)
        .read(1, "t", null, 100, 110);

    assertThat(checker.check(h.build()).valid()).isTrue();
  }
}
