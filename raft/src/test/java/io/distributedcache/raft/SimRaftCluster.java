package io.distributedcache.raft;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A whole Raft group in one thread: nodes, their storages, and a network of in-flight messages that
 * can be dropped, delayed, duplicated, reordered and partitioned; nodes crash (keeping their
 * storage) and restart, and compact their logs at random points if {@link #compactRate} is set.
 * Everything random comes from one seed, so a failing seed replays exactly.
 *
 * <p>Each node's application state machine is the list of every entry it applied, in order, from
 * index 1 (no-ops and configurations included); a snapshot's data is that list, encoded. So a node
 * that restores from a snapshot (installed from a leader, or its own after a restart) knows its
 * whole history, and the history is checked like any applied entry.
 *
 * <p>Invariants (Raft paper figure 3) are checked as it runs and fail with the seed in the message:
 * election safety after every tick and message, state machine safety on every apply and on every
 * snapshot restored (its entries, term and configuration), leader completeness whenever a node
 * becomes leader, log matching and committed-prefix stability after every tick, and at every crash
 * that the storage holds exactly the node's snapshot and log.
 */
final class SimRaftCluster {

  /** A message on the wire. */
  private record InFlight(long deliverAtTick, long sequence, RaftMessage message) {}

  /** An entry some node applied, with the highest leader term seen when it was first applied. */
  private record Committed(LogEntry entry, long leaderTermBound) {}

  final long seed;
  final RaftConfig config;
  /** Every node, founders first, then spares that start outside the group. */
  final List<String> ids;

  /** The configuration every node starts with: the founders as voters. */
  final Membership bootstrap;
  private final SplittableRandom random;

  /** Opens a node's storage at every (re)start; a crash keeps what it wrote, as a disk would. */
  private final Function<String, RaftStorage> openStorage;

  private final Map<String, RaftStorage> storages = new LinkedHashMap<>();
  private final Map<String, RaftNode> nodes = new LinkedHashMap<>();

  /**
   * Each live node's state machine: every entry applied, restored from snapshots or applied since,
   * index i at position i - 1.
   */
  private final Map<String, List<LogEntry>> applied = new HashMap<>();

  /** Partition group per node; messages only flow within a group. */
  private final Map<String, Integer> group = new HashMap<>();

  private final List<InFlight> inFlight = new ArrayList<>();
  private final Map<Long, Committed> committed = new TreeMap<>();
  private final Map<Long, String> leaderByTerm = new HashMap<>();
  private long maxLeaderTerm;

  private long now;
  private long sequence;
  private long delivered;

  /** Compaction has its own stream, so that turning it on does not change the network's faults. */
  private final SplittableRandom compactionRandom;

  long compactions;
  long snapshotsInstalled;
  long restoresFromSnapshot;

  /** The chance per tick and live node that it compacts its log at a random applied index. */
  double compactRate;

  // Network faults; all off by default.
  double dropRate;
  double duplicateRate;
  int minDelayTicks = 1;
  int maxDelayTicks = 1;

  /** A group whose nodes keep their state in {@link InMemoryRaftStorage}s. */
  SimRaftCluster(long seed, int size, RaftConfig config) {
    this(seed, size, 0, config, inMemory());
  }

  SimRaftCluster(
      long seed, int size, RaftConfig config, Function<String, RaftStorage> openStorage) {
    this(seed, size, 0, config, openStorage);
  }

  /**
   * A group whose nodes' storage {@code openStorage} opens at every (re)start, given the node id.
   * It must return storage holding everything the node's previous storage persisted. Nodes {@code
   * n1..n<size>} found the group; {@code spares} more nodes run outside it until they are added.
   */
  SimRaftCluster(
      long seed,
      int size,
      int spares,
      RaftConfig config,
      Function<String, RaftStorage> openStorage) {
    this.seed = seed;
    this.openStorage = openStorage;
    this.config = config;
    this.random = new SplittableRandom(seed);
    this.compactionRandom = new SplittableRandom(seed ^ 0x5DEECE66DL);
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= size + spares; i++) {
      names.add("n" + i);
    }
    this.ids = List.copyOf(names);
    this.bootstrap = Membership.ofVoters(names.subList(0, size));
    for (String id : ids) {
      group.put(id, 0);
      start(id);
    }
  }

  // ------------------------------------------------------------------------------ driving it

  /**
   * Advances one tick: every live node ticks (and may compact), then every message due is
   * delivered.
   */
  void tick() {
    now++;
    for (String id : ids) {
      RaftNode node = nodes.get(id);
      if (node != null) {
        node.tick();
        drain(node);
        if (compactRate > 0 && compactionRandom.nextDouble() < compactRate) {
          compact(node);
        }
      }
    }
    deliverDue();
    checkLogs();
  }

  /**
   * Compacts {@code node}'s log at a random index it applied and is not yet in its snapshot, as an
   * application would: snapshot of the state machine as of that index, saved to storage at once.
   * Does nothing if there is no such index.
   */
  void compact(RaftNode node) {
    List<LogEntry> state = applied.get(node.id());
    long from = node.snapshot().index();
    if (state.size() <= from) {
      return;
    }
    long index = from + 1 + compactionRandom.nextLong(state.size() - from);
    Snapshot snapshot = node.compact(index, encodeState(state.subList(0, (int) index)));
    if (snapshot.index() != index
        || snapshot.term() != state.get((int) index - 1).term()
        || !snapshot.membership().equals(membershipOf(state.subList(0, (int) index)))) {
      throw new AssertionError(this + ": " + node.id() + " made a wrong snapshot " + snapshot);
    }
    storages.get(node.id()).saveSnapshot(snapshot);
    compactions++;
  }

  void run(int ticks) {
    for (int i = 0; i < ticks; i++) {
      tick();
    }
  }

  /** Ticks until some live node leads its term (and no live node has a higher term), or fails. */
  RaftNode awaitLeader(int maxTicks) {
    for (int i = 0; i < maxTicks; i++) {
      RaftNode leader = stableLeader();
      if (leader != null) {
        return leader;
      }
      tick();
    }
    throw new AssertionError(this + ": no leader within " + maxTicks + " ticks " + states());
  }

  /**
   * The live leader whose term no other live voter of the committed configuration exceeds, or null.
   * (A server removed while cut off may sit on a higher term forever: nobody talks to it again.)
   */
  RaftNode stableLeader() {
    long maxTerm = 0;
    Membership members = committedMembership();
    for (RaftNode n : nodes.values()) {
      if (members.isVoter(n.id())) {
        maxTerm = Math.max(maxTerm, n.softState().term());
      }
    }
    for (RaftNode n : nodes.values()) {
      if (n.softState().isLeader() && n.softState().term() == maxTerm) {
        return n;
      }
    }
    return null;
  }

  /** The configuration of the latest configuration entry any node applied, or the bootstrap. */
  Membership committedMembership() {
    Membership latest = bootstrap;
    for (Committed c : committed.values()) {
      if (c.entry().isConfig()) {
        latest = c.entry().membership();
      }
    }
    return latest;
  }

  /** Runs a membership change through the given node and drains it. */
  ProposeResult change(RaftNode node, Function<RaftNode, ProposeResult> proposal) {
    ProposeResult result = proposal.apply(node);
    drain(node);
    return result;
  }

  /** Proposes through the given node and drains it. */
  ProposeResult propose(RaftNode node, String command) {
    ProposeResult result = node.propose(command.getBytes(StandardCharsets.UTF_8));
    drain(node);
    return result;
  }

  void crash(String id) {
    RaftNode node = nodes.remove(id);
    applied.remove(id);
    if (node != null) {
      checkStorageMatches(node);
    }
  }

  void restart(String id) {
    if (!nodes.containsKey(id)) {
      start(id);
    }
  }

  boolean isUp(String id) {
    return nodes.containsKey(id);
  }

  RaftNode node(String id) {
    return nodes.get(id);
  }

  RaftStorage storage(String id) {
    return storages.get(id);
  }

  /** Puts {@code id} alone in its own partition. */
  void isolate(String id) {
    group.put(id, -1 - ids.indexOf(id));
  }

  /** Puts each of the given nodes into partition {@code g}. */
  void partition(List<String> members, int g) {
    for (String id : members) {
      group.put(id, g);
    }
  }

  void heal() {
    for (String id : ids) {
      group.put(id, 0);
    }
  }

  void noFaults() {
    dropRate = 0;
    duplicateRate = 0;
    minDelayTicks = 1;
    maxDelayTicks = 1;
  }

  /**
   * The commands in the node's state machine (restored from snapshots or applied since), no-ops and
   * configurations skipped.
   */
  List<String> appliedCommands(String id) {
    List<String> out = new ArrayList<>();
    for (LogEntry e : applied.getOrDefault(id, List.of())) {
      if (!e.isNoOp() && !e.isConfig()) {
        out.add(new String(e.command(), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  int committedCount() {
    return committed.size();
  }

  SplittableRandom random() {
    return random;
  }

  String states() {
    StringBuilder sb = new StringBuilder();
    for (String id : ids) {
      RaftNode n = nodes.get(id);
      sb.append("\n  ").append(id).append(": ").append(n == null ? "down" : n.toString());
      sb.append(" group=").append(group.get(id));
      if (n != null) {
        sb.append(" voters=").append(n.membership().voters());
        sb.append(" learners=").append(n.membership().learners());
      }
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return "SimRaftCluster[seed="
        + seed
        + ", tick="
        + now
        + "] (replay: mvn -o -pl raft verify"
        + " -Dtest=RaftSafetyPropertyTest -Draft.seed="
        + seed
        + ")";
  }

  // ------------------------------------------------------------------------------- internals

  private static Function<String, RaftStorage> inMemory() {
    Map<String, RaftStorage> disks = new HashMap<>();
    return id -> disks.computeIfAbsent(id, unused -> new InMemoryRaftStorage());
  }

  private void start(String id) {
    storages.put(id, openStorage.apply(id));
    RaftNode node =
        new RaftNode(
            id, bootstrap, config, storages.get(id), new SplittableRandom(random.nextLong()));
    nodes.put(id, node);
    applied.put(id, new ArrayList<>());
    if (!node.snapshot().equals(storages.get(id).snapshot())) {
      throw new AssertionError(this + ": " + id + " did not start from its stored snapshot");
    }
    if (!node.snapshot().isEmpty()) {
      // The application restores its state machine from the snapshot before the first Ready.
      restore(node, node.snapshot());
      restoresFromSnapshot++;
    }
    checkElectionSafety(node);
  }

  /** Replaces the node's state machine with the snapshot's, checked against what was applied. */
  private void restore(RaftNode node, Snapshot snapshot) {
    List<LogEntry> state = decodeState(snapshot.data());
    if (state.size() != snapshot.index()
        || state.get(state.size() - 1).term() != snapshot.term()
        || !snapshot.membership().equals(membershipOf(state))) {
      throw new AssertionError(
          this + ": " + node.id() + " got a snapshot that contradicts its data: " + snapshot);
    }
    for (LogEntry e : state) {
      checkStateMachineSafety(node, e);
    }
    applied.put(node.id(), new ArrayList<>(state));
  }

  /** The configuration in force after {@code state}: its last configuration's, or the bootstrap. */
  private Membership membershipOf(List<LogEntry> state) {
    for (int i = state.size() - 1; i >= 0; i--) {
      if (state.get(i).isConfig()) {
        return state.get(i).membership();
      }
    }
    return bootstrap;
  }

  private void deliverDue() {
    while (true) {
      List<InFlight> due = new ArrayList<>();
      for (Iterator<InFlight> it = inFlight.iterator(); it.hasNext(); ) {
        InFlight f = it.next();
        if (f.deliverAtTick() <= now) {
          due.add(f);
          it.remove();
        }
      }
      if (due.isEmpty()) {
        return;
      }
      // Messages due at the same tick arrive in a seeded random order: reordering.
      Collections.shuffle(due, new Random(random.nextLong()));
      for (InFlight f : due) {
        deliver(f.message());
      }
      if (delivered > 50_000_000) {
        throw new AssertionError(this + ": message storm");
      }
    }
  }

  private void deliver(RaftMessage m) {
    RaftNode to = nodes.get(m.to());
    if (to == null || !group.get(m.from()).equals(group.get(m.to()))) {
      return; // the recipient is down or on the other side of a partition
    }
    delivered++;
    to.step(m);
    drain(to);
  }

  /** Carries out Ready batches as a real application would: persist, send, apply. */
  private void drain(RaftNode node) {
    checkElectionSafety(node);
    RaftStorage storage = storages.get(node.id());
    while (node.hasReady()) {
      Ready ready = node.ready();
      if (ready.snapshotToApply() != null) {
        storage.saveSnapshot(ready.snapshotToApply());
      }
      if (ready.hardState() != null) {
        storage.saveHardState(ready.hardState());
      }
      storage.append(ready.entriesToPersist());
      for (RaftMessage m : ready.messages()) {
        enqueue(m);
      }
      if (ready.snapshotToApply() != null) {
        restore(node, ready.snapshotToApply());
        snapshotsInstalled++;
      }
      List<LogEntry> log = applied.get(node.id());
      for (LogEntry e : ready.committedEntries()) {
        if (e.index() != log.size() + 1) {
          throw new AssertionError(
              this + ": " + node.id() + " applied " + e.index() + " after " + log.size());
        }
        checkStateMachineSafety(node, e);
        log.add(e);
      }
    }
  }

  /** The entry {@code node} applied at its index is the one every other node applied there. */
  private void checkStateMachineSafety(RaftNode node, LogEntry e) {
    Committed first = committed.putIfAbsent(e.index(), new Committed(e, maxLeaderTerm));
    if (first != null && !first.entry().equals(e)) {
      throw new AssertionError(
          this
              + ": state machine safety: "
              + node.id()
              + " applied "
              + e
              + " at index "
              + e.index()
              + " where another node applied "
              + first.entry());
    }
  }

  /** What a restart will read is what the node had: its snapshot and its log after it. */
  private void checkStorageMatches(RaftNode node) {
    RaftStorage storage = storages.get(node.id());
    List<LogEntry> log = new ArrayList<>();
    for (long i = node.firstIndex(); i <= node.lastIndex(); i++) {
      log.add(node.entry(i));
    }
    if (!storage.snapshot().equals(node.snapshot()) || !storage.entries().equals(log)) {
      throw new AssertionError(
          this
              + ": "
              + node.id()
              + " crashed with snapshot "
              + node.snapshot()
              + " and log "
              + log
              + " but its storage holds "
              + storage.snapshot()
              + " and "
              + storage.entries());
    }
  }

  /** A state machine (a list of applied entries) as snapshot data. */
  static byte[] encodeState(List<LogEntry> state) {
    int bytes = 4;
    for (LogEntry e : state) {
      bytes += 8 + 8 + 1 + 4 + e.commandLength();
    }
    ByteBuffer buf = ByteBuffer.allocate(bytes).putInt(state.size());
    for (LogEntry e : state) {
      buf.putLong(e.term()).putLong(e.index()).put((byte) e.kind().ordinal());
      buf.putInt(e.commandLength()).put(e.command());
    }
    return buf.array();
  }

  /** The inverse of {@link #encodeState}. */
  static List<LogEntry> decodeState(byte[] data) {
    ByteBuffer buf = ByteBuffer.wrap(data);
    try {
      int count = buf.getInt();
      List<LogEntry> state = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        long term = buf.getLong();
        long index = buf.getLong();
        LogEntry.Kind kind = LogEntry.Kind.values()[buf.get()];
        byte[] command = new byte[buf.getInt()];
        buf.get(command);
        state.add(new LogEntry(term, index, kind, command));
      }
      return state;
    } catch (BufferUnderflowException e) {
      throw new AssertionError("not a state machine snapshot", e);
    }
  }

  private void enqueue(RaftMessage m) {
    if (random.nextDouble() < dropRate) {
      return;
    }
    int copies = random.nextDouble() < duplicateRate ? 2 : 1;
    for (int i = 0; i < copies; i++) {
      long delay = minDelayTicks + random.nextInt(maxDelayTicks - minDelayTicks + 1);
      inFlight.add(new InFlight(now + delay, sequence++, m));
    }
  }

  private void checkElectionSafety(RaftNode node) {
    SoftState s = node.softState();
    if (!s.isLeader()) {
      return;
    }
    String previous = leaderByTerm.putIfAbsent(s.term(), node.id());
    if (previous == null) {
      maxLeaderTerm = Math.max(maxLeaderTerm, s.term());
      checkLeaderCompleteness(node);
    } else if (!previous.equals(node.id())) {
      throw new AssertionError(
          this
              + ": election safety: "
              + previous
              + " and "
              + node.id()
              + " both lead term "
              + s.term());
    }
  }

  /**
   * A new leader of term T holds every entry committed in an earlier term. An entry's commit term
   * is at most the highest leader term seen when it was first applied, which is what we compare.
   */
  private void checkLeaderCompleteness(RaftNode leader) {
    long term = leader.softState().term();
    for (Map.Entry<Long, Committed> e : committed.entrySet()) {
      Committed c = e.getValue();
      if (c.leaderTermBound() >= term) {
        continue;
      }
      long index = e.getKey();
      if (index <= leader.snapshot().index()) {
        continue; // in its snapshot, whose entries were checked when it was made or restored
      }
      if (index > leader.lastIndex() || !leader.entry(index).equals(c.entry())) {
        throw new AssertionError(
            this
                + ": leader completeness: new leader "
                + leader.id()
                + " of term "
                + term
                + " lacks committed "
                + c.entry());
      }
    }
  }

  /**
   * Log matching (same index and term means identical prefixes) between every pair of live nodes,
   * and every node's committed prefix equals what was applied anywhere.
   */
  private void checkLogs() {
    List<RaftNode> live = new ArrayList<>(nodes.values());
    for (RaftNode n : live) {
      long upTo = Math.min(n.commitIndex(), committed.size());
      for (long i = n.firstIndex(); i <= upTo; i++) {
        Committed c = committed.get(i);
        if (c != null && !n.entry(i).equals(c.entry())) {
          throw new AssertionError(
              this
                  + ": committed entry changed: "
                  + n.id()
                  + " has "
                  + n.entry(i)
                  + " at "
                  + i
                  + ", applied was "
                  + c.entry());
        }
      }
    }
    for (int a = 0; a < live.size(); a++) {
      for (int b = a + 1; b < live.size(); b++) {
        checkLogMatching(live.get(a), live.get(b));
      }
    }
  }

  private void checkLogMatching(RaftNode a, RaftNode b) {
    // Entries compacted on either side are committed, which the state machine checks cover.
    long common = Math.min(a.lastIndex(), b.lastIndex());
    boolean diverged = false;
    for (long i = Math.max(a.firstIndex(), b.firstIndex()); i <= common; i++) {
      LogEntry x = a.entry(i);
      LogEntry y = b.entry(i);
      if (!diverged && x.equals(y)) {
        continue;
      }
      if (x.term() == y.term()) {
        throw new AssertionError(
            this
                + ": log matching: "
                + a.id()
                + " and "
                + b.id()
                + " agree on the term at index "
                + i
                + " but not on everything up to it: "
                + x
                + " vs "
                + y);
      }
      diverged = true;
    }
  }
}
