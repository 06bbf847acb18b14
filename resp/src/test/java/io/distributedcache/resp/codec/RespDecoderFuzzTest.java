package io.distributedcache.resp.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded random streams through {@link RespDecoder}, each decoded whole and in random chunks.
 *
 * <p>Every case checks: the decoder never throws; the chunked decoding equals the whole one; the
 * output is commands followed by at most one {@link RespProtocolError}; after an error nothing else
 * comes out and nothing is retained; the cumulation never retains more than {@code
 * max(maxBulkBytes, maxInlineBytes) + 2} bytes (checked after every chunk, with small limits so
 * that hostile input reaches them); no command exceeds the limits; every input buffer is released.
 * Streams built from known commands must decode to exactly those commands.
 *
 * <p>Case {@code i} of a family uses seed {@code BASE_SEED + family * 1_000_000 + i}. A failure
 * names its seed; {@code -Dresp.fuzz.seed=<seed>} replays that one case in every family, {@code
 * -Dresp.fuzz.cases=<n>} runs more cases per family.
 */
class RespDecoderFuzzTest {

  private static final long BASE_SEED = 0x5EED_0000L;
  private static final Long REPLAY = Long.getLong("resp.fuzz.seed");
  private static final int CASES = Integer.getInteger("resp.fuzz.cases", 700);

  /** Bytes that matter to the parser, so random streams reach deep states often. */
  private static final byte[] ALPHABET = latin1("*$\r\n\r\n0123456789--+ \t\"'\\x\u0000a");

  /** A stream to decode and, when known, the messages it must decode to. */
  private record Case(RespLimits limits, byte[] input, List<Object> expected) {}

  private interface Family {
    Case generate(Random random);
  }

  @Test
  void randomBytes() {
    run(
        1,
        r -> {
          byte[] input = new byte[r.nextInt(600)];
          for (int i = 0; i < input.length; i++) {
            input[i] =
                r.nextBoolean() ? ALPHABET[r.nextInt(ALPHABET.length)] : (byte) r.nextInt(256);
          }
          return new Case(randomLimits(r), input, null);
        });
  }

  @Test
  void validCommandStreams() {
    run(
        2,
        r -> {
          RespLimits limits = r.nextInt(4) == 0 ? RespLimits.defaults() : randomLimits(r);
          Stream s = new Stream();
          validCommands(r, limits, s, 1 + r.nextInt(8));
          return new Case(limits, s.bytes.toByteArray(), s.expected);
        });
  }

  @Test
  void mutatedCommandStreams() {
    run(
        3,
        r -> {
          RespLimits limits = randomLimits(r);
          Stream s = new Stream();
          validCommands(r, limits, s, 1 + r.nextInt(8));
          byte[] input = s.bytes.toByteArray();
          int mutations = 1 + r.nextInt(3);
          for (int i = 0; i < mutations; i++) {
            input = mutate(r, input);
          }
          return new Case(limits, input, null);
        });
  }

  @Test
  void hostileHeaders() {
    run(
        4,
        r -> {
          RespLimits limits = randomLimits(r);
          Stream s = new Stream();
          validCommands(r, limits, s, r.nextInt(3));
          String tooManyArgs =
              limits.authPending()
                  ? RespDecoder.UNAUTHENTICATED_MULTIBULK_LENGTH
                  : RespDecoder.INVALID_MULTIBULK_LENGTH;
          String tooLongBulk =
              limits.authPending()
                  ? RespDecoder.UNAUTHENTICATED_BULK_LENGTH
                  : RespDecoder.INVALID_BULK_LENGTH;
          String digits = digits(r, 12 + r.nextInt(200));
          String[][] table = {
            {"*2147483647\r\n", tooManyArgs},
            {"*" + (limits.maxArrayLength() + 1) + "\r\n", tooManyArgs},
            {"*1\r\n$2147483647\r\n", tooLongBulk},
            {"*1\r\n$" + (limits.maxBulkBytes() + 1) + "\r\n", tooLongBulk},
            {"*2147483648\r\n", RespDecoder.INVALID_MULTIBULK_LENGTH},
            {"*-5\r\n", RespDecoder.INVALID_MULTIBULK_LENGTH},
            {"*-2147483649\r\n", RespDecoder.INVALID_MULTIBULK_LENGTH},
            {"*1\r\n$-2\r\n", RespDecoder.INVALID_BULK_LENGTH},
            {"*1\r\n$-1\r\n", RespDecoder.INVALID_BULK_LENGTH},
            {"*1\r\n*1\r\n$1\r\na\r\n", "Protocol error: expected '$', got '*'"},
            {"*1\r\n+OK\r\n", "Protocol error: expected '$', got '+'"},
            {"*" + digits + "\r\n", null},
            {"*1\r\n$" + digits + "\r\n", null},
            {"*" + digits, null},
            {"*1\r\n$" + digits, null},
            {"\"" + "q".repeat(r.nextInt(100)) + "\r\n", null},
            {"*1\r\n$0\r\nXY", RespDecoder.EXPECTED_CRLF},
          };
          String[] pick = table[r.nextInt(table.length)];
          s.raw(latin1(pick[0]));
          if (pick[1] != null) {
            s.expected.add(new RespProtocolError(pick[1]));
          }
          // Whatever follows an error must be swallowed.
          byte[] suffix = new byte[r.nextInt(100)];
          r.nextBytes(suffix);
          s.raw(suffix);
          return new Case(limits, s.bytes.toByteArray(), pick[1] != null ? s.expected : null);
        });
  }

  // ---------------------------------------------------------------------------------------------

  private static void run(int family, Family generator) {
    long first = BASE_SEED + family * 1_000_000L;
    if (REPLAY != null) {
      check(REPLAY, generator);
      return;
    }
    for (int i = 0; i < CASES; i++) {
      check(first + i, generator);
    }
  }

  private static void check(long seed, Family generator) {
    Case c = null;
    try {
      Random r = new Random(seed);
      c = generator.generate(r);
      List<Object> whole = DecoderHarness.decode(c.limits(), c.input());
      List<Object> chunked = decodeInRandomChunks(r, c);
      assertThat(chunked).as("chunked vs whole").isEqualTo(whole);
      if (c.expected() != null) {
        assertThat(whole).as("known commands").isEqualTo(c.expected());
      }
      for (Object m : whole) {
        if (m instanceof List<?> args) {
          RespLimits l = c.limits();
          assertThat(args.size()).isLessThanOrEqualTo(Math.max(l.maxArrayLength(), l.maxInlineBytes()));
          for (Object arg : args) {
            assertThat(((String) arg).length())
                .isLessThanOrEqualTo(Math.max(l.maxBulkBytes(), l.maxInlineBytes()));
          }
        }
      }
    } catch (AssertionError | RuntimeException e) {
      String input = c == null ? "?" : escape(c.input());
      throw new AssertionError(
          "seed "
              + seed
              + " failed (replay: -Dresp.fuzz.seed="
              + seed
              + "), limits "
              + (c == null ? "?" : c.limits())
              + ", input "
              + input
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** Feeds the case in random chunks, then garbage if it ended in an error. */
  private static List<Object> decodeInRandomChunks(Random r, Case c) {
    DecoderHarness h = new DecoderHarness(c.limits()).direct(r.nextBoolean());
    byte[] input = c.input();
    int from = 0;
    while (from < input.length) {
      int size = r.nextInt(3) == 0 ? 1 : 1 + r.nextInt(64);
      int to = Math.min(input.length, from + size);
      h.write(input, from, to);
      from = to;
    }
    if (h.decoder.failed()) {
      // The harness asserts that nothing comes out of these and nothing is retained.
      h.write(latin1("*1\r\n$4\r\nPING\r\nPING\r\n"));
      byte[] garbage = new byte[1 + r.nextInt(200)];
      r.nextBytes(garbage);
      h.write(garbage);
    }
    return h.finish();
  }

  private static RespLimits randomLimits(Random r) {
    return new RespLimits(
        r.nextInt(65),
        1 + r.nextInt(8),
        RespLimits.MIN_INLINE_BYTES + r.nextInt(33),
        r.nextInt(4) == 0);
  }

  /** A byte stream under construction with the messages it must decode to. */
  private static final class Stream {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final List<Object> expected = new ArrayList<>();

    void raw(byte[] b) {
      bytes.writeBytes(b);
    }
  }

  /** Appends {@code n} commands that respect {@code limits}, with skippable noise between them. */
  private static void validCommands(Random r, RespLimits limits, Stream s, int n) {
    for (int i = 0; i < n; i++) {
      int kind = r.nextInt(8);
      if (kind == 0) {
        s.raw(latin1(r.nextBoolean() ? "\r\n" : r.nextBoolean() ? "*0\r\n" : "*-1\r\n"));
      } else if (kind > 2 || !inlineCommand(r, limits, s)) {
        multibulkCommand(r, limits, s);
      }
    }
  }

  private static void multibulkCommand(Random r, RespLimits limits, Stream s) {
    int count = 1 + r.nextInt(Math.min(limits.maxArrayLength(), 10));
    List<String> args = new ArrayList<>();
    s.raw(latin1("*" + count + "\r\n"));
    for (int i = 0; i < count; i++) {
      byte[] arg = binary(r, r.nextInt(Math.min(limits.maxBulkBytes(), 40) + 1));
      s.raw(latin1("$" + arg.length + "\r\n"));
      s.raw(arg);
      s.raw(latin1("\r\n"));
      args.add(new String(arg, StandardCharsets.ISO_8859_1));
    }
    s.expected.add(args);
  }

  /** Appends an inline command if its line fits; returns whether it did. */
  private static boolean inlineCommand(Random r, RespLimits limits, Stream s) {
    int count = 1 + r.nextInt(4);
    List<String> args = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < count; i++) {
      if (i > 0 || r.nextInt(4) == 0) {
        line.append(r.nextBoolean() ? " " : " \t ");
      }
      byte[] arg = binary(r, r.nextInt(8));
      args.add(new String(arg, StandardCharsets.ISO_8859_1));
      line.append(quote(r, arg));
    }
    if (r.nextBoolean()) {
      line.append(' ');
    }
    if (line.length() > limits.maxInlineBytes()) {
      return false;
    }
    line.append(r.nextBoolean() ? "\r\n" : "\n");
    s.raw(latin1(line.toString()));
    s.expected.add(args);
    return true;
  }

  /** An inline token for {@code arg}: bare when possible, else double or single quoted. */
  private static String quote(Random r, byte[] arg) {
    // A line starting with '*' would be a multibulk request.
    boolean bare = arg.length > 0 && arg[0] != '*';
    boolean singleOk = true;
    for (byte b : arg) {
      int c = b & 0xFF;
      bare &= c > ' ' && c < 0x7F && c != '"' && c != '\'';
      singleOk &= c != 0 && c != '\n' && c != '\r' && c != '\\';
    }
    int style = r.nextInt(3);
    if (bare && style == 0) {
      return new String(arg, StandardCharsets.ISO_8859_1);
    }
    StringBuilder sb = new StringBuilder();
    if (singleOk && style == 1) {
      sb.append('\'');
      for (byte b : arg) {
        sb.append(b == '\'' ? "\\'" : String.valueOf((char) (b & 0xFF)));
      }
      return sb.append('\'').toString();
    }
    sb.append('"');
    for (byte b : arg) {
      int c = b & 0xFF;
      if (c == '"' || c == '\\') {
        sb.append('\\').append((char) c);
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c < ' ' || c >= 0x7F) {
        sb.append(String.format("\\x%02x", c));
      } else {
        sb.append((char) c);
      }
    }
    return sb.append('"').toString();
  }

  /** Random bytes, often printable, sometimes NUL, CR, LF, invalid UTF-8 or protocol bytes. */
  private static byte[] binary(Random r, int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      switch (r.nextInt(4)) {
        case 0:
          b[i] = (byte) r.nextInt(256);
          break;
        case 1:
          b[i] = ALPHABET[r.nextInt(ALPHABET.length)];
          break;
        default:
          b[i] = (byte) ('a' + r.nextInt(26));
          break;
      }
    }
    return b;
  }

  private static byte[] mutate(Random r, byte[] input) {
    if (input.length == 0) {
      return new byte[] {(byte) r.nextInt(256)};
    }
    int at = r.nextInt(input.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    switch (r.nextInt(5)) {
      case 0: // flip a bit
        byte[] flipped = input.clone();
        flipped[at] ^= (byte) (1 << r.nextInt(8));
        return flipped;
      case 1: // insert a byte
        out.write(input, 0, at);
        out.write(r.nextBoolean() ? ALPHABET[r.nextInt(ALPHABET.length)] : r.nextInt(256));
        out.write(input, at, input.length - at);
        return out.toByteArray();
      case 2: // delete a byte
        out.write(input, 0, at);
        out.write(input, at + 1, input.length - at - 1);
        return out.toByteArray();
      case 3: // duplicate a range
        int length = Math.min(input.length - at, 1 + r.nextInt(16));
        out.write(input, 0, at + length);
        out.write(input, at, input.length - at);
        return out.toByteArray();
      default: // truncate
        return Arrays.copyOf(input, at);
    }
  }

  private static String digits(Random r, int n) {
    StringBuilder sb = new StringBuilder().append((char) ('1' + r.nextInt(9)));
    for (int i = 1; i < n; i++) {
      sb.append((char) ('0' + r.nextInt(10)));
    }
    return sb.toString();
  }

  private static byte[] latin1(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String escape(byte[] input) {
    StringBuilder sb = new StringBuilder("\"");
    int shown = Math.min(input.length, 400);
    for (int i = 0; i < shown; i++) {
      int c = input[i] & 0xFF;
      if (c == '\r') {
        sb.append("\\r");
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c == '"' || c == '\\') {
        sb.append('\\').append((char) c);
      } else if (c < ' ' || c >= 0x7F) {
        sb.append(String.format("\\x%02x", c));
      } else {
        sb.append((char) c);
      }
    }
    sb.append('"');
    if (shown < input.length) {
      sb.append("... (").append(input.length).append(" bytes)");
    }
    return sb.toString();
  }
}
