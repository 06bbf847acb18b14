package io.distributedcache.simulator;

/**
 * The membership changes a run makes through the control plane, while the workload runs.
 *
 * <p>A join starts one more node (id {@code n<nodeCount+1>}) as a joiner whose only peer is one
 * founder (its seed); it asks to join, pulls the slots the new layout gives it, and becomes ACTIVE
 * at the cutover. A leave asks the cluster, through a random member's control plane, to remove one
 * node ({@code MetadataCommand.Leave}), and keeps asking (a proposal can be lost, and a leave is
 * rejected while another rebalance is in progress) until the metadata shows it leaving; the node
 * stops once it has applied its own removal, as the server does.
 *
 * @param joinAtMillis when the joiner starts, in simulated milliseconds; negative for no join
 * @param leaveAtMillis when the leave is first asked for; negative for no leave
 * @param leaveNode the index of the node that leaves ({@code nodeCount} is the joiner)
 */
public record MembershipScript(long joinAtMillis, long leaveAtMillis, int leaveNode) {

  /** No membership change: the founders stay, nobody joins. */
  public static final MembershipScript NONE = new MembershipScript(-1, -1, -1);

  /** Checks that a leave names a node. */
  public MembershipScript {
    if (leaveAtMillis >= 0 && leaveNode < 0) {
      throw new IllegalArgumentException("a leave needs a node: " + leaveNode);
    }
  }

  /** Whether a node joins. */
  public boolean joins() {
    return joinAtMillis >= 0;
  }

  /** Whether a node leaves. */
  public boolean leaves() {
    return leaveAtMillis >= 0;
  }

  /** Whether anything changes. */
  public boolean any() {
    return joins() || leaves();
  }

  @Override
  public String toString() {
    return (joins() ? "join@" + joinAtMillis + "ms" : "")
        + (joins() && leaves() ? "," : "")
        + (leaves() ? "leave(" + leaveNode + ")@" + leaveAtMillis + "ms" : "");
  }
}
