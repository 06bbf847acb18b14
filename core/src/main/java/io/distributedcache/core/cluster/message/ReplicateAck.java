package io.distributedcache.core.cluster.message;

/**
 * Confirms that every entry of a {@link Replicate} is applied (or superseded by a newer version).
 *
 * @param requestId the replicate's id
 * @param slot its slot
 */
public record ReplicateAck(long requestId, int slot) implements PeerMessage {}
