package io.distributedcache.core.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.time.ManualClock;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Seed bug 3 regression: the prototype registered storage callbacks as lambdas capturing their
 * owner and never removed them, so every registration leaked its owner. Here a listener lives only
 * in the storage's own registry until its subscription is closed.
 */
class SeedBug3ListenerLeakTest {

  private static final int CYCLES = 1_000_000;
  private static final long MAX_GROWTH_BYTES = 16L * 1024 * 1024;

  /** Stands in for an owner such as an invalidation manager: about 1 KB of state. */
  static final class Owner {
    final byte[] payload = new byte[1024];
    long seen;

    void onEvent(KeyEvent event, ByteKey key) {
      seen += payload.length + event.ordinal() + key.length();
    }
  }

  @Test
  void aMillionRegisterCloseCyclesLeaveTheHeapFlat() {
    CacheStorage storage = new CacheStorage(StorageSettings.defaults(), new ManualClock(0, 0));
    AtomicLong delivered = new AtomicLong();
    // Warm up so that class loading and JIT allocations are not counted.
    for (int i = 0; i < 10_000; i++) {
      Owner owner = new Owner();
      storage.subscribe(owner::onEvent).close();
    }
    long before = usedHeapAfterGc();
    for (int i = 0; i < CYCLES; i++) {
      Owner owner = new Owner();
      Subscription subscription = storage.subscribe(owner::onEvent);
      if (i % 100_000 == 0) {
        storage.put(ByteKey.of("k"), VersionedValue.of(new byte[1], i));
        delivered.addAndGet(owner.seen);
      }
      subscription.close();
    }
    long after = usedHeapAfterGc();
    assertThat(storage.listenerCount()).isZero();
    assertThat(delivered.get()).as("listeners were live while subscribed").isPositive();
    assertThat(after - before)
        .as(
            "heap growth after %d register/close cycles (before=%d, after=%d)",
            CYCLES, before, after)
        .isLessThan(MAX_GROWTH_BYTES);
  }

  @Test
  void aClosedListenerAndItsOwnerBecomeUnreachable() {
    CacheStorage storage = new CacheStorage(StorageSettings.defaults(), new ManualClock(0, 0));
    Owner owner = new Owner();
    WeakReference<Owner> ref = new WeakReference<>(owner);
    // The caller keeps the subscription handle forever: closing must still release the owner.
    Subscription subscription = storage.subscribe(owner::onEvent);
    storage.put(ByteKey.of("k"), VersionedValue.of(new byte[1], 1));
    assertThat(owner.seen).isPositive();
    subscription.close();
    owner = null;
    for (int i = 0; i < 20 && ref.get() != null; i++) {
      System.gc();
    }
    assertThat(ref.get()).as("owner still reachable after close").isNull();
    assertThat(subscription).isNotNull();
  }

  @Test
  void aClosedListenerGetsNoFurtherEvents() {
    CacheStorage storage = new CacheStorage(StorageSettings.defaults(), new ManualClock(0, 0));
    AtomicLong calls = new AtomicLong();
    Subscription subscription = storage.subscribe((event, key) -> calls.incrementAndGet());
    storage.put(ByteKey.of("a"), VersionedValue.of(new byte[1], 1));
    assertThat(calls.get()).isEqualTo(1);
    subscription.close();
    storage.put(ByteKey.of("a"), VersionedValue.of(new byte[1], 2));
    storage.delete(ByteKey.of("a"), 3);
    assertThat(calls.get()).isEqualTo(1);
  }

  private static long usedHeapAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
