package io.distributedcache.core.engine;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;

/**
 * Redis' rules for numbers stored in strings: strict integer parsing ({@code string2ll}), float
 * parsing ({@code string2ld}) and the formatting of INCRBYFLOAT results. The protocol layer uses
 * the same parsers for command arguments, so a number means the same thing on the wire and in the
 * store.
 *
 * <p>Stateless and thread-safe.
 */
public final class RedisNumbers {

  /** Error text for a value or argument that is not a strict 64-bit integer. */
  public static final String NOT_AN_INTEGER = "ERR value is not an integer or out of range";

  /** Error text for a value or argument that is not a float. */
  public static final String NOT_A_FLOAT = "ERR value is not a valid float";

  /** Redis' {@code LONG_STR_SIZE}: longer strings are never integers. */
  private static final int LONG_STR_SIZE = 21;

  /** Redis' {@code MAX_LONG_DOUBLE_CHARS}. */
  private static final int MAX_FLOAT_CHARS = 5 * 1024;

  /** Error text of INCRBYFLOAT when the result would not be a finite number. */
  public static final String NAN_OR_INFINITY = "ERR increment would produce NaN or Infinity";

  /** Decimal exponent at and beyond which a number exceeds the largest long double. */
  private static final int LONG_DOUBLE_MAX_EXPONENT = 4932;

  /** Redis prints {@code %.17Lf}: 17 decimal places at most. */
  private static final int MAX_DECIMALS = 17;

  private RedisNumbers() {}

  /**
   * Parses {@code s} as Redis' {@code string2ll} does: an optional '-', then digits without leading
   * zeros (except "0" itself), no '+', no spaces, within 64 bits.
   *
   * @throws CommandException {@value #NOT_AN_INTEGER} otherwise
   */
  public static long parseLong(byte[] s) {
    int length = s.length;
    if (length == 0 || length >= LONG_STR_SIZE) {
      throw new CommandException(NOT_AN_INTEGER);
    }
    if (length == 1 && s[0] == '0') {
      return 0;
    }
    int i = 0;
    boolean negative = s[0] == '-';
    if (negative) {
      i = 1;
      if (length == 1) {
        throw new CommandException(NOT_AN_INTEGER);
      }
    }
    if (s[i] < '1' || s[i] > '9') {
      throw new CommandException(NOT_AN_INTEGER);
    }
    // Accumulate negatively so that Long.MIN_VALUE fits.
    long limit = negative ? Long.MIN_VALUE : -Long.MAX_VALUE;
    long limitBeforeMultiply = limit / 10;
    long result = 0;
    for (; i < length; i++) {
      int digit = s[i] - '0';
      if (digit < 0 || digit > 9 || result < limitBeforeMultiply) {
        throw new CommandException(NOT_AN_INTEGER);
      }
      result *= 10;
      if (result < limit + digit) {
        throw new CommandException(NOT_AN_INTEGER);
      }
      result -= digit;
    }
    return negative ? result : -result;
  }

  /**
   * Parses {@code s} as Redis' {@code string2ld} does for decimal input: optional sign, digits with
   * an optional '.', an optional exponent, or {@code inf}/{@code infinity}; no spaces, nothing
   * after. NaN is rejected, and so is a finite number beyond the range of a double (Redis rejects
   * overflow too, its range being that of a long double). Hexadecimal floats, which {@code strtold}
   * would take, are not accepted.
   *
   * @throws CommandException {@value #NOT_A_FLOAT} otherwise
   */
  public static double parseDouble(byte[] s) {
    if (isSignedInfinity(s)) {
      return s[0] == '-' ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    checkDecimalSyntax(s);
    double value = Double.parseDouble(new String(s, StandardCharsets.ISO_8859_1));
    if (Double.isInfinite(value)) {
      throw new CommandException(NOT_A_FLOAT);
    }
    return value;
  }

  /**
   * Adds {@code increment} to the number stored in {@code stored} (null meaning absent, that is 0)
   * the way INCRBYFLOAT does, and returns the new stored form.
   *
   * <p>Redis parses the stored value and the increment into {@code long double}s, adds, and prints
   * the sum with {@code %.17Lf}. Doing the same in {@code double} would show binary rounding noise
   * that Redis' extra precision hides (0.1 + 0.2 would print 0.30000000000000004). So the sum is
   * computed in exact decimal: the stored text as written, plus the increment as the shortest
   * decimal that denotes it ({@link BigDecimal#valueOf(double)}, which recovers "0.1" from the
   * double 0.1). The result is at least as precise as Redis' and equal to it for every ordinary
   * input.
   *
   * @throws CommandException {@value #NOT_A_FLOAT} if {@code stored} is not a float, or "ERR
   *     increment would produce NaN or Infinity" if an operand is infinite or NaN or the sum leaves
   *     the range of a long double
   */
  public static byte[] addFloat(byte[] stored, double increment) {
    if (Double.isNaN(increment) || Double.isInfinite(increment)) {
      throw new CommandException(NAN_OR_INFINITY);
    }
    BigDecimal current = BigDecimal.ZERO;
    if (stored != null) {
      if (isSignedInfinity(stored)) {
        throw new CommandException(NAN_OR_INFINITY);
      }
      checkDecimalSyntax(stored);
      current = new BigDecimal(new String(stored, StandardCharsets.ISO_8859_1));
      if (exceedsLongDouble(current)) {
        throw new CommandException(NOT_A_FLOAT);
      }
    }
    BigDecimal sum = current.add(BigDecimal.valueOf(increment));
    if (exceedsLongDouble(sum)) {
      throw new CommandException(NAN_OR_INFINITY);
    }
    return formatDecimal(sum);
  }

  /**
   * Formats {@code value} as Redis prints a float result: plain decimal notation (never an
   * exponent), at most 17 decimal places, trailing zeros and a trailing '.' removed, "-0" shown as
   * "0". The double is taken as its shortest decimal form ({@link Double#toString}).
   *
   * @throws IllegalArgumentException for NaN or an infinity (callers reject those first)
   */
  public static byte[] formatDouble(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("not a finite number: " + value);
    }
    return formatDecimal(BigDecimal.valueOf(value));
  }

  /** The decimal ASCII form of {@code value}. */
  public static byte[] formatLong(long value) {
    return Long.toString(value).getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] formatDecimal(BigDecimal value) {
    BigDecimal shown = value;
    if (shown.scale() > MAX_DECIMALS) {
      shown = shown.setScale(MAX_DECIMALS, RoundingMode.HALF_EVEN);
    }
    // BigDecimal has no negative zero, so "-0" cannot come out.
    return shown.stripTrailingZeros().toPlainString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Whether |value| is at least 10^4932, beyond the largest long double (about 1.19e4932). */
  private static boolean exceedsLongDouble(BigDecimal value) {
    // precision - scale - 1 is the decimal exponent of the leading digit.
    return value.signum() != 0
        && (long) value.precision() - value.scale() - 1 >= LONG_DOUBLE_MAX_EXPONENT;
  }

  private static void checkDecimalSyntax(byte[] s) {
    int length = s.length;
    if (length == 0 || length >= MAX_FLOAT_CHARS) {
      throw new CommandException(NOT_A_FLOAT);
    }
    int i = s[0] == '+' || s[0] == '-' ? 1 : 0;
    int digits = 0;
    while (i < length && isDigit(s[i])) {
      i++;
      digits++;
    }
    if (i < length && s[i] == '.') {
      i++;
      while (i < length && isDigit(s[i])) {
        i++;
        digits++;
      }
    }
    if (digits == 0) {
      throw new CommandException(NOT_A_FLOAT);
    }
    if (i < length && (s[i] == 'e' || s[i] == 'E')) {
      i++;
      if (i < length && (s[i] == '+' || s[i] == '-')) {
        i++;
      }
      int exponentDigits = 0;
      while (i < length && isDigit(s[i])) {
        i++;
        exponentDigits++;
      }
      // Exponents beyond 9 digits are out of any range we accept (and of BigDecimal's).
      if (exponentDigits == 0 || exponentDigits > 9) {
        throw new CommandException(NOT_A_FLOAT);
      }
    }
    if (i != length) {
      throw new CommandException(NOT_A_FLOAT);
    }
  }

  private static boolean isDigit(byte b) {
    return b >= '0' && b <= '9';
  }

  private static boolean isSignedInfinity(byte[] s) {
    int from = s.length > 0 && (s[0] == '+' || s[0] == '-') ? 1 : 0;
    return isInfinity(s, from);
  }

  private static boolean isInfinity(byte[] s, int from) {
    int remaining = s.length - from;
    return (remaining == 3 && equalsIgnoreCase(s, from, "inf"))
        || (remaining == 8 && equalsIgnoreCase(s, from, "infinity"));
  }

  private static boolean equalsIgnoreCase(byte[] s, int from, String word) {
    for (int j = 0; j < word.length(); j++) {
      if (Character.toLowerCase((char) (s[from + j] & 0xFF)) != word.charAt(j)) {
        return false;
      }
    }
    return true;
  }
}
