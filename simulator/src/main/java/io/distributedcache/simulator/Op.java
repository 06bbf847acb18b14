package io.distributedcache.simulator;

import io.distributedcache.core.cluster.ConsistencyLevel;
import java.util.List;
import java.util.Locale;

/**
 * One client operation in the history: what was asked, at which level, when, and what came back.
 * Mutable only while pending; the simulator's single thread fills in the outcome.
 */
final class Op {

  /** The operations of the workload. */
  enum Kind {
    /** {@code SET k v}, v unique in the whole run. */
    SET(true),
    /** {@code SET k v PX ttl}. */
    SET_PX(true),
    /** {@code GET k}. */
    GET(false),
    /** {@code DEL k}. */
    DEL(true),
    /** {@code INCR counter}. */
    INCR(true),
    /** {@code GET counter}. */
    GET_COUNTER(false),
    /** {@code MGET k1 k2}, two keys with one hash tag. */
    MGET(false),
    /** {@code DEL k1 k2}, two keys with one hash tag. */
    DEL2(true);

    final boolean write;

    Kind(boolean write) {
      this.write = write;
    }

    boolean deletes() {
      return this == DEL || this == DEL2;
    }

    boolean sets() {
      return this == SET || this == SET_PX;
    }
  }

  /** What the client learnt. */
  enum Outcome {
    /** No reply yet. */
    PENDING,
    /** A successful reply: for a write, acknowledged at its level. */
    OK,
    /** An error reply; for a write, one that says nothing was written. */
    FAILED,
    /** {@code -TIMEOUT unknown outcome}: the write may or may not take effect. */
    UNKNOWN,
    /** The coordinator crashed before it answered: as unknown as {@link #UNKNOWN}. */
    NO_REPLY
  }

  /** Used as the completion time of an operation whose effect may still happen at any time. */
  static final long NEVER = Long.MAX_VALUE;

  final long id;
  final int client;
  final long connection;
  final Kind kind;
  final List<String> keys;
  final String value;
  final long ttlNanos;
  final ConsistencyLevel level;
  final String coordinator;
  final long invokeNanos;

  long completeNanos = NEVER;
  Outcome outcome = Outcome.PENDING;
  String error;

  /** Per key, for reads: the value returned, {@code null} for nil. */
  String[] values;

  /** For INCR: the value it returned. */
  long counterResult;

  Op(
      long id,
      int client,
      long connection,
      Kind kind,
      List<String> keys,
      String value,
      long ttlNanos,
      ConsistencyLevel level,
      String coordinator,
      long invokeNanos) {
    this.id = id;
    this.client = client;
    this.connection = connection;
    this.kind = kind;
    this.keys = List.copyOf(keys);
    this.value = value;
    this.ttlNanos = ttlNanos;
    this.level = level;
    this.coordinator = coordinator;
    this.invokeNanos = invokeNanos;
  }

  boolean isWrite() {
    return kind.write;
  }

  boolean acknowledged() {
    return outcome == Outcome.OK;
  }

  boolean quorumLevel() {
    return level != ConsistencyLevel.ONE;
  }

  /**
   * The last moment at which this operation may take effect: its reply for an acknowledged or
   * failed one, {@link #NEVER} while its effect is unknown (it may still be applied later).
   */
  long latestEffectNanos() {
    return outcome == Outcome.OK || outcome == Outcome.FAILED ? completeNanos : NEVER;
  }

  /** Whether the write may have changed data (everything but a clear failure). */
  boolean mayHaveApplied() {
    return outcome != Outcome.FAILED;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(96);
    b.append("op#")
        .append(id)
        .append(" c")
        .append(client)
        .append("/conn")
        .append(connection)
        .append(' ')
        .append(kind)
        .append(' ')
        .append(String.join(",", keys));
    if (value != null) {
      b.append(" value=").append(value);
    }
    if (ttlNanos > 0) {
      b.append(" px=").append(ttlNanos / 1_000_000).append("ms");
    }
    b.append(" level=").append(level).append(" via ").append(coordinator);
    b.append(" invoke=").append(millis(invokeNanos));
    b.append(" complete=").append(completeNanos == NEVER ? "-" : millis(completeNanos));
    b.append(' ').append(outcome);
    if (outcome == Outcome.OK && values != null) {
      b.append(" read=").append(java.util.Arrays.toString(values));
    }
    if (outcome == Outcome.OK && kind == Kind.INCR) {
      b.append(" result=").append(counterResult);
    }
    if (error != null) {
      b.append(" error=").append(error);
    }
    return b.toString();
  }

  static String millis(long nanos) {
    return String.format(Locale.ROOT, "%.3fms", nanos / 1e6);
  }
}
