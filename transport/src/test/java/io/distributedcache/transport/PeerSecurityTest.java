package io.distributedcache.transport;

import static io.distributedcache.transport.TransportFixture.CLUSTER;
import static io.distributedcache.transport.TransportFixture.HOST;
import static io.distributedcache.transport.TransportFixture.await;
import static io.distributedcache.transport.TransportFixture.envelope;
import static io.distributedcache.transport.TransportFixture.members;
import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.Flush;
import io.distributedcache.core.cluster.message.Hello;
import io.distributedcache.core.cluster.message.PeerCodec;
import io.distributedcache.core.placement.Member;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peer authentication: the cluster secret's handshake and per-frame MACs, and mutual TLS on the
 * cluster port. A raw socket that implements the wire protocol independently (from the documented
 * layout, not from the transport's classes) forges, tampers with and replays frames.
 */
class PeerSecurityTest {

  private static final long DIGEST = 0x5EC_0DEL;
  private static final byte[] SECRET =
      "correct horse battery staple".getBytes(StandardCharsets.UTF_8);

  private final List<NettyPeerTransport> transports = new ArrayList<>();

  @AfterEach
  void closeAll() {
    transports.forEach(NettyPeerTransport::close);
  }

  private NettyPeerTransport start(NettyPeerTransport.Builder builder) {
    NettyPeerTransport transport = builder.build();
    transports.add(transport);
    return transport.start();
  }

  private static NettyPeerTransport.Builder node(
      Member self, List<Member> members, RecordingInbox inbox, byte[] secret) {
    NettyPeerTransport.Builder builder =
        TransportFixture.builder(self, members, DIGEST, inbox)
            .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(100));
    return secret == null ? builder : builder.clusterSecret(secret);
  }

  @Test
  void peersWithTheSameSecretConnectAndExchangeMessages() {
    List<Member> members = members(2);
    RecordingInbox inboxA = new RecordingInbox();
    RecordingInbox inboxB = new RecordingInbox();
    NettyPeerTransport a = start(node(members.get(0), members, inboxA, SECRET));
    NettyPeerTransport b = start(node(members.get(1), members, inboxB, SECRET.clone()));
    assertThat(inboxA.nextPeerEvent()).isEqualTo("up:n2");
    assertThat(inboxB.nextPeerEvent()).isEqualTo("up:n1");
    for (long i = 1; i <= 100; i++) {
      assertThat(a.send("n2", envelope(new Flush(i)))).isTrue();
      assertThat(b.send("n1", envelope(new Flush(1000 + i)))).isTrue();
    }
    for (long i = 1; i <= 100; i++) {
      assertThat(((Flush) inboxB.nextMessage().message().body()).requestId()).isEqualTo(i);
      assertThat(((Flush) inboxA.nextMessage().message().body()).requestId()).isEqualTo(1000 + i);
    }
    assertThat(a.stats().authFailures()).isZero();
    assertThat(b.stats().authFailures()).isZero();
  }

  @Test
  void aNodeWithAnotherSecretNeverBecomesAPeer() {
    List<Member> members = members(2);
    RecordingInbox inboxA = new RecordingInbox();
    RecordingInbox inboxB = new RecordingInbox();
    NettyPeerTransport a = start(node(members.get(0), members, inboxA, SECRET));
    NettyPeerTransport b =
        start(node(members.get(1), members, inboxB, "wrong".getBytes(StandardCharsets.UTF_8)));
    // Both dial each other again and again; every attempt fails on both ends.
    await(
        "several refused handshakes on both nodes",
        () -> a.stats().authFailures() >= 4 && b.stats().authFailures() >= 4,
        () -> List.of(a.stats(), b.stats()));
    assertThat(a.isReachable("n2")).isFalse();
    assertThat(b.isReachable("n1")).isFalse();
    assertThat(a.send("n2", envelope(new Flush(1)))).isFalse();
    assertThat(inboxA.pendingPeerEvents()).isEmpty();
    assertThat(inboxB.pendingPeerEvents()).isEmpty();
    assertThat(inboxA.inboundConnections("n2")).isZero();
    assertThat(inboxA.pendingMessages()).isEmpty();
    assertThat(inboxB.pendingMessages()).isEmpty();
  }

  @Test
  void aNodeWithoutASecretIsRefusedAndRefusesTheOther() {
    List<Member> members = members(2);
    RecordingInbox inboxA = new RecordingInbox();
    RecordingInbox inboxB = new RecordingInbox();
    NettyPeerTransport a = start(node(members.get(0), members, inboxA, SECRET));
    NettyPeerTransport b = start(node(members.get(1), members, inboxB, null));
    await(
        "refusals on both nodes",
        () -> a.stats().authFailures() >= 2 && b.stats().protocolErrors() >= 2,
        () -> List.of(a.stats(), b.stats()));
    assertThat(inboxA.pendingPeerEvents()).isEmpty();
    assertThat(inboxB.pendingPeerEvents()).isEmpty();
    assertThat(inboxA.inboundConnections("n2")).isZero();
    assertThat(inboxB.inboundConnections("n1")).isZero();
  }

  @Test
  void aWrongProofFromARawClientClosesTheConnectionBeforeItsHelloIsRead() throws Exception {
    List<Member> members = members(2);
    RecordingInbox inboxA = new RecordingInbox();
    NettyPeerTransport a = start(node(members.get(0), members, inboxA, SECRET));
    try (RawPeer raw = RawPeer.connect(a.boundPort(), "guessed".getBytes(StandardCharsets.UTF_8))) {
      raw.sendProofExpectingRefusal();
      // The node's own proof (a 4-byte length, the kind, 32 bytes) may come before the close.
      raw.expectClosedAfter(4 + 1 + 32);
    }
    assertThat(a.stats().authFailures()).isEqualTo(1);
    assertThat(inboxA.inboundConnections("n2")).isZero();
    assertThat(inboxA.pendingMessages()).isEmpty();
  }

  @Test
  void aTamperedFrameClosesTheConnectionAndIsNotDelivered() throws Exception {
    List<Member> members = members(2);
    RecordingInbox inboxA = new RecordingInbox();
    NettyPeerTransport a = start(node(members.get(0), members, inboxA, SECRET));
    try (RawPeer raw = RawPeer.connect(a.boundPort(), SECRET)) {
      raw.handshakeAndHello(members.get(1));
      raw.send(PeerCodec.encode(envelope(new Flush(41))));
      assertThat(((Flush) inboxA.nextMessage().message().body()).requestId()).isEqualTo(41);

      byte[] frame = raw.frame(PeerCodec.encode(envelope(new Flush(42))));
      // Flip one bit of the payload after the MAC was computed: a man in the middle's edit.
      frame[4 + 8 + 3] ^= 0x01;
      raw.sendRaw(frame);
      raw.expectClosed();
    }
    assertThat(a.stats().authFailures()).isEqualTo(1);
    assertThat(inboxA.pendingMessages()).isEmpty();
  }

  @Test
  void aReplayedFrameClosesTheConnectionAndIsNotDeliveredTwice() throws Exception {
    List<Member> members = members(2);
    RecordingInbox inboxA = new RecordingInbox();
    NettyPeerTransport a = start(node(members.get(0), members, inboxA, SECRET));
    try (RawPeer raw = RawPeer.connect(a.boundPort(), SECRET)) {
      raw.handshakeAndHello(members.get(1));
      byte[] frame = raw.frame(PeerCodec.encode(envelope(new Flush(7))));
      raw.sendRaw(frame);
      assertThat(((Flush) inboxA.nextMessage().message().body()).requestId()).isEqualTo(7);
      raw.sendRaw(frame); // the same bytes again: a valid MAC, an old sequence number
      raw.expectClosed();
    }
    assertThat(a.stats().authFailures()).isEqualTo(1);
    assertThat(inboxA.pendingMessages()).isEmpty();
  }

  @Test
  void aFrameFromAnotherConnectionIsRejected() throws Exception {
    List<Member> members = members(2);
    RecordingInbox inboxA = new RecordingInbox();
    NettyPeerTransport a = start(node(members.get(0), members, inboxA, SECRET));
    byte[] recorded;
    try (RawPeer first = RawPeer.connect(a.boundPort(), SECRET)) {
      first.handshakeAndHello(members.get(1));
      recorded = first.frame(PeerCodec.encode(envelope(new Flush(9))));
    }
    try (RawPeer second = RawPeer.connect(a.boundPort(), SECRET)) {
      second.handshake();
      // A frame made for the first connection: its key was derived from that connection's nonces.
      second.sendRaw(recorded);
      second.expectClosed();
    }
    assertThat(inboxA.pendingMessages()).isEmpty();
    await("the refusal counted", () -> a.stats().authFailures() == 1, a::stats);
  }

  @Test
  void mutualTlsAdmitsPeersOfTheClusterCaOnly(@TempDir Path dir) {
    TestCertificates clusterCa = TestCertificates.authority(dir, "cluster");
    TestCertificates otherCa = TestCertificates.authority(dir, "other");
    List<Member> members = members(3);
    RecordingInbox inboxA = new RecordingInbox();
    RecordingInbox inboxB = new RecordingInbox();
    RecordingInbox inboxC = new RecordingInbox();
    NettyPeerTransport a =
        start(tls(node(members.get(0), members, inboxA, SECRET), clusterCa, clusterCa, "n1"));
    NettyPeerTransport b =
        start(tls(node(members.get(1), members, inboxB, SECRET), clusterCa, clusterCa, "n2"));
    await(
        "n1 and n2 to reach each other",
        () -> a.isReachable("n2") && b.isReachable("n1"),
        () -> List.of(a.stats(), b.stats()));
    // Dials that found nobody listening yet (n2 before it started, n3 all along) are no failures.
    assertThat(a.stats().authFailures()).isZero();
    assertThat(b.stats().authFailures()).isZero();
    // n3 knows the secret and trusts the cluster's CA, but its own certificate is another CA's.
    NettyPeerTransport c =
        start(
            tls(node(members.get(2), members, inboxC, SECRET), otherCa, clusterCa, "n3"));
    assertThat(a.send("n2", envelope(new Flush(5)))).isTrue();
    assertThat(((Flush) inboxB.nextMessage().message().body()).requestId()).isEqualTo(5);
    await(
        "n3's connections refused by n1 and n2",
        () -> a.stats().authFailures() >= 2 && b.stats().authFailures() >= 2,
        () -> List.of(a.stats(), b.stats(), c.stats()));
    assertThat(a.isReachable("n3")).isFalse();
    assertThat(b.isReachable("n3")).isFalse();
    assertThat(c.stats().connectedPeers()).isZero();
    assertThat(inboxA.inboundConnections("n3")).isZero();
    assertThat(inboxB.inboundConnections("n3")).isZero();
    assertThat(inboxC.pendingMessages()).isEmpty();
  }

  /**
   * {@code builder} with TLS: a certificate for {@code cn} from {@code issuer}, trusting only
   * {@code trusted}.
   */
  private static NettyPeerTransport.Builder tls(
      NettyPeerTransport.Builder builder,
      TestCertificates issuer,
      TestCertificates trusted,
      String cn) {
    TestCertificates.Issued issued = issuer.issue(cn);
    PeerTls tls = PeerTls.fromPem(issued.cert(), issued.key(), trusted.caCert);
    return builder.tls(tls.server(), tls.client());
  }

  /**
   * The dialing side of the secret handshake over a plain socket, written from the wire layout in
   * {@code PeerAuthHandler}'s documentation: {@code [len][0xA1][nonce]}, {@code
   * [len][0xA2][HMAC(secret, "dc-peer-auth-v1 proof dialer" || nD || nA)]}, then frames {@code
   * [len][seq][payload][HMAC(k, seq || payload)]}.
   */
  private static final class RawPeer implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final byte[] secret;
    private final byte[] ownNonce = new byte[32];
    private byte[] peerNonce;
    private byte[] sendKey;
    private long sendSeq;

    private RawPeer(Socket socket, byte[] secret) throws IOException {
      this.socket = socket;
      this.in = new DataInputStream(socket.getInputStream());
      this.out = new DataOutputStream(socket.getOutputStream());
      this.secret = secret;
      new SecureRandom().nextBytes(ownNonce);
    }

    static RawPeer connect(int port, byte[] secret) throws IOException {
      Socket socket = new Socket(HOST, port);
      socket.setSoTimeout((int) RecordingInbox.DEADLINE.toMillis());
      return new RawPeer(socket, secret);
    }

    private void exchangeNonces() throws IOException {
      writeFrame(concat(new byte[] {(byte) 0xA1}, ownNonce));
      byte[] nonce = readFrame();
      assertThat(nonce).hasSize(33);
      assertThat(nonce[0]).isEqualTo((byte) 0xA1);
      peerNonce = Arrays.copyOfRange(nonce, 1, 33);
      byte[] proof = hmac(secret, label("proof dialer"), ownNonce, peerNonce);
      writeFrame(concat(new byte[] {(byte) 0xA2}, proof));
    }

    void sendProofExpectingRefusal() throws IOException {
      exchangeNonces();
    }

    void handshake() throws IOException {
      exchangeNonces();
      byte[] proof = readFrame();
      assertThat(proof[0]).isEqualTo((byte) 0xA2);
      assertThat(Arrays.copyOfRange(proof, 1, 33))
          .isEqualTo(hmac(secret, label("proof acceptor"), ownNonce, peerNonce));
      sendKey = hmac(secret, label("mac dialer->acceptor"), ownNonce, peerNonce);
    }

    /** The handshake, then a Hello as {@code self}, then the node's answering Hello. */
    void handshakeAndHello(Member self) throws IOException {
      handshake();
      send(
          PeerCodec.encode(
              new Envelope(
                  0, 0, new Hello(self.id(), CLUSTER, DIGEST, self.host(), self.clusterPort()))));
      byte[] answer = readFrame();
      byte[] receiveKey = hmac(secret, label("mac acceptor->dialer"), ownNonce, peerNonce);
      int payloadBytes = answer.length - 40;
      assertThat(ByteBuffer.wrap(answer).getLong()).isEqualTo(1);
      assertThat(Arrays.copyOfRange(answer, 8 + payloadBytes, answer.length))
          .isEqualTo(hmac(receiveKey, Arrays.copyOfRange(answer, 0, 8 + payloadBytes)));
      Envelope hello = PeerCodec.decode(Arrays.copyOfRange(answer, 8, 8 + payloadBytes));
      assertThat(hello.body()).isInstanceOf(Hello.class);
    }

    /** The next frame this connection would send for {@code payload}, length prefix included. */
    byte[] frame(byte[] payload) {
      byte[] seqAndPayload =
          ByteBuffer.allocate(8 + payload.length).putLong(++sendSeq).put(payload).array();
      byte[] body = concat(seqAndPayload, hmac(sendKey, seqAndPayload));
      return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
    }

    void send(byte[] payload) throws IOException {
      sendRaw(frame(payload));
    }

    void sendRaw(byte[] bytes) throws IOException {
      out.write(bytes);
      out.flush();
    }

    /** Reads until the node closes the connection; fails if it sends a frame or stays open. */
    void expectClosed() throws IOException {
      expectClosedAfter(0);
    }

    /**
     * Reads until the node closes the connection, skipping up to {@code tolerated} bytes it may
     * have sent before deciding to close (its own handshake frame); fails if it stays open.
     */
    void expectClosedAfter(int tolerated) throws IOException {
      try {
        for (int skipped = 0; ; skipped++) {
          int b = in.read();
          if (b == -1) {
            return;
          }
          assertThat(skipped).as("bytes the node sent instead of closing").isLessThan(tolerated);
        }
      } catch (SocketException e) {
        // Reset by the node: closed as well.
      }
    }

    private void writeFrame(byte[] body) throws IOException {
      out.writeInt(body.length);
      out.write(body);
      out.flush();
    }

    private byte[] readFrame() throws IOException {
      try {
        int length = in.readInt();
        byte[] body = new byte[length];
        in.readFully(body);
        return body;
      } catch (EOFException e) {
        throw new AssertionError("the node closed the connection during the handshake", e);
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }

    private static byte[] label(String what) {
      return ("dc-peer-auth-v1 " + what).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[] a, byte[] b) {
      byte[] both = Arrays.copyOf(a, a.length + b.length);
      System.arraycopy(b, 0, both, a.length, b.length);
      return both;
    }

    private static byte[] hmac(byte[] key, byte[]... parts) {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        for (byte[] part : parts) {
          mac.update(part);
        }
        return mac.doFinal();
      } catch (GeneralSecurityException e) {
        throw new AssertionError(e);
      }
    }
  }
}
