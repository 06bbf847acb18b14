package io.distributedcache.resp.command;

import io.distributedcache.core.engine.CommandException;
import io.distributedcache.core.engine.RedisNumbers;
import java.nio.charset.StandardCharsets;

/**
 * Parsing of command arguments with Redis' rules and error strings.
 *
 * <p>Stateless; callable from any thread. Every parse method throws {@link CommandException} with the
 * exact Redis error text when the argument is not acceptable.
 */
public final class Args {

  public static final String SYNTAX_ERROR = "ERR syntax error";

  private Args() {}

  /** A signed 64-bit integer by Redis' {@code string2ll} rules; see {@link RedisNumbers}. */
  public static long parseLong(byte[] arg) {
    return RedisNumbers.parseLong(arg);
  }

  /** A float as Redis' {@code string2ld} accepts it; see {@link RedisNumbers}. */
  public static double parseDouble(byte[] arg) {
    return RedisNumbers.parseDouble(arg);
  }

  /** True when {@code arg} equals {@code upperAscii} ignoring ASCII case; allocation-free. */
  public static boolean is(byte[] arg, String upperAscii) {
    int n = upperAscii.length();
    if (arg.length != n) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      int b = arg[i];
      if (b >= 'a' && b <= 'z') {
        b -= 32;
      }
      if (b != upperAscii.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** The argument as text (UTF-8), for error messages and names. */
  public static String text(byte[] arg) {
    return new String(arg, StandardCharsets.UTF_8);
  }

  /** The argument lower-cased (ASCII), for command names in messages. */
  public static String lower(byte[] arg) {
    return text(arg).toLowerCase(java.util.Locale.ROOT);
  }

  /** UTF-8 bytes of a string. */
  public static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
