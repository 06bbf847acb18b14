package io.distributedcache.resp.command;

import static io.distributedcache.resp.command.Args.is;

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
