package io.distributedcache.resp.command;

import io.distributedcache.core.engine.CommandException;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.resp.server.ClientSession;
import io.distributedcache.resp.server.ClusterTopology;
import io.distributedcache.resp.server.ClusterTopology.ClientAddress;
import io.distributedcache.resp.server.NodeContext;
import io.netty.buffer.ByteBuf;

/**
 * Redis Cluster client behaviour: {@code READONLY}, {@code READWRITE}, {@code ASKING} and the
 * {@code -MOVED} redirection of keyed commands.
 *
 * <h2>Design note</h2>
 *
 * <ul>
 *   <li><b>Cluster mode.</b> Any node serves any key (it forwards to the slot's primary), so a
 *       plain client never needs to know the layout and is never redirected. A connection that
 *       sends a {@code CLUSTER} subcommand, {@code READONLY} or {@code READWRITE} is taken to be a
 *       Redis Cluster client ({@link ClientSession#clusterMode()}): from then on a keyed command
 *       whose slot's primary is another member is answered {@code -MOVED <slot> <host>:<port>}
 *       with that primary's client address, so that the client learns the layout and talks to the
 *       primary directly, saving the forwarding hop.
 *   <li><b>Exceptions.</b> The command is served as for a plain client (run here or forwarded by
 *       the cluster node) when (a) {@code READONLY} is on, the command is a read ({@code readonly}
 *       flag) and this node holds a copy of the slot, as a Redis replica would serve it; or (b)
 *       the primary has not announced its client address yet: there is nowhere to redirect to,
 *       and the layout replies list another member in its place ({@link ClusterLayout}).
 *   <li><b>No {@code -ASK}.</b> Redis answers {@code -ASK} while a slot migrates. We never do:
 *       during a rebalance reads stay on the old owners and writes go to both, so every member
 *       serves the slot correctly throughout and a client is never asked to retry elsewhere.
 *       {@code ASKING} is accepted for compatibility: it sets the one-shot flag that the next
 *       command clears, and changes nothing else.
 *   <li><b>Multi-key commands.</b> Keys in different slots are left to the normal path, which
 *       answers {@code -CROSSSLOT} as Redis does before it considers redirecting.
 * </ul>
 *
 * <p>Without a topology (the node runs alone) the three commands answer {@code -ERR This instance
 * has cluster support disabled}, as Redis does when {@code cluster-enabled} is off.
 */
public final class RedisClusterCommands {

  static final String CLUSTER_DISABLED = "ERR This instance has cluster support disabled";

  private RedisClusterCommands() {}

  static void register(CommandRegistry r) {
    r.add("readonly", 1, "loading stale fast", 0, 0, 0, "fast connection", "cluster", "3.0.0",
        "Enables read-only queries for a connection to a Redis Cluster replica node.",
        RedisClusterCommands::readonly);
    r.add("readwrite", 1, "loading stale fast", 0, 0, 0, "fast connection", "cluster", "3.0.0",
        "Enables read-write queries for a connection to a Redis Cluster replica node.",
        RedisClusterCommands::readwrite);
    r.add("asking", 1, "fast", 0, 0, 0, "fast connection", "cluster", "3.0.0",
        "Signals that a cluster client is following an -ASK redirect.",
        RedisClusterCommands::asking);
  }

  static void readonly(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    requireCluster(n);
    s.enterClusterMode();
    s.readOnly(true);
    s.writer().ok(out);
  }

  static void readwrite(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    requireCluster(n);
    s.enterClusterMode();
    s.readOnly(false);
    s.writer().ok(out);
  }

  static void asking(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    requireCluster(n);
    s.asking(true);
    s.writer().ok(out);
  }

  /** The topology, or the Redis error for a node without cluster support. */
  static ClusterTopology requireCluster(NodeContext n) {
    ClusterTopology topology = n.topology();
    if (topology == null) {
      throw new CommandException(CLUSTER_DISABLED);
    }
    return topology;
  }

  /**
   * The {@code -MOVED} check, run by the connection handler for every command after the arity and
   * authentication checks and before the command runs or is handed to the cluster. Clears the
   * one-shot {@code ASKING} flag. If the command must be redirected, writes {@code -MOVED <slot>
   * <host>:<port>} to {@code out} and returns {@code true}: the command must then not run.
   *
   * <p>Event loop of {@code session}; does not block or throw; allocates only when it redirects
   * (and for the key list of a keyed command on a cluster-mode connection).
   */
  public static boolean redirected(
      NodeContext node, ClientSession session, CommandSpec spec, byte[][] args, ByteBuf out) {
    session.takeAsking();
    if (!session.clusterMode()) {
      return false;
    }
    ClusterTopology topology = node.topology();
    if (topology == null) {
      return false;
    }
    byte[][] keys = CommandKeys.of(spec, args);
    if (keys.length == 0) {
      return false;
    }
    int slot = Slots.slot(keys[0]);
    for (int i = 1; i < keys.length; i++) {
      if (Slots.slot(keys[i]) != slot) {
        return false;
      }
    }
    ConsistentHashRing ring = topology.ring();
    String primary = ring.primary(slot).id();
    String self = topology.selfId();
    if (primary.equals(self)) {
      return false;
    }
    if (session.readOnly()
        && spec.flags().contains("readonly")
        && ring.replicates(ring.memberIndex(self), slot)) {
      return false;
    }
    ClientAddress address = topology.clientAddress(primary);
    if (address == null) {
      return false;
    }
    session.writer().error(out, "MOVED " + slot + " " + address.host() + ":" + address.port());
    return true;
  }
}
