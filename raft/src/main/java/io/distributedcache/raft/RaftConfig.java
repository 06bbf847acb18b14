package io.distributedcache.raft;

/**
 * Timing and batching settings of a {@link RaftNode}, in logical ticks.
 *
 * <p>A tick is whatever period the application chooses (for example 100 ms). Followers campaign
 * after a randomised timeout in {@code [electionTimeoutTicks, 2 * electionTimeoutTicks)} without
 * hearing from a leader; the leader sends heartbeats every {@code heartbeatIntervalTicks} and,
 * under check-quorum, steps down after an election timeout without hearing from a majority.
 *
 * @param electionTimeoutTicks the minimum election timeout; must exceed the heartbeat interval
 * @param heartbeatIntervalTicks ticks between the leader's heartbeats, at least 1
 * @param maxEntriesPerAppend the most log entries one {@link RaftMessage.AppendEntries} carries
 */
public record RaftConfig(
    int electionTimeoutTicks, int heartbeatIntervalTicks, int maxEntriesPerAppend) {

  /** Election timeout 10 ticks, heartbeat every tick, up to 64 entries per append (as etcd). */
  public static final RaftConfig DEFAULT = new RaftConfig(10, 1, 64);

  /** Validates the settings. */
  public RaftConfig {
    if (heartbeatIntervalTicks < 1) {
      throw new IllegalArgumentException(
          "heartbeatIntervalTicks must be >= 1: " + heartbeatIntervalTicks);
    }
    if (electionTimeoutTicks <= heartbeatIntervalTicks) {
      throw new IllegalArgumentException(
          "electionTimeoutTicks ("
              + electionTimeoutTicks
              + ") must exceed heartbeatIntervalTicks ("
              + heartbeatIntervalTicks
              + ")");
    }
    if (maxEntriesPerAppend < 1) {
      throw new IllegalArgumentException(
          "maxEntriesPerAppend must be >= 1: " + maxEntriesPerAppend);
    }
  }
}
