package io.distributedcache.resp.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import io.distributedcache.core.time.ManualClock;
import io.distributedcache.resp.codec.RespDecoder;
import io.distributedcache.resp.command.ClusterLayout;
import io.distributedcache.resp.server.ClusterTopology.ClientAddress;
import io.distributedcache.resp.server.RespReplies.Error;
import io.lettuce.core.cluster.models.partitions.ClusterPartitionParser;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Redis Cluster commands (CLUSTER SLOTS / SHARDS / NODES / INFO / MYID / MYSHARDID / KEYSLOT /
 * COUNTKEYSINSLOT / GETKEYSINSLOT, READONLY, READWRITE, ASKING) and {@code -MOVED}, through the
 * real connection handler on an embedded channel, over a fake topology around a real ring.
 */
class RedisClusterCommandsTest {

  private final ManualClock clock = new ManualClock(1_000_000_000L, 1_700_000_000_000L);

  private static ConsistentHashRing ring(int members, int replicationFactor) {
    List<Member> list = new ArrayList<>();
    for (int i = 1; i <= members; i++) {
      list.add(new Member("n" + i, "10.0.0." + i, 17000 + i));
    }
    return ConsistentHashRing.build(7, list, 150, replicationFactor);
  }

  /** A node "n1" of a ring of {@code members}, each member reachable at 10.0.0.i:7000+i. */
  private FakeClusterTopology topology(int members, int replicationFactor) {
    FakeClusterTopology topology =
        new FakeClusterTopology("n1", ring(members, replicationFactor));
    for (int i = 1; i <= members; i++) {
      topology.addresses.put("n" + i, new ClientAddress("10.0.0." + i, 7000 + i));
    }
    return topology;
  }

  private NodeContext node(ClusterTopology topology) {
    NodeContext node =
        RespServer.standalone(ServerSettings.defaults(), clock, clock, new SplittableRandom(7))
            .node();
    node.topology(topology);
    return node;
  }

  private static EmbeddedChannel connect(NodeContext node) {
    RespDecoder decoder = new RespDecoder(node.settings().limits());
    return new EmbeddedChannel(decoder, new RespConnectionHandler(node, decoder));
  }

  private static Object call(EmbeddedChannel ch, String... args) {
    StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
    for (String a : args) {
      sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a)
          .append("\r\n");
    }
    ch.writeInbound(Unpooled.copiedBuffer(sb.toString(), StandardCharsets.UTF_8));
    ByteBuf all = Unpooled.buffer();
    ByteBuf out;
    while ((out = ch.readOutbound()) != null) {
      all.writeBytes(out);
      out.release();
    }
    return RespReplies.parseOne(ByteBufUtil.getBytes(all));
  }

  private static String sha1(String s) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  private static List<String> preference(ConsistentHashRing ring, int slot) {
    List<String> ids = new ArrayList<>();
    for (Member m : ring.preferenceList(slot)) {
      ids.add(m.id());
    }
    return ids;
  }

  /** A RESP3 map, or a RESP2 flat array of pairs, as a map. */
  @SuppressWarnings("unchecked")
  private static Map<Object, Object> asMap(Object value) {
    if (value instanceof Map) {
      return (Map<Object, Object>) value;
    }
    List<Object> flat = (List<Object>) value;
    Map<Object, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < flat.size(); i += 2) {
      map.put(flat.get(i), flat.get(i + 1));
    }
    return map;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object value) {
    assertThat(value).isInstanceOf(List.class);
    return (List<Object>) value;
  }

  private static String firstKeyWhere(java.util.function.IntPredicate slotTest) {
    for (int i = 0; ; i++) {
      String key = "key:" + i;
      if (slotTest.test(Slots.slot(key.getBytes(StandardCharsets.UTF_8)))) {
        return key;
      }
    }
  }

  @ParameterizedTest(name = "{0} members, replication factor {1}, RESP{2}")
  @CsvSource({"3,3,2", "3,3,3", "4,2,2", "5,3,3", "5,3,2"})
  void slotsCoverEverySlotOnceWithThePrimaryThenTheReplicasInRankOrder(
      int members, int replicationFactor, int protocol) throws Exception {
    FakeClusterTopology topology = topology(members, replicationFactor);
    ConsistentHashRing ring = topology.ring();
    EmbeddedChannel ch = connect(node(topology));
    if (protocol == 3) {
      call(ch, "HELLO", "3");
    }
    List<Object> ranges = list(call(ch, "CLUSTER", "SLOTS"));
    int[] covered = new int[Slots.SLOT_COUNT];
    List<String> previous = null;
    int previousEnd = -1;
    for (Object r : ranges) {
      List<Object> range = list(r);
      int start = ((Long) range.get(0)).intValue();
      int end = ((Long) range.get(1)).intValue();
      assertThat(start).as("ranges in slot order").isEqualTo(previousEnd + 1);
      List<String> names = new ArrayList<>();
      for (Object n : range.subList(2, range.size())) {
        List<Object> node = list(n);
        assertThat(node).hasSize(4);
        String name = (String) asMap(node.get(3)).get("hostname");
        int index = Integer.parseInt(name.substring(1));
        assertThat(node.get(0)).isEqualTo("10.0.0." + index);
        assertThat(node.get(1)).isEqualTo(7000L + index);
        assertThat(node.get(2)).isEqualTo(sha1(name));
        names.add(name);
      }
      for (int slot = start; slot <= end; slot++) {
        covered[slot]++;
        assertThat(names).as("slot %d", slot).isEqualTo(preference(ring, slot));
        assertThat(names.get(0)).isEqualTo(ring.member(ring.primaryIndex(slot)).id());
      }
      assertThat(names).as("ranges are maximal").isNotEqualTo(previous);
      previous = names;
      previousEnd = end;
    }
    assertThat(previousEnd).isEqualTo(Slots.SLOT_COUNT - 1);
    assertThat(covered).containsOnly(1);
  }

  @Test
  void slotsLeaveOutFailedReplicasAndLetTheNextMemberStandInForAnUnannouncedPrimary() {
    FakeClusterTopology topology = topology(4, 3);
    topology.failed.add("n2");
    topology.addresses.remove("n3");
    ConsistentHashRing ring = topology.ring();
    EmbeddedChannel ch = connect(node(topology));
    int[] covered = new int[Slots.SLOT_COUNT];
    boolean sawStandIn = false;
    for (Object r : list(call(ch, "CLUSTER", "SLOTS"))) {
      List<Object> range = list(r);
      List<String> names = new ArrayList<>();
      for (Object n : range.subList(2, range.size())) {
        names.add((String) asMap(list(n).get(3)).get("hostname"));
      }
      for (int slot = ((Long) range.get(0)).intValue(); slot <= (Long) range.get(1); slot++) {
        covered[slot]++;
        List<String> expected = new ArrayList<>();
        for (String id : preference(ring, slot)) {
          if (!id.equals("n3") && (expected.isEmpty() || !id.equals("n2"))) {
            expected.add(id);
          }
        }
        assertThat(names).as("slot %d", slot).isEqualTo(expected);
        sawStandIn |= preference(ring, slot).get(0).equals("n3");
      }
    }
    assertThat(covered).containsOnly(1);
    assertThat(sawStandIn).isTrue();
  }

  @Test
  void nodesListsEveryMemberAsAMasterOfTheSlotsItIsPrimaryOfAndLettuceParsesIt() {
    FakeClusterTopology topology = topology(4, 3);
    topology.failed.add("n2");
    topology.unreachable.add("n4");
    ConsistentHashRing ring = topology.ring();
    EmbeddedChannel ch = connect(node(topology));
    String text = (String) call(ch, "CLUSTER", "NODES");
    assertThat(text).endsWith("\n");
    String[] lines = text.split("\n");
    assertThat(lines).hasSize(4);
    String[] owner = new String[Slots.SLOT_COUNT];
    Map<String, String[]> byName = new HashMap<>();
    for (String line : lines) {
      String[] f = line.split(" ");
      int index = Integer.parseInt(f[1].substring("10.0.0.".length(), f[1].indexOf(':')));
      String name = "n" + index;
      byName.put(name, f);
      assertThat(f[0]).isEqualTo(ClusterLayout.redisNodeId(name)).hasSize(40);
      assertThat(f[1]).isEqualTo("10.0.0." + index + ":" + (7000 + index) + "@" + (17000 + index));
      assertThat(f[3]).isEqualTo("-");
      assertThat(f[6]).isEqualTo("7");
      for (int i = 8; i < f.length; i++) {
        String[] bounds = f[i].split("-");
        int start = Integer.parseInt(bounds[0]);
        int end = Integer.parseInt(bounds[bounds.length - 1]);
        for (int slot = start; slot <= end; slot++) {
          assertThat(owner[slot]).as("slot %d listed once", slot).isNull();
          owner[slot] = name;
        }
      }
    }
    for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
      assertThat(owner[slot]).as("slot %d", slot).isEqualTo(ring.primary(slot).id());
    }
    assertThat(byName.get("n1")[2]).isEqualTo("myself,master");
    assertThat(byName.get("n2")[2]).isEqualTo("master,fail");
    assertThat(byName.get("n3")[2]).isEqualTo("master");
    assertThat(byName.get("n1")[7]).isEqualTo("connected");
    assertThat(byName.get("n4")[7]).isEqualTo("disconnected");

    Partitions partitions = ClusterPartitionParser.parse(text);
    partitions.updateCache();
    assertThat(partitions.size()).isEqualTo(4);
    for (int slot = 0; slot < Slots.SLOT_COUNT; slot += 7) {
      RedisClusterNode node = partitions.getPartitionBySlot(slot);
      Member primary = ring.primary(slot);
      assertThat(node.getNodeId()).isEqualTo(ClusterLayout.redisNodeId(primary.id()));
      assertThat(node.getUri().getHost()).isEqualTo("10.0.0." + primary.id().substring(1));
      assertThat(node.getUri().getPort()).isEqualTo(7000 + Integer.parseInt(primary.id().substring(1)));
    }
  }

  @Test
  void nodesShowsAnUnannouncedMemberWithoutAddressOrSlots() {
    FakeClusterTopology topology = topology(3, 2);
    topology.addresses.remove("n3");
    EmbeddedChannel ch = connect(node(topology));
    String text = (String) call(ch, "CLUSTER", "NODES");
    String n3 =
        List.of(text.split("\n")).stream()
            .filter(l -> l.startsWith(ClusterLayout.redisNodeId("n3")))
            .findFirst()
            .orElseThrow();
    assertThat(n3)
        .isEqualTo(ClusterLayout.redisNodeId("n3") + " :0@17003 master,noaddr - 0 0 7 connected");
    assertThat(ClusterPartitionParser.parse(text).size()).isEqualTo(3);
  }

  @ParameterizedTest(name = "RESP{0}")
  @CsvSource({"2", "3"})
  void shardsGroupRangesByPreferenceListWithRolesAndHealth(int protocol) {
    FakeClusterTopology topology = topology(4, 3);
    topology.failed.add("n2");
    topology.unreachable.add("n4");
    ConsistentHashRing ring = topology.ring();
    EmbeddedChannel ch = connect(node(topology));
    if (protocol == 3) {
      call(ch, "HELLO", "3");
    }
    List<Object> shards = list(call(ch, "CLUSTER", "SHARDS"));
    Set<List<String>> lists = new HashSet<>();
    for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
      lists.add(preference(ring, slot));
    }
    assertThat(shards).hasSize(lists.size());
    int[] covered = new int[Slots.SLOT_COUNT];
    for (Object s : shards) {
      Map<Object, Object> shard = asMap(s);
      assertThat(shard.keySet()).containsExactly("slots", "nodes");
      List<String> names = new ArrayList<>();
      List<Object> nodes = list(shard.get("nodes"));
      for (int rank = 0; rank < nodes.size(); rank++) {
        Map<Object, Object> node = asMap(nodes.get(rank));
        String name = (String) node.get("hostname");
        int index = Integer.parseInt(name.substring(1));
        assertThat(node.keySet())
            .containsExactly(
                "id", "port", "ip", "endpoint", "hostname", "role", "replication-offset", "health");
        assertThat(node.get("id")).isEqualTo(ClusterLayout.redisNodeId(name));
        assertThat(node.get("port")).isEqualTo(7000L + index);
        assertThat(node.get("ip")).isEqualTo("10.0.0." + index);
        assertThat(node.get("endpoint")).isEqualTo("10.0.0." + index);
        assertThat(node.get("role")).isEqualTo(rank == 0 ? "master" : "replica");
        assertThat(node.get("replication-offset")).isEqualTo(0L);
        assertThat(node.get("health"))
            .isEqualTo(name.equals("n2") || name.equals("n4") ? "fail" : "online");
        names.add(name);
      }
      List<Object> slots = list(shard.get("slots"));
      assertThat(slots.size() % 2).isZero();
      for (int i = 0; i < slots.size(); i += 2) {
        for (int slot = ((Long) slots.get(i)).intValue(); slot <= (Long) slots.get(i + 1); slot++) {
          covered[slot]++;
          assertThat(names).as("slot %d", slot).isEqualTo(preference(ring, slot));
        }
      }
    }
    assertThat(covered).containsOnly(1);
  }

  private static Map<String, String> info(EmbeddedChannel ch) {
    String text = (String) call(ch, "CLUSTER", "INFO");
    assertThat(text).endsWith("\r\n");
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : text.split("\r\n")) {
      int colon = line.indexOf(':');
      fields.put(line.substring(0, colon), line.substring(colon + 1));
    }
    return fields;
  }

  @Test
  void infoReportsStateSlotCountsAndOurOwnFields() {
    FakeClusterTopology topology = topology(4, 3);
    ConsistentHashRing ring = topology.ring();
    EmbeddedChannel ch = connect(node(topology));
    Map<String, String> info = info(ch);
    assertThat(info)
        .containsEntry("cluster_state", "ok")
        .containsEntry("cluster_slots_assigned", "16384")
        .containsEntry("cluster_slots_ok", "16384")
        .containsEntry("cluster_slots_pfail", "0")
        .containsEntry("cluster_slots_fail", "0")
        .containsEntry("cluster_known_nodes", "4")
        .containsEntry("cluster_size", "4")
        .containsEntry("cluster_current_epoch", "7")
        .containsEntry("cluster_my_epoch", "7")
        .containsEntry("dc_ring_epoch", "7")
        .containsEntry("dc_replication_factor", "3")
        .containsEntry("dc_slots_primary_here", String.valueOf(ring.primarySlotCount(0)));
    assertThat(List.copyOf(info.keySet()).subList(0, 9))
        .containsExactly(
            "cluster_state", "cluster_slots_assigned", "cluster_slots_ok", "cluster_slots_pfail",
            "cluster_slots_fail", "cluster_known_nodes", "cluster_size", "cluster_current_epoch",
            "cluster_my_epoch");

    topology.unreachable.add("n3");
    topology.failed.add("n4");
    int n3 = ring.primarySlotCount(ring.memberIndex("n3"));
    int n4 = ring.primarySlotCount(ring.memberIndex("n4"));
    info = info(ch);
    assertThat(info)
        .containsEntry("cluster_state", "fail")
        .containsEntry("cluster_slots_ok", String.valueOf(Slots.SLOT_COUNT - n3 - n4))
        .containsEntry("cluster_slots_pfail", String.valueOf(n3))
        .containsEntry("cluster_slots_fail", String.valueOf(n4));
  }

  @Test
  void myIdAndMyShardIdAre40HexDigits() throws Exception {
    FakeClusterTopology topology = topology(3, 3);
    ConsistentHashRing ring = topology.ring();
    EmbeddedChannel ch = connect(node(topology));
    assertThat(call(ch, "CLUSTER", "MYID")).isEqualTo(sha1("n1"));
    int first = ring.slotsPrimaryOn(ring.memberIndex("n1"))[0];
    List<String> sorted = new ArrayList<>(preference(ring, first));
    java.util.Collections.sort(sorted);
    assertThat(call(ch, "CLUSTER", "MYSHARDID")).isEqualTo(sha1(String.join(",", sorted)));
  }

  @Test
  void movedOnlyInClusterModeAndOnlyForSlotsAnotherMemberIsPrimaryOf() {
    FakeClusterTopology topology = topology(5, 3);
    ConsistentHashRing ring = topology.ring();
    int self = ring.memberIndex("n1");
    String mine = firstKeyWhere(slot -> ring.primaryIndex(slot) == self);
    String replicated =
        firstKeyWhere(slot -> ring.primaryIndex(slot) != self && ring.replicates(self, slot));
    String foreign = firstKeyWhere(slot -> !ring.replicates(self, slot));
    int replicatedSlot = Slots.slot(replicated.getBytes(StandardCharsets.UTF_8));
    int foreignSlot = Slots.slot(foreign.getBytes(StandardCharsets.UTF_8));
    Member replicatedPrimary = ring.primary(replicatedSlot);
    Member foreignPrimary = ring.primary(foreignSlot);
    String movedReplicated =
        "MOVED " + replicatedSlot + " 10.0.0." + replicatedPrimary.id().substring(1) + ":"
            + (7000 + Integer.parseInt(replicatedPrimary.id().substring(1)));
    String movedForeign =
        "MOVED " + foreignSlot + " 10.0.0." + foreignPrimary.id().substring(1) + ":"
            + (7000 + Integer.parseInt(foreignPrimary.id().substring(1)));
    NodeContext node = node(topology);

    EmbeddedChannel plain = connect(node);
    assertThat(call(plain, "SET", foreign, "v")).isEqualTo("OK");
    assertThat(call(plain, "GET", foreign)).isEqualTo("v");
    assertThat(call(plain, "ASKING")).isEqualTo("OK");
    assertThat(call(plain, "GET", foreign)).as("ASKING is not cluster mode").isEqualTo("v");

    EmbeddedChannel cluster = connect(node);
    assertThat(call(cluster, "GET", foreign)).as("plain until it asks").isEqualTo("v");
    assertThat(call(cluster, "CLUSTER", "KEYSLOT", "x")).isNotNull();
    assertThat(call(cluster, "GET", foreign)).isEqualTo(new Error(movedForeign));
    assertThat(call(cluster, "SET", replicated, "v")).isEqualTo(new Error(movedReplicated));
    assertThat(call(cluster, "GET", replicated)).isEqualTo(new Error(movedReplicated));
    assertThat(call(cluster, "SET", mine, "m")).isEqualTo("OK");
    assertThat(call(cluster, "GET", mine)).isEqualTo("m");
    assertThat(call(cluster, "PING")).isEqualTo("PONG");
    assertThat(call(cluster, "MGET", foreign, foreign)).isEqualTo(new Error(movedForeign));

    assertThat(call(cluster, "READONLY")).isEqualTo("OK");
    assertThat(call(cluster, "GET", replicated)).as("READONLY read of a copy").isNull();
    assertThat(call(cluster, "TTL", replicated)).isEqualTo(-2L);
    assertThat(call(cluster, "SET", replicated, "v")).isEqualTo(new Error(movedReplicated));
    assertThat(call(cluster, "GET", foreign)).as("no copy here").isEqualTo(new Error(movedForeign));
    assertThat(call(cluster, "READWRITE")).isEqualTo("OK");
    assertThat(call(cluster, "GET", replicated)).isEqualTo(new Error(movedReplicated));

    assertThat(call(cluster, "ASKING")).isEqualTo("OK");
    assertThat(call(cluster, "GET", foreign)).as("we never -ASK; ASKING changes nothing")
        .isEqualTo(new Error(movedForeign));

    topology.addresses.remove(foreignPrimary.id());
    assertThat(call(cluster, "GET", foreign)).as("primary's address unknown: served").isEqualTo("v");

    EmbeddedChannel readonlyOnly = connect(node);
    assertThat(call(readonlyOnly, "READONLY")).isEqualTo("OK");
    assertThat(call(readonlyOnly, "SET", replicated, "v"))
        .as("READONLY alone enters cluster mode")
        .isEqualTo(new Error(movedReplicated));
  }

  @Test
  void keysInSlotCountOnlyLiveKeysOfThisNodesCopy() {
    FakeClusterTopology topology = topology(3, 3);
    EmbeddedChannel ch = connect(node(topology));
    assertThat(call(ch, "SET", "{t}a", "1")).isEqualTo("OK");
    assertThat(call(ch, "SET", "{t}b", "2")).isEqualTo("OK");
    assertThat(call(ch, "SET", "{t}c", "3", "PX", "100")).isEqualTo("OK");
    assertThat(call(ch, "SET", "{t}d", "4")).isEqualTo("OK");
    assertThat(call(ch, "DEL", "{t}d")).isEqualTo(1L);
    clock.advance(Duration.ofMillis(200));
    long slot = Slots.slot("t".getBytes(StandardCharsets.UTF_8));
    assertThat(call(ch, "CLUSTER", "KEYSLOT", "{t}a")).isEqualTo(slot);
    assertThat(call(ch, "CLUSTER", "COUNTKEYSINSLOT", String.valueOf(slot))).isEqualTo(2L);
    assertThat(list(call(ch, "CLUSTER", "GETKEYSINSLOT", String.valueOf(slot), "10")))
        .containsExactlyInAnyOrder("{t}a", "{t}b");
    assertThat(list(call(ch, "CLUSTER", "GETKEYSINSLOT", String.valueOf(slot), "1"))).hasSize(1);
    assertThat(list(call(ch, "CLUSTER", "GETKEYSINSLOT", String.valueOf(slot), "0"))).isEmpty();
    assertThat(call(ch, "CLUSTER", "COUNTKEYSINSLOT", "0")).isEqualTo(0L);
  }

  @Test
  void errorsUseRedisTexts() {
    EmbeddedChannel ch = connect(node(topology(3, 3)));
    assertThat(call(ch, "CLUSTER", "COUNTKEYSINSLOT", "16384")).isEqualTo(new Error("ERR Invalid slot"));
    assertThat(call(ch, "CLUSTER", "COUNTKEYSINSLOT", "-1")).isEqualTo(new Error("ERR Invalid slot"));
    assertThat(call(ch, "CLUSTER", "COUNTKEYSINSLOT", "x"))
        .isEqualTo(new Error("ERR value is not an integer or out of range"));
    assertThat(call(ch, "CLUSTER", "GETKEYSINSLOT", "16384", "1"))
        .isEqualTo(new Error("ERR Invalid slot or number of keys"));
    assertThat(call(ch, "CLUSTER", "GETKEYSINSLOT", "0", "-1"))
        .isEqualTo(new Error("ERR Invalid slot or number of keys"));
    assertThat(call(ch, "CLUSTER", "GETKEYSINSLOT", "0", "x"))
        .isEqualTo(new Error("ERR value is not an integer or out of range"));
    assertThat(call(ch, "CLUSTER", "FOO"))
        .isEqualTo(new Error("ERR unknown subcommand 'FOO'. Try CLUSTER HELP."));
    assertThat(call(ch, "CLUSTER", "SLOTS", "extra"))
        .isEqualTo(new Error("ERR wrong number of arguments for 'cluster|slots' command"));
    assertThat(call(ch, "CLUSTER", "KEYSLOT"))
        .isEqualTo(new Error("ERR wrong number of arguments for 'cluster|keyslot' command"));
    assertThat(call(ch, "CLUSTER")).isEqualTo(new Error("ERR wrong number of arguments for 'cluster' command"));
    assertThat(call(ch, "READONLY", "x"))
        .isEqualTo(new Error("ERR wrong number of arguments for 'readonly' command"));
    assertThat(list(call(ch, "CLUSTER", "HELP")))
        .contains("SLOTS", "SHARDS", "NODES", "INFO", "MYID", "MYSHARDID", "KEYSLOT <key>",
            "COUNTKEYSINSLOT <slot>", "GETKEYSINSLOT <slot> <count>", "HELP");
  }

  @Test
  void withoutATopologyOnlyKeyslotAnswers() {
    NodeContext node = node(null);
    EmbeddedChannel ch = connect(node);
    Error disabled = new Error("ERR This instance has cluster support disabled");
    assertThat(call(ch, "CLUSTER", "KEYSLOT", "foo")).isEqualTo(12182L);
    for (String sub : List.of("SLOTS", "SHARDS", "NODES", "INFO", "MYID", "MYSHARDID", "HELP")) {
      assertThat(call(ch, "CLUSTER", sub)).as(sub).isEqualTo(disabled);
    }
    assertThat(call(ch, "CLUSTER", "COUNTKEYSINSLOT", "1")).isEqualTo(disabled);
    assertThat(call(ch, "CLUSTER", "GETKEYSINSLOT", "1", "1")).isEqualTo(disabled);
    assertThat(call(ch, "READONLY")).isEqualTo(disabled);
    assertThat(call(ch, "READWRITE")).isEqualTo(disabled);
    assertThat(call(ch, "ASKING")).isEqualTo(disabled);
    assertThat(call(ch, "CLUSTER", "NOPE"))
        .isEqualTo(new Error("ERR unknown subcommand 'NOPE'. Try CLUSTER HELP."));
    assertThat(call(ch, "SET", "foo", "bar")).as("never redirected alone").isEqualTo("OK");
  }

  @Test
  void readonlyReadwriteAndAskingAreInTheCommandTable() {
    EmbeddedChannel ch = connect(node(topology(3, 3)));
    for (String name : List.of("readonly", "readwrite", "asking")) {
      List<Object> info = list(list(call(ch, "COMMAND", "INFO", name)).get(0));
      assertThat(info.get(0)).isEqualTo(name);
      assertThat(info.get(1)).isEqualTo(1L);
      assertThat(list(info.get(2))).contains("fast");
      assertThat(info.get(3)).isEqualTo(0L);
    }
  }
}
