package io.distributedcache.core.cluster;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of a {@link ClusterNode}, for {@code INFO}. Updated from any thread; each counter only
 * grows. Read them with {@code sum()}.
 */
public final class ClusterStats {

  private final LongAdder[] writes = adders(ConsistencyLevel.values().length);
  private final LongAdder[] reads = adders(ConsistencyLevel.values().length);

  /** Requests sent to another node to run (writes to the primary, reads it had to answer). */
  public final LongAdder forwarded = new LongAdder();

  /** Requests refused at once because too few copies were reachable or caught up. */
  public final LongAdder failedFast = new LongAdder();

  /** Requests refused because a copy was still catching up. */
  public final LongAdder notReady = new LongAdder();

  /** Writes answered with an unknown outcome (level not confirmed in time). */
  public final LongAdder unknownOutcomes = new LongAdder();

  /** Rings installed after the first (layout changes applied from the control plane). */
  public final LongAdder ringChanges = new LongAdder();

  /** Client requests retried after a {@code -TRYAGAIN} (another epoch, a copy catching up). */
  public final LongAdder retries = new LongAdder();

  /** Entries received while pulling slots for a rebalance (a key sent twice counts twice). */
  public final LongAdder keysPulled = new LongAdder();

  /** Slots pulled for a rebalance. */
  public final LongAdder slotsPulled = new LongAdder();

  /** Keys removed because this node stopped holding their slot. */
  public final LongAdder keysDropped = new LongAdder();

  /** Reads that ran out of time. */
  public final LongAdder timeouts = new LongAdder();

  /** Stale copies repaired by QUORUM and ALL reads. */
  public final LongAdder readRepairs = new LongAdder();

  /** Replicate messages applied as a replica. */
  public final LongAdder replicatesApplied = new LongAdder();

  /** Messages refused or answered because the two sides were on different ring epochs. */
  public final LongAdder wrongEpoch = new LongAdder();

  /** Slots brought up to date by a transfer from a peer (catch-up and anti-entropy). */
  public final LongAdder slotsSynced = new LongAdder();

  /** Entries received in those transfers. */
  public final LongAdder keysSynced = new LongAdder();

  /** Entries removed because the primary's transfer no longer had them. */
  public final LongAdder keysRemovedBySync = new LongAdder();

  /** Slots whose digest differed from the primary's in a comparison. */
  public final LongAdder digestMismatches = new LongAdder();

  /** Anti-entropy comparisons started. */
  public final LongAdder antiEntropyRounds = new LongAdder();

  /** Writes coordinated at {@code level}. */
  public LongAdder writes(ConsistencyLevel level) {
    return writes[level.ordinal()];
  }

  /** Reads coordinated at {@code level}. */
  public LongAdder reads(ConsistencyLevel level) {
    return reads[level.ordinal()];
  }

  private static LongAdder[] adders(int n) {
    LongAdder[] result = new LongAdder[n];
    for (int i = 0; i < n; i++) {
      result[i] = new LongAdder();
    }
    return result;
  }
}
