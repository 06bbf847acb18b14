package io.distributedcache.resp.command;

import io.distributedcache.core.engine.CommandException;
import io.distributedcache.resp.codec.RespWriter;
import io.distributedcache.resp.server.AclCommandIndex;
import io.distributedcache.resp.server.AclRegistry;
import io.distributedcache.resp.server.AclUser;
import io.distributedcache.resp.server.AclUserState;
import io.distributedcache.resp.server.ClientSession;
import io.distributedcache.resp.server.NodeContext;
import io.netty.buffer.ByteBuf;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code ACL} with Redis 7's subcommands for users and permissions: SETUSER, GETUSER, DELUSER,
 * LIST, USERS, WHOAMI, CAT, DRYRUN, GENPASS and HELP. Users live in the node's {@link
 * AclRegistry}; they are node-local (no ACL file, no replication to other members).
 *
 * <p>Runs on the calling connection's event loop; SETUSER and DELUSER take the registry's lock
 * briefly, nothing blocks.
 */
final class AclCommands {

  private static final SecureRandom RANDOM = new SecureRandom();

  private AclCommands() {}

  static void register(CommandRegistry r) {
    r.add("acl", -2, "", 0, 0, 0, "slow", "server", "6.0.0",
        "A container for Access List Control commands.", AclCommands::acl);
  }

  static void acl(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    RespWriter w = s.writer();
    byte[] sub = a[1];
    AclRegistry acl = n.acl();
    if (Args.is(sub, "SETUSER") && a.length >= 3) {
      List<String> rules = new ArrayList<>(a.length - 3);
      for (int i = 3; i < a.length; i++) {
        rules.add(Args.text(a[i]));
      }
      try {
        acl.setUser(Args.text(a[2]), rules);
      } catch (AclUserState.RuleException | IllegalArgumentException e) {
        throw new CommandException("ERR " + e.getMessage());
      }
      w.ok(out);
    } else if (Args.is(sub, "GETUSER") && a.length == 3) {
      AclUser user = acl.user(Args.text(a[2]));
      if (user == null) {
        w.nullBulk(out);
        return;
      }
      writeUser(w, out, user.state());
    } else if (Args.is(sub, "DELUSER") && a.length >= 3) {
      List<String> names = new ArrayList<>(a.length - 2);
      for (int i = 2; i < a.length; i++) {
        names.add(Args.text(a[i]));
      }
      List<AclUser> removed;
      try {
        removed = acl.deleteUsers(names);
      } catch (IllegalArgumentException e) {
        throw new CommandException("ERR " + e.getMessage());
      }
      disconnectClientsOf(n, s, removed);
      w.integer(out, removed.size());
    } else if (Args.is(sub, "LIST") && a.length == 2) {
      List<AclUser> users = acl.users();
      w.arrayHeader(out, users.size());
      for (AclUser user : users) {
        w.bulk(out, AclRegistry.describe(user));
      }
    } else if (Args.is(sub, "USERS") && a.length == 2) {
      List<String> names = acl.names();
      w.arrayHeader(out, names.size());
      for (String name : names) {
        w.bulk(out, name);
      }
    } else if (Args.is(sub, "WHOAMI") && a.length == 2) {
      w.bulk(out, s.user().name());
    } else if (Args.is(sub, "CAT") && a.length <= 3) {
      List<String> names;
      if (a.length == 2) {
        names = AclCommandIndex.CATEGORIES;
      } else {
        names = acl.index().categoryMembers(Args.text(a[2]));
        if (names == null) {
          throw new CommandException("ERR Unknown category '" + Args.text(a[2]) + "'");
        }
      }
      w.arrayHeader(out, names.size());
      for (String name : names) {
        w.bulk(out, name);
      }
    } else if (Args.is(sub, "DRYRUN") && a.length >= 4) {
      dryRun(n, w, a, out);
    } else if (Args.is(sub, "GENPASS") && a.length <= 3) {
      long bits = a.length == 3 ? parseBits(a[2]) : 256;
      byte[] random = new byte[(int) ((bits + 7) / 8)];
      RANDOM.nextBytes(random);
      // As Redis: one hex digit per 4 bits, rounded up.
      w.bulk(out, HexFormat.of().formatHex(random).substring(0, (int) ((bits + 3) / 4)));
    } else if (Args.is(sub, "HELP") && a.length == 2) {
      ConnectionCommands.help(w, out,
          "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "CAT [<category>]",
          "    List all commands that belong to <category>, or all command categories",
          "    when no category is specified.",
          "DELUSER <username> [<username> ...]",
          "    Delete a list of users.",
          "DRYRUN <username> <command> [<arg> ...]",
          "    Returns whether the user can execute the given command without executing the"
              + " command.",
          "GETUSER <username>",
          "    Get the user's details.",
          "GENPASS [<bits>]",
          "    Generate a secure 256-bit user password. The optional `bits` argument can",
          "    be used to specify a different size.",
          "LIST",
          "    Show users details in config file format.",
          "SETUSER <username> <attribute> [<attribute> ...]",
          "    Create or modify a user with the specified attributes.",
          "USERS",
          "    List all the registered usernames.",
          "WHOAMI",
          "    Return the current connection username.",
          "HELP",
          "    Prints this help.",
          "Users are local to this node: they are not replicated to other cluster members.");
    } else {
      throw ConnectionCommands.unknownSubcommand(a, "ACL");
    }
  }

  private static long parseBits(byte[] arg) {
    long bits;
    try {
      bits = Args.parseLong(arg);
    } catch (CommandException e) {
      bits = -1;
    }
    if (bits <= 0 || bits > 4096) {
      throw new CommandException(
          "ERR ACL GENPASS argument must be the number of bits for the output password, a"
              + " positive number up to 4096");
    }
    return bits;
  }

  /** ACL GETUSER's map: flags, passwords, commands, keys, channels, selectors (none here). */
  private static void writeUser(RespWriter w, ByteBuf out, AclUserState state) {
    List<String> flags = state.flagNames();
    w.mapHeader(out, 6);
    w.bulk(out, "flags");
    w.arrayHeader(out, flags.size());
    for (String flag : flags) {
      w.bulk(out, flag);
    }
    w.bulk(out, "passwords");
    List<String> hashes = state.passwordHashes();
    w.arrayHeader(out, hashes.size());
    for (String hash : hashes) {
      w.bulk(out, hash);
    }
    w.bulk(out, "commands");
    w.bulk(out, state.commandRulesText());
    w.bulk(out, "keys");
    w.bulk(out, state.keyPatternsText());
    w.bulk(out, "channels");
    w.bulk(out, state.channelPatternsText());
    w.bulk(out, "selectors");
    w.arrayHeader(out, 0);
  }

  /**
   * As Redis: the connections logged in as a deleted user are closed; the caller's own connection
   * (when it deleted its own user) after this reply.
   */
  private static void disconnectClientsOf(
      NodeContext n, ClientSession caller, List<AclUser> users) {
    if (users.isEmpty()) {
      return;
    }
    for (ClientSession client : n.clients()) {
      AclUser user = client.user();
      if (users.stream().anyMatch(u -> u == user)) {
        if (client == caller) {
          client.closeAfterReply();
        } else {
          client.disconnect();
        }
      }
    }
  }

  /** ACL DRYRUN user command [arg ...]: OK, or the reason the user may not run it. */
  private static void dryRun(NodeContext n, RespWriter w, byte[][] a, ByteBuf out) {
    String name = Args.text(a[2]);
    AclUser user = n.acl().user(name);
    if (user == null) {
      throw new CommandException("ERR User '" + name + "' not found");
    }
    CommandSpec spec = n.commands().lookup(a[3]);
    if (spec == null) {
      throw new CommandException("ERR Command '" + Args.text(a[3]) + "' not found");
    }
    byte[][] command = Arrays.copyOfRange(a, 3, a.length);
    if (!spec.arityAccepts(command.length)) {
      throw new CommandException(
          "ERR wrong number of arguments for '" + spec.name() + "' command");
    }
    String denial = n.acl().dryRun(user, spec, command);
    if (denial == null) {
      w.ok(out);
    } else {
      w.bulk(out, denial);
    }
  }
}
