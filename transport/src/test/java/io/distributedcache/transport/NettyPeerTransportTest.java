package io.distributedcache.transport;

import static io.distributedcache.transport.TransportFixture.await;
import static io.distributedcache.transport.TransportFixture.awaitFullMesh;
import static io.distributedcache.transport.TransportFixture.describe;
import static io.distributedcache.transport.TransportFixture.envelope;
import static io.distributedcache.transport.TransportFixture.members;
import static io.distributedcache.transport.TransportFixture.start;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.core.cluster.message.ControlFrame;
import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.Flush;
import io.distributedcache.core.cluster.message.Hello;
import io.distributedcache.core.cluster.message.PeerMessage;
import io.distributedcache.core.cluster.message.ReplicateAck;
import io.distributedcache.core.placement.Member;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real transports on loopback: delivery of every message type in order, the Hello exchange,
 * reconnects, and what happens when a peer goes away and comes back.
 */
class NettyPeerTransportTest {

  private static final long DIGEST = 0xD1_6E57L;
  private static final long SEED = 0x7EA_0001L;

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closeLater(T closeable) {
    toClose.add(closeable);
    return closeable;
  }

  @Test
  void everyMessageTypeArrivesInOrderFromEachSender() {
    List<Member> members = members(3);
    RecordingInbox inboxA = new RecordingInbox();
    RecordingInbox inboxB = new RecordingInbox();
    RecordingInbox inboxC = new RecordingInbox();
    EventLoopGroup shared = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    closeLater(() -> shared.shutdownGracefully().syncUninterruptibly());
    NettyPeerTransport a = closeLater(start(members.get(0), members, DIGEST, inboxA));
    NettyPeerTransport b = closeLater(start(members.get(1), members, DIGEST, inboxB));
    // The third node runs on event loops it is lent, and must leave them running when it closes.
    NettyPeerTransport c =
        closeLater(
            TransportFixture.builder(members.get(2), members, DIGEST, inboxC)
                .eventLoopGroup(shared)
                .build()
                .start());
    awaitFullMesh(members, List.of(a, b, c));
    for (RecordingInbox inbox : List.of(inboxA, inboxB, inboxC)) {
      assertThat(Stream.of(inbox.nextPeerEvent(), inbox.nextPeerEvent()))
          .allMatch(e -> e.startsWith("up:"));
    }

    // A and C send to B at the same time; each sender's messages must arrive in its send order.
    int perSender = 500;
    Random random = new Random(SEED);
    List<Envelope> fromA = new ArrayList<>();
    List<Envelope> fromC = new ArrayList<>();
    for (int i = 0; i < perSender; i++) {
      fromA.add(envelope(TransportFixture.sample(i % TransportFixture.KINDS, i, random)));
      fromC.add(
          envelope(TransportFixture.sample(random.nextInt(TransportFixture.KINDS), i, random)));
    }
    Thread senderC =
        new Thread(
            () -> {
              for (Envelope e : fromC) {
                assertThat(c.send("n2", e)).isTrue();
              }
            });
    senderC.start();
    for (Envelope e : fromA) {
      assertThat(a.send("n2", e)).isTrue();
    }
    List<RecordingInbox.Received> received = inboxB.nextMessages(2 * perSender);

    assertThat(describeAll(received, "n1")).containsExactlyElementsOf(describeAll(fromA));
    assertThat(describeAll(received, "n3")).containsExactlyElementsOf(describeAll(fromC));
    Set<Class<?>> types = fromA.stream().map(e -> e.body().getClass()).collect(Collectors.toSet());
    Set<Class<?>> expected =
        Stream.of(PeerMessage.class.getPermittedSubclasses())
            .filter(t -> t != Hello.class)
            .collect(Collectors.toSet());
    assertThat(types).as("every type but Hello was sent").isEqualTo(expected);
    assertThat(types).contains(ControlFrame.class);

    TransportStats statsA = a.stats();
    assertThat(statsA.messagesSent()).isEqualTo(perSender);
    assertThat(statsA.bytesSent()).isPositive();
    assertThat(statsA.messagesDropped()).isZero();
    assertThat(statsA.peerConnected()).containsEntry("n2", true).containsEntry("n3", true);
    assertThat(b.stats().messagesReceived()).isEqualTo(2L * perSender);
    assertThat(b.stats().bytesReceived())
        .as("everything A and C sent, plus the Hellos")
        .isGreaterThan(statsA.bytesSent() + c.stats().bytesSent());

    c.close();
    assertThat(shared.isShuttingDown()).as("a lent event loop group is left running").isFalse();
    assertThat(inboxA.nextPeerEvent()).isEqualTo("down:n3");
  }

  @Test
  void sendRefusesCallerBugsAndDropsForUnreachablePeers() {
    List<Member> members = members(2);
    NettyPeerTransport a = closeLater(start(members.get(0), members, DIGEST, new RecordingInbox()));
    Envelope flush = envelope(new Flush(1));
    assertThatThrownBy(() -> a.send("n1", flush))
        .as("itself")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is this node");
    assertThatThrownBy(() -> a.send("n2", envelope(new Hello("n1", DIGEST))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Hello");
    assertThatThrownBy(() -> a.send("n2", envelope(new ReplicateAck(1, 20_000))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid slot");
    assertThat(a.isReachable("nobody")).isFalse();
    // Not a peer (never was, or was just removed): with membership changing at runtime that is a
    // race, not a bug, so the message is dropped like one to an unreachable peer.
    assertThat(a.send("nobody", flush)).isFalse();
    assertThat(a.stats().messagesDropped()).isEqualTo(1);

    // n2 never started: dropped, not queued.
    assertThat(a.isReachable("n2")).isFalse();
    assertThat(a.send("n2", flush)).isFalse();
    assertThat(a.stats().messagesDropped()).isEqualTo(2);
    assertThat(a.stats().peerConnected()).containsExactly(java.util.Map.entry("n2", false));
    await("n1 to keep redialing n2", () -> a.stats().reconnects() >= 3, a::stats);
  }

  @Test
  void reconnectsWhenThePeerComesBackOnTheSamePort() {
    List<Member> members = members(2);
    RecordingInbox inboxA = new RecordingInbox();
    NettyPeerTransport a = closeLater(start(members.get(0), members, DIGEST, inboxA));
    RecordingInbox inboxB = new RecordingInbox();
    NettyPeerTransport b = start(members.get(1), members, DIGEST, inboxB);
    assertThat(inboxA.nextPeerEvent()).isEqualTo("up:n2");
    assertThat(a.isReachable("n2")).isTrue();

    b.close();
    assertThat(inboxA.nextPeerEvent()).isEqualTo("down:n2");
    assertThat(a.isReachable("n2")).isFalse();
    // "down" comes from whichever of the two connections n1 sees close first; until it has seen
    // its own outbound connection close too, send may still queue (into a closing connection).
    await(
        "n1 to drop messages to n2 once both connections are gone",
        () -> !a.send("n2", envelope(new Flush(1))),
        a::stats);
    long reconnectsBefore = a.stats().reconnects();

    RecordingInbox inboxB2 = new RecordingInbox();
    NettyPeerTransport b2 = closeLater(start(members.get(1), members, DIGEST, inboxB2));
    assertThat(inboxA.nextPeerEvent()).isEqualTo("up:n2");
    assertThat(a.stats().reconnects()).isGreaterThan(reconnectsBefore);
    assertThat(a.send("n2", envelope(new Flush(2)))).isTrue();
    RecordingInbox.Received received = inboxB2.nextMessage();
    assertThat(received.from()).isEqualTo("n1");
    assertThat(describe(received.message())).isEqualTo(describe(envelope(new Flush(2))));
    // And the other direction, on the new node's own outbound connection.
    assertThat(inboxB2.nextPeerEvent()).isEqualTo("up:n1");
    assertThat(b2.send("n1", envelope(new Flush(3)))).isTrue();
    assertThat(inboxA.nextMessage().from()).isEqualTo("n2");
    assertThat(inboxB.pendingMessages()).isEmpty();
  }

  @Test
  void refusesAMemberBootstrappedFromAnotherMemberList() {
    List<Member> members = members(2);
    try (LogCapture logs = new LogCapture()) {
      RecordingInbox inboxA = new RecordingInbox();
      RecordingInbox inboxB = new RecordingInbox();
      NettyPeerTransport a = closeLater(start(members.get(0), members, DIGEST, inboxA));
      NettyPeerTransport b = closeLater(start(members.get(1), members, DIGEST + 1, inboxB));
      await(
          "both sides to refuse the other's Hello, and to keep trying",
          () ->
              a.stats().protocolErrors() >= 2
                  && b.stats().protocolErrors() >= 2
                  && a.stats().reconnects() >= 2,
          () -> List.of(a.stats(), b.stats()));
      assertThat(a.isReachable("n2")).isFalse();
      assertThat(b.isReachable("n1")).isFalse();
      assertThat(a.send("n2", envelope(new Flush(1)))).isFalse();
      assertThat(inboxA.pendingPeerEvents()).isEmpty();
      assertThat(inboxB.pendingPeerEvents()).isEmpty();
      assertThat(logs.warnings())
          .anyMatch(w -> w.contains("membership digest") && w.contains("different member lists"));
      assertThat(a.stats().strangersAccepted() + b.stats().strangersAccepted()).isZero();
    }
  }

  @Test
  void refusesAMemberOfAnotherCluster() {
    List<Member> members = members(2);
    try (LogCapture logs = new LogCapture()) {
      RecordingInbox inboxA = new RecordingInbox();
      RecordingInbox inboxB = new RecordingInbox();
      NettyPeerTransport a = closeLater(start(members.get(0), members, DIGEST, inboxA));
      NettyPeerTransport b =
          closeLater(
              NettyPeerTransport.builder(members.get(1), "another-cluster", inboxB)
                  .members(members)
                  .bootstrapDigest(DIGEST)
                  .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(200))
                  .build()
                  .start());
      await(
          "both sides to refuse the other's Hello, and to keep trying",
          () ->
              a.stats().protocolErrors() >= 2
                  && b.stats().protocolErrors() >= 2
                  && a.stats().reconnects() >= 2,
          () -> List.of(a.stats(), b.stats()));
      assertThat(a.isReachable("n2")).isFalse();
      assertThat(b.isReachable("n1")).isFalse();
      assertThat(inboxA.pendingPeerEvents()).isEmpty();
      assertThat(inboxB.pendingPeerEvents()).isEmpty();
      assertThat(logs.warnings())
          .anyMatch(
              w ->
                  w.contains(
                      "belongs to cluster 'another-cluster', this node to cluster '"
                          + TransportFixture.CLUSTER
                          + "'"));
    }
  }

  /**
   * The digest rule's other half: a node that joined a running cluster knows no member list and
   * sends digest 0, which every bootstrap digest accepts (and which accepts every digest).
   */
  @Test
  void acceptsAMemberWithoutBootstrapDigest() {
    List<Member> members = members(2);
    RecordingInbox inboxA = new RecordingInbox();
    RecordingInbox inboxB = new RecordingInbox();
    NettyPeerTransport a = closeLater(start(members.get(0), members, DIGEST, inboxA));
    NettyPeerTransport b = closeLater(start(members.get(1), members, 0, inboxB));
    assertThat(inboxA.nextPeerEvent()).isEqualTo("up:n2");
    assertThat(inboxB.nextPeerEvent()).isEqualTo("up:n1");
    assertThat(a.send("n2", envelope(new Flush(1)))).isTrue();
    assertThat(inboxB.nextMessage().from()).isEqualTo("n1");
    assertThat(b.send("n1", envelope(new Flush(2)))).isTrue();
    assertThat(inboxA.nextMessage().from()).isEqualTo("n2");
    assertThat(a.stats().protocolErrors() + b.stats().protocolErrors()).isZero();
  }

  @Test
  void closeStopsItsEventLoopsAndIsIdempotent() {
    List<Member> members =
        members(2).stream()
            .map(m -> new Member("closer-" + m.id(), m.host(), m.clusterPort()))
            .collect(Collectors.toList());
    RecordingInbox inboxA = new RecordingInbox();
    NettyPeerTransport a = start(members.get(0), members, DIGEST, inboxA);
    NettyPeerTransport b = closeLater(start(members.get(1), members, DIGEST, new RecordingInbox()));
    assertThat(inboxA.nextPeerEvent()).isEqualTo("up:closer-n2");
    assertThat(liveThreads("peer-closer-n1-")).isNotEmpty();

    a.close();
    a.close();
    await(
        "the event loops of the closed transport to end",
        () -> liveThreads("peer-closer-n1-").isEmpty(),
        () -> liveThreads("peer-closer-n1-"));
    assertThat(a.isReachable("closer-n2")).isFalse();
    assertThat(a.send("closer-n2", envelope(new Flush(1)))).isFalse();
    assertThat(inboxA.pendingPeerEvents()).as("no callback after close").isEmpty();
    await("the peer to notice", () -> !b.isReachable("closer-n1"), b::stats);
  }

  @Test
  void startFailsClearlyWhenThePortIsTaken() {
    List<Member> members = members(2);
    closeLater(start(members.get(0), members, DIGEST, new RecordingInbox()));
    NettyPeerTransport second =
        TransportFixture.builder(members.get(0), members, DIGEST, new RecordingInbox()).build();
    assertThatThrownBy(second::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot listen on " + members.get(0).address());
    second.close();
  }

  private static List<String> liveThreads(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith(prefix))
        .map(Thread::getName)
        .collect(Collectors.toList());
  }

  private static List<String> describeAll(List<RecordingInbox.Received> received, String from) {
    return received.stream()
        .filter(r -> r.from().equals(from))
        .map(r -> describe(r.message()))
        .collect(Collectors.toList());
  }

  private static List<String> describeAll(List<Envelope> sent) {
    return sent.stream().map(TransportFixture::describe).collect(Collectors.toList());
  }
}
