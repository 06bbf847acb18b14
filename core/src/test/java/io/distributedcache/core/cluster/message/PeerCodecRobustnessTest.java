package io.distributedcache.core.cluster.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile input: random mutations and truncations of valid frames, and random garbage. For every
 * input the decoder either returns a message or throws {@link PeerProtocolException}, nothing else;
 * a message it returns encodes back to exactly the input (the format is canonical, so nothing is
 * silently reinterpreted); and one decode allocates at most a small multiple of the input's size
 * (measured with the JVM's per-thread allocation counter), so a tiny frame claiming 2^31 entries
 * costs nothing.
 *
 * <p>Case {@code i} of a family uses seed {@code BASE_SEED + family * 1_000_000 + i}; a failure
 * names its seed, and {@code -Dpeer.codec.fuzz.seed=<seed>} replays that one case in every family.
 */
class PeerCodecRobustnessTest {

  private static final long BASE_SEED = 0xF022_0000L;
  private static final Long REPLAY = Long.getLong("peer.codec.fuzz.seed");
  private static final int CASES = Integer.getInteger("peer.codec.fuzz.cases", 20_000);

  /**
   * The allocation a decode may make: {@code FACTOR * inputBytes + SLACK}. The worst honest case is
   * a list of empty byte strings (4 input bytes each become a 16-byte array plus a reference); the
   * slack covers the exception with its stack trace and the UTF-8 decoder.
   */
  private static final long ALLOCATION_FACTOR = 8;

  private static final long ALLOCATION_SLACK = 64 * 1024;

  /** Values that sit on the boundaries of lengths, counts, slots and ordinals. */
  private static final int[] INTERESTING_INTS = {
    -1,
    -2,
    0,
    1,
    2,
    3,
    4,
    14,
    15,
    255,
    16383,
    16384,
    0x7FFF_FFFF,
    0x8000_0000,
    0x4000_0000,
    0x4000_0001,
    0xFFFF
  };

  private static com.sun.management.ThreadMXBean threads;

  @BeforeAll
  static void allocationCounter() {
    if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
        && bean.isThreadAllocatedMemorySupported()) {
      bean.setThreadAllocatedMemoryEnabled(true);
      threads = bean;
    }
    // Load and link everything a decode touches, so that class loading is not counted.
    for (int i = 0; i < 200; i++) {
      Random r = new Random(i);
      byte[] frame = PeerCodec.encode(RandomMessages.envelope(r));
      decodes(frame);
      decodes(Arrays.copyOf(frame, frame.length / 2));
    }
  }

  private interface Family {
    byte[] generate(Random r);
  }

  @Test
  void mutatedValidFrames() {
    run(
        1,
        r -> {
          byte[] frame = PeerCodec.encode(RandomMessages.envelope(r));
          int mutations = 1 + r.nextInt(3);
          for (int i = 0; i < mutations; i++) {
            frame = mutate(r, frame);
          }
          return frame;
        });
  }

  @Test
  void truncatedValidFrames() {
    run(
        2,
        r -> {
          byte[] frame = PeerCodec.encode(RandomMessages.envelope(r));
          return Arrays.copyOf(frame, r.nextInt(frame.length));
        });
  }

  @Test
  void randomGarbage() {
    run(
        3,
        r -> {
          byte[] garbage = new byte[r.nextInt(300)];
          r.nextBytes(garbage);
          if (garbage.length >= 2 && r.nextBoolean()) {
            // A plausible header, so that garbage reaches the bodies of every type.
            garbage[0] = PeerCodec.FORMAT_VERSION;
            garbage[1] = (byte) (1 + r.nextInt(15));
          }
          return garbage;
        });
  }

  @Test
  void validFramesStillDecode() {
    run(4, r -> PeerCodec.encode(RandomMessages.envelope(r)));
  }

  /** The classic: a few bytes that claim 2^31-1 elements of every list kind. */
  @Test
  void hugeCountsInTinyFramesAllocateNothingBig() {
    PeerMessage[] oneList = {
      new Replicate(1, 2, java.util.List.of(), false),
      new ReadState(1, 2, new byte[0][]),
      new ReadStateReply(1, 2, true, java.util.List.of()),
      new SyncReply(1, 2, 3, false, java.util.List.of()),
      new DigestRequest(1, new int[0]),
      new DigestReply(1, new int[0], new long[0]),
      new SyncRequest(1, new int[0]),
      new ExecuteReply(1, 2, ExecuteReply.Status.OK, new byte[0], new long[0], List.of()),
      new ControlFrame(new byte[0]),
    };
    for (PeerMessage body : oneList) {
      byte[] frame = PeerCodec.encode(new Envelope(0, 0, body));
      // Each of these ends with a count (or length) of 0: make it claim Integer.MAX_VALUE.
      for (int claimed : new int[] {Integer.MAX_VALUE, 1 << 30, 1 << 20}) {
        byte[] hostile = frame.clone();
        for (int i = 0; i < 4; i++) {
          hostile[hostile.length - 4 + i] = (byte) (claimed >>> (24 - 8 * i));
        }
        checkOne(hostile, body.getClass().getSimpleName() + " claiming " + claimed);
        assertThat(decodes(hostile)).as(body.getClass().getSimpleName()).isFalse();
      }
    }
  }

  private static boolean decodes(byte[] frame) {
    try {
      PeerCodec.decode(frame);
      return true;
    } catch (PeerProtocolException e) {
      return false;
    }
  }

  private static void run(int family, Family generator) {
    if (REPLAY != null) {
      check(family, REPLAY, generator);
      return;
    }
    for (int i = 0; i < CASES; i++) {
      check(family, BASE_SEED + family * 1_000_000L + i, generator);
    }
  }

  private static void check(int family, long seed, Family generator) {
    byte[] input = generator.generate(new Random(seed));
    checkOne(
        input,
        "family " + family + ", seed " + seed + " (replay: -Dpeer.codec.fuzz.seed=" + seed + ")");
  }

  private static void checkOne(byte[] input, String context) {
    // Once unmeasured: the first run of an error path bootstraps its string concatenation, which
    // allocates far more than the decode itself. The second run measures the decode alone.
    decodesQuietly(input);
    Envelope decoded = null;
    PeerProtocolException refused = null;
    long before = allocatedBytes();
    try {
      decoded = PeerCodec.decode(input);
    } catch (PeerProtocolException expected) {
      refused = expected;
    } catch (Throwable unexpected) {
      fail(context + ": decode threw " + unexpected, unexpected);
    }
    long allocated = allocatedBytes() - before;
    if (refused != null) {
      assertThat(refused.getMessage()).as(context).isNotBlank();
    }
    assertThat(allocated)
        .as("%s: bytes allocated decoding %d input bytes", context, input.length)
        .isLessThanOrEqualTo(ALLOCATION_FACTOR * input.length + ALLOCATION_SLACK);
    if (decoded != null) {
      assertThat(PeerCodec.encode(decoded)).as(context + ": re-encoded").isEqualTo(input);
    }
  }

  private static void decodesQuietly(byte[] input) {
    try {
      PeerCodec.decode(input);
    } catch (RuntimeException ignored) {
      // checkOne reports it on the measured run
    }
  }

  private static long allocatedBytes() {
    return threads == null ? 0 : threads.getCurrentThreadAllocatedBytes();
  }

  @Test
  void allocationIsMeasured() {
    assumeTrue(threads != null, "this JVM does not count allocated bytes per thread");
    long before = allocatedBytes();
    byte[] oneMiB = new byte[1 << 20];
    assertThat(allocatedBytes() - before).isGreaterThanOrEqualTo(oneMiB.length);
  }

  private static byte[] mutate(Random r, byte[] frame) {
    if (frame.length == 0) {
      return new byte[] {(byte) r.nextInt(256)};
    }
    int at = r.nextInt(frame.length);
    switch (r.nextInt(7)) {
      case 0 -> frame[at] ^= (byte) (1 << r.nextInt(8));
      case 1 -> frame[at] = (byte) r.nextInt(256);
      case 2 -> {
        // Overwrite an aligned-or-not int with a boundary value: lengths, counts, slots.
        int value = INTERESTING_INTS[r.nextInt(INTERESTING_INTS.length)];
        for (int i = 0; i < 4 && at + i < frame.length; i++) {
          frame[at + i] = (byte) (value >>> (24 - 8 * i));
        }
      }
      case 3 -> {
        return Arrays.copyOf(frame, at);
      }
      case 4 -> {
        byte[] extra = new byte[1 + r.nextInt(8)];
        r.nextBytes(extra);
        byte[] longer = new byte[frame.length + extra.length];
        System.arraycopy(frame, 0, longer, 0, at);
        System.arraycopy(extra, 0, longer, at, extra.length);
        System.arraycopy(frame, at, longer, at + extra.length, frame.length - at);
        return longer;
      }
      case 5 -> {
        int length = Math.min(1 + r.nextInt(8), frame.length - at);
        byte[] shorter = new byte[frame.length - length];
        System.arraycopy(frame, 0, shorter, 0, at);
        System.arraycopy(frame, at + length, shorter, at, frame.length - at - length);
        return shorter;
      }
      default -> {
        byte[] longer = Arrays.copyOf(frame, frame.length + 1 + r.nextInt(4));
        longer[longer.length - 1] = (byte) r.nextInt(256);
        return longer;
      }
    }
    return frame;
  }
}
