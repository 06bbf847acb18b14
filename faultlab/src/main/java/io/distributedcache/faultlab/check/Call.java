package io.distributedcache.faultlab.check;

import io.distributedcache.faultlab.history.Op;

/**
 * One operation of a history: its invocation and its completion, or no completion if the run ended
 * while it was pending (treated like {@code INFO}).
 *
 * <p>Times: an {@code OK} operation took effect somewhere in [{@link #invokeNanos}, {@link
 * #completeNanos}]; an unknown one at any time after its invocation or never, which is why its
 * {@link #completeNanos} is {@link #NEVER}.
 */
record Call(Op invoke, Op completion) {

  /** The completion time of an operation whose outcome is unknown. */
  static final long NEVER = Long.MAX_VALUE;

  static final String WRITE = "write";
  static final String READ = "read";
  static final String INCR = "incr";
  static final String WRITE_TTL = "write-ttl";
  static final String ADD = "add";
  static final String FINAL_READ = "final-read";

  /** OK, FAIL or INFO; a missing completion counts as INFO. */
  Op.Type outcome() {
    return completion == null ? Op.Type.INFO : completion.type();
  }

  boolean ok() {
    return outcome() == Op.Type.OK;
  }

  boolean failed() {
    return outcome() == Op.Type.FAIL;
  }

  boolean unknown() {
    return outcome() == Op.Type.INFO;
  }

  String f() {
    return invoke.f();
  }

  String key() {
    return invoke.key();
  }

  int session() {
    return invoke.session();
  }

  int process() {
    return invoke.process();
  }

  String node() {
    return invoke.node();
  }

  long index() {
    return invoke.index();
  }

  long invokeNanos() {
    return invoke.timeNanos();
  }

  /** The completion time of an OK or FAIL operation; {@link #NEVER} for an unknown one. */
  long completeNanos() {
    return unknown() ? NEVER : completion.timeNanos();
  }

  /** The value given with the invocation: the written value, the increment. */
  String argument() {
    return invoke.value();
  }

  /** The value of an OK completion: what was read, the returned count; else null. */
  String result() {
    return ok() ? completion.value() : null;
  }

  /** True if this call surely took effect before {@code other} was invoked (real-time order). */
  boolean precedes(Call other) {
    return ok() && completeNanos() < other.invokeNanos();
  }

  /** A one-line description naming both op indexes, for violation messages. */
  String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append(f()).append(' ').append(quote(key()));
    switch (f()) {
      case READ, FINAL_READ -> sb.append(ok() ? " -> " + quote(result()) : "");
      case INCR -> sb.append(" by ").append(argument()).append(ok() ? " -> " + result() : "");
      case WRITE_TTL -> sb.append(' ').append(quote(argument())).append(" px ")
          .append(invoke.ttlMillis());
      default -> sb.append(' ').append(quote(argument()));
    }
    sb.append(" [#").append(invoke.index());
    if (completion != null) {
      sb.append("/#").append(completion.index());
    }
    sb.append(' ').append(outcome().name().toLowerCase(java.util.Locale.ROOT));
    sb.append(", process ").append(process()).append(", session ").append(session());
    if (node() != null) {
      sb.append(", ").append(node());
    }
    return sb.append(']').toString();
  }

  static String quote(String value) {
    return value == null ? "absent" : "'" + value + "'";
  }
}
