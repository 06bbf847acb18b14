package io.distributedcache.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whole-group scenarios on a fault-free {@link SimRaftCluster} (one tick per hop), with partitions
 * and crashes placed by hand: liveness, pre-vote, check-quorum and restarts. The simulator checks
 * the safety invariants throughout.
 */
class RaftScenarioTest {

  private static final int ELECTION_TIMEOUT_TICKS = 10;
  private static final RaftConfig CONFIG = new RaftConfig(ELECTION_TIMEOUT_TICKS, 1, 64);

  static Stream<Arguments> sizesAndSeeds() {
    return Stream.of(3, 5)
        .flatMap(size -> IntStream.rangeClosed(1, 20).mapToObj(seed -> Arguments.of(size, seed)));
  }

  @ParameterizedTest(name = "{0} nodes, seed {1}")
  @MethodSource("sizesAndSeeds")
  void withoutFaultsALeaderIsElectedQuicklyAndProposalsCommitEverywhere(int size, long seed) {
    SimRaftCluster cluster = new SimRaftCluster(seed, size, CONFIG);
    // The first timeout fires within 2 election timeouts; pre-vote and vote take 4 hops. A split
    // vote costs at most one more randomised timeout, so 6 timeouts leave room for two of them.
    RaftNode leader = cluster.awaitLeader(6 * ELECTION_TIMEOUT_TICKS);

    List<String> commands = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      commands.add("cmd-" + i);
      assertThat(cluster.propose(leader, "cmd-" + i)).isInstanceOf(ProposeResult.Accepted.class);
    }
    // Append, acknowledgement, then the commit index on the next append: 3 hops, plus slack.
    cluster.run(5);
    for (String id : cluster.ids) {
      assertThat(cluster.appliedCommands(id))
          .as("%s applied on %s", cluster, id)
          .isEqualTo(commands);
    }
    assertThat(cluster.stableLeader()).isSameAs(leader);
  }

  @Test
  void aNodeIsolatedForLongRejoinsWithoutRaisingItsTermOrDisturbingTheLeader() {
    SimRaftCluster cluster = new SimRaftCluster(7, 3, CONFIG);
    RaftNode leader = cluster.awaitLeader(6 * ELECTION_TIMEOUT_TICKS);
    long term = leader.softState().term();
    String outsider = cluster.ids.stream().filter(id -> !id.equals(leader.id())).findFirst().get();

    cluster.isolate(outsider);
    for (int t = 0; t < 50 * ELECTION_TIMEOUT_TICKS; t++) {
      cluster.tick();
      assertThat(cluster.node(outsider).softState().term()).as("tick %s", t).isEqualTo(term);
    }
    assertThat(cluster.node(outsider).softState().role())
        .as("it did time out and campaign")
        .isIn(Role.PRE_CANDIDATE, Role.FOLLOWER);
    assertThat(cluster.propose(leader, "while-away")).isInstanceOf(ProposeResult.Accepted.class);

    cluster.heal();
    cluster.run(5 * ELECTION_TIMEOUT_TICKS);
    assertThat(cluster.stableLeader()).isSameAs(leader);
    for (String id : cluster.ids) {
      assertThat(cluster.node(id).softState())
          .isEqualTo(
              new SoftState(
                  id.equals(leader.id()) ? Role.LEADER : Role.FOLLOWER, term, leader.id()));
    }
    assertThat(cluster.appliedCommands(outsider)).containsExactly("while-away");
  }

  @Test
  void aLeaderCutOffFromTheMajorityStepsDownWithinAboutAnElectionTimeout() {
    SimRaftCluster cluster = new SimRaftCluster(11, 5, CONFIG);
    RaftNode oldLeader = cluster.awaitLeader(6 * ELECTION_TIMEOUT_TICKS);
    long oldTerm = oldLeader.softState().term();

    cluster.isolate(oldLeader.id());
    // The check runs every election timeout, so the first full period without answers ends
    // within two timeouts of the cut.
    int ticks = 0;
    while (oldLeader.softState().isLeader()) {
      cluster.tick();
      ticks++;
      assertThat(ticks)
          .as("ticks until the isolated leader steps down")
          .isLessThanOrEqualTo(2 * ELECTION_TIMEOUT_TICKS);
    }
    assertThat(oldLeader.softState()).isEqualTo(new SoftState(Role.FOLLOWER, oldTerm, null));
    assertThat(oldLeader.propose(new byte[] {1})).isEqualTo(new ProposeResult.NotLeader(null));

    RaftNode newLeader = cluster.awaitLeader(6 * ELECTION_TIMEOUT_TICKS);
    assertThat(newLeader).isNotSameAs(oldLeader);
    assertThat(newLeader.softState().term()).isGreaterThan(oldTerm);
    assertThat(oldLeader.softState().term())
        .as("pre-vote kept the old leader's term")
        .isEqualTo(oldTerm);

    cluster.propose(newLeader, "after-failover");
    cluster.heal();
    cluster.run(3 * ELECTION_TIMEOUT_TICKS);
    assertThat(oldLeader.softState().leaderId()).isEqualTo(newLeader.id());
    assertThat(cluster.appliedCommands(oldLeader.id())).contains("after-failover");
  }

  @Test
  void aGroupRestartedFromItsStorageKeepsTermsVotesAndLogsAndCarriesOn() {
    SimRaftCluster cluster = new SimRaftCluster(5, 3, CONFIG);
    RaftNode leader = cluster.awaitLeader(6 * ELECTION_TIMEOUT_TICKS);
    for (int i = 0; i < 5; i++) {
      cluster.propose(leader, "before-" + i);
    }
    cluster.run(5);

    List<HardState> hardStates = new ArrayList<>();
    List<List<LogEntry>> logs = new ArrayList<>();
    for (String id : cluster.ids) {
      hardStates.add(cluster.node(id).hardState());
      logs.add(cluster.storage(id).entries());
      assertThat(cluster.storage(id).hardState()).isEqualTo(cluster.node(id).hardState());
      cluster.crash(id);
    }
    for (int i = 0; i < cluster.ids.size(); i++) {
      String id = cluster.ids.get(i);
      cluster.restart(id);
      assertThat(cluster.node(id).hardState()).isEqualTo(hardStates.get(i));
      assertThat(cluster.node(id).lastIndex()).isEqualTo(logs.get(i).size());
      assertThat(cluster.node(id).softState().role()).isEqualTo(Role.FOLLOWER);
    }

    RaftNode newLeader = cluster.awaitLeader(6 * ELECTION_TIMEOUT_TICKS);
    assertThat(newLeader.softState().term()).isGreaterThan(leader.softState().term());
    cluster.run(5);
    for (String id : cluster.ids) {
      assertThat(cluster.appliedCommands(id))
          .as("%s: the new leader's no-op commits the old log without any new proposal", id)
          .containsExactly("before-0", "before-1", "before-2", "before-3", "before-4");
    }
    cluster.propose(newLeader, "after");
    cluster.run(5);
    for (String id : cluster.ids) {
      assertThat(cluster.appliedCommands(id))
          .as("%s re-applied the old log, then the new entry", id)
          .containsExactly("before-0", "before-1", "before-2", "before-3", "before-4", "after");
    }
  }
}
