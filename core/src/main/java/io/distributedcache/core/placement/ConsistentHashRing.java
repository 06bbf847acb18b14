package io.distributedcache.core.placement;

import io.distributedcache.core.keyspace.Slots;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Where each of the 16384 key slots lives: an immutable snapshot of the consistent-hash ring for one
 * epoch (DESIGN.md section 2).
 *
 * <h2>How placement works</h2>
 *
 * <ol>
 *   <li>A key maps to a slot, {@code CRC16(key) mod 16384} ({@link Slots#slot}), as in Redis
 *       Cluster.
 *   <li>Each member owns {@code virtualNodesPerMember} points on a ring of unsigned 64-bit
 *       positions: virtual node {@code i} of member {@code m} sits at {@code XXH64(UTF-8(m.id() +
 *       "#" + i))}, seed 0, {@code i} written in decimal ({@link StableHash}).
 *   <li>Slot {@code s} sits at position {@code s * 2^64 / 16384} ({@code s << 50}): the slots
 *       are evenly spaced around the ring in order, so runs of neighbouring slots share a
 *       preference list (contiguous ranges, as Redis Cluster clients expect).
 *   <li>A slot's preference list is the first {@code min(replicationFactor, memberCount)} distinct
 *       members met walking clockwise (increasing unsigned position, wrapping from {@code 2^64-1} to
 *       0) from the slot's position, starting with a virtual node at exactly that position. Virtual
 *       nodes at the same position are met in member-id order, then index order. The first member
 *       of the list is the slot's primary, the others its replicas in rank order.
 *   <li>Members may be <em>demoted</em> (failed nodes, see {@code control.ClusterMetadata}): in
 *       each list the demoted members move to the end, the others keeping their relative order and
 *       the demoted ones theirs. A failed primary's slots thus get the next live member as
 *       primary, while the failed member stays in the list as a (missing) copy, so no slot changes
 *       hands and no data moves; when it recovers, the same lists come back. A list whose members
 *       are all demoted keeps its order. Demotion never changes which members hold a slot, only
 *       their ranks.
 * </ol>
 *
 * Only member ids, the demoted ids, the virtual-node count and the replication factor decide
 * placement: never
 * addresses, the order members were listed in, the epoch, {@code hashCode()} or anything seeded per
 * process, so every node, build and JVM computes the same lists (seed bug 5). Members are kept sorted
 * by {@link String#compareTo} of their ids (byte order for ASCII ids); a member's <em>index</em> is
 * its position in that order and is only meaningful within one snapshot.
 *
 * <h2>Properties (measured; pinned by tests)</h2>
 *
 * With 150 virtual nodes per member ({@link #DEFAULT_VIRTUAL_NODES_PER_MEMBER}):
 *
 * <ul>
 *   <li><b>Balance</b> ({@code RingBalancePropertyTest}): over 3 to 50 members with random ids
 *       (9600 memberships measured), the busiest member is primary of at most 1.47x the mean
 *       number of slots ({@code 16384 / members}) and the idlest of at least 0.65x; with
 *       replication factor 3 the busiest member holds copies of at most 1.24x the mean and the
 *       idlest at least 0.76x. The test asserts 1.55 / 0.58 and 1.30 / 0.70. For the three-member
 *       test-vector ring the primaries split 5130 / 4654 / 6600 (max/mean 1.21). The spread comes
 *       from the arc lengths of 150 random points per member (about 8% standard deviation); more
 *       virtual nodes narrow it. The 3-member layout forms 298 contiguous slot ranges.
 *   <li><b>Movement</b> ({@code RingMovementPropertyTest}): adding one member moves a slot's primary
 *       only to the new member, and changes a slot's preference list only if the new member enters
 *       it (the old list keeps its order, loses its last member and gains the new one at some rank).
 *       Removing a member changes only the lists it was in (it leaves, the rest keep their order and
 *       one member joins at the end); only the slots it was primary of get a new primary, their
 *       first replica. Over 3 to 20 members (3600 additions measured) the number of slots whose
 *       primary moves is 0.74x to 1.31x the ideal {@code 16384 / (N+1)}, and the number of slots
 *       whose list changes is 0.84x to 1.21x the ideal {@code 3 x 16384 / (N+1)}; the test asserts
 *       [0.6, 1.45] and [0.7, 1.35].
 * </ul>
 *
 * <h2>Test vectors</h2>
 *
 * {@code RingTestVectorsTest} pins, for {@code n1@127.0.0.1:7101, n2@127.0.0.1:7102,
 * n3@127.0.0.1:7103}, 150 virtual nodes, replication factor 3, the preference lists of 20 slots and
 * {@link #placementDigest()} over all 16384 lists; {@code SeedBug5CrossJvmPlacementTest} checks that
 * two JVMs with different hashing-related settings agree with those literals. Some of them:
 *
 * <pre>
 *   slot     0 -> n3, n2, n1        slot  5461 -> n3, n2, n1
 *   slot  8191 -> n1, n2, n3        slot 16383 -> n3, n2, n1
 *   slot   100 -> n2, n1, n3        key "foo" (slot 12182) -> n2, n1, n3
 *   placementDigest  = 0xb9351a6166eb10a2
 *   membershipDigest = 0x3578b49bb5514064
 *   XXH64("n1#0") = 0xd894fa02c36ac9de, position of slot 1 = 0x0004000000000000
 * </pre>
 *
 * A change to any of the encodings above changes those values: it is a breaking change of the
 * cluster protocol.
 *
 * <h2>Implementation notes</h2>
 *
 * {@link #build} sorts all virtual nodes, then walks from each slot once and stores every preference
 * list in one flat {@code int[]} of member indexes ({@code 16384 x replicationFactor}), plus each
 * member's primary and replicated slots. Lookups ({@link #primaryIndex}, {@link #preference}, {@link
 * #rankOf}) read that table and allocate nothing (about 2 ns each). Building costs {@code O(V log V
 * + 16384 x walk)} for {@code V} virtual nodes: measured about 2 ms for 3 to 50 members, 30 ms for
 * 200 and 50 ms for 1024, with 150 virtual nodes and replication factor 3.
 *
 * <p>Thread-safety: immutable; every field is final and no array escapes, so a snapshot can be
 * shared by all threads without locks once it is published, and a reader that holds it keeps a
 * consistent view for as long as it likes (seed bug 2, {@link RingSource}).
 */
public final class ConsistentHashRing {

  /** The default number of virtual nodes per member (DESIGN.md section 2). */
  public static final int DEFAULT_VIRTUAL_NODES_PER_MEMBER = 150;

  /**
   * The largest number of members a ring accepts: HLC versions have room for 1024 node indexes
   * ({@code HybridLogicalClock.MAX_NODE_INDEX}), and it bounds the memory a build can take.
   */
  public static final int MAX_MEMBERS = 1024;

  /** The largest number of virtual nodes per member a ring accepts (bounds build memory). */
  public static final int MAX_VIRTUAL_NODES_PER_MEMBER = 4096;

  private final long epoch;
  private final Member[] members;
  private final List<Member> memberList;
  private final String[] ids;
  private final int virtualNodesPerMember;
  private final int configuredReplicationFactor;
  private final int replicationFactor;

  /** {@code preferences[slot * replicationFactor + rank]} is a member index. */
  private final int[] preferences;

  private final int[][] primarySlots;
  private final int[][] replicatedSlots;
  private final long membershipDigest;
  private final long placementDigest;

  /** {@code demoted[m]} is whether member index {@code m} is demoted. */
  private final boolean[] demoted;

  /** The demoted ids in id order, unmodifiable. */
  private final Set<String> demotedIds;

  private ConsistentHashRing(
      long epoch,
      Member[] members,
      int virtualNodesPerMember,
      int configuredReplicationFactor,
      int[] preferences,
      boolean[] demoted) {
    this.epoch = epoch;
    this.members = members;
    this.memberList = List.of(members);
    this.ids = new String[members.length];
    for (int i = 0; i < members.length; i++) {
      ids[i] = members[i].id();
    }
    this.virtualNodesPerMember = virtualNodesPerMember;
    this.configuredReplicationFactor = configuredReplicationFactor;
    this.replicationFactor = Math.min(configuredReplicationFactor, members.length);
    this.preferences = preferences;
    this.demoted = demoted;
    Set<String> demotedInOrder = new LinkedHashSet<>();
    for (int i = 0; i < members.length; i++) {
      if (demoted[i]) {
        demotedInOrder.add(ids[i]);
      }
    }
    this.demotedIds = Collections.unmodifiableSet(demotedInOrder);
    this.primarySlots = slotsByMember(preferences, members.length, replicationFactor, 1);
    this.replicatedSlots =
        slotsByMember(preferences, members.length, replicationFactor, replicationFactor);
    this.membershipDigest =
        membershipDigest(members, virtualNodesPerMember, configuredReplicationFactor);
    this.placementDigest = placementDigest(ids, preferences, replicationFactor, demoted);
  }

  /**
   * Builds the ring for a membership. Pure: the same arguments give the same placement on every
   * JVM, whatever the order of {@code members}.
   *
   * <p>Any thread; allocates the tables (about {@code 4 x 16384 x 2 x replicationFactor} bytes) and
   * runs in a few milliseconds for tens of members (50 ms for 1024). Build it aside and publish it
   * through a {@link RingPublisher}.
   *
   * @param epoch the epoch this layout belongs to, {@code >= 0}
   * @param members the members in any order; 1 to {@link #MAX_MEMBERS}, distinct ids and addresses
   * @param virtualNodesPerMember 1 to {@link #MAX_VIRTUAL_NODES_PER_MEMBER}
   * @param replicationFactor the configured number of copies of each slot, {@code >= 1}; a ring
   *     with fewer members keeps one copy on each ({@link #replicationFactor()})
   * @throws IllegalArgumentException if an argument is out of range or two members share an id or
   *     an address
   * @throws NullPointerException if {@code members} or one of them is null
   */
  public static ConsistentHashRing build(
      long epoch, List<Member> members, int virtualNodesPerMember, int replicationFactor) {
    return build(epoch, members, virtualNodesPerMember, replicationFactor, Set.of());
  }

  /**
   * Builds the ring for a membership in which the members named by {@code demotedIds} are demoted:
   * placement is computed exactly as by {@link #build(long, List, int, int)}, then in each slot's
   * preference list the demoted members move to the end, every other member and every demoted one
   * keeping its relative order (a stable partition). A list whose members are all demoted is
   * unchanged. Every lookup ({@link #primaryIndex}, {@link #preference}, {@link #rankOf}, {@link
   * #slotsPrimaryOn}, ...) and {@link #placementDigest()} reflect the reordered lists; the set of
   * members holding each slot is the same as without demotion.
   *
   * <p>Same threading and cost as {@link #build(long, List, int, int)}, plus one pass over the
   * table when something is demoted.
   *
   * @param demotedIds ids of members to demote, each of them a member; may be empty
   * @throws IllegalArgumentException as {@link #build(long, List, int, int)}, or if a demoted id is
   *     not the id of a member
   * @throws NullPointerException if an argument or an element is null
   */
  public static ConsistentHashRing build(
      long epoch,
      List<Member> members,
      int virtualNodesPerMember,
      int replicationFactor,
      Set<String> demotedIds) {
    Objects.requireNonNull(demotedIds, "demotedIds");
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch must be >= 0: " + epoch);
    }
    if (members.isEmpty()) {
      throw new IllegalArgumentException("a ring needs at least one member");
    }
    if (members.size() > MAX_MEMBERS) {
      throw new IllegalArgumentException(
          "a ring takes at most " + MAX_MEMBERS + " members: " + members.size());
    }
    if (virtualNodesPerMember < 1 || virtualNodesPerMember > MAX_VIRTUAL_NODES_PER_MEMBER) {
      throw new IllegalArgumentException(
          "virtualNodesPerMember must be in 1.."
              + MAX_VIRTUAL_NODES_PER_MEMBER
              + ": "
              + virtualNodesPerMember);
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("replicationFactor must be >= 1: " + replicationFactor);
    }
    Member[] sorted = members.toArray(new Member[0]);
    for (Member member : sorted) {
      Objects.requireNonNull(member, "member");
    }
    Member.checkDistinct(members);
    Arrays.sort(sorted, Comparator.comparing(Member::id));
    boolean[] demoted = new boolean[sorted.length];
    for (String id : demotedIds) {
      int index = indexOf(sorted, Objects.requireNonNull(id, "demoted id"));
      if (index < 0) {
        throw new IllegalArgumentException("demoted id '" + id + "' is not a member");
      }
      demoted[index] = true;
    }
    int rf = Math.min(replicationFactor, sorted.length);
    int[] preferences = computePreferences(sorted, virtualNodesPerMember, rf);
    if (!demotedIds.isEmpty()) {
      demoteToTheEnd(preferences, rf, demoted);
    }
    return new ConsistentHashRing(
        epoch, sorted, virtualNodesPerMember, replicationFactor, preferences, demoted);
  }

  /** Binary search by id in members sorted by id. */
  private static int indexOf(Member[] sortedById, String id) {
    int low = 0;
    int high = sortedById.length - 1;
    while (low <= high) {
      int mid = (low + high) >>> 1;
      int cmp = sortedById[mid].id().compareTo(id);
      if (cmp < 0) {
        low = mid + 1;
      } else if (cmp > 0) {
        high = mid - 1;
      } else {
        return mid;
      }
    }
    return -1;
  }

  /**
   * Stable partition of every list: live members first, then demoted ones. When all members of a
   * list are demoted the partition leaves it as it was, which is the documented rule.
   */
  private static void demoteToTheEnd(int[] preferences, int rf, boolean[] demoted) {
    int[] tail = new int[rf];
    for (int base = 0; base < preferences.length; base += rf) {
      int live = 0;
      int dead = 0;
      for (int rank = 0; rank < rf; rank++) {
        int member = preferences[base + rank];
        if (demoted[member]) {
          tail[dead++] = member;
        } else {
          preferences[base + live++] = member;
        }
      }
      System.arraycopy(tail, 0, preferences, base + live, dead);
    }
  }

  /** One point on the ring; only lives during {@link #build}. */
  private record VirtualNode(long position, int member, int index) {}

  private static final Comparator<VirtualNode> CLOCKWISE =
      (a, b) -> {
        int byPosition = Long.compareUnsigned(a.position, b.position);
        if (byPosition != 0) {
          return byPosition;
        }
        // Member indexes follow id order, so equal positions are met in member-id order.
        int byMember = Integer.compare(a.member, b.member);
        return byMember != 0 ? byMember : Integer.compare(a.index, b.index);
      };

  private static int[] computePreferences(Member[] members, int virtualNodesPerMember, int rf) {
    VirtualNode[] nodes = new VirtualNode[members.length * virtualNodesPerMember];
    int n = 0;
    for (int m = 0; m < members.length; m++) {
      String prefix = members[m].id() + "#";
      for (int i = 0; i < virtualNodesPerMember; i++) {
        nodes[n++] = new VirtualNode(StableHash.utf8(prefix + i), m, i);
      }
    }
    Arrays.sort(nodes, CLOCKWISE);
    long[] positions = new long[nodes.length];
    int[] owners = new int[nodes.length];
    for (int i = 0; i < nodes.length; i++) {
      positions[i] = nodes[i].position;
      owners[i] = nodes[i].member;
    }

    int[] preferences = new int[Slots.SLOT_COUNT * rf];
    // seenAt[m] == slot + 1 when member m is already in the list being built for that slot.
    int[] seenAt = new int[members.length];
    for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
      int at = firstAtOrAfter(positions, slotPosition(slot));
      int found = 0;
      int base = slot * rf;
      // rf <= member count, and every member has a virtual node, so this ends within one turn.
      for (int step = 0; found < rf; step++) {
        int owner = owners[(at + step) % owners.length];
        if (seenAt[owner] != slot + 1) {
          seenAt[owner] = slot + 1;
          preferences[base + found++] = owner;
        }
      }
    }
    return preferences;
  }

  /**
   * The ring position of {@code slot}: {@code slot * 2^64 / 16384}, the slots evenly spaced in
   * order. Neighbouring slots thus fall on the same arc between two virtual nodes and share a
   * preference list, so the layout is a few hundred contiguous slot ranges (what {@code CLUSTER
   * SLOTS} reports: about 450 ranges for 3 members), not one range per slot as hashed positions
   * gave; and each member's share is the total length of its arcs, without sampling noise.
   */
  static long slotPosition(int slot) {
    return (long) slot << (Long.SIZE - 14);
  }

  /** Index of the first position {@code >= target} (unsigned), or 0 if there is none (wrap). */
  private static int firstAtOrAfter(long[] sortedUnsigned, long target) {
    int low = 0;
    int high = sortedUnsigned.length;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (Long.compareUnsigned(sortedUnsigned[mid], target) < 0) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low == sortedUnsigned.length ? 0 : low;
  }

  /** For each member, the ascending slots where it holds one of the first {@code ranks} ranks. */
  private static int[][] slotsByMember(int[] preferences, int memberCount, int rf, int ranks) {
    int[] counts = new int[memberCount];
    for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
      for (int rank = 0; rank < ranks; rank++) {
        counts[preferences[slot * rf + rank]]++;
      }
    }
    int[][] slots = new int[memberCount][];
    for (int m = 0; m < memberCount; m++) {
      slots[m] = new int[counts[m]];
    }
    int[] filled = new int[memberCount];
    for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
      for (int rank = 0; rank < ranks; rank++) {
        int m = preferences[slot * rf + rank];
        slots[m][filled[m]++] = slot;
      }
    }
    return slots;
  }

  /**
   * The layout: "dcring1", member count, then per member (id order) id, host, port, then the
   * virtual-node count and the configured replication factor. Ints are 4 bytes big-endian, strings
   * are their UTF-8 length then bytes.
   */
  private static long membershipDigest(Member[] members, int virtualNodesPerMember, int rf) {
    byte[][] idBytes = new byte[members.length][];
    byte[][] hostBytes = new byte[members.length][];
    int size = 7 + 4 + 4 + 4;
    for (int i = 0; i < members.length; i++) {
      idBytes[i] = members[i].id().getBytes(StandardCharsets.UTF_8);
      hostBytes[i] = members[i].host().getBytes(StandardCharsets.UTF_8);
      size += 4 + idBytes[i].length + 4 + hostBytes[i].length + 4;
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put("dcring1".getBytes(StandardCharsets.US_ASCII));
    out.putInt(members.length);
    for (int i = 0; i < members.length; i++) {
      out.putInt(idBytes[i].length).put(idBytes[i]);
      out.putInt(hostBytes[i].length).put(hostBytes[i]);
      out.putInt(members[i].clusterPort());
    }
    out.putInt(virtualNodesPerMember);
    out.putInt(rf);
    return StableHash.bytes(out.array());
  }

  /**
   * The layout: the effective replication factor, then for each slot from 0 and each rank from 0
   * the member's id as UTF-8 length then bytes; then, only when some member is demoted, the number
   * of demoted members and their ids (UTF-8 length then bytes) in id order. Ints are 4 bytes
   * big-endian. Without demotion the layout, and so every pinned digest, is what it always was;
   * with it, the digest differs even where reordering left every list unchanged (all members of
   * every list demoted), because the demotion itself changes what a node must do with a slot.
   */
  static long placementDigest(String[] ids, int[] preferences, int rf, boolean[] demoted) {
    byte[][] idBytes = new byte[ids.length][];
    for (int i = 0; i < ids.length; i++) {
      idBytes[i] = ids[i].getBytes(StandardCharsets.UTF_8);
    }
    int size = 4;
    for (int member : preferences) {
      size += 4 + idBytes[member].length;
    }
    int demotedCount = 0;
    for (int i = 0; i < ids.length; i++) {
      if (demoted[i]) {
        demotedCount++;
        size += 4 + idBytes[i].length;
      }
    }
    if (demotedCount > 0) {
      size += 4;
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.putInt(rf);
    for (int member : preferences) {
      out.putInt(idBytes[member].length).put(idBytes[member]);
    }
    if (demotedCount > 0) {
      out.putInt(demotedCount);
      for (int i = 0; i < ids.length; i++) {
        if (demoted[i]) {
          out.putInt(idBytes[i].length).put(idBytes[i]);
        }
      }
    }
    return StableHash.bytes(out.array());
  }

  /** The epoch this snapshot was built for. */
  public long epoch() {
    return epoch;
  }

  /** The members sorted by id; index {@code i} of this list is member index {@code i}. */
  public List<Member> members() {
    return memberList;
  }

  /** The number of members. */
  public int memberCount() {
    return members.length;
  }

  /** The number of copies of each slot: {@code min(configuredReplicationFactor(), memberCount())}. */
  public int replicationFactor() {
    return replicationFactor;
  }

  /** The replication factor the ring was built with, which may exceed the member count. */
  public int configuredReplicationFactor() {
    return configuredReplicationFactor;
  }

  /** The number of virtual nodes of each member. */
  public int virtualNodesPerMember() {
    return virtualNodesPerMember;
  }

  /** The index of the member with this id, or -1 if there is none. Does not allocate. */
  public int memberIndex(String id) {
    int index = Arrays.binarySearch(ids, id);
    return index >= 0 ? index : -1;
  }

  /**
   * Whether the member at {@code memberIndex} is demoted: it keeps its copies but sits after every
   * live member of each preference list it is in. Does not allocate.
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= memberIndex < memberCount()}
   */
  public boolean isDemoted(int memberIndex) {
    return demoted[memberIndex];
  }

  /** The ids of the demoted members, in id order; unmodifiable, empty if none is demoted. */
  public Set<String> demotedIds() {
    return demotedIds;
  }

  /**
   * The member at {@code index}.
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= index < memberCount()}
   */
  public Member member(int index) {
    return members[index];
  }

  /**
   * The index of {@code slot}'s primary. Does not allocate.
   *
   * @throws IndexOutOfBoundsException if {@code slot} is not in 0..16383
   */
  public int primaryIndex(int slot) {
    return preferences[checkSlot(slot) * replicationFactor];
  }

  /**
   * {@code slot}'s primary.
   *
   * @throws IndexOutOfBoundsException if {@code slot} is not in 0..16383
   */
  public Member primary(int slot) {
    return members[primaryIndex(slot)];
  }

  /**
   * The index of the member at {@code rank} in {@code slot}'s preference list (0 = primary). Does
   * not allocate.
   *
   * @throws IndexOutOfBoundsException if {@code slot} is not in 0..16383 or {@code rank} not in
   *     {@code 0..replicationFactor()-1}
   */
  public int preference(int slot, int rank) {
    checkSlot(slot);
    if (rank < 0 || rank >= replicationFactor) {
      throw new IndexOutOfBoundsException(
          "rank must be in 0.." + (replicationFactor - 1) + ": " + rank);
    }
    return preferences[slot * replicationFactor + rank];
  }

  /**
   * The member indexes of {@code slot}'s preference list in rank order, as a new array the caller
   * owns. Use {@link #preference} to avoid the allocation.
   *
   * @throws IndexOutOfBoundsException if {@code slot} is not in 0..16383
   */
  public int[] preferenceIndexes(int slot) {
    int from = checkSlot(slot) * replicationFactor;
    return Arrays.copyOfRange(preferences, from, from + replicationFactor);
  }

  /**
   * {@code slot}'s preference list in rank order, primary first (allocates the list).
   *
   * @throws IndexOutOfBoundsException if {@code slot} is not in 0..16383
   */
  public List<Member> preferenceList(int slot) {
    int from = checkSlot(slot) * replicationFactor;
    List<Member> list = new ArrayList<>(replicationFactor);
    for (int rank = 0; rank < replicationFactor; rank++) {
      list.add(members[preferences[from + rank]]);
    }
    return List.copyOf(list);
  }

  /**
   * Whether the member at {@code memberIndex} holds a copy of {@code slot}. Does not allocate.
   *
   * @throws IndexOutOfBoundsException if {@code slot} is not in 0..16383
   */
  public boolean replicates(int memberIndex, int slot) {
    return rankOf(memberIndex, slot) >= 0;
  }

  /**
   * The rank of the member at {@code memberIndex} in {@code slot}'s preference list: 0 for the
   * primary, -1 if it holds no copy (also for an index that is not a member). Does not allocate.
   *
   * @throws IndexOutOfBoundsException if {@code slot} is not in 0..16383
   */
  public int rankOf(int memberIndex, int slot) {
    int from = checkSlot(slot) * replicationFactor;
    for (int rank = 0; rank < replicationFactor; rank++) {
      if (preferences[from + rank] == memberIndex) {
        return rank;
      }
    }
    return -1;
  }

  /**
   * The slots the member at {@code memberIndex} holds a copy of (any rank), ascending, as a new
   * array the caller owns.
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= memberIndex < memberCount()}
   */
  public int[] slotsReplicatedBy(int memberIndex) {
    return replicatedSlots[memberIndex].clone();
  }

  /**
   * The slots the member at {@code memberIndex} is primary of, ascending, as a new array the caller
   * owns.
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= memberIndex < memberCount()}
   */
  public int[] slotsPrimaryOn(int memberIndex) {
    return primarySlots[memberIndex].clone();
  }

  /** How many slots the member at {@code memberIndex} is primary of. Does not allocate. */
  public int primarySlotCount(int memberIndex) {
    return primarySlots[memberIndex].length;
  }

  /** How many slots the member at {@code memberIndex} holds a copy of. Does not allocate. */
  public int replicatedSlotCount(int memberIndex) {
    return replicatedSlots[memberIndex].length;
  }

  /**
   * A stable 64-bit digest of the configuration: the members (id, host, port) in id order, the
   * virtual-node count and the configured replication factor, but not the epoch nor the demoted
   * members (failure is a state, not configuration; {@link #placementDigest()} covers it). Two
   * nodes configured alike get equal digests on any JVM; a node can compare it with a peer's to
   * detect a different {@code --members} list early.
   */
  public long membershipDigest() {
    return membershipDigest;
  }

  /**
   * A stable 64-bit digest of all 16384 preference lists (by member id, in rank order) and of the
   * demoted ids. Equal digests mean equal placement; unlike {@link #membershipDigest()} it ignores
   * addresses. With nothing demoted it is the digest of the lists alone, as pinned by the test
   * vectors.
   */
  public long placementDigest() {
    return placementDigest;
  }

  /**
   * Epoch, replication, virtual nodes, digests, each member's primary and replicated slots (the
   * first 16 members), and the demoted ids if any.
   */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(64 + 48 * Math.min(members.length, 16));
    sb.append("ConsistentHashRing{epoch=")
        .append(epoch)
        .append(", rf=")
        .append(replicationFactor);
    if (replicationFactor != configuredReplicationFactor) {
      sb.append(" (configured ").append(configuredReplicationFactor).append(')');
    }
    sb.append(", vnodes=")
        .append(virtualNodesPerMember)
        .append(", membershipDigest=")
        .append(hex(membershipDigest))
        .append(", placementDigest=")
        .append(hex(placementDigest))
        .append(", members=[");
    int shown = Math.min(members.length, 16);
    for (int i = 0; i < shown; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(members[i].spec())
          .append(" primary=")
          .append(primarySlots[i].length)
          .append(" copies=")
          .append(replicatedSlots[i].length);
    }
    if (shown < members.length) {
      sb.append(", ... ").append(members.length - shown).append(" more");
    }
    sb.append(']');
    if (!demotedIds.isEmpty()) {
      sb.append(", demoted=").append(demotedIds);
    }
    return sb.append('}').toString();
  }

  private static String hex(long value) {
    return String.format(Locale.ROOT, "0x%016x", value);
  }

  private static int checkSlot(int slot) {
    if (slot < 0 || slot >= Slots.SLOT_COUNT) {
      throw new IndexOutOfBoundsException(
          "slot must be in 0.." + (Slots.SLOT_COUNT - 1) + ": " + slot);
    }
    return slot;
  }
}
