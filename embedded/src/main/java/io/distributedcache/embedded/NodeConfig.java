package io.distributedcache.embedded;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import io.distributedcache.embedded.internal.ClusterOptions;
import io.distributedcache.resp.codec.RespLimits;
import io.distributedcache.resp.server.ServerSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How a {@link CacheNode} runs: immutable, built with {@link #builder()}. The same settings as the
 * server's flags, with {@link Duration}s for times.
 *
 * <p>Three shapes:
 *
 * <ul>
 *   <li><b>standalone</b> (neither {@code members} nor {@code joinSeed}): one node, no peers, no
 *       data directory;
 *   <li><b>founder</b> ({@code members}): one of the founding members, all started with the same
 *       list; its cluster port is its entry's;
 *   <li><b>joiner</b> ({@code joinSeed}): joins a running cluster through any member's {@code
 *       host:clusterPort} and takes over its share of the slots.
 * </ul>
 *
 * <p>The client (RESP) port is optional: without one the node serves only the embedded API, in
 * a cluster as in standalone mode. Thread-safe (immutable).
 */
public final class NodeConfig {

  private final String nodeId;
  private final String host;
  private final String bindAddress;
  private final int clusterPort;
  private final Integer clientPort;
  private final List<Member> members;
  private final String joinSeed;
  private final int replicationFactor;
  private final int virtualNodes;
  private final ConsistencyLevel defaultConsistency;
  private final Duration requestTimeout;
  private final Duration failureTimeout;
  private final Duration antiEntropyInterval;
  private final Path dataDir;
  private final String clusterName;
  private final long maxMemoryBytes;
  private final String password;
  private final int ioThreads;
  private final Duration defaultTtl;

  private NodeConfig(Builder b) {
    this.nodeId = b.nodeId;
    this.clientPort = b.clientPort;
    this.members = List.copyOf(b.members);
    this.joinSeed = b.joinSeed;
    this.replicationFactor = b.replicationFactor;
    this.virtualNodes = b.virtualNodes;
    this.defaultConsistency = b.defaultConsistency;
    this.requestTimeout = b.requestTimeout;
    this.failureTimeout = b.failureTimeout;
    this.antiEntropyInterval = b.antiEntropyInterval;
    this.clusterName = b.clusterName;
    this.maxMemoryBytes = b.maxMemoryBytes;
    this.password = b.password;
    this.ioThreads = b.ioThreads;
    this.defaultTtl = b.defaultTtl;
    if (!members.isEmpty() && joinSeed != null) {
      throw new IllegalArgumentException("give members (to found a cluster) or joinSeed, not both");
    }
    boolean cluster = !members.isEmpty() || joinSeed != null;
    if (cluster && nodeId == null) {
      throw new IllegalArgumentException("a cluster member needs a nodeId");
    }
    Member self =
        members.stream().filter(m -> m.id().equals(nodeId)).findFirst().orElse(null);
    if (!members.isEmpty() && self == null) {
      throw new IllegalArgumentException("nodeId " + nodeId + " is not one of members " + members);
    }
    if (self != null && b.clusterPort != 0 && b.clusterPort != self.clusterPort()) {
      throw new IllegalArgumentException(
          "clusterPort " + b.clusterPort + " disagrees with this node's entry " + self);
    }
    if (self != null && b.hostSet && !self.host().equals(b.host)) {
      throw new IllegalArgumentException("host " + b.host + " disagrees with this node's entry " + self);
    }
    // A founder is reached where its entry in the member list says.
    this.host = self != null ? self.host() : b.host;
    this.bindAddress = b.bindAddress != null ? b.bindAddress : host;
    this.clusterPort = self != null ? self.clusterPort() : b.clusterPort;
    if (joinSeed != null && clusterPort == 0) {
      throw new IllegalArgumentException("a joining node needs its clusterPort");
    }
    if (cluster && clientPort != null && clientPort == 0) {
      throw new IllegalArgumentException(
          "a cluster member announces its client port: give a fixed one (0 only when standalone)");
    }
    this.dataDir =
        b.dataDir != null ? b.dataDir : cluster ? Path.of("data", nodeId) : null;
    if (cluster) {
      clusterOptions(); // validates the rest with the server's rules
    }
  }

  /** A builder with the defaults described on its setters. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.nodeId = nodeId;
    b.host = host;
    b.bindAddress = bindAddress;
    b.clusterPort = members.isEmpty() ? clusterPort : 0;
    b.clientPort = clientPort;
    b.members = members;
    b.joinSeed = joinSeed;
    b.replicationFactor = replicationFactor;
    b.virtualNodes = virtualNodes;
    b.defaultConsistency = defaultConsistency;
    b.requestTimeout = requestTimeout;
    b.failureTimeout = failureTimeout;
    b.antiEntropyInterval = antiEntropyInterval;
    b.dataDir = dataDir;
    b.clusterName = clusterName;
    b.maxMemoryBytes = maxMemoryBytes;
    b.password = password;
    b.ioThreads = ioThreads;
    b.defaultTtl = defaultTtl;
    return b;
  }

  /** Whether the node runs alone (no members, no seed). */
  public boolean standalone() {
    return members.isEmpty() && joinSeed == null;
  }

  /** This node's id; {@code "standalone"} for a standalone node that was given none. */
  public String nodeId() {
    return nodeId != null ? nodeId : "standalone";
  }

  /** The host peers and clients reach this node at; the peer port binds to it. */
  public String host() {
    return host;
  }

  /** The address the client port binds to (default: {@link #host()}). */
  public String bindAddress() {
    return bindAddress;
  }

  /** The peer port; 0 for a standalone node that was given none. */
  public int clusterPort() {
    return clusterPort;
  }

  /** The client (RESP) port, if the node opens one (0: any free port, standalone only). */
  public OptionalInt clientPort() {
    return clientPort == null ? OptionalInt.empty() : OptionalInt.of(clientPort);
  }

  /** The founding members (empty for a standalone node or a joiner). */
  public List<Member> members() {
    return members;
  }

  /** {@code host:clusterPort} of a member to join through, if this node joins. */
  public Optional<String> joinSeed() {
    return Optional.ofNullable(joinSeed);
  }

  public int replicationFactor() {
    return replicationFactor;
  }

  public int virtualNodes() {
    return virtualNodes;
  }

  /** The level a cache or RESP connection starts with. */
  public ConsistencyLevel defaultConsistency() {
    return defaultConsistency;
  }

  /** How long a request may take: the cluster's per-request timeout and the blocking wait. */
  public Duration requestTimeout() {
    return requestTimeout;
  }

  public Duration failureTimeout() {
    return failureTimeout;
  }

  public Duration antiEntropyInterval() {
    return antiEntropyInterval;
  }

  /** Where a cluster member keeps its Raft state; empty for a standalone node. */
  public Optional<Path> dataDir() {
    return Optional.ofNullable(dataDir);
  }

  public String clusterName() {
    return clusterName;
  }

  /** The storage bound in bytes; 0 for unbounded. */
  public long maxMemoryBytes() {
    return maxMemoryBytes;
  }

  /** Password RESP clients must AUTH with; empty for none. The embedded API needs none. */
  public String password() {
    return password;
  }

  public int ioThreads() {
    return ioThreads;
  }

  /** The TTL the typed API gives a put that names none; empty for "no expiry". */
  public Optional<Duration> defaultTtl() {
    return Optional.ofNullable(defaultTtl);
  }

  ServerSettings serverSettings() {
    return new ServerSettings(
        bindAddress,
        clientPort == null ? 0 : clientPort,
        password,
        maxMemoryBytes,
        RespLimits.defaults(),
        ioThreads,
        "");
  }

  /** The server's form of these settings; only for a cluster member. */
  ClusterOptions clusterOptions() {
    return new ClusterOptions(
        nodeId,
        members,
        joinSeed,
        host,
        clusterPort,
        replicationFactor,
        virtualNodes,
        defaultConsistency,
        requestTimeout,
        antiEntropyInterval,
        dataDir,
        clusterName,
        failureTimeout);
  }

  @Override
  public String toString() {
    return "NodeConfig{"
        + (standalone() ? "standalone" : members.isEmpty() ? "join " + joinSeed : "members " + members)
        + ", nodeId=" + nodeId()
        + ", host=" + host
        + ", clusterPort=" + clusterPort
        + ", clientPort=" + (clientPort == null ? "none" : clientPort)
        + ", replicationFactor=" + replicationFactor
        + ", consistency=" + defaultConsistency
        + ", requestTimeout=" + requestTimeout
        + "}";
  }

  /** Collects settings; {@link #build()} checks them together. Not thread-safe. */
  public static final class Builder {
    private String nodeId;
    private String host = "127.0.0.1";
    private boolean hostSet;
    private String bindAddress;
    private int clusterPort;
    private Integer clientPort;
    private List<Member> members = List.of();
    private String joinSeed;
    private int replicationFactor = 3;
    private int virtualNodes = ConsistentHashRing.DEFAULT_VIRTUAL_NODES_PER_MEMBER;
    private ConsistencyLevel defaultConsistency = ConsistencyLevel.QUORUM;
    private Duration requestTimeout = Duration.ofSeconds(1);
    private Duration failureTimeout = Duration.ofSeconds(1);
    private Duration antiEntropyInterval = Duration.ofSeconds(30);
    private Path dataDir;
    private String clusterName = "distributedcache";
    private long maxMemoryBytes;
    private String password = "";
    private int ioThreads;
    private Duration defaultTtl;

    private Builder() {}

    /** This node's stable id; required for a cluster member (placement hashes it). */
    public Builder nodeId(String id) {
      this.nodeId = Objects.requireNonNull(id, "id");
      return this;
    }

    /** The host peers and clients reach this node at; default 127.0.0.1. */
    public Builder host(String announcedHost) {
      this.host = Objects.requireNonNull(announcedHost, "announcedHost");
      this.hostSet = true;
      return this;
    }

    /** The address the client port binds to; default: the host. */
    public Builder bindAddress(String address) {
      this.bindAddress = Objects.requireNonNull(address, "address");
      return this;
    }

    /** The peer port (a founder's comes from its entry in {@link #members}). */
    public Builder clusterPort(int port) {
      if (port < 1 || port > Member.MAX_PORT) {
        throw new IllegalArgumentException("clusterPort must be in 1..65535: " + port);
      }
      this.clusterPort = port;
      return this;
    }

    /** Opens a client (RESP) port; 0 picks a free one (standalone only). Default: none. */
    public Builder clientPort(int port) {
      if (port < 0 || port > Member.MAX_PORT) {
        throw new IllegalArgumentException("clientPort must be in 0..65535: " + port);
      }
      this.clientPort = port;
      return this;
    }

    /** No client port: the node serves the embedded API only (the default). */
    public Builder noClientPort() {
      this.clientPort = null;
      return this;
    }

    /** The founding members, this node included. */
    public Builder members(List<Member> founding) {
      this.members = List.copyOf(founding);
      return this;
    }

    /** The founding members as {@code id@host:clusterPort,...}. */
    public Builder members(String commaSeparated) {
      return members(Member.parseList(commaSeparated));
    }

    /** Joins a running cluster through a member's {@code host:clusterPort}. */
    public Builder joinSeed(String hostAndClusterPort) {
      this.joinSeed = Objects.requireNonNull(hostAndClusterPort, "hostAndClusterPort");
      return this;
    }

    /** Copies of every key, capped at the member count; default 3. */
    public Builder replicationFactor(int copies) {
      this.replicationFactor = copies;
      return this;
    }

    /** Ring positions per member; default 150. */
    public Builder virtualNodes(int perMember) {
      this.virtualNodes = perMember;
      return this;
    }

    /** The level caches and RESP connections start with; default QUORUM. */
    public Builder defaultConsistency(ConsistencyLevel level) {
      this.defaultConsistency = Objects.requireNonNull(level, "level");
      return this;
    }

    /** How long a request may wait for peers, and a blocking call in all; default 1 s. */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "requestTimeout");
      return this;
    }

    /** How long a member stays unreachable before its slots fail over; default 1 s. */
    public Builder failureTimeout(Duration timeout) {
      this.failureTimeout = positive(timeout, "failureTimeout");
      return this;
    }

    /** How often replicas compare their slots with the primaries'; default 30 s. */
    public Builder antiEntropyInterval(Duration interval) {
      this.antiEntropyInterval = positive(interval, "antiEntropyInterval");
      return this;
    }

    /** Where a cluster member keeps its Raft state; default {@code data/<nodeId>}. */
    public Builder dataDir(Path directory) {
      this.dataDir = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /** Peers talk only to nodes with the same name; default {@code distributedcache}. */
    public Builder clusterName(String name) {
      this.clusterName = Objects.requireNonNull(name, "name");
      return this;
    }

    /** Bound on stored data in bytes (W-TinyLFU evicts beyond it); 0, the default, for none. */
    public Builder maxMemoryBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("maxMemoryBytes must not be negative: " + bytes);
      }
      this.maxMemoryBytes = bytes;
      return this;
    }

    /** Password RESP clients must AUTH with; default none. */
    public Builder password(String requirePass) {
      this.password = Objects.requireNonNull(requirePass, "requirePass");
      return this;
    }

    /** Event-loop threads for the client and peer ports; 0 (default) is one per CPU. */
    public Builder ioThreads(int threads) {
      if (threads < 0) {
        throw new IllegalArgumentException("ioThreads must not be negative: " + threads);
      }
      this.ioThreads = threads;
      return this;
    }

    /** The TTL the typed API gives a put that names none; default none (no expiry). */
    public Builder defaultTtl(Duration ttl) {
      this.defaultTtl = positive(ttl, "defaultTtl");
      return this;
    }

    /**
     * The settings.
     *
     * @throws IllegalArgumentException if they do not fit together (the message says how)
     */
    public NodeConfig build() {
      return new NodeConfig(this);
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }
  }
}
