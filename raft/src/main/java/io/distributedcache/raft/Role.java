package io.distributedcache.raft;

/** The role a {@link RaftNode} plays in its current term. */
public enum Role {
  /** Follows a leader (or waits for one); grants votes; campaigns when its election timer fires. */
  FOLLOWER,
  /**
   * Runs a pre-vote (Ongaro's thesis, section 9.6) without changing its term: it asks whether a
   * majority would vote for it, so a node that cannot win (partitioned, or behind in its log) never
   * bumps the term and disrupts a working leader.
   */
  PRE_CANDIDATE,
  /** Has incremented its term, voted for itself and asks the others for their votes. */
  CANDIDATE,
  /** Replicates its log to the others and decides the commit index. At most one per term. */
  LEADER
}
