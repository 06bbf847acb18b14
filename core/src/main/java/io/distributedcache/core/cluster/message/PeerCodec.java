package io.distributedcache.core.cluster.message;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.invalidation.Invalidation;
import io.distributedcache.core.keyspace.Slots;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The binary peer-to-peer wire format: turns an {@link Envelope} into the payload of one frame and
 * back. Sans-I/O: the transport adds the frame's length prefix and moves the bytes.
 *
 * <h2>Wire format, version 2</h2>
 *
 * Everything is big-endian. {@code u8} is one unsigned byte, {@code i32}/{@code i64} are two's
 * complement. {@code bytes} is an {@code i32} length followed by that many bytes; {@code bytes?} is
 * the same but length -1 means null (no bytes follow). {@code string} is {@code bytes} holding
 * UTF-8. {@code list<T>} is an {@code i32} count followed by that many {@code T}. A frame payload
 * is:
 *
 * <pre>
 *   u8  formatVersion      always 2 for this layout; anything else is refused
 *   u8  type               see the table below
 *   i64 epoch              Envelope.epoch: the sender's ring epoch
 *   i64 version            Envelope.version: the sender's HLC reading
 *   i32 slot               0..16383 for the types marked "slot", -1 for every other type
 *   ... body               as below, and nothing after it
 * </pre>
 *
 * <pre>
 *   type message         slot  body
 *    1   Hello           -1    string nodeId, string clusterName, i64 bootstrapDigest,
 *                              string advertisedHost, i32 advertisedClusterPort (0..65535)
 *    2   Execute         slot  i64 requestId, u8 level, i32 protocol, u8 write,
 *                              list&lt;bytes&gt; args, list&lt;i64&gt; minVersions
 *    3   ExecuteReply    slot  i64 requestId, u8 status, bytes reply, list&lt;i64&gt; keyVersions,
 *                              list&lt;entry&gt; entries
 *    4   Replicate       slot  i64 requestId, u8 ackRequested, list&lt;entry&gt; entries
 *    5   ReplicateAck    slot  i64 requestId
 *    6   ReadState       slot  i64 requestId, list&lt;bytes&gt; keys
 *    7   ReadStateReply  slot  i64 requestId, u8 ready, list&lt;entry&gt; entries
 *    8   DigestRequest   -1    i64 requestId, list&lt;i32&gt; slots
 *    9   DigestReply     -1    i64 requestId, list&lt;(i32 slot, i64 digest)&gt; pairs
 *   10   SyncRequest     -1    i64 requestId, list&lt;i32&gt; slots
 *   11   SyncReply       slot  i64 requestId, i64 snapshotVersion, u8 ready,
 *                              list&lt;entry&gt; entries
 *   12   Flush           -1    i64 requestId
 *   13   FlushAck        -1    i64 requestId
 *   14   WrongEpoch      -1    i64 requestId, i64 epoch
 *   15   ControlFrame    -1    bytes payload (at most ControlFrame.MAX_PAYLOAD_BYTES, 16 MiB)
 *
 *   entry (StateEntry) = bytes key, bytes? value, i64 version (&gt;= 0),
 *                        i64 remainingTtlNanos (&gt;= 0, or -1 for no TTL)
 * </pre>
 *
 * A {@code u8} boolean is 0 or 1. {@code level} is the {@link ConsistencyLevel} ordinal (ONE=0,
 * QUORUM=1, ALL=2) and {@code status} the {@link ExecuteReply.Status} ordinal (OK=0, FAILED=1,
 * NOT_READY=2, UNKNOWN_OUTCOME=3): reordering those enums changes the wire format. Slots inside
 * bodies are 0..16383. A StateEntry carries the time left to live, never an absolute expiry, so
 * that no two nodes' clocks are ever compared (seed bug 1).
 *
 * <p>Compatibility rule: type codes and field order are never changed in place; a change of layout
 * gets a new {@code formatVersion}. Golden bytes in {@code PeerCodecTest} pin version 2. Version 2
 * differs from version 1 in the Hello (version 1 carried only {@code string nodeId, i64
 * membershipDigest}) and in type 15; a node decodes only its own version, so a version 1 node and a
 * version 2 node refuse each other's Hello with "unsupported format version".
 *
 * <h2>Limits</h2>
 *
 * A payload is at most {@link #MAX_FRAME_BYTES}. The decoder checks every length and count against
 * the bytes that remain before it allocates anything, so a frame can make it allocate only a small
 * multiple of the frame's own size (a tiny frame that claims 2^31 entries is refused at once, not
 * answered with a 16 GiB array).
 *
 * <h2>Threading and cost</h2>
 *
 * Stateless; every method may be called from any thread at once. {@link #encode} measures the exact
 * size first (a counting pass over the same code that writes) and fills one {@code byte[]}: one
 * allocation per message. {@link #decode} copies every byte string out of the frame, so the frame
 * may be reused once it returns.
 */
public final class PeerCodec {

  /** The layout described in the class comment. */
  public static final int FORMAT_VERSION = 3;

  /** The largest payload either side accepts: 1 GiB. */
  public static final int MAX_FRAME_BYTES = 1 << 30;

  /** Bytes of the common header: format version, type, epoch, version, slot. */
  public static final int HEADER_BYTES = 1 + 1 + 8 + 8 + 4;

  /** The header's slot for message types that concern no single slot. */
  public static final int NO_SLOT = -1;

  // Type codes are part of the wire format: never renumber, only append.
  private static final int HELLO = 1;
  private static final int EXECUTE = 2;
  private static final int EXECUTE_REPLY = 3;
  private static final int REPLICATE = 4;
  private static final int REPLICATE_ACK = 5;
  private static final int READ_STATE = 6;
  private static final int READ_STATE_REPLY = 7;
  private static final int DIGEST_REQUEST = 8;
  private static final int DIGEST_REPLY = 9;
  private static final int SYNC_REQUEST = 10;
  private static final int SYNC_REPLY = 11;
  private static final int FLUSH = 12;
  private static final int FLUSH_ACK = 13;
  private static final int WRONG_EPOCH = 14;
  private static final int CONTROL_FRAME = 15;
  private static final int INVALIDATE = 16;
  private static final int PUBLISH = 17;
  private static final int LAST_TYPE = PUBLISH;

  /** The smallest encoding of each list element kind, to check counts before allocating. */
  private static final int BYTES_MIN = 4;

  private static final int ENTRY_MIN = 4 + 4 + 8 + 8;
  private static final int DIGEST_PAIR = 4 + 8;
  /** cause, scope, key length, slot count, origin node length, origin client. */
  private static final int INVALIDATION_MIN = 1 + 1 + 4 + 4 + 4 + 8;
  private static final Invalidation.Cause[] CAUSES = Invalidation.Cause.values();
  private static final Invalidation.Scope[] SCOPES = Invalidation.Scope.values();

  private static final int LEVELS = ConsistencyLevel.values().length;
  private static final int STATUSES = ExecuteReply.Status.values().length;

  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private PeerCodec() {}

  /**
   * Encodes {@code envelope} as one frame payload (without the transport's length prefix).
   *
   * @throws IllegalArgumentException if the message cannot be sent as it is: its slot is outside
   *     0..16383 for a type that has one, a slot in its body is out of range, a string holds an
   *     unpaired surrogate, or the payload would exceed {@link #MAX_FRAME_BYTES}. These are bugs of
   *     the sender; the codec refuses rather than send what the peer must reject.
   */
  public static byte[] encode(Envelope envelope) {
    PeerMessage body = envelope.body();
    int type = typeOf(body);
    int slot = body.slot();
    if (hasSlot(type) ? !isSlot(slot) : slot != NO_SLOT) {
      throw new IllegalArgumentException(
          body.getClass().getSimpleName() + " with invalid slot " + slot);
    }
    Writer counter = new Writer(null);
    writeBody(counter, body);
    long size = HEADER_BYTES + counter.size;
    if (size > MAX_FRAME_BYTES) {
      throw new IllegalArgumentException(
          body.getClass().getSimpleName()
              + " of "
              + size
              + " bytes exceeds the maximum frame of "
              + MAX_FRAME_BYTES);
    }
    Writer out = new Writer(new byte[(int) size]);
    out.u8(FORMAT_VERSION);
    out.u8(type);
    out.i64(envelope.epoch());
    out.i64(envelope.version());
    out.i32(slot);
    writeBody(out, body);
    if (out.pos != size) {
      throw new IllegalStateException("encoded " + out.pos + " bytes, measured " + size);
    }
    return out.buf;
  }

  /**
   * Decodes one whole frame payload.
   *
   * @throws PeerProtocolException if the bytes are not exactly one valid message
   */
  public static Envelope decode(byte[] frame) {
    return decode(frame, 0, frame.length);
  }

  /**
   * Decodes the frame payload in {@code frame[offset, offset + length)}. Nothing outside that range
   * is read, and the result shares no array with {@code frame}.
   *
   * @throws PeerProtocolException if those bytes are not exactly one valid message
   * @throws IndexOutOfBoundsException if the range is not inside {@code frame} (a caller bug)
   */
  public static Envelope decode(byte[] frame, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, frame.length);
    if (length > MAX_FRAME_BYTES) {
      throw new PeerProtocolException(
          "frame of " + length + " bytes exceeds the maximum of " + MAX_FRAME_BYTES);
    }
    Reader in = new Reader(frame, offset, length);
    int format = in.u8("format version");
    if (format != FORMAT_VERSION) {
      throw in.error(
          0, "unsupported format version " + format + " (this node speaks " + FORMAT_VERSION + ")");
    }
    int type = in.u8("message type");
    if (type < HELLO || type > LAST_TYPE) {
      throw in.error(1, "unknown message type " + type);
    }
    long epoch = in.i64("epoch");
    long version = in.i64("version");
    int slotAt = in.offset();
    int slot = in.i32("slot");
    if (hasSlot(type) ? !isSlot(slot) : slot != NO_SLOT) {
      throw in.error(
          slotAt,
          "invalid slot "
              + slot
              + " for message type "
              + type
              + (hasSlot(type) ? " (must be 0.." + (Slots.SLOT_COUNT - 1) + ")" : " (must be -1)"));
    }
    PeerMessage body;
    try {
      body = readBody(in, type, slot);
    } catch (IllegalArgumentException e) {
      // A record constructor refused a field value: the peer's fault, like any other bad field.
      throw in.error(in.offset(), "invalid message type " + type + ": " + e.getMessage(), e);
    }
    if (in.remaining() != 0) {
      throw in.error(in.offset(), in.remaining() + " trailing bytes after message type " + type);
    }
    return new Envelope(epoch, version, body);
  }

  private static boolean hasSlot(int type) {
    return switch (type) {
      case EXECUTE,
          EXECUTE_REPLY,
          REPLICATE,
          REPLICATE_ACK,
          READ_STATE,
          READ_STATE_REPLY,
          SYNC_REPLY ->
          true;
      default -> false;
    };
  }

  private static boolean isSlot(int slot) {
    return slot >= 0 && slot < Slots.SLOT_COUNT;
  }

  private static int typeOf(PeerMessage body) {
    // An instanceof chain: pattern matching for switch is not final in Java 17.
    if (body instanceof Hello) {
      return HELLO;
    } else if (body instanceof Execute) {
      return EXECUTE;
    } else if (body instanceof ExecuteReply) {
      return EXECUTE_REPLY;
    } else if (body instanceof Replicate) {
      return REPLICATE;
    } else if (body instanceof ReplicateAck) {
      return REPLICATE_ACK;
    } else if (body instanceof ReadState) {
      return READ_STATE;
    } else if (body instanceof ReadStateReply) {
      return READ_STATE_REPLY;
    } else if (body instanceof DigestRequest) {
      return DIGEST_REQUEST;
    } else if (body instanceof DigestReply) {
      return DIGEST_REPLY;
    } else if (body instanceof SyncRequest) {
      return SYNC_REQUEST;
    } else if (body instanceof SyncReply) {
      return SYNC_REPLY;
    } else if (body instanceof Flush) {
      return FLUSH;
    } else if (body instanceof FlushAck) {
      return FLUSH_ACK;
    } else if (body instanceof WrongEpoch) {
      return WRONG_EPOCH;
    } else if (body instanceof ControlFrame) {
      return CONTROL_FRAME;
    } else if (body instanceof Invalidate) {
      return INVALIDATE;
    } else if (body instanceof Publish) {
      return PUBLISH;
    }
    throw new IllegalStateException("no type code for " + body.getClass());
  }

  /** Writes the body; run once counting and once writing, so size and bytes cannot disagree. */
  private static void writeBody(Writer w, PeerMessage body) {
    if (body instanceof Hello m) {
      w.string(m.nodeId());
      w.string(m.clusterName());
      w.i64(m.bootstrapDigest());
      w.string(m.advertisedHost());
      w.i32(m.advertisedClusterPort());
    } else if (body instanceof Execute m) {
      w.i64(m.requestId());
      w.u8(m.level().ordinal());
      w.i32(m.protocol());
      w.bool(m.write());
      w.byteArrays(m.args());
      w.longs(m.minVersions());
      w.i64(m.originClient());
    } else if (body instanceof ExecuteReply m) {
      w.i64(m.requestId());
      w.u8(m.status().ordinal());
      w.bytes(m.reply());
      w.longs(m.keyVersions());
      w.entries(m.entries());
    } else if (body instanceof Replicate m) {
      w.i64(m.requestId());
      w.bool(m.ackRequested());
      w.entries(m.entries());
    } else if (body instanceof ReplicateAck m) {
      w.i64(m.requestId());
    } else if (body instanceof ReadState m) {
      w.i64(m.requestId());
      w.byteArrays(m.keys());
    } else if (body instanceof ReadStateReply m) {
      w.i64(m.requestId());
      w.bool(m.ready());
      w.entries(m.entries());
    } else if (body instanceof DigestRequest m) {
      w.i64(m.requestId());
      w.slots(m.slots());
    } else if (body instanceof DigestReply m) {
      w.i64(m.requestId());
      int[] slots = m.slots();
      long[] digests = m.digests();
      w.i32(slots.length);
      for (int i = 0; i < slots.length; i++) {
        w.slot(slots[i]);
        w.i64(digests[i]);
      }
    } else if (body instanceof SyncRequest m) {
      w.i64(m.requestId());
      w.slots(m.slots());
    } else if (body instanceof SyncReply m) {
      w.i64(m.requestId());
      w.i64(m.snapshotVersion());
      w.bool(m.ready());
      w.entries(m.entries());
    } else if (body instanceof Flush m) {
      w.i64(m.requestId());
    } else if (body instanceof FlushAck m) {
      w.i64(m.requestId());
    } else if (body instanceof WrongEpoch m) {
      w.i64(m.requestId());
      w.i64(m.epoch());
    } else if (body instanceof ControlFrame m) {
      w.bytes(m.sharedPayload());
    } else if (body instanceof Invalidate m) {
      w.i32(m.events().size());
      for (Invalidation e : m.events()) {
        w.u8(e.cause().ordinal());
        w.u8(e.scope().ordinal());
        w.bytes(e.bytes());
        w.slots(e.slots());
        w.string(e.originNode());
        w.i64(e.originClient());
      }
    } else if (body instanceof Publish m) {
      w.bytes(m.channel());
      w.bytes(m.message());
    } else {
      throw new IllegalStateException("no encoding for " + body.getClass());
    }
  }

  private static PeerMessage readBody(Reader in, int type, int slot) {
    switch (type) {
      case HELLO:
        {
          String nodeId = in.string("nodeId");
          String clusterName = in.string("clusterName");
          long bootstrapDigest = in.i64("bootstrapDigest");
          String advertisedHost = in.string("advertisedHost");
          int advertisedClusterPort = in.i32("advertisedClusterPort");
          // An out-of-range port is refused by the record, which names the field.
          return new Hello(
              nodeId, clusterName, bootstrapDigest, advertisedHost, advertisedClusterPort);
        }
      case EXECUTE:
        {
          long requestId = in.i64("requestId");
          ConsistencyLevel level =
              ConsistencyLevel.ofOrdinal(in.ordinal("consistency level", LEVELS));
          int protocol = in.i32("protocol");
          boolean write = in.bool("write");
          byte[][] args = in.byteArrays("args");
          long[] minVersions = in.longs("minVersions");
          long originClient = in.i64("originClient");
          return new Execute(
              requestId, slot, level, protocol, write, args, minVersions, originClient);
        }
      case EXECUTE_REPLY:
        {
          long requestId = in.i64("requestId");
          ExecuteReply.Status status =
              ExecuteReply.Status.ofOrdinal(in.ordinal("status", STATUSES));
          byte[] reply = in.bytes("reply", false);
          long[] keyVersions = in.longs("keyVersions");
          return new ExecuteReply(requestId, slot, status, reply, keyVersions, in.entries());
        }
      case REPLICATE:
        {
          long requestId = in.i64("requestId");
          boolean ackRequested = in.bool("ackRequested");
          return new Replicate(requestId, slot, in.entries(), ackRequested);
        }
      case REPLICATE_ACK:
        return new ReplicateAck(in.i64("requestId"), slot);
      case READ_STATE:
        {
          long requestId = in.i64("requestId");
          return new ReadState(requestId, slot, in.byteArrays("keys"));
        }
      case READ_STATE_REPLY:
        {
          long requestId = in.i64("requestId");
          boolean ready = in.bool("ready");
          return new ReadStateReply(requestId, slot, ready, in.entries());
        }
      case DIGEST_REQUEST:
        {
          long requestId = in.i64("requestId");
          return new DigestRequest(requestId, in.slots());
        }
      case DIGEST_REPLY:
        {
          long requestId = in.i64("requestId");
          int n = in.count("digest", DIGEST_PAIR);
          int[] slots = new int[n];
          long[] digests = new long[n];
          for (int i = 0; i < n; i++) {
            slots[i] = in.slot();
            digests[i] = in.i64("digest");
          }
          return new DigestReply(requestId, slots, digests);
        }
      case SYNC_REQUEST:
        {
          long requestId = in.i64("requestId");
          return new SyncRequest(requestId, in.slots());
        }
      case SYNC_REPLY:
        {
          long requestId = in.i64("requestId");
          long snapshotVersion = in.i64("snapshotVersion");
          boolean ready = in.bool("ready");
          return new SyncReply(requestId, slot, snapshotVersion, ready, in.entries());
        }
      case FLUSH:
        return new Flush(in.i64("requestId"));
      case FLUSH_ACK:
        return new FlushAck(in.i64("requestId"));
      case WRONG_EPOCH:
        return new WrongEpoch(in.i64("requestId"), in.i64("epoch"));
      case CONTROL_FRAME:
        return new ControlFrame(
            in.boundedBytes("control frame payload", ControlFrame.MAX_PAYLOAD_BYTES));
      case INVALIDATE:
        {
          int n = in.count("invalidation", INVALIDATION_MIN);
          List<Invalidation> events = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            Invalidation.Cause cause = CAUSES[in.ordinal("invalidation cause", CAUSES.length)];
            Invalidation.Scope scope = SCOPES[in.ordinal("invalidation scope", SCOPES.length)];
            byte[] bytes = in.bytes("invalidation key", false);
            int[] slots = in.slots();
            String originNode = in.string("invalidation origin node");
            long originClient = in.i64("invalidation origin client");
            events.add(Invalidation.of(cause, scope, bytes, slots, originNode, originClient));
          }
          return new Invalidate(events);
        }
      case PUBLISH:
        {
          byte[] channel = in.bytes("channel", false);
          byte[] message = in.bytes("message", false);
          return new Publish(channel, message);
        }
      default:
        throw new IllegalStateException("type checked before: " + type);
    }
  }

  /**
   * Writes big-endian fields into {@code buf}, or only adds up their sizes when {@code buf} is null
   * (the measuring pass; the size is a long so that absurd messages are caught, not wrapped).
   */
  private static final class Writer {
    final byte[] buf;
    int pos;
    long size;

    Writer(byte[] buf) {
      this.buf = buf;
    }

    void u8(int v) {
      if (buf == null) {
        size += 1;
      } else {
        buf[pos++] = (byte) v;
      }
    }

    void bool(boolean v) {
      u8(v ? 1 : 0);
    }

    void i32(int v) {
      if (buf == null) {
        size += 4;
      } else {
        INT.set(buf, pos, v);
        pos += 4;
      }
    }

    void i64(long v) {
      if (buf == null) {
        size += 8;
      } else {
        LONG.set(buf, pos, v);
        pos += 8;
      }
    }

    void raw(byte[] b) {
      if (buf == null) {
        size += b.length;
      } else {
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
      }
    }

    void bytes(byte[] b) {
      i32(b.length);
      raw(b);
    }

    void nullableBytes(byte[] b) {
      if (b == null) {
        i32(-1);
      } else {
        bytes(b);
      }
    }

    void byteArrays(byte[][] arrays) {
      i32(arrays.length);
      for (byte[] b : arrays) {
        bytes(Objects.requireNonNull(b, "null element in a byte[][]"));
      }
    }

    void longs(long[] values) {
      i32(values.length);
      if (buf == null) {
        size += 8L * values.length;
      } else {
        for (long v : values) {
          LONG.set(buf, pos, v);
          pos += 8;
        }
      }
    }

    void slot(int slot) {
      if (!isSlot(slot)) {
        throw new IllegalArgumentException("slot out of range: " + slot);
      }
      i32(slot);
    }

    void slots(int[] slots) {
      i32(slots.length);
      for (int s : slots) {
        slot(s);
      }
    }

    void entries(List<StateEntry> entries) {
      i32(entries.size());
      for (StateEntry e : entries) {
        bytes(e.key());
        nullableBytes(e.value());
        i64(e.version());
        i64(e.remainingTtlNanos());
      }
    }

    /** UTF-8 without an intermediate array; refuses unpaired surrogates instead of writing '?'. */
    void string(String s) {
      int length = s.length();
      int utf8Length = 0;
      for (int i = 0; i < length; i++) {
        char c = s.charAt(i);
        if (c < 0x80) {
          utf8Length += 1;
        } else if (c < 0x800) {
          utf8Length += 2;
        } else if (Character.isSurrogate(c)) {
          if (!Character.isHighSurrogate(c)
              || i + 1 == length
              || !Character.isLowSurrogate(s.charAt(i + 1))) {
            throw new IllegalArgumentException("unpaired surrogate at index " + i + " of a string");
          }
          utf8Length += 4;
          i++;
        } else {
          utf8Length += 3;
        }
      }
      i32(utf8Length);
      if (buf == null) {
        size += utf8Length;
        return;
      }
      for (int i = 0; i < length; i++) {
        char c = s.charAt(i);
        if (c < 0x80) {
          buf[pos++] = (byte) c;
        } else if (c < 0x800) {
          buf[pos++] = (byte) (0xC0 | (c >> 6));
          buf[pos++] = (byte) (0x80 | (c & 0x3F));
        } else if (Character.isHighSurrogate(c)) {
          int cp = Character.toCodePoint(c, s.charAt(++i));
          buf[pos++] = (byte) (0xF0 | (cp >> 18));
          buf[pos++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
          buf[pos++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
          buf[pos++] = (byte) (0x80 | (cp & 0x3F));
        } else {
          buf[pos++] = (byte) (0xE0 | (c >> 12));
          buf[pos++] = (byte) (0x80 | ((c >> 6) & 0x3F));
          buf[pos++] = (byte) (0x80 | (c & 0x3F));
        }
      }
    }
  }

  /**
   * Reads big-endian fields from {@code buf[start, end)}, checking each one against the bytes that
   * remain; every complaint names the field and its offset in the frame.
   */
  private static final class Reader {
    private final byte[] buf;
    private final int start;
    private final int end;
    private int pos;

    Reader(byte[] buf, int start, int length) {
      this.buf = buf;
      this.start = start;
      this.end = start + length;
      this.pos = start;
    }

    int offset() {
      return pos - start;
    }

    int remaining() {
      return end - pos;
    }

    PeerProtocolException error(int at, String message) {
      return error(at, message, null);
    }

    PeerProtocolException error(int at, String message, Throwable cause) {
      return new PeerProtocolException(
          message + " (at byte " + at + " of a " + (end - start) + "-byte frame)", cause);
    }

    private void need(int bytes, String what) {
      if (end - pos < bytes) {
        throw error(
            offset(),
            "truncated frame: "
                + what
                + " needs "
                + bytes
                + " bytes but "
                + (end - pos)
                + " remain");
      }
    }

    int u8(String what) {
      need(1, what);
      return buf[pos++] & 0xFF;
    }

    boolean bool(String what) {
      int at = offset();
      int v = u8(what);
      if (v > 1) {
        throw error(at, what + " must be 0 or 1, not " + v);
      }
      return v == 1;
    }

    int ordinal(String what, int count) {
      int at = offset();
      int v = u8(what);
      if (v >= count) {
        throw error(at, "invalid " + what + " ordinal " + v + " (must be 0.." + (count - 1) + ")");
      }
      return v;
    }

    int i32(String what) {
      need(4, what);
      int v = (int) INT.get(buf, pos);
      pos += 4;
      return v;
    }

    long i64(String what) {
      need(8, what);
      long v = (long) LONG.get(buf, pos);
      pos += 8;
      return v;
    }

    /** A list count, refused unless {@code count * minElementBytes} bytes remain. */
    int count(String what, int minElementBytes) {
      int at = offset();
      int n = i32(what + " count");
      if (n < 0) {
        throw error(at, what + " count is negative: " + n);
      }
      long needed = (long) n * minElementBytes;
      if (needed > remaining()) {
        throw error(
            at,
            "truncated frame: "
                + what
                + " count "
                + n
                + " needs at least "
                + needed
                + " bytes but "
                + remaining()
                + " remain");
      }
      return n;
    }

    byte[] bytes(String what, boolean nullable) {
      int at = offset();
      int n = i32(what + " length");
      if (n == -1 && nullable) {
        return null;
      }
      if (n < 0) {
        throw error(at, what + " length is negative: " + n);
      }
      return take(at, n, what);
    }

    /** The next {@code n >= 0} bytes, whose length field was at {@code at}. */
    private byte[] take(int at, int n, String what) {
      if (n > remaining()) {
        throw error(
            at, "truncated frame: " + what + " of " + n + " bytes but " + remaining() + " remain");
      }
      byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
      pos += n;
      return b;
    }

    /**
     * A byte string of at most {@code maxBytes}; a longer claimed length is refused before the
     * bytes are looked for, so the complaint names the limit rather than a truncation.
     */
    byte[] boundedBytes(String what, int maxBytes) {
      int at = offset();
      int n = i32(what + " length");
      if (n < 0) {
        throw error(at, what + " length is negative: " + n);
      }
      if (n > maxBytes) {
        throw error(at, what + " of " + n + " bytes exceeds the maximum of " + maxBytes);
      }
      return take(at, n, what);
    }

    String string(String what) {
      int at = offset();
      byte[] utf8 = bytes(what, false);
      try {
        // newDecoder() reports malformed input instead of replacing it with U+FFFD.
        return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(utf8)).toString();
      } catch (CharacterCodingException e) {
        throw error(at, what + " is not valid UTF-8", e);
      }
    }

    byte[][] byteArrays(String what) {
      int n = count(what, BYTES_MIN);
      byte[][] arrays = new byte[n][];
      for (int i = 0; i < n; i++) {
        arrays[i] = bytes(what, false);
      }
      return arrays;
    }

    long[] longs(String what) {
      int n = count(what, 8);
      long[] values = new long[n];
      for (int i = 0; i < n; i++) {
        values[i] = (long) LONG.get(buf, pos);
        pos += 8;
      }
      return values;
    }

    int slot() {
      int at = offset();
      int s = i32("slot");
      if (!isSlot(s)) {
        throw error(at, "slot out of range: " + s + " (must be 0.." + (Slots.SLOT_COUNT - 1) + ")");
      }
      return s;
    }

    int[] slots() {
      int n = count("slot", 4);
      int[] slots = new int[n];
      for (int i = 0; i < n; i++) {
        slots[i] = slot();
      }
      return slots;
    }

    List<StateEntry> entries() {
      int n = count("entry", ENTRY_MIN);
      List<StateEntry> entries = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        byte[] key = bytes("entry key", false);
        byte[] value = bytes("entry value", true);
        int versionAt = offset();
        long version = i64("entry version");
        if (version < 0) {
          throw error(versionAt, "entry version is negative: " + version);
        }
        int ttlAt = offset();
        long ttl = i64("entry remainingTtlNanos");
        if (ttl < 0 && ttl != StateEntry.NO_TTL) {
          throw error(ttlAt, "entry remainingTtlNanos must be >= 0 or -1: " + ttl);
        }
        entries.add(new StateEntry(key, value, version, ttl));
      }
      return entries;
    }
  }
}
