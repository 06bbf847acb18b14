package io.distributedcache.simulator;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.cluster.message.Invalidate;
import io.distributedcache.core.invalidation.Invalidation;
import io.distributedcache.core.keyspace.Slots;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Invariant 18 (docs/ARCHITECTURE.md) from a client's point of view: a near cache ({@link
 * NearCache}) on any node that read a key is told of every later acknowledged change to it, by a
 * key event, a slot, prefix or "all" event, so that it never keeps serving a value the cluster has
 * overwritten.
 *
 * <h2>The rule</h2>
 *
 * A near-cache entry of key k on node X, cached from read R (not poisoned: no event covered k while
 * R was in flight), owes a drop to every acknowledged write W of k invoked after R was dispatched.
 * W's primary announces it after W was invoked, hence after X's near cache started listening for
 * R, and either the announcement reaches X or X learns that it may have missed it (a peer link came
 * back, a layout changed). A read that raced with W is therefore never blamed: its answer is not
 * cached if the announcement overtook it, and dropped if the announcement came after.
 *
 * <p>Two checks:
 *
 * <ul>
 *   <li><b>Timely</b>, after every event: {@value #BOUND_MILLIS} ms of simulated time after W's
 *       acknowledgement, if the cluster was calm throughout (every node up and routing by the same
 *       epoch, no rebalance, every peer link between live nodes established since before W was
 *       invoked), the entry must be gone. Otherwise a legitimately late delivery (a partition that
 *       has not healed, a failover under way) is left to the next check.
 *   <li><b>After healing</b> ({@link #checkAfterHealing}): every link is back, every node restarted
 *       and the layout settled, so whatever was lost must have been covered by a reconnection's or
 *       a layout change's slot events; every entry still owing a drop is a violation.
 * </ul>
 *
 * <p>Excused, as elsewhere: a write whose loss {@link ReplicaImpairment} allows (a deposed primary
 * acknowledged it at ONE, then was failed over and discarded it: the value the near cache holds is
 * again the cluster's), and an announcement the simulated network dropped silently while its
 * connection stayed up (the real transport closes the connection instead, and the reconnection's
 * slot events cover the loss; a silent drop has no such remedy by construction).
 */
final class NearCachesHearOfChanges {

  static final String NAME = "NearCachesHearOfChanges";

  /** How long after a write's acknowledgement a calm cluster must have dropped the entries. */
  static final long BOUND_MILLIS = 2000;

  /** Writes acknowledged this close to the end of healing are not checked after healing. */
  private static final long SETTLE_NANOS = 1000 * Simulation.MS;

  private final Simulation sim;
  private final History history;
  private final ReplicaImpairment impairment;
  private final int tolerated;
  private final ArrayDeque<Op> due = new ArrayDeque<>();
  private final long boundNanos = BOUND_MILLIS * Simulation.MS;

  /** The last moment the cluster was not calm (see the class comment); calm since after it. */
  private long lastUnsettledNanos;

  /** Writes whose entries were checked in a calm window, at their deadline. */
  long timelyChecks;

  /** Entries checked after healing. */
  long entriesCheckedAfterHealing;

  /** Obligations excused (a silently dropped announcement, a write whose loss is allowed). */
  long excused;

  NearCachesHearOfChanges(Simulation sim, History history, ReplicaImpairment impairment) {
    this.sim = sim;
    this.history = history;
    this.impairment = impairment;
    int n = sim.config().replicationFactor();
    this.tolerated = n - ConsistencyLevel.majority(n);
  }

  /** A read through node {@code node} was dispatched. Call before handing it to the node. */
  void onReadInvoked(SimNode node, Op read) {
    if (node.nearCache != null) {
      node.nearCache.onReadInvoked(read);
    }
  }

  /** {@code op} completed: reads fill their coordinator's near cache, writes get a deadline. */
  void onComplete(Op op) {
    if (!sim.config().checkNearCaches()) {
      return;
    }
    if (!op.isWrite()) {
      int index = sim.indexOf(op.coordinator);
      SimNode node = index < 0 ? null : sim.node(index);
      if (node != null && node.nearCache != null) {
        node.nearCache.onReadCompleted(op);
      }
    } else if (op.acknowledged()) {
      due.addLast(op);
    }
  }

  /** The network silently dropped {@code message}, meant for {@code to}. */
  void onDropped(int to, Object message) {
    if (!(message instanceof Invalidate m)) {
      return;
    }
    NearCache cache = sim.node(to).nearCache;
    if (cache != null) {
      for (Invalidation event : m.events()) {
        cache.onLost(event);
      }
    }
  }

  /**
   * After every event: notes whether the cluster is calm, and checks the writes whose deadline
   * passed.
   *
   * @param calm whether every node is up and routing by the same settled epoch and every peer link
   *     between live nodes is established
   */
  void afterEvent(boolean calm) {
    long now = sim.now();
    if (!calm) {
      lastUnsettledNanos = now;
    }
    while (!due.isEmpty() && due.peekFirst().completeNanos + boundNanos <= now) {
      Op write = due.pollFirst();
      if (lastUnsettledNanos >= write.invokeNanos) {
        continue; // not calm throughout: the check after healing covers it
      }
      timelyChecks++;
      for (String key : write.keys) {
        for (int i = 0; i < sim.nodeCount(); i++) {
          NearCache cache = sim.node(i).nearCache;
          if (cache != null) {
            check(cache, key, write, "within " + BOUND_MILLIS + " ms in a calm cluster");
          }
        }
      }
    }
  }

  /**
   * After healing: every entry on a live node must have been dropped for every acknowledged write of
   * its key invoked after it was read (except the last second's writes, which may still travel).
   */
  void checkAfterHealing() {
    long settled = sim.now() - SETTLE_NANOS;
    for (int i = 0; i < sim.nodeCount(); i++) {
      NearCache cache = sim.node(i).nearCache;
      if (cache == null) {
        continue;
      }
      for (String key : List.copyOf(cache.entries().keySet())) {
        entriesCheckedAfterHealing++;
        for (Op write : history.writesOf(key)) {
          if (write.acknowledged()
              && write.completeNanos <= settled
              && !check(cache, key, write, "by the end of healing")) {
            return;
          }
        }
      }
    }
  }

  /** Checks one obligation; returns false once a violation was reported. */
  private boolean check(NearCache cache, String key, Op write, String when) {
    NearCache.Entry entry = cache.entry(key);
    if (entry == null || write.invokeNanos <= entry.read().invokeNanos) {
      return true;
    }
    if (cache.lastLossNanos(key) >= write.invokeNanos || lossAllowed(write, key)) {
      excused++;
      return true;
    }
    sim.fail(
        NAME,
        "the near cache of "
            + cache.node.id
            + " still holds "
            + key
            + " = "
            + (entry.value() == null ? "nil" : entry.value())
            + ", read by op#"
            + entry.read().id
            + " (cached at "
            + Op.millis(entry.recordedNanos())
            + "), "
            + Op.millis(sim.now() - write.completeNanos)
            + " after write op#"
            + write.id
            + " (invoked after that read was dispatched) was acknowledged; it should have been dropped "
            + when
            + "\n  write: "
            + write
            + "\n  read:  "
            + entry.read()
            + "\n  last events that covered "
            + key
            + " on "
            + cache.node.id
            + ":\n"
            + cache.recentEvents(key),
        List.of(key));
    return false;
  }

  /** As {@link ReadsSeeAcknowledgedWrites}: the write may be lost, so its change may be undone. */
  private boolean lossAllowed(Op write, String key) {
    int slot = Slots.slot(key.getBytes(StandardCharsets.UTF_8));
    long now = sim.now();
    return impairment.maxImpaired(slot, write.completeNanos, now) > tolerated
        || (write.level == ConsistencyLevel.ONE
            && impairment.primaryImpaired(slot, write.completeNanos, now));
  }
}
