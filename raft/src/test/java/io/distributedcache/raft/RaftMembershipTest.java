package io.distributedcache.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.raft.RaftMessage.AppendEntries;
import io.distributedcache.raft.RaftMessage.AppendEntriesResponse;
import io.distributedcache.raft.RaftMessage.PreVoteResponse;
import io.distributedcache.raft.RaftMessage.RequestVoteResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Membership changes one server at a time and learners (Raft thesis sections 4.1 to 4.2.3): whole
 * groups on a fault-free {@link SimRaftCluster} with spare nodes, which checks the safety
 * invariants throughout, and single nodes driven by hand for the rules of when a change may start.
 */
class RaftMembershipTest {

  private static final int ELECTION_TIMEOUT_TICKS = 10;
  private static final RaftConfig CONFIG = new RaftConfig(ELECTION_TIMEOUT_TICKS, 1, 64);
  private static final Membership THREE = Membership.ofVoters(List.of("n1", "n2", "n3"));

  private static SimRaftCluster cluster(long seed, int founders, int spares) {
    Map<String, RaftStorage> disks = new HashMap<>();
    Function<String, RaftStorage> open =
        id -> disks.computeIfAbsent(id, unused -> new InMemoryRaftStorage());
    return new SimRaftCluster(seed, founders, spares, CONFIG, open);
  }

  /** A stable leader that committed its no-op, so that it may start a configuration change. */
  private static RaftNode leaderWithNoOpCommitted(SimRaftCluster cluster) {
    RaftNode leader = cluster.awaitLeader(10 * ELECTION_TIMEOUT_TICKS);
    return awaitCommitIndexAtLeastLast(cluster, leader);
  }

  /** Runs the change through {@code leader} and ticks until the leader committed it. */
  private static ProposeResult.Accepted changeAndCommit(
      SimRaftCluster cluster, RaftNode leader, Function<RaftNode, ProposeResult> change) {
    ProposeResult result = cluster.change(leader, change);
    assertThat(result)
        .as("%s%s", cluster, cluster.states())
        .isInstanceOf(ProposeResult.Accepted.class);
    ProposeResult.Accepted accepted = (ProposeResult.Accepted) result;
    for (int t = 0; t < 10 && leader.commitIndex() < accepted.index(); t++) {
      cluster.tick();
    }
    assertThat(leader.commitIndex())
        .as("%s%s", cluster, cluster.states())
        .isGreaterThanOrEqualTo(accepted.index());
    return accepted;
  }

  private static List<String> proposeAll(SimRaftCluster cluster, RaftNode leader, String prefix) {
    List<String> commands = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      commands.add(prefix + i);
      assertThat(cluster.propose(leader, prefix + i)).isInstanceOf(ProposeResult.Accepted.class);
    }
    return commands;
  }

  private static RaftNode awaitCommitIndexAtLeastLast(SimRaftCluster cluster, RaftNode leader) {
    long target = leader.lastIndex();
    for (int t = 0; t < 10 && leader.commitIndex() < target; t++) {
      cluster.tick();
    }
    return leader;
  }

  @Test
  void aFourthAndAFifthVoterJoinAndThenCountTowardsTheMajority() {
    SimRaftCluster cluster = cluster(1, 3, 2);
    RaftNode leader = leaderWithNoOpCommitted(cluster);
    List<String> commands = new ArrayList<>(proposeAll(cluster, leader, "before-"));

    ProposeResult added = cluster.change(leader, n -> n.proposeAddVoter("n4"));
    assertThat(added).isInstanceOf(ProposeResult.Accepted.class);
    assertThat(leader.membership().voters()).containsExactly("n1", "n2", "n3", "n4");
    assertThat(cluster.change(leader, n -> n.proposeAddVoter("n5")))
        .as("one change at a time")
        .isInstanceOf(ProposeResult.Rejected.class);
    cluster.run(5);
    assertThat(leader.commitIndex())
        .isGreaterThanOrEqualTo(((ProposeResult.Accepted) added).index());
    changeAndCommit(cluster, leader, n -> n.proposeAddVoter("n5"));
    commands.addAll(proposeAll(cluster, leader, "after-"));
    cluster.run(5);

    Set<String> five = Set.of("n1", "n2", "n3", "n4", "n5");
    for (String id : cluster.ids) {
      assertThat(cluster.node(id).membership().voters()).isEqualTo(five);
      assertThat(cluster.appliedCommands(id)).as("%s applied", id).isEqualTo(commands);
    }

    // Three of five are needed now: with two founders down the new voters carry the majority...
    List<String> founders =
        THREE.voters().stream().filter(id -> !id.equals(leader.id())).toList();
    cluster.crash(founders.get(0));
    cluster.crash(founders.get(1));
    List<String> more = proposeAll(cluster, leader, "three-of-five-");
    awaitCommitIndexAtLeastLast(cluster, leader);
    assertThat(leader.commitIndex()).isEqualTo(leader.lastIndex());
    cluster.run(3);
    assertThat(cluster.appliedCommands("n4")).containsSubsequence(more);
    // ...and without one of them two of five are not enough.
    cluster.crash("n5");
    long commit = leader.commitIndex();
    cluster.propose(leader, "two-of-five");
    cluster.run(ELECTION_TIMEOUT_TICKS / 2);
    assertThat(leader.commitIndex()).isEqualTo(commit);
  }

  @Test
  void aRemovedFollowerIsNoLongerReplicatedToAndCannotDisruptTheGroup() {
    SimRaftCluster cluster = cluster(2, 3, 0);
    RaftNode leader = leaderWithNoOpCommitted(cluster);
    long term = leader.softState().term();
    String removed = cluster.ids.stream().filter(id -> !id.equals(leader.id())).findFirst().get();
    changeAndCommit(cluster, leader, n -> n.proposeRemoveVoter(removed));
    cluster.run(3);
    assertThat(leader.membership().voters()).hasSize(2).doesNotContain(removed);

    // The leader stopped replicating to it when it appended the change, so the removed server may
    // never learn of it (thesis 4.2.3): it then times out and pre-votes, in vain, forever.
    List<String> commands = proposeAll(cluster, leader, "pair-");
    cluster.run(20 * ELECTION_TIMEOUT_TICKS);
    assertThat(cluster.node(removed).softState().term())
        .as("pre-vote keeps its term: it cannot disrupt")
        .isEqualTo(term);
    assertThat(cluster.appliedCommands(removed)).doesNotContainAnyElementsOf(commands);
    assertThat(cluster.stableLeader()).isSameAs(leader);
    assertThat(leader.softState().term()).isEqualTo(term);
    for (String id : leader.membership().voters()) {
      assertThat(cluster.appliedCommands(id)).containsSubsequence(commands);
    }
  }

  @Test
  void aLeaderThatRemovesItselfStepsDownOnceTheChangeCommitsAndTheRestElectALeader() {
    SimRaftCluster cluster = cluster(3, 3, 0);
    RaftNode old = leaderWithNoOpCommitted(cluster);
    long term = old.softState().term();
    ProposeResult result = cluster.change(old, n -> n.proposeRemoveVoter(old.id()));
    assertThat(result).isInstanceOf(ProposeResult.Accepted.class);
    assertThat(old.softState().isLeader())
        .as("it leads, without counting itself, until the change commits")
        .isTrue();
    long changeIndex = ((ProposeResult.Accepted) result).index();
    for (int t = 0; t < 10 && old.softState().isLeader(); t++) {
      cluster.tick();
    }
    assertThat(old.softState().isLeader()).isFalse();
    assertThat(old.commitIndex()).isGreaterThanOrEqualTo(changeIndex);

    RaftNode next = leaderWithNoOpCommitted(cluster);
    assertThat(next.id()).isNotEqualTo(old.id());
    assertThat(next.softState().term()).isGreaterThan(term);
    List<String> commands = proposeAll(cluster, next, "without-old-");
    cluster.run(10 * ELECTION_TIMEOUT_TICKS);
    assertThat(old.softState().role()).isEqualTo(Role.FOLLOWER);
    assertThat(cluster.stableLeader()).isSameAs(next);
    for (String id : next.membership().voters()) {
      assertThat(cluster.appliedCommands(id)).containsSubsequence(commands);
    }
  }

  @Test
  void aLearnerReceivesTheLogButNeitherCampaignsNorCountsUntilPromoted() {
    SimRaftCluster cluster = cluster(4, 3, 1);
    RaftNode leader = leaderWithNoOpCommitted(cluster);
    changeAndCommit(cluster, leader, n -> n.proposeAddLearner("n4"));
    assertThat(cluster.change(leader, n -> n.proposeAddLearner("n4")))
        .isInstanceOf(ProposeResult.Rejected.class);
    List<String> commands = proposeAll(cluster, leader, "learnt-");
    cluster.run(5);
    assertThat(cluster.appliedCommands("n4")).containsSubsequence(commands);
    assertThat(cluster.node("n4").membership().learners()).containsExactly("n4");

    // Isolated for long, a learner never campaigns, so its term never moves.
    long learnerTerm = cluster.node("n4").softState().term();
    cluster.isolate("n4");
    cluster.run(20 * ELECTION_TIMEOUT_TICKS);
    assertThat(cluster.node("n4").softState().term()).isEqualTo(learnerTerm);
    assertThat(cluster.node("n4").softState().role()).isEqualTo(Role.FOLLOWER);
    cluster.heal();

    // With two voters down, the leader and the learner are not a majority: nothing commits and
    // check-quorum deposes the leader although the learner keeps answering.
    List<String> others =
        leader.membership().voters().stream().filter(id -> !id.equals(leader.id())).toList();
    cluster.crash(others.get(0));
    cluster.crash(others.get(1));
    long commit = leader.commitIndex();
    cluster.propose(leader, "not-a-majority");
    cluster.run(3 * ELECTION_TIMEOUT_TICKS);
    assertThat(leader.commitIndex()).isEqualTo(commit);
    assertThat(leader.softState().isLeader()).isFalse();

    // Promoted, the learner is a voter: back with one founder, 3 of 4 make a majority again.
    cluster.restart(others.get(0));
    RaftNode again = leaderWithNoOpCommitted(cluster);
    cluster.run(5);
    changeAndCommit(cluster, again, n -> n.proposeAddVoter("n4"));
    assertThat(again.membership().voters()).contains("n4");
    assertThat(again.membership().learners()).isEmpty();
    List<String> promoted = proposeAll(cluster, again, "promoted-");
    awaitCommitIndexAtLeastLast(cluster, again);
    assertThat(again.commitIndex()).isEqualTo(again.lastIndex());
    cluster.run(3);
    assertThat(cluster.appliedCommands("n4")).containsSubsequence(promoted);
  }

  // ------------------------------------------------------------------ single nodes, by hand

  private static RaftNode leaderOfThree(Membership membership) {
    RaftNode n1 =
        new RaftNode("n1", membership, CONFIG, new InMemoryRaftStorage(), new SplittableRandom(1));
    for (int i = 0; i < 2 * ELECTION_TIMEOUT_TICKS && n1.softState().role() == Role.FOLLOWER; i++) {
      n1.tick();
    }
    n1.step(new PreVoteResponse(1, "n2", "n1", true));
    n1.step(new RequestVoteResponse(1, "n2", "n1", true));
    assertThat(n1.softState().isLeader()).isTrue();
    n1.ready();
    return n1;
  }

  @Test
  void aLearnersVoteAndAcknowledgementNeverCount() {
    Membership withLearner = new Membership(Set.of("n1", "n2", "n3"), Set.of("n4"));
    RaftNode n1 =
        new RaftNode("n1", withLearner, CONFIG, new InMemoryRaftStorage(), new SplittableRandom(1));
    for (int i = 0; i < 2 * ELECTION_TIMEOUT_TICKS && n1.softState().role() == Role.FOLLOWER; i++) {
      n1.tick();
    }
    assertThat(n1.ready().messages()).extracting(RaftMessage::to).containsExactly("n2", "n3");
    n1.step(new PreVoteResponse(1, "n4", "n1", true));
    assertThat(n1.softState().role()).isEqualTo(Role.PRE_CANDIDATE);
    n1.step(new PreVoteResponse(1, "n2", "n1", true));
    n1.step(new RequestVoteResponse(1, "n4", "n1", true));
    assertThat(n1.softState().role()).isEqualTo(Role.CANDIDATE);
    n1.step(new RequestVoteResponse(1, "n3", "n1", true));
    assertThat(n1.softState().isLeader()).isTrue();
    assertThat(n1.ready().messages())
        .as("the leader replicates to the learner")
        .extracting(RaftMessage::to)
        .contains("n4");

    n1.step(new AppendEntriesResponse(1, "n4", "n1", true, 1, 0));
    assertThat(n1.commitIndex()).as("a learner's acknowledgement is no majority").isZero();
    n1.step(new AppendEntriesResponse(1, "n2", "n1", true, 1, 0));
    assertThat(n1.commitIndex()).isEqualTo(1);
  }

  @Test
  void aNewLeaderStartsAChangeOnlyAfterItsNoOpCommittedAndOnlyOneAtATime() {
    RaftNode n1 = leaderOfThree(THREE);
    assertThat(n1.proposeAddVoter("n4"))
        .as("its no-op is not committed yet")
        .isInstanceOf(ProposeResult.Rejected.class);
    n1.step(new AppendEntriesResponse(1, "n2", "n1", true, 1, 0));
    assertThat(n1.commitIndex()).isEqualTo(1);

    assertThat(n1.proposeAddVoter("n1")).isInstanceOf(ProposeResult.Rejected.class);
    assertThat(n1.proposeRemoveVoter("n9")).isInstanceOf(ProposeResult.Rejected.class);
    assertThat(n1.proposeAddVoter("n4")).isEqualTo(new ProposeResult.Accepted(1, 2));
    assertThat(n1.entry(2).membership().voters()).containsExactly("n1", "n2", "n3", "n4");
    assertThat(n1.proposeRemoveVoter("n3")).isInstanceOf(ProposeResult.Rejected.class);
    assertThat(n1.ready().messages()).extracting(RaftMessage::to).contains("n4");

    // The new configuration counts at once: 3 of 4 are needed for index 2.
    n1.step(new AppendEntriesResponse(1, "n2", "n1", true, 2, 0));
    assertThat(n1.commitIndex()).isEqualTo(1);
    n1.step(new AppendEntriesResponse(1, "n4", "n1", true, 2, 0));
    assertThat(n1.commitIndex()).isEqualTo(2);
    assertThat(n1.proposeRemoveVoter("n3")).isEqualTo(new ProposeResult.Accepted(1, 3));
  }

  @Test
  void aFollowerUsesAConfigurationWhenItIsAppendedAndDropsItWithTheSuffix() {
    RaftNode n2 =
        new RaftNode("n2", THREE, CONFIG, new InMemoryRaftStorage(), new SplittableRandom(1));
    Membership four = Membership.ofVoters(List.of("n1", "n2", "n3", "n4"));
    n2.step(
        new AppendEntries(
            1, "n1", "n2", 0, 0, List.of(LogEntry.noOp(1, 1), LogEntry.config(1, 2, four)), 1));
    assertThat(n2.membership()).as("in effect uncommitted").isEqualTo(four);
    assertThat(n2.commitIndex()).isEqualTo(1);

    // A leader of term 2 that never had the change overwrites it: the old configuration is back.
    n2.step(new AppendEntries(2, "n3", "n2", 1, 1, List.of(LogEntry.noOp(2, 2)), 1));
    assertThat(n2.lastIndex()).isEqualTo(2);
    assertThat(n2.membership()).isEqualTo(THREE);
    n2.ready();

    // A restart reads the configuration from the log.
    InMemoryRaftStorage disk = new InMemoryRaftStorage();
    disk.append(List.of(LogEntry.noOp(1, 1), LogEntry.config(1, 2, four)));
    RaftNode restarted = new RaftNode("n2", THREE, CONFIG, disk, new SplittableRandom(1));
    assertThat(restarted.membership()).isEqualTo(four);
  }

  @Test
  void configurationsRoundTripAndBadOnesAreRefused() {
    Membership m = new Membership(Set.of("n2", "n1", "nœud"), Set.of("l1"));
    assertThat(Membership.decode(m.encode())).isEqualTo(m);
    assertThat(m.quorum()).isEqualTo(2);
    assertThat(LogEntry.config(3, 9, m).membership()).isEqualTo(m);
    assertThat(LogEntry.config(3, 9, m).isNoOp()).isFalse();
    byte[] bytes = m.encode();
    assertThatThrownBy(
            () -> Membership.decode(Arrays.copyOf(bytes, bytes.length - 1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new Membership(Set.of("n1"), Set.of("n1")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Membership.ofVoters(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
