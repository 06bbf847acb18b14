package io.distributedcache.bench;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Reads RESP2 replies from a blocking stream, one complete reply per {@link #read()}.
 *
 * <p>Handles {@code +}, {@code -}, {@code :}, {@code $} and {@code *} (with {@code $-1} and {@code
 * *-1} as {@link RespReply.Nil}); RESP3 types are rejected as protocol errors because this client
 * never sends {@code HELLO 3}. Lengths and nesting are checked before anything is allocated, so a
 * corrupt stream fails with {@link RespProtocolException} instead of an out-of-memory error.
 *
 * <p>Not thread-safe: one reader per connection, used by the connection's own thread. The stream
 * should be buffered (the reader pulls one byte at a time for headers).
 */
public final class RespReader {

  /** Redis' own bound on a bulk string (proto-max-bulk-len default). */
  static final int MAX_BULK_BYTES = 512 * 1024 * 1024;

  /** Enough for any reply a benchmark asks for; bounds memory on a corrupt stream. */
  static final int MAX_ARRAY_LENGTH = 1 << 20;

  /** Nesting bound, so that a corrupt stream cannot overflow the stack. */
  static final int MAX_DEPTH = 32;

  /** Longest header or simple-string line accepted, CRLF excluded. */
  static final int MAX_LINE_BYTES = 64 * 1024;

  private final InputStream in;
  private byte[] line = new byte[64];

  /** Reads from {@code in}, which the caller owns and closes. */
  public RespReader(InputStream in) {
    this.in = Objects.requireNonNull(in, "in");
  }

  /**
   * Blocks until one whole reply has been read.
   *
   * @throws EOFException if the stream ends, even in the middle of a reply
   * @throws RespProtocolException if the bytes are not a RESP2 reply
   * @throws IOException if the stream fails (including a socket read timeout)
   */
  public RespReply read() throws IOException {
    return read(0);
  }

  private RespReply read(int depth) throws IOException {
    int type = next();
    int length = readLine();
    switch (type) {
      case '+':
        return new RespReply.Simple(new String(line, 0, length, StandardCharsets.UTF_8));
      case '-':
        return new RespReply.Error(new String(line, 0, length, StandardCharsets.UTF_8));
      case ':':
        return new RespReply.Int(parseLong(length));
      case '$':
        {
          long size = parseLong(length);
          if (size == -1) {
            return RespReply.Nil.BULK;
          }
          if (size < 0 || size > MAX_BULK_BYTES) {
            throw new RespProtocolException("bad bulk length " + size);
          }
          byte[] bytes = in.readNBytes((int) size);
          if (bytes.length != size) {
            throw new EOFException("stream ended inside a bulk string");
          }
          expectCrLf();
          return new RespReply.Bulk(bytes);
        }
      case '*':
        {
          long count = parseLong(length);
          if (count == -1) {
            return RespReply.Nil.ARRAY;
          }
          if (count < 0 || count > MAX_ARRAY_LENGTH) {
            throw new RespProtocolException("bad array length " + count);
          }
          if (depth >= MAX_DEPTH) {
            throw new RespProtocolException("arrays nested deeper than " + MAX_DEPTH);
          }
          List<RespReply> elements = new ArrayList<>((int) count);
          for (long i = 0; i < count; i++) {
            elements.add(read(depth + 1));
          }
          return new RespReply.Array(elements);
        }
      default:
        throw new RespProtocolException(
            "unexpected reply type byte 0x"
                + Integer.toHexString(type)
                + " ('"
                + (char) type
                + "')");
    }
  }

  /** One byte, or EOF as an exception. */
  private int next() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException("stream ended");
    }
    return b;
  }

  /** Reads up to CRLF into {@link #line}; returns the length without CRLF. */
  private int readLine() throws IOException {
    int length = 0;
    while (true) {
      int b = next();
      if (b == '\r') {
        if (next() != '\n') {
          throw new RespProtocolException("CR not followed by LF");
        }
        return length;
      }
      if (b == '\n') {
        throw new RespProtocolException("LF without CR");
      }
      if (length == line.length) {
        if (length >= MAX_LINE_BYTES) {
          throw new RespProtocolException("line longer than " + MAX_LINE_BYTES + " bytes");
        }
        line = Arrays.copyOf(line, Math.min(length * 2, MAX_LINE_BYTES));
      }
      line[length++] = (byte) b;
    }
  }

  private void expectCrLf() throws IOException {
    if (next() != '\r' || next() != '\n') {
      throw new RespProtocolException("bulk string not followed by CRLF");
    }
  }

  /** Parses {@code line[0, length)} as a signed decimal long, strictly (no spaces, no '+'). */
  private long parseLong(int length) throws RespProtocolException {
    if (length == 0) {
      throw new RespProtocolException("empty number");
    }
    boolean negative = line[0] == '-';
    int i = negative ? 1 : 0;
    if (i == length || length - i > 19) {
      throw new RespProtocolException("bad number '" + text(length) + "'");
    }
    long value = 0;
    for (; i < length; i++) {
      int digit = line[i] - '0';
      if (digit < 0 || digit > 9) {
        throw new RespProtocolException("bad number '" + text(length) + "'");
      }
      // Accumulate negatively so that Long.MIN_VALUE parses; overflow shows as a sign flip.
      long next = value * 10 - digit;
      if (next > value || (value < Long.MIN_VALUE / 10)) {
        throw new RespProtocolException("number out of range '" + text(length) + "'");
      }
      value = next;
    }
    if (!negative) {
      if (value == Long.MIN_VALUE) {
        throw new RespProtocolException("number out of range '" + text(length) + "'");
      }
      value = -value;
    }
    return value;
  }

  private String text(int length) {
    return new String(line, 0, length, StandardCharsets.UTF_8);
  }
}
