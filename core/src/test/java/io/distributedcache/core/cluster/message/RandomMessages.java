package io.distributedcache.core.cluster.message;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.keyspace.Slots;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Seeded random peer messages of every type, with the edge cases a codec gets wrong: empty and null
 * byte strings, empty lists, extreme longs, the first and last slot, non-ASCII node ids.
 */
final class RandomMessages {

  /** One generator per message type; a test checks that every permitted type has one. */
  static final List<Function<Random, PeerMessage>> GENERATORS =
      List.of(
          r -> new Hello(nodeId(r), nodeId(r), anyLong(r), nodeId(r), port(r)),
          r ->
              new Execute(
                  anyLong(r),
                  slot(r),
                  ConsistencyLevel.values()[r.nextInt(ConsistencyLevel.values().length)],
                  2 + r.nextInt(2),
                  r.nextBoolean(),
                  byteArrays(r),
                  longs(r),
                  anyLong(r)),
          r ->
              new ExecuteReply(
                  anyLong(r),
                  slot(r),
                  ExecuteReply.Status.values()[r.nextInt(ExecuteReply.Status.values().length)],
                  bytes(r),
                  longs(r),
                  entries(r)),
          r -> new Replicate(anyLong(r), slot(r), entries(r), r.nextBoolean()),
          r -> new ReplicateAck(anyLong(r), slot(r)),
          r -> new ReadState(anyLong(r), slot(r), byteArrays(r)),
          r -> new ReadStateReply(anyLong(r), slot(r), r.nextBoolean(), entries(r)),
          r -> new DigestRequest(anyLong(r), slots(r, r.nextInt(20))),
          r -> {
            int n = r.nextInt(20);
            long[] digests = new long[n];
            for (int i = 0; i < n; i++) {
              digests[i] = anyLong(r);
            }
            return new DigestReply(anyLong(r), slots(r, n), digests);
          },
          r -> new SyncRequest(anyLong(r), slots(r, r.nextInt(20))),
          r -> new SyncReply(anyLong(r), slot(r), anyLong(r), r.nextBoolean(), entries(r)),
          r -> new Flush(anyLong(r)),
          r -> new FlushAck(anyLong(r)),
          r -> new WrongEpoch(anyLong(r), anyLong(r)),
          r -> new ControlFrame(bytes(r)),
          r -> {
            List<io.distributedcache.core.invalidation.Invalidation> events = new ArrayList<>();
            int n = r.nextInt(4);
            for (int i = 0; i < n; i++) {
              io.distributedcache.core.invalidation.Invalidation.Cause cause =
                  io.distributedcache.core.invalidation.Invalidation.Cause.values()[
                      r.nextInt(io.distributedcache.core.invalidation.Invalidation.Cause.values().length)];
              events.add(
                  switch (r.nextInt(4)) {
                    case 0 -> io.distributedcache.core.invalidation.Invalidation.key(
                        cause, bytes(r), nodeId(r), anyLong(r));
                    case 1 -> io.distributedcache.core.invalidation.Invalidation.prefix(cause, bytes(r));
                    case 2 -> io.distributedcache.core.invalidation.Invalidation.slots(
                        cause, slots(r, r.nextInt(5)));
                    default -> io.distributedcache.core.invalidation.Invalidation.all(cause);
                  });
            }
            return new Invalidate(events);
          },
          r -> new Publish(bytes(r), bytes(r)));

  private RandomMessages() {}

  static Envelope envelope(Random r, PeerMessage body) {
    return new Envelope(anyLong(r), anyLong(r), body);
  }

  /** A random envelope of a random type. */
  static Envelope envelope(Random r) {
    return envelope(r, GENERATORS.get(r.nextInt(GENERATORS.size())).apply(r));
  }

  static long anyLong(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> 0;
      case 1 -> Long.MAX_VALUE;
      case 2 -> Long.MIN_VALUE;
      case 3 -> -1;
      default -> r.nextLong();
    };
  }

  /** 0 (no address), the extremes, and anything between. */
  static int port(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> 0;
      case 1 -> Hello.MAX_PORT;
      default -> r.nextInt(Hello.MAX_PORT + 1);
    };
  }

  static int slot(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> 0;
      case 1 -> Slots.SLOT_COUNT - 1;
      default -> r.nextInt(Slots.SLOT_COUNT);
    };
  }

  static int[] slots(Random r, int n) {
    int[] slots = new int[n];
    for (int i = 0; i < n; i++) {
      slots[i] = slot(r);
    }
    return slots;
  }

  static byte[] bytes(Random r) {
    int length =
        switch (r.nextInt(8)) {
          case 0 -> 0;
          case 1 -> 200 + r.nextInt(3000);
          default -> r.nextInt(24);
        };
    byte[] b = new byte[length];
    r.nextBytes(b);
    return b;
  }

  static byte[][] byteArrays(Random r) {
    byte[][] arrays = new byte[r.nextInt(6)][];
    for (int i = 0; i < arrays.length; i++) {
      arrays[i] = bytes(r);
    }
    return arrays;
  }

  static long[] longs(Random r) {
    long[] values = new long[r.nextInt(6)];
    for (int i = 0; i < values.length; i++) {
      values[i] = anyLong(r);
    }
    return values;
  }

  static StateEntry entry(Random r) {
    byte[] key = bytes(r);
    return switch (r.nextInt(4)) {
      case 0 -> StateEntry.absent(key);
      case 1 -> new StateEntry(key, null, 1 + (r.nextLong() >>> 1) % Long.MAX_VALUE, ttl(r));
      default -> new StateEntry(key, bytes(r), r.nextLong() >>> 1, ttl(r));
    };
  }

  static long ttl(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> StateEntry.NO_TTL;
      case 1 -> 0;
      case 2 -> Long.MAX_VALUE;
      default -> r.nextLong() >>> 1;
    };
  }

  static List<StateEntry> entries(Random r) {
    int n = r.nextInt(8);
    List<StateEntry> entries = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      entries.add(entry(r));
    }
    return entries;
  }

  /** ASCII, two- and three-byte UTF-8, and supplementary characters (four bytes, surrogates). */
  static String nodeId(Random r) {
    StringBuilder s = new StringBuilder();
    int n = r.nextInt(12);
    for (int i = 0; i < n; i++) {
      switch (r.nextInt(5)) {
        case 0 -> s.append((char) (0x80 + r.nextInt(0x780)));
        case 1 -> s.append((char) (0x800 + r.nextInt(0xD000 - 0x800)));
        case 2 -> s.appendCodePoint(0x10000 + r.nextInt(0x100000));
        default -> s.append((char) ('a' + r.nextInt(26)));
      }
    }
    return s.toString();
  }
}
