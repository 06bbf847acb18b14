package io.distributedcache.raft;

import java.util.List;

/**
 * Stable storage for what a Raft member must remember across a crash: its term, its vote and its
 * log (Raft paper figure 2). The application writes to it from each {@link Ready} before sending
 * that batch's messages; {@link RaftNode} reads it once, when it is built, to restore its state.
 *
 * <p>Called from the one thread that owns the node. Methods may block (they are expected to reach
 * the disk) and throw {@link java.io.UncheckedIOException} when they fail; a node whose storage
 * fails must stop, since it can no longer keep its promises.
 */
public interface RaftStorage {

  /** The last saved term and vote; {@link HardState#INITIAL} if none was ever saved. */
  HardState hardState();

  /** The whole stored log in index order, starting at index 1; empty if none. */
  List<LogEntry> entries();

  /** Durably replaces the term and vote. */
  void saveHardState(HardState hardState);

  /**
   * Durably removes every stored entry whose index is at least {@code entries.get(0).index()}, then
   * appends {@code entries}. Does nothing for an empty list.
   *
   * @throws IllegalArgumentException if the entries are not consecutive or would leave a gap
   */
  void append(List<LogEntry> entries);

  /**
   * Checks that {@code entries} may be appended to a log whose last index is {@code lastIndex}:
   * consecutive indexes, starting no later than just after the last one (an earlier start replaces
   * the suffix from there).
   *
   * @throws IllegalArgumentException otherwise
   */
  static void checkAppendable(long lastIndex, List<LogEntry> entries) {
    long first = entries.get(0).index();
    if (first < 1 || first > lastIndex + 1) {
      throw new IllegalArgumentException(
          "first index " + first + " would leave a gap after last index " + lastIndex);
    }
    for (int i = 1; i < entries.size(); i++) {
      if (entries.get(i).index() != first + i) {
        throw new IllegalArgumentException("entries are not consecutive: " + entries);
      }
    }
  }
}
