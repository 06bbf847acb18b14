package io.distributedcache.core.cluster;

import io.distributedcache.core.cluster.message.StateEntry;
import io.distributedcache.core.storage.ByteKey;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What the cluster remembers about one client connection (or embedded session): its consistency
 * levels, and the versions it wrote, so that its reads never go back in time (read your own
 * writes, at every level).
 *
 * <p>Design note. The versions live in a small access-ordered map, bounded at {@link
 * #REMEMBERED_KEYS}. A key pushed out of it is not forgotten but folded into {@link #floorVersion}:
 * from then on every key this session has not written recently must be read at least that new, which
 * sends such reads to the primary (always current) instead of a replica. Being conservative costs
 * a hop, never a stale read.
 *
 * <p>Thread-safety: a connection runs one cluster request at a time, but the request completes on
 * a transport thread; the methods are synchronized so that the handover needs no further care.
 */
public final class ClusterSession {

  /** How many written keys a session remembers exactly. */
  public static final int REMEMBERED_KEYS = 1024;

  private ConsistencyLevel readLevel;
  private ConsistencyLevel writeLevel;
  private long floorVersion = StateEntry.ABSENT;

  private final Map<ByteKey, Long> written =
      new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<ByteKey, Long> eldest) {
          if (size() > REMEMBERED_KEYS) {
            floorVersion = Math.max(floorVersion, eldest.getValue());
            return true;
          }
          return false;
        }
      };

  /** A session that reads and writes at {@code level}. */
  public ClusterSession(ConsistencyLevel level) {
    this(level, level);
  }

  /** A session with separate read and write levels. */
  public ClusterSession(ConsistencyLevel readLevel, ConsistencyLevel writeLevel) {
    this.readLevel = Objects.requireNonNull(readLevel, "readLevel");
    this.writeLevel = Objects.requireNonNull(writeLevel, "writeLevel");
  }

  public synchronized ConsistencyLevel readLevel() {
    return readLevel;
  }

  public synchronized ConsistencyLevel writeLevel() {
    return writeLevel;
  }

  public synchronized void readLevel(ConsistencyLevel level) {
    this.readLevel = Objects.requireNonNull(level, "level");
  }

  public synchronized void writeLevel(ConsistencyLevel level) {
    this.writeLevel = Objects.requireNonNull(level, "level");
  }

  /**
   * The oldest version of {@code key} this session may read: its own last write of the key, or
   * the floor for keys it no longer remembers; {@link StateEntry#ABSENT} if there is no constraint.
   */
  public synchronized long minVersion(ByteKey key) {
    Long version = written.get(key);
    return version != null ? version : floorVersion;
  }

  /** Records that this session's write left {@code key} at {@code version}. */
  public synchronized void recordWrite(ByteKey key, long version) {
    if (version == StateEntry.ABSENT) {
      return;
    }
    written.merge(key, version, Math::max);
  }

  /** Number of keys remembered exactly (for tests and {@code CLIENT INFO}). */
  public synchronized int rememberedKeys() {
    return written.size();
  }
}
