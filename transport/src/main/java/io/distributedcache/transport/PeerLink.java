package io.distributedcache.transport;

import io.distributedcache.core.placement.Member;
import io.netty.channel.Channel;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's side of its relationship with one other member: the single outbound connection (being
 * dialed, shaking hands, or established) and the reconnect schedule.
 *
 * <p>Fields other than {@link #ready} and the warning clock are guarded by the link's monitor:
 * dial, close and redial decisions come from event-loop threads and from {@code close()}. {@link
 * #ready} is volatile so that {@code send} reads it without a lock.
 */
final class PeerLink {

  private final Member member;

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
  int inbound;

  /** Whether the inbox was last told this peer is up (both directions open). */
  boolean announcedUp;

  /** {@link #announcedUp} for lock-free readers ({@code isReachable}). */
  volatile boolean reachable;

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
}
