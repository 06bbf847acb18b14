package io.distributedcache.embedded.internal;

/**
 * What every log line of a server process names besides its message: the node's id and the ring
 * epoch it has applied. Set by {@link ClusterBoot} (the id at start, the epoch on every applied
 * layout); read by the server's log layout on whichever thread logs. One node per process, so
 * process-wide fields are the truth; an embedded application running several nodes in one JVM
 * sees the last one started.
 */
public final class LogContext {

  private static volatile String nodeId = "-";
  private static volatile long epoch;

  private LogContext() {}

  /** The node id, or "-" for a node outside any cluster. */
  public static String nodeId() {
    return nodeId;
  }

  /** The epoch of the layout the node applied last; 0 before the first. */
  public static long epoch() {
    return epoch;
  }

  static void nodeId(String id) {
    nodeId = id;
  }

  static void epoch(long value) {
    epoch = value;
  }
}
