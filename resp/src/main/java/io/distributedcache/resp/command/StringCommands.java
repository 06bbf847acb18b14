package io.distributedcache.resp.command;

import static io.distributedcache.resp.command.Args.is;

import io.distributedcache.core.engine.CommandException;
import io.distributedcache.core.engine.KeyspaceEngine;
import io.distributedcache.core.engine.KeyspaceEngine.Condition;
import io.distributedcache.core.engine.KeyspaceEngine.SetResult;
import io.distributedcache.resp.codec.RespWriter;
import io.distributedcache.resp.server.ClientSession;
import io.distributedcache.resp.server.NodeContext;
import io.netty.buffer.ByteBuf;

/**
 * The string commands: argument parsing and reply shapes. The semantics (atomicity, TTL handling,
 * number formats) live in {@link KeyspaceEngine}; this class only translates between RESP and it.
 */
final class StringCommands {

  private StringCommands() {}

  static void register(CommandRegistry r) {
    r.add("get", 2, "readonly fast", 1, 1, 1, "read string fast", "string", "1.0.0",
        "Returns the string value of a key.", StringCommands::get);
    r.add("set", -3, "write denyoom", 1, 1, 1, "write string slow", "string", "1.0.0",
        "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
        StringCommands::set);
    r.add("setnx", 3, "write denyoom fast", 1, 1, 1, "write string fast", "string", "1.0.0",
        "Set the string value of a key only when the key doesn't exist.", StringCommands::setnx);
    r.add("setex", 4, "write denyoom", 1, 1, 1, "write string slow", "string", "2.0.0",
        "Sets the string value and expiration time of a key.", StringCommands::setex);
    r.add("psetex", 4, "write denyoom", 1, 1, 1, "write string slow", "string", "2.6.0",
        "Sets both string value and expiration time in milliseconds of a key.",
        StringCommands::psetex);
    r.add("getset", 3, "write denyoom fast", 1, 1, 1, "write string fast", "string", "1.0.0",
        "Returns the previous string value of a key after setting it to a new value.",
        StringCommands::getset);
    r.add("getdel", 2, "write fast", 1, 1, 1, "write string fast", "string", "6.2.0",
        "Returns the string value of a key after deleting the key.", StringCommands::getdel);
    r.add("getex", -2, "write fast", 1, 1, 1, "write string fast", "string", "6.2.0",
        "Returns the string value of a key after setting its expiration time.",
        StringCommands::getex);
    r.add("mget", -2, "readonly fast", 1, -1, 1, "read string fast", "string", "1.0.0",
        "Atomically returns the string values of one or more keys.", StringCommands::mget);
    r.add("mset", -3, "write denyoom", 1, -1, 2, "write string slow", "string", "1.0.1",
        "Atomically creates or modifies the string values of one or more keys.",
        StringCommands::mset);
    r.add("msetnx", -3, "write denyoom", 1, -1, 2, "write string slow", "string", "1.0.1",
        "Atomically modifies the string values of one or more keys only when all keys don't exist.",
        StringCommands::msetnx);
    r.add("append", 3, "write denyoom fast", 1, 1, 1, "write string fast", "string", "2.0.0",
        "Appends a string to the value of a key. Creates the key if it doesn't exist.",
        StringCommands::append);
    r.add("strlen", 2, "readonly fast", 1, 1, 1, "read string fast", "string", "2.2.0",
        "Returns the length of a string value.", StringCommands::strlen);
    r.add("getrange", 4, "readonly", 1, 1, 1, "read string slow", "string", "2.4.0",
        "Returns a substring of the string stored at a key.", StringCommands::getrange);
    r.add("setrange", 4, "write denyoom", 1, 1, 1, "write string slow", "string", "2.2.0",
        "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't"
            + " exist.",
        StringCommands::setrange);
    r.add("incr", 2, "write denyoom fast", 1, 1, 1, "write string fast", "string", "1.0.0",
        "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't"
            + " exist.",
        (n, s, a, out) -> incrBy(n, s, a[1], 1, out));
    r.add("decr", 2, "write denyoom fast", 1, 1, 1, "write string fast", "string", "1.0.0",
        "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't"
            + " exist.",
        (n, s, a, out) -> incrBy(n, s, a[1], -1, out));
    r.add("incrby", 3, "write denyoom fast", 1, 1, 1, "write string fast", "string", "1.0.0",
        "Increments the integer value of a key by a number. Uses 0 as initial value if the key"
            + " doesn't exist.",
        (n, s, a, out) -> incrBy(n, s, a[1], Args.parseLong(a[2]), out));
    r.add("decrby", 3, "write denyoom fast", 1, 1, 1, "write string fast", "string", "1.0.0",
        "Decrements a number from the integer value of a key. Uses 0 as initial value if the key"
            + " doesn't exist.",
        StringCommands::decrby);
    r.add("incrbyfloat", 3, "write denyoom fast", 1, 1, 1, "write string fast", "string", "2.6.0",
        "Increment the floating point value of a key by a number. Uses 0 as initial value if the"
            + " key doesn't exist.",
        StringCommands::incrbyfloat);
  }

  static void get(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    s.writer().bulk(out, n.engine().get(a[1]));
  }

  /**
   * SET key value [NX | XX | IFEQ v | IFNE v] [GET] [EX s | PX ms | EXAT unix-s | PXAT unix-ms |
   * KEEPTTL].
   */
  static void set(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    KeyspaceEngine engine = n.engine();
    RespWriter w = s.writer();
    if (a.length == 3) {
      engine.set(a[1], a[2], KeyspaceEngine.NO_TTL, Condition.ALWAYS);
      w.ok(out);
      return;
    }
    // As in Redis, repeating an option is allowed (the last expiry wins); mixing NX with XX, or two
    // different expiry forms, is a syntax error.
    Condition condition = Condition.ALWAYS;
    byte[] comparand = null;
    boolean get = false;
    Object expiryForm = null; // a Ttls.Unit, or "KEEPTTL"
    long ttlNanos = KeyspaceEngine.NO_TTL;
    for (int i = 3; i < a.length; i++) {
      byte[] opt = a[i];
      Ttls.Unit unit = unitOf(opt);
      if (is(opt, "NX") && (condition == Condition.ALWAYS || condition == Condition.IF_ABSENT)) {
        condition = Condition.IF_ABSENT;
      } else if (is(opt, "XX")
          && (condition == Condition.ALWAYS || condition == Condition.IF_PRESENT)) {
        condition = Condition.IF_PRESENT;
      } else if ((is(opt, "IFEQ") || is(opt, "IFNE"))
          && i + 1 < a.length
          && (condition == Condition.ALWAYS || comparand != null)) {
        Condition wanted = is(opt, "IFEQ") ? Condition.IF_EQUAL : Condition.IF_NOT_EQUAL;
        if (comparand != null && condition != wanted) {
          throw new CommandException(Args.SYNTAX_ERROR);
        }
        condition = wanted;
        comparand = a[++i];
      } else if (is(opt, "GET")) {
        get = true;
      } else if (is(opt, "KEEPTTL") && (expiryForm == null || "KEEPTTL".equals(expiryForm))) {
        expiryForm = "KEEPTTL";
        ttlNanos = KeyspaceEngine.KEEP_TTL;
      } else if (unit != null && i + 1 < a.length && (expiryForm == null || expiryForm == unit)) {
        expiryForm = unit;
        ttlNanos = Ttls.positive(engine, Args.parseLong(a[++i]), unit, "set");
      } else {
        throw new CommandException(Args.SYNTAX_ERROR);
      }
    }
    if (comparand != null) {
      SetResult result = engine.setIf(a[1], a[2], ttlNanos, condition, comparand);
      if (get) {
        w.bulk(out, result.previous());
      } else if (result.applied()) {
        w.ok(out);
      } else {
        w.nullBulk(out);
      }
    } else if (get) {
      SetResult result = engine.setAndGet(a[1], a[2], ttlNanos, condition);
      w.bulk(out, result.previous());
    } else if (engine.set(a[1], a[2], ttlNanos, condition)) {
      w.ok(out);
    } else {
      w.nullBulk(out);
    }
  }

  private static Ttls.Unit unitOf(byte[] opt) {
    if (is(opt, "EX")) {
      return Ttls.Unit.SECONDS;
    } else if (is(opt, "PX")) {
      return Ttls.Unit.MILLISECONDS;
    } else if (is(opt, "EXAT")) {
      return Ttls.Unit.UNIX_SECONDS;
    } else if (is(opt, "PXAT")) {
      return Ttls.Unit.UNIX_MILLISECONDS;
    }
    return null;
  }

  static void setnx(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    boolean applied = n.engine().set(a[1], a[2], KeyspaceEngine.NO_TTL, Condition.IF_ABSENT);
    s.writer().integer(out, applied ? 1 : 0);
  }

  static void setex(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    long ttl = Ttls.positive(n.engine(), Args.parseLong(a[2]), Ttls.Unit.SECONDS, "setex");
    n.engine().set(a[1], a[3], ttl, Condition.ALWAYS);
    s.writer().ok(out);
  }

  static void psetex(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    long ttl = Ttls.positive(n.engine(), Args.parseLong(a[2]), Ttls.Unit.MILLISECONDS, "psetex");
    n.engine().set(a[1], a[3], ttl, Condition.ALWAYS);
    s.writer().ok(out);
  }

  static void getset(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    SetResult result = n.engine().setAndGet(a[1], a[2], KeyspaceEngine.NO_TTL, Condition.ALWAYS);
    s.writer().bulk(out, result.previous());
  }

  static void getdel(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    s.writer().bulk(out, n.engine().getDel(a[1]));
  }

  /** GETEX key [EX s | PX ms | EXAT unix-s | PXAT unix-ms | PERSIST]. */
  static void getex(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    long ttlNanos = KeyspaceEngine.KEEP_TTL;
    boolean seen = false;
    for (int i = 2; i < a.length; i++) {
      byte[] opt = a[i];
      if (seen) {
        throw new CommandException(Args.SYNTAX_ERROR);
      }
      seen = true;
      if (is(opt, "PERSIST")) {
        ttlNanos = KeyspaceEngine.PERSIST;
      } else if (unitOf(opt) != null && i + 1 < a.length) {
        ttlNanos = Ttls.positive(n.engine(), Args.parseLong(a[++i]), unitOf(opt), "getex");
      } else {
        throw new CommandException(Args.SYNTAX_ERROR);
      }
    }
    s.writer().bulk(out, n.engine().getEx(a[1], ttlNanos));
  }

  static void mget(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    byte[][] values = n.engine().mget(a, 1);
    RespWriter w = s.writer();
    w.arrayHeader(out, values.length);
    for (byte[] v : values) {
      w.bulk(out, v);
    }
  }

  static void mset(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    requirePairs(a, "mset");
    n.engine().mset(a, 1);
    s.writer().ok(out);
  }

  static void msetnx(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    requirePairs(a, "msetnx");
    s.writer().integer(out, n.engine().msetnx(a, 1) ? 1 : 0);
  }

  private static void requirePairs(byte[][] a, String command) {
    if ((a.length - 1) % 2 != 0) {
      throw new CommandException("ERR wrong number of arguments for '" + command + "' command");
    }
  }

  static void append(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    s.writer().integer(out, n.engine().append(a[1], a[2]));
  }

  static void strlen(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    s.writer().integer(out, n.engine().strlen(a[1]));
  }

  static void getrange(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    long start = Args.parseLong(a[2]);
    long end = Args.parseLong(a[3]);
    s.writer().bulk(out, n.engine().getRange(a[1], start, end));
  }

  static void setrange(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    long offset = Args.parseLong(a[2]);
    if (offset < 0) {
      throw new CommandException("ERR offset is out of range");
    }
    s.writer().integer(out, n.engine().setRange(a[1], offset, a[3]));
  }

  private static void incrBy(NodeContext n, ClientSession s, byte[] key, long delta, ByteBuf out) {
    s.writer().integer(out, n.engine().incrBy(key, delta));
  }

  static void decrby(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    long delta = Args.parseLong(a[2]);
    if (delta == Long.MIN_VALUE) {
      throw new CommandException("ERR decrement would overflow");
    }
    incrBy(n, s, a[1], -delta, out);
  }

  static void incrbyfloat(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    double delta = Args.parseDouble(a[2]);
    s.writer().bulk(out, n.engine().incrByFloat(a[1], delta));
  }
}
