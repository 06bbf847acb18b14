package io.distributedcache.raft;

import io.distributedcache.raft.RaftMessage.AppendEntries;
import io.distributedcache.raft.RaftMessage.AppendEntriesResponse;
import io.distributedcache.raft.RaftMessage.InstallSnapshot;
import io.distributedcache.raft.RaftMessage.PreVote;
import io.distributedcache.raft.RaftMessage.PreVoteResponse;
import io.distributedcache.raft.RaftMessage.RequestVote;
import io.distributedcache.raft.RaftMessage.RequestVoteResponse;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The wire format of {@link RaftMessage}s: one message per byte array; framing is the transport's
 * business.
 *
 * <h2>Format, version 1</h2>
 *
 * All integers big-endian; {@code string} is {@code [int length][UTF-8 bytes]}; {@code bool} is one
 * byte, 0 or 1; every {@code long} (terms and indexes) is non-negative.
 *
 * <pre>
 * [byte version = 1] [byte type] [long term] [string from] [string to] body
 *
 * type 1 PreVote, 3 RequestVote:  [long lastLogIndex] [long lastLogTerm]
 * type 2 PreVoteResponse,
 *      4 RequestVoteResponse:     [bool granted]
 * type 5 AppendEntries:           [long prevLogIndex] [long prevLogTerm] [long leaderCommit]
 *                                 [int count] count x entry
 *        entry:                   [long term] [long index] [byte kind] [int length] [bytes]
 *                                 (kind: 0 COMMAND, 1 CONFIG; a CONFIG entry's bytes are
 *                                 {@link Membership#encode()}'s)
 * type 6 AppendEntriesResponse:   [bool success] [long index] [long hintIndex]
 * type 7 InstallSnapshot:         [long index] [long term] [int voterCount] strings
 *                                 [int learnerCount] strings [int length] [data bytes]
 * </pre>
 *
 * <p>Nothing may follow the body. A future version changes the first byte; this decoder rejects
 * every version but 1.
 *
 * <h2>Hostile input</h2>
 *
 * {@link #decode} reads bytes from the network, so it trusts nothing: every length and count is
 * checked against the bytes that remain <em>before</em> anything is allocated for it (a count
 * against the smallest encoding of its items), so decoding allocates at most a small multiple of
 * the input's length; truncated input, lengths or counts out of range, unknown versions, types or
 * kinds, malformed UTF-8, duplicate members, negative numbers and trailing bytes are all rejected
 * with an {@link IllegalArgumentException}, and nothing else is thrown.
 *
 * <p>Stateless and thread-safe.
 */
public final class RaftMessageCodec {

  /** The format version this class writes and the only one it reads. */
  public static final byte VERSION = 1;

  private static final byte PRE_VOTE = 1;
  private static final byte PRE_VOTE_RESPONSE = 2;
  private static final byte REQUEST_VOTE = 3;
  private static final byte REQUEST_VOTE_RESPONSE = 4;
  private static final byte APPEND_ENTRIES = 5;
  private static final byte APPEND_ENTRIES_RESPONSE = 6;
  private static final byte INSTALL_SNAPSHOT = 7;

  /** The smallest encoded entry: term, index, kind and an empty command's length. */
  private static final int MIN_ENTRY_BYTES = 8 + 8 + 1 + 4;

  /** The smallest encoded string: its length. */
  private static final int MIN_STRING_BYTES = 4;

  private static final LogEntry.Kind[] KINDS = LogEntry.Kind.values();

  private RaftMessageCodec() {}

  /**
   * Encodes {@code message} in format version 1.
   *
   * @throws IllegalArgumentException if a term or index is negative (no valid message has one, and
   *     {@link #decode} would refuse it)
   */
  public static byte[] encode(RaftMessage message) {
    Writer w = new Writer();
    w.writeByte(VERSION);
    if (message instanceof PreVote m) {
      w.writeByte(PRE_VOTE);
      header(w, m);
      w.writeLong(m.lastLogIndex()).writeLong(m.lastLogTerm());
    } else if (message instanceof PreVoteResponse m) {
      w.writeByte(PRE_VOTE_RESPONSE);
      header(w, m);
      w.writeBoolean(m.granted());
    } else if (message instanceof RequestVote m) {
      w.writeByte(REQUEST_VOTE);
      header(w, m);
      w.writeLong(m.lastLogIndex()).writeLong(m.lastLogTerm());
    } else if (message instanceof RequestVoteResponse m) {
      w.writeByte(REQUEST_VOTE_RESPONSE);
      header(w, m);
      w.writeBoolean(m.granted());
    } else if (message instanceof AppendEntries m) {
      w.writeByte(APPEND_ENTRIES);
      header(w, m);
      w.writeLong(m.prevLogIndex()).writeLong(m.prevLogTerm()).writeLong(m.leaderCommit());
      w.writeInt(m.entries().size());
      for (LogEntry e : m.entries()) {
        w.writeLong(e.term()).writeLong(e.index()).writeByte((byte) e.kind().ordinal());
        w.writeBytes(e.command());
      }
    } else if (message instanceof AppendEntriesResponse m) {
      w.writeByte(APPEND_ENTRIES_RESPONSE);
      header(w, m);
      w.writeBoolean(m.success()).writeLong(m.index()).writeLong(m.hintIndex());
    } else if (message instanceof InstallSnapshot m) {
      w.writeByte(INSTALL_SNAPSHOT);
      header(w, m);
      Snapshot s = m.snapshot();
      w.writeLong(s.index()).writeLong(s.term());
      writeIds(w, s.membership().voters());
      writeIds(w, s.membership().learners());
      w.writeBytes(s.data());
    } else {
      throw new IllegalArgumentException("unknown message type " + message.getClass());
    }
    return w.toByteArray();
  }

  /**
   * Decodes one message written by {@link #encode}.
   *
   * @throws IllegalArgumentException if {@code bytes} is not exactly one valid version-1 message;
   *     no other exception, whatever the input
   */
  public static RaftMessage decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    try {
      RaftMessage message = decode(in);
      if (in.hasRemaining()) {
        throw new IllegalArgumentException(in.remaining() + " trailing bytes after " + message);
      }
      return message;
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated message", e);
    }
  }

  private static RaftMessage decode(ByteBuffer in) {
    byte version = in.get();
    if (version != VERSION) {
      throw new IllegalArgumentException("unsupported format version " + version);
    }
    byte type = in.get();
    long term = readNonNegativeLong(in, "term");
    String from = readString(in);
    String to = readString(in);
    switch (type) {
      case PRE_VOTE:
        return new PreVote(
            term,
            from,
            to,
            readNonNegativeLong(in, "lastLogIndex"),
            readNonNegativeLong(in, "lastLogTerm"));
      case PRE_VOTE_RESPONSE:
        return new PreVoteResponse(term, from, to, readBoolean(in));
      case REQUEST_VOTE:
        return new RequestVote(
            term,
            from,
            to,
            readNonNegativeLong(in, "lastLogIndex"),
            readNonNegativeLong(in, "lastLogTerm"));
      case REQUEST_VOTE_RESPONSE:
        return new RequestVoteResponse(term, from, to, readBoolean(in));
      case APPEND_ENTRIES:
        return decodeAppendEntries(in, term, from, to);
      case APPEND_ENTRIES_RESPONSE:
        return new AppendEntriesResponse(
            term,
            from,
            to,
            readBoolean(in),
            readNonNegativeLong(in, "index"),
            readNonNegativeLong(in, "hintIndex"));
      case INSTALL_SNAPSHOT:
        return decodeInstallSnapshot(in, term, from, to);
      default:
        throw new IllegalArgumentException("unknown message type " + type);
    }
  }

  private static AppendEntries decodeAppendEntries(
      ByteBuffer in, long term, String from, String to) {
    long prevLogIndex = readNonNegativeLong(in, "prevLogIndex");
    long prevLogTerm = readNonNegativeLong(in, "prevLogTerm");
    long leaderCommit = readNonNegativeLong(in, "leaderCommit");
    int count = readCount(in, MIN_ENTRY_BYTES, "entry count");
    List<LogEntry> entries = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long entryTerm = readNonNegativeLong(in, "entry term");
      long index = readNonNegativeLong(in, "entry index");
      int kind = in.get();
      if (kind < 0 || kind >= KINDS.length) {
        throw new IllegalArgumentException("unknown entry kind " + kind);
      }
      // LogEntry validates term and index (>= 1) and a configuration's encoding.
      entries.add(new LogEntry(entryTerm, index, KINDS[kind], readBytes(in)));
    }
    // AppendEntries checks that the entries follow prevLogIndex without gaps.
    return new AppendEntries(term, from, to, prevLogIndex, prevLogTerm, entries, leaderCommit);
  }

  private static InstallSnapshot decodeInstallSnapshot(
      ByteBuffer in, long term, String from, String to) {
    long index = readNonNegativeLong(in, "snapshot index");
    long snapshotTerm = readNonNegativeLong(in, "snapshot term");
    Set<String> voters = readIds(in);
    Set<String> learners = readIds(in);
    byte[] data = readBytes(in);
    if (index < 1) {
      throw new IllegalArgumentException("InstallSnapshot needs a snapshot index >= 1: " + index);
    }
    // Membership rejects no voters and overlaps; Snapshot a term below 1.
    return new InstallSnapshot(
        term, from, to, new Snapshot(index, snapshotTerm, new Membership(voters, learners), data));
  }

  // ---------------------------------------------------------------------------------- reading

  private static long readNonNegativeLong(ByteBuffer in, String what) {
    long value = in.getLong();
    if (value < 0) {
      throw new IllegalArgumentException(what + " must not be negative: " + value);
    }
    return value;
  }

  private static boolean readBoolean(ByteBuffer in) {
    byte b = in.get();
    if (b != 0 && b != 1) {
      throw new IllegalArgumentException("a boolean must be 0 or 1: " + b);
    }
    return b == 1;
  }

  /** Reads a count of items of at least {@code minItemBytes} each that must fit in the rest. */
  private static int readCount(ByteBuffer in, int minItemBytes, String what) {
    int count = in.getInt();
    if (count < 0 || count > in.remaining() / minItemBytes) {
      throw new IllegalArgumentException(
          what + " " + count + " does not fit in the remaining " + in.remaining() + " bytes");
    }
    return count;
  }

  /** Reads {@code [int length][bytes]}, checking the length before allocating. */
  private static byte[] readBytes(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0 || length > in.remaining()) {
      throw new IllegalArgumentException(
          "length " + length + " does not fit in the remaining " + in.remaining() + " bytes");
    }
    byte[] bytes = new byte[length];
    in.get(bytes);
    return bytes;
  }

  private static String readString(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0 || length > in.remaining()) {
      throw new IllegalArgumentException(
          "string length " + length + " does not fit in the remaining " + in.remaining());
    }
    ByteBuffer utf8 = in.slice().limit(length);
    in.position(in.position() + length);
    try {
      // A strict decoder: malformed input is an error, not a string with replacement characters
      // that would then name a different member.
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(utf8)
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("malformed UTF-8 in a string", e);
    }
  }

  private static Set<String> readIds(ByteBuffer in) {
    int count = readCount(in, MIN_STRING_BYTES, "member count");
    Set<String> ids = new TreeSet<>();
    for (int i = 0; i < count; i++) {
      String id = readString(in);
      if (!ids.add(id)) {
        throw new IllegalArgumentException("duplicate member " + id);
      }
    }
    return ids;
  }

  // ---------------------------------------------------------------------------------- writing

  private static void header(Writer w, RaftMessage m) {
    w.writeLong(m.term()).writeString(m.from()).writeString(m.to());
  }

  private static void writeIds(Writer w, Set<String> ids) {
    w.writeInt(ids.size());
    for (String id : ids) {
      w.writeString(id);
    }
  }

  /** A growable big-endian buffer; refuses negative longs so that encode mirrors decode. */
  private static final class Writer {
    private ByteBuffer buf = ByteBuffer.allocate(64);

    private void ensure(int bytes) {
      if (buf.remaining() < bytes) {
        int capacity = Math.max(buf.capacity() * 2, buf.position() + bytes);
        ByteBuffer bigger = ByteBuffer.allocate(capacity);
        buf.flip();
        bigger.put(buf);
        buf = bigger;
      }
    }

    Writer writeByte(byte b) {
      ensure(1);
      buf.put(b);
      return this;
    }

    Writer writeBoolean(boolean b) {
      return writeByte(b ? (byte) 1 : (byte) 0);
    }

    Writer writeInt(int i) {
      ensure(4);
      buf.putInt(i);
      return this;
    }

    Writer writeLong(long l) {
      if (l < 0) {
        throw new IllegalArgumentException("terms and indexes must not be negative: " + l);
      }
      ensure(8);
      buf.putLong(l);
      return this;
    }

    Writer writeBytes(byte[] bytes) {
      writeInt(bytes.length);
      ensure(bytes.length);
      buf.put(bytes);
      return this;
    }

    Writer writeString(String s) {
      return writeBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    byte[] toByteArray() {
      byte[] out = new byte[buf.position()];
      buf.flip();
      buf.get(out);
      return out;
    }
  }
}
