package io.distributedcache.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Raft's safety properties (paper figure 3) under seeded faults: every seed builds a 3- or 5-node
 * group, runs a random workload through a network that drops, delays, duplicates, reorders and
 * partitions while nodes crash and restart and compact their logs at random points (so that
 * lagging and restarted nodes catch up through InstallSnapshot and restore from snapshots), and
 * {@link SimRaftCluster} checks election safety, log matching, leader completeness and state
 * machine safety (snapshots included) as it goes. Then the faults stop and the group must elect a
 * leader and commit a last command on every node (liveness after healing), and every member's
 * state machine must hold the same commands.
 *
 * <p>Replay one seed: {@code mvn -o -pl raft verify -Dtest=RaftSafetyPropertyTest -Draft.seed=N}.
 */
class RaftSafetyPropertyTest {

  private static final int SEEDS = 300;
  private static final int FAULT_TICKS = 400;

  /** Nodes beyond the founders that membership changes can add. */
  private static final int SPARES = 2;

  /** Seeds also run over {@link FileRaftStorage}: few, since every persist is an fsync. */
  private static final int FILE_SEEDS = 10;

  // Totals over the seeds run, so that the class fails if snapshots were never exercised.
  private static final AtomicLong COMPACTIONS = new AtomicLong();
  private static final AtomicLong SNAPSHOTS_INSTALLED = new AtomicLong();
  private static final AtomicLong RESTORES_FROM_SNAPSHOT = new AtomicLong();

  static LongStream seeds() {
    String one = System.getProperty("raft.seed");
    return one != null ? LongStream.of(Long.parseLong(one)) : LongStream.rangeClosed(1, SEEDS);
  }

  static LongStream fileSeeds() {
    String one = System.getProperty("raft.seed");
    return one != null ? LongStream.of(Long.parseLong(one)) : LongStream.rangeClosed(1, FILE_SEEDS);
  }

  /**
   * Without this, a bug that stopped compaction or InstallSnapshot would leave every seed green.
   * Over all 300 seeds the counts are in the thousands; one replayed seed may have none.
   */
  @AfterAll
  static void snapshotsWereExercised() {
    if (System.getProperty("raft.seed") != null) {
      return;
    }
    assertThat(COMPACTIONS.get()).as("compactions").isGreaterThan(1_000);
    assertThat(SNAPSHOTS_INSTALLED.get()).as("InstallSnapshots applied").isGreaterThan(100);
    assertThat(RESTORES_FROM_SNAPSHOT.get()).as("restarts from a snapshot").isGreaterThan(100);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void safetyHoldsUnderFaultsAndTheGroupRecovers(long seed) {
    check(seed, null);
  }

  /**
   * The same schedules with every node on a {@link FileRaftStorage} that a crash closes and a
   * restart reopens, so that what the node sees after a restart is what the files held.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("fileSeeds")
  void safetyHoldsOverFileStorage(long seed, @TempDir Path dir) {
    Map<String, FileRaftStorage> open = new HashMap<>();
    Function<String, RaftStorage> reopen =
        id -> {
          FileRaftStorage previous = open.remove(id);
          if (previous != null) {
            previous.close();
          }
          FileRaftStorage s = FileRaftStorage.open(dir.resolve(id));
          open.put(id, s);
          return s;
        };
    try {
      check(seed, reopen);
    } finally {
      open.values().forEach(FileRaftStorage::close);
    }
  }

  /** Runs one seed; {@code openStorage} null means in-memory storage. */
  private static void check(long seed, Function<String, RaftStorage> openStorage) {
    // The schedule has its own stream so that changing the workload does not change the network.
    SplittableRandom schedule = new SplittableRandom(seed * 0x9E3779B97F4A7C15L);
    int size = schedule.nextBoolean() ? 3 : 5;
    int electionTimeoutTicks = 10;
    RaftConfig config = new RaftConfig(electionTimeoutTicks, 1, 1 + schedule.nextInt(8));
    SimRaftCluster cluster =
        new SimRaftCluster(
            seed,
            size,
            SPARES,
            config,
            openStorage != null ? openStorage : inMemoryStorage());
    cluster.dropRate = schedule.nextDouble(0, 0.15);
    cluster.duplicateRate = schedule.nextDouble(0, 0.10);
    cluster.minDelayTicks = schedule.nextInt(2);
    cluster.maxDelayTicks = cluster.minDelayTicks + schedule.nextInt(4);
    // From rarely to often (per node and tick), so that some seeds snapshot every few entries.
    cluster.compactRate = new SplittableRandom(seed + 7).nextDouble(0.005, 0.1);
    try {
      runFaultPhase(cluster, schedule, seed);
      healAndCheckLiveness(cluster, electionTimeoutTicks);
    } catch (RuntimeException e) {
      throw new AssertionError(cluster + ": " + e + cluster.states(), e);
    } finally {
      COMPACTIONS.addAndGet(cluster.compactions);
      SNAPSHOTS_INSTALLED.addAndGet(cluster.snapshotsInstalled);
      RESTORES_FROM_SNAPSHOT.addAndGet(cluster.restoresFromSnapshot);
    }
  }

  private static Function<String, RaftStorage> inMemoryStorage() {
    Map<String, RaftStorage> disks = new HashMap<>();
    return id -> disks.computeIfAbsent(id, unused -> new InMemoryRaftStorage());
  }

  private static void runFaultPhase(SimRaftCluster cluster, SplittableRandom schedule, long seed) {
    List<String> ids = cluster.ids;
    // Its own stream, so that membership changes do not shift the fault schedule.
    SplittableRandom changes = new SplittableRandom(seed * 0xC2B2AE3D27D4EB4FL + 1);
    int proposals = 0;
    for (int t = 0; t < FAULT_TICKS; t++) {
      if (changes.nextDouble() < 0.04) {
        changeMembership(cluster, changes);
      }
      if (schedule.nextDouble() < 0.5) {
        // Mostly through a node that believes it leads (possibly a deposed one on the minority
        // side, whose entries must later be overwritten), sometimes through anyone.
        List<RaftNode> leaders = new ArrayList<>();
        for (String id : ids) {
          RaftNode n = cluster.node(id);
          if (n != null && n.softState().isLeader()) {
            leaders.add(n);
          }
        }
        RaftNode via =
            !leaders.isEmpty() && schedule.nextInt(4) != 0
                ? leaders.get(schedule.nextInt(leaders.size()))
                : cluster.node(ids.get(schedule.nextInt(ids.size())));
        if (via != null) {
          cluster.propose(via, "s" + seed + "-" + proposals++);
        }
      }
      if (schedule.nextDouble() < 0.08) {
        String victim = ids.get(schedule.nextInt(ids.size()));
        switch (schedule.nextInt(5)) {
          case 0 -> cluster.isolate(victim);
          case 1 -> {
            List<String> side = new ArrayList<>();
            for (String id : ids) {
              if (schedule.nextBoolean()) {
                side.add(id);
              }
            }
            cluster.heal();
            cluster.partition(side, 1);
          }
          case 2 -> cluster.heal();
          case 3 -> cluster.crash(victim);
          default -> cluster.restart(victim);
        }
      }
      cluster.tick();
    }
  }

  /**
   * Through a node that believes it leads, one random one-server change: add a learner or a voter,
   * promote a learner, or remove a voter (possibly the leader). Refusals (a change in flight, no
   * entry of the term committed yet) are part of what is tested.
   */
  private static void changeMembership(SimRaftCluster cluster, SplittableRandom changes) {
    List<RaftNode> leaders = new ArrayList<>();
    for (String id : cluster.ids) {
      RaftNode n = cluster.node(id);
      if (n != null && n.softState().isLeader()) {
        leaders.add(n);
      }
    }
    if (leaders.isEmpty()) {
      return;
    }
    RaftNode leader = leaders.get(changes.nextInt(leaders.size()));
    Membership m = leader.membership();
    String target = cluster.ids.get(changes.nextInt(cluster.ids.size()));
    ProposeResult result;
    if (m.isVoter(target)) {
      result = cluster.change(leader, n -> n.proposeRemoveVoter(target));
    } else if (m.learners().contains(target) || changes.nextInt(3) == 0) {
      result = cluster.change(leader, n -> n.proposeAddVoter(target));
    } else {
      result = cluster.change(leader, n -> n.proposeAddLearner(target));
    }
    if (result instanceof ProposeResult.Accepted a) {
      assertThat(leader.entry(a.index()).isConfig()).isTrue();
      assertThat(leader.membership()).isNotEqualTo(m);
    }
  }

  private static void healAndCheckLiveness(SimRaftCluster cluster, int electionTimeoutTicks) {
    cluster.heal();
    cluster.noFaults();
    for (String id : cluster.ids) {
      cluster.restart(id);
    }
    // Propose once per leader term: a proposal is lost only if its leader is deposed.
    long proposedInTerm = -1;
    for (int t = 0; t < 30 * electionTimeoutTicks; t++) {
      Membership members = cluster.committedMembership();
      if (cluster.ids.stream()
          .filter(members::contains)
          .allMatch(id -> cluster.appliedCommands(id).contains("final"))) {
        break;
      }
      RaftNode leader = cluster.stableLeader();
      if (leader != null && leader.softState().term() != proposedInTerm) {
        proposedInTerm = leader.softState().term();
        assertThat(cluster.propose(leader, "final")).isInstanceOf(ProposeResult.Accepted.class);
      }
      cluster.tick();
    }
    cluster.run(2 * electionTimeoutTicks); // let every node catch up before comparing
    List<String> members =
        cluster.ids.stream().filter(cluster.committedMembership()::contains).toList();
    List<String> first = cluster.appliedCommands(members.get(0));
    assertThat(first)
        .as("%s: 'final' applied after healing%s", cluster, cluster.states())
        .contains("final");
    for (String id : members) {
      assertThat(cluster.appliedCommands(id))
          .as("%s: %s applied the same commands as %s", cluster, id, members.get(0))
          .isEqualTo(first);
    }
  }
}
