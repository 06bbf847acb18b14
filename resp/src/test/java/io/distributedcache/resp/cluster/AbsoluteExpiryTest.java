package io.distributedcache.resp.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.time.ManualClock;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Absolute expiry times are turned into durations where a command arrives: the primary that runs
 * it may have a wall clock hours off (DESIGN.md section 4).
 */
class AbsoluteExpiryTest {

  private static final long NOW_MILLIS = 1_800_000_000_000L;
  private final ManualClock clock = new ManualClock(0, NOW_MILLIS);

  private List<String> relativize(String... words) {
    byte[][] args = new byte[words.length][];
    for (int i = 0; i < words.length; i++) {
      args[i] = words[i].getBytes(StandardCharsets.UTF_8);
    }
    byte[][] result = AbsoluteExpiry.relativize(args, clock);
    return Arrays.stream(result).map(b -> new String(b, StandardCharsets.UTF_8)).toList();
  }

  @Test
  void expireAtBecomesPexpireOfTheRemainingTime() {
    assertThat(relativize("EXPIREAT", "k", Long.toString(NOW_MILLIS / 1000 + 60), "NX"))
        .containsExactly("PEXPIRE", "k", "60000", "NX");
    assertThat(relativize("pexpireat", "k", Long.toString(NOW_MILLIS + 1500)))
        .containsExactly("PEXPIRE", "k", "1500");
    // In the past: a non-positive PEXPIRE deletes the key, as the EXPIREAT would have.
    assertThat(relativize("PEXPIREAT", "k", Long.toString(NOW_MILLIS - 10)))
        .containsExactly("PEXPIRE", "k", "-10");
  }

  @Test
  void aComparisonValueThatSpellsAnOptionIsLeftAlone() {
    String at = Long.toString(NOW_MILLIS + 5000);
    assertThat(relativize("SET", "k", "v", "IFEQ", "PXAT", "PXAT", at))
        .containsExactly("SET", "k", "v", "IFEQ", "PXAT", "PX", "5000");
  }

  @Test
  void setAndGetexAbsoluteOptionsBecomePx() {
    assertThat(relativize("SET", "k", "v", "EXAT", Long.toString(NOW_MILLIS / 1000 + 5), "NX"))
        .containsExactly("SET", "k", "v", "PX", "5000", "NX");
    assertThat(relativize("SET", "k", "PXAT", "PXAT", Long.toString(NOW_MILLIS + 250)))
        .as("a value that looks like an option is not one")
        .containsExactly("SET", "k", "PXAT", "PX", "250");
    assertThat(relativize("GETEX", "k", "PXAT", Long.toString(NOW_MILLIS + 7)))
        .containsExactly("GETEX", "k", "PX", "7");
    assertThat(relativize("SET", "k", "v", "PXAT", Long.toString(NOW_MILLIS - 5000)))
        .as("already past: at most one more millisecond")
        .containsExactly("SET", "k", "v", "PX", "1");
  }

  @Test
  void everythingElseIsLeftForThePrimaryToJudge() {
    assertThat(relativize("SET", "k", "v", "EX", "10")).containsExactly("SET", "k", "v", "EX", "10");
    assertThat(relativize("EXPIREAT", "k", "soon")).containsExactly("EXPIREAT", "k", "soon");
    assertThat(relativize("SET", "k", "v", "EXAT", "-3"))
        .containsExactly("SET", "k", "v", "EXAT", "-3");
    assertThat(relativize("GET", "k")).containsExactly("GET", "k");
  }
}
