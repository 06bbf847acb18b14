package io.distributedcache.transport;

import io.distributedcache.core.placement.Member;
import io.netty.channel.Channel;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's side of its relationship with one peer: the single outbound connection (being
 * dialed, shaking hands, or established), the peer's accepted inbound connections, and the
 * reconnect schedule.
 *
 * <p>One link per peer id for as long as the id is a peer: an address change ({@code addPeer} with
 * a new address) updates {@link #member} in place, and {@code removePeer} marks the link {@link
 * #removed} for good (a peer added again gets a new link). Everything that holds a link checks
 * {@code removed}, so a connection of a removed peer can never come back to life.
 *
 * <p>Fields other than the volatile ones and the warning clock are guarded by the link's monitor:
 * dial, close and redial decisions come from event-loop threads, from {@code close()} and from the
 * callers of {@code addPeer} and {@code removePeer}. {@link #ready}, {@link #member}, {@link
 * #reachable} and {@link #removed} are volatile so that {@code send} and the handlers read them
 * without a lock.
 */
final class PeerLink {

  /** The peer's id and the address we dial; changed only under the monitor. */
  private volatile Member member;

  /** The established connection (Hello exchange complete), or null. */
  volatile OutboundConnection ready;

  /** The channel of the current attempt, from dial to close; null between attempts. */
  Channel channel;

  /** Connection attempts so far, to tell reconnects from the first dial. */
  long attempts;

  /** Attempts since the last established connection; drives the backoff. */
  int consecutiveFailures;

  /** The scheduled redial, or null. */
  Future<?> redial;

  /** Inbound connections from this peer whose Hello we accepted and that are still open. */
  final Set<Channel> inbound = new HashSet<>();

  /** Whether the inbox was last told this peer is up (both directions open). */
  boolean announcedUp;

  /** {@link #announcedUp} for lock-free readers ({@code isReachable}). */
  volatile boolean reachable;

  /** Set once by {@code removePeer}; never cleared. */
  volatile boolean removed;

  /** When the last overload warning for this peer was logged; Long.MIN_VALUE for never. */
  private final AtomicLong lastOverloadWarningNanos = new AtomicLong(Long.MIN_VALUE);

  PeerLink(Member member) {
    this.member = member;
  }

  /**
   * Whether an overload warning may be logged now: true at most once per {@code intervalNanos}. Any
   * thread.
   */
  boolean claimOverloadWarning(long nowNanos, long intervalNanos) {
    long last = lastOverloadWarningNanos.get();
    return (last == Long.MIN_VALUE || nowNanos - last >= intervalNanos)
        && lastOverloadWarningNanos.compareAndSet(last, nowNanos);
  }

  Member member() {
    return member;
  }

  /** The peer's id, which never changes for a link. */
  String id() {
    return member.id();
  }

  /** Points the link at a new address. Under the monitor. */
  void member(Member moved) {
    if (!moved.id().equals(member.id())) {
      throw new IllegalArgumentException("a link keeps its id: " + member + " -> " + moved);
    }
    this.member = moved;
  }
}
