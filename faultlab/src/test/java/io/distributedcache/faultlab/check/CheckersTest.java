package io.distributedcache.faultlab.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.faultlab.history.HistoryFile;
import io.distributedcache.faultlab.history.Op;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckersTest {

  /** Every workload at once, all behaving: a register, a counter, a TTL key, the set. */
  private static HistoryBuilder mixedValidRun() {
    return new HistoryBuilder()
        .write(1, "r", "a", 0, 10)
        .read(2, "r", "a", 20, 30)
        .incr(3, "c", 2, 2, 0, 10)
        .op(4, Call.INCR, "c", "1", 0, null, Op.Type.INFO, 20, 30)
        .writeTtl(5, "t", "x", 5000, 0, 10)
        .read(5, "t", "x", 20, 30)
        .add(6, "e1", "1", 0, 10)
        .finalRead(10, "n1", "r", "a", 100, 110)
        .finalRead(11, "n2", "r", "a", 100, 110)
        .finalRead(12, "n1", "c", "3", 100, 110)
        .finalRead(13, "n2", "c", "3", 100, 110)
        .finalRead(14, "n1", "e1", "1", 100, 110)
        .finalRead(15, "n2", "e1", "1", 100, 110)
        .finalRead(16, "n1", "t", "x", 100, 110)
        .finalRead(17, "n2", "t", null, 100, 110);
  }

  @Test
  void allReturnsEveryCheckerOnceAndAValidRunPassesThemAll(@TempDir Path dir) {
    List<Checker> all = Checkers.all(CheckOptions.defaults());
    Path file = dir.resolve("history.jsonl");
    HistoryFile.write(file, mixedValidRun().build());

    List<CheckResult> results = Checkers.checkAll(HistoryFile.read(file), CheckOptions.defaults());

    assertThat(all).extracting(Checker::name).containsExactly("lost-writes", "linearizability",
        "session-guarantees", "counter-bounds", "ttl-window", "convergence");
    assertThat(results).extracting(CheckResult::checker)
        .containsExactlyElementsOf(all.stream().map(Checker::name).toList());
    assertThat(results).allSatisfy(r -> assertThat(r.valid()).as("%s", r).isTrue());
    assertThat(results).allSatisfy(r -> assertThat(r.opsChecked()).as("%s", r).isPositive());
    assertThat(Files.exists(file)).isTrue();
  }

  @Test
  void malformedHistoriesAreRejectedNamingTheOp() {
    Op invoke = new Op(0, Op.Type.INVOKE, 1, 1, "n1", "read", "k", null, 0, 0, null);
    Op strayOk = new Op(1, Op.Type.OK, 2, 2, "n1", "read", "k", null, 0, 5, null);
    Op otherF = new Op(1, Op.Type.OK, 1, 1, "n1", "write", "k", "a", 0, 5, null);
    Op secondInvoke = new Op(1, Op.Type.INVOKE, 1, 1, "n1", "read", "k", null, 0, 5, null);
    Checker checker = new Linearizability(CheckOptions.defaults());

    assertThatThrownBy(() -> checker.check(List.of(invoke, strayOk)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("op #1");
    assertThatThrownBy(() -> checker.check(List.of(invoke, otherF)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("op #1");
    assertThatThrownBy(() -> checker.check(List.of(invoke, secondInvoke)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("op #1");
  }

  @Test
  void resultValidityMustMatchItsViolations() {
    assertThatThrownBy(() -> new CheckResult("x", true, 1, List.of("bad")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(CheckResult.of("x", 1, List.of(), 2, List.of("n")).valid()).isTrue();
  }

  @Test
  void optionsRejectNonsense() {
    assertThatThrownBy(() -> CheckOptions.defaults().withMaxSearchSteps(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(CheckOptions.defaults().ttlSlackMillis()).isEqualTo(1000);
  }
}
