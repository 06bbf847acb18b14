package io.distributedcache.core.invalidation;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.invalidation.Invalidation.Cause;
import io.distributedcache.core.invalidation.Invalidation.Scope;
import io.distributedcache.core.storage.ByteKey;
import io.distributedcache.core.storage.CacheStorage;
import io.distributedcache.core.storage.StorageSettings;
import io.distributedcache.core.storage.Subscription;
import io.distributedcache.core.storage.VersionedValue;
import io.distributedcache.core.time.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InvalidationManagerTest {

  private final ManualClock clock = new ManualClock(0, 0);
  private final CacheStorage storage = new CacheStorage(StorageSettings.defaults(), clock);
  private final InvalidationManager manager = new InvalidationManager(storage);

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void expiryReachesListenersAndOnlyPrimaryExpiriesAreBroadcast() {
    List<Invalidation> seen = new ArrayList<>();
    manager.subscribe(seen::add);
    int primarySlot = ByteKey.of("a").slot();
    manager.broadcastTo(slot -> slot == primarySlot, what -> null);
    long deadline = VersionedValue.deadlineAfter(clock.read(), Duration.ofSeconds(1).toNanos());
    storage.put(ByteKey.of("a"), new VersionedValue(b("1"), 1, deadline));
    storage.put(ByteKey.of("b{x}"), new VersionedValue(b("1"), 1, deadline));
    clock.advance(Duration.ofSeconds(2));
    storage.runMaintenance();

    assertThat(seen).extracting(Invalidation::cause).containsOnly(Cause.EXPIRED);
    assertThat(seen).hasSize(2);
    List<Invalidation> outgoing = manager.drainOutgoing();
    assertThat(outgoing).hasSize(1);
    assertThat(outgoing.get(0).covers(b("a"))).isTrue();
  }

  @Test
  void writesAreNotReportedFromStorageEventsButFromTheWritePath() {
    List<Invalidation> seen = new ArrayList<>();
    manager.subscribe(seen::add);
    storage.put(ByteKey.of("a"), VersionedValue.of(b("1"), 1));
    assertThat(seen).isEmpty();
    manager.announce(Invalidation.key(Cause.WRITTEN, b("a"), "n1", 7));
    assertThat(seen).singleElement().satisfies(
        e -> {
          assertThat(e.scope()).isEqualTo(Scope.KEY);
          assertThat(e.originNode()).isEqualTo("n1");
          assertThat(e.originClient()).isEqualTo(7);
        });
    assertThat(manager.drainOutgoing()).as("standalone: nothing to broadcast").isEmpty();
  }

  @Test
  void announcementsAreQueuedForPeersOnceBroadcasting() {
    manager.broadcastTo(slot -> true, what -> null);
    manager.announce(Invalidation.key(Cause.DELETED, b("k")));
    manager.announce(Invalidation.prefix(Cause.INVALIDATED, b("user:")));
    assertThat(manager.drainOutgoing()).extracting(Invalidation::scope)
        .containsExactly(Scope.KEY, Scope.PREFIX);
    assertThat(manager.drainOutgoing()).isEmpty();
  }

  @Test
  void aQueueThatOverflowsCollapsesIntoOneFlush() {
    manager.broadcastTo(slot -> true, what -> null);
    for (int i = 0; i <= InvalidationManager.MAX_OUTGOING; i++) {
      manager.announce(Invalidation.key(Cause.WRITTEN, b("k" + i)));
    }
    List<Invalidation> batch = manager.drainOutgoing();
    assertThat(batch).hasSize(1);
    assertThat(batch.get(0).scope()).isEqualTo(Scope.ALL);
  }

  @Test
  void standaloneInvalidationRemovesFromTheStorageAndTellsListeners() {
    List<Invalidation> seen = new ArrayList<>();
    manager.subscribe(seen::add);
    storage.put(ByteKey.of("user:1"), VersionedValue.of(b("1"), 1));
    storage.put(ByteKey.of("user:2"), VersionedValue.of(b("1"), 1));
    storage.put(ByteKey.of("order:1"), VersionedValue.of(b("1"), 1));

    manager.invalidatePrefix(b("user:")).join();
    assertThat(storage.getLive(ByteKey.of("user:1"))).isNull();
    assertThat(storage.getLive(ByteKey.of("user:2"))).isNull();
    assertThat(storage.getLive(ByteKey.of("order:1"))).isNotNull();

    manager.invalidate(b("order:1")).join();
    assertThat(storage.getLive(ByteKey.of("order:1"))).isNull();

    storage.put(ByteKey.of("x"), VersionedValue.of(b("1"), 1));
    manager.invalidateAll().join();
    assertThat(storage.size()).isZero();
    assertThat(seen).extracting(Invalidation::scope)
        .containsExactly(Scope.PREFIX, Scope.KEY, Scope.ALL);
  }

  @Test
  void coversMatchesKeysPrefixesSlotsAndAll() {
    byte[] key = b("user:42");
    assertThat(Invalidation.key(Cause.WRITTEN, key).covers(key)).isTrue();
    assertThat(Invalidation.key(Cause.WRITTEN, key).covers(b("user:4"))).isFalse();
    assertThat(Invalidation.prefix(Cause.INVALIDATED, b("user:")).covers(key)).isTrue();
    assertThat(Invalidation.prefix(Cause.INVALIDATED, b("users")).covers(key)).isFalse();
    int slot = ByteKey.of(key).slot();
    assertThat(Invalidation.slots(Cause.OWNER_CHANGED, new int[] {slot}).covers(key)).isTrue();
    assertThat(Invalidation.slots(Cause.OWNER_CHANGED, new int[] {(slot + 1) % 16384}).covers(key))
        .isFalse();
    assertThat(Invalidation.all(Cause.FLUSHED).covers(key)).isTrue();
  }

  @Test
  void aThrowingListenerIsCountedAndOthersStillHear() {
    List<Invalidation> seen = new ArrayList<>();
    manager.subscribe(e -> {
      throw new IllegalStateException("boom");
    });
    manager.subscribe(seen::add);
    manager.announce(Invalidation.all(Cause.FLUSHED));
    assertThat(seen).hasSize(1);
    assertThat(manager.listenerFailures()).isEqualTo(1);
  }

  @Test
  void closingASubscriptionStopsDeliveryAndIsIdempotent() {
    List<Invalidation> seen = new ArrayList<>();
    Subscription s = manager.subscribe(seen::add);
    s.close();
    s.close();
    manager.announce(Invalidation.all(Cause.FLUSHED));
    assertThat(seen).isEmpty();
    assertThat(manager.listenerCount()).isZero();
  }
}
