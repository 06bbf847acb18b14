package io.distributedcache.simulator;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Seeds that showed bugs the simulator found in the core once the control plane was in; each is
 * fixed and kept as a regression test. Each replays one seed of the default sweep ({@link
 * SimConfig#randomFor}, 2500 ms of workload). See the simulator README, "What it has found".
 */
class CoreBugRegressionSimulationTest {

  private static void replay(long seed) {
    SimTests.runOrFail(
        SimConfig.randomFor(seed, Duration.ofMillis(2500)),
        SimTests.replay("CoreBugRegressionSimulationTest", "-Dsim.seed=" + seed));
  }

  /**
   * A write the primary has applied is executed a second time. The primary's replicate meets a
   * replica on another epoch (a layout change: announce, failover, join, leave); {@code
   * PrimaryWrite.answerEpochError} answers the client with {@code -TRYAGAIN ring epoch mismatch}
   * (ClusterNode, {@code Pending.epochError}), and {@code ClusterNode.submitUntil} retries every
   * {@code -TRYAGAIN} as "nothing was executed": the INCR runs twice ("INCR returned 2 but only 1
   * INCRs ... had been invoked"). Also seeds 14, 20, 30, 39 (counters) and 1, 11, 18 (a SET PX
   * re-stamped, caught by the TTL checker's single-origin rule).
   */
  @Test
  void seed12AppliedWriteRetriedAfterEpochMismatch() {
    // Fixed: a primary's write never ends on an epoch error (a refusing replica is one ack
    // fewer), and a forwarded write refused for its epoch is remembered as refused, so no delayed
    // copy of it runs after the coordinator retried.
    replay(12);
  }

  /**
   * A late {@code ExecuteReply} plants a copy on a node that no longer owns the slot. The
   * coordinator n1, a replica of slot 12706 under epoch 4, forwards a SET at ALL; the join's
   * cutover (epoch 5) removes n1 from the slot, and installLayout drops it; then the reply
   * arrives and {@code ForwardCall.onExecuteReply} applies the coordinator's copy without checking
   * the layout in force (ClusterNode, "We replicate this slot: the primary counted us as a
   * copy"): a misplaced copy that nothing removes (seed bug 2).
   */
  @Test
  void seed35LateExecuteReplyLeavesMisplacedCopy() {
    // Fixed: ClusterNode.applyStates removes what it stored when the layout in force gives this
    // node no copy of the slot.
    replay(35);
  }

  /**
   * Two primaries take ONE writes to one slot. n3, primary of slot 3300, is cut off from n1 and
   * n2; the majority fails it over (epoch 4) and n1 runs a QUORUM INCR returning 8, while n3,
   * unaware, still runs ONE INCRs on its own copy and returns 8 again ("(f) INCR atomicity").
   * Found when the invalidation broadcast shifted the simulator's random streams.
   */
  @Test
  void seed20IsolatedPrimaryKeepsTakingOneWrites() {
    // Fixed: a primary runs writes only while the control plane is in touch with the majority
    // (ControlPlane.inMajorityContact, a lease shorter than half the failure timeout).
    replay(20);
  }

  /**
   * A QUORUM read returns nil after an acknowledged INCR. n3 coordinates the read under epoch 3,
   * where it holds a copy, and takes its own copy; before n1's answer arrives the join's cutover
   * (epoch 4) drops the slot on n3; the read then runs GET on n3's now empty copy. Also seed 90.
   */
  @Test
  void seed81QuorumReadRunsOnACopyDroppedMeanwhile() {
    // Fixed: QuorumRead runs the command locally only if the copy is still held, caught up and
    // as new as the newest copy it collected (localStillNewest); otherwise on a copy that answered.
    replay(81);
  }
}
