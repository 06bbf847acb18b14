package io.distributedcache.it;

import java.security.SecureRandom;
import java.util.Random;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The one random seed of a test run, and a JUnit extension that prints it when a test fails.
 *
 * <p>Every random input derives from {@link #SEED} (set it with {@code -Dit.seed=N} to reproduce a
 * failure), mixed with a per-use label so that tests do not share a random stream.
 */
public final class Seeds implements TestWatcher {

  public static final long SEED = Long.getLong("it.seed", new SecureRandom().nextLong());

  /** A generator for one use, reproducible from {@link #SEED} and {@code label}. */
  public static Random random(String label) {
    return new Random(SEED * 31 + label.hashCode());
  }

  /** For assertion messages. */
  public static String describe() {
    return "seed=" + SEED + " (reproduce with -Dit.seed=" + SEED + ")";
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    System.err.println(
        "[seed] "
            + context.getRequiredTestClass().getSimpleName()
            + " > "
            + context.getDisplayName()
            + " failed; random inputs came from -Dit.seed="
            + SEED);
  }
}
