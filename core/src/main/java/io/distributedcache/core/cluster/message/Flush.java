package io.distributedcache.core.cluster.message;

/**
 * Asks a peer to remove every key it holds (FLUSHALL through any node).
 *
 * @param requestId the sender's id
 */
public record Flush(long requestId) implements PeerMessage {}
