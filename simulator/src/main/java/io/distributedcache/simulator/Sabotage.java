package io.distributedcache.simulator;

/**
 * A deliberate defect the simulator can inject, so that tests can prove each invariant checker
 * fails when the property it checks is broken. Never used outside those tests.
 */
public enum Sabotage {
  /** Nothing: the simulated world is only as hostile as its {@link FaultProfile}. */
  NONE,
  /**
   * The network doubles the remaining time to live of every state it carries: copies outlive their
   * TTL window. {@link TtlStaysWithinWindow} must notice.
   */
  STRETCH_TTL,
  /**
   * Half-way through the workload one node silently loses its whole store without crashing (a
   * storage bug), so the checkers are not told that data may be gone. The read and convergence
   * checkers must notice.
   */
  AMNESIA,
  /**
   * After healing, one entry is planted, without the checkers' store hook, on a node that holds no
   * copy of its slot: the leftover a rebalance must never leave behind (seed bug 2). The cluster's
   * own {@code ClusterNode.verify}, which {@link Simulation} runs at the end of membership runs
   * and of this sabotage, must report it misplaced.
   */
  PLANT_MISPLACED,
  /**
   * The network loses every invalidation broadcast ({@code Invalidate}) without telling anyone, as
   * if a node skipped announcing its writes to its peers: their near caches keep values that were
   * overwritten. {@link NearCachesHearOfChanges} must notice.
   */
  LOSE_INVALIDATIONS
}
