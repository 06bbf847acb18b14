package io.distributedcache.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.raft.RaftMessage.AppendEntries;
import io.distributedcache.raft.RaftMessage.AppendEntriesResponse;
import io.distributedcache.raft.RaftMessage.PreVote;
import io.distributedcache.raft.RaftMessage.PreVoteResponse;
import io.distributedcache.raft.RaftMessage.RequestVote;
import io.distributedcache.raft.RaftMessage.RequestVoteResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * One node driven by hand, message by message, each test keyed to a rule of the Raft paper (figure
 * 2 and section 5) or of Ongaro's thesis (pre-vote, leases, check-quorum).
 */
class RaftNodeTest {

  private static final RaftConfig CONFIG = new RaftConfig(10, 1, 64);
  private static final List<String> THREE = List.of("n1", "n2", "n3");

  private static RaftNode node(
      String id, List<String> voters, RaftConfig config, RaftStorage storage) {
    return new RaftNode(id, voters, config, storage, new SplittableRandom(42));
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

  private static void tickUntil(RaftNode node, Role role) {
    for (int i = 0; i < 2 * CONFIG.electionTimeoutTicks() && node.softState().role() != role; i++) {
      node.tick();
    }
    assertThat(node.softState().role()).isEqualTo(role);
  }

  @Test
  void aSingleNodeElectsItselfAndCommitsAtOnce() {
    RaftNode n1 = node("n1", List.of("n1"), CONFIG, new InMemoryRaftStorage());
    assertThat(n1.propose(new byte[] {1})).isEqualTo(new ProposeResult.NotLeader(null));

    tickUntil(n1, Role.LEADER);
    Ready ready = n1.ready();
    assertThat(ready.softState()).isEqualTo(new SoftState(Role.LEADER, 1, "n1"));
    assertThat(ready.hardState()).isEqualTo(new HardState(1, "n1"));
    assertThat(ready.entriesToPersist()).containsExactly(LogEntry.noOp(1, 1));
    assertThat(ready.committedEntries()).containsExactly(LogEntry.noOp(1, 1));
    assertThat(ready.messages()).isEmpty();

    assertThat(n1.propose(new byte[] {7})).isEqualTo(new ProposeResult.Accepted(1, 2));
    ready = n1.ready();
    assertThat(ready.hardState()).as("unchanged since the last batch").isNull();
    assertThat(ready.entriesToPersist()).containsExactly(new LogEntry(1, 2, new byte[] {7}));
    assertThat(ready.committedEntries()).containsExactly(new LogEntry(1, 2, new byte[] {7}));
    assertThat(n1.hasReady()).isFalse();
    assertThatThrownBy(() -> n1.propose(new byte[0])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aPreCandidateAsksForTermPlusOneWithoutChangingItsOwnTerm() {
    RaftNode n1 = node("n1", THREE, CONFIG, storage(4, entry(4, 1)));
    n1.ready();
    tickUntil(n1, Role.PRE_CANDIDATE);
    Ready ready = n1.ready();
    assertThat(ready.hardState()).isNull();
    assertThat(ready.messages())
        .containsExactly(new PreVote(5, "n1", "n2", 1, 4), new PreVote(5, "n1", "n3", 1, 4));
    for (int i = 0; i < 100 * CONFIG.electionTimeoutTicks(); i++) {
      n1.tick();
    }
    assertThat(n1.hardState()).isEqualTo(new HardState(4, null));

    // A majority of pre-votes (its own and n2's) turns it into a real candidate of term 5.
    tickUntil(n1, Role.PRE_CANDIDATE);
    n1.ready();
    n1.step(new PreVoteResponse(5, "n2", "n1", true));
    ready = n1.ready();
    assertThat(ready.softState()).isEqualTo(new SoftState(Role.CANDIDATE, 5, null));
    assertThat(ready.hardState()).isEqualTo(new HardState(5, "n1"));
    assertThat(ready.messages())
        .containsExactly(
            new RequestVote(5, "n1", "n2", 1, 4), new RequestVote(5, "n1", "n3", 1, 4));
  }

  @Test
  void votesAtMostOncePerTermAndPersistsTheVoteInTheSameBatchAsTheAnswer() {
    RaftNode n1 = node("n1", THREE, CONFIG, new InMemoryRaftStorage());
    n1.step(new RequestVote(1, "n2", "n1", 0, 0));
    Ready ready = n1.ready();
    assertThat(ready.hardState()).isEqualTo(new HardState(1, "n2"));
    assertThat(ready.messages()).containsExactly(new RequestVoteResponse(1, "n1", "n2", true));

    n1.step(new RequestVote(1, "n3", "n1", 5, 1));
    assertThat(n1.ready().messages())
        .containsExactly(new RequestVoteResponse(1, "n1", "n3", false));
    n1.step(new RequestVote(1, "n2", "n1", 0, 0));
    assertThat(n1.ready().messages())
        .as("a retried request from the same candidate gets the same answer")
        .containsExactly(new RequestVoteResponse(1, "n1", "n2", true));
  }

  @Test
  void refusesVotesAndPreVotesToLogsLessUpToDateThanItsOwn() {
    RaftNode n1 = node("n1", THREE, CONFIG, storage(2, entry(1, 1), entry(2, 2)));
    n1.step(new PreVote(3, "n2", "n1", 5, 1)); // longer log, older last term
    n1.step(new RequestVote(3, "n2", "n1", 1, 2)); // same last term, shorter log
    Ready ready = n1.ready();
    assertThat(ready.messages())
        .containsExactly(
            new PreVoteResponse(2, "n1", "n2", false),
            new RequestVoteResponse(3, "n1", "n2", false));
    assertThat(ready.hardState())
        .as("the higher term is adopted, no vote given")
        .isEqualTo(new HardState(3, null));

    n1.step(new RequestVote(3, "n3", "n1", 2, 2));
    assertThat(n1.ready().messages()).containsExactly(new RequestVoteResponse(3, "n1", "n3", true));
  }

  @Test
  void whileItHearsFromALeaderItIgnoresVoteRequestsOfHigherTerms() {
    RaftNode n1 = node("n1", THREE, CONFIG, new InMemoryRaftStorage());
    n1.step(new AppendEntries(1, "n2", "n1", 0, 0, List.of(), 0));
    n1.ready();
    n1.step(new PreVote(2, "n3", "n1", 0, 0));
    n1.step(new RequestVote(2, "n3", "n1", 0, 0));
    assertThat(n1.hasReady()).isFalse();
    assertThat(n1.softState()).isEqualTo(new SoftState(Role.FOLLOWER, 1, "n2"));

    // Once an election timeout passes without the leader, the lease is over.
    for (int i = 0; i < CONFIG.electionTimeoutTicks(); i++) {
      n1.tick();
    }
    n1.ready();
    n1.step(new RequestVote(2, "n3", "n1", 0, 0));
    assertThat(n1.ready().messages()).containsExactly(new RequestVoteResponse(2, "n1", "n3", true));
  }

  @Test
  void aFollowerDropsAConflictingSuffixAndHintsTheFirstIndexOfTheConflictingTerm() {
    InMemoryRaftStorage disk = storage(2, entry(1, 1), entry(2, 2), entry(2, 3), entry(2, 4));
    RaftNode n1 = node("n1", THREE, CONFIG, disk);

    n1.step(new AppendEntries(3, "n2", "n1", 9, 3, List.of(), 0));
    assertThat(n1.ready().messages())
        .as("log too short: retry after my last entry")
        .containsExactly(new AppendEntriesResponse(3, "n1", "n2", false, 9, 5));

    n1.step(new AppendEntries(3, "n2", "n1", 4, 3, List.of(), 0));
    assertThat(n1.ready().messages())
        .as("term 2 conflicts: skip all of it")
        .containsExactly(new AppendEntriesResponse(3, "n1", "n2", false, 4, 2));

    n1.step(new AppendEntries(3, "n2", "n1", 1, 1, List.of(entry(3, 2), entry(3, 3)), 2));
    Ready ready = n1.ready();
    assertThat(ready.entriesToPersist()).containsExactly(entry(3, 2), entry(3, 3));
    assertThat(ready.committedEntries()).containsExactly(entry(1, 1), entry(3, 2));
    assertThat(ready.messages())
        .containsExactly(new AppendEntriesResponse(3, "n1", "n2", true, 3, 0));
    disk.append(ready.entriesToPersist());
    assertThat(disk.entries()).containsExactly(entry(1, 1), entry(3, 2), entry(3, 3));

    // A delayed copy of an older, shorter append must not cut the log back.
    n1.step(new AppendEntries(3, "n2", "n1", 1, 1, List.of(entry(3, 2)), 2));
    ready = n1.ready();
    assertThat(ready.entriesToPersist()).isEmpty();
    assertThat(n1.lastIndex()).isEqualTo(3);
    assertThat(ready.messages())
        .containsExactly(new AppendEntriesResponse(3, "n1", "n2", true, 2, 0));
  }

  /**
   * Raft paper section 5.4.2 (figure 8): a leader never commits an entry of an earlier term by
   * counting replicas, only through an entry of its own term.
   */
  @Test
  void aLeaderCommitsEntriesOfEarlierTermsOnlyThroughOneOfItsOwn() {
    RaftConfig oneEntryPerAppend = new RaftConfig(10, 1, 1);
    RaftNode n1 = node("n1", THREE, oneEntryPerAppend, storage(2, entry(1, 1), entry(2, 2)));
    RaftNode n2 = node("n2", THREE, oneEntryPerAppend, storage(1, entry(1, 1)));
    Map<String, RaftNode> nodes = Map.of("n1", n1, "n2", n2); // n3 is down

    tickUntil(n1, Role.PRE_CANDIDATE);
    Deque<RaftMessage> wire = new ArrayDeque<>(n1.ready().messages());
    List<String> n1CommitAfterEachAck = new ArrayList<>();
    while (!wire.isEmpty()) {
      RaftMessage m = wire.poll();
      RaftNode to = nodes.get(m.to());
      if (to == null) {
        continue;
      }
      to.step(m);
      if (m instanceof AppendEntriesResponse r && r.success()) {
        n1CommitAfterEachAck.add(r.index() + ":" + n1.commitIndex());
        assertThat(n1.commitIndex() == 0 || n1.entry(n1.commitIndex()).term() == 3)
            .as("commit index %s after n2 acknowledged %s", n1.commitIndex(), r.index())
            .isTrue();
      }
      wire.addAll(to.ready().messages());
    }
    assertThat(n1.softState()).isEqualTo(new SoftState(Role.LEADER, 3, "n1"));
    // "acked index:commit index": index 2 is on a majority but of term 2, so nothing commits until
    // the no-op of term 3 is; the last ack answers the append that carried the new commit index.
    assertThat(n1CommitAfterEachAck).containsExactly("2:0", "3:3", "3:3");
    assertThat(n2.commitIndex()).isEqualTo(3);
    assertThat(n2.entry(2)).isEqualTo(entry(2, 2));
  }

  @Test
  void aLeaderBacktracksByTheHintAndDropsDuplicatedRejections() {
    RaftNode n1 =
        node("n1", THREE, CONFIG, storage(1, entry(1, 1), entry(1, 2), entry(1, 3), entry(1, 4)));
    tickUntil(n1, Role.PRE_CANDIDATE);
    n1.step(new PreVoteResponse(2, "n2", "n1", true));
    n1.step(new RequestVoteResponse(2, "n2", "n1", true));
    assertThat(n1.ready().messages())
        .contains(new AppendEntries(2, "n1", "n2", 4, 1, List.of(LogEntry.noOp(2, 5)), 0));

    AppendEntriesResponse rejection = new AppendEntriesResponse(2, "n2", "n1", false, 4, 2);
    n1.step(rejection);
    assertThat(n1.ready().messages())
        .containsExactly(
            new AppendEntries(
                2,
                "n1",
                "n2",
                1,
                1,
                List.of(entry(1, 2), entry(1, 3), entry(1, 4), LogEntry.noOp(2, 5)),
                0));
    n1.step(rejection);
    assertThat(n1.hasReady()).as("a duplicated rejection of index 4 is stale now").isFalse();

    n1.step(new AppendEntriesResponse(2, "n2", "n1", true, 5, 0));
    assertThat(n1.commitIndex()).isEqualTo(5);
  }

  @Test
  void aFollowerNamesItsLeaderAndAStaleLeaderStepsDownWhenToldOfANewerTerm() {
    RaftNode n1 = node("n1", THREE, CONFIG, new InMemoryRaftStorage());
    n1.step(new AppendEntries(1, "n2", "n1", 0, 0, List.of(), 0));
    assertThat(n1.propose(new byte[] {1})).isEqualTo(new ProposeResult.NotLeader("n2"));

    RaftNode n3 = node("n3", THREE, CONFIG, storage(1));
    n3.step(new AppendEntries(1, "n2", "n3", 0, 0, List.of(), 0));
    n3.ready();
    // A message from the deposed leader of term 1 to a node that has moved on to term 2.
    RaftNode n2 = node("n2", THREE, CONFIG, storage(2));
    n2.step(new AppendEntries(1, "n3", "n2", 0, 0, List.of(), 0));
    AppendEntriesResponse answer = (AppendEntriesResponse) n2.ready().messages().get(0);
    assertThat(answer).isEqualTo(new AppendEntriesResponse(2, "n2", "n3", false, 0, 0));
    n3.step(answer);
    assertThat(n3.softState()).isEqualTo(new SoftState(Role.FOLLOWER, 2, null));
  }

  @Test
  void aNodeRebuiltFromItsStorageKeepsItsTermVoteAndLog() {
    InMemoryRaftStorage disk = new InMemoryRaftStorage();
    RaftNode before = node("n1", THREE, CONFIG, disk);
    before.step(new RequestVote(3, "n2", "n1", 0, 0));
    before.step(new AppendEntries(3, "n2", "n1", 0, 0, List.of(entry(3, 1), entry(3, 2)), 1));
    Ready ready = before.ready();
    disk.saveHardState(ready.hardState());
    disk.append(ready.entriesToPersist());

    RaftNode after = node("n1", THREE, CONFIG, disk);
    assertThat(after.hardState()).isEqualTo(new HardState(3, "n2"));
    assertThat(after.lastIndex()).isEqualTo(2);
    assertThat(after.entry(2)).isEqualTo(entry(3, 2));
    assertThat(after.softState()).isEqualTo(new SoftState(Role.FOLLOWER, 3, null));
    assertThat(after.commitIndex()).isZero();
    assertThat(after.hasReady()).isFalse();

    after.step(new RequestVote(3, "n3", "n1", 9, 3));
    assertThat(after.ready().messages())
        .as("the vote of term 3 survived the restart")
        .containsExactly(new RequestVoteResponse(3, "n1", "n3", false));
  }

  @Test
  void rejectsMisaddressedMessages() {
    RaftNode n1 = node("n1", THREE, CONFIG, new InMemoryRaftStorage());
    assertThatThrownBy(() -> n1.step(new RequestVote(1, "n2", "n3", 0, 0)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new AppendEntries(1, "n2", "n1", 0, 0, List.of(entry(1, 2)), 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aVoteFromOutsideTheConfigurationNeverCounts() {
    RaftNode n1 = node("n1", THREE, CONFIG, new InMemoryRaftStorage());
    tickUntil(n1, Role.PRE_CANDIDATE);
    n1.ready();
    n1.step(new PreVoteResponse(1, "n9", "n1", true));
    assertThat(n1.softState().role()).isEqualTo(Role.PRE_CANDIDATE);
    n1.step(new PreVoteResponse(1, "n2", "n1", true));
    assertThat(n1.softState().role()).isEqualTo(Role.CANDIDATE);
    n1.ready();
    n1.step(new RequestVoteResponse(1, "n9", "n1", true));
    assertThat(n1.softState().role()).isEqualTo(Role.CANDIDATE);
    n1.step(new RequestVoteResponse(1, "n3", "n1", true));
    assertThat(n1.softState().role()).isEqualTo(Role.LEADER);
  }

  @Test
  void aServerOutsideItsBootstrapConfigurationWaitsAndNeverCampaigns() {
    RaftNode n4 = node("n4", THREE, CONFIG, new InMemoryRaftStorage());
    for (int i = 0; i < 10 * CONFIG.electionTimeoutTicks(); i++) {
      n4.tick();
    }
    assertThat(n4.softState().role()).isEqualTo(Role.FOLLOWER);
    assertThat(n4.hasReady()).isFalse();
    // The leader that adds it can be one it never heard of.
    Membership withN4 = Membership.ofVoters(List.of("n1", "n2", "n3", "n4"));
    n4.step(new AppendEntries(2, "n7", "n4", 0, 0, List.of(LogEntry.config(2, 1, withN4)), 0));
    assertThat(n4.membership()).isEqualTo(withN4);
    assertThat(n4.ready().messages())
        .containsExactly(new AppendEntriesResponse(2, "n4", "n7", true, 1, 0));
    tickUntil(n4, Role.PRE_CANDIDATE);
  }
}
