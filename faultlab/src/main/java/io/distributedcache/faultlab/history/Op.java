package io.distributedcache.faultlab.history;

import java.util.Objects;

/**
 * One line of a fault-lab history: a client operation's invocation or its completion, in the
 * style of Jepsen histories. An operation is one {@code INVOKE} followed, on the same {@link
 * #process}, by exactly one of {@code OK} (it happened, with the value it returned), {@code FAIL}
 * (it certainly did not happen) or {@code INFO} (unknown: a timeout, a dropped connection); a
 * process issues one operation at a time, and a process whose operation ended in {@code INFO}
 * never issues another (a new process number takes over its session).
 *
 * <p>Functions ({@link #f}) and their values:
 *
 * <ul>
 *   <li>{@code write}: {@code SET key value}; value = the written value (invoke and ok).
 *   <li>{@code read}: {@code GET key}; invoke value null, ok value = what was read (null: absent).
 *   <li>{@code incr}: {@code INCRBY key n}; invoke value = n, ok value = the returned count.
 *   <li>{@code write-ttl}: {@code SET key value PX ttlMillis}; value = the written value, {@link
 *       #ttlMillis} the TTL.
 *   <li>{@code add}: a set workload's {@code SET key value} of a unique key (the element).
 *   <li>{@code final-read}: a read after the faults healed, for convergence checks; per node.
 * </ul>
 *
 * @param index position in the history, 0, 1, 2...
 * @param type invoke, ok, fail or info
 * @param process the client process (one connection at a time), 0..
 * @param session the client session the process belongs to (read-your-writes and monotonic reads
 *     are checked per session; a session keeps one connection to one node until it fails)
 * @param node the node the operation was sent to ("n1"...)
 * @param f the function, see above
 * @param key the key
 * @param value the value (see above), or null
 * @param ttlMillis the TTL for write-ttl, else 0
 * @param timeNanos monotonic time of the event (System.nanoTime of the lab process)
 * @param error the error text of a fail or info, else null
 */
public record Op(
    long index,
    Type type,
    int process,
    int session,
    String node,
    String f,
    String key,
    String value,
    long ttlMillis,
    long timeNanos,
    String error) {

  /** The kind of history line. */
  public enum Type {
    INVOKE,
    OK,
    FAIL,
    INFO
  }

  public Op {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(f, "f");
  }
}
