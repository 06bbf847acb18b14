package io.distributedcache.core.invalidation;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.invalidation.Invalidation.Cause;
import io.distributedcache.core.storage.CacheStorage;
import io.distributedcache.core.storage.StorageSettings;
import io.distributedcache.core.storage.Subscription;
import io.distributedcache.core.time.ManualClock;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import org.junit.jupiter.api.Test;

/**
 * Seed bug 3 regression at the invalidation manager, the seed's own culprit: its callbacks were
 * lambdas capturing an owner that held the node, its peers and their storages, and were never
 * removed. Here a subscription is the only thing holding a listener, and closing it lets the
 * listener and everything it captured go.
 */
class SeedBug3InvalidationListenerLeakTest {

  private static final int CYCLES = 1_000_000;
  private static final long MAX_GROWTH_BYTES = 16L * 1024 * 1024;

  /** Stands in for a near cache or a node: an owner with state that captures itself. */
  static final class Owner {
    final byte[] state = new byte[1024];
    final Owner self = this;
    long seen;

    void onInvalidation(Invalidation event) {
      seen += state.length + self.state.length + event.cause().ordinal();
    }
  }

  @Test
  void aMillionRegisterCloseCyclesLeaveTheHeapFlat() {
    InvalidationManager manager =
        new InvalidationManager(
            new CacheStorage(StorageSettings.defaults(), new ManualClock(0, 0)));
    long delivered = 0;
    for (int i = 0; i < 10_000; i++) {
      manager.subscribe(new Owner()::onInvalidation).close();
    }
    long before = usedHeapAfterGc();
    for (int i = 0; i < CYCLES; i++) {
      Owner owner = new Owner();
      Subscription subscription = manager.subscribe(owner::onInvalidation);
      if (i % 100_000 == 0) {
        manager.announce(Invalidation.all(Cause.FLUSHED));
        delivered += owner.seen;
      }
      subscription.close();
    }
    long after = usedHeapAfterGc();
    assertThat(manager.listenerCount()).isZero();
    assertThat(delivered).as("listeners heard events while subscribed").isPositive();
    assertThat(after - before)
        .as("heap growth after %d cycles (before=%d, after=%d)", CYCLES, before, after)
        .isLessThan(MAX_GROWTH_BYTES);
  }

  @Test
  void aKeptSubscriptionHandleHoldsNeitherListenerNorManager() {
    InvalidationManager manager =
        new InvalidationManager(
            new CacheStorage(StorageSettings.defaults(), new ManualClock(0, 0)));
    Owner owner = new Owner();
    WeakReference<Owner> ownerRef = new WeakReference<>(owner);
    Subscription subscription = manager.subscribe(owner::onInvalidation);
    subscription.close();
    owner = null;
    WeakReference<InvalidationManager> managerRef = new WeakReference<>(manager);
    manager.close();
    manager = null;
    for (int i = 0; i < 20 && (ownerRef.get() != null || managerRef.get() != null); i++) {
      System.gc();
    }
    assertThat(ownerRef.get()).as("listener owner reachable after close").isNull();
    assertThat(managerRef.get()).as("manager reachable through a closed handle").isNull();
    assertThat(subscription).isNotNull();
  }

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
