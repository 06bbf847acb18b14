package io.distributedcache.transport;

import io.distributedcache.core.cluster.PeerInbox;
import io.distributedcache.core.cluster.PeerOutbox;
import io.distributedcache.core.cluster.message.ControlFrame;
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
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peer transport over TCP with Netty: frames of {@link PeerCodec} payloads between the nodes of
 * one cluster, whose membership may change while it runs.
 *
 * <h2>Peers</h2>
 *
 * The transport talks to its <em>peers</em>: the initial members it was built with, the members
 * added with {@link #addPeer} (and moved to a new address by calling it again), the nodes learned
 * through {@link #dial(String, int)} and the strangers it accepted (below), minus those removed with
 * {@link #removePeer}. It dials every peer and keeps redialing it until it is removed or the
 * transport closes. The transport does not decide membership; the metadata layer above does, and
 * tells it with these calls.
 *
 * <h2>Connections</h2>
 *
 * Each node listens on its cluster port. Everything this node sends to a peer travels on its single
 * <em>outbound</em> connection to that peer, in the order {@link #send} was called (FIFO per
 * calling thread); connections the peer dialed to us are used only to receive. So all messages
 * from A to B share one TCP stream and arrive in order. (Anything a peer sends after the Hello is
 * delivered whichever connection it comes on; this implementation just never sends on an accepted
 * connection.)
 *
 * <p>Both sides open with a {@link Hello}: node id, cluster name, bootstrap digest and the address
 * to dial the sender back at. A Hello is refused when its cluster name differs from ours, when both
 * bootstrap digests are non-zero and differ (the nodes were started from different member lists;
 * 0 is a node that joined without a list), or when it carries our own id. The accepting side
 * answers only a Hello it accepts, so a Hello received on an outbound connection also means "the
 * peer accepted us".
 *
 * <p>A Hello from a node that is not a peer, a <em>stranger</em> (a node joining the cluster
 * through this one), is accepted under those same rules: the stranger becomes a peer at the
 * address its Hello advertises, this node dials it back (replies travel on our outbound connection,
 * as for any peer), and its messages are delivered. {@link TransportStats#strangersAccepted()}
 * counts them. A removed node that dials again is a stranger like any other; the metadata layer
 * that removed it decides what its messages are worth.
 *
 * <p>A peer is <em>reachable</em> ({@link #isReachable}, {@link PeerInbox#onPeerUp}) once both
 * directions are open: our outbound connection established (our Hello written, the peer's
 * answering Hello received) and an inbound connection from the peer accepted. Both, because a
 * request travels on our connection and its answer on the peer's: a node that counted a peer
 * reachable on its own connection alone would send requests whose answers the peer cannot send yet
 * (after a restart, while the peer's redial waits out its backoff). It goes down ({@link
 * PeerInbox#onPeerDown}) when either closes, when it moves to another address, and when it is
 * removed. An accepted inbound connection also makes us dial the peer at once if we are not
 * connected, instead of waiting for the backoff. Whatever breaks the protocol on a connection (a
 * frame that does not decode, a frame over the limit, a refused Hello, anything but a Hello first,
 * no Hello within the connect timeout) closes that one connection with one warning in the log; the
 * process and its other connections carry on.
 *
 * <p>A closed or failed outbound connection is dialed again after an exponential backoff with
 * jitter: the n-th consecutive failure waits a random time in {@code [d/2, d]} with {@code d =
 * min(reconnectBackoffMin * 2^n, reconnectBackoffMax)}. {@link #dial(String, int)} retries an
 * address of unknown id on the same schedule until the node there names itself. Messages sent while
 * a peer is unreachable are dropped, not buffered: the sender's timeouts deal with the loss. A peer
 * that does not keep up (more than the high water mark buffered for it) has its connection closed,
 * so that no message is ever lost silently on a connection that stays up; the inbox of the
 * receiving side hears of every new inbound connection ({@link PeerInbox#onInboundConnection}).
 *
 * <h2>Threading</h2>
 *
 * {@link #send}, {@link #isReachable}, {@link #stats}, {@link #peers}, {@link #addPeer}, {@link
 * #removePeer} and {@link #dial(String, int)} may be called from any thread and never block (they
 * take a peer's monitor for a few field updates and start connects that complete in the
 * background). {@code send} encodes on the caller's thread and appends to the connection's queue,
 * which the event loop drains in batches with one flush each (see {@link OutboundConnection}).
 * Inbox callbacks run on event-loop threads, and on the thread of an {@code addPeer} or {@code
 * removePeer} that takes a peer down: messages of one sender arrive on one thread in order;
 * different senders may be delivered concurrently. {@link #start} and {@link #close} are for the
 * owner's thread, never an event-loop thread. After {@code close()} no callback is made.
 *
 * <h2>Security</h2>
 *
 * With {@link Builder#clusterSecret} every connection first runs the handshake of {@link
 * PeerAuthHandler}: the other side proves it knows the secret before its Hello is even read, and
 * every later frame carries a per-direction sequence number and an HMAC, so a node without the
 * secret can never become a peer (nor join, replicate, invalidate or vote, which are all peer
 * messages), and a forged, modified, replayed or reordered frame closes its connection. With
 * {@link Builder#tls} the cluster port speaks TLS only, in both directions; a server context that
 * requires client certificates (mutual TLS) refuses peers whose certificate the cluster's CA did
 * not sign. Either failure closes the connection, counts in {@link TransportStats#authFailures()},
 * and is logged as a warning at most once per remote host every minute (a node with the wrong
 * secret redials forever).
 *
 * <h2>Limits</h2>
 *
 * Frames are at most {@link PeerCodec#MAX_FRAME_BYTES} (64 KiB until the Hello is accepted), which
 * leaves room for a {@link ControlFrame} of {@link ControlFrame#MAX_PAYLOAD_BYTES}. At most about
 * twice {@code writeBufferHighWaterMark} bytes are buffered per peer; past that {@code send} drops
 * and returns false, with one warning per episode (at most one per peer every 10 s).
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

  /** At most one authentication warning per remote host in this interval. */
  private static final Duration AUTH_WARNING_INTERVAL = Duration.ofMinutes(1);

  /** Hosts remembered for the authentication warning's rate limit before the memory is reset. */
  private static final int MAX_AUTH_WARNING_HOSTS = 1024;

  private final Member self;
  private final String clusterName;
  private final long bootstrapDigest;
  private final String advertisedHost;
  private final int advertisedPort;
  private final PeerInbox inbox;
  private final long connectTimeoutMillis;
  private final long backoffMinNanos;
  private final long backoffMaxNanos;
  private final int highWaterMarkBytes;
  private final int ioThreads;
  private final byte[] helloPayload;

  /** The cluster secret as HMAC key bytes, or null when peers are not authenticated by one. */
  private final byte[] clusterSecret;

  /** TLS for accepted and dialed connections, or both null for plain TCP. */
  private final SslContext serverTls;

  private final SslContext clientTls;

  /** When the last authentication warning per remote host was logged. */
  private final ConcurrentMap<String, Long> authWarnings = new ConcurrentHashMap<>();

  /** The current peers by id. A link leaves the map before it is marked removed. */
  private final ConcurrentMap<String, PeerLink> links = new ConcurrentHashMap<>();

  /** Addresses being dialed without a known id, by {@link #addressKey}. */
  private final ConcurrentMap<String, SeedDial> seeds = new ConcurrentHashMap<>();

  /** Every open channel (server, outbound, inbound), to close them all. */
  private final Set<Channel> channels = ConcurrentHashMap.newKeySet();

  private final LongAdder messagesSent = new LongAdder();
  private final LongAdder bytesSent = new LongAdder();
  private final LongAdder messagesReceived = new LongAdder();
  private final LongAdder bytesReceived = new LongAdder();
  private final LongAdder messagesDropped = new LongAdder();
  private final LongAdder reconnects = new LongAdder();
  private final LongAdder protocolErrors = new LongAdder();
  private final LongAdder strangersAccepted = new LongAdder();
  private final LongAdder authFailures = new LongAdder();

  private volatile EventLoopGroup group;
  private final boolean ownsGroup;
  private volatile boolean closed;
  private boolean started;
  private Channel serverChannel;

  /** The port the cluster port binds; peers dial the member address (they may differ). */
  private final int bindPort;

  /** Set once by {@link #start}; until then peers and seeds are only recorded, not dialed. */
  private volatile Bootstrap dialer;

  private NettyPeerTransport(Builder b) {
    this.self = b.self;
    this.clusterName = b.clusterName;
    this.bootstrapDigest = b.bootstrapDigest;
    this.advertisedHost = b.advertisedHost;
    this.advertisedPort = b.advertisedPort;
    this.bindPort = b.bindPort;
    this.inbox = b.inbox;
    this.connectTimeoutMillis = Math.max(1, b.connectTimeout.toMillis());
    this.backoffMinNanos = b.backoffMin.toNanos();
    this.backoffMaxNanos = b.backoffMax.toNanos();
    this.highWaterMarkBytes = b.highWaterMarkBytes;
    this.ioThreads = b.ioThreads;
    this.group = b.group;
    this.ownsGroup = b.group == null;
    this.clusterSecret = b.clusterSecret;
    this.serverTls = b.serverTls;
    this.clientTls = b.clientTls;
    this.helloPayload =
        PeerCodec.encode(
            new Envelope(
                0,
                0,
                new Hello(self.id(), clusterName, bootstrapDigest, advertisedHost, advertisedPort)));
    for (Member member : b.members) {
      if (!member.id().equals(self.id())) {
        links.put(member.id(), new PeerLink(member));
      }
    }
  }

  /**
   * Starts a builder. The initial member list is empty unless {@link Builder#members} sets one; the
   * bootstrap digest is 0 unless {@link Builder#bootstrapDigest} sets one.
   *
   * @param self this node: its id, and the address the cluster port binds to
   * @param clusterName the cluster's name, not empty; nodes with another name are refused
   * @param inbox where received messages and peer up/down events go
   */
  public static Builder builder(Member self, String clusterName, PeerInbox inbox) {
    return new Builder(self, clusterName, inbox);
  }

  /**
   * Binds the cluster port on {@code self.host():self.clusterPort()} and starts dialing every peer
   * and seed address known so far. Returns once the port is bound; connections come up in the
   * background. Owner's thread.
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
            .childHandler(initializer(null, null));
    try {
      serverChannel = server.bind(self.host(), bindPort).sync().channel();
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
        "peer transport of {} in cluster '{}' listening on {} ({}, {}), dialing {} peers and {}"
            + " seed addresses",
        self.id(),
        clusterName,
        serverChannel.localAddress(),
        epoll ? "epoll" : "nio",
        ownsGroup ? ioThreads + " own event loops" : "shared event loops",
        links.size(),
        seeds.size());
    // Peers added from other threads since the dialer was set are dialed twice; dial() ignores
    // the second call.
    for (PeerLink link : links.values()) {
      dial(link);
    }
    for (SeedDial seed : seeds.values()) {
      dialSeed(seed);
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
   * Returns false (and drops the message) when {@code nodeId} is not a peer (never was, or was
   * removed: with membership changing at runtime that is a race, not a bug), when it is not
   * reachable, or when more than the high water mark is already buffered for it.
   *
   * @throws IllegalArgumentException if {@code nodeId} is this node, if the message is a {@link
   *     Hello} (the transport's own), or if it cannot be encoded ({@link PeerCodec#encode}): these
   *     are bugs of the caller, not network trouble
   */
  @Override
  public boolean send(String nodeId, Envelope message) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(message, "message");
    if (nodeId.equals(self.id())) {
      throw new IllegalArgumentException("'" + nodeId + "' is this node, not a peer");
    }
    if (message.body() instanceof Hello) {
      throw new IllegalArgumentException("the Hello is sent by the transport itself");
    }
    // Encoded even when the message will be dropped, so that a message that cannot be sent fails
    // the same way whether or not the peer happens to be up.
    byte[] payload = PeerCodec.encode(message);
    PeerLink link = links.get(nodeId);
    OutboundConnection connection = link == null ? null : link.ready;
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
   * <p>True while {@code nodeId} is a peer and both directions are open (see the class comment);
   * false for ids that are not peers. Any thread.
   */
  @Override
  public boolean isReachable(String nodeId) {
    PeerLink link = links.get(nodeId);
    return link != null && link.reachable && !closed;
  }

  /** The ids of the current peers, this node excluded: a snapshot. Any thread. */
  public Set<String> peers() {
    return Set.copyOf(links.keySet());
  }

  /**
   * Makes {@code member} a peer: dials it (at once if started, else from {@link #start}) and keeps
   * redialing it with the backoff until it is removed or the transport closes. Idempotent: a peer
   * already known at this address is left alone. A peer known at another address moves: its
   * outbound connection closes (the peer goes down if it was up) and the new address is dialed at
   * once; its inbound connections stay, since they come from the peer wherever it listens.
   *
   * <p>This node's own id is ignored, so that a caller may pass every member of the cluster. Any
   * thread; does not block. After {@link #close} it does nothing.
   */
  public void addPeer(Member member) {
    Objects.requireNonNull(member, "member");
    if (member.id().equals(self.id()) || closed) {
      return;
    }
    while (true) {
      PeerLink fresh = new PeerLink(member);
      PeerLink known = links.putIfAbsent(member.id(), fresh);
      if (known == null) {
        log.info("peer {} added", member);
        dialIfStarted(fresh);
        return;
      }
      if (moveTo(known, member)) {
        return;
      }
      // Removed since we looked it up (it has already left the map): add it anew.
    }
  }

  /**
   * Forgets peer {@code nodeId}: stops dialing it, closes our connection to it and its connections
   * to us, and tells the inbox it is down if it was up. {@link #isReachable} answers false and
   * {@link #send} drops from the moment this returns. Nothing happens for an id that is not a
   * peer. Any thread; does not block (the connections finish closing in the background).
   */
  public void removePeer(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    PeerLink link = links.remove(nodeId);
    if (link == null) {
      return;
    }
    Channel outbound;
    OutboundConnection lost;
    List<Channel> inbound;
    synchronized (link) {
      link.removed = true;
      if (link.redial != null) {
        link.redial.cancel(false);
        link.redial = null;
      }
      outbound = link.channel;
      link.channel = null;
      lost = link.ready;
      link.ready = null;
      inbound = new ArrayList<>(link.inbound);
      link.inbound.clear();
      announce(link, "it was removed");
    }
    log.info("peer {} removed", link.member());
    if (outbound != null) {
      outbound.close();
    }
    if (lost != null) {
      lost.discard();
    }
    for (Channel channel : inbound) {
      channel.close();
    }
  }

  /**
   * Dials {@code host:port} without knowing which node listens there (the seed of {@code --join}),
   * retrying with the reconnect backoff. When the node answers, its Hello names it and it becomes a
   * peer under that id (the connection becomes its outbound connection), and {@link
   * PeerInbox#onPeerUp} follows as for any peer once it has dialed us back. Dialing stops then, or
   * once the address belongs to a known peer, or at {@link #close}. A second call for an address
   * already being dialed does nothing. Any thread; does not block.
   *
   * @throws IllegalArgumentException if {@code host:port} is not a valid member address, or is this
   *     node's own
   */
  public void dial(String host, int port) {
    Objects.requireNonNull(host, "host");
    // Validated as any member's address is, so that a bad --join fails here and not in a log.
    Member address = new Member(self.id(), host, port);
    if (sameAddress(self, host, port) || (sameHost(advertisedHost, host) && advertisedPort == port)) {
      throw new IllegalArgumentException(
          "cannot dial " + address.address() + ": it is this node's own address");
    }
    if (closed || isKnownAddress(host, port)) {
      return;
    }
    SeedDial seed = new SeedDial(host, port);
    if (seeds.putIfAbsent(addressKey(host, port), seed) == null) {
      log.info("dialing {} to learn which node it is", seed.address());
      if (dialer != null) {
        dialSeed(seed);
      }
    }
  }

  /** A snapshot of the counters and the per-peer reachability. Any thread. */
  public TransportStats stats() {
    Map<String, Boolean> connected = new LinkedHashMap<>();
    for (PeerLink link : links.values()) {
      connected.put(link.id(), link.reachable);
    }
    return new TransportStats(
        messagesSent.sum(),
        bytesSent.sum(),
        messagesReceived.sum(),
        bytesReceived.sum(),
        messagesDropped.sum(),
        reconnects.sum(),
        protocolErrors.sum(),
        strangersAccepted.sum(),
        authFailures.sum(),
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
    for (SeedDial seed : seeds.values()) {
      synchronized (seed) {
        if (seed.redial != null) {
          seed.redial.cancel(false);
          seed.redial = null;
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

  private ChannelInitializer<Channel> initializer(PeerLink link, SeedDial seed) {
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
        boolean outbound = link != null || seed != null;
        if (serverTls != null) {
          if (outbound) {
            String host = link != null ? link.member().host() : seed.host;
            int port = link != null ? link.member().clusterPort() : seed.port;
            channel.pipeline().addLast("tls", clientTls.newHandler(channel.alloc(), host, port));
          } else {
            channel.pipeline().addLast("tls", serverTls.newHandler(channel.alloc()));
          }
        }
        PeerFrameDecoder frames =
            new PeerFrameDecoder(
                clusterSecret == null ? 0 : PeerAuthHandler.FRAME_OVERHEAD_BYTES);
        channel.pipeline().addLast("frames", frames).addLast("length", LENGTH_PREPENDER);
        if (clusterSecret != null) {
          channel
              .pipeline()
              .addLast(
                  "auth", new PeerAuthHandler(NettyPeerTransport.this, clusterSecret, outbound));
        }
        channel
            .pipeline()
            .addLast("peer", new PeerChannelHandler(NettyPeerTransport.this, frames, link, seed));
      }
    };
  }

  private void dialIfStarted(PeerLink link) {
    if (dialer != null) {
      dial(link);
    }
  }

  private void dial(PeerLink link) {
    ChannelFuture connect;
    Member member;
    synchronized (link) {
      link.redial = null;
      if (closed || link.removed || link.channel != null) {
        return;
      }
      if (link.attempts++ > 0) {
        reconnects.increment();
      }
      member = link.member();
      connect =
          dialer
              .clone()
              .handler(initializer(link, null))
              .connect(member.host(), member.clusterPort());
      link.channel = connect.channel();
    }
    Channel channel = connect.channel();
    connect.addListener(
        f -> {
          if (!f.isSuccess()) {
            log.debug("cannot connect to {}: {}", member, f.cause().toString());
            channel.close();
          }
        });
    channel.closeFuture().addListener(f -> outboundClosed(link, channel));
  }

  /**
   * Points {@code link} at {@code member}'s address if it differs. Returns false if the link was
   * removed meanwhile (the caller adds the member anew).
   */
  private boolean moveTo(PeerLink link, Member member) {
    Channel old;
    OutboundConnection lost;
    synchronized (link) {
      if (link.removed) {
        return false;
      }
      Member before = link.member();
      if (sameAddress(before, member.host(), member.clusterPort())) {
        return true;
      }
      log.info("peer {} moved from {} to {}", member.id(), before.address(), member.address());
      link.member(member);
      old = link.channel;
      link.channel = null;
      lost = link.ready;
      link.ready = null;
      if (link.redial != null) {
        link.redial.cancel(false);
        link.redial = null;
      }
      link.consecutiveFailures = 0;
      announce(link, "it moved to " + member.address());
    }
    // The old channel's close is ignored by outboundClosed: the link no longer points to it.
    if (old != null) {
      old.close();
    }
    if (lost != null) {
      lost.discard();
    }
    dialIfStarted(link);
    return true;
  }

  /** The peer answered our Hello on {@code channel}: it is reachable. On the channel's loop. */
  void outboundReady(PeerLink link, Channel channel) {
    synchronized (link) {
      if (closed || link.removed || link.channel != channel) {
        return;
      }
      link.ready = new OutboundConnection(channel, highWaterMarkBytes);
      link.consecutiveFailures = 0;
      announce(link, null);
    }
  }

  /**
   * Tells the inbox when the peer's reachability (both directions open) changed. Called under the
   * link's monitor, so that the inbox hears ups and downs in the order they happened; the inbox
   * does not block.
   *
   * @param whyDown what to log if the peer goes down; null for "a connection with it closed"
   */
  private void announce(PeerLink link, String whyDown) {
    boolean up = !closed && !link.removed && link.ready != null && !link.inbound.isEmpty();
    if (up == link.announcedUp) {
      return;
    }
    link.announcedUp = up;
    link.reachable = up;
    String id = link.id();
    if (up) {
      log.info("peer {} is reachable", id);
    } else if (!closed) {
      log.info(
          "peer {} is unreachable: {}", id, whyDown != null ? whyDown : "a connection with it closed");
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

  /** An inbound connection of {@code link}'s peer closed after its Hello was accepted. */
  void inboundClosed(PeerLink link, Channel channel) {
    synchronized (link) {
      if (link.inbound.remove(channel)) {
        announce(link, null);
      }
    }
  }

  /**
   * A connection from peer {@code peerId} completed its Hello: records it, and tells the inbox,
   * which learns that what the peer sent on an earlier connection may be lost. On the channel's
   * loop.
   *
   * @return the peer's link, or null if {@code peerId} is not a peer (any more): the caller closes
   */
  PeerLink inboundReady(String peerId, Channel channel) {
    PeerLink link = links.get(peerId);
    if (link == null) {
      return null;
    }
    boolean dialNow;
    synchronized (link) {
      if (link.removed) {
        return null;
      }
      link.inbound.add(channel);
      // The peer is evidently up: do not let a backoff delay the connection its answers need.
      dialNow = !closed && link.channel == null;
      if (dialNow && link.redial != null) {
        link.redial.cancel(false);
        link.redial = null;
        link.consecutiveFailures = 0;
      }
      announce(link, null);
    }
    try {
      inbox.onInboundConnection(peerId);
    } catch (RuntimeException e) {
      log.error("inbox failed on inbound connection from {}", peerId, e);
    }
    if (dialNow) {
      dialIfStarted(link);
    }
    return link;
  }

  /**
   * A node that is not a peer sent an acceptable Hello: makes it a peer at the address it
   * advertises, and dials it back. On an event loop.
   *
   * @return null if it is a peer now, else why it cannot be one (for the refusal's log line)
   */
  String admitStranger(Hello hello) {
    Member member;
    try {
      member = new Member(hello.nodeId(), hello.advertisedHost(), hello.advertisedClusterPort());
    } catch (IllegalArgumentException e) {
      return "node '"
          + hello.nodeId()
          + "' is not a peer and cannot be added as one: "
          + e.getMessage();
    }
    if (sameAddress(self, member.host(), member.clusterPort())
        || (sameHost(advertisedHost, member.host()) && advertisedPort == member.clusterPort())) {
      return "node '" + member.id() + "' advertises this node's own address " + member.address();
    }
    PeerLink fresh = new PeerLink(member);
    // putIfAbsent: a peer added by someone else meanwhile keeps the address it was added with.
    if (links.putIfAbsent(member.id(), fresh) == null) {
      strangersAccepted.increment();
      log.info("accepted node {}, which was not a peer: added it, dialing it back", member);
      dialIfStarted(fresh);
    }
    return null;
  }

  private void dialSeed(SeedDial seed) {
    ChannelFuture connect;
    synchronized (seed) {
      seed.redial = null;
      if (closed || seed.done || seed.channel != null) {
        return;
      }
      if (isKnownAddress(seed.host, seed.port)) {
        seed.done = true;
        seeds.remove(addressKey(seed.host, seed.port), seed);
        log.debug("seed {} is a known peer's address: not dialing it", seed.address());
        return;
      }
      if (seed.attempts++ > 0) {
        reconnects.increment();
      }
      connect = dialer.clone().handler(initializer(null, seed)).connect(seed.host, seed.port);
      seed.channel = connect.channel();
    }
    Channel channel = connect.channel();
    connect.addListener(
        f -> {
          if (!f.isSuccess()) {
            log.debug("cannot connect to seed {}: {}", seed.address(), f.cause().toString());
            channel.close();
          }
        });
    channel.closeFuture().addListener(f -> seedClosed(seed, channel));
  }

  /** A seed's channel closed before its Hello named the node: try again later. */
  private void seedClosed(SeedDial seed, Channel channel) {
    synchronized (seed) {
      if (seed.channel != channel) {
        return;
      }
      seed.channel = null;
      if (closed || seed.done) {
        return;
      }
      long delayNanos = backoffNanos(seed.consecutiveFailures++);
      try {
        seed.redial = group.schedule(() -> dialSeed(seed), delayNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        // The event loops are shutting down: so is the transport.
      }
    }
  }

  /**
   * The node at a seed address accepted our Hello and named itself {@code member.id()}. Makes the
   * connection that node's outbound connection, as if dialed for it. On the channel's loop.
   *
   * @return the link that now owns {@code channel} (the caller then completes it with {@link
   *     #outboundReady}), or null if the channel is not needed: the caller closes it
   */
  PeerLink seedAnswered(SeedDial seed, Channel channel, Member member) {
    synchronized (seed) {
      if (seed.done || seed.channel != channel) {
        return null;
      }
      seed.done = true;
      // From here on the channel is the peer's: its close must not redial the seed.
      seed.channel = null;
    }
    seeds.remove(addressKey(seed.host, seed.port), seed);
    PeerLink fresh = new PeerLink(member);
    synchronized (fresh) {
      fresh.channel = channel;
      fresh.attempts = 1;
    }
    PeerLink owner = links.putIfAbsent(member.id(), fresh);
    if (owner == null) {
      log.info("seed {} is node {}: added it as a peer", seed.address(), member.id());
      owner = fresh;
    } else {
      Channel superseded;
      synchronized (owner) {
        // Known already: typically it dialed us back (as a stranger) before its answer here
        // arrived. If our own connection to it is not up yet, this one replaces it, so that the
        // node does not see a connection from us come and go.
        if (owner.removed
            || owner.ready != null
            || !sameAddress(owner.member(), seed.host, seed.port)) {
          log.debug("seed {} is node {}, already a peer", seed.address(), member.id());
          return null;
        }
        superseded = owner.channel;
        owner.channel = channel;
        if (owner.redial != null) {
          owner.redial.cancel(false);
          owner.redial = null;
        }
      }
      if (superseded != null) {
        superseded.close();
      }
      log.debug("seed {} is node {}: its connection is now the peer's", seed.address(), member);
    }
    PeerLink link = owner;
    channel.closeFuture().addListener(f -> outboundClosed(link, channel));
    return link;
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
      announce(link, null);
    }
    if (lost != null) {
      lost.discard();
    }
    // After onPeerDown returned, so that the next onPeerUp cannot overtake it.
    scheduleRedial(link);
  }

  private void scheduleRedial(PeerLink link) {
    synchronized (link) {
      if (closed || link.removed || link.channel != null || link.redial != null) {
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

  private boolean isKnownAddress(String host, int port) {
    for (PeerLink link : links.values()) {
      if (sameAddress(link.member(), host, port)) {
        return true;
      }
    }
    return false;
  }

  private static boolean sameAddress(Member member, String host, int port) {
    return member.clusterPort() == port && sameHost(member.host(), host);
  }

  /** Hosts compared as {@link Member#checkDistinct} does: ASCII case aside, and unresolved. */
  private static boolean sameHost(String a, String b) {
    return a.toLowerCase(Locale.ROOT).equals(b.toLowerCase(Locale.ROOT));
  }

  private static String addressKey(String host, int port) {
    return host.toLowerCase(Locale.ROOT) + " " + port;
  }

  // ---- for PeerChannelHandler, on event-loop threads ----

  long connectTimeoutMillis() {
    return connectTimeoutMillis;
  }

  byte[] helloPayload() {
    return helloPayload;
  }

  /**
   * Why {@code hello} is refused whoever sent it, or null if it passes: another cluster name,
   * incompatible bootstrap digests, or this node's own id.
   */
  String checkHello(Hello hello) {
    if (!hello.clusterName().equals(clusterName)) {
      return "node '"
          + hello.nodeId()
          + "' belongs to cluster '"
          + hello.clusterName()
          + "', this node to cluster '"
          + clusterName
          + "'";
    }
    if (!Hello.digestsCompatible(bootstrapDigest, hello.bootstrapDigest())) {
      return String.format(
          Locale.ROOT,
          "node '%s' was bootstrapped with membership digest %016x, this node with %016x: the"
              + " nodes were started with different member lists",
          hello.nodeId(),
          hello.bootstrapDigest(),
          bootstrapDigest);
    }
    if (hello.nodeId().equals(self.id())) {
      return "node id '" + hello.nodeId() + "' is this node's own";
    }
    return null;
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

  /**
   * A connection failed authentication (wrong or missing cluster-secret proof, a frame with a bad
   * MAC or sequence, a failed TLS handshake) and is being closed by the caller. Counts it and logs
   * it: a failure on an authenticated connection (tampering) always as a warning, a failed
   * handshake as a warning at most once per remote host per minute, else at debug level. On an
   * event loop.
   */
  /**
   * A connection's secret handshake did not finish in time: closed by the caller, logged, not
   * counted as an authentication failure (the peer may just be slow). On an event loop.
   */
  void handshakeTimedOut(Channel channel, long millis) {
    log.info(
        "closing peer connection with {}: no cluster-secret proof within {} ms (it will be"
            + " dialed again)",
        channel.remoteAddress(),
        millis);
  }

  void authFailed(Channel channel, boolean afterHandshake, String reason) {
    authFailures.increment();
    SocketAddress remote = channel.remoteAddress();
    if (afterHandshake) {
      log.warn("closing authenticated peer connection with {}: {}", remote, reason);
      return;
    }
    String host =
        remote instanceof InetSocketAddress inet ? inet.getHostString() : String.valueOf(remote);
    long now = System.nanoTime();
    Long last = authWarnings.get(host);
    if (last != null && now - last < AUTH_WARNING_INTERVAL.toNanos()) {
      log.debug("refused peer connection with {}: {}", remote, reason);
      return;
    }
    if (authWarnings.size() >= MAX_AUTH_WARNING_HOSTS) {
      authWarnings.clear();
    }
    authWarnings.put(host, now);
    log.warn(
        "refused peer connection with {}: {} (further refusals from {} are logged at debug level"
            + " for {} s)",
        remote,
        reason,
        host,
        AUTH_WARNING_INTERVAL.toSeconds());
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
    private final String clusterName;
    private final PeerInbox inbox;
    private List<Member> members = List.of();
    private long bootstrapDigest;
    private String advertisedHost;
    private int advertisedPort;
    private int bindPort;
    private Duration connectTimeout = Duration.ofSeconds(3);
    private Duration backoffMin = Duration.ofMillis(50);
    private Duration backoffMax = Duration.ofSeconds(5);
    private EventLoopGroup group;
    private int ioThreads = 2;
    private int highWaterMarkBytes = DEFAULT_HIGH_WATER_MARK_BYTES;
    private byte[] clusterSecret;
    private SslContext serverTls;
    private SslContext clientTls;

    private Builder(Member self, String clusterName, PeerInbox inbox) {
      this.self = Objects.requireNonNull(self, "self");
      this.clusterName = Objects.requireNonNull(clusterName, "clusterName");
      this.inbox = Objects.requireNonNull(inbox, "inbox");
      if (clusterName.isEmpty()) {
        throw new IllegalArgumentException("cluster name must not be empty");
      }
      this.advertisedHost = self.host();
      this.advertisedPort = self.clusterPort();
      this.bindPort = self.clusterPort();
    }

    /**
     * Binds the cluster port on {@code port} of {@code self}'s host instead of {@code self}'s
     * cluster port, which stays the address peers dial (and this node advertises): for a node
     * behind a port mapping or a proxy, like Redis' {@code cluster-announce-bus-port}. Default:
     * {@code self}'s cluster port.
     *
     * @throws IllegalArgumentException if {@code port} is not 1..65535
     */
    public Builder bindPort(int port) {
      if (port < 1 || port > Member.MAX_PORT) {
        throw new IllegalArgumentException("bind port must be in 1.." + Member.MAX_PORT);
      }
      this.bindPort = port;
      return this;
    }

    /**
     * The peers to dial from the start: for a node bootstrapped from a member list, that list.
     * This node may be in it (it is skipped) but no other member may have its id. Default: none,
     * for a node that joins through {@link NettyPeerTransport#dial(String, int)} or waits to be
     * found.
     *
     * @throws IllegalArgumentException if two members share an id or an address, or a member other
     *     than {@code self} has self's id
     */
    public Builder members(List<Member> initial) {
      List<Member> copy = List.copyOf(initial);
      Member.checkDistinct(copy);
      for (Member member : copy) {
        if (member.id().equals(self.id()) && !member.equals(self)) {
          throw new IllegalArgumentException(
              "member " + member + " has the id of this node, " + self);
        }
      }
      this.members = copy;
      return this;
    }

    /**
     * The membership digest of the ring this node was bootstrapped with ({@code
     * ConsistentHashRing#membershipDigest()} of its member list), sent in the Hello: nodes with
     * another non-zero digest are refused. Default 0, for a node that joins a running cluster.
     */
    public Builder bootstrapDigest(long digest) {
      this.bootstrapDigest = digest;
      return this;
    }

    /**
     * The address peers should dial this node at, sent in the Hello so that a node this one joins
     * through can dial it back. Default: {@code self}'s host and cluster port. Set it when the bind
     * address is not the one others reach (0.0.0.0, NAT, a container).
     *
     * @throws IllegalArgumentException if it is not a valid member address
     */
    public Builder advertisedAddress(String host, int port) {
      Member checked = new Member(self.id(), host, port);
      this.advertisedHost = checked.host();
      this.advertisedPort = checked.clusterPort();
      return this;
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

    /**
     * Peers must prove they know {@code secret} before any of their messages is accepted, and
     * every frame is authenticated with a key derived from it (see {@link PeerAuthHandler}).
     * Every node of the cluster needs the same secret: a node with another secret, or none, is
     * refused. Default: no secret.
     *
     * @throws IllegalArgumentException if {@code secret} is empty
     */
    public Builder clusterSecret(byte[] secret) {
      if (secret.length == 0) {
        throw new IllegalArgumentException("the cluster secret must not be empty");
      }
      this.clusterSecret = secret.clone();
      return this;
    }

    /**
     * The cluster port speaks TLS only: {@code server} for connections peers dial to us, {@code
     * client} for the ones we dial. For mutual TLS, {@code server} requires client certificates
     * and both trust only the cluster's CA ({@link PeerTls#fromPem}). Default: plain TCP.
     */
    public Builder tls(SslContext server, SslContext client) {
      Objects.requireNonNull(server, "server");
      Objects.requireNonNull(client, "client");
      if (!server.isServer() || !client.isClient()) {
        throw new IllegalArgumentException(
            "tls(server, client) wants a server and a client context");
      }
      this.serverTls = server;
      this.clientTls = client;
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
