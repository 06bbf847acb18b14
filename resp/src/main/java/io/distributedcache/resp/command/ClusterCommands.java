package io.distributedcache.resp.command;

import static io.distributedcache.resp.command.Args.is;

import io.distributedcache.core.cluster.ClusterSession;
import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.engine.CommandException;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.resp.codec.RespWriter;
import io.distributedcache.resp.server.ClientSession;
import io.distributedcache.resp.server.ClusterAdmin;
import io.distributedcache.resp.server.ClusterTopology;
import io.distributedcache.resp.server.NodeContext;
import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code CLUSTER} and its subcommands, and {@code CONSISTENCY}.
 *
 * <p>{@code CLUSTER KEYSLOT} is slot arithmetic and works on any node. Every other subcommand
 * describes the cluster this node belongs to (through {@link NodeContext#topology()}) and answers
 * {@code -ERR This instance has cluster support disabled} on a node that runs alone, as Redis does.
 * The topology replies are written by {@link ClusterLayoutReplies} from one {@link ClusterLayout};
 * how our layout maps onto Redis Cluster's is described there, redirection on {@link
 * RedisClusterCommands}. Any {@code CLUSTER} subcommand puts the connection in cluster mode
 * ({@link ClientSession#enterClusterMode()}).
 *
 * <p>Subcommands are checked as Redis 7 checks them: an unknown name first ({@code -ERR unknown
 * subcommand}), then the arity ({@code -ERR wrong number of arguments for 'cluster|x' command}),
 * then whether cluster support is on.
 */
final class ClusterCommands {

  /** The subcommands we answer and their Redis arities (the full command, name included). */
  private static final Map<String, Integer> SUBCOMMAND_ARITY =
      Map.ofEntries(
          Map.entry("SLOTS", 2),
          Map.entry("SHARDS", 2),
          Map.entry("NODES", 2),
          Map.entry("INFO", 2),
          Map.entry("MYID", 2),
          Map.entry("MYSHARDID", 2),
          Map.entry("KEYSLOT", 3),
          Map.entry("COUNTKEYSINSLOT", 3),
          Map.entry("GETKEYSINSLOT", 4),
          Map.entry("LEAVE", 3),
          Map.entry("VERIFY", 2),
          Map.entry("HELP", 2));

  private ClusterCommands() {}

  static void register(CommandRegistry r) {
    r.add("cluster", -2, "", 0, 0, 0, "slow", "cluster", "3.0.0",
        "A container for Redis Cluster commands.", ClusterCommands::cluster);
    r.add("consistency", -1, "fast", 0, 0, 0, "connection fast", "cluster", "7.4.0",
        "Sets or shows the connection's consistency levels (ONE, QUORUM, ALL).",
        ClusterCommands::consistency);
    RedisClusterCommands.register(r);
  }

  /**
   * {@code CONSISTENCY} reports the levels: the level when reads and writes share it, else {@code
   * READ <level> WRITE <level>}. {@code CONSISTENCY <level>} sets both; {@code CONSISTENCY READ
   * <level>} and {@code CONSISTENCY WRITE <level>} set one (like cqlsh's CONSISTENCY, split).
   */
  static void consistency(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    ClusterSession cluster = s.cluster();
    RespWriter w = s.writer();
    if (a.length == 1) {
      ConsistencyLevel read = cluster.readLevel();
      ConsistencyLevel write = cluster.writeLevel();
      w.simple(out, read == write ? read.name() : "READ " + read + " WRITE " + write);
    } else if (a.length == 2) {
      ConsistencyLevel level = level(a[1]);
      cluster.readLevel(level);
      cluster.writeLevel(level);
      w.ok(out);
    } else if (a.length == 3 && is(a[1], "READ")) {
      cluster.readLevel(level(a[2]));
      w.ok(out);
    } else if (a.length == 3 && is(a[1], "WRITE")) {
      cluster.writeLevel(level(a[2]));
      w.ok(out);
    } else {
      throw new CommandException("ERR syntax error: CONSISTENCY [READ|WRITE] ONE|QUORUM|ALL");
    }
  }

  private static ConsistencyLevel level(byte[] arg) {
    try {
      return ConsistencyLevel.parse(Args.text(arg));
    } catch (IllegalArgumentException e) {
      throw new CommandException("ERR " + e.getMessage());
    }
  }

  static void cluster(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    s.enterClusterMode();
    String sub = Args.text(a[1]).toUpperCase(Locale.ROOT);
    Integer arity = SUBCOMMAND_ARITY.get(sub);
    if (arity == null) {
      throw ConnectionCommands.unknownSubcommand(a, "CLUSTER");
    }
    if (a.length != arity) {
      throw new CommandException(
          "ERR wrong number of arguments for 'cluster|" + sub.toLowerCase(Locale.ROOT)
              + "' command");
    }
    RespWriter w = s.writer();
    if (sub.equals("KEYSLOT")) {
      w.integer(out, Slots.slot(a[2]));
      return;
    }
    ClusterTopology topology = RedisClusterCommands.requireCluster(n);
    switch (sub) {
      case "SLOTS" -> ClusterLayoutReplies.slots(ClusterLayout.of(topology), w, out);
      case "SHARDS" -> ClusterLayoutReplies.shards(ClusterLayout.of(topology), w, out);
      case "NODES" -> w.verbatim(out, "txt", ClusterLayoutReplies.nodes(ClusterLayout.of(topology)));
      case "INFO" -> {
        List<String> lines =
            new java.util.ArrayList<>(ClusterLayoutReplies.infoLines(ClusterLayout.of(topology)));
        ClusterAdmin admin = n.admin();
        if (admin != null) {
          for (Map.Entry<String, Object> e : admin.figures().entrySet()) {
            lines.add("dc_" + e.getKey() + ":" + e.getValue());
          }
        }
        w.verbatim(out, "txt", ClusterLayoutReplies.joinInfo(lines));
      }
      case "LEAVE" -> {
        ClusterAdmin admin = n.admin();
        if (admin == null) {
          throw new CommandException("ERR this node has no control plane");
        }
        String refused = admin.leave(Args.text(a[2]));
        if (refused != null) {
          throw new CommandException("ERR cannot leave: " + refused);
        }
        w.ok(out);
      }
      case "VERIFY" ->
          // Runs asynchronously in the connection handler; reaching here means no admin.
          throw new CommandException("ERR this node has no control plane");
      case "MYID" -> w.bulk(out, ClusterLayout.redisNodeId(topology.selfId()));
      case "MYSHARDID" -> w.bulk(out, ClusterLayoutReplies.myShardId(ClusterLayout.of(topology)));
      case "COUNTKEYSINSLOT" -> w.integer(out, countKeysInSlot(n, a[2]));
      case "GETKEYSINSLOT" -> w.bulkArray(out, getKeysInSlot(n, a[2], a[3]));
      case "HELP" -> help(w, out);
      default -> throw new IllegalStateException("subcommand without a handler: " + sub);
    }
  }

  /**
   * Live keys of {@code slot} in this node's own copy: entries that have expired (but are not
   * removed yet) and tombstones are not counted, unlike Redis, which counts expired keys until
   * they are evicted; this way the count agrees with {@code GETKEYSINSLOT}.
   */
  private static long countKeysInSlot(NodeContext n, byte[] slotArg) {
    long slot = Args.parseLong(slotArg);
    if (slot < 0 || slot >= Slots.SLOT_COUNT) {
      throw new CommandException("ERR Invalid slot");
    }
    long[] count = new long[1];
    n.engine()
        .storage()
        .forEachEntryInSlot(
            (int) slot,
            (key, value) -> {
              if (!value.isTombstone()) {
                count[0]++;
              }
            });
    return count[0];
  }

  /** Up to {@code count} live keys of {@code slot} in this node's own copy. */
  private static List<byte[]> getKeysInSlot(NodeContext n, byte[] slotArg, byte[] countArg) {
    long slot = Args.parseLong(slotArg);
    long count = Args.parseLong(countArg);
    if (slot < 0 || slot >= Slots.SLOT_COUNT || count < 0) {
      throw new CommandException("ERR Invalid slot or number of keys");
    }
    return n.engine().getKeysInSlot((int) slot, (int) Math.min(count, Integer.MAX_VALUE));
  }

  private static void help(RespWriter w, ByteBuf out) {
    ConnectionCommands.help(w, out, "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "COUNTKEYSINSLOT <slot>",
        "    Return the number of keys in <slot> held by this node.",
        "GETKEYSINSLOT <slot> <count>",
        "    Return key names stored by this node in a slot.",
        "INFO",
        "    Return information about the cluster.",
        "KEYSLOT <key>",
        "    Return the hash slot for <key>.",
        "LEAVE <node-name>",
        "    Remove a member gracefully: its slots move to the others, then it stops.",
        "MYID",
        "    Return the node id (SHA-1 of the node name).",
        "MYSHARDID",
        "    Return the id of the shard this node is primary of first.",
        "NODES",
        "    Return cluster configuration seen by node. Output format:",
        "    <id> <ip:port@cport> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
        "SHARDS",
        "    Return information about slot range mappings and the nodes associated with them.",
        "SLOTS",
        "    Return information about slots range mappings. Each range is made of:",
        "    start, end, master and replicas IP addresses, ports and ids",
        "VERIFY",
        "    Compare every copy of every slot: missing, stale and misplaced copies.",
        "HELP",
        "    Print this help.");
  }
}
