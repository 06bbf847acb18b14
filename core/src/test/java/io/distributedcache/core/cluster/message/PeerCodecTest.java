package io.distributedcache.core.cluster.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.core.cluster.ConsistencyLevel;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Round trips of every message type with seeded random contents, golden bytes that pin wire format
 * version 3, and the decoder's refusals one by one.
 *
 * <p>Case {@code i} uses seed {@code BASE_SEED + i}; a failure names its seed, and {@code
 * -Dpeer.codec.seed=<seed>} replays just that case.
 */
class PeerCodecTest {

  private static final long BASE_SEED = 0xC0DEC_0000L;
  private static final Long REPLAY = Long.getLong("peer.codec.seed");
  private static final int CASES = Integer.getInteger("peer.codec.cases", 1_000);

  private static final HexFormat HEX = HexFormat.of();

  @Test
  void everyMessageTypeHasAGenerator() {
    Random r = new Random(BASE_SEED);
    Set<Class<?>> generated =
        RandomMessages.GENERATORS.stream()
            .map(g -> g.apply(r).getClass())
            .collect(Collectors.toSet());
    assertThat(generated).containsExactlyInAnyOrder(PeerMessage.class.getPermittedSubclasses());
  }

  @Test
  void everyMessageTypeRoundTripsWithRandomContents() {
    for (long seed : seeds()) {
      Random r = new Random(seed);
      for (Function<Random, PeerMessage> generator : RandomMessages.GENERATORS) {
        Envelope original = RandomMessages.envelope(r, generator.apply(r));
        String context = "seed " + seed + ", " + original.body().getClass().getSimpleName();

        byte[] frame = PeerCodec.encode(original);
        Envelope decoded = PeerCodec.decode(frame);
        assertThat(describe(decoded)).as(context).isEqualTo(describe(original));
        assertThat(decoded.slot()).as(context).isEqualTo(original.slot());
        // The encoding is canonical: the decoded message encodes to the very same bytes.
        assertThat(PeerCodec.encode(decoded)).as(context).isEqualTo(frame);

        // The ranged variant reads only its range, whatever surrounds it.
        int before = r.nextInt(5);
        byte[] padded = new byte[before + frame.length + r.nextInt(5)];
        r.nextBytes(padded);
        System.arraycopy(frame, 0, padded, before, frame.length);
        assertThat(describe(PeerCodec.decode(padded, before, frame.length)))
            .as(context)
            .isEqualTo(describe(original));
      }
    }
  }

  @Test
  void decodedMessagesShareNoArrayWithTheFrame() {
    Envelope original =
        new Envelope(
            1,
            2,
            new Replicate(
                3, 4, List.of(new StateEntry(bytes("key"), bytes("value"), 5, 6)), false));
    byte[] frame = PeerCodec.encode(original);
    Envelope decoded = PeerCodec.decode(frame);
    Arrays.fill(frame, (byte) 0);
    assertThat(describe(decoded)).isEqualTo(describe(original));
  }

  @Test
  void goldenHello() {
    Envelope hello =
        new Envelope(
            3, 0x0102030405060708L, new Hello("n1", "c", 0x1122334455667788L, "h", 7101));
    String golden =
        "03" // format version
            + "01" // type: Hello
            + "0000000000000003" // epoch
            + "0102030405060708" // version (HLC)
            + "ffffffff" // slot: none
            + "00000002"
            + "6e31" // nodeId "n1"
            + "00000001"
            + "63" // clusterName "c"
            + "1122334455667788" // bootstrap digest
            + "00000001"
            + "68" // advertisedHost "h"
            + "00001bbd"; // advertisedClusterPort 7101
    assertGolden(hello, golden);
  }

  @Test
  void goldenControlFrame() {
    Envelope control = new Envelope(0, 5, new ControlFrame(new byte[] {(byte) 0xCA, (byte) 0xFE}));
    String golden =
        "03" // format version
            + "0f" // type: ControlFrame
            + "0000000000000000" // epoch
            + "0000000000000005" // version (HLC)
            + "ffffffff" // slot: none
            + "00000002"
            + "cafe"; // payload
    assertGolden(control, golden);
  }

  @Test
  void goldenExecute() {
    Envelope execute =
        new Envelope(
            1,
            2,
            new Execute(
                9,
                0,
                ConsistencyLevel.QUORUM,
                3,
                true,
                new byte[][] {bytes("SET"), bytes("k"), bytes("v")},
                new long[0]));
    String golden =
        "03"
            + "02" // format version, type: Execute
            + "0000000000000001" // epoch
            + "0000000000000002" // version
            + "00000000" // slot 0
            + "0000000000000009" // requestId
            + "01" // level: QUORUM
            + "00000003" // protocol: RESP3
            + "01" // write
            + "00000003" // 3 args
            + "00000003"
            + "534554" // SET
            + "00000001"
            + "6b" // k
            + "00000001"
            + "76" // v
            + "00000000" // no minVersions
            + "0000000000000000"; // originClient: none
    assertGolden(execute, golden);
  }

  @Test
  void goldenReplicate() {
    Envelope replicate =
        new Envelope(
            7,
            10,
            new Replicate(
                42,
                16383,
                List.of(
                    new StateEntry(bytes("k"), bytes("v"), 5, StateEntry.NO_TTL),
                    new StateEntry(bytes("x"), null, 6, 1000)),
                true));
    String golden =
        "03"
            + "04" // format version, type: Replicate
            + "0000000000000007" // epoch
            + "000000000000000a" // version
            + "00003fff" // slot 16383
            + "000000000000002a" // requestId 42
            + "01" // ackRequested
            + "00000002" // 2 entries
            + "00000001"
            + "6b" // key k
            + "00000001"
            + "76" // value v
            + "0000000000000005" // version 5
            + "ffffffffffffffff" // no TTL
            + "00000001"
            + "78" // key x
            + "ffffffff" // value null: a tombstone
            + "0000000000000006" // version 6
            + "00000000000003e8"; // 1000 ns left to live
    assertGolden(replicate, golden);
  }

  @Test
  void enumOrdinalsArePartOfTheWireFormat() {
    assertThat(ConsistencyLevel.values())
        .containsExactly(ConsistencyLevel.ONE, ConsistencyLevel.QUORUM, ConsistencyLevel.ALL);
    assertThat(ExecuteReply.Status.values())
        .containsExactly(
            ExecuteReply.Status.OK,
            ExecuteReply.Status.FAILED,
            ExecuteReply.Status.NOT_READY,
            ExecuteReply.Status.UNKNOWN_OUTCOME);
  }

  private static void assertGolden(Envelope envelope, String goldenHex) {
    assertThat(HEX.formatHex(PeerCodec.encode(envelope))).isEqualTo(goldenHex);
    assertThat(describe(PeerCodec.decode(HEX.parseHex(goldenHex)))).isEqualTo(describe(envelope));
  }

  @Test
  void refusesUnknownFormatVersion() {
    byte[] frame = PeerCodec.encode(new Envelope(0, 0, new Flush(1)));
    frame[0] = 2;
    assertRefused(frame, "unsupported format version 2", "this node speaks 3");
    frame[0] = 4;
    assertRefused(frame, "unsupported format version 4");
  }

  @Test
  void refusesUnknownType() {
    byte[] frame = PeerCodec.encode(new Envelope(0, 0, new Flush(1)));
    frame[1] = 18;
    assertRefused(frame, "unknown message type 18");
    frame[1] = 0;
    assertRefused(frame, "unknown message type 0");
    frame[1] = (byte) 0xFF;
    assertRefused(frame, "unknown message type 255");
  }

  @Test
  void refusesSlotsOutsideTheirRange() {
    byte[] ack = PeerCodec.encode(new Envelope(0, 0, new ReplicateAck(1, 5)));
    setInt(ack, 18, 16384);
    assertRefused(ack, "invalid slot 16384");
    setInt(ack, 18, -1);
    assertRefused(ack, "invalid slot -1");

    byte[] flush = PeerCodec.encode(new Envelope(0, 0, new Flush(1)));
    setInt(flush, 18, 0);
    assertRefused(flush, "invalid slot 0", "must be -1");

    byte[] sync = PeerCodec.encode(new Envelope(0, 0, new SyncRequest(1, new int[] {7})));
    setInt(sync, PeerCodec.HEADER_BYTES + 8 + 4, 20000);
    assertRefused(sync, "slot out of range: 20000");
  }

  @Test
  void refusesInvalidEnumOrdinalsAndBooleans() {
    byte[] execute =
        PeerCodec.encode(
            new Envelope(
                0,
                0,
                new Execute(1, 2, ConsistencyLevel.ALL, 2, false, new byte[0][], new long[0])));
    int levelAt = PeerCodec.HEADER_BYTES + 8;
    execute[levelAt] = 3;
    assertRefused(execute, "invalid consistency level ordinal 3");
    execute[levelAt] = 0;
    execute[levelAt + 1 + 4] = 2;
    assertRefused(execute, "write must be 0 or 1");

    byte[] reply =
        PeerCodec.encode(
            new Envelope(
                0, 0, new ExecuteReply(1, 2, ExecuteReply.Status.OK, new byte[0], new long[0], List.of())));
    reply[PeerCodec.HEADER_BYTES + 8] = 4;
    assertRefused(reply, "invalid status ordinal 4");
  }

  @Test
  void refusesTruncationAndTrailingBytes() {
    byte[] frame =
        PeerCodec.encode(
            new Envelope(0, 0, new ReadState(1, 2, new byte[][] {bytes("a"), bytes("bc")})));
    for (int length = 0; length < frame.length; length++) {
      byte[] truncated = Arrays.copyOf(frame, length);
      assertThatThrownBy(() -> PeerCodec.decode(truncated))
          .as("length %d", length)
          .isInstanceOf(PeerProtocolException.class)
          .hasMessageContaining("truncated frame");
    }
    assertRefused(Arrays.copyOf(frame, frame.length + 3), "3 trailing bytes");
  }

  @Test
  void refusesNegativeAndOversizedLengths() {
    byte[] readState =
        PeerCodec.encode(new Envelope(0, 0, new ReadState(1, 2, new byte[][] {bytes("a")})));
    int countAt = PeerCodec.HEADER_BYTES + 8;
    setInt(readState, countAt, -5);
    assertRefused(readState, "keys count is negative: -5");
    setInt(readState, countAt, Integer.MAX_VALUE);
    assertRefused(readState, "keys count 2147483647 needs at least");
    setInt(readState, countAt, 1);
    setInt(readState, countAt + 4, -1);
    assertRefused(readState, "keys length is negative: -1");
    setInt(readState, countAt + 4, 2);
    assertRefused(readState, "keys of 2 bytes but 1 remain");
  }

  @Test
  void refusesInvalidStateEntries() {
    byte[] frame =
        PeerCodec.encode(
            new Envelope(
                0,
                0,
                new SyncReply(1, 2, 3, true, List.of(new StateEntry(bytes("k"), null, 4, 5)))));
    int versionAt = frame.length - 16;
    setLong(frame, versionAt, -2);
    assertRefused(frame, "entry version is negative");
    setLong(frame, versionAt, 4);
    setLong(frame, versionAt + 8, -2);
    assertRefused(frame, "remainingTtlNanos must be >= 0 or -1");
    setLong(frame, versionAt + 8, -1);
    assertThat(PeerCodec.decode(frame).body()).isInstanceOf(SyncReply.class);
    int valueAt = versionAt - 4;
    setInt(frame, valueAt, -2);
    assertRefused(frame, "entry value length is negative: -2");
  }

  @Test
  void refusesMalformedUtf8InNodeIds() {
    byte[] frame = PeerCodec.encode(new Envelope(0, 0, new Hello("ab", 1)));
    frame[PeerCodec.HEADER_BYTES + 4] = (byte) 0xC0; // an overlong encoding's lead byte
    assertRefused(frame, "nodeId is not valid UTF-8");
  }

  @Test
  void refusesHelloFieldsOutOfRange() {
    byte[] frame = PeerCodec.encode(new Envelope(0, 0, new Hello("n1", "c", 1, "h", 1)));
    int portAt = frame.length - 4;
    setInt(frame, portAt, Hello.MAX_PORT + 1);
    assertRefused(frame, "advertised cluster port must be in 0..65535: 65536");
    setInt(frame, portAt, -1);
    assertRefused(frame, "advertised cluster port");
    setInt(frame, portAt, 0);
    assertThat(PeerCodec.decode(frame).body()).isEqualTo(new Hello("n1", "c", 1, "h", 0));

    int clusterNameAt = PeerCodec.HEADER_BYTES + 4 + 2 + 4;
    frame[clusterNameAt] = (byte) 0xFF; // never valid in UTF-8
    assertRefused(frame, "clusterName is not valid UTF-8");
    setInt(frame, clusterNameAt - 4, Integer.MAX_VALUE);
    assertRefused(frame, "truncated frame: clusterName of 2147483647 bytes");
    setInt(frame, clusterNameAt - 4, -7);
    assertRefused(frame, "clusterName length is negative: -7");
  }

  @Test
  void controlFramesUpToTheMaximumRoundTrip() {
    Random r = new Random(BASE_SEED);
    for (int size : new int[] {0, 1, 1 << 20, ControlFrame.MAX_PAYLOAD_BYTES}) {
      byte[] payload = new byte[size];
      r.nextBytes(payload);
      Envelope original = new Envelope(1, 2, new ControlFrame(payload));
      byte[] frame = PeerCodec.encode(original);
      assertThat(frame.length).as("size %d", size).isEqualTo(PeerCodec.HEADER_BYTES + 4 + size);
      Envelope decoded = PeerCodec.decode(frame);
      assertThat(decoded).as("size %d", size).isEqualTo(original);
      assertThat(((ControlFrame) decoded.body()).payload()).isEqualTo(payload);
    }
  }

  @Test
  void refusesHostileControlFrameLengths() {
    byte[] frame = PeerCodec.encode(new Envelope(0, 0, new ControlFrame(new byte[] {1, 2, 3})));
    int lengthAt = PeerCodec.HEADER_BYTES;
    setInt(frame, lengthAt, -1);
    assertRefused(frame, "control frame payload length is negative: -1");
    setInt(frame, lengthAt, Integer.MIN_VALUE);
    assertRefused(frame, "control frame payload length is negative");
    // Over the maximum is refused as such, before any truncation is noticed or anything allocated.
    setInt(frame, lengthAt, ControlFrame.MAX_PAYLOAD_BYTES + 1);
    assertRefused(frame, "control frame payload of 16777217 bytes exceeds the maximum of 16777216");
    setInt(frame, lengthAt, Integer.MAX_VALUE);
    assertRefused(frame, "exceeds the maximum of 16777216");
    setInt(frame, lengthAt, 4);
    assertRefused(frame, "truncated frame: control frame payload of 4 bytes but 3 remain");
    setInt(frame, lengthAt, 2);
    assertRefused(frame, "1 trailing bytes");

    // A whole frame over the maximum, as a peer could send it: refused, not truncated to fit.
    byte[] oversized = new byte[PeerCodec.HEADER_BYTES + 4 + ControlFrame.MAX_PAYLOAD_BYTES + 1];
    System.arraycopy(frame, 0, oversized, 0, PeerCodec.HEADER_BYTES);
    setInt(oversized, lengthAt, ControlFrame.MAX_PAYLOAD_BYTES + 1);
    assertRefused(oversized, "exceeds the maximum of 16777216");
  }

  @Test
  void controlFramesCopyTheirBytesAndCompareByContent() {
    byte[] payload = {1, 2, 3};
    ControlFrame frame = new ControlFrame(payload);
    payload[0] = 9;
    assertThat(frame.payload()).containsExactly(1, 2, 3);
    frame.payload()[1] = 9;
    assertThat(frame.payload()).containsExactly(1, 2, 3);
    assertThat(frame.size()).isEqualTo(3);
    assertThat(frame).isEqualTo(new ControlFrame(new byte[] {1, 2, 3}));
    assertThat(frame).hasSameHashCodeAs(new ControlFrame(new byte[] {1, 2, 3}));
    assertThat(frame).isNotEqualTo(new ControlFrame(new byte[] {1, 2}));
    assertThat(frame.toString()).isEqualTo("ControlFrame[3 bytes]");
    assertThatThrownBy(() -> new ControlFrame(new byte[ControlFrame.MAX_PAYLOAD_BYTES + 1]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exceeds the maximum");
  }

  @Test
  void bootstrapDigestsOfZeroAreCompatibleWithAny() {
    assertThat(Hello.digestsCompatible(0, 0)).isTrue();
    assertThat(Hello.digestsCompatible(0, 42)).isTrue();
    assertThat(Hello.digestsCompatible(42, 0)).isTrue();
    assertThat(Hello.digestsCompatible(42, 42)).isTrue();
    assertThat(Hello.digestsCompatible(42, 43)).isFalse();
    assertThat(Hello.digestsCompatible(-1, Long.MIN_VALUE)).isFalse();
  }

  @Test
  void encodeRefusesWhatThePeerWouldRefuse() {
    assertThatThrownBy(() -> PeerCodec.encode(new Envelope(0, 0, new ReplicateAck(1, 16384))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid slot 16384");
    assertThatThrownBy(() -> PeerCodec.encode(new Envelope(0, 0, new ReplicateAck(1, -1))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> PeerCodec.encode(new Envelope(0, 0, new DigestRequest(1, new int[] {-3}))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("slot out of range: -3");
    assertThatThrownBy(() -> PeerCodec.encode(new Envelope(0, 0, new Hello("a\uD800b", 1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unpaired surrogate");
  }

  @Test
  void encodeRefusesFramesOverTheLimit() {
    // 1025 references to one 1 MiB array: just over 1 GiB on the wire, 1 MiB in memory.
    byte[][] args = new byte[1025][];
    Arrays.fill(args, new byte[1 << 20]);
    Envelope envelope =
        new Envelope(0, 0, new Execute(1, 2, ConsistencyLevel.ONE, 2, true, args, new long[0]));
    assertThatThrownBy(() -> PeerCodec.encode(envelope))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exceeds the maximum frame");
  }

  @Test
  void rangedDecodeChecksItsRange() {
    assertThatThrownBy(() -> PeerCodec.decode(new byte[4], 2, 3))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  /**
   * A complete, deterministic description of a message: records by their components, arrays and
   * lists element by element, byte strings in hex. Equal descriptions mean equal messages, which
   * the records' own equals cannot say (it compares arrays by identity).
   */
  static String describe(Object value) {
    if (value == null) {
      return "null";
    } else if (value instanceof byte[] b) {
      return "0x" + HEX.formatHex(b);
    } else if (value instanceof long[] a) {
      return Arrays.toString(a);
    } else if (value instanceof int[] a) {
      return Arrays.toString(a);
    } else if (value instanceof Object[] a) {
      return Arrays.stream(a)
          .map(PeerCodecTest::describe)
          .collect(Collectors.joining(", ", "[", "]"));
    } else if (value instanceof List<?> list) {
      return list.stream().map(PeerCodecTest::describe).collect(Collectors.joining(", ", "[", "]"));
    } else if (value instanceof io.distributedcache.core.invalidation.Invalidation inv) {
      return "Invalidation(" + inv.cause() + ", " + inv.scope() + ", " + describe(inv.bytes())
          + ", " + describe(inv.slots()) + ", " + inv.originNode() + ", " + inv.originClient()
          + ")";
    } else if (value instanceof Record record) {
      StringBuilder s = new StringBuilder(record.getClass().getSimpleName()).append('(');
      RecordComponent[] components = record.getClass().getRecordComponents();
      for (int i = 0; i < components.length; i++) {
        try {
          Object component = components[i].getAccessor().invoke(record);
          s.append(i == 0 ? "" : ", ").append(components[i].getName()).append('=');
          s.append(describe(component));
        } catch (ReflectiveOperationException e) {
          throw new AssertionError(e);
        }
      }
      return s.append(')').toString();
    }
    return String.valueOf(value);
  }

  private static void assertRefused(byte[] frame, String... messageParts) {
    assertThatThrownBy(() -> PeerCodec.decode(frame))
        .isInstanceOf(PeerProtocolException.class)
        .message()
        .contains(messageParts);
  }

  private static void setInt(byte[] frame, int at, int value) {
    for (int i = 0; i < 4; i++) {
      frame[at + i] = (byte) (value >>> (24 - 8 * i));
    }
  }

  private static void setLong(byte[] frame, int at, long value) {
    for (int i = 0; i < 8; i++) {
      frame[at + i] = (byte) (value >>> (56 - 8 * i));
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static long[] seeds() {
    if (REPLAY != null) {
      return new long[] {REPLAY};
    }
    long[] seeds = new long[CASES];
    for (int i = 0; i < CASES; i++) {
      seeds[i] = BASE_SEED + i;
    }
    return seeds;
  }
}
