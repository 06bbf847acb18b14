package io.distributedcache.resp.command;

import static io.distributedcache.resp.command.Args.is;

import io.distributedcache.core.engine.CommandException;
import io.distributedcache.core.engine.KeyspaceEngine;
import io.distributedcache.core.engine.KeyspaceEngine.ExpireCondition;
import io.distributedcache.core.engine.KeyspaceEngine.ScanResult;
import io.distributedcache.resp.codec.RespWriter;
import io.distributedcache.resp.server.ClientSession;
import io.distributedcache.resp.server.NodeContext;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The generic keyspace commands: deletion, existence, renaming, expiry, iteration. */
final class KeyCommands {

  private KeyCommands() {}

  static void register(CommandRegistry r) {
    r.add("del", -2, "write", 1, -1, 1, "keyspace write slow", "generic", "1.0.0",
        "Deletes one or more keys.", KeyCommands::del);
    r.add("delex", -2, "write fast", 1, 1, 1, "write string fast", "string", "8.4.0",
        "Conditionally removes the key: IFEQ v (its value is v) or IFNE v (it is not v).",
        KeyCommands::delex);
    r.add("unlink", -2, "write fast", 1, -1, 1, "keyspace write fast", "generic", "4.0.0",
        "Asynchronously deletes one or more keys.", KeyCommands::del);
    r.add("exists", -2, "readonly fast", 1, -1, 1, "keyspace read fast", "generic", "1.0.0",
        "Determines whether one or more keys exist.", KeyCommands::exists);
    r.add("type", 2, "readonly fast", 1, 1, 1, "keyspace read fast", "generic", "1.0.0",
        "Determines the type of value stored at a key.", KeyCommands::type);
    r.add("rename", 3, "write", 1, 2, 1, "keyspace write slow", "generic", "1.0.0",
        "Renames a key and overwrites the destination.", KeyCommands::rename);
    r.add("renamenx", 3, "write fast", 1, 2, 1, "keyspace write fast", "generic", "1.0.0",
        "Renames a key only when the target key name doesn't exist.", KeyCommands::renamenx);
    r.add("expire", -3, "write fast", 1, 1, 1, "keyspace write fast", "generic", "1.0.0",
        "Sets the expiration time of a key in seconds.",
        (n, s, a, out) -> expire(n, s, a, Ttls.Unit.SECONDS, "expire", out));
    r.add("pexpire", -3, "write fast", 1, 1, 1, "keyspace write fast", "generic", "2.6.0",
        "Sets the expiration time of a key in milliseconds.",
        (n, s, a, out) -> expire(n, s, a, Ttls.Unit.MILLISECONDS, "pexpire", out));
    r.add("expireat", -3, "write fast", 1, 1, 1, "keyspace write fast", "generic", "1.2.0",
        "Sets the expiration time of a key to a Unix timestamp.",
        (n, s, a, out) -> expire(n, s, a, Ttls.Unit.UNIX_SECONDS, "expireat", out));
    r.add("pexpireat", -3, "write fast", 1, 1, 1, "keyspace write fast", "generic", "2.6.0",
        "Sets the expiration time of a key to a Unix milliseconds timestamp.",
        (n, s, a, out) -> expire(n, s, a, Ttls.Unit.UNIX_MILLISECONDS, "pexpireat", out));
    r.add("ttl", 2, "readonly fast", 1, 1, 1, "keyspace read fast", "generic", "1.0.0",
        "Returns the expiration time in seconds of a key.",
        (n, s, a, out) -> ttl(n, s, a, false, false, out));
    r.add("pttl", 2, "readonly fast", 1, 1, 1, "keyspace read fast", "generic", "2.6.0",
        "Returns the expiration time in milliseconds of a key.",
        (n, s, a, out) -> ttl(n, s, a, true, false, out));
    r.add("expiretime", 2, "readonly fast", 1, 1, 1, "keyspace read fast", "generic", "7.0.0",
        "Returns the expiration time of a key as a Unix timestamp.",
        (n, s, a, out) -> ttl(n, s, a, false, true, out));
    r.add("pexpiretime", 2, "readonly fast", 1, 1, 1, "keyspace read fast", "generic", "7.0.0",
        "Returns the expiration time of a key as a Unix milliseconds timestamp.",
        (n, s, a, out) -> ttl(n, s, a, true, true, out));
    r.add("persist", 2, "write fast", 1, 1, 1, "keyspace write fast", "generic", "2.2.0",
        "Removes the expiration time of a key.", KeyCommands::persist);
    r.add("keys", 2, "readonly", 0, 0, 0, "keyspace read slow dangerous", "generic", "1.0.0",
        "Returns all key names that match a pattern.", KeyCommands::keys);
    r.add("scan", -2, "readonly", 0, 0, 0, "keyspace read slow", "generic", "2.8.0",
        "Iterates over the key names in the database.", KeyCommands::scan);
    r.add("randomkey", 1, "readonly", 0, 0, 0, "keyspace read slow", "generic", "1.0.0",
        "Returns a random key name from the database.", KeyCommands::randomkey);
  }

  /** DELEX key [IFEQ v | IFNE v]: 1 if the key was deleted, 0 otherwise. */
  static void delex(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    if (a.length == 2) {
      s.writer().integer(out, n.engine().deleteIf(a[1], true, null) ? 1 : 0);
    } else if (a.length == 4 && (is(a[2], "IFEQ") || is(a[2], "IFNE"))) {
      s.writer().integer(out, n.engine().deleteIf(a[1], is(a[2], "IFEQ"), a[3]) ? 1 : 0);
    } else {
      throw new CommandException(Args.SYNTAX_ERROR);
    }
  }

  static void del(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    s.writer().integer(out, n.engine().delete(a, 1));
  }

  static void exists(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    s.writer().integer(out, n.engine().exists(a, 1));
  }

  static void type(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    s.writer().simple(out, n.engine().type(a[1]));
  }

  static void rename(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    n.engine().rename(a[1], a[2]);
    s.writer().ok(out);
  }

  static void renamenx(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    s.writer().integer(out, n.engine().renameNx(a[1], a[2]) ? 1 : 0);
  }

  /** EXPIRE key amount [NX | XX | GT | LT], in any of the four units. */
  static void expire(
      NodeContext n, ClientSession s, byte[][] a, Ttls.Unit unit, String name, ByteBuf out) {
    long amount = Args.parseLong(a[2]);
    boolean nx = false;
    boolean xx = false;
    boolean gt = false;
    boolean lt = false;
    for (int i = 3; i < a.length; i++) {
      if (is(a[i], "NX")) {
        nx = true;
      } else if (is(a[i], "XX")) {
        xx = true;
      } else if (is(a[i], "GT")) {
        gt = true;
      } else if (is(a[i], "LT")) {
        lt = true;
      } else {
        throw new CommandException("ERR Unsupported option " + Args.text(a[i]));
      }
    }
    if (nx && (xx || gt || lt)) {
      throw new CommandException(
          "ERR NX and XX, GT or LT options at the same time are not compatible");
    }
    if (gt && lt) {
      throw new CommandException("ERR GT and LT options at the same time are not compatible");
    }
    ExpireCondition condition =
        nx ? ExpireCondition.NX
            : gt ? ExpireCondition.GT
            : lt ? (xx ? ExpireCondition.XX_LT : ExpireCondition.LT)
            : xx ? ExpireCondition.XX
            : ExpireCondition.ALWAYS;
    // XX with GT is GT: a key without a TTL counts as infinite, so GT never applies to it anyway.
    long ttlNanos = Ttls.any(n.engine(), amount, unit, name);
    s.writer().integer(out, n.engine().expire(a[1], ttlNanos, condition) ? 1 : 0);
  }

  static void ttl(
      NodeContext n, ClientSession s, byte[][] a, boolean millis, boolean absolute, ByteBuf out) {
    KeyspaceEngine engine = n.engine();
    long value;
    if (absolute) {
      long unixMillis = engine.expireTimeUnixMillis(a[1]);
      value = unixMillis < 0 ? unixMillis : millis ? unixMillis : Ttls.roundedSeconds(unixMillis);
    } else {
      long nanos = engine.ttlNanos(a[1]);
      if (nanos < 0) {
        value = nanos;
      } else {
        long ms = Ttls.ceilMillis(nanos);
        value = millis ? ms : Ttls.roundedSeconds(ms);
      }
    }
    s.writer().integer(out, value);
  }

  static void persist(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    s.writer().integer(out, n.engine().persist(a[1]) ? 1 : 0);
  }

  static void keys(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    s.writer().bulkArray(out, n.engine().keys(a[1]));
  }

  /** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. */
  static void scan(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    long cursor = parseCursor(a[1]);
    byte[] match = null;
    int count = 10;
    String type = null;
    for (int i = 2; i < a.length; i++) {
      if (i + 1 >= a.length) {
        throw new CommandException(Args.SYNTAX_ERROR);
      }
      if (is(a[i], "MATCH")) {
        match = a[++i];
      } else if (is(a[i], "COUNT")) {
        long c = Args.parseLong(a[++i]);
        if (c < 1) {
          throw new CommandException(Args.SYNTAX_ERROR);
        }
        count = (int) Math.min(c, Integer.MAX_VALUE);
      } else if (is(a[i], "TYPE")) {
        type = Args.lower(a[++i]);
      } else {
        throw new CommandException(Args.SYNTAX_ERROR);
      }
    }
    ScanResult result = n.engine().scan(cursor, match, count, type);
    RespWriter w = s.writer();
    w.arrayHeader(out, 2);
    w.bulk(out, Long.toUnsignedString(result.nextCursor()).getBytes(StandardCharsets.US_ASCII));
    List<byte[]> keys = result.keys();
    w.bulkArray(out, keys);
  }

  /** Redis cursors are unsigned 64-bit decimals. */
  private static long parseCursor(byte[] arg) {
    try {
      String text = new String(arg, StandardCharsets.US_ASCII);
      if (text.isEmpty() || text.charAt(0) == '+' || text.charAt(0) == '-') {
        throw new NumberFormatException(text);
      }
      return Long.parseUnsignedLong(text);
    } catch (NumberFormatException e) {
      throw new CommandException("ERR invalid cursor");
    }
  }

  static void randomkey(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    s.writer().bulk(out, n.engine().randomKey());
  }
}
