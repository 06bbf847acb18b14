package io.distributedcache.it;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain {@link Socket} speaking raw bytes to the server: for malformed, hostile or inline input
 * that a real client library would never send. Reads have deadlines; nothing blocks forever.
 */
public final class RawClient implements AutoCloseable {

  /** An error reply ({@code -ERR ...}). */
  public record ErrorReply(String message) {}

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  public RawClient(int port) {
    this(port, Duration.ofSeconds(10));
  }

  public RawClient(int port, Duration readTimeout) {
    try {
      socket = new Socket();
      socket.connect(new InetSocketAddress(ServerProcess.LOOPBACK, port), 5_000);
      socket.setSoTimeout((int) readTimeout.toMillis());
      socket.setTcpNoDelay(true);
      in = socket.getInputStream();
      out = socket.getOutputStream();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot connect to 127.0.0.1:" + port, e);
    }
  }

  public Socket socket() {
    return socket;
  }

  public RawClient send(String text) {
    return send(text.getBytes(StandardCharsets.UTF_8));
  }

  public RawClient send(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** One line without its CRLF. */
  public String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b == -1) {
        throw new EOFException("connection closed after " + line.size() + " bytes of a line: " + line);
      }
      if (b == '\r') {
        int next = in.read();
        if (next == '\n') {
          return line.toString(StandardCharsets.UTF_8);
        }
        line.write(b);
        if (next == -1) {
          throw new EOFException("connection closed inside a line");
        }
        line.write(next);
        continue;
      }
      line.write(b);
    }
  }

  /**
   * One RESP2/RESP3 reply: {@code String} for simple strings and bulk strings (UTF-8), {@code null}
   * for nulls, {@code Long} for integers, {@link ErrorReply} for errors, {@code List} for arrays,
   * maps (flattened) and sets.
   */
  public Object readReply() throws IOException {
    String line = readLine();
    if (line.isEmpty()) {
      throw new IOException("empty reply line");
    }
    char type = line.charAt(0);
    String rest = line.substring(1);
    switch (type) {
      case '+':
        return rest;
      case '-':
        return new ErrorReply(rest);
      case ':':
        return Long.parseLong(rest);
      case '_':
        return null;
      case '$':
      case '=':
        {
          int len = Integer.parseInt(rest);
          if (len < 0) {
            return null;
          }
          byte[] data = in.readNBytes(len + 2);
          if (data.length < len + 2) {
            throw new EOFException("connection closed inside a bulk string");
          }
          return new String(data, 0, len, StandardCharsets.UTF_8);
        }
      case '*':
      case '~':
      case '%':
        {
          int n = Integer.parseInt(rest);
          if (n < 0) {
            return null;
          }
          int items = type == '%' ? 2 * n : n;
          List<Object> list = new ArrayList<>(items);
          for (int i = 0; i < items; i++) {
            list.add(readReply());
          }
          return list;
        }
      default:
        return line;
    }
  }

  /**
   * Reads and discards until the server closes the connection.
   *
   * @return true if the connection was closed (EOF or reset) before {@code timeout}
   */
  public boolean awaitClosedByServer(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    byte[] sink = new byte[8192];
    try {
      socket.setSoTimeout(100);
    } catch (SocketException e) {
      return true;
    }
    while (System.nanoTime() < deadline) {
      try {
        if (in.read(sink) == -1) {
          return true;
        }
      } catch (SocketTimeoutException e) {
        // nothing yet: keep waiting until the deadline
      } catch (IOException e) {
        return true; // reset by the server counts as closed
      }
    }
    return false;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing: nothing to do
    }
  }
}
