package io.distributedcache.core.control;

import io.distributedcache.core.placement.Member;
import java.util.Objects;

/**
 * One node as the cluster metadata knows it: its stable id, its addresses and its state.
 *
 * <p>The id and the cluster (peer) address follow the rules of {@link Member}, which the
 * constructor applies by building one; {@link #member()} is what placement sees. The client port is
 * where the node serves RESP clients ({@code CLUSTER SLOTS} and {@code -MOVED} name it); 0 means
 * the node has not announced it yet.
 *
 * @param id the node's stable id, as for {@link Member#id()}
 * @param host the host of both ports, as for {@link Member#host()}
 * @param clusterPort the peer port, 1 to 65535
 * @param clientPort the client port, 1 to 65535, or 0 for "not announced yet"
 * @param state the node's state
 */
public record NodeRecord(String id, String host, int clusterPort, int clientPort, NodeState state) {

  /**
   * Checks the fields.
   *
   * @throws IllegalArgumentException if the id, host or a port breaks the rules above
   * @throws NullPointerException if {@code id}, {@code host} or {@code state} is null
   */
  public NodeRecord {
    new Member(id, host, clusterPort); // applies the id, host and port rules of placement
    checkClientPort(id, clientPort);
    Objects.requireNonNull(state, "state");
  }

  /** The node as placement sees it: id, host and cluster port. Allocates a new {@link Member}. */
  public Member member() {
    return new Member(id, host, clusterPort);
  }

  /** This record with another state. */
  public NodeRecord withState(NodeState newState) {
    return new NodeRecord(id, host, clusterPort, clientPort, newState);
  }

  /** Whether host and both ports equal those given (the state is not compared). */
  public boolean hasAddresses(String otherHost, int otherClusterPort, int otherClientPort) {
    return host.equals(otherHost)
        && clusterPort == otherClusterPort
        && clientPort == otherClientPort;
  }

  /**
   * {@code id@host:clusterPort client=clientPort STATE}, for example {@code n1@10.0.0.5:7101
   * client=6379 ACTIVE}.
   */
  @Override
  public String toString() {
    return member().spec() + " client=" + clientPort + " " + state;
  }

  static void checkClientPort(String id, int clientPort) {
    if (clientPort < 0 || clientPort > Member.MAX_PORT) {
      throw new IllegalArgumentException(
          "client port of node '"
              + id
              + "' must be in 1.."
              + Member.MAX_PORT
              + ", or 0 for not announced: "
              + clientPort);
    }
  }
}
