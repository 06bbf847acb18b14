package io.distributedcache.server;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A small blocking RESP2 client for the admin commands of {@code distributedcache cluster}: one
 * socket, one request at a time, replies decoded into plain Java values. Not a general client: no
 * pipelining, no RESP3, no pooling; the server module takes no Redis client dependency for a
 * handful of admin calls.
 *
 * <p>Replies map to: simple and bulk strings to {@link String} (UTF-8), integers to {@link Long},
 * arrays to an unmodifiable {@code List<Object>}, the null bulk string and null array to {@code
 * null}, and error replies to {@link ErrorReply} (returned, not thrown, so that a caller can tell a
 * refusal from a broken connection).
 *
 * <p>The decoder checks its limits as it reads ({@link #MAX_BULK_BYTES}, {@link
 * #MAX_ARRAY_LENGTH}, {@link #MAX_DEPTH}, {@link #MAX_LINE_BYTES}), so a confused or hostile peer
 * costs at most that much memory before the call fails with an {@link IOException}.
 *
 * <p>Threading: not thread-safe; used by the one thread running a CLI command. Every method may
 * block for up to the read timeout given to {@link #connect}.
 */
final class RespClient implements AutoCloseable {

  /** Largest bulk string accepted: {@code CLUSTER NODES} of a large cluster fits many times. */
  static final int MAX_BULK_BYTES = 64 << 20;

  /** Most elements in one array ({@code CLUSTER SHARDS} of a large cluster stays far below). */
  static final int MAX_ARRAY_LENGTH = 1 << 20;

  /** Deepest nesting of arrays accepted. */
  static final int MAX_DEPTH = 16;

  /** Longest header or simple-string line accepted, without its CRLF. */
  static final int MAX_LINE_BYTES = 64 << 10;

  /** An error reply ({@code -ERR ...}): the text after the dash. */
  record ErrorReply(String message) {
    ErrorReply {
      Objects.requireNonNull(message, "message");
    }
  }

  /** A reply of the wrong kind for the call, or an error reply where a value was expected. */
  static final class UnexpectedReplyException extends Exception {
    private static final long serialVersionUID = 1L;

    UnexpectedReplyException(String message) {
      super(message);
    }
  }

  /** The node refused the password ({@code -WRONGPASS}, {@code -ERR}): retrying will not help. */
  static final class AuthException extends IOException {
    private static final long serialVersionUID = 1L;

    AuthException(String message) {
      super(message);
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final String address;

  private RespClient(Socket socket, String address) throws IOException {
    this.socket = socket;
    this.address = address;
    this.in = new BufferedInputStream(socket.getInputStream(), 64 << 10);
    this.out = new BufferedOutputStream(socket.getOutputStream(), 8 << 10);
  }

  /**
   * Connects to {@code host:port} and, when {@code password} is not empty, authenticates with
   * {@code AUTH password}. Blocks for at most {@code connectTimeout} to connect; every reply after
   * that may take up to {@code readTimeout}.
   *
   * @param password the default user's password, or null or empty for none
   * @throws AuthException if AUTH is refused
   * @throws IOException if the node cannot be reached or the connection breaks
   */
  static RespClient connect(
      String host, int port, String password, Duration connectTimeout, Duration readTimeout)
      throws IOException {
    Socket socket = new Socket();
    String address = host + ":" + port;
    try {
      socket.connect(new InetSocketAddress(host, port), timeoutMillis(connectTimeout));
      socket.setSoTimeout(timeoutMillis(readTimeout));
      socket.setTcpNoDelay(true);
      RespClient client = new RespClient(socket, address);
      if (password != null && !password.isEmpty()) {
        Object reply = client.call("AUTH", password);
        if (reply instanceof ErrorReply e) {
          throw new AuthException("AUTH refused: " + e.message());
        }
      }
      return client;
    } catch (IOException | RuntimeException e) {
      try {
        socket.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** {@code host:port} as given to {@link #connect}. */
  String address() {
    return address;
  }

  /**
   * Sends one command (each argument a bulk string) and returns its reply as described on the
   * class; an error reply is returned as {@link ErrorReply}.
   *
   * @throws IOException if the connection fails, a reply takes longer than the read timeout, or
   *     the reply is malformed or over the limits
   */
  Object call(String... args) throws IOException {
    ByteArrayOutputStream request = new ByteArrayOutputStream(64);
    writeAscii(request, "*" + args.length + "\r\n");
    for (String arg : args) {
      byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
      writeAscii(request, "$" + bytes.length + "\r\n");
      request.write(bytes, 0, bytes.length);
      writeAscii(request, "\r\n");
    }
    request.writeTo(out);
    out.flush();
    return read(in);
  }

  /**
   * {@link #call} for a command that answers a string (simple, bulk or verbatim sent as bulk).
   *
   * @throws UnexpectedReplyException on an error reply (its message is the server's) or a reply
   *     that is not a string
   */
  String text(String... args) throws IOException, UnexpectedReplyException {
    Object reply = call(args);
    if (reply instanceof String s) {
      return s;
    }
    if (reply instanceof ErrorReply e) {
      throw new UnexpectedReplyException(e.message());
    }
    throw new UnexpectedReplyException(
        String.join(" ", args) + " answered " + describe(reply) + ", expected a string");
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // Nothing was pending: every call reads its whole reply before returning.
    }
  }

  /**
   * Reads one RESP2 reply from {@code in}, as described on the class. Package-private for tests,
   * which feed it bytes one at a time.
   *
   * @throws IOException if the stream ends or breaks mid-reply, or the reply is malformed or over
   *     the limits
   */
  static Object read(InputStream in) throws IOException {
    return read(in, 0);
  }

  private static Object read(InputStream in, int depth) throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new EOFException("connection closed before a reply");
    }
    String line = readLine(in);
    switch (type) {
      case '+':
        return line;
      case '-':
        return new ErrorReply(line);
      case ':':
        return parseLong(line, "integer");
      case '$':
        {
          long length = parseLong(line, "bulk length");
          if (length == -1) {
            return null;
          }
          if (length < 0 || length > MAX_BULK_BYTES) {
            throw new IOException("bulk length " + length + " out of range 0.." + MAX_BULK_BYTES);
          }
          byte[] body = in.readNBytes((int) length);
          if (body.length != length) {
            throw new EOFException("connection closed inside a bulk string");
          }
          if (in.read() != '\r' || in.read() != '\n') {
            throw new IOException("bulk string not followed by CRLF");
          }
          return new String(body, StandardCharsets.UTF_8);
        }
      case '*':
        {
          long length = parseLong(line, "array length");
          if (length == -1) {
            return null;
          }
          if (length < 0 || length > MAX_ARRAY_LENGTH) {
            throw new IOException(
                "array length " + length + " out of range 0.." + MAX_ARRAY_LENGTH);
          }
          if (depth + 1 > MAX_DEPTH) {
            throw new IOException("arrays nested deeper than " + MAX_DEPTH);
          }
          List<Object> elements = new ArrayList<>((int) Math.min(length, 1024));
          for (long i = 0; i < length; i++) {
            elements.add(read(in, depth + 1));
          }
          return Collections.unmodifiableList(elements);
        }
      default:
        throw new IOException("not a RESP2 reply type: '" + printable(type) + "'");
    }
  }

  /** The line up to CRLF, without it; a lone LF or CR inside is an error, as in Redis. */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(32);
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed inside a reply line");
      }
      if (b == '\r') {
        if (in.read() != '\n') {
          throw new IOException("CR not followed by LF in a reply line");
        }
        return line.toString(StandardCharsets.UTF_8);
      }
      if (b == '\n') {
        throw new IOException("LF without CR in a reply line");
      }
      if (line.size() >= MAX_LINE_BYTES) {
        throw new IOException("reply line longer than " + MAX_LINE_BYTES + " bytes");
      }
      line.write(b);
    }
  }

  private static long parseLong(String text, String what) throws IOException {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IOException("malformed " + what + ": '" + text + "'", e);
    }
  }

  /** A reply's kind and a short excerpt, for messages. */
  static String describe(Object reply) {
    if (reply == null) {
      return "nil";
    }
    if (reply instanceof ErrorReply e) {
      return "error '" + e.message() + "'";
    }
    if (reply instanceof Long n) {
      return "integer " + n;
    }
    if (reply instanceof List<?> list) {
      return "an array of " + list.size();
    }
    return "'" + reply + "'";
  }

  private static String printable(int b) {
    return b >= 0x20 && b < 0x7f ? Character.toString((char) b) : String.format("\\x%02x", b);
  }

  private static void writeAscii(ByteArrayOutputStream out, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
    out.write(bytes, 0, bytes.length);
  }

  private static int timeoutMillis(Duration timeout) {
    // Socket timeouts are int milliseconds and 0 means "forever": never round down to 0.
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
  }
}
