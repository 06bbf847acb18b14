package io.distributedcache.transport;

import static io.distributedcache.transport.TransportFixture.await;
import static io.distributedcache.transport.TransportFixture.envelope;
import static io.distributedcache.transport.TransportFixture.members;
import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.cluster.PeerInbox;
import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.Flush;
import io.distributedcache.core.cluster.message.Replicate;
import io.distributedcache.core.cluster.message.StateEntry;
import io.distributedcache.core.placement.Member;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Volume and backpressure: nothing accepted is lost or reordered, and buffering is bounded. */
class TransportLoadTest {

  private static final long DIGEST = 0x10AD;

  private final List<NettyPeerTransport> transports = new ArrayList<>();

  @AfterEach
  void closeAll() {
    transports.forEach(NettyPeerTransport::close);
  }

  /** Checks, as messages arrive, that each sending thread's sequence is complete and in order. */
  private static final class OrderCheckingInbox implements PeerInbox {
    final AtomicLongArray next;
    final AtomicLong received = new AtomicLong();
    final AtomicReference<String> firstError = new AtomicReference<>();
    final CountDownLatch up = new CountDownLatch(1);

    OrderCheckingInbox(int senders) {
      next = new AtomicLongArray(senders);
    }

    @Override
    public void onMessage(String fromNodeId, Envelope message) {
      int sender = (int) message.epoch();
      long seq = ((Flush) message.body()).requestId();
      long expected = next.get(sender);
      if (seq != expected) {
        firstError.compareAndSet(
            null, "sender " + sender + ": expected #" + expected + " but got #" + seq);
      }
      next.set(sender, seq + 1);
      received.incrementAndGet();
    }

    @Override
    public void onPeerUp(String nodeId) {
      up.countDown();
    }

    @Override
    public void onPeerDown(String nodeId) {}
  }

  @Test
  void twoHundredThousandMessagesArriveCompleteAndInOrder() throws Exception {
    int senders = 4;
    int perSender = 50_000;
    List<Member> members = members(2);
    OrderCheckingInbox inboxA = new OrderCheckingInbox(senders);
    OrderCheckingInbox inboxB = new OrderCheckingInbox(senders);
    NettyPeerTransport a = started(members.get(0), members, inboxA);
    NettyPeerTransport b = started(members.get(1), members, inboxB);
    assertThat(inboxA.up.await(RecordingInbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isTrue();

    AtomicLong refused = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    long startNanos = System.nanoTime();
    for (int s = 0; s < senders; s++) {
      int sender = s;
      Thread thread =
          new Thread(
              () -> {
                for (long seq = 0; seq < perSender; seq++) {
                  if (!a.send("n2", new Envelope(sender, seq, new Flush(seq)))) {
                    refused.incrementAndGet();
                  }
                }
              },
              "sender-" + s);
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    long total = (long) senders * perSender;
    await(
        "all " + total + " messages to arrive",
        () -> inboxB.received.get() == total || inboxB.firstError.get() != null,
        () -> inboxB.received.get() + " received; " + b.stats());
    long elapsedNanos = System.nanoTime() - startNanos;

    assertThat(refused.get()).isZero();
    assertThat(inboxB.firstError.get()).isNull();
    assertThat(inboxB.received.get()).isEqualTo(total);
    for (int s = 0; s < senders; s++) {
      assertThat(inboxB.next.get(s)).isEqualTo(perSender);
    }
    assertThat(a.stats().messagesSent()).isEqualTo(total);
    assertThat(b.stats().messagesReceived()).isEqualTo(total);
    System.out.printf(
        "%d messages (%d bytes) from %d threads in %d ms: %.0f messages/s%n",
        total,
        a.stats().bytesSent(),
        senders,
        TimeUnit.NANOSECONDS.toMillis(elapsedNanos),
        total * 1e9 / elapsedNanos);
  }

  /** Blocks its event loop on the first message until opened: a peer that stopped reading. */
  private static final class GatedInbox implements PeerInbox {
    final CountDownLatch gate = new CountDownLatch(1);
    final CountDownLatch up = new CountDownLatch(1);
    final CountDownLatch down = new CountDownLatch(1);
    final AtomicLong received = new AtomicLong();
    final AtomicLong inboundConnections = new AtomicLong();

    @Override
    public void onMessage(String fromNodeId, Envelope message) {
      try {
        // Bounded, so that a failing test cannot hang the build.
        gate.await(RecordingInbox.DEADLINE.toMillis() * 2, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      received.incrementAndGet();
    }

    @Override
    public void onPeerUp(String nodeId) {
      up.countDown();
    }

    @Override
    public void onPeerDown(String nodeId) {
      down.countDown();
    }

    @Override
    public void onInboundConnection(String nodeId) {
      inboundConnections.incrementAndGet();
    }
  }

  /**
   * A peer that stops reading gets its connection closed, rather than messages silently dropped on
   * a connection that stays up: both sides then know of the gap (down here, a new inbound
   * connection there), and the connection comes back once the peer reads again.
   */
  @Test
  void aPeerThatStopsReadingIsDisconnectedInsteadOfBuffered() throws Exception {
    int highWaterMark = 256 * 1024;
    List<Member> members = members(2);
    GatedInbox inboxA = new GatedInbox();
    GatedInbox inboxB = new GatedInbox();
    NettyPeerTransport a =
        TransportFixture.builder(members.get(0), members, DIGEST, inboxA)
            .writeBufferHighWaterMark(highWaterMark)
            .build()
            .start();
    transports.add(a);
    NettyPeerTransport b = started(members.get(1), members, inboxB);
    assertThat(inboxA.up.await(RecordingInbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    await("B to hear of A's connection", () -> inboxB.inboundConnections.get() == 1, b::stats);

    byte[] value = new byte[16 * 1024];
    Envelope big =
        envelope(
            new Replicate(
                1,
                2,
                List.of(new StateEntry("k".getBytes(StandardCharsets.UTF_8), value, 3, 4)),
                false));
    try (LogCapture logs = new LogCapture()) {
      long accepted = 0;
      while (accepted < 10_000 && a.send("n2", big)) {
        accepted++;
      }
      assertThat(accepted * value.length)
          .as("accepted before refusing (kernel buffers + 2 x %d)", highWaterMark)
          .isLessThan(32L << 20);
      assertThat(inboxA.down.await(RecordingInbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
          .as("the connection to the peer that does not read is closed")
          .isTrue();
      assertThat(logs.warnings())
          .singleElement()
          .asString()
          .contains("n2 is not keeping up")
          .contains("closing the connection");
      System.out.printf(
          "peer not reading: %d messages of 16 KiB accepted before the connection was closed"
              + " (high water mark %d bytes)%n",
          accepted, highWaterMark);
    } finally {
      inboxB.gate.countDown();
    }
    await("A to reach B again", () -> a.isReachable("n2"), a::stats);
    await(
        "B to hear of A's new connection",
        () -> inboxB.inboundConnections.get() >= 2,
        () -> inboxB.inboundConnections.get() + " inbound connections; " + b.stats());
    long before = inboxB.received.get();
    await(
        "a message on the new connection to arrive",
        () -> {
          a.send("n2", big);
          return inboxB.received.get() > before;
        },
        a::stats);
  }

  private NettyPeerTransport started(Member self, List<Member> members, PeerInbox inbox) {
    NettyPeerTransport transport = TransportFixture.start(self, members, DIGEST, inbox);
    transports.add(transport);
    return transport;
  }
}
