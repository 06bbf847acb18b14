package io.distributedcache.server;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

/**
 * A RESP server on loopback that answers canned replies, for testing the {@code cluster} CLI
 * without a cluster: each command (an array of bulk strings, decoded by {@link RespClient#read})
 * goes to a responder that returns the raw reply bytes as text, e.g. {@code "+OK\r\n"}.
 *
 * <p>Threading: one daemon thread accepts, one per connection answers; the responder is called
 * from those threads, so a stateful responder must be thread-safe. {@link #close} stops listening
 * and closes every connection, as a node that exits does.
 */
final class FakeRespServer implements AutoCloseable {

  private final ServerSocket listener;
  private final Function<List<String>, String> responder;
  private final Queue<List<String>> received = new ConcurrentLinkedQueue<>();
  private final Queue<Socket> connections = new ConcurrentLinkedQueue<>();

  private FakeRespServer(Function<List<String>, String> responder) throws IOException {
    this.responder = responder;
    this.listener = new ServerSocket();
    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    Thread acceptor = new Thread(this::accept, "fake-resp-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Starts listening on an ephemeral loopback port. */
  static FakeRespServer start(Function<List<String>, String> responder) throws IOException {
    return new FakeRespServer(responder);
  }

  int port() {
    return listener.getLocalPort();
  }

  /** Every command received so far, in arrival order (across connections). */
  List<List<String>> received() {
    return new ArrayList<>(received);
  }

  /** How many received commands start with {@code name} (case-insensitive). */
  long count(String... name) {
    return received.stream()
        .filter(c -> c.size() >= name.length)
        .filter(
            c -> {
              for (int i = 0; i < name.length; i++) {
                if (!c.get(i).equalsIgnoreCase(name[i])) {
                  return false;
                }
              }
              return true;
            })
        .count();
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket s : connections) {
      s.close();
    }
  }

  private void accept() {
    while (!listener.isClosed()) {
      Socket socket;
      try {
        socket = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      connections.add(socket);
      Thread t = new Thread(() -> serve(socket), "fake-resp-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      while (true) {
        Object request = RespClient.read(in);
        List<String> command = new ArrayList<>();
        if (request instanceof List<?> list) {
          for (Object o : list) {
            command.add(String.valueOf(o));
          }
        }
        received.add(command);
        String reply = responder.apply(command);
        if (reply == null) {
          return; // the responder hangs up, as a node that exits
        }
        out.write(reply.getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (IOException e) {
      // the client hung up, or we were closed
    }
  }

  /** A bulk string reply. */
  static String bulk(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return "$" + bytes.length + "\r\n" + text + "\r\n";
  }

  /** An error reply, {@code message} without the dash. */
  static String error(String message) {
    return "-" + message + "\r\n";
  }
}
