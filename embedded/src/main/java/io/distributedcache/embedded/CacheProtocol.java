package io.distributedcache.embedded;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The commands the embedded API sends, as the argument arrays the cluster runs ({@code {"SET",
 * key, value, "PX", "1500", "NX"}}: the same arrays a RESP client's request decodes to), and the
 * decoding of reply bytes, RESP2 or RESP3 as resp's {@code RespWriter} writes them, into Java
 * values.
 *
 * <p>Stateless; every method may be called from any thread and none blocks.
 *
 * <p>Decoded values: simple and verbatim strings become {@link String}, integers {@link Long},
 * big numbers {@link BigInteger}, doubles {@link Double}, booleans {@link Boolean}, bulk strings
 * {@code byte[]}, arrays, sets and pushes {@link List} (unmodifiable), maps {@link Map}
 * (unmodifiable, insertion order; keys as decoded, so {@code byte[]} keys compare by identity),
 * null replies {@code null}, and errors {@link ErrorReply}. Attributes are skipped.
 */
public final class CacheProtocol {

  private CacheProtocol() {}

  // ------------------------------------------------------------------------------------------
  // Commands

  /** {@code GET key}. */
  public static byte[][] get(byte[] key) {
    return args("GET", key);
  }

  /**
   * {@code SET key value [PX ttlMillis] [NX]}: without a TTL the key keeps no expiry (an earlier
   * one is cleared, as in Redis); with {@code onlyIfAbsent} it is set only if missing.
   *
   * @param ttl null for no expiry; else positive, rounded up to whole milliseconds
   */
  public static byte[][] set(byte[] key, byte[] value, Duration ttl, boolean onlyIfAbsent) {
    List<byte[]> a = new ArrayList<>(6);
    a.add(ascii("SET"));
    a.add(Objects.requireNonNull(key, "key"));
    a.add(Objects.requireNonNull(value, "value"));
    if (ttl != null) {
      a.add(ascii("PX"));
      a.add(ascii(Long.toString(ttlMillis(ttl))));
    }
    if (onlyIfAbsent) {
      a.add(ascii("NX"));
    }
    return a.toArray(new byte[0][]);
  }

  /** {@code DEL key}. */
  public static byte[][] del(byte[] key) {
    return args("DEL", key);
  }

  /** {@code INCRBY key delta}. */
  public static byte[][] incrBy(byte[] key, long delta) {
    return args("INCRBY", key, ascii(Long.toString(delta)));
  }

  /** {@code PEXPIRE key ttlMillis}; {@code ttl} positive, rounded up to whole milliseconds. */
  public static byte[][] pexpire(byte[] key, Duration ttl) {
    return args("PEXPIRE", key, ascii(Long.toString(ttlMillis(ttl))));
  }

  /** {@code PTTL key}. */
  public static byte[][] pttl(byte[] key) {
    return args("PTTL", key);
  }

  /** {@code PERSIST key}. */
  public static byte[][] persist(byte[] key) {
    return args("PERSIST", key);
  }

  /** {@code EXISTS key}. */
  public static byte[][] exists(byte[] key) {
    return args("EXISTS", key);
  }

  /** Any command: its name (ASCII) and arguments, as they would arrive from a RESP client. */
  public static byte[][] command(String name, byte[]... arguments) {
    byte[][] a = new byte[arguments.length + 1][];
    a[0] = ascii(name);
    for (int i = 0; i < arguments.length; i++) {
      a[i + 1] = Objects.requireNonNull(arguments[i], "argument");
    }
    return a;
  }

  /** The RESP request a client sends for {@code args}: an array of bulk strings. */
  public static byte[] encodeRequest(byte[][] args) {
    int size = 16;
    for (byte[] arg : args) {
      size += arg.length + 16;
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(size);
    out.writeBytes(ascii("*" + args.length + "\r\n"));
    for (byte[] arg : args) {
      out.writeBytes(ascii("$" + arg.length + "\r\n"));
      out.writeBytes(arg);
      out.writeBytes(ascii("\r\n"));
    }
    return out.toByteArray();
  }

  /**
   * {@code ttl} in whole milliseconds, rounded up so that a TTL never ends early.
   *
   * @throws IllegalArgumentException if {@code ttl} is zero or negative
   */
  public static long ttlMillis(Duration ttl) {
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isZero() || ttl.isNegative()) {
      throw new IllegalArgumentException("a TTL must be positive: " + ttl);
    }
    long millis = ttl.toMillis();
    return ttl.equals(Duration.ofMillis(millis)) ? millis : Math.addExact(millis, 1);
  }

  /**
   * What a {@code PTTL} reply means: the remaining time, or empty when the key does not exist
   * ({@code -2}) or has no expiry ({@code -1}).
   */
  public static Optional<Duration> remainingTtl(long pttlReply) {
    return pttlReply < 0 ? Optional.empty() : Optional.of(Duration.ofMillis(pttlReply));
  }

  // ------------------------------------------------------------------------------------------
  // Replies

  /**
   * An error reply: {@code -CODE message}.
   *
   * @param code the first word ({@code ERR}, {@code WRONGTYPE}, {@code TIMEOUT}, ...)
   * @param message the whole text after the {@code -}, code included
   */
  public record ErrorReply(String code, String message) {
    public ErrorReply {
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(message, "message");
    }

    /** The exception the embedded API throws for this reply (see {@link CacheException}). */
    public CacheException toException() {
      return switch (code) {
        case "TIMEOUT" -> new CacheTimeoutException(code, message, null);
        case "CLUSTERDOWN", "TRYAGAIN", "MOVED", "ASK" ->
            new ClusterUnavailableException(code, message, null);
        case "WRONGTYPE" -> new WrongTypeException(code, message, null);
        default ->
            message.startsWith("ERR value is not an integer")
                ? new WrongTypeException(code, message, null)
                : new CacheException(code, message, null);
      };
    }
  }

  /**
   * Decodes one complete reply.
   *
   * @throws IllegalArgumentException if {@code reply} is not exactly one well-formed RESP value
   */
  public static Object decode(byte[] reply) {
    Reader r = new Reader(reply);
    Object value = r.value();
    if (r.pos != reply.length) {
      throw new IllegalArgumentException(
          "malformed reply: " + (reply.length - r.pos) + " bytes after the value");
    }
    return value;
  }

  /**
   * Decodes one complete reply, throwing the {@link ErrorReply#toException() exception} for an
   * error reply.
   *
   * @throws CacheException for an error reply
   * @throws IllegalArgumentException if {@code reply} is malformed
   */
  public static Object decodeOrThrow(byte[] reply) {
    Object value = decode(reply);
    if (value instanceof ErrorReply error) {
      throw error.toException();
    }
    return value;
  }

  private static final class Reader {
    private final byte[] in;
    private int pos;

    Reader(byte[] in) {
      this.in = Objects.requireNonNull(in, "reply");
    }

    Object value() {
      if (pos >= in.length) {
        throw malformed("truncated");
      }
      byte type = in[pos++];
      switch (type) {
        case '+':
          return utf8(line());
        case '-':
          return error(utf8(line()));
        case ':':
          return parseLong(line());
        case '$':
          {
            long n = parseLong(line());
            return n < 0 ? null : blob(n);
          }
        case '!':
          return error(utf8(blob(parseLong(line()))));
        case '=':
          {
            String text = utf8(blob(parseLong(line())));
            return text.length() >= 4 && text.charAt(3) == ':' ? text.substring(4) : text;
          }
        case '*':
        case '~':
        case '>':
          {
            long n = parseLong(line());
            return n < 0 ? null : list(n);
          }
        case '%':
          {
            long n = parseLong(line());
            Map<Object, Object> map = new LinkedHashMap<>();
            for (long i = 0; i < n; i++) {
              Object k = value();
              map.put(k, value());
            }
            return Collections.unmodifiableMap(map);
          }
        case '|':
          {
            long n = parseLong(line());
            for (long i = 0; i < 2 * n; i++) {
              value();
            }
            return value();
          }
        case '_':
          line();
          return null;
        case '#':
          {
            String b = utf8(line());
            if (!b.equals("t") && !b.equals("f")) {
              throw malformed("boolean '" + b + "'");
            }
            return b.equals("t");
          }
        case ',':
          {
            String d = utf8(line());
            return switch (d) {
              case "inf" -> Double.POSITIVE_INFINITY;
              case "-inf" -> Double.NEGATIVE_INFINITY;
              case "nan" -> Double.NaN;
              default -> parseDouble(d);
            };
          }
        case '(':
          {
            String n = utf8(line());
            try {
              return new BigInteger(n);
            } catch (NumberFormatException e) {
              throw malformed("big number '" + n + "'");
            }
          }
        default:
          throw malformed("unknown type byte 0x" + Integer.toHexString(type & 0xff));
      }
    }

    private List<Object> list(long n) {
      if (n > in.length - pos) {
        throw malformed("array of " + n + " elements in " + (in.length - pos) + " bytes");
      }
      List<Object> items = new ArrayList<>((int) n);
      for (long i = 0; i < n; i++) {
        items.add(value());
      }
      return Collections.unmodifiableList(items);
    }

    private byte[] line() {
      for (int i = pos; i + 1 < in.length; i++) {
        if (in[i] == '\r' && in[i + 1] == '\n') {
          byte[] line = Arrays.copyOfRange(in, pos, i);
          pos = i + 2;
          return line;
        }
      }
      throw malformed("line without CRLF");
    }

    private byte[] blob(long n) {
      if (n < 0 || n > in.length - pos - 2) {
        throw malformed("bulk of " + n + " bytes in " + (in.length - pos) + " bytes");
      }
      byte[] b = Arrays.copyOfRange(in, pos, pos + (int) n);
      pos += (int) n;
      if (in[pos] != '\r' || in[pos + 1] != '\n') {
        throw malformed("bulk not followed by CRLF");
      }
      pos += 2;
      return b;
    }

    private static ErrorReply error(String text) {
      int space = text.indexOf(' ');
      return new ErrorReply(space < 0 ? text : text.substring(0, space), text);
    }

    private static long parseLong(byte[] line) {
      try {
        return Long.parseLong(new String(line, StandardCharsets.US_ASCII));
      } catch (NumberFormatException e) {
        throw malformed("number '" + new String(line, StandardCharsets.US_ASCII) + "'");
      }
    }

    private static double parseDouble(String text) {
      try {
        return Double.parseDouble(text);
      } catch (NumberFormatException e) {
        throw malformed("double '" + text + "'");
      }
    }

    private static String utf8(byte[] b) {
      return new String(b, StandardCharsets.UTF_8);
    }

    private static IllegalArgumentException malformed(String what) {
      return new IllegalArgumentException("malformed reply: " + what);
    }
  }

  private static byte[][] args(String name, byte[]... rest) {
    return command(name, rest);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
