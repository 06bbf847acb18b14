package io.distributedcache.core.cluster;

import io.distributedcache.core.cluster.message.Envelope;

/**
 * Where the cluster node hands messages for its peers. Implemented by the Netty transport and by the
 * simulator's network.
 */
public interface PeerOutbox {

  /**
   * Queues {@code message} for the member with id {@code nodeId}. Called on any thread; never
   * blocks, and never throws for network trouble: a message to an unreachable peer is dropped, and
   * the sender's timeouts deal with the loss.
   *
   * @return false if the peer is known to be unreachable right now (the message was dropped), true
   *     if the message was queued
   */
  boolean send(String nodeId, Envelope message);

  /** Whether a connection to {@code nodeId} is established and has completed its Hello exchange. */
  boolean isReachable(String nodeId);
}
