package io.distributedcache.core.arch.canary;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Test-only: breaks every sans-I/O rule so that {@code CoreIsSansIoTest} can prove its rules still
 * catch violations. Never called.
 */
public final class ViolatesEveryRule {

  private ViolatesEveryRule() {}

  static long everything() {
    long sum = System.nanoTime() + System.currentTimeMillis() + Instant.now().toEpochMilli();
    sum += Clock.systemUTC().millis();
    sum += new Random().nextInt() + ThreadLocalRandom.current().nextInt() + (long) Math.random();
    sum += new InetSocketAddress(0).getPort();
    Executors.newSingleThreadExecutor().shutdown();
    sum += Thread.currentThread().getId();
    return sum;
  }
}
