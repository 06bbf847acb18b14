package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import io.distributedcache.core.placement.RingPublisher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.commands.ProtocolCommand;

/**
 * A cluster of real server processes on 127.0.0.1 for the cluster ITs: N founders ({@code server
 * --node-id nI --cluster-port C --members ...}) started together, then nodes that {@link #join}
 * and {@link #leave} while it runs, driven through the Raft control plane.
 *
 * <p>Every node has a client port and a cluster port chosen with {@link ServerProcess#freePort()}
 * and a data directory of its own under a fresh temporary directory, all kept for the harness's
 * life: a node killed with {@link #kill9} comes back with {@link #restart} on the same ports, the
 * same arguments and the same Raft state, as an operator would restart it. {@link #close()}
 * deletes the data directories, so no state leaks from one harness to the next.
 *
 * <p>Placement: {@link #ring()} and {@link #primaryOf} compute the founding layout exactly as the
 * server does (same {@code --members}, replication factor and virtual nodes), which is the layout
 * the control plane commits first, so tests can aim keys at a chosen primary before any change.
 * After a join, a leave or a failover ask the cluster instead ({@link #slotPrimaries}).
 *
 * <p>Not thread-safe: one test thread drives it (the {@link Jedis} connections it hands out may be
 * used by other threads). {@link #close()} closes those connections and stops every process it
 * started by its PID (SIGTERM, bounded wait, SIGKILL). Every wait has a deadline.
 */
public final class ClusterHarness implements AutoCloseable {

  /** From the first process start until every node reports all its slots caught up. */
  public static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(60);

  /** From a join or leave request until every node agrees on the new membership. */
  public static final Duration MEMBERSHIP_TIMEOUT = Duration.ofSeconds(45);

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

  /** How a node is started, kept so that {@link #restart} repeats it exactly. */
  private record NodeSpec(int clientPort, int clusterPort, List<String> roleArgs) {}

  private final List<String> founders;
  /** Current members in the order they came: founders, then joiners; left nodes removed. */
  private final List<String> members = new ArrayList<>();
  private final Map<String, NodeSpec> specs = new LinkedHashMap<>();
  private final Set<Integer> portsTaken = new HashSet<>();
  private final String memberSpec;
  private final List<String> extraArgs;
  private final Map<String, List<String>> prefixes;
  private final ConsistentHashRing ring;
  private final Path dataRoot;
  private final Map<String, ServerProcess> processes = new LinkedHashMap<>();
  /** Every process ever started, killed ones included: their output helps explain a failure. */
  private final List<ServerProcess> history = new ArrayList<>();
  private final List<Jedis> connections = Collections.synchronizedList(new ArrayList<>());

  private ClusterHarness(int nodes, List<String> extraArgs, Map<String, List<String>> prefixes) {
    this.extraArgs = List.copyOf(extraArgs);
    this.prefixes = Map.copyOf(prefixes);
    try {
      this.dataRoot = Files.createTempDirectory("distributedcache-it-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary data directory", e);
    }
    List<String> names = new ArrayList<>();
    Map<String, int[]> ports = new HashMap<>();
    StringBuilder spec = new StringBuilder();
    for (int i = 1; i <= nodes; i++) {
      String id = "n" + i;
      names.add(id);
      int[] pair = {distinctFreePort(), distinctFreePort()};
      ports.put(id, pair);
      spec.append(i == 1 ? "" : ",")
          .append(id)
          .append('@')
          .append(ServerProcess.LOOPBACK)
          .append(':')
          .append(pair[1]);
    }
    this.memberSpec = spec.toString();
    for (String id : names) {
      int[] pair = ports.get(id);
      specs.put(id, new NodeSpec(pair[0], pair[1], List.of("--members", memberSpec)));
    }
    this.founders = List.copyOf(names);
    this.members.addAll(names);
    this.ring =
        ConsistentHashRing.build(
            RingPublisher.STATIC_EPOCH,
            Member.parseList(memberSpec),
            VIRTUAL_NODES,
            replicationFactor(extraArgs));
  }

  // ---------------------------------------------------------------------------------------------
  // Starting and stopping

  /**
   * Starts {@code nodes} founders with {@code extraArgs} appended to each command line, and waits
   * until every one is ready and caught up and the control plane has a leader that counts every
   * founder active ({@link #awaitCaughtUp()}, {@link #awaitMembership()}).
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
        long startNanos = System.nanoTime();
        for (String id : cluster.founders) {
          cluster.launch(id);
        }
        String bindFailure = null;
        for (String id : cluster.founders) {
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
        long readyNanos = System.nanoTime();
        cluster.awaitCaughtUp();
        long caughtUpNanos = System.nanoTime();
        cluster.awaitMembership(CATCH_UP_TIMEOUT);
        System.out.printf(
            "[ClusterHarness] %d founders ready after %d ms, caught up after %d ms, every one"
                + " active under one Raft leader after %d ms%n",
            nodes,
            TimeUnit.NANOSECONDS.toMillis(readyNanos - startNanos),
            TimeUnit.NANOSECONDS.toMillis(caughtUpNanos - startNanos),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
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
    NodeSpec spec = specs.get(id);
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "server",
            "--port", Integer.toString(spec.clientPort()),
            "--bind", ServerProcess.LOOPBACK,
            "--node-id", id,
            "--cluster-port", Integer.toString(spec.clusterPort()),
            "--data-dir", dataDir(id).toString()));
    args.addAll(spec.roleArgs());
    args.addAll(extraArgs);
    ServerProcess p =
        ServerProcess.launch(prefixes.getOrDefault(id, List.of()), args, spec.clientPort());
    processes.put(id, p);
    history.add(p);
    return p;
  }

  /**
   * Starts a new node {@code id} with {@code --join} to the cluster port of a running member (and
   * this harness's extra arguments), and waits until every running node, the new one included,
   * counts it active with no rebalance in progress and lists it in {@code CLUSTER NODES}.
   *
   * @return the new node's process
   * @throws AssertionError with every node's output if that does not happen within {@link
   *     #MEMBERSHIP_TIMEOUT}
   */
  public ServerProcess join(String id) {
    if (specs.containsKey(id)) {
      throw new IllegalArgumentException(id + " is or was a member of this cluster already");
    }
    String seed = running().get(0);
    specs.put(
        id,
        new NodeSpec(
            distinctFreePort(),
            distinctFreePort(),
            List.of("--join", ServerProcess.LOOPBACK + ":" + specs.get(seed).clusterPort())));
    members.add(id);
    long startNanos = System.nanoTime();
    ServerProcess p = launch(id);
    // A joiner says it is ready at once but opens its client port only once it is accepted:
    // awaitMembership waits for the port too.
    if (!p.awaitReady(ServerProcess.START_TIMEOUT)) {
      throw new AssertionError(
          "joining " + id + " did not start within " + ServerProcess.START_TIMEOUT + "\n"
              + p.allOutput());
    }
    awaitMembership(MEMBERSHIP_TIMEOUT);
    System.out.printf(
        "[ClusterHarness] %s joined through %s (active everywhere) in %d ms%n",
        id, seed, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    return p;
  }

  /**
   * Asks another running member to remove {@code id} gracefully ({@code CLUSTER LEAVE id}), waits
   * for the leaving process to exit by itself with status 0, then for every remaining node to
   * agree on the membership without it ({@link #awaitMembership()}).
   *
   * @throws AssertionError if the request is refused, the process does not exit by itself in
   *     time or with another status, or the others do not settle in time
   */
  public void leave(String id) {
    ServerProcess leaving = process(id);
    String via = running().stream().filter(r -> !r.equals(id)).findFirst().orElseThrow();
    long startNanos = System.nanoTime();
    try (Jedis admin = adminConnection(via)) {
      Object reply = admin.sendCommand(Protocol.Command.CLUSTER, "LEAVE", id);
      assertThat(text(reply)).as("CLUSTER LEAVE %s via %s", id, via).isEqualTo("OK");
    }
    int exit = leaving.awaitExit(MEMBERSHIP_TIMEOUT);
    long exitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    assertThat(exit)
        .as("exit status of %s after it left; output:\n%s", id, leaving.allOutput())
        .isZero();
    processes.remove(id);
    members.remove(id);
    awaitMembership(MEMBERSHIP_TIMEOUT);
    System.out.printf(
        "[ClusterHarness] %s left via %s: exited 0 after %d ms, others settled after %d ms%n",
        id, via, exitedMillis, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
  }

  /**
   * SIGKILL to the node's PID (no shutdown hook runs, nothing is flushed or said to the peers) and
   * waits for it to be gone. The node stays a member: {@link #restart} brings it back.
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
   * Starts a killed node again with the same ports, arguments, prefix and data directory, and
   * waits until it accepts connections (not until it has caught up: see {@link #awaitCaughtUp()}).
   *
   * @throws AssertionError with its output if it does not become ready in time
   */
  public ServerProcess restart(String id) {
    if (processes.containsKey(id)) {
      throw new IllegalStateException(id + " is still running");
    }
    if (!members.contains(id)) {
      throw new IllegalStateException(id + " is not a member");
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
    List<String> running = running();
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

  /** {@link #awaitMembership(Duration)} with {@link #MEMBERSHIP_TIMEOUT}. */
  public void awaitMembership() {
    awaitMembership(MEMBERSHIP_TIMEOUT);
  }

  /**
   * Waits until every member runs and every one reports, in {@code CLUSTER INFO}, the same Raft
   * leader, every member active ({@code dc_members_active} = {@link #ids()} size, none failed,
   * joining or leaving), no rebalance in progress, and lists exactly the members' client
   * addresses in {@code CLUSTER NODES}.
   *
   * @throws AssertionError with the last disagreement and every node's output at the deadline
   */
  public void awaitMembership(Duration timeout) {
    List<String> expected = ids();
    AtomicReference<String> last = new AtomicReference<>("nothing polled yet");
    try {
      await("membership " + expected + " agreed")
          .atMost(timeout)
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                String problem = membershipProblem(expected);
                last.set(problem == null ? "agreed" : problem);
                return problem == null;
              });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          e.getMessage() + "; last seen: " + last.get() + "\n" + allOutput(), e);
    }
  }

  /** What keeps the membership from being {@code expected} everywhere, or null if nothing. */
  private String membershipProblem(List<String> expected) {
    String leader = null;
    for (String id : expected) {
      if (!processes.containsKey(id) || !processes.get(id).isAlive()) {
        return id + " is not running";
      }
      Map<String, String> info;
      String nodes;
      try (Jedis j = adminConnection(id)) {
        info = parseInfo(j.clusterInfo());
        nodes = j.clusterNodes();
      } catch (RuntimeException e) {
        return id + ": " + e; // a joiner's client port opens once it is accepted
      }
      String problem =
          expectField(id, info, "dc_members_active", Integer.toString(expected.size()))
              + expectField(id, info, "dc_members_failed", "0")
              + expectField(id, info, "dc_members_joining", "0")
              + expectField(id, info, "dc_members_leaving", "0")
              + expectField(id, info, "dc_rebalance_in_progress", "0");
      if (!problem.isEmpty()) {
        return problem;
      }
      String seenLeader = info.getOrDefault("dc_raft_leader", "");
      if (seenLeader.isEmpty() || (leader != null && !leader.equals(seenLeader))) {
        return id + " sees leader '" + seenLeader + "', another saw '" + leader + "'";
      }
      leader = seenLeader;
      for (String other : specs.keySet()) {
        String address = ServerProcess.LOOPBACK + ":" + clientPort(other) + "@";
        if (nodes.contains(address) != expected.contains(other)) {
          return id + ": CLUSTER NODES " + (expected.contains(other) ? "lacks " : "still lists ")
              + other + ":\n" + nodes;
        }
      }
    }
    return null;
  }

  private static String expectField(
      String id, Map<String, String> info, String field, String value) {
    String seen = info.get(field);
    return value.equals(seen) ? "" : id + ": " + field + "=" + seen + " (want " + value + "); ";
  }

  /** Waits until every other running node reports {@code down} as unreachable. */
  public void awaitSeenDown(String down) {
    List<String> running = running();
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

  /**
   * Closes the connections it handed out, stops every running node by its PID, then deletes the
   * data directories.
   */
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
    deleteRecursively(dataRoot);
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      // A leftover temporary directory is not worth failing a test for; say where it is.
      System.err.println("[ClusterHarness] could not delete " + root + ": " + e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Placement

  /**
   * The current members in the order they came: founders {@code n1..nN}, then joined nodes; a
   * node that left is not listed, a killed one is (it is still a member).
   */
  public List<String> ids() {
    return List.copyOf(members);
  }

  /** The members whose process runs now. */
  public List<String> running() {
    return members.stream().filter(processes::containsKey).toList();
  }

  /** The {@code --members} value every founder was given. */
  public String members() {
    return memberSpec;
  }

  /** The founding layout (the first the control plane commits). */
  public ConsistentHashRing ring() {
    return ring;
  }

  public static int slot(String key) {
    return Slots.slot(key.getBytes(StandardCharsets.UTF_8));
  }

  /** The id of the node that executes writes to {@code key} in the founding layout. */
  public String primaryOf(String key) {
    return ring.primary(slot(key)).id();
  }

  /** The first key {@code prefix + n} (n = 0, 1, ...) whose founding primary is {@code nodeId}. */
  public String keyWithPrimary(String nodeId, String prefix) {
    return keysWithPrimary(nodeId, prefix, 1).get(0);
  }

  /** The first {@code count} keys {@code prefix + n} whose founding primary is {@code nodeId}. */
  public List<String> keysWithPrimary(String nodeId, String prefix, int count) {
    if (ring.memberIndex(nodeId) < 0) {
      throw new IllegalArgumentException("no founder " + nodeId);
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

  /**
   * The primary of every slot as node {@code via} sees it now, from its {@code CLUSTER SLOTS}
   * (primaries identified by client port): index = slot, null for a slot it does not list.
   */
  public String[] slotPrimaries(String via) {
    Map<Integer, String> byPort = new HashMap<>();
    specs.forEach((id, spec) -> byPort.put(spec.clientPort(), id));
    String[] primaries = new String[Slots.SLOT_COUNT];
    try (Jedis j = adminConnection(via)) {
      // sendCommand rather than clusterSlots(), which Jedis 8 deprecates
      for (Object range : (List<?>) j.sendCommand(Protocol.Command.CLUSTER, "SLOTS")) {
        List<?> r = (List<?>) range;
        int from = ((Long) r.get(0)).intValue();
        int to = ((Long) r.get(1)).intValue();
        List<?> primary = (List<?>) r.get(2);
        String id = byPort.get(((Long) primary.get(1)).intValue());
        for (int slot = from; slot <= to; slot++) {
          primaries[slot] = id;
        }
      }
    }
    return primaries;
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
    NodeSpec spec = specs.get(id);
    if (spec == null) {
      throw new IllegalArgumentException("no node " + id);
    }
    return spec.clientPort();
  }

  public int clusterPort(String id) {
    NodeSpec spec = specs.get(id);
    if (spec == null) {
      throw new IllegalArgumentException("no node " + id);
    }
    return spec.clusterPort();
  }

  /** The data directory of node {@code id}: kept across restarts, deleted by {@link #close()}. */
  public Path dataDir(String id) {
    return dataRoot.resolve(id);
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
    return text(jedis.sendCommand(Command.CONSISTENCY, args));
  }

  /** {@code INFO cluster} of node {@code id} as a map, over a connection of its own. */
  public Map<String, String> infoCluster(String id) {
    try (Jedis j = adminConnection(id)) {
      return parseInfo(j.info("cluster"));
    }
  }

  /**
   * {@code CLUSTER INFO} of node {@code id} as a map (Redis fields and the {@code dc_*} lines),
   * over a connection of its own (a CLUSTER command puts its connection in cluster mode, where
   * keyed commands get {@code -MOVED}: test connections must not be that one).
   */
  public Map<String, String> clusterInfo(String id) {
    try (Jedis j = adminConnection(id)) {
      return parseInfo(j.clusterInfo());
    }
  }

  /** One field of {@link #clusterInfo}, or null if the node does not report it. */
  public String clusterInfoField(String id, String field) {
    return clusterInfo(id).get(field);
  }

  /** {@code CLUSTER VERIFY} through node {@code id}: its text, {@code name:value} lines. */
  public String verify(String id) {
    try (Jedis j = adminConnection(id, Duration.ofSeconds(30))) {
      return text(j.sendCommand(Protocol.Command.CLUSTER, "VERIFY"));
    }
  }

  /**
   * Polls {@code CLUSTER VERIFY} through node {@code id} until it reports {@code
   * verify_result:ok} (it reports problems while writes or moves are in flight).
   *
   * @return the report that said ok, parsed
   * @throws AssertionError with the last report at the deadline
   */
  public Map<String, String> awaitVerifyOk(String id, Duration timeout) {
    AtomicReference<String> last = new AtomicReference<>("nothing polled yet");
    try {
      await("CLUSTER VERIFY via " + id + " ok")
          .atMost(timeout)
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                try {
                  last.set(verify(id));
                } catch (RuntimeException e) {
                  last.set(e.toString());
                  return false;
                }
                return "ok".equals(parseInfo(last.get()).get("verify_result"));
              });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "CLUSTER VERIFY via " + id + " not ok within " + timeout + "; last report:\n"
              + last.get() + "\n" + allOutput(),
          e);
    }
    return parseInfo(last.get());
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

  /** A short-lived connection of the harness's own, for CLUSTER and INFO; caller closes it. */
  private Jedis adminConnection(String id) {
    return adminConnection(id, Duration.ofSeconds(5));
  }

  private Jedis adminConnection(String id, Duration socketTimeout) {
    return new Jedis(
        new HostAndPort(ServerProcess.LOOPBACK, clientPort(id)),
        DefaultJedisClientConfig.builder()
            .autoNegotiateProtocol(false)
            .connectionTimeoutMillis(2_000)
            .socketTimeoutMillis((int) socketTimeout.toMillis())
            .build());
  }

  private static String text(Object reply) {
    return reply instanceof byte[] bytes
        ? new String(bytes, StandardCharsets.UTF_8)
        : String.valueOf(reply);
  }

  private int distinctFreePort() {
    for (int i = 0; i < 100; i++) {
      int port = ServerProcess.freePort();
      // freePort() closes its socket at once, so two calls may return the same port
      if (portsTaken.add(port)) {
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
