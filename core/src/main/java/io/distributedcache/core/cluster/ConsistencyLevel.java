package io.distributedcache.core.cluster;

import java.util.Locale;

/**
 * How many copies of a key a request must reach before it is answered.
 *
 * <p>For writes the count includes the primary, which always applies first. For reads it is the
 * number of replicas whose copies are compared (newest version wins). The arithmetic lives in
 * {@link #requiredCopies} and nowhere else (seed bug 4: {@code N/2} is not a majority).
 */
public enum ConsistencyLevel {
  /** One copy: the primary for writes, any replica (the local one first) for reads. */
  ONE,
  /** A majority of the N copies: {@code N/2 + 1}, integer division. */
  QUORUM,
  /** Every one of the N copies. */
  ALL;

  private static final ConsistencyLevel[] VALUES = values();

  /**
   * The number of copies this level needs when a key has {@code replicationFactor} copies.
   *
   * @throws IllegalArgumentException if {@code replicationFactor < 1}
   */
  public int requiredCopies(int replicationFactor) {
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("replicationFactor must be >= 1: " + replicationFactor);
    }
    return switch (this) {
      case ONE -> 1;
      case QUORUM -> majority(replicationFactor);
      case ALL -> replicationFactor;
    };
  }

  /** The smallest number of copies out of {@code n} that any two such sets share one: {@code n/2+1}. */
  public static int majority(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1: " + n);
    }
    return n / 2 + 1;
  }

  /**
   * Parses a level name in any case ({@code one}, {@code QUORUM}, ...).
   *
   * @throws IllegalArgumentException for anything else
   */
  public static ConsistencyLevel parse(String name) {
    try {
      return valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown consistency level '" + name + "' (expected ONE, QUORUM or ALL)", e);
    }
  }

  /** The level with this {@link #ordinal()}, for decoding. */
  public static ConsistencyLevel ofOrdinal(int ordinal) {
    if (ordinal < 0 || ordinal >= VALUES.length) {
      throw new IllegalArgumentException("no consistency level #" + ordinal);
    }
    return VALUES[ordinal];
  }
}
