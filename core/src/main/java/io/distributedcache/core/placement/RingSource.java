package io.distributedcache.core.placement;

import java.util.Objects;

/**
 * Where an operation gets the ring it routes by.
 *
 * <p>Who calls: the cluster node, on any thread (event loops, the replication and rebalancing
 * state machines), once at the start of each operation. Every operation reads {@link #current()}
 * once and uses that snapshot to its end, so a ring published halfway through never splits an
 * operation between two layouts (seed bug 2); a peer message then carries that snapshot's epoch.
 *
 * <p>{@link #current()} never blocks, never throws and never returns null.
 */
public interface RingSource {

  /** The latest published snapshot; immutable, so it may be held as long as the caller likes. */
  ConsistentHashRing current();

  /** A source that always returns {@code ring}, for tests and for one-shot tools. */
  static RingSource of(ConsistentHashRing ring) {
    Objects.requireNonNull(ring, "ring");
    return () -> ring;
  }
}
