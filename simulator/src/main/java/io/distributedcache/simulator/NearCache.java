package io.distributedcache.simulator;

import io.distributedcache.core.invalidation.Invalidation;
import io.distributedcache.core.invalidation.InvalidationListener;
import io.distributedcache.core.storage.Subscription;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A client-side ("near") cache of one node incarnation, as an application embedding the node or a
 * tracking client connected to it would keep: the values that reads through this node returned,
 * dropped when the node's {@code InvalidationManager} delivers an event that covers their key.
 *
 * <p>It follows the usual race-free recipe: a read registers when it is dispatched, and an event
 * covering one of its keys that arrives while it is in flight poisons it, so its (possibly older)
 * answer is not cached. Hence every write invoked after the read was dispatched is announced after
 * the near cache started listening, and must reach it: {@link NearCachesHearOfChanges} checks
 * that.
 *
 * <p>A crash loses the near cache with the node; the restarted incarnation gets an empty one.
 * Called only on the simulator's thread: the listener runs inside core calls that the simulator
 * made (a delivery, a tick, a client request), never concurrently.
 */
final class NearCache implements InvalidationListener {

  /** Events remembered per key, for reports. */
  private static final int EVENTS_KEPT = 6;

  /** One cached value. */
  record Entry(Op read, String value, long recordedNanos) {}

  /** A read in flight and the keys an event covered meanwhile. */
  private static final class Pending {
    final Op read;
    final boolean[] poisoned;

    Pending(Op read) {
      this.read = read;
      this.poisoned = new boolean[read.keys.size()];
    }
  }

  private final Simulation sim;
  final SimNode node;
  final int incarnation;
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private final Map<Long, Pending> pending = new HashMap<>();
  private final Map<String, ArrayDeque<String>> recentEvents = new HashMap<>();
  private final Map<String, Long> lastLossNanos = new HashMap<>();
  private Subscription subscription;

  /** Entries dropped by an event. */
  long drops;

  /** Reads whose answer was not cached because an event covered them in flight. */
  long poisoned;

  /** Entries cached. */
  long cached;

  NearCache(Simulation sim, SimNode node) {
    this.sim = sim;
    this.node = node;
    this.incarnation = node.incarnation;
  }

  /** Starts hearing the node's events; called once, right after the node started. */
  void listen() {
    subscription = node.context.invalidations().subscribe(this);
  }

  /** The node crashed or stopped: the near cache is gone with it. */
  void close() {
    if (subscription != null) {
      subscription.close();
      subscription = null;
    }
    entries.clear();
    pending.clear();
  }

  /** A read through this node was dispatched. */
  void onReadInvoked(Op read) {
    pending.put(read.id, new Pending(read));
  }

  /** A read through this node completed; an acknowledged, unpoisoned one is cached per key. */
  void onReadCompleted(Op read) {
    Pending p = pending.remove(read.id);
    if (p == null || !read.acknowledged() || read.values == null) {
      return;
    }
    for (int i = 0; i < read.keys.size(); i++) {
      if (p.poisoned[i]) {
        poisoned++;
        continue;
      }
      entries.put(read.keys.get(i), new Entry(read, read.values[i], sim.now()));
      cached++;
    }
  }

  @Override
  public void onInvalidation(Invalidation invalidation) {
    Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Entry> e = it.next();
      if (invalidation.covers(bytes(e.getKey()))) {
        it.remove();
        drops++;
        if (sim.trace().enabled() && sim.trace().traces(e.getKey())) {
          sim.trace().log(node.id + " near cache drops " + e.getKey() + " on " + invalidation);
        }
      }
    }
    for (Pending p : pending.values()) {
      for (int i = 0; i < p.poisoned.length; i++) {
        if (!p.poisoned[i] && invalidation.covers(bytes(p.read.keys.get(i)))) {
          p.poisoned[i] = true;
        }
      }
    }
    for (String key : SimWorkload.ALL_KEYS) {
      if (invalidation.covers(bytes(key))) {
        ArrayDeque<String> events = recentEvents.computeIfAbsent(key, k -> new ArrayDeque<>());
        if (events.size() == EVENTS_KEPT) {
          events.removeFirst();
        }
        events.addLast(Op.millis(sim.now()) + " " + invalidation);
      }
    }
  }

  /**
   * The network silently dropped an {@code Invalidate} meant for this node (a fault the real
   * transport never produces: it closes the connection, and the reconnection's slot events cover
   * what was lost). The keys it covered are excused from the writes it may have carried.
   */
  void onLost(Invalidation lost) {
    for (String key : SimWorkload.ALL_KEYS) {
      if (lost.covers(bytes(key))) {
        lastLossNanos.put(key, sim.now());
      }
    }
  }

  /** When an announcement covering {@code key} was last lost on its way here, or -1. */
  long lastLossNanos(String key) {
    return lastLossNanos.getOrDefault(key, -1L);
  }

  /** The cached entry of {@code key}, or null. */
  Entry entry(String key) {
    return entries.get(key);
  }

  /** Every cached entry, by key. */
  Map<String, Entry> entries() {
    return entries;
  }

  /** The last events that covered {@code key}, one per line (for reports). */
  String recentEvents(String key) {
    ArrayDeque<String> events = recentEvents.get(key);
    if (events == null || events.isEmpty()) {
      return "      (no event covered it)\n";
    }
    StringBuilder b = new StringBuilder();
    for (String e : events) {
      b.append("      ").append(e).append('\n');
    }
    return b.toString();
  }

  /** The workload's keys as bytes, encoded once: every event is matched against them. */
  private static final Map<String, byte[]> KEY_BYTES = new HashMap<>();

  static {
    for (String key : SimWorkload.ALL_KEYS) {
      KEY_BYTES.put(key, key.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static byte[] bytes(String key) {
    byte[] b = KEY_BYTES.get(key);
    return b != null ? b : key.getBytes(StandardCharsets.UTF_8);
  }
}
