package io.distributedcache.simulator;

import io.distributedcache.core.cluster.ClusterSession;
import io.distributedcache.core.cluster.ConsistencyLevel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The clients: a few connections, each bound to one node (its coordinator) and each with at most
 * one request outstanding, as the RESP layer enforces per connection. They run SET (unique values),
 * SET PX, GET, DEL, INCR, MGET and two-key DEL on a small key space where several keys share a hash
 * tag, at levels chosen per connection and changed now and then.
 *
 * <p>When a coordinator crashes, its connections' outstanding requests end without a reply (their
 * outcome is unknown) and the clients reconnect to another node: a new connection, so a new {@link
 * ClusterSession} that remembers none of the old one's writes.
 */
final class SimWorkload {

  /** The plain keys: eight alone, three groups of four sharing a hash tag. */
  static final List<String> KEYS =
      List.of(
          "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7",
          "{a}k0", "{a}k1", "{a}k2", "{a}k3",
          "{b}k0", "{b}k1", "{b}k2", "{b}k3",
          "{c}k0", "{c}k1", "{c}k2", "{c}k3");

  /** Keys that share a slot, for MGET and two-key DEL. */
  static final List<List<String>> TAG_GROUPS =
      List.of(KEYS.subList(8, 12), KEYS.subList(12, 16), KEYS.subList(16, 20));

  /** The counters, only ever INCRemented and read; two share a slot with plain keys. */
  static final List<String> COUNTERS = List.of("ctr0", "{a}ctr", "{b}ctr");

  /** Every key the workload touches. */
  static final List<String> ALL_KEYS;

  static {
    List<String> all = new ArrayList<>(KEYS);
    all.addAll(COUNTERS);
    ALL_KEYS = List.copyOf(all);
  }

  private static final int FINAL_READ_ATTEMPTS = 30;
  private static final long MS = 1_000_000L;

  private final Simulation sim;
  private final SplittableRandom random;
  private final History history;
  private final List<Client> clients = new ArrayList<>();
  private final List<Client> finalReaders = new ArrayList<>();
  private final Map<String, Op> finalReads = new LinkedHashMap<>();
  private boolean issuing = true;
  private long nextConnection = 1;

  long operations;

  SimWorkload(Simulation sim, SplittableRandom random, History history) {
    this.sim = sim;
    this.random = random;
    this.history = history;
  }

  static boolean isCounter(String key) {
    return COUNTERS.contains(key);
  }

  /** One client connection (and its reconnections). */
  private final class Client {
    final int id;
    final String finalKey;
    int node;
    long connection;
    ClusterSession session;
    ConsistencyLevel readLevel;
    ConsistencyLevel writeLevel;
    Op outstanding;
    int opNo;
    long loop;
    int attempts;

    Client(int id, String finalKey) {
      this.id = id;
      this.finalKey = finalKey;
    }
  }

  /** Creates the clients and schedules their first requests. */
  void start(int sessions) {
    for (int i = 1; i <= sessions; i++) {
      Client c = new Client(i, null);
      c.readLevel = randomLevel();
      c.writeLevel = writeLevel();
      connect(c, randomAliveNode());
      clients.add(c);
      scheduleNext(c, random.nextLong(20 * MS));
    }
  }

  /** No new requests from now on; outstanding ones still complete. */
  void stopIssuing() {
    issuing = false;
  }

  /** Calls {@code check} with every request waiting for a reply now. */
  void forEachOutstanding(java.util.function.Consumer<Op> check) {
    for (Client c : clients) {
      if (c.outstanding != null) {
        check.accept(c.outstanding);
      }
    }
    for (Client c : finalReaders) {
      if (c.outstanding != null) {
        check.accept(c.outstanding);
      }
    }
  }

  private ConsistencyLevel writeLevel() {
    ConsistencyLevel level = randomLevel();
    return sim.config().quorumWrites() ? ConsistencyLevel.QUORUM : level;
  }

  private ConsistencyLevel randomLevel() {
    int r = random.nextInt(10);
    return r < 3 ? ConsistencyLevel.ONE : r < 8 ? ConsistencyLevel.QUORUM : ConsistencyLevel.ALL;
  }

  private void connect(Client c, int node) {
    c.node = node;
    c.connection = nextConnection++;
    c.session = new ClusterSession(c.readLevel, c.writeLevel);
  }

  private void scheduleNext(Client c, long delayNanos) {
    long loop = ++c.loop;
    sim.schedule(
        sim.now() + delayNanos,
        Simulation.EV_CLIENT,
        c.id,
        () -> {
          if (c.loop == loop) {
            issue(c);
          }
        });
  }

  private void issue(Client c) {
    if (c.outstanding != null) {
      return;
    }
    if (c.finalKey != null) {
      issueFinalRead(c);
      return;
    }
    if (!issuing) {
      return;
    }
    if (random.nextInt(100) < 4) {
      c.readLevel = randomLevel();
      c.session.readLevel(c.readLevel);
    }
    if (random.nextInt(100) < 4) {
      c.writeLevel = writeLevel();
      c.session.writeLevel(c.writeLevel);
    }
    int ttlPercent = sim.config().ttlPercent();
    int roll = random.nextInt(100);
    Op.Kind kind;
    if (roll < ttlPercent) {
      kind = Op.Kind.SET_PX;
    } else {
      // The rest in fixed proportions: SET 26, GET 26, DEL 6, INCR 12, GET counter 8, MGET 12,
      // DEL2 10.
      int r = random.nextInt(100);
      kind =
          r < 26
              ? Op.Kind.SET
              : r < 52
                  ? Op.Kind.GET
                  : r < 58
                      ? Op.Kind.DEL
                      : r < 70
                          ? Op.Kind.INCR
                          : r < 78 ? Op.Kind.GET_COUNTER : r < 90 ? Op.Kind.MGET : Op.Kind.DEL2;
    }
    c.opNo++;
    String key = KEYS.get(random.nextInt(KEYS.size()));
    String counter = COUNTERS.get(random.nextInt(COUNTERS.size()));
    List<String> group = TAG_GROUPS.get(random.nextInt(TAG_GROUPS.size()));
    int first = random.nextInt(group.size());
    int second = (first + 1 + random.nextInt(group.size() - 1)) % group.size();
    String value = "c" + c.id + "-" + c.opNo;
    switch (kind) {
      case SET -> submit(c, kind, List.of(key), value, 0, "SET", key, value);
      case SET_PX -> {
        long ttlMillis = random.nextLong(50, SimConfig.MAX_TTL.toMillis() + 1);
        submit(
            c, kind, List.of(key), value, ttlMillis * MS, "SET", key, value, "PX",
            Long.toString(ttlMillis));
      }
      case GET -> submit(c, kind, List.of(key), null, 0, "GET", key);
      case DEL -> submit(c, kind, List.of(key), null, 0, "DEL", key);
      case INCR -> submit(c, kind, List.of(counter), null, 0, "INCR", counter);
      case GET_COUNTER -> submit(c, kind, List.of(counter), null, 0, "GET", counter);
      case MGET -> {
        String a = group.get(first);
        String b = group.get(second);
        submit(c, kind, List.of(a, b), null, 0, "MGET", a, b);
      }
      case DEL2 -> {
        String a = group.get(first);
        String b = group.get(second);
        submit(c, kind, List.of(a, b), null, 0, "DEL", a, b);
      }
    }
  }

  private void submit(
      Client c, Op.Kind kind, List<String> keys, String value, long ttlNanos, String... args) {
    SimNode node = sim.node(c.node);
    ConsistencyLevel level = kind.write ? c.writeLevel : c.readLevel;
    Op op =
        new Op(
            history.nextId(),
            c.id,
            c.connection,
            kind,
            keys,
            value,
            ttlNanos,
            level,
            node.id,
            sim.now());
    history.add(op);
    operations++;
    c.outstanding = op;
    byte[][] bytes = new byte[args.length][];
    for (int i = 0; i < args.length; i++) {
      bytes[i] = args[i].getBytes(StandardCharsets.UTF_8);
    }
    long connection = c.connection;
    if (sim.trace().enabled() && keys.stream().anyMatch(sim.trace()::traces)) {
      sim.trace().log("client invokes " + op);
    }
    if (!kind.write) {
      sim.onReadInvoked(c.node, op); // before the node sees it: the reply may come at once
    }
    // May call back before submit returns: onReply copes.
    node.cluster.submit(node.request(bytes), c.session, reply -> onReply(c, connection, op, reply));
  }

  private void onReply(Client c, long connection, Op op, byte[] reply) {
    if (op.outcome != Op.Outcome.PENDING) {
      sim.fail(
          EveryRequestAnswered.NAME,
          "a second reply " + Resp.show(reply) + " to " + op,
          op.keys);
      return;
    }
    sim.digest(reply);
    op.completeNanos = sim.now();
    Resp.Reply parsed = Resp.parse(reply);
    if (parsed.error() != null) {
      op.error = parsed.error();
      op.outcome =
          op.isWrite() && parsed.error().startsWith("TIMEOUT unknown outcome")
              ? Op.Outcome.UNKNOWN
              : Op.Outcome.FAILED;
    } else {
      op.outcome = Op.Outcome.OK;
      String problem = interpret(op, parsed);
      if (problem != null) {
        sim.fail(ReadsSeeAcknowledgedWrites.NAME, problem + ": " + Resp.show(reply), op.keys);
      }
    }
    if (sim.trace().enabled() && op.keys.stream().anyMatch(sim.trace()::traces)) {
      sim.trace().log("client completes " + op);
    }
    sim.onComplete(op);
    if (c.connection != connection || c.outstanding != op) {
      return;
    }
    c.outstanding = null;
    if (c.finalKey != null) {
      if (op.acknowledged()) {
        finalReads.put(c.finalKey, op);
      } else {
        retryFinalRead(c);
      }
    } else {
      scheduleNext(c, random.nextLong(20 * MS));
    }
  }

  /** Fills in what a successful reply says; returns a description if it makes no sense. */
  private static String interpret(Op op, Resp.Reply reply) {
    switch (op.kind) {
      case SET, SET_PX -> {
        return "OK".equals(reply.simple()) ? null : "SET answered something else than OK";
      }
      case DEL, DEL2 -> {
        return reply.integer() != null ? null : "DEL answered no integer";
      }
      case INCR -> {
        if (reply.integer() == null) {
          return "INCR answered no integer";
        }
        op.counterResult = reply.integer();
        return null;
      }
      case GET, GET_COUNTER -> {
        if (!reply.isBulk()) {
          return "GET answered no bulk string";
        }
        op.values = new String[] {reply.bulk()};
        return null;
      }
      case MGET -> {
        if (reply.array() == null || reply.array().size() != op.keys.size()) {
          return "MGET answered no array of " + op.keys.size();
        }
        op.values = reply.array().toArray(new String[0]);
        return null;
      }
    }
    return null;
  }

  /** A node crashed: its clients lose their request and reconnect elsewhere. */
  void onCrash(int node) {
    for (List<Client> group : List.of(clients, finalReaders)) {
      for (Client c : group) {
        if (c.node != node) {
          continue;
        }
        if (c.outstanding != null) {
          c.outstanding.outcome = Op.Outcome.NO_REPLY;
          c.outstanding.error = "coordinator " + sim.node(node).id + " crashed";
          c.outstanding = null;
        }
        connect(c, randomAliveNode());
        scheduleNext(c, random.nextLong(10 * MS, 50 * MS));
      }
    }
  }

  private int randomAliveNode() {
    // Members only: a joiner opens its client port once the cluster has accepted it.
    List<Integer> alive = new ArrayList<>();
    for (int i = 0; i < sim.nodeCount(); i++) {
      if (sim.node(i).serving()) {
        alive.add(i);
      }
    }
    return alive.get(random.nextInt(alive.size()));
  }

  // ------------------------------------------------------------------------------------------
  // Final reads

  /** Reads every key at QUORUM through fresh connections, retrying errors for a while. */
  void startFinalReads() {
    int id = 1000;
    for (String key : ALL_KEYS) {
      Client c = new Client(id++, key);
      c.readLevel = ConsistencyLevel.QUORUM;
      c.writeLevel = ConsistencyLevel.QUORUM;
      connect(c, randomAliveNode());
      finalReaders.add(c);
      scheduleNext(c, random.nextLong(MS));
    }
  }

  private void issueFinalRead(Client c) {
    c.attempts++;
    Op.Kind kind = isCounter(c.finalKey) ? Op.Kind.GET_COUNTER : Op.Kind.GET;
    submit(c, kind, List.of(c.finalKey), null, 0, "GET", c.finalKey);
  }

  private void retryFinalRead(Client c) {
    if (c.attempts < FINAL_READ_ATTEMPTS) {
      connect(c, randomAliveNode());
      scheduleNext(c, 50 * MS);
    }
  }

  /** Whether every final read succeeded or gave up. */
  boolean finalReadsDone() {
    for (Client c : finalReaders) {
      if (!finalReads.containsKey(c.finalKey)
          && (c.outstanding != null || c.attempts < FINAL_READ_ATTEMPTS)) {
        return false;
      }
    }
    return true;
  }

  /** The successful final read of each key (keys whose reads all failed are missing). */
  Map<String, Op> finalReads() {
    return finalReads;
  }
}
