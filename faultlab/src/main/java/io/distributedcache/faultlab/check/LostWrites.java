package io.distributedcache.faultlab.check;

import io.distributedcache.faultlab.history.Op;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * No acknowledged write of the set workload is lost (DESIGN.md section 3: "a write acknowledged at
 * QUORUM survives the loss of any minority of its replicas").
 *
 * <p>The set workload adds each element as its own key ({@code add}: {@code SET element value}),
 * and after the faults heal reads every element key on every node ({@code final-read}). For each
 * key that some {@code add} wrote, with W the values of its {@code OK} and unknown adds:
 *
 * <ul>
 *   <li>if some add of the key is {@code OK}, every {@code OK} final read of the key returns a value
 *       (an acknowledged add is present on every node);
 *   <li>every {@code OK} final read of the key returns absent or a value in W: a value only a
 *       {@code FAIL}ed add wrote must be absent, and a value nobody wrote is a corruption;
 *   <li>adds with an unknown outcome may be present or absent.
 * </ul>
 *
 * <p>A key with adds but no {@code OK} final read cannot be checked and is counted as unknown.
 * Reads during the run are not used (they race with the adds). Assumes the keys were absent when
 * the run started and that nothing evicts or deletes them.
 */
public final class LostWrites implements Checker {

  @Override
  public String name() {
    return "lost-writes";
  }

  @Override
  public CheckResult check(List<Op> history) {
    List<Call> calls = Calls.pair(history);
    Map<String, List<Call>> adds = Calls.group(calls, c -> c.f().equals(Call.ADD), Call::key);
    Map<String, List<Call>> finalReads =
        Calls.group(calls, c -> c.f().equals(Call.FINAL_READ) && c.ok(), Call::key);
    List<String> violations = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    long unknown = 0;
    long checked = 0;
    for (Map.Entry<String, List<Call>> entry : adds.entrySet()) {
      String key = entry.getKey();
      List<Call> keyAdds = entry.getValue();
      checked += keyAdds.size();
      List<Call> reads = finalReads.getOrDefault(key, List.of());
      if (reads.isEmpty()) {
        unknown++;
        notes.add("key " + Call.quote(key) + ": no successful final read; "
            + keyAdds.size() + " add(s) unchecked, first " + keyAdds.get(0).describe());
        continue;
      }
      Set<String> possible = new HashSet<>();
      Call acknowledged = null;
      for (Call add : keyAdds) {
        if (!add.failed()) {
          possible.add(add.argument());
        }
        if (add.ok() && acknowledged == null) {
          acknowledged = add;
        }
      }
      for (Call read : reads) {
        String value = read.result();
        if (value == null) {
          if (acknowledged != null) {
            violations.add("lost acknowledged " + acknowledged.describe()
                + ": final read " + read.describe() + " finds it absent");
          }
        } else if (!possible.contains(value)) {
          Call failedWriter = null;
          for (Call add : keyAdds) {
            if (add.failed() && value.equals(add.argument())) {
              failedWriter = add;
            }
          }
          violations.add(failedWriter != null
              ? "failed " + failedWriter.describe() + " is present: final read "
                  + read.describe()
              : "final read " + read.describe() + " returns a value no add of the key wrote");
        }
      }
    }
    return CheckResult.of(name(), checked, violations, unknown, notes);
  }
}
