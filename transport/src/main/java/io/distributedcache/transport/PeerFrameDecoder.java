package io.distributedcache.transport;

import io.distributedcache.core.cluster.message.PeerCodec;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.ByteOrder;

/**
 * Splits the byte stream into frames: a 4-byte big-endian length, then that many bytes of {@link
 * PeerCodec} payload. Emits the payload without the length.
 *
 * <p>Until the connection's Hello has been accepted a frame may be at most {@link
 * #MAX_HELLO_FRAME_BYTES}: anyone can connect to the peer port, and nobody should make us buffer a
 * gigabyte before saying who they are. After that the limit is {@link PeerCodec#MAX_FRAME_BYTES}.
 * An oversized length fails at once (fail-fast) with a {@link TooLongFrameException}, before the
 * bytes arrive.
 *
 * <p>One instance per channel, used only on the channel's event loop.
 */
final class PeerFrameDecoder extends LengthFieldBasedFrameDecoder {

  /** Bytes of the length prefix. */
  static final int LENGTH_BYTES = 4;

  /** The largest frame accepted before the Hello: a Hello is ~40 bytes plus the node id. */
  static final int MAX_HELLO_FRAME_BYTES = 64 * 1024;

  private boolean helloAccepted;

  /**
   * @param overheadBytes bytes a frame carries beyond its {@link PeerCodec} payload (the MAC and
   *     sequence of {@link PeerAuthHandler}), 0 without
   */
  PeerFrameDecoder(int overheadBytes) {
    super(
        ByteOrder.BIG_ENDIAN,
        // Netty's limit counts the length field too
        PeerCodec.MAX_FRAME_BYTES + overheadBytes + LENGTH_BYTES,
        0,
        LENGTH_BYTES,
        0,
        LENGTH_BYTES,
        true);
  }

  /** Lifts the pre-Hello limit; called by the connection handler once the Hello is accepted. */
  void helloAccepted() {
    helloAccepted = true;
  }

  @Override
  protected long getUnadjustedFrameLength(ByteBuf buf, int offset, int length, ByteOrder order) {
    long frameLength = super.getUnadjustedFrameLength(buf, offset, length, order);
    if (!helloAccepted && frameLength > MAX_HELLO_FRAME_BYTES) {
      throw new TooLongFrameException(
          "frame of "
              + frameLength
              + " bytes before the Hello (at most "
              + MAX_HELLO_FRAME_BYTES
              + " until the peer has said who it is)");
    }
    return frameLength;
  }
}
