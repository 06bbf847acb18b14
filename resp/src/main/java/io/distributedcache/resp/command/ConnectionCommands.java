package io.distributedcache.resp.command;

import static io.distributedcache.resp.command.Args.is;

import io.distributedcache.core.engine.CommandException;
import io.distributedcache.resp.codec.RespWriter;
import io.distributedcache.resp.server.AclRegistry;
import io.distributedcache.resp.server.AclUser;
import io.distributedcache.resp.server.ClientSession;
import io.distributedcache.resp.server.NodeContext;
import io.netty.buffer.ByteBuf;
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
    // Redis 7 gives the container only "slow"; each subcommand has its own categories (see
    // CommandRegistry), e.g. CLIENT LIST is admin and dangerous, CLIENT ID is connection.
    r.add("client", -2, "", 0, 0, 0, "slow", "connection", "2.4.0",
        "A container for client connection commands.", ConnectionCommands::client);
  }

  static void ping(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    if (a.length > 2) {
      throw new CommandException("ERR wrong number of arguments for 'ping' command");
    }
    if (s.inSubscribedMode()) {
      // A RESP2 subscriber reads every reply as a message-shaped array.
      s.writer().arrayHeader(out, 2);
      s.writer().bulk(out, Args.bytes("pong"));
      s.writer().bulk(out, a.length == 2 ? a[1] : new byte[0]);
    } else if (a.length == 2) {
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
    n.pubSub().forget(s);
    s.trackingOff();
    n.tracking().stopped(s);
    s.protocol(2);
    s.name("");
    // As Redis: back to the default user, logged in only if that user needs no password.
    AclUser defaultUser = n.acl().defaultUser();
    s.user(defaultUser);
    s.authenticated(defaultUser.state().autoAuthenticates(), n.settings().limits());
    s.writer().simple(out, "RESET");
  }

  static void select(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    long db = Args.parseLong(a[1]);
    if (db != 0) {
      throw new CommandException("ERR DB index is out of range");
    }
    s.writer().ok(out);
  }

  /** AUTH password (the default user), or AUTH username password (any ACL user). */
  static void auth(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    if (a.length > 3) {
      throw new CommandException(Args.SYNTAX_ERROR);
    }
    if (a.length == 2 && n.acl().defaultUser().state().autoAuthenticates()) {
      throw new CommandException(
          "ERR AUTH <password> called without any password configured for the default user. Are"
              + " you sure your configuration is correct?");
    }
    byte[] user = a.length == 3 ? a[1] : null;
    byte[] password = a.length == 3 ? a[2] : a[1];
    checkCredentials(n, s, user, password);
    s.writer().ok(out);
  }

  /**
   * Logs the connection in as {@code user} (null: the default user) if it exists, is on and takes
   * {@code password}; a nopass user takes any password, as in Redis. The comparison is of SHA-256
   * digests in constant time (see {@link AclRegistry#authenticate}).
   */
  private static void checkCredentials(
      NodeContext n, ClientSession s, byte[] user, byte[] password) {
    String name = user == null ? AclRegistry.DEFAULT_USER : Args.text(user);
    AclUser authenticated = n.acl().authenticate(name, password);
    if (authenticated == null) {
      throw new CommandException(WRONGPASS);
    }
    s.user(authenticated);
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
    if (!s.authenticated() && !n.acl().defaultUserOpen()) {
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
    } else if (is(sub, "TRACKING") && a.length >= 3) {
      tracking(n, s, a, out);
    } else if (is(sub, "CACHING") && a.length == 3) {
      // As in Redis: this error when tracking is off; with tracking on, YES and NO each say
      // which mode they need.
      if (!s.tracking()) {
        throw new CommandException(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN"
                + " or OPTOUT mode enabled");
      }
      if (is(a[2], "YES") && s.trackingOptIn()) {
        s.cachingNext(true);
      } else if (is(a[2], "NO") && s.trackingOptOut()) {
        s.cachingNext(false);
      } else if (is(a[2], "YES") || is(a[2], "NO")) {
        throw new CommandException(
            "ERR CLIENT CACHING " + Args.text(a[2]).toUpperCase(java.util.Locale.ROOT)
                + " is only valid when tracking is enabled in "
                + (is(a[2], "YES") ? "OPTIN" : "OPTOUT") + " mode.");
      } else {
        throw new CommandException(Args.SYNTAX_ERROR);
      }
      w.ok(out);
    } else if (is(sub, "TRACKINGINFO") && a.length == 2) {
      trackingInfo(s, w, out);
    } else if (is(sub, "GETREDIR") && a.length == 2) {
      w.integer(out, !s.tracking() ? -1 : s.trackingRedirect());
    } else if (is(sub, "HELP") && a.length == 2) {
      help(w, out, "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]] [OPTIN] [OPTOUT]"
              + " [NOLOOP]",
          "    Control server assisted client side caching; invalidations are cluster-wide.",
          "CACHING (YES|NO)", "    Cache (or not) the keys the next command reads (OPTIN/OPTOUT).",
          "TRACKINGINFO", "    Report tracking status for the current connection.",
          "GETREDIR", "    Return the client ID invalidations are redirected to.",
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

  /** CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP]. */
  private static void tracking(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    boolean on;
    if (is(a[2], "ON")) {
      on = true;
    } else if (is(a[2], "OFF")) {
      on = false;
    } else {
      throw new CommandException(Args.SYNTAX_ERROR);
    }
    boolean bcast = false;
    boolean optIn = false;
    boolean optOut = false;
    boolean noLoop = false;
    long redirect = 0;
    List<byte[]> prefixes = new ArrayList<>();
    for (int i = 3; i < a.length; i++) {
      if (is(a[i], "REDIRECT") && i + 1 < a.length) {
        if (redirect != 0) {
          throw new CommandException("ERR A client can only redirect to a single other client");
        }
        redirect = Args.parseLong(a[++i]);
        if (redirect != s.id() && n.client(redirect) == null) {
          throw new CommandException("ERR The client ID you want redirect to does not exist");
        }
      } else if (is(a[i], "BCAST")) {
        bcast = true;
      } else if (is(a[i], "OPTIN")) {
        optIn = true;
      } else if (is(a[i], "OPTOUT")) {
        optOut = true;
      } else if (is(a[i], "NOLOOP")) {
        noLoop = true;
      } else if (is(a[i], "PREFIX") && i + 1 < a.length) {
        prefixes.add(a[++i]);
      } else {
        throw new CommandException(Args.SYNTAX_ERROR);
      }
    }
    if (!on) {
      s.trackingOff();
      n.tracking().stopped(s);
      s.writer().ok(out);
      return;
    }
    if (!prefixes.isEmpty() && !bcast) {
      throw new CommandException("ERR PREFIX option requires BCAST mode to be enabled");
    }
    if (s.tracking() && s.trackingBcast() != bcast) {
      throw new CommandException(
          "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and"
              + " then re-enabling it with a different mode.");
    }
    if (optIn && optOut) {
      throw new CommandException("ERR You can't use OPTIN and OPTOUT at the same time");
    }
    if ((optIn || optOut) && bcast) {
      throw new CommandException("ERR OPTIN and OPTOUT are not compatible with BCAST");
    }
    if (s.tracking() && (s.trackingOptIn() != optIn || s.trackingOptOut() != optOut)) {
      throw new CommandException(
          "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and"
              + " then re-enabling it with a different mode.");
    }
    List<byte[]> all = new ArrayList<>(s.tracking() ? s.trackingPrefixes() : List.of());
    for (byte[] p : prefixes) {
      for (byte[] q : all) {
        if (io.distributedcache.core.invalidation.Invalidation.startsWith(p, q)
            || io.distributedcache.core.invalidation.Invalidation.startsWith(q, p)) {
          throw new CommandException(
              "ERR Prefix '" + Args.text(p) + "' overlaps with an existing prefix '"
                  + Args.text(q) + "'. Prefixes for a single client must not overlap.");
        }
      }
      all.add(p);
    }
    s.trackingOn(bcast, optIn, optOut, noLoop, redirect == s.id() ? 0 : redirect, prefixes);
    n.tracking().started(s);
    s.writer().ok(out);
  }

  /** CLIENT TRACKINGINFO: flags, redirect and prefixes, as a map. */
  private static void trackingInfo(ClientSession s, RespWriter w, ByteBuf out) {
    List<String> flags = new ArrayList<>();
    if (!s.tracking()) {
      flags.add("off");
    } else {
      flags.add("on");
      if (s.trackingBcast()) {
        flags.add("bcast");
      }
      if (s.trackingOptIn()) {
        flags.add("optin");
      }
      if (s.trackingOptOut()) {
        flags.add("optout");
      }
      if (s.trackingNoLoop()) {
        flags.add("noloop");
      }
      if (s.trackingRedirectBroken()) {
        flags.add("broken_redirect");
      }
    }
    w.mapHeader(out, 3);
    w.bulk(out, "flags");
    w.setHeader(out, flags.size());
    for (String f : flags) {
      w.bulk(out, f);
    }
    w.bulk(out, "redirect");
    w.integer(out, !s.tracking() ? -1 : s.trackingRedirect());
    w.bulk(out, "prefixes");
    List<byte[]> prefixes = s.trackingPrefixes();
    w.arrayHeader(out, prefixes.size());
    for (byte[] p : prefixes) {
      w.bulk(out, p);
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
