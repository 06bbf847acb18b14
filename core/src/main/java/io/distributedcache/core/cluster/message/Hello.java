package io.distributedcache.core.cluster.message;

import java.util.Objects;

/**
 * The first message on every peer connection, in both directions: who is speaking, which cluster
 * it belongs to, how it was bootstrapped, and where it can be dialed back.
 *
 * <p>The receiving transport refuses a Hello whose {@code clusterName} differs from its own, and
 * one whose {@code bootstrapDigest} differs from its own when both are non-zero: two nodes started
 * from different {@code --members} lists would place keys differently, so they refuse each other
 * instead. A node that joins a running cluster knows no list and sends 0, which any digest accepts.
 * A Hello from a node that is not a peer yet (a node joining through this one) is accepted under
 * those same rules, and the receiver dials it back at {@code advertisedHost:advertisedClusterPort}.
 *
 * <p>The record checks only what the codec needs (no nulls, a port in 0..65535); whether the id and
 * address make a usable member is the transport's decision.
 *
 * @param nodeId the sender's node id
 * @param clusterName the name of the sender's cluster; nodes of different clusters never talk
 * @param bootstrapDigest {@code ConsistentHashRing#membershipDigest()} of the ring the sender was
 *     bootstrapped with, or 0 for a node that joined an existing cluster
 * @param advertisedHost the host the sender's peers should dial it at
 * @param advertisedClusterPort the cluster port the sender's peers should dial it at, 1..65535, or
 *     0 for a sender that cannot be dialed back (it is then refused as a stranger)
 */
public record Hello(
    String nodeId,
    String clusterName,
    long bootstrapDigest,
    String advertisedHost,
    int advertisedClusterPort)
    implements PeerMessage {

  /** Largest TCP port. */
  public static final int MAX_PORT = 65535;

  /**
   * Checks the fields.
   *
   * @throws NullPointerException if a string is null
   * @throws IllegalArgumentException if the port is outside 0..65535
   */
  public Hello {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(clusterName, "clusterName");
    Objects.requireNonNull(advertisedHost, "advertisedHost");
    if (advertisedClusterPort < 0 || advertisedClusterPort > MAX_PORT) {
      throw new IllegalArgumentException(
          "advertised cluster port must be in 0.." + MAX_PORT + ": " + advertisedClusterPort);
    }
  }

  /**
   * A Hello with no cluster name and no address, for callers that have neither (the simulator,
   * which only checks that a Hello survives the codec). A transport receiving it accepts it only
   * from a known peer of a cluster with an empty name.
   *
   * @param nodeId the sender's node id
   * @param bootstrapDigest as in the canonical constructor
   */
  public Hello(String nodeId, long bootstrapDigest) {
    this(nodeId, "", bootstrapDigest, "", 0);
  }

  /**
   * Whether two nodes with these bootstrap digests may talk: always when either joined without a
   * member list (digest 0), otherwise only when they were bootstrapped from the same one.
   */
  public static boolean digestsCompatible(long ours, long theirs) {
    return ours == 0 || theirs == 0 || ours == theirs;
  }
}
