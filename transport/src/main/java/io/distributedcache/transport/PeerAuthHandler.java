package io.distributedcache.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Cluster-secret authentication of one peer connection, in the framing layer between the length
 * codec and {@link PeerChannelHandler}: nothing reaches the Hello exchange (let alone the inbox)
 * before the other side has proven that it knows the cluster secret, and after that every frame
 * is authenticated and numbered.
 *
 * <h2>Handshake</h2>
 *
 * Both sides send, as their first frame, {@code NONCE}: a kind byte and 32 random bytes. On the
 * other side's nonce each answers {@code PROOF}: a kind byte and {@code HMAC-SHA256(secret, role
 * label || dialerNonce || acceptorNonce)}, where the label names the <em>sender's</em> role
 * (dialer or acceptor), so that a proof cannot be reflected back to the side that made it, and the
 * fresh nonces of both sides make a recorded proof useless on any later connection. A wrong proof
 * or any other frame first closes the connection and counts as a failure ({@link
 * NettyPeerTransport#authFailed}); no proof within the connect timeout closes it too, without
 * counting (a slow peer is not an impostor; the dialer retries). Once the proof checks, this handler passes {@code
 * channelActive} on, which starts the Hello exchange: the node ids in the Hellos are covered by
 * the frame MACs below, which are keyed by both nonces, so the ids are bound to this handshake.
 *
 * <h2>Frames after the handshake</h2>
 *
 * Every frame is {@code seq (8 bytes) || payload || HMAC-SHA256(k, seq || payload)} with one key
 * per direction, {@code k = HMAC-SHA256(secret, direction label || dialerNonce ||
 * acceptorNonce)}. The sequence starts at 1 and each frame must carry exactly the next one. A
 * frame whose MAC does not check (forged or modified), or whose sequence is not the next
 * (replayed, reordered or dropped), closes the connection; its payload is never passed on. The
 * MAC is kept even on a TLS peer port: it costs one HMAC per frame and keeps the secret's
 * guarantee independent of how TLS is configured.
 *
 * <p>One instance per channel; every method runs on the channel's event loop.
 */
final class PeerAuthHandler extends ChannelDuplexHandler {

  static final int NONCE_BYTES = 32;
  static final int MAC_BYTES = 32;
  static final int SEQ_BYTES = 8;

  /** Bytes an authenticated frame carries beyond its payload. */
  static final int FRAME_OVERHEAD_BYTES = SEQ_BYTES + MAC_BYTES;

  static final byte KIND_NONCE = (byte) 0xA1;
  static final byte KIND_PROOF = (byte) 0xA2;

  private static final String HMAC = "HmacSHA256";
  private static final byte[] DIALER_PROOF = label("dc-peer-auth-v1 proof dialer");
  private static final byte[] ACCEPTOR_PROOF = label("dc-peer-auth-v1 proof acceptor");
  private static final byte[] DIALER_TO_ACCEPTOR = label("dc-peer-auth-v1 mac dialer->acceptor");
  private static final byte[] ACCEPTOR_TO_DIALER = label("dc-peer-auth-v1 mac acceptor->dialer");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final NettyPeerTransport transport;
  private final byte[] secret;
  private final boolean dialer;
  private final byte[] ownNonce = new byte[NONCE_BYTES];

  private byte[] peerNonce;
  private boolean authenticated;
  private boolean failed;
  private ScheduledFuture<?> timeout;

  private Mac sendMac;
  private Mac receiveMac;
  private long sendSeq;
  private long receiveSeq;

  PeerAuthHandler(NettyPeerTransport transport, byte[] secret, boolean dialer) {
    this.transport = transport;
    this.secret = secret;
    this.dialer = dialer;
    RANDOM.nextBytes(ownNonce);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    timeout =
        ctx.executor()
            .schedule(
                () -> {
                  if (!authenticated && !failed) {
                    // Silence is not a failed proof: a cold or loaded peer may just be slow (a
                    // JVM's first TLS handshake can take seconds). Close and let the dialer
                    // retry, without counting it as an authentication failure.
                    failed = true;
                    transport.handshakeTimedOut(ctx.channel(), transport.connectTimeoutMillis());
                    ctx.close();
                  }
                },
                transport.connectTimeoutMillis(),
                TimeUnit.MILLISECONDS);
    ByteBuf nonce = ctx.alloc().buffer(1 + NONCE_BYTES);
    nonce.writeByte(KIND_NONCE).writeBytes(ownNonce);
    ctx.writeAndFlush(nonce);
    // channelActive goes on to the Hello exchange only once the other side is authenticated.
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (timeout != null) {
      timeout.cancel(false);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf frame = (ByteBuf) msg;
    if (failed) {
      frame.release();
      return;
    }
    if (authenticated) {
      ByteBuf payload;
      try {
        payload = verify(ctx, frame);
      } finally {
        frame.release();
      }
      if (payload != null) {
        ctx.fireChannelRead(payload);
      }
      return;
    }
    try {
      handshake(ctx, frame);
    } finally {
      frame.release();
    }
  }

  private void handshake(ChannelHandlerContext ctx, ByteBuf frame) {
    byte kind = frame.readableBytes() > 0 ? frame.readByte() : 0;
    if (peerNonce == null) {
      if (kind != KIND_NONCE || frame.readableBytes() != NONCE_BYTES) {
        fail(ctx, "the peer did not open with a cluster-secret handshake (no secret, or none set)");
        return;
      }
      peerNonce = new byte[NONCE_BYTES];
      frame.readBytes(peerNonce);
      ByteBuf proof = ctx.alloc().buffer(1 + MAC_BYTES);
      proof.writeByte(KIND_PROOF).writeBytes(proof(dialer));
      ctx.writeAndFlush(proof);
      return;
    }
    if (kind != KIND_PROOF || frame.readableBytes() != MAC_BYTES) {
      fail(ctx, "expected the cluster-secret proof, got another frame");
      return;
    }
    byte[] received = new byte[MAC_BYTES];
    frame.readBytes(received);
    if (!MessageDigest.isEqual(received, proof(!dialer))) {
      fail(ctx, "wrong cluster-secret proof (the peer has another secret)");
      return;
    }
    byte[] dialerNonce = dialer ? ownNonce : peerNonce;
    byte[] acceptorNonce = dialer ? peerNonce : ownNonce;
    byte[] toAcceptor = hmac(secret, DIALER_TO_ACCEPTOR, dialerNonce, acceptorNonce);
    byte[] toDialer = hmac(secret, ACCEPTOR_TO_DIALER, dialerNonce, acceptorNonce);
    sendMac = mac(dialer ? toAcceptor : toDialer);
    receiveMac = mac(dialer ? toDialer : toAcceptor);
    authenticated = true;
    timeout.cancel(false);
    ctx.fireChannelActive();
  }

  /** The payload of an authenticated frame, or null (and the connection closing) if it is bad. */
  private ByteBuf verify(ChannelHandlerContext ctx, ByteBuf frame) {
    int payloadBytes = frame.readableBytes() - FRAME_OVERHEAD_BYTES;
    if (payloadBytes < 0) {
      fail(ctx, "frame of " + frame.readableBytes() + " bytes is too short to carry a MAC");
      return null;
    }
    int start = frame.readerIndex();
    long seq = frame.getLong(start);
    receiveMac.update(frame.nioBuffer(start, SEQ_BYTES + payloadBytes));
    byte[] expected = receiveMac.doFinal();
    byte[] received = new byte[MAC_BYTES];
    frame.getBytes(start + SEQ_BYTES + payloadBytes, received);
    if (!MessageDigest.isEqual(expected, received)) {
      fail(ctx, "frame with a wrong MAC (forged or modified)");
      return null;
    }
    if (seq != receiveSeq + 1) {
      fail(
          ctx,
          "frame out of sequence: "
              + seq
              + ", expected "
              + (receiveSeq + 1)
              + " (replayed or reordered)");
      return null;
    }
    receiveSeq = seq;
    return frame.retainedSlice(start + SEQ_BYTES, payloadBytes);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!authenticated) {
      // Nothing above writes before channelActive, which comes after the handshake.
      ReferenceCountUtil.release(msg);
      promise.setFailure(new IllegalStateException("peer connection not authenticated yet"));
      return;
    }
    ByteBuf payload = (ByteBuf) msg;
    ByteBuf framed;
    try {
      int payloadBytes = payload.readableBytes();
      framed = ctx.alloc().buffer(FRAME_OVERHEAD_BYTES + payloadBytes);
      framed.writeLong(++sendSeq);
      framed.writeBytes(payload, payload.readerIndex(), payloadBytes);
      sendMac.update(framed.nioBuffer(0, SEQ_BYTES + payloadBytes));
      framed.writeBytes(sendMac.doFinal());
    } finally {
      payload.release();
    }
    ctx.write(framed, promise);
  }

  private void fail(ChannelHandlerContext ctx, String reason) {
    if (failed) {
      return;
    }
    failed = true;
    if (timeout != null) {
      timeout.cancel(false);
    }
    transport.authFailed(ctx.channel(), authenticated, reason);
    ctx.close();
  }

  private byte[] proof(boolean fromDialer) {
    byte[] dialerNonce = dialer ? ownNonce : peerNonce;
    byte[] acceptorNonce = dialer ? peerNonce : ownNonce;
    return hmac(secret, fromDialer ? DIALER_PROOF : ACCEPTOR_PROOF, dialerNonce, acceptorNonce);
  }

  private static byte[] hmac(byte[] key, byte[]... parts) {
    Mac mac = mac(key);
    for (byte[] part : parts) {
      mac.update(part);
    }
    return mac.doFinal();
  }

  private static Mac mac(byte[] key) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(key, HMAC));
      return mac;
    } catch (GeneralSecurityException e) {
      // Every Java runtime must provide HmacSHA256.
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  private static byte[] label(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }
}
