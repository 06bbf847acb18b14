package io.distributedcache.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The RESP2 decoder of {@link RespClient}: every reply type, fed whole and one byte per read
 * (as a slow socket delivers it), and the limits and malformations it must refuse.
 */
class ClusterCliRespClientTest {

  /** A stream that hands out at most one byte per read call. */
  private static InputStream trickle(String raw) {
    byte[] bytes = raw.getBytes(StandardCharsets.UTF_8);
    return new ByteArrayInputStream(bytes) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 1));
      }
    };
  }

  private static Object decodeBothWays(String raw) throws IOException {
    Object whole = RespClient.read(new ByteArrayInputStream(raw.getBytes(StandardCharsets.UTF_8)));
    Object trickled = RespClient.read(trickle(raw));
    assertThat(trickled).isEqualTo(whole);
    return whole;
  }

  @Test
  void decodesEveryRespTwoType() throws IOException {
    assertThat(decodeBothWays("+OK\r\n")).isEqualTo("OK");
    assertThat(decodeBothWays("-ERR cannot leave: last member\r\n"))
        .isEqualTo(new RespClient.ErrorReply("ERR cannot leave: last member"));
    assertThat(decodeBothWays(":-42\r\n")).isEqualTo(-42L);
    assertThat(decodeBothWays("$5\r\nh\r\nl!\r\n")).isEqualTo("h\r\nl!");
    assertThat(decodeBothWays("$0\r\n\r\n")).isEqualTo("");
    assertThat(decodeBothWays("$-1\r\n")).isNull();
    assertThat(decodeBothWays("*-1\r\n")).isNull();
    assertThat(decodeBothWays("*0\r\n")).isEqualTo(List.of());
    assertThat(decodeBothWays("$3\r\nn\u00e9\r\n")).isEqualTo("n\u00e9"); // length in UTF-8 bytes
  }

  @Test
  void decodesNestedArraysAsClusterShardsSendsThem() throws IOException {
    String raw =
        "*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*1\r\n"
            + "*4\r\n$8\r\nhostname\r\n$2\r\nn1\r\n$4\r\nport\r\n:7000\r\n";
    assertThat(decodeBothWays(raw))
        .isEqualTo(
            List.of(
                List.of(
                    "slots", List.of(0L, 5460L), "nodes",
                    List.of(List.of("hostname", "n1", "port", 7000L)))));
  }

  @Test
  void decodesConsecutiveRepliesFromOneStream() throws IOException {
    InputStream in = trickle("+PONG\r\n:1\r\n$2\r\nab\r\n");
    assertThat(RespClient.read(in)).isEqualTo("PONG");
    assertThat(RespClient.read(in)).isEqualTo(1L);
    assertThat(RespClient.read(in)).isEqualTo("ab");
    assertThatThrownBy(() -> RespClient.read(in)).isInstanceOf(EOFException.class);
  }

  @Test
  void refusesMalformedReplies() {
    for (String raw :
        List.of(
            "%1\r\n", // RESP3 map: we speak RESP2 only
            "+OK\n", // LF without CR
            "+OK\rX", // CR without LF
            ":12a\r\n",
            "$3\r\nab", // ends inside the bulk
            "$2\r\nabXY", // bulk not followed by CRLF
            "$-2\r\n",
            "*-5\r\n",
            "*2\r\n+a\r\n", // ends inside the array
            "")) {
      assertThatThrownBy(() -> RespClient.read(trickle(raw)))
          .as("%s", raw.replace("\r", "\\r").replace("\n", "\\n"))
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void refusesRepliesOverTheLimitsBeforeReadingThem() {
    assertThatThrownBy(() -> RespClient.read(trickle("$" + (RespClient.MAX_BULK_BYTES + 1L)
            + "\r\n")))
        .hasMessageContaining("bulk length");
    assertThatThrownBy(() -> RespClient.read(trickle("*" + (RespClient.MAX_ARRAY_LENGTH + 1L)
            + "\r\n")))
        .hasMessageContaining("array length");
    assertThatThrownBy(() -> RespClient.read(trickle("*1\r\n".repeat(RespClient.MAX_DEPTH + 1)
            + ":1\r\n")))
        .hasMessageContaining("nested");
    char[] longLine = new char[RespClient.MAX_LINE_BYTES + 1];
    Arrays.fill(longLine, 'x');
    assertThatThrownBy(() -> RespClient.read(trickle("+" + new String(longLine) + "\r\n")))
        .hasMessageContaining("longer than");
  }

  @Test
  void randomBytesNeverEscapeAsAnythingButIoException() {
    long seed = new SplittableRandom().nextLong();
    SplittableRandom random = new SplittableRandom(seed);
    byte[] alphabet = "+-:$*\r\n0123456789-ab".getBytes(StandardCharsets.US_ASCII);
    for (int run = 0; run < 2000; run++) {
      byte[] input = new byte[random.nextInt(1, 40)];
      for (int i = 0; i < input.length; i++) {
        input[i] = alphabet[random.nextInt(alphabet.length)];
      }
      try {
        RespClient.read(new ByteArrayInputStream(input));
      } catch (IOException expected) {
        // refusing is fine; anything else (a RuntimeException, an OOM) is a bug
      } catch (RuntimeException e) {
        throw new AssertionError(
            "seed " + seed + " input '" + new String(input, StandardCharsets.US_ASCII) + "'", e);
      }
    }
  }
}
