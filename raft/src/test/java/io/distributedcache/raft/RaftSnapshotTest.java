package io.distributedcache.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.raft.RaftMessage.AppendEntries;
import io.distributedcache.raft.RaftMessage.AppendEntriesResponse;
import io.distributedcache.raft.RaftMessage.InstallSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Snapshots and log compaction (Raft paper section 7): {@link RaftNode#compact}, restarting from a
 * stored snapshot, and InstallSnapshot between a leader and a follower, driven by hand.
 */
class RaftSnapshotTest {

  private static final RaftConfig CONFIG = new RaftConfig(10, 1, 64);
  private static final List<String> THREE = List.of("n1", "n2", "n3");
  private static final Membership THREE_VOTERS = Membership.ofVoters(THREE);

  @TempDir Path tmp;

  // A tiny application around hand-driven nodes: storages, state machines (the applied commands)
  // and a record of every message sent, delivered or not.
  private final Map<String, RaftNode> nodes = new LinkedHashMap<>();
  private final Map<String, RaftStorage> disks = new HashMap<>();
  private final Map<String, List<String>> stateMachines = new HashMap<>();
  private final List<RaftMessage> sent = new ArrayList<>();

  private static RaftNode node(String id, List<String> voters, RaftStorage storage) {
    return new RaftNode(id, voters, CONFIG, storage, new SplittableRandom(42));
  }

  private static LogEntry entry(long term, long index) {
    return new LogEntry(term, index, ("t" + term + "i" + index).getBytes(StandardCharsets.UTF_8));
  }

  private static InMemoryRaftStorage storage(long term, LogEntry... entries) {
    InMemoryRaftStorage storage = new InMemoryRaftStorage();
    storage.saveHardState(new HardState(term, null));
    storage.append(List.of(entries));
    return storage;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] encode(List<String> commands) {
    return bytes(String.join(",", commands));
  }

  private static List<String> decode(byte[] data) {
    String s = new String(data, StandardCharsets.UTF_8);
    return s.isEmpty() ? new ArrayList<>() : new ArrayList<>(Arrays.asList(s.split(",")));
  }

  /** Starts (or restarts) {@code id} over its storage, restoring its state from the snapshot. */
  private RaftNode start(String id, List<String> voters) {
    RaftStorage disk = disks.computeIfAbsent(id, unused -> new InMemoryRaftStorage());
    RaftNode n = node(id, voters, disk);
    nodes.put(id, n);
    stateMachines.put(id, decode(n.snapshot().data()));
    return n;
  }

  /** Carries out a Ready as the contract says: persist (snapshot first), send, apply. */
  private List<RaftMessage> carryOut(RaftNode n) {
    List<RaftMessage> out = new ArrayList<>();
    RaftStorage disk = disks.get(n.id());
    while (n.hasReady()) {
      Ready r = n.ready();
      if (r.snapshotToApply() != null) {
        disk.saveSnapshot(r.snapshotToApply());
      }
      if (r.hardState() != null) {
        disk.saveHardState(r.hardState());
      }
      disk.append(r.entriesToPersist());
      out.addAll(r.messages());
      if (r.snapshotToApply() != null) {
        stateMachines.put(n.id(), decode(r.snapshotToApply().data()));
      }
      for (LogEntry e : r.committedEntries()) {
        if (!e.isNoOp() && !e.isConfig()) {
          stateMachines.get(n.id()).add(new String(e.command(), StandardCharsets.UTF_8));
        }
      }
    }
    return out;
  }

  /** Drains every node and delivers every message to the nodes that are up, until all is quiet. */
  private void settle() {
    Deque<RaftMessage> wire = new ArrayDeque<>();
    for (RaftNode n : nodes.values()) {
      wire.addAll(carryOut(n));
    }
    while (!wire.isEmpty()) {
      RaftMessage m = wire.poll();
      sent.add(m);
      RaftNode to = nodes.get(m.to());
      if (to != null) {
        to.step(m);
        wire.addAll(carryOut(to));
      }
    }
  }

  private Snapshot compact(RaftNode n) {
    List<String> state = stateMachines.get(n.id());
    Snapshot s = n.compact(n.commitIndex(), encode(state));
    disks.get(n.id()).saveSnapshot(s);
    return s;
  }

  private List<InstallSnapshot> installsSentTo(String id) {
    List<InstallSnapshot> out = new ArrayList<>();
    for (RaftMessage m : sent) {
      if (m instanceof InstallSnapshot i && i.to().equals(id)) {
        out.add(i);
      }
    }
    return out;
  }

  /** Elects n1 with n2's votes (n3 is down) and commits its no-op. */
  private RaftNode electN1() {
    RaftNode n1 = start("n1", THREE);
    start("n2", THREE);
    for (int i = 0; i < 2 * CONFIG.electionTimeoutTicks() && !n1.softState().isLeader(); i++) {
      n1.tick();
      settle();
    }
    assertThat(n1.softState().isLeader()).isTrue();
    return n1;
  }

  // ---------------------------------------------------------------------------- compaction

  @Test
  void compactionRecordsTermAndConfigurationAtTheIndexAndDropsTheEntries() {
    RaftNode n1 = start("n1", List.of("n1"));
    for (int i = 0; i < 2 * CONFIG.electionTimeoutTicks() && !n1.softState().isLeader(); i++) {
      n1.tick();
    }
    settle();
    n1.propose(bytes("a"));
    n1.propose(bytes("b"));
    assertThat(n1.proposeAddLearner("n4")).isEqualTo(new ProposeResult.Accepted(1, 4));
    n1.propose(bytes("c"));
    settle();
    assertThat(n1.commitIndex()).isEqualTo(5);

    Snapshot s3 = n1.compact(3, encode(List.of("a", "b")));
    assertThat(s3)
        .as("the configuration in force at 3 is the bootstrap one, not the learner added at 4")
        .isEqualTo(
            new Snapshot(3, 1, Membership.ofVoters(List.of("n1")), encode(List.of("a", "b"))));
    assertThat(n1.snapshot()).isEqualTo(s3);
    assertThat(n1.firstIndex()).isEqualTo(4);
    assertThat(n1.lastIndex()).isEqualTo(5);
    assertThat(n1.entry(4).isConfig()).isTrue();
    assertThatThrownBy(() -> n1.entry(3))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessageContaining("compacted into the snapshot at index 3");
    assertThat(n1.membership().learners()).containsExactly("n4");

    RaftStorage disk = disks.get("n1");
    disk.saveSnapshot(s3);
    assertThat(disk.snapshot()).isEqualTo(s3);
    assertThat(disk.entries()).extracting(LogEntry::index).containsExactly(4L, 5L);

    Snapshot s4 = n1.compact(4, encode(List.of("a", "b")));
    assertThat(s4.membership()).isEqualTo(new Membership(Set.of("n1"), Set.of("n4")));
    assertThat(n1.hasReady()).as("compaction is the application's; nothing to hand out").isFalse();
    n1.propose(bytes("d"));
    Ready r = n1.ready();
    assertThat(r.snapshotToApply()).isNull();
    assertThat(r.entriesToPersist()).containsExactly(new LogEntry(1, 6, bytes("d")));
    assertThat(r.committedEntries()).containsExactly(new LogEntry(1, 6, bytes("d")));
  }

  @Test
  void compactionNeedsAnAppliedIndexPastTheSnapshot() {
    RaftNode n1 = start("n1", List.of("n1"));
    for (int i = 0; i < 2 * CONFIG.electionTimeoutTicks() && !n1.softState().isLeader(); i++) {
      n1.tick();
    }
    settle();
    n1.propose(bytes("a"));
    assertThat(n1.commitIndex()).as("a single voter commits at once").isEqualTo(2);
    assertThatThrownBy(() -> n1.compact(2, new byte[0]))
        .as("committed but not yet handed out for applying")
        .isInstanceOf(IllegalArgumentException.class);
    settle();
    assertThatThrownBy(() -> n1.compact(3, new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> n1.compact(0, new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
    n1.compact(2, encode(List.of("a")));
    assertThatThrownBy(() -> n1.compact(2, new byte[0]))
        .as("not past the snapshot")
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ------------------------------------------------------------------------------- restart

  /** A restart starts from the stored snapshot, with the log after it, over either storage. */
  @ParameterizedTest(name = "file storage: {0}")
  @ValueSource(booleans = {false, true})
  void aRestartedNodeStartsFromItsSnapshot(boolean onFile) {
    Path dir = tmp.resolve("n1");
    RaftStorage disk = onFile ? FileRaftStorage.open(dir) : new InMemoryRaftStorage();
    Membership withLearner = new Membership(Set.of("n1", "n2", "n3"), Set.of("n4"));
    Membership fourVoters = Membership.ofVoters(List.of("n1", "n2", "n3", "n4"));
    disk.saveHardState(new HardState(3, "n2"));
    disk.append(List.of(entry(1, 1), entry(1, 2), LogEntry.config(2, 3, withLearner), entry(2, 4)));
    Snapshot snapshot = new Snapshot(4, 2, withLearner, bytes("t1i1,t1i2,t2i4"));
    disk.saveSnapshot(snapshot);
    disk.append(List.of(entry(3, 5)));
    if (onFile) {
      ((FileRaftStorage) disk).close();
      disk = FileRaftStorage.open(dir);
    }
    assertThat(disk.snapshot()).isEqualTo(snapshot);
    assertThat(disk.entries()).containsExactly(entry(3, 5));

    RaftNode n1 = node("n1", THREE, disk);
    assertThat(n1.snapshot()).isEqualTo(snapshot);
    assertThat(n1.hardState()).isEqualTo(new HardState(3, "n2"));
    assertThat(n1.commitIndex()).as("what the snapshot covers is committed").isEqualTo(4);
    assertThat(n1.firstIndex()).isEqualTo(5);
    assertThat(n1.lastIndex()).isEqualTo(5);
    assertThat(n1.membership()).as("from the snapshot, not the bootstrap").isEqualTo(withLearner);
    assertThat(n1.hasReady()).as("nothing to re-apply up to the snapshot").isFalse();
    assertThatThrownBy(() -> n1.entry(4)).isInstanceOf(IndexOutOfBoundsException.class);

    // Entries after the snapshot are handed out once the leader says they are committed, and a
    // later configuration entry overrides the snapshot's.
    n1.step(
        new AppendEntries(3, "n2", "n1", 5, 3, List.of(LogEntry.config(3, 6, fourVoters)), 6));
    Ready r = n1.ready();
    assertThat(r.committedEntries())
        .containsExactly(entry(3, 5), LogEntry.config(3, 6, fourVoters));
    assertThat(n1.membership()).isEqualTo(fourVoters);
    assertThat(r.messages()).containsExactly(new AppendEntriesResponse(3, "n1", "n2", true, 6, 0));
    if (onFile) {
      ((FileRaftStorage) disk).close();
    }
  }

  @Test
  void aStoredLogThatDoesNotFollowTheSnapshotIsRefused() {
    RaftStorage broken =
        new RaftStorage() {
          @Override
          public HardState hardState() {
            return HardState.INITIAL;
          }

          @Override
          public Snapshot snapshot() {
            return new Snapshot(4, 1, THREE_VOTERS, new byte[0]);
          }

          @Override
          public List<LogEntry> entries() {
            return List.of(entry(1, 6));
          }

          @Override
          public void saveHardState(HardState hardState) {}

          @Override
          public void append(List<LogEntry> entries) {}

          @Override
          public void saveSnapshot(Snapshot snapshot) {}
        };
    assertThatThrownBy(() -> node("n1", THREE, broken))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not consecutive from 5");
  }

  // ----------------------------------------------------------------------- InstallSnapshot

  @Test
  void aLaggingFollowerCatchesUpThroughInstallSnapshotThenAppends() {
    RaftNode n1 = electN1();
    for (String c : List.of("a", "b", "c")) {
      n1.propose(bytes(c));
    }
    settle();
    assertThat(n1.commitIndex()).isEqualTo(4);
    Snapshot snapshot = compact(n1);
    assertThat(snapshot.index()).isEqualTo(4);

    // n3 was down all along; it starts empty and the leader no longer has the entries it needs.
    RaftNode n3 = start("n3", THREE);
    n1.tick(); // heartbeat
    settle();
    assertThat(installsSentTo("n3")).containsExactly(new InstallSnapshot(1, "n1", "n3", snapshot));
    assertThat(n3.snapshot()).isEqualTo(snapshot);
    assertThat(n3.commitIndex()).isEqualTo(4);
    assertThat(n3.softState().leaderId()).isEqualTo("n1");
    assertThat(disks.get("n3").snapshot()).as("persisted from the Ready").isEqualTo(snapshot);
    assertThat(stateMachines.get("n3")).containsExactly("a", "b", "c");
    assertThat(sent)
        .as("the follower acknowledges the snapshot's index")
        .contains(new AppendEntriesResponse(1, "n3", "n1", true, 4, 0));

    // The leader goes on with AppendEntries right after the snapshot.
    n1.propose(bytes("d"));
    settle();
    assertThat(sent).contains(new AppendEntries(1, "n1", "n3", 4, 1, List.of(commandAt5("d")), 4));
    assertThat(stateMachines.get("n3")).containsExactly("a", "b", "c", "d");
    assertThat(installsSentTo("n3")).hasSize(1);
    assertThat(disks.get("n3").entries()).containsExactly(commandAt5("d"));
  }

  private static LogEntry commandAt5(String command) {
    return new LogEntry(1, 5, bytes(command));
  }

  @Test
  void theLeaderSendsASnapshotOnceAndThenOnlyWithHeartbeatsUntilAcknowledged() {
    RaftNode n1 = electN1();
    n1.propose(bytes("a"));
    settle();
    Snapshot snapshot = compact(n1);
    for (String c : List.of("b", "c", "d")) {
      n1.propose(bytes(c)); // each broadcasts; n3 (down) still needs the snapshot
      settle();
    }
    assertThat(installsSentTo("n3")).as("once, not with every proposal").hasSize(1);
    n1.tick();
    settle();
    n1.tick();
    settle();
    assertThat(installsSentTo("n3")).as("plus one per heartbeat").hasSize(3);
    assertThat(installsSentTo("n2")).as("n2 is up to date").isEmpty();
    assertThat(installsSentTo("n3").get(2).snapshot()).isEqualTo(snapshot);
  }

  @Test
  void aFollowerWhoseLogMatchesTheSnapshotKeepsTheEntriesAfterIt() {
    InMemoryRaftStorage disk = storage(1, entry(1, 1), entry(1, 2), entry(1, 3), entry(1, 4));
    disks.put("n2", disk);
    RaftNode n2 = start("n2", THREE);
    Snapshot snapshot = new Snapshot(3, 1, THREE_VOTERS, encode(List.of("x", "y", "z")));

    n2.step(new InstallSnapshot(1, "n1", "n2", snapshot));
    Ready r = n2.ready();
    assertThat(r.snapshotToApply()).isEqualTo(snapshot);
    assertThat(r.entriesToPersist()).as("entry 4 is persisted already").isEmpty();
    assertThat(r.committedEntries()).isEmpty();
    assertThat(r.messages()).containsExactly(new AppendEntriesResponse(1, "n2", "n1", true, 3, 0));
    assertThat(n2.commitIndex()).isEqualTo(3);
    assertThat(n2.firstIndex()).isEqualTo(4);
    assertThat(n2.lastIndex()).isEqualTo(4);
    assertThat(n2.entry(4)).isEqualTo(entry(1, 4));

    disk.saveSnapshot(r.snapshotToApply());
    assertThat(disk.entries()).as("the storage keeps the same suffix").containsExactly(entry(1, 4));

    n2.step(new AppendEntries(1, "n1", "n2", 4, 1, List.of(), 4));
    assertThat(n2.ready().committedEntries()).containsExactly(entry(1, 4));
  }

  @Test
  void aFollowerWhoseEntryAtTheSnapshotIndexConflictsDiscardsItsLog() {
    InMemoryRaftStorage disk = storage(1, entry(1, 1), entry(1, 2), entry(1, 3), entry(1, 4));
    disks.put("n2", disk);
    RaftNode n2 = start("n2", THREE);
    Snapshot snapshot = new Snapshot(3, 2, THREE_VOTERS, encode(List.of("x")));

    n2.step(new InstallSnapshot(2, "n1", "n2", snapshot));
    Ready r = n2.ready();
    assertThat(r.snapshotToApply()).isEqualTo(snapshot);
    assertThat(r.hardState()).isEqualTo(new HardState(2, null));
    assertThat(n2.lastIndex()).isEqualTo(3);
    assertThat(n2.firstIndex()).isEqualTo(4);
    disk.saveSnapshot(r.snapshotToApply());
    assertThat(disk.entries()).isEmpty();

    // The snapshot's term stands in for the compacted entry in the consistency check.
    n2.step(new AppendEntries(2, "n1", "n2", 3, 2, List.of(entry(2, 4)), 4));
    r = n2.ready();
    assertThat(r.entriesToPersist()).containsExactly(entry(2, 4));
    assertThat(r.committedEntries()).containsExactly(entry(2, 4));
  }

  @Test
  void aStaleOrDuplicatedSnapshotIsIgnoredAndAnsweredWithTheCommitIndex() {
    InMemoryRaftStorage disk = storage(1);
    disks.put("n2", disk);
    RaftNode n2 = start("n2", THREE);
    n2.step(
        new AppendEntries(
            1, "n1", "n2", 0, 0, List.of(entry(1, 1), entry(1, 2), entry(1, 3), entry(1, 4)), 4));
    carryOut(n2);

    n2.step(new InstallSnapshot(1, "n1", "n2", new Snapshot(3, 1, THREE_VOTERS, new byte[] {9})));
    Ready r = n2.ready();
    assertThat(r.snapshotToApply()).isNull();
    assertThat(r.messages()).containsExactly(new AppendEntriesResponse(1, "n2", "n1", true, 4, 0));
    assertThat(n2.snapshot()).isEqualTo(Snapshot.NONE);
    assertThat(n2.entry(1)).isEqualTo(entry(1, 1));

    // An append from before the follower's snapshot is answered with its commit index too.
    Snapshot own = n2.compact(4, new byte[] {4});
    disk.saveSnapshot(own);
    n2.step(new AppendEntries(1, "n1", "n2", 2, 1, List.of(entry(1, 3)), 3));
    assertThat(n2.ready().messages())
        .containsExactly(new AppendEntriesResponse(1, "n2", "n1", true, 4, 0));
  }

  @Test
  void aSnapshotFromADeposedLeaderIsRefusedWithTheNewerTermAndTheLeaderStepsDown() {
    RaftNode n1 = electN1();
    n1.propose(bytes("a"));
    settle();
    Snapshot snapshot = compact(n1);
    disks.put("n3", storage(5));
    RaftNode n3 = start("n3", THREE);
    n3.step(new InstallSnapshot(1, "n1", "n3", snapshot));
    Ready r = n3.ready();
    assertThat(r.snapshotToApply()).isNull();
    AppendEntriesResponse refusal = new AppendEntriesResponse(5, "n3", "n1", false, 2, 0);
    assertThat(r.messages()).containsExactly(refusal);
    n1.step(refusal);
    assertThat(n1.softState()).isEqualTo(new SoftState(Role.FOLLOWER, 5, null));
  }

  // ------------------------------------------------------------------------------- records

  @Test
  void snapshotsValidateCopyAndCompareByContent() {
    byte[] data = {1, 2, 3};
    Snapshot s = new Snapshot(5, 2, THREE_VOTERS, data);
    data[0] = 9;
    assertThat(s.data()).containsExactly(1, 2, 3);
    s.data()[1] = 9;
    assertThat(s.data()).containsExactly(1, 2, 3);
    assertThat(s).isEqualTo(new Snapshot(5, 2, THREE_VOTERS, new byte[] {1, 2, 3}));
    assertThat(s.hashCode())
        .isEqualTo(new Snapshot(5, 2, THREE_VOTERS, new byte[] {1, 2, 3}).hashCode());
    assertThat(s).isNotEqualTo(new Snapshot(5, 2, THREE_VOTERS, new byte[] {1, 2}));
    assertThat(Snapshot.NONE.isEmpty()).isTrue();
    assertThat(s.isEmpty()).isFalse();
    assertThatThrownBy(() -> new Snapshot(5, 0, THREE_VOTERS, data))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Snapshot(0, 1, null, new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Snapshot(5, 1, null, data))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new InstallSnapshot(1, "n1", "n2", Snapshot.NONE))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void storageKeepsTheSuffixOnlyIfItsEntryAtTheSnapshotIndexMatches() {
    InMemoryRaftStorage matching = storage(1, entry(1, 1), entry(1, 2), entry(1, 3));
    matching.saveSnapshot(new Snapshot(2, 1, THREE_VOTERS, new byte[0]));
    assertThat(matching.entries()).containsExactly(entry(1, 3));
    matching.saveSnapshot(new Snapshot(2, 1, THREE_VOTERS, new byte[0]));
    assertThat(matching.entries()).as("the same snapshot again").containsExactly(entry(1, 3));
    assertThatThrownBy(() -> matching.saveSnapshot(new Snapshot(1, 1, THREE_VOTERS, new byte[0])))
        .as("older")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> matching.append(List.of(entry(1, 2))))
        .as("inside the snapshot")
        .isInstanceOf(IllegalArgumentException.class);
    matching.append(List.of(entry(2, 3), entry(2, 4)));
    assertThat(matching.entries()).containsExactly(entry(2, 3), entry(2, 4));

    InMemoryRaftStorage conflicting = storage(1, entry(1, 1), entry(1, 2), entry(1, 3));
    conflicting.saveSnapshot(new Snapshot(2, 2, THREE_VOTERS, new byte[0]));
    assertThat(conflicting.entries()).isEmpty();
    InMemoryRaftStorage shorter = storage(1, entry(1, 1));
    shorter.saveSnapshot(new Snapshot(5, 1, THREE_VOTERS, new byte[0]));
    assertThat(shorter.entries()).isEmpty();
    shorter.append(List.of(entry(1, 6)));
    assertThat(shorter.entries()).containsExactly(entry(1, 6));
  }
}
