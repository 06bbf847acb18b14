package io.distributedcache.core.placement;

import io.distributedcache.core.keyspace.Slots;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * Prints the placement of {@value #KEYS} keys for the test-vector membership, in one line, for
 * {@link SeedBug5CrossJvmPlacementTest} to compare across JVMs. Run in a child JVM; no arguments.
 */
public final class PlacementDigestMain {

  static final int KEYS = 10_000;

  private PlacementDigestMain() {}

  /** Writes {@link #describe} of the test-vector ring to standard output. */
  public static void main(String[] args) {
    System.out.println(describe(RingFixtures.vectorRing()));
  }

  /** {@code keys=<hex> placement=<hex> membership=<hex>}. */
  static String describe(ConsistentHashRing ring) {
    return String.format(
        Locale.ROOT,
        "keys=%016x placement=%016x membership=%016x",
        keysDigest(ring),
        ring.placementDigest(),
        ring.membershipDigest());
  }

  /**
   * XXH64 over, for each key in order, its slot (4 bytes big-endian) and the ids of its preference
   * list (UTF-8 length, then bytes). Half the keys are non-ASCII, so a default charset anywhere on
   * the way from key to node would show.
   */
  static long keysDigest(ConsistentHashRing ring) {
    ByteBuffer out = ByteBuffer.allocate(KEYS * (4 + ring.replicationFactor() * 64));
    for (int i = 0; i < KEYS; i++) {
      String key = (i % 2 == 0 ? "key:" : "clé-ключ-鍵:") + i;
      int slot = Slots.slot(key.getBytes(StandardCharsets.UTF_8));
      out.putInt(slot);
      List<Member> list = ring.preferenceList(slot);
      for (Member member : list) {
        byte[] id = member.id().getBytes(StandardCharsets.UTF_8);
        out.putInt(id.length).put(id);
      }
    }
    return StableHash.bytes(out.array(), 0, out.position());
  }
}
