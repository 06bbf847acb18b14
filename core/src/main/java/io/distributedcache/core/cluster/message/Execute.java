package io.distributedcache.core.cluster.message;

import io.distributedcache.core.cluster.ConsistencyLevel;
import java.util.Objects;

/**
 * Asks the receiver to run one client command on keys of {@code slot}.
 *
 * <p>For a write the receiver is the slot's primary: it executes the command, stamps versions,
 * replicates the resulting state and answers once {@code level} is met. For a read the receiver
 * runs it on its own copy if every key's copy is at least as new as {@code minVersions} (read your
 * own writes), and otherwise answers {@link ExecuteReply.Status#NOT_READY}.
 *
 * @param requestId the coordinator's id for this request
 * @param slot the slot of every key in {@code args}
 * @param level the write level (ignored for reads, which the coordinator has already resolved)
 * @param protocol the client's RESP protocol version (2 or 3), so the reply is encoded for it
 * @param write whether the command writes
 * @param args the command name and its arguments as the client sent them
 * @param minVersions per key of the command, in argument order, the oldest version the reader may
 *     see ({@link StateEntry#ABSENT} for no requirement); empty for writes
 * @param originClient the id of the client connection on the sender that made the request, or 0;
 *     named in the invalidation a write causes, so a {@code NOLOOP} tracking client is not told
 *     about its own writes
 */
public record Execute(
    long requestId,
    int slot,
    ConsistencyLevel level,
    int protocol,
    boolean write,
    byte[][] args,
    long[] minVersions,
    long originClient)
    implements PeerMessage {
  public Execute {
    Objects.requireNonNull(level, "level");
    Objects.requireNonNull(args, "args");
    Objects.requireNonNull(minVersions, "minVersions");
  }

  /** A request made by no client in particular. */
  public Execute(
      long requestId,
      int slot,
      ConsistencyLevel level,
      int protocol,
      boolean write,
      byte[][] args,
      long[] minVersions) {
    this(requestId, slot, level, protocol, write, args, minVersions, 0);
  }
}
