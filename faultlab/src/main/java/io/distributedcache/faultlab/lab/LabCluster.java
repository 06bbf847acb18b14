package io.distributedcache.faultlab.lab;

import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.faultlab.proxy.FaultProxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/**
 * A cluster of real server processes on 127.0.0.1 with a {@link FaultProxy} on every peer link.
 *
 * <p>Node {@code nI} gets a client port, an announced cluster port (the one in {@code --members},
 * where the proxy listens) and a bind port ({@code --cluster-bind-port}, where the node really
 * listens and the proxy forwards to), a data directory under the run directory, and optionally a
 * command prefix that fakes its clock ({@link #clockOffsetPrefix}). Ports and arguments are kept
 * for the cluster's life: a node killed with {@link #kill9} comes back with {@link #restart} exactly
 * as an operator would restart it, same data directory included.
 *
 * <p>Threading: the fault thread of a run drives membership and processes while the workload
 * threads call {@link #clientPort}, {@link #members} and {@link #isRunning}; the node table is
 * guarded by this object's monitor, and the slow waits (ready lines, process exits, cluster
 * polls) run outside it. Every wait has a deadline. {@link #close()} stops every process it
 * started by its PID (SIGCONT, SIGTERM, 10 s, SIGKILL), also after a failure, closes the proxy and
 * deletes the data directories (node logs stay, next to the history).
 */
public final class LabCluster implements AutoCloseable {

  public static final String LOOPBACK = "127.0.0.1";

  /** From a process start until its ready line. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(45);

  /** JVM flags for the nodes: small and quick to start, so that five fit on two cores. */
  private static final List<String> NODE_JVM_FLAGS =
      List.of("-XX:+UseSerialGC", "-Xms64m", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xss512k");

  /** Settings of one lab cluster. */
  public record Config(
      int nodes,
      Path serverJar,
      Path runDir,
      List<String> extraServerArgs,
      Map<String, String> clockOffsets,
      long seed) {
    public Config {
      if (nodes < 1) {
        throw new IllegalArgumentException("nodes must be >= 1");
      }
      extraServerArgs = List.copyOf(extraServerArgs);
      clockOffsets = Map.copyOf(clockOffsets);
    }
  }

  /** How a node is started; kept so that a restart repeats it exactly. */
  private record NodeSpec(
      int clientPort, int announcedClusterPort, int bindClusterPort, List<String> roleArgs) {}

  private final Config config;
  private final FaultProxy proxy;
  private final Path dataRoot;
  private final Map<String, NodeSpec> specs = new LinkedHashMap<>();
  /** Current members in the order they came: founders, then joiners; left nodes removed. */
  private final List<String> members = new ArrayList<>();
  private final Map<String, NodeProcess> processes = new LinkedHashMap<>();
  private final Set<String> paused = new HashSet<>();
  private final Set<Integer> portsTaken = new HashSet<>();
  private final Map<String, Integer> starts = new HashMap<>();
  private final Map<String, List<String>> prefixes = new HashMap<>();

  private LabCluster(Config config) {
    this.config = config;
    this.proxy = new FaultProxy(config.seed());
    try {
      Files.createDirectories(config.runDir());
      this.dataRoot = Files.createTempDirectory(config.runDir(), "data-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + config.runDir(), e);
    }
    config.clockOffsets().forEach((id, offset) -> prefixes.put(id, clockOffsetPrefix(offset)));
  }

  /**
   * Starts {@code config.nodes()} founders {@code n1..nN} behind the proxy and waits until each is
   * ready, the control plane counts all of them and every slot is served ({@link #awaitHealthy}).
   *
   * @throws IllegalStateException with the nodes' log tails if that does not happen in time; the
   *     processes are stopped before it is thrown
   */
  public static LabCluster start(Config config) {
    LabCluster cluster = new LabCluster(config);
    boolean ok = false;
    try {
      long startNanos = System.nanoTime();
      StringBuilder memberList = new StringBuilder();
      List<String> ids = new ArrayList<>();
      for (int i = 1; i <= config.nodes(); i++) {
        String id = "n" + i;
        ids.add(id);
        int announced = cluster.proxy.listen(id, 0, 0);
        synchronized (cluster) {
          cluster.portsTaken.add(announced);
        }
        memberList.append(i == 1 ? "" : ",").append(id).append('@').append(LOOPBACK).append(':')
            .append(announced);
        cluster.specs.put(id, new NodeSpec(cluster.freePort(), announced, cluster.freePort(), null));
      }
      for (String id : ids) {
        NodeSpec s = cluster.specs.get(id);
        cluster.specs.put(
            id,
            new NodeSpec(
                s.clientPort(),
                s.announcedClusterPort(),
                s.bindClusterPort(),
                List.of("--members", memberList.toString())));
        cluster.proxy.retarget(id, s.bindClusterPort());
      }
      synchronized (cluster) {
        cluster.members.addAll(ids);
      }
      for (String id : ids) {
        cluster.launch(id);
      }
      for (String id : ids) {
        NodeProcess p = cluster.processOf(id);
        if (!p.awaitReady(START_TIMEOUT)) {
          throw new IllegalStateException(
              id + " did not become ready within " + START_TIMEOUT + "\n" + cluster.logTails());
        }
      }
      String problem = cluster.awaitHealthy(Duration.ofSeconds(60));
      if (problem != null) {
        throw new IllegalStateException(
            "cluster not healthy after start: " + problem + "\n" + cluster.logTails());
      }
      if (cluster.proxy.unknownSourceConnections() > 0) {
        // Faults are keyed by node id from the Hello: without it every rule would silently miss.
        throw new IllegalStateException(
            "the fault proxy could not read the Hello of "
                + cluster.proxy.unknownSourceConnections()
                + " peer connection(s) (peer authentication or TLS on?): faults would not apply");
      }
      System.out.printf(
          "[faultlab] %d nodes up and healthy after %d ms (logs in %s)%n",
          config.nodes(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
          config.runDir());
      ok = true;
      return cluster;
    } finally {
      if (!ok) {
        cluster.close();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Processes

  private NodeProcess launch(String id) {
    NodeSpec spec;
    int n;
    synchronized (this) {
      spec = specs.get(id);
      n = starts.merge(id, 1, Integer::sum);
    }
    List<String> cmd = new ArrayList<>(prefixes.getOrDefault(id, List.of()));
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(NODE_JVM_FLAGS);
    cmd.add("-jar");
    cmd.add(config.serverJar().toString());
    cmd.addAll(
        List.of(
            "server",
            "--port", Integer.toString(spec.clientPort()),
            "--bind", LOOPBACK,
            "--io-threads", "1",
            "--node-id", id,
            "--cluster-port", Integer.toString(spec.announcedClusterPort()),
            "--cluster-bind-port", Integer.toString(spec.bindClusterPort()),
            "--data-dir", dataRoot.resolve(id).toString()));
    cmd.addAll(spec.roleArgs());
    cmd.addAll(config.extraServerArgs());
    NodeProcess p = NodeProcess.start(id, cmd, config.runDir().resolve("logs").resolve(id + "-" + n + ".log"));
    synchronized (this) {
      processes.put(id, p);
    }
    return p;
  }

  /** SIGKILL to the node's PID (nothing flushed, nothing said to peers); it stays a member. */
  public void kill9(String id) {
    NodeProcess p;
    synchronized (this) {
      p = processes.remove(id);
      paused.remove(id);
    }
    if (p == null) {
      throw new IllegalStateException(id + " is not running");
    }
    p.kill9();
  }

  /**
   * Starts a killed member again with the same ports, arguments, prefix and data directory and
   * waits for its ready line (not until it has caught up).
   *
   * @throws IllegalStateException with its log tail if it is not ready within 45 s
   */
  public void restart(String id) {
    synchronized (this) {
      if (processes.containsKey(id)) {
        throw new IllegalStateException(id + " is still running");
      }
      if (!members.contains(id)) {
        throw new IllegalStateException(id + " is not a member");
      }
    }
    NodeProcess p = launch(id);
    if (!p.awaitReady(START_TIMEOUT)) {
      throw new IllegalStateException(
          "restarted " + id + " not ready within " + START_TIMEOUT + "\n" + p.tail(40));
    }
  }

  /** SIGSTOP: the process freezes with its sockets open (a long GC pause, a stalled VM). */
  public void pause(String id) {
    NodeProcess p = processOf(id);
    if (p.signal("STOP")) {
      synchronized (this) {
        paused.add(id);
      }
    }
  }

  /** SIGCONT after {@link #pause}. */
  public void resume(String id) {
    NodeProcess p;
    synchronized (this) {
      p = processes.get(id);
      paused.remove(id);
    }
    if (p != null) {
      p.signal("CONT");
    }
  }

  /**
   * Starts a new node {@code id} that joins through the proxy port of a running member, and waits
   * (up to {@code timeout}) until every running member counts it active with nothing joining,
   * leaving or rebalancing.
   *
   * @return null once it has joined, else what was still wrong at the deadline
   */
  public String join(String id, Duration timeout) {
    String seed;
    synchronized (this) {
      if (specs.containsKey(id)) {
        throw new IllegalArgumentException(id + " is or was a member already");
      }
      seed = running().get(0);
    }
    int announced = proxy.listen(id, 0, 0);
    int bind;
    int client;
    synchronized (this) {
      portsTaken.add(announced);
      bind = freePort();
      client = freePort();
      specs.put(
          id,
          new NodeSpec(
              client,
              announced,
              bind,
              List.of("--join", LOOPBACK + ":" + specs.get(seed).announcedClusterPort())));
      members.add(id);
    }
    proxy.retarget(id, bind);
    NodeProcess p = launch(id);
    long deadline = System.nanoTime() + timeout.toNanos();
    if (!p.awaitReady(timeout)) {
      return id + " not ready within " + timeout + ": " + p.tail(10);
    }
    return awaitHealthy(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
  }

  /**
   * Asks another running member to remove {@code id} ({@code CLUSTER LEAVE}), waits for the
   * leaving process to exit by itself, then for the others to settle; all within {@code timeout}.
   *
   * @return null if it left and exited with status 0, else what went wrong
   */
  public String leave(String id, Duration timeout) {
    NodeProcess leaving = processOf(id);
    String via;
    synchronized (this) {
      via = running().stream().filter(r -> !r.equals(id)).findFirst().orElseThrow();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Jedis admin = admin(via, Duration.ofSeconds(10))) {
      Object reply = admin.sendCommand(Protocol.Command.CLUSTER, "LEAVE", id);
      String text = text(reply);
      if (!"OK".equals(text)) {
        return "CLUSTER LEAVE " + id + " via " + via + ": " + text;
      }
    } catch (RuntimeException e) {
      return "CLUSTER LEAVE " + id + " via " + via + ": " + e;
    }
    Integer exit = leaving.waitFor(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    if (exit == null) {
      return id + " still running after CLUSTER LEAVE";
    }
    synchronized (this) {
      processes.remove(id);
      members.remove(id);
    }
    if (exit != 0) {
      return id + " exited with status " + exit + " after CLUSTER LEAVE";
    }
    return awaitHealthy(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
  }

  // ---------------------------------------------------------------------------------------------
  // Observing

  /** Current members: founders, then joiners; left nodes removed, killed ones kept. */
  public synchronized List<String> members() {
    return List.copyOf(members);
  }

  /** Members whose process runs now (paused ones included). */
  public synchronized List<String> running() {
    return members.stream().filter(processes::containsKey).toList();
  }

  /** Members running and not paused. */
  public synchronized List<String> responsive() {
    return members.stream().filter(id -> processes.containsKey(id) && !paused.contains(id)).toList();
  }

  public synchronized boolean isRunning(String id) {
    return processes.containsKey(id);
  }

  public synchronized List<String> paused() {
    return List.copyOf(paused);
  }

  /** Members that are not running (killed and not restarted). */
  public synchronized List<String> down() {
    return members.stream().filter(id -> !processes.containsKey(id)).toList();
  }

  public synchronized int clientPort(String id) {
    NodeSpec spec = specs.get(id);
    if (spec == null) {
      throw new IllegalArgumentException("no node " + id);
    }
    return spec.clientPort();
  }

  public FaultProxy proxy() {
    return proxy;
  }

  public Path runDir() {
    return config.runDir();
  }

  public Config config() {
    return config;
  }

  /**
   * Waits until every running member answers, reports every slot served ({@code
   * slots_not_ready:0}), reaches every running member, and counts exactly the members active with
   * none failed, joining or leaving and no rebalance in progress.
   *
   * @return null when healthy, else the last problem seen at the deadline
   */
  public String awaitHealthy(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String problem;
    do {
      problem = healthProblem();
      if (problem == null) {
        return null;
      }
      pollPause(100);
    } while (System.nanoTime() - deadline < 0);
    return problem;
  }

  private String healthProblem() {
    List<String> expected = members();
    List<String> running = running();
    if (!running.equals(expected)) {
      return "not running: " + down();
    }
    for (String id : running) {
      Map<String, String> info;
      Map<String, String> cluster;
      try (Jedis j = admin(id, Duration.ofSeconds(3))) {
        info = parseInfo(j.info("cluster"));
        cluster = parseInfo(j.clusterInfo());
      } catch (RuntimeException e) {
        return id + ": " + e;
      }
      String wrong =
          expect(id, info, "slots_not_ready", "0")
              + expect(id, info, "members_reachable", Integer.toString(running.size()))
              + expect(id, cluster, "dc_members_active", Integer.toString(expected.size()))
              + expect(id, cluster, "dc_members_failed", "0")
              + expect(id, cluster, "dc_members_joining", "0")
              + expect(id, cluster, "dc_members_leaving", "0")
              + expect(id, cluster, "dc_rebalance_in_progress", "0");
      if (!wrong.isEmpty()) {
        return wrong;
      }
    }
    return null;
  }

  /**
   * Polls {@code CLUSTER VERIFY} through a running member until it says {@code verify_result:ok}
   * (the replicas agree with the primaries).
   *
   * @return null once ok, else the last report at the deadline
   */
  public String awaitVerifyOk(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "not polled";
    do {
      List<String> running = running();
      if (!running.isEmpty()) {
        try (Jedis j = admin(running.get(0), Duration.ofSeconds(30))) {
          last = text(j.sendCommand(Protocol.Command.CLUSTER, "VERIFY"));
          if ("ok".equals(parseInfo(last).get("verify_result"))) {
            return null;
          }
        } catch (RuntimeException e) {
          last = e.toString();
        }
      }
      pollPause(250);
    } while (System.nanoTime() - deadline < 0);
    return last;
  }

  /**
   * The primary of {@code key}'s slot as a running member sees it now ({@code CLUSTER SLOTS},
   * primaries identified by client port), or null if none answers.
   */
  public String primaryOf(String key) {
    int slot = Slots.slot(key.getBytes(StandardCharsets.UTF_8));
    Map<Integer, String> byPort = new HashMap<>();
    synchronized (this) {
      specs.forEach((id, spec) -> byPort.put(spec.clientPort(), id));
    }
    for (String via : responsive()) {
      try (Jedis j = admin(via, Duration.ofSeconds(3))) {
        for (Object range : (List<?>) j.sendCommand(Protocol.Command.CLUSTER, "SLOTS")) {
          List<?> r = (List<?>) range;
          long from = (Long) r.get(0);
          long to = (Long) r.get(1);
          if (slot >= from && slot <= to) {
            List<?> primary = (List<?>) r.get(2);
            return byPort.get(((Long) primary.get(1)).intValue());
          }
        }
      } catch (RuntimeException e) {
        // try the next node
      }
    }
    return null;
  }

  /** The last lines of every node's current log, for failure messages. */
  public String logTails() {
    StringBuilder sb = new StringBuilder();
    Map<String, NodeProcess> copy;
    synchronized (this) {
      copy = new LinkedHashMap<>(processes);
    }
    copy.forEach(
        (id, p) ->
            sb.append("--- ").append(p).append(" ").append(p.logFile()).append('\n')
                .append(p.tail(25)).append('\n'));
    return sb.toString();
  }

  /**
   * Resumes paused nodes, stops every running process by its PID (SIGTERM, 10 s, SIGKILL), closes
   * the proxy and deletes the data directories. Never throws.
   */
  @Override
  public void close() {
    List<NodeProcess> all;
    synchronized (this) {
      all = new ArrayList<>(processes.values());
      processes.clear();
      paused.clear();
    }
    for (NodeProcess p : all) {
      p.signal("CONT");
    }
    for (NodeProcess p : all) {
      p.stop(Duration.ofSeconds(10));
    }
    proxy.close();
    deleteRecursively(dataRoot);
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * A prefix that runs a command with its clocks shifted by {@code offset} (libfaketime syntax,
   * e.g. {@code +120s}), through {@code env(1)} so that the PID is the server's own: the {@code
   * faketime} wrapper forks and does not pass signals on, so we ask it which environment it would
   * set and set that ourselves. The monotonic clock is shifted by the same constant (JDK 17 busy-
   * spins otherwise, see SeedBug1FaketimeTtlIT), which the server's nanoTime differences cancel.
   *
   * @throws IllegalStateException if faketime is not installed
   */
  public static List<String> clockOffsetPrefix(String offset) {
    if (!faketimeAvailable()) {
      throw new IllegalStateException("/usr/bin/faketime is not installed (package faketime)");
    }
    try {
      Process probe =
          new ProcessBuilder("faketime", "-f", offset, "env").redirectErrorStream(true).start();
      String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!probe.waitFor(10, TimeUnit.SECONDS) || probe.exitValue() != 0) {
        throw new IllegalStateException("faketime -f " + offset + " env failed: " + out);
      }
      List<String> prefix = new ArrayList<>(List.of("env", "-u", "FAKETIME_DONT_FAKE_MONOTONIC"));
      for (String line : out.split("\n")) {
        if (line.startsWith("LD_PRELOAD=") || line.startsWith("FAKETIME=")) {
          prefix.add(line);
        }
      }
      if (prefix.size() != 5) {
        throw new IllegalStateException("unexpected faketime environment: " + out);
      }
      return prefix;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Whether {@code /usr/bin/faketime} exists. */
  public static boolean faketimeAvailable() {
    return Files.isExecutable(Path.of("/usr/bin/faketime"));
  }

  private synchronized NodeProcess processOf(String id) {
    NodeProcess p = processes.get(id);
    if (p == null) {
      throw new IllegalStateException(id + " is not running");
    }
    return p;
  }

  /** A short-lived admin connection; CLUSTER commands never go on workload connections. */
  private Jedis admin(String id, Duration socketTimeout) {
    return new Jedis(
        new HostAndPort(LOOPBACK, clientPort(id)),
        DefaultJedisClientConfig.builder()
            .autoNegotiateProtocol(false)
            .connectionTimeoutMillis(2_000)
            .socketTimeoutMillis((int) socketTimeout.toMillis())
            .build());
  }

  private synchronized int freePort() {
    for (int i = 0; i < 100; i++) {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
        int port = socket.getLocalPort();
        if (portsTaken.add(port)) {
          return port;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new IllegalStateException("no distinct free port in 100 tries");
  }

  private static String expect(String id, Map<String, String> info, String field, String value) {
    String seen = info.get(field);
    return value.equals(seen) ? "" : id + ": " + field + "=" + seen + " (want " + value + "); ";
  }

  static Map<String, String> parseInfo(String info) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : info.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (!line.startsWith("#") && colon > 0) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
      }
    }
    return fields;
  }

  static String text(Object reply) {
    return reply instanceof byte[] bytes
        ? new String(bytes, StandardCharsets.UTF_8)
        : String.valueOf(reply);
  }

  /** Polling interval of the waits above (they poll other processes, nothing to be woken by). */
  private static void pollPause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
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
      System.err.println("[faultlab] could not delete " + root + ": " + e);
    }
  }
}
