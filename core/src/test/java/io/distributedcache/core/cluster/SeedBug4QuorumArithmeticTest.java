package io.distributedcache.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seed bug 4 regression: the prototype counted {@code N/2} acknowledgements as a quorum, which for
 * an even N is not a majority (two "quorums" of a 4-node set can be disjoint, so a QUORUM read can
 * miss a QUORUM write). These properties pin {@link ConsistencyLevel#requiredCopies} for every
 * replication factor from 1 to 9, the intersection property checked exhaustively over all subsets.
 */
class SeedBug4QuorumArithmeticTest {

  static final int MAX_N = 9;

  @Test
  void quorumIsAStrictMajorityAndNeverMoreThanN() {
    for (int n = 1; n <= MAX_N; n++) {
      int quorum = ConsistencyLevel.QUORUM.requiredCopies(n);
      assertThat(quorum).as("N=%d", n).isEqualTo(n / 2 + 1).isEqualTo(ConsistencyLevel.majority(n));
      assertThat(2 * quorum).as("N=%d: a quorum is more than half", n).isGreaterThan(n);
      assertThat(quorum).as("N=%d", n).isGreaterThan(n / 2).isLessThanOrEqualTo(n).isPositive();
      // The smallest such count: one fewer is not a majority.
      assertThat(2 * (quorum - 1)).as("N=%d: quorum is the smallest majority", n).isLessThanOrEqualTo(n);
      // A QUORUM read always overlaps a QUORUM write.
      assertThat(quorum + quorum).as("N=%d: R + W > N", n).isGreaterThan(n);
      assertThat(ConsistencyLevel.ALL.requiredCopies(n)).as("N=%d", n).isEqualTo(n);
      assertThat(ConsistencyLevel.ONE.requiredCopies(n)).as("N=%d", n).isEqualTo(1);
      // ONE with ALL and ALL with ONE overlap too; ONE with ONE only when N = 1.
      assertThat(ConsistencyLevel.ONE.requiredCopies(n) + ConsistencyLevel.ALL.requiredCopies(n))
          .isGreaterThan(n);
    }
  }

  /** The seed's formula: for every even N, N/2 copies can miss each other entirely. */
  @Test
  void quorumIsNotHalfForEvenN() {
    for (int n = 2; n <= MAX_N; n += 2) {
      int quorum = ConsistencyLevel.QUORUM.requiredCopies(n);
      assertThat(quorum).as("N=%d", n).isNotEqualTo(n / 2);
      int half = (1 << (n / 2)) - 1; // the low N/2 members
      int otherHalf = ((1 << n) - 1) & ~half; // the high N/2 members
      assertThat(Integer.bitCount(half)).isEqualTo(n / 2);
      assertThat(Integer.bitCount(otherHalf)).isEqualTo(n / 2);
      assertThat(half & otherHalf).as("N=%d: two halves share no copy", n).isZero();
      assertThat(Integer.bitCount(half)).as("N=%d: a half is not a quorum", n).isLessThan(quorum);
    }
  }

  /** Every pair of quorum-sized subsets of N copies shares a copy: all 2^N x 2^N pairs, N <= 9. */
  @Test
  void anyTwoQuorumsIntersect() {
    for (int n = 1; n <= MAX_N; n++) {
      int quorum = ConsistencyLevel.QUORUM.requiredCopies(n);
      int sets = 1 << n;
      int quorumSets = 0;
      for (int a = 0; a < sets; a++) {
        if (Integer.bitCount(a) != quorum) {
          continue;
        }
        quorumSets++;
        for (int b = 0; b < sets; b++) {
          if (Integer.bitCount(b) == quorum && (a & b) == 0) {
            throw new AssertionError(
                String.format(
                    Locale.ROOT,
                    "N=%d: quorums %s and %s are disjoint",
                    n,
                    Integer.toBinaryString(a),
                    Integer.toBinaryString(b)));
          }
        }
      }
      assertThat(quorumSets).as("N=%d: C(N, quorum) subsets were checked", n)
          .isEqualTo(binomial(n, quorum));
      // And quorum is the smallest size with that property (for N >= 2): one fewer can be disjoint.
      if (n >= 2) {
        int smaller = quorum - 1;
        int low = (1 << smaller) - 1;
        int high = low << (n - smaller);
        assertThat(low & high).as("N=%d: two sets of %d can be disjoint", n, smaller).isZero();
      }
    }
  }

  @Test
  void requiredCopiesRejectsANonPositiveReplicationFactor() {
    for (ConsistencyLevel level : ConsistencyLevel.values()) {
      assertThatThrownBy(() -> level.requiredCopies(0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("replicationFactor must be >= 1: 0");
      assertThatThrownBy(() -> level.requiredCopies(-3))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> ConsistencyLevel.majority(0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"one", "ONE", "One", "quorum", "QuOrUm", "all", "ALL"})
  void parseAcceptsAnyCase(String name) {
    assertThat(ConsistencyLevel.parse(name).name()).isEqualTo(name.toUpperCase(Locale.ROOT));
  }

  @Test
  void parseIsLocaleIndependent() {
    Locale previous = Locale.getDefault();
    try {
      // In Turkish, "quorum".toUpperCase() without a locale would not give "QUORUM" ("i" issue).
      Locale.setDefault(Locale.forLanguageTag("tr-TR"));
      assertThat(ConsistencyLevel.parse("quorum")).isEqualTo(ConsistencyLevel.QUORUM);
    } finally {
      Locale.setDefault(previous);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "two", "QUORUMS", " one", "LOCAL_QUORUM", "1"})
  void parseRejectsJunkWithAClearMessage(String name) {
    assertThatThrownBy(() -> ConsistencyLevel.parse(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown consistency level '" + name + "' (expected ONE, QUORUM or ALL)");
  }

  @Test
  void ordinalsRoundTrip() {
    for (ConsistencyLevel level : ConsistencyLevel.values()) {
      assertThat(ConsistencyLevel.ofOrdinal(level.ordinal())).isSameAs(level);
    }
    assertThatThrownBy(() -> ConsistencyLevel.ofOrdinal(3))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ConsistencyLevel.ofOrdinal(-1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static int binomial(int n, int k) {
    long result = 1;
    for (int i = 1; i <= k; i++) {
      result = result * (n - k + i) / i;
    }
    return (int) result;
  }
}
