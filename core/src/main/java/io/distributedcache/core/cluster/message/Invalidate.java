package io.distributedcache.core.cluster.message;

import io.distributedcache.core.invalidation.Invalidation;
import java.util.List;
import java.util.Objects;

/**
 * Invalidation events a node announces to every other member: the writes it ran as a primary, the
 * expiries of its primary slots, explicit invalidations. Sent in batches, about once per tick.
 * Receivers deliver them to their own listeners and tracking clients; nothing is stored.
 *
 * @param events the events, oldest first
 */
public record Invalidate(List<Invalidation> events) implements PeerMessage {
  public Invalidate {
    events = List.copyOf(Objects.requireNonNull(events, "events"));
  }
}
