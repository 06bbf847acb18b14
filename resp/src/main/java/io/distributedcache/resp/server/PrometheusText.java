package io.distributedcache.resp.server;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.cluster.ClusterStats;
import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import io.distributedcache.core.storage.CacheStorage;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Renders the node's figures in the Prometheus text exposition format 0.0.4, every metric named
 * {@code distributedcache_...} with its HELP and TYPE lines.
 *
 * <p>Every figure is read from the same counter {@code INFO} reads ({@link ServerInfo} and this
 * class share {@link ServerInfo#clientCounts} and the accessors of {@link ServerStats}, the
 * storage, the engine, the cluster node and {@link Metrics}), so a scrape and an {@code INFO}
 * taken with no command in between agree.
 *
 * <p>The control plane's figures ({@link NodeContext#peerFigures()}, which {@code INFO cluster}
 * prints as they come) are mapped by name where the name is known (Raft term and role, rebalance
 * progress, peer link counters); any other numeric figure is exported as a gauge named after it,
 * so a figure added later reaches Prometheus without a change here. Text figures other than the
 * Raft role and leader are left out.
 *
 * <p>Called on whichever thread serves the scrape; reads shared counters only, never blocks.
 */
public final class PrometheusText {

  /** The content type of the text format. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final String P = "distributedcache_";

  /** Control-plane figures whose meaning we know: their metric name, type and help. */
  private static final Map<String, String[]> KNOWN_FIGURES =
      Map.ofEntries(
          Map.entry("raft_term", gauge("raft_term", "Current Raft term of the control plane.")),
          Map.entry(
              "raft_commit_index",
              gauge("raft_commit_index", "Highest Raft log index known to be committed.")),
          Map.entry(
              "ring_epoch",
              gauge("metadata_epoch", "Epoch of the cluster metadata the control plane applied.")),
          Map.entry(
              "rebalance_in_progress",
              gauge("rebalance_in_progress", "1 while slots are moving between members.")),
          Map.entry(
              "rebalance_nodes_pulling",
              gauge("rebalance_nodes_pulling", "Members still pulling slots in this rebalance.")),
          Map.entry(
              "rebalance_slots_to_pull_here",
              gauge("rebalance_slots_pending", "Slots this node still has to pull.")),
          Map.entry(
              "rebalance_slots_pulled",
              counter("rebalance_slots_pulled_total", "Slots this node pulled for rebalances.")),
          Map.entry(
              "rebalance_keys_pulled",
              counter("rebalance_keys_pulled_total", "Entries received while pulling slots.")),
          Map.entry(
              "rebalance_keys_dropped",
              counter(
                  "rebalance_keys_dropped_total",
                  "Keys removed because this node stopped holding their slot.")),
          Map.entry(
              "failovers_proposed",
              counter("failovers_proposed_total", "Failovers this node proposed as leader.")),
          Map.entry(
              "verify_last_age_seconds",
              gauge("verify_last_age_seconds", "Age of the last CLUSTER VERIFY, -1 if none.")),
          Map.entry(
              "verify_copies_missing",
              gauge("verify_copies_missing", "Missing copies found by the last verification.")),
          Map.entry(
              "verify_slots_stale",
              gauge("verify_slots_stale", "Stale slots found by the last verification.")),
          Map.entry(
              "verify_copies_misplaced",
              gauge("verify_copies_misplaced", "Misplaced copies found by the last verification.")),
          Map.entry(
              "peer_messages_sent",
              counter("peer_messages_sent_total", "Messages sent to peers.")),
          Map.entry("peer_bytes_sent", counter("peer_bytes_sent_total", "Bytes sent to peers.")),
          Map.entry(
              "peer_messages_received",
              counter("peer_messages_received_total", "Messages received from peers.")),
          Map.entry(
              "peer_bytes_received",
              counter("peer_bytes_received_total", "Bytes received from peers.")),
          Map.entry(
              "peer_messages_dropped",
              counter("peer_messages_dropped_total", "Messages to peers dropped (link down).")),
          Map.entry(
              "peer_reconnects", counter("peer_reconnects_total", "Peer links re-established.")),
          Map.entry(
              "peer_protocol_errors",
              counter("peer_protocol_errors_total", "Peer frames that could not be decoded.")),
          Map.entry(
              "peer_strangers_accepted",
              counter(
                  "peer_strangers_accepted_total",
                  "Inbound peer connections from nodes not in the membership.")));

  /** Figures shown by their own rule below (members by state, Raft role and leader). */
  private static final Set<String> SPECIAL_FIGURES =
      Set.of(
          "raft_role",
          "raft_leader",
          "members_active",
          "members_failed",
          "members_joining",
          "members_leaving");

  private final StringBuilder sb = new StringBuilder(16 * 1024);
  private final Set<String> declared = new HashSet<>();

  private PrometheusText() {}

  /** The whole exposition for {@code node}. */
  public static String render(NodeContext node) {
    PrometheusText t = new PrometheusText();
    t.server(node);
    t.commands(node);
    t.keyspace(node);
    t.memory(node);
    t.clients(node);
    t.cluster(node);
    return t.sb.toString();
  }

  // ---- sections ----

  private void server(NodeContext n) {
    family("info", "gauge", "Build information; always 1.");
    sample("info", "1", "version", NodeContext.VERSION, "redis_version",
        NodeContext.REDIS_COMPATIBLE_VERSION);
    gauge("uptime_seconds", "Seconds since the node started.", n.uptimeSeconds());
    ServerStats s = n.stats();
    counter("connections_received_total", "Client connections accepted.",
        s.connectionsReceived());
    counter("commands_processed_total",
        "Requests processed, unknown and refused ones included (INFO total_commands_processed).",
        s.commandsProcessed());
    counter("net_input_bytes_total", "Bytes read from clients.", s.netInputBytes());
    counter("net_output_bytes_total", "Bytes written to clients.", s.netOutputBytes());
    counter("protocol_errors_total", "Connections closed for a RESP protocol error.",
        s.protocolErrors());
    counter("unknown_commands_total", "Requests naming no known command.", s.unknownCommands());
    SlowLog slow = n.slowLog();
    gauge("slowlog_length", "Entries in the slow log.", slow.length());
    gauge("slowlog_threshold_seconds",
        "slowlog-log-slower-than; negative when the slow log is off.",
        slow.slowerThanMicros() / 1e6);
  }

  private void commands(NodeContext n) {
    List<Metrics.CommandFigures> figures = n.metrics().snapshot();
    family("commands_total", "counter", "Calls of each command that ran (INFO commandstats).");
    for (Metrics.CommandFigures f : figures) {
      sample("commands_total", Long.toString(f.calls()), "cmd", f.spec().name());
    }
    family("command_errors_total", "counter",
        "Calls answered with an error (failed) or refused before running (rejected).");
    for (Metrics.CommandFigures f : figures) {
      sample("command_errors_total", Long.toString(f.failedCalls()), "cmd", f.spec().name(),
          "kind", "failed");
      sample("command_errors_total", Long.toString(f.rejectedCalls()), "cmd", f.spec().name(),
          "kind", "rejected");
    }
    String h = "command_duration_seconds";
    family(h, "histogram",
        "Command latency on this node; for a command sent to the cluster, until its reply came.");
    for (Metrics.CommandFigures f : figures) {
      String cmd = f.spec().name();
      long cumulative = 0;
      long[] counts = f.bucketCounts();
      for (int b = 0; b < counts.length; b++) {
        cumulative += counts[b];
        sample(h + "_bucket", Long.toString(cumulative), "cmd", cmd, "le", Metrics.leLabel(b));
      }
      sample(h + "_sum", number(f.durationNanos() / 1e9), "cmd", cmd);
      sample(h + "_count", Long.toString(f.calls()), "cmd", cmd);
    }
  }

  private void keyspace(NodeContext n) {
    CacheStorage storage = n.engine().storage();
    counter("keyspace_hits_total", "Reads that found their key.", n.engine().keyspaceHits());
    counter("keyspace_misses_total", "Reads that did not find their key.",
        n.engine().keyspaceMisses());
    counter("evicted_keys_total", "Keys evicted to stay under maxmemory.", storage.evictions());
    counter("expired_keys_total", "Keys removed because their TTL passed.", storage.expirations());
    gauge("keys", "Keys held by this node.", n.engine().dbSize());
    gauge("keys_with_ttl", "Keys held by this node that have a TTL.", storage.volatileKeys());
  }

  private void memory(NodeContext n) {
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    gauge("memory_used_bytes", "JVM heap in use (INFO used_memory).", heap.getUsed());
    long rss = ServerInfo.residentSetBytes();
    if (rss >= 0) {
      gauge("memory_rss_bytes", "Resident set size of the process.", rss);
    }
    gauge("memory_dataset_bytes", "Weighted size of the stored entries (INFO used_memory_dataset).",
        n.engine().storage().weightedBytes());
    gauge("memory_max_bytes", "maxmemory; 0 when unbounded.", n.settings().maxMemoryBytes());
    gauge("jvm_heap_committed_bytes", "JVM heap committed.", heap.getCommitted());
    gauge("jvm_heap_max_bytes", "JVM heap limit; -1 when undefined.", heap.getMax());
  }

  private void clients(NodeContext n) {
    ServerInfo.ClientCounts c = ServerInfo.clientCounts(n);
    gauge("connected_clients", "Client connections open now.", c.connected());
    gauge("tracking_clients", "Clients with CLIENT TRACKING on.", c.tracking());
    gauge("pubsub_clients", "Clients subscribed to a channel or pattern.", c.pubsub());
    gauge("pubsub_channels", "Channels with at least one subscriber.", n.pubSub().channelCount());
    gauge("pubsub_patterns", "Patterns with at least one subscriber.", n.pubSub().patternCount());
    gauge("tracking_keys", "Keys remembered for client-side caching.",
        n.tracking().trackedKeys());
    counter("tracking_invalidations_sent_total", "Invalidation messages sent to clients.",
        n.tracking().invalidationsSent());
    counter("invalidations_delivered_total", "Key changes delivered to local listeners.",
        n.invalidations().delivered());
    counter("invalidations_broadcast_total", "Key changes queued for the other members.",
        n.invalidations().queuedForPeers());
    counter("hlc_forward_skew_events_total",
        "Remote timestamps ahead of the local clock by more than the allowed skew.",
        n.engine().hlc().skewEvents());
  }

  private void cluster(NodeContext n) {
    ClusterNode cluster = n.cluster();
    gauge("cluster_enabled", "1 when this node is a cluster member.", cluster == null ? 0 : 1);
    if (cluster == null) {
      return;
    }
    ConsistentHashRing ring = cluster.ring();
    int self = ring.memberIndex(cluster.nodeId());
    gauge("ring_epoch", "Epoch of the ring this node serves with.", ring.epoch());
    gauge("cluster_members", "Members of the serving ring.", ring.memberCount());
    family("cluster_peer_up", "gauge", "1 when this node has a working link to the member.");
    int reachable = 0;
    for (Member member : ring.members()) {
      boolean up = cluster.isReachable(member.id());
      reachable += up ? 1 : 0;
      if (!member.id().equals(cluster.nodeId())) {
        sample("cluster_peer_up", up ? "1" : "0", "peer", member.id());
      }
    }
    gauge("cluster_members_unreachable", "Members of the ring this node cannot reach.",
        ring.memberCount() - reachable);
    gauge("cluster_slots_primary", "Slots this node is the primary of.",
        self < 0 ? 0 : ring.primarySlotCount(self));
    gauge("cluster_slots_replicated", "Slots this node holds a copy of.",
        self < 0 ? 0 : ring.replicatedSlotCount(self));
    gauge("cluster_slots_not_ready", "Slots whose copy here is still catching up.",
        cluster.slotsNotReady());
    gauge("cluster_pending_requests", "Requests waiting for peers' answers.",
        cluster.pendingRequests());
    ClusterStats stats = cluster.stats();
    family("cluster_writes_total", "counter", "Writes coordinated here, by consistency level.");
    for (ConsistencyLevel level : ConsistencyLevel.values()) {
      sample("cluster_writes_total", Long.toString(stats.writes(level).sum()), "level",
          level.name().toLowerCase(Locale.ROOT));
    }
    family("cluster_reads_total", "counter", "Reads coordinated here, by consistency level.");
    for (ConsistencyLevel level : ConsistencyLevel.values()) {
      sample("cluster_reads_total", Long.toString(stats.reads(level).sum()), "level",
          level.name().toLowerCase(Locale.ROOT));
    }
    counter("cluster_forwarded_requests_total", "Requests sent to another member to run.",
        stats.forwarded.sum());
    counter("cluster_read_repairs_total", "Stale copies repaired by QUORUM and ALL reads.",
        stats.readRepairs.sum());
    counter("cluster_unknown_outcomes_total", "Writes whose level was not confirmed in time.",
        stats.unknownOutcomes.sum());
    counter("cluster_read_timeouts_total", "Reads that ran out of time.", stats.timeouts.sum());
    family("cluster_refused_total", "counter", "Requests refused at once, by reason.");
    sample("cluster_refused_total", Long.toString(stats.failedFast.sum()), "reason",
        "unavailable");
    sample("cluster_refused_total", Long.toString(stats.notReady.sum()), "reason",
        "catching_up");
    counter("cluster_wrong_epoch_total", "Messages refused for a ring epoch mismatch.",
        stats.wrongEpoch.sum());
    counter("cluster_requests_retried_total", "Requests retried after -TRYAGAIN.",
        stats.retries.sum());
    counter("cluster_ring_changes_total", "Rings installed after the first.",
        stats.ringChanges.sum());
    counter("cluster_replicates_applied_total", "Replicate messages applied as a replica.",
        stats.replicatesApplied.sum());
    counter("cluster_slots_synced_total", "Slots brought up to date by a transfer.",
        stats.slotsSynced.sum());
    counter("cluster_keys_synced_total", "Entries received in slot transfers.",
        stats.keysSynced.sum());
    counter("cluster_keys_removed_by_sync_total", "Entries removed by a primary's transfer.",
        stats.keysRemovedBySync.sum());
    counter("cluster_digest_mismatches_total", "Slots whose digest differed from the primary's.",
        stats.digestMismatches.sum());
    counter("cluster_anti_entropy_rounds_total", "Anti-entropy comparisons started.",
        stats.antiEntropyRounds.sum());
    figures(n.peerFigures());
  }

  private void figures(Map<String, Object> figures) {
    Object role = figures.get("raft_role");
    if (role != null) {
      family("raft_role", "gauge", "The control plane's Raft role; 1 for the role it has.");
      sample("raft_role", "1", "role", String.valueOf(role));
      gauge("raft_is_leader", "1 when this node is the Raft leader.",
          "leader".equals(String.valueOf(role)) ? 1 : 0);
    }
    Object leader = figures.get("raft_leader");
    if (leader != null) {
      family("raft_leader", "gauge", "The Raft leader this node knows of (empty: none); always 1.");
      sample("raft_leader", "1", "leader", String.valueOf(leader));
    }
    if (figures.containsKey("members_active")) {
      family("members", "gauge", "Members of the cluster metadata, by state.");
      for (String state : List.of("active", "failed", "joining", "leaving")) {
        Object v = figures.get("members_" + state);
        if (v instanceof Number) {
          sample("members", number((Number) v), "state", state);
        }
      }
    }
    for (Map.Entry<String, Object> e : figures.entrySet()) {
      if (SPECIAL_FIGURES.contains(e.getKey()) || !(e.getValue() instanceof Number)) {
        continue;
      }
      String value = number((Number) e.getValue());
      String[] known = KNOWN_FIGURES.get(e.getKey());
      String name = known != null ? known[0] : "cluster_" + sanitize(e.getKey());
      boolean fresh =
          known != null
              ? family(name, known[1], known[2])
              : family(name, "gauge", "INFO cluster figure " + e.getKey() + ".");
      if (fresh) {
        sample(name, value);
      }
    }
  }

  // ---- format ----

  private static String[] gauge(String name, String help) {
    return new String[] {name, "gauge", help};
  }

  private static String[] counter(String name, String help) {
    return new String[] {name, "counter", help};
  }

  private void gauge(String name, String help, long value) {
    family(name, "gauge", help);
    sample(name, Long.toString(value));
  }

  private void gauge(String name, String help, double value) {
    family(name, "gauge", help);
    sample(name, number(value));
  }

  private void counter(String name, String help, long value) {
    family(name, "counter", help);
    sample(name, Long.toString(value));
  }

  /**
   * HELP and TYPE lines, once per family: a name met twice (a figure that repeats one of ours)
   * is left out the second time rather than exposed twice, which Prometheus rejects.
   */
  private boolean family(String name, String type, String help) {
    if (!declared.add(name)) {
      return false;
    }
    sb.append("# HELP ").append(P).append(name).append(' ');
    for (int i = 0; i < help.length(); i++) {
      char c = help.charAt(i);
      if (c == '\\') {
        sb.append("\\\\");
      } else if (c == '\n') {
        sb.append("\\n");
      } else {
        sb.append(c);
      }
    }
    sb.append('\n');
    sb.append("# TYPE ").append(P).append(name).append(' ').append(type).append('\n');
    return true;
  }

  /** One sample line; {@code labels} alternate names and values. */
  private void sample(String name, String value, String... labels) {
    sb.append(P).append(name);
    if (labels.length > 0) {
      sb.append('{');
      for (int i = 0; i < labels.length; i += 2) {
        if (i > 0) {
          sb.append(',');
        }
        sb.append(labels[i]).append("=\"");
        escapeLabel(labels[i + 1]);
        sb.append('"');
      }
      sb.append('}');
    }
    sb.append(' ').append(value).append('\n');
  }

  private void escapeLabel(String v) {
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '"' -> sb.append("\\\"");
        case '\n' -> sb.append("\\n");
        default -> sb.append(c);
      }
    }
  }

  private static String number(Number v) {
    if (v instanceof Double || v instanceof Float) {
      return number(v.doubleValue());
    }
    return Long.toString(v.longValue());
  }

  static String number(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }

  /** A metric-name-safe form of a figure's name: {@code [a-zA-Z0-9_]}, not starting with a digit. */
  static String sanitize(String name) {
    StringBuilder s = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '_';
      s.append(ok ? c : '_');
    }
    return s.toString();
  }
}
