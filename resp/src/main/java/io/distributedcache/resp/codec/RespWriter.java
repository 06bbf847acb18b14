package io.distributedcache.resp.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Encodes replies straight into a Netty {@link ByteBuf}, in RESP2 or RESP3 depending on what the
 * connection negotiated with {@code HELLO}.
 *
 * <p>Contract: one instance per connection, used only on that connection's event loop; not
 * thread-safe (it keeps a scratch array for digits). No method blocks. Methods throw {@link
 * NullPointerException} for a null {@code out} and {@link IllegalArgumentException} for a negative
 * count; they never release or flush {@code out}, which grows as needed.
 *
 * <p>Types that RESP2 lacks are downgraded the way Redis downgrades them (networking.c): a map
 * becomes a flat array of {@code 2n} elements, a set or push an array, a double a bulk string of
 * the same text, a boolean the integer 1 or 0, a verbatim string a bulk string of the text, and
 * every null {@code $-1} (bulk) or {@code *-1} (array); RESP3 uses {@code _}.
 *
 * <p>Integers and lengths are written without creating Strings: digits of 0..1023 are precomputed,
 * larger numbers are written into a scratch array; frequent whole replies ({@code +OK}, {@code
 * +PONG}, {@code :0}, {@code :1}, the null replies) are cached byte arrays.
 */
public final class RespWriter {

  private static final short CRLF = ('\r' << 8) | '\n';
  private static final int SMALL_NUMBERS = 1024;
  private static final byte[][] DIGITS = new byte[SMALL_NUMBERS][];

  static {
    for (int i = 0; i < SMALL_NUMBERS; i++) {
      DIGITS[i] = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
    }
  }

  private static final byte[] OK = ascii("+OK\r\n");
  private static final byte[] PONG = ascii("+PONG\r\n");
  private static final byte[] ZERO = ascii(":0\r\n");
  private static final byte[] ONE = ascii(":1\r\n");
  private static final byte[] NULL_BULK_2 = ascii("$-1\r\n");
  private static final byte[] NULL_ARRAY_2 = ascii("*-1\r\n");
  private static final byte[] NULL_3 = ascii("_\r\n");
  private static final byte[] TRUE_3 = ascii("#t\r\n");
  private static final byte[] FALSE_3 = ascii("#f\r\n");
  private static final byte[] EMPTY_ARRAY = ascii("*0\r\n");

  /** Redis' {@code double2ll} range in which a double is printed as an integer. */
  private static final double INTEGRAL_LIMIT = (double) (Long.MAX_VALUE / 2);

  /** Digits of a long, sign included, are written here backwards; 20 bytes fit Long.MIN_VALUE. */
  private final byte[] scratch = new byte[20];

  private int protocol;

  /**
   * Creates a writer for the given protocol version.
   *
   * @throws IllegalArgumentException unless {@code protocolVersion} is 2 or 3
   */
  public RespWriter(int protocolVersion) {
    protocol(protocolVersion);
  }

  /** The protocol version in use, 2 or 3. */
  public int protocol() {
    return protocol;
  }

  /**
   * Switches the protocol version for replies written from now on (after {@code HELLO}).
   *
   * @throws IllegalArgumentException unless {@code version} is 2 or 3
   */
  public void protocol(int version) {
    if (version != 2 && version != 3) {
      throw new IllegalArgumentException("protocol version must be 2 or 3 but was " + version);
    }
    this.protocol = version;
  }

  /**
   * Writes a simple string {@code +s\r\n}, UTF-8 encoded. CR and LF, which would break the
   * framing, are handled as in {@link #error}.
   */
  public void simple(ByteBuf out, String s) {
    line(out, (byte) '+', s);
  }

  /** Writes {@code +OK\r\n} from a cached array. */
  public void ok(ByteBuf out) {
    out.writeBytes(OK);
  }

  /** Writes {@code +PONG\r\n} from a cached array. */
  public void pong(ByteBuf out) {
    out.writeBytes(PONG);
  }

  /**
   * Writes an error reply {@code -message\r\n}, UTF-8 encoded. The message carries its own code
   * ({@code "ERR syntax error"}, {@code "WRONGTYPE ..."}); a leading {@code '-'} is dropped, so
   * {@code "-ERR x"} is accepted too. Like Redis' {@code addReplyErrorFormat}, CR and LF at either
   * end are trimmed and those inside are replaced by spaces, so that the reply stays one line.
   */
  public void error(ByteBuf out, String message) {
    String m = message.startsWith("-") ? message.substring(1) : message;
    line(out, (byte) '-', m);
  }

  /** Writes an integer {@code :v\r\n}. */
  public void integer(ByteBuf out, long v) {
    if (v == 0) {
      out.writeBytes(ZERO);
    } else if (v == 1) {
      out.writeBytes(ONE);
    } else {
      header(out, (byte) ':', v);
    }
  }

  /** Writes a bulk string {@code $len\r\nbytes\r\n}, or the null reply for a null {@code v}. */
  public void bulk(ByteBuf out, byte[] v) {
    if (v == null) {
      nullBulk(out);
      return;
    }
    out.ensureWritable(v.length + 16);
    header(out, (byte) '$', v.length);
    out.writeBytes(v);
    out.writeShort(CRLF);
  }

  /**
   * Writes {@code s} UTF-8 encoded as a bulk string, or the null reply for a null {@code s}. An
   * unpaired surrogate is written as {@code '?'}.
   */
  public void bulk(ByteBuf out, String s) {
    if (s == null) {
      nullBulk(out);
      return;
    }
    int length = ByteBufUtil.utf8Bytes(s);
    out.ensureWritable(length + 16);
    header(out, (byte) '$', length);
    ByteBufUtil.writeUtf8(out, s);
    out.writeShort(CRLF);
  }

  /** Writes the null bulk string: {@code $-1\r\n} in RESP2, {@code _\r\n} in RESP3. */
  public void nullBulk(ByteBuf out) {
    out.writeBytes(protocol == 3 ? NULL_3 : NULL_BULK_2);
  }

  /** Writes the null array: {@code *-1\r\n} in RESP2, {@code _\r\n} in RESP3. */
  public void nullArray(ByteBuf out) {
    out.writeBytes(protocol == 3 ? NULL_3 : NULL_ARRAY_2);
  }

  /**
   * Writes {@code *n\r\n}; {@code n} elements must follow.
   *
   * @throws IllegalArgumentException if {@code n} is negative (use {@link #nullArray})
   */
  public void arrayHeader(ByteBuf out, int n) {
    header(out, (byte) '*', count(n));
  }

  /**
   * Writes a map header for {@code pairs} key-value pairs, which must follow as {@code 2 * pairs}
   * elements: {@code %pairs\r\n} in RESP3, {@code *<2 * pairs>\r\n} in RESP2.
   *
   * @throws IllegalArgumentException if {@code pairs} is negative
   */
  public void mapHeader(ByteBuf out, int pairs) {
    if (protocol == 3) {
      header(out, (byte) '%', count(pairs));
    } else {
      header(out, (byte) '*', 2L * count(pairs));
    }
  }

  /**
   * Writes a set header: {@code ~n\r\n} in RESP3, {@code *n\r\n} in RESP2.
   *
   * @throws IllegalArgumentException if {@code n} is negative
   */
  public void setHeader(ByteBuf out, int n) {
    header(out, protocol == 3 ? (byte) '~' : (byte) '*', count(n));
  }

  /**
   * Writes a push header (out-of-band data such as pub/sub messages): {@code >n\r\n} in RESP3,
   * {@code *n\r\n} in RESP2.
   *
   * @throws IllegalArgumentException if {@code n} is negative
   */
  public void pushHeader(ByteBuf out, int n) {
    header(out, protocol == 3 ? (byte) '>' : (byte) '*', count(n));
  }

  /**
   * Writes a double: {@code ,text\r\n} in RESP3, a bulk string of the same text in RESP2. The text
   * is Redis' ({@code d2string}): {@code inf}, {@code -inf}, {@code nan}, {@code 0} / {@code -0},
   * an integer for integral values up to 2<sup>62</sup>, otherwise the shortest decimal that reads
   * back as {@code d}, laid out like Redis' {@code fpconv_dtoa} ({@code 3.14}, {@code 0.000001},
   * {@code 1.5e-7}, {@code 1e+21}).
   */
  public void doubleValue(ByteBuf out, double d) {
    String text = formatDouble(d);
    if (protocol == 3) {
      out.writeByte(',');
      ByteBufUtil.writeAscii(out, text);
      out.writeShort(CRLF);
    } else {
      header(out, (byte) '$', text.length());
      ByteBufUtil.writeAscii(out, text);
      out.writeShort(CRLF);
    }
  }

  /** Writes a boolean: {@code #t\r\n} / {@code #f\r\n} in RESP3, {@code :1} / {@code :0} in RESP2. */
  public void bool(ByteBuf out, boolean b) {
    if (protocol == 3) {
      out.writeBytes(b ? TRUE_3 : FALSE_3);
    } else {
      out.writeBytes(b ? ONE : ZERO);
    }
  }

  /**
   * Writes a verbatim string: {@code =<len>\r\nfmt:text\r\n} in RESP3 (as for {@code INFO}, with
   * format {@code "txt"}), a bulk string of {@code text} in RESP2. UTF-8 encoded.
   *
   * @throws IllegalArgumentException if {@code format3chars} is not 3 ASCII characters
   */
  public void verbatim(ByteBuf out, String format3chars, String text) {
    if (format3chars.length() != 3 || !isAscii(format3chars)) {
      throw new IllegalArgumentException(
          "verbatim format must be 3 ASCII characters but was '" + format3chars + "'");
    }
    if (protocol != 3) {
      bulk(out, text);
      return;
    }
    int length = ByteBufUtil.utf8Bytes(text);
    out.ensureWritable(length + 20);
    header(out, (byte) '=', length + 4L);
    ByteBufUtil.writeAscii(out, format3chars);
    out.writeByte(':');
    ByteBufUtil.writeUtf8(out, text);
    out.writeShort(CRLF);
  }

  /**
   * Writes an array of bulk strings; a null element becomes the null bulk string, a null list the
   * null array.
   */
  public void bulkArray(ByteBuf out, List<byte[]> items) {
    if (items == null) {
      nullArray(out);
      return;
    }
    int n = items.size();
    if (n == 0) {
      out.writeBytes(EMPTY_ARRAY);
      return;
    }
    header(out, (byte) '*', n);
    for (int i = 0; i < n; i++) {
      bulk(out, items.get(i));
    }
  }

  /** Writes {@code prefix}, the decimal digits of {@code v} and CRLF. */
  private void header(ByteBuf out, byte prefix, long v) {
    if (v >= 0 && v < SMALL_NUMBERS) {
      byte[] digits = DIGITS[(int) v];
      out.ensureWritable(digits.length + 3);
      out.writeByte(prefix);
      out.writeBytes(digits);
      out.writeShort(CRLF);
      return;
    }
    byte[] buf = scratch;
    int pos = buf.length;
    // Negative arithmetic so that Long.MIN_VALUE needs no special case.
    long q = v < 0 ? v : -v;
    do {
      buf[--pos] = (byte) ('0' - (q % 10));
      q /= 10;
    } while (q != 0);
    if (v < 0) {
      buf[--pos] = '-';
    }
    out.ensureWritable(buf.length - pos + 3);
    out.writeByte(prefix);
    out.writeBytes(buf, pos, buf.length - pos);
    out.writeShort(CRLF);
  }

  /** Writes a one-line reply, keeping CR and LF out of it the way Redis does for errors. */
  private static void line(ByteBuf out, byte prefix, String s) {
    String text = s;
    if (text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0) {
      text = oneLine(text);
    }
    out.ensureWritable(text.length() + 3);
    out.writeByte(prefix);
    ByteBufUtil.writeUtf8(out, text);
    out.writeShort(CRLF);
  }

  /** {@code sdstrim(s, "\r\n")} followed by {@code sdsmapchars(s, "\r\n", "  ")}. */
  static String oneLine(String s) {
    int from = 0;
    int to = s.length();
    while (from < to && isCrOrLf(s.charAt(from))) {
      from++;
    }
    while (to > from && isCrOrLf(s.charAt(to - 1))) {
      to--;
    }
    char[] chars = s.substring(from, to).toCharArray();
    for (int i = 0; i < chars.length; i++) {
      if (isCrOrLf(chars[i])) {
        chars[i] = ' ';
      }
    }
    return new String(chars);
  }

  /**
   * Formats a double as Redis' {@code d2string} does (util.c), including its use of {@code
   * fpconv_dtoa} for the non-integral case.
   */
  static String formatDouble(double d) {
    if (Double.isNaN(d)) {
      return "nan";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    if (d == 0) {
      return 1 / d < 0 ? "-0" : "0";
    }
    if (d >= -INTEGRAL_LIMIT && d <= INTEGRAL_LIMIT && (double) (long) d == d) {
      return Long.toString((long) d);
    }
    boolean negative = d < 0;
    double abs = Math.abs(d);
    BigDecimal decimal = new BigDecimal(Double.toString(abs)).stripTrailingZeros();
    // Double.toString round-trips but before JDK 19 is not always the shortest such decimal.
    for (int precision = 1; precision < decimal.precision(); precision++) {
      BigDecimal shorter = decimal.round(new MathContext(precision, RoundingMode.HALF_EVEN));
      if (shorter.doubleValue() == abs) {
        decimal = shorter.stripTrailingZeros();
        break;
      }
    }
    String digits = decimal.unscaledValue().toString();
    int k = -decimal.scale();
    StringBuilder sb = new StringBuilder(32);
    if (negative) {
      sb.append('-');
    }
    emitDigits(sb, digits, k);
    return sb.toString();
  }

  /** Lays out {@code digits * 10^k} like {@code emit_digits} in Redis' fpconv_dtoa.c. */
  private static void emitDigits(StringBuilder sb, String digits, int k) {
    int n = digits.length();
    int exp = Math.abs(k + n - 1);
    if (k >= 0 && exp < n + 7) {
      sb.append(digits);
      sb.append("0".repeat(k));
      return;
    }
    if (k < 0 && (k > -7 || exp < 4)) {
      int offset = n + k;
      if (offset <= 0) {
        sb.append("0.").append("0".repeat(-offset)).append(digits);
      } else {
        sb.append(digits, 0, offset).append('.').append(digits, offset, n);
      }
      return;
    }
    sb.append(digits.charAt(0));
    if (n > 1) {
      sb.append('.').append(digits, 1, n);
    }
    sb.append('e').append(k + n - 1 < 0 ? '-' : '+');
    int cent = 0;
    if (exp > 99) {
      cent = exp / 100;
      sb.append((char) ('0' + cent));
      exp -= cent * 100;
    }
    if (exp > 9) {
      int dec = exp / 10;
      sb.append((char) ('0' + dec));
      exp -= dec * 10;
    } else if (cent != 0) {
      sb.append('0');
    }
    sb.append((char) ('0' + exp % 10));
  }

  private static int count(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("count must not be negative but was " + n);
    }
    return n;
  }

  private static boolean isCrOrLf(char c) {
    return c == '\r' || c == '\n';
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0x7F) {
        return false;
      }
    }
    return true;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
