package io.distributedcache.bench;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * One blocking RESP connection: send a command, read its reply, in strict alternation (no
 * pipelining), which is exactly the closed loop the benchmark measures.
 *
 * <p>Threading: used by one thread at a time. {@link #close()} may be called from any thread; it
 * makes a read blocked in another thread fail at once, which is how the load generator stops a
 * connection that is stuck past its deadline.
 */
public final class RespConnection implements Closeable {

  private final Socket socket;
  private final OutputStream out;
  private final RespReader reader;
  private final RespCommandBuffer command = new RespCommandBuffer();
  private final Target target;

  private RespConnection(Socket socket, Target target) throws IOException {
    this.socket = socket;
    this.target = target;
    // The socket's own stream: one write() per command is one send(), with no copy into a buffer.
    this.out = socket.getOutputStream();
    this.reader = new RespReader(new BufferedInputStream(socket.getInputStream(), 16 * 1024));
  }

  /**
   * Connects with TCP_NODELAY (a request must not wait for Nagle) and a read timeout.
   *
   * @param connectTimeout bound on the TCP handshake
   * @param replyTimeout bound on waiting for any one reply; a slower reply fails the read with a
   *     {@link java.net.SocketTimeoutException}
   * @throws IOException if the connection cannot be made
   */
  public static RespConnection open(Target target, Duration connectTimeout, Duration replyTimeout)
      throws IOException {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(toMillis(replyTimeout));
      socket.connect(new InetSocketAddress(target.host(), target.port()), toMillis(connectTimeout));
      return new RespConnection(socket, target);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** The buffer for the next command: fill it, then call {@link #send()}. */
  public RespCommandBuffer command() {
    return command;
  }

  /** Writes the command built in {@link #command()}. */
  public void send() throws IOException {
    command.writeTo(out);
  }

  /** Blocks for the next reply. */
  public RespReply read() throws IOException {
    return reader.read();
  }

  /** Sends a command of string arguments and returns its reply; for set-up, not the hot loop. */
  public RespReply call(String... args) throws IOException {
    command.begin(args.length);
    for (String arg : args) {
      command.arg(arg);
    }
    send();
    return read();
  }

  /** Where this connection goes. */
  public Target target() {
    return target;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private static int toMillis(Duration d) {
    long millis = d.toMillis();
    if (millis < 1 || millis > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("timeout out of range: " + d);
    }
    return (int) millis;
  }
}
