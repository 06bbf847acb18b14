package io.distributedcache.core.control;

import static io.distributedcache.core.control.ControlFixtures.applied;
import static io.distributedcache.core.control.ControlFixtures.bootstrapped;
import static io.distributedcache.core.control.ControlFixtures.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.distributedcache.core.control.MetadataCommand.Announce;
import io.distributedcache.core.control.MetadataCommand.Bootstrap;
import io.distributedcache.core.control.MetadataCommand.Fail;
import io.distributedcache.core.control.MetadataCommand.Join;
import io.distributedcache.core.control.MetadataCommand.Leave;
import io.distributedcache.core.control.MetadataCommand.MoveDone;
import io.distributedcache.core.control.MetadataCommand.Recover;
import io.distributedcache.core.placement.Member;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The command and snapshot encodings: golden bytes, round trips, and hostile input. */
class MetadataCodecTest {

  private static final HexFormat HEX = HexFormat.of();

  private static List<MetadataCommand> oneOfEach() {
    return List.of(
        new Bootstrap(
            3,
            150,
            List.of(
                new NodeRecord("n1", "10.0.0.1", 7101, 6379, NodeState.ACTIVE),
                new NodeRecord("n2", "::1", 7102, 0, NodeState.FAILED),
                new NodeRecord("nœud-3", "cache-3.internal", 65535, 1, NodeState.LEAVING))),
        new Bootstrap(0, -5, List.of()),
        new Announce("n1", "10.0.0.9", 7101, 6380),
        new Join("n4", "10.0.0.4", 7104, 0),
        new Leave("n2"),
        new Fail("n3"),
        new Recover("n3"),
        new MoveDone("n4", 17),
        new MoveDone("n4", Long.MIN_VALUE),
        new Leave("any string, even one no node could have"));
  }

  @Test
  void everyCommandRoundTrips() {
    for (MetadataCommand command : oneOfEach()) {
      byte[] bytes = command.encode();
      assertThat(MetadataCommand.decode(bytes)).as("%s", command).isEqualTo(command);
      assertThat(MetadataCommand.decode(bytes).encode()).isEqualTo(bytes);
    }
  }

  /** Format version 1 pinned: a change here breaks every existing Raft log. */
  @Test
  void goldenCommandBytes() {
    assertThat(HEX.formatHex(new Leave("n1").encode())).isEqualTo("0104" + "00000002" + "6e31");
    assertThat(HEX.formatHex(new Fail("n1").encode())).isEqualTo("0105000000026e31");
    assertThat(HEX.formatHex(new Recover("n1").encode())).isEqualTo("0106000000026e31");
    assertThat(HEX.formatHex(new MoveDone("n1", 5).encode()))
        .isEqualTo("0107" + "000000026e31" + "0000000000000005");
    assertThat(HEX.formatHex(new Announce("n1", "h", 7101, 0).encode()))
        .isEqualTo("0102" + "000000026e31" + "0000000168" + "00001bbd" + "00000000");
    assertThat(HEX.formatHex(new Join("n1", "h", 7101, 6379).encode()))
        .isEqualTo("0103" + "000000026e31" + "0000000168" + "00001bbd" + "000018eb");
    Bootstrap bootstrap =
        new Bootstrap(3, 150, List.of(new NodeRecord("n1", "h", 7101, 6379, NodeState.FAILED)));
    assertThat(HEX.formatHex(bootstrap.encode()))
        .isEqualTo(
            "0101" + "00000003" + "00000096" + "00000001"
                + "000000026e31" + "0000000168" + "00001bbd" + "000018eb" + "01");
  }

  @Test
  void goldenSnapshotBytes() {
    assertThat(HEX.formatHex(ClusterMetadata.EMPTY.encode()))
        .isEqualTo("01" + "00" + "0000000000000000" + "00000000" + "00000000" + "00000000"
            + "00000000");
    ClusterMetadata one =
        applied(
            ClusterMetadata.EMPTY,
            new Bootstrap(
                2, 150, List.of(new NodeRecord("n1", "h", 7101, 6379, NodeState.ACTIVE))));
    assertThat(HEX.formatHex(one.encode()))
        .isEqualTo(
            "01" + "01" + "0000000000000001" + "00000002" + "00000096" + "00000001"
                + "000000026e31" + "0000000168" + "00001bbd" + "000018eb" + "00"
                + "00000000");
  }

  @Test
  void commandsRefuseMalformedInput() {
    assertBad(new byte[0], "truncated: format version");
    assertBad(HEX.parseHex("02"), "unsupported format version 2");
    assertBad(HEX.parseHex("0100"), "unknown command type 0");
    assertBad(HEX.parseHex("0108"), "unknown command type 8");
    assertBad(HEX.parseHex("0104"), "truncated: id length needs 4 bytes but 0 remain");
    assertBad(HEX.parseHex("010400000003" + "6e31"), "truncated: id of 3 bytes but 2 remain");
    assertBad(HEX.parseHex("0104ffffffff"), "id length is negative: -1");
    assertBad(HEX.parseHex("010400000002" + "6e31" + "00"), "1 trailing bytes after the end");
    assertBad(HEX.parseHex("010400000002" + "c328"), "id is not valid UTF-8");
    // A tiny input that claims 2^31-1 nodes is refused before anything is allocated.
    String bootstrapHead = "0101" + "00000001" + "00000001";
    assertBad(HEX.parseHex(bootstrapHead + "7fffffff"), "truncated: 2147483647 nodes");
    assertBad(HEX.parseHex(bootstrapHead + "80000000"), "nodes count is negative");
    // Fields the records refuse: an empty id, a bad port, an unknown state.
    assertBad(
        HEX.parseHex("0103" + "00000000" + "0000000168" + "00001bbd" + "00000000"),
        "member id must not be empty");
    assertBad(
        HEX.parseHex("0102" + "000000026e31" + "0000000168" + "00000000" + "00000000"),
        "cluster port of member 'n1' must be in 1..65535: 0");
    assertBad(
        HEX.parseHex("0102" + "000000026e31" + "0000000168" + "00000001" + "00010000"),
        "client port of node 'n1'");
    assertBad(
        HEX.parseHex("0101" + "00000001" + "00000001" + "00000001"
            + "000000026e31" + "0000000168" + "00001bbd" + "00000000" + "04"),
        "unknown state code 4");
    assertThatThrownBy(() -> MetadataCommand.decode(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void snapshotsRefuseStatesApplyCouldNotReach() {
    String head = "01" + "01" + "0000000000000003" + "00000002" + "00000008";
    String n1 = "000000026e31" + "0000000168" + "00001bbd" + "00000000";
    String n2 = "000000026e32" + "0000000168" + "00001bbe" + "00000000";
    String n2SameAddress = "000000026e32" + "0000000148" + "00001bbd" + "00000000";
    String none = "00000000";
    String valid = head + "00000002" + n1 + "00" + n2 + "01" + none;
    assertThat(ClusterMetadata.decode(HEX.parseHex(valid)).nodes()).hasSize(2);
    assertBadSnapshot(head + "00000002" + n2 + "00" + n1 + "00" + none, "strictly ascending");
    String n1Elsewhere = "000000026e31" + "0000000168" + "00001bbe" + "00000000";
    assertBadSnapshot(head + "00000002" + n1 + "00" + n1Elsewhere + "00" + none,
        "node ids must be strictly ascending: 'n1' after 'n1'");
    assertBadSnapshot(head + "00000002" + n1 + "00" + n2SameAddress + "00" + none,
        "share a cluster address");
    assertBadSnapshot(head + "00000001" + n1 + "01" + none, "no node is ACTIVE");
    assertBadSnapshot(head + "00000000" + none, "node count must be in 1..1024: 0");
    assertBadSnapshot(head + "00000001" + n1 + "00" + "00000001" + "000000026e31",
        "moves done recorded outside a rebalance");
    assertBadSnapshot(
        head + "00000002" + n1 + "00" + n2 + "02" + "00000001" + "000000026e39",
        "moves done names no node: 'n9'");
    assertBadSnapshot(
        head + "00000002" + n1 + "00" + n2 + "02" + "00000002" + "000000026e32" + "000000026e31",
        "moves done ids must be strictly ascending");
    assertBadSnapshot("01" + "01" + "0000000000000000" + "00000002" + "00000008"
        + "00000001" + n1 + "00" + none, "epoch must be >= 1");
    assertBadSnapshot("01" + "01" + "0000000000000003" + "00000000" + "00000008"
        + "00000001" + n1 + "00" + none, "replication factor must be >= 1: 0");
    assertBadSnapshot("01" + "01" + "0000000000000003" + "00000001" + "00001001"
        + "00000001" + n1 + "00" + none, "virtual nodes per member must be in 1..4096: 4097");
    assertBadSnapshot("01" + "00" + "0000000000000001" + "00000000" + "00000000"
        + none + none, "an unbootstrapped snapshot must have epoch, rf and vnodes 0");
    assertBadSnapshot("01" + "00" + "0000000000000000" + "00000000" + "00000000"
        + "00000001" + n1 + "00" + none, "an unbootstrapped snapshot has no nodes");
    assertBadSnapshot("01" + "02", "bootstrapped must be 0 or 1, not 2");
    assertBadSnapshot("02", "unsupported format version 2");
    assertThat(ClusterMetadata.decode(ClusterMetadata.EMPTY.encode()))
        .isSameAs(ClusterMetadata.EMPTY);
  }

  @Test
  void snapshotsRoundTrip() {
    List<ClusterMetadata> states = new ArrayList<>();
    states.add(ClusterMetadata.EMPTY);
    ClusterMetadata three = bootstrapped(3, 2);
    states.add(three);
    states.add(applied(three, new Fail("n2")));
    ClusterMetadata joining = applied(bootstrapped(6, 3), new Leave("n6"));
    states.add(joining);
    String mover = joining.pendingMoves().iterator().next();
    ClusterMetadata recorded = applied(joining, new MoveDone(mover, joining.epoch()));
    assertThat(recorded.movesDone()).containsExactly(mover);
    states.add(recorded);
    states.add(applied(three, join("n4", 4)));
    SplittableRandom random = new SplittableRandom(0x5AA9L);
    for (int i = 0; i < 10; i++) {
      states.add(RandomMetadataCommands.randomState(random, 5 + random.nextInt(40)));
    }
    for (ClusterMetadata state : states) {
      byte[] bytes = state.encode();
      ClusterMetadata decoded = ClusterMetadata.decode(bytes);
      assertThat(decoded).isEqualTo(state).hasSameHashCodeAs(state).hasToString(state.toString());
      assertThat(decoded.encode()).isEqualTo(bytes);
      assertThat(decoded.pendingMoves()).isEqualTo(state.pendingMoves());
      if (state.isBootstrapped()) {
        assertThat(decoded.ring().placementDigest()).isEqualTo(state.ring().placementDigest());
      }
    }
    assertThat(recorded).isNotEqualTo(joining);
    assertThat(three).isNotEqualTo(applied(three, new Announce("n1", "127.0.0.1", 7101, 1)));
  }

  /**
   * Mutated and truncated encodings of random commands and snapshots: decoding throws only {@link
   * IllegalArgumentException}; what decodes re-encodes to the same bytes (the encodings are
   * canonical), and applying a decoded command to a few states never throws (every fifth one:
   * applies that start a rebalance build two rings, a few milliseconds each).
   */
  @Test
  void fuzzedInputThrowsOnlyIllegalArgument() {
    long seed = 0xF022L;
    SplittableRandom random = new SplittableRandom(seed);
    List<ClusterMetadata> states = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      states.add(RandomMetadataCommands.randomState(random, random.nextInt(30)));
    }
    RandomMetadataCommands commands = new RandomMetadataCommands(random, 6);
    int decodedCommands = 0;
    int decodedSnapshots = 0;
    for (int i = 0; i < 10_000; i++) {
      ClusterMetadata state = states.get(random.nextInt(states.size()));
      byte[] command = mutate(random, commands.next(state).encode());
      MetadataCommand decoded = decodeOrNull(seed, i, command, MetadataCommand::decode);
      if (decoded != null) {
        decodedCommands++;
        assertThat(decoded.encode()).as("seed=%d i=%d", seed, i).isEqualTo(command);
        try {
          if (decodedCommands % 5 == 0) {
            state.apply(decoded);
          }
        } catch (RuntimeException e) {
          fail("seed=" + seed + " i=" + i + ": apply(" + decoded + ") threw on " + state, e);
        }
      }
      if (i % 4 == 0) {
        byte[] snapshot = mutate(random, state.encode());
        ClusterMetadata back = decodeOrNull(seed, i, snapshot, ClusterMetadata::decode);
        if (back != null) {
          decodedSnapshots++;
          assertThat(back.encode()).as("seed=%d i=%d", seed, i).isEqualTo(snapshot);
        }
      }
    }
    // The fuzz must exercise both outcomes to mean anything.
    assertThat(decodedCommands).isBetween(500, 9_500);
    assertThat(decodedSnapshots).isBetween(25, 2_450);
  }

  private static <T> T decodeOrNull(long seed, int i, byte[] bytes, Function<byte[], T> decoder) {
    try {
      return decoder.apply(bytes);
    } catch (IllegalArgumentException expected) {
      return null;
    } catch (RuntimeException e) {
      return fail("seed=" + seed + " i=" + i + ": " + HEX.formatHex(bytes) + " threw " + e, e);
    }
  }

  /** Flips, overwrites, inserts or deletes a few bytes, or truncates; sometimes leaves it alone. */
  private static byte[] mutate(SplittableRandom random, byte[] bytes) {
    byte[] b = bytes;
    int edits = random.nextInt(4);
    for (int e = 0; e < edits && b.length > 0; e++) {
      int at = random.nextInt(b.length);
      switch (random.nextInt(5)) {
        case 0:
          b = b.clone();
          b[at] ^= (byte) (1 << random.nextInt(8));
          break;
        case 1:
          b = b.clone();
          b[at] = (byte) random.nextInt(256);
          break;
        case 2:
          b = Arrays.copyOf(b, at);
          break;
        case 3:
          {
            byte[] longer = new byte[b.length + 1];
            System.arraycopy(b, 0, longer, 0, at);
            longer[at] = (byte) random.nextInt(256);
            System.arraycopy(b, at, longer, at + 1, b.length - at);
            b = longer;
            break;
          }
        default:
          {
            byte[] shorter = new byte[b.length - 1];
            System.arraycopy(b, 0, shorter, 0, at);
            System.arraycopy(b, at + 1, shorter, at, b.length - at - 1);
            b = shorter;
            break;
          }
      }
    }
    return b;
  }

  private static void assertBad(byte[] bytes, String message) {
    assertThatThrownBy(() -> MetadataCommand.decode(bytes))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("bad metadata command: ")
        .hasMessageContaining(message);
  }

  private static void assertBadSnapshot(String hex, String message) {
    assertThatThrownBy(() -> ClusterMetadata.decode(HEX.parseHex(hex)))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("bad metadata snapshot: ")
        .hasMessageContaining(message);
  }

  @Test
  void nodeRecordChecksItsFields() {
    NodeRecord node = new NodeRecord("n1", "::1", 7101, 0, NodeState.JOINING);
    assertThat(node.member()).isEqualTo(new Member("n1", "::1", 7101));
    assertThat(node).hasToString("n1@[::1]:7101 client=0 JOINING");
    assertThat(node.withState(NodeState.ACTIVE).state()).isEqualTo(NodeState.ACTIVE);
    assertThat(node.hasAddresses("::1", 7101, 0)).isTrue();
    assertThat(node.hasAddresses("::1", 7101, 1)).isFalse();
    assertThat(new NodeRecord("n1", "h", 1, 65535, NodeState.ACTIVE).clientPort()).isEqualTo(65535);
    assertThatThrownBy(() -> new NodeRecord("n 1", "h", 1, 0, NodeState.ACTIVE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("member id 'n 1'");
    assertThatThrownBy(() -> new NodeRecord("n1", "h/x", 1, 0, NodeState.ACTIVE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new NodeRecord("n1", "h", 0, 0, NodeState.ACTIVE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new NodeRecord("n1", "h", 1, -1, NodeState.ACTIVE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("client port of node 'n1' must be in 1..65535, or 0 for not announced: -1");
    assertThatThrownBy(() -> new NodeRecord("n1", "h", 1, 65536, NodeState.ACTIVE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new NodeRecord("n1", "h", 1, 0, null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new Join("n1", "h", 1, 70000))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Announce("", "h", 1, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Leave(null)).isInstanceOf(NullPointerException.class);
  }
}
