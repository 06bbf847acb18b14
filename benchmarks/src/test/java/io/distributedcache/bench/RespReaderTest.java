package io.distributedcache.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RespReaderTest {

  @Test
  void readsEachReplyType() throws IOException {
    assertThat(readOne("+OK\r\n")).isEqualTo(new RespReply.Simple("OK"));
    assertThat(readOne("+\r\n")).isEqualTo(new RespReply.Simple(""));
    assertThat(readOne("-ERR unknown command 'FOO'\r\n"))
        .isEqualTo(new RespReply.Error("ERR unknown command 'FOO'"));
    assertThat(readOne(":0\r\n")).isEqualTo(new RespReply.Int(0));
    assertThat(readOne(":-42\r\n")).isEqualTo(new RespReply.Int(-42));
    assertThat(readOne(":9223372036854775807\r\n")).isEqualTo(new RespReply.Int(Long.MAX_VALUE));
    assertThat(readOne(":-9223372036854775808\r\n")).isEqualTo(new RespReply.Int(Long.MIN_VALUE));
    assertThat(readOne("$-1\r\n")).isSameAs(RespReply.Nil.BULK);
    assertThat(readOne("*-1\r\n")).isSameAs(RespReply.Nil.ARRAY);
    assertThat(((RespReply.Bulk) readOne("$5\r\nhello\r\n")).utf8()).isEqualTo("hello");
    assertThat(((RespReply.Bulk) readOne("$0\r\n\r\n")).bytes()).isEmpty();
    assertThat(readOne("*0\r\n")).isEqualTo(new RespReply.Array(List.of()));
  }

  @Test
  void bulkStringsMayContainCrLf() throws IOException {
    RespReply reply = readOne("$6\r\na\r\nb\r\n\r\n");
    assertThat(((RespReply.Bulk) reply).utf8()).isEqualTo("a\r\nb\r\n");
  }

  @Test
  void readsNestedArraysWithMixedElements() throws IOException {
    RespReply reply = readOne("*3\r\n:1\r\n*2\r\n$1\r\nx\r\n$-1\r\n+OK\r\n");
    assertThat(render(reply)).isEqualTo("[:1, [$x, $-1], +OK]");
  }

  @Test
  void readsConsecutiveRepliesFromOneStream() throws IOException {
    RespReader reader = new RespReader(byteByByte("+OK\r\n:2\r\n$-1\r\n-ERR x\r\n"));
    assertThat(reader.read()).isEqualTo(new RespReply.Simple("OK"));
    assertThat(reader.read()).isEqualTo(new RespReply.Int(2));
    assertThat(reader.read()).isSameAs(RespReply.Nil.BULK);
    assertThat(reader.read()).isEqualTo(new RespReply.Error("ERR x"));
    assertThatThrownBy(reader::read).isInstanceOf(EOFException.class);
  }

  @Test
  void longSimpleLinesGrowTheLineBuffer() throws IOException {
    String text = "x".repeat(10_000);
    assertThat(readOne("+" + text + "\r\n")).isEqualTo(new RespReply.Simple(text));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "?OK\r\n", // unknown type
        "_\r\n", // RESP3 null: this client never asks for RESP3
        "%1\r\n+a\r\n+b\r\n", // RESP3 map
        "+OK\rX", // CR without LF
        "+OK\n", // LF without CR
        ":\r\n", // empty number
        ":-\r\n", // sign only
        ":12a\r\n", // not a digit
        ": 1\r\n", // space
        ":+1\r\n", // explicit plus
        ":9223372036854775808\r\n", // overflow by one
        ":-9223372036854775809\r\n", // underflow by one
        ":99999999999999999999\r\n", // twenty digits
        "$-2\r\n", // negative length other than -1
        "$536870913\r\n", // above 512 MB
        "*-2\r\n",
        "*1048577\r\n", // above the array bound
        "$3\r\nabcX\r\n", // bulk without its CRLF
        "$3\r\nabc\rX", // bulk with CR only
      })
  void rejectsMalformedReplies(String bytes) {
    assertThatThrownBy(() -> readOne(bytes)).isInstanceOf(RespProtocolException.class);
  }

  @Test
  void rejectsNestingBeyondTheBound() throws IOException {
    String deep = "*1\r\n".repeat(RespReader.MAX_DEPTH + 1) + ":1\r\n";
    assertThatThrownBy(() -> readOne(deep))
        .isInstanceOf(RespProtocolException.class)
        .hasMessageContaining("nested");
    String ok = "*1\r\n".repeat(RespReader.MAX_DEPTH) + ":1\r\n";
    assertThat(render(readOne(ok)))
        .isEqualTo("[".repeat(RespReader.MAX_DEPTH) + ":1" + "]".repeat(RespReader.MAX_DEPTH));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "+OK", "+OK\r", ":12", "$5\r\nhel", "$5\r\nhello", "*2\r\n:1\r\n"})
  void endOfStreamInsideAReplyIsEof(String bytes) {
    assertThatThrownBy(() -> readOne(bytes)).isInstanceOf(EOFException.class);
  }

  @Test
  void randomRepliesSurviveEncodingAndRandomChunking() throws IOException {
    long seed = Long.getLong("test.seed", new Random().nextLong());
    Random random = new Random(seed);
    for (int round = 0; round < 300; round++) {
      List<RespReply> replies = new ArrayList<>();
      ByteArrayOutputStream wire = new ByteArrayOutputStream();
      int count = 1 + random.nextInt(5);
      for (int i = 0; i < count; i++) {
        RespReply reply = randomReply(random, 0);
        replies.add(reply);
        encode(reply, wire);
      }
      RespReader reader = new RespReader(new ChunkedStream(wire.toByteArray(), random));
      for (RespReply expected : replies) {
        assertThat(render(reader.read()))
            .as("seed %d, round %d", seed, round)
            .isEqualTo(render(expected));
      }
      assertThatThrownBy(reader::read).as("seed %d", seed).isInstanceOf(EOFException.class);
    }
  }

  private static RespReply randomReply(Random random, int depth) {
    int kind = random.nextInt(depth < 3 ? 7 : 6);
    return switch (kind) {
      case 0 -> new RespReply.Simple(randomText(random, false));
      case 1 -> new RespReply.Error("ERR " + randomText(random, false));
      case 2 -> new RespReply.Int(random.nextBoolean() ? random.nextInt(100) : random.nextLong());
      case 3 -> new RespReply.Bulk(randomText(random, true).getBytes(StandardCharsets.UTF_8));
      case 4 -> RespReply.Nil.BULK;
      case 5 -> RespReply.Nil.ARRAY;
      default -> {
        List<RespReply> elements = new ArrayList<>();
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
          elements.add(randomReply(random, depth + 1));
        }
        yield new RespReply.Array(elements);
      }
    };
  }

  private static String randomText(Random random, boolean anyByte) {
    StringBuilder b = new StringBuilder();
    int n = random.nextInt(anyByte ? 300 : 20);
    for (int i = 0; i < n; i++) {
      char c = (char) (anyByte ? random.nextInt(128) : 'a' + random.nextInt(26));
      b.append(c);
    }
    return b.toString();
  }

  /** The test's own encoder, written from the RESP2 spec, independent of the code under test. */
  private static void encode(RespReply reply, ByteArrayOutputStream out) {
    String header;
    if (reply instanceof RespReply.Simple s) {
      header = "+" + s.text() + "\r\n";
    } else if (reply instanceof RespReply.Error e) {
      header = "-" + e.message() + "\r\n";
    } else if (reply instanceof RespReply.Int i) {
      header = ":" + i.value() + "\r\n";
    } else if (reply instanceof RespReply.Bulk b) {
      header = "$" + b.bytes().length + "\r\n";
    } else if (reply instanceof RespReply.Array a) {
      header = "*" + a.elements().size() + "\r\n";
    } else {
      header = reply == RespReply.Nil.BULK ? "$-1\r\n" : "*-1\r\n";
    }
    out.writeBytes(header.getBytes(StandardCharsets.UTF_8));
    if (reply instanceof RespReply.Bulk b) {
      out.writeBytes(b.bytes());
      out.writeBytes(new byte[] {'\r', '\n'});
    } else if (reply instanceof RespReply.Array a) {
      a.elements().forEach(e -> encode(e, out));
    }
  }

  /** A comparable rendering: bulk contents by value rather than by array identity. */
  static String render(RespReply reply) {
    if (reply instanceof RespReply.Bulk b) {
      return "$" + b.utf8();
    }
    if (reply instanceof RespReply.Array a) {
      return a.elements().stream()
          .map(RespReaderTest::render)
          .collect(Collectors.joining(", ", "[", "]"));
    }
    return reply.describe();
  }

  /** Reads one reply and checks that the bytes held exactly that reply. */
  private static RespReply readOne(String bytes) throws IOException {
    InputStream in = byteByByte(bytes);
    RespReply reply = new RespReader(in).read();
    assertThat(in.read()).as("bytes left after the reply").isEqualTo(-1);
    return reply;
  }

  private static InputStream byteByByte(String bytes) {
    return new ChunkedStream(bytes.getBytes(StandardCharsets.UTF_8), null);
  }

  /**
   * Hands out at most one byte per read (or random-sized chunks), as a slow socket would, so that
   * the reader cannot depend on a reply arriving in one piece.
   */
  private static final class ChunkedStream extends InputStream {
    private final ByteArrayInputStream in;
    private final Random random;

    ChunkedStream(byte[] bytes, Random random) {
      this.in = new ByteArrayInputStream(bytes);
      this.random = random;
    }

    @Override
    public int read() {
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      int chunk = random == null ? 1 : 1 + random.nextInt(Math.min(len, 64));
      return in.read(b, off, Math.min(len, chunk));
    }
  }
}
