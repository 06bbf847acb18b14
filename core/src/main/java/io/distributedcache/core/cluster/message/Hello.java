package io.distributedcache.core.cluster.message;

import java.util.Objects;

/**
 * The first message on every peer connection, in both directions: who is speaking and which
 * membership it was configured with. Peers whose membership digests differ were started with
 * different member lists; they refuse each other rather than place keys differently.
 *
 * @param nodeId the sender's node id
 * @param membershipDigest {@code ConsistentHashRing#membershipDigest()} of the sender's ring
 */
public record Hello(String nodeId, long membershipDigest) implements PeerMessage {
  public Hello {
    Objects.requireNonNull(nodeId, "nodeId");
  }
}
