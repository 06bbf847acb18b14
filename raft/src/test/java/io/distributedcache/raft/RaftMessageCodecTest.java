package io.distributedcache.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.distributedcache.raft.RaftMessage.AppendEntries;
import io.distributedcache.raft.RaftMessage.AppendEntriesResponse;
import io.distributedcache.raft.RaftMessage.InstallSnapshot;
import io.distributedcache.raft.RaftMessage.PreVote;
import io.distributedcache.raft.RaftMessage.PreVoteResponse;
import io.distributedcache.raft.RaftMessage.RequestVote;
import io.distributedcache.raft.RaftMessage.RequestVoteResponse;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link RaftMessageCodec}: every message type round-trips, the format is pinned by a golden
 * encoding, and hostile input (truncated, mutated, huge lengths, negative counts, trailing bytes)
 * only ever yields an {@link IllegalArgumentException}, with allocation bounded by the input.
 *
 * <p>Replay the fuzz test with one seed: {@code -Draft.codec.seed=N}.
 */
class RaftMessageCodecTest {

  private static final Membership CONFIG =
      new Membership(Set.of("n1", "n2", "nœud-3"), Set.of("n4"));

  /** At least one message of every type, and every kind of entry. */
  static List<RaftMessage> samples() {
    return List.of(
        new PreVote(7, "n1", "n2", 12, 6),
        new PreVoteResponse(7, "n2", "n1", true),
        new PreVoteResponse(6, "n2", "n1", false),
        new RequestVote(7, "n1", "nœud-3", 12, 6),
        new RequestVoteResponse(7, "n3", "n1", true),
        new RequestVoteResponse(9, "n3", "n1", false),
        new AppendEntries(3, "n1", "n2", 0, 0, List.of(), 0),
        new AppendEntries(
            3,
            "n1",
            "n2",
            4,
            2,
            List.of(
                new LogEntry(3, 5, "set k v".getBytes(StandardCharsets.UTF_8)),
                LogEntry.noOp(3, 6),
                LogEntry.config(3, 7, CONFIG)),
            4),
        new AppendEntriesResponse(3, "n2", "n1", true, 7, 0),
        new AppendEntriesResponse(3, "n2", "n1", false, 4, 2),
        new InstallSnapshot(
            5, "n1", "n3", new Snapshot(40, 4, CONFIG, new byte[] {0, 1, 2, (byte) 0xff})),
        new InstallSnapshot(
            5, "n1", "n3", new Snapshot(1, 1, Membership.ofVoters(List.of("n1")), new byte[0])));
  }

  @Test
  void everyMessageTypeRoundTrips() {
    for (RaftMessage m : samples()) {
      byte[] bytes = RaftMessageCodec.encode(m);
      assertThat(bytes[0]).as("version byte").isEqualTo(RaftMessageCodec.VERSION);
      assertThat(RaftMessageCodec.decode(bytes)).as("%s", m).isEqualTo(m);
    }
  }

  /** Pins the wire format: changing it means a new version byte. */
  @Test
  void theFormatIsBigEndianWithLengthPrefixedUtf8() {
    byte[] response = RaftMessageCodec.encode(new PreVoteResponse(3, "a", "é", true));
    assertThat(HexFormat.of().formatHex(response))
        .isEqualTo("01" + "02" + "0000000000000003" + "0000000161" + "00000002c3a9" + "01");
    byte[] append =
        RaftMessageCodec.encode(
            new AppendEntries(
                2, "a", "b", 1, 1, List.of(new LogEntry(2, 2, new byte[] {(byte) 0xee})), 1));
    assertThat(HexFormat.of().formatHex(append))
        .isEqualTo(
            "0105"
                + "0000000000000002"
                + "0000000161"
                + "0000000162"
                + "0000000000000001" // prevLogIndex
                + "0000000000000001" // prevLogTerm
                + "0000000000000001" // leaderCommit
                + "00000001" // one entry
                + "0000000000000002" // term
                + "0000000000000002" // index
                + "00" // COMMAND
                + "00000001ee");
  }

  @Test
  void everyTruncationAndAnyTrailingByteIsRejected() {
    for (RaftMessage m : samples()) {
      byte[] bytes = RaftMessageCodec.encode(m);
      for (int length = 0; length < bytes.length; length++) {
        byte[] cut = Arrays.copyOf(bytes, length);
        assertThatThrownBy(() -> RaftMessageCodec.decode(cut))
            .as("%s cut to %d bytes", m, length)
            .isInstanceOf(IllegalArgumentException.class);
      }
      byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
      assertThatThrownBy(() -> RaftMessageCodec.decode(longer))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("trailing");
    }
  }

  @Test
  void hostileHeadersAndFieldsAreRejected() {
    byte[] vote = RaftMessageCodec.encode(new RequestVoteResponse(7, "n3", "n1", true));
    assertRejected(with(vote, 0, (byte) 2), "unsupported format version");
    assertRejected(with(vote, 1, (byte) 99), "unknown message type");
    assertRejected(with(vote, 2, (byte) 0x80), "term must not be negative");
    assertRejected(withInt(vote, 10, Integer.MAX_VALUE), "string length");
    assertRejected(withInt(vote, 10, -1), "string length");
    assertRejected(with(vote, vote.length - 1, (byte) 2), "a boolean must be 0 or 1");
    assertRejected(with(vote, 14, (byte) 0xff), "malformed UTF-8");

    byte[] append =
        RaftMessageCodec.encode(
            new AppendEntries(
                2, "a", "b", 1, 1, List.of(new LogEntry(2, 2, new byte[] {(byte) 0xee})), 1));
    int countAt = 2 + 8 + 5 + 5 + 24;
    assertRejected(withInt(append, countAt, Integer.MAX_VALUE), "entry count");
    assertRejected(withInt(append, countAt, -5), "entry count");
    assertRejected(with(append, countAt + 4 + 16, (byte) 7), "unknown entry kind");
    assertRejected(with(append, countAt + 4 + 16, (byte) 1), "truncated configuration");
    assertRejected(withInt(append, countAt + 4 + 17, Integer.MAX_VALUE), "length");
    assertRejected(with(append, countAt + 4 + 15, (byte) 3), "prevLogIndex + 1");
    assertRejected(withLong(append, countAt + 4, 0), "term must be >= 1");

    byte[] snapshot =
        RaftMessageCodec.encode(
            new InstallSnapshot(
                5, "n1", "n3", new Snapshot(9, 4, Membership.ofVoters(List.of("a")), new byte[0])));
    int votersAt = 2 + 8 + 6 + 6 + 16;
    assertRejected(withInt(snapshot, votersAt, Integer.MAX_VALUE), "member count");
    assertRejected(with(snapshot, votersAt - 1, (byte) 0), "term must be >= 1"); // snapshot term
    assertRejected(with(snapshot, votersAt - 9, (byte) 0), "snapshot index >= 1");
    byte[] twice =
        ByteBuffer.allocate(snapshot.length + 5)
            .put(snapshot, 0, votersAt)
            .putInt(2)
            .put(snapshot, votersAt + 4, 5)
            .put(snapshot, votersAt + 4, snapshot.length - votersAt - 4)
            .array();
    assertRejected(twice, "duplicate member");
    byte[] noVoters =
        ByteBuffer.allocate(snapshot.length - 5)
            .put(snapshot, 0, votersAt)
            .putInt(0)
            .put(snapshot, votersAt + 9, snapshot.length - votersAt - 9)
            .array();
    assertRejected(noVoters, "at least one voter");
    assertRejected(new byte[0], "truncated");
  }

  @Test
  void encodeRefusesWhatDecodeWouldRefuse() {
    assertThatThrownBy(() -> RaftMessageCodec.encode(new PreVote(-1, "a", "b", 0, 0)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> RaftMessageCodec.encode(new AppendEntriesResponse(1, "a", "b", false, -3, 0)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * Seeded mutations of valid encodings (bit flips, random bytes, truncations, insertions,
   * deletions, trailing garbage, and huge or negative 32-bit values written anywhere, so also
   * where lengths and counts live): decoding either yields a message that re-encodes to something
   * that decodes to the same message, or throws {@link IllegalArgumentException}; never anything
   * else, and never allocates more than a bounded multiple of the input.
   */
  @Test
  void mutatedEncodingsOnlyEverFailWithIllegalArgumentException() {
    String one = System.getProperty("raft.codec.seed");
    long first = one != null ? Long.parseLong(one) : 1;
    long last = one != null ? first : 20_000;
    List<byte[]> valid = samples().stream().map(RaftMessageCodec::encode).toList();
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long threadId = Thread.currentThread().getId();
    int decoded = 0;
    int rejected = 0;
    for (long seed = first; seed <= last; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      byte[] input = mutate(valid.get(random.nextInt(valid.size())), random);
      long allocatedBefore = threads.getThreadAllocatedBytes(threadId);
      RaftMessage message;
      try {
        message = RaftMessageCodec.decode(input);
      } catch (IllegalArgumentException expected) {
        rejected++;
        continue;
      } catch (Throwable t) {
        throw new AssertionError(
            "seed "
                + seed
                + " (replay: -Draft.codec.seed="
                + seed
                + "): "
                + t
                + " for input "
                + HexFormat.of().formatHex(input),
            t);
      } finally {
        long allocated = threads.getThreadAllocatedBytes(threadId) - allocatedBefore;
        if (allocated > 256 * 1024 + 64L * input.length) {
          fail("seed %d: decoding %d bytes allocated %d bytes", seed, input.length, allocated);
        }
      }
      decoded++;
      assertThat(RaftMessageCodec.decode(RaftMessageCodec.encode(message)))
          .as("seed %d", seed)
          .isEqualTo(message);
    }
    if (one == null) {
      // Mutations that keep a message valid (a changed term or id) are expected; a fuzzer whose
      // every input is rejected at the first byte would test nothing.
      assertThat(decoded).as("inputs that still decoded").isGreaterThan(1_000);
      assertThat(rejected).as("inputs rejected").isGreaterThan(10_000);
    }
  }

  private static byte[] mutate(byte[] valid, SplittableRandom random) {
    byte[] b = valid.clone();
    int mutations = 1 + random.nextInt(3);
    for (int i = 0; i < mutations && b.length > 0; i++) {
      int at = random.nextInt(b.length);
      switch (random.nextInt(7)) {
        case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
        case 1 -> b[at] = (byte) random.nextInt(256);
        case 2 -> b = Arrays.copyOf(b, at);
        case 3 -> {
          byte[] longer = Arrays.copyOf(b, b.length + 1 + random.nextInt(8));
          for (int j = b.length; j < longer.length; j++) {
            longer[j] = (byte) random.nextInt(256);
          }
          b = longer;
        }
        case 4 -> {
          int[] hostile = {Integer.MAX_VALUE, Integer.MIN_VALUE, -1, 1 << 30, 0xFFFF, 0};
          if (at + 4 <= b.length) {
            ByteBuffer.wrap(b).putInt(at, hostile[random.nextInt(hostile.length)]);
          }
        }
        case 5 -> {
          byte[] shorter = new byte[b.length - 1];
          System.arraycopy(b, 0, shorter, 0, at);
          System.arraycopy(b, at + 1, shorter, at, b.length - at - 1);
          b = shorter;
        }
        default -> {
          byte[] longer = new byte[b.length + 1];
          System.arraycopy(b, 0, longer, 0, at);
          longer[at] = (byte) random.nextInt(256);
          System.arraycopy(b, at, longer, at + 1, b.length - at);
          b = longer;
        }
      }
    }
    return b;
  }

  private static byte[] with(byte[] bytes, int at, byte value) {
    byte[] out = bytes.clone();
    out[at] = value;
    return out;
  }

  private static byte[] withLong(byte[] bytes, int at, long value) {
    byte[] out = bytes.clone();
    ByteBuffer.wrap(out).putLong(at, value);
    return out;
  }

  private static byte[] withInt(byte[] bytes, int at, int value) {
    byte[] out = bytes.clone();
    ByteBuffer.wrap(out).putInt(at, value);
    return out;
  }

  private static void assertRejected(byte[] bytes, String messagePart) {
    assertThatThrownBy(() -> RaftMessageCodec.decode(bytes))
        .as(HexFormat.of().formatHex(bytes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(messagePart);
  }
}
