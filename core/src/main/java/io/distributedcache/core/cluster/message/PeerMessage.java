package io.distributedcache.core.cluster.message;

/**
 * The body of one peer-to-peer message. Travels inside an {@link Envelope}, which adds the
 * sender's ring epoch and HLC reading.
 *
 * <p>Every message that concerns one slot says which ({@link #slot()}); the others answer -1.
 * Request ids are chosen by the sender and are unique per sender for the life of its process; a
 * reply repeats the request's id.
 */
public sealed interface PeerMessage
    permits Hello,
        Execute,
        ExecuteReply,
        Replicate,
        ReplicateAck,
        ReadState,
        ReadStateReply,
        DigestRequest,
        DigestReply,
        SyncRequest,
        SyncReply,
        Flush,
        FlushAck,
        WrongEpoch,
        ControlFrame,
        Invalidate,
        Publish {

  /** The slot this message is about, or -1. */
  default int slot() {
    return -1;
  }
}
