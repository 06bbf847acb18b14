package io.distributedcache.embedded;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.cluster.VerifyReport;
import io.distributedcache.embedded.internal.ClusterBoot;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Reads and writes of raw bytes at a level chosen per call, and {@link #verify()}, which compares
 * every copy in the cluster.
 *
 * <p>Levels count copies of the key ({@link ConsistencyLevel#requiredCopies}): a write at {@code
 * QUORUM} returns once a majority applied it, a read at {@code QUORUM} compares a majority and
 * returns the newest version (repairing stale copies). A write and a later read at {@code
 * QUORUM} always meet on one copy. Each level has its own session: a read sees the writes made
 * before it at the same level through this checker (read your own writes).
 *
 * <p>Thread-safe. Blocking methods wait at most the request timeout and throw {@link
 * CacheException}s; the {@code Async} variants complete on a callback thread.
 */
public final class ConsistencyChecker {

  private final CacheNode node;
  private final Map<ConsistencyLevel, NodeSession> sessions = new EnumMap<>(ConsistencyLevel.class);

  ConsistencyChecker(CacheNode node) {
    this.node = node;
    for (ConsistencyLevel level : ConsistencyLevel.values()) {
      sessions.put(level, new NodeSession(node, level));
    }
  }

  /**
   * Stores {@code value} under {@code key} once {@code level}'s count of copies applied it.
   *
   * @param ttl how long the value lives; null for the node's default TTL (none if it has none)
   * @throws CacheTimeoutException if not confirmed in time (the outcome is unknown)
   * @throws ClusterUnavailableException if too few copies are reachable (nothing was written)
   */
  public void writeWithConsistency(
      byte[] key, byte[] value, Duration ttl, ConsistencyLevel level) {
    sessions.get(level).call(setArgs(key, value, ttl), NodeSession::ok);
  }

  public CompletableFuture<Void> writeWithConsistencyAsync(
      byte[] key, byte[] value, Duration ttl, ConsistencyLevel level) {
    return sessions.get(level).callAsync(setArgs(key, value, ttl), NodeSession::ok);
  }

  /** The newest value of {@code key} among {@code level}'s count of copies; empty if missing. */
  public Optional<byte[]> readWithConsistency(byte[] key, ConsistencyLevel level) {
    return sessions.get(level).call(CacheProtocol.get(key), r -> Optional.ofNullable(NodeSession.bulk(r)));
  }

  public CompletableFuture<Optional<byte[]>> readWithConsistencyAsync(
      byte[] key, ConsistencyLevel level) {
    return sessions
        .get(level)
        .callAsync(CacheProtocol.get(key), r -> Optional.ofNullable(NodeSession.bulk(r)));
  }

  /**
   * Compares every member's copies of every slot (by digest: keys and versions): whether each
   * copy that should exist does, agrees with the others, and no member holds a slot it should
   * not. The future completes on a callback thread, within about the request timeout (members
   * that did not answer are listed as unreachable). A write still travelling to its replicas shows
   * as a difference: on a busy cluster, repeat before drawing conclusions. A standalone node
   * reports a healthy single copy.
   */
  public CompletableFuture<VerifyReport> verify() {
    ClusterBoot boot = node.boot();
    if (boot == null) {
      return CompletableFuture.completedFuture(
          new VerifyReport(0, 1, List.of(), 0, 0, 0, 0, List.of()));
    }
    CompletableFuture<VerifyReport> report = new CompletableFuture<>();
    boot.verify(r -> node.runCallback(() -> report.complete(r)));
    return report;
  }

  private byte[][] setArgs(byte[] key, byte[] value, Duration ttl) {
    Duration effective = ttl != null ? ttl : node.config().defaultTtl().orElse(null);
    return CacheProtocol.set(key, value, effective, false);
  }
}
