package io.distributedcache.resp.server;

import io.distributedcache.core.cluster.VerifyReport;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The control-plane side of the admin commands ({@code CLUSTER LEAVE}, {@code CLUSTER VERIFY},
 * the control-plane lines of {@code CLUSTER INFO} and {@code INFO cluster}). The server supplies
 * it; a node running alone has none.
 *
 * <p>Called on client event-loop threads; no method blocks.
 */
public interface ClusterAdmin {

  /**
   * Asks the cluster to remove {@code memberId} gracefully: its slots move to the others first.
   *
   * @return null when the request was sent to the leader, else why it cannot be done now (for
   *     example a rebalance in progress or an unknown member), checked against the metadata this
   *     node has applied
   */
  String leave(String memberId);

  /**
   * Compares every copy in the cluster under the layout in force; {@code done} is called once, on
   * some other thread, with the result.
   */
  void verify(Consumer<VerifyReport> done);

  /**
   * Control-plane figures, in a stable order: Raft role, term and leader, the ring epoch, member
   * states, and the progress of a rebalance.
   */
  Map<String, Object> figures();
}
