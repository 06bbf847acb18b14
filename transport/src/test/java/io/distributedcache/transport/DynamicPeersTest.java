package io.distributedcache.transport;

import static io.distributedcache.transport.TransportFixture.await;
import static io.distributedcache.transport.TransportFixture.envelope;
import static io.distributedcache.transport.TransportFixture.members;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.core.cluster.message.ControlFrame;
import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.Flush;
import io.distributedcache.core.placement.Member;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Membership that changes at runtime, on real loopback sockets: peers added, moved and removed
 * while the transport runs; strangers (nodes joining through this one) accepted or refused; seed
 * addresses dialed without knowing their node id; control frames up to their maximum size.
 */
class DynamicPeersTest {

  /** The bootstrap digest of nodes started from a member list; joiners use 0. */
  private static final long DIGEST = 0xD7_0A41CL;

  private static final long SEED = 0xD7_0001L;

  /**
   * How long a test watches for something that must not happen (a redial, a peer event). Ten
   * times the fixture's largest backoff (200 ms), so that a redial that was going to happen
   * would have.
   */
  private static final Duration QUIET_PERIOD = Duration.ofSeconds(2);

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  /** A started transport of the test cluster whose only initial member is itself. */
  private NettyPeerTransport alone(Member self, long digest, RecordingInbox inbox) {
    return started(TransportFixture.builder(self, List.of(self), digest, inbox));
  }

  private NettyPeerTransport started(NettyPeerTransport.Builder builder) {
    NettyPeerTransport transport = builder.build();
    toClose.add(transport);
    return transport.start();
  }

  @Test
  void peersAddedAtRuntimeConnectAndAddingAgainChangesNothing() {
    List<Member> members = members(2);
    RecordingInbox inboxA = new RecordingInbox();
    RecordingInbox inboxB = new RecordingInbox();
    NettyPeerTransport a = alone(members.get(0), DIGEST, inboxA);
    NettyPeerTransport b = alone(members.get(1), DIGEST, inboxB);
    assertThat(a.peers()).isEmpty();
    assertThat(a.stats().peerConnected()).isEmpty();

    a.addPeer(members.get(1));
    b.addPeer(members.get(0));
    assertThat(inboxA.nextPeerEvent()).isEqualTo("up:n2");
    assertThat(inboxB.nextPeerEvent()).isEqualTo("up:n1");
    assertThat(a.peers()).containsExactly("n2");
    assertThat(b.peers()).containsExactly("n1");
    roundTrip(a, inboxA, b, inboxB, 1);

    // Again, and with self: nothing happens; the one connection each way stays.
    long reconnects = a.stats().reconnects() + b.stats().reconnects();
    a.addPeer(members.get(1));
    a.addPeer(members.get(0));
    b.addPeer(new Member("n1", members.get(0).host(), members.get(0).clusterPort()));
    roundTrip(a, inboxA, b, inboxB, 2);
    assertThat(a.peers()).containsExactly("n2");
    assertThat(a.stats().reconnects() + b.stats().reconnects()).isEqualTo(reconnects);
    assertThat(inboxB.inboundConnections("n1")).isEqualTo(1);
    assertThat(inboxA.inboundConnections("n2")).isEqualTo(1);
    assertThat(inboxA.pendingPeerEvents()).isEmpty();
    assertThat(inboxB.pendingPeerEvents()).isEmpty();
  }

  @Test
  void aPeerAddedBeforeStartIsDialedByStart() {
    List<Member> members = members(2);
    RecordingInbox inboxA = new RecordingInbox();
    RecordingInbox inboxB = new RecordingInbox();
    NettyPeerTransport a =
        TransportFixture.builder(members.get(0), List.of(), DIGEST, inboxA).build();
    toClose.add(a);
    a.addPeer(members.get(1));
    assertThat(a.peers()).containsExactly("n2");
    a.start();
    NettyPeerTransport b = alone(members.get(1), DIGEST, inboxB);
    assertThat(inboxA.nextPeerEvent()).isEqualTo("up:n2");
    assertThat(inboxB.nextPeerEvent()).isEqualTo("up:n1");
    assertThat(b.stats().strangersAccepted()).as("n1 joined through n2").isEqualTo(1);
    roundTrip(a, inboxA, b, inboxB, 1);
  }

  /**
   * A node restarts at another address: the peer's old link keeps failing until the metadata
   * layer says where it went; then the link moves, and only to the new address.
   */
  @Test
  void aPeerThatMovesIsFollowedToItsNewAddress() {
    List<Member> members = members(3);
    Member oldB = members.get(1);
    Member newB = new Member("n2", members.get(2).host(), members.get(2).clusterPort());
    RecordingInbox inboxA = new RecordingInbox();
    NettyPeerTransport a =
        started(TransportFixture.builder(members.get(0), members.subList(0, 2), DIGEST, inboxA));
    RecordingInbox inboxB = new RecordingInbox();
    NettyPeerTransport b =
        started(TransportFixture.builder(oldB, members.subList(0, 2), DIGEST, inboxB));
    assertThat(inboxA.nextPeerEvent()).isEqualTo("up:n2");
    b.close();
    assertThat(inboxA.nextPeerEvent()).isEqualTo("down:n2");

    RecordingInbox inboxB2 = new RecordingInbox();
    NettyPeerTransport b2 =
        started(TransportFixture.builder(newB, List.of(members.get(0), newB), DIGEST, inboxB2));
    // n2 reaches n1 from its new address, but n1 still dials the old one: not reachable.
    await("n1 to accept n2's new connection", () -> inboxA.inboundConnections("n2") >= 2, a::stats);
    assertThat(a.isReachable("n2")).isFalse();

    a.addPeer(newB);
    assertThat(inboxA.nextPeerEvent()).isEqualTo("up:n2");
    assertThat(inboxB2.nextPeerEvent()).isEqualTo("up:n1");
    assertThat(a.peers()).containsExactly("n2");
    roundTrip(a, inboxA, b2, inboxB2, 1);
    assertThat(a.stats().strangersAccepted()).isZero();
  }

  @Test
  void removedPeersAreUnreachableAndNoLongerDialed() {
    List<Member> members = members(2);
    RecordingInbox inboxA = new RecordingInbox();
    RecordingInbox inboxB = new RecordingInbox();
    NettyPeerTransport a = started(TransportFixture.builder(members.get(0), members, DIGEST, inboxA));
    // n2 redials only after at least 2.5 s, leaving this test the time to remove n1 there too
    // before n2 would come back to n1 as a stranger.
    NettyPeerTransport b =
        started(
            TransportFixture.builder(members.get(1), members, DIGEST, inboxB)
                .reconnectBackoff(Duration.ofSeconds(5), Duration.ofSeconds(5)));
    assertThat(inboxA.nextPeerEvent()).isEqualTo("up:n2");
    assertThat(inboxB.nextPeerEvent()).isEqualTo("up:n1");

    // Both sides forget each other: one side alone would be dialed again by the other, and accept
    // it as a stranger (membership is the metadata layer's decision, made on every node).
    a.removePeer("n2");
    assertThat(a.isReachable("n2")).isFalse();
    assertThat(a.send("n2", envelope(new Flush(1)))).isFalse();
    assertThat(a.peers()).isEmpty();
    assertThat(a.stats().peerConnected()).isEmpty();
    assertThat(inboxA.nextPeerEvent()).isEqualTo("down:n2");
    // n1 closed both connections: n2 sees n1 go down, by that or by its own removePeer.
    b.removePeer("n1");
    assertThat(b.isReachable("n1")).isFalse();
    assertThat(b.peers()).isEmpty();
    assertThat(inboxB.nextPeerEvent()).isEqualTo("down:n1");
    a.removePeer("n2"); // idempotent
    a.removePeer("never-a-peer");

    long reconnects = a.stats().reconnects() + b.stats().reconnects();
    assertQuiet(
        "no node dials the other once both removed it",
        () -> a.stats().reconnects() + b.stats().reconnects() == reconnects,
        () -> List.of(a.stats(), b.stats()));
    assertThat(a.peers()).isEmpty();
    assertThat(b.peers()).isEmpty();
    assertThat(a.stats().strangersAccepted() + b.stats().strangersAccepted()).isZero();
    assertThat(inboxA.pendingPeerEvents()).isEmpty();
    assertThat(inboxB.pendingPeerEvents()).isEmpty();
    assertThat(inboxA.pendingMessages()).isEmpty();

    // Removed is not banned: n2 coming back is a stranger like any other, accepted again.
    b.addPeer(members.get(0));
    assertThat(inboxA.nextPeerEvent()).isEqualTo("up:n2");
    assertThat(inboxB.nextPeerEvent()).isEqualTo("up:n1");
    assertThat(a.stats().strangersAccepted()).isEqualTo(1);
    roundTrip(a, inboxA, b, inboxB, 7);
  }

  @Test
  void removingAPeerThatIsDownStopsItsRedials() {
    List<Member> members = members(2);
    RecordingInbox inboxA = new RecordingInbox();
    // n2 never starts: n1 redials it with the backoff until told to stop.
    NettyPeerTransport a = started(TransportFixture.builder(members.get(0), members, DIGEST, inboxA));
    await("n1 to redial n2", () -> a.stats().reconnects() >= 3, a::stats);

    a.removePeer("n2");
    long reconnects = a.stats().reconnects();
    assertQuiet(
        "no redial after removePeer returned",
        () -> a.stats().reconnects() == reconnects,
        a::stats);
    assertThat(a.isReachable("n2")).isFalse();
    assertThat(inboxA.pendingPeerEvents()).as("it was never up").isEmpty();

    // Added again, it is dialed again.
    a.addPeer(members.get(1));
    await("n1 to dial n2 again", () -> a.stats().reconnects() > reconnects, a::stats);
  }

  @Test
  void aStrangerIsAcceptedDialedBackAndReachableBothWays() {
    List<Member> members = members(2);
    RecordingInbox inboxA = new RecordingInbox();
    RecordingInbox inboxJ = new RecordingInbox();
    NettyPeerTransport a = alone(members.get(0), DIGEST, inboxA);
    // The joiner knows n1's id and address, and no member list: digest 0.
    NettyPeerTransport joiner =
        started(TransportFixture.builder(members.get(1), List.of(members.get(0)), 0, inboxJ));

    assertThat(inboxA.nextPeerEvent()).isEqualTo("up:n2");
    assertThat(inboxJ.nextPeerEvent()).isEqualTo("up:n1");
    assertThat(a.peers()).containsExactly("n2");
    assertThat(a.stats().strangersAccepted()).isEqualTo(1);
    assertThat(joiner.stats().strangersAccepted()).isZero();
    assertThat(a.isReachable("n2")).isTrue();
    assertThat(joiner.isReachable("n1")).isTrue();
    roundTrip(a, inboxA, joiner, inboxJ, 1);
  }

  @Test
  void dialLearnsTheIdOfTheNodeAtASeedAddressAndRetriesUntilItAnswers() {
    List<Member> members = members(2);
    Member seedMember = members.get(0);
    RecordingInbox inboxA = new RecordingInbox();
    RecordingInbox inboxJ = new RecordingInbox();
    NettyPeerTransport joiner = alone(members.get(1), 0, inboxJ);
    joiner.dial(seedMember.host(), seedMember.clusterPort());
    joiner.dial(seedMember.host(), seedMember.clusterPort()); // the same seed: nothing new
    await("the joiner to retry the seed", () -> joiner.stats().reconnects() >= 3, joiner::stats);
    assertThat(joiner.peers()).as("no id known yet").isEmpty();

    NettyPeerTransport a = alone(seedMember, DIGEST, inboxA);
    assertThat(inboxJ.nextPeerEvent()).isEqualTo("up:n1");
    assertThat(inboxA.nextPeerEvent()).isEqualTo("up:n2");
    assertThat(joiner.peers()).containsExactly("n1");
    assertThat(a.peers()).containsExactly("n2");
    roundTrip(a, inboxA, joiner, inboxJ, 1);

    // Learned: the seed is not dialed any more; the peer's link is the only connection.
    long reconnects = joiner.stats().reconnects();
    assertQuiet(
        "no more seed dials", () -> joiner.stats().reconnects() == reconnects, joiner::stats);
    assertThat(inboxA.pendingPeerEvents()).isEmpty();
    assertThat(inboxJ.pendingPeerEvents()).isEmpty();

    assertThatThrownBy(() -> joiner.dial(members.get(1).host(), members.get(1).clusterPort()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("this node's own address");
    assertThatThrownBy(() -> joiner.dial("bad host", 7))
        .isInstanceOf(IllegalArgumentException.class);
    // An address that is a known peer's already is not dialed again.
    joiner.dial(seedMember.host(), seedMember.clusterPort());
    assertThat(joiner.stats().reconnects()).isEqualTo(reconnects);
  }

  @Test
  void aStrangerOfAnotherClusterIsRefused() {
    List<Member> members = members(2);
    try (LogCapture logs = new LogCapture()) {
      RecordingInbox inboxA = new RecordingInbox();
      RecordingInbox inboxJ = new RecordingInbox();
      NettyPeerTransport a = alone(members.get(0), DIGEST, inboxA);
      NettyPeerTransport joiner =
          started(
              NettyPeerTransport.builder(members.get(1), "another-cluster", inboxJ)
                  .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(200)));
      joiner.dial(members.get(0).host(), members.get(0).clusterPort());

      await(
          "n1 to refuse the joiner a few times",
          () -> a.stats().protocolErrors() >= 2,
          () -> List.of(a.stats(), joiner.stats()));
      assertThat(a.peers()).isEmpty();
      assertThat(joiner.peers()).isEmpty();
      assertThat(a.stats().strangersAccepted()).isZero();
      assertThat(inboxA.pendingPeerEvents()).isEmpty();
      assertThat(inboxJ.pendingPeerEvents()).isEmpty();
      assertThat(logs.warnings())
          .anyMatch(w -> w.contains("node 'n2' belongs to cluster 'another-cluster'"));
    }
  }

  @Test
  void aStrangerBootstrappedFromAnotherMemberListIsRefused() {
    List<Member> members = members(2);
    try (LogCapture logs = new LogCapture()) {
      RecordingInbox inboxA = new RecordingInbox();
      RecordingInbox inboxJ = new RecordingInbox();
      NettyPeerTransport a = alone(members.get(0), DIGEST, inboxA);
      // Bootstrapped too, from its own list that knows n1 but under another digest.
      NettyPeerTransport other =
          started(TransportFixture.builder(members.get(1), members, DIGEST + 1, inboxJ));

      await(
          "n1 to refuse the other node a few times",
          () -> a.stats().protocolErrors() >= 2,
          () -> List.of(a.stats(), other.stats()));
      assertThat(a.peers()).isEmpty();
      assertThat(a.stats().strangersAccepted()).isZero();
      assertThat(other.isReachable("n1")).isFalse();
      assertThat(inboxA.pendingPeerEvents()).isEmpty();
      assertThat(inboxJ.pendingPeerEvents()).isEmpty();
      assertThat(logs.warnings())
          .anyMatch(
              w ->
                  w.contains("node 'n2' was bootstrapped with membership digest")
                      && w.contains("different member lists"));
    }
  }

  /** Control frames up to their maximum fit the transport's frame limit, and arrive intact. */
  @Test
  void controlFramesOfOneMebibyteAndOfTheMaximumRoundTrip() {
    List<Member> members = members(2);
    RecordingInbox inboxA = new RecordingInbox();
    RecordingInbox inboxB = new RecordingInbox();
    NettyPeerTransport a = started(TransportFixture.builder(members.get(0), members, DIGEST, inboxA));
    NettyPeerTransport b = started(TransportFixture.builder(members.get(1), members, DIGEST, inboxB));
    assertThat(inboxA.nextPeerEvent()).isEqualTo("up:n2");
    assertThat(inboxB.nextPeerEvent()).isEqualTo("up:n1");

    Random random = new Random(SEED);
    for (int size : new int[] {1 << 20, ControlFrame.MAX_PAYLOAD_BYTES}) {
      byte[] payload = new byte[size];
      random.nextBytes(payload);
      Envelope sent = envelope(new ControlFrame(payload));
      assertThat(a.send("n2", sent)).as("%d bytes, seed %d", size, SEED).isTrue();
      RecordingInbox.Received received = inboxB.nextMessage();
      assertThat(received.from()).isEqualTo("n1");
      assertThat(received.message()).as("%d bytes, seed %d", size, SEED).isEqualTo(sent);
    }
    assertThat(b.send("n1", envelope(new ControlFrame(new byte[] {42})))).isTrue();
    assertThat(((ControlFrame) inboxA.nextMessage().message().body()).payload())
        .containsExactly(42);
    assertThat(a.stats().protocolErrors() + b.stats().protocolErrors()).isZero();
  }

  /** Sends one message each way and checks it arrives from the right id. */
  private static void roundTrip(
      NettyPeerTransport a,
      RecordingInbox inboxA,
      NettyPeerTransport b,
      RecordingInbox inboxB,
      long requestId) {
    Envelope toB = envelope(new Flush(requestId));
    assertThat(a.send("n2", toB)).isTrue();
    RecordingInbox.Received atB = inboxB.nextMessage();
    assertThat(atB.from()).isEqualTo("n1");
    assertThat(TransportFixture.describe(atB.message())).isEqualTo(TransportFixture.describe(toB));
    Envelope toA = envelope(new Flush(requestId + 1000));
    assertThat(b.send("n1", toA)).isTrue();
    RecordingInbox.Received atA = inboxA.nextMessage();
    assertThat(atA.from()).isEqualTo("n2");
    assertThat(TransportFixture.describe(atA.message())).isEqualTo(TransportFixture.describe(toA));
  }

  /**
   * Checks that {@code condition} holds throughout {@link #QUIET_PERIOD}. Proving that something
   * does not happen takes a window; this is the one place these tests wait for time to pass.
   */
  private static void assertQuiet(String what, BooleanSupplier condition, Supplier<Object> state) {
    long end = System.nanoTime() + QUIET_PERIOD.toNanos();
    while (System.nanoTime() - end < 0) {
      assertThat(condition.getAsBoolean()).as("%s; state: %s", what, state.get()).isTrue();
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    assertThat(condition.getAsBoolean()).as("%s; state: %s", what, state.get()).isTrue();
  }
}
