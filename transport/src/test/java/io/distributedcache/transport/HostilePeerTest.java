package io.distributedcache.transport;

import static io.distributedcache.transport.TransportFixture.await;
import static io.distributedcache.transport.TransportFixture.envelope;
import static io.distributedcache.transport.TransportFixture.members;
import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.Flush;
import io.distributedcache.core.cluster.message.Hello;
import io.distributedcache.core.cluster.message.PeerCodec;
import io.distributedcache.core.placement.Member;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A raw socket sends bad bytes to a node's cluster port: the node closes that connection with one
 * warning, counts it, adds no peer, and its real peer keeps working. Member n3 is in the member list
 * but never started, so that a raw socket can speak as a known member.
 */
class HostilePeerTest {

  private static final long DIGEST = 0xBAD_F00DL;

  private static List<Member> members;
  private static RecordingInbox inboxA;
  private static RecordingInbox inboxB;
  private static NettyPeerTransport a;
  private static NettyPeerTransport b;
  private static long nextRequestId;

  @BeforeAll
  static void startTwoOfThree() {
    members = members(3);
    inboxA = new RecordingInbox();
    inboxB = new RecordingInbox();
    // A slow backoff toward the absent n3: few dials to a port nobody listens on.
    a = slowRedial(members.get(0), inboxA);
    b = slowRedial(members.get(1), inboxB);
    assertThat(inboxA.nextPeerEvent()).isEqualTo("up:n2");
    assertThat(inboxB.nextPeerEvent()).isEqualTo("up:n1");
  }

  private static NettyPeerTransport slowRedial(Member self, RecordingInbox inbox) {
    return TransportFixture.builder(self, members, DIGEST, inbox)
        .reconnectBackoff(Duration.ofMillis(10), Duration.ofSeconds(10))
        .build()
        .start();
  }

  @AfterAll
  static void stop() {
    a.close();
    b.close();
  }

  static Stream<Arguments> hostileInputs() {
    Random random = new Random(0xBADL);
    byte[] noise = new byte[3000];
    random.nextBytes(noise);
    byte[] garbagePayload = new byte[200];
    random.nextBytes(garbagePayload);
    // A valid format version, so that the garbage reaches the type and body.
    garbagePayload[0] = PeerCodec.FORMAT_VERSION;
    byte[] badVersion = PeerCodec.encode(envelope(new Flush(1)));
    badVersion[0] = 9;
    // A node of the previous release: its Hello is format 1.
    byte[] formatOneHello = PeerCodec.encode(envelope(hello("n3", DIGEST)));
    formatOneHello[0] = 1;
    int ownPort = members.get(1).clusterPort();
    return Stream.of(
        Arguments.of("random noise", noise, "bad frame"),
        Arguments.of("a frame of garbage", frame(garbagePayload), "malformed frame"),
        Arguments.of(
            "an unknown format version", frame(badVersion), "unsupported format version 9"),
        Arguments.of("a length of 2^31-1", new byte[] {0x7F, -1, -1, -1, 1, 2, 3}, "bad frame"),
        Arguments.of("a 100 KiB frame before the Hello", header(100 * 1024), "before the Hello"),
        Arguments.of(
            "a message before the Hello",
            frame(PeerCodec.encode(envelope(new Flush(1)))),
            "Flush before the Hello"),
        Arguments.of(
            "a Hello in format version 1", frame(formatOneHello), "unsupported format version 1"),
        Arguments.of(
            "a member's Hello naming another cluster",
            framed(new Hello("n3", "other-cluster", DIGEST, TransportFixture.HOST, 7)),
            "belongs to cluster 'other-cluster', this node to cluster '" + TransportFixture.CLUSTER),
        Arguments.of(
            "a stranger's Hello naming another cluster",
            framed(new Hello("intruder", "other-cluster", 0, TransportFixture.HOST, 7)),
            "belongs to cluster 'other-cluster'"),
        Arguments.of(
            "a stranger that cannot be dialed back",
            framed(new Hello("intruder", TransportFixture.CLUSTER, 0, "", 0)),
            "'intruder' is not a peer and cannot be added as one"),
        Arguments.of(
            "a stranger advertising the node's own address",
            framed(new Hello("intruder", TransportFixture.CLUSTER, 0, TransportFixture.HOST, ownPort)),
            "advertises this node's own address"),
        Arguments.of(
            "a stranger with an invalid node id",
            framed(new Hello("in truder", TransportFixture.CLUSTER, 0, TransportFixture.HOST, 7)),
            "cannot be added as one"),
        Arguments.of(
            "a Hello claiming to be the node itself",
            framed(hello("n2", DIGEST)),
            "node id 'n2' is this node's own"),
        Arguments.of(
            "a Hello with another non-zero bootstrap digest",
            framed(hello("n3", DIGEST ^ 1)),
            "different member lists"),
        Arguments.of(
            "a stranger with another non-zero bootstrap digest",
            framed(new Hello("intruder", TransportFixture.CLUSTER, DIGEST ^ 1, "h", 7)),
            "different member lists"),
        Arguments.of(
            "garbage after a good Hello",
            concat(framed(hello("n3", DIGEST)), frame(garbagePayload)),
            "malformed frame"),
        Arguments.of(
            "a second Hello",
            concat(framed(hello("n3", DIGEST)), framed(hello("n3", 0))),
            "a second Hello"),
        Arguments.of("silence", new byte[0], "no Hello within"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileInputs")
  void badBytesCloseOnlyTheirConnection(String name, byte[] bytes, String expectedReason)
      throws IOException {
    try (LogCapture logs = new LogCapture()) {
      long errorsBefore = b.stats().protocolErrors();

      try (Socket socket = new Socket(TransportFixture.HOST, members.get(1).clusterPort())) {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        assertThat(closedByPeer(socket)).as("the node closed the connection").isTrue();
      }

      await("the error to be counted", () -> b.stats().protocolErrors() > errorsBefore, b::stats);
      assertThat(b.stats().protocolErrors()).isEqualTo(errorsBefore + 1);
      assertThat(logs.warnings()).as("one warning for the connection").hasSize(1);
      assertThat(logs.warnings().get(0)).contains(expectedReason);
    }

    // No peer was added, and the real peer never noticed.
    assertThat(b.peers()).containsExactlyInAnyOrder("n1", "n3");
    assertThat(b.stats().strangersAccepted()).isZero();
    assertThat(a.isReachable("n2")).isTrue();
    assertThat(b.isReachable("n1")).isTrue();
    Envelope ping = envelope(new Flush(++nextRequestId));
    assertThat(a.send("n2", ping)).isTrue();
    RecordingInbox.Received received = inboxB.nextMessage();
    assertThat(received.from()).isEqualTo("n1");
    assertThat(TransportFixture.describe(received.message()))
        .isEqualTo(TransportFixture.describe(ping));
    assertThat(inboxA.pendingPeerEvents()).isEmpty();
    assertThat(inboxB.pendingPeerEvents()).isEmpty();
    assertThat(inboxB.pendingMessages()).isEmpty();
  }

  /** Reads (and ignores, e.g. an answering Hello) until the other side closes or the deadline. */
  private static boolean closedByPeer(Socket socket) throws IOException {
    socket.setSoTimeout((int) RecordingInbox.DEADLINE.toMillis());
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[4096];
    try {
      while (in.read(buffer) >= 0) {
        // the node's Hello, when the raw socket's Hello was accepted
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true; // reset: closed while our bytes were still unread
    }
  }

  /** A Hello of the test cluster, advertising an address nobody listens on. */
  private static Hello hello(String nodeId, long digest) {
    return new Hello(nodeId, TransportFixture.CLUSTER, digest, TransportFixture.HOST, 7);
  }

  private static byte[] framed(Hello hello) {
    return frame(PeerCodec.encode(envelope(hello)));
  }

  private static byte[] frame(byte[] payload) {
    return ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array();
  }

  private static byte[] header(int length) {
    return ByteBuffer.allocate(8).putInt(length).putInt(0x01020304).array();
  }

  private static byte[] concat(byte[] first, byte[] second) {
    return ByteBuffer.allocate(first.length + second.length).put(first).put(second).array();
  }
}
