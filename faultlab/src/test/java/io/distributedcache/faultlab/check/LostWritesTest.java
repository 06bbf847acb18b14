package io.distributedcache.faultlab.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.faultlab.history.Op;
import org.junit.jupiter.api.Test;

class LostWritesTest {

  private final LostWrites checker = new LostWrites();

  /** e1 acknowledged, e2 unknown, e3 failed; then final reads on n1 and n2 as given. */
  private static HistoryBuilder adds(String e1, String e2, String e3) {
    HistoryBuilder h = new HistoryBuilder()
        .add(1, "e1", "1", 0, 10)
        .op(2, Call.ADD, "e2", "2", 0, null, Op.Type.INFO, 0, 10)
        .op(3, Call.ADD, "e3", "3", 0, null, Op.Type.FAIL, 0, 10);
    int process = 10;
    for (String node : new String[] {"n1", "n2"}) {
      h.finalRead(process++, node, "e1", node.equals("n2") ? e1 : "1", 100, 110);
      h.finalRead(process++, node, "e2", e2, 100, 110);
      h.finalRead(process++, node, "e3", node.equals("n2") ? e3 : null, 100, 110);
    }
    return h;
  }

  @Test
  void acknowledgedPresentUnknownEitherFailedAbsentIsValid() {
    for (String e2 : new String[] {null, "2"}) {
      CheckResult result = checker.check(adds("1", e2, null).build());
      assertThat(result.valid()).as("%s", result).isTrue();
      assertThat(result.opsChecked()).isEqualTo(3);
    }
  }

  @Test
  void acknowledgedAddMissingOnOneNodeIsALostWrite() {
    CheckResult result = checker.check(adds(null, null, null).build());

    assertThat(result.violations()).singleElement().asString()
        .startsWith("lost acknowledged add 'e1' '1' [#0/#")
        .contains("final-read 'e1' -> absent", "n2");
  }

  @Test
  void failedAddPresentIsAViolation() {
    CheckResult result = checker.check(adds("1", null, "3").build());

    assertThat(result.violations()).singleElement().asString().startsWith("failed add");
  }

  @Test
  void valueNoAddWroteIsAViolation() {
    CheckResult result = checker.check(adds("garbage", null, null).build());

    assertThat(result.violations()).singleElement().asString()
        .contains("returns a value no add of the key wrote");
  }

  @Test
  void addWithoutSuccessfulFinalReadIsUnknown() {
    HistoryBuilder h = new HistoryBuilder()
        .add(1, "e1", "1", 0, 10)
        .op(2, Call.FINAL_READ, "e1", null, 0, null, Op.Type.INFO, 100, 110);

    CheckResult result = checker.check(h.build());

    assertThat(result.valid()).isTrue();
    assertThat(result.unknown()).isEqualTo(1);
    assertThat(result.notes()).singleElement().asString().contains("'e1'");
  }
}
