package io.distributedcache.core.cluster.message;

import java.util.Objects;

/**
 * A {@code PUBLISH} made through the sender: the receiver hands it to its own subscribers of the
 * channel (and matching patterns). Nothing is stored or acknowledged; like Redis Cluster, delivery
 * is at most once, in order per sender.
 *
 * @param channel the channel name
 * @param message the payload
 */
public record Publish(byte[] channel, byte[] message) implements PeerMessage {
  public Publish {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(message, "message");
  }
}
