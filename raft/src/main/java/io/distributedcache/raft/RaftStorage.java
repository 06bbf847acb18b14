package io.distributedcache.raft;

import java.util.List;

/**
 * Stable storage for what a Raft member must remember across a crash: its term, its vote, its
 * latest snapshot and the log after it (Raft paper figure 2 and section 7). The application writes
 * to it from each {@link Ready} before sending that batch's messages, and saves the snapshots
 * {@link RaftNode#compact} returns; {@link RaftNode} reads it once, when it is built, to restore
 * its state.
 *
 * <p>Called from the one thread that owns the node. Methods may block (they are expected to reach
 * the disk) and throw {@link java.io.UncheckedIOException} when they fail; a node whose storage
 * fails must stop, since it can no longer keep its promises.
 */
public interface RaftStorage {

  /** The last saved term and vote; {@link HardState#INITIAL} if none was ever saved. */
  HardState hardState();

  /** The latest saved snapshot; {@link Snapshot#NONE} if none was ever saved. */
  Snapshot snapshot();

  /**
   * The stored log after the snapshot, in index order, starting at {@code snapshot().index() + 1};
   * empty if none.
   */
  List<LogEntry> entries();

  /** Durably replaces the term and vote. */
  void saveHardState(HardState hardState);

  /**
   * Durably removes every stored entry whose index is at least {@code entries.get(0).index()}, then
   * appends {@code entries}. Does nothing for an empty list.
   *
   * @throws IllegalArgumentException if the entries are not consecutive, would leave a gap, or
   *     start at or before the snapshot's index
   */
  void append(List<LogEntry> entries);

  /**
   * Durably replaces the snapshot with {@code snapshot} and compacts the log: entries up to its
   * index go, and so does everything after it unless the stored entry at its index has its term
   * (Raft paper section 7: a log that matches the snapshot keeps the entries that follow it, any
   * other log is discarded), as {@link #entriesKept} computes. Crash-safe: after a crash the
   * storage holds either the old snapshot and log or the new ones (or, for {@link
   * FileRaftStorage}, something it completes to the new ones when it is opened).
   *
   * <p>Saving a snapshot at the stored snapshot's index again does nothing, so a retry is harmless.
   *
   * @throws IllegalArgumentException if {@code snapshot} is {@link Snapshot#NONE} or older than the
   *     stored one
   */
  void saveSnapshot(Snapshot snapshot);

  /**
   * Checks that {@code entries} may be appended to a log that holds the entries after {@code
   * snapshotIndex} up to {@code lastIndex}: consecutive indexes, starting after the snapshot and no
   * later than just after the last one (an earlier start replaces the suffix from there).
   *
   * @throws IllegalArgumentException otherwise
   */
  static void checkAppendable(long snapshotIndex, long lastIndex, List<LogEntry> entries) {
    long first = entries.get(0).index();
    if (first <= snapshotIndex) {
      throw new IllegalArgumentException(
          "first index " + first + " is inside the snapshot, which ends at " + snapshotIndex);
    }
    if (first > lastIndex + 1) {
      throw new IllegalArgumentException(
          "first index " + first + " would leave a gap after last index " + lastIndex);
    }
    for (int i = 1; i < entries.size(); i++) {
      if (entries.get(i).index() != first + i) {
        throw new IllegalArgumentException("entries are not consecutive: " + entries);
      }
    }
  }

  /**
   * The part of {@code log} that survives installing {@code snapshot} over it (Raft paper section
   * 7, InstallSnapshot receiver steps 6 and 7): the entries after the snapshot's index if {@code
   * log} holds an entry at that index with the snapshot's term, else none. {@link RaftNode} and
   * every storage apply this one rule, so that they agree on what is left.
   *
   * @param snapshot a snapshot newer than every entry {@code log} lacks at its start
   * @param log consecutive entries, possibly empty
   */
  static List<LogEntry> entriesKept(Snapshot snapshot, List<LogEntry> log) {
    if (log.isEmpty()) {
      return List.of();
    }
    long position = snapshot.index() - log.get(0).index();
    if (position < 0
        || position >= log.size()
        || log.get((int) position).term() != snapshot.term()) {
      return List.of();
    }
    return List.copyOf(log.subList((int) position + 1, log.size()));
  }
}
