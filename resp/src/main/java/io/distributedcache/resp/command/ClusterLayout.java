package io.distributedcache.resp.command;

import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.resp.server.ClusterTopology;
import io.distributedcache.resp.server.ClusterTopology.ClientAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One consistent picture of the cluster for one Redis Cluster reply ({@code CLUSTER SLOTS},
 * {@code SHARDS}, {@code NODES}, {@code INFO}): the ring read once from the {@link
 * ClusterTopology}, and for each of its members the address, failed and reachable flags read once.
 *
 * <h2>How our layout maps onto Redis Cluster's</h2>
 *
 * <ul>
 *   <li><b>Node ids.</b> Redis node ids are 40 lower-case hex characters; ours are names such as
 *       {@code n1}. Every CLUSTER reply reports {@link #redisNodeId}: the SHA-1 of the UTF-8 name,
 *       in hex. The name itself goes where the Redis 7 format has a hostname: the {@code hostname}
 *       entry of the metadata map of {@code CLUSTER SLOTS} and the {@code hostname} field of
 *       {@code CLUSTER SHARDS}. Not in {@code CLUSTER NODES}: Lettuce would connect to its {@code
 *       ,hostname} address suffix instead of the IP, and our names are not host names.
 *   <li><b>Ranges.</b> A slot's preference list (primary, then replicas in rank order) plays the
 *       part of a Redis shard. Slots sit on the ring by hash, so neighbouring slots rarely share a
 *       list: expect thousands of ranges, not one per node as in Redis.
 *   <li><b>Client-facing members.</b> A member whose client address is not known yet is left out
 *       of every reply. When that is a slot's primary, the next member of the list with an address
 *       is reported in its place: any member serves any slot by forwarding, and the {@code -MOVED}
 *       check ({@link RedisClusterCommands#redirected}) serves rather than redirects while the
 *       primary's address is unknown, so a client sent there is not bounced back. A range none of
 *       whose members has an address is left out.
 * </ul>
 *
 * <p>Thread-safety: immutable once built; built on the calling event loop per command (a few
 * hundred microseconds: one pass over the 16384 slots).
 */
public final class ClusterLayout {

  private static final Map<String, String> REDIS_IDS = new ConcurrentHashMap<>();

  private final ConsistentHashRing ring;
  private final String selfId;
  private final int self;
  private final ClientAddress[] addresses;
  private final boolean[] failed;
  private final boolean[] reachable;
  private final List<SlotRange> ranges;

  private ClusterLayout(ClusterTopology topology) {
    this.ring = topology.ring();
    this.selfId = topology.selfId();
    this.self = ring.memberIndex(selfId);
    int n = ring.memberCount();
    this.addresses = new ClientAddress[n];
    this.failed = new boolean[n];
    this.reachable = new boolean[n];
    for (int m = 0; m < n; m++) {
      String id = ring.member(m).id();
      addresses[m] = topology.clientAddress(id);
      failed[m] = topology.isFailed(id);
      reachable[m] = m == self || topology.isReachable(id);
    }
    this.ranges = Collections.unmodifiableList(rangesOf(ring));
  }

  /** Takes one picture of {@code topology}; see the class comment. */
  public static ClusterLayout of(ClusterTopology topology) {
    return new ClusterLayout(topology);
  }

  /**
   * The Redis Cluster node id we report for {@code memberId}: SHA-1 of its UTF-8 bytes as 40
   * lower-case hex characters. Stable across nodes, restarts and versions; any thread.
   */
  public static String redisNodeId(String memberId) {
    return REDIS_IDS.computeIfAbsent(memberId, ClusterLayout::sha1Hex);
  }

  /**
   * The Redis shard id we report for a preference list: SHA-1 (hex) of the member ids sorted and
   * joined by commas, so it does not depend on which member is primary now.
   */
  public static String shardId(Collection<String> memberIds) {
    List<String> sorted = new ArrayList<>(memberIds);
    Collections.sort(sorted);
    return sha1Hex(String.join(",", sorted));
  }

  private static String sha1Hex(String text) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(sha1.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
  }

  /** Maximal runs of consecutive slots with the same preference list, in slot order. */
  private static List<SlotRange> rangesOf(ConsistentHashRing ring) {
    int rf = ring.replicationFactor();
    List<SlotRange> ranges = new ArrayList<>();
    int start = 0;
    for (int slot = 1; slot <= Slots.SLOT_COUNT; slot++) {
      if (slot == Slots.SLOT_COUNT || !samePreferences(ring, rf, start, slot)) {
        ranges.add(new SlotRange(start, slot - 1, ring.preferenceIndexes(start)));
        start = slot;
      }
    }
    return ranges;
  }

  private static boolean samePreferences(ConsistentHashRing ring, int rf, int a, int b) {
    for (int rank = 0; rank < rf; rank++) {
      if (ring.preference(a, rank) != ring.preference(b, rank)) {
        return false;
      }
    }
    return true;
  }

  /** The ring this picture was taken of. */
  public ConsistentHashRing ring() {
    return ring;
  }

  /** This node's member id. */
  public String selfId() {
    return selfId;
  }

  /** This node's member index in {@link #ring()}, or -1 if it is not a member of it. */
  int selfIndex() {
    return self;
  }

  /** The maximal runs of slots sharing a preference list, covering 0..16383 in order. */
  List<SlotRange> ranges() {
    return ranges;
  }

  /** The ranges grouped by preference list, each group in slot order, groups in first-slot order. */
  Map<List<Integer>, List<SlotRange>> shards() {
    Map<List<Integer>, List<SlotRange>> shards = new LinkedHashMap<>();
    for (SlotRange range : ranges) {
      shards.computeIfAbsent(range.memberList(), k -> new ArrayList<>()).add(range);
    }
    return shards;
  }

  String id(int member) {
    return ring.member(member).id();
  }

  ClientAddress address(int member) {
    return addresses[member];
  }

  boolean failed(int member) {
    return failed[member];
  }

  boolean reachable(int member) {
    return reachable[member];
  }

  /**
   * The members of a preference list as clients should see them, first the one to send writes to:
   * members without a client address are left out (so the first one with an address stands in for
   * an unannounced primary), and so are failed members after the first, when {@code keepFailed} is
   * false. Empty when no member has an address.
   */
  List<Integer> clientFacing(int[] preference, boolean keepFailed) {
    List<Integer> members = new ArrayList<>(preference.length);
    for (int m : preference) {
      if (addresses[m] == null || (!keepFailed && !members.isEmpty() && failed[m])) {
        continue;
      }
      members.add(m);
    }
    return members;
  }

  /**
   * For each member index, the slots clients are told it serves as primary (the ranges whose
   * {@link #clientFacing} list, failed members kept, starts with it), as inclusive {@code {start,
   * end}} pairs in slot order with adjacent ranges merged.
   */
  List<List<int[]>> clientPrimaryRangesByMember() {
    List<List<int[]>> byMember = new ArrayList<>(addresses.length);
    for (int m = 0; m < addresses.length; m++) {
      byMember.add(new ArrayList<>());
    }
    for (SlotRange range : ranges) {
      List<Integer> facing = clientFacing(range.members, true);
      if (facing.isEmpty()) {
        continue;
      }
      List<int[]> result = byMember.get(facing.get(0));
      int[] last = result.isEmpty() ? null : result.get(result.size() - 1);
      if (last != null && last[1] + 1 == range.start) {
        last[1] = range.end;
      } else {
        result.add(new int[] {range.start, range.end});
      }
    }
    return byMember;
  }

  /**
   * Slots {@code start..end} (inclusive) sharing one preference list of member indexes, primary
   * first.
   */
  static final class SlotRange {
    final int start;
    final int end;
    private final int[] members;

    SlotRange(int start, int end, int[] members) {
      this.start = start;
      this.end = end;
      this.members = members;
    }

    /** The member indexes in rank order (a copy). */
    int[] members() {
      return members.clone();
    }

    List<Integer> memberList() {
      List<Integer> list = new ArrayList<>(members.length);
      for (int m : members) {
        list.add(m);
      }
      return List.copyOf(list);
    }

    @Override
    public String toString() {
      return start + "-" + end + " " + Arrays.toString(members);
    }
  }
}
