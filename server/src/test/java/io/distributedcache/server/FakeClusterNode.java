package io.distributedcache.server;

import io.distributedcache.resp.command.ClusterLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * What one node of a pretend cluster answers to the admin commands the {@code cluster} CLI sends,
 * for {@link FakeRespServer}: {@code CLUSTER INFO}, {@code INFO cluster} and {@code CLUSTER NODES}
 * built from a few facts in the formats the real node writes, plus {@code PING}, {@code AUTH},
 * {@code CLUSTER LEAVE} and {@code CLUSTER VERIFY} replies a test chooses.
 *
 * <p>Starts as member {@code self} of a healthy cluster of the given members (all active,
 * connected, slots split evenly). A test changes the picture with {@link #set}, {@link #member}
 * and {@link #remove}, or per request through {@link #onInfo}. Thread-safe: every method is
 * synchronized, since the server's connection threads call {@link #respond}.
 */
final class FakeClusterNode {

  /** One {@code CLUSTER NODES} line's facts. */
  static final class Line {
    String name;
    String host = "127.0.0.1";
    int port;
    int clusterPort;
    boolean failed;
    boolean connected = true;
    String slots;

    Line(String name, int port, String slots) {
      this.name = name;
      this.port = port;
      this.clusterPort = port + 10000;
      this.slots = slots;
    }
  }

  private final String self;
  private final Map<String, Object> info = new LinkedHashMap<>();
  private final List<Line> lines = new ArrayList<>();
  private final Queue<String> verifyReplies = new ConcurrentLinkedQueue<>();
  private String leaveReply = "+OK\r\n";
  private String password = "";
  private Consumer<FakeClusterNode> onInfo = n -> {};
  private int infoRequests;

  /**
   * @param self the name of the node answering
   * @param ports client port of each member, by name, in ring order
   */
  FakeClusterNode(String self, Map<String, Integer> ports) {
    this.self = self;
    int i = 0;
    int n = ports.size();
    for (Map.Entry<String, Integer> e : ports.entrySet()) {
      int start = 16384 * i / n;
      int end = 16384 * (i + 1) / n - 1;
      lines.add(new Line(e.getKey(), e.getValue(), start + "-" + end));
      i++;
    }
    info.put("cluster_state", "ok");
    info.put("cluster_slots_assigned", 16384);
    info.put("cluster_slots_ok", 16384);
    info.put("cluster_slots_pfail", 0);
    info.put("cluster_slots_fail", 0);
    info.put("cluster_known_nodes", n);
    info.put("cluster_size", n);
    info.put("cluster_current_epoch", 1);
    info.put("cluster_my_epoch", 1);
    info.put("dc_ring_epoch", 1);
    info.put("dc_node_name", self);
    info.put("dc_raft_role", "follower");
    info.put("dc_raft_term", 2);
    info.put("dc_raft_leader", lines.get(0).name);
    info.put("dc_raft_voters", String.join(",", ports.keySet()));
    info.put("dc_ring_epoch", 1);
    info.put("dc_members_active", n);
    info.put("dc_members_failed", 0);
    info.put("dc_members_joining", 0);
    info.put("dc_members_leaving", 0);
    info.put("dc_rebalance_in_progress", 0);
    info.put("dc_rebalance_nodes_pulling", 0);
    info.put("dc_rebalance_slots_to_pull_here", 0);
    info.put("dc_rebalance_slots_pulled", 0);
  }

  /** Sets a {@code CLUSTER INFO} field. */
  synchronized FakeClusterNode set(String field, Object value) {
    info.put(field, value);
    return this;
  }

  /** The line of member {@code name}, to change. */
  synchronized Line member(String name) {
    for (Line l : lines) {
      if (l.name.equals(name)) {
        return l;
      }
    }
    throw new IllegalArgumentException(name);
  }

  /** Adds a member line (a node that joined). */
  synchronized FakeClusterNode add(Line line) {
    lines.add(line);
    return this;
  }

  /** Removes a member (it left). */
  synchronized FakeClusterNode remove(String name) {
    lines.removeIf(l -> l.name.equals(name));
    return this;
  }

  synchronized FakeClusterNode leaveReply(String rawReply) {
    this.leaveReply = rawReply;
    return this;
  }

  synchronized FakeClusterNode requirePassword(String password) {
    this.password = password;
    return this;
  }

  /** Queues {@code CLUSTER VERIFY} bulk texts; the last one repeats. */
  synchronized FakeClusterNode verifyReplies(String... texts) {
    verifyReplies.addAll(List.of(texts));
    return this;
  }

  /** Runs before every {@code CLUSTER INFO} answer, to script a change over time. */
  synchronized FakeClusterNode onInfo(Consumer<FakeClusterNode> action) {
    this.onInfo = action;
    return this;
  }

  /** How many {@code CLUSTER INFO} requests were answered. */
  synchronized int infoRequests() {
    return infoRequests;
  }

  private boolean authenticated;

  /** The raw reply to {@code command}, as {@link FakeRespServer} wants. */
  synchronized String respond(List<String> command) {
    String name = command.isEmpty() ? "" : command.get(0).toUpperCase(Locale.ROOT);
    String sub = command.size() < 2 ? "" : command.get(1).toUpperCase(Locale.ROOT);
    if (name.equals("AUTH")) {
      authenticated = command.size() == 2 && command.get(1).equals(password);
      return authenticated
          ? "+OK\r\n"
          : FakeRespServer.error("WRONGPASS invalid username-password pair or user is disabled.");
    }
    if (!password.isEmpty() && !authenticated) {
      return FakeRespServer.error("NOAUTH Authentication required.");
    }
    switch (name + " " + sub) {
      case "CLUSTER INFO":
        infoRequests++;
        onInfo.accept(this);
        return FakeRespServer.bulk(clusterInfo());
      case "INFO CLUSTER":
        return FakeRespServer.bulk(infoCluster());
      case "CLUSTER NODES":
        return FakeRespServer.bulk(clusterNodes());
      case "CLUSTER LEAVE":
        return leaveReply;
      case "CLUSTER VERIFY":
        String text = verifyReplies.size() > 1 ? verifyReplies.poll() : verifyReplies.peek();
        return text == null ? FakeRespServer.error("ERR no verify reply scripted")
            : FakeRespServer.bulk(text);
      default:
        return name.equals("PING")
            ? "+PONG\r\n"
            : FakeRespServer.error("ERR unknown command '" + command + "'");
    }
  }

  private String clusterInfo() {
    StringBuilder sb = new StringBuilder();
    info.forEach((k, v) -> sb.append(k).append(':').append(v).append("\r\n"));
    return sb.toString();
  }

  private String infoCluster() {
    StringBuilder peers = new StringBuilder();
    for (Line l : lines) {
      if (!l.name.equals(self)) {
        peers.append(peers.length() == 0 ? "" : ",")
            .append(l.name).append('=').append(l.connected ? "up" : "down");
      }
    }
    return "# Cluster\r\ncluster_enabled:1\r\ndefault_consistency:QUORUM\r\nnode_id:" + self
        + "\r\nring_epoch:" + info.get("dc_ring_epoch") + "\r\nmembers:" + lines.size()
        + "\r\npeers:" + peers + "\r\n";
  }

  private String clusterNodes() {
    StringBuilder sb = new StringBuilder();
    for (Line l : lines) {
      sb.append(ClusterLayout.redisNodeId(l.name)).append(' ')
          .append(l.host).append(':').append(l.port).append('@').append(l.clusterPort)
          .append(' ').append(l.name.equals(self) ? "myself," : "").append("master")
          .append(l.failed ? ",fail" : "")
          .append(" - 0 0 ").append(info.get("dc_ring_epoch")).append(' ')
          .append(l.connected || l.name.equals(self) ? "connected" : "disconnected");
      if (l.slots != null && !l.slots.isEmpty()) {
        sb.append(' ').append(l.slots);
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
