package io.distributedcache.simulator;

/**
 * A simulation broke an invariant. The message names the invariant, the seed, the event number and
 * the simulated time, describes the run, and lists the recent history of the keys involved and
 * their copies on every node; {@link SimConfig#seed()} replays it exactly.
 *
 * <p>An {@link AssertionError}, not a runtime exception, so that no {@code catch
 * (RuntimeException)} in the code under test can swallow it.
 */
public final class InvariantViolation extends AssertionError {

  private static final long serialVersionUID = 1L;

  private final String invariant;
  private final long seed;
  private final long event;

  InvariantViolation(String invariant, long seed, long event, String message, Throwable cause) {
    super(message, cause);
    this.invariant = invariant;
    this.seed = seed;
    this.event = event;
  }

  /** The name of the invariant (the checker class), e.g. {@code ReadsSeeAcknowledgedWrites}. */
  public String invariant() {
    return invariant;
  }

  /** The seed of the failing run. */
  public long seed() {
    return seed;
  }

  /** The number of the event after which the violation was seen (1 is the first event). */
  public long event() {
    return event;
  }
}
