package io.distributedcache.faultlab.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TableTest {

  @Test
  void runSummariesBecomeAMarkdownTableWithATotal() {
    String table = Table.runs(List.of(
        new RunSummary("none", 3, 12_345, 0),
        new RunSummary("partition | primary", 2, 900, 4, 1)));

    assertThat(table).isEqualTo("""
        | Fault / schedule | Runs | Operations | Violations | Unknown |
        |---|--:|--:|--:|--:|
        | none | 3 | 12,345 | 0 | 0 |
        | partition \\| primary | 2 | 900 | 4 | 1 |
        | **Total** | 5 | 13,245 | 4 | 1 |
        """);
  }

  @Test
  void singleRowHasNoTotal() {
    assertThat(Table.runs(List.of(new RunSummary("kill n1", 1, 5, 0))).lines()).hasSize(3);
  }

  @Test
  void summaryOfResultsCountsViolationsAndUnknowns() {
    List<CheckResult> results = List.of(
        CheckResult.of("a", 10, List.of("x", "y"), 1, List.of("n")),
        CheckResult.of("b", 10, List.of(), 2, List.of("m", "o")));

    RunSummary summary = RunSummary.of("clock skew", 2, 20, results);

    assertThat(summary).isEqualTo(new RunSummary("clock skew", 2, 20, 2, 3));
  }

  @Test
  void checkerResultsTableShowsTheFirstFindingShortened() {
    String table = Table.results(List.of(
        CheckResult.of("linearizability", 1234, List.of("key 'k' not linearizable: long text"), 0,
            List.of()),
        new CheckResult("convergence", true, 3, List.of())), 20);

    assertThat(table).isEqualTo("""
        | Checker | Valid | Ops checked | Violations | Unknown | First finding |
        |---|---|--:|--:|--:|---|
        | linearizability | **NO** | 1,234 | 1 | 0 | key 'k' not linea... |
        | convergence | yes | 3 | 0 | 0 |  |
        """);
  }
}
