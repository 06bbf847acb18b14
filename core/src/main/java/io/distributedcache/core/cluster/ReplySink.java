package io.distributedcache.core.cluster;

/**
 * Receives the reply to one {@link ClusterNode#submit submitted} request. Called exactly once, on
 * any thread: on the submitting thread before {@code submit} returns when the node answers at
 * once, else later on a transport thread or the thread that calls {@link ClusterNode#tick()}.
 * Implementations must not block (hand the bytes to the connection's event loop).
 */
@FunctionalInterface
public interface ReplySink {

  /** The complete RESP reply (a value, or an error such as {@code -TIMEOUT ...}). */
  void reply(byte[] resp);
}
