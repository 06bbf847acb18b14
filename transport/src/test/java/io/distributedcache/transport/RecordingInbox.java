package io.distributedcache.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.cluster.PeerInbox;
import io.distributedcache.core.cluster.message.Envelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An inbox that records what the transport delivers, for tests to wait on with a deadline (a
 * blocking poll, no sleeping).
 */
final class RecordingInbox implements PeerInbox {

  /** One delivered message. */
  record Received(String from, Envelope message) {}

  static final Duration DEADLINE = Duration.ofSeconds(15);

  private final BlockingQueue<Received> messages = new LinkedBlockingQueue<>();
  private final BlockingQueue<String> peerEvents = new LinkedBlockingQueue<>();
  private final Map<String, Integer> inboundConnections = new ConcurrentHashMap<>();

  @Override
  public void onMessage(String fromNodeId, Envelope message) {
    messages.add(new Received(fromNodeId, message));
  }

  @Override
  public void onPeerUp(String nodeId) {
    peerEvents.add("up:" + nodeId);
  }

  @Override
  public void onPeerDown(String nodeId) {
    peerEvents.add("down:" + nodeId);
  }

  @Override
  public void onInboundConnection(String nodeId) {
    inboundConnections.merge(nodeId, 1, Integer::sum);
  }

  /** How many connections from {@code nodeId} completed their Hello so far. */
  int inboundConnections(String nodeId) {
    return inboundConnections.getOrDefault(nodeId, 0);
  }

  /** The next message, waiting up to {@link #DEADLINE}; fails if none comes. */
  Received nextMessage() {
    try {
      Received received = messages.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(received).as("a message within %s", DEADLINE).isNotNull();
      return received;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The next {@code n} messages in arrival order. */
  List<Received> nextMessages(int n) {
    List<Received> received = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      received.add(nextMessage());
    }
    return received;
  }

  /** The next peer event ({@code up:id} or {@code down:id}), waiting up to {@link #DEADLINE}. */
  String nextPeerEvent() {
    try {
      String event = peerEvents.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(event).as("a peer event within %s", DEADLINE).isNotNull();
      return event;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Peer events that arrived and were not taken yet. */
  List<String> pendingPeerEvents() {
    return new ArrayList<>(peerEvents);
  }

  /** Messages that arrived and were not taken yet. */
  List<Received> pendingMessages() {
    return new ArrayList<>(messages);
  }
}
