package io.distributedcache.core.control;

import io.distributedcache.core.cluster.PeerOutbox;
import io.distributedcache.core.cluster.message.ControlFrame;
import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.placement.Member;
import io.distributedcache.core.time.Ticker;
import io.distributedcache.raft.LogEntry;
import io.distributedcache.raft.Membership;
import io.distributedcache.raft.RaftConfig;
import io.distributedcache.raft.RaftMessage;
import io.distributedcache.raft.RaftMessageCodec;
import io.distributedcache.raft.RaftNode;
import io.distributedcache.raft.RaftStorage;
import io.distributedcache.raft.Ready;
import io.distributedcache.raft.Snapshot;
import io.distributedcache.raft.SoftState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.random.RandomGenerator;

/**
 * One node's part of the control plane: the Raft member that replicates the {@link
 * ClusterMetadata}, the application of committed entries, and the duties that turn what the node
 * observes into proposals (DESIGN.md section 7).
 *
 * <h2>Design note</h2>
 *
 * <ul>
 *   <li><b>One thread.</b> Everything but {@link #onControlFrame}, {@link #submit} and the
 *       getters runs in {@link #tick()}, on the one thread that owns this object (the server's
 *       cluster-tick thread, or the simulator's). Frames and submissions from other threads wait
 *       in concurrent queues until the next tick. Like the Raft node it drives, it touches no
 *       socket, thread or clock: time comes from the injected {@link Ticker}, output goes to a
 *       {@link PeerOutbox}, and the metadata it applies to a {@link Listener}.
 *   <li><b>Same log, same layout.</b> Committed entries are {@link MetadataCommand}s applied in log
 *       order by {@link ClusterMetadata#apply}, which is deterministic and never throws, so every
 *       node holds the same metadata for each index and the same ring for each epoch. The listener
 *       hears of each batch's result once, so a restarted node replaying its log installs only the
 *       latest layout.
 *   <li><b>Proposals are requests, not promises.</b> A node that wants something (its addresses
 *       announced, to join, to be recovered, to report a slot move done, a failover) sends the
 *       command to the leader and checks the applied metadata later; it sends it again every
 *       retry interval until the metadata says it happened or it no longer applies. Every command
 *       is idempotent, so duplicates are harmless.
 *   <li><b>Failure detection.</b> Every node tracks, for every active member, since when it has
 *       been unreachable through the transport; the leader also counts silence (no frame for a
 *       failure timeout, although it sends heartbeats every few ticks). The leader proposes a
 *       failover once either lasts a whole failure timeout. A new leader keeps the unreachability
 *       it saw as a follower, so a leader's own death costs an election plus the rest of the
 *       timeout, not both in full.
 *   <li><b>Raft group.</b> The founders are its first voters (up to five, then learners). The
 *       leader keeps the group in step with the metadata: new members become learners, and
 *       learners are promoted while there are fewer than three (or five) voters; a member that
 *       left the metadata leaves the group. One change at a time, as the Raft node requires.
 * </ul>
 */
public final class ControlPlane {

  /**
   * Hears the applied metadata. Called on the control plane's thread, once per batch of applied
   * entries that changed it; must not block.
   */
  public interface Listener {
    /**
     * The metadata changed from {@code previous} to {@code next} ({@link ClusterMetadata#EMPTY} at
     * first).
     */
    void onMetadata(ClusterMetadata previous, ClusterMetadata next);
  }

  /**
   * What the control plane needs to know about this node's copies. Called on the control plane's
   * thread; must not block.
   */
  public interface LocalCopies {
    /** Whether every copy this node holds is caught up (the condition to ask for recovery). */
    boolean allReady();

    /** Whether this node has pulled every slot the rebalance of {@code epoch} gives it. */
    boolean movesDone(long epoch);
  }

  /** Wire kinds inside a {@link ControlFrame}. */
  private static final byte KIND_RAFT = 1;

  private static final byte KIND_PROPOSE = 2;

  /** A proposal is forwarded at most this many times on its way to the leader. */
  private static final int MAX_HOPS = 2;

  /** Founders beyond this many are learners: five voters tolerate two failures. */
  private static final int MAX_VOTERS = 5;

  /** The voter of a joining node's bootstrap configuration: nobody, so it never campaigns. */
  private static final String NO_VOTER = "(joining)";

  private final ControlSettings settings;
  private final String selfId;
  private final RaftStorage storage;
  private final Ticker ticker;
  private final PeerOutbox outbox;
  private final Listener listener;
  private final RaftNode raft;
  private final long raftTickNanos;
  private final long failureTimeoutNanos;
  private final long retryIntervalNanos;

  private final Queue<Object[]> inbound = new ConcurrentLinkedQueue<>();
  private final Queue<MetadataCommand> submitted = new ConcurrentLinkedQueue<>();

  // Owned by the tick thread.
  private ClusterMetadata applied = ClusterMetadata.EMPTY;
  private long appliedIndex;
  private long snapshotIndex;
  private long lastTickNanos;
  private boolean started;
  private boolean wasLeader;
  private final Map<String, Long> unreachableSinceNanos = new HashMap<>();
  private final Map<String, Long> lastHeardNanos = new HashMap<>();
  private final Map<String, Long> lastSentNanos = new HashMap<>();
  private final ArrayDeque<MetadataCommand> proposals = new ArrayDeque<>();
  private LocalCopies copies =
      new LocalCopies() {
        @Override
        public boolean allReady() {
          return false;
        }

        @Override
        public boolean movesDone(long epoch) {
          return false;
        }
      };
  private final java.util.Set<String> connectedPeers =
      java.util.concurrent.ConcurrentHashMap.newKeySet();
  private boolean wasMember;

  // Read by other threads.
  private volatile ClusterMetadata metadata = ClusterMetadata.EMPTY;
  private volatile SoftState raftState;
  private volatile Membership raftMembership;
  private volatile long commitIndexSeen;
  private volatile long failoversProposed;

  /** Operators' leaves not yet visible in the metadata, with the time to give up; tick thread. */
  private final Map<String, Long> pendingLeaves = new HashMap<>();

  private static final long OPERATOR_REQUEST_LIFETIME_NANOS =
      java.util.concurrent.TimeUnit.SECONDS.toNanos(60);

  /** See {@link #inMajorityContact}; recomputed every tick. */
  private volatile boolean inMajorityContact = true;

  private boolean everInContact;
  private long lastContactHeartbeatNanos;
  private final long heartbeatIntervalNanos;
  private static final byte[] NO_PAYLOAD = new byte[0];
  private long startedAtNanos;

  /**
   * How recently the leader (or, on the leader, a majority of voters) must have been heard from:
   * shorter than the failure timeout, so a primary cut off from the majority stops taking writes
   * before the majority fails it over (half the timeout leaves room for detection).
   */
  private final long contactLeaseNanos;

  /**
   * Builds the control plane of one node from what {@code storage} holds (a fresh node, or a
   * restarted one whose log and snapshot rebuild the metadata).
   *
   * @param settings this node's part in the cluster
   * @param storage the Raft term, vote, log and snapshot; written on the tick thread
   * @param random the source of election timeouts
   * @param ticker the monotonic clock
   * @param outbox carries control frames to peers
   * @param listener hears the applied metadata
   */
  public ControlPlane(
      ControlSettings settings,
      RaftStorage storage,
      RandomGenerator random,
      Ticker ticker,
      PeerOutbox outbox,
      Listener listener) {
    this.settings = settings;
    this.selfId = settings.self().id();
    this.storage = storage;
    this.ticker = ticker;
    this.outbox = outbox;
    this.listener = listener;
    this.raftTickNanos = settings.raftTick().toNanos();
    this.failureTimeoutNanos = settings.failureTimeout().toNanos();
    this.retryIntervalNanos = settings.retryInterval().toNanos();
    this.heartbeatIntervalNanos = settings.heartbeatInterval().toNanos();
    this.contactLeaseNanos =
        Math.min(settings.electionTimeout().toNanos(), failureTimeoutNanos / 2);
    int electionTicks = ticks(settings.electionTimeout());
    int heartbeatTicks = ticks(settings.heartbeatInterval());
    this.raft =
        new RaftNode(
            selfId,
            bootstrapMembership(settings),
            new RaftConfig(electionTicks, heartbeatTicks, 64),
            storage,
            random);
    Snapshot snapshot = raft.snapshot();
    if (!snapshot.isEmpty()) {
      applied = ClusterMetadata.decode(snapshot.data());
      appliedIndex = snapshot.index();
      snapshotIndex = snapshot.index();
    }
    this.raftState = raft.softState();
    this.raftMembership = raft.membership();
  }

  private static Membership bootstrapMembership(ControlSettings settings) {
    if (!settings.isFounder()) {
      return Membership.ofVoters(List.of(NO_VOTER));
    }
    TreeSet<String> ids = new TreeSet<>();
    for (Member m : settings.bootstrapMembers()) {
      ids.add(m.id());
    }
    TreeSet<String> voters = new TreeSet<>();
    TreeSet<String> learners = new TreeSet<>();
    for (String id : ids) {
      (voters.size() < MAX_VOTERS ? voters : learners).add(id);
    }
    return new Membership(voters, learners);
  }

  private int ticks(java.time.Duration d) {
    return (int) Math.max(1, d.toNanos() / raftTickNanos);
  }

  // ------------------------------------------------------------------------------------------
  // Inputs from other threads

  /** A control frame from a peer. Any thread; never blocks; handled at the next tick. */
  public void onControlFrame(String from, ControlFrame frame) {
    inbound.add(new Object[] {from, frame.payload()});
  }

  /**
   * Asks the cluster to apply {@code command} (an operator's leave, for example). Any thread;
   * never blocks. Sent to the leader at the next tick; the caller learns the outcome from {@link
   * #metadata()}.
   */
  public void submit(MetadataCommand command) {
    submitted.add(command);
  }

  /**
   * Tells the control plane how to learn the state of this node's copies: whether it may ask to be
   * recovered after a failover, and whether it has finished its part of a rebalance. Called once,
   * before the first tick.
   */
  public void localCopies(LocalCopies localCopies) {
    this.copies = localCopies;
  }

  /**
   * The transport connected to {@code nodeId}. Any thread. A node that joins knows its seed only
   * this way, and sends its join request there.
   */
  public void onPeerUp(String nodeId) {
    connectedPeers.add(nodeId);
  }

  // ------------------------------------------------------------------------------------------
  // Queries, any thread

  /** The metadata applied so far. */
  public ClusterMetadata metadata() {
    return metadata;
  }

  /** The Raft member's role, term and leader as of the last tick. */
  public SoftState raftState() {
    return raftState;
  }

  /** The Raft group's voters and learners as this node knows them. */
  public Membership raftMembership() {
    return raftMembership;
  }

  /** The highest log index this node knows to be committed. */
  public long commitIndex() {
    return commitIndexSeen;
  }

  /**
   * Whether this node is in touch with a majority of the Raft group, as of the last tick: it is
   * the leader and has heard from a majority of voters (itself included) within the contact lease,
   * or it follows a leader it heard from within the lease and can reach. The data plane takes
   * writes as a primary only while this holds, so that a primary cut off by a partition stops
   * before the majority side fails its slots over (no two primaries accept writes to one slot at
   * once, even at ONE). Any thread.
   */
  public boolean inMajorityContact() {
    return inMajorityContact;
  }

  /** Failovers this node proposed as leader. */
  public long failoversProposed() {
    return failoversProposed;
  }

  // ------------------------------------------------------------------------------------------
  // The tick

  /** Runs everything that is due. Called periodically on the control plane's one thread. */
  public void tick() {
    long now = ticker.read();
    if (!started) {
      started = true;
      lastTickNanos = now;
      startedAtNanos = now;
      if (!applied.equals(ClusterMetadata.EMPTY)) {
        // Restored from a snapshot: the listener has not heard of it yet.
        metadata = applied;
        listener.onMetadata(ClusterMetadata.EMPTY, applied);
      }
    }
    Object[] in;
    while ((in = inbound.poll()) != null) {
      receive((String) in[0], (byte[]) in[1], now);
    }
    long elapsed = now - lastTickNanos;
    long raftTicks = elapsed / raftTickNanos;
    lastTickNanos += raftTicks * raftTickNanos;
    for (long i = 0; i < Math.min(raftTicks, 100); i++) {
      raft.tick();
    }
    drainReady();
    trackReachability(now);
    MetadataCommand command;
    while ((command = submitted.poll()) != null) {
      proposals.add(command);
      if (command instanceof MetadataCommand.Leave leave) {
        // Asked for once; followed up until it shows (below): a forward to a leader that just
        // changed, or sent while no leader was known, is lost without an answer.
        pendingLeaves.put(leave.id(), now + OPERATOR_REQUEST_LIFETIME_NANOS);
        lastSentNanos.put("leave:" + leave.id(), now);
      }
    }
    followUpLeaves(now);
    ownRequests(now);
    if (raft.softState().isLeader()) {
      leaderDuties(now);
    } else {
      wasLeader = false;
    }
    sendProposals();
    drainReady();
    sendContactHeartbeats(now);
    boolean contact = computeMajorityContact(now);
    everInContact |= contact;
    // Until it first reaches the majority a fresh node keeps taking writes for a while: no
    // failover can happen sooner than a failure timeout after a leader exists, and a node that
    // restarted into a cluster does not serve before it heard from it.
    inMajorityContact =
        contact || (!everInContact && now - startedAtNanos < failureTimeoutNanos / 2);
  }

  /**
   * In touch with a majority: this node plus the voters it heard from within the lease (every
   * member sends every other one a heartbeat each heartbeat interval, see {@link
   * #sendContactHeartbeats}) and can reach make a majority of the Raft group's voters. Independent
   * of who leads, so the majority side keeps taking writes while it elects a new leader; a node
   * without a majority hears fewer than half and stops.
   */
  private boolean computeMajorityContact(long now) {
    Membership group = raft.membership();
    int heard = group.isVoter(selfId) ? 1 : 0;
    for (String voter : group.voters()) {
      if (!voter.equals(selfId) && heardWithinLease(voter, now) && outbox.isReachable(voter)) {
        heard++;
      }
    }
    if (heard >= group.voters().size() / 2 + 1) {
      return true;
    }
    // A joiner (a learner, or not in the group yet) follows the leader it hears.
    String leader = raft.softState().leaderId();
    return !group.isVoter(selfId)
        && leader != null
        && !leader.equals(selfId)
        && heardWithinLease(leader, now)
        && outbox.isReachable(leader);
  }

  /**
   * An empty control frame to every peer, every heartbeat interval: only its arrival counts (it
   * refreshes {@code lastHeardNanos}), so that each node knows whether it is in touch with a
   * majority whoever leads.
   */
  private void sendContactHeartbeats(long now) {
    if (now - lastContactHeartbeatNanos < heartbeatIntervalNanos) {
      return;
    }
    lastContactHeartbeatNanos = now;
    for (String peer : peers()) {
      if (!peer.equals(selfId)) {
        send(peer, NO_PAYLOAD);
      }
    }
  }

  private boolean heardWithinLease(String peer, long now) {
    Long at = lastHeardNanos.get(peer);
    return at != null && now - at < contactLeaseNanos;
  }

  private void receive(String from, byte[] payload, long now) {
    lastHeardNanos.put(from, now);
    if (payload.length == 0) {
      return;
    }
    try {
      if (payload[0] == KIND_RAFT) {
        RaftMessage message =
            RaftMessageCodec.decode(java.util.Arrays.copyOfRange(payload, 1, payload.length));
        if (message.to().equals(selfId)) {
          raft.step(message);
        }
      } else if (payload[0] == KIND_PROPOSE && payload.length >= 2) {
        int hops = payload[1];
        MetadataCommand command =
            MetadataCommand.decode(java.util.Arrays.copyOfRange(payload, 2, payload.length));
        if (raft.softState().isLeader()) {
          proposeAsLeader(command);
        } else if (hops < MAX_HOPS) {
          forward(command, hops + 1);
        }
      }
    } catch (IllegalArgumentException e) {
      // A frame we cannot read (a peer of another version, or damage): ignore it. Raft and the
      // retries make up for a lost message.
    }
  }

  private void drainReady() {
    while (raft.hasReady()) {
      Ready ready = raft.ready();
      Snapshot snapshot = ready.snapshotToApply();
      if (snapshot != null) {
        storage.saveSnapshot(snapshot);
      }
      if (ready.hardState() != null) {
        storage.saveHardState(ready.hardState());
      }
      if (!ready.entriesToPersist().isEmpty()) {
        storage.append(ready.entriesToPersist());
      }
      for (RaftMessage message : ready.messages()) {
        byte[] body = RaftMessageCodec.encode(message);
        byte[] payload = new byte[body.length + 1];
        payload[0] = KIND_RAFT;
        System.arraycopy(body, 0, payload, 1, body.length);
        send(message.to(), payload);
      }
      ClusterMetadata before = applied;
      if (snapshot != null && snapshot.index() > appliedIndex) {
        applied = ClusterMetadata.decode(snapshot.data());
        appliedIndex = snapshot.index();
        snapshotIndex = snapshot.index();
      }
      for (LogEntry entry : ready.committedEntries()) {
        if (entry.index() <= appliedIndex) {
          continue;
        }
        appliedIndex = entry.index();
        if (entry.isConfig() || entry.isNoOp()) {
          continue;
        }
        MetadataCommand command;
        try {
          command = MetadataCommand.decode(entry.command());
        } catch (IllegalArgumentException e) {
          continue; // written by a newer version: skipped alike on every node of this version
        }
        if (applied.apply(command) instanceof ClusterMetadata.Result.Applied a) {
          applied = a.next();
        }
      }
      raftState = ready.softState();
      raftMembership = raft.membership();
      commitIndexSeen = raft.commitIndex();
      if (!applied.equals(before)) {
        metadata = applied;
        listener.onMetadata(before, applied);
      }
      if (appliedIndex - snapshotIndex >= settings.snapshotEveryEntries()) {
        storage.saveSnapshot(raft.compact(appliedIndex, applied.encode()));
        snapshotIndex = appliedIndex;
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // What this node asks for

  private void ownRequests(long now) {
    ClusterMetadata m = applied;
    NodeRecord self = m.isBootstrapped() ? m.node(selfId) : null;
    Member me = settings.self();
    if (self != null) {
      wasMember = true;
    }
    if (!m.isBootstrapped() || self == null) {
      // A joiner asks until it is in; once it has been a member, its absence means the cluster
      // removed it (a leave), and asking again would start a join nobody will finish.
      if (!settings.isFounder() && !wasMember) {
        request(
            "join",
            new MetadataCommand.Join(me.id(), me.host(), me.clusterPort(), settings.clientPort()),
            now);
      }
      return;
    }
    if (!self.host().equals(me.host())
        || self.clusterPort() != me.clusterPort()
        || self.clientPort() != settings.clientPort()) {
      request(
          "announce",
          new MetadataCommand.Announce(
              me.id(), me.host(), me.clusterPort(), settings.clientPort()),
          now);
    }
    // The listener has installed every applied layout by now (it runs inside the apply), so the
    // copies' state below is judged under the layout of m.
    if (self.state() == NodeState.FAILED && copies.allReady()) {
      request("recover", new MetadataCommand.Recover(selfId), now);
    }
    if (m.inTransition()
        && m.pendingMoves().contains(selfId)
        && copies.movesDone(m.epoch())) {
      request("moved", new MetadataCommand.MoveDone(selfId, m.epoch()), now);
    }
  }

  /** Queues {@code command} unless the same kind of request was sent less than a retry ago. */
  /** Re-sends an operator's leave every retry interval until the metadata shows it, for 60 s. */
  private void followUpLeaves(long now) {
    if (pendingLeaves.isEmpty()) {
      return;
    }
    ClusterMetadata m = applied;
    pendingLeaves
        .entrySet()
        .removeIf(
            e -> {
              NodeRecord node = m.node(e.getKey());
              return node == null
                  || node.state() == NodeState.LEAVING
                  || now - e.getValue() >= 0;
            });
    for (String id : pendingLeaves.keySet()) {
      request("leave:" + id, new MetadataCommand.Leave(id), now);
    }
  }

  private void request(String kind, MetadataCommand command, long now) {
    Long last = lastSentNanos.get(kind);
    if (last != null && now - last < retryIntervalNanos) {
      return;
    }
    lastSentNanos.put(kind, now);
    proposals.add(command);
  }

  private void sendProposals() {
    MetadataCommand command;
    while ((command = proposals.poll()) != null) {
      if (raft.softState().isLeader()) {
        proposeAsLeader(command);
      } else {
        forward(command, 0);
      }
    }
  }

  private void proposeAsLeader(MetadataCommand command) {
    // Rejections (not leader any more, a change in progress) are covered by the retries.
    raft.propose(command.encode());
  }

  /** Sends {@code command} to the leader, or to every reachable peer while none is known. */
  private void forward(MetadataCommand command, int hops) {
    byte[] body = command.encode();
    byte[] payload = new byte[body.length + 2];
    payload[0] = KIND_PROPOSE;
    payload[1] = (byte) hops;
    System.arraycopy(body, 0, payload, 2, body.length);
    String leader = raft.softState().leaderId();
    if (leader != null && !leader.equals(selfId)) {
      send(leader, payload);
      return;
    }
    if (hops == 0) {
      for (String peer : peers()) {
        send(peer, payload);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Failure detection and the leader's duties

  private void trackReachability(long now) {
    ClusterMetadata m = applied;
    if (!m.isBootstrapped()) {
      return;
    }
    for (NodeRecord node : m.nodes()) {
      String id = node.id();
      if (id.equals(selfId)) {
        continue;
      }
      if (outbox.isReachable(id)) {
        unreachableSinceNanos.remove(id);
      } else {
        unreachableSinceNanos.putIfAbsent(id, now);
      }
    }
    unreachableSinceNanos.keySet().removeIf(id -> m.node(id) == null);
  }

  private void leaderDuties(long now) {
    if (!wasLeader) {
      wasLeader = true;
      // Silence counts from now: as a follower this node heard only the old leader.
      lastHeardNanos.clear();
      for (String peer : peers()) {
        lastHeardNanos.put(peer, now);
      }
    }
    ClusterMetadata m = applied;
    if (!m.isBootstrapped()) {
      if (settings.isFounder() && appliedIndex == raft.commitIndex()) {
        List<NodeRecord> nodes = new ArrayList<>();
        for (Member member : settings.bootstrapMembers()) {
          int clientPort = member.id().equals(selfId) ? settings.clientPort() : 0;
          nodes.add(
              new NodeRecord(
                  member.id(), member.host(), member.clusterPort(), clientPort, NodeState.ACTIVE));
        }
        request(
            "bootstrap",
            new MetadataCommand.Bootstrap(
                settings.replicationFactor(), settings.virtualNodesPerMember(), nodes),
            now);
      }
      return;
    }
    for (NodeRecord node : m.nodes()) {
      boolean active = node.state() == NodeState.ACTIVE;
      boolean joining = node.state() == NodeState.JOINING;
      if (!(active || joining) || node.id().equals(selfId)) {
        continue;
      }
      Long unreachableSince = unreachableSinceNanos.get(node.id());
      Long heard = lastHeardNanos.get(node.id());
      // A joiner gets longer: cancelling its join costs a restart of the rebalance, while waiting
      // only holds it open; and a node busy pulling slots on a loaded machine may be slow to talk.
      long timeoutNanos = active ? failureTimeoutNanos : joinerTimeoutNanos();
      boolean unreachable = unreachableSince != null && now - unreachableSince >= timeoutNanos;
      boolean silent = heard == null || now - heard >= timeoutNanos;
      if (heard == null) {
        lastHeardNanos.put(node.id(), now);
        silent = false;
      }
      if (unreachable || silent) {
        Long last = lastSentNanos.get("fail:" + node.id());
        if (last == null || now - last >= retryIntervalNanos) {
          lastSentNanos.put("fail:" + node.id(), now);
          if (active) {
            failoversProposed++;
            proposals.add(new MetadataCommand.Fail(node.id()));
          } else {
            // A joiner that vanished (or a join request that arrived after its node had left)
            // would hold the rebalance open forever: cancel the join.
            proposals.add(new MetadataCommand.Leave(node.id()));
          }
        }
      }
    }
    reconcileRaftGroup(m);
  }

  /** How long a JOINING node may be unreachable or silent before its join is cancelled. */
  private long joinerTimeoutNanos() {
    return Math.max(5 * failureTimeoutNanos, java.util.concurrent.TimeUnit.SECONDS.toNanos(5));
  }

  /** Moves the Raft group one step towards the metadata's members. */
  private void reconcileRaftGroup(ClusterMetadata m) {
    Membership group = raft.membership();
    Set<String> wanted = new TreeSet<>();
    for (NodeRecord node : m.nodes()) {
      wanted.add(node.id());
    }
    for (String voter : group.voters()) {
      if (!wanted.contains(voter) && !voter.equals(selfId) && group.voters().size() > 1) {
        raft.proposeRemoveVoter(voter);
        return;
      }
    }
    for (String id : wanted) {
      if (!group.contains(id)) {
        raft.proposeAddLearner(id);
        return;
      }
    }
    int target = wanted.size() >= MAX_VOTERS ? MAX_VOTERS : wanted.size() >= 3 ? 3 : 1;
    if (group.voters().size() < target) {
      for (String learner : group.learners()) {
        NodeRecord node = m.node(learner);
        if (node != null && node.state() == NodeState.ACTIVE && outbox.isReachable(learner)) {
          raft.proposeAddVoter(learner);
          return;
        }
      }
    }
    if (!wanted.contains(selfId) && group.voters().contains(selfId)) {
      raft.proposeRemoveVoter(selfId); // this node left: hand the group over
    }
  }

  // ------------------------------------------------------------------------------------------

  private List<String> peers() {
    Set<String> ids = new TreeSet<>();
    ClusterMetadata m = applied;
    if (m.isBootstrapped()) {
      for (NodeRecord node : m.nodes()) {
        ids.add(node.id());
      }
    }
    for (Member member : settings.bootstrapMembers()) {
      ids.add(member.id());
    }
    ids.addAll(raft.membership().voters());
    ids.addAll(raft.membership().learners());
    ids.addAll(connectedPeers);
    ids.remove(selfId);
    ids.remove(NO_VOTER);
    return new ArrayList<>(ids);
  }

  private void send(String to, byte[] payload) {
    outbox.send(to, new Envelope(applied.epoch(), 0, new ControlFrame(payload)));
  }
}
