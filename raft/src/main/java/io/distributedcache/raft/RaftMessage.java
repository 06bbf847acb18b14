package io.distributedcache.raft;

import java.util.List;
import java.util.Objects;

/**
 * A message between two members of a Raft group (Raft paper figure 2 and section 7, plus pre-vote
 * from Ongaro's thesis section 9.6). Every message carries the sender's view of the term and its
 * sender and recipient ids; the transport delivers it to {@link RaftNode#step} of the member named
 * by {@link #to()}. Messages may be lost, delayed, duplicated and reordered: the node tolerates all
 * four. {@link RaftMessageCodec} puts them on the wire.
 */
public sealed interface RaftMessage {

  /**
   * The term of the message: the sender's current term, except for a {@link PreVote} and a
   * granted {@link PreVoteResponse}, which carry the term the pre-candidate would campaign in (one
   * more than the pre-candidate's current term).
   */
  long term();

  /** The id of the sending member. */
  String from();

  /** The id of the receiving member. */
  String to();

  /**
   * Would you vote for me in {@code term}? Sent by a pre-candidate without changing its own term.
   *
   * @param term the sender's current term plus one
   * @param lastLogIndex the index of the sender's last log entry
   * @param lastLogTerm the term of the sender's last log entry
   */
  record PreVote(long term, String from, String to, long lastLogIndex, long lastLogTerm)
      implements RaftMessage {
    /** Checks the ids. */
    public PreVote {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
    }
  }

  /**
   * The answer to a {@link PreVote}.
   *
   * @param term the pre-vote's term if granted, else the responder's current term
   * @param granted whether the responder would vote for the sender
   */
  record PreVoteResponse(long term, String from, String to, boolean granted)
      implements RaftMessage {
    /** Checks the ids. */
    public PreVoteResponse {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
    }
  }

  /**
   * Vote for me in {@code term} (Raft paper figure 2, RequestVote RPC).
   *
   * @param term the candidate's term
   * @param lastLogIndex the index of the candidate's last log entry
   * @param lastLogTerm the term of the candidate's last log entry
   */
  record RequestVote(long term, String from, String to, long lastLogIndex, long lastLogTerm)
      implements RaftMessage {
    /** Checks the ids. */
    public RequestVote {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
    }
  }

  /**
   * The answer to a {@link RequestVote}.
   *
   * @param term the responder's current term
   * @param granted whether the responder voted for the sender
   */
  record RequestVoteResponse(long term, String from, String to, boolean granted)
      implements RaftMessage {
    /** Checks the ids. */
    public RequestVoteResponse {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
    }
  }

  /**
   * Append these entries after {@code prevLogIndex} (Raft paper figure 2, AppendEntries RPC); with
   * no entries it is a heartbeat that still checks log consistency and carries the commit index.
   *
   * @param term the leader's term
   * @param prevLogIndex the index of the entry just before {@code entries}
   * @param prevLogTerm the term of the entry at {@code prevLogIndex}, 0 if {@code prevLogIndex} is
   *     0
   * @param entries consecutive entries starting at {@code prevLogIndex + 1}, possibly none
   * @param leaderCommit the leader's commit index
   */
  record AppendEntries(
      long term,
      String from,
      String to,
      long prevLogIndex,
      long prevLogTerm,
      List<LogEntry> entries,
      long leaderCommit)
      implements RaftMessage {
    /**
     * Checks the ids and that the entries follow {@code prevLogIndex} without gaps; copies them.
     */
    public AppendEntries {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
      entries = List.copyOf(entries);
      for (int i = 0; i < entries.size(); i++) {
        if (entries.get(i).index() != prevLogIndex + 1 + i) {
          throw new IllegalArgumentException(
              "entries must start at prevLogIndex + 1 = "
                  + (prevLogIndex + 1)
                  + " without gaps: "
                  + entries);
        }
      }
    }
  }

  /**
   * The answer to an {@link AppendEntries}.
   *
   * <p>On success {@code index} is the last index the responder now knows matches the leader's log.
   * On rejection {@code index} is the rejected {@code prevLogIndex} (so the leader can drop stale
   * rejections) and {@code hintIndex} is where the leader should retry: one past the responder's
   * last entry if its log is too short, else the first index of the responder's conflicting term,
   * which skips a whole conflicting term per round trip (Raft paper section 5.3, last paragraphs).
   *
   * @param term the responder's current term
   * @param success whether the responder's log matched at {@code prevLogIndex}
   * @param index the matched last index on success, the rejected {@code prevLogIndex} otherwise
   * @param hintIndex on rejection, the next index to try; 0 on success
   */
  record AppendEntriesResponse(
      long term, String from, String to, boolean success, long index, long hintIndex)
      implements RaftMessage {
    /** Checks the ids. */
    public AppendEntriesResponse {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
    }
  }

  /**
   * Replace your log up to {@code snapshot.index()} with this snapshot (Raft paper section 7,
   * InstallSnapshot RPC, sent whole rather than in chunks since our snapshots are small). The
   * leader sends it to a follower whose next entry it has compacted away.
   *
   * <p>There is no InstallSnapshotResponse: the follower answers with an {@link
   * AppendEntriesResponse} that succeeds with {@code index} = the snapshot's index if it installed
   * the snapshot, or = its own commit index if that was already at or past the snapshot (a stale
   * or duplicated snapshot); either way its log matches the leader's up to that index, which is
   * all the leader needs to continue with entries from there (etcd answers the same way). A
   * recipient in a higher term answers as for a stale {@link AppendEntries}: an unsuccessful
   * response carrying its term, so that the deposed leader steps down.
   *
   * @param term the leader's term
   * @param snapshot the leader's latest snapshot, never {@link Snapshot#NONE}
   */
  record InstallSnapshot(long term, String from, String to, Snapshot snapshot)
      implements RaftMessage {
    /** Checks the ids and that there is a snapshot. */
    public InstallSnapshot {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
      Objects.requireNonNull(snapshot, "snapshot");
      if (snapshot.isEmpty()) {
        throw new IllegalArgumentException("InstallSnapshot needs a snapshot, not NONE");
      }
    }
  }
}
