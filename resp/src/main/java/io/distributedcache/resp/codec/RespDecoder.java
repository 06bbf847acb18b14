package io.distributedcache.resp.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Decodes client requests, in RESP multibulk or inline form, into one {@code byte[][]} message per
 * command (one {@code byte[]} per argument, never empty), or into a single {@link
 * RespProtocolError} after which all input of the channel is discarded.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>One instance per channel (it keeps per-connection state; not {@code @Sharable}). All
 *       methods, {@link #limits(RespLimits)} included, run on the channel's event loop; nothing
 *       blocks.
 *   <li>It never throws for bad input: every protocol violation becomes one {@link
 *       RespProtocolError} message. The handler after it is expected to write {@code "-ERR " +
 *       message} and close the channel after the write; until then the decoder swallows whatever
 *       else arrives, like Redis, which stops reading from a client flagged {@code
 *       CLIENT_PROTOCOL_ERROR}.
 *   <li>Every {@code ByteBuf} it receives is released by {@link ByteToMessageDecoder}; messages it
 *       emits hold no buffers, so they need no release.
 * </ul>
 *
 * <h2>Accepted input (Redis networking.c: processMultibulkBuffer, processInlineBuffer)</h2>
 *
 * <ul>
 *   <li>{@code *<n>\r\n} followed by {@code n} bulk strings {@code $<len>\r\n<len bytes>\r\n}.
 *       Numbers follow Redis' {@code string2ll}: optional {@code '-'}, no {@code '+'}, no leading
 *       zeros, no spaces. {@code *0} and {@code *-1} are skipped without a reply, as Redis does.
 *   <li>Any other line is an inline command, terminated by {@code \n} with an optional preceding
 *       {@code \r}, split like Redis' {@code sdssplitargs} (see {@link #splitInline}). A line that
 *       splits into no arguments (empty, blanks only) is skipped.
 * </ul>
 *
 * <h2>Errors (the texts are Redis')</h2>
 *
 * <ul>
 *   <li>{@code "Protocol error: invalid multibulk length"}: count not a number, negative other than
 *       -1, or above {@link RespLimits#maxArrayLength()}; {@code "Protocol error: unauthenticated
 *       multibulk length"} instead for the last case when {@link RespLimits#authPending()}.
 *   <li>{@code "Protocol error: invalid bulk length"}: length not a number, negative, or above
 *       {@link RespLimits#maxBulkBytes()}; {@code "Protocol error: unauthenticated bulk length"}
 *       instead for the last case when {@link RespLimits#authPending()}.
 *   <li>{@code "Protocol error: expected '$', got 'X'"}: an array element that is not a bulk
 *       string. Checked on the element's first byte, without waiting for its line.
 *   <li>{@code "Protocol error: too big mbulk count string"}, {@code "Protocol error: too big bulk
 *       count string"}, {@code "Protocol error: too big inline request"}: a header or inline line
 *       longer than {@link RespLimits#maxInlineBytes()}.
 *   <li>{@code "Protocol error: unbalanced quotes in request"}: an inline line that {@code
 *       sdssplitargs} rejects.
 *   <li>{@code "Protocol error: expected CRLF after bulk data"}: the two bytes after a bulk
 *       string's payload are not CRLF (see differences below).
 * </ul>
 *
 * <h2>Design note</h2>
 *
 * <p>An explicit state machine ({@code START -> BULK_HEADER <-> BULK_DATA -> START}, plus {@code
 * FAILED}) whose fields survive between reads, so a request split over many reads is parsed once:
 * completed arguments are copied out of the cumulation and consumed immediately, and a line that
 * is still incomplete is not rescanned from its start ({@code lineScanned} remembers how far the
 * search for {@code '\n'} got). Invariants, which the fuzz test checks after every read:
 *
 * <ul>
 *   <li>Limits are checked as soon as the bytes that decide them are present, before anything is
 *       buffered or allocated for them: a header line is bounded by {@code maxInlineBytes} while
 *       its {@code '\n'} is searched for, and a bulk length is validated before its payload is
 *       awaited. Payload bytes stay in the cumulation until all {@code len + 2} have arrived; only
 *       then is the {@code byte[len]} allocated, so a hostile {@code $536870000} costs nothing but
 *       the bytes the client really sends. The argument array starts at no more than {@value
 *       #INITIAL_ARGS_MAX} slots and doubles as arguments arrive, so {@code *1048576} alone
 *       allocates a few KiB (Redis 7 does the same).
 *   <li>Hence the bytes retained in the cumulation between reads never exceed {@code
 *       max(maxBulkBytes, maxInlineBytes) + 2}; arguments already decoded for the current command
 *       are held as {@code byte[]}s, as Redis holds them as objects.
 *   <li>The outcome depends only on the byte stream, never on how it was split into reads (unlike
 *       Redis, whose "too big" checks depend on what one read returned).
 * </ul>
 *
 * <p>The hot path (redis-benchmark's {@code *3\r\n$3\r\nSET\r\n...}) allocates only one {@code
 * byte[]} per argument and the {@code byte[][]}; numbers are parsed straight from the buffer and
 * {@code '\n'} is found with {@link ByteBuf#indexOf(int, int, byte)}, which Netty vectorises. The
 * default {@code MERGE_CUMULATOR} is kept: requests are small and a merged buffer keeps {@code
 * getByte}/{@code indexOf} on one contiguous array. Measured on pipelined 100-byte SETs fed in
 * 1.5 KiB, 16 KiB and 100 KiB reads through an {@code EmbeddedChannel}, MERGE took about 150 ns per
 * command and {@code COMPOSITE_CUMULATOR} 350 to 400. MERGE's growth above 4 MiB is linear, so a
 * single bulk of hundreds of MiB costs several copies; acceptable for a cache whose values are
 * rarely that large.
 *
 * <h2>Deliberate differences from Redis</h2>
 *
 * <ul>
 *   <li>A negative multibulk count other than -1 is an error; Redis skips every count {@code <= 0}.
 *   <li>The CRLF after a bulk payload is verified; Redis skips two bytes unseen, which can silently
 *       desynchronise a buggy client.
 *   <li>Limits are applied per line and argument regardless of read boundaries (see above); an
 *       array element's {@code '$'} is checked on its first byte rather than once its line is
 *       complete. Both only make errors come earlier or deterministically, with Redis' texts.
 *   <li>With {@link RespLimits#authPending()}, a bulk length above the limit is always the
 *       "unauthenticated" error; Redis reports lengths above {@code proto-max-bulk-len} as
 *       "invalid" even then.
 *   <li>An inline line containing NUL is split up to the NUL, as {@code sdssplitargs} does; Redis
 *       itself never gets that far because its {@code strchr} for {@code '\n'} stops at the NUL.
 * </ul>
 */
public final class RespDecoder extends ByteToMessageDecoder {

  /** Upper bound of the argument array allocated on a {@code *<n>} header before any argument. */
  static final int INITIAL_ARGS_MAX = 1024;

  private static final byte CR = '\r';
  private static final byte LF = '\n';

  private static final int START = 0;
  private static final int BULK_HEADER = 1;
  private static final int BULK_DATA = 2;
  private static final int FAILED = 3;

  /** Result of {@link #findLineEnd}: the line is incomplete and still within the limit. */
  private static final int NEED_MORE = -1;

  /** Result of {@link #findLineEnd}: the line is longer than {@code maxInlineBytes}. */
  private static final int TOO_BIG = -2;

  /** Result of {@link #parseNumber}: not a number in {@code string2ll}'s syntax, or overflow. */
  private static final long NOT_A_NUMBER = Long.MIN_VALUE;

  static final String INVALID_MULTIBULK_LENGTH = "Protocol error: invalid multibulk length";
  static final String UNAUTHENTICATED_MULTIBULK_LENGTH =
      "Protocol error: unauthenticated multibulk length";
  static final String INVALID_BULK_LENGTH = "Protocol error: invalid bulk length";
  static final String UNAUTHENTICATED_BULK_LENGTH = "Protocol error: unauthenticated bulk length";
  static final String TOO_BIG_MBULK_COUNT = "Protocol error: too big mbulk count string";
  static final String TOO_BIG_BULK_COUNT = "Protocol error: too big bulk count string";
  static final String TOO_BIG_INLINE = "Protocol error: too big inline request";
  static final String UNBALANCED_QUOTES = "Protocol error: unbalanced quotes in request";
  static final String EXPECTED_CRLF = "Protocol error: expected CRLF after bulk data";

  private RespLimits limits;

  private int state = START;

  /**
   * Bytes of the current line, counted from the reader index, already searched for {@code '\n'}
   * without finding it. Reset whenever the reader index moves.
   */
  private int lineScanned;

  /** Arguments of the multibulk request being decoded; null outside one. */
  private byte[][] args;

  /** Number of arguments announced by the {@code *<n>} header. */
  private int argCount;

  /** Number of arguments of {@link #args} already decoded. */
  private int argIndex;

  /** Payload length announced by the last {@code $<len>} header, valid in {@code BULK_DATA}. */
  private int bulkLength;

  /** Creates a decoder with {@link RespLimits#defaults()}. */
  public RespDecoder() {
    this(RespLimits.defaults());
  }

  /**
   * Creates a decoder with the given limits.
   *
   * @throws NullPointerException if {@code limits} is null
   */
  public RespDecoder(RespLimits limits) {
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /** The limits in force. Event loop only. */
  public RespLimits limits() {
    return limits;
  }

  /**
   * Switches the limits, e.g. from {@link RespLimits#unauthenticated()} to the server's limits
   * after AUTH succeeds. Takes effect for every check made from now on, including the rest of a
   * request that is partly decoded (an argument count or bulk length already accepted stays
   * accepted). Must be called on the channel's event loop; does not block.
   *
   * @throws NullPointerException if {@code limits} is null
   */
  public void limits(RespLimits limits) {
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /** Bytes held in the cumulation buffer; for tests. Event loop only. */
  int bufferedBytes() {
    return internalBuffer().readableBytes();
  }

  /** Whether a protocol error was emitted and input is being discarded; for tests. */
  boolean failed() {
    return state == FAILED;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    // Emits at most one message per call and returns; ByteToMessageDecoder calls again while the
    // previous call consumed bytes, so pipelined requests come out one after another.
    int emitted = out.size();
    while (true) {
      switch (state) {
        case START:
          if (!in.isReadable()) {
            return;
          }
          if (in.getByte(in.readerIndex()) == '*') {
            if (!readMultibulkCount(in, out)) {
              return;
            }
          } else if (!readInline(in, out) || out.size() != emitted) {
            return;
          }
          break;
        case BULK_HEADER:
          if (!readBulkHeader(in, out)) {
            return;
          }
          break;
        case BULK_DATA:
          if (!readBulkData(in, out) || out.size() != emitted) {
            return;
          }
          break;
        default: // FAILED
          in.skipBytes(in.readableBytes());
          return;
      }
    }
  }

  /**
   * Reads a {@code *<n>} line at the reader index.
   *
   * @return whether decoding can go on (the line was consumed without an error)
   */
  private boolean readMultibulkCount(ByteBuf in, List<Object> out) {
    int start = in.readerIndex();
    int lf = findLineEnd(in);
    if (lf == NEED_MORE) {
      return false;
    }
    if (lf == TOO_BIG) {
      return fail(in, out, TOO_BIG_MBULK_COUNT);
    }
    long n = in.getByte(lf - 1) == CR ? parseNumber(in, start + 1, lf - 1) : NOT_A_NUMBER;
    if (n == NOT_A_NUMBER || n < -1 || n > Integer.MAX_VALUE) {
      return fail(in, out, INVALID_MULTIBULK_LENGTH);
    }
    if (n > limits.maxArrayLength()) {
      return fail(
          in,
          out,
          limits.authPending() ? UNAUTHENTICATED_MULTIBULK_LENGTH : INVALID_MULTIBULK_LENGTH);
    }
    in.readerIndex(lf + 1);
    if (n > 0) {
      argCount = (int) n;
      argIndex = 0;
      args = new byte[Math.min(argCount, INITIAL_ARGS_MAX)][];
      state = BULK_HEADER;
    }
    return true;
  }

  /**
   * Reads a {@code $<len>} line at the reader index.
   *
   * @return whether decoding can go on
   */
  private boolean readBulkHeader(ByteBuf in, List<Object> out) {
    if (!in.isReadable()) {
      return false;
    }
    int start = in.readerIndex();
    byte first = in.getByte(start);
    if (first != '$') {
      return fail(in, out, "Protocol error: expected '$', got '" + (char) (first & 0xFF) + "'");
    }
    int lf = findLineEnd(in);
    if (lf == NEED_MORE) {
      return false;
    }
    if (lf == TOO_BIG) {
      return fail(in, out, TOO_BIG_BULK_COUNT);
    }
    long n = in.getByte(lf - 1) == CR ? parseNumber(in, start + 1, lf - 1) : NOT_A_NUMBER;
    if (n == NOT_A_NUMBER || n < 0 || n > Integer.MAX_VALUE) {
      return fail(in, out, INVALID_BULK_LENGTH);
    }
    if (n > limits.maxBulkBytes()) {
      return fail(
          in, out, limits.authPending() ? UNAUTHENTICATED_BULK_LENGTH : INVALID_BULK_LENGTH);
    }
    in.readerIndex(lf + 1);
    bulkLength = (int) n;
    state = BULK_DATA;
    return true;
  }

  /**
   * Reads a bulk payload and its CRLF once all of it has arrived; emits the request after its last
   * argument.
   *
   * @return whether decoding can go on
   */
  private boolean readBulkData(ByteBuf in, List<Object> out) {
    int length = bulkLength;
    // length <= RespLimits.MAX_LIMIT, so length + 2 does not overflow.
    if (in.readableBytes() < length + 2) {
      return false;
    }
    int start = in.readerIndex();
    if (in.getByte(start + length) != CR || in.getByte(start + length + 1) != LF) {
      return fail(in, out, EXPECTED_CRLF);
    }
    byte[] arg = new byte[length];
    in.readBytes(arg);
    in.skipBytes(2);
    if (argIndex == args.length) {
      // Grows to exactly argCount at the end, so the emitted array needs no trimming.
      args = Arrays.copyOf(args, (int) Math.min(argCount, 2L * args.length));
    }
    args[argIndex++] = arg;
    if (argIndex == argCount) {
      out.add(args);
      args = null;
      state = START;
    } else {
      state = BULK_HEADER;
    }
    return true;
  }

  /**
   * Reads an inline line at the reader index; emits it if it has arguments.
   *
   * @return whether decoding can go on
   */
  private boolean readInline(ByteBuf in, List<Object> out) {
    int start = in.readerIndex();
    int lf = findLineEnd(in);
    if (lf == NEED_MORE) {
      return false;
    }
    if (lf == TOO_BIG) {
      return fail(in, out, TOO_BIG_INLINE);
    }
    int end = lf > start && in.getByte(lf - 1) == CR ? lf - 1 : lf;
    byte[][] inline = splitInline(in, start, end);
    if (inline == null) {
      return fail(in, out, UNBALANCED_QUOTES);
    }
    in.readerIndex(lf + 1);
    if (inline.length > 0) {
      out.add(inline);
    }
    return true;
  }

  /**
   * Finds the {@code '\n'} ending the line that starts at the reader index, resuming where the
   * previous call stopped.
   *
   * @return the absolute index of {@code '\n'}, {@link #NEED_MORE}, or {@link #TOO_BIG} if the
   *     line without its terminator ({@code \n} or {@code \r\n}) is longer than {@code
   *     maxInlineBytes}
   */
  private int findLineEnd(ByteBuf in) {
    int start = in.readerIndex();
    int readable = in.readableBytes();
    int maxLine = limits.maxInlineBytes();
    // The '\n' of an acceptable line is at most maxLine + 1 bytes after the line start.
    int window = Math.min(readable, maxLine + 2);
    int from = start + lineScanned;
    int to = start + window;
    int lf = from < to ? in.indexOf(from, to, LF) : -1;
    if (lf < 0) {
      lineScanned = window;
      // maxLine + 1 bytes still fit if the last one is the CR of a CRLF.
      boolean tooBig =
          readable > maxLine + 1
              || (readable == maxLine + 1 && in.getByte(start + maxLine) != CR);
      return tooBig ? TOO_BIG : NEED_MORE;
    }
    lineScanned = 0;
    int length = lf - start;
    if (length > maxLine && !(length == maxLine + 1 && in.getByte(lf - 1) == CR)) {
      return TOO_BIG;
    }
    return lf;
  }

  /**
   * Parses {@code [from, to)} like Redis' {@code string2ll}: {@code "0"}, or an optional {@code
   * '-'} then a digit 1-9 then digits. Values that need more than 18 digits count as invalid: every
   * caller rejects anything beyond the int range anyway.
   */
  private static long parseNumber(ByteBuf in, int from, int to) {
    if (from >= to) {
      return NOT_A_NUMBER;
    }
    int i = from;
    boolean negative = false;
    if (in.getByte(i) == '-') {
      negative = true;
      i++;
      if (i == to) {
        return NOT_A_NUMBER;
      }
    }
    if (to - i > 18) {
      return NOT_A_NUMBER;
    }
    byte b = in.getByte(i);
    if (b == '0') {
      return !negative && i + 1 == to ? 0 : NOT_A_NUMBER;
    }
    long value = 0;
    for (; i < to; i++) {
      b = in.getByte(i);
      if (b < '0' || b > '9') {
        return NOT_A_NUMBER;
      }
      value = value * 10 + (b - '0');
    }
    return negative ? -value : value;
  }

  private boolean fail(ByteBuf in, List<Object> out, String message) {
    state = FAILED;
    args = null;
    lineScanned = 0;
    in.skipBytes(in.readableBytes());
    out.add(new RespProtocolError(message));
    return false;
  }

  /**
   * Splits {@code [from, to)} into arguments exactly like Redis' {@code sdssplitargs} (sds.c),
   * which sees the line as a C string:
   *
   * <ul>
   *   <li>a NUL byte ends the line (anything after it is ignored);
   *   <li>arguments are separated by {@code isspace} bytes (space, \t, \n, \v, \f, \r); an
   *       unquoted argument ends at space, \t, \n, \r;
   *   <li>{@code "double quotes"} understand {@code \n \r \t \b \a}, {@code \xHH} and {@code \}
   *       before any other byte (that byte itself); {@code 'single quotes'} understand only {@code
   *       \'};
   *   <li>quotes may start in the middle of an argument ({@code a"b c"} is {@code ab c}), but a
   *       closing quote must be followed by a space or the end of the line.
   * </ul>
   *
   * @return the arguments (possibly none), or null for unbalanced quotes
   */
  static byte[][] splitInline(ByteBuf in, int from, int to) {
    int nul = in.indexOf(from, to, (byte) 0);
    if (nul >= 0) {
      to = nul;
    }
    List<byte[]> result = new ArrayList<>();
    byte[] current = new byte[to - from];
    int p = from;
    while (true) {
      while (p < to && isSpace(in.getByte(p))) {
        p++;
      }
      if (p == to) {
        return result.toArray(new byte[0][]);
      }
      int length = 0;
      boolean inDoubleQuotes = false;
      boolean inSingleQuotes = false;
      boolean done = false;
      while (!done) {
        int c = at(in, p, to);
        if (inDoubleQuotes) {
          int next = at(in, p + 1, to);
          if (c == '\\' && next == 'x' && isHex(at(in, p + 2, to)) && isHex(at(in, p + 3, to))) {
            current[length++] = (byte) (hex(at(in, p + 2, to)) * 16 + hex(at(in, p + 3, to)));
            p += 3;
          } else if (c == '\\' && next != 0) {
            p++;
            current[length++] = unescape(next);
          } else if (c == '"') {
            if (next != 0 && !isSpace((byte) next)) {
              return null;
            }
            done = true;
          } else if (c == 0) {
            return null;
          } else {
            current[length++] = (byte) c;
          }
        } else if (inSingleQuotes) {
          int next = at(in, p + 1, to);
          if (c == '\\' && next == '\'') {
            p++;
            current[length++] = '\'';
          } else if (c == '\'') {
            if (next != 0 && !isSpace((byte) next)) {
              return null;
            }
            done = true;
          } else if (c == 0) {
            return null;
          } else {
            current[length++] = (byte) c;
          }
        } else {
          switch (c) {
            case ' ':
            case '\n':
            case '\r':
            case '\t':
            case 0:
              done = true;
              break;
            case '"':
              inDoubleQuotes = true;
              break;
            case '\'':
              inSingleQuotes = true;
              break;
            default:
              current[length++] = (byte) c;
              break;
          }
        }
        if (p < to) {
          p++;
        }
      }
      result.add(Arrays.copyOf(current, length));
    }
  }

  /** The byte at {@code i} as 0..255, or 0 past the end, like reading a C string. */
  private static int at(ByteBuf in, int i, int to) {
    return i < to ? in.getByte(i) & 0xFF : 0;
  }

  /** C's {@code isspace} in the "C" locale. */
  private static boolean isSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0B || b == 0x0C;
  }

  private static boolean isHex(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  private static int hex(int c) {
    if (c <= '9') {
      return c - '0';
    }
    return (c | 0x20) - 'a' + 10;
  }

  private static byte unescape(int c) {
    switch (c) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'b':
        return '\b';
      case 'a':
        return 0x07;
      default:
        return (byte) c;
    }
  }
}
