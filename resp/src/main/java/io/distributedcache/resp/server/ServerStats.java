package io.distributedcache.resp.server;

import java.util.concurrent.atomic.LongAdder;

/**
 * Server-wide counters for {@code INFO stats}. Incremented from every event loop; {@link LongAdder}
 * keeps the increments contention-free on the hot path.
 */
public final class ServerStats {
  final LongAdder commandsProcessed = new LongAdder();

  /** Keyed commands handed to the cluster (forwarded or coordinated at a level). */
  final LongAdder clusterRequests = new LongAdder();
  final LongAdder connectionsReceived = new LongAdder();
  final LongAdder netInputBytes = new LongAdder();
  final LongAdder netOutputBytes = new LongAdder();
  final LongAdder protocolErrors = new LongAdder();
  final LongAdder unknownCommands = new LongAdder();

  public long commandsProcessed() {
    return commandsProcessed.sum();
  }

  public long connectionsReceived() {
    return connectionsReceived.sum();
  }

  public long netInputBytes() {
    return netInputBytes.sum();
  }

  public long netOutputBytes() {
    return netOutputBytes.sum();
  }

  public long protocolErrors() {
    return protocolErrors.sum();
  }

  public long unknownCommands() {
    return unknownCommands.sum();
  }
}
