package io.distributedcache.server;

import io.distributedcache.resp.command.ClusterLayout;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cluster as one node sees it, from three admin replies: {@code CLUSTER INFO} (state, epoch,
 * Raft and rebalance figures, the {@code dc_*} lines), {@code INFO cluster} (this node's name and
 * its peers' names) and {@code CLUSTER NODES} (addresses, flags and primary slots per member).
 *
 * <p>Why three: {@code CLUSTER NODES} names members by the SHA-1 of their name, as Redis ids
 * look; {@code INFO cluster} lists the names, so hashing each name ({@link
 * ClusterLayout#redisNodeId}) puts names on the lines.
 *
 * <p>Member states: the serving ring holds ACTIVE, FAILED and LEAVING members; JOINING ones are
 * not in it until the rebalance cuts over, so they never appear as members here (only in {@code
 * dc_members_joining}). The replies name no member's state except FAILED (the {@code fail} flag),
 * but a LEAVING member is demoted and so primary of no slot: while {@code dc_members_leaving} is
 * non-zero, a member that is neither failed nor primary of anything is reported as leaving.
 *
 * <p>Immutable; parsing is pure and package-private for tests.
 *
 * @param info the {@code CLUSTER INFO} fields by name
 * @param nodeInfo the {@code INFO cluster} fields by name
 * @param members the members of the serving ring, in {@code CLUSTER NODES} order
 */
record ClusterView(Map<String, String> info, Map<String, String> nodeInfo, List<Member> members) {

  /**
   * One member of the serving ring.
   *
   * @param name the member's name ({@code --node-id}), or the first 8 characters of its Redis id
   *     if no name hashed to it
   * @param host client host, or empty when the member has not announced its client address
   * @param clientPort client port, 0 when unknown
   * @param clusterPort peer port
   * @param myself whether this is the node that answered
   * @param state {@code active}, {@code failed} or {@code leaving} (see the class comment)
   * @param connected whether the node that answered has a live link to it (true for itself)
   * @param primarySlots slots it is the client-facing primary of
   */
  record Member(
      String name,
      String host,
      int clientPort,
      int clusterPort,
      boolean myself,
      String state,
      boolean connected,
      int primarySlots) {

    /** {@code host:port} of the client port, or {@code -} when unknown. */
    String clientAddress() {
      return clientPort == 0 ? "-" : new Endpoint(host, clientPort).toString();
    }
  }

  ClusterView {
    info = Collections.unmodifiableMap(new LinkedHashMap<>(info));
    nodeInfo = Collections.unmodifiableMap(new LinkedHashMap<>(nodeInfo));
    members = List.copyOf(members);
  }

  /**
   * Asks {@code client}'s node for the three replies.
   *
   * @throws IOException if the connection fails
   * @throws RespClient.UnexpectedReplyException if the node answers an error (for instance
   *     cluster support disabled) or something that is not text
   */
  static ClusterView fetch(RespClient client)
      throws IOException, RespClient.UnexpectedReplyException {
    Map<String, String> info = parseInfo(client.text("CLUSTER", "INFO"));
    Object infoCluster = client.call("INFO", "cluster");
    Map<String, String> nodeInfo =
        infoCluster instanceof String text ? parseInfo(text) : Map.of();
    String nodes = client.text("CLUSTER", "NODES");
    Set<String> extraNames = Set.of();
    if (!(infoCluster instanceof String)) {
      // INFO cluster failed (seen on a node whose own ring does not place it yet, while it
      // joins): the names are also in CLUSTER SHARDS, for the members with a client address.
      extraNames = namesInShards(client.call("CLUSTER", "SHARDS"));
    }
    return parse(info, nodeInfo, nodes, extraNames);
  }

  /** Builds a view from the three replies' parsed and raw texts. */
  static ClusterView parse(Map<String, String> info, Map<String, String> nodeInfo, String nodes) {
    return parse(info, nodeInfo, nodes, Set.of());
  }

  private static ClusterView parse(
      Map<String, String> info,
      Map<String, String> nodeInfo,
      String nodes,
      Set<String> extraNames) {
    Set<String> names = new LinkedHashSet<>(extraNames);
    addName(names, nodeInfo.get("node_id"));
    addName(names, info.get("dc_node_name"));
    String peers = nodeInfo.getOrDefault("peers", "");
    for (String peer : peers.split(",")) {
      int eq = peer.indexOf('=');
      addName(names, eq < 0 ? peer : peer.substring(0, eq));
    }
    long leaving = parseLong(info.get("dc_members_leaving"));
    return new ClusterView(info, nodeInfo, parseNodes(nodes, names, leaving > 0));
  }

  /**
   * The {@code hostname} of every node in a RESP2 {@code CLUSTER SHARDS} reply (shards as flat
   * key/value arrays, nodes likewise); anything else gives no names.
   */
  static Set<String> namesInShards(Object reply) {
    Set<String> names = new LinkedHashSet<>();
    if (!(reply instanceof List<?> shards)) {
      return names;
    }
    for (Object shard : shards) {
      Object nodes = valueOf(shard, "nodes");
      if (nodes instanceof List<?> list) {
        for (Object node : list) {
          if (valueOf(node, "hostname") instanceof String name) {
            addName(names, name);
          }
        }
      }
    }
    return names;
  }

  /** The value after {@code key} in a flat key/value array, or null. */
  private static Object valueOf(Object map, String key) {
    if (map instanceof List<?> pairs) {
      for (int i = 0; i + 1 < pairs.size(); i += 2) {
        if (key.equals(pairs.get(i))) {
          return pairs.get(i + 1);
        }
      }
    }
    return null;
  }

  private static void addName(Set<String> names, String name) {
    if (name != null && !name.isBlank()) {
      names.add(name.strip());
    }
  }

  /**
   * Parses {@code name:value} lines (CRLF or LF), skipping blank lines and {@code # Section}
   * headers; a line without a colon is ignored. Later lines win.
   */
  static Map<String, String> parseInfo(String text) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : text.split("\r?\n")) {
      String l = line.strip();
      int colon = l.indexOf(':');
      if (l.isEmpty() || l.startsWith("#") || colon <= 0) {
        continue;
      }
      fields.put(l.substring(0, colon), l.substring(colon + 1));
    }
    return fields;
  }

  /**
   * Parses {@code CLUSTER NODES} lines ({@code <id> <ip:port@cport> <flags> <master> <ping> <pong>
   * <epoch> <link> <slot>...}), naming each by the name among {@code names} whose SHA-1 it is.
   * Malformed lines are skipped: this is a display, and the other lines are still worth showing.
   */
  static List<Member> parseNodes(String text, Collection<String> names, boolean someLeaving) {
    Map<String, String> byRedisId = new HashMap<>();
    for (String name : names) {
      byRedisId.put(ClusterLayout.redisNodeId(name), name);
    }
    List<Member> members = new ArrayList<>();
    for (String line : text.split("\r?\n")) {
      String[] f = line.strip().split(" +");
      if (f.length < 8) {
        continue;
      }
      String name = byRedisId.getOrDefault(f[0], f[0].substring(0, Math.min(8, f[0].length())));
      String address = f[1];
      int at = address.lastIndexOf('@');
      int colon = at < 0 ? -1 : address.lastIndexOf(':', at);
      if (at < 0 || colon < 0) {
        continue;
      }
      String host = address.substring(0, colon);
      int clientPort;
      int clusterPort;
      try {
        clientPort = Integer.parseInt(address.substring(colon + 1, at));
        clusterPort = Integer.parseInt(address.substring(at + 1));
      } catch (NumberFormatException e) {
        continue;
      }
      Set<String> flags = Set.of(f[2].split(","));
      if (flags.contains("noaddr")) {
        host = "";
        clientPort = 0;
      }
      int primarySlots = 0;
      for (int i = 8; i < f.length; i++) {
        primarySlots += slotCount(f[i]);
      }
      boolean failed = flags.contains("fail");
      String state =
          failed ? "failed" : someLeaving && primarySlots == 0 && clientPort != 0 ? "leaving"
              : "active";
      boolean myself = flags.contains("myself");
      members.add(
          new Member(
              name,
              host,
              clientPort,
              clusterPort,
              myself,
              state,
              myself || f[7].equals("connected"),
              primarySlots));
    }
    return members;
  }

  /** Slots in one {@code CLUSTER NODES} slot field: {@code 5}, {@code 0-5460}; 0 for others. */
  private static int slotCount(String field) {
    try {
      int dash = field.indexOf('-');
      if (dash < 0) {
        Integer.parseInt(field);
        return 1;
      }
      return Integer.parseInt(field.substring(dash + 1)) - Integer.parseInt(field.substring(0, dash))
          + 1;
    } catch (NumberFormatException e) {
      return 0; // importing/migrating markers such as [5->-id] are not ours to count
    }
  }

  private static long parseLong(String value) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** A {@code CLUSTER INFO} field, or {@code ""} when absent. */
  String field(String name) {
    return info.getOrDefault(name, "");
  }

  /** A numeric {@code CLUSTER INFO} field, or 0 when absent or not a number. */
  long figure(String name) {
    return parseLong(info.get(name));
  }

  /** The name of the node that answered. */
  String selfName() {
    String name = info.get("dc_node_name");
    return name != null ? name : nodeInfo.getOrDefault("node_id", "?");
  }

  /** Whether {@code cluster_state} is {@code ok}: every slot has a reachable, live primary. */
  boolean stateOk() {
    return field("cluster_state").equals("ok");
  }

  /** The ring epoch. */
  long epoch() {
    return figure("dc_ring_epoch");
  }

  /** Whether a node is joining or leaving, or slots are still moving. */
  boolean rebalancing() {
    return figure("dc_rebalance_in_progress") != 0
        || figure("dc_members_joining") != 0
        || figure("dc_members_leaving") != 0;
  }

  /** The member called {@code name}, or null if it is not in the serving ring. */
  Member member(String name) {
    for (Member m : members) {
      if (m.name().equals(name)) {
        return m;
      }
    }
    return null;
  }

  /**
   * Why the cluster is not healthy, one reason per entry; empty when {@code cluster_state} is ok,
   * the control plane has a committed layout and a Raft leader, no member is failed, joining or
   * leaving, no rebalance is in progress, and the answering node knows every member's address and
   * reaches it.
   */
  List<String> problems() {
    List<String> problems = new ArrayList<>();
    // A founder serves its founding layout before Raft has committed it (epoch 0, no leader, the
    // others' client addresses not announced yet): cluster_state alone would call that healthy.
    if (info.containsKey("dc_raft_role")) {
      if (epoch() == 0) {
        problems.add("no layout committed yet (epoch 0)");
      }
      if (field("dc_raft_leader").isEmpty()) {
        problems.add("no Raft leader (" + selfName() + " is " + field("dc_raft_role") + ")");
      }
    }
    if (!stateOk()) {
      problems.add(
          "cluster_state is "
              + (field("cluster_state").isEmpty() ? "unknown" : field("cluster_state"))
              + " ("
              + figure("cluster_slots_pfail")
              + " slots with an unreachable primary, "
              + figure("cluster_slots_fail")
              + " with a failed one)");
    }
    long failed = figure("dc_members_failed");
    if (failed > 0) {
      problems.add(failed + (failed == 1 ? " member failed" : " members failed"));
    }
    if (rebalancing()) {
      problems.add(
          "rebalance in progress ("
              + figure("dc_members_joining")
              + " joining, "
              + figure("dc_members_leaving")
              + " leaving, "
              + figure("dc_rebalance_nodes_pulling")
              + " nodes pulling)");
    }
    for (Member m : members) {
      if (!m.connected() && !m.state().equals("failed")) {
        problems.add(m.name() + " is unreachable from " + selfName());
      }
      if (m.clientPort() == 0) {
        problems.add(m.name() + " has not announced its client address");
      }
    }
    return problems;
  }

  /** Client endpoints of the members other than {@code exclude}, in ring order. */
  List<Endpoint> endpointsExcept(String exclude) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (Member m : members) {
      if (!m.name().equals(exclude) && m.clientPort() != 0) {
        endpoints.add(new Endpoint(m.host(), m.clientPort()));
      }
    }
    return endpoints;
  }

  /** A client address to connect to. */
  record Endpoint(String host, int port) {
    /** {@code host:port}, an IPv6 host in brackets. */
    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }
}
