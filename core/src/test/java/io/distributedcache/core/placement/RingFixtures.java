package io.distributedcache.core.placement;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/** Memberships shared by the placement tests. */
final class RingFixtures {

  /** The membership the checked-in test vectors are for. */
  static final List<Member> VECTOR_MEMBERS =
      Member.parseList("n1@127.0.0.1:7101,n2@127.0.0.1:7102,n3@127.0.0.1:7103");

  static final int VECTOR_VIRTUAL_NODES = 150;
  static final int VECTOR_REPLICATION_FACTOR = 3;

  private RingFixtures() {}

  /** The ring the checked-in test vectors are for, at epoch 1. */
  static ConsistentHashRing vectorRing() {
    return ConsistentHashRing.build(
        1, VECTOR_MEMBERS, VECTOR_VIRTUAL_NODES, VECTOR_REPLICATION_FACTOR);
  }

  /** {@code count} members with distinct random ids {@code node-<hex>} and distinct ports. */
  static List<Member> randomMembers(SplittableRandom random, int count) {
    Set<String> ids = new LinkedHashSet<>();
    while (ids.size() < count) {
      ids.add("node-" + Long.toHexString(random.nextLong()));
    }
    List<Member> members = new ArrayList<>(count);
    int port = 7000;
    for (String id : ids) {
      members.add(new Member(id, "127.0.0.1", port++));
    }
    return members;
  }

  /** The member ids of {@code slot}'s preference list, in rank order. */
  static List<String> ids(ConsistentHashRing ring, int slot) {
    List<String> ids = new ArrayList<>(ring.replicationFactor());
    for (int rank = 0; rank < ring.replicationFactor(); rank++) {
      ids.add(ring.member(ring.preference(slot, rank)).id());
    }
    return ids;
  }
}
