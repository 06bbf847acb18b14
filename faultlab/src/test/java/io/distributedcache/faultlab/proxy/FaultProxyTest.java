package io.distributedcache.faultlab.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.Hello;
import io.distributedcache.core.cluster.message.PeerCodec;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fault proxy with plain sockets: a "node" that echoes what it receives, dialers that open
 * with a peer Hello naming themselves, and each link mode.
 */
class FaultProxyTest {

  private static final long SEED = 42;

  private ServerSocket node;
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();
  private Thread acceptor;
  private FaultProxy proxy;
  private int proxyPort;
  private final List<Socket> clients = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    node = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor =
        new Thread(
            () -> {
              while (!node.isClosed()) {
                try {
                  Socket s = node.accept();
                  accepted.add(s);
                  Thread echo = new Thread(() -> echo(s), "echo");
                  echo.setDaemon(true);
                  echo.start();
                } catch (IOException e) {
                  return; // closed
                }
              }
            },
            "acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
    proxy = new FaultProxy(SEED);
    proxyPort = proxy.listen("b", 0, node.getLocalPort());
  }

  @AfterEach
  void stop() throws IOException, InterruptedException {
    for (Socket c : clients) {
      c.close();
    }
    proxy.close();
    node.close();
    for (Socket s : accepted) {
      s.close();
    }
    acceptor.join(5_000);
  }

  @Test
  void passForwardsBothWaysAndLearnsTheSourceFromTheHello() throws IOException {
    Socket a = dial("a");
    send(a, "ping");
    assertThat(readFrame(a.getInputStream(), 2_000)).isEqualTo("a"); // the echoed Hello
    assertThat(readFrame(a.getInputStream(), 2_000)).isEqualTo("ping");
    assertThat(proxy.openConnections()).isEqualTo(1);
  }

  @Test
  void partitionCloseResetsOpenConnectionsAndRefusesNewOnesOfThatLinkOnly() throws IOException {
    Socket a = dial("a");
    Socket c = dial("c");
    assertThat(readFrame(a.getInputStream(), 2_000)).isEqualTo("a");
    assertThat(readFrame(c.getInputStream(), 2_000)).isEqualTo("c");

    proxy.setRule("a", "b", LinkRule.partitionClose());

    assertClosed(a);
    send(c, "still here"); // c -> b has no rule
    assertThat(readFrame(c.getInputStream(), 2_000)).isEqualTo("still here");
    Socket again = dial("a");
    assertClosed(again);
    assertThat(proxy.refusedConnections()).isEqualTo(1);

    proxy.setRule("a", "b", LinkRule.pass());
    Socket healed = dial("a");
    assertThat(readFrame(healed.getInputStream(), 2_000)).isEqualTo("a");
  }

  @Test
  void blackHoleHoldsBytesAndDeliversThemInOrderWhenLifted() throws IOException {
    Socket a = dial("a");
    assertThat(readFrame(a.getInputStream(), 2_000)).isEqualTo("a");

    proxy.setRule("a", "b", LinkRule.blackHole());
    send(a, "one");
    send(a, "two");
    a.setSoTimeout(500);
    InputStream in = a.getInputStream();
    assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
    assertThat(a.isClosed()).isFalse();

    a.setSoTimeout(5_000);
    proxy.setRule("a", "b", LinkRule.pass());
    assertThat(readFrame(in, 2_000)).isEqualTo("one");
    assertThat(readFrame(in, 2_000)).isEqualTo("two");
  }

  @Test
  void delayAddsLatencyAndKeepsOrderDespiteJitter() throws IOException {
    Socket a = dial("a");
    assertThat(readFrame(a.getInputStream(), 2_000)).isEqualTo("a");
    proxy.setRule("a", "b", LinkRule.delay(200, 100));

    long start = System.nanoTime();
    for (int i = 0; i < 20; i++) {
      send(a, "m" + i);
    }
    List<String> got = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      got.add(readFrame(a.getInputStream(), 5_000));
    }
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(elapsedMillis).isGreaterThanOrEqualTo(200);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      expected.add("m" + i);
    }
    assertThat(got).isEqualTo(expected);
  }

  @Test
  void lossOfOneResetsTheConnectionAtTheFirstChunk() throws IOException {
    proxy.setRule("a", "b", LinkRule.delayAndLoss(0, 0, 1.0));
    Socket a = dial("a");
    assertClosed(a);
    assertThat(proxy.resetConnections()).isGreaterThanOrEqualTo(1);
  }

  // ---------------------------------------------------------------------------------------------

  /** Connects to the proxy and sends a Hello naming {@code self}. */
  private Socket dial(String self) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), proxyPort);
    clients.add(s);
    s.setTcpNoDelay(true);
    s.setSoTimeout(5_000);
    byte[] hello =
        PeerCodec.encode(new Envelope(0, 0, new Hello(self, "lab", 0, "127.0.0.1", 1)));
    writeFrame(s, hello);
    return s;
  }

  /** Sends a frame the echo node sends back; the text rides in a frame of its own. */
  private static void send(Socket s, String text) throws IOException {
    writeFrame(s, text.getBytes(StandardCharsets.UTF_8));
  }

  private static void writeFrame(Socket s, byte[] payload) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(payload.length);
    out.write(payload);
    s.getOutputStream().write(bytes.toByteArray());
    s.getOutputStream().flush();
  }

  /** Reads one echoed frame; a Hello is returned as its node id, anything else as text. */
  private static String readFrame(InputStream in, int timeoutMillis) throws IOException {
    byte[] header = readFully(in, 4, timeoutMillis);
    int length =
        ((header[0] & 0xff) << 24) | ((header[1] & 0xff) << 16) | ((header[2] & 0xff) << 8)
            | (header[3] & 0xff);
    byte[] payload = readFully(in, length, timeoutMillis);
    try {
      if (PeerCodec.decode(payload).body() instanceof Hello h) {
        return h.nodeId();
      }
    } catch (RuntimeException e) {
      // not a peer message: a text frame
    }
    return new String(payload, StandardCharsets.UTF_8);
  }

  private static byte[] readFully(InputStream in, int n, int timeoutMillis) throws IOException {
    byte[] buf = new byte[n];
    int off = 0;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (off < n) {
      if (System.nanoTime() - deadline > 0) {
        throw new SocketTimeoutException("no frame within " + timeoutMillis + " ms");
      }
      int r = in.read(buf, off, n - off);
      if (r < 0) {
        throw new IOException("closed after " + off + " of " + n + " bytes");
      }
      off += r;
    }
    return buf;
  }

  /** The proxy closes (or resets) the connection: a read ends within 2 s. */
  private static void assertClosed(Socket s) throws IOException {
    s.setSoTimeout(2_000);
    try {
      int r = s.getInputStream().read();
      // The echoed Hello may arrive before the reset; after it the stream must end.
      while (r >= 0) {
        r = s.getInputStream().read();
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("connection still open after 2 s", e);
    } catch (IOException e) {
      return; // reset
    }
  }

  private static void echo(Socket s) {
    try (s) {
      s.getInputStream().transferTo(s.getOutputStream());
    } catch (IOException e) {
      // the proxy closed or reset the connection
    }
  }
}
