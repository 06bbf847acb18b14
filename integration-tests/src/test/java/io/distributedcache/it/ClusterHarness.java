package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import io.distributedcache.core.placement.RingPublisher;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;

/**
 * A statically configured cluster of N real server processes on 127.0.0.1 ({@code server
 * --node-id nI --cluster-port C --members ...}), for the cluster ITs.
 *
 * <p>Nodes are {@code n1..nN}; each has a client port and a cluster port chosen with {@link
 * ServerProcess#freePort()} and kept for the harness's life, so a node killed with {@link
 * #kill9} comes back with {@link #restart} on the same ports with the same arguments, as an
 * operator would restart it. Placement is computed here exactly as the server computes it (same
 * {@code --members}, replication factor and 150 virtual nodes), so tests can aim keys at a chosen
 * primary ({@link #keyWithPrimary}).
 *
 * <p>Not thread-safe: one test thread drives it. The {@link Jedis} connections it hands out are
 * closed by {@link #close()}, which also stops every process by its PID (SIGTERM, bounded wait,
 * SIGKILL). Every wait has a deadline.
 */
public final class ClusterHarness implements AutoCloseable {

  /** From the first process start until every node reports all its slots caught up. */
  public static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(60);

  private static final int START_ATTEMPTS = 3;
  private static final int VIRTUAL_NODES = ConsistentHashRing.DEFAULT_VIRTUAL_NODES_PER_MEMBER;

  /** The extra commands of the cluster mode, for {@link Jedis#sendCommand}. */
  public enum Command implements ProtocolCommand {
    CONSISTENCY;

    @Override
    public byte[] getRaw() {
      return name().getBytes(StandardCharsets.US_ASCII);
    }
  }

  private final List<String> ids;
  private final Map<String, Integer> clientPorts;
  private final Map<String, Integer> clusterPorts;
  private final String members;
  private final List<String> extraArgs;
  private final Map<String, List<String>> prefixes;
  private final ConsistentHashRing ring;
  private final Map<String, ServerProcess> processes = new LinkedHashMap<>();
  /** Every process ever started, killed ones included: their output helps explain a failure. */
  private final List<ServerProcess> history = new ArrayList<>();
  private final List<Jedis> connections = Collections.synchronizedList(new ArrayList<>());

  private ClusterHarness(
      int nodes, List<String> extraArgs, Map<String, List<String>> prefixes) {
    this.extraArgs = List.copyOf(extraArgs);
    this.prefixes = Map.copyOf(prefixes);
    List<String> names = new ArrayList<>();
    Map<String, Integer> client = new HashMap<>();
    Map<String, Integer> cluster = new HashMap<>();
    Set<Integer> taken = new HashSet<>();
    StringBuilder spec = new StringBuilder();
    for (int i = 1; i <= nodes; i++) {
      String id = "n" + i;
      names.add(id);
      client.put(id, distinctFreePort(taken));
      cluster.put(id, distinctFreePort(taken));
      spec.append(i == 1 ? "" : ",")
          .append(id)
          .append('@')
          .append(ServerProcess.LOOPBACK)
          .append(':')
          .append(cluster.get(id));
    }
    this.ids = List.copyOf(names);
    this.clientPorts = Map.copyOf(client);
    this.clusterPorts = Map.copyOf(cluster);
    this.members = spec.toString();
    this.ring =
        ConsistentHashRing.build(
            RingPublisher.STATIC_EPOCH,
            Member.parseList(members),
            VIRTUAL_NODES,
            replicationFactor(extraArgs));
  }

  // ---------------------------------------------------------------------------------------------
  // Starting and stopping

  /**
   * Starts {@code nodes} members with {@code extraArgs} appended to each command line, and waits
   * until every one is ready and caught up ({@link #awaitCaughtUp()}).
   *
   * @throws AssertionError with every node's output if the cluster does not come up in time
   */
  public static ClusterHarness start(int nodes, String... extraArgs) {
    return start(nodes, List.of(extraArgs), Map.of());
  }

  /**
   * Like {@link #start(int, String...)}; {@code prefixes} puts a command in front of some nodes'
   * {@code java} (see {@link ServerProcess#launch(List, List, int)}), e.g. a faked clock.
   */
  public static ClusterHarness start(
      int nodes, List<String> extraArgs, Map<String, List<String>> prefixes) {
    String failures = "";
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      ClusterHarness cluster = new ClusterHarness(nodes, extraArgs, prefixes);
      boolean ok = false;
      try {
        for (String id : cluster.ids) {
          cluster.launch(id);
        }
        String bindFailure = null;
        for (String id : cluster.ids) {
          ServerProcess p = cluster.processes.get(id);
          if (!p.awaitReady(ServerProcess.START_TIMEOUT)) {
            String out = p.allOutput();
            if (!out.toLowerCase(Locale.ROOT).contains("in use")) {
              throw new AssertionError(
                  "node " + id + " did not become ready within " + ServerProcess.START_TIMEOUT
                      + "\n" + cluster.allOutput());
            }
            bindFailure = out; // a port was taken between choosing and binding: new ports
            break;
          }
        }
        if (bindFailure != null) {
          failures += "attempt " + attempt + ":\n" + bindFailure;
          continue;
        }
        cluster.awaitCaughtUp();
        ok = true;
        return cluster;
      } finally {
        if (!ok) {
          cluster.close();
        }
      }
    }
    throw new AssertionError(
        "cluster did not start in " + START_ATTEMPTS + " attempts:\n" + failures);
  }

  private ServerProcess launch(String id) {
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "server",
            "--port", Integer.toString(clientPorts.get(id)),
            "--bind", ServerProcess.LOOPBACK,
            "--node-id", id,
            "--cluster-port", Integer.toString(clusterPorts.get(id)),
            "--members", members));
    args.addAll(extraArgs);
    ServerProcess p =
        ServerProcess.launch(prefixes.getOrDefault(id, List.of()), args, clientPorts.get(id));
    processes.put(id, p);
    history.add(p);
    return p;
  }

  /**
   * SIGKILL to the node's PID (no shutdown hook runs, nothing is flushed or said to the peers) and
   * waits for it to be gone.
   */
  public void kill9(String id) {
    ServerProcess p = process(id);
    p.process().destroyForcibly();
    try {
      assertThat(p.process().waitFor(ServerProcess.STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
          .as("pid %d gone after SIGKILL", p.pid())
          .isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    processes.remove(id);
  }

  /**
   * Starts a killed node again with the same ports, arguments and prefix, and waits until it
   * accepts connections (not until it has caught up: see {@link #awaitCaughtUp()}).
   *
   * @throws AssertionError with its output if it does not become ready in time
   */
  public ServerProcess restart(String id) {
    if (processes.containsKey(id)) {
      throw new IllegalStateException(id + " is still running");
    }
    ServerProcess p = launch(id);
    if (!p.awaitReady(ServerProcess.START_TIMEOUT)) {
      throw new AssertionError(
          "restarted " + id + " did not become ready within " + ServerProcess.START_TIMEOUT
              + " (same ports as before the kill)\n" + p.allOutput());
    }
    return p;
  }

  /**
   * Waits until every running node reports {@code slots_not_ready:0} and reaches every running
   * node ({@code members_reachable} = the number running), polling {@code INFO cluster}.
   */
  public void awaitCaughtUp() {
    awaitCaughtUp(CATCH_UP_TIMEOUT);
  }

  public void awaitCaughtUp(Duration timeout) {
    List<String> running = List.copyOf(processes.keySet());
    try {
      await("cluster " + running + " caught up")
          .atMost(timeout)
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .untilAsserted(
              () -> {
                for (String id : running) {
                  assertThat(process(id).isAlive()).as("%s alive", id).isTrue();
                  Map<String, String> info = infoCluster(id);
                  assertThat(info)
                      .as("%s: INFO cluster", id)
                      .containsEntry("slots_not_ready", "0")
                      .containsEntry("members_reachable", Integer.toString(running.size()));
                }
              });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + "\n" + allOutput(), e);
    }
  }

  /** Waits until every other running node reports {@code down} as unreachable. */
  public void awaitSeenDown(String down) {
    List<String> running = List.copyOf(processes.keySet());
    await("peers of " + down + " see it down")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .untilAsserted(
            () -> {
              for (String id : running) {
                assertThat(infoCluster(id).get("peers"))
                    .as("%s: peers", id)
                    .contains(down + "=down");
              }
            });
  }

  /** Closes the connections it handed out, then stops every running node by its PID. */
  @Override
  public void close() {
    synchronized (connections) {
      for (Jedis j : connections) {
        try {
          j.close();
        } catch (RuntimeException e) {
          // the node may be gone already: nothing to close
        }
      }
      connections.clear();
    }
    for (ServerProcess p : processes.values()) {
      p.close();
    }
    processes.clear();
  }

  // ---------------------------------------------------------------------------------------------
  // Placement

  /** The node ids, {@code n1..nN}. */
  public List<String> ids() {
    return ids;
  }

  /** The {@code --members} value every node was given. */
  public String members() {
    return members;
  }

  public ConsistentHashRing ring() {
    return ring;
  }

  public static int slot(String key) {
    return Slots.slot(key.getBytes(StandardCharsets.UTF_8));
  }

  /** The id of the node that executes writes to {@code key}. */
  public String primaryOf(String key) {
    return ring.primary(slot(key)).id();
  }

  /** The first key {@code prefix + n} (n = 0, 1, ...) whose primary is {@code nodeId}. */
  public String keyWithPrimary(String nodeId, String prefix) {
    return keysWithPrimary(nodeId, prefix, 1).get(0);
  }

  /** The first {@code count} keys {@code prefix + n} whose primary is {@code nodeId}. */
  public List<String> keysWithPrimary(String nodeId, String prefix, int count) {
    if (!ids.contains(nodeId)) {
      throw new IllegalArgumentException("no node " + nodeId);
    }
    List<String> keys = new ArrayList<>(count);
    for (int n = 0; keys.size() < count; n++) {
      String key = prefix + n;
      if (primaryOf(key).equals(nodeId)) {
        keys.add(key);
      }
    }
    return keys;
  }

  // ---------------------------------------------------------------------------------------------
  // Nodes and clients

  /** The running process of node {@code id}. */
  public ServerProcess process(String id) {
    ServerProcess p = processes.get(id);
    if (p == null) {
      throw new IllegalStateException(id + " is not running");
    }
    return p;
  }

  public boolean isRunning(String id) {
    return processes.containsKey(id);
  }

  public int clientPort(String id) {
    Integer port = clientPorts.get(id);
    if (port == null) {
      throw new IllegalArgumentException("no node " + id);
    }
    return port;
  }

  /** A new connection to node {@code id} at its default level; closed by {@link #close()}. */
  public Jedis jedis(String id) {
    Jedis j =
        new Jedis(
            new HostAndPort(ServerProcess.LOOPBACK, clientPort(id)),
            DefaultJedisClientConfig.builder()
                .autoNegotiateProtocol(false)
                .connectionTimeoutMillis(5_000)
                .socketTimeoutMillis(10_000)
                .build());
    connections.add(j);
    return j;
  }

  /** A new connection to node {@code id} whose reads and writes use {@code level}. */
  public Jedis jedis(String id, String level) {
    Jedis j = jedis(id);
    assertThat(consistency(j, level)).isEqualTo("OK");
    return j;
  }

  /** {@code CONSISTENCY args...}; the status reply as a string. */
  public static String consistency(Jedis jedis, String... args) {
    Object reply = jedis.sendCommand(Command.CONSISTENCY, args);
    return reply instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8)
        : String.valueOf(reply);
  }

  /** {@code INFO cluster} of node {@code id} as a map, over a connection of its own. */
  public Map<String, String> infoCluster(String id) {
    try (Jedis j =
        new Jedis(
            new HostAndPort(ServerProcess.LOOPBACK, clientPort(id)),
            DefaultJedisClientConfig.builder()
                .autoNegotiateProtocol(false)
                .connectionTimeoutMillis(2_000)
                .socketTimeoutMillis(5_000)
                .build())) {
      return parseInfo(j.info("cluster"));
    }
  }

  /** {@code name:value} lines of an INFO reply; section headers and blank lines dropped. */
  public static Map<String, String> parseInfo(String info) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : info.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (!line.startsWith("#") && colon > 0) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
      }
    }
    return fields;
  }

  /** Every process's output (killed ones included), for failure messages. */
  public String allOutput() {
    StringBuilder sb = new StringBuilder();
    for (ServerProcess p : history) {
      sb.append(p.command().contains("--node-id")
              ? p.command().get(p.command().indexOf("--node-id") + 1) : "?")
          .append(' ')
          .append(p.allOutput())
          .append('\n');
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------------------------------------

  private static int distinctFreePort(Set<Integer> taken) {
    for (int i = 0; i < 100; i++) {
      int port = ServerProcess.freePort();
      // freePort() closes its socket at once, so two calls may return the same port
      if (taken.add(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no distinct free port in 100 tries");
  }

  private static int replicationFactor(List<String> args) {
    int at = args.indexOf("--replication-factor");
    return at >= 0 ? Integer.parseInt(args.get(at + 1)) : 3;
  }
}
