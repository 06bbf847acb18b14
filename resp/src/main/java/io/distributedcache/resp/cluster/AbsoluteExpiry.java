package io.distributedcache.resp.cluster;

import io.distributedcache.core.time.WallClock;
import io.distributedcache.resp.command.Args;
import java.nio.charset.StandardCharsets;

/**
 * Turns the absolute expiry times of a command into durations on the node where the command
 * arrives, before it is forwarded (DESIGN.md section 4): {@code EXPIREAT}/{@code PEXPIREAT} become
 * {@code PEXPIRE}, and the {@code EXAT}/{@code PXAT} options of {@code SET} and {@code GETEX}
 * become {@code PX}. The primary that runs the command may have a wall clock hours off; the client
 * meant the clock of the node it talks to.
 *
 * <p>A {@code SET}/{@code GETEX} time already past becomes {@code PX 1} (the key lives at most one
 * more millisecond), because {@code PX} must be positive; {@code EXPIREAT} in the past becomes a
 * non-positive {@code PEXPIRE}, which deletes the key exactly as it would have. Arguments that do
 * not parse are left alone, so the primary answers with the usual error. Stateless; any thread.
 */
public final class AbsoluteExpiry {

  private static final byte[] PEXPIRE = ascii("PEXPIRE");
  private static final byte[] PX = ascii("PX");

  private AbsoluteExpiry() {}

  /**
   * Returns {@code args} with absolute expiry times made relative to {@code wall}'s now, or {@code
   * args} itself when there are none. Never modifies {@code args}.
   */
  public static byte[][] relativize(byte[][] args, WallClock wall) {
    if (args.length < 3) {
      return args;
    }
    if (Args.is(args[0], "EXPIREAT") || Args.is(args[0], "PEXPIREAT")) {
      Long atMillis = millis(args[2], Args.is(args[0], "EXPIREAT"));
      if (atMillis == null) {
        return args;
      }
      byte[][] copy = args.clone();
      copy[0] = PEXPIRE;
      copy[2] = ascii(Long.toString(atMillis - wall.currentTimeMillis()));
      return copy;
    }
    boolean set = Args.is(args[0], "SET");
    if (!set && !Args.is(args[0], "GETEX")) {
      return args;
    }
    byte[][] copy = null;
    for (int i = set ? 3 : 2; i + 1 < args.length; i++) {
      if (set && (Args.is(args[i], "IFEQ") || Args.is(args[i], "IFNE"))) {
        i++; // the comparison value is data, whatever it spells
        continue;
      }
      boolean seconds = Args.is(args[i], "EXAT");
      if (seconds || Args.is(args[i], "PXAT")) {
        Long atMillis = millis(args[i + 1], seconds);
        if (atMillis == null) {
          continue;
        }
        if (copy == null) {
          copy = args.clone();
        }
        copy[i] = PX;
        copy[i + 1] = ascii(Long.toString(Math.max(1, atMillis - wall.currentTimeMillis())));
        i++;
      }
    }
    return copy == null ? args : copy;
  }

  /** The Unix time in milliseconds an argument names, or null if it is not a valid one. */
  private static Long millis(byte[] arg, boolean seconds) {
    long value;
    try {
      value = Long.parseLong(new String(arg, StandardCharsets.US_ASCII));
    } catch (NumberFormatException e) {
      return null;
    }
    if (value <= 0) {
      return null; // Redis rejects these; let the primary say so
    }
    if (seconds) {
      if (value > Long.MAX_VALUE / 1000) {
        return null;
      }
      return value * 1000;
    }
    return value;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
