package io.distributedcache.core.cluster.message;

/**
 * Confirms a {@link Flush}.
 *
 * @param requestId the flush's id
 */
public record FlushAck(long requestId) implements PeerMessage {}
