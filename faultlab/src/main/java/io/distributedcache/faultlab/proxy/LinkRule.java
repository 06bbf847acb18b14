package io.distributedcache.faultlab.proxy;

/**
 * What the {@link FaultProxy} does to the bytes of one directed link (src to dst).
 *
 * <ul>
 *   <li>{@link Mode#PASS}: forward, after {@code delayMillis} plus a uniform random {@code [0,
 *       jitterMillis]} (order preserved), and reset the connection with probability {@code
 *       lossProbability} per forwarded chunk. {@link #pass()} is the rule with neither.
 *   <li>{@link Mode#PARTITION_CLOSE}: reset every connection src has open to dst and refuse (reset
 *       right after its Hello) every new one: both nodes see the link down at once.
 *   <li>{@link Mode#BLACK_HOLE}: keep the connections open but forward nothing: the proxy stops
 *       reading, so bytes pile up in the kernel buffers and the sender's transport, as in a
 *       partition that drops packets before TCP gives up. When the rule is lifted, what was held
 *       is delivered, late and in order. New connections are accepted and held the same way.
 * </ul>
 *
 * @param mode see above
 * @param delayMillis fixed added latency (PASS only), >= 0
 * @param jitterMillis extra uniform random latency bound (PASS only), >= 0
 * @param lossProbability chance per forwarded chunk that the connection is reset instead (PASS
 *     only), 0..1: on TCP, loss cannot drop a segment without the stack retransmitting it, so loss
 *     shows up to the nodes as connection resets and redials
 */
public record LinkRule(Mode mode, long delayMillis, long jitterMillis, double lossProbability) {

  /** The three behaviours of a link. */
  public enum Mode {
    PASS,
    PARTITION_CLOSE,
    BLACK_HOLE
  }

  private static final LinkRule PASS = new LinkRule(Mode.PASS, 0, 0, 0);

  public LinkRule {
    if (mode == null) {
      throw new NullPointerException("mode");
    }
    if (delayMillis < 0 || jitterMillis < 0) {
      throw new IllegalArgumentException("delays must be >= 0");
    }
    if (!(lossProbability >= 0 && lossProbability <= 1)) {
      throw new IllegalArgumentException("lossProbability must be in [0, 1]: " + lossProbability);
    }
    if (mode != Mode.PASS && (delayMillis != 0 || jitterMillis != 0 || lossProbability != 0)) {
      throw new IllegalArgumentException("delay and loss apply to PASS only");
    }
  }

  /** Forward untouched. */
  public static LinkRule pass() {
    return PASS;
  }

  /** Reset the link's connections and refuse new ones. */
  public static LinkRule partitionClose() {
    return new LinkRule(Mode.PARTITION_CLOSE, 0, 0, 0);
  }

  /** Keep the link's connections open, forward nothing until lifted. */
  public static LinkRule blackHole() {
    return new LinkRule(Mode.BLACK_HOLE, 0, 0, 0);
  }

  /** Forward after {@code delayMillis} + uniform [0, jitterMillis], in order. */
  public static LinkRule delay(long delayMillis, long jitterMillis) {
    return new LinkRule(Mode.PASS, delayMillis, jitterMillis, 0);
  }

  /** Forward with latency and reset the connection with probability {@code loss} per chunk. */
  public static LinkRule delayAndLoss(long delayMillis, long jitterMillis, double loss) {
    return new LinkRule(Mode.PASS, delayMillis, jitterMillis, loss);
  }

  /** Whether this rule leaves the bytes untouched. */
  public boolean isPass() {
    return equals(PASS);
  }

  @Override
  public String toString() {
    return switch (mode) {
      case PARTITION_CLOSE -> "partition(close)";
      case BLACK_HOLE -> "partition(black-hole)";
      case PASS -> isPass()
          ? "pass"
          : "delay(" + delayMillis + "+" + jitterMillis + "ms)"
              + (lossProbability > 0 ? " loss(" + lossProbability + ")" : "");
    };
  }
}
