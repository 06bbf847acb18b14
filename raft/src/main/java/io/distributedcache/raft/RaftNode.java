package io.distributedcache.raft;

import io.distributedcache.raft.RaftMessage.AppendEntries;
import io.distributedcache.raft.RaftMessage.AppendEntriesResponse;
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
 * </ul>
 *
 * <p>The whole log is kept in memory; it is loaded from storage when the node is built. Snapshots
 * (and with them log compaction), membership changes and learners are not implemented yet.
 *
 * <p>Thread-safety: none. All methods must be called from one thread (or under one lock).
 */
public final class RaftNode {

  private final String id;

  /** The other voters, in a stable order so that message order is deterministic. */
  private final List<String> peers;

  private final int quorum;
  private final RaftConfig config;
  private final RandomGenerator random;

  // Persistent state, mirrored in memory; ready() hands out changes.
  private long term;
  private String votedFor;

  /** {@code log.get(i - 1)} is the entry at index {@code i}. */
  private final ArrayList<LogEntry> log;

  // Volatile state.
  private Role role = Role.FOLLOWER;
  private String leaderId;
  private long commitIndex;

  /** The last index handed out in {@link Ready#committedEntries()}. */
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

  /** The lowest log index changed since the last ready(); {@link Long#MAX_VALUE} if none. */
  private long firstUnpersistedIndex = Long.MAX_VALUE;

  private final List<RaftMessage> outbox = new ArrayList<>();

  /**
   * Builds a member from what its storage holds: a fresh node if the storage is empty, else a
   * restarted one with its term, vote and log. It starts as a follower that knows no leader and has
   * committed nothing; committed entries are handed out again (from index 1) once it learns the
   * commit index from a leader, so the application rebuilds its state by applying them.
   *
   * @param id this member's id
   * @param voters the ids of all voting members, including {@code id}
   * @param config timing and batching settings
   * @param storage this member's stable storage; read here, written by the application
   * @param random the source of randomised election timeouts; seed it in tests and simulations
   * @throws IllegalArgumentException if {@code voters} does not contain {@code id}, or the stored
   *     log is not consecutive from index 1
   */
  public RaftNode(
      String id,
      Collection<String> voters,
      RaftConfig config,
      RaftStorage storage,
      RandomGenerator random) {
    this.id = Objects.requireNonNull(id, "id");
    Set<String> members = new TreeSet<>(voters);
    if (!members.contains(id)) {
      throw new IllegalArgumentException("voters " + members + " must contain " + id);
    }
    members.remove(id);
    this.peers = List.copyOf(members);
    this.quorum = (peers.size() + 1) / 2 + 1;
    this.config = Objects.requireNonNull(config, "config");
    this.random = Objects.requireNonNull(random, "random");

    HardState hardState = storage.hardState();
    this.term = hardState.term();
    this.votedFor = hardState.votedFor();
    this.lastReadyHardState = hardState;
    this.log = new ArrayList<>(storage.entries());
    for (int i = 0; i < log.size(); i++) {
      if (log.get(i).index() != i + 1) {
        throw new IllegalArgumentException("stored log is not consecutive from 1 at position " + i);
      }
    }
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

  /** The highest index known to be committed. */
  public long commitIndex() {
    return commitIndex;
  }

  /** The index of the last log entry, 0 if the log is empty. */
  public long lastIndex() {
    return log.size();
  }

  /**
   * The log entry at {@code index} (possibly not yet persisted or committed); for invariant checks
   * and diagnostics.
   *
   * @throws IndexOutOfBoundsException unless {@code 1 <= index <= lastIndex()}
   */
  public LogEntry entry(long index) {
    if (index < 1 || index > log.size()) {
      throw new IndexOutOfBoundsException("index " + index + " not in [1, " + log.size() + "]");
    }
    return log.get((int) (index - 1));
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
        becomePreCandidate();
      }
      return;
    }
    if (electionElapsedTicks >= config.electionTimeoutTicks()) {
      electionElapsedTicks = 0;
      int active = 1;
      for (Progress p : progress.values()) {
        if (p.recentlyActive) {
          active++;
        }
        p.recentlyActive = false;
      }
      if (active < quorum) {
        becomeFollower(term, null);
        return;
      }
    }
    heartbeatElapsedTicks++;
    if (heartbeatElapsedTicks >= config.heartbeatIntervalTicks()) {
      heartbeatElapsedTicks = 0;
      broadcastAppend();
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
    broadcastAppend();
    return new ProposeResult.Accepted(entry.term(), entry.index());
  }

  /**
   * Handles a message a peer sent to this member. Messages from ids that are not voters are ignored
   * (a removed member may still be talking); stale, duplicated and reordered messages are safe.
   *
   * @throws IllegalArgumentException if the message is addressed to another member
   */
  public void step(RaftMessage message) {
    Objects.requireNonNull(message, "message");
    if (!message.to().equals(id)) {
      throw new IllegalArgumentException(id + " was handed a message for " + message.to());
    }
    if (!peers.contains(message.from())) {
      return;
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
        becomeFollower(message.term(), message instanceof AppendEntries ? message.from() : null);
      }
    } else if (message.term() < term) {
      if (message instanceof AppendEntries a) {
        // A deposed leader we do not answer would keep its followers' leases alive; telling it our
        // term makes it step down (etcd does the same for check-quorum and pre-vote).
        send(new AppendEntriesResponse(term, id, a.from(), false, a.prevLogIndex(), 0));
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
    }
  }

  /** Whether {@link #ready()} has anything to hand out. */
  public boolean hasReady() {
    return !hardState().equals(lastReadyHardState)
        || !softState().equals(lastReadySoftState)
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

    List<LogEntry> entriesToPersist =
        firstUnpersistedIndex <= lastIndex()
            ? List.copyOf(log.subList((int) (firstUnpersistedIndex - 1), log.size()))
            : List.of();
    firstUnpersistedIndex = Long.MAX_VALUE;

    List<LogEntry> committed =
        commitIndex > appliedIndex
            ? List.copyOf(log.subList((int) appliedIndex, (int) commitIndex))
            : List.of();
    appliedIndex = commitIndex;

    List<RaftMessage> messages = List.copyOf(outbox);
    outbox.clear();

    lastReadySoftState = softState();
    return new Ready(lastReadySoftState, hardStateToPersist, entriesToPersist, messages, committed);
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
    if (votesGranted.size() >= quorum) {
      becomeCandidate();
      return;
    }
    for (String peer : peers) {
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
    if (votesGranted.size() >= quorum) {
      becomeLeader();
      return;
    }
    for (String peer : peers) {
      send(new RequestVote(term, id, peer, lastIndex(), lastTerm()));
    }
  }

  private void becomeLeader() {
    role = Role.LEADER;
    leaderId = id;
    resetTimers();
    Map<String, Progress> fresh = new LinkedHashMap<>();
    for (String peer : peers) {
      fresh.put(peer, new Progress(lastIndex() + 1));
    }
    progress = fresh;
    // Section 5.4.2 / 8: entries of earlier terms commit only together with one of ours.
    appendToLog(List.of(LogEntry.noOp(term, lastIndex() + 1)));
    maybeAdvanceCommit();
    broadcastAppend();
  }

  private void startTally() {
    votesGranted.clear();
    votesRejected.clear();
    votesGranted.add(id);
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
    if (role != Role.PRE_CANDIDATE) {
      return;
    }
    if (m.granted()) {
      if (m.term() != term + 1) {
        return; // from an earlier round
      }
      votesGranted.add(m.from());
    } else {
      votesRejected.add(m.from());
    }
    if (votesGranted.size() >= quorum) {
      becomeCandidate();
    } else if (votesRejected.size() > peers.size() + 1 - quorum) {
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
    if (role != Role.CANDIDATE) {
      return;
    }
    (m.granted() ? votesGranted : votesRejected).add(m.from());
    if (votesGranted.size() >= quorum) {
      becomeLeader();
    } else if (votesRejected.size() > peers.size() + 1 - quorum) {
      becomeFollower(term, null);
    }
  }

  // -------------------------------------------------------------------------------- replication

  private void handleAppendEntries(AppendEntries m) {
    if (role == Role.LEADER) {
      throw new IllegalStateException(
          "two leaders in term "
              + term
              + ": "
              + id
              + " and "
              + m.from()
              + " (election safety broken)");
    }
    if (role != Role.FOLLOWER) {
      becomeFollower(term, m.from());
    } else {
      leaderId = m.from();
      electionElapsedTicks = 0;
    }

    long prevIndex = m.prevLogIndex();
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

  private void handleAppendEntriesResponse(AppendEntriesResponse m) {
    if (role != Role.LEADER) {
      return;
    }
    Progress p = progress.get(m.from());
    p.recentlyActive = true;
    if (m.success()) {
      if (m.index() <= p.matchIndex) {
        return; // duplicate or reordered acknowledgement
      }
      p.matchIndex = m.index();
      p.nextIndex = Math.max(p.nextIndex, p.matchIndex + 1);
      if (maybeAdvanceCommit()) {
        broadcastAppend(); // tell everyone the new commit index now, not at the next heartbeat
      } else if (p.nextIndex <= lastIndex()) {
        sendAppend(m.from(), p);
      }
      return;
    }
    if (m.index() != p.nextIndex - 1) {
      return; // a rejection of something we no longer send
    }
    p.nextIndex = Math.max(p.matchIndex + 1, Math.min(m.hintIndex(), p.nextIndex - 1));
    sendAppend(m.from(), p);
  }

  private boolean maybeAdvanceCommit() {
    long[] matched = new long[peers.size() + 1];
    matched[0] = lastIndex();
    int i = 1;
    for (Progress p : progress.values()) {
      matched[i++] = p.matchIndex;
    }
    Arrays.sort(matched);
    long majorityIndex = matched[matched.length - quorum];
    if (majorityIndex > commitIndex && termAt(majorityIndex) == term) {
      commitIndex = majorityIndex;
      return true;
    }
    return false;
  }

  private void broadcastAppend() {
    for (Map.Entry<String, Progress> e : progress.entrySet()) {
      sendAppend(e.getKey(), e.getValue());
    }
  }

  private void sendAppend(String peer, Progress p) {
    long prevIndex = p.nextIndex - 1;
    int from = (int) prevIndex;
    int to = (int) Math.min(lastIndex(), prevIndex + config.maxEntriesPerAppend());
    send(
        new AppendEntries(
            term, id, peer, prevIndex, termAt(prevIndex), log.subList(from, to), commitIndex));
  }

  // ------------------------------------------------------------------------------------ the log

  private long lastTerm() {
    return termAt(lastIndex());
  }

  private long termAt(long index) {
    return index == 0 ? 0 : log.get((int) (index - 1)).term();
  }

  private void truncateFrom(long index) {
    log.subList((int) (index - 1), log.size()).clear();
    firstUnpersistedIndex = Math.min(firstUnpersistedIndex, index);
  }

  private void appendToLog(List<LogEntry> entries) {
    firstUnpersistedIndex = Math.min(firstUnpersistedIndex, entries.get(0).index());
    log.addAll(entries);
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

    Progress(long nextIndex) {
      this.nextIndex = nextIndex;
    }
  }
}
