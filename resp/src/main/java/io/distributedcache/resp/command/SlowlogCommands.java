package io.distributedcache.resp.command;

import static io.distributedcache.resp.command.Args.is;

import io.distributedcache.core.engine.CommandException;
import io.distributedcache.resp.codec.RespWriter;
import io.distributedcache.resp.server.ClientSession;
import io.distributedcache.resp.server.NodeContext;
import io.distributedcache.resp.server.SlowLog;
import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * {@code SLOWLOG GET [count]}, {@code SLOWLOG LEN}, {@code SLOWLOG RESET} and {@code SLOWLOG HELP},
 * with Redis 7's replies and errors, over the node's {@link SlowLog}. The threshold and length are
 * set with {@code CONFIG SET slowlog-log-slower-than} and {@code slowlog-max-len}.
 *
 * <p>Runs on the calling connection's event loop; takes only the slow log's short lock.
 */
final class SlowlogCommands {

  /** Entries SLOWLOG GET returns without a count, as Redis. */
  private static final int DEFAULT_GET_COUNT = 10;

  private SlowlogCommands() {}

  static void register(CommandRegistry r) {
    // As Redis 7: the container is only "slow"; GET, LEN and RESET are admin and dangerous (see
    // CommandRegistry).
    r.add("slowlog", -2, "admin", 0, 0, 0, "slow", "server", "2.2.12",
        "A container for slow log commands.", SlowlogCommands::slowlog);
  }

  static void slowlog(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    RespWriter w = s.writer();
    SlowLog log = n.slowLog();
    byte[] sub = a[1];
    if (is(sub, "GET")) {
      if (a.length > 3) {
        throw arity("slowlog|get");
      }
      long count = DEFAULT_GET_COUNT;
      if (a.length == 3) {
        count = Args.parseLong(a[2]);
        if (count < -1) {
          throw new CommandException("ERR count should be greater than or equal to -1");
        }
      }
      List<SlowLog.Entry> entries = log.newest(count);
      w.arrayHeader(out, entries.size());
      for (SlowLog.Entry e : entries) {
        w.arrayHeader(out, 6);
        w.integer(out, e.id());
        w.integer(out, e.unixSeconds());
        w.integer(out, e.durationMicros());
        w.bulkArray(out, e.args());
        w.bulk(out, e.clientAddress());
        w.bulk(out, e.clientName());
      }
    } else if (is(sub, "LEN")) {
      if (a.length != 2) {
        throw arity("slowlog|len");
      }
      w.integer(out, log.length());
    } else if (is(sub, "RESET")) {
      if (a.length != 2) {
        throw arity("slowlog|reset");
      }
      log.reset();
      w.ok(out);
    } else if (is(sub, "HELP") && a.length == 2) {
      ConnectionCommands.help(w, out,
          "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "GET [<count>]",
          "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
          "    Entries are made of:",
          "    id, timestamp, time in microseconds, arguments array, client IP and port,",
          "    client name",
          "LEN",
          "    Return the length of the slowlog.",
          "RESET",
          "    Reset the slowlog.",
          "HELP",
          "    Print this help.");
    } else {
      throw ConnectionCommands.unknownSubcommand(a, "SLOWLOG");
    }
  }

  private static CommandException arity(String fullName) {
    return new CommandException("ERR wrong number of arguments for '" + fullName + "' command");
  }
}
