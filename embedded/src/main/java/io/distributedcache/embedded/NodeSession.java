package io.distributedcache.embedded;

import io.distributedcache.core.cluster.ClusterSession;
import io.distributedcache.core.cluster.ConsistencyLevel;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One embedded "connection" to a node: a {@link ClusterSession} at one consistency level, so that
 * a read through it sees every write that completed through it before (read your own writes, from
 * any thread), plus the decoding of replies. Thread-safe.
 */
final class NodeSession {

  private final CacheNode node;
  private final ConsistencyLevel level;
  private final ClusterSession session;

  NodeSession(CacheNode node, ConsistencyLevel level) {
    this.node = node;
    this.level = level;
    this.session = new ClusterSession(level);
  }

  ConsistencyLevel level() {
    return level;
  }

  CacheNode node() {
    return node;
  }

  /**
   * Runs {@code args} and converts the decoded reply; blocks up to the request timeout.
   *
   * @throws CacheException for an error reply, a timeout, a closed node
   * @throws IllegalStateException on one of the node's own threads
   */
  <T> T call(byte[][] args, Function<Object, T> convert) {
    return decode(node.await(node.execute(args, session)), convert);
  }

  /** {@link #call} without blocking; the future completes on a callback thread. */
  <T> CompletableFuture<T> callAsync(byte[][] args, Function<Object, T> convert) {
    return node.deliver(node.execute(args, session), bytes -> decode(bytes, convert));
  }

  private static <T> T decode(byte[] reply, Function<Object, T> convert) {
    Object value;
    try {
      value = CacheProtocol.decodeOrThrow(reply);
    } catch (IllegalArgumentException e) {
      throw new CacheException("", "the node sent a malformed reply: " + e.getMessage(), e);
    }
    return convert.apply(value);
  }

  // Conversions of decoded replies.

  static long integer(Object reply) {
    if (reply instanceof Long n) {
      return n;
    }
    throw unexpected("an integer", reply);
  }

  static boolean flag(Object reply) {
    return integer(reply) != 0;
  }

  /** A bulk string or null. */
  static byte[] bulk(Object reply) {
    if (reply == null || reply instanceof byte[]) {
      return (byte[]) reply;
    }
    throw unexpected("a bulk string", reply);
  }

  /** {@code +OK} is true, the null reply (a SET NX that found the key) false. */
  static boolean okOrNull(Object reply) {
    if (reply == null) {
      return false;
    }
    if ("OK".equals(reply)) {
      return true;
    }
    throw unexpected("OK or null", reply);
  }

  static Void ok(Object reply) {
    okOrNull(reply);
    return null;
  }

  private static CacheException unexpected(String expected, Object reply) {
    return new CacheException(
        "",
        "expected " + expected + " but the node replied "
            + (reply == null ? "null" : reply.getClass().getSimpleName()),
        null);
  }
}
