package io.distributedcache.raft;

import java.util.List;
import java.util.Objects;

/**
 * What a {@link RaftNode} asks the application to do, drained with {@link RaftNode#ready()}.
 *
 * <p>The application handles the parts strictly in this order (as etcd's raft):
 *
 * <ol>
 *   <li>persist, and make durable: first {@link #snapshotToApply()} (if not {@code null}) with
 *       {@link RaftStorage#saveSnapshot}, then {@link #hardState()} (if not {@code null}), then
 *       {@link #entriesToPersist()}. The snapshot goes first because the entries follow it (they
 *       may start right after its index, which only a storage holding the snapshot accepts). The
 *       messages below may promise a vote or acknowledge entries or a snapshot, and those promises
 *       must survive a crash;
 *   <li>send {@link #messages()}; sending must not block the node's thread and failures are simply
 *       lost messages;
 *   <li>apply: if {@link #snapshotToApply()} is not {@code null}, replace the whole replicated
 *       state machine with its {@linkplain Snapshot#data() data} (the leader sent it because this
 *       node lacked entries the leader has compacted away); then apply {@link #committedEntries()}
 *       in order, skipping {@linkplain LogEntry#isNoOp() no-ops} and {@linkplain
 *       LogEntry#isConfig() configuration entries} (the node put those in effect when it appended
 *       them; a committed one tells the application that the membership change is final). They may
 *       include entries from this batch's {@code entriesToPersist}, which is why persisting comes
 *       first; they follow the snapshot's index when there is one.
 * </ol>
 *
 * <p>Snapshots the application makes itself with {@link RaftNode#compact} never come back here:
 * the application saves them when it makes them.
 *
 * @param softState the node's role, term and known leader after everything that led to this batch
 * @param hardState the new term and vote to persist, or {@code null} if unchanged since the last
 *     batch
 * @param snapshotToApply a snapshot received from the leader, to persist and then to apply, or
 *     {@code null} if none
 * @param entriesToPersist entries to write; storage first removes every entry at or after the first
 *     one's index (a conflicting suffix the leader overwrote), then appends them
 * @param messages messages to send to their {@link RaftMessage#to()} members
 * @param committedEntries newly committed entries, consecutive, to apply in order
 */
public record Ready(
    SoftState softState,
    HardState hardState,
    Snapshot snapshotToApply,
    List<LogEntry> entriesToPersist,
    List<RaftMessage> messages,
    List<LogEntry> committedEntries) {

  /** Copies the lists. */
  public Ready {
    Objects.requireNonNull(softState, "softState");
    entriesToPersist = List.copyOf(entriesToPersist);
    messages = List.copyOf(messages);
    committedEntries = List.copyOf(committedEntries);
  }

  /** A batch without a snapshot (the shape every batch had before snapshots existed). */
  public Ready(
      SoftState softState,
      HardState hardState,
      List<LogEntry> entriesToPersist,
      List<RaftMessage> messages,
      List<LogEntry> committedEntries) {
    this(softState, hardState, null, entriesToPersist, messages, committedEntries);
  }

  /** Whether there is nothing to persist, send or apply. */
  public boolean isEmpty() {
    return hardState == null
        && snapshotToApply == null
        && entriesToPersist.isEmpty()
        && messages.isEmpty()
        && committedEntries.isEmpty();
  }
}
