package io.distributedcache.resp.server;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.engine.GlobPattern;
import io.distributedcache.core.storage.ByteKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's pub/sub index: which connections listen to which channels and patterns, and the
 * delivery of messages to them.
 *
 * <p>Cluster-wide: a {@code PUBLISH} through any node reaches the subscribers of every node. The
 * publishing node delivers to its own subscribers and sends the message to every other member
 * ({@link ClusterNode#publish}), which delivers to theirs; like Redis Cluster, delivery is at most
 * once and in order per publishing node, and the count {@code PUBLISH} answers is this node's.
 *
 * <p>Thread safety: the index is concurrent; subscribe and unsubscribe run on the subscriber's
 * event loop, deliveries on any thread (the publisher's loop, a transport thread). A message is
 * written through {@link ClientSession#push}, which is thread-safe.
 */
public final class PubSub {

  /** Channel to its subscribers. Empty sets are removed. */
  private final Map<ByteKey, Set<ClientSession>> channels = new ConcurrentHashMap<>();

  /** Pattern to its subscribers. */
  private final Map<ByteKey, Set<ClientSession>> patterns = new ConcurrentHashMap<>();

  /** Subscribes {@code session} to {@code channel}; false if it already was. Event loop. */
  public boolean subscribe(ClientSession session, byte[] channel) {
    ByteKey key = ByteKey.of(channel);
    if (!session.channels().add(key)) {
      return false;
    }
    channels.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(session);
    return true;
  }

  /** Unsubscribes {@code session} from {@code channel}; false if it was not subscribed. */
  public boolean unsubscribe(ClientSession session, byte[] channel) {
    ByteKey key = ByteKey.of(channel);
    if (!session.channels().remove(key)) {
      return false;
    }
    channels.computeIfPresent(key, (k, set) -> set.remove(session) && set.isEmpty() ? null : set);
    return true;
  }

  public boolean psubscribe(ClientSession session, byte[] pattern) {
    ByteKey key = ByteKey.of(pattern);
    if (!session.patterns().add(key)) {
      return false;
    }
    patterns.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(session);
    return true;
  }

  public boolean punsubscribe(ClientSession session, byte[] pattern) {
    ByteKey key = ByteKey.of(pattern);
    if (!session.patterns().remove(key)) {
      return false;
    }
    patterns.computeIfPresent(key, (k, set) -> set.remove(session) && set.isEmpty() ? null : set);
    return true;
  }

  /** Removes every subscription of a closing connection. Event loop. */
  public void forget(ClientSession session) {
    for (ByteKey key : List.copyOf(session.channels())) {
      unsubscribe(session, key.bytes());
    }
    for (ByteKey key : List.copyOf(session.patterns())) {
      punsubscribe(session, key.bytes());
    }
  }

  /**
   * Hands a message to this node's subscribers of {@code channel} and of every pattern matching
   * it, and returns how many received it (a connection subscribed through two patterns counts
   * twice, as in Redis). Any thread.
   */
  public int deliverLocally(byte[] channel, byte[] message) {
    int receivers = 0;
    Set<ClientSession> direct = channels.get(ByteKey.of(channel));
    if (direct != null) {
      for (ClientSession s : direct) {
        if (s.push((w, out) -> {
              w.pushHeader(out, 3);
              w.bulk(out, MESSAGE);
              w.bulk(out, channel);
              w.bulk(out, message);
            })) {
          receivers++;
        }
      }
    }
    for (Map.Entry<ByteKey, Set<ClientSession>> e : patterns.entrySet()) {
      byte[] pattern = e.getKey().bytes();
      if (!GlobPattern.matches(pattern, channel)) {
        continue;
      }
      for (ClientSession s : e.getValue()) {
        if (s.push((w, out) -> {
              w.pushHeader(out, 4);
              w.bulk(out, PMESSAGE);
              w.bulk(out, pattern);
              w.bulk(out, channel);
              w.bulk(out, message);
            })) {
          receivers++;
        }
      }
    }
    return receivers;
  }

  /** Channels with at least one subscriber here, optionally only those matching a pattern. */
  public List<byte[]> activeChannels(byte[] pattern) {
    List<byte[]> result = new ArrayList<>();
    for (ByteKey key : channels.keySet()) {
      if (pattern == null || GlobPattern.matches(pattern, key.bytes())) {
        result.add(key.bytes());
      }
    }
    return result;
  }

  /** Whether {@code session} is subscribed to {@code channel}. Any thread. */
  public boolean isSubscribed(ClientSession session, byte[] channel) {
    Set<ClientSession> set = channels.get(ByteKey.of(channel));
    return set != null && set.contains(session);
  }

  /** Subscribers of {@code channel} on this node. */
  public int subscribers(byte[] channel) {
    Set<ClientSession> set = channels.get(ByteKey.of(channel));
    return set == null ? 0 : set.size();
  }

  /** Patterns with at least one subscriber on this node. */
  public int patternCount() {
    return patterns.size();
  }

  /** Channels with at least one subscriber on this node. */
  public int channelCount() {
    return channels.size();
  }

  private static final byte[] MESSAGE = {'m', 'e', 's', 's', 'a', 'g', 'e'};
  private static final byte[] PMESSAGE = {'p', 'm', 'e', 's', 's', 'a', 'g', 'e'};
}
