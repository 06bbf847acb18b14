package io.distributedcache.faultlab.check;

import java.util.List;

/** Formats fault-lab results as GitHub-flavoured Markdown tables. Pure functions. */
public final class Table {

  private Table() {}

  /**
   * One row per {@link RunSummary}, in the given order, plus a total row when there is more than
   * one:
   *
   * <pre>
   * | Fault / schedule | Runs | Operations | Violations | Unknown |
   * |---|--:|--:|--:|--:|
   * | partition primary | 10 | 52,311 | 0 | 1 |
   * </pre>
   */
  public static String runs(List<RunSummary> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append("| Fault / schedule | Runs | Operations | Violations | Unknown |\n");
    sb.append("|---|--:|--:|--:|--:|\n");
    long runs = 0;
    long operations = 0;
    long violations = 0;
    long unknown = 0;
    for (RunSummary row : rows) {
      row(sb, escape(row.fault()), row.runs(), row.operations(), row.violations(), row.unknown());
      runs += row.runs();
      operations += row.operations();
      violations += row.violations();
      unknown += row.unknown();
    }
    if (rows.size() > 1) {
      row(sb, "**Total**", runs, operations, violations, unknown);
    }
    return sb.toString();
  }

  /**
   * One row per checker result: checker, valid, operations checked, violations, unknown, and the
   * first violation (or else the first note), shortened to {@code maxDetailChars}.
   */
  public static String results(List<CheckResult> results, int maxDetailChars) {
    StringBuilder sb = new StringBuilder();
    sb.append("| Checker | Valid | Ops checked | Violations | Unknown | First finding |\n");
    sb.append("|---|---|--:|--:|--:|---|\n");
    for (CheckResult result : results) {
      String detail = !result.violations().isEmpty() ? result.violations().get(0)
          : !result.notes().isEmpty() ? result.notes().get(0) : "";
      if (detail.length() > maxDetailChars) {
        detail = detail.substring(0, Math.max(0, maxDetailChars - 3)) + "...";
      }
      sb.append("| ").append(escape(result.checker()))
          .append(" | ").append(result.valid() ? "yes" : "**NO**")
          .append(" | ").append(String.format(java.util.Locale.ROOT, "%,d", result.opsChecked()))
          .append(" | ").append(result.violations().size())
          .append(" | ").append(result.unknown())
          .append(" | ").append(escape(detail)).append(" |\n");
    }
    return sb.toString();
  }

  private static void row(
      StringBuilder sb, String fault, long runs, long operations, long violations, long unknown) {
    sb.append("| ").append(fault)
        .append(" | ").append(runs)
        .append(" | ").append(String.format(java.util.Locale.ROOT, "%,d", operations))
        .append(" | ").append(violations)
        .append(" | ").append(unknown)
        .append(" |\n");
  }

  /** Keeps a cell on one line and its pipes from ending the cell. */
  static String escape(String text) {
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ");
  }
}
