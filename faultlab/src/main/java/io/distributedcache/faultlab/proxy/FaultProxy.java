package io.distributedcache.faultlab.proxy;

import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.Hello;
import io.distributedcache.core.cluster.message.PeerCodec;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy in front of the cluster port of every node, with faults per directed link: the fault
 * lab's stand-in for netem and iptables, which this kernel does not offer.
 *
 * <p>Node i's {@code --members} entry (the address peers dial) names a port this proxy listens on
 * ({@link #listen}); the node itself binds its cluster port elsewhere ({@code --cluster-bind-port})
 * and the proxy forwards there. The peer transport sends everything from A to B on A's own
 * outbound connection to B and opens it with a Hello naming A, so the proxy in front of B reads
 * that first frame (4-byte big-endian length plus a {@link PeerCodec} payload), learns the source
 * A, and applies the rule of the directed link A to B ({@link #setRule}) to everything A sends on
 * that connection. The bytes B writes back on A's connection (only B's answering Hello in this
 * transport) always pass. A connection whose first frame is not a Hello has source {@link
 * #UNKNOWN_SOURCE}, which rules can name like any node.
 *
 * <p>Rules take effect at once, on open connections too, and may be changed from any thread; a
 * link without a rule passes. What each mode does is documented on {@link LinkRule}. Random
 * choices (jitter, loss) come from a {@link SplittableRandom} per connection split off the seed
 * given to the constructor.
 *
 * <p>Threading: its own Netty event loops (two threads) run every connection; each connection and
 * its upstream connection share one event loop, so the per-connection state needs no locks. {@link
 * #close()} stops listening and resets every connection.
 */
public final class FaultProxy implements AutoCloseable {

  /** Source name of a connection whose first frame was not a Hello. */
  public static final String UNKNOWN_SOURCE = "?";

  /** The largest first frame the proxy waits for before it gives up on finding a Hello. */
  private static final int MAX_HELLO_FRAME_BYTES = 64 * 1024;

  /** Above this many bytes queued for delayed delivery, the proxy stops reading the source. */
  private static final int HIGH_WATER_BYTES = 4 * 1024 * 1024;

  private static final String LOOPBACK = "127.0.0.1";

  /** A directed link: bytes from {@code src} to {@code dst}. */
  public record Link(String src, String dst) {
    public Link {
      Objects.requireNonNull(src, "src");
      Objects.requireNonNull(dst, "dst");
    }

    @Override
    public String toString() {
      return src + "->" + dst;
    }
  }

  private final EventLoopGroup group;
  private final Map<Link, LinkRule> rules = new ConcurrentHashMap<>();
  private final Map<String, Channel> listeners = new ConcurrentHashMap<>();
  private final Map<String, Integer> targets = new ConcurrentHashMap<>();
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final SplittableRandom seeds;
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong resets = new AtomicLong();
  private final AtomicLong bytesForwarded = new AtomicLong();
  private final AtomicLong unknownSources = new AtomicLong();

  /** A proxy with no listener yet; {@code seed} drives jitter and loss. */
  public FaultProxy(long seed) {
    this.seeds = new SplittableRandom(seed);
    this.group =
        new MultiThreadIoEventLoopGroup(
            2, new DefaultThreadFactory("fault-proxy", true), NioIoHandler.newFactory());
  }

  /**
   * Listens on 127.0.0.1:{@code port} (0: any free port) in front of node {@code nodeId}, whose
   * cluster port is bound at 127.0.0.1:{@code targetPort}. Blocks until bound.
   *
   * @return the port it listens on
   * @throws IllegalStateException if the port cannot be bound or the node has a listener already
   */
  public int listen(String nodeId, int port, int targetPort) {
    if (listeners.containsKey(nodeId)) {
      throw new IllegalStateException("already listening in front of " + nodeId);
    }
    targets.put(nodeId, targetPort);
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    accepted.incrementAndGet();
                    ch.pipeline().addLast(new Connection(nodeId, ch, seeds.split()));
                  }
                });
    ChannelFuture bind = bootstrap.bind(new InetSocketAddress(LOOPBACK, port)).awaitUninterruptibly();
    if (!bind.isSuccess()) {
      throw new IllegalStateException(
          "cannot listen on " + LOOPBACK + ":" + port + " for " + nodeId, bind.cause());
    }
    listeners.put(nodeId, bind.channel());
    return ((InetSocketAddress) bind.channel().localAddress()).getPort();
  }

  /**
   * Points the listener of {@code nodeId} at another bind port (a node whose port is chosen after
   * the listener's, or that moved); new connections only.
   */
  public void retarget(String nodeId, int targetPort) {
    targets.put(nodeId, targetPort);
  }

  /** Sets the rule of the directed link {@code src} to {@code dst}; {@link LinkRule#pass()} clears it. */
  public void setRule(String src, String dst, LinkRule rule) {
    Objects.requireNonNull(rule, "rule");
    Link link = new Link(src, dst);
    if (rule.isPass()) {
      rules.remove(link);
    } else {
      rules.put(link, rule);
    }
    rulesChanged();
  }

  /** Sets {@code rule} on every link from a node of {@code from} to a node of {@code to}. */
  public void setRules(Collection<String> from, Collection<String> to, LinkRule rule) {
    for (String src : from) {
      for (String dst : to) {
        if (!src.equals(dst)) {
          Link link = new Link(src, dst);
          if (rule.isPass()) {
            rules.remove(link);
          } else {
            rules.put(link, rule);
          }
        }
      }
    }
    rulesChanged();
  }

  /** Cuts both directions between the two groups with {@code rule} (a partition mode). */
  public void partition(Collection<String> side, Collection<String> otherSide, LinkRule rule) {
    for (String a : side) {
      for (String b : otherSide) {
        if (!a.equals(b)) {
          rules.put(new Link(a, b), rule);
          rules.put(new Link(b, a), rule);
        }
      }
    }
    rulesChanged();
  }

  /** Removes every rule: all links pass. Held (black-holed) bytes are delivered. */
  public void healAll() {
    rules.clear();
    rulesChanged();
  }

  /** The rule of a link now ({@link LinkRule#pass()} if none). */
  public LinkRule rule(String src, String dst) {
    return rules.getOrDefault(new Link(src, dst), LinkRule.pass());
  }

  /** Every link with a rule other than pass, for logs. */
  public Map<Link, LinkRule> rules() {
    return Map.copyOf(rules);
  }

  /** Connections accepted so far, refused ones included. */
  public long acceptedConnections() {
    return accepted.get();
  }

  /** Connections reset right after their Hello because their link was partitioned. */
  public long refusedConnections() {
    return refused.get();
  }

  /** Connections reset by a partition or by loss while open. */
  public long resetConnections() {
    return resets.get();
  }

  /**
   * Connections whose first frame was not a readable Hello ({@link #UNKNOWN_SOURCE}): with peer
   * authentication or TLS on, the proxy cannot tell the nodes apart and per-node rules never match.
   */
  public long unknownSourceConnections() {
    return unknownSources.get();
  }

  /** Bytes delivered from dialers to nodes. */
  public long bytesForwarded() {
    return bytesForwarded.get();
  }

  /** Connections open now (for tests and logs). */
  public int openConnections() {
    return connections.size();
  }

  /** Stops listening, resets every connection and stops the event loops; waits up to 5 s. */
  @Override
  public void close() {
    for (Channel listener : listeners.values()) {
      listener.close().awaitUninterruptibly();
    }
    listeners.clear();
    for (Connection c : List.copyOf(connections)) {
      c.frontend.eventLoop().execute(() -> c.reset(false));
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  private void rulesChanged() {
    for (Connection c : connections) {
      c.frontend.eventLoop().execute(c::applyRule);
    }
  }

  /** One dialer's connection (frontend) and the proxy's connection to the node (backend). */
  private final class Connection extends ChannelInboundHandlerAdapter {
    private final String dst;
    private final Channel frontend;
    private final SplittableRandom random;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    /** Bytes read before the Hello was parsed and the backend connected. */
    private ByteBuf head = Unpooled.buffer(256);
    private Channel backend;
    private String src;
    private long queuedBytes;
    private long lastDueNanos;
    private ScheduledFuture<?> drainTimer;
    private long drainTimerDueNanos = Long.MAX_VALUE;
    private boolean closed;

    Connection(String dst, Channel frontend, SplittableRandom random) {
      this.dst = dst;
      this.frontend = frontend;
      this.random = random;
    }

    private record Pending(ByteBuf bytes, long dueNanos) {}

    private Link link() {
      return new Link(src, dst);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      if (closed) {
        buf.release();
        return;
      }
      if (backend == null) {
        head.writeBytes(buf);
        buf.release();
        if (src == null) {
          identifySource();
        }
        return;
      }
      enqueue(buf);
    }

    /** Once the first frame is complete: learn the source, then refuse or connect. */
    private void identifySource() {
      if (head.readableBytes() < 4) {
        return;
      }
      int length = head.getInt(head.readerIndex());
      if (length > 0 && length <= MAX_HELLO_FRAME_BYTES && head.readableBytes() < 4 + length) {
        return; // wait for the rest of the frame
      }
      String found = UNKNOWN_SOURCE;
      if (length > 0 && length <= MAX_HELLO_FRAME_BYTES) {
        byte[] frame = new byte[length];
        head.getBytes(head.readerIndex() + 4, frame);
        try {
          Envelope envelope = PeerCodec.decode(frame);
          if (envelope.body() instanceof Hello hello) {
            found = hello.nodeId();
          }
        } catch (RuntimeException e) {
          // Not a Hello we can read: the connection still gets a rule, under UNKNOWN_SOURCE.
        }
      }
      src = found;
      if (found.equals(UNKNOWN_SOURCE)) {
        unknownSources.incrementAndGet();
      }
      if (rule().mode() == LinkRule.Mode.PARTITION_CLOSE) {
        refused.incrementAndGet();
        reset(true);
        return;
      }
      connections.add(this);
      Integer target = targets.get(dst);
      Bootstrap b =
          new Bootstrap()
              .group(frontend.eventLoop())
              .channel(NioSocketChannel.class)
              .option(ChannelOption.TCP_NODELAY, true)
              .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2_000)
              .handler(new Backend());
      frontend.config().setAutoRead(false); // until the backend is there
      b.connect(new InetSocketAddress(LOOPBACK, target))
          .addListener(
              (ChannelFutureListener)
                  f -> {
                    if (!f.isSuccess() || closed) {
                      f.channel().close();
                      reset(false); // the node is down: the dialer sees a reset, as without us
                      return;
                    }
                    backend = f.channel();
                    ByteBuf first = head;
                    head = null;
                    enqueue(first);
                    applyRule();
                  });
    }

    private LinkRule rule() {
      return rules.getOrDefault(link(), LinkRule.pass());
    }

    /** Queues bytes from the dialer for delivery under the link's rule. */
    private void enqueue(ByteBuf buf) {
      LinkRule rule = rule();
      if (rule.mode() == LinkRule.Mode.PARTITION_CLOSE) {
        buf.release();
        resets.incrementAndGet();
        reset(true);
        return;
      }
      if (rule.lossProbability() > 0 && random.nextDouble() < rule.lossProbability()) {
        buf.release();
        resets.incrementAndGet();
        reset(true);
        return;
      }
      long now = System.nanoTime();
      long due = now;
      if (rule.mode() == LinkRule.Mode.PASS) {
        long jitter = rule.jitterMillis() == 0 ? 0 : random.nextLong(rule.jitterMillis() + 1);
        due = now + TimeUnit.MILLISECONDS.toNanos(rule.delayMillis() + jitter);
      }
      // Never before what is queued already: order is preserved whatever the jitter.
      due = Math.max(due, lastDueNanos);
      lastDueNanos = due;
      queue.add(new Pending(buf, due));
      queuedBytes += buf.readableBytes();
      drain();
    }

    /** Writes what is due, holds the rest; runs on the event loop. */
    private void drain() {
      if (closed || backend == null) {
        return;
      }
      LinkRule rule = rule();
      if (rule.mode() != LinkRule.Mode.BLACK_HOLE) {
        long now = System.nanoTime();
        boolean wrote = false;
        while (!queue.isEmpty() && queue.peek().dueNanos() - now <= 0 && backend.isWritable()) {
          Pending p = queue.poll();
          queuedBytes -= p.bytes().readableBytes();
          bytesForwarded.addAndGet(p.bytes().readableBytes());
          backend.write(p.bytes());
          wrote = true;
        }
        if (wrote) {
          backend.flush();
        }
        if (!queue.isEmpty() && backend.isWritable()) {
          scheduleDrain(queue.peek().dueNanos());
        }
      }
      // A black hole reads nothing more: the bytes wait in the kernel and in the sender.
      frontend
          .config()
          .setAutoRead(
              rule.mode() != LinkRule.Mode.BLACK_HOLE
                  && queuedBytes < HIGH_WATER_BYTES
                  && backend.isWritable());
    }

    private void scheduleDrain(long dueNanos) {
      if (drainTimer != null && drainTimerDueNanos <= dueNanos) {
        return;
      }
      if (drainTimer != null) {
        drainTimer.cancel(false);
      }
      drainTimerDueNanos = dueNanos;
      drainTimer =
          frontend
              .eventLoop()
              .schedule(
                  () -> {
                    drainTimer = null;
                    drainTimerDueNanos = Long.MAX_VALUE;
                    drain();
                  },
                  Math.max(0, dueNanos - System.nanoTime()),
                  TimeUnit.NANOSECONDS);
    }

    /** The rules changed: apply the link's new one to this open connection. */
    void applyRule() {
      if (closed || src == null) {
        return;
      }
      if (rule().mode() == LinkRule.Mode.PARTITION_CLOSE) {
        resets.incrementAndGet();
        reset(true);
        return;
      }
      if (backend != null) {
        // Bytes held by a lifted black hole were queued as due at once; delay applies to new ones.
        drain();
      }
    }

    /** Closes both sides; with {@code rst}, with an RST (SO_LINGER 0) as a broken link would. */
    void reset(boolean rst) {
      if (closed) {
        return;
      }
      closed = true;
      connections.remove(this);
      if (drainTimer != null) {
        drainTimer.cancel(false);
      }
      for (Pending p : queue) {
        ReferenceCountUtil.release(p.bytes());
      }
      queue.clear();
      if (head != null) {
        head.release();
        head = null;
      }
      closeChannel(frontend, rst);
      if (backend != null) {
        closeChannel(backend, rst);
      }
    }

    private void closeChannel(Channel ch, boolean rst) {
      if (rst && ch.isOpen()) {
        try {
          ch.config().setOption(ChannelOption.SO_LINGER, 0);
        } catch (RuntimeException e) {
          // The socket may be half gone already; a plain close is then as good.
        }
      }
      ch.close();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (backend != null) {
        backend.config().setAutoRead(frontend.isWritable());
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      reset(false);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      reset(false); // a reset by the dialer; nothing to report
    }

    /** The proxy's connection to the node: the node's bytes go back to the dialer untouched. */
    private final class Backend extends ChannelInboundHandlerAdapter {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closed) {
          ReferenceCountUtil.release(msg);
          return;
        }
        frontend.writeAndFlush(msg);
        if (!frontend.isWritable()) {
          ctx.channel().config().setAutoRead(false);
        }
      }

      @Override
      public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        drain();
        ctx.fireChannelWritabilityChanged();
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        reset(false);
      }

      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        reset(false);
      }
    }
  }
}
