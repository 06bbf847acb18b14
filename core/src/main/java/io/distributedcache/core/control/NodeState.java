package io.distributedcache.core.control;

/**
 * The state of a node in the cluster metadata ({@link ClusterMetadata}). A node is in exactly one
 * state; which rings place it follows from that state alone.
 *
 * <p>The snapshot and command encodings write a state as its ordinal (ACTIVE=0, FAILED=1,
 * JOINING=2, LEAVING=3): reordering or inserting constants changes the format.
 */
public enum NodeState {
  /** Serving: placed in the serving ring and, during a rebalance, in the target ring. */
  ACTIVE,
  /**
   * Declared failed by the leader's failure detector: still placed in both rings (its copies stay
   * assigned to it, so nothing moves) but demoted to the end of every preference list, so the next
   * live member is primary of its slots.
   */
  FAILED,
  /** Added and pulling its slots: placed only in the target ring until the cutover. */
  JOINING,
  /** Leaving or decommissioned: placed only in the serving ring until the cutover removes it. */
  LEAVING
}
