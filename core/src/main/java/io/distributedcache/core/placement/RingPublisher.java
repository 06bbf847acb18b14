package io.distributedcache.core.placement;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@link RingSource} a node routes by, and the one place a new ring is published.
 *
 * <p>A new ring is built aside ({@link ConsistentHashRing#build}) and then swapped in with one
 * atomic reference write, so a reader sees either the old snapshot or the new one, complete, never
 * a ring under construction (seed bug 2). Epochs only grow: a snapshot whose epoch is not greater
 * than the current one is rejected, so a late or replayed update cannot roll placement back.
 *
 * <p>With static membership ({@code --members} on the command line) a node uses {@link
 * #staticMembership}, one snapshot at epoch {@value #STATIC_EPOCH} for its whole life; with the Raft
 * control plane the node publishes each committed layout under its epoch.
 *
 * <p>Thread-safety: {@link #current()} is one volatile read, lock-free, from any thread. {@link
 * #publish} may be called from any thread, also concurrently: a compare-and-set decides the order,
 * and a snapshot that lost to a newer one is rejected.
 */
public final class RingPublisher implements RingSource {

  /** The epoch of the single snapshot of a statically configured cluster. */
  public static final long STATIC_EPOCH = 1;

  private final AtomicReference<ConsistentHashRing> current;

  /**
   * Creates a publisher whose current snapshot is {@code initial}.
   *
   * @throws NullPointerException if {@code initial} is null
   */
  public RingPublisher(ConsistentHashRing initial) {
    this.current = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
  }

  /**
   * A publisher for a statically configured cluster: one ring at epoch {@value #STATIC_EPOCH}.
   *
   * @throws IllegalArgumentException as {@link ConsistentHashRing#build} does
   */
  public static RingPublisher staticMembership(
      List<Member> members, int virtualNodesPerMember, int replicationFactor) {
    return new RingPublisher(
        ConsistentHashRing.build(STATIC_EPOCH, members, virtualNodesPerMember, replicationFactor));
  }

  @Override
  public ConsistentHashRing current() {
    return current.get();
  }

  /**
   * Makes {@code next} the current snapshot. Any thread; lock-free; does not block.
   *
   * @throws IllegalArgumentException if {@code next.epoch()} is not greater than the current
   *     snapshot's epoch (the current snapshot stays)
   * @throws NullPointerException if {@code next} is null
   */
  public void publish(ConsistentHashRing next) {
    Objects.requireNonNull(next, "next");
    while (true) {
      ConsistentHashRing previous = current.get();
      if (next.epoch() <= previous.epoch()) {
        throw new IllegalArgumentException(
            "ring epoch must grow: current is "
                + previous.epoch()
                + ", rejected "
                + next.epoch());
      }
      if (current.compareAndSet(previous, next)) {
        return;
      }
    }
  }
}
