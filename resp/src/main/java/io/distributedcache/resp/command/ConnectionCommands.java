package io.distributedcache.resp.command;

import static io.distributedcache.resp.command.Args.is;

import io.distributedcache.core.engine.CommandException;
import io.distributedcache.resp.codec.RespWriter;
import io.distributedcache.resp.server.ClientSession;
import io.distributedcache.resp.server.NodeContext;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/** Connection commands: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO and CLIENT. */
final class ConnectionCommands {

  static final String NOAUTH = "NOAUTH Authentication required.";
  static final String WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";

  private ConnectionCommands() {}

  static void register(CommandRegistry r) {
    r.add("ping", -1, "fast", 0, 0, 0, "fast connection", "connection", "1.0.0",
        "Returns the server's liveliness response.", ConnectionCommands::ping);
    r.add("echo", 2, "fast", 0, 0, 0, "fast connection", "connection", "1.0.0",
        "Returns the given string.", (n, s, a, out) -> s.writer().bulk(out, a[1]));
    r.add("quit", -1, "no_auth fast", 0, 0, 0, "fast connection", "connection", "1.0.0",
        "Closes the connection.", ConnectionCommands::quit);
    r.add("reset", 1, "no_auth fast", 0, 0, 0, "fast connection", "connection", "6.2.0",
        "Resets the connection.", ConnectionCommands::reset);
    r.add("select", 2, "fast", 0, 0, 0, "fast connection", "connection", "2.0.0",
        "Changes the selected database. Only database 0 exists.", ConnectionCommands::select);
    r.add("auth", -2, "no_auth fast", 0, 0, 0, "fast connection", "connection", "1.0.0",
        "Authenticates the connection.", ConnectionCommands::auth);
    r.add("hello", -1, "no_auth fast", 0, 0, 0, "fast connection", "connection", "6.0.0",
        "Handshakes with the Redis server.", ConnectionCommands::hello);
    r.add("client", -2, "", 0, 0, 0, "slow connection", "connection", "2.4.0",
        "A container for client connection commands.", ConnectionCommands::client);
  }

  static void ping(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    if (a.length > 2) {
      throw new CommandException("ERR wrong number of arguments for 'ping' command");
    }
    if (a.length == 2) {
      s.writer().bulk(out, a[1]);
    } else {
      s.writer().simple(out, "PONG");
    }
  }

  static void quit(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    s.writer().ok(out);
    s.closeAfterReply();
  }

  static void reset(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    s.protocol(2);
    s.name("");
    s.authenticated(!s.passwordRequired(), n.settings().limits());
    s.writer().simple(out, "RESET");
  }

  static void select(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    long db = Args.parseLong(a[1]);
    if (db != 0) {
      throw new CommandException("ERR DB index is out of range");
    }
    s.writer().ok(out);
  }

  /** AUTH password, or AUTH username password with the only user there is: "default". */
  static void auth(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    if (a.length > 3) {
      throw new CommandException(Args.SYNTAX_ERROR);
    }
    if (a.length == 2 && !n.settings().passwordRequired()) {
      throw new CommandException(
          "ERR AUTH <password> called without any password configured for the default user. Are"
              + " you sure your configuration is correct?");
    }
    byte[] user = a.length == 3 ? a[1] : null;
    byte[] password = a.length == 3 ? a[2] : a[1];
    checkCredentials(n, s, user, password);
    s.writer().ok(out);
  }

  private static void checkCredentials(
      NodeContext n, ClientSession s, byte[] user, byte[] password) {
    boolean userOk = user == null || "default".equals(Args.text(user));
    boolean passwordOk;
    if (n.settings().passwordRequired()) {
      // Constant-time comparison: the time taken must not reveal how much of a guess was right.
      passwordOk =
          MessageDigest.isEqual(
              n.settings().requirePass().getBytes(StandardCharsets.UTF_8), password);
    } else {
      // With no password configured the default user accepts any password, as in Redis.
      passwordOk = true;
    }
    if (!userOk || !passwordOk) {
      throw new CommandException(WRONGPASS);
    }
    s.authenticated(true, n.settings().limits());
  }

  /** HELLO [protover [AUTH username password] [SETNAME clientname]]. */
  static void hello(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    int protocol = s.protocol();
    int i = 1;
    if (a.length > 1) {
      long requested;
      try {
        requested = Args.parseLong(a[1]);
      } catch (CommandException e) {
        throw new CommandException("ERR Protocol version is not an integer or out of range");
      }
      if (requested != 2 && requested != 3) {
        throw new CommandException("NOPROTO unsupported protocol version");
      }
      protocol = (int) requested;
      i = 2;
    }
    byte[] user = null;
    byte[] password = null;
    String name = null;
    for (; i < a.length; i++) {
      if (is(a[i], "AUTH") && a.length - i - 1 >= 2) {
        user = a[i + 1];
        password = a[i + 2];
        i += 2;
      } else if (is(a[i], "SETNAME") && a.length - i - 1 >= 1) {
        name = Args.text(a[i + 1]);
        validateName(name);
        i += 1;
      } else {
        throw new CommandException("ERR Syntax error in HELLO option '" + Args.text(a[i]) + "'");
      }
    }
    if (password != null) {
      checkCredentials(n, s, user, password);
    }
    if (!s.authenticated()) {
      throw new CommandException(
          "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO"
              + " <proto> AUTH <user> <pass> option can be used to authenticate the client and"
              + " select the RESP protocol version at the same time");
    }
    if (name != null) {
      s.name(name);
    }
    s.protocol(protocol);
    RespWriter w = s.writer();
    // "server" and "version" speak for the Redis dialect we follow (clients gate features on them);
    // the last field names the real server and its own version.
    w.mapHeader(out, 8);
    w.bulk(out, "server");
    w.bulk(out, "redis");
    w.bulk(out, "version");
    w.bulk(out, NodeContext.REDIS_COMPATIBLE_VERSION);
    w.bulk(out, "proto");
    w.integer(out, protocol);
    w.bulk(out, "id");
    w.integer(out, s.id());
    w.bulk(out, "mode");
    w.bulk(out, "standalone");
    w.bulk(out, "role");
    w.bulk(out, "master");
    w.bulk(out, "modules");
    w.arrayHeader(out, 0);
    w.bulk(out, "distributedcache_version");
    w.bulk(out, NodeContext.VERSION);
  }

  private static void validateName(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < '!' || c > '~') {
        throw new CommandException(
            "ERR Client names cannot contain spaces, newlines or special characters.");
      }
    }
  }

  /** CLIENT ID | SETNAME | GETNAME | LIST | INFO | SETINFO | NO-EVICT | NO-TOUCH | HELP. */
  static void client(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    RespWriter w = s.writer();
    byte[] sub = a[1];
    if (is(sub, "ID") && a.length == 2) {
      w.integer(out, s.id());
    } else if (is(sub, "SETNAME") && a.length == 3) {
      String name = Args.text(a[2]);
      validateName(name);
      s.name(name);
      w.ok(out);
    } else if (is(sub, "GETNAME") && a.length == 2) {
      w.bulk(out, s.name().isEmpty() ? null : Args.bytes(s.name()));
    } else if (is(sub, "LIST") && a.length == 2) {
      long now = n.ticker().read();
      StringBuilder sb = new StringBuilder();
      List<ClientSession> sessions = new ArrayList<>(n.clients());
      sessions.sort((x, y) -> Long.compare(x.id(), y.id()));
      for (ClientSession c : sessions) {
        sb.append(c.describe(now)).append('\n');
      }
      w.verbatim(out, "txt", sb.toString());
    } else if (is(sub, "INFO") && a.length == 2) {
      w.verbatim(out, "txt", s.describe(n.ticker().read()) + "\n");
    } else if (is(sub, "SETINFO") && a.length == 4) {
      String value = Args.text(a[3]);
      if (is(a[2], "LIB-NAME")) {
        validateName(value);
        s.libName(value);
      } else if (is(a[2], "LIB-VER")) {
        validateName(value);
        s.libVersion(value);
      } else {
        throw new CommandException("ERR Unrecognized option '" + Args.text(a[2]) + "'");
      }
      w.ok(out);
    } else if ((is(sub, "NO-EVICT") || is(sub, "NO-TOUCH")) && a.length == 3) {
      // Accepted for compatibility: our eviction is W-TinyLFU over all keys and reads through this
      // connection do not need exempting, so ON and OFF change nothing.
      if (!is(a[2], "ON") && !is(a[2], "OFF")) {
        throw new CommandException(Args.SYNTAX_ERROR);
      }
      w.ok(out);
    } else if (is(sub, "HELP") && a.length == 2) {
      help(w, out, "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "ID", "    Return the ID of the current connection.",
          "SETNAME <name>", "    Assign the name <name> to the current connection.",
          "GETNAME", "    Return the name of the current connection.",
          "LIST", "    Return information about client connections.",
          "INFO", "    Return information about the current client connection.",
          "SETINFO <LIB-NAME|LIB-VER> <value>", "    Set client library name or version.",
          "NO-EVICT (ON|OFF)", "    Accepted; has no effect on this server.",
          "NO-TOUCH (ON|OFF)", "    Accepted; has no effect on this server.",
          "HELP", "    Print this help.");
    } else {
      throw unknownSubcommand(a, "CLIENT");
    }
  }

  static CommandException unknownSubcommand(byte[][] a, String container) {
    return new CommandException(
        "ERR unknown subcommand '" + Args.text(a[1]) + "'. Try " + container + " HELP.");
  }

  static void help(RespWriter w, ByteBuf out, String... lines) {
    w.arrayHeader(out, lines.length);
    for (String line : lines) {
      w.simple(out, line);
    }
  }
}
