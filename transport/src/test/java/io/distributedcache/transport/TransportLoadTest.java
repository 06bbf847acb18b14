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
import java.util.concurrent.locks.LockSupport;
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
    final AtomicLong received = new AtomicLong();

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
    public void onPeerDown(String nodeId) {}
  }

  @Test
  void aPeerThatStopsReadingMakesSendDropInsteadOfBuffering() throws Exception {
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

    byte[] value = new byte[16 * 1024];
    Envelope big =
        envelope(
            new Replicate(
                1,
                2,
                List.of(new StateEntry("k".getBytes(StandardCharsets.UTF_8), value, 3, 4)),
                false));
    try (LogCapture logs = new LogCapture()) {
      // Offer far more than the kernel's socket buffers and our bound together (160 MiB), until
      // send has refused everything for a while: B's socket buffers and ours are then full.
      long offered = 0;
      long accepted = 0;
      long refusingSinceNanos = 0;
      int refusedInARow = 0;
      while (offered < 10_000
          && !(refusedInARow >= 50 && elapsedMillis(refusingSinceNanos) >= 200)) {
        offered++;
        if (a.send("n2", big)) {
          accepted++;
          refusedInARow = 0;
        } else {
          if (refusedInARow++ == 0) {
            refusingSinceNanos = System.nanoTime();
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
      }
      assertThat(refusedInARow).as("send refuses while the peer does not read").isGreaterThan(0);
      long acceptedBytes = accepted * value.length;
      assertThat(acceptedBytes)
          .as("accepted before refusing (kernel buffers + 2 x %d)", highWaterMark)
          .isLessThan(32L << 20);
      assertThat(a.stats().messagesDropped()).isEqualTo(offered - accepted);
      assertThat(logs.warnings())
          .as("one warning, however often send went over and under the mark while filling up")
          .singleElement()
          .asString()
          .contains("n2 is not keeping up");
      System.out.printf(
          "peer not reading: %d of %d messages of 16 KiB accepted (high water mark %d bytes)%n",
          accepted, offered, highWaterMark);

      for (int i = 0; i < 100; i++) {
        assertThat(a.send("n2", big)).as("still over the mark").isFalse();
      }
      assertThat(logs.warnings()).hasSize(1);
    } finally {
      inboxB.gate.countDown();
    }
    await("send to accept again once the peer reads", () -> a.send("n2", big), a::stats);
    await(
        "every accepted message to arrive",
        () -> inboxB.received.get() == a.stats().messagesSent(),
        () -> inboxB.received.get() + " received; " + a.stats());
    assertThat(a.isReachable("n2")).isTrue();
  }

  private static long elapsedMillis(long sinceNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinceNanos);
  }

  private NettyPeerTransport started(Member self, List<Member> members, PeerInbox inbox) {
    NettyPeerTransport transport = TransportFixture.start(self, members, DIGEST, inbox);
    transports.add(transport);
    return transport;
  }
}
