package io.distributedcache.resp.server;

import io.distributedcache.core.engine.KeyspaceEngine;
import io.distributedcache.core.hlc.HybridLogicalClock;
import io.distributedcache.core.storage.CacheStorage;
import io.distributedcache.core.storage.StorageSettings;
import io.distributedcache.core.time.Ticker;
import io.distributedcache.core.time.WallClock;
import io.distributedcache.resp.codec.RespDecoder;
import io.distributedcache.resp.command.CommandRegistry;
import io.distributedcache.resp.codec.RespLimits;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client-facing RESP server: a Netty server socket whose connections each get a {@link
 * RespDecoder} and a {@link RespConnectionHandler}.
 *
 * <p>With {@link ServerSettings#tls()} set, every connection starts with a Netty {@code SslHandler}
 * (first in the pipeline): the port speaks TLS only, and a client that does not is closed when
 * its first bytes fail to parse as a TLS record.
 *
 * <p>Threading: {@code ioThreads} event loops (epoll where available, NIO otherwise) accept
 * connections and run their commands; a command runs start to finish on its connection's loop. The
 * same loops run the storage maintenance (expiry of due entries) every 100 ms. {@link #start()} and
 * {@link #close()} are called by the owner thread; {@code close()} blocks until the loops stopped.
 */
public final class RespServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RespServer.class);
  private static final long MAINTENANCE_INTERVAL_MILLIS = 100;
  private static final Duration TOMBSTONE_GRACE = Duration.ofSeconds(10);
  private static final Duration MAX_FORWARD_SKEW = Duration.ofSeconds(60);

  private final NodeContext node;
  private final EventLoopGroup sharedGroup;
  private EventLoopGroup group;
  private Channel serverChannel;

  public RespServer(NodeContext node) {
    this(node, null);
  }

  /**
   * A server on event loops it does not own: the peer transport runs on the same loops, so a
   * request forwarded to a peer and its answer hop between fewer threads. {@link #close()} leaves
   * {@code sharedGroup} running; its owner shuts it down.
   */
  public RespServer(NodeContext node, EventLoopGroup sharedGroup) {
    this.node = node;
    this.sharedGroup = sharedGroup;
  }

  /**
   * Event loops for a server with {@code ioThreads} threads (0: one per processor), epoll where
   * available: for callers that share them ({@link #RespServer(NodeContext, EventLoopGroup)}).
   */
  public static EventLoopGroup newEventLoopGroup(int ioThreads) {
    int threads = ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
    return new MultiThreadIoEventLoopGroup(
        threads, Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
  }

  /**
   * Assembles a single node: storage bounded by the settings' maxmemory, an engine over it, the
   * standard command table. The caller starts it.
   */
  public static RespServer standalone(
      ServerSettings settings, Ticker ticker, WallClock wall, RandomGenerator random) {
    return new RespServer(assemble(settings, ticker, wall, random, 0));
  }

  /**
   * Builds a node's parts without a server: storage bounded by the settings' maxmemory, a hybrid
   * logical clock carrying {@code hlcNodeIndex} (a cluster member's index, so that versions
   * stamped by different members never tie), an engine over them and the standard command table.
   */
  public static NodeContext assemble(
      ServerSettings settings,
      Ticker ticker,
      WallClock wall,
      RandomGenerator random,
      int hlcNodeIndex) {
    CacheStorage storage =
        new CacheStorage(
            new StorageSettings(settings.maxMemoryBytes(), TOMBSTONE_GRACE), ticker);
    HybridLogicalClock hlc = new HybridLogicalClock(wall, hlcNodeIndex, MAX_FORWARD_SKEW);
    KeyspaceEngine engine = new KeyspaceEngine(storage, hlc, ticker, wall, random);
    // As in Redis, proto-max-bulk-len also bounds how far APPEND and SETRANGE may grow a string.
    engine.setMaxStringBytes(settings.limits().maxBulkBytes());
    return new NodeContext(engine, CommandRegistry.standard(), settings, ticker, wall);
  }

  /**
   * Binds the port and starts serving. Blocks until the socket is bound.
   *
   * @throws IllegalStateException if the port cannot be bound, or the TLS files cannot be read
   */
  public RespServer start() {
    ServerSettings settings = node.settings();
    // Built before anything else starts, so that a bad certificate fails the start, not a client.
    SslContext tls = settings.tlsEnabled() ? settings.tls().newServerContext() : null;
    int threads =
        settings.ioThreads() > 0 ? settings.ioThreads() : Runtime.getRuntime().availableProcessors();
    boolean epoll = Epoll.isAvailable();
    group = sharedGroup != null ? sharedGroup : newEventLoopGroup(threads);
    if (sharedGroup != null) {
      threads = 0;
      for (io.netty.util.concurrent.EventExecutor ignored : sharedGroup) {
        threads++;
      }
    }
    Class<? extends ServerChannel> channelType =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    ByteCounter counter = new ByteCounter(node.stats());
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(channelType)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.SO_KEEPALIVE, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    RespLimits limits =
                        settings.passwordRequired()
                            ? RespLimits.unauthenticated()
                            : settings.limits();
                    RespDecoder decoder = new RespDecoder(limits);
                    if (tls != null) {
                      ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
                    }
                    ch.pipeline()
                        .addLast("bytes", counter)
                        .addLast("decoder", decoder)
                        .addLast("handler", new RespConnectionHandler(node, decoder));
                  }
                });
    try {
      serverChannel =
          bootstrap
              .bind(new InetSocketAddress(settings.bindAddress(), settings.port()))
              .sync()
              .channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new IllegalStateException("interrupted while binding", e);
    } catch (Exception e) { // Netty rethrows the bind failure's checked IOException from sync()
      close();
      throw new IllegalStateException(
          "cannot listen on " + settings.bindAddress() + ":" + settings.port() + ": "
              + rootMessage(e),
          e);
    }
    node.boundPort(((InetSocketAddress) serverChannel.localAddress()).getPort());
    node.ioThreads(threads);
    group
        .next()
        .scheduleAtFixedRate(
            this::maintain,
            MAINTENANCE_INTERVAL_MILLIS,
            MAINTENANCE_INTERVAL_MILLIS,
            TimeUnit.MILLISECONDS);
    log.debug(
        "listening{} with {} {} event loops",
        tls != null ? " (TLS only)" : "",
        threads,
        epoll ? "epoll" : "nio");
    return this;
  }

  /** "Address already in use" rather than Netty's "bind(..) failed with error(-98): ...". */
  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = String.valueOf(root.getMessage());
    int colon = message.lastIndexOf("): ");
    return colon >= 0 ? message.substring(colon + 3) : message;
  }

  private void maintain() {
    try {
      node.engine().storage().runMaintenance();
    } catch (RuntimeException e) {
      log.warn("storage maintenance failed", e);
    }
  }

  /** The bound port. */
  public int port() {
    return node.port();
  }

  /** The server's context (engine, clients, stats). */
  public NodeContext node() {
    return node;
  }

  /** Stops accepting, closes every connection and stops the event loops. Idempotent. */
  @Override
  public void close() {
    if (serverChannel != null) {
      serverChannel.close().syncUninterruptibly();
      serverChannel = null;
    }
    if (group != null) {
      if (group != sharedGroup) {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      }
      group = null;
    }
  }

  /** Counts bytes received for INFO (replies are counted where they are written); shared by all connections, so it only touches adders. */
  @ChannelHandler.Sharable
  private static final class ByteCounter extends ChannelInboundHandlerAdapter {
    private final ServerStats stats;

    ByteCounter(ServerStats stats) {
      this.stats = stats;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf) {
        stats.netInputBytes.add(((ByteBuf) msg).readableBytes());
      }
      ctx.fireChannelRead(msg);
    }
  }
}
