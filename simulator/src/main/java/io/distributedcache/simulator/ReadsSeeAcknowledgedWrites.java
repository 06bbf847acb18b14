package io.distributedcache.simulator;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.keyspace.Slots;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Invariants (a), (b) and (c), and the per-operation half of (f): what a read returns is never
 * older than a write it must see.
 *
 * <h2>The rule</h2>
 *
 * A read R of key k returned x. The writes that may have produced x are: the SET that wrote x (its
 * value is unique); for nil, every DEL of k, every {@code SET PX} of k that may have expired before
 * R completed, and the initial state. Each such write P "may take effect" until {@link
 * Op#latestEffectNanos()} (its reply; never, while its outcome is unknown). R is stale if some
 * acknowledged write W2 of k was invoked after every such P could last take effect, and
 * acknowledged before R was invoked. Then:
 *
 * <ul>
 *   <li>(a) a QUORUM or ALL read must not be stale with respect to a W2 acknowledged at QUORUM or
 *       ALL (the final QUORUM reads after healing make this (b));
 *   <li>(c) a read at any level must not be stale with respect to a W2 of its own connection.
 * </ul>
 *
 * unless {@link ReplicaImpairment} says W2 may have been lost: more than {@code N - majority(N)}
 * replicas of its slot impaired at once since W2 was acknowledged, or, for (c) and a W2 at ONE,
 * its primary impaired.
 *
 * <p>Counters are checked by value instead, since they only grow: a read (or an INCR) must return
 * at least the result of every such W2, and never more than the INCRs that may have run. Values
 * read must have been written by a write that did not fail. (How long a TTL'd value may be read is
 * {@link TtlStaysWithinWindow}'s business: it checks every copy reads come from.)
 */
final class ReadsSeeAcknowledgedWrites {

  static final String NAME = "ReadsSeeAcknowledgedWrites";

  private final Simulation sim;
  private final History history;
  private final ReplicaImpairment impairment;
  private final int tolerated;

  ReadsSeeAcknowledgedWrites(Simulation sim, History history, ReplicaImpairment impairment) {
    this.sim = sim;
    this.history = history;
    this.impairment = impairment;
    int n = sim.config().replicationFactor();
    this.tolerated = n - ConsistencyLevel.majority(n);
  }

  /** Called when {@code op} completes. */
  void onComplete(Op op) {
    if (!op.acknowledged()) {
      return;
    }
    switch (op.kind) {
      case GET, MGET -> {
        for (int i = 0; i < op.keys.size(); i++) {
          checkValue(op, op.keys.get(i), op.values[i]);
        }
      }
      case GET_COUNTER -> checkCounterRead(op, op.keys.get(0), op.values[0]);
      case INCR -> checkIncrement(op);
      default -> {}
    }
  }

  private void checkValue(Op read, String key, String observed) {
    long latest;
    if (observed != null) {
      Op w = history.writeOf(observed);
      if (w == null || !w.keys.contains(key)) {
        fail(read, key, "returned " + observed + ", which no SET of " + key + " wrote");
        return;
      }
      if (w.outcome == Op.Outcome.FAILED) {
        fail(read, key, "returned the value of a write that failed (nothing written): " + w);
        return;
      }
      if (w.invokeNanos > read.completeNanos) {
        fail(read, key, "returned the value of a write invoked after the read completed: " + w);
        return;
      }
      latest = w.latestEffectNanos();
    } else {
      latest = 0; // the initial state: nothing
      for (Op w : history.writesOf(key)) {
        if (!w.mayHaveApplied() || w.invokeNanos > read.completeNanos) {
          continue;
        }
        boolean producesNil =
            w.kind.deletes()
                || (w.kind == Op.Kind.SET_PX && w.invokeNanos + w.ttlNanos <= read.completeNanos);
        if (producesNil) {
          latest = Math.max(latest, w.latestEffectNanos());
        }
      }
    }
    if (latest == Op.NEVER) {
      return;
    }
    for (Op w2 : history.writesOf(key)) {
      if (!w2.acknowledged()
          || w2.kind == Op.Kind.INCR
          || w2.completeNanos >= read.invokeNanos
          || w2.invokeNanos <= latest) {
        continue;
      }
      String what = observed == null ? "nil" : observed;
      if (read.quorumLevel() && w2.quorumLevel() && !lossAllowed(w2, read, key)) {
        fail(
            read,
            key,
            "(a) a "
                + read.level
                + " read returned "
                + what
                + ", overwritten by "
                + w2.level
                + " write op#"
                + w2.id
                + " acknowledged before the read began: "
                + w2);
        return;
      }
      if (read.connection == w2.connection && !ownLossAllowed(w2, read, key)) {
        fail(
            read,
            key,
            "(c) read-your-own-writes: a "
                + read.level
                + " read returned "
                + what
                + ", older than this connection's acknowledged write op#"
                + w2.id
                + ": "
                + w2);
        return;
      }
    }
  }

  private void checkCounterRead(Op read, String key, String observed) {
    long x;
    try {
      x = observed == null ? 0 : Long.parseLong(observed);
    } catch (NumberFormatException e) {
      fail(read, key, "counter holds a non-number: " + observed);
      return;
    }
    checkCounterValue(read, key, x, false);
  }

  private void checkIncrement(Op incr) {
    String key = incr.keys.get(0);
    if (incr.counterResult < 1) {
      fail(incr, key, "INCR returned " + incr.counterResult + " (< 1)");
      return;
    }
    checkCounterValue(incr, key, incr.counterResult, true);
  }

  /**
   * {@code x} is what {@code op} saw; an INCR sees the value after its own increment, so it must be
   * strictly above every earlier acknowledged result, a read at least equal.
   */
  private void checkCounterValue(Op op, String key, long x, boolean increments) {
    List<Op> incrs = history.writesOf(key);
    int possible = 0;
    for (Op w : incrs) {
      if (w.mayHaveApplied() && w.invokeNanos <= op.completeNanos) {
        possible++;
      }
    }
    if (x > possible) {
      fail(
          op,
          key,
          (increments ? "INCR returned " : "counter read returned ")
              + x
              + " but only "
              + possible
              + " INCRs that did not fail had been invoked (an increment counted twice)");
      return;
    }
    for (Op w2 : incrs) {
      if (w2 == op || !w2.acknowledged() || w2.completeNanos >= op.invokeNanos) {
        continue;
      }
      boolean stale = increments ? w2.counterResult >= x : w2.counterResult > x;
      if (!stale) {
        continue;
      }
      String what = (increments ? "INCR returned " : "read returned ") + x;
      // An INCR runs on the primary, which holds every write it ordered unless it lost it.
      boolean mustSee =
          increments
              ? !ownLossAllowed(w2, op, key)
              : op.quorumLevel() && w2.quorumLevel() && !lossAllowed(w2, op, key);
      if (mustSee) {
        fail(
            op,
            key,
            (increments ? "(f) INCR atomicity: " : "(a) ")
                + what
                + " after "
                + w2.level
                + " INCR op#"
                + w2.id
                + " had returned "
                + w2.counterResult
                + ": "
                + w2);
        return;
      }
      if (op.connection == w2.connection && !ownLossAllowed(w2, op, key)) {
        fail(
            op,
            key,
            "(c) read-your-own-writes: "
                + what
                + " after this connection's INCR op#"
                + w2.id
                + " had returned "
                + w2.counterResult);
        return;
      }
    }
  }

  private boolean lossAllowed(Op write, Op later, String key) {
    return impairment.maxImpaired(slot(key), write.completeNanos, later.completeNanos) > tolerated;
  }

  private boolean ownLossAllowed(Op write, Op later, String key) {
    return lossAllowed(write, later, key)
        || (write.level == ConsistencyLevel.ONE
            && impairment.primaryImpaired(slot(key), write.completeNanos, later.completeNanos));
  }

  private static int slot(String key) {
    return Slots.slot(key.getBytes(StandardCharsets.UTF_8));
  }

  private void fail(Op op, String key, String detail) {
    sim.fail(NAME, detail + "\n  by " + op, List.of(key));
  }
}
