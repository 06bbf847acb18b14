package io.distributedcache.transport;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A snapshot of a {@link NettyPeerTransport}'s counters, for INFO and tests. Counters only grow for
 * the life of the transport. Taken without a lock: the fields are each exact but not taken at one
 * instant.
 *
 * @param messagesSent messages accepted by {@code send} (queued for a connected peer)
 * @param bytesSent bytes of those messages, length prefixes included
 * @param messagesReceived messages delivered to the inbox (Hellos are not counted)
 * @param bytesReceived bytes of every frame received, Hellos and refused frames included
 * @param messagesDropped messages {@code send} refused: peer unreachable or too much queued
 * @param reconnects outbound connection attempts after the first one to each peer
 * @param protocolErrors connections closed because of what the other side sent: a malformed or
 *     oversized frame, a wrong membership digest, an unknown node id, no Hello in time
 * @param peerConnected per peer id (every member but this node), whether its outbound connection is
 *     up ({@link NettyPeerTransport#isReachable}); sorted by id
 */
public record TransportStats(
    long messagesSent,
    long bytesSent,
    long messagesReceived,
    long bytesReceived,
    long messagesDropped,
    long reconnects,
    long protocolErrors,
    Map<String, Boolean> peerConnected) {

  public TransportStats {
    peerConnected = Collections.unmodifiableMap(new TreeMap<>(peerConnected));
  }

  /** How many peers are connected right now. */
  public int connectedPeers() {
    return (int) peerConnected.values().stream().filter(Boolean::booleanValue).count();
  }
}
