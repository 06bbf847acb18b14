package io.distributedcache.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The send side of one established outbound connection: a queue that any thread appends encoded
 * messages to, drained on the channel's event loop.
 *
 * <h2>Why a queue of our own</h2>
 *
 * {@code channel.writeAndFlush} from a foreign thread costs one event-loop task and one flush (a
 * {@code writev} system call) per message. Here a sender appends to a lock-free queue and, only if
 * no drain is pending, schedules one; the drain writes everything queued (up to {@link #MAX_BATCH})
 * and flushes once. Under load many messages share one task and one system call; when idle a
 * message still leaves at once. Order is the queue's: FIFO per sending thread, and all messages to
 * one peer travel on this one connection.
 *
 * <h2>Bound</h2>
 *
 * A message is refused (the caller drops it) when the channel's outbound buffer is over its high
 * water mark (Netty's writability, set to the transport's limit) or this queue holds more than the
 * limit, so at most about twice the limit is buffered per peer however slow the peer is. Once
 * refusing, it goes on refusing until both are below half the limit (the low water mark).
 */
final class OutboundConnection {

  /** Messages written per drain before the loop gets a turn for other work. */
  static final int MAX_BATCH = 1024;

  private final Channel channel;
  private final long highWaterMarkBytes;
  private final Queue<ByteBuf> queue = new ConcurrentLinkedQueue<>();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  private final AtomicBoolean overloaded = new AtomicBoolean();

  OutboundConnection(Channel channel, long highWaterMarkBytes) {
    this.channel = channel;
    this.highWaterMarkBytes = highWaterMarkBytes;
  }

  Channel channel() {
    return channel;
  }

  /** Outcome of {@link #offer}. */
  enum Offer {
    QUEUED,
    /** Over the high water mark; the first refusal of an episode says so, to log it once. */
    OVERLOADED_FIRST,
    OVERLOADED,
    CLOSED
  }

  /**
   * Queues one payload (without its length prefix). Any thread; never blocks.
   *
   * @param payload an encoded message, owned by this connection from now on
   */
  Offer offer(byte[] payload) {
    if (!channel.isActive()) {
      // Closing (the peer went away, or was removed): a closed channel is also "not writable",
      // and must not be taken for a peer that does not keep up.
      return Offer.CLOSED;
    }
    long frameBytes = payload.length + (long) PeerFrameDecoder.LENGTH_BYTES;
    long queued = queuedBytes.get();
    // Hysteresis, as Netty's writability has: once over the mark, refuse until half drained, so
    // that an episode is one episode (one log line), not a flicker at the mark.
    long limit = overloaded.get() ? highWaterMarkBytes / 2 : highWaterMarkBytes;
    if (!channel.isWritable() || (queued > 0 && queued + frameBytes > limit)) {
      return overloaded.compareAndSet(false, true) ? Offer.OVERLOADED_FIRST : Offer.OVERLOADED;
    }
    overloaded.set(false);
    queuedBytes.addAndGet(frameBytes);
    queue.add(Unpooled.wrappedBuffer(payload));
    if (drainScheduled.compareAndSet(false, true)) {
      try {
        channel.eventLoop().execute(this::drain);
      } catch (RejectedExecutionException e) {
        // The event loop is shutting down: the transport is closing and the message is lost.
        drainScheduled.set(false);
        return Offer.CLOSED;
      }
    }
    return Offer.QUEUED;
  }

  /** Writes what is queued and flushes once. On the channel's event loop only. */
  void drain() {
    // Cleared first: a message queued from now on schedules another drain (maybe an empty one).
    drainScheduled.set(false);
    boolean active = channel.isActive();
    int written = 0;
    ByteBuf buf;
    while (written < MAX_BATCH && (buf = queue.poll()) != null) {
      queuedBytes.addAndGet(-(buf.readableBytes() + (long) PeerFrameDecoder.LENGTH_BYTES));
      if (active) {
        // The void promise: failures go to the pipeline's exceptionCaught, which closes.
        channel.write(buf, channel.voidPromise());
        written++;
      } else {
        buf.release();
      }
    }
    if (written > 0) {
      channel.flush();
    }
    if (!queue.isEmpty() && drainScheduled.compareAndSet(false, true)) {
      channel.eventLoop().execute(this::drain);
    }
  }

  /** Drops whatever is still queued, once the channel has closed. Any thread. */
  void discard() {
    if (drainScheduled.compareAndSet(false, true)) {
      try {
        channel.eventLoop().execute(this::drain);
      } catch (RejectedExecutionException e) {
        // Shutting down: the queued heap buffers go with the garbage.
      }
    }
  }
}
