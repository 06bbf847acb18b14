package io.distributedcache.resp.command;

import static io.distributedcache.resp.command.Args.is;

import io.distributedcache.core.cluster.ClusterSession;
import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.engine.CommandException;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.resp.codec.RespWriter;
import io.distributedcache.resp.server.ClientSession;
import io.distributedcache.resp.server.NodeContext;
import io.netty.buffer.ByteBuf;

/**
 * The CLUSTER subcommands a single node can answer truthfully: slot arithmetic and the keys this node
 * holds per slot. Topology subcommands arrive with the cluster; until then they are unknown here.
 */
final class ClusterCommands {

  private ClusterCommands() {}

  static void register(CommandRegistry r) {
    r.add("cluster", -2, "", 0, 0, 0, "slow", "cluster", "3.0.0",
        "A container for Redis Cluster commands.", ClusterCommands::cluster);
    r.add("consistency", -1, "fast", 0, 0, 0, "connection fast", "cluster", "7.4.0",
        "Sets or shows the connection's consistency levels (ONE, QUORUM, ALL).",
        ClusterCommands::consistency);
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
    RespWriter w = s.writer();
    byte[] sub = a[1];
    if (is(sub, "KEYSLOT") && a.length == 3) {
      w.integer(out, Slots.slot(a[2]));
    } else if (is(sub, "COUNTKEYSINSLOT") && a.length == 3) {
      w.integer(out, n.engine().countKeysInSlot(slot(a[2])));
    } else if (is(sub, "GETKEYSINSLOT") && a.length == 4) {
      int slot = slot(a[2]);
      long count = Args.parseLong(a[3]);
      if (count < 0) {
        throw new CommandException("ERR Invalid number of keys");
      }
      w.bulkArray(out, n.engine().getKeysInSlot(slot, (int) Math.min(count, Integer.MAX_VALUE)));
    } else if (is(sub, "HELP") && a.length == 2) {
      ConnectionCommands.help(w, out, "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "KEYSLOT <key>", "    Return the hash slot for <key>.",
          "COUNTKEYSINSLOT <slot>", "    Return the number of keys in <slot>.",
          "GETKEYSINSLOT <slot> <count>", "    Return key names stored by this node in a slot.",
          "HELP", "    Print this help.");
    } else {
      throw ConnectionCommands.unknownSubcommand(a, "CLUSTER");
    }
  }

  private static int slot(byte[] arg) {
    long slot;
    try {
      slot = Args.parseLong(arg);
    } catch (CommandException e) {
      throw new CommandException("ERR Invalid or out of range slot");
    }
    if (slot < 0 || slot >= Slots.SLOT_COUNT) {
      throw new CommandException("ERR Invalid or out of range slot");
    }
    return (int) slot;
  }
}
