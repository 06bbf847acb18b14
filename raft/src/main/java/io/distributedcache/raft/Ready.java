package io.distributedcache.raft;

import java.util.List;
import java.util.Objects;

/**
 * What a {@link RaftNode} asks the application to do, drained with {@link RaftNode#ready()}.
 *
 * <p>The application handles the parts strictly in this order (as etcd's raft):
 *
 * <ol>
 *   <li>persist {@link #hardState()} (if not {@code null}) and {@link #entriesToPersist()} to its
 *       {@link RaftStorage} and make them durable; the messages below may promise a vote or
 *       acknowledge entries, and those promises must survive a crash;
 *   <li>send {@link #messages()}; sending must not block the node's thread and failures are simply
 *       lost messages;
 *   <li>apply {@link #committedEntries()} to the replicated state machine in order, skipping
 *       {@linkplain LogEntry#isNoOp() no-ops} and {@linkplain LogEntry#isConfig() configuration
 *       entries} (the node put those in effect when it appended them; a committed one tells the
 *       application that the membership change is final). They may include entries from this
 *       batch's {@code entriesToPersist}, which is why persisting comes first.
 * </ol>
 *
 * @param softState the node's role, term and known leader after everything that led to this batch
 * @param hardState the new term and vote to persist, or {@code null} if unchanged since the last
 *     batch
 * @param entriesToPersist entries to write; storage first removes every entry at or after the first
 *     one's index (a conflicting suffix the leader overwrote), then appends them
 * @param messages messages to send to their {@link RaftMessage#to()} members
 * @param committedEntries newly committed entries, consecutive, to apply in order
 */
public record Ready(
    SoftState softState,
    HardState hardState,
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

  /** Whether there is nothing to persist, send or apply. */
  public boolean isEmpty() {
    return hardState == null
        && entriesToPersist.isEmpty()
        && messages.isEmpty()
        && committedEntries.isEmpty();
  }
}
