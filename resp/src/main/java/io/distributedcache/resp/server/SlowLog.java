package io.distributedcache.resp.server;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * The node's slow log ({@code SLOWLOG GET/LEN/RESET}), as Redis keeps it: the most recent commands
 * whose execution took at least {@code slowlog-log-slower-than} microseconds, newest first, at most
 * {@code slowlog-max-len} of them.
 *
 * <p>Threading: {@link #slowerThanNanos()} is read by every event loop on every command and is a
 * volatile read, so the common case (a command faster than the threshold) costs no lock and no
 * allocation. Only a command that qualifies takes the lock and copies its arguments. Every method
 * may be called from any thread; none blocks beyond that short lock.
 */
public final class SlowLog {

  /** Redis' default {@code slowlog-log-slower-than}: 10 ms. */
  public static final long DEFAULT_SLOWER_THAN_MICROS = 10_000;

  /** Redis' default {@code slowlog-max-len}. */
  public static final int DEFAULT_MAX_LEN = 128;

  /** As Redis: at most this many arguments are kept; the last kept one says how many were cut. */
  static final int MAX_ARGS = 32;

  /** As Redis: a longer argument keeps this many bytes and says how many were cut. */
  static final int MAX_ARG_BYTES = 128;

  /**
   * One logged command.
   *
   * @param id unique, increasing from 0 for the life of the node (RESET does not restart it)
   * @param unixSeconds when the command was logged, on the node's wall clock
   * @param durationMicros how long it ran (for a command sent to the cluster: until its reply came)
   * @param args the command and its arguments, cut as Redis cuts them, secrets redacted
   * @param clientAddress the client's {@code ip:port}
   * @param clientName the client's name ({@code CLIENT SETNAME}), or empty
   */
  public record Entry(
      long id,
      long unixSeconds,
      long durationMicros,
      List<byte[]> args,
      String clientAddress,
      String clientName) {}

  private final Object lock = new Object();
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private long nextId;
  private volatile long slowerThanMicros = DEFAULT_SLOWER_THAN_MICROS;
  /** The threshold in nanoseconds, or {@link Long#MAX_VALUE} when logging is off (negative). */
  private volatile long slowerThanNanos = DEFAULT_SLOWER_THAN_MICROS * 1_000L;
  private volatile int maxLen = DEFAULT_MAX_LEN;

  /** {@code slowlog-log-slower-than} in microseconds: negative disables, 0 logs every command. */
  public long slowerThanMicros() {
    return slowerThanMicros;
  }

  /**
   * The threshold in nanoseconds, {@link Long#MAX_VALUE} when disabled: a command qualifies when
   * its duration is at least this. For the hot path: one volatile read.
   */
  public long slowerThanNanos() {
    return slowerThanNanos;
  }

  /** Sets {@code slowlog-log-slower-than}; any value is accepted (negative disables the log). */
  public void slowerThanMicros(long micros) {
    long nanos;
    if (micros < 0) {
      nanos = Long.MAX_VALUE;
    } else if (micros > Long.MAX_VALUE / 1_000L) {
      nanos = Long.MAX_VALUE - 1;
    } else {
      nanos = micros * 1_000L;
    }
    this.slowerThanMicros = micros;
    this.slowerThanNanos = nanos;
  }

  /** {@code slowlog-max-len}. */
  public int maxLen() {
    return maxLen;
  }

  /**
   * Sets {@code slowlog-max-len}, dropping the oldest entries beyond it at once.
   *
   * @throws IllegalArgumentException if {@code len} is negative
   */
  public void maxLen(int len) {
    if (len < 0) {
      throw new IllegalArgumentException("slowlog-max-len must not be negative: " + len);
    }
    synchronized (lock) {
      this.maxLen = len;
      trim();
    }
  }

  /**
   * Logs a command that took {@code durationNanos}, if that reaches the threshold. The caller has
   * already compared with {@link #slowerThanNanos()} to stay allocation-free; this checks again
   * because the threshold may have changed in between.
   */
  public void record(
      byte[][] args,
      long durationNanos,
      long unixMillis,
      String clientAddress,
      String clientName) {
    if (durationNanos < slowerThanNanos) {
      return;
    }
    List<byte[]> kept = redact(args);
    synchronized (lock) {
      if (maxLen == 0) {
        return;
      }
      entries.addFirst(
          new Entry(
              nextId++,
              Math.floorDiv(unixMillis, 1000L),
              durationNanos / 1_000L,
              kept,
              clientAddress,
              clientName));
      trim();
    }
  }

  private void trim() {
    while (entries.size() > maxLen) {
      entries.removeLast();
    }
  }

  /** Up to {@code count} entries, newest first; a negative count means all of them. */
  public List<Entry> newest(long count) {
    synchronized (lock) {
      long n = count < 0 ? entries.size() : Math.min(count, entries.size());
      List<Entry> result = new ArrayList<>((int) n);
      Iterator<Entry> it = entries.iterator();
      for (long i = 0; i < n; i++) {
        result.add(it.next());
      }
      return result;
    }
  }

  /** The number of entries held. */
  public int length() {
    synchronized (lock) {
      return entries.size();
    }
  }

  /** Drops every entry; ids keep counting from where they were. */
  public void reset() {
    synchronized (lock) {
      entries.clear();
    }
  }

  /**
   * The arguments as the log keeps them: Redis' cuts (32 arguments, 128 bytes each) and no
   * credentials: as Redis 7 does, AUTH's arguments, HELLO's AUTH username and password, and the
   * arguments of ACL SETUSER, GETUSER and DELUSER read "(redacted)".
   */
  static List<byte[]> redact(byte[][] args) {
    int kept = Math.min(args.length, MAX_ARGS);
    List<byte[]> out = new ArrayList<>(kept);
    boolean[] secret = secrets(args);
    for (int i = 0; i < kept; i++) {
      if (i == MAX_ARGS - 1 && args.length > MAX_ARGS) {
        out.add(
            ascii("... (" + (args.length - MAX_ARGS + 1) + " more arguments)"));
        break;
      }
      byte[] arg = args[i];
      if (secret[i]) {
        out.add(ascii("(redacted)"));
      } else if (arg.length > MAX_ARG_BYTES) {
        byte[] suffix = ascii("... (" + (arg.length - MAX_ARG_BYTES) + " more bytes)");
        byte[] cut = new byte[MAX_ARG_BYTES + suffix.length];
        System.arraycopy(arg, 0, cut, 0, MAX_ARG_BYTES);
        System.arraycopy(suffix, 0, cut, MAX_ARG_BYTES, suffix.length);
        out.add(cut);
      } else {
        out.add(arg.clone());
      }
    }
    return out;
  }

  /** Which arguments carry credentials, by position. */
  private static boolean[] secrets(byte[][] args) {
    boolean[] secret = new boolean[args.length];
    if (isAscii(args[0], "AUTH")) {
      Arrays.fill(secret, 1, args.length, true);
    } else if (isAscii(args[0], "HELLO")) {
      // HELLO [protover [AUTH username password] [SETNAME clientname]]
      for (int i = 2; i + 2 < args.length; i++) {
        if (isAscii(args[i], "AUTH")) {
          secret[i + 1] = true;
          secret[i + 2] = true;
          break;
        }
      }
    } else if (isAscii(args[0], "ACL")
        && args.length > 2
        && (isAscii(args[1], "SETUSER") || isAscii(args[1], "GETUSER")
            || isAscii(args[1], "DELUSER"))) {
      Arrays.fill(secret, 2, args.length, true);
    }
    return secret;
  }

  /** {@code ip:port} of a client, as CLIENT LIST shows it; otherwise the address as text. */
  static String describe(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      String host =
          inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
      return host + ":" + inet.getPort();
    }
    return String.valueOf(address);
  }

  private static boolean isAscii(byte[] arg, String upper) {
    return new String(arg, StandardCharsets.US_ASCII).equalsIgnoreCase(upper);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
