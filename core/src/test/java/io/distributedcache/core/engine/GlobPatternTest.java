package io.distributedcache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Redis' stringmatchlen behaviour, case by case (KEYS documentation examples first). */
class GlobPatternTest {

  @ParameterizedTest(name = "[{index}] \"{0}\" ~ \"{1}\" -> {2}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '\'',
      value = {
        // KEYS documentation
        "h?llo|hello|true",
        "h?llo|hallo|true",
        "h?llo|hxllo|true",
        "h*llo|hllo|true",
        "h*llo|heeeello|true",
        "h[ae]llo|hello|true",
        "h[ae]llo|hallo|true",
        "h[ae]llo|hillo|false",
        "h[^e]llo|hallo|true",
        "h[^e]llo|hbllo|true",
        "h[^e]llo|hello|false",
        "h[a-b]llo|hallo|true",
        "h[a-b]llo|hbllo|true",
        "h[a-b]llo|hcllo|false",
        // stars
        "*|anything|true",
        "**|x|true",
        "a*|a|true",
        "a*b*c|axxbyyc|true",
        "a*b*c|axxbyy|false",
        "*.txt|notes.txt|true",
        "*.txt|notes.txt.bak|false",
        "*a*a*a*a*b|aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa|false",
        // question marks and lengths
        "???|abc|true",
        "???|ab|false",
        "?|''|false",
        // ranges
        "[z-a]|m|true",
        "[a-c0-9]|5|true",
        "[a-c0-9]|d|false",
        "[^a-c]|d|true",
        "[abc|b|true",
        "[abc|d|false",
        "x[abc|xc|true",
        "[^|q|true",
        "[]|]|false",
        "[a-]|a|true",
        "[a-]|^|true",
        "[a-]|b|false",
        // escapes
        "\\*|*|true",
        "\\*|a|false",
        "\\?|?|true",
        "a\\|a\\|true",
        "[\\]]|]|true",
        "[\\-]|-|true",
        "user:\\[1\\]|user:[1]|true",
        // literal and empty
        "hello|hello|true",
        "hello|hell|false",
        "hell|hello|false",
        "''|''|true",
        "''|a|false",
      })
  void matchesLikeRedis(String pattern, String string, boolean expected) {
    byte[] p = pattern.getBytes(StandardCharsets.ISO_8859_1);
    byte[] s = string.getBytes(StandardCharsets.ISO_8859_1);
    assertThat(GlobPattern.matches(p, s)).isEqualTo(expected);
    assertThat(GlobPattern.compile(p).matches(s)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({"'*',true", "'**',false", "'a*',false"})
  void onlyASingleStarIsMatchAll(String pattern, boolean expected) {
    assertThat(GlobPattern.compile(pattern.getBytes(StandardCharsets.ISO_8859_1)).isMatchAll())
        .isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({"'plain:key',true", "'a*',false", "'a?',false", "'a[',false", "'a\\b',false"})
  void literalPatternsAreRecognised(String pattern, boolean literal) {
    byte[] p = pattern.getBytes(StandardCharsets.ISO_8859_1);
    assertThat(GlobPattern.compile(p).literalOrNull() != null).isEqualTo(literal);
  }
}
