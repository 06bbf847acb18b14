package io.distributedcache.embedded.internal;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.placement.Member;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a node takes part in a cluster: the values of {@code --node-id}, {@code --members} or {@code
 * --join}, and the flags around them, validated. Built by the server's command line and by the
 * embedded {@code NodeConfig}; not part of the embedded API (this package is internal).
 *
 * @param nodeId this node's id; one of {@code members} when they are given
 * @param members the founding members with their cluster (peer) ports, this node included; empty
 *     for a node that joins a running cluster through {@code joinSeed}
 * @param joinSeed {@code host:clusterPort} of any member of a running cluster, or null when
 *     {@code members} found one
 * @param announceHost the host other nodes and clients reach this node at (a founder's comes from
 *     its entry in {@code members})
 * @param clusterPort the port this node's peers connect to (a founder's entry in {@code members}
 *     must agree)
 * @param replicationFactor copies of every key (capped at the member count)
 * @param virtualNodes ring positions per member
 * @param consistency the level new connections start with
 * @param requestTimeout how long a request waits for peers
 * @param antiEntropyInterval how often replicas compare digests with primaries
 * @param dataDir where the node keeps its Raft term, vote, log and snapshot
 * @param clusterName the name peers must share to talk to each other
 * @param failureTimeout how long a member stays unreachable before its slots fail over
 * @param clusterBindPort the port the cluster port binds when it differs from the one peers dial
 *     ({@code clusterPort}, the member address): the node sits behind a port mapping or a proxy;
 *     0 for the same port
 * @param security how peers authenticate each other: cluster secret and TLS on the cluster port
 */
public record ClusterOptions(
    String nodeId,
    List<Member> members,
    String joinSeed,
    String announceHost,
    int clusterPort,
    int replicationFactor,
    int virtualNodes,
    ConsistencyLevel consistency,
    Duration requestTimeout,
    Duration antiEntropyInterval,
    Path dataDir,
    String clusterName,
    Duration failureTimeout,
    int clusterBindPort,
    PeerSecurity security) {

  /**
   * How peers authenticate each other ({@code --cluster-secret}, {@code --tls-cluster}).
   *
   * @param clusterSecret the secret every member must prove it knows (see the transport's {@code
   *     PeerAuthHandler}), or empty for none
   * @param tlsCertFile this node's certificate (PEM) for TLS on the cluster port, or null for
   *     plain TCP
   * @param tlsKeyFile its private key (PEM, PKCS#8), with {@code tlsCertFile}
   * @param tlsCaCertFile the CA that signed every member's certificate, with {@code tlsCertFile}:
   *     peers authenticate each other by certificate (mutual TLS)
   */
  public record PeerSecurity(
      String clusterSecret, Path tlsCertFile, Path tlsKeyFile, Path tlsCaCertFile) {

    /** No secret, plain TCP: anyone who can reach the cluster port may join. */
    public static final PeerSecurity NONE = new PeerSecurity("", null, null, null);

    /** Checks that TLS has all three files. */
    public PeerSecurity {
      Objects.requireNonNull(clusterSecret, "clusterSecret");
      boolean any = tlsCertFile != null || tlsKeyFile != null || tlsCaCertFile != null;
      if (any && (tlsCertFile == null || tlsKeyFile == null || tlsCaCertFile == null)) {
        throw new IllegalArgumentException(
            "--tls-cluster yes needs --tls-cert-file, --tls-key-file and --tls-ca-cert-file (the"
                + " CA that signed every member's certificate)");
      }
    }

    /** Whether the cluster port speaks TLS. */
    public boolean tls() {
      return tlsCertFile != null;
    }

    /** The secret without its text, so that logging the options does not print it. */
    @Override
    public String toString() {
      return "PeerSecurity[secret="
          + (clusterSecret.isEmpty() ? "none" : "set")
          + ", tls="
          + (tls() ? tlsCertFile + " (CA " + tlsCaCertFile + ")" : "off")
          + "]";
    }
  }

  /** Options with another cluster port bind, and no peer authentication. */
  public ClusterOptions(
      String nodeId,
      List<Member> members,
      String joinSeed,
      String announceHost,
      int clusterPort,
      int replicationFactor,
      int virtualNodes,
      ConsistencyLevel consistency,
      Duration requestTimeout,
      Duration antiEntropyInterval,
      Path dataDir,
      String clusterName,
      Duration failureTimeout,
      int clusterBindPort) {
    this(
        nodeId,
        members,
        joinSeed,
        announceHost,
        clusterPort,
        replicationFactor,
        virtualNodes,
        consistency,
        requestTimeout,
        antiEntropyInterval,
        dataDir,
        clusterName,
        failureTimeout,
        clusterBindPort,
        PeerSecurity.NONE);
  }

  /** These options with peer authentication {@code newSecurity}. */
  public ClusterOptions withSecurity(PeerSecurity newSecurity) {
    return new ClusterOptions(
        nodeId,
        members,
        joinSeed,
        announceHost,
        clusterPort,
        replicationFactor,
        virtualNodes,
        consistency,
        requestTimeout,
        antiEntropyInterval,
        dataDir,
        clusterName,
        failureTimeout,
        clusterBindPort,
        newSecurity);
  }

  /** Options whose cluster port binds where peers dial it. */
  public ClusterOptions(
      String nodeId,
      List<Member> members,
      String joinSeed,
      String announceHost,
      int clusterPort,
      int replicationFactor,
      int virtualNodes,
      ConsistencyLevel consistency,
      Duration requestTimeout,
      Duration antiEntropyInterval,
      Path dataDir,
      String clusterName,
      Duration failureTimeout) {
    this(
        nodeId,
        members,
        joinSeed,
        announceHost,
        clusterPort,
        replicationFactor,
        virtualNodes,
        consistency,
        requestTimeout,
        antiEntropyInterval,
        dataDir,
        clusterName,
        failureTimeout,
        0);
  }

  /** Checks the values; the messages name the server's flags. */
  public ClusterOptions {
    if (clusterBindPort < 0 || clusterBindPort > Member.MAX_PORT) {
      throw new IllegalArgumentException("--cluster-bind-port must be in 1.." + Member.MAX_PORT);
    }
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(security, "security");
    members = List.copyOf(members);
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(clusterName, "clusterName");
    if (members.isEmpty() == (joinSeed == null)) {
      throw new IllegalArgumentException(
          "give either --members (to found a cluster) or --join (to join a running one)");
    }
    if (!members.isEmpty()) {
      Member self = members.stream().filter(m -> m.id().equals(nodeId)).findFirst().orElse(null);
      if (self == null) {
        throw new IllegalArgumentException(
            "--node-id " + nodeId + " is not one of --members " + members);
      }
      if (self.clusterPort() != clusterPort) {
        throw new IllegalArgumentException(
            "--cluster-port "
                + clusterPort
                + " disagrees with this node's entry in --members ("
                + self
                + ")");
      }
    } else {
      seedHost(joinSeed);
      seedPort(joinSeed);
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("--replication-factor must be at least 1");
    }
    if (virtualNodes < 1) {
      throw new IllegalArgumentException("--virtual-nodes must be at least 1");
    }
    if (clusterName.isBlank()) {
      throw new IllegalArgumentException("--cluster-name must not be empty");
    }
    if (failureTimeout.isNegative() || failureTimeout.isZero()) {
      throw new IllegalArgumentException("--failure-timeout must be positive");
    }
  }

  /** Whether this node founds the cluster from {@link #members} (rather than joining). */
  public boolean founder() {
    return !members.isEmpty();
  }

  /** This node as a member: its entry in {@link #members}, or built from the announce host. */
  public Member self() {
    return members.stream()
        .filter(m -> m.id().equals(nodeId))
        .findFirst()
        .orElseGet(() -> new Member(nodeId, announceHost, clusterPort));
  }

  /** The host part of a {@code host:port} seed ({@code [v6]:port} allowed). */
  static String seedHost(String seed) {
    return Member.parse("seed@" + seed.strip()).host();
  }

  /** The port part of a {@code host:port} seed. */
  static int seedPort(String seed) {
    try {
      return Member.parse("seed@" + seed.strip()).clusterPort();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--join wants host:clusterPort of a member, got '" + seed + "'");
    }
  }
}
