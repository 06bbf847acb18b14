package io.distributedcache.faultlab.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.faultlab.history.Op;
import org.junit.jupiter.api.Test;

class LinearizabilityTest {

  private final Linearizability checker = new Linearizability(CheckOptions.defaults());

  private CheckResult check(HistoryBuilder h) {
    return checker.check(h.build());
  }

  @Test
  void sequentialReadsOfTheLatestWriteAreLinearizable() {
    HistoryBuilder h = new HistoryBuilder()
        .read(1, "k", null, 0, 5)
        .write(1, "k", "a", 10, 20)
        .read(2, "k", "a", 30, 40)
        .write(2, "k", "b", 50, 60)
        .read(1, "k", "b", 70, 80);

    CheckResult result = check(h);

    assertThat(result.valid()).as("%s", result).isTrue();
    assertThat(result.opsChecked()).isEqualTo(5);
    assertThat(result.unknown()).isZero();
  }

  @Test
  void staleReadIsAViolationThatNamesTheOps() {
    HistoryBuilder h = new HistoryBuilder()
        .write(1, "k", "a", 0, 10)
        .write(2, "k", "b", 20, 30)
        .read(3, "k", "a", 40, 50);

    CheckResult result = check(h);

    assertThat(result.valid()).isFalse();
    assertThat(result.violations()).singleElement().asString()
        .contains("key 'k'", "starting from 'b'", "read 'k' -> 'a' [#4/#5");
  }

  @Test
  void absentAfterAnAcknowledgedWriteIsAViolation() {
    CheckResult result = check(new HistoryBuilder()
        .write(1, "k", "a", 0, 10)
        .read(2, "k", null, 20, 30));

    assertThat(result.valid()).isFalse();
  }

  @Test
  void concurrentReadMaySeeTheOldOrTheNewValue() {
    for (String seen : new String[] {"a", "b"}) {
      CheckResult result = check(new HistoryBuilder()
          .write(1, "k", "a", 0, 10)
          .write(2, "k", "b", 20, 40)
          .read(3, "k", seen, 25, 30));
      assertThat(result.valid()).as("read %s: %s", seen, result).isTrue();
    }
  }

  @Test
  void readsMustAgreeOnTheOrderOfConcurrentWrites() {
    // Both writes overlap both reads' predecessors, but two sequential readers cannot see b, a, b.
    CheckResult result = check(new HistoryBuilder()
        .write(1, "k", "a", 0, 100)
        .write(2, "k", "b", 0, 100)
        .read(3, "k", "b", 10, 20)
        .read(3, "k", "a", 30, 40)
        .read(3, "k", "b", 50, 60));

    assertThat(result.valid()).isFalse();
  }

  @Test
  void equalTimestampsCountAsConcurrent() {
    // b completes at 10 and the read is invoked at 10: the read may come before b.
    CheckResult result = check(new HistoryBuilder()
        .write(1, "k", "a", 0, 5)
        .write(2, "k", "b", 6, 10)
        .read(3, "k", "a", 10, 12));

    assertThat(result.valid()).as("%s", result).isTrue();
  }

  @Test
  void unknownWriteMayTakeEffectLongAfterItsTimeout() {
    HistoryBuilder h = new HistoryBuilder()
        .write(1, "k", "a", 0, 10)
        .op(2, Call.WRITE, "k", "b", 0, null, Op.Type.INFO, 20, 25)
        .read(3, "k", "a", 100, 110)
        .read(3, "k", "b", 200, 210);

    assertThat(check(h).valid()).isTrue();
  }

  @Test
  void unknownWriteMayNeverTakeEffect() {
    HistoryBuilder h = new HistoryBuilder()
        .write(1, "k", "a", 0, 10)
        .op(2, Call.WRITE, "k", "b", 0, null, Op.Type.INFO, 20, 25)
        .op(4, Call.WRITE, "k", "c", 0, null, null, 30, 0)
        .read(3, "k", "a", 100, 110);

    assertThat(check(h).valid()).isTrue();
  }

  @Test
  void unknownWriteTakesEffectOnlyOnce() {
    HistoryBuilder h = new HistoryBuilder()
        .write(1, "k", "a", 0, 10)
        .op(2, Call.WRITE, "k", "b", 0, null, Op.Type.INFO, 20, 25)
        .read(3, "k", "b", 100, 110)
        .read(3, "k", "a", 200, 210);

    assertThat(check(h).valid()).isFalse();
  }

  @Test
  void unknownWriteCannotTakeEffectBeforeItsInvocation() {
    HistoryBuilder h = new HistoryBuilder()
        .read(3, "k", "b", 0, 10)
        .op(2, Call.WRITE, "k", "b", 0, null, Op.Type.INFO, 20, 25);

    assertThat(check(h).valid()).isFalse();
  }

  @Test
  void failedWriteNeverHappened() {
    HistoryBuilder h = new HistoryBuilder()
        .write(1, "k", "a", 0, 10)
        .op(2, Call.WRITE, "k", "b", 0, null, Op.Type.FAIL, 20, 25)
        .read(3, "k", "b", 30, 40);

    assertThat(check(h).valid()).isFalse();
  }

  @Test
  void unknownAndFailedReadsAreIgnored() {
    HistoryBuilder h = new HistoryBuilder()
        .write(1, "k", "a", 0, 10)
        .op(2, Call.READ, "k", null, 0, null, Op.Type.INFO, 20, 25)
        .op(3, Call.READ, "k", null, 0, null, Op.Type.FAIL, 20, 25)
        .read(4, "k", "a", 30, 40);

    CheckResult result = check(h);

    assertThat(result.valid()).isTrue();
    assertThat(result.opsChecked()).isEqualTo(2);
  }

  @Test
  void stateCarriesAcrossQuietMoments() {
    // Segment 1 ends with a or b; segment 2 must then read one of them consistently.
    HistoryBuilder consistent = new HistoryBuilder()
        .write(1, "k", "a", 0, 10)
        .write(2, "k", "b", 0, 10)
        .read(3, "k", "b", 20, 30)
        .read(3, "k", "b", 40, 50);
    HistoryBuilder flipping = new HistoryBuilder()
        .write(1, "k", "a", 0, 10)
        .write(2, "k", "b", 0, 10)
        .read(3, "k", "b", 20, 30)
        .read(3, "k", "a", 40, 50);

    assertThat(check(consistent).valid()).isTrue();
    assertThat(check(flipping).valid()).isFalse();
  }

  @Test
  void longSequentialHistoryIsCheckedInSegments() {
    HistoryBuilder h = new HistoryBuilder();
    for (int i = 0; i < 2_000; i++) {
      h.write(1, "k", "v" + i, 100L * i, 100L * i + 10);
      h.read(2, "k", "v" + i, 100L * i + 20, 100L * i + 30);
      h.read(3, "k", "v" + i, 100L * i + 25, 100L * i + 40);
    }
    h.read(2, "k", "v7", 300_000, 300_010);

    CheckResult result = check(h);

    assertThat(result.opsChecked()).isEqualTo(6_001);
    assertThat(result.unknown()).isZero();
    assertThat(result.violations()).singleElement().asString().contains("'v7'");
  }

  @Test
  void searchBudgetExhaustedIsUnknownNotAViolation() {
    HistoryBuilder h = new HistoryBuilder();
    for (int p = 0; p < 6; p++) {
      h.write(p, "k", "v" + p, 0, 100);
    }
    h.read(9, "k", "v3", 50, 60);
    Linearizability tight = new Linearizability(CheckOptions.defaults().withMaxSearchSteps(3));

    CheckResult result = tight.check(h.build());

    assertThat(result.valid()).isTrue();
    assertThat(result.unknown()).isEqualTo(1);
    assertThat(result.notes()).singleElement().asString().contains("gave up");
  }

  @Test
  void oversizedSegmentIsSkippedAndTheNextStartsFromAnyWrittenValue() {
    HistoryBuilder h = new HistoryBuilder();
    for (int p = 0; p < 5; p++) {
      h.write(p, "k", "v" + p, 0, 100);
    }
    h.read(9, "k", "v2", 200, 210);
    h.read(9, "k", "never-written", 220, 230);
    Linearizability small = new Linearizability(CheckOptions.defaults().withMaxOpsPerSegment(3));

    CheckResult result = small.check(h.build());

    assertThat(result.unknown()).isEqualTo(1);
    assertThat(result.notes()).singleElement().asString().contains("longer than 3");
    assertThat(result.violations()).singleElement().asString().contains("never-written");
  }

  @Test
  void keysAreIndependentAndNonRegisterKeysAreSkipped() {
    HistoryBuilder h = new HistoryBuilder()
        .write(1, "x", "a", 0, 10)
        .write(2, "y", "b", 0, 10)
        .read(3, "x", "a", 20, 30)
        .read(3, "y", "b", 40, 50)
        .writeTtl(4, "t", "c", 1000, 0, 10)
        .read(5, "t", null, 20, 30);

    CheckResult result = check(h);

    assertThat(result.valid()).isTrue();
    assertThat(result.unknown()).isEqualTo(1);
    assertThat(result.notes()).singleElement().asString().contains("'t'", "not a register");
  }
}
