package io.distributedcache.raft;

import io.distributedcache.raft.RaftMessage.AppendEntries;
import io.distributedcache.raft.RaftMessage.AppendEntriesResponse;
import io.distributedcache.raft.RaftMessage.InstallSnapshot;
import io.distributedcache.raft.RaftMessage.PreVote;
import io.distributedcache.raft.RaftMessage.PreVoteResponse;
import io.distributedcache.raft.RaftMessage.RequestVote;
import io.distributedcache.raft.RaftMessage.RequestVoteResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * One member's Raft state machine (Raft paper, Ongaro and Ousterhout 2014, figure 2; pre-vote and
 * check-quorum from Ongaro's thesis, sections 9.6 and 6.2).
 *
 * <h2>Contract</h2>
 *
 * The node never touches a socket, a thread or a clock. The application, on the one thread that
 * owns the node, calls {@link #tick()} once per logical tick, {@link #step} for every message a
 * peer sent to it, and {@link #propose} for new commands; after any of these it drains {@link
 * #ready()} and carries the batch out in the order {@link Ready} prescribes: persist, then send,
 * then apply. A restarted member is a new {@code RaftNode} over the same {@link RaftStorage}.
 * Once the application has applied entries it may {@link #compact} the log into a {@link Snapshot}.
 *
 * <h2>Design note</h2>
 *
 * <ul>
 *   <li><b>Election safety</b> (one leader per term): a node votes at most once per term ({@code
 *       votedFor} is persisted before the vote is sent) and a candidate needs a majority.
 *   <li><b>Pre-vote</b>: an election starts with a {@link PreVote} for {@code term + 1} that
 *       changes nobody's term; only with a majority of pre-votes does the node increment its term.
 *       A node cut off from the majority therefore never raises its term and cannot depose a
 *       healthy leader when it comes back.
 *   <li><b>Leases</b>: a member that heard from a leader less than {@code electionTimeoutTicks} ago
 *       ignores (pre-)vote requests of higher terms, so an up-to-date but impatient node cannot
 *       disrupt a working leader either.
 *   <li><b>Check-quorum</b>: every {@code electionTimeoutTicks} the leader counts the members that
 *       answered it since the last check; without a majority it steps down, so clients of a
 *       minority-side leader learn quickly that it cannot commit.
 *   <li><b>Replication</b>: the leader keeps, per peer, {@code nextIndex} (next entry to send) and
 *       {@code matchIndex} (highest entry known replicated). {@code nextIndex} only moves on a
 *       response, so nothing is lost when messages are; heartbeats resend from {@code nextIndex}
 *       and double as retransmission. A rejection carries a hint (the first index of the follower's
 *       conflicting term, or its log end) so the leader skips a whole term per round trip, and the
 *       rejected index, so stale or duplicated rejections are recognised and dropped.
 *   <li><b>Commitment</b> (paper section 5.4.2): the commit index moves to the highest index stored
 *       on a majority only if that entry is of the current term; a new leader appends a no-op to
 *       commit what earlier terms left behind.
 *   <li><b>Persistence</b> follows etcd: changes to term, vote and log accumulate in memory and are
 *       handed out by {@link #ready()}; the application makes them durable before sending that
 *       batch's messages, which is what makes a vote or an acknowledgement a durable promise.
 *   <li><b>Membership changes</b> (thesis section 4.1), one server at a time: a configuration is a
 *       {@link LogEntry.Kind#CONFIG} entry and takes effect on each member as soon as it is in its
 *       log, committed or not (a truncated one is undone). Any two majorities of configurations
 *       that differ by one voter overlap, which keeps election safety, provided a change starts
 *       only after the previous one committed; the leader also waits until an entry of its own
 *       term committed (the fix Ongaro posted to raft-dev in 2015 for a leader change during a
 *       change). A leader that removed itself keeps leading, without counting itself, until the
 *       change commits, then steps down. <b>Learners</b> receive the log but never campaign, and
 *       their votes and acknowledgements never count; a member that is not a voter in its own
 *       configuration never campaigns (that is how a newly started server waits to be added),
 *       except a voter whose removal it holds uncommitted (see {@code mayCampaign}).
 *   <li><b>Strangers</b>: messages are handled whoever sends them (thesis section 4.1): a member
 *       whose log lags may not know yet the configuration that added the leader or candidate
 *       talking to it, and ignoring them could deadlock the group. Only the tallies look at the
 *       configuration: a vote or an acknowledgement counts only from a voter. A removed server
 *       cannot disrupt the group: pre-vote fails for it (its log lacks the committed removal) and
 *       leases make members ignore its vote requests (thesis section 4.2.3).
 *   <li><b>Snapshots</b> (paper section 7), driven by the application as in etcd: after applying
 *       entries up to some index it calls {@link #compact} with its state machine's bytes; the node
 *       records a {@link Snapshot} (index, term, configuration in force there, data), drops the
 *       entries it covers and returns it for the application to {@linkplain
 *       RaftStorage#saveSnapshot save}. The log then holds the entries after {@link
 *       #snapshot()}{@code .index()}; the snapshot's term stands in for the dropped entry's in the
 *       consistency check and in elections, and its configuration is in force until a later
 *       configuration entry. Only applied (hence committed) entries are compacted, so every member
 *       and every future leader agrees on what a snapshot replaces.
 *   <li><b>InstallSnapshot</b>: a leader that compacted away the next entry a follower needs sends
 *       its snapshot instead ({@link InstallSnapshot}), once when the need arises and then with
 *       every heartbeat until the follower acknowledges; {@code nextIndex} still moves only on a
 *       response. A follower installs a snapshot only if it is past its commit index (anything else
 *       is stale: it has those entries committed already): it keeps the entries after the
 *       snapshot's index if its entry there has the snapshot's term, else drops its log (paper
 *       section 7, receiver steps 6 and 7; {@link RaftStorage#entriesKept}), sets its commit index
 *       to the snapshot's index and hands the snapshot out in {@link Ready#snapshotToApply()}. It
 *       answers with an {@link AppendEntriesResponse} (see {@link InstallSnapshot}).
 * </ul>
 *
 * <p>The log after the snapshot is kept in memory; it is loaded from storage when the node is
 * built, and so is the snapshot, from which a restarted node starts: its commit and applied indexes
 * begin at the snapshot's index and the application restores its state machine from {@link
 * #snapshot()} before it drains the first {@link Ready}.
 *
 * <p>Thread-safety: none. All methods must be called from one thread (or under one lock).
 */
public final class RaftNode {

  private final String id;

  /** The configuration in effect while the log holds no {@link LogEntry.Kind#CONFIG} entry. */
  private final Membership bootstrap;

  /**
   * The configuration of the latest CONFIG entry in the log, else that of {@link #snapshot}, else
   * {@link #bootstrap}.
   */
  private Membership membership;

  /**
   * The index of the entry {@link #membership} comes from; the snapshot's index for the snapshot's
   * configuration (it was in force there, which is all that the comparisons with the commit index
   * need); 0 for {@link #bootstrap}.
   */
  private long membershipIndex;

  private final RaftConfig config;
  private final RandomGenerator random;

  // Persistent state, mirrored in memory; ready() hands out changes.
  private long term;
  private String votedFor;

  /** The latest snapshot, {@link Snapshot#NONE} if none; the log holds the entries after it. */
  private Snapshot snapshot;

  /** {@code log.get(i - snapshot.index() - 1)} is the entry at index {@code i}. */
  private final ArrayList<LogEntry> log;

  // Volatile state.
  private Role role = Role.FOLLOWER;
  private String leaderId;
  private long commitIndex;

  /**
   * The last index handed out in {@link Ready#committedEntries()} or covered by a snapshot; never
   * below {@code snapshot.index()}.
   */
  private long appliedIndex;

  private int electionElapsedTicks;
  private int heartbeatElapsedTicks;
  private int randomizedElectionTimeoutTicks;
  private final Set<String> votesGranted = new HashSet<>();
  private final Set<String> votesRejected = new HashSet<>();

  /** Per-peer replication state; only while leader. */
  private Map<String, Progress> progress = Map.of();

  // Output not yet drained by ready().
  private HardState lastReadyHardState;
  private SoftState lastReadySoftState;

  /**
   * The lowest log index changed since the last ready(); {@link Long#MAX_VALUE} if none. Always
   * above the snapshot's index.
   */
  private long firstUnpersistedIndex = Long.MAX_VALUE;

  /** A snapshot installed since the last ready(), to hand out; {@code null} if none. */
  private Snapshot snapshotToApply;

  private final List<RaftMessage> outbox = new ArrayList<>();

  /**
   * Builds a member whose bootstrap configuration is {@code voters} and no learners; see {@link
   * #RaftNode(String, Membership, RaftConfig, RaftStorage, RandomGenerator)}.
   */
  public RaftNode(
      String id,
      Collection<String> voters,
      RaftConfig config,
      RaftStorage storage,
      RandomGenerator random) {
    this(id, Membership.ofVoters(voters), config, storage, random);
  }

  /**
   * Builds a member from what its storage holds: a fresh node if the storage is empty, else a
   * restarted one with its term, vote, snapshot and log. It starts as a follower that knows no
   * leader, with its commit and applied indexes at the snapshot's index (0 without one): the
   * application restores its state machine from {@link #snapshot()} (if not empty) before it drains
   * the first {@link Ready}, and committed entries after the snapshot are handed out again once the
   * node learns the commit index from a leader, so the application rebuilds the rest of its state
   * by applying them.
   *
   * <p>The configuration in effect is that of the latest configuration entry in the log, else that
   * of the snapshot, else {@code bootstrap}. Every founding member gets the same {@code bootstrap}.
   * A server started later to join the group gets a {@code bootstrap} in which it is not a voter
   * (for example the founders'): it then never campaigns, and waits for the leader that adds it.
   *
   * @param id this member's id
   * @param bootstrap the configuration while the log holds no configuration entry
   * @param config timing and batching settings
   * @param storage this member's stable storage; read here, written by the application
   * @param random the source of randomised election timeouts; seed it in tests and simulations
   * @throws IllegalArgumentException if the stored log is not consecutive from just after the
   *     snapshot's index
   */
  public RaftNode(
      String id,
      Membership bootstrap,
      RaftConfig config,
      RaftStorage storage,
      RandomGenerator random) {
    this.id = Objects.requireNonNull(id, "id");
    this.bootstrap = Objects.requireNonNull(bootstrap, "bootstrap");
    this.config = Objects.requireNonNull(config, "config");
    this.random = Objects.requireNonNull(random, "random");

    HardState hardState = storage.hardState();
    this.term = hardState.term();
    this.votedFor = hardState.votedFor();
    this.lastReadyHardState = hardState;
    this.snapshot = Objects.requireNonNull(storage.snapshot(), "storage.snapshot()");
    this.log = new ArrayList<>(storage.entries());
    for (int i = 0; i < log.size(); i++) {
      if (log.get(i).index() != snapshot.index() + 1 + i) {
        throw new IllegalArgumentException(
            "stored log is not consecutive from "
                + (snapshot.index() + 1)
                + " at position "
                + i
                + ": "
                + log.get(i));
      }
    }
    this.commitIndex = snapshot.index();
    this.appliedIndex = snapshot.index();
    this.membership = bootstrap;
    recomputeMembership();
    resetTimers();
    this.lastReadySoftState = softState();
  }

  /** This member's id. */
  public String id() {
    return id;
  }

  /** The current role, term and known leader. */
  public SoftState softState() {
    return new SoftState(role, term, leaderId);
  }

  /** The current term and vote (possibly not yet persisted). */
  public HardState hardState() {
    return new HardState(term, votedFor);
  }

  /**
   * The configuration in effect here: that of the latest configuration entry in this member's log
   * (possibly uncommitted), or the bootstrap configuration.
   */
  public Membership membership() {
    return membership;
  }

  /** The highest index known to be committed. */
  public long commitIndex() {
    return commitIndex;
  }

  /**
   * The index of the last log entry: the snapshot's index if the log after it is empty, 0 if there
   * is neither log nor snapshot.
   */
  public long lastIndex() {
    return snapshot.index() + log.size();
  }

  /**
   * The index of the first entry the log holds, {@code snapshot().index() + 1}; the log is empty if
   * this exceeds {@link #lastIndex()}.
   */
  public long firstIndex() {
    return snapshot.index() + 1;
  }

  /**
   * The latest snapshot, the application's own ({@link #compact}) or one received from a leader;
   * {@link Snapshot#NONE} if there is none.
   */
  public Snapshot snapshot() {
    return snapshot;
  }

  /**
   * The log entry at {@code index} (possibly not yet persisted or committed); for invariant checks
   * and diagnostics. Entries up to the snapshot's index are gone: the snapshot stands in for them,
   * so asking for one is an error rather than a {@code null} that a caller could mistake for "not
   * there yet".
   *
   * @throws IndexOutOfBoundsException unless {@code firstIndex() <= index <= lastIndex()}; the
   *     message says when the entry was compacted into the snapshot
   */
  public LogEntry entry(long index) {
    if (index < firstIndex() || index > lastIndex()) {
      throw new IndexOutOfBoundsException(
          "index "
              + index
              + " not in ["
              + firstIndex()
              + ", "
              + lastIndex()
              + "]"
              + (index >= 1 && index <= snapshot.index()
                  ? ": compacted into the snapshot at index " + snapshot.index()
                  : ""));
    }
    return log.get(position(index));
  }

  /**
   * Compacts the log (paper section 7): records a {@link Snapshot} of the application's state
   * machine as of {@code appliedIndex} (with that entry's term and the configuration in force at
   * it) and drops the entries up to it from memory. The application calls it after it applied the
   * {@link Ready#committedEntries()} up to {@code appliedIndex} (and only between batches, never
   * while carrying one out), and must then hand the returned snapshot to {@link
   * RaftStorage#saveSnapshot}, which persists it and drops the same entries from the storage. Until
   * it does, the storage simply holds more log than the node; a crash in between loses nothing.
   *
   * <p>The node sends this snapshot to followers whose next entry it compacted away.
   *
   * @param appliedIndex the index up to which {@code stateMachineData} reflects the log: above the
   *     current snapshot's index and at most the last index handed out in {@link
   *     Ready#committedEntries()} (so at most {@link #commitIndex()}, and persisted)
   * @param stateMachineData the application's state after applying entries 1 to {@code
   *     appliedIndex}; copied
   * @return the new snapshot, also {@link #snapshot()} from now on
   * @throws IllegalArgumentException if {@code appliedIndex} is not in that range
   */
  public Snapshot compact(long appliedIndex, byte[] stateMachineData) {
    Objects.requireNonNull(stateMachineData, "stateMachineData");
    if (appliedIndex <= snapshot.index() || appliedIndex > this.appliedIndex) {
      throw new IllegalArgumentException(
          "can compact only up to an applied index in ("
              + snapshot.index()
              + ", "
              + this.appliedIndex
              + "]: "
              + appliedIndex);
    }
    Snapshot next =
        new Snapshot(
            appliedIndex, termAt(appliedIndex), membershipAt(appliedIndex), stateMachineData);
    log.subList(0, position(appliedIndex) + 1).clear();
    snapshot = next;
    // Entries up to the applied index went out for persisting with the batch that applied them,
    // so nothing waiting to be persisted was dropped: firstUnpersistedIndex > commitIndex.
    return next;
  }

  /**
   * Advances logical time by one tick: followers and candidates count towards their election
   * timeout and start a pre-vote when it expires; the leader sends heartbeats and checks its
   * quorum.
   */
  public void tick() {
    electionElapsedTicks++;
    if (role != Role.LEADER) {
      if (electionElapsedTicks >= randomizedElectionTimeoutTicks) {
        if (mayCampaign()) {
          becomePreCandidate();
        } else {
          resetTimers(); // learners and servers not (or no longer) in the group never campaign
        }
      }
      return;
    }
    if (electionElapsedTicks >= config.electionTimeoutTicks()) {
      electionElapsedTicks = 0;
      int active = membership.isVoter(id) ? 1 : 0;
      for (Map.Entry<String, Progress> e : progress.entrySet()) {
        if (e.getValue().recentlyActive && membership.isVoter(e.getKey())) {
          active++;
        }
        e.getValue().recentlyActive = false;
      }
      if (active < membership.quorum()) {
        becomeFollower(term, null);
        return;
      }
    }
    heartbeatElapsedTicks++;
    if (heartbeatElapsedTicks >= config.heartbeatIntervalTicks()) {
      heartbeatElapsedTicks = 0;
      broadcastAppend(true);
    }
  }

  /**
   * Proposes a command to be appended to the replicated log.
   *
   * @param command the command, not empty (an empty entry is a leader's no-op)
   * @return {@link ProposeResult.Accepted} with the entry's term and index if this node is the
   *     leader, else {@link ProposeResult.NotLeader} with the leader it knows, if any
   * @throws IllegalArgumentException if {@code command} is empty
   */
  public ProposeResult propose(byte[] command) {
    Objects.requireNonNull(command, "command");
    if (command.length == 0) {
      throw new IllegalArgumentException("command must not be empty (reserved for no-ops)");
    }
    if (role != Role.LEADER) {
      return new ProposeResult.NotLeader(leaderId);
    }
    LogEntry entry = new LogEntry(term, lastIndex() + 1, command);
    appendToLog(List.of(entry));
    maybeAdvanceCommit();
    broadcastAppend(false);
    return new ProposeResult.Accepted(entry.term(), entry.index());
  }

  /**
   * Proposes adding {@code member} as a voter, or promoting it if it is a learner (better: add a
   * new server as a learner first and promote it once it caught up, so that the group never waits
   * for a voter that is far behind).
   *
   * @return {@link ProposeResult.Accepted} with the configuration entry's term and index (the new
   *     configuration is in effect on the leader already); {@link ProposeResult.NotLeader}; or
   *     {@link ProposeResult.Rejected} if {@code member} is a voter already or a change may not
   *     start now (see {@link #proposeMembership})
   */
  public ProposeResult proposeAddVoter(String member) {
    Objects.requireNonNull(member, "member");
    if (membership.isVoter(member)) {
      return proposeRejected(member + " is a voter already");
    }
    Set<String> voters = new TreeSet<>(membership.voters());
    voters.add(member);
    Set<String> learners = new TreeSet<>(membership.learners());
    learners.remove(member);
    return proposeMembership(new Membership(voters, learners));
  }

  /**
   * Proposes adding {@code member} as a learner: it receives the log but neither votes nor counts
   * towards commitment. Answers as {@link #proposeAddVoter}; rejected if {@code member} is already
   * a voter or a learner.
   */
  public ProposeResult proposeAddLearner(String member) {
    Objects.requireNonNull(member, "member");
    if (membership.contains(member)) {
      return proposeRejected(member + " is a member already");
    }
    Set<String> learners = new TreeSet<>(membership.learners());
    learners.add(member);
    return proposeMembership(new Membership(membership.voters(), learners));
  }

  /**
   * Proposes removing the voter {@code member}, possibly this leader itself: it then goes on
   * leading without counting itself until the change commits, and steps down at that point.
   * Answers as {@link #proposeAddVoter}; rejected if {@code member} is not a voter or is the last
   * one.
   */
  public ProposeResult proposeRemoveVoter(String member) {
    Objects.requireNonNull(member, "member");
    if (!membership.isVoter(member)) {
      return proposeRejected(member + " is not a voter");
    }
    if (membership.voters().size() == 1) {
      return proposeRejected("cannot remove the last voter " + member);
    }
    Set<String> voters = new TreeSet<>(membership.voters());
    voters.remove(member);
    return proposeMembership(new Membership(voters, membership.learners()));
  }

  /**
   * Appends a configuration entry for {@code next}, which differs from the current configuration by
   * one server, if this node leads, its latest configuration entry is committed, and an entry of
   * its current term is committed.
   */
  private ProposeResult proposeMembership(Membership next) {
    if (role != Role.LEADER) {
      return new ProposeResult.NotLeader(leaderId);
    }
    if (membershipIndex > commitIndex) {
      return new ProposeResult.Rejected(
          "the configuration change at index " + membershipIndex + " is not committed yet");
    }
    if (termAt(commitIndex) != term) {
      return new ProposeResult.Rejected(
          "no entry of term " + term + " is committed yet (a new leader commits its no-op first)");
    }
    LogEntry entry = LogEntry.config(term, lastIndex() + 1, next);
    appendToLog(List.of(entry));
    maybeAdvanceCommit(); // removing a lagging voter can lower the bar
    broadcastAppend(false);
    stepDownIfRemoved();
    return new ProposeResult.Accepted(entry.term(), entry.index());
  }

  /** A rejection, unless this node does not lead (then where to redirect matters more). */
  private ProposeResult proposeRejected(String reason) {
    return role == Role.LEADER
        ? new ProposeResult.Rejected(reason)
        : new ProposeResult.NotLeader(leaderId);
  }

  /**
   * Handles a message a peer sent to this member, whether or not the sender is in this member's
   * configuration (see the class comment); stale, duplicated and reordered messages are safe.
   *
   * @throws IllegalArgumentException if the message is addressed to another member
   */
  public void step(RaftMessage message) {
    Objects.requireNonNull(message, "message");
    if (!message.to().equals(id)) {
      throw new IllegalArgumentException(id + " was handed a message for " + message.to());
    }
    if (message.term() > term) {
      if ((message instanceof PreVote || message instanceof RequestVote) && inLease()) {
        // Thesis 4.2.3: while we hear from a leader, a higher-term vote request comes from a node
        // that is merely impatient or was partitioned; obeying it would depose a working leader.
        return;
      }
      boolean keepsTerm =
          message instanceof PreVote || (message instanceof PreVoteResponse r && r.granted());
      if (!keepsTerm) {
        boolean fromLeader = message instanceof AppendEntries || message instanceof InstallSnapshot;
        becomeFollower(message.term(), fromLeader ? message.from() : null);
      }
    } else if (message.term() < term) {
      if (message instanceof AppendEntries a) {
        // A deposed leader we do not answer would keep its followers' leases alive; telling it our
        // term makes it step down (etcd does the same for check-quorum and pre-vote).
        send(new AppendEntriesResponse(term, id, a.from(), false, a.prevLogIndex(), 0));
      } else if (message instanceof InstallSnapshot i) {
        send(new AppendEntriesResponse(term, id, i.from(), false, i.snapshot().index(), 0));
      } else if (message instanceof PreVote p) {
        send(new PreVoteResponse(term, id, p.from(), false));
      }
      return;
    }

    if (message instanceof PreVote m) {
      handlePreVote(m);
    } else if (message instanceof PreVoteResponse m) {
      handlePreVoteResponse(m);
    } else if (message instanceof RequestVote m) {
      handleRequestVote(m);
    } else if (message instanceof RequestVoteResponse m) {
      handleRequestVoteResponse(m);
    } else if (message instanceof AppendEntries m) {
      handleAppendEntries(m);
    } else if (message instanceof AppendEntriesResponse m) {
      handleAppendEntriesResponse(m);
    } else if (message instanceof InstallSnapshot m) {
      handleInstallSnapshot(m);
    }
  }

  /** Whether {@link #ready()} has anything to hand out. */
  public boolean hasReady() {
    return !hardState().equals(lastReadyHardState)
        || !softState().equals(lastReadySoftState)
        || snapshotToApply != null
        || firstUnpersistedIndex <= lastIndex()
        || !outbox.isEmpty()
        || commitIndex > appliedIndex;
  }

  /**
   * Drains everything this node wants done since the last call: the application must carry out the
   * returned batch (see {@link Ready} for the order) before it calls any other method of this node
   * with effects that depend on it, and must not lose it.
   */
  public Ready ready() {
    HardState hardState = hardState();
    HardState hardStateToPersist = hardState.equals(lastReadyHardState) ? null : hardState;
    lastReadyHardState = hardState;

    Snapshot snapshotOut = snapshotToApply;
    snapshotToApply = null;

    List<LogEntry> entriesToPersist =
        firstUnpersistedIndex <= lastIndex()
            ? List.copyOf(log.subList(position(firstUnpersistedIndex), log.size()))
            : List.of();
    firstUnpersistedIndex = Long.MAX_VALUE;

    List<LogEntry> committed =
        commitIndex > appliedIndex
            ? List.copyOf(log.subList(position(appliedIndex + 1), position(commitIndex) + 1))
            : List.of();
    appliedIndex = commitIndex;

    List<RaftMessage> messages = List.copyOf(outbox);
    outbox.clear();

    lastReadySoftState = softState();
    return new Ready(
        lastReadySoftState, hardStateToPersist, snapshotOut, entriesToPersist, messages, committed);
  }

  @Override
  public String toString() {
    return "RaftNode["
        + id
        + " "
        + role
        + " term="
        + term
        + " leader="
        + leaderId
        + " last="
        + lastIndex()
        + " commit="
        + commitIndex
        + " snapshot="
        + snapshot.index()
        + "]";
  }

  // ---------------------------------------------------------------------------------- elections

  private boolean inLease() {
    return leaderId != null && electionElapsedTicks < config.electionTimeoutTicks();
  }

  private void resetTimers() {
    electionElapsedTicks = 0;
    heartbeatElapsedTicks = 0;
    int minTicks = config.electionTimeoutTicks();
    randomizedElectionTimeoutTicks = minTicks + random.nextInt(minTicks);
  }

  private void becomeFollower(long newTerm, String leader) {
    if (newTerm != term) {
      term = newTerm;
      votedFor = null;
    }
    role = Role.FOLLOWER;
    leaderId = leader;
    progress = Map.of();
    resetTimers();
  }

  private void becomePreCandidate() {
    role = Role.PRE_CANDIDATE;
    leaderId = null;
    progress = Map.of();
    resetTimers();
    startTally();
    if (votesGranted.size() >= membership.quorum()) {
      becomeCandidate();
      return;
    }
    for (String peer : voterPeers()) {
      send(new PreVote(term + 1, id, peer, lastIndex(), lastTerm()));
    }
  }

  private void becomeCandidate() {
    term++;
    votedFor = id;
    role = Role.CANDIDATE;
    leaderId = null;
    progress = Map.of();
    resetTimers();
    startTally();
    if (votesGranted.size() >= membership.quorum()) {
      becomeLeader();
      return;
    }
    for (String peer : voterPeers()) {
      send(new RequestVote(term, id, peer, lastIndex(), lastTerm()));
    }
  }

  private void becomeLeader() {
    role = Role.LEADER;
    leaderId = id;
    resetTimers();
    Map<String, Progress> fresh = new LinkedHashMap<>();
    for (String peer : replicationPeers()) {
      fresh.put(peer, new Progress(lastIndex() + 1));
    }
    progress = fresh;
    // Section 5.4.2 / 8: entries of earlier terms commit only together with one of ours.
    appendToLog(List.of(LogEntry.noOp(term, lastIndex() + 1)));
    maybeAdvanceCommit();
    broadcastAppend(false);
  }

  /**
   * Voters campaign; so does a voter whose removal is in its log but not known to be committed: the
   * removal may be lost, and until it commits the remaining voters may need this node to lead (its
   * log may be the only up-to-date one). It then campaigns under its latest configuration, without
   * voting for itself, and once elected steps down when the removal commits, as a leader that
   * removed itself does.
   */
  private boolean mayCampaign() {
    if (membership.isVoter(id)) {
      return true;
    }
    if (membershipIndex <= commitIndex) {
      return false;
    }
    return membershipAt(membershipIndex - 1).isVoter(id);
  }

  private void startTally() {
    votesGranted.clear();
    votesRejected.clear();
    if (membership.isVoter(id)) {
      votesGranted.add(id);
    }
  }

  /** Raft paper section 5.4.1: the voter's log must not be more up to date than the candidate's. */
  private boolean isUpToDate(long candidateLastTerm, long candidateLastIndex) {
    return candidateLastTerm > lastTerm()
        || (candidateLastTerm == lastTerm() && candidateLastIndex >= lastIndex());
  }

  private void handlePreVote(PreVote m) {
    // Granting changes nothing here: no term, no vote, no timer. The pre-vote only predicts.
    boolean grant = m.term() > term && isUpToDate(m.lastLogTerm(), m.lastLogIndex());
    send(new PreVoteResponse(grant ? m.term() : term, id, m.from(), grant));
  }

  private void handlePreVoteResponse(PreVoteResponse m) {
    if (role != Role.PRE_CANDIDATE || !membership.isVoter(m.from())) {
      return; // a learner's answer never counts
    }
    if (m.granted()) {
      if (m.term() != term + 1) {
        return; // from an earlier round
      }
      votesGranted.add(m.from());
    } else {
      votesRejected.add(m.from());
    }
    if (votesGranted.size() >= membership.quorum()) {
      becomeCandidate();
    } else if (votesRejected.size() > membership.voters().size() - membership.quorum()) {
      becomeFollower(term, null);
    }
  }

  private void handleRequestVote(RequestVote m) {
    boolean canVote = m.from().equals(votedFor) || (votedFor == null && leaderId == null);
    boolean grant = canVote && isUpToDate(m.lastLogTerm(), m.lastLogIndex());
    if (grant) {
      votedFor = m.from();
      // Granting a vote restarts the election timer (figure 2, rules for followers).
      electionElapsedTicks = 0;
    }
    send(new RequestVoteResponse(term, id, m.from(), grant));
  }

  private void handleRequestVoteResponse(RequestVoteResponse m) {
    if (role != Role.CANDIDATE || !membership.isVoter(m.from())) {
      return; // a learner's vote never counts
    }
    (m.granted() ? votesGranted : votesRejected).add(m.from());
    if (votesGranted.size() >= membership.quorum()) {
      becomeLeader();
    } else if (votesRejected.size() > membership.voters().size() - membership.quorum()) {
      becomeFollower(term, null);
    }
  }

  // -------------------------------------------------------------------------------- replication

  /** Follows the leader of the current term that sent an append or a snapshot. */
  private void followLeader(String leader) {
    if (role == Role.LEADER) {
      throw new IllegalStateException(
          "two leaders in term "
              + term
              + ": "
              + id
              + " and "
              + leader
              + " (election safety broken)");
    }
    if (role != Role.FOLLOWER) {
      becomeFollower(term, leader);
    } else {
      leaderId = leader;
      electionElapsedTicks = 0;
    }
  }

  private void handleAppendEntries(AppendEntries m) {
    followLeader(m.from());

    long prevIndex = m.prevLogIndex();
    if (prevIndex < snapshot.index()) {
      // The entries up to our snapshot are committed, so they match the leader's; the rest of this
      // (stale or duplicated) append cannot be checked without the compacted terms. Tell the
      // leader where we are sure to match instead, as etcd does.
      send(new AppendEntriesResponse(term, id, m.from(), true, commitIndex, 0));
      return;
    }
    if (prevIndex > lastIndex()) {
      send(new AppendEntriesResponse(term, id, m.from(), false, prevIndex, lastIndex() + 1));
      return;
    }
    long conflictTerm = termAt(prevIndex);
    if (conflictTerm != m.prevLogTerm()) {
      long hint = prevIndex;
      while (hint - 1 > commitIndex && termAt(hint - 1) == conflictTerm) {
        hint--;
      }
      send(new AppendEntriesResponse(term, id, m.from(), false, prevIndex, hint));
      return;
    }

    List<LogEntry> entries = m.entries();
    for (int i = 0; i < entries.size(); i++) {
      LogEntry entry = entries.get(i);
      if (entry.index() <= lastIndex()) {
        if (termAt(entry.index()) == entry.term()) {
          continue; // already have it; a stale or duplicated append must not truncate anything
        }
        if (entry.index() <= commitIndex) {
          throw new IllegalStateException(
              id + ": leader " + m.from() + " conflicts with committed entry " + entry.index());
        }
        truncateFrom(entry.index());
      }
      appendToLog(entries.subList(i, entries.size()));
      break;
    }

    long lastNewIndex = prevIndex + entries.size();
    commitIndex = Math.max(commitIndex, Math.min(m.leaderCommit(), lastNewIndex));
    send(new AppendEntriesResponse(term, id, m.from(), true, lastNewIndex, 0));
  }

  private void handleInstallSnapshot(InstallSnapshot m) {
    followLeader(m.from());
    Snapshot incoming = m.snapshot();
    if (incoming.index() <= commitIndex) {
      // Stale or duplicated: we hold everything it covers, committed. Installing it could only cut
      // the log back. Our committed prefix matches the leader's, so say so.
      send(new AppendEntriesResponse(term, id, m.from(), true, commitIndex, 0));
      return;
    }
    List<LogEntry> kept = RaftStorage.entriesKept(incoming, log);
    // Whatever of the kept suffix was not persisted yet still has to be; the storage applies the
    // same rule to what it holds, so it keeps the persisted part of this suffix. A discarded log
    // leaves nothing to persist. (Only if this very batch overwrote the entry at the snapshot's
    // index can the storage keep an older suffix that the node dropped: entries the node held
    // before, as after a crash just before that overwrite, which Raft tolerates; the leader's next
    // append, from the snapshot's index on, replaces them.)
    firstUnpersistedIndex =
        kept.isEmpty() ? Long.MAX_VALUE : Math.max(firstUnpersistedIndex, incoming.index() + 1);
    log.clear();
    log.addAll(kept);
    snapshot = incoming;
    snapshotToApply = incoming;
    commitIndex = incoming.index();
    appliedIndex = incoming.index(); // entries it covers are never handed out
    recomputeMembership();
    send(new AppendEntriesResponse(term, id, m.from(), true, incoming.index(), 0));
  }

  private void handleAppendEntriesResponse(AppendEntriesResponse m) {
    if (role != Role.LEADER) {
      return;
    }
    Progress p = progress.get(m.from());
    if (p == null) {
      return; // from a server this leader no longer replicates to
    }
    p.recentlyActive = true;
    if (m.success()) {
      if (m.index() <= p.matchIndex) {
        return; // duplicate or reordered acknowledgement
      }
      p.matchIndex = m.index();
      p.nextIndex = Math.max(p.nextIndex, p.matchIndex + 1);
      if (maybeAdvanceCommit()) {
        // Tell everyone the new commit index now, not at the next heartbeat.
        broadcastAppend(false);
        stepDownIfRemoved();
      } else if (p.nextIndex <= lastIndex()) {
        sendAppend(m.from(), p, false);
      }
      return;
    }
    if (m.index() != p.nextIndex - 1) {
      return; // a rejection of something we no longer send
    }
    p.nextIndex = Math.max(p.matchIndex + 1, Math.min(m.hintIndex(), p.nextIndex - 1));
    sendAppend(m.from(), p, false);
  }

  private boolean maybeAdvanceCommit() {
    // Only voters count; a leader that removed itself is not one.
    long[] matched = new long[membership.voters().size()];
    int i = 0;
    for (String voter : membership.voters()) {
      Progress p = progress.get(voter);
      matched[i++] = voter.equals(id) ? lastIndex() : p == null ? 0 : p.matchIndex;
    }
    Arrays.sort(matched);
    long majorityIndex = matched[matched.length - membership.quorum()];
    if (majorityIndex > commitIndex && termAt(majorityIndex) == term) {
      commitIndex = majorityIndex;
      return true;
    }
    return false;
  }

  /** Thesis 4.2.2: a leader not in the configuration it committed hands over by stepping down. */
  private void stepDownIfRemoved() {
    if (role == Role.LEADER && !membership.isVoter(id) && membershipIndex <= commitIndex) {
      becomeFollower(term, null);
    }
  }

  /**
   * Sends every peer what it needs next.
   *
   * @param heartbeat whether this is the periodic heartbeat, which also resends snapshots
   */
  private void broadcastAppend(boolean heartbeat) {
    for (Map.Entry<String, Progress> e : progress.entrySet()) {
      sendAppend(e.getKey(), e.getValue(), heartbeat);
    }
  }

  /**
   * Sends {@code peer} the entries from its {@code nextIndex}, or the snapshot if they are
   * compacted away. A snapshot goes out once per snapshot and then only with heartbeats until the
   * peer acknowledges it: it is the largest message, and every proposal and commit would
   * otherwise resend it.
   */
  private void sendAppend(String peer, Progress p, boolean heartbeat) {
    if (p.nextIndex <= snapshot.index()) {
      if (heartbeat || p.snapshotSentIndex != snapshot.index()) {
        p.snapshotSentIndex = snapshot.index();
        send(new InstallSnapshot(term, id, peer, snapshot));
      }
      return;
    }
    long prevIndex = p.nextIndex - 1;
    long lastToSend = Math.min(lastIndex(), prevIndex + config.maxEntriesPerAppend());
    List<LogEntry> entries =
        lastToSend > prevIndex
            ? log.subList(position(prevIndex + 1), position(lastToSend) + 1)
            : List.of();
    send(
        new AppendEntries(term, id, peer, prevIndex, termAt(prevIndex), entries, commitIndex));
  }

  // ------------------------------------------------------------------------------------ the log

  private long lastTerm() {
    return termAt(lastIndex());
  }

  /**
   * The term of the entry at {@code index}, the snapshot's term at its index, 0 at index 0.
   *
   * @throws IllegalStateException for an index inside the snapshot: callers only ask about indexes
   *     at or above the commit index, which is never below the snapshot's
   */
  private long termAt(long index) {
    if (index == snapshot.index()) {
      return snapshot.term();
    }
    if (index < snapshot.index()) {
      throw new IllegalStateException(
          id + ": the term at " + index + " is compacted into the snapshot at " + snapshot.index());
    }
    return log.get(position(index)).term();
  }

  /** The position in {@link #log} of the entry at {@code index}, after the snapshot's. */
  private int position(long index) {
    return (int) (index - snapshot.index() - 1);
  }

  private void truncateFrom(long index) {
    log.subList(position(index), log.size()).clear();
    firstUnpersistedIndex = Math.min(firstUnpersistedIndex, index);
    if (membershipIndex >= index) {
      recomputeMembership(); // the configuration in effect went with the suffix
    }
  }

  private void appendToLog(List<LogEntry> entries) {
    firstUnpersistedIndex = Math.min(firstUnpersistedIndex, entries.get(0).index());
    log.addAll(entries);
    for (int i = entries.size() - 1; i >= 0; i--) {
      if (entries.get(i).isConfig()) {
        setMembership(entries.get(i).membership(), entries.get(i).index());
        break;
      }
    }
  }

  /** Sets the configuration to the latest one in the log, else the snapshot's or the bootstrap. */
  private void recomputeMembership() {
    for (int i = log.size() - 1; i >= 0; i--) {
      if (log.get(i).isConfig()) {
        setMembership(log.get(i).membership(), log.get(i).index());
        return;
      }
    }
    if (snapshot.isEmpty()) {
      setMembership(bootstrap, 0);
    } else {
      setMembership(snapshot.membership(), snapshot.index());
    }
  }

  /**
   * The configuration in force at {@code index} (at least the snapshot's index): that of the latest
   * configuration entry at or before it, else the snapshot's, else the bootstrap one.
   */
  private Membership membershipAt(long index) {
    for (long i = Math.min(index, lastIndex()); i >= firstIndex(); i--) {
      LogEntry e = entry(i);
      if (e.isConfig()) {
        return e.membership();
      }
    }
    return snapshot.isEmpty() ? bootstrap : snapshot.membership();
  }

  private void setMembership(Membership next, long index) {
    membership = next;
    membershipIndex = index;
    if (role == Role.LEADER) {
      // Keep what the leader knows of remaining peers; new ones start probing at the log's end.
      Map<String, Progress> updated = new LinkedHashMap<>();
      for (String peer : replicationPeers()) {
        Progress p = progress.get(peer);
        updated.put(peer, p != null ? p : new Progress(lastIndex()));
      }
      progress = updated;
    }
  }

  /** The voters other than this node, sorted so that message order is deterministic. */
  private List<String> voterPeers() {
    List<String> out = new ArrayList<>(membership.voters());
    out.remove(id);
    return out;
  }

  /** Every member other than this node, voters first, each group sorted. */
  private List<String> replicationPeers() {
    List<String> out = voterPeers();
    for (String learner : membership.learners()) {
      if (!learner.equals(id)) {
        out.add(learner);
      }
    }
    return out;
  }

  private void send(RaftMessage message) {
    outbox.add(message);
  }

  /** What the leader knows about one follower's log. */
  private static final class Progress {
    long nextIndex;
    long matchIndex;

    /** Whether the peer answered since the last check-quorum. */
    boolean recentlyActive;

    /** The index of the last snapshot sent to the peer, 0 if none. */
    long snapshotSentIndex;

    Progress(long nextIndex) {
      this.nextIndex = nextIndex;
    }
  }
}
