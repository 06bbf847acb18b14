package io.distributedcache.resp.codec;

import static io.distributedcache.resp.codec.DecoderHarness.latin1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RespDecoderTest {

  private static final RespLimits DEFAULTS = RespLimits.defaults();

  /** Small enough that every "too big" case can be split at every position cheaply. */
  private static final RespLimits SMALL = new RespLimits(32, 8, 24);

  static List<String> cmd(String... args) {
    return List.of(args);
  }

  static RespProtocolError err(String message) {
    return new RespProtocolError(message);
  }

  /**
   * Decodes {@code input} whole, one byte per read, cut at every position, and (when short) cut at
   * every pair of positions, and expects the same messages every time.
   */
  static void assertDecodes(RespLimits limits, byte[] input, Object... expected) {
    List<Object> want = Arrays.asList(expected);
    assertThat(DecoderHarness.decode(limits, input)).as("whole").isEqualTo(want);
    assertThat(DecoderHarness.decodeBytewise(limits, input)).as("bytewise").isEqualTo(want);
    for (int i = 0; i <= input.length; i++) {
      assertThat(DecoderHarness.decode(limits, input, i)).as("cut at %d", i).isEqualTo(want);
    }
    if (input.length <= 48) {
      for (int i = 0; i <= input.length; i++) {
        for (int j = i; j <= input.length; j++) {
          assertThat(DecoderHarness.decode(limits, input, i, j))
              .as("cut at %d and %d", i, j)
              .isEqualTo(want);
        }
      }
    }
  }

  static void assertDecodes(RespLimits limits, String latin1Input, Object... expected) {
    assertDecodes(limits, latin1(latin1Input), expected);
  }

  // ---------------------------------------------------------------------------------------------
  // Request forms

  static Stream<Arguments> forms() {
    return Stream.of(
        Arguments.of("*1\r\n$4\r\nPING\r\n", List.of(cmd("PING"))),
        Arguments.of(
            "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000012345\r\n$3\r\nxxx\r\n",
            List.of(cmd("SET", "key:000000012345", "xxx"))),
        Arguments.of("*2\r\n$3\r\nGET\r\n$0\r\n\r\n", List.of(cmd("GET", ""))),
        Arguments.of("*1\r\n$6\r\na\r\nb\r\n\r\n", List.of(cmd("a\r\nb\r\n"))),
        Arguments.of("*1\r\n$4\r\n\u0000\u00ff\u0080\r\r\n", List.of(cmd("\u0000\u00ff\u0080\r"))),
        Arguments.of("*1\r\n$1\r\n*\r\n", List.of(cmd("*"))),
        Arguments.of("*1\r\n$10\r\n0123456789\r\n", List.of(cmd("0123456789"))),
        Arguments.of("PING\r\n", List.of(cmd("PING"))),
        Arguments.of("PING\n", List.of(cmd("PING"))),
        Arguments.of("SET k v\r\n", List.of(cmd("SET", "k", "v"))),
        Arguments.of("$3\r\n", List.of(cmd("$3"))),
        Arguments.of("*0\r\n", List.of()),
        Arguments.of("*-1\r\n", List.of()),
        Arguments.of("\r\n", List.of()),
        Arguments.of("\n", List.of()),
        Arguments.of(" \t \r\n", List.of()),
        Arguments.of("\r\n\r\n*0\r\n\n*-1\r\nPING\r\n", List.of(cmd("PING"))),
        Arguments.of(
            "*1\r\n$4\r\nPING\r\nECHO hi\r\n*2\r\n$4\r\nECHO\r\n$2\r\nyo\r\nQUIT\n",
            List.of(cmd("PING"), cmd("ECHO", "hi"), cmd("ECHO", "yo"), cmd("QUIT"))),
        // Incomplete requests yield nothing, and closing the channel releases what they held.
        Arguments.of("*2\r\n$3\r\nGET\r\n$3\r\nke", List.of()),
        Arguments.of("*1\r\n$4\r\nPING\r\nGET", List.of(cmd("PING"))));
  }

  @ParameterizedTest
  @MethodSource("forms")
  void decodesRequestFormsHowEverTheyAreSplit(String input, List<Object> expected) {
    assertDecodes(DEFAULTS, input, expected.toArray());
  }

  @Test
  void decodesPipelinedCommandsInOrderFromOneBuffer() {
    StringBuilder sb = new StringBuilder();
    List<Object> expected = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      String key = "key:" + i;
      if (i % 3 == 0) {
        sb.append("GET ").append(key).append("\r\n");
        expected.add(cmd("GET", key));
      } else {
        sb.append("*3\r\n$3\r\nSET\r\n$")
            .append(key.length())
            .append("\r\n")
            .append(key)
            .append("\r\n$1\r\n")
            .append(i % 10)
            .append("\r\n");
        expected.add(cmd("SET", key, Integer.toString(i % 10)));
      }
    }
    byte[] input = latin1(sb.toString());
    assertThat(DecoderHarness.decode(DEFAULTS, input)).isEqualTo(expected);
    assertThat(DecoderHarness.decodeBytewise(DEFAULTS, input)).isEqualTo(expected);
  }

  @Test
  void emitsArraysOfExactlyTheAnnouncedLengthBeyondTheInitialCapacity() {
    int n = RespDecoder.INITIAL_ARGS_MAX * 3 + 7;
    StringBuilder sb = new StringBuilder("*").append(n).append("\r\n");
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String arg = Integer.toString(i);
      sb.append('$').append(arg.length()).append("\r\n").append(arg).append("\r\n");
      expected.add(arg);
    }
    assertThat(DecoderHarness.decode(DEFAULTS, latin1(sb.toString()))).containsExactly(expected);
  }

  // ---------------------------------------------------------------------------------------------
  // Inline commands: cases worked out from Redis' sdssplitargs (sds.c)

  static Stream<Arguments> inlineCases() {
    return Stream.of(
        Arguments.of("set foo bar", List.of("set", "foo", "bar")),
        Arguments.of("  set \t foo\tbar  ", List.of("set", "foo", "bar")),
        Arguments.of("set \"foo bar\" 'baz'", List.of("set", "foo bar", "baz")),
        Arguments.of("\"\"", List.of("")),
        Arguments.of("'' x", List.of("", "x")),
        Arguments.of("\"a\\nb\"", List.of("a\nb")),
        Arguments.of("\"\\t\\r\\b\\a\"", List.of("\t\r\b\u0007")),
        Arguments.of("\"\\\\\" \"\\\"\"", List.of("\\", "\"")),
        Arguments.of("\"\\q\"", List.of("q")),
        Arguments.of("\"\\x41\\x4a\\x4B\"", List.of("AJK")),
        Arguments.of("\"\\xfF\\x00\"", List.of("\u00ff\u0000")),
        Arguments.of("\"\\x4\"", List.of("x4")),
        Arguments.of("\"\\xZZ\"", List.of("xZZ")),
        Arguments.of("\"\\X41\"", List.of("X41")),
        Arguments.of("foo\\x41 \\n", List.of("foo\\x41", "\\n")),
        Arguments.of("'it\\'s'", List.of("it's")),
        Arguments.of("'a\\nb' 'c\\\\d'", List.of("a\\nb", "c\\\\d")),
        Arguments.of("'\"' \"'\"", List.of("\"", "'")),
        Arguments.of("a\"b c\"", List.of("ab c")),
        Arguments.of("a'b c'", List.of("ab c")),
        Arguments.of("\"a\"\tb", List.of("a", "b")),
        Arguments.of("\"a\"\u000bb", List.of("a", "b")),
        Arguments.of("a\u000bb \u000bc", List.of("a\u000bb", "c")),
        Arguments.of("a\u000cb", List.of("a\u000cb")),
        Arguments.of("a\rb", List.of("a", "b")),
        Arguments.of("\"a\rb\"", List.of("a\rb")),
        Arguments.of("get a\u0000b c", List.of("get", "a")),
        Arguments.of("\u0000\"unbalanced", List.of()),
        Arguments.of("caf\u00e9 \u00ff\u00fe", List.of("caf\u00e9", "\u00ff\u00fe")));
  }

  @ParameterizedTest
  @MethodSource("inlineCases")
  void splitsInlineCommandsLikeSdssplitargs(String line, List<String> expected) {
    Object[] want = expected.isEmpty() ? new Object[0] : new Object[] {expected};
    assertDecodes(DEFAULTS, line + "\r\n", want);
    assertDecodes(DEFAULTS, line + "\n", want);
  }

  static Stream<String> unbalancedInline() {
    return Stream.of(
        "\"unterminated",
        "'unterminated",
        "set \"a\"b",
        "set 'a'b",
        "\"a\\\"",
        "'a\\'",
        "\"a\\",
        "\"a\u0000\"",
        "x \"\"\"");
  }

  @ParameterizedTest
  @MethodSource("unbalancedInline")
  void rejectsUnbalancedQuotes(String line) {
    assertDecodes(DEFAULTS, line + "\r\n", err("Protocol error: unbalanced quotes in request"));
  }

  // ---------------------------------------------------------------------------------------------
  // Errors

  static Stream<Arguments> errors() {
    String invalidMbulk = "Protocol error: invalid multibulk length";
    String invalidBulk = "Protocol error: invalid bulk length";
    return Stream.of(
        Arguments.of("*abc\r\n", invalidMbulk),
        Arguments.of("*-5\r\n", invalidMbulk),
        Arguments.of("*-0\r\n", invalidMbulk),
        Arguments.of("*01\r\n", invalidMbulk),
        Arguments.of("*+1\r\n", invalidMbulk),
        Arguments.of("* 1\r\n", invalidMbulk),
        Arguments.of("*1 \r\n", invalidMbulk),
        Arguments.of("*\r\n", invalidMbulk),
        Arguments.of("*-\r\n", invalidMbulk),
        Arguments.of("*1\n$1\r\na\r\n", invalidMbulk),
        Arguments.of("*1\r\r\n", invalidMbulk),
        Arguments.of("*2147483648\r\n", invalidMbulk),
        Arguments.of("*99999999999999999999999\r\n", invalidMbulk),
        Arguments.of("*1048577\r\n", invalidMbulk),
        Arguments.of("*1\r\n$abc\r\n", invalidBulk),
        Arguments.of("*1\r\n$-1\r\n", invalidBulk),
        Arguments.of("*1\r\n$-2\r\n", invalidBulk),
        Arguments.of("*1\r\n$01\r\n", invalidBulk),
        Arguments.of("*1\r\n$\r\n", invalidBulk),
        Arguments.of("*1\r\n$3\n", invalidBulk),
        Arguments.of("*1\r\n$536870913\r\n", invalidBulk),
        Arguments.of("*1\r\n$2147483647\r\n", invalidBulk),
        Arguments.of("*1\r\n$2147483648\r\n", invalidBulk),
        Arguments.of("*1\r\n:1\r\n", "Protocol error: expected '$', got ':'"),
        Arguments.of("*2\r\n$1\r\na\r\n*1\r\n", "Protocol error: expected '$', got '*'"),
        Arguments.of("*1\r\n\r\n", "Protocol error: expected '$', got '\r'"),
        Arguments.of("*1\r\n$3\r\nfooXY", "Protocol error: expected CRLF after bulk data"),
        Arguments.of("*1\r\n$3\r\nfoo\nX", "Protocol error: expected CRLF after bulk data"),
        Arguments.of("*1\r\n$3\r\nfoo\r\r", "Protocol error: expected CRLF after bulk data"));
  }

  @ParameterizedTest
  @MethodSource("errors")
  void reportsProtocolErrors(String input, String message) {
    assertDecodes(DEFAULTS, input, err(message));
  }

  @Test
  void reportsAnErrorAfterTheCommandsBeforeIt() {
    assertDecodes(
        DEFAULTS,
        "PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n*1\r\n$4\r\nPING\r\n",
        cmd("PING"),
        cmd("PING"),
        err("Protocol error: invalid bulk length"));
  }

  @Test
  void reportsTooBigLinesWithDefaultLimits() {
    String digits = "1".repeat(64 * 1024 + 1);
    String letters = "a".repeat(64 * 1024 + 1);
    for (String[] c :
        new String[][] {
          {"*" + digits, "Protocol error: too big mbulk count string"},
          {"*1\r\n$" + digits, "Protocol error: too big bulk count string"},
          {letters, "Protocol error: too big inline request"},
          {letters + "\r\n", "Protocol error: too big inline request"},
        }) {
      byte[] input = latin1(c[0]);
      List<Object> want = List.of(err(c[1]));
      assertThat(DecoderHarness.decode(DEFAULTS, input)).as(c[1]).isEqualTo(want);
      assertThat(DecoderHarness.decodeBytewise(DEFAULTS, input)).as(c[1]).isEqualTo(want);
    }
  }

  @Test
  void acceptsAnInlineLineOfExactlyTheLimit() {
    String line = "a".repeat(64 * 1024);
    byte[] crlf = latin1(line + "\r\n");
    byte[] lf = latin1(line + "\n");
    assertThat(DecoderHarness.decode(DEFAULTS, crlf)).containsExactly(cmd(line));
    assertThat(DecoderHarness.decode(DEFAULTS, lf)).containsExactly(cmd(line));
    assertThat(DecoderHarness.decodeBytewise(DEFAULTS, crlf)).containsExactly(cmd(line));
  }

  @Test
  void appliesTheLineLimitOnEveryBoundaryWithSmallLimits() {
    String max = "b".repeat(SMALL.maxInlineBytes());
    assertDecodes(SMALL, max + "\r\n", cmd(max));
    assertDecodes(SMALL, max + "\n", cmd(max));
    assertDecodes(SMALL, max + "b\r\n", err("Protocol error: too big inline request"));
    assertDecodes(SMALL, max + "b\n", err("Protocol error: too big inline request"));
    assertDecodes(SMALL, max + "bb", err("Protocol error: too big inline request"));
    assertDecodes(SMALL, max + "\r", List.of().toArray());
    assertDecodes(SMALL, "*" + "0".repeat(40), err("Protocol error: too big mbulk count string"));
    assertDecodes(
        SMALL, "*1\r\n$" + "0".repeat(40), err("Protocol error: too big bulk count string"));
    assertDecodes(SMALL, "*9\r\n", err("Protocol error: invalid multibulk length"));
    assertDecodes(SMALL, "*1\r\n$33\r\n", err("Protocol error: invalid bulk length"));
    String bulk = "c".repeat(32);
    assertDecodes(SMALL, "*1\r\n$32\r\n" + bulk + "\r\n", cmd(bulk));
  }

  @Test
  void swallowsEverythingAfterAnError() {
    DecoderHarness h = new DecoderHarness(DEFAULTS);
    h.write("*1\r\n$x\r\n");
    h.write("*1\r\n$4\r\nPING\r\nPING\r\n");
    h.write("*1\r\n$-1\r\n");
    assertThat(h.decoder.failed()).isTrue();
    assertThat(h.decoder.bufferedBytes()).isZero();
    assertThat(h.finish()).containsExactly(err("Protocol error: invalid bulk length"));
  }

  // ---------------------------------------------------------------------------------------------
  // Limits

  @Test
  void usesRedisMessagesForUnauthenticatedLimits() {
    RespLimits unauth = RespLimits.unauthenticated();
    assertDecodes(unauth, "*11\r\n", err("Protocol error: unauthenticated multibulk length"));
    assertDecodes(
        unauth, "*1\r\n$16385\r\n", err("Protocol error: unauthenticated bulk length"));
    assertDecodes(unauth, "*1\r\n$-1\r\n", err("Protocol error: invalid bulk length"));
    assertDecodes(unauth, "*-2\r\n", err("Protocol error: invalid multibulk length"));
    StringBuilder ten = new StringBuilder("*10\r\n");
    for (int i = 0; i < 10; i++) {
      ten.append("$1\r\nx\r\n");
    }
    String x = "x";
    assertThat(DecoderHarness.decode(unauth, latin1(ten.toString())))
        .containsExactly(cmd(x, x, x, x, x, x, x, x, x, x));
    String big = "y".repeat(16384);
    assertThat(DecoderHarness.decode(unauth, latin1("*1\r\n$16384\r\n" + big + "\r\n")))
        .containsExactly(cmd(big));
  }

  @Test
  void switchesLimitsAtRuntime() {
    DecoderHarness h = new DecoderHarness(RespLimits.unauthenticated());
    h.write("*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n");
    assertThat(h.messages()).containsExactly(cmd("AUTH", "secret"));
    h.decoder.limits(RespLimits.defaults());
    assertThat(h.decoder.limits()).isEqualTo(RespLimits.defaults());
    String big = "z".repeat(20000);
    h.write("*12\r\n");
    for (int i = 0; i < 11; i++) {
      h.write("$1\r\nz\r\n");
    }
    h.write("$20000\r\n" + big + "\r\n");
    String z = "z";
    assertThat(h.finish())
        .containsExactly(cmd("AUTH", "secret"), cmd(z, z, z, z, z, z, z, z, z, z, z, big));
  }

  @Test
  void stricterLimitsApplyToTheRestOfAPartialRequest() {
    DecoderHarness h = new DecoderHarness(RespLimits.defaults());
    h.write("*2\r\n$3\r\nGET\r\n");
    h.decoder.limits(RespLimits.unauthenticated());
    h.write("$16385\r\n");
    assertThat(h.finish()).containsExactly(err("Protocol error: unauthenticated bulk length"));
  }

  @Test
  void validatesLimits() {
    assertThatThrownBy(() -> new RespLimits(-1, 1, 16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxBulkBytes");
    assertThatThrownBy(() -> new RespLimits(0, 0, 16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxArrayLength");
    assertThatThrownBy(() -> new RespLimits(0, 1, 15))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxInlineBytes");
    assertThatThrownBy(() -> new RespLimits(Integer.MAX_VALUE, 1, 16))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RespDecoder(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new RespDecoder().limits(null))
        .isInstanceOf(NullPointerException.class);
    assertThat(new RespLimits(0, 1, 16)).isEqualTo(new RespLimits(0, 1, 16, false));
    assertThat(RespLimits.defaults())
        .isEqualTo(new RespLimits(512 * 1024 * 1024, 1024 * 1024, 64 * 1024));
    assertThat(RespLimits.unauthenticated())
        .isEqualTo(new RespLimits(16 * 1024, 10, 64 * 1024, true));
    assertThat(new RespDecoder().limits()).isEqualTo(RespLimits.defaults());
  }

  // ---------------------------------------------------------------------------------------------
  // Large bulk strings

  private static byte[] bigSet(byte[] value) {
    byte[] head = latin1("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + value.length + "\r\n");
    byte[] input = Arrays.copyOf(head, head.length + value.length + 2);
    System.arraycopy(value, 0, input, head.length, value.length);
    input[input.length - 2] = '\r';
    input[input.length - 1] = '\n';
    return input;
  }

  private static byte[] randomValue(Random random, int length) {
    byte[] value = new byte[length];
    random.nextBytes(value);
    return value;
  }

  @Test
  void decodesAOneMebibyteBulkArrivingOneByteAtATime() {
    byte[] value = randomValue(new Random(1), 1024 * 1024);
    byte[] input = bigSet(value);
    DecoderHarness h = new DecoderHarness(DEFAULTS);
    for (int i = 0; i < input.length; i++) {
      h.write(input, i, i + 1);
      assertThat(h.decoder.bufferedBytes()).isLessThanOrEqualTo(value.length + 2);
    }
    assertThat(h.allocations()).as("cumulation buffers allocated").isPositive();
    assertThat(h.finish())
        .containsExactly(cmd("SET", "big", new String(value, StandardCharsets.ISO_8859_1)));
  }

  @Test
  void decodesAOneMebibyteBulkArrivingInRandomChunks() {
    long seed = 20240601L;
    Random random = new Random(seed);
    byte[] value = randomValue(random, 1024 * 1024);
    byte[] input = bigSet(value);
    List<String> want = cmd("SET", "big", new String(value, StandardCharsets.ISO_8859_1));
    for (int round = 0; round < 4; round++) {
      DecoderHarness h = new DecoderHarness(DEFAULTS).direct(round % 2 == 1);
      int from = 0;
      while (from < input.length) {
        int to = Math.min(input.length, from + 1 + random.nextInt(round < 2 ? 100 : 70000));
        h.write(input, from, to);
        from = to;
      }
      assertThat(h.finish()).as("seed %d round %d", seed, round).containsExactly(want);
    }
  }

  @Test
  void doesNotBufferAheadOfAHugeAnnouncedBulk() {
    DecoderHarness h = new DecoderHarness(DEFAULTS);
    h.write("*1\r\n$536870000\r\n");
    assertThat(h.decoder.bufferedBytes()).isZero();
    h.write("abc");
    assertThat(h.decoder.bufferedBytes()).isEqualTo(3);
    assertThat(h.finish()).isEmpty();
  }
}
