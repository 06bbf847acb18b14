package io.distributedcache.resp.command;

import io.distributedcache.core.engine.CommandException;
import java.nio.charset.StandardCharsets;

/**
 * Parsing of command arguments with Redis' rules and error strings.
 *
 * <p>Stateless; callable from any thread. Every parse method throws {@link CommandException} with the
 * exact Redis error text when the argument is not acceptable.
 */
public final class Args {

  public static final String NOT_AN_INTEGER = "ERR value is not an integer or out of range";
  public static final String NOT_A_FLOAT = "ERR value is not a valid float";
  public static final String SYNTAX_ERROR = "ERR syntax error";

  private Args() {}

  /**
   * Parses a signed 64-bit decimal integer the way Redis' {@code string2ll} does: optional '-', no
   * '+', no spaces, no leading zeros (except "0" itself), no overflow.
   */
  public static long parseLong(byte[] s) {
    int len = s.length;
    if (len == 0 || len > 20) {
      throw new CommandException(NOT_AN_INTEGER);
    }
    if (len == 1 && s[0] == '0') {
      return 0;
    }
    int i = 0;
    boolean negative = s[0] == '-';
    if (negative) {
      i = 1;
    }
    if (i >= len || s[i] < '1' || s[i] > '9') {
      throw new CommandException(NOT_AN_INTEGER);
    }
    // Accumulate negatively so that Long.MIN_VALUE itself parses without overflow.
    long acc = 0;
    for (; i < len; i++) {
      int d = s[i] - '0';
      // (MIN + d) / 10 truncates towards zero, which is the ceiling for negatives: exactly the
      // smallest acc for which acc * 10 - d does not overflow.
      if (d < 0 || d > 9 || acc < (Long.MIN_VALUE + d) / 10) {
        throw new CommandException(NOT_AN_INTEGER);
      }
      acc = acc * 10 - d;
    }
    if (negative) {
      return acc;
    }
    if (acc == Long.MIN_VALUE) {
      throw new CommandException(NOT_AN_INTEGER);
    }
    return -acc;
  }

  /** Parses an integer that must fit in an int, with Redis' error text otherwise. */
  public static int parseInt(byte[] arg) {
    long v = parseLong(arg);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new CommandException(NOT_AN_INTEGER);
    }
    return (int) v;
  }

  /** Parses a finite or infinite double as Redis' {@code getLongDoubleFromObject} accepts it. */
  public static double parseDouble(byte[] arg) {
    String s = new String(arg, StandardCharsets.US_ASCII);
    if (s.isEmpty() || Character.isWhitespace(s.charAt(0))
        || Character.isWhitespace(s.charAt(s.length() - 1))) {
      throw new CommandException(NOT_A_FLOAT);
    }
    String lower = s.toLowerCase(java.util.Locale.ROOT);
    switch (lower) {
      case "inf":
      case "+inf":
      case "infinity":
      case "+infinity":
        return Double.POSITIVE_INFINITY;
      case "-inf":
      case "-infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        break;
    }
    // Java accepts suffixes such as "1d" or "0x1p3" that strtold does not; reject them first.
    for (int i = 0; i < lower.length(); i++) {
      char c = lower.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == '-' || c == '+';
      if (!ok) {
        throw new CommandException(NOT_A_FLOAT);
      }
    }
    try {
      double d = Double.parseDouble(s);
      if (Double.isNaN(d)) {
        throw new CommandException(NOT_A_FLOAT);
      }
      return d;
    } catch (NumberFormatException e) {
      throw new CommandException(NOT_A_FLOAT);
    }
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
