package io.distributedcache.core.cluster;

import io.distributedcache.core.placement.ConsistentHashRing;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Who must hold one write to a slot before the primary may acknowledge it, under one layout.
 *
 * <p>Outside a rebalance that is {@code level.requiredCopies(N)} of the slot's N copies. During a
 * rebalance the slot may have a second, target, preference list, and a write must reach the
 * required number of copies in <em>each</em> list (a joint quorum, as in Raft's joint consensus):
 * reads stay on the serving list until the cutover and move to the target list after it, and each
 * side must find every acknowledged write. Members in both lists count in both.
 *
 * <p>Immutable apart from nothing; built per write on the primary's thread.
 */
final class WriteCopies {

  private final String[] serving;
  private final String[] target;
  private final int requiredServing;
  private final int requiredTarget;
  private final List<String> holders;
  private final List<String> toSend;
  private final List<String> unreachable;

  /**
   * @param servingRing the ring in force
   * @param targetRing the rebalance's target ring, or null
   * @param slot the slot written
   * @param level the write's level
   * @param selfId the primary
   * @param coordinatorReplica a coordinator that receives the state in our answer, or null
   * @param outbox tells which members are reachable
   */
  WriteCopies(
      ConsistentHashRing servingRing,
      ConsistentHashRing targetRing,
      int slot,
      ConsistencyLevel level,
      String selfId,
      String coordinatorReplica,
      PeerOutbox outbox) {
    this.serving = ids(servingRing, slot);
    this.target = targetRing == null ? new String[0] : ids(targetRing, slot);
    this.requiredServing = level.requiredCopies(serving.length);
    this.requiredTarget = targetRing == null ? 0 : level.requiredCopies(target.length);
    this.holders = new ArrayList<>(2);
    holders.add(selfId);
    if (coordinatorReplica != null
        && (contains(serving, coordinatorReplica) || contains(target, coordinatorReplica))) {
      holders.add(coordinatorReplica);
    }
    this.toSend = new ArrayList<>(serving.length + target.length);
    this.unreachable = new ArrayList<>();
    for (String[] list : new String[][] {serving, target}) {
      for (String id : list) {
        if (holders.contains(id) || toSend.contains(id) || unreachable.contains(id)) {
          continue;
        }
        (outbox.isReachable(id) ? toSend : unreachable).add(id);
      }
    }
  }

  private static String[] ids(ConsistentHashRing ring, int slot) {
    String[] ids = new String[ring.replicationFactor()];
    for (int r = 0; r < ids.length; r++) {
      ids[r] = ring.member(ring.preference(slot, r)).id();
    }
    return ids;
  }

  private static boolean contains(String[] list, String id) {
    for (String s : list) {
      if (s.equals(id)) {
        return true;
      }
    }
    return false;
  }

  /** The members to send the state to: reachable copies that do not hold it yet. */
  List<String> toSend() {
    return toSend;
  }

  /** Copies that cannot be reached now. */
  List<String> unreachable() {
    return unreachable;
  }

  /** Whether the write is acknowledged once the holders and {@code acked} have it. */
  boolean met(Collection<String> acked) {
    return count(serving, acked) >= requiredServing && count(target, acked) >= requiredTarget;
  }

  /** Whether the write could be acknowledged if every reachable copy answered. */
  boolean reachable() {
    return met(toSend);
  }

  /** Copies (of either list) that hold the write once {@code acked} have it. */
  int confirmed(Collection<String> acked) {
    int n = holders.size();
    for (String id : acked) {
      if (!holders.contains(id)) {
        n++;
      }
    }
    return n;
  }

  /** What the write needs, for messages: "2 of 3 copies" or "2 of 3 copies and 2 of 3 new ones". */
  String describeNeed() {
    String need = requiredServing + " of " + serving.length + " copies";
    return target.length == 0 ? need : need + " and " + requiredTarget + " of " + target.length
        + " copies of the rebalance's target";
  }

  private int count(String[] list, Collection<String> acked) {
    int n = 0;
    for (String id : list) {
      if (holders.contains(id) || acked.contains(id)) {
        n++;
      }
    }
    return n;
  }
}
