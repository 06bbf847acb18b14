package io.distributedcache.resp.server;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.cluster.ClusterStats;
import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import io.distributedcache.core.storage.CacheStorage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Renders {@code INFO}. Every figure is measured, none is a placeholder: memory comes from the JVM and
 * {@code /proc/self/statm}, counters from {@link ServerStats} and the storage.
 *
 * <p>Called on an event loop; reads shared counters only.
 */
public final class ServerInfo {

  private static final List<String> DEFAULT_SECTIONS =
      List.of("server", "clients", "memory", "stats", "replication", "cluster", "keyspace");

  /** Every section, in Redis' order; "all" and "everything" ask for these. */
  private static final List<String> ALL_SECTIONS =
      List.of(
          "server", "clients", "memory", "stats", "replication", "commandstats", "cluster",
          "keyspace");

  private ServerInfo() {}

  /** Renders the requested sections ("default", "all", "everything" or names; none = default). */
  public static String render(NodeContext n, List<String> requested) {
    List<String> sections = requested;
    if (requested.contains("all") || requested.contains("everything")) {
      sections = ALL_SECTIONS;
    } else if (requested.isEmpty() || requested.contains("default")) {
      sections = DEFAULT_SECTIONS;
    }
    StringBuilder sb = new StringBuilder(2048);
    for (String section : ALL_SECTIONS) {
      if (!sections.contains(section)) {
        continue;
      }
      if (sb.length() > 0) {
        sb.append("\r\n");
      }
      switch (section) {
        case "server":
          server(n, sb);
          break;
        case "clients":
          clients(n, sb);
          break;
        case "memory":
          memory(n, sb);
          break;
        case "stats":
          stats(n, sb);
          break;
        case "replication":
          replication(sb);
          break;
        case "commandstats":
          commandStats(n, sb);
          break;
        case "cluster":
          cluster(n, sb);
          break;
        case "keyspace":
          keyspace(n, sb);
          break;
        default:
          throw new AssertionError(section);
      }
    }
    return sb.toString();
  }

  private static void line(StringBuilder sb, String key, Object value) {
    sb.append(key).append(':').append(value).append("\r\n");
  }

  private static void server(NodeContext n, StringBuilder sb) {
    sb.append("# Server\r\n");
    line(sb, "redis_version", NodeContext.REDIS_COMPATIBLE_VERSION);
    line(sb, "distributedcache_version", NodeContext.VERSION);
    line(sb, "redis_mode", "standalone");
    line(sb, "os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
        + System.getProperty("os.arch"));
    line(sb, "arch_bits", System.getProperty("sun.arch.data.model", "64"));
    line(sb, "java_version", System.getProperty("java.version"));
    line(sb, "process_id", ProcessHandle.current().pid());
    line(sb, "tcp_port", n.port());
    long uptime = n.uptimeSeconds();
    line(sb, "uptime_in_seconds", uptime);
    line(sb, "uptime_in_days", uptime / 86400);
    line(sb, "io_threads_active", n.ioThreads());
    line(sb, "config_file", n.settings().configFile());
  }

  /**
   * The connected clients, counted once for {@code INFO clients} and {@code /metrics}.
   *
   * @param connected connections open now
   * @param tracking of those, with CLIENT TRACKING on
   * @param pubsub of those, subscribed to at least one channel or pattern
   */
  record ClientCounts(int connected, int tracking, int pubsub) {}

  static ClientCounts clientCounts(NodeContext n) {
    int connected = 0;
    int tracking = 0;
    int pubsub = 0;
    for (ClientSession c : n.clients()) {
      connected++;
      tracking += c.tracking() ? 1 : 0;
      pubsub += c.subscriptionCount() > 0 ? 1 : 0;
    }
    return new ClientCounts(connected, tracking, pubsub);
  }

  private static void clients(NodeContext n, StringBuilder sb) {
    sb.append("# Clients\r\n");
    ClientCounts counts = clientCounts(n);
    line(sb, "connected_clients", counts.connected());
    // No command blocks a connection here (no BLPOP, no WAIT), so this is truly zero.
    line(sb, "blocked_clients", 0);
    line(sb, "tracking_clients", counts.tracking());
    line(sb, "pubsub_clients", counts.pubsub());
  }

  /**
   * Redis' {@code INFO commandstats}: per command, calls that ran, their total and mean duration
   * in microseconds, calls refused before running and calls answered with an error. The same
   * counters as {@code distributedcache_commands_total} and {@code
   * distributedcache_command_duration_seconds}.
   */
  private static void commandStats(NodeContext n, StringBuilder sb) {
    sb.append("# Commandstats\r\n");
    for (Metrics.CommandFigures f : n.metrics().snapshot()) {
      long usec = f.durationNanos() / 1_000L;
      double perCall = f.calls() == 0 ? 0 : (double) f.durationNanos() / 1_000.0 / f.calls();
      sb.append("cmdstat_").append(f.spec().name())
          .append(":calls=").append(f.calls())
          .append(",usec=").append(usec)
          .append(",usec_per_call=").append(String.format(Locale.ROOT, "%.2f", perCall))
          .append(",rejected_calls=").append(f.rejectedCalls())
          .append(",failed_calls=").append(f.failedCalls())
          .append("\r\n");
    }
  }

  private static void memory(NodeContext n, StringBuilder sb) {
    sb.append("# Memory\r\n");
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    long rss = residentSetBytes();
    CacheStorage storage = n.engine().storage();
    long maxMemory = n.settings().maxMemoryBytes();
    line(sb, "used_memory", heap.getUsed());
    line(sb, "used_memory_human", human(heap.getUsed()));
    if (rss >= 0) {
      line(sb, "used_memory_rss", rss);
      line(sb, "used_memory_rss_human", human(rss));
    }
    line(sb, "used_memory_dataset", storage.weightedBytes());
    line(sb, "jvm_heap_committed", heap.getCommitted());
    line(sb, "jvm_heap_max", heap.getMax());
    line(sb, "maxmemory", maxMemory);
    line(sb, "maxmemory_human", human(maxMemory));
    line(sb, "maxmemory_policy", "w-tinylfu");
  }

  private static void stats(NodeContext n, StringBuilder sb) {
    sb.append("# Stats\r\n");
    ServerStats stats = n.stats();
    CacheStorage storage = n.engine().storage();
    line(sb, "total_connections_received", stats.connectionsReceived());
    line(sb, "total_commands_processed", stats.commandsProcessed());
    line(sb, "total_net_input_bytes", stats.netInputBytes());
    line(sb, "total_net_output_bytes", stats.netOutputBytes());
    line(sb, "total_error_replies_protocol", stats.protocolErrors());
    line(sb, "unknown_commands", stats.unknownCommands());
    line(sb, "expired_keys", storage.expirations());
    line(sb, "evicted_keys", storage.evictions());
    line(sb, "keyspace_hits", n.engine().keyspaceHits());
    line(sb, "keyspace_misses", n.engine().keyspaceMisses());
    line(sb, "pubsub_channels", n.pubSub().channelCount());
    line(sb, "pubsub_patterns", n.pubSub().patternCount());
    line(sb, "tracking_total_keys", n.tracking().trackedKeys());
    line(sb, "tracking_bcast_clients", n.tracking().broadcastClients());
    line(sb, "tracking_invalidations_sent", n.tracking().invalidationsSent());
    line(sb, "invalidations_delivered", n.invalidations().delivered());
    line(sb, "invalidations_broadcast", n.invalidations().queuedForPeers());
  }

  private static void replication(StringBuilder sb) {
    sb.append("# Replication\r\n");
    line(sb, "role", "master");
    line(sb, "connected_slaves", 0);
  }

  /** Membership, this node's share of the slots, catch-up state and the cluster's counters. */
  private static void cluster(NodeContext n, StringBuilder sb) {
    sb.append("# Cluster\r\n");
    ClusterNode cluster = n.cluster();
    line(sb, "cluster_enabled", cluster == null ? 0 : 1);
    line(sb, "default_consistency", n.defaultConsistency());
    if (cluster == null) {
      return;
    }
    ConsistentHashRing ring = cluster.ring();
    int self = ring.memberIndex(cluster.nodeId());
    line(sb, "node_id", cluster.nodeId());
    line(sb, "ring_epoch", ring.epoch());
    line(sb, "members", ring.memberCount());
    int reachable = 0;
    StringBuilder peers = new StringBuilder();
    for (Member member : ring.members()) {
      boolean up = cluster.isReachable(member.id());
      if (up) {
        reachable++;
      }
      if (!member.id().equals(cluster.nodeId())) {
        peers.append(peers.length() == 0 ? "" : ",")
            .append(member.id()).append('=').append(up ? "up" : "down");
      }
    }
    line(sb, "members_reachable", reachable);
    line(sb, "peers", peers);
    line(sb, "replication_factor", ring.replicationFactor());
    line(sb, "virtual_nodes_per_member", ring.virtualNodesPerMember());
    // A joining node is not in the serving ring yet: it holds no slot of it.
    line(sb, "slots_primary", self < 0 ? 0 : ring.primarySlotCount(self));
    line(sb, "slots_replicated", self < 0 ? 0 : ring.replicatedSlotCount(self));
    line(sb, "slots_not_ready", cluster.slotsNotReady());
    line(sb, "pending_requests", cluster.pendingRequests());
    ClusterStats stats = cluster.stats();
    for (ConsistencyLevel level : ConsistencyLevel.values()) {
      String name = level.name().toLowerCase(Locale.ROOT);
      line(sb, "writes_" + name, stats.writes(level).sum());
      line(sb, "reads_" + name, stats.reads(level).sum());
    }
    line(sb, "forwarded_requests", stats.forwarded.sum());
    line(sb, "read_repairs", stats.readRepairs.sum());
    line(sb, "unknown_outcomes", stats.unknownOutcomes.sum());
    line(sb, "read_timeouts", stats.timeouts.sum());
    line(sb, "refused_unavailable", stats.failedFast.sum());
    line(sb, "refused_catching_up", stats.notReady.sum());
    line(sb, "wrong_epoch", stats.wrongEpoch.sum());
    line(sb, "requests_retried", stats.retries.sum());
    line(sb, "ring_changes", stats.ringChanges.sum());
    line(sb, "replicates_applied", stats.replicatesApplied.sum());
    line(sb, "slots_synced", stats.slotsSynced.sum());
    line(sb, "keys_synced", stats.keysSynced.sum());
    line(sb, "keys_removed_by_sync", stats.keysRemovedBySync.sum());
    line(sb, "digest_mismatches", stats.digestMismatches.sum());
    line(sb, "anti_entropy_rounds", stats.antiEntropyRounds.sum());
    line(sb, "hlc_forward_skew_events", n.engine().hlc().skewEvents());
    n.peerFigures().forEach((name, value) -> line(sb, name, value));
  }

  private static void keyspace(NodeContext n, StringBuilder sb) {
    sb.append("# Keyspace\r\n");
    long keys = n.engine().dbSize();
    if (keys > 0) {
      CacheStorage storage = n.engine().storage();
      line(
          sb,
          "db0",
          "keys=" + keys + ",expires=" + storage.volatileKeys()
              + ",avg_ttl=" + storage.averageTtlMillis());
    }
  }

  /** Resident set size from /proc/self/statm, or -1 where that file does not exist. */
  static long residentSetBytes() {
    try {
      String[] fields = Files.readString(Path.of("/proc/self/statm")).trim().split("\\s+");
      return Long.parseLong(fields[1]) * 4096L;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + "B";
    }
    String[] units = {"K", "M", "G", "T"};
    double v = bytes;
    int i = -1;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, "%.2f%s", v, units[i]);
  }
}
