package io.distributedcache.core.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.distributedcache.core.control.ClusterMetadata.Result;
import io.distributedcache.core.control.MetadataCommand.Join;
import io.distributedcache.core.control.MetadataCommand.Leave;
import io.distributedcache.core.control.MetadataCommand.MoveDone;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random command sequences, as Raft would replay them, against the invariants of {@link
 * ClusterMetadata}. Each seed runs one sequence through two independent instances: {@code log}
 * applies every command decoded from its bytes (as a follower reading the log does), {@code
 * restored} starts from a snapshot of {@code log} taken at a random step (encode, decode) and
 * applies the same command objects from there. Every failure names the seed and the step; rerun
 * one seed with {@code -Dtest='ClusterMetadataPropertyTest' -Dcontrol.seed=<seed>}.
 */
class ClusterMetadataPropertyTest {

  private static final int STEPS = 60;

  static List<Long> seeds() {
    String one = System.getProperty("control.seed");
    if (one != null) {
      return List.of(Long.decode(one));
    }
    SplittableRandom seeds = new SplittableRandom(0xC0FFEEL);
    return seeds.longs(16).boxed().collect(Collectors.toList());
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void replicasAgreeAndInvariantsHold(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    RandomMetadataCommands commands = new RandomMetadataCommands(random, 6);
    int snapshotAt = random.nextInt(STEPS);
    ClusterMetadata log = ClusterMetadata.EMPTY;
    ClusterMetadata restored = null;
    Map<Long, String> ringsByEpoch = new HashMap<>();
    int changes = 0;
    int cutovers = 0;
    for (int step = 0; step < STEPS; step++) {
      String at = "seed=" + seed + " step=" + step;
      if (step == snapshotAt) {
        restored = ClusterMetadata.decode(log.encode());
        assertThat(restored).as(at).isEqualTo(log);
      }
      MetadataCommand command = commands.next(log);
      at += " command=" + command;
      Result fromLog = applyOrFail(log, MetadataCommand.decode(command.encode()), at);
      ClusterMetadata next = fromLog instanceof Result.Applied a ? a.next() : log;
      if (restored != null) {
        Result fromSnapshot = applyOrFail(restored, command, at);
        assertThat(fromSnapshot.getClass()).as(at).isEqualTo(fromLog.getClass());
        if (fromLog instanceof Result.Rejected r) {
          assertThat(((Result.Rejected) fromSnapshot).reason()).as(at).isEqualTo(r.reason());
        } else {
          ClusterMetadata other = ((Result.Applied) fromSnapshot).next();
          assertThat(other == restored).as(at + " unchanged on both").isEqualTo(next == log);
          restored = other;
        }
        assertAgree(next, restored, at);
      }
      checkStep(log, command, next, at);
      if (next != log) {
        changes++;
        cutovers += log.inTransition() && !next.inTransition() ? 1 : 0;
      }
      log = next;
      if (log.isBootstrapped()) {
        checkInvariants(log, at);
        String rings = ringsKey(log);
        String before = ringsByEpoch.putIfAbsent(log.epoch(), rings);
        if (before != null && !before.equals(rings)) {
          fail(at + ": epoch " + log.epoch() + " names two ring pairs: " + before + ", " + rings);
        }
      }
    }
    assertThat(changes).as("seed=%d: the sequence must change something", seed).isPositive();
    joinThenMoveDoneMakesTheJoinerActive(log, "seed=" + seed + " final join");
  }

  private static Result applyOrFail(ClusterMetadata m, MetadataCommand command, String at) {
    try {
      return m.apply(command);
    } catch (RuntimeException e) {
      return fail(at + ": apply threw on " + m, e);
    }
  }

  /** Equal content, equal bytes, identical rings. */
  private static void assertAgree(ClusterMetadata a, ClusterMetadata b, String at) {
    assertThat(b).as(at).isEqualTo(a);
    assertThat(b.encode()).as(at).isEqualTo(a.encode());
    if (a.isBootstrapped()) {
      assertThat(ringsKey(b)).as(at).isEqualTo(ringsKey(a));
      assertThat(b.pendingMoves()).as(at).isEqualTo(a.pendingMoves());
    }
  }

  /** The epoch moves by exactly one on a ring change, never back; cutovers leave no transition. */
  private static void checkStep(
      ClusterMetadata before, MetadataCommand command, ClusterMetadata after, String at) {
    if (after == before) {
      return;
    }
    assertThat(after.epoch())
        .as(at + " epoch never decreases")
        .isGreaterThanOrEqualTo(before.epoch());
    if (after.epoch() == before.epoch()) {
      // Only a recorded MoveDone that does not complete the transition keeps the epoch.
      assertThat(command).as(at).isInstanceOf(MoveDone.class);
      assertThat(after.nodes()).as(at).isEqualTo(before.nodes());
      assertThat(ringsKey(after)).as(at).isEqualTo(ringsKey(before));
      assertThat(after.movesDone()).as(at).hasSize(before.movesDone().size() + 1);
    } else {
      assertThat(after.epoch()).as(at + " epoch grows by one").isEqualTo(before.epoch() + 1);
    }
    if (before.inTransition() && !after.inTransition() && command instanceof MoveDone) {
      // A cutover: joiners are ACTIVE, leavers gone, the serving ring is the old target's.
      for (NodeRecord node : before.nodes()) {
        NodeRecord now = after.node(node.id());
        if (node.state() == NodeState.LEAVING) {
          assertThat(now).as(at + " leaver gone").isNull();
        } else if (node.state() == NodeState.JOINING) {
          assertThat(now.state()).as(at + " joiner active").isEqualTo(NodeState.ACTIVE);
        } else {
          assertThat(now).as(at).isEqualTo(node);
        }
      }
      assertThat(after.ring().placementDigest())
          .as(at + " serving ring = old target ring")
          .isEqualTo(before.targetRing().placementDigest());
      assertThat(after.movesDone()).as(at).isEmpty();
    }
    if (command instanceof Leave leave
        && !before.inTransition()
        && !after.inTransition()
        && before.node(leave.id()) != null
        && before.node(leave.id()).state() != NodeState.JOINING) {
      // A leave whose pending moves were empty from the start cut over in the same apply.
      assertThat(after.node(leave.id())).as(at + " immediate cutover").isNull();
    }
  }

  private static void checkInvariants(ClusterMetadata m, String at) {
    Set<String> active = ids(m, NodeState.ACTIVE);
    Set<String> failed = ids(m, NodeState.FAILED);
    Set<String> joining = ids(m, NodeState.JOINING);
    Set<String> leaving = ids(m, NodeState.LEAVING);
    assertThat(active).as(at + " an ACTIVE node remains").isNotEmpty();
    assertThat(joining.size() + leaving.size())
        .as(at + " one rebalance at a time")
        .isLessThanOrEqualTo(1);
    assertThat(m.inTransition()).as(at).isEqualTo(!joining.isEmpty() || !leaving.isEmpty());
    assertThat(m.nodes()).as(at).isSortedAccordingTo((a, b) -> a.id().compareTo(b.id()));

    ConsistentHashRing ring = m.ring();
    assertThat(ring.epoch()).as(at).isEqualTo(m.epoch());
    assertThat(memberIds(ring))
        .as(at + " serving members")
        .isEqualTo(union(active, failed, leaving));
    assertThat(ring.demotedIds()).as(at + " serving demoted").isEqualTo(union(failed, leaving));
    assertThat(ring.configuredReplicationFactor()).as(at).isEqualTo(m.replicationFactor());
    assertThat(ring.virtualNodesPerMember()).as(at).isEqualTo(m.virtualNodesPerMember());

    ConsistentHashRing target = m.targetRing();
    if (!m.inTransition()) {
      assertThat(target).as(at).isNull();
      assertThat(m.pendingMoves()).as(at).isEmpty();
      assertThat(m.movesDone()).as(at).isEmpty();
      return;
    }
    assertThat(target.epoch()).as(at).isEqualTo(m.epoch());
    assertThat(memberIds(target))
        .as(at + " target members")
        .isEqualTo(union(active, failed, joining));
    assertThat(target.demotedIds()).as(at + " target demoted").isEqualTo(failed);
    Set<String> gainers = gainers(ring, target);
    assertThat(m.movesDone()).as(at + " moves done are movers").isSubsetOf(gainers);
    for (String id : failed) {
      assertThat(m.pendingMoves()).as(at + " no failed node is waited for").doesNotContain(id);
    }
    Set<String> pending = new TreeSet<>(gainers);
    pending.removeAll(m.movesDone());
    pending.removeAll(failed); // a failed node cannot pull and is not waited for
    assertThat(m.pendingMoves()).as(at + " pending = gainers - done").isEqualTo(pending);
    assertThat(pending).as(at + " a transition with nothing pending was cut over").isNotEmpty();
  }

  /** From any state: finish a transition, Join a fresh node, report every pending mover. */
  private static void joinThenMoveDoneMakesTheJoinerActive(ClusterMetadata m, String at) {
    if (!m.isBootstrapped()) {
      return;
    }
    ClusterMetadata settled = ControlFixtures.finishTransition(m);
    ClusterMetadata joining =
        ControlFixtures.applied(settled, new Join("fresh", "10.9.9.9", 7000, 6000));
    assertThat(joining.epoch()).as(at).isEqualTo(settled.epoch() + 1);
    ClusterMetadata done = joining;
    for (String mover : joining.pendingMoves()) {
      done = ControlFixtures.applied(done, new MoveDone(mover, done.epoch()));
    }
    assertThat(done.node("fresh").state()).as(at).isEqualTo(NodeState.ACTIVE);
    assertThat(done.ring().memberIndex("fresh")).as(at + " placed").isNotNegative();
    assertThat(done.inTransition()).as(at).isFalse();
    assertThat(done.epoch()).as(at).isEqualTo(joining.epoch() + (joining.inTransition() ? 1 : 0));
  }

  /** The dumb definition of movers: members of a target list missing from the serving list. */
  private static Set<String> gainers(ConsistentHashRing serving, ConsistentHashRing target) {
    Set<String> found = new TreeSet<>();
    for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
      List<Member> now = serving.preferenceList(slot);
      for (Member member : target.preferenceList(slot)) {
        if (!now.contains(member)) {
          found.add(member.id());
        }
      }
    }
    return found;
  }

  private static String ringsKey(ClusterMetadata m) {
    ConsistentHashRing target = m.targetRing();
    return describe(m.ring()) + " / " + (target == null ? "none" : describe(target));
  }

  private static String describe(ConsistentHashRing ring) {
    return Long.toHexString(ring.placementDigest())
        + ":"
        + Long.toHexString(ring.membershipDigest());
  }

  private static Set<String> ids(ClusterMetadata m, NodeState state) {
    Set<String> ids = new TreeSet<>();
    for (NodeRecord node : m.nodes()) {
      if (node.state() == state) {
        ids.add(node.id());
      }
    }
    return ids;
  }

  private static Set<String> memberIds(ConsistentHashRing ring) {
    Set<String> ids = new TreeSet<>();
    for (Member member : ring.members()) {
      ids.add(member.id());
    }
    return ids;
  }

  @SafeVarargs
  private static Set<String> union(Set<String>... sets) {
    Set<String> all = new TreeSet<>();
    for (Set<String> set : sets) {
      all.addAll(set);
    }
    return all;
  }
}
