package io.distributedcache.core.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.keyspace.Slots;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Seed bug 2 regression: the prototype rebuilt its ring in place, so a request that arrived during a
 * membership change could route by a half-built ring. Here a writer builds rings aside, each epoch
 * with a different membership, and publishes them while reader threads route by {@link
 * RingSource#current()}. Every snapshot a reader sees must be complete and self-consistent, belong to
 * the membership the writer gave its epoch, and epochs a reader sees must never go backwards.
 *
 * <p>Threads are allowed here (tests), never in the core. The run is bounded by counts: the writer
 * publishes {@value #LAST_EPOCH} epochs, each reader stops after seeing the last one or after {@value
 * #MAX_READS} reads; joins have a deadline only so that a bug cannot hang the build.
 */
class SeedBug2RingPublicationTest {

  static final int LAST_EPOCH = 200;
  static final int READERS = 3;
  static final long MAX_READS = 200_000_000L;
  static final int VIRTUAL_NODES = 64;
  static final int REPLICATION_FACTOR = 3;

  /** The members the writer uses for {@code epoch}: 1 to 9 of 20 ids, different every epoch. */
  static List<Member> membersFor(long epoch) {
    int count = 1 + (int) (epoch % 9);
    List<Member> members = new ArrayList<>(count);
    for (int j = 0; j < count; j++) {
      int id = (int) ((epoch * 7 + j) % 20);
      members.add(new Member("node-" + id, "127.0.0.1", 7000 + id));
    }
    return members;
  }

  @Test
  void readersNeverSeeAHalfBuiltOrOlderRing() throws InterruptedException {
    Map<Long, Long> digestByEpoch = new ConcurrentHashMap<>();
    ConsistentHashRing first =
        ConsistentHashRing.build(1, membersFor(1), VIRTUAL_NODES, REPLICATION_FACTOR);
    digestByEpoch.put(1L, first.placementDigest());
    RingPublisher publisher = new RingPublisher(first);
    Queue<String> problems = new ConcurrentLinkedQueue<>();
    CountDownLatch start = new CountDownLatch(1);

    List<Reader> readers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int r = 0; r < READERS; r++) {
      Reader reader = new Reader("reader-" + r, digestByEpoch, problems);
      long seed = 1000L + r;
      readers.add(reader);
      Thread thread =
          new Thread(
              () -> {
                try {
                  start.await();
                  reader.run(publisher, seed);
                } catch (InterruptedException e) {
                  problems.add(reader.name + " interrupted");
                } catch (RuntimeException | Error e) {
                  problems.add(reader.name + " threw " + e);
                }
              },
              reader.name);
      threads.add(thread);
      thread.start();
    }
    Thread writer =
        new Thread(
            () -> {
              try {
                start.await();
                for (long epoch = 2; epoch <= LAST_EPOCH; epoch++) {
                  ConsistentHashRing next =
                      ConsistentHashRing.build(
                          epoch, membersFor(epoch), VIRTUAL_NODES, REPLICATION_FACTOR);
                  // Recorded before publishing: the publish's volatile write makes it visible
                  // to any reader that sees the ring.
                  digestByEpoch.put(epoch, next.placementDigest());
                  publisher.publish(next);
                  if (epoch % 10 == 0) {
                    rejectStale(publisher, epoch, problems);
                  }
                }
              } catch (InterruptedException e) {
                problems.add("writer interrupted");
              } catch (RuntimeException | Error e) {
                problems.add("writer threw " + e);
              }
            },
            "writer");
    threads.add(writer);
    writer.start();
    start.countDown();

    long deadlineNanos = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    for (Thread thread : threads) {
      thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())));
      assertThat(thread.isAlive()).as(thread.getName() + " still running at the deadline").isFalse();
    }
    assertThat(problems).isEmpty();
    assertThat(publisher.current().epoch()).isEqualTo(LAST_EPOCH);
    for (Reader reader : readers) {
      assertThat(reader.lastEpoch).as(reader.name).isEqualTo(LAST_EPOCH);
      // Readers ran while the writer published: each one saw several snapshots, not just the end.
      assertThat(reader.snapshotsSeen).as(reader.name).isGreaterThan(1);
    }
  }

  private static void rejectStale(RingPublisher publisher, long epoch, Queue<String> problems) {
    ConsistentHashRing stale =
        ConsistentHashRing.build(epoch - 1, membersFor(epoch - 1), 1, REPLICATION_FACTOR);
    try {
      publisher.publish(stale);
      problems.add("publisher accepted epoch " + (epoch - 1) + " after " + epoch);
    } catch (IllegalArgumentException expected) {
      if (publisher.current().epoch() != epoch) {
        problems.add("a rejected publish changed the current epoch");
      }
    }
  }

  /** The checker itself: it must notice a snapshot that does not belong to its epoch. */
  @Test
  void checkerRejectsAWrongSnapshotAndABackwardEpoch() {
    Map<Long, Long> digestByEpoch = new ConcurrentHashMap<>();
    ConsistentHashRing five =
        ConsistentHashRing.build(5, membersFor(5), VIRTUAL_NODES, REPLICATION_FACTOR);
    ConsistentHashRing seven =
        ConsistentHashRing.build(7, membersFor(7), VIRTUAL_NODES, REPLICATION_FACTOR);
    digestByEpoch.put(5L, five.placementDigest());
    digestByEpoch.put(7L, seven.placementDigest());
    Queue<String> problems = new ConcurrentLinkedQueue<>();
    Reader reader = new Reader("canary", digestByEpoch, problems);

    reader.observe(five);
    reader.observe(seven);
    assertThat(problems).isEmpty();
    reader.observe(five);
    assertThat(problems).singleElement().asString().contains("went back from epoch 7 to 5");

    problems.clear();
    ConsistentHashRing mislabelled =
        ConsistentHashRing.build(9, membersFor(8), VIRTUAL_NODES, REPLICATION_FACTOR);
    new Reader("canary", digestByEpoch, problems).observe(mislabelled);
    assertThat(problems).anySatisfy(p -> assertThat(p).contains("members"));

    problems.clear();
    ConsistentHashRing otherPlacement =
        ConsistentHashRing.build(7, membersFor(7), VIRTUAL_NODES + 1, REPLICATION_FACTOR);
    new Reader("canary", digestByEpoch, problems).observe(otherPlacement);
    assertThat(problems).anySatisfy(p -> assertThat(p).contains("placement digest"));
  }

  /** One reader: routes by the current snapshot and checks every new snapshot it meets. */
  static final class Reader {
    final String name;
    private final Map<Long, Long> digestByEpoch;
    private final Queue<String> problems;
    private ConsistentHashRing last;
    long lastEpoch = -1;
    int snapshotsSeen;

    Reader(String name, Map<Long, Long> digestByEpoch, Queue<String> problems) {
      this.name = name;
      this.digestByEpoch = digestByEpoch;
      this.problems = problems;
    }

    void run(RingSource source, long seed) {
      SplittableRandom random = new SplittableRandom(seed);
      for (long read = 0; read < MAX_READS && lastEpoch < LAST_EPOCH && problems.isEmpty(); read++) {
        // One operation: read the snapshot once, use it to the end.
        ConsistentHashRing ring = source.current();
        if (ring != last) {
          observe(ring);
        }
        int slot = random.nextInt(Slots.SLOT_COUNT);
        int primary = ring.primaryIndex(slot);
        if (ring.preference(slot, 0) != primary || ring.rankOf(primary, slot) != 0) {
          problems.add(name + ": epoch " + ring.epoch() + " slot " + slot + " disagrees");
        }
      }
    }

    void observe(ConsistentHashRing ring) {
      long epoch = ring.epoch();
      if (last != null && epoch <= lastEpoch) {
        problems.add(name + ": went back from epoch " + lastEpoch + " to " + epoch);
      }
      last = ring;
      lastEpoch = epoch;
      snapshotsSeen++;
      check(ring);
    }

    private void check(ConsistentHashRing ring) {
      long epoch = ring.epoch();
      String at = name + ": epoch " + epoch + ": ";
      List<String> expectedIds = new ArrayList<>();
      for (Member member : membersFor(epoch)) {
        expectedIds.add(member.id());
      }
      expectedIds.sort(null);
      List<String> ids = new ArrayList<>();
      for (Member member : ring.members()) {
        ids.add(member.id());
      }
      if (!ids.equals(expectedIds)) {
        problems.add(at + "members " + ids + ", expected " + expectedIds);
        return;
      }
      int count = ring.memberCount();
      int rf = ring.replicationFactor();
      if (rf != Math.min(REPLICATION_FACTOR, count)) {
        problems.add(at + "replication factor " + rf + " with " + count + " members");
        return;
      }
      int primaries = 0;
      for (int m = 0; m < count; m++) {
        primaries += ring.primarySlotCount(m);
      }
      if (primaries != Slots.SLOT_COUNT) {
        problems.add(at + primaries + " primary slots in all");
      }
      for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
        long seen = 0; // count <= 64, so a bit set of member indexes fits
        for (int rank = 0; rank < rf; rank++) {
          int m = ring.preference(slot, rank);
          if (m < 0 || m >= count || (seen & (1L << m)) != 0) {
            problems.add(at + "slot " + slot + " rank " + rank + " has member index " + m);
            return;
          }
          seen |= 1L << m;
        }
      }
      Long expectedDigest = digestByEpoch.get(epoch);
      long digest = RingTestVectorsTest.independentDigest(ring);
      if (expectedDigest == null
          || digest != expectedDigest
          || ring.placementDigest() != expectedDigest) {
        problems.add(
            at + "placement digest " + Long.toHexString(digest) + ", writer built " + expectedDigest);
      }
    }
  }
}
