package io.distributedcache.transport;

import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.Hello;
import io.distributedcache.core.cluster.message.PeerCodec;
import io.distributedcache.core.cluster.message.PeerProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One peer connection, inbound or outbound: the Hello exchange, then delivery to the inbox.
 *
 * <p>Protocol: each side's first frame is a {@link Hello}. The dialing side sends its Hello as soon
 * as the connection is up; the accepting side checks it (known member, same membership digest) and
 * answers with its own, so a Hello received on an outbound connection also means "the peer accepted
 * us". A connection on which anything else comes first, whose Hello is refused, whose frame does
 * not decode, or that says nothing for {@code connectTimeout}, is closed with one log line and
 * counted in {@link TransportStats#protocolErrors()}. Nothing else is affected.
 *
 * <p>One instance per channel; every method runs on the channel's event loop, so the fields need no
 * synchronisation.
 */
final class PeerChannelHandler extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(NettyPeerTransport.class);

  private final NettyPeerTransport transport;
  private final PeerFrameDecoder frames;

  /** The member this connection dialed, or null for an accepted (inbound) connection. */
  private final PeerLink link;

  /** The peer's node id, once its Hello was accepted. */
  private String peerId;

  private ScheduledFuture<?> helloTimeout;

  /** Set when this side decided to close; later frames and errors are ignored (one log line). */
  private boolean closing;

  PeerChannelHandler(NettyPeerTransport transport, PeerFrameDecoder frames, PeerLink link) {
    this.transport = transport;
    this.frames = frames;
    this.link = link;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    helloTimeout =
        ctx.executor()
            .schedule(
                () -> {
                  if (peerId == null) {
                    refuse(ctx, "no Hello within " + transport.connectTimeoutMillis() + " ms");
                  }
                },
                transport.connectTimeoutMillis(),
                TimeUnit.MILLISECONDS);
    if (link != null) {
      ctx.writeAndFlush(Unpooled.wrappedBuffer(transport.helloPayload()));
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (helloTimeout != null) {
      helloTimeout.cancel(false);
    }
    if (link == null && peerId != null) {
      log.debug("inbound connection from peer {} closed", peerId);
      transport.inboundClosed(peerId);
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
    if (peerId == null) {
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
    transport.deliver(peerId, envelope);
  }

  private void acceptHello(ChannelHandlerContext ctx, Hello hello) {
    if (hello.membershipDigest() != transport.membershipDigest()) {
      refuse(
          ctx,
          String.format(
              "node '%s' has membership digest %016x, ours is %016x: the nodes were started with"
                  + " different member lists",
              hello.nodeId(), hello.membershipDigest(), transport.membershipDigest()));
      return;
    }
    if (link != null) {
      if (!hello.nodeId().equals(link.member().id())) {
        refuse(
            ctx,
            "dialed member '"
                + link.member().id()
                + "' but node '"
                + hello.nodeId()
                + "' answered");
        return;
      }
    } else if (!transport.isPeerId(hello.nodeId())) {
      refuse(ctx, "node id '" + hello.nodeId() + "' is not another member of this cluster");
      return;
    }
    peerId = hello.nodeId();
    helloTimeout.cancel(false);
    frames.helloAccepted();
    if (link == null) {
      ctx.writeAndFlush(Unpooled.wrappedBuffer(transport.helloPayload()));
      log.debug("accepted connection from peer {} at {}", peerId, ctx.channel().remoteAddress());
      transport.inboundReady(peerId);
    } else {
      transport.outboundReady(link, ctx.channel());
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (closing) {
      return;
    }
    if (cause instanceof DecoderException) {
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
    if (link != null) {
      return "connection to member " + link.member().id() + " at " + ctx.channel().remoteAddress();
    }
    return "connection from "
        + (peerId != null ? "peer " + peerId + " at " : "")
        + ctx.channel().remoteAddress();
  }
}
