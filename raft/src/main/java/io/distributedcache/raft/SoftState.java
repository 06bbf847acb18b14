package io.distributedcache.raft;

/**
 * What a node currently believes about leadership. Not persisted: a restarted node starts as a
 * follower with no known leader.
 *
 * @param role this node's role
 * @param term this node's current term
 * @param leaderId the leader of {@code term} as far as this node knows, or {@code null} if unknown
 */
public record SoftState(Role role, long term, String leaderId) {

  /** Whether this node is the leader of its term. */
  public boolean isLeader() {
    return role == Role.LEADER;
  }
}
