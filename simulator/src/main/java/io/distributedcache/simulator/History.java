package io.distributedcache.simulator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every operation the clients issued, indexed by key and by written value. Values written by SET
 * are unique in a run, so a value read back names the one write that produced it.
 */
final class History {

  private final List<Op> all = new ArrayList<>();
  private final Map<String, List<Op>> byKey = new HashMap<>();
  private final Map<String, List<Op>> writesByKey = new HashMap<>();
  private final Map<String, Op> byValue = new HashMap<>();
  private long nextId = 1;

  long nextId() {
    return nextId++;
  }

  void add(Op op) {
    all.add(op);
    for (String key : op.keys) {
      byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(op);
      if (op.isWrite()) {
        writesByKey.computeIfAbsent(key, k -> new ArrayList<>()).add(op);
      }
    }
    if (op.value != null) {
      byValue.put(op.value, op);
    }
  }

  /** Every operation, in invocation order. */
  List<Op> all() {
    return all;
  }

  /** The writes of {@code key}, in invocation order. */
  List<Op> writesOf(String key) {
    return writesByKey.getOrDefault(key, List.of());
  }

  /** The SET that wrote {@code value}, or null. */
  Op writeOf(String value) {
    return byValue.get(value);
  }

  /** The last {@code limit} operations that touched {@code key}, one per line. */
  String recent(String key, int limit) {
    List<Op> ops = byKey.getOrDefault(key, List.of());
    StringBuilder b = new StringBuilder();
    for (int i = Math.max(0, ops.size() - limit); i < ops.size(); i++) {
      b.append("    ").append(ops.get(i)).append('\n');
    }
    if (ops.isEmpty()) {
      b.append("    (no operations)\n");
    }
    return b.toString();
  }
}
