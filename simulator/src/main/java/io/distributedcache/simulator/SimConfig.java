package io.distributedcache.simulator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Everything that determines one simulation run. Two runs with equal configs are identical, event
 * for event ({@link SimResult#traceDigest()}).
 *
 * @param seed the seed of every random choice of the run
 * @param nodeCount cluster members n1..nK
 * @param replicationFactor copies of each slot (N)
 * @param virtualNodes ring positions per member
 * @param sessions client connections running the workload at once
 * @param workload how long clients issue requests while faults are injected
 * @param heal how long the healed cluster runs, without faults or new requests, before the
 *     convergence check; must exceed the longest TTL plus a few anti-entropy intervals
 * @param requestTimeout the nodes' request timeout
 * @param syncRetryInterval the nodes' catch-up retry interval
 * @param antiEntropyInterval the nodes' anti-entropy interval
 * @param tickInterval how often each node's {@code tick()} runs (plus up to 10% jitter)
 * @param maxInitialSkew the largest initial offset of a node's wall clock, either way
 * @param faults the random faults injected during the workload
 * @param script faults at fixed moments
 * @param ttlPercent the share of operations that are {@code SET ... PX ttl}, in percent
 * @param sabotage a deliberate defect, for checker tests only
 * @param membership joins and leaves through the control plane during the workload
 * @param quorumWrites whether every client writes at QUORUM (otherwise levels are random)
 * @param checkNearCaches whether each node keeps a {@link NearCache} and {@link
 *     NearCachesHearOfChanges} checks that it hears of every change (on by default)
 */
public record SimConfig(
    long seed,
    int nodeCount,
    int replicationFactor,
    int virtualNodes,
    int sessions,
    Duration workload,
    Duration heal,
    Duration requestTimeout,
    Duration syncRetryInterval,
    Duration antiEntropyInterval,
    Duration tickInterval,
    Duration maxInitialSkew,
    FaultProfile faults,
    List<ScriptedFault> script,
    int ttlPercent,
    Sabotage sabotage,
    MembershipScript membership,
    boolean quorumWrites,
    boolean checkNearCaches) {

  /** The longest TTL the workload writes. */
  public static final Duration MAX_TTL = Duration.ofMillis(1500);

  public SimConfig {
    if (nodeCount < 1 || nodeCount > 9) {
      throw new IllegalArgumentException("nodeCount must be in 1..9: " + nodeCount);
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("replicationFactor must be >= 1: " + replicationFactor);
    }
    if (sessions < 1) {
      throw new IllegalArgumentException("sessions must be >= 1: " + sessions);
    }
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(heal, "heal");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(syncRetryInterval, "syncRetryInterval");
    Objects.requireNonNull(antiEntropyInterval, "antiEntropyInterval");
    Objects.requireNonNull(tickInterval, "tickInterval");
    Objects.requireNonNull(maxInitialSkew, "maxInitialSkew");
    Objects.requireNonNull(faults, "faults");
    script = List.copyOf(script);
    if (ttlPercent < 0 || ttlPercent > 100) {
      throw new IllegalArgumentException("ttlPercent must be in 0..100: " + ttlPercent);
    }
    Objects.requireNonNull(sabotage, "sabotage");
    Objects.requireNonNull(membership, "membership");
    if (membership.leaves() && membership.leaveNode() > nodeCount) {
      throw new IllegalArgumentException("no node " + membership.leaveNode() + " to leave");
    }
    if (membership.leaves() && membership.leaveNode() == nodeCount && !membership.joins()) {
      throw new IllegalArgumentException("the joiner cannot leave without joining first");
    }
  }

  /** Founders plus the joiner, if one joins. */
  public int totalNodes() {
    return nodeCount + (membership.joins() ? 1 : 0);
  }

  /** A builder with the defaults: 5 nodes, RF 3, 6 sessions, no faults. */
  public static Builder builder(long seed) {
    return new Builder(seed);
  }

  /**
   * The configuration {@code SimulationTest} runs for {@code seed}: 3 to 5 nodes, RF 3, a fault
   * mix drawn from the seed ({@link FaultProfile#random}), and in about a third of the seeds a
   * membership change (a join, a leave, or a join then the joiner's leave) while the workload
   * runs. A seed therefore names a whole run.
   */
  public static SimConfig randomFor(long seed, Duration workload) {
    SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
    int nodes = 3 + random.nextInt(3);
    FaultProfile faults = FaultProfile.random(random);
    long span = Math.max(400, workload.toMillis());
    MembershipScript membership = MembershipScript.NONE;
    int kind = random.nextInt(100);
    if (kind < 12) {
      membership = new MembershipScript(random.nextLong(span / 8, span / 3), -1, -1);
    } else if (kind < 22 && nodes >= 4) {
      membership =
          new MembershipScript(-1, random.nextLong(span / 8, span / 2), random.nextInt(nodes));
    } else if (kind < 34) {
      long join = random.nextLong(span / 10, span / 4);
      membership = new MembershipScript(join, join + random.nextLong(span / 4, span / 2), nodes);
    }
    return builder(seed)
        .nodeCount(nodes)
        .workload(workload)
        .faults(faults)
        .membership(membership)
        .build();
  }

  /** A copy with another seed (and everything else equal). */
  public SimConfig withSeed(long newSeed) {
    return toBuilder().seed(newSeed).build();
  }

  /** A builder holding this config's values. */
  public Builder toBuilder() {
    Builder b = new Builder(seed);
    b.nodeCount = nodeCount;
    b.replicationFactor = replicationFactor;
    b.virtualNodes = virtualNodes;
    b.sessions = sessions;
    b.workload = workload;
    b.heal = heal;
    b.requestTimeout = requestTimeout;
    b.syncRetryInterval = syncRetryInterval;
    b.antiEntropyInterval = antiEntropyInterval;
    b.tickInterval = tickInterval;
    b.maxInitialSkew = maxInitialSkew;
    b.faults = faults;
    b.script = new ArrayList<>(script);
    b.ttlPercent = ttlPercent;
    b.sabotage = sabotage;
    b.membership = membership;
    b.quorumWrites = quorumWrites;
    b.checkNearCaches = checkNearCaches;
    return b;
  }

  /** One line for failure reports. */
  public String describe() {
    return "seed="
        + seed
        + " nodes="
        + nodeCount
        + " rf="
        + replicationFactor
        + " sessions="
        + sessions
        + " workload="
        + workload.toMillis()
        + "ms heal="
        + heal.toMillis()
        + "ms timeout="
        + requestTimeout.toMillis()
        + "ms antiEntropy="
        + antiEntropyInterval.toMillis()
        + "ms ttl%="
        + ttlPercent
        + " faults=["
        + faults.describe()
        + "]"
        + (script.isEmpty() ? "" : " script=" + script)
        + (membership.any() ? " membership=" + membership : "")
        + (quorumWrites ? " quorumWrites" : "")
        + (checkNearCaches ? "" : " nearCachesUnchecked")
        + (sabotage == Sabotage.NONE ? "" : " sabotage=" + sabotage);
  }

  /** Builds a {@link SimConfig}; every setter returns the builder. */
  public static final class Builder {
    private long seed;
    private int nodeCount = 5;
    private int replicationFactor = 3;
    private int virtualNodes = 150;
    private int sessions = 6;
    private Duration workload = Duration.ofMillis(2500);
    private Duration heal = Duration.ofMillis(3000);
    private Duration requestTimeout = Duration.ofMillis(400);
    private Duration syncRetryInterval = Duration.ofMillis(200);
    private Duration antiEntropyInterval = Duration.ofMillis(500);
    private Duration tickInterval = Duration.ofMillis(10);
    private Duration maxInitialSkew = Duration.ofHours(2);
    private FaultProfile faults = FaultProfile.NONE;
    private List<ScriptedFault> script = new ArrayList<>();
    private int ttlPercent = 10;
    private Sabotage sabotage = Sabotage.NONE;
    private MembershipScript membership = MembershipScript.NONE;
    private boolean quorumWrites;
    private boolean checkNearCaches = true;

    private Builder(long seed) {
      this.seed = seed;
    }

    public Builder seed(long value) {
      this.seed = value;
      return this;
    }

    public Builder nodeCount(int value) {
      this.nodeCount = value;
      return this;
    }

    public Builder replicationFactor(int value) {
      this.replicationFactor = value;
      return this;
    }

    public Builder virtualNodes(int value) {
      this.virtualNodes = value;
      return this;
    }

    public Builder sessions(int value) {
      this.sessions = value;
      return this;
    }

    public Builder workload(Duration value) {
      this.workload = value;
      return this;
    }

    public Builder heal(Duration value) {
      this.heal = value;
      return this;
    }

    public Builder requestTimeout(Duration value) {
      this.requestTimeout = value;
      return this;
    }

    public Builder syncRetryInterval(Duration value) {
      this.syncRetryInterval = value;
      return this;
    }

    public Builder antiEntropyInterval(Duration value) {
      this.antiEntropyInterval = value;
      return this;
    }

    public Builder tickInterval(Duration value) {
      this.tickInterval = value;
      return this;
    }

    public Builder maxInitialSkew(Duration value) {
      this.maxInitialSkew = value;
      return this;
    }

    public Builder faults(FaultProfile value) {
      this.faults = value;
      return this;
    }

    /** Adds one scripted fault. */
    public Builder fault(ScriptedFault value) {
      this.script.add(Objects.requireNonNull(value, "value"));
      return this;
    }

    public Builder ttlPercent(int value) {
      this.ttlPercent = value;
      return this;
    }

    public Builder sabotage(Sabotage value) {
      this.sabotage = value;
      return this;
    }

    public Builder membership(MembershipScript value) {
      this.membership = value;
      return this;
    }

    public Builder quorumWrites(boolean value) {
      this.quorumWrites = value;
      return this;
    }

    public Builder checkNearCaches(boolean value) {
      this.checkNearCaches = value;
      return this;
    }

    public SimConfig build() {
      return new SimConfig(
          seed,
          nodeCount,
          replicationFactor,
          virtualNodes,
          sessions,
          workload,
          heal,
          requestTimeout,
          syncRetryInterval,
          antiEntropyInterval,
          tickInterval,
          maxInitialSkew,
          faults,
          script,
          ttlPercent,
          sabotage,
          membership,
          quorumWrites,
          checkNearCaches);
    }
  }
}
