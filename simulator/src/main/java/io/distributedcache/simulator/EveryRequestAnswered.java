package io.distributedcache.simulator;

/**
 * Liveness of the request path: every request gets exactly one reply (double replies are caught
 * where replies arrive, in {@link SimWorkload}), and gets it within {@code 2 x requestTimeout} plus
 * a few ticks, unless its coordinator crashed. The longest legitimate path is a ONE read forwarded
 * to the primary, answered "not ready", then retried as a quorum read under a fresh timeout.
 */
final class EveryRequestAnswered {

  static final String NAME = "EveryRequestAnswered";

  private final Simulation sim;
  private final long boundNanos;
  private final java.util.function.Consumer<Op> checkOne = this::check;

  EveryRequestAnswered(Simulation sim, long requestTimeoutNanos, long tickNanos) {
    this.sim = sim;
    // A -TRYAGAIN (another epoch, a primary reconciling) is retried at the next tick until one
    // request timeout has passed, and the last attempt may be a forwarded write, which waits one
    // and a half timeouts for its primary, or the read path above: three timeouts in all.
    this.boundNanos = 3 * requestTimeoutNanos + 5 * tickNanos;
  }

  /** After every event: no outstanding request is overdue. */
  void check(SimWorkload workload) {
    workload.forEachOutstanding(checkOne);
  }

  private void check(Op op) {
    long now = sim.now();
    if (now - op.invokeNanos > boundNanos) {
      sim.fail(
          NAME,
          "no reply after "
              + Op.millis(now - op.invokeNanos)
              + " (bound "
              + Op.millis(boundNanos)
              + ") to "
              + op,
          op.keys);
    }
  }
}
