package io.distributedcache.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RingPublisherTest {

  private static final List<Member> MEMBERS = RingFixtures.VECTOR_MEMBERS;

  @Test
  void staticMembershipIsOneSnapshotAtEpochOne() {
    RingPublisher publisher = RingPublisher.staticMembership(MEMBERS, 150, 3);
    ConsistentHashRing ring = publisher.current();
    assertThat(ring.epoch()).isEqualTo(RingPublisher.STATIC_EPOCH).isEqualTo(1);
    assertThat(ring.placementDigest()).isEqualTo(RingTestVectorsTest.PLACEMENT_DIGEST);
    assertThat(publisher.current()).isSameAs(ring);
  }

  @Test
  void publishesOnlyGrowingEpochs() {
    ConsistentHashRing first = ConsistentHashRing.build(5, MEMBERS, 8, 3);
    RingPublisher publisher = new RingPublisher(first);
    assertThat(publisher.current()).isSameAs(first);

    ConsistentHashRing same = ConsistentHashRing.build(5, MEMBERS.subList(0, 2), 8, 3);
    assertThatThrownBy(() -> publisher.publish(same))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ring epoch must grow: current is 5, rejected 5");
    ConsistentHashRing older = ConsistentHashRing.build(4, MEMBERS, 8, 3);
    assertThatThrownBy(() -> publisher.publish(older))
        .hasMessage("ring epoch must grow: current is 5, rejected 4");
    assertThat(publisher.current()).isSameAs(first);

    ConsistentHashRing next = ConsistentHashRing.build(9, MEMBERS.subList(0, 2), 8, 3);
    publisher.publish(next);
    assertThat(publisher.current()).isSameAs(next);
    assertThatThrownBy(() -> publisher.publish(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new RingPublisher(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void fixedSourceAlwaysReturnsItsRing() {
    ConsistentHashRing ring = RingFixtures.vectorRing();
    RingSource source = RingSource.of(ring);
    assertThat(source.current()).isSameAs(ring);
    assertThat(source.current()).isSameAs(ring);
    assertThatThrownBy(() -> RingSource.of(null)).isInstanceOf(NullPointerException.class);
  }
}
