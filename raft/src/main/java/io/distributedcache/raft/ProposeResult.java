package io.distributedcache.raft;

/**
 * The answer of {@link RaftNode#propose}. Acceptance only means the entry is in the leader's log:
 * it commits when it is applied from a {@link Ready}, and may still be lost if the leader loses its
 * leadership first (the application retries, ideally with an idempotent command).
 */
public sealed interface ProposeResult {

  /**
   * The leader appended the command.
   *
   * @param term the term of the new entry
   * @param index the index of the new entry; it commits at this index and term or never
   */
  record Accepted(long term, long index) implements ProposeResult {}

  /**
   * This node leads but refuses the proposal; so far only configuration changes are refused, for
   * example while another one is not committed yet. Retrying later may succeed.
   *
   * @param reason why, for logs and operators
   */
  record Rejected(String reason) implements ProposeResult {}

  /**
   * This node is not the leader.
   *
   * @param leaderId the leader this node knows for its current term, or {@code null} if unknown
   */
  record NotLeader(String leaderId) implements ProposeResult {

    /** Whether the proposer may redirect to {@link #leaderId()}. */
    public boolean leaderKnown() {
      return leaderId != null;
    }
  }
}
