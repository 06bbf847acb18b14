package io.distributedcache.core.cluster;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link ClusterNode}.
 *
 * @param nodeId this node's member id
 * @param requestTimeout how long a request may wait for peers before it is answered with an error
 *     (a write then reports an unknown outcome)
 * @param syncRetryInterval how often a catch-up round that got no answer is tried again
 * @param antiEntropyInterval how often replicas compare slot digests with the primaries, so that
 *     copies converge even after a lost message
 */
public record ClusterSettings(
    String nodeId,
    Duration requestTimeout,
    Duration syncRetryInterval,
    Duration antiEntropyInterval) {

  public ClusterSettings {
    Objects.requireNonNull(nodeId, "nodeId");
    requirePositive(requestTimeout, "requestTimeout");
    requirePositive(syncRetryInterval, "syncRetryInterval");
    requirePositive(antiEntropyInterval, "antiEntropyInterval");
  }

  /** Defaults: 1 s requests, catch-up retried every 500 ms, anti-entropy every 30 s. */
  public static ClusterSettings defaults(String nodeId) {
    return new ClusterSettings(
        nodeId, Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(30));
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }
}
