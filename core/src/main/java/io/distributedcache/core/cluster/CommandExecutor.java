package io.distributedcache.core.cluster;

/**
 * Runs one client command on this node's own data and encodes its reply, and names a command's
 * keys. Implemented by the RESP layer, which owns command semantics and the reply format; the
 * cluster node decides where and when a command runs, never what it means.
 *
 * <p>Called on any thread (client event loops, transport threads, the simulator's thread), several
 * at once; implementations must be thread-safe and must not block. Never throws for a command
 * error: errors (wrong type, syntax, ...) are replies too.
 */
public interface CommandExecutor {

  /**
   * Executes {@code args} (the command name and its arguments) against the local keyspace.
   *
   * @param protocol the client's RESP protocol version, 2 or 3
   * @return the complete RESP reply
   */
  byte[] execute(byte[][] args, int protocol);

  /**
   * The keys of {@code args} (the command name first), in argument order; empty for a command
   * without keys or one this node does not know.
   */
  byte[][] keys(byte[][] args);
}
