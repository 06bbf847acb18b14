package io.distributedcache.core.hlc;

import io.distributedcache.core.time.WallClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Hybrid Logical Clock (Kulkarni et al., "Logical Physical Clocks and Consistent Snapshots in
 * Globally Distributed Databases", 2014) that issues write versions packed into one {@code long}.
 *
 * <h2>Layout</h2>
 *
 * <pre>
 *   63                                    22 21          10 9         0
 *  +----------------------------------------+--------------+-----------+
 *  | physical: ms since 2020-01-01T00:00Z   | logical      | node      |
 *  | 42 bits (until year 2159)              | 12 bits      | 10 bits   |
 *  +----------------------------------------+--------------+-----------+
 * </pre>
 *
 * Versions order by physical time, then logical counter, then node index, which is exactly unsigned
 * {@code long} order; use {@link #compare} (plain {@code <} works until 2089, when bit 63 starts
 * being set). The node index makes versions issued by different nodes distinct, so "highest version
 * wins" never ties.
 *
 * <h2>Design note</h2>
 *
 * The state is one number, {@code time = physical << 12 | logical}, the last value issued or
 * received. Both HLC rules reduce to a maximum on that number: a local event takes {@code max(wall
 * << 12, time + 1)} and a receive takes {@code max(wall << 12, time + 1, remoteTime + 1)}. This is
 * the paper's algorithm (the three cases of the logical counter fall out of the maximum), and a
 * logical counter that passes 4095 carries into the physical part by plain addition, so the clock
 * never stalls and never reuses a value. The wall clock going backwards only makes the first term
 * lose the maximum.
 *
 * <p>Nothing reads these versions as real time to decide expiry or correctness (DESIGN.md section
 * 4). A remote version whose physical part is more than {@code maxForwardSkew} ahead of our wall
 * clock is counted and remembered as a health signal, never rejected: causality must hold even when
 * a peer's clock is hours off.
 *
 * <p>Thread-safety: lock-free. The state is an {@link AtomicLong} updated by a compare-and-set
 * loop; the wall clock is read once before the loop. {@link #now()} runs on every write, from
 * several event-loop threads at once: a CAS never parks a thread and costs less than a monitor when
 * uncontended, and a failed CAS just recomputes one maximum.
 */
public final class HybridLogicalClock {

  /** Bits of the node index. */
  public static final int NODE_BITS = 10;

  /** Bits of the logical counter. */
  public static final int LOGICAL_BITS = 12;

  /** Bits of the physical part. */
  public static final int PHYSICAL_BITS = 64 - LOGICAL_BITS - NODE_BITS;

  /** The largest node index, 1023. */
  public static final int MAX_NODE_INDEX = (1 << NODE_BITS) - 1;

  /** The largest logical counter, 4095. */
  public static final int MAX_LOGICAL = (1 << LOGICAL_BITS) - 1;

  /** The custom epoch, 2020-01-01T00:00:00Z, in Unix milliseconds. */
  public static final long EPOCH_UNIX_MILLIS = Instant.parse("2020-01-01T00:00:00Z").toEpochMilli();

  private static final long MAX_PHYSICAL = (1L << PHYSICAL_BITS) - 1;

  /** Exclusive upper bound of the {@code physical << 12 | logical} number. */
  private static final long TIME_LIMIT = 1L << (PHYSICAL_BITS + LOGICAL_BITS);

  private final WallClock wall;
  private final int nodeIndex;
  private final long maxForwardSkewMillis;

  /** The last {@code physical << 12 | logical} issued or received. */
  private final AtomicLong lastTime = new AtomicLong();

  private final LongAdder skewEvents = new LongAdder();
  private final AtomicLong maxObservedForwardSkewMillis = new AtomicLong();

  /**
   * Creates a clock for one node.
   *
   * @param wall the node's wall clock (the physical component)
   * @param nodeIndex this node's index, 0 to 1023, stamped into the low bits of every version
   * @param maxForwardSkew how far ahead of our wall clock a remote version may be before {@link
   *     #receive} reports it as skew; zero or positive
   * @throws IllegalArgumentException if {@code nodeIndex} is out of range or the skew is negative
   */
  public HybridLogicalClock(WallClock wall, int nodeIndex, Duration maxForwardSkew) {
    this.wall = Objects.requireNonNull(wall, "wall");
    if (nodeIndex < 0 || nodeIndex > MAX_NODE_INDEX) {
      throw new IllegalArgumentException(
          "nodeIndex must be in 0.." + MAX_NODE_INDEX + ": " + nodeIndex);
    }
    if (maxForwardSkew.isNegative()) {
      throw new IllegalArgumentException("maxForwardSkew must not be negative: " + maxForwardSkew);
    }
    this.nodeIndex = nodeIndex;
    this.maxForwardSkewMillis = maxForwardSkew.toMillis();
  }

  /**
   * Returns a version for a local event (a write): strictly greater than every version this clock
   * has issued or received, and at least the current wall-clock millisecond.
   *
   * <p>Any thread; lock-free; does not block.
   *
   * @throws IllegalStateException if the 42-bit physical range is exhausted (year 2159)
   */
  public long now() {
    long wallTime = physicalSinceEpoch(wall.currentTimeMillis()) << LOGICAL_BITS;
    while (true) {
      long last = lastTime.get();
      long next = Math.max(wallTime, last + 1);
      if (next >= TIME_LIMIT) {
        throw new IllegalStateException("hybrid logical clock range exhausted");
      }
      if (lastTime.compareAndSet(last, next)) {
        return (next << NODE_BITS) | nodeIndex;
      }
    }
  }

  /**
   * Merges a version received from another node and returns a version for the receive event:
   * strictly greater than {@code remoteVersion} and than everything this clock issued or received
   * before, so every later {@link #now()} is greater than {@code remoteVersion} too.
   *
   * <p>If the remote physical time is more than {@code maxForwardSkew} ahead of our wall clock the
   * receive still happens (causality first), and it is counted in {@link #skewEvents()} and {@link
   * #maxObservedForwardSkewMillis()}.
   *
   * <p>Any thread; lock-free; does not block.
   *
   * @throws IllegalArgumentException if {@code remoteVersion} carries the very last representable
   *     time, which only a corrupt message can; the clock is left unchanged
   */
  public long receive(long remoteVersion) {
    long remoteTime = remoteVersion >>> NODE_BITS;
    if (remoteTime + 1 >= TIME_LIMIT) {
      throw new IllegalArgumentException(
          "remote version out of range: " + Long.toHexString(remoteVersion));
    }
    long wallMillis = wall.currentTimeMillis();
    long forwardSkewMillis = physicalMillis(remoteVersion) - wallMillis;
    if (forwardSkewMillis > maxForwardSkewMillis) {
      skewEvents.increment();
      maxObservedForwardSkewMillis.accumulateAndGet(forwardSkewMillis, Math::max);
    }
    long wallTime = physicalSinceEpoch(wallMillis) << LOGICAL_BITS;
    long floor = Math.max(wallTime, remoteTime + 1);
    while (true) {
      long last = lastTime.get();
      long next = Math.max(floor, last + 1);
      if (next >= TIME_LIMIT) {
        throw new IllegalStateException("hybrid logical clock range exhausted");
      }
      if (lastTime.compareAndSet(last, next)) {
        return (next << NODE_BITS) | nodeIndex;
      }
    }
  }

  /** How many received versions were more than {@code maxForwardSkew} ahead of our wall clock. */
  public long skewEvents() {
    return skewEvents.sum();
  }

  /** The largest forward skew seen in a skew event, in milliseconds; 0 if there was none. */
  public long maxObservedForwardSkewMillis() {
    return maxObservedForwardSkewMillis.get();
  }

  /** This clock's node index. */
  public int nodeIndex() {
    return nodeIndex;
  }

  /** The physical part of {@code version} as Unix milliseconds. */
  public static long physicalMillis(long version) {
    return (version >>> (LOGICAL_BITS + NODE_BITS)) + EPOCH_UNIX_MILLIS;
  }

  /** The logical counter of {@code version}, 0 to 4095. */
  public static int logical(long version) {
    return (int) ((version >>> NODE_BITS) & MAX_LOGICAL);
  }

  /** The node index of {@code version}, 0 to 1023. */
  public static int nodeIndex(long version) {
    return (int) (version & MAX_NODE_INDEX);
  }

  /**
   * Orders two versions: negative, zero or positive as {@code a} is older than, equal to or newer
   * than {@code b}. Unsigned, so it stays right after bit 63 is first used (2089).
   */
  public static int compare(long a, long b) {
    return Long.compareUnsigned(a, b);
  }

  /**
   * Packs a version from its parts; for tests, tools and decoding peers' debug output.
   *
   * @param unixMillis physical time, Unix milliseconds, from 2020-01-01 until 2159
   * @param logical 0 to 4095
   * @param nodeIndex 0 to 1023
   * @throws IllegalArgumentException if a part is out of range
   */
  public static long pack(long unixMillis, int logical, int nodeIndex) {
    long physical = unixMillis - EPOCH_UNIX_MILLIS;
    if (physical < 0 || physical > MAX_PHYSICAL) {
      throw new IllegalArgumentException("physical time out of range: " + unixMillis);
    }
    if (logical < 0 || logical > MAX_LOGICAL) {
      throw new IllegalArgumentException("logical out of range: " + logical);
    }
    if (nodeIndex < 0 || nodeIndex > MAX_NODE_INDEX) {
      throw new IllegalArgumentException("nodeIndex out of range: " + nodeIndex);
    }
    return (physical << (LOGICAL_BITS + NODE_BITS)) | ((long) logical << NODE_BITS) | nodeIndex;
  }

  /** Renders a version as {@code physicalMillis.logical@node}, for logs. */
  public static String toString(long version) {
    return physicalMillis(version) + "." + logical(version) + "@" + nodeIndex(version);
  }

  /** Wall milliseconds since our epoch, clamped into the 42-bit range. */
  private static long physicalSinceEpoch(long unixMillis) {
    long physical = unixMillis - EPOCH_UNIX_MILLIS;
    if (physical < 0) {
      return 0;
    }
    return Math.min(physical, MAX_PHYSICAL);
  }

  @Override
  public String toString() {
    return "HybridLogicalClock{node="
        + nodeIndex
        + ", last="
        + toString(lastTime.get() << NODE_BITS | nodeIndex)
        + '}';
  }
}
