package io.distributedcache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RedisNumbersTest {

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @ParameterizedTest
  @CsvSource({
    "0,0",
    "1,1",
    "-1,-1",
    "10,10",
    "9223372036854775807,9223372036854775807",
    "-9223372036854775808,-9223372036854775808",
  })
  void parsesStrictIntegers(String text, long expected) {
    assertThat(RedisNumbers.parseLong(b(text))).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "+1",
        " 1",
        "1 ",
        "01",
        "-0",
        "-",
        "1.0",
        "1e3",
        "abc",
        "9223372036854775808",
        "-9223372036854775809",
        "99999999999999999999",
        "000",
        "0x10"
      })
  void rejectsEverythingElse(String text) {
    assertThatThrownBy(() -> RedisNumbers.parseLong(b(text)))
        .isInstanceOf(CommandException.class)
        .hasMessage("ERR value is not an integer or out of range");
  }

  @ParameterizedTest
  @CsvSource({
    "1,1.0",
    "-1.5,-1.5",
    "+2.5,2.5",
    ".5,0.5",
    "5.,5.0",
    "5.0e3,5000.0",
    "1E-2,0.01",
    "007,7.0"
  })
  void parsesFloats(String text, double expected) {
    assertThat(RedisNumbers.parseDouble(b(text))).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"inf", "-inf", "Infinity", "+INF"})
  void acceptsInfinityLikeStrtold(String text) {
    assertThat(Double.isInfinite(RedisNumbers.parseDouble(b(text)))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "", " 1", "1 ", "nan", "NaN", "1.5d", "1f", "abc", "1e", "1e+", ".", "-", "e5", "1..2",
        "0x1p3", "1e400"
      })
  void rejectsNonFloats(String text) {
    assertThatThrownBy(() -> RedisNumbers.parseDouble(b(text)))
        .isInstanceOf(CommandException.class)
        .hasMessage("ERR value is not a valid float");
  }

  @ParameterizedTest
  @CsvSource({
    "10.50,0.1,10.6",
    "10.6,-5,5.6",
    "5.0e3,200,5200",
    "3.0,1.1,4.1",
    "0.1,0.2,0.3",
    "0.1,0.7,0.8",
    "10,1.5,11.5",
    "1,-1,0",
    "-1,0.5,-0.5",
    "0,1e-20,0",
    "9007199254740993,1,9007199254740994",
    "1e20,1,100000000000000000001",
  })
  void addsLikeRedisLongDouble(String stored, double increment, String expected) {
    assertThat(new String(RedisNumbers.addFloat(b(stored), increment), StandardCharsets.ISO_8859_1))
        .isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({
    "1.5,1.5",
    "5200,5200",
    "-0.0,0",
    "0.30000000000000004,0.30000000000000004",
    "1e21,1000000000000000000000"
  })
  void formatsDoublesWithoutExponent(double value, String expected) {
    assertThat(new String(RedisNumbers.formatDouble(value), StandardCharsets.ISO_8859_1))
        .isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
  void nonFiniteIncrementsAreRejected(double increment) {
    assertThatThrownBy(() -> RedisNumbers.addFloat(b("1"), increment))
        .isInstanceOf(CommandException.class)
        .hasMessage("ERR increment would produce NaN or Infinity");
  }

  @ParameterizedTest
  @ValueSource(strings = {"inf", "-infinity"})
  void infiniteStoredValuesCannotBeIncremented(String stored) {
    assertThatThrownBy(() -> RedisNumbers.addFloat(b(stored), 1))
        .isInstanceOf(CommandException.class)
        .hasMessage("ERR increment would produce NaN or Infinity");
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc", "1 ", "1e99999"})
  void invalidStoredFloats(String stored) {
    assertThatThrownBy(() -> RedisNumbers.addFloat(b(stored), 1))
        .isInstanceOf(CommandException.class)
        .hasMessage("ERR value is not a valid float");
  }
}
