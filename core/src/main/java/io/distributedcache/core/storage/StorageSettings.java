package io.distributedcache.core.storage;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link CacheStorage}.
 *
 * @param maxMemoryBytes the bound on the estimated bytes of all entries (Redis {@code maxmemory});
 *     {@code 0} means unbounded. Beyond it Caffeine evicts by W-TinyLFU.
 * @param tombstoneGrace how long a delete is remembered as a tombstone, so that a late write
 *     carrying an older version cannot resurrect the key
 */
public record StorageSettings(long maxMemoryBytes, Duration tombstoneGrace) {

  /** Validates the settings. */
  public StorageSettings {
    if (maxMemoryBytes < 0) {
      throw new IllegalArgumentException(
          "maxMemoryBytes must be 0 (unbounded) or positive: " + maxMemoryBytes);
    }
    Objects.requireNonNull(tombstoneGrace, "tombstoneGrace");
    if (tombstoneGrace.isNegative()) {
      throw new IllegalArgumentException("tombstoneGrace must not be negative: " + tombstoneGrace);
    }
  }

  /** Unbounded memory, tombstones kept for 10 seconds. */
  public static StorageSettings defaults() {
    return new StorageSettings(0, Duration.ofSeconds(10));
  }
}
