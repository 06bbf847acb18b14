package io.distributedcache.simulator;

import io.distributedcache.core.cluster.message.ExecuteReply;
import io.distributedcache.core.cluster.message.PeerMessage;
import io.distributedcache.core.cluster.message.ReadStateReply;
import io.distributedcache.core.cluster.message.Replicate;
import io.distributedcache.core.cluster.message.StateEntry;
import io.distributedcache.core.cluster.message.SyncReply;
import io.distributedcache.core.storage.ByteKey;
import io.distributedcache.core.storage.VersionedValue;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Invariant (e), seed bug 1's regression: a value written with {@code SET k v PX ttl}, invoked at
 * t0 and acknowledged at t1, lives on every copy at least until {@code t0 + ttl} and not much past
 * {@code t1 + ttl}, whatever the nodes' wall clocks say.
 *
 * <h2>What is checked</h2>
 *
 * Every copy's deadline is a reading of its node's own ticker, which the simulator maps back to
 * simulated time. The simulator also knows the path each copy took: the node that executed the
 * write (the origin, deadline D0), then every message that carried the state on (a replication, a
 * transfer, a read-state reply and the read repair made from it), each with its real transit time.
 *
 * <ul>
 *   <li>(e1) Lower bound, on every store: the deadline is at least {@code t0 + ttl}, and there is
 *       one.
 *   <li>(e2) Each hop adds exactly its transit, on every store: the deadline is at most {@code D0}
 *       plus the transit times of the copy's path. A node that holds a state before passing it on
 *       (a read coordinator waiting for slower replicas) must age it by that wait.
 *   <li>(e3) Upper bound: no node holds the value live after {@code t1 + ttl + transitBound}
 *       (checked when a node stores it after that moment, and for every node at that moment);
 *       {@code transitBound} is {@link SimNetwork#MAX_TRANSIT_NANOS} plus a tick.
 * </ul>
 *
 * <p>(e3) as stated holds only for copies one hop from the origin. By design, copies also travel
 * through other replicas (catch-up and anti-entropy transfers from a replica, read repair through a
 * coordinator), and each hop adds up to one transit; a copy {@code h} hops from the origin may live
 * until {@code t1 + ttl + h x transitBound}, which (e2) makes exact.
 *
 * <p>(e4) A node never stores the same version of a key twice in one life: it would have lost its
 * copy (to expiry, or to a transfer that removed it) and taken it back from a peer whose copy
 * lives a transit longer, and hop by hop such revivals keep a value alive indefinitely. An expired
 * value must stay a tombstone at its version for a while, which refuses the copy. Values written
 * without a TTL must never get a deadline.
 */
final class TtlStaysWithinWindow {

  static final String NAME = "TtlStaysWithinWindow";

  private final Simulation sim;
  private final History history;
  private final long transitBoundNanos;

  /** Per copy ("node#incarnation/key@version"): transit accumulated since the origin, and hops. */
  private final Map<String, long[]> copies = new HashMap<>();

  /**
   * Per copy a node received in a message (stored or not): the longest path seen. A node may store
   * a copy that arrived in an earlier event (a read coordinator repairing itself with the newest of
   * several answers), so the longest one bounds it.
   */
  private final Map<String, long[]> received = new HashMap<>();

  /** Per write: the origin's deadline (simulated time). */
  private final Map<Op, Long> originDeadlines = new HashMap<>();

  /** The version each node incarnation last stored per key, to recognize revived copies. */
  private final Map<String, Long> lastStored = new HashMap<>();

  long copiesChecked;
  long relayedCopies;
  long expiryChecks;

  TtlStaysWithinWindow(Simulation sim, History history, long transitBoundNanos) {
    this.sim = sim;
    this.history = history;
    this.transitBoundNanos = transitBoundNanos;
  }

  private static String copyId(SimNode node, String key, long version) {
    return node.index + "#" + node.incarnation + "/" + key + "@" + version;
  }

  // ------------------------------------------------------------------------------------------
  // Provenance

  /**
   * A message leaves {@code from}: returns, per TTL'd entry it carries, the path of the sender's
   * copy ({accumulated transit, hops}), or null if it carries none.
   */
  long[][] onSend(SimNode from, PeerMessage body) {
    List<StateEntry> entries = entriesOf(body);
    if (entries.isEmpty()) {
      return null;
    }
    long[][] paths = null;
    for (int i = 0; i < entries.size(); i++) {
      StateEntry e = entries.get(i);
      if (e.value() == null || e.remainingTtlNanos() == StateEntry.NO_TTL) {
        continue;
      }
      String id = copyId(from, new String(e.key(), StandardCharsets.UTF_8), e.version());
      long[] path = copies.get(id);
      long[] relayed = received.get(id);
      if (relayed != null) {
        // Relaying what a peer sent (a read coordinator's repair): the longer of the two.
        path =
            path == null
                ? relayed
                : new long[] {Math.max(path[0], relayed[0]), Math.max(path[1], relayed[1])};
      }
      if (paths == null) {
        paths = new long[entries.size()][];
      }
      paths[i] = path == null ? new long[] {0, 0} : path;
    }
    return paths;
  }

  /** The message sent at {@code sentNanos} with {@code paths} reached {@code to}. */
  void onDeliver(SimNode to, PeerMessage body, long[][] paths, long sentNanos) {
    if (paths == null) {
      return;
    }
    List<StateEntry> entries = entriesOf(body);
    long transit = sim.now() - sentNanos;
    for (int i = 0; i < entries.size() && i < paths.length; i++) {
      if (paths[i] == null) {
        continue;
      }
      StateEntry e = entries.get(i);
      String id = copyId(to, new String(e.key(), StandardCharsets.UTF_8), e.version());
      long[] path = {paths[i][0] + transit, paths[i][1] + 1};
      received.merge(id, path, (a, b) -> new long[] {Math.max(a[0], b[0]), Math.max(a[1], b[1])});
    }
  }

  private static List<StateEntry> entriesOf(PeerMessage body) {
    if (body instanceof Replicate m) {
      return m.entries();
    } else if (body instanceof SyncReply m) {
      return m.entries();
    } else if (body instanceof ReadStateReply m) {
      return m.entries();
    } else if (body instanceof ExecuteReply m) {
      return m.entries();
    }
    return List.of();
  }

  // ------------------------------------------------------------------------------------------
  // Checks

  /** A node stored {@code raw} for {@code key} (a value, not a tombstone). */
  /**
   * {@code node} emptied every copy (it was failed over) and pulls them again: storing the same
   * versions again is a catch-up, not a revival.
   */
  void onDiscarded(SimNode node) {
    String prefix = node.index + "#" + node.incarnation + "/";
    lastStored.keySet().removeIf(k -> k.startsWith(prefix));
  }

  /**
   * {@code node} installed a layout: it dropped the copies of slots it no longer holds, and may
   * pull them again (same versions) if a later layout gives them back.
   */
  void onLayout(SimNode node) {
    String prefix = node.index + "#" + node.incarnation + "/";
    lastStored.keySet().removeIf(
        k -> k.startsWith(prefix) && !node.cluster.holdsCopy(slotOf(k.substring(prefix.length()))));
  }

  private static int slotOf(String key) {
    return io.distributedcache.core.keyspace.Slots.slot(key.getBytes(StandardCharsets.UTF_8));
  }

  void onStored(SimNode node, String key, VersionedValue raw) {
    if (node.cluster != null && !node.cluster.holdsCopy(slotOf(key))) {
      return; // a state that reached a node no longer holding the slot: removed at once
    }
    Long previous = lastStored.put(node.index + "#" + node.incarnation + "/" + key, raw.version());
    Op w = history.writeOf(new String(raw.value(), StandardCharsets.UTF_8));
    if (w == null) {
      return; // a counter; values no SET wrote are CopiesStayOnReplicas' business
    }
    if (w.kind != Op.Kind.SET_PX) {
      if (raw.hasDeadline()) {
        fail(key, node.id + " stored a value written without TTL with a deadline: " + w);
      }
      return;
    }
    if (!raw.hasDeadline()) {
      fail(key, node.id + " stored a value written with PX without any deadline: " + w);
      return;
    }
    copiesChecked++;
    String id = copyId(node, key, raw.version());
    long[] path = received.get(id);
    long deadline = node.toSimNanos(raw.deadlineNanos());
    if (path == null) {
      path = new long[] {0, 0};
      originDeadlines.putIfAbsent(w, deadline);
    } else {
      relayedCopies++;
    }
    copies.put(id, path);
    if (previous != null && previous == raw.version()) {
      fail(
          key,
          "(e4) "
              + node.id
              + " stored "
              + w.value
              + " again (same version) after its copy was gone: a revived copy: "
              + w);
      return;
    }
    long earliest = w.invokeNanos + w.ttlNanos;
    if (deadline < earliest) {
      fail(
          key,
          "(e1) "
              + node.id
              + " stored "
              + w.value
              + " to expire at "
              + Op.millis(deadline)
              + ", before invoke + ttl = "
              + Op.millis(earliest)
              + ": "
              + w);
      return;
    }
    Long origin = originDeadlines.get(w);
    if (origin != null && deadline > origin + path[0]) {
      fail(
          key,
          "(e2) "
              + node.id
              + " stored "
              + w.value
              + " to expire at "
              + Op.millis(deadline)
              + ", later than the origin's deadline "
              + Op.millis(origin)
              + " plus the "
              + Op.millis(path[0])
              + " its state spent in transit over "
              + path[1]
              + " hops: a relay did not age it: "
              + w);
      return;
    }
    if (w.acknowledged() && sim.now() > latestNanos(w, 1) && deadline > sim.now()) {
      checkLate(w, node, key, deadline, path, "stored");
    }
  }

  /** Called when {@code op} completes: schedules the upper-bound check of an acknowledged PX. */
  void onComplete(Op op) {
    if (op.kind != Op.Kind.SET_PX || !op.acknowledged()) {
      return;
    }
    sim.schedule(latestNanos(op, 1) + 1, Simulation.EV_CHECK, op.id, () -> checkGone(op));
  }

  private long latestNanos(Op w, long hops) {
    return w.completeNanos + w.ttlNanos + hops * transitBoundNanos;
  }

  private void checkGone(Op w) {
    expiryChecks++;
    String key = w.keys.get(0);
    ByteKey k = ByteKey.of(key);
    for (int i = 0; i < sim.nodeCount(); i++) {
      SimNode node = sim.node(i);
      if (!node.alive) {
        continue;
      }
      VersionedValue raw = node.storage.getRaw(k);
      if (raw != null
          && !raw.isTombstone()
          && new String(raw.value(), StandardCharsets.UTF_8).equals(w.value)) {
        long deadline = node.toSimNanos(raw.deadlineNanos());
        if (deadline <= sim.now()) {
          fail(key, node.id + " serves " + w.value + " past its own deadline: " + w);
          return;
        }
        long[] path = copies.get(copyId(node, key, raw.version()));
        checkLate(w, node, key, deadline, path == null ? new long[] {0, 0} : path, "holds");
        return;
      }
    }
  }

  /** A copy is live after {@code t1 + ttl + transitBound}. */
  private void checkLate(Op w, SimNode node, String key, long deadline, long[] path, String verb) {
    long hops = Math.max(1, path[1]);
    if (deadline <= latestNanos(w, hops)) {
      return; // a relayed copy, within its hops' transit (see the class comment)
    }
    String detail =
        "(e3) "
            + node.id
            + " "
            + verb
            + " "
            + w.value
            + " live (until "
            + Op.millis(deadline)
            + ", "
            + path[1]
            + " hops from the origin) after acknowledged + ttl + "
            + hops
            + " x transit bound = "
            + Op.millis(latestNanos(w, hops))
            + ": "
            + w;
    fail(key, detail);
  }

  private void fail(String key, String detail) {
    sim.fail(NAME, detail, List.of(key));
  }
}
