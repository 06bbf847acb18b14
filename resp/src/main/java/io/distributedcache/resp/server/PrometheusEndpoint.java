package io.distributedcache.resp.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Prometheus scrape endpoint ({@code --metrics-port}): a small HTTP/1.1 server answering
 * {@code GET /metrics} (and {@code HEAD}) with {@link PrometheusText}, {@code 405} for another
 * method on {@code /metrics} and {@code 404} for any other path. Keep-alive is honoured; a
 * connection idle for a minute is closed.
 *
 * <p>Threading: it runs on event loops it does not own (the node's), so a scrape costs no thread
 * of its own; the exposition is rendered on the loop that serves the connection and reads shared
 * counters only. {@link #start} and {@link #close} block until the socket is bound or closed;
 * call them from the owner thread, not from an event loop.
 */
public final class PrometheusEndpoint implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PrometheusEndpoint.class);

  /** Largest request accepted (a scrape is a bodiless GET): beyond it the connection is closed. */
  private static final int MAX_REQUEST_BYTES = 16 * 1024;

  private static final int IDLE_SECONDS = 60;

  private final Channel serverChannel;
  private final int port;

  private PrometheusEndpoint(Channel serverChannel) {
    this.serverChannel = serverChannel;
    this.port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /**
   * Listens on {@code host:port} (0 picks a free port, see {@link #port()}) on {@code group}'s
   * loops, epoll when {@code group} is an epoll group. Blocks until bound.
   *
   * @throws IllegalStateException if the address cannot be bound
   */
  public static PrometheusEndpoint start(
      NodeContext node, String host, int port, EventLoopGroup group) {
    boolean epoll = group instanceof IoEventLoopGroup g && g.isIoType(EpollIoHandler.class);
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS))
                        .addLast(new HttpServerCodec())
                        .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                        .addLast(new ScrapeHandler(node));
                  }
                });
    try {
      return new PrometheusEndpoint(
          bootstrap.bind(new InetSocketAddress(host, port)).sync().channel());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while binding the metrics port", e);
    } catch (Exception e) { // sync() rethrows the bind failure's checked IOException
      throw new IllegalStateException(
          "cannot listen for metrics on " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  /** The bound port. */
  public int port() {
    return port;
  }

  /** Stops listening; open scrape connections finish on their own. Idempotent; blocks briefly. */
  @Override
  public void close() {
    serverChannel.close().syncUninterruptibly();
  }

  /** Answers one connection's requests, in order. */
  private static final class ScrapeHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final NodeContext node;

    ScrapeHandler(NodeContext node) {
      this.node = node;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      if (!request.decoderResult().isSuccess()) {
        respond(ctx, request, HttpResponseStatus.BAD_REQUEST, "Bad request\n", false);
        return;
      }
      String uri = request.uri();
      int query = uri.indexOf('?');
      String path = query >= 0 ? uri.substring(0, query) : uri;
      if (!path.equals("/metrics")) {
        respond(ctx, request, HttpResponseStatus.NOT_FOUND, "Not found; try /metrics\n", true);
        return;
      }
      HttpMethod method = request.method();
      if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
        respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "Use GET\n", true);
        return;
      }
      String body;
      try {
        body = PrometheusText.render(node);
      } catch (RuntimeException e) {
        log.warn("rendering /metrics failed", e);
        respond(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, "Internal error\n", true);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      FullHttpResponse response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1,
              HttpResponseStatus.OK,
              method.equals(HttpMethod.HEAD) ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, PrometheusText.CONTENT_TYPE);
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
      send(ctx, request, response, true);
    }

    private static void respond(
        ChannelHandlerContext ctx,
        FullHttpRequest request,
        HttpResponseStatus status,
        String text,
        boolean keepAliveAllowed) {
      ByteBuf content = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
      FullHttpResponse response =
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
      if (status.equals(HttpResponseStatus.METHOD_NOT_ALLOWED)) {
        response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
      }
      send(ctx, request, response, keepAliveAllowed);
    }

    private static void send(
        ChannelHandlerContext ctx,
        FullHttpRequest request,
        FullHttpResponse response,
        boolean keepAliveAllowed) {
      boolean keepAlive = keepAliveAllowed && HttpUtil.isKeepAlive(request);
      if (keepAlive) {
        if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
          response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ctx.writeAndFlush(response, ctx.voidPromise());
      } else {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
      if (event instanceof IdleStateEvent) {
        ctx.close();
        return;
      }
      super.userEventTriggered(ctx, event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("metrics connection {} closed after error", ctx.channel(), cause);
      ctx.close();
    }
  }
}
