package io.distributedcache.core.cluster.message;

/**
 * The answer to any request sent on a ring epoch other than the receiver's: nothing was done. The
 * side on the older epoch catches up before it retries.
 *
 * @param requestId the refused request's id
 * @param epoch the receiver's epoch
 */
public record WrongEpoch(long requestId, long epoch) implements PeerMessage {}
