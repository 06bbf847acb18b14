package io.distributedcache.faultlab.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.faultlab.history.Op;
import org.junit.jupiter.api.Test;

class CounterBoundsTest {

  private final CounterBounds checker = new CounterBounds();

  private static HistoryBuilder threeIncrements() {
    return new HistoryBuilder()
        .incr(1, "c", 1, 1, 0, 10)
        .incr(2, "c", 1, 2, 20, 30)
        .incr(1, "c", 1, 3, 40, 50);
  }

  @Test
  void exactCounterIsValid() {
    HistoryBuilder h = threeIncrements()
        .finalRead(10, "n1", "c", "3", 100, 110)
        .finalRead(11, "n2", "c", "3", 100, 110);

    CheckResult result = checker.check(h.build());

    assertThat(result.valid()).as("%s", result).isTrue();
    assertThat(result.opsChecked()).isEqualTo(3);
  }

  @Test
  void lostIncrementIsAViolation() {
    HistoryBuilder h = threeIncrements().finalRead(10, "n1", "c", "2", 100, 110);

    assertThat(checker.check(h.build()).violations()).singleElement().asString()
        .contains("counter 'c'", "outside [3, 3]", "#6");
  }

  @Test
  void unknownIncrementsWidenTheFinalWindow() {
    // The window is an interval: 2 is not reachable here but is not reported either (sound,
    // not complete).
    for (String value : new String[] {"0", "1", "3", "4"}) {
      HistoryBuilder h = new HistoryBuilder()
          .incr(1, "c", 1, 1, 0, 10)
          .op(2, Call.INCR, "c", "2", 0, null, Op.Type.INFO, 0, 10)
          .finalRead(10, "n1", "c", value, 100, 110);
      boolean inWindow = value.equals("1") || value.equals("3");
      assertThat(checker.check(h.build()).valid()).as(value).isEqualTo(inWindow);
    }
  }

  @Test
  void negativeUnknownDeltaLowersTheWindow() {
    for (String value : new String[] {"2", "5", "6"}) {
      HistoryBuilder h = new HistoryBuilder()
          .incr(1, "c", 5, 5, 0, 10)
          .op(2, Call.INCR, "c", "-3", 0, null, null, 20, 0)
          .finalRead(10, "n1", "c", value, 100, 110);
      assertThat(checker.check(h.build()).valid()).as(value).isEqualTo(!value.equals("6"));
    }
  }

  @Test
  void failedIncrementNeverCounts() {
    HistoryBuilder h = new HistoryBuilder()
        .incr(1, "c", 1, 1, 0, 10)
        .op(2, Call.INCR, "c", "1", 0, null, Op.Type.FAIL, 20, 30)
        .finalRead(10, "n1", "c", "2", 100, 110);

    assertThat(checker.check(h.build()).valid()).isFalse();
  }

  @Test
  void absentFinalValueIsZero() {
    HistoryBuilder h = new HistoryBuilder()
        .op(2, Call.INCR, "c", "1", 0, null, Op.Type.INFO, 20, 30)
        .finalRead(10, "n1", "c", null, 100, 110);

    assertThat(checker.check(h.build()).valid()).isTrue();
  }

  @Test
  void returnedCountBelowTheIncrementsBeforeItIsAViolation() {
    HistoryBuilder h = new HistoryBuilder()
        .incr(1, "c", 1, 1, 0, 10)
        .incr(2, "c", 1, 1, 20, 30);

    CheckResult result = checker.check(h.build());

    assertThat(result.violations()).anySatisfy(
        v -> assertThat(v).contains("returned 1, outside [2, 2]", "#2/#3"));
    assertThat(result.violations()).anySatisfy(v -> assertThat(v).contains("both returned 1"));
  }

  @Test
  void returnedCountAboveEverythingInvokedSoFarIsAViolation() {
    HistoryBuilder h = new HistoryBuilder()
        .incr(1, "c", 1, 5, 0, 10)
        .incr(2, "c", 1, 6, 20, 30);

    assertThat(checker.check(h.build()).violations()).anySatisfy(
        v -> assertThat(v).contains("returned 5, outside [1, 1]"));
  }

  @Test
  void concurrentIncrementsMayReturnInEitherOrder() {
    HistoryBuilder h = new HistoryBuilder()
        .incr(1, "c", 1, 2, 0, 10)
        .incr(2, "c", 1, 1, 5, 15)
        .op(3, Call.INCR, "c", "1", 0, null, Op.Type.INFO, 12, 20)
        .incr(4, "c", 1, 4, 25, 30)
        .finalRead(10, "n1", "c", "4", 100, 110);

    CheckResult result = checker.check(h.build());

    assertThat(result.valid()).as("%s", result).isTrue();
  }

  @Test
  void incrementsTouchingAtTheSameInstantCountAsConcurrent() {
    HistoryBuilder h = new HistoryBuilder()
        .incr(1, "c", 1, 2, 0, 10)
        .incr(2, "c", 1, 1, 10, 20);

    assertThat(checker.check(h.build()).valid()).isTrue();
  }

  @Test
  void keysWrittenOtherwiseAreSkippedAndBadNumbersRejected() {
    HistoryBuilder mixed = new HistoryBuilder()
        .write(1, "c", "x", 0, 10)
        .incr(2, "c", 1, 99, 20, 30);
    HistoryBuilder notANumber = new HistoryBuilder()
        .op(1, Call.INCR, "c", "one", 0, "1", Op.Type.OK, 0, 10);

    CheckResult result = checker.check(mixed.build());

    assertThat(result.valid()).isTrue();
    assertThat(result.unknown()).isEqualTo(1);
    assertThatThrownBy(() -> checker.check(notANumber.build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("#0");
  }
}
