package io.distributedcache.resp.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RespWriterTest {

  /** What {@code write} produces with a writer of the given protocol, as ISO-8859-1 text. */
  private static String bytes(int protocol, BiConsumer<RespWriter, ByteBuf> write) {
    RespWriter w = new RespWriter(protocol);
    // A small initial capacity makes every method grow the buffer itself.
    ByteBuf out = Unpooled.buffer(1);
    try {
      write.accept(w, out);
      return out.toString(StandardCharsets.ISO_8859_1);
    } finally {
      out.release();
    }
  }

  private static String utf8AsLatin1(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  /** Case: a write, its RESP2 bytes and its RESP3 bytes (ISO-8859-1). */
  private static Arguments c(String name, BiConsumer<RespWriter, ByteBuf> write, String v2, String v3) {
    return Arguments.of(name, write, v2, v3);
  }

  private static Arguments same(String name, BiConsumer<RespWriter, ByteBuf> write, String both) {
    return c(name, write, both, both);
  }

  static Stream<Arguments> cases() {
    byte[] big = new byte[2000];
    Arrays.fill(big, (byte) 'x');
    return Stream.of(
        same("simple", (w, o) -> w.simple(o, "OK"), "+OK\r\n"),
        same("simple empty", (w, o) -> w.simple(o, ""), "+\r\n"),
        same("simple utf8", (w, o) -> w.simple(o, "caf\u00e9"), utf8AsLatin1("+caf\u00e9\r\n")),
        same("simple with newlines", (w, o) -> w.simple(o, "\na\r\nb\r\n"), "+a  b\r\n"),
        same("ok", (w, o) -> w.ok(o), "+OK\r\n"),
        same("pong", (w, o) -> w.pong(o), "+PONG\r\n"),
        same("error", (w, o) -> w.error(o, "ERR syntax error"), "-ERR syntax error\r\n"),
        same("error dash", (w, o) -> w.error(o, "-WRONGTYPE x"), "-WRONGTYPE x\r\n"),
        same("error newlines", (w, o) -> w.error(o, "\r\nERR a\nb\rc\r\n"), "-ERR a b c\r\n"),
        same("error only newlines", (w, o) -> w.error(o, "\r\n"), "-\r\n"),
        same(
            "error utf8",
            (w, o) -> w.error(o, "ERR unknown command 'caf\u00e9'"),
            utf8AsLatin1("-ERR unknown command 'caf\u00e9'\r\n")),
        same("integer 0", (w, o) -> w.integer(o, 0), ":0\r\n"),
        same("integer 1", (w, o) -> w.integer(o, 1), ":1\r\n"),
        same("integer 2", (w, o) -> w.integer(o, 2), ":2\r\n"),
        same("integer -1", (w, o) -> w.integer(o, -1), ":-1\r\n"),
        same("integer -2", (w, o) -> w.integer(o, -2), ":-2\r\n"),
        same("integer 1023", (w, o) -> w.integer(o, 1023), ":1023\r\n"),
        same("integer 1024", (w, o) -> w.integer(o, 1024), ":1024\r\n"),
        same("integer 10", (w, o) -> w.integer(o, 10), ":10\r\n"),
        same("integer max", (w, o) -> w.integer(o, Long.MAX_VALUE), ":9223372036854775807\r\n"),
        same("integer min", (w, o) -> w.integer(o, Long.MIN_VALUE), ":-9223372036854775808\r\n"),
        same("bulk bytes", (w, o) -> w.bulk(o, new byte[] {'a', 0, '\r', '\n'}), "$4\r\na\0\r\n\r\n"),
        same("bulk empty", (w, o) -> w.bulk(o, new byte[0]), "$0\r\n\r\n"),
        same("bulk 2000", (w, o) -> w.bulk(o, big), "$2000\r\n" + "x".repeat(2000) + "\r\n"),
        c("bulk null bytes", (w, o) -> w.bulk(o, (byte[]) null), "$-1\r\n", "_\r\n"),
        same("bulk string", (w, o) -> w.bulk(o, "h\u00e9llo"), utf8AsLatin1("$6\r\nh\u00e9llo\r\n")),
        same(
            "bulk emoji",
            (w, o) -> w.bulk(o, "\ud83d\ude00"),
            utf8AsLatin1("$4\r\n\ud83d\ude00\r\n")),
        same("bulk lone surrogate", (w, o) -> w.bulk(o, "a\ud800b"), "$3\r\na?b\r\n"),
        same("bulk empty string", (w, o) -> w.bulk(o, ""), "$0\r\n\r\n"),
        c("bulk null string", (w, o) -> w.bulk(o, (String) null), "$-1\r\n", "_\r\n"),
        c("nullBulk", (w, o) -> w.nullBulk(o), "$-1\r\n", "_\r\n"),
        c("nullArray", (w, o) -> w.nullArray(o), "*-1\r\n", "_\r\n"),
        same("arrayHeader 0", (w, o) -> w.arrayHeader(o, 0), "*0\r\n"),
        same("arrayHeader 3", (w, o) -> w.arrayHeader(o, 3), "*3\r\n"),
        same("arrayHeader 5000", (w, o) -> w.arrayHeader(o, 5000), "*5000\r\n"),
        c("mapHeader 0", (w, o) -> w.mapHeader(o, 0), "*0\r\n", "%0\r\n"),
        c("mapHeader 2", (w, o) -> w.mapHeader(o, 2), "*4\r\n", "%2\r\n"),
        c(
            "mapHeader max",
            (w, o) -> w.mapHeader(o, Integer.MAX_VALUE),
            "*4294967294\r\n",
            "%2147483647\r\n"),
        c("setHeader", (w, o) -> w.setHeader(o, 3), "*3\r\n", "~3\r\n"),
        c("pushHeader", (w, o) -> w.pushHeader(o, 3), "*3\r\n", ">3\r\n"),
        c("double", (w, o) -> w.doubleValue(o, 3.14), "$4\r\n3.14\r\n", ",3.14\r\n"),
        c("double integral", (w, o) -> w.doubleValue(o, 10.0), "$2\r\n10\r\n", ",10\r\n"),
        c("double inf", (w, o) -> w.doubleValue(o, Double.POSITIVE_INFINITY), "$3\r\ninf\r\n", ",inf\r\n"),
        c(
            "double -inf",
            (w, o) -> w.doubleValue(o, Double.NEGATIVE_INFINITY),
            "$4\r\n-inf\r\n",
            ",-inf\r\n"),
        c("double nan", (w, o) -> w.doubleValue(o, Double.NaN), "$3\r\nnan\r\n", ",nan\r\n"),
        c("bool true", (w, o) -> w.bool(o, true), ":1\r\n", "#t\r\n"),
        c("bool false", (w, o) -> w.bool(o, false), ":0\r\n", "#f\r\n"),
        c("verbatim", (w, o) -> w.verbatim(o, "txt", "hi"), "$2\r\nhi\r\n", "=6\r\ntxt:hi\r\n"),
        c(
            "verbatim utf8",
            (w, o) -> w.verbatim(o, "mkd", "\u00e9"),
            utf8AsLatin1("$2\r\n\u00e9\r\n"),
            utf8AsLatin1("=6\r\nmkd:\u00e9\r\n")),
        c(
            "bulkArray",
            (w, o) -> w.bulkArray(o, Arrays.asList(new byte[] {'a'}, null, new byte[] {'b', 'c'})),
            "*3\r\n$1\r\na\r\n$-1\r\n$2\r\nbc\r\n",
            "*3\r\n$1\r\na\r\n_\r\n$2\r\nbc\r\n"),
        same("bulkArray empty", (w, o) -> w.bulkArray(o, List.of()), "*0\r\n"),
        c("bulkArray null", (w, o) -> w.bulkArray(o, null), "*-1\r\n", "_\r\n"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void writesExactBytes(
      String name, BiConsumer<RespWriter, ByteBuf> write, String resp2, String resp3) {
    assertThat(bytes(2, write)).as("RESP2").isEqualTo(resp2);
    assertThat(bytes(3, write)).as("RESP3").isEqualTo(resp3);
  }

  static Stream<Arguments> doubles() {
    return Stream.of(
        Arguments.of(0.0, "0"),
        Arguments.of(-0.0, "-0"),
        Arguments.of(1.0, "1"),
        Arguments.of(-2.0, "-2"),
        Arguments.of(100.0, "100"),
        Arguments.of(1.5, "1.5"),
        Arguments.of(-2.5, "-2.5"),
        Arguments.of(3.14, "3.14"),
        Arguments.of(0.1, "0.1"),
        Arguments.of(0.5, "0.5"),
        Arguments.of(1e-5, "0.00001"),
        Arguments.of(1e-6, "0.000001"),
        Arguments.of(1e-7, "1e-7"),
        Arguments.of(1.5e-7, "1.5e-7"),
        Arguments.of(1.23e-10, "1.23e-10"),
        Arguments.of(1.0 / 3, "0.3333333333333333"),
        Arguments.of(2.0 / 3, "0.6666666666666666"),
        Arguments.of(123456789.125, "123456789.125"),
        Arguments.of(12345678.9, "12345678.9"),
        Arguments.of(4611686018427387904.0, "4611686018427387904"),
        Arguments.of(1e19, "1e+19"),
        Arguments.of(9.2e18, "9.2e+18"),
        Arguments.of(1e21, "1e+21"),
        Arguments.of(1e100, "1e+100"),
        Arguments.of(1.5e300, "1.5e+300"),
        Arguments.of(1e-300, "1e-300"),
        Arguments.of(Double.MAX_VALUE, "1.7976931348623157e+308"),
        Arguments.of(Double.MIN_VALUE, "5e-324"),
        Arguments.of(Double.NaN, "nan"),
        Arguments.of(Double.POSITIVE_INFINITY, "inf"),
        Arguments.of(Double.NEGATIVE_INFINITY, "-inf"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("doubles")
  void formatsDoublesLikeRedis(double d, String text) {
    assertThat(RespWriter.formatDouble(d)).isEqualTo(text);
  }

  @Test
  void formattedDoublesReadBack() {
    long seed = 7L;
    Random random = new Random(seed);
    for (int i = 0; i < 20_000; i++) {
      double d =
          i % 2 == 0
              ? Double.longBitsToDouble(random.nextLong())
              : (random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(40) - 20);
      if (!Double.isFinite(d)) {
        continue;
      }
      String text = RespWriter.formatDouble(d);
      assertThat(Double.parseDouble(text))
          .as("seed %d, case %d: %s formatted as %s", seed, i, d, text)
          .isEqualTo(d);
      assertThat(text.length()).as("seed %d, %s formatted as %s", seed, d, text).isLessThanOrEqualTo(25);
    }
  }

  @Test
  void writesAnyLongLikeLongToString() {
    long seed = 11L;
    Random random = new Random(seed);
    RespWriter w = new RespWriter(2);
    ByteBuf out = Unpooled.buffer();
    try {
      for (int i = 0; i < 10_000; i++) {
        long v = random.nextLong() >> random.nextInt(64);
        out.clear();
        w.integer(out, v);
        assertThat(out.toString(StandardCharsets.US_ASCII))
            .as("seed %d", seed)
            .isEqualTo(":" + v + "\r\n");
      }
    } finally {
      out.release();
    }
  }

  @Test
  void switchesProtocol() {
    RespWriter w = new RespWriter(2);
    assertThat(w.protocol()).isEqualTo(2);
    w.protocol(3);
    assertThat(w.protocol()).isEqualTo(3);
    ByteBuf out = Unpooled.buffer();
    try {
      w.nullBulk(out);
      w.protocol(2);
      w.nullBulk(out);
      assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("_\r\n$-1\r\n");
    } finally {
      out.release();
    }
  }

  @Test
  void rejectsInvalidArguments() {
    assertThatThrownBy(() -> new RespWriter(1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RespWriter(2).protocol(4))
        .isInstanceOf(IllegalArgumentException.class);
    ByteBuf out = Unpooled.buffer();
    try {
      RespWriter w = new RespWriter(3);
      assertThatThrownBy(() -> w.arrayHeader(out, -1)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> w.mapHeader(out, -1)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> w.setHeader(out, -1)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> w.pushHeader(out, -1)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> w.verbatim(out, "text", "x"))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> w.verbatim(out, "t\u00e9t", "x"))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(out.readableBytes()).isZero();
    } finally {
      out.release();
    }
  }
}
