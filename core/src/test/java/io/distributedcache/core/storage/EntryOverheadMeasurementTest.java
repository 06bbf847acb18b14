package io.distributedcache.core.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.time.ManualClock;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Measures the heap one entry costs beyond its key and value bytes, and checks that {@link
 * CacheStorage#ENTRY_OVERHEAD_BYTES}, which the memory bound relies on, stays within 25% of it.
 * Keys are redis-benchmark's ({@code key:000000000042}, 16 bytes), values 3 bytes.
 */
class EntryOverheadMeasurementTest {

  private static final int ENTRIES = 200_000;

  @Test
  void overheadConstantMatchesTheMeasuredHeap() {
    for (boolean bounded : new boolean[] {true, false}) {
      ManualClock clock = new ManualClock(0, 0);
      long before = usedHeapAfterGc();
      CacheStorage storage =
          new CacheStorage(
              new StorageSettings(bounded ? 1L << 40 : 0, Duration.ofSeconds(10)), clock);
      for (int i = 0; i < ENTRIES; i++) {
        byte[] key = "key:000000000000".getBytes(StandardCharsets.US_ASCII);
        for (int n = i, at = key.length - 1; n > 0; n /= 10, at--) {
          key[at] = (byte) ('0' + n % 10);
        }
        storage.put(ByteKey.of(key), VersionedValue.of(new byte[] {'x', 'y', 'z'}, i));
      }
      storage.runMaintenance();
      long after = usedHeapAfterGc();
      Reference.reachabilityFence(storage);
      double overhead = (double) (after - before) / ENTRIES - 16 - 3;
      System.out.printf(
          "EntryOverheadMeasurementTest: bounded=%s measured overhead %.1f bytes/entry (constant"
              + " %d)%n",
          bounded, overhead, CacheStorage.ENTRY_OVERHEAD_BYTES);
      assertThat(overhead)
          .as("bounded=" + bounded)
          .isBetween(
              CacheStorage.ENTRY_OVERHEAD_BYTES * 0.75, CacheStorage.ENTRY_OVERHEAD_BYTES * 1.25);
    }
  }

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
