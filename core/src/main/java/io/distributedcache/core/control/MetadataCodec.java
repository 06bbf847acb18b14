package io.distributedcache.core.control;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The byte-level helpers shared by the {@link MetadataCommand} and {@link ClusterMetadata}
 * encodings: big-endian {@code u8}, {@code i32}, {@code i64}, {@code string} (an {@code i32} length
 * then UTF-8), and the node record layout.
 *
 * <p>The reader checks every length and count against the bytes that remain before it allocates,
 * so hostile input makes it allocate at most a small multiple of the input's size, and it reports
 * every problem as an {@link IllegalArgumentException} naming the field and the byte offset.
 */
final class MetadataCodec {

  /** The format version written first by both encodings. */
  static final int FORMAT_VERSION = 1;

  /** The fewest bytes a string takes: its length. */
  static final int STRING_MIN_BYTES = 4;

  /** The fewest bytes a node record takes: id and host (one byte each at least), ints, state. */
  static final int NODE_MIN_BYTES = (STRING_MIN_BYTES + 1) * 2 + 4 + 4 + 1;

  private static final NodeState[] STATES = NodeState.values();

  private MetadataCodec() {}

  static void writeNode(Writer out, NodeRecord node) {
    out.string(node.id())
        .string(node.host())
        .i32(node.clusterPort())
        .i32(node.clientPort())
        .u8(node.state().ordinal());
  }

  static NodeRecord readNode(Reader in) {
    int at = in.offset();
    String id = in.string("node id");
    String host = in.string("node host");
    int clusterPort = in.i32("node cluster port");
    int clientPort = in.i32("node client port");
    int state = in.u8("node state");
    if (state >= STATES.length) {
      throw in.error(at, "node '" + id + "' has an unknown state code " + state);
    }
    try {
      return new NodeRecord(id, host, clusterPort, clientPort, STATES[state]);
    } catch (IllegalArgumentException e) {
      throw in.error(at, "bad node record: " + e.getMessage(), e);
    }
  }

  /** A growable big-endian byte sink. Single use, not thread-safe. */
  static final class Writer {
    private byte[] buf = new byte[64];
    private int size;

    private void ensure(int more) {
      if (buf.length - size < more) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
      }
    }

    Writer u8(int value) {
      ensure(1);
      buf[size++] = (byte) value;
      return this;
    }

    Writer i32(int value) {
      ensure(4);
      for (int shift = 24; shift >= 0; shift -= 8) {
        buf[size++] = (byte) (value >>> shift);
      }
      return this;
    }

    Writer i64(long value) {
      ensure(8);
      for (int shift = 56; shift >= 0; shift -= 8) {
        buf[size++] = (byte) (value >>> shift);
      }
      return this;
    }

    Writer string(String value) {
      byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
      i32(utf8.length);
      ensure(utf8.length);
      System.arraycopy(utf8, 0, buf, size, utf8.length);
      size += utf8.length;
      return this;
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, size);
    }
  }

  /** A checked big-endian reader over one encoded value. Single use, not thread-safe. */
  static final class Reader {
    private final byte[] buf;
    private final String kind;
    private int pos;

    /**
     * @param kind what the bytes encode, for messages ("metadata command", "metadata snapshot")
     */
    Reader(byte[] buf, String kind) {
      this.buf = buf;
      this.kind = kind;
    }

    int offset() {
      return pos;
    }

    int remaining() {
      return buf.length - pos;
    }

    IllegalArgumentException error(int at, String message) {
      return error(at, message, null);
    }

    IllegalArgumentException error(int at, String message, Throwable cause) {
      return new IllegalArgumentException(
          "bad " + kind + ": " + message + " (at byte " + at + " of " + buf.length + ")", cause);
    }

    private void need(int bytes, String what) {
      if (remaining() < bytes) {
        throw error(
            pos,
            "truncated: " + what + " needs " + bytes + " bytes but " + remaining() + " remain");
      }
    }

    int u8(String what) {
      need(1, what);
      return buf[pos++] & 0xFF;
    }

    boolean bool(String what) {
      int at = pos;
      int value = u8(what);
      if (value > 1) {
        throw error(at, what + " must be 0 or 1, not " + value);
      }
      return value == 1;
    }

    int i32(String what) {
      need(4, what);
      int value = 0;
      for (int i = 0; i < 4; i++) {
        value = value << 8 | (buf[pos++] & 0xFF);
      }
      return value;
    }

    long i64(String what) {
      need(8, what);
      long value = 0;
      for (int i = 0; i < 8; i++) {
        value = value << 8 | (buf[pos++] & 0xFF);
      }
      return value;
    }

    String string(String what) {
      int at = pos;
      int length = i32(what + " length");
      if (length < 0) {
        throw error(at, what + " length is negative: " + length);
      }
      if (length > remaining()) {
        throw error(
            at, "truncated: " + what + " of " + length + " bytes but " + remaining() + " remain");
      }
      try {
        // newDecoder() reports malformed input instead of replacing it with U+FFFD, so every
        // accepted string re-encodes to the bytes it came from.
        String value =
            StandardCharsets.UTF_8
                .newDecoder()
                .decode(ByteBuffer.wrap(buf, pos, length))
                .toString();
        pos += length;
        return value;
      } catch (CharacterCodingException e) {
        throw error(at, what + " is not valid UTF-8", e);
      }
    }

    /** A list count, refused unless {@code count * minElementBytes} bytes remain. */
    int count(String what, int minElementBytes) {
      int at = pos;
      int n = i32(what + " count");
      if (n < 0) {
        throw error(at, what + " count is negative: " + n);
      }
      long needed = (long) n * minElementBytes;
      if (needed > remaining()) {
        throw error(
            at,
            "truncated: "
                + n
                + " "
                + what
                + " need at least "
                + needed
                + " bytes but "
                + remaining()
                + " remain");
      }
      return n;
    }

    /** Refuses trailing bytes: each encoding has exactly one valid length. */
    void end() {
      if (remaining() != 0) {
        throw error(pos, remaining() + " trailing bytes after the end");
      }
    }
  }
}
