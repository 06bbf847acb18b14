package io.distributedcache.faultlab.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.faultlab.history.Op;
import org.junit.jupiter.api.Test;

class ConvergenceTest {

  private final Convergence checker = new Convergence();

  @Test
  void agreeingFinalReadsAreValid() {
    HistoryBuilder h = new HistoryBuilder()
        .finalRead(1, "n1", "k", "a", 0, 10)
        .finalRead(2, "n2", "k", "a", 0, 10)
        .finalRead(3, "n1", "gone", null, 0, 10)
        .finalRead(4, "n2", "gone", null, 0, 10);

    CheckResult result = checker.check(h.build());

    assertThat(result.valid()).isTrue();
    assertThat(result.opsChecked()).isEqualTo(4);
  }

  @Test
  void divergentFinalReadsAreAViolationNamingEveryValue() {
    HistoryBuilder h = new HistoryBuilder()
        .finalRead(1, "n1", "k", "a", 0, 10)
        .finalRead(2, "n2", "k", "b", 0, 10)
        .finalRead(3, "n3", "k", null, 0, 10);

    CheckResult result = checker.check(h.build());

    assertThat(result.violations()).singleElement().asString()
        .contains("key 'k' diverged", "n1='a'", "n2='b'", "n3=absent");
  }

  @Test
  void absentAgreesWithAnythingOnlyForTtlKeys() {
    HistoryBuilder ttl = new HistoryBuilder()
        .writeTtl(9, "k", "a", 1000, 0, 10)
        .finalRead(1, "n1", "k", "a", 900, 1000)
        .finalRead(2, "n2", "k", null, 1000, 1100);
    HistoryBuilder plain = new HistoryBuilder()
        .write(9, "k", "a", 0, 10)
        .finalRead(1, "n1", "k", "a", 900, 1000)
        .finalRead(2, "n2", "k", null, 1000, 1100);

    CheckResult ttlResult = checker.check(ttl.build());

    assertThat(ttlResult.valid()).isTrue();
    assertThat(ttlResult.notes()).singleElement().asString().contains("TTL");
    assertThat(checker.check(plain.build()).valid()).isFalse();
  }

  @Test
  void finalReadWithoutAnswerIsUnknown() {
    HistoryBuilder h = new HistoryBuilder()
        .finalRead(1, "n1", "k", "a", 0, 10)
        .node(2, "n2")
        .op(2, Call.FINAL_READ, "k", null, 0, null, Op.Type.INFO, 0, 10);

    CheckResult result = checker.check(h.build());

    assertThat(result.valid()).isTrue();
    assertThat(result.unknown()).isEqualTo(1);
  }
}
