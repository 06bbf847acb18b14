package io.distributedcache.core.control;

import static io.distributedcache.core.control.ControlFixtures.VNODES;
import static io.distributedcache.core.control.ControlFixtures.applied;
import static io.distributedcache.core.control.ControlFixtures.bootstrapped;
import static io.distributedcache.core.control.ControlFixtures.finishTransition;
import static io.distributedcache.core.control.ControlFixtures.join;
import static io.distributedcache.core.control.ControlFixtures.node;
import static io.distributedcache.core.control.ControlFixtures.nodes;
import static io.distributedcache.core.control.ControlFixtures.rejected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.core.control.MetadataCommand.Announce;
import io.distributedcache.core.control.MetadataCommand.Bootstrap;
import io.distributedcache.core.control.MetadataCommand.Fail;
import io.distributedcache.core.control.MetadataCommand.Leave;
import io.distributedcache.core.control.MetadataCommand.MoveDone;
import io.distributedcache.core.control.MetadataCommand.Recover;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Each rule of {@link ClusterMetadata#apply}, rejections and idempotent retries included. */
class ClusterMetadataRulesTest {

  @Nested
  class BeforeBootstrap {
    @Test
    void emptyHasNoRing() {
      ClusterMetadata empty = ClusterMetadata.EMPTY;
      assertThat(empty.epoch()).isZero();
      assertThat(empty.isBootstrapped()).isFalse();
      assertThat(empty.nodes()).isEmpty();
      assertThat(empty.node("n1")).isNull();
      assertThat(empty.replicationFactor()).isZero();
      assertThat(empty.virtualNodesPerMember()).isZero();
      assertThat(empty.inTransition()).isFalse();
      assertThat(empty.targetRing()).isNull();
      assertThat(empty.pendingMoves()).isEmpty();
      assertThat(empty.movesDone()).isEmpty();
      assertThatThrownBy(empty::ring)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("not bootstrapped");
      assertThat(empty).hasToString("ClusterMetadata{epoch=0, not bootstrapped}");
    }

    @Test
    void everyOtherCommandIsRejected() {
      for (MetadataCommand command :
          List.of(
              new Announce("n1", "h", 1, 2),
              join("n1", 1),
              new Leave("n1"),
              new Fail("n1"),
              new Recover("n1"),
              new MoveDone("n1", 0))) {
        assertThat(rejected(ClusterMetadata.EMPTY, command))
            .isEqualTo("the cluster is not bootstrapped yet");
      }
    }
  }

  @Nested
  class BootstrapRule {
    @Test
    void makesEveryNodeActiveAtEpochOne() {
      List<NodeRecord> given =
          List.of(
              new NodeRecord("n3", "127.0.0.1", 7103, 0, NodeState.FAILED),
              new NodeRecord("n1", "127.0.0.1", 7101, 6301, NodeState.JOINING),
              new NodeRecord("n2", "127.0.0.1", 7102, 6302, NodeState.LEAVING));
      ClusterMetadata m = applied(ClusterMetadata.EMPTY, new Bootstrap(3, VNODES, given));
      assertThat(m.epoch()).isEqualTo(1);
      assertThat(m.isBootstrapped()).isTrue();
      assertThat(m.replicationFactor()).isEqualTo(3);
      assertThat(m.virtualNodesPerMember()).isEqualTo(VNODES);
      assertThat(m.nodes()).extracting(NodeRecord::id).containsExactly("n1", "n2", "n3");
      assertThat(m.nodes()).extracting(NodeRecord::state).containsOnly(NodeState.ACTIVE);
      assertThat(m.node("n3").clientPort()).isZero();
      assertThat(m.inTransition()).isFalse();
      assertThat(m.targetRing()).isNull();
      ConsistentHashRing ring = m.ring();
      assertThat(ring.epoch()).isEqualTo(1);
      assertThat(ring.members()).extracting(Member::id).containsExactly("n1", "n2", "n3");
      assertThat(ring.demotedIds()).isEmpty();
      assertThat(ring).isSameAs(m.ring()); // cached
      assertThatThrownBy(() -> m.nodes().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void theRingIsTheOneTheConfigurationGives() {
      ClusterMetadata m = bootstrapped(3, 3);
      List<Member> members = new ArrayList<>();
      for (NodeRecord node : nodes(3)) {
        members.add(node.member());
      }
      ConsistentHashRing expected = ConsistentHashRing.build(1, members, VNODES, 3);
      assertThat(m.ring().placementDigest()).isEqualTo(expected.placementDigest());
      assertThat(m.ring().membershipDigest()).isEqualTo(expected.membershipDigest());
    }

    @Test
    void rejectsBadBootstraps() {
      ClusterMetadata e = ClusterMetadata.EMPTY;
      assertThat(rejected(bootstrapped(1, 1), new Bootstrap(1, VNODES, nodes(1))))
          .isEqualTo("the cluster is already bootstrapped (epoch 1)");
      assertThat(rejected(e, new Bootstrap(1, VNODES, List.of())))
          .isEqualTo("bootstrap needs at least one node");
      assertThat(rejected(e, new Bootstrap(0, VNODES, nodes(1))))
          .isEqualTo("replication factor must be >= 1: 0");
      assertThat(rejected(e, new Bootstrap(1, 0, nodes(1))))
          .isEqualTo("virtual nodes per member must be in 1..4096: 0");
      assertThat(rejected(e, new Bootstrap(1, 4097, nodes(1)))).contains("4097");
      List<NodeRecord> twice = List.of(node("n1", 1), node("n1", 2));
      assertThat(rejected(e, new Bootstrap(1, VNODES, twice)))
          .isEqualTo("bootstrap names node 'n1' twice");
      List<NodeRecord> sameAddress =
          List.of(
              new NodeRecord("a", "Cache.Local", 7101, 0, NodeState.ACTIVE),
              new NodeRecord("b", "cache.local", 7101, 0, NodeState.ACTIVE));
      assertThat(rejected(e, new Bootstrap(1, VNODES, sameAddress)))
          .isEqualTo("nodes 'a' and 'b' share the cluster address cache.local:7101");
      assertThat(rejected(e, new Bootstrap(1, 1, nodes(1025))))
          .isEqualTo("bootstrap has 1025 nodes; a ring takes at most 1024");
    }
  }

  @Nested
  class AnnounceRule {
    @Test
    void unchangedAddressesChangeNothing() {
      ClusterMetadata m = bootstrapped(3, 2);
      assertThat(applied(m, new Announce("n2", "127.0.0.1", 7102, 6302))).isSameAs(m);
    }

    @Test
    void newAddressesBumpTheEpochAndKeepPlacement() {
      ClusterMetadata m = bootstrapped(3, 2);
      ClusterMetadata port = applied(m, new Announce("n2", "127.0.0.1", 7102, 7777));
      assertThat(port.epoch()).isEqualTo(2);
      assertThat(port.node("n2").clientPort()).isEqualTo(7777);
      assertThat(port.node("n2").state()).isEqualTo(NodeState.ACTIVE);
      ClusterMetadata moved = applied(port, new Announce("n2", "10.0.0.2", 7102, 7777));
      assertThat(moved.epoch()).isEqualTo(3);
      assertThat(moved.ring().member(1)).isEqualTo(new Member("n2", "10.0.0.2", 7102));
      assertThat(moved.ring().placementDigest()).isEqualTo(m.ring().placementDigest());
      assertThat(moved.ring().membershipDigest()).isNotEqualTo(m.ring().membershipDigest());
    }

    @Test
    void rejectsUnknownNodesAndTakenAddresses() {
      ClusterMetadata m = bootstrapped(3, 2);
      assertThat(rejected(m, new Announce("n9", "127.0.0.1", 7109, 0)))
          .isEqualTo("no node 'n9' to announce");
      assertThat(rejected(m, new Announce("n2", "127.0.0.1", 7103, 6302)))
          .isEqualTo(
              "node 'n2' cannot take the cluster address of node 'n3': 127.0.0.1:7103");
    }

    @Test
    void keepsAFailedNodeFailed() {
      ClusterMetadata failed = applied(bootstrapped(3, 2), new Fail("n1"));
      ClusterMetadata announced = applied(failed, new Announce("n1", "127.0.0.1", 7101, 1));
      assertThat(announced.node("n1").state()).isEqualTo(NodeState.FAILED);
      assertThat(announced.ring().demotedIds()).containsExactly("n1");
    }
  }

  @Nested
  class JoinRule {
    @Test
    void addsAJoiningNodeAndStartsARebalance() {
      ClusterMetadata m = bootstrapped(3, 2);
      ClusterMetadata joining = applied(m, join("n4", 4));
      assertThat(joining.epoch()).isEqualTo(2);
      assertThat(joining.node("n4")).isEqualTo(node("n4", 4).withState(NodeState.JOINING));
      assertThat(joining.inTransition()).isTrue();
      assertThat(joining.ring().memberIndex("n4")).isEqualTo(-1);
      assertThat(joining.ring().placementDigest()).isEqualTo(m.ring().placementDigest());
      ConsistentHashRing target = joining.targetRing();
      assertThat(target.epoch()).isEqualTo(2);
      assertThat(target.members()).extracting(Member::id).containsExactly("n1", "n2", "n3", "n4");
      assertThat(target.configuredReplicationFactor()).isEqualTo(2);
      assertThat(target.virtualNodesPerMember()).isEqualTo(VNODES);
      // The joiner gains copies; the others only lose some (rf 2 on 4 members).
      assertThat(joining.pendingMoves()).containsExactly("n4");
      assertThat(joining.toString()).contains("n4@127.0.0.1:7104 client=6304 JOINING");
    }

    @Test
    void aRetryIsIdempotentAndAConflictIsRejected() {
      ClusterMetadata joining = applied(bootstrapped(3, 2), join("n4", 4));
      assertThat(applied(joining, join("n4", 4))).isSameAs(joining); // even mid-rebalance
      assertThat(rejected(joining, new MetadataCommand.Join("n4", "127.0.0.1", 7104, 0)))
          .startsWith("node 'n4' already exists: n4@127.0.0.1:7104 client=6304 JOINING");
      ClusterMetadata active = finishTransition(joining);
      assertThat(applied(active, join("n4", 4))).isSameAs(active);
      ClusterMetadata failed = applied(active, new Fail("n4"));
      assertThat(applied(failed, join("n4", 4))).isSameAs(failed);
      ClusterMetadata leaving = applied(active, new Leave("n4"));
      assertThat(leaving.node("n4").state()).isEqualTo(NodeState.LEAVING);
      assertThat(rejected(leaving, join("n4", 4))).contains("LEAVING");
    }

    @Test
    void rejectedWhileARebalanceIsInProgress() {
      ClusterMetadata joining = applied(bootstrapped(3, 2), join("n4", 4));
      assertThat(rejected(joining, join("n5", 5)))
          .isEqualTo("a rebalance is in progress (n4 JOINING)");
    }

    @Test
    void rejectsATakenAddress() {
      assertThat(rejected(bootstrapped(3, 2), new MetadataCommand.Join("n9", "127.0.0.1", 7102, 0)))
          .isEqualTo("node 'n9' cannot join with the cluster address of node 'n2': 127.0.0.1:7102");
    }

    @Test
    void rejectsTheMemberAfterTheLargestRing() {
      ClusterMetadata full =
          applied(
              ClusterMetadata.EMPTY, new Bootstrap(1, 1, nodes(ConsistentHashRing.MAX_MEMBERS)));
      assertThat(rejected(full, new MetadataCommand.Join("x", "10.0.0.1", 1, 0)))
          .isEqualTo("the cluster already has 1024 nodes, the most a ring takes");
    }
  }

  @Nested
  class LeaveRule {
    @Test
    void aJoiningNodeIsRemovedAtOnce() {
      ClusterMetadata m = bootstrapped(3, 2);
      ClusterMetadata joining = applied(m, join("n4", 4));
      ClusterMetadata cancelled = applied(joining, new Leave("n4"));
      assertThat(cancelled.epoch()).isEqualTo(3);
      assertThat(cancelled.node("n4")).isNull();
      assertThat(cancelled.inTransition()).isFalse();
      assertThat(cancelled.targetRing()).isNull();
      assertThat(cancelled.pendingMoves()).isEmpty();
      assertThat(cancelled.ring().placementDigest()).isEqualTo(m.ring().placementDigest());
    }

    @Test
    void anActiveNodeLeavesAfterItsSlotsMoved() {
      ClusterMetadata m = bootstrapped(4, 2);
      ClusterMetadata leaving = applied(m, new Leave("n2"));
      assertThat(leaving.epoch()).isEqualTo(2);
      assertThat(leaving.node("n2").state()).isEqualTo(NodeState.LEAVING);
      assertThat(leaving.ring().memberIndex("n2")).isNotNegative(); // still serving
      assertThat(leaving.targetRing().memberIndex("n2")).isEqualTo(-1);
      assertThat(leaving.pendingMoves()).isNotEmpty().doesNotContain("n2");
      assertThat(applied(leaving, new Leave("n2"))).isSameAs(leaving);
      ClusterMetadata gone = finishTransition(leaving);
      assertThat(gone.node("n2")).isNull();
      assertThat(gone.nodes()).extracting(NodeRecord::state).containsOnly(NodeState.ACTIVE);
      assertThat(gone.ring().placementDigest()).isEqualTo(leaving.targetRing().placementDigest());
    }

    @Test
    void aLeaveWhereNobodyGainsACopyCutsOverAtOnce() {
      // Three members with rf 3: everyone holds every slot, so after n2 leaves nobody gains one.
      ClusterMetadata m = bootstrapped(3, 3);
      ClusterMetadata gone = applied(m, new Leave("n2"));
      assertThat(gone.epoch()).isEqualTo(2);
      assertThat(gone.node("n2")).isNull();
      assertThat(gone.inTransition()).isFalse();
      assertThat(gone.ring().members()).extracting(Member::id).containsExactly("n1", "n3");
    }

    @Test
    void aFailedNodeMayLeave() {
      ClusterMetadata failed = applied(bootstrapped(3, 2), new Fail("n3"));
      ClusterMetadata leaving = applied(failed, new Leave("n3"));
      assertThat(leaving.node("n3").state()).isEqualTo(NodeState.LEAVING);
      // LEAVING nodes are demoted too, so a dead node that is told to leave stays away from the
      // primary role until the cutover, and nobody waits for it to pull.
      assertThat(leaving.ring().demotedIds()).containsExactly("n3");
      assertThat(finishTransition(leaving).node("n3")).isNull();
    }

    @Test
    void rejections() {
      ClusterMetadata m = bootstrapped(4, 2);
      assertThat(rejected(m, new Leave("n9"))).isEqualTo("no node 'n9' to leave");
      ClusterMetadata leaving = applied(m, new Leave("n1"));
      assertThat(rejected(leaving, new Leave("n2")))
          .isEqualTo("node 'n2' cannot leave: a rebalance is in progress (n1 LEAVING)");
      ClusterMetadata joining = applied(m, join("n5", 5));
      assertThat(rejected(joining, new Leave("n2"))).contains("a rebalance is in progress");
      ClusterMetadata solo = bootstrapped(1, 1);
      assertThat(rejected(solo, new Leave("n1")))
          .isEqualTo("node 'n1' cannot leave: no ACTIVE node would remain");
      ClusterMetadata oneActive = applied(bootstrapped(2, 2), new Fail("n2"));
      assertThat(rejected(oneActive, new Leave("n1"))).contains("no ACTIVE node would remain");
    }
  }

  @Nested
  class FailAndRecoverRules {
    @Test
    void failDemotesWithoutMovingCopies() {
      ClusterMetadata m = bootstrapped(3, 2);
      ClusterMetadata failed = applied(m, new Fail("n1"));
      assertThat(failed.epoch()).isEqualTo(2);
      assertThat(failed.node("n1").state()).isEqualTo(NodeState.FAILED);
      assertThat(failed.inTransition()).isFalse();
      ConsistentHashRing ring = failed.ring();
      int n1 = ring.memberIndex("n1");
      assertThat(ring.isDemoted(n1)).isTrue();
      assertThat(ring.primarySlotCount(n1)).isZero();
      assertThat(ring.slotsReplicatedBy(n1)).isEqualTo(m.ring().slotsReplicatedBy(n1));
      for (int slot = 0; slot < Slots.SLOT_COUNT; slot += 97) {
        assertThat(ring.preferenceList(slot))
            .containsExactlyInAnyOrderElementsOf(m.ring().preferenceList(slot));
      }
      assertThat(applied(failed, new Fail("n1"))).isSameAs(failed);
    }

    @Test
    void recoverRestoresThePlacement() {
      ClusterMetadata m = bootstrapped(3, 2);
      ClusterMetadata failed = applied(m, new Fail("n1"));
      ClusterMetadata back = applied(failed, new Recover("n1"));
      assertThat(back.epoch()).isEqualTo(3);
      assertThat(back.node("n1").state()).isEqualTo(NodeState.ACTIVE);
      assertThat(back.ring().placementDigest()).isEqualTo(m.ring().placementDigest());
      assertThat(back.ring().placementDigest()).isNotEqualTo(failed.ring().placementDigest());
      assertThat(applied(back, new Recover("n1"))).isSameAs(back);
    }

    @Test
    void rejections() {
      ClusterMetadata m = bootstrapped(2, 2);
      assertThat(rejected(m, new Fail("n9"))).isEqualTo("no node 'n9' to fail");
      assertThat(rejected(m, new Recover("n9"))).isEqualTo("no node 'n9' to recover");
      ClusterMetadata oneLeft = applied(m, new Fail("n1"));
      assertThat(rejected(oneLeft, new Fail("n2")))
          .isEqualTo("node 'n2' cannot fail: it is the last ACTIVE node");
      assertThat(rejected(bootstrapped(1, 1), new Fail("n1"))).contains("last ACTIVE node");
      ClusterMetadata joining = applied(bootstrapped(3, 2), join("n4", 4));
      assertThat(rejected(joining, new Fail("n4")))
          .isEqualTo("only an ACTIVE node can fail; node 'n4' is JOINING");
      assertThat(rejected(joining, new Recover("n4")))
          .isEqualTo("only a FAILED node can recover; node 'n4' is JOINING");
      ClusterMetadata leaving = applied(bootstrapped(4, 2), new Leave("n4"));
      assertThat(rejected(leaving, new Fail("n4"))).contains("is LEAVING");
      assertThat(rejected(leaving, new Recover("n4"))).contains("is LEAVING");
    }

    @Test
    void duringARebalanceTheyDemoteInBothRingsAndKeepRecordedMoves() {
      // When n6 leaves, each list it was in takes in another member: several movers.
      ClusterMetadata joining = applied(bootstrapped(6, 3), new Leave("n6"));
      assertThat(joining.pendingMoves()).hasSizeGreaterThan(1).doesNotContain("n6");
      String first = joining.pendingMoves().iterator().next();
      ClusterMetadata recorded = applied(joining, new MoveDone(first, joining.epoch()));
      assertThat(recorded.movesDone()).containsExactly(first);
      String victim = first.equals("n1") ? "n2" : "n1";
      ClusterMetadata failed = applied(recorded, new Fail(victim));
      assertThat(failed.epoch()).isEqualTo(recorded.epoch() + 1);
      assertThat(failed.ring().demotedIds()).containsExactlyInAnyOrder(victim, "n6");
      assertThat(failed.targetRing().demotedIds()).containsExactly(victim);
      assertThat(failed.movesDone()).containsExactly(first);
      Set<String> expectedPending = new java.util.TreeSet<>(recorded.pendingMoves());
      expectedPending.remove(victim); // a failed node is not waited for
      assertThat(failed.pendingMoves()).isEqualTo(expectedPending);
      // Reports for the epoch before the failover are stale now.
      String next = failed.pendingMoves().iterator().next();
      assertThat(rejected(failed, new MoveDone(next, recorded.epoch()))).startsWith("stale");
      ClusterMetadata recovered = applied(failed, new Recover(victim));
      assertThat(recovered.movesDone()).containsExactly(first);
      assertThat(recovered.targetRing().placementDigest())
          .isEqualTo(joining.targetRing().placementDigest());
      ClusterMetadata done = finishTransition(recovered);
      assertThat(done.node("n6")).isNull();
      assertThat(done.node(victim).state()).isEqualTo(NodeState.ACTIVE);
    }
  }

  @Nested
  class MoveDoneRule {
    @Test
    void staleReportsAreRejected() {
      ClusterMetadata m = bootstrapped(3, 2);
      assertThat(rejected(m, new MoveDone("n1", 1)))
          .isEqualTo("stale MoveDone from 'n1': no rebalance is in progress at epoch 1");
      ClusterMetadata joining = applied(m, join("n4", 4));
      assertThat(rejected(joining, new MoveDone("n4", 1)))
          .isEqualTo("stale MoveDone from 'n4': for epoch 1 but the metadata is at epoch 2");
      assertThat(rejected(joining, new MoveDone("n4", 3))).startsWith("stale");
    }

    @Test
    void aReportFromANodeWithNothingToPullChangesNothing() {
      ClusterMetadata joining = applied(bootstrapped(3, 2), join("n4", 4));
      assertThat(joining.pendingMoves()).containsExactly("n4");
      assertThat(applied(joining, new MoveDone("n1", 2))).isSameAs(joining);
      assertThat(applied(joining, new MoveDone("nobody", 2))).isSameAs(joining);
    }

    @Test
    void recordingKeepsTheEpochAndTheLastReportCutsOver() {
      // A leave has several movers (a join has one: only the joiner enters lists).
      ClusterMetadata joining = applied(bootstrapped(6, 3), new Leave("n6"));
      List<String> movers = new ArrayList<>(joining.pendingMoves());
      assertThat(movers).hasSizeGreaterThan(1).isSorted();
      ClusterMetadata m = joining;
      for (int i = 0; i < movers.size() - 1; i++) {
        ClusterMetadata next = applied(m, new MoveDone(movers.get(i), m.epoch()));
        assertThat(next.epoch()).isEqualTo(joining.epoch());
        assertThat(next.movesDone()).containsExactlyElementsOf(movers.subList(0, i + 1));
        assertThat(next.pendingMoves()).doesNotContain(movers.get(i));
        assertThat(next.ring()).isSameAs(m.ring()); // same epoch, same rings
        assertThat(next).isNotEqualTo(m);
        assertThat(applied(next, new MoveDone(movers.get(i), next.epoch()))).isSameAs(next);
        m = next;
      }
      ClusterMetadata cut = applied(m, new MoveDone(movers.get(movers.size() - 1), m.epoch()));
      assertThat(cut.epoch()).isEqualTo(joining.epoch() + 1);
      assertThat(cut.inTransition()).isFalse();
      assertThat(cut.targetRing()).isNull();
      assertThat(cut.movesDone()).isEmpty();
      assertThat(cut.pendingMoves()).isEmpty();
      assertThat(cut.node("n6")).isNull();
      assertThat(cut.nodes()).hasSize(5);
      assertThat(cut.ring().epoch()).isEqualTo(cut.epoch());
      assertThat(cut.ring().placementDigest()).isEqualTo(joining.targetRing().placementDigest());
      assertThat(cut.ring().membershipDigest())
          .isEqualTo(joining.targetRing().membershipDigest());
    }

    @Test
    void pendingMovesAreTheNodesThatGainACopy() {
      ClusterMetadata m = bootstrapped(5, 3);
      ClusterMetadata joining = applied(m, join("n6", 6));
      assertThat(joining.pendingMoves()).containsExactly("n6").isEqualTo(gainers(joining));
      ClusterMetadata leaving = applied(m, new Leave("n3"));
      assertThat(leaving.pendingMoves()).hasSizeGreaterThan(1).isEqualTo(gainers(leaving));
    }

    /** The dumb definition: members of a target list that are not in the serving list. */
    private Set<String> gainers(ClusterMetadata m) {
      ConsistentHashRing serving = m.ring();
      ConsistentHashRing target = m.targetRing();
      Set<String> expected = new TreeSet<>();
      for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
        for (Member member : target.preferenceList(slot)) {
          if (!serving.preferenceList(slot).contains(member)) {
            expected.add(member.id());
          }
        }
      }
      return expected;
    }
  }

  @Test
  void applyRejectsNull() {
    assertThatThrownBy(() -> ClusterMetadata.EMPTY.apply(null))
        .isInstanceOf(NullPointerException.class);
  }
}
