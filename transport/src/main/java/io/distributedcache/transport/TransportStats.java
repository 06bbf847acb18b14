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
 * @param reconnects connection attempts after the first one to each peer or seed address
 * @param protocolErrors connections closed because of what the other side sent: a malformed or
 *     oversized frame, another cluster name or bootstrap digest, an unexpected node id, no Hello
 *     in time
 * @param strangersAccepted nodes that were not peers, accepted from their Hello (nodes joining
 *     through this one) and added as peers
 * @param authFailures connections closed because the other side failed authentication: no or a
 *     wrong cluster-secret proof, a frame with a bad MAC or out of sequence (forged, modified,
 *     replayed), a failed TLS handshake
 * @param peerConnected per current peer id (this node excluded), whether it is reachable ({@link
 *     NettyPeerTransport#isReachable}); sorted by id
 */
public record TransportStats(
    long messagesSent,
    long bytesSent,
    long messagesReceived,
    long bytesReceived,
    long messagesDropped,
    long reconnects,
    long protocolErrors,
    long strangersAccepted,
    long authFailures,
    Map<String, Boolean> peerConnected) {

  public TransportStats {
    peerConnected = Collections.unmodifiableMap(new TreeMap<>(peerConnected));
  }

  /** How many peers are connected right now. */
  public int connectedPeers() {
    return (int) peerConnected.values().stream().filter(Boolean::booleanValue).count();
  }
}
