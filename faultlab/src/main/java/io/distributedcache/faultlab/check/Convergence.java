package io.distributedcache.faultlab.check;

import io.distributedcache.faultlab.history.Op;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * After the faults heal, the replicas agree: all {@code OK} final reads of a key (one per node)
 * return the same value, absent included (DESIGN.md section 3: a returning replica catches up
 * before it serves reads).
 *
 * <p>The harness issues the final reads once the cluster has settled, after every operation has
 * completed; an unknown write still in flight at that point could legitimately split the reads, so
 * the check assumes the settle time outlasts it. For keys written with a TTL, a node may read the
 * value just before it expires and another just after, so there absent agrees with anything and
 * only the values present must be equal. Final reads that did not return {@code OK} are counted as
 * unknown.
 */
public final class Convergence implements Checker {

  @Override
  public String name() {
    return "convergence";
  }

  @Override
  public CheckResult check(List<Op> history) {
    List<Call> calls = Calls.pair(history);
    Map<String, List<Call>> finalReads =
        Calls.group(calls, c -> c.f().equals(Call.FINAL_READ), Call::key);
    Map<String, List<Call>> ttlWrites =
        Calls.group(calls, c -> c.f().equals(Call.WRITE_TTL), Call::key);
    List<String> violations = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    long unknown = 0;
    long checked = 0;
    for (Map.Entry<String, List<Call>> entry : finalReads.entrySet()) {
      String key = entry.getKey();
      boolean absentAgrees = ttlWrites.containsKey(key);
      Map<String, Call> firstByValue = new LinkedHashMap<>();
      List<Call> compared = new ArrayList<>();
      boolean sawAbsent = false;
      for (Call read : entry.getValue()) {
        checked++;
        if (!read.ok()) {
          unknown++;
          notes.add("final read " + read.describe() + " did not complete; not compared");
          continue;
        }
        if (read.result() == null && absentAgrees) {
          sawAbsent = true;
          continue;
        }
        firstByValue.putIfAbsent(read.result(), read);
        compared.add(read);
      }
      if (firstByValue.size() > 1) {
        StringBuilder sb = new StringBuilder("key ").append(Call.quote(key))
            .append(" diverged after heal:");
        for (Call read : compared) {
          sb.append(' ').append(Objects.toString(read.node(), "?")).append('=')
              .append(Call.quote(read.result())).append(" (#").append(read.index()).append(')');
        }
        violations.add(sb.toString());
      } else if (sawAbsent && !firstByValue.isEmpty()) {
        notes.add("key " + Call.quote(key) + ": some nodes read it absent, others "
            + Call.quote(firstByValue.keySet().iterator().next())
            + "; tolerated because the key has a TTL");
      }
    }
    return CheckResult.of(name(), checked, violations, unknown, notes);
  }
}
