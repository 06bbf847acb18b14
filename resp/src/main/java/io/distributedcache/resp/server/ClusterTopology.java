package io.distributedcache.resp.server;

import io.distributedcache.core.placement.ConsistentHashRing;

/**
 * What the Redis Cluster commands ({@code CLUSTER SLOTS}, {@code CLUSTER NODES}, {@code -MOVED}...)
 * need to know about the cluster this node belongs to: who owns which slot now, and where clients
 * reach each member.
 *
 * <p>The server supplies one implementation, backed by the control plane's applied metadata. Every
 * method is called on client event-loop threads, concurrently; none blocks or throws. Each call
 * reads the latest state, so a caller that needs two facts about the same layout takes the {@link
 * #ring()} once and asks the rest about its members.
 */
public interface ClusterTopology {

  /** This node's id. */
  String selfId();

  /**
   * The ring in force now: per slot, the primary (rank 0) and the replicas. A member the control
   * plane marked failed sits at the end of every preference list it is on ({@link #isFailed}).
   */
  ConsistentHashRing ring();

  /**
   * Where clients reach {@code memberId}: its host and client (RESP) port, or {@code null} while
   * the member has not announced its client port yet (or is not a member).
   */
  ClientAddress clientAddress(String memberId);

  /** Whether this node has a working link to {@code memberId} now ({@code true} for itself). */
  boolean isReachable(String memberId);

  /** Whether the control plane has marked {@code memberId} failed (its slots failed over). */
  boolean isFailed(String memberId);

  /**
   * A member's client-facing address.
   *
   * @param host host name or IP literal (IPv6 without brackets)
   * @param port client (RESP) port
   */
  record ClientAddress(String host, int port) {}
}
