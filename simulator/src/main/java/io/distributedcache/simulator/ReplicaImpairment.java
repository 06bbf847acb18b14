package io.distributedcache.simulator;

import io.distributedcache.core.cluster.ClusterNode.SlotState;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The crash history the checkers need: for every slot the workload uses, when each of its replicas
 * had <em>lost its copy</em>, that is was down, or restarted but still {@link
 * SlotState#CATCHING_UP} in that slot.
 *
 * <p>A replica that crashed and has caught up holds every write a majority acknowledged again (that
 * is what catch-up promises), so it no longer counts. Data loss is therefore allowed for a write
 * only if, at some moment after it was acknowledged, more than {@code N - majority(N)} replicas of
 * its slot were impaired at once (or, for a write acknowledged at ONE, its primary was). This is
 * stricter than counting every crash since the write, and therefore checks more.
 *
 * <p>With the control plane the layout changes: failovers demote a primary, a rebalance adds and
 * removes copies. A slot's replicas here are every node that held a copy of it in any layout any
 * node applied (serving or target ring), and its primaries every node that was its primary in one:
 * a superset, so the excuse is never narrower than the truth (a crash of any of them counts).
 */
final class ReplicaImpairment {

  private final Simulation sim;
  private final Map<Integer, Track> tracks = new LinkedHashMap<>();
  private final TreeSet<Integer> recovering = new TreeSet<>();
  private final TreeSet<Integer> failedOver = new TreeSet<>();

  /** Tracked slots a restarted replica caught up in. */
  long slotsRecovered;

  /** One slot's impaired replicas over time. */
  private static final class Track {
    final int slot;
    final boolean[] replica;
    final boolean[] primary;
    final boolean[] impaired;
    int count;
    int crashes;
    long[] times = new long[8];
    int[] counts = new int[8];
    boolean[] primaryImpaired = new boolean[8];
    int size;

    Track(int slot, int nodes) {
      this.slot = slot;
      this.replica = new boolean[nodes];
      this.primary = new boolean[nodes];
      this.impaired = new boolean[nodes];
    }

    boolean primaryImpairedNow() {
      for (int i = 0; i < primary.length; i++) {
        if (primary[i] && impaired[i]) {
          return true;
        }
      }
      return false;
    }

    void record(long now) {
      if (size == times.length) {
        times = Arrays.copyOf(times, size * 2);
        counts = Arrays.copyOf(counts, size * 2);
        primaryImpaired = Arrays.copyOf(primaryImpaired, size * 2);
      }
      times[size] = now;
      counts[size] = count;
      primaryImpaired[size] = primaryImpairedNow();
      size++;
    }

    boolean replicatedBy(int node) {
      return replica[node];
    }

    /** Index of the last change at or before {@code t}. */
    int at(long t) {
      int i = size - 1;
      while (i > 0 && times[i] > t) {
        i--;
      }
      return i;
    }
  }

  ReplicaImpairment(Simulation sim) {
    this.sim = sim;
  }

  /** Starts tracking the slot of {@code key}. */
  void track(String key) {
    int slot = Slots.slot(key.getBytes(StandardCharsets.UTF_8));
    if (!tracks.containsKey(slot)) {
      Track t = new Track(slot, sim.nodeCount());
      tracks.put(slot, t);
      add(t, sim.foundingRing(), true);
      t.record(0);
    }
  }

  /** A node applied a layout: its copies and primaries join their slots' sets. */
  void onLayout(ConsistentHashRing serving, ConsistentHashRing target) {
    for (Track t : tracks.values()) {
      boolean changed = add(t, serving, true);
      if (target != null) {
        changed |= add(t, target, false);
      }
      if (changed) {
        t.record(sim.now());
      }
    }
  }

  /** Adds {@code ring}'s copies of the track's slot; true if that changed what is impaired. */
  private boolean add(Track t, ConsistentHashRing ring, boolean serving) {
    boolean changed = false;
    int[] members = ring.preferenceIndexes(t.slot);
    for (int rank = 0; rank < members.length; rank++) {
      int node = sim.indexOf(ring.member(members[rank]).id());
      if (rank == 0 && serving && !t.primary[node]) {
        t.primary[node] = true;
        changed |= t.impaired[node];
      }
      if (!t.replica[node]) {
        t.replica[node] = true;
        SimNode n = sim.node(node);
        if (!n.alive && !n.retired && n.incarnation > 0) {
          t.impaired[node] = true;
          t.count++;
          changed = true;
        }
      }
    }
    return changed;
  }

  void onCrash(int node) {
    long now = sim.now();
    recovering.remove(node);
    for (Track t : tracks.values()) {
      if (t.replicatedBy(node)) {
        t.crashes++;
        if (!t.impaired[node]) {
          t.impaired[node] = true;
          t.count++;
          t.record(now);
        }
      }
    }
  }

  void onRestart(int node) {
    recovering.add(node);
  }

  /**
   * The control plane marked {@code node} failed (any node applied it): it counts as impaired, like
   * a crash, until it is active again and has caught up. Idempotent.
   */
  void onFailedOver(int node) {
    if (failedOver.add(node)) {
      onCrash(node);
    }
  }

  /** {@code node} is active again in some node's metadata. Idempotent. */
  void onReinstated(int node) {
    if (failedOver.remove(node) && sim.node(node).alive) {
      onRestart(node);
    }
  }

  /** After every event: a restarted replica stops being impaired once its slot caught up. */
  void update() {
    if (recovering.isEmpty()) {
      return;
    }
    long now = sim.now();
    List<Integer> done = new ArrayList<>(1);
    for (int node : recovering) {
      SimNode simNode = sim.node(node);
      boolean still = false;
      for (Track t : tracks.values()) {
        if (t.impaired[node]) {
          if (simNode.serving() && simNode.cluster.slotState(t.slot) != SlotState.CATCHING_UP) {
            t.impaired[node] = false;
            t.count--;
            t.record(now);
            slotsRecovered++;
          } else {
            still = true;
          }
        }
      }
      if (!still) {
        done.add(node);
      }
    }
    recovering.removeAll(done);
  }

  /** Whether some node is restarted but not caught up in every tracked slot. */
  boolean anyRecovering() {
    return !recovering.isEmpty();
  }

  /** The most replicas of {@code slot} impaired at once during {@code [fromNanos, toNanos]}. */
  int maxImpaired(int slot, long fromNanos, long toNanos) {
    Track t = tracks.get(slot);
    int i = t.at(fromNanos);
    int max = t.counts[i];
    for (i++; i < t.size && t.times[i] <= toNanos; i++) {
      max = Math.max(max, t.counts[i]);
    }
    return max;
  }

  /** Whether the primary of {@code slot} was impaired at some moment of {@code [from, to]}. */
  boolean primaryImpaired(int slot, long fromNanos, long toNanos) {
    Track t = tracks.get(slot);
    int i = t.at(fromNanos);
    if (t.primaryImpaired[i]) {
      return true;
    }
    for (i++; i < t.size && t.times[i] <= toNanos; i++) {
      if (t.primaryImpaired[i]) {
        return true;
      }
    }
    return false;
  }

  /** Crashes of replicas of {@code slot} in the whole run (for reports). */
  int crashes(int slot) {
    Track t = tracks.get(slot);
    return t == null ? 0 : t.crashes;
  }
}
