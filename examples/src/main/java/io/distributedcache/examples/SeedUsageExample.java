package io.distributedcache.examples;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.cluster.VerifyReport;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import io.distributedcache.embedded.CacheNode;
import io.distributedcache.embedded.Codecs;
import io.distributedcache.embedded.ConsistencyChecker;
import io.distributedcache.embedded.DistributedCache;
import io.distributedcache.embedded.NodeConfig;
import io.distributedcache.embedded.ReplicationManager;
import io.distributedcache.embedded.TtlManager;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The seed's usage example in Java: a node with replication factor 3 and a default TTL of five
 * minutes, a QUORUM write of {@code user:1234} with a one-hour TTL, the read back, the ring and
 * replication figures, a consistency check, and the invalidation of the key.
 *
 * <p>Differences from the seed, on purpose: the node runs alone unless you pass founding members
 * (the seed's "replication" needed peers that were never started); the ring, storage and
 * managers are the node's own parts instead of objects wired by hand (the seed's could disagree);
 * expiry and consistency checks run inside the node, so there is no {@code start_cleanup} or
 * {@code start_consistency_checks} to call; TTLs are {@link Duration}s.
 *
 * <p>Arguments (all optional): {@code nodeId members dataDir}, e.g. {@code n1
 * n1@127.0.0.1:7101,n2@127.0.0.1:7102,n3@127.0.0.1:7103 data/n1} on each of three machines or
 * processes.
 */
public final class SeedUsageExample {

  /** The seed's value: {"name": "Alice", "age": 30}. */
  public record User(String name, int age) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  private SeedUsageExample() {}

  public static void main(String[] args) throws Exception {
    NodeConfig.Builder config =
        NodeConfig.builder()
            .nodeId(args.length > 0 ? args[0] : "node1")
            .host("127.0.0.1")
            .replicationFactor(3)
            .defaultConsistency(ConsistencyLevel.QUORUM)
            .defaultTtl(Duration.ofMinutes(5)); // the seed's default_ttl=300.0
    if (args.length > 1) {
      config.members(args[1]);
      if (args.length > 2) {
        config.dataDir(java.nio.file.Path.of(args[2]));
      }
    }

    try (CacheNode node = CacheNode.start(config.build())) {
      node.awaitReady(Duration.ofSeconds(30));
      ConsistentHashRing ring = node.ring();
      TtlManager ttlManager = node.ttlManager();
      ReplicationManager replication = node.replicationManager();
      ConsistencyChecker consistency = node.consistencyChecker();

      try (DistributedCache<String, User> users =
          DistributedCache.builder()
              .keyCodec(Codecs.utf8())
              .valueCodec(Codecs.javaSerialization(User.class))
              .node(node)
              .build()) {

        // consistency.write_with_consistency(key="user:1234", value=..., expiry_time=3600)
        users.with(ConsistencyLevel.QUORUM).put("user:1234", new User("Alice", 30), Duration.ofHours(1));

        // value = consistency.read_with_consistency(key="user:1234")
        Optional<User> value = users.with(ConsistencyLevel.QUORUM).get("user:1234");
        System.out.println("Value: " + value.map(User::toString).orElse("(missing)"));

        System.out.println(
            "TTL: " + ttlManager.ttl("user:1234").map(Duration::toString).orElse("none")
                + " (default " + ttlManager.defaultTtl().map(Duration::toString).orElse("none") + ")");
        System.out.println(
            "Ring: epoch " + ring.epoch() + ", members "
                + ring.members().stream().map(Member::id).toList()
                + ", replication factor " + replication.replicationFactor());
        System.out.println(
            "Primary of user:1234: " + replication.primaryOf("user:1234")
                + ", replicas " + replication.replicasOf("user:1234"));

        // The raw-bytes form of the same write, at a level per call.
        byte[] key = "user:1234:raw".getBytes(StandardCharsets.UTF_8);
        consistency.writeWithConsistency(
            key, "Alice".getBytes(StandardCharsets.UTF_8), Duration.ofHours(1), ConsistencyLevel.QUORUM);
        System.out.println(
            "Raw value: "
                + consistency.readWithConsistency(key, ConsistencyLevel.QUORUM)
                    .map(b -> new String(b, StandardCharsets.UTF_8)).orElse("(missing)"));

        // consistency.start_consistency_checks(...): one check, now.
        VerifyReport report = consistency.verify().get(10, TimeUnit.SECONDS);
        System.out.println("Verify: " + (report.healthy() ? "healthy" : "problems " + report.problems()));

        // invalidation.invalidate_key("user:1234", propagate=True): every copy drops it.
        users.invalidate("user:1234");
        System.out.println("After invalidate: " + users.get("user:1234").map(User::toString).orElse("(missing)"));

        Map<String, Object> figures = replication.figures();
        if (!figures.isEmpty()) {
          System.out.println("Raft role: " + figures.get("raft_role"));
        }
      }
    }
  }
}
