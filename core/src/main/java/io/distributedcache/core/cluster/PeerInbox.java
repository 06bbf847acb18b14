package io.distributedcache.core.cluster;

import io.distributedcache.core.cluster.message.Envelope;

/**
 * What the transport delivers to; implemented by the cluster node. Called on transport threads (any
 * thread, several at once); implementations must not block.
 */
public interface PeerInbox {

  /** A message arrived from {@code fromNodeId}, whose identity the transport has established. */
  void onMessage(String fromNodeId, Envelope message);

  /** A connection to {@code nodeId} completed its Hello exchange. */
  void onPeerUp(String nodeId);

  /** The last connection to {@code nodeId} closed or failed. */
  void onPeerDown(String nodeId);

  /**
   * {@code nodeId} opened a new connection to this node and completed its Hello: whatever it sent
   * on an earlier connection that broke may have been lost (its own connection state is its
   * business; this is the receiving side's only sign of the gap). Transports that cannot tell
   * need not call it.
   */
  default void onInboundConnection(String nodeId) {}
}
