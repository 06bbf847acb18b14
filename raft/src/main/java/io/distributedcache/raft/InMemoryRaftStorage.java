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
    RaftStorage.checkAppendable(log.size(), entries);
    long first = entries.get(0).index();
    log.subList((int) (first - 1), log.size()).clear();
    log.addAll(entries);
  }
}
