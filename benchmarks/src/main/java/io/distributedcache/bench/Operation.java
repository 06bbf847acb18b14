package io.distributedcache.bench;

import java.util.Locale;

/** The command each connection sends in its loop. */
public enum Operation {
  /** {@code SET key value}; expects {@code +OK}. */
  SET,
  /** {@code GET key}; expects a bulk string or {@code $-1} (a miss is a valid reply). */
  GET,
  /** {@code INCR key}; expects an integer (a key holding a non-number answers an error). */
  INCR;

  /** Whether the operation writes, so that {@code WAIT} may follow it. */
  public boolean isWrite() {
    return this != GET;
  }

  /** Lower-case name, as on the command line. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
