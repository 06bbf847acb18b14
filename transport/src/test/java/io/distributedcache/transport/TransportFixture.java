package io.distributedcache.transport;

import static org.assertj.core.api.Assertions.fail;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.cluster.PeerInbox;
import io.distributedcache.core.cluster.message.ControlFrame;
import io.distributedcache.core.cluster.message.DigestReply;
import io.distributedcache.core.cluster.message.DigestRequest;
import io.distributedcache.core.cluster.message.Envelope;
import io.distributedcache.core.cluster.message.Execute;
import io.distributedcache.core.cluster.message.ExecuteReply;
import io.distributedcache.core.cluster.message.Flush;
import io.distributedcache.core.cluster.message.FlushAck;
import io.distributedcache.core.cluster.message.PeerMessage;
import io.distributedcache.core.cluster.message.ReadState;
import io.distributedcache.core.cluster.message.ReadStateReply;
import io.distributedcache.core.cluster.message.Replicate;
import io.distributedcache.core.cluster.message.ReplicateAck;
import io.distributedcache.core.cluster.message.StateEntry;
import io.distributedcache.core.cluster.message.SyncReply;
import io.distributedcache.core.cluster.message.SyncRequest;
import io.distributedcache.core.cluster.message.WrongEpoch;
import io.distributedcache.core.placement.Member;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** Members on free loopback ports, transports configured for fast tests, and message samples. */
final class TransportFixture {

  static final String HOST = "127.0.0.1";

  /** The cluster name every test transport uses unless a test says otherwise. */
  static final String CLUSTER = "test-cluster";

  private TransportFixture() {}

  /**
   * Members {@code n1..nN} on loopback ports that were free a moment ago. A member needs its port
   * before any transport starts (every node dials the others), so the ports are reserved by
   * binding, released, and bound again by the transports with SO_REUSEADDR.
   */
  static List<Member> members(int n) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      List<Member> members = new ArrayList<>();
      for (int i = 1; i <= n; i++) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST));
        sockets.add(socket);
        members.add(new Member("n" + i, HOST, socket.getLocalPort()));
      }
      return List.copyOf(members);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // only a port reservation
        }
      }
    }
  }

  /** A transport of {@link #CLUSTER} bootstrapped from {@code members} with {@code digest}. */
  static NettyPeerTransport.Builder builder(
      Member self, List<Member> members, long digest, PeerInbox inbox) {
    return NettyPeerTransport.builder(self, CLUSTER, inbox)
        .members(members)
        .bootstrapDigest(digest)
        .connectTimeout(Duration.ofSeconds(2))
        .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(200));
  }

  static NettyPeerTransport start(Member self, List<Member> members, long digest, PeerInbox inbox) {
    return builder(self, members, digest, inbox).build().start();
  }

  /** Polls {@code condition} until it holds, failing after {@link RecordingInbox#DEADLINE}. */
  static void await(String what, BooleanSupplier condition, Supplier<Object> state) {
    long deadline = System.nanoTime() + RecordingInbox.DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail(
            "timed out after "
                + RecordingInbox.DEADLINE
                + " waiting for "
                + what
                + "; state: "
                + state.get());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
  }

  /** Polls until every transport reaches every other member. */
  static void awaitFullMesh(List<Member> members, List<NettyPeerTransport> transports) {
    await(
        "every node to reach every other",
        () -> transports.stream().allMatch(t -> t.stats().connectedPeers() == members.size() - 1),
        () -> transports.stream().map(NettyPeerTransport::stats).collect(Collectors.toList()));
  }

  /**
   * A message of every type but Hello, {@code kind} choosing which ({@link #KINDS} of them), with
   * {@code seq} as its request id (a ControlFrame's first 8 bytes) and seeded random contents.
   */
  static PeerMessage sample(int kind, long seq, Random r) {
    int slot = r.nextInt(16384);
    return switch (kind) {
      case 0 ->
          new Execute(
              seq,
              slot,
              ConsistencyLevel.QUORUM,
              3,
              r.nextBoolean(),
              new byte[][] {bytes(r), bytes(r)},
              new long[] {r.nextLong() >>> 1});
      case 1 ->
          new ExecuteReply(
              seq, slot, ExecuteReply.Status.NOT_READY, bytes(r), new long[] {1, 2}, entries(r));
      case 2 -> new Replicate(seq, slot, entries(r), r.nextBoolean());
      case 3 -> new ReplicateAck(seq, slot);
      case 4 -> new ReadState(seq, slot, new byte[][] {bytes(r)});
      case 5 -> new ReadStateReply(seq, slot, r.nextBoolean(), entries(r));
      case 6 -> new DigestRequest(seq, new int[] {slot, 0, 16383});
      case 7 -> new DigestReply(seq, new int[] {slot}, new long[] {r.nextLong()});
      case 8 -> new SyncRequest(seq, new int[] {slot});
      case 9 -> new SyncReply(seq, slot, r.nextLong(), r.nextBoolean(), entries(r));
      case 10 -> new Flush(seq);
      case 11 -> new FlushAck(seq);
      case 12 -> new WrongEpoch(seq, r.nextLong());
      case 13 -> {
        byte[] payload = bytes(r);
        yield new ControlFrame(
            ByteBuffer.allocate(8 + payload.length).putLong(seq).put(payload).array());
      }
      case 14 ->
          new io.distributedcache.core.cluster.message.Invalidate(
              List.of(
                  io.distributedcache.core.invalidation.Invalidation.key(
                      io.distributedcache.core.invalidation.Invalidation.Cause.WRITTEN,
                      bytes(r),
                      "n1",
                      seq)));
      case 15 ->
          new io.distributedcache.core.cluster.message.Publish(
              ByteBuffer.allocate(8).putLong(seq).array(), bytes(r));
      default -> throw new IllegalArgumentException("kind " + kind);
    };
  }

  /** The number of kinds {@link #sample} makes: every message type but Hello. */
  static final int KINDS = 16;

  static long requestId(PeerMessage message) {
    try {
      return (long) message.getClass().getMethod("requestId").invoke(message);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] bytes(Random r) {
    byte[] b = new byte[r.nextInt(40)];
    r.nextBytes(b);
    return b;
  }

  private static List<StateEntry> entries(Random r) {
    List<StateEntry> entries = new ArrayList<>();
    for (int i = r.nextInt(4); i > 0; i--) {
      entries.add(
          r.nextBoolean()
              ? new StateEntry(bytes(r), bytes(r), 1 + r.nextInt(1000), StateEntry.NO_TTL)
              : new StateEntry(bytes(r), null, 1 + r.nextInt(1000), r.nextInt(1_000_000)));
    }
    return entries;
  }

  static Envelope envelope(PeerMessage body) {
    return new Envelope(7, 1234, body);
  }

  private static final HexFormat HEX = HexFormat.of();

  /**
   * A complete description of a message (records by component, arrays by element, bytes in hex),
   * since the records' equals compares arrays by identity.
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
          .map(TransportFixture::describe)
          .collect(Collectors.joining(", ", "[", "]"));
    } else if (value instanceof List<?> list) {
      return list.stream()
          .map(TransportFixture::describe)
          .collect(Collectors.joining(", ", "[", "]"));
    } else if (value instanceof Record record) {
      StringBuilder s = new StringBuilder(record.getClass().getSimpleName()).append('(');
      RecordComponent[] components = record.getClass().getRecordComponents();
      for (int i = 0; i < components.length; i++) {
        try {
          s.append(i == 0 ? "" : ", ").append(components[i].getName()).append('=');
          s.append(describe(components[i].getAccessor().invoke(record)));
        } catch (ReflectiveOperationException e) {
          throw new AssertionError(e);
        }
      }
      return s.append(')').toString();
    }
    return String.valueOf(value);
  }
}
