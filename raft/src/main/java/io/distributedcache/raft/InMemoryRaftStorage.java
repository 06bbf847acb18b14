package io.distributedcache.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link RaftStorage} that keeps everything on the heap: for tests and the deterministic
 * simulator, where a "crash" discards the {@link RaftNode} but keeps this object, exactly as a real
 * crash keeps the disk. Not thread-safe, like the node it serves.
 */
public final class InMemoryRaftStorage implements RaftStorage {

  private HardState hardState = HardState.INITIAL;
  private final List<LogEntry> log = new ArrayList<>();

  @Override
  public HardState hardState() {
    return hardState;
  }

  @Override
  public List<LogEntry> entries() {
    return List.copyOf(log);
  }

  @Override
  public void saveHardState(HardState hardState) {
    this.hardState = Objects.requireNonNull(hardState, "hardState");
  }

  @Override
  public void append(List<LogEntry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    long first = entries.get(0).index();
    if (first < 1 || first > log.size() + 1) {
      throw new IllegalArgumentException(
          "first index " + first + " would leave a gap after last index " + log.size());
    }
    for (int i = 1; i < entries.size(); i++) {
      if (entries.get(i).index() != first + i) {
        throw new IllegalArgumentException("entries are not consecutive: " + entries);
      }
    }
    log.subList((int) (first - 1), log.size()).clear();
    log.addAll(entries);
  }
}
