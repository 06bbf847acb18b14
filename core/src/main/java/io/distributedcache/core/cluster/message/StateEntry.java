package io.distributedcache.core.cluster.message;

import java.util.Arrays;
import java.util.Objects;

/**
 * The state of one key as it travels between nodes: value, version and remaining time to live.
 * Never an absolute expiry (seed bug 1): the receiver turns {@link #remainingTtlNanos} into a
 * deadline on its own monotonic ticker.
 *
 * @param key the key
 * @param value the value, or {@code null} for a delete (tombstone) or an absent key
 * @param version the HLC version of the write that produced this state; {@link #ABSENT} when the
 *     sender has nothing for the key
 * @param remainingTtlNanos time left before the key expires, measured by the sender when it built
 *     the message; {@link #NO_TTL} when it never expires
 */
public record StateEntry(byte[] key, byte[] value, long version, long remainingTtlNanos) {

  /** Version of an entry that says "I have nothing for this key". */
  public static final long ABSENT = 0;

  /** {@link #remainingTtlNanos} of a key without expiry. */
  public static final long NO_TTL = -1;

  public StateEntry {
    Objects.requireNonNull(key, "key");
    if (version < 0) {
      throw new IllegalArgumentException("version must not be negative: " + version);
    }
    if (remainingTtlNanos < 0 && remainingTtlNanos != NO_TTL) {
      throw new IllegalArgumentException("remainingTtlNanos must be >= 0 or NO_TTL");
    }
  }

  /** An entry saying the sender holds nothing for {@code key}. */
  public static StateEntry absent(byte[] key) {
    return new StateEntry(key, null, ABSENT, NO_TTL);
  }

  /** Whether the sender had nothing at all for the key. */
  public boolean isAbsent() {
    return version == ABSENT;
  }

  /** Whether this is a delete: a version without a value. */
  public boolean isTombstone() {
    return value == null && version != ABSENT;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StateEntry e
        && Arrays.equals(key, e.key)
        && Arrays.equals(value, e.value)
        && version == e.version
        && remainingTtlNanos == e.remainingTtlNanos;
  }

  @Override
  public int hashCode() {
    return Objects.hash(Arrays.hashCode(key), Arrays.hashCode(value), version, remainingTtlNanos);
  }

  @Override
  public String toString() {
    return "StateEntry[key="
        + new String(key, java.nio.charset.StandardCharsets.UTF_8)
        + ", value="
        + (value == null ? "null" : value.length + " bytes")
        + ", version="
        + version
        + ", remainingTtlNanos="
        + remainingTtlNanos
        + "]";
  }
}
