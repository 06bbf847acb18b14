package io.distributedcache.raft;

/**
 * The part of a node's state besides its log that must be on stable storage before the node sends
 * any message that depends on it (Raft paper figure 2, "Persistent state on all servers").
 *
 * @param term the latest term this node has seen, 0 before any
 * @param votedFor the member this node voted for in {@code term}, or {@code null} if none
 */
public record HardState(long term, String votedFor) {

  /** The state of a node that has never run. */
  public static final HardState INITIAL = new HardState(0, null);

  /** Validates the term. */
  public HardState {
    if (term < 0) {
      throw new IllegalArgumentException("term must be >= 0: " + term);
    }
  }
}
