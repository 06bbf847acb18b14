package io.distributedcache.raft;

import java.util.Arrays;
import java.util.Objects;

/**
 * The replicated state machine's whole state as of one log index, standing in for every log entry
 * up to and including that index (Raft paper section 7). The state machine is the application's,
 * so {@link #data()} is opaque here; the node only needs to know which entries it replaces, the
 * term of the last one (for the log consistency check just after it) and the configuration in
 * force there (the entries that set it are gone).
 *
 * <p>The cluster metadata this module replicates is small, so a snapshot is one byte array, sent
 * whole in one {@link RaftMessage.InstallSnapshot} (no chunking, unlike the paper's figure 13).
 *
 * <p>The data array is copied in and {@link #data()} returns a copy, so snapshots can be shared
 * between the node, its storage and messages. Equality is by content.
 *
 * @param index the index of the last entry the snapshot replaces; 0 for {@link #NONE}
 * @param term the term of that entry; 0 for {@link #NONE}, else at least 1
 * @param membership the configuration in force at {@code index}: that of the latest configuration
 *     entry at or before it, or the bootstrap configuration; {@code null} only for {@link #NONE}
 * @param data the application's serialised state machine after applying entries 1 to {@code
 *     index}; empty for {@link #NONE}
 */
public record Snapshot(long index, long term, Membership membership, byte[] data) {

  /** "No snapshot": the log starts at index 1. */
  public static final Snapshot NONE = new Snapshot(0, 0, null, new byte[0]);

  /** Validates and copies the data. */
  public Snapshot {
    Objects.requireNonNull(data, "data");
    if (index < 0 || term < 0) {
      throw new IllegalArgumentException("index and term must be >= 0: " + index + ", " + term);
    }
    if (index == 0) {
      if (term != 0 || membership != null || data.length != 0) {
        throw new IllegalArgumentException(
            "a snapshot at index 0 is NONE: term 0, no membership, no data");
      }
    } else {
      if (term < 1) {
        throw new IllegalArgumentException("term must be >= 1 for index " + index + ": " + term);
      }
      Objects.requireNonNull(membership, "membership");
    }
    data = data.clone();
  }

  /** Whether this is {@link #NONE}. */
  public boolean isEmpty() {
    return index == 0;
  }

  /** Returns a copy of the state machine data. */
  @Override
  public byte[] data() {
    return data.clone();
  }

  /** The data's length in bytes, without copying it. */
  public int dataLength() {
    return data.length;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Snapshot s
        && s.index == index
        && s.term == term
        && Objects.equals(s.membership, membership)
        && Arrays.equals(s.data, data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(index, term, membership, Arrays.hashCode(data));
  }

  @Override
  public String toString() {
    return isEmpty()
        ? "Snapshot[NONE]"
        : "Snapshot[index="
            + index
            + ", term="
            + term
            + ", membership="
            + membership
            + ", dataBytes="
            + data.length
            + "]";
  }
}
