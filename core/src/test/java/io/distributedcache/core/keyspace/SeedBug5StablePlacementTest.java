package io.distributedcache.core.keyspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Seed bug 5 regression: key placement must never depend on the process. These vectors are Redis'
 * published values (CLUSTER KEYSLOT) plus our own pinned ones; if any changes, every client and
 * every other build disagrees with this one about where a key lives.
 */
class SeedBug5StablePlacementTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void crc16OfTheCheckStringIsTheSpecValue() {
    byte[] check = utf8("123456789");
    assertThat(Slots.crc16(check, 0, check.length)).isEqualTo(0x31C3);
  }

  @ParameterizedTest(name = "CLUSTER KEYSLOT {0} = {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "foo|12182",
        "bar|5061",
        "hello|866",
        "somekey|11058",
        "user1000|3443",
        "{user1000}.following|3443",
        "{user1000}.followers|3443",
        "key:000000000000|13053",
        "a|15495",
        "123456789|12739",
      })
  void pinnedSlots(String key, int slot) {
    assertThat(Slots.slot(utf8(key))).isEqualTo(slot);
  }

  @Test
  void emptyKeyIsSlotZero() {
    assertThat(Slots.slot(new byte[0])).isZero();
  }

  @Test
  void hashTagRulesFollowTheClusterSpec() {
    // An empty tag does not count: the whole key is hashed.
    assertThat(Slots.slot(utf8("foo{}{bar}")))
        .isEqualTo(crc(utf8("foo{}{bar}")) & 0x3FFF)
        .isEqualTo(8363);
    // From the first '{' to the first '}' after it.
    assertThat(Slots.slot(utf8("foo{{bar}}zap")))
        .isEqualTo(Slots.slot(utf8("{bar")))
        .isEqualTo(4015);
    assertThat(crc(utf8("{bar")) & 0x3FFF).isEqualTo(4015);
    assertThat(Slots.slot(utf8("foo{bar}{zap}")))
        .isEqualTo(Slots.slot(utf8("bar")))
        .isEqualTo(5061);
    // No closing brace: the whole key.
    assertThat(Slots.slot(utf8("foo{bar"))).isEqualTo(crc(utf8("foo{bar")) & 0x3FFF);
    // A closing brace before the opening one does not count.
    assertThat(Slots.slot(utf8("}foo{bar}"))).isEqualTo(Slots.slot(utf8("bar")));
  }

  @Test
  void crc16RangeIsChecked() {
    assertThatThrownBy(() -> Slots.crc16(new byte[3], 2, 4))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> Slots.crc16(new byte[3], 2, 1))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  /** The table-driven CRC agrees with the bit-by-bit definition on random inputs. */
  @Test
  void tableDrivenCrcMatchesTheBitwiseDefinition() {
    long seed = 0xC4C16L;
    Random random = new Random(seed);
    for (int i = 0; i < 5_000; i++) {
      byte[] data = new byte[random.nextInt(64)];
      random.nextBytes(data);
      assertThat(Slots.crc16(data, 0, data.length))
          .as("seed=" + seed + " i=" + i)
          .isEqualTo(crc(data));
      assertThat(Slots.slot(data))
          .as("seed=" + seed + " i=" + i)
          .isBetween(0, Slots.SLOT_COUNT - 1);
    }
  }

  /** CRC-16/XMODEM, one bit at a time, straight from the definition. */
  private static int crc(byte[] data) {
    int crc = 0;
    for (byte b : data) {
      crc ^= (b & 0xFF) << 8;
      for (int bit = 0; bit < 8; bit++) {
        crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x1021) & 0xFFFF : (crc << 1) & 0xFFFF;
      }
    }
    return crc;
  }
}
