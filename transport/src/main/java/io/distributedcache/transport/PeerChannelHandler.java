package io.distributedcache.transport;

import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.Hello;
import io.distributedcache.core.cluster.message.PeerCodec;
import io.distributedcache.core.cluster.message.PeerProtocolException;
import io.distributedcache.core.placement.Member;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One peer connection, inbound or outbound: the Hello exchange, then delivery to the inbox.
 *
 * <p>Protocol: each side's first frame is a {@link Hello}. The dialing side sends its Hello as soon
 * as the connection is up; the accepting side checks it and answers with its own, so a Hello
 * received on an outbound connection also means "the peer accepted us". Both sides refuse a Hello
 * of another cluster, with an incompatible bootstrap digest, or with their own id ({@link
 * NettyPeerTransport#checkHello}). Then, by kind of connection:
 *
 * <ul>
 *   <li>dialed for a known peer: the Hello must carry that peer's id;
 *   <li>dialed for a seed address ({@link NettyPeerTransport#dial(String, int)}): the Hello names
 *       the node, which becomes a peer, and this connection its outbound connection;
 *   <li>accepted: a peer's Hello is accepted; a stranger's makes it a peer ({@link
 *       NettyPeerTransport#admitStranger}).
 * </ul>
 *
 * A connection on which anything else comes first, whose Hello is refused, whose frame does not
 * decode, or that says nothing for {@code connectTimeout}, is closed with one log line and counted
 * in {@link TransportStats#protocolErrors()}. Nothing else is affected. Frames that arrive after
 * the peer was removed are dropped while the connection closes.
 *
 * <p>One instance per channel; every method runs on the channel's event loop, so the fields need no
 * synchronisation.
 */
final class PeerChannelHandler extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(NettyPeerTransport.class);

  private final NettyPeerTransport transport;
  private final PeerFrameDecoder frames;

  /** The peer this connection dialed, or null for an accepted connection and a seed dial. */
  private final PeerLink dialed;

  /** The address this connection dialed without knowing its node, or null. */
  private final SeedDial seed;

  /** The peer on the other end, once its Hello was accepted. */
  private PeerLink peer;

  private ScheduledFuture<?> helloTimeout;

  /** Set when this side decided to close; later frames and errors are ignored (one log line). */
  private boolean closing;

  PeerChannelHandler(
      NettyPeerTransport transport, PeerFrameDecoder frames, PeerLink dialed, SeedDial seed) {
    this.transport = transport;
    this.frames = frames;
    this.dialed = dialed;
    this.seed = seed;
  }

  private boolean outbound() {
    return dialed != null || seed != null;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    helloTimeout =
        ctx.executor()
            .schedule(
                () -> {
                  if (peer == null) {
                    refuse(ctx, "no Hello within " + transport.connectTimeoutMillis() + " ms");
                  }
                },
                transport.connectTimeoutMillis(),
                TimeUnit.MILLISECONDS);
    if (outbound()) {
      ctx.writeAndFlush(Unpooled.wrappedBuffer(transport.helloPayload()));
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (helloTimeout != null) {
      helloTimeout.cancel(false);
    }
    if (!outbound() && peer != null) {
      log.debug("inbound connection from peer {} closed", peer.id());
      transport.inboundClosed(peer, ctx.channel());
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf frame = (ByteBuf) msg;
    byte[] payload;
    try {
      transport.countReceivedBytes(frame.readableBytes() + PeerFrameDecoder.LENGTH_BYTES);
      if (closing) {
        return;
      }
      // Pooled direct buffers have no array: one copy, and the frame goes back to the pool.
      payload = ByteBufUtil.getBytes(frame);
    } finally {
      frame.release();
    }
    Envelope envelope;
    try {
      envelope = PeerCodec.decode(payload);
    } catch (PeerProtocolException e) {
      refuse(ctx, "malformed frame: " + e.getMessage());
      return;
    }
    if (peer == null) {
      if (envelope.body() instanceof Hello hello) {
        acceptHello(ctx, hello);
      } else {
        refuse(ctx, envelope.body().getClass().getSimpleName() + " before the Hello");
      }
      return;
    }
    if (envelope.body() instanceof Hello) {
      refuse(ctx, "a second Hello");
      return;
    }
    if (peer.removed) {
      return; // removePeer has closed this connection; what is still in flight goes nowhere
    }
    transport.deliver(peer.id(), envelope);
  }

  private void acceptHello(ChannelHandlerContext ctx, Hello hello) {
    String problem = transport.checkHello(hello);
    if (problem != null) {
      refuse(ctx, problem);
      return;
    }
    if (dialed != null) {
      if (!hello.nodeId().equals(dialed.id())) {
        refuse(ctx, "dialed peer '" + dialed.id() + "' but node '" + hello.nodeId() + "' answered");
        return;
      }
      helloAccepted(dialed);
      transport.outboundReady(dialed, ctx.channel());
    } else if (seed != null) {
      Member member;
      try {
        member = new Member(hello.nodeId(), seed.host, seed.port);
      } catch (IllegalArgumentException e) {
        refuse(ctx, "node id '" + hello.nodeId() + "' is not a valid member id: " + e.getMessage());
        return;
      }
      PeerLink adopted = transport.seedAnswered(seed, ctx.channel(), member);
      if (adopted == null) {
        // Not a protocol error: the node is a peer already and has its own connection.
        closing = true;
        ctx.close();
        return;
      }
      helloAccepted(adopted);
      transport.outboundReady(adopted, ctx.channel());
    } else {
      if (!transport.isPeerId(hello.nodeId())) {
        String refusal = transport.admitStranger(hello);
        if (refusal != null) {
          refuse(ctx, refusal);
          return;
        }
      }
      PeerLink registered = transport.inboundReady(hello.nodeId(), ctx.channel());
      if (registered == null) {
        refuse(ctx, "node '" + hello.nodeId() + "' was removed as a peer just now");
        return;
      }
      helloAccepted(registered);
      ctx.writeAndFlush(Unpooled.wrappedBuffer(transport.helloPayload()));
      log.debug("accepted connection from peer {} at {}", peer.id(), ctx.channel().remoteAddress());
    }
  }

  private void helloAccepted(PeerLink link) {
    peer = link;
    helloTimeout.cancel(false);
    frames.helloAccepted();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof SslHandshakeCompletionEvent handshake && !handshake.isSuccess()) {
      tlsFailed(ctx, handshake.cause());
    }
    ctx.fireUserEventTriggered(evt);
  }

  private void tlsFailed(ChannelHandlerContext ctx, Throwable cause) {
    if (closing) {
      return;
    }
    closing = true;
    if (cause instanceof ClosedChannelException || !ctx.channel().isActive()) {
      // The connection ended before the handshake did (a dial that found no listener, or a
      // peer going away): nobody failed to authenticate.
      log.debug("{}: closed before the TLS handshake completed", describe(ctx));
    } else {
      transport.authFailed(ctx.channel(), false, "TLS failed: " + cause);
    }
    ctx.close();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (closing) {
      return;
    }
    if (cause instanceof DecoderException && cause.getCause() instanceof SSLException tls) {
      tlsFailed(ctx, tls);
    } else if (cause instanceof DecoderException) {
      // The frame decoder: an oversized length, before or after the Hello.
      Throwable reason = cause.getCause() != null ? cause.getCause() : cause;
      refuse(ctx, "bad frame: " + reason.getMessage());
    } else if (cause instanceof IOException) {
      closing = true;
      log.debug("{}: {}", describe(ctx), cause.toString());
      ctx.close();
    } else {
      closing = true;
      log.warn("{}: closing after an unexpected error", describe(ctx), cause);
      ctx.close();
    }
  }

  /** Closes this connection, with one warning that says why. */
  private void refuse(ChannelHandlerContext ctx, String reason) {
    if (closing) {
      return;
    }
    closing = true;
    transport.countProtocolError();
    log.warn("closing {}: {}", describe(ctx), reason);
    ctx.close();
  }

  private String describe(ChannelHandlerContext ctx) {
    if (dialed != null) {
      return "connection to peer " + dialed.id() + " at " + ctx.channel().remoteAddress();
    }
    if (seed != null) {
      return (peer != null ? "connection to peer " + peer.id() + " at seed " : "connection to seed ")
          + seed.address();
    }
    return "connection from "
        + (peer != null ? "peer " + peer.id() + " at " : "")
        + ctx.channel().remoteAddress();
  }
}
