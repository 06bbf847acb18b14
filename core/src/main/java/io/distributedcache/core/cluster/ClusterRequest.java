package io.distributedcache.core.cluster;

import java.util.Objects;

/**
 * One client command whose keys all live in one slot, as the RESP layer hands it to the cluster.
 *
 * @param args the command name and arguments as the client sent them
 * @param keys the command's keys, in argument order (at least one)
 * @param slot the slot of every key
 * @param write whether the command may change data (it then runs on the slot's primary)
 * @param protocol the client's RESP protocol version, 2 or 3
 * @param originClient the id of the client connection that made the request (named in the
 *     invalidation a write causes, for {@code CLIENT TRACKING ... NOLOOP}), or 0
 */
public record ClusterRequest(
    byte[][] args, byte[][] keys, int slot, boolean write, int protocol, long originClient) {
  public ClusterRequest {
    Objects.requireNonNull(args, "args");
    Objects.requireNonNull(keys, "keys");
    if (keys.length == 0) {
      throw new IllegalArgumentException("a cluster request has at least one key");
    }
    if (protocol != 2 && protocol != 3) {
      throw new IllegalArgumentException("protocol must be 2 or 3: " + protocol);
    }
  }

  /** A request made by no client in particular (an embedded caller, a repair). */
  public ClusterRequest(byte[][] args, byte[][] keys, int slot, boolean write, int protocol) {
    this(args, keys, slot, write, protocol, 0);
  }
}
