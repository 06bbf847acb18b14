package io.distributedcache.core.control;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A change to the cluster metadata, as carried by one Raft log entry. Every node decodes the same
 * bytes and hands the command to {@link ClusterMetadata#apply}, which decides deterministically
 * whether it applies; a command that breaks a rule is rejected there, never here, except for
 * fields that could not describe any node at all (a malformed id, host or port), which the
 * constructors refuse.
 *
 * <h2>Encoding, format version 1</h2>
 *
 * Big-endian; {@code string} is an {@code i32} byte length then UTF-8; {@code list<T>} an {@code
 * i32} count then the elements.
 *
 * <pre>
 *   u8 formatVersion   always 1; anything else is refused
 *   u8 type            1 Bootstrap  i32 replicationFactor, i32 virtualNodesPerMember,
 *                                   list&lt;node&gt;
 *                      2 Announce   string id, string host, i32 clusterPort, i32 clientPort
 *                      3 Join       string id, string host, i32 clusterPort, i32 clientPort
 *                      4 Leave      string id
 *                      5 Fail       string id
 *                      6 Recover    string id
 *                      7 MoveDone   string id, i64 epoch
 *   and nothing after the body.
 *
 *   node = string id, string host, i32 clusterPort, i32 clientPort, u8 state (NodeState ordinal)
 * </pre>
 *
 * Type codes and field order never change in place: a new layout gets a new format version, so a
 * log written by an older build still replays. {@code MetadataCommandCodecTest} pins the bytes.
 *
 * <p>Thread-safety: the records are immutable; {@link #encode} and {@link #decode} are pure.
 */
public sealed interface MetadataCommand
    permits MetadataCommand.Bootstrap,
        MetadataCommand.Announce,
        MetadataCommand.Join,
        MetadataCommand.Leave,
        MetadataCommand.Fail,
        MetadataCommand.Recover,
        MetadataCommand.MoveDone {

  /** The command in the versioned binary form above; a new array the caller owns. */
  byte[] encode();

  /**
   * Reads a command written by {@link #encode}. Checks every length and count against the bytes
   * that remain before allocating, so hostile input cannot make it allocate much more than its own
   * size.
   *
   * @throws IllegalArgumentException for anything but one well-formed command (unknown version or
   *     type, truncation, trailing bytes, malformed UTF-8, a field the record refuses), naming the
   *     problem and the byte offset
   * @throws NullPointerException if {@code bytes} is null
   */
  static MetadataCommand decode(byte[] bytes) {
    MetadataCodec.Reader in = new MetadataCodec.Reader(bytes, "metadata command");
    int version = in.u8("format version");
    if (version != MetadataCodec.FORMAT_VERSION) {
      throw in.error(0, "unsupported format version " + version);
    }
    int at = in.offset();
    int type = in.u8("type");
    MetadataCommand command;
    switch (type) {
      case Bootstrap.TYPE:
        {
          int rf = in.i32("replication factor");
          int vnodes = in.i32("virtual nodes per member");
          int n = in.count("nodes", MetadataCodec.NODE_MIN_BYTES);
          List<NodeRecord> nodes = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            nodes.add(MetadataCodec.readNode(in));
          }
          command = new Bootstrap(rf, vnodes, nodes);
          break;
        }
      case Announce.TYPE:
      case Join.TYPE:
        {
          String id = in.string("id");
          String host = in.string("host");
          int clusterPort = in.i32("cluster port");
          int clientPort = in.i32("client port");
          try {
            command =
                type == Join.TYPE
                    ? new Join(id, host, clusterPort, clientPort)
                    : new Announce(id, host, clusterPort, clientPort);
          } catch (IllegalArgumentException e) {
            throw in.error(at, e.getMessage(), e);
          }
          break;
        }
      case Leave.TYPE:
        command = new Leave(in.string("id"));
        break;
      case Fail.TYPE:
        command = new Fail(in.string("id"));
        break;
      case Recover.TYPE:
        command = new Recover(in.string("id"));
        break;
      case MoveDone.TYPE:
        command = new MoveDone(in.string("id"), in.i64("epoch"));
        break;
      default:
        throw in.error(at, "unknown command type " + type);
    }
    in.end();
    return command;
  }

  /**
   * Creates the cluster: proposed once, by the first leader, with the initial members. Applies only
   * to unbootstrapped metadata; every node becomes {@link NodeState#ACTIVE} whatever state it
   * carries here.
   *
   * @param replicationFactor copies of each slot; {@code apply} rejects values below 1
   * @param virtualNodesPerMember {@code apply} rejects values outside the ring's limits
   * @param nodes the initial nodes in any order; {@code apply} rejects duplicates
   */
  record Bootstrap(int replicationFactor, int virtualNodesPerMember, List<NodeRecord> nodes)
      implements MetadataCommand {
    static final int TYPE = 1;

    /**
     * Copies {@code nodes}.
     *
     * @throws NullPointerException if {@code nodes} or an element is null
     */
    public Bootstrap {
      nodes = List.copyOf(nodes);
    }

    @Override
    public byte[] encode() {
      MetadataCodec.Writer out =
          new MetadataCodec.Writer()
              .u8(MetadataCodec.FORMAT_VERSION)
              .u8(TYPE)
              .i32(replicationFactor)
              .i32(virtualNodesPerMember)
              .i32(nodes.size());
      for (NodeRecord node : nodes) {
        MetadataCodec.writeNode(out, node);
      }
      return out.toByteArray();
    }
  }

  /**
   * A node states its addresses (for instance its client port once it listens, or a new host after
   * a restart elsewhere). Its id, and so its slots, stay the same.
   *
   * @param id an existing node's id
   * @param host its host, per {@link io.distributedcache.core.placement.Member} rules
   * @param clusterPort 1 to 65535
   * @param clientPort 1 to 65535, or 0 for not announced
   */
  record Announce(String id, String host, int clusterPort, int clientPort)
      implements MetadataCommand {
    static final int TYPE = 2;

    /**
     * Checks the fields as {@link NodeRecord} does.
     *
     * @throws IllegalArgumentException if a field breaks those rules
     */
    public Announce {
      new NodeRecord(id, host, clusterPort, clientPort, NodeState.ACTIVE);
    }

    @Override
    public byte[] encode() {
      return addresses(TYPE, id, host, clusterPort, clientPort);
    }
  }

  /**
   * A new node asks to join; it enters as {@link NodeState#JOINING} and starts a rebalance.
   *
   * @param id the new node's stable id
   * @param host its host, per {@link io.distributedcache.core.placement.Member} rules
   * @param clusterPort 1 to 65535
   * @param clientPort 1 to 65535, or 0 for not announced
   */
  record Join(String id, String host, int clusterPort, int clientPort) implements MetadataCommand {
    static final int TYPE = 3;

    /**
     * Checks the fields as {@link NodeRecord} does.
     *
     * @throws IllegalArgumentException if a field breaks those rules
     */
    public Join {
      new NodeRecord(id, host, clusterPort, clientPort, NodeState.JOINING);
    }

    @Override
    public byte[] encode() {
      return addresses(TYPE, id, host, clusterPort, clientPort);
    }
  }

  /**
   * A graceful leave or a decommission of node {@code id} (or the cancellation of its join).
   *
   * @param id the node's id; an unknown id is rejected by {@code apply}
   */
  record Leave(String id) implements MetadataCommand {
    static final int TYPE = 4;

    /**
     * Checks for null.
     *
     * @throws NullPointerException if {@code id} is null
     */
    public Leave {
      Objects.requireNonNull(id, "id");
    }

    @Override
    public byte[] encode() {
      return idOnly(TYPE, id);
    }
  }

  /**
   * Failover: the leader's failure detector declares node {@code id} failed.
   *
   * @param id the node's id; an unknown id is rejected by {@code apply}
   */
  record Fail(String id) implements MetadataCommand {
    static final int TYPE = 5;

    /**
     * Checks for null.
     *
     * @throws NullPointerException if {@code id} is null
     */
    public Fail {
      Objects.requireNonNull(id, "id");
    }

    @Override
    public byte[] encode() {
      return idOnly(TYPE, id);
    }
  }

  /**
   * A failed node is back and has caught up; it becomes primary of its slots again.
   *
   * @param id the node's id; an unknown id is rejected by {@code apply}
   */
  record Recover(String id) implements MetadataCommand {
    static final int TYPE = 6;

    /**
     * Checks for null.
     *
     * @throws NullPointerException if {@code id} is null
     */
    public Recover {
      Objects.requireNonNull(id, "id");
    }

    @Override
    public byte[] encode() {
      return idOnly(TYPE, id);
    }
  }

  /**
   * Node {@code id} has pulled every slot copy it gains in the transition of metadata epoch {@code
   * epoch}; when the last pending mover reports, the cutover happens.
   *
   * @param id the reporting node's id
   * @param epoch the metadata epoch the node pulled for; {@code apply} rejects any other as stale
   */
  record MoveDone(String id, long epoch) implements MetadataCommand {
    static final int TYPE = 7;

    /**
     * Checks for null.
     *
     * @throws NullPointerException if {@code id} is null
     */
    public MoveDone {
      Objects.requireNonNull(id, "id");
    }

    @Override
    public byte[] encode() {
      return new MetadataCodec.Writer()
          .u8(MetadataCodec.FORMAT_VERSION)
          .u8(TYPE)
          .string(id)
          .i64(epoch)
          .toByteArray();
    }
  }

  private static byte[] addresses(
      int type, String id, String host, int clusterPort, int clientPort) {
    return new MetadataCodec.Writer()
        .u8(MetadataCodec.FORMAT_VERSION)
        .u8(type)
        .string(id)
        .string(host)
        .i32(clusterPort)
        .i32(clientPort)
        .toByteArray();
  }

  private static byte[] idOnly(int type, String id) {
    return new MetadataCodec.Writer()
        .u8(MetadataCodec.FORMAT_VERSION)
        .u8(type)
        .string(id)
        .toByteArray();
  }
}
