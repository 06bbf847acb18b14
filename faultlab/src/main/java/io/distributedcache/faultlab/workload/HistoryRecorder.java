package io.distributedcache.faultlab.workload;

import io.distributedcache.faultlab.history.Op;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects the history of a run as the client threads produce it: each {@link #record} takes the
 * time ({@link System#nanoTime()}) and the next index under one lock, so the index order is the
 * time order and every completion comes after its invocation. Called by every workload thread;
 * the critical section is a list append.
 */
public final class HistoryRecorder {

  private final List<Op> ops = new ArrayList<>();

  /** Appends one line and returns it. */
  public synchronized Op record(
      Op.Type type,
      int process,
      int session,
      String node,
      String f,
      String key,
      String value,
      long ttlMillis,
      String error) {
    Op op =
        new Op(
            ops.size(), type, process, session, node, f, key, value, ttlMillis, System.nanoTime(),
            error);
    ops.add(op);
    return op;
  }

  /** A copy of everything recorded so far, in index order. */
  public synchronized List<Op> ops() {
    return List.copyOf(ops);
  }

  /** How many lines were recorded. */
  public synchronized int size() {
    return ops.size();
  }
}
