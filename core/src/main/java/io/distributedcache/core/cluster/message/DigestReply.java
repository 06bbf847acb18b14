package io.distributedcache.core.cluster.message;

import java.util.Objects;

/**
 * Digests of slots: equal digests mean (with overwhelming probability) equal keys and versions.
 *
 * @param requestId the request's id
 * @param slots the slots, as requested
 * @param digests one per slot
 */
public record DigestReply(long requestId, int[] slots, long[] digests) implements PeerMessage {
  public DigestReply {
    Objects.requireNonNull(slots, "slots");
    Objects.requireNonNull(digests, "digests");
    if (slots.length != digests.length) {
      throw new IllegalArgumentException("one digest per slot");
    }
  }
}
