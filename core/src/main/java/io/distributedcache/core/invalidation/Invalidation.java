package io.distributedcache.core.invalidation;

import io.distributedcache.core.keyspace.Slots;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Objects;

/**
 * One invalidation event: what changed ({@link Scope}), why ({@link Cause}) and, for a change a
 * client made, which client made it (so that a {@code NOLOOP} tracking client is not told about
 * its own writes).
 *
 * <p>Immutable; the arrays it returns are its own and must not be modified.
 */
public final class Invalidation {

  /** Why the cached copies of the key(s) are no longer good. */
  public enum Cause {
    /** A value was written (created or replaced). */
    WRITTEN,
    /** A value was deleted. */
    DELETED,
    /** A value reached its TTL. */
    EXPIRED,
    /** A node evicted its copy to stay under its memory bound (local to that node). */
    EVICTED,
    /** Someone asked for it: {@link InvalidationManager#invalidatePrefix} and the like. */
    INVALIDATED,
    /** Every key was removed ({@code FLUSHALL}, {@code invalidateAll}). */
    FLUSHED,
    /**
     * The copies of some slots changed hands (failover, rebalance) or this node may have missed
     * changes to them (a peer link was down): whatever was read from them may be stale.
     */
    OWNER_CHANGED
  }

  /** What the event covers. */
  public enum Scope {
    /** One key: {@link #bytes()}. */
    KEY,
    /** Every key that starts with {@link #bytes()}. */
    PREFIX,
    /** Every key of the slots {@link #slots()}. */
    SLOTS,
    /** Every key. */
    ALL
  }

  private static final byte[] EMPTY = new byte[0];
  private static final int[] NO_SLOTS = new int[0];

  private final Cause cause;
  private final Scope scope;
  private final byte[] bytes;
  private final int[] slots;
  private final String originNode;
  private final long originClient;
  /** {@link #slots} as a set, for {@link #covers} in O(1): a table walk asks it per key. */
  private final BitSet slotSet;

  private Invalidation(
      Cause cause, Scope scope, byte[] bytes, int[] slots, String originNode, long originClient) {
    this.cause = Objects.requireNonNull(cause, "cause");
    this.scope = scope;
    this.bytes = bytes;
    this.slots = slots;
    this.originNode = Objects.requireNonNull(originNode, "originNode");
    this.originClient = originClient;
    if (scope == Scope.SLOTS) {
      this.slotSet = new BitSet(Slots.SLOT_COUNT);
      for (int slot : slots) {
        slotSet.set(slot);
      }
    } else {
      this.slotSet = null;
    }
  }

  /** A change of one key, made by no client in particular (expiry, eviction, repair). */
  public static Invalidation key(Cause cause, byte[] key) {
    return key(cause, key, "", 0);
  }

  /**
   * A change of one key made by client {@code originClient} connected to node {@code originNode}
   * ({@code ""} and 0 for none).
   */
  public static Invalidation key(Cause cause, byte[] key, String originNode, long originClient) {
    return new Invalidation(
        cause, Scope.KEY, Objects.requireNonNull(key, "key"), NO_SLOTS, originNode, originClient);
  }

  /** Every key under {@code prefix} (an empty prefix covers every key). */
  public static Invalidation prefix(Cause cause, byte[] prefix) {
    return new Invalidation(
        cause, Scope.PREFIX, Objects.requireNonNull(prefix, "prefix"), NO_SLOTS, "", 0);
  }

  /** Every key of {@code slots} (each 0..16383). */
  public static Invalidation slots(Cause cause, int[] slots) {
    int[] copy = slots.clone();
    for (int slot : copy) {
      if (slot < 0 || slot >= Slots.SLOT_COUNT) {
        throw new IllegalArgumentException("slot out of range: " + slot);
      }
    }
    return new Invalidation(cause, Scope.SLOTS, EMPTY, copy, "", 0);
  }

  /** Every key. */
  public static Invalidation all(Cause cause) {
    return new Invalidation(cause, Scope.ALL, EMPTY, NO_SLOTS, "", 0);
  }

  /** Rebuilds an event read from the wire; the arguments are taken as they are. */
  public static Invalidation of(
      Cause cause, Scope scope, byte[] bytes, int[] slots, String originNode, long originClient) {
    Objects.requireNonNull(scope, "scope");
    return new Invalidation(cause, scope, bytes, slots, originNode, originClient);
  }

  public Cause cause() {
    return cause;
  }

  public Scope scope() {
    return scope;
  }

  /** The key ({@link Scope#KEY}), the prefix ({@link Scope#PREFIX}), else empty. */
  public byte[] bytes() {
    return bytes;
  }

  /** The slots ({@link Scope#SLOTS}), else empty. */
  public int[] slots() {
    return slots;
  }

  /** The node the change was requested through, or {@code ""}. */
  public String originNode() {
    return originNode;
  }

  /** The id of the client connection that made the change on {@link #originNode}, or 0. */
  public long originClient() {
    return originClient;
  }

  /** Whether this event covers {@code key}. */
  public boolean covers(byte[] key) {
    switch (scope) {
      case KEY:
        return Arrays.equals(bytes, key);
      case PREFIX:
        return startsWith(key, bytes);
      case SLOTS:
        return slotSet.get(Slots.slot(key));
      default:
        return true;
    }
  }

  /** Whether {@code key} starts with {@code prefix}. */
  public static boolean startsWith(byte[] key, byte[] prefix) {
    if (key.length < prefix.length) {
      return false;
    }
    return Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  @Override
  public String toString() {
    String target =
        switch (scope) {
          case KEY, PREFIX -> new String(bytes, StandardCharsets.UTF_8);
          case SLOTS -> slots.length + " slots";
          case ALL -> "*";
        };
    return cause + " " + scope + " " + target
        + (originClient != 0 ? " by client " + originClient + "@" + originNode : "");
  }
}
