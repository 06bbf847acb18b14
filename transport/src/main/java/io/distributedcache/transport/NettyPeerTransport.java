package io.distributedcache.transport;

import io.distributedcache.core.cluster.PeerInbox;
import io.distributedcache.core.cluster.PeerOutbox;
import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.Hello;
import io.distributedcache.core.cluster.message.PeerCodec;
import io.distributedcache.core.placement.Member;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peer transport over TCP with Netty: frames of {@link PeerCodec} payloads between the members
 * of one cluster.
 *
 * <h2>Connections</h2>
 *
 * Each node listens on its member's cluster port and dials every other member. Everything this node
 * sends to a peer travels on its single <em>outbound</em> connection to that peer, in the order
 * {@link #send} was called (FIFO per calling thread); connections the peer dialed to us are used
 * only to receive. So all messages from A to B share one TCP stream and arrive in order. (Anything
 * a peer sends after the Hello is delivered whichever connection it comes on; this implementation
 * just never sends on an accepted connection.)
 *
 * <p>Both sides open with a {@link Hello} (node id and membership digest). The accepting side
 * answers only a Hello it accepts, from another member with the same membership digest. A peer is
 * <em>reachable</em> ({@link #isReachable}, {@link PeerInbox#onPeerUp}) once both directions are
 * open: our outbound connection established (our Hello written, the peer's answering Hello
 * received) and an inbound connection from the peer accepted. Both, because a request travels on
 * our connection and its answer on the peer's: a node that counted a peer reachable on its own
 * connection alone would send requests whose answers the peer cannot send yet (after a restart,
 * while the peer's redial waits out its backoff). It goes down ({@link PeerInbox#onPeerDown}) when
 * either closes. An accepted inbound connection also makes us dial the peer at once if we are not
 * connected, instead of waiting for the backoff. Whatever breaks the protocol on
 * a connection (a frame that does not decode, a frame over the limit, a wrong digest or node id,
 * anything but a Hello first, no Hello within the connect timeout) closes that one connection with
 * one warning in the log; the process and its other connections carry on.
 *
 * <p>A closed or failed outbound connection is dialed again after an exponential backoff with
 * jitter: the n-th consecutive failure waits a random time in {@code [d/2, d]} with {@code d =
 * min(reconnectBackoffMin * 2^n, reconnectBackoffMax)}. Messages sent while a peer is unreachable
 * are dropped, not buffered: the sender's timeouts deal with the loss. A peer that does not keep up
 * (more than the high water mark buffered for it) has its connection closed, so that no message is
 * ever lost silently on a connection that stays up; the inbox of the receiving side hears of every
 * new inbound connection ({@link PeerInbox#onInboundConnection}).
 *
 * <h2>Threading</h2>
 *
 * {@link #send}, {@link #isReachable} and {@link #stats} may be called from any thread and never
 * block. {@code send} encodes on the caller's thread and appends to the connection's queue, which
 * the event loop drains in batches with one flush each (see {@link OutboundConnection}). Inbox
 * callbacks run on event-loop threads: messages of one sender arrive on one thread in order;
 * different senders may be delivered concurrently. {@link #start} and {@link #close} are for the
 * owner's thread, never an event-loop thread. After {@code close()} no callback is made.
 *
 * <h2>Limits</h2>
 *
 * Frames are at most {@link PeerCodec#MAX_FRAME_BYTES} (64 KiB until the Hello is accepted). At
 * most about twice {@code writeBufferHighWaterMark} bytes are buffered per peer; past that {@code
 * send} drops and returns false, with one warning per episode (at most one per peer every 10 s).
 */
public final class NettyPeerTransport implements PeerOutbox, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(NettyPeerTransport.class);

  /** The default per-peer buffer bound: 64 MiB. */
  public static final int DEFAULT_HIGH_WATER_MARK_BYTES = 64 << 20;

  private static final LengthFieldPrepender LENGTH_PREPENDER =
      new LengthFieldPrepender(PeerFrameDecoder.LENGTH_BYTES);

  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  /**
   * At most one overload warning per peer in this interval: a peer that is just slow can go over
   * and under the mark many times a second, and one line says it all.
   */
  private static final Duration OVERLOAD_WARNING_INTERVAL = Duration.ofSeconds(10);

  private final Member self;
  private final long membershipDigest;
  private final PeerInbox inbox;
  private final long connectTimeoutMillis;
  private final long backoffMinNanos;
  private final long backoffMaxNanos;
  private final int highWaterMarkBytes;
  private final int ioThreads;
  private final byte[] helloPayload;

  /** Every other member, by id, in the order of the member list. */
  private final Map<String, PeerLink> links;

  /** Every open channel (server, outbound, inbound), to close them all. */
  private final Set<Channel> channels = ConcurrentHashMap.newKeySet();

  private final LongAdder messagesSent = new LongAdder();
  private final LongAdder bytesSent = new LongAdder();
  private final LongAdder messagesReceived = new LongAdder();
  private final LongAdder bytesReceived = new LongAdder();
  private final LongAdder messagesDropped = new LongAdder();
  private final LongAdder reconnects = new LongAdder();
  private final LongAdder protocolErrors = new LongAdder();

  private volatile EventLoopGroup group;
  private final boolean ownsGroup;
  private volatile boolean closed;
  private boolean started;
  private Channel serverChannel;
  private Bootstrap dialer;

  private NettyPeerTransport(Builder b) {
    this.self = b.self;
    this.membershipDigest = b.membershipDigest;
    this.inbox = b.inbox;
    this.connectTimeoutMillis = Math.max(1, b.connectTimeout.toMillis());
    this.backoffMinNanos = b.backoffMin.toNanos();
    this.backoffMaxNanos = b.backoffMax.toNanos();
    this.highWaterMarkBytes = b.highWaterMarkBytes;
    this.ioThreads = b.ioThreads;
    this.group = b.group;
    this.ownsGroup = b.group == null;
    this.helloPayload =
        PeerCodec.encode(new Envelope(0, 0, new Hello(self.id(), membershipDigest)));
    Map<String, PeerLink> byId = new LinkedHashMap<>();
    for (Member member : b.members) {
      if (!member.id().equals(self.id())) {
        byId.put(member.id(), new PeerLink(member));
      }
    }
    this.links = Map.copyOf(byId);
  }

  /**
   * Starts a builder.
   *
   * @param self this node; must be one of {@code members}
   * @param members every member of the cluster, this node included
   * @param membershipDigest the digest of the member list (the ring's); peers with another digest
   *     are refused
   * @param inbox where received messages and peer up/down events go
   */
  public static Builder builder(
      Member self, List<Member> members, long membershipDigest, PeerInbox inbox) {
    return new Builder(self, members, membershipDigest, inbox);
  }

  /**
   * Binds the cluster port on {@code self.host():self.clusterPort()} and starts dialing every other
   * member. Returns once the port is bound; connections come up in the background. Owner's thread.
   *
   * @throws IllegalStateException if the port cannot be bound, or on a second call
   */
  public synchronized NettyPeerTransport start() {
    if (started || closed) {
      throw new IllegalStateException("start() may be called once, before close()");
    }
    started = true;
    boolean epoll;
    if (ownsGroup) {
      epoll = Epoll.isAvailable();
      group =
          new MultiThreadIoEventLoopGroup(
              ioThreads,
              new DefaultThreadFactory("peer-" + self.id()),
              epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    } else {
      epoll = group instanceof IoEventLoopGroup g && g.isIoType(EpollIoHandler.class);
    }
    ServerBootstrap server =
        new ServerBootstrap()
            .group(group)
            .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 128)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.SO_KEEPALIVE, true)
            .childHandler(initializer(null));
    try {
      serverChannel = server.bind(self.host(), self.clusterPort()).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new IllegalStateException("interrupted while binding the cluster port", e);
    } catch (Exception e) { // sync() rethrows the bind failure's checked IOException
      close();
      throw new IllegalStateException(
          "cannot listen on " + self.address() + " (cluster port of " + self.id() + "): " + e, e);
    }
    channels.add(serverChannel);
    dialer =
        new Bootstrap()
            .group(group)
            .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(connectTimeoutMillis, Integer.MAX_VALUE))
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .option(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(highWaterMarkBytes / 2, highWaterMarkBytes));
    log.info(
        "peer transport of {} listening on {} ({}, {}), dialing {} peers",
        self.id(),
        serverChannel.localAddress(),
        epoll ? "epoll" : "nio",
        ownsGroup ? ioThreads + " own event loops" : "shared event loops",
        links.size());
    for (PeerLink link : links.values()) {
      dial(link);
    }
    return this;
  }

  /** The port the server socket is bound to. */
  public int boundPort() {
    Channel server = serverChannel;
    if (server == null) {
      throw new IllegalStateException("not started");
    }
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Encodes on the calling thread, then queues; the bytes leave on the connection's event loop.
   * Returns false (and drops the message) when the peer is not reachable or more than the high
   * water mark is already buffered for it.
   *
   * @throws IllegalArgumentException if {@code nodeId} is not another member, if the message is a
   *     {@link Hello} (the transport's own), or if it cannot be encoded ({@link PeerCodec#encode}):
   *     these are bugs of the caller, not network trouble
   */
  @Override
  public boolean send(String nodeId, Envelope message) {
    Objects.requireNonNull(message, "message");
    PeerLink link = links.get(nodeId);
    if (link == null) {
      throw new IllegalArgumentException(
          "'" + nodeId + "' is not a peer of " + self.id() + " (peers: " + links.keySet() + ")");
    }
    if (message.body() instanceof Hello) {
      throw new IllegalArgumentException("the Hello is sent by the transport itself");
    }
    // Encoded even when the message will be dropped, so that a message that cannot be sent fails
    // the same way whether or not the peer happens to be up.
    byte[] payload = PeerCodec.encode(message);
    OutboundConnection connection = link.ready;
    if (connection == null || closed) {
      messagesDropped.increment();
      return false;
    }
    switch (connection.offer(payload)) {
      case QUEUED:
        messagesSent.increment();
        bytesSent.add(payload.length + (long) PeerFrameDecoder.LENGTH_BYTES);
        return true;
      case OVERLOADED_FIRST:
        if (link.claimOverloadWarning(System.nanoTime(), OVERLOAD_WARNING_INTERVAL.toNanos())) {
          log.warn(
              "peer {} is not keeping up: over {} bytes buffered for it; closing the connection"
                  + " (it reconnects and compares its copies)",
              nodeId,
              highWaterMarkBytes);
        } else {
          log.debug("peer {} is not keeping up again", nodeId);
        }
        // A message dropped on a live connection would be a silent gap in what the peer has;
        // closing makes the gap visible on both sides (down here, a new connection there).
        connection.channel().close();
        messagesDropped.increment();
        return false;
      default:
        messagesDropped.increment();
        return false;
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>True once the outbound connection is established, our Hello written and the peer's Hello
   * (its acceptance of ours) received; false for ids that are not peers. Any thread.
   */
  @Override
  public boolean isReachable(String nodeId) {
    PeerLink link = links.get(nodeId);
    return link != null && link.reachable && !closed;
  }

  /** A snapshot of the counters and the per-peer connected flags. Any thread. */
  public TransportStats stats() {
    Map<String, Boolean> connected = new LinkedHashMap<>();
    for (PeerLink link : links.values()) {
      connected.put(link.member().id(), link.reachable);
    }
    return new TransportStats(
        messagesSent.sum(),
        bytesSent.sum(),
        messagesReceived.sum(),
        bytesReceived.sum(),
        messagesDropped.sum(),
        reconnects.sum(),
        protocolErrors.sum(),
        connected);
  }

  /**
   * Stops dialing, closes every connection and the server socket, and, if the transport made its
   * own event loops, shuts them down and waits for them. Idempotent. Owner's thread, never an
   * event-loop thread (it waits for them).
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    for (PeerLink link : links.values()) {
      synchronized (link) {
        if (link.redial != null) {
          link.redial.cancel(false);
          link.redial = null;
        }
      }
    }
    for (Channel channel : channels) {
      channel.close();
    }
    for (Channel channel : channels) {
      channel.closeFuture().awaitUninterruptibly(CLOSE_TIMEOUT.toMillis());
    }
    EventLoopGroup own = ownsGroup ? group : null;
    if (own != null) {
      own.shutdownGracefully(0, CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .syncUninterruptibly();
    }
    log.info("peer transport of {} closed", self.id());
  }

  private ChannelInitializer<Channel> initializer(PeerLink link) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel channel) {
        // Added before the closed check: close() sets closed, then closes what is in the set.
        channels.add(channel);
        channel.closeFuture().addListener(f -> channels.remove(channel));
        if (closed) {
          channel.close();
          return;
        }
        PeerFrameDecoder frames = new PeerFrameDecoder();
        channel
            .pipeline()
            .addLast("frames", frames)
            .addLast("length", LENGTH_PREPENDER)
            .addLast("peer", new PeerChannelHandler(NettyPeerTransport.this, frames, link));
      }
    };
  }

  private void dial(PeerLink link) {
    ChannelFuture connect;
    synchronized (link) {
      link.redial = null;
      if (closed || link.channel != null) {
        return;
      }
      if (link.attempts++ > 0) {
        reconnects.increment();
      }
      Member member = link.member();
      connect =
          dialer.clone().handler(initializer(link)).connect(member.host(), member.clusterPort());
      link.channel = connect.channel();
    }
    Channel channel = connect.channel();
    connect.addListener(
        f -> {
          if (!f.isSuccess()) {
            log.debug("cannot connect to {}: {}", link.member(), f.cause().toString());
            channel.close();
          }
        });
    channel.closeFuture().addListener(f -> outboundClosed(link, channel));
  }

  /** The peer answered our Hello on {@code channel}: it is reachable. On the channel's loop. */
  void outboundReady(PeerLink link, Channel channel) {
    synchronized (link) {
      if (closed || link.channel != channel) {
        return;
      }
      link.ready = new OutboundConnection(channel, highWaterMarkBytes);
      link.consecutiveFailures = 0;
      announce(link);
    }
  }

  /**
   * Tells the inbox when the peer's reachability (both directions open) changed. Called under the
   * link's monitor, so that the inbox hears ups and downs in the order they happened; the inbox
   * does not block.
   */
  private void announce(PeerLink link) {
    boolean up = !closed && link.ready != null && link.inbound > 0;
    if (up == link.announcedUp) {
      return;
    }
    link.announcedUp = up;
    link.reachable = up;
    String id = link.member().id();
    if (up) {
      log.info("peer {} is reachable", id);
    } else if (!closed) {
      log.info("peer {} is unreachable: a connection with it closed", id);
    }
    try {
      if (up) {
        inbox.onPeerUp(id);
      } else if (!closed) {
        inbox.onPeerDown(id);
      }
    } catch (RuntimeException e) {
      log.error("inbox failed on peer {} {}", id, up ? "up" : "down", e);
    }
  }

  /** An inbound connection from {@code peerId} closed after its Hello was accepted. */
  void inboundClosed(String peerId) {
    PeerLink link = links.get(peerId);
    if (link == null) {
      return;
    }
    synchronized (link) {
      link.inbound--;
      announce(link);
    }
  }

  /**
   * A peer's connection to us completed its Hello: tell the inbox, which learns that what the peer
   * sent on an earlier connection may be lost. On the channel's loop.
   */
  void inboundReady(String peerId) {
    PeerLink link = links.get(peerId);
    if (link == null) {
      return;
    }
    boolean dialNow;
    synchronized (link) {
      link.inbound++;
      // The peer is evidently up: do not let a backoff delay the connection its answers need.
      dialNow = !closed && link.channel == null;
      if (dialNow && link.redial != null) {
        link.redial.cancel(false);
        link.redial = null;
        link.consecutiveFailures = 0;
      }
      announce(link);
    }
    try {
      inbox.onInboundConnection(peerId);
    } catch (RuntimeException e) {
      log.error("inbox failed on inbound connection from {}", peerId, e);
    }
    if (dialNow) {
      dial(link);
    }
  }

  /** The outbound channel closed (or never connected). On the channel's loop. */
  private void outboundClosed(PeerLink link, Channel channel) {
    OutboundConnection lost;
    synchronized (link) {
      if (link.channel != channel) {
        return;
      }
      link.channel = null;
      lost = link.ready;
      link.ready = null;
      announce(link);
    }
    if (lost != null) {
      lost.discard();
    }
    // After onPeerDown returned, so that the next onPeerUp cannot overtake it.
    scheduleRedial(link);
  }

  private void scheduleRedial(PeerLink link) {
    synchronized (link) {
      if (closed || link.channel != null || link.redial != null) {
        return;
      }
      long delayNanos = backoffNanos(link.consecutiveFailures++);
      try {
        link.redial = group.schedule(() -> dial(link), delayNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        // The event loops are shutting down: so is the transport.
      }
    }
  }

  /** A random delay in {@code [d/2, d]}, {@code d = min(min * 2^failures, max)}. */
  private long backoffNanos(int failures) {
    long delay = backoffMinNanos;
    for (int i = 0; i < failures && delay < backoffMaxNanos; i++) {
      delay *= 2;
    }
    delay = Math.min(delay, backoffMaxNanos);
    long half = delay / 2;
    return half + ThreadLocalRandom.current().nextLong(delay - half + 1);
  }

  // ---- for PeerChannelHandler, on event-loop threads ----

  long connectTimeoutMillis() {
    return connectTimeoutMillis;
  }

  long membershipDigest() {
    return membershipDigest;
  }

  byte[] helloPayload() {
    return helloPayload;
  }

  boolean isPeerId(String nodeId) {
    return links.containsKey(nodeId);
  }

  void countReceivedBytes(long bytes) {
    bytesReceived.add(bytes);
  }

  void countProtocolError() {
    protocolErrors.increment();
  }

  void deliver(String fromNodeId, Envelope envelope) {
    messagesReceived.increment();
    if (closed) {
      return;
    }
    try {
      inbox.onMessage(fromNodeId, envelope);
    } catch (RuntimeException e) {
      // The inbox must not throw; if it does, the connection is not to blame.
      log.error(
          "inbox failed on {} from {}", envelope.body().getClass().getSimpleName(), fromNodeId, e);
    }
  }

  /** Configures a {@link NettyPeerTransport}. Not thread-safe; build once. */
  public static final class Builder {
    private final Member self;
    private final List<Member> members;
    private final long membershipDigest;
    private final PeerInbox inbox;
    private Duration connectTimeout = Duration.ofSeconds(3);
    private Duration backoffMin = Duration.ofMillis(50);
    private Duration backoffMax = Duration.ofSeconds(5);
    private EventLoopGroup group;
    private int ioThreads = 2;
    private int highWaterMarkBytes = DEFAULT_HIGH_WATER_MARK_BYTES;

    private Builder(Member self, List<Member> members, long membershipDigest, PeerInbox inbox) {
      this.self = Objects.requireNonNull(self, "self");
      this.members = List.copyOf(members);
      this.membershipDigest = membershipDigest;
      this.inbox = Objects.requireNonNull(inbox, "inbox");
      Member.checkDistinct(this.members);
      if (!this.members.contains(self)) {
        throw new IllegalArgumentException(
            "self " + self + " is not in the member list " + this.members);
      }
    }

    /**
     * How long a dial may take to connect, and how long any connection may take to complete its
     * Hello exchange. Default 3 s.
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /** The reconnect backoff's bounds (see the class comment). Default 50 ms to 5 s. */
    public Builder reconnectBackoff(Duration min, Duration max) {
      positive(min, "min backoff");
      positive(max, "max backoff");
      if (min.compareTo(max) > 0) {
        throw new IllegalArgumentException("min backoff " + min + " exceeds max " + max);
      }
      this.backoffMin = min;
      this.backoffMax = max;
      return this;
    }

    /**
     * Event loops to share (for example with the RESP server); the transport then does not shut
     * them down. Epoll channels are used if the group is an epoll group, NIO otherwise.
     */
    public Builder eventLoopGroup(EventLoopGroup shared) {
      this.group = Objects.requireNonNull(shared, "shared");
      return this;
    }

    /** Threads of the transport's own event loops, when no group is shared. Default 2. */
    public Builder ioThreads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("ioThreads must be >= 1: " + threads);
      }
      this.ioThreads = threads;
      return this;
    }

    /**
     * Bytes buffered for one peer beyond which {@code send} drops. Default {@link
     * #DEFAULT_HIGH_WATER_MARK_BYTES}.
     */
    public Builder writeBufferHighWaterMark(int bytes) {
      if (bytes < 2) {
        throw new IllegalArgumentException("high water mark must be >= 2 bytes: " + bytes);
      }
      this.highWaterMarkBytes = bytes;
      return this;
    }

    /** A transport that has not started yet: call {@link NettyPeerTransport#start()}. */
    public NettyPeerTransport build() {
      return new NettyPeerTransport(this);
    }

    private static Duration positive(Duration d, String what) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive: " + d);
      }
      return d;
    }
  }
}
