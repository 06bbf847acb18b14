package io.distributedcache.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RespCommandBufferTest {

  private static final byte[] KEY = "key:".getBytes(StandardCharsets.US_ASCII);

  @Test
  void encodesACommandAsAnArrayOfBulkStrings() {
    byte[] bytes =
        new RespCommandBuffer().begin(3).arg("SET").argWithSuffix(KEY, 42).arg("v").toByteArray();
    assertThat(ascii(bytes)).isEqualTo("*3\r\n$3\r\nSET\r\n$6\r\nkey:42\r\n$1\r\nv\r\n");
  }

  @Test
  void encodesNumbersAsDecimalText() {
    RespCommandBuffer buffer = new RespCommandBuffer();
    assertThat(ascii(buffer.begin(3).arg("WAIT").arg(1).arg(0).toByteArray()))
        .isEqualTo("*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$1\r\n0\r\n");
    assertThat(ascii(buffer.begin(2).arg(Long.MIN_VALUE).arg(Long.MAX_VALUE).toByteArray()))
        .isEqualTo("*2\r\n$20\r\n-9223372036854775808\r\n$19\r\n9223372036854775807\r\n");
    assertThat(ascii(buffer.begin(1).argWithSuffix(KEY, -7).toByteArray()))
        .isEqualTo("*1\r\n$6\r\nkey:-7\r\n");
  }

  @Test
  void emptyArgumentsAndLargeValuesEncode() {
    byte[] big = new byte[100_000];
    Arrays.fill(big, (byte) 'x');
    byte[] bytes = new RespCommandBuffer().begin(2).arg(new byte[0]).arg(big).toByteArray();
    assertThat(ascii(bytes))
        .isEqualTo("*2\r\n$0\r\n\r\n$100000\r\n" + "x".repeat(100_000) + "\r\n");
  }

  @Test
  void reusesTheBufferForTheNextCommand() throws IOException {
    RespCommandBuffer buffer = new RespCommandBuffer();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    buffer.begin(2).arg("GET").argWithSuffix(KEY, 1).writeTo(out);
    buffer.begin(1).arg("PING").writeTo(out);
    assertThat(out.toString(StandardCharsets.US_ASCII))
        .isEqualTo("*2\r\n$3\r\nGET\r\n$5\r\nkey:1\r\n*1\r\n$4\r\nPING\r\n");
  }

  @Test
  void refusesAnArgumentCountOtherThanAnnounced() {
    RespCommandBuffer buffer = new RespCommandBuffer();
    buffer.begin(2).arg("GET");
    assertThatThrownBy(buffer::toByteArray).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> buffer.writeTo(new ByteArrayOutputStream()))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> buffer.begin(1)).isInstanceOf(IllegalStateException.class);
    buffer.arg("k");
    assertThatThrownBy(() -> buffer.arg("extra")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> buffer.begin(0)).isInstanceOf(IllegalArgumentException.class);
  }

  /** A command is itself RESP, so the reader must read back exactly what the buffer wrote. */
  @Test
  void randomCommandsReadBackThroughTheReader() throws IOException {
    long seed = Long.getLong("test.seed", new Random().nextLong());
    Random random = new Random(seed);
    RespCommandBuffer buffer = new RespCommandBuffer();
    for (int round = 0; round < 500; round++) {
      int argc = 1 + random.nextInt(6);
      List<String> expected = new ArrayList<>();
      buffer.begin(argc);
      for (int i = 0; i < argc; i++) {
        switch (random.nextInt(3)) {
          case 0 -> {
            long n = random.nextBoolean() ? random.nextInt(1000) : random.nextLong();
            buffer.argWithSuffix(KEY, n);
            expected.add("$key:" + n);
          }
          case 1 -> {
            long n = random.nextLong();
            buffer.arg(n);
            expected.add("$" + n);
          }
          default -> {
            byte[] raw = new byte[random.nextInt(600)];
            for (int j = 0; j < raw.length; j++) {
              raw[j] = (byte) random.nextInt(128);
            }
            buffer.arg(raw);
            expected.add("$" + new String(raw, StandardCharsets.UTF_8));
          }
        }
      }
      RespReply reply = new RespReader(new ByteArrayInputStream(buffer.toByteArray())).read();
      assertThat(RespReaderTest.render(reply))
          .as("seed %d, round %d", seed, round)
          .isEqualTo(String.join(", ", expected).transform(s -> "[" + s + "]"));
    }
  }

  private static String ascii(byte[] bytes) {
    return new String(bytes, StandardCharsets.US_ASCII);
  }
}
