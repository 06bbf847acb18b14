package io.distributedcache.simulator;

import io.distributedcache.core.cluster.ClusterNode.SlotState;
import io.distributedcache.core.cluster.message.DigestRequest;
import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.Execute;
import io.distributedcache.core.cluster.message.ExecuteReply;
import io.distributedcache.core.cluster.message.PeerMessage;
import io.distributedcache.core.cluster.message.ReadState;
import io.distributedcache.core.cluster.message.ReadStateReply;
import io.distributedcache.core.cluster.message.Replicate;
import io.distributedcache.core.cluster.message.StateEntry;
import io.distributedcache.core.cluster.message.SyncReply;
import io.distributedcache.core.cluster.message.SyncRequest;
import io.distributedcache.core.hlc.HybridLogicalClock;
import io.distributedcache.core.keyspace.Slots;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A transcript of everything that concerns a few keys, for replaying a failing seed: messages that
 * carry them (or their slots), what each node stores for them, their slot's state on each node,
 * client operations, crashes, restarts and link changes. Turned on with {@code -Dsim.trace=k1,k2}
 * ({@code -Dsim.trace=*} for every key the workload uses); printed to standard output. Tracing
 * draws no random numbers and schedules nothing, so a traced run is the same run.
 */
final class SimTrace {

  private final Simulation sim;
  private final Set<String> keys;
  private final Set<Integer> slots = new LinkedHashSet<>();
  private final Map<String, SlotState> lastStates = new HashMap<>();
  private final PrintStream out = System.out;

  SimTrace(Simulation sim, String spec) {
    this.sim = sim;
    Set<String> wanted = new LinkedHashSet<>();
    if (spec != null && !spec.isBlank()) {
      for (String k : spec.split(",")) {
        if (k.strip().equals("*")) {
          wanted.addAll(SimWorkload.ALL_KEYS);
        } else if (!k.isBlank()) {
          wanted.add(k.strip());
        }
      }
    }
    this.keys = wanted;
    for (String k : wanted) {
      slots.add(Slots.slot(k.getBytes(StandardCharsets.UTF_8)));
    }
  }

  boolean enabled() {
    return !keys.isEmpty();
  }

  boolean traces(String key) {
    return keys.contains(key);
  }

  void log(String what) {
    out.printf("%12.3fms  %s%n", sim.now() / 1e6, what);
  }

  void onSend(String from, String to, Envelope envelope) {
    String shown = show(envelope.body());
    if (shown != null) {
      log(from + " -> " + to + "  " + shown);
    }
  }

  void onDeliver(String from, String to, Envelope envelope) {
    String shown = show(envelope.body());
    if (shown != null) {
      log(from + " => " + to + "  delivered " + shown);
    }
  }

  /** After every event: slot state changes of the traced slots. */
  void afterEvent() {
    for (int i = 0; i < sim.nodeCount(); i++) {
      SimNode node = sim.node(i);
      for (int slot : slots) {
        SlotState state = node.serving() ? node.cluster.slotState(slot) : null;
        String id = node.id + "/" + slot;
        if (lastStates.get(id) != state) {
          lastStates.put(id, state);
          log(node.id + " slot " + slot + " is " + (state == null ? "DOWN" : state));
        }
      }
    }
  }

  private String show(PeerMessage body) {
    if (body instanceof Execute m && mentions(m.args())) {
      return "Execute#" + m.requestId() + " " + words(m.args()) + " level=" + m.level()
          + " minVersions=" + versions(m.minVersions());
    } else if (body instanceof ExecuteReply m && slots.contains(m.slot())) {
      return "ExecuteReply#" + m.requestId() + " " + m.status() + " "
          + new String(m.reply(), StandardCharsets.UTF_8).strip() + " versions="
          + versions(m.keyVersions()) + entries(m.entries());
    } else if (body instanceof Replicate m && slots.contains(m.slot())) {
      return "Replicate#" + m.requestId() + entries(m.entries()) + (m.ackRequested() ? " ack" : "");
    } else if (body instanceof ReadState m && mentions(m.keys())) {
      return "ReadState#" + m.requestId() + " " + words(m.keys());
    } else if (body instanceof ReadStateReply m && slots.contains(m.slot())) {
      return "ReadStateReply#" + m.requestId() + (m.ready() ? "" : " NOT READY")
          + entries(m.entries());
    } else if (body instanceof SyncReply m && slots.contains(m.slot())) {
      return "SyncReply#" + m.requestId() + " slot " + m.slot() + (m.ready() ? "" : " NOT READY")
          + " snapshot=" + HybridLogicalClock.toString(m.snapshotVersion()) + entries(m.entries());
    } else if (body instanceof SyncRequest m && containsSlot(m.slots())) {
      return "SyncRequest#" + m.requestId();
    } else if (body instanceof DigestRequest m && containsSlot(m.slots())) {
      return "DigestRequest#" + m.requestId();
    }
    return null;
  }

  private boolean containsSlot(int[] list) {
    for (int s : list) {
      if (slots.contains(s)) {
        return true;
      }
    }
    return false;
  }

  private boolean mentions(byte[][] words) {
    for (byte[] w : words) {
      if (keys.contains(new String(w, StandardCharsets.UTF_8))) {
        return true;
      }
    }
    return false;
  }

  private static String words(byte[][] words) {
    StringBuilder b = new StringBuilder();
    for (byte[] w : words) {
      b.append(b.length() == 0 ? "" : " ").append(new String(w, StandardCharsets.UTF_8));
    }
    return b.toString();
  }

  private String entries(List<StateEntry> entries) {
    StringBuilder b = new StringBuilder();
    for (StateEntry e : entries) {
      String key = new String(e.key(), StandardCharsets.UTF_8);
      if (!keys.contains(key)) {
        continue;
      }
      b.append(" [").append(key).append(' ');
      if (e.isAbsent()) {
        b.append("absent");
      } else {
        b.append(e.value() == null ? "tombstone" : new String(e.value(), StandardCharsets.UTF_8))
            .append(" v=")
            .append(HybridLogicalClock.toString(e.version()));
        if (e.remainingTtlNanos() != StateEntry.NO_TTL) {
          b.append(" ttl=").append(Op.millis(e.remainingTtlNanos()));
        }
      }
      b.append(']');
    }
    return b.toString();
  }

  private static String versions(long[] versions) {
    String[] shown = new String[versions.length];
    for (int i = 0; i < versions.length; i++) {
      shown[i] = versions[i] == 0 ? "-" : HybridLogicalClock.toString(versions[i]);
    }
    return Arrays.toString(shown);
  }
}
