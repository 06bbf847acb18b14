package io.distributedcache.resp.command;

import static io.distributedcache.resp.command.Args.is;

import io.distributedcache.core.engine.CommandException;
import io.distributedcache.core.engine.GlobPattern;
import io.distributedcache.resp.codec.RespWriter;
import io.distributedcache.resp.server.ClientSession;
import io.distributedcache.resp.server.NodeContext;
import io.distributedcache.resp.server.ServerInfo;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Server commands: COMMAND, CONFIG (GET, SET, HELP), INFO, DBSIZE, FLUSHDB, FLUSHALL, TIME. */
final class ServerCommands {

  private ServerCommands() {}

  static void register(CommandRegistry r) {
    r.add("command", -1, "loading stale", 0, 0, 0, "slow connection", "server", "2.8.13",
        "Returns detailed information about all commands.", ServerCommands::command);
    // As Redis 7: the container is only "slow"; CONFIG GET is admin and dangerous (see
    // CommandRegistry).
    r.add("config", -2, "admin", 0, 0, 0, "slow", "server", "2.0.0",
        "A container for server configuration commands.", ServerCommands::config);
    r.add("info", -1, "loading stale", 0, 0, 0, "slow dangerous", "server", "1.0.0",
        "Returns information and statistics about the server.", ServerCommands::info);
    r.add("dbsize", 1, "readonly fast", 0, 0, 0, "keyspace read fast", "server", "1.0.0",
        "Returns the number of keys in the database.",
        (n, s, a, out) -> s.writer().integer(out, n.engine().dbSize()));
    r.add("flushdb", -1, "write", 0, 0, 0, "keyspace write slow dangerous", "server", "1.0.0",
        "Removes all keys from the current database.", ServerCommands::flush);
    r.add("flushall", -1, "write", 0, 0, 0, "keyspace write slow dangerous", "server", "1.0.0",
        "Removes all keys from all databases.", ServerCommands::flush);
    r.add("time", 1, "loading stale fast", 0, 0, 0, "fast", "server", "2.6.0",
        "Returns the server time.", ServerCommands::time);
  }

  static void flush(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    // ASYNC and SYNC are both accepted; clearing the store is synchronous either way.
    if (a.length > 2 || (a.length == 2 && !is(a[1], "ASYNC") && !is(a[1], "SYNC"))) {
      throw new CommandException(Args.SYNTAX_ERROR);
    }
    n.engine().flushAll();
    s.writer().ok(out);
  }

  static void time(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    long millis = n.wallClock().currentTimeMillis();
    RespWriter w = s.writer();
    w.arrayHeader(out, 2);
    w.bulk(out, Long.toString(Math.floorDiv(millis, 1000)));
    w.bulk(out, Long.toString(Math.floorMod(millis, 1000) * 1000));
  }

  static void info(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    List<String> sections = new ArrayList<>();
    for (int i = 1; i < a.length; i++) {
      sections.add(Args.lower(a[i]));
    }
    s.writer().verbatim(out, "txt", ServerInfo.render(n, sections));
  }

  // ---- COMMAND ----

  static void command(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    CommandTable table = n.commands();
    RespWriter w = s.writer();
    if (a.length == 1) {
      w.arrayHeader(out, table.all().size());
      for (CommandSpec spec : table.all()) {
        writeInfo(w, out, spec);
      }
      return;
    }
    byte[] sub = a[1];
    if (is(sub, "COUNT") && a.length == 2) {
      w.integer(out, table.all().size());
    } else if (is(sub, "LIST") && a.length == 2) {
      w.arrayHeader(out, table.all().size());
      for (CommandSpec spec : table.all()) {
        w.bulk(out, spec.name());
      }
    } else if (is(sub, "INFO")) {
      if (a.length == 2) {
        w.arrayHeader(out, table.all().size());
        for (CommandSpec spec : table.all()) {
          writeInfo(w, out, spec);
        }
        return;
      }
      w.arrayHeader(out, a.length - 2);
      for (int i = 2; i < a.length; i++) {
        CommandSpec spec = table.lookup(a[i]);
        if (spec == null) {
          w.nullArray(out);
        } else {
          writeInfo(w, out, spec);
        }
      }
    } else if (is(sub, "DOCS")) {
      List<CommandSpec> specs = new ArrayList<>();
      if (a.length == 2) {
        specs.addAll(table.all());
      } else {
        for (int i = 2; i < a.length; i++) {
          CommandSpec spec = table.lookup(a[i]);
          if (spec != null) {
            specs.add(spec);
          }
        }
      }
      w.mapHeader(out, specs.size());
      for (CommandSpec spec : specs) {
        w.bulk(out, spec.name());
        w.mapHeader(out, 3);
        w.bulk(out, "summary");
        w.bulk(out, spec.summary());
        w.bulk(out, "since");
        w.bulk(out, spec.since());
        w.bulk(out, "group");
        w.bulk(out, spec.group());
      }
    } else if (is(sub, "HELP") && a.length == 2) {
      ConnectionCommands.help(w, out, "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "(no subcommand)", "    Return details about all commands.",
          "COUNT", "    Return the total number of commands in this server.",
          "LIST", "    Return a list of all commands in this server.",
          "INFO [<command-name> ...]", "    Return details about multiple commands.",
          "DOCS [<command-name> ...]", "    Return documentation details about multiple commands.",
          "HELP", "    Print this help.");
    } else {
      throw ConnectionCommands.unknownSubcommand(a, "COMMAND");
    }
  }

  private static void writeInfo(RespWriter w, ByteBuf out, CommandSpec spec) {
    w.arrayHeader(out, 10);
    w.bulk(out, spec.name());
    w.integer(out, spec.arity());
    w.setHeader(out, spec.flags().size());
    for (String flag : spec.flags()) {
      w.simple(out, flag);
    }
    w.integer(out, spec.firstKey());
    w.integer(out, spec.lastKey());
    w.integer(out, spec.keyStep());
    w.setHeader(out, spec.aclCategories().size());
    for (String category : spec.aclCategories()) {
      w.simple(out, "@" + category);
    }
    w.arrayHeader(out, 0); // tips
    w.arrayHeader(out, 0); // key specifications: first/last/step above describe our keys fully
    w.arrayHeader(out, 0); // subcommands
  }

  // ---- CONFIG ----

  static void config(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    RespWriter w = s.writer();
    if (is(a[1], "GET") && a.length >= 3) {
      Map<String, String> all = configValues(n);
      Map<String, String> matched = new LinkedHashMap<>();
      for (int i = 2; i < a.length; i++) {
        GlobPattern pattern = GlobPattern.compile(Args.lower(a[i]).getBytes(StandardCharsets.UTF_8));
        for (Map.Entry<String, String> e : all.entrySet()) {
          if (pattern.matches(e.getKey().getBytes(StandardCharsets.UTF_8))) {
            matched.put(e.getKey(), e.getValue());
          }
        }
      }
      w.mapHeader(out, matched.size());
      for (Map.Entry<String, String> e : matched.entrySet()) {
        w.bulk(out, e.getKey());
        w.bulk(out, e.getValue());
      }
    } else if (is(a[1], "SET")) {
      configSet(n, a);
      w.ok(out);
    } else if (is(a[1], "HELP") && a.length == 2) {
      ConnectionCommands.help(w, out, "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
          "SET <directive> <value> [<directive> <value> ...]",
          "    Set the configuration <directive> to <value>. Only slowlog-log-slower-than and",
          "    slowlog-max-len can be changed at run time.",
          "HELP", "    Print this help.");
    } else {
      throw ConnectionCommands.unknownSubcommand(a, "CONFIG");
    }
  }

  /**
   * {@code CONFIG SET name value [name value ...]}: all or nothing, as Redis 7. Only the slow log's
   * two parameters change at run time; any other name is answered as Redis answers an unknown
   * one, so a client cannot believe it changed something that stayed as it was.
   */
  private static void configSet(NodeContext n, byte[][] a) {
    if (a.length < 4 || (a.length - 2) % 2 != 0) {
      throw new CommandException("ERR wrong number of arguments for 'config|set' command");
    }
    long slowerThan = n.slowLog().slowerThanMicros();
    long maxLen = n.slowLog().maxLen();
    Set<String> seen = new HashSet<>();
    for (int i = 2; i < a.length; i += 2) {
      String name = Args.lower(a[i]);
      if (!name.equals("slowlog-log-slower-than") && !name.equals("slowlog-max-len")) {
        throw new CommandException(
            "ERR Unknown option or number of arguments for CONFIG SET - '" + Args.text(a[i])
                + "'");
      }
      if (!seen.add(name)) {
        throw configSetFailed(name, "duplicate parameter");
      }
      long value;
      try {
        value = Args.parseLong(a[i + 1]);
      } catch (CommandException e) {
        throw configSetFailed(name, "argument couldn't be parsed into an integer");
      }
      if (name.equals("slowlog-log-slower-than")) {
        if (value < -1) {
          throw configSetFailed(
              name, "argument must be between -1 and " + Long.MAX_VALUE + " inclusive");
        }
        slowerThan = value;
      } else {
        if (value < 0) {
          throw configSetFailed(
              name, "argument must be between 0 and " + Long.MAX_VALUE + " inclusive");
        }
        maxLen = value;
      }
    }
    n.configureSlowLog(slowerThan, (int) Math.min(maxLen, Integer.MAX_VALUE));
  }

  private static CommandException configSetFailed(String name, String why) {
    return new CommandException(
        "ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + why);
  }

  /** The configuration as it really is; nothing here is a placeholder. */
  static Map<String, String> configValues(NodeContext n) {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("bind", n.settings().bindAddress());
    c.put("port", Integer.toString(n.port()));
    c.put("requirepass", n.settings().requirePass());
    c.put("maxmemory", Long.toString(n.settings().maxMemoryBytes()));
    c.put("maxmemory-policy", "w-tinylfu");
    c.put("proto-max-bulk-len", Integer.toString(n.settings().limits().maxBulkBytes()));
    c.put("proto-max-multibulk-len", Integer.toString(n.settings().limits().maxArrayLength()));
    c.put("proto-max-inline-len", Integer.toString(n.settings().limits().maxInlineBytes()));
    c.put("io-threads", Integer.toString(n.ioThreads()));
    c.put("databases", "1");
    c.put("timeout", "0");
    c.put("save", "");
    c.put("appendonly", "no");
    c.put("cluster-enabled", "no");
    c.put("slowlog-log-slower-than", Long.toString(n.slowLog().slowerThanMicros()));
    c.put("slowlog-max-len", Integer.toString(n.slowLog().maxLen()));
    return c;
  }
}
