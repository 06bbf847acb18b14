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
  private Snapshot snapshot = Snapshot.NONE;

  /** The entries after {@link #snapshot}: index {@code snapshot.index() + 1 + i} at {@code i}. */
  private final List<LogEntry> log = new ArrayList<>();

  @Override
  public HardState hardState() {
    return hardState;
  }

  @Override
  public Snapshot snapshot() {
    return snapshot;
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
    RaftStorage.checkAppendable(snapshot.index(), snapshot.index() + log.size(), entries);
    int keep = (int) (entries.get(0).index() - snapshot.index() - 1);
    log.subList(keep, log.size()).clear();
    log.addAll(entries);
  }

  @Override
  public void saveSnapshot(Snapshot snapshot) {
    Objects.requireNonNull(snapshot, "snapshot");
    if (snapshot.isEmpty() || snapshot.index() < this.snapshot.index()) {
      throw new IllegalArgumentException(
          "cannot replace the snapshot at " + this.snapshot.index() + " with " + snapshot);
    }
    if (snapshot.index() == this.snapshot.index()) {
      return;
    }
    List<LogEntry> kept = RaftStorage.entriesKept(snapshot, log);
    log.clear();
    log.addAll(kept);
    this.snapshot = snapshot;
  }
}
