package io.distributedcache.core.cluster.message;

import java.util.Objects;

/**
 * Asks a peer for a digest of each of some slots, to find the slots whose copies differ.
 *
 * @param requestId the sender's id
 * @param slots the slots
 */
public record DigestRequest(long requestId, int[] slots) implements PeerMessage {
  public DigestRequest {
    Objects.requireNonNull(slots, "slots");
  }
}
