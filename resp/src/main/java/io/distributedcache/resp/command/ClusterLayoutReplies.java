package io.distributedcache.resp.command;

import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.resp.codec.RespWriter;
import io.distributedcache.resp.command.ClusterLayout.SlotRange;
import io.distributedcache.resp.server.ClusterTopology.ClientAddress;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes the Redis Cluster topology replies from one {@link ClusterLayout}, in the Redis 7.4
 * formats (cluster.c / cluster_legacy.c): {@code CLUSTER SLOTS}, {@code SHARDS}, {@code NODES},
 * {@code INFO} and {@code MYSHARDID}.
 *
 * <p>Stateless; called on the connection's event loop. How our node ids, names, slot ranges and
 * unannounced members appear in these replies is described on {@link ClusterLayout}.
 */
final class ClusterLayoutReplies {

  private ClusterLayoutReplies() {}

  /**
   * {@code CLUSTER SLOTS}: per range, start, end, then the client-facing primary and the replicas
   * in rank order, failed replicas left out. Each node is {@code [host, port, id, {hostname:
   * name}]}, as Redis 7 writes it with {@code cluster-preferred-endpoint-type ip} and a hostname.
   */
  static void slots(ClusterLayout layout, RespWriter w, ByteBuf out) {
    List<SlotRange> ranges = layout.ranges();
    List<List<Integer>> facing = new ArrayList<>(ranges.size());
    int count = 0;
    for (SlotRange range : ranges) {
      List<Integer> members = layout.clientFacing(range.members(), false);
      facing.add(members);
      if (!members.isEmpty()) {
        count++;
      }
    }
    w.arrayHeader(out, count);
    for (int i = 0; i < ranges.size(); i++) {
      List<Integer> members = facing.get(i);
      if (members.isEmpty()) {
        continue;
      }
      SlotRange range = ranges.get(i);
      w.arrayHeader(out, 2 + members.size());
      w.integer(out, range.start);
      w.integer(out, range.end);
      for (int m : members) {
        ClientAddress address = layout.address(m);
        String id = layout.id(m);
        w.arrayHeader(out, 4);
        w.bulk(out, address.host());
        w.integer(out, address.port());
        w.bulk(out, ClusterLayout.redisNodeId(id));
        w.mapHeader(out, 1);
        w.bulk(out, "hostname");
        w.bulk(out, id);
      }
    }
  }

  /**
   * {@code CLUSTER SHARDS}: one shard per distinct preference list, its ranges as flat start/end
   * pairs, its client-facing members (failed ones kept, health {@code fail}) as node maps.
   */
  static void shards(ClusterLayout layout, RespWriter w, ByteBuf out) {
    Map<List<Integer>, List<SlotRange>> shards = layout.shards();
    List<List<Integer>> facing = new ArrayList<>(shards.size());
    for (List<Integer> preference : shards.keySet()) {
      facing.add(layout.clientFacing(toArray(preference), true));
    }
    w.arrayHeader(out, shards.size());
    int i = 0;
    for (List<SlotRange> ranges : shards.values()) {
      List<Integer> members = facing.get(i++);
      w.mapHeader(out, 2);
      w.bulk(out, "slots");
      w.arrayHeader(out, 2 * ranges.size());
      for (SlotRange range : ranges) {
        w.integer(out, range.start);
        w.integer(out, range.end);
      }
      w.bulk(out, "nodes");
      w.arrayHeader(out, members.size());
      for (int rank = 0; rank < members.size(); rank++) {
        int m = members.get(rank);
        ClientAddress address = layout.address(m);
        String id = layout.id(m);
        w.mapHeader(out, 8);
        w.bulk(out, "id");
        w.bulk(out, ClusterLayout.redisNodeId(id));
        w.bulk(out, "port");
        w.integer(out, address.port());
        w.bulk(out, "ip");
        w.bulk(out, address.host());
        w.bulk(out, "endpoint");
        w.bulk(out, address.host());
        w.bulk(out, "hostname");
        w.bulk(out, id);
        w.bulk(out, "role");
        w.bulk(out, rank == 0 ? "master" : "replica");
        // Replicas receive states, not a replication stream: there is no offset to report.
        w.bulk(out, "replication-offset");
        w.integer(out, 0);
        w.bulk(out, "health");
        w.bulk(out, layout.failed(m) || !layout.reachable(m) ? "fail" : "online");
      }
    }
  }

  /**
   * {@code CLUSTER NODES}: one line per member, every one a {@code master} that owns the slots it
   * is the client-facing primary of.
   *
   * <p>The format has one master per node and lists a replica's master, so it cannot say that a
   * member is primary of some ranges and replica of others, with different partners per range: our
   * replicas are therefore not shown here. Clients that read replicas must use {@code CLUSTER
   * SLOTS} or {@code CLUSTER SHARDS}. Unlike Redis 7 with a hostname configured, the address has
   * no {@code ,hostname} suffix: Lettuce's parser connects to that hostname when present, and our
   * member names are not host names.
   */
  static String nodes(ClusterLayout layout) {
    ConsistentHashRing ring = layout.ring();
    List<List<int[]>> primaryRanges = layout.clientPrimaryRangesByMember();
    StringBuilder sb = new StringBuilder(256 + 64 * Slots.SLOT_COUNT / 8);
    for (int m = 0; m < ring.memberCount(); m++) {
      String id = layout.id(m);
      ClientAddress address = layout.address(m);
      sb.append(ClusterLayout.redisNodeId(id)).append(' ');
      if (address == null) {
        sb.append(":0@").append(ring.member(m).clusterPort());
      } else {
        sb.append(address.host()).append(':').append(address.port()).append('@')
            .append(ring.member(m).clusterPort());
      }
      // No ",hostname" suffix: Lettuce connects to that name when present, and ours need not
      // resolve. The name is in CLUSTER SLOTS and SHARDS.
      sb.append(' ');
      if (m == layout.selfIndex()) {
        sb.append("myself,");
      }
      sb.append("master");
      if (layout.failed(m)) {
        sb.append(",fail");
      }
      if (address == null) {
        sb.append(",noaddr");
      }
      sb.append(" - 0 0 ").append(ring.epoch()).append(' ')
          .append(layout.reachable(m) ? "connected" : "disconnected");
      for (int[] range : primaryRanges.get(m)) {
        sb.append(' ').append(range[0]);
        if (range[1] != range[0]) {
          sb.append('-').append(range[1]);
        }
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /**
   * {@code CLUSTER INFO}: Redis' fields, then ours prefixed {@code dc_}. Returns a mutable list so
   * a caller can append lines of its own (figures this module does not know) before {@link
   * #joinInfo} turns them into the reply text.
   */
  static List<String> infoLines(ClusterLayout layout) {
    ConsistentHashRing ring = layout.ring();
    int ok = 0;
    int pfail = 0;
    int fail = 0;
    for (SlotRange range : layout.ranges()) {
      int primary = range.members()[0];
      int slots = range.end - range.start + 1;
      if (layout.failed(primary)) {
        fail += slots;
      } else if (!layout.reachable(primary)) {
        pfail += slots;
      } else {
        ok += slots;
      }
    }
    int size = 0;
    for (int m = 0; m < ring.memberCount(); m++) {
      if (ring.primarySlotCount(m) > 0) {
        size++;
      }
    }
    int self = layout.selfIndex();
    List<String> lines = new ArrayList<>(24);
    lines.add("cluster_state:" + (ok == Slots.SLOT_COUNT ? "ok" : "fail"));
    lines.add("cluster_slots_assigned:" + Slots.SLOT_COUNT);
    lines.add("cluster_slots_ok:" + ok);
    lines.add("cluster_slots_pfail:" + pfail);
    lines.add("cluster_slots_fail:" + fail);
    lines.add("cluster_known_nodes:" + ring.memberCount());
    lines.add("cluster_size:" + size);
    lines.add("cluster_current_epoch:" + ring.epoch());
    lines.add("cluster_my_epoch:" + ring.epoch());
    lines.add("dc_ring_epoch:" + ring.epoch());
    lines.add("dc_node_name:" + layout.selfId());
    lines.add("dc_replication_factor:" + ring.replicationFactor());
    lines.add("dc_configured_replication_factor:" + ring.configuredReplicationFactor());
    lines.add("dc_virtual_nodes_per_member:" + ring.virtualNodesPerMember());
    lines.add("dc_slot_ranges:" + layout.ranges().size());
    lines.add("dc_slots_primary_here:" + (self < 0 ? 0 : ring.primarySlotCount(self)));
    lines.add("dc_slots_replicated_here:" + (self < 0 ? 0 : ring.replicatedSlotCount(self)));
    lines.add(String.format(Locale.ROOT, "dc_placement_digest:%016x", ring.placementDigest()));
    return lines;
  }

  /** The {@code CLUSTER INFO} text: the lines joined by CRLF, with a final CRLF, as Redis does. */
  static String joinInfo(List<String> lines) {
    StringBuilder sb = new StringBuilder(32 * lines.size());
    for (String line : lines) {
      sb.append(line).append("\r\n");
    }
    return sb.toString();
  }

  /**
   * {@code CLUSTER MYSHARDID}: the {@link ClusterLayout#shardId} of the preference list of the
   * first slot this node is primary of, or of this node alone when it is primary of none.
   */
  static String myShardId(ClusterLayout layout) {
    ConsistentHashRing ring = layout.ring();
    int self = layout.selfIndex();
    if (self < 0 || ring.primarySlotCount(self) == 0) {
      return ClusterLayout.shardId(List.of(layout.selfId()));
    }
    int slot = ring.slotsPrimaryOn(self)[0];
    List<String> ids = new ArrayList<>(ring.replicationFactor());
    for (int rank = 0; rank < ring.replicationFactor(); rank++) {
      ids.add(ring.member(ring.preference(slot, rank)).id());
    }
    return ClusterLayout.shardId(ids);
  }

  private static int[] toArray(List<Integer> list) {
    int[] array = new int[list.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = list.get(i);
    }
    return array;
  }
}
