package io.distributedcache.resp.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.lettuce.core.cluster.models.partitions.Partitions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Protocol;

/**
 * Real Redis Cluster clients (JedisCluster, Lettuce's RedisClusterClient) against three real
 * servers of one in-process cluster: they discover the layout (CLUSTER SLOTS for Jedis, CLUSTER
 * NODES for Lettuce), send each command straight to its slot's primary, and follow {@code -MOVED}
 * to the new primary when the advertised layout changes under them.
 */
class RedisClusterClientsTest {

  private static InProcessCluster cluster;

  @BeforeAll
  static void start() {
    cluster = new InProcessCluster(3, 3);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void advertiseThePlacementRingAgain() {
    cluster.advertise(null);
  }

  private static int slot(String key) {
    return Slots.slot(key.getBytes(StandardCharsets.UTF_8));
  }

  private static int primaryPort(ConsistentHashRing ring, int slot) {
    return cluster.port(ring.primary(slot).id());
  }

  /** 60 keys whose advertised primary is {@code id}. */
  private static List<String> keysOf(ConsistentHashRing ring, String id, String prefix) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < 60; i++) {
      String key = prefix + i;
      if (ring.primary(slot(key)).id().equals(id)) {
        keys.add(key);
      }
    }
    return keys;
  }

  /** A ring with the same members and copies but other virtual nodes: other primaries. */
  private static ConsistentHashRing reshuffled() {
    ConsistentHashRing ring = cluster.rings.current();
    return ConsistentHashRing.build(
        ring.epoch() + 1, ring.members(), 16, ring.configuredReplicationFactor());
  }

  /** Keys whose primary differs between the two rings. */
  private static List<String> keysThatMove(
      ConsistentHashRing from, ConsistentHashRing to, String prefix) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < 50; i++) {
      String key = prefix + i;
      if (from.primaryIndex(slot(key)) != to.primaryIndex(slot(key))) {
        keys.add(key);
      }
    }
    return keys;
  }

  /** Runs {@code commands} and checks that only {@code id} processed commands meanwhile. */
  private static void assertOnlyServedBy(String id, int expected, Runnable commands) {
    Map<String, Long> before = cluster.commandsProcessed();
    commands.run();
    Map<String, Long> after = cluster.commandsProcessed();
    for (String member : cluster.ids()) {
      long delta = after.get(member) - before.get(member);
      // A client resends a command whose answer timed out (on a loaded machine): the owner may
      // count more than one per command, the others must count none.
      if (member.equals(id)) {
        assertThat(delta).as("commands processed by %s", member).isGreaterThanOrEqualTo(expected);
      } else {
        assertThat(delta).as("commands processed by %s", member).isZero();
      }
    }
  }

  @Test
  @SuppressWarnings("deprecation") // JedisCluster: replaced by RedisClusterClient in Jedis 7, widely used
  void jedisClusterDiscoversTheSlotsAndSendsEachCommandToItsPrimary() {
    ConsistentHashRing ring = cluster.rings.current();
    try (JedisCluster jedis =
        new JedisCluster(Set.of(new HostAndPort("127.0.0.1", cluster.port("n2"))))) {
      assertThat(jedis.getClusterNodes()).hasSize(3);
      for (int slot = 0; slot < Slots.SLOT_COUNT; slot += 61) {
        try (Connection connection = jedis.getConnectionFromSlot(slot)) {
          assertThat(connection.getHostAndPort().getPort())
              .as("slot %d", slot)
              .isEqualTo(primaryPort(ring, slot));
        }
      }
      for (String id : cluster.ids()) {
        List<String> keys = keysOf(ring, id, "jedis:");
        assertOnlyServedBy(id, keys.size(), () -> keys.forEach(k -> jedis.set(k, "v-" + k)));
        assertOnlyServedBy(
            id, keys.size(), () -> keys.forEach(k -> assertThat(jedis.get(k)).isEqualTo("v-" + k)));
      }
    }
  }

  @Test
  void jedisRedisClusterClientFollowsMovedToTheNewPrimaryAndRenewsItsSlots() {
    ConsistentHashRing before = cluster.rings.current();
    ConsistentHashRing after = reshuffled();
    List<String> keys = keysThatMove(before, after, "jedis-moving:");
    try (redis.clients.jedis.RedisClusterClient jedis =
        redis.clients.jedis.RedisClusterClient.create(
            Set.of(new HostAndPort("127.0.0.1", cluster.port("n1"))))) {
      keys.forEach(k -> jedis.set(k, "v-" + k));
      // Its data connections never sent a CLUSTER command, so they are plain and would be served
      // by forwarding; READWRITE on each makes them cluster-mode connections.
      for (String id : cluster.ids()) {
        try (Connection connection = jedis.getConnectionFromSlot(before.slotsPrimaryOn(
            before.memberIndex(id))[0])) {
          assertThat(connection.executeCommand(Protocol.Command.READWRITE))
              .isEqualTo("OK".getBytes(StandardCharsets.UTF_8));
        }
      }
      cluster.advertise(after);
      for (String k : keys) {
        assertThat(jedis.get(k)).isEqualTo("v-" + k);
        assertThat(jedis.incr(k + ":n")).isEqualTo(1);
      }
      for (String k : keys) {
        try (Connection connection = jedis.getConnectionFromSlot(slot(k))) {
          assertThat(connection.getHostAndPort().getPort()).isEqualTo(primaryPort(after, slot(k)));
        }
      }
      String id = after.primary(slot(keys.get(0))).id();
      List<String> settled = keysOf(after, id, "settled:");
      assertOnlyServedBy(id, settled.size(), () -> settled.forEach(k -> jedis.set(k, "x")));
    }
  }

  @Test
  void clusterClientsThatNeverSentAClusterCommandOnADataConnectionAreServedByForwarding() {
    ConsistentHashRing before = cluster.rings.current();
    ConsistentHashRing after = reshuffled();
    List<String> keys = keysThatMove(before, after, "stale:");
    try (redis.clients.jedis.RedisClusterClient jedis =
        redis.clients.jedis.RedisClusterClient.create(
            Set.of(new HostAndPort("127.0.0.1", cluster.port("n2"))))) {
      keys.forEach(k -> jedis.set(k, "v-" + k));
      cluster.advertise(after);
      for (String k : keys) {
        assertThat(jedis.get(k)).isEqualTo("v-" + k);
      }
      String k = keys.get(0);
      try (Connection connection = jedis.getConnectionFromSlot(slot(k))) {
        assertThat(connection.getHostAndPort().getPort())
            .as("no -MOVED, so the client kept its map")
            .isEqualTo(primaryPort(before, slot(k)));
      }
    }
  }

  @Test
  void plainClientsAreServedByAnyNodeWithoutRedirection() {
    ConsistentHashRing ring = cluster.rings.current();
    String key = keysOf(ring, "n3", "plain:").get(0);
    try (Jedis n1 = new Jedis("127.0.0.1", cluster.port("n1"))) {
      assertThat(n1.set(key, "v")).isEqualTo("OK");
      assertThat(n1.get(key)).isEqualTo("v");
    }
  }

  @Test
  void lettuceClusterClientDiscoversTheLayoutRoutesToPrimariesAndFollowsMoved() {
    ConsistentHashRing ring = cluster.rings.current();
    RedisClusterClient client =
        RedisClusterClient.create(RedisURI.create("127.0.0.1", cluster.port("n3")));
    try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
      RedisAdvancedClusterCommands<String, String> sync = connection.sync();
      Partitions partitions = client.getPartitions();
      assertThat(partitions.size()).isEqualTo(3);
      for (int slot = 0; slot < Slots.SLOT_COUNT; slot += 61) {
        assertThat(partitions.getPartitionBySlot(slot).getUri().getPort())
            .as("slot %d", slot)
            .isEqualTo(primaryPort(ring, slot));
      }
      for (String id : cluster.ids()) {
        List<String> keys = keysOf(ring, id, "lettuce:");
        keys.forEach(k -> sync.set(k, "v-" + k));
        assertOnlyServedBy(
            id, keys.size(), () -> keys.forEach(k -> assertThat(sync.get(k)).isEqualTo("v-" + k)));
      }

      ConsistentHashRing after = reshuffled();
      List<String> moving = keysThatMove(ring, after, "lettuce-moving:");
      moving.forEach(k -> sync.set(k, "v-" + k));
      // As for Jedis: the node connections commands are routed on are plain until told otherwise.
      for (String id : cluster.ids()) {
        assertThat(connection.getConnection("127.0.0.1", cluster.port(id)).sync().readWrite())
            .isEqualTo("OK");
      }
      cluster.advertise(after);
      for (String k : moving) {
        assertThat(sync.get(k)).isEqualTo("v-" + k);
        assertThat(sync.incr(k + ":n")).isEqualTo(1);
      }
      client.refreshPartitions();
      for (String k : moving) {
        assertThat(client.getPartitions().getPartitionBySlot(slot(k)).getUri().getPort())
            .isEqualTo(primaryPort(after, slot(k)));
      }
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }
}
