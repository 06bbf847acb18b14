package io.distributedcache.simulator;

import io.distributedcache.core.cluster.PeerOutbox;
import io.distributedcache.core.cluster.message.ControlFrame;
import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.Hello;
import io.distributedcache.core.cluster.message.Invalidate;
import io.distributedcache.core.cluster.message.PeerCodec;
import io.distributedcache.core.cluster.message.PeerMessage;
import io.distributedcache.core.cluster.message.ReadStateReply;
import io.distributedcache.core.cluster.message.Replicate;
import io.distributedcache.core.cluster.message.StateEntry;
import io.distributedcache.core.cluster.message.SyncReply;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The simulated peer network: one connection per ordered pair of nodes, as the real transport keeps
 * one outbound connection per peer.
 *
 * <h2>Model</h2>
 *
 * <ul>
 *   <li><b>Connections.</b> Connection {@code a -> b} carries a's messages to b; a sees b as
 *       reachable ({@link PeerOutbox#isReachable}) exactly while it is established. It should be up
 *       when both nodes are alive and the link is not cut. When that stops being true the
 *       connection becomes a black hole at once (what is in flight and what is sent is lost), and
 *       a notices ({@code onPeerDown}) 1 to 30 ms later; b hears of the new connection when it is
 *       re-established ({@code onInboundConnection}). A black hole always ends in a reset, even
 *       if the link heals meanwhile, since TCP cannot lose data and carry on. A connection that
 *       should be up is (re)established 5 to 50 ms after the change (a's {@code onPeerUp}), after a
 *       {@link Hello} has crossed it, under a new incarnation: nothing sent on an older
 *       incarnation is delivered on the new one.
 *   <li><b>Crashes.</b> A crashed sender's messages already in flight are still delivered (the
 *       bytes were on the wire); a crashed receiver gets nothing. A node restarts no sooner than
 *       {@link Simulation#MIN_DOWN_NANOS} after its crash, later than anything in flight.
 *   <li><b>Messages.</b> Every message is encoded with {@link PeerCodec} when sent and decoded
 *       again at delivery, so the wire format is exercised. Delays are 0.1 to 5 ms, sometimes 5 to
 *       50 ms, and 20 to 50 ms on a slow link; a connection delivers in FIFO order except for the
 *       messages picked for reordering. Drops and duplicates as the {@link FaultProfile} says; a
 *       drop is silent (the connection stays up), which the real transport never does (it closes
 *       a connection that cannot keep up), so the nodes must converge through anti-entropy alone.
 *       Nothing ever takes longer than {@link #MAX_TRANSIT_NANOS}.
 *   <li><b>Who dials whom.</b> A node dials the peers it knows: the founders know each other; a
 *       joiner knows its seed; every node learns the nodes of the metadata it applies ({@link
 *       #know}). As the real transport does with a stranger, a node that accepts a connection
 *       from a node it did not know dials it back, so a joiner and the members it talks to
 *       connect both ways before either has applied metadata naming the other.
 *   <li><b>Control frames</b> ({@link ControlFrame}, the Raft and proposal traffic) travel like
 *       every other message, under the same faults, and go to the receiver's control plane; the
 *       rest goes to its cluster node (dropped while a joiner has none yet).
 * </ul>
 *
 * <p>Single-threaded: only the simulator's thread calls in.
 */
final class SimNetwork {

  static final long MS = 1_000_000L;

  /** The longest delay of one message. */
  static final long MAX_DELAY_NANOS = 50 * MS;

  /** The longest extra delay of a duplicate after its original. */
  static final long MAX_DUPLICATE_DELAY_NANOS = 20 * MS;

  /** The longest time from sending a message to its last delivery. */
  static final long MAX_TRANSIT_NANOS = MAX_DELAY_NANOS + MAX_DUPLICATE_DELAY_NANOS;

  /** The longest time a node takes to notice that a connection broke. */
  static final long MAX_DETECTION_NANOS = 30 * MS;

  private final Simulation sim;
  private final SplittableRandom random;
  private final int n;
  private final Link[][] links;
  private final boolean[][] known;
  private final FaultProfile faults;
  private boolean faultsOn = true;

  long sent;
  long delivered;
  long dropped;
  long duplicated;
  long lost;
  long refused;
  long connects;
  /** Messages sent per message type, for {@link SimResult#figures()}. */
  final java.util.Map<String, long[]> sentByType = new java.util.TreeMap<>();

  SimNetwork(Simulation sim, SplittableRandom random, int n, FaultProfile faults) {
    this.sim = sim;
    this.random = random;
    this.n = n;
    this.faults = faults;
    this.links = new Link[n][n];
    this.known = new boolean[n][n];
    for (int a = 0; a < n; a++) {
      for (int b = 0; b < n; b++) {
        if (a != b) {
          links[a][b] = new Link(a, b);
        }
      }
    }
  }

  /** One ordered pair's connection. */
  final class Link {
    final int from;
    final int to;
    boolean cut;
    boolean established;
    boolean blackHoled;
    boolean connectScheduled;
    boolean downScheduled;
    long incarnation;
    long lastDeliveryNanos;
    long slowUntilNanos;

    Link(int from, int to) {
      this.from = from;
      this.to = to;
    }

    boolean shouldBeUp() {
      return !cut && known[from][to] && sim.node(from).alive && sim.node(to).alive;
    }
  }

  /** The outbox of one incarnation of node {@code from}. */
  PeerOutbox outbox(int from, int incarnation) {
    return new PeerOutbox() {
      @Override
      public boolean send(String nodeId, Envelope message) {
        if (sim.node(from).incarnation != incarnation) {
          return false;
        }
        return SimNetwork.this.send(from, sim.indexOf(nodeId), message);
      }

      @Override
      public boolean isReachable(String nodeId) {
        int to = sim.indexOf(nodeId);
        return to >= 0 && to != from && links[from][to].established;
      }
    };
  }

  private boolean send(int from, int to, Envelope message) {
    if (to < 0 || to == from) {
      return false;
    }
    Link link = links[from][to];
    if (!link.established) {
      refused++;
      return false;
    }
    byte[] frame = PeerCodec.encode(message);
    if (sim.trace().enabled()) {
      sim.trace().onSend(sim.node(from).id, sim.node(to).id, message);
    }
    sent++;
    sentByType.computeIfAbsent(message.body().getClass().getSimpleName(), k -> new long[1])[0]++;
    if (link.blackHoled) {
      lost++;
      return true;
    }
    if (sim.config().sabotage() == Sabotage.LOSE_INVALIDATIONS
        && message.body() instanceof Invalidate) {
      return true;
    }
    if (faultsOn && chance(faults.dropProbability())) {
      dropped++;
      sim.nearCaches().onDropped(to, message.body());
      return true;
    }
    long now = sim.now();
    long at = now + delayNanos(link, now);
    if (faultsOn && chance(faults.reorderProbability())) {
      // Leaves FIFO order: may overtake earlier messages and be overtaken by later ones.
    } else {
      at = Math.max(at, link.lastDeliveryNanos);
      link.lastDeliveryNanos = at;
    }
    long[][] paths = sim.ttl().onSend(sim.node(from), message.body());
    scheduleDelivery(link, frame, at, paths, now);
    if (faultsOn && chance(faults.duplicateProbability())) {
      duplicated++;
      scheduleDelivery(
          link, frame, at + random.nextLong(MAX_DUPLICATE_DELAY_NANOS + 1), paths, now);
    }
    return true;
  }

  private void scheduleDelivery(Link link, byte[] frame, long at, long[][] paths, long sentNanos) {
    long incarnation = link.incarnation;
    sim.schedule(
        at,
        Simulation.EV_DELIVER,
        frameDigest(frame),
        () -> deliver(link, incarnation, frame, paths, sentNanos));
  }

  /**
   * What a delivery adds to the trace digest: the length and the first bytes, which hold the type,
   * the epoch, the sender's clock reading and the slot, enough to tell two runs apart cheaply.
   */
  private static long frameDigest(byte[] frame) {
    long h = frame.length;
    for (int i = 0, n = Math.min(frame.length, 40); i < n; i++) {
      h = h * 31 + frame[i];
    }
    return h;
  }

  private long delayNanos(Link link, long now) {
    if (faultsOn && link.slowUntilNanos > now) {
      return random.nextLong(20 * MS, MAX_DELAY_NANOS + 1);
    }
    if (faultsOn && chance(faults.slowMessageProbability())) {
      return random.nextLong(5 * MS, MAX_DELAY_NANOS + 1);
    }
    return random.nextLong(100_000, 5 * MS + 1);
  }

  private boolean chance(double p) {
    return p > 0 && random.nextDouble() < p;
  }

  private void deliver(
      Link link, long incarnation, byte[] frame, long[][] paths, long sentNanos) {
    SimNode receiver = sim.node(link.to);
    if (link.incarnation != incarnation || link.blackHoled || !receiver.alive) {
      lost++;
      return;
    }
    Envelope envelope = PeerCodec.decode(frame);
    if (sim.config().sabotage() == Sabotage.STRETCH_TTL) {
      envelope = new Envelope(envelope.epoch(), envelope.version(), stretch(envelope.body()));
    }
    delivered++;
    sim.ttl().onDeliver(receiver, envelope.body(), paths, sentNanos);
    if (sim.trace().enabled()) {
      sim.trace().onDeliver(sim.node(link.from).id, receiver.id, envelope);
    }
    String from = sim.node(link.from).id;
    if (envelope.body() instanceof ControlFrame control) {
      receiver.control.onControlFrame(from, control);
    } else if (receiver.cluster != null) {
      receiver.cluster.onMessage(from, envelope);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Connections

  /** Connects every pair of founders within {@code withinNanos} (the cluster boots). */
  void startAll(long withinNanos) {
    for (int a = 0; a < n; a++) {
      for (int b = 0; b < n; b++) {
        if (a != b && sim.node(a).founder && sim.node(b).founder) {
          known[a][b] = true;
          Link link = links[a][b];
          link.connectScheduled = true;
          sim.schedule(
              sim.now() + random.nextLong(withinNanos + 1),
              Simulation.EV_CONNECT,
              a * 31L + b,
              () -> connect(link));
        }
      }
    }
  }

  /** Brings {@code link} towards what it should be: breaks or (re)connects it. */
  private void reconcile(Link link) {
    boolean up = link.shouldBeUp();
    if (link.established && !up && !link.blackHoled) {
      breakLink(link);
    }
    if (!link.established && up && !link.connectScheduled) {
      link.connectScheduled = true;
      sim.schedule(
          sim.now() + random.nextLong(5 * MS, 50 * MS + 1),
          Simulation.EV_CONNECT,
          link.from * 31L + link.to,
          () -> connect(link));
    }
  }

  private void breakLink(Link link) {
    sim.linksChanged();
    link.blackHoled = true;
    if (!link.downScheduled) {
      link.downScheduled = true;
      long incarnation = link.incarnation;
      sim.schedule(
          sim.now() + random.nextLong(MS, MAX_DETECTION_NANOS + 1),
          Simulation.EV_DOWN,
          link.from * 31L + link.to,
          () -> down(link, incarnation));
    }
  }

  private void down(Link link, long incarnation) {
    sim.linksChanged();
    link.downScheduled = false;
    if (link.incarnation != incarnation || !link.established) {
      return;
    }
    link.established = false;
    SimNode owner = sim.node(link.from);
    if (sim.trace().enabled()) {
      sim.trace().log(owner.id + " sees " + sim.node(link.to).id + " down");
    }
    if (owner.cluster != null) {
      owner.cluster.onPeerDown(sim.node(link.to).id);
    }
    reconcile(link);
  }

  private void connect(Link link) {
    sim.linksChanged();
    link.connectScheduled = false;
    if (link.established || !link.shouldBeUp()) {
      return;
    }
    SimNode from = sim.node(link.from);
    SimNode to = sim.node(link.to);
    // The transport's handshake, through the real codec.
    long epoch = from.cluster == null ? 0 : from.cluster.ring().epoch();
    long digest = from.cluster == null ? 0 : from.cluster.ring().membershipDigest();
    Envelope hello =
        PeerCodec.decode(PeerCodec.encode(new Envelope(epoch, 0, new Hello(from.id, digest))));
    if (!(hello.body() instanceof Hello h) || !h.nodeId().equals(from.id)) {
      throw new IllegalStateException("Hello did not survive the codec: " + hello);
    }
    link.established = true;
    link.blackHoled = false;
    link.incarnation++;
    link.lastDeliveryNanos = sim.now();
    connects++;
    if (sim.trace().enabled()) {
      sim.trace().log(from.id + " sees " + to.id + " up");
    }
    from.control.onPeerUp(to.id);
    if (from.cluster != null) {
      from.cluster.onPeerUp(to.id);
    }
    // The receiving side sees the new inbound connection once the Hello is through.
    if (to.cluster != null) {
      to.cluster.onInboundConnection(from.id);
    }
    // A stranger's connection makes the receiver dial it back, as the real transport does.
    know(link.to, link.from);
  }

  /** Node {@code a} learns of node {@code b} (from metadata, a seed, or a stranger's dial). */
  void know(int a, int b) {
    sim.linksChanged();
    if (a == b || a < 0 || b < 0 || known[a][b]) {
      return;
    }
    known[a][b] = true;
    reconcile(links[a][b]);
  }

  /** Node {@code node} crashed: its peers lose their connections to it, after a moment. */
  void onCrash(int node) {
    sim.linksChanged();
    for (int x = 0; x < n; x++) {
      if (x == node) {
        continue;
      }
      Link outgoing = links[node][x];
      // The dead sender's bytes in flight still arrive; it sends nothing more.
      outgoing.established = false;
      Link incoming = links[x][node];
      if (incoming.established && !incoming.blackHoled) {
        breakLink(incoming);
      }
    }
  }

  /** Node {@code node} restarted: connections to and from it come back. */
  void onRestart(int node) {
    for (int x = 0; x < n; x++) {
      if (x != node) {
        reconcile(links[node][x]);
        reconcile(links[x][node]);
      }
    }
  }

  /** Cuts the one-way link {@code from -> to} (until {@link #heal}). */
  void cut(int from, int to) {
    Link link = links[from][to];
    if (sim.trace().enabled()) {
      sim.trace().log("link " + sim.node(from).id + "->" + sim.node(to).id + " cut");
    }
    link.cut = true;
    reconcile(link);
  }

  /** Heals the one-way link {@code from -> to}. */
  void heal(int from, int to) {
    Link link = links[from][to];
    link.cut = false;
    reconcile(link);
  }

  /** Makes {@code from -> to} slow (20 to 50 ms per message) until {@code untilNanos}. */
  void slowDown(int from, int to, long untilNanos) {
    links[from][to].slowUntilNanos = untilNanos;
  }

  /** Heals every link and turns every fault off, for the end of a run. */
  void healAllAndStopFaults() {
    faultsOn = false;
    for (int a = 0; a < n; a++) {
      for (int b = 0; b < n; b++) {
        if (a != b) {
          links[a][b].slowUntilNanos = 0;
          heal(a, b);
        }
      }
    }
  }

  /**
   * Whether every connection between two live nodes that know each other is established and not a
   * black hole (for {@link NearCachesHearOfChanges}'s calm windows).
   */
  boolean allLinksUp() {
    for (int a = 0; a < n; a++) {
      if (!sim.node(a).alive) {
        continue;
      }
      for (int b = 0; b < n; b++) {
        if (a != b
            && sim.node(b).alive
            && (known[a][b] || known[b][a])
            && (!links[a][b].established || links[a][b].blackHoled)) {
          return false;
        }
      }
    }
    return true;
  }

  /** Whether {@code a}'s connection to {@code b} is up (for reports). */
  boolean established(int a, int b) {
    return links[a][b].established;
  }

  /** The links that are cut right now, as {@code "a->b"} (for reports). */
  List<String> cutLinks() {
    List<String> result = new ArrayList<>();
    for (int a = 0; a < n; a++) {
      for (int b = 0; b < n; b++) {
        if (a != b && links[a][b].cut) {
          result.add(sim.node(a).id + "->" + sim.node(b).id);
        }
      }
    }
    return result;
  }

  // ------------------------------------------------------------------------------------------
  // Sabotage

  private static PeerMessage stretch(PeerMessage body) {
    if (body instanceof Replicate m) {
      return new Replicate(m.requestId(), m.slot(), stretch(m.entries()), m.ackRequested());
    } else if (body instanceof ReadStateReply m) {
      return new ReadStateReply(m.requestId(), m.slot(), m.ready(), stretch(m.entries()));
    } else if (body instanceof SyncReply m) {
      return new SyncReply(
          m.requestId(), m.slot(), m.snapshotVersion(), m.ready(), stretch(m.entries()));
    }
    return body;
  }

  private static List<StateEntry> stretch(List<StateEntry> entries) {
    List<StateEntry> result = new ArrayList<>(entries.size());
    for (StateEntry e : entries) {
      long ttl = e.remainingTtlNanos();
      result.add(
          ttl > 0 ? new StateEntry(e.key(), e.value(), e.version(), ttl * 2) : e);
    }
    return result;
  }
}
