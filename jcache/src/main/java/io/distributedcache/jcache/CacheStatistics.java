package io.distributedcache.jcache;

import java.util.concurrent.atomic.LongAdder;
import javax.cache.management.CacheStatisticsMXBean;

/**
 * The counters of one cache, exposed as the standard {@code CacheStatistics} MXBean.
 *
 * <p>The cache records into it only while statistics are enabled. Times are accumulated in
 * nanoseconds and reported, as the MXBean requires, as averages in microseconds. Thread-safe and
 * lock-free; the figures of a concurrent snapshot may be mutually off by the operations in flight.
 */
final class CacheStatistics implements CacheStatisticsMXBean {

  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder puts = new LongAdder();
  private final LongAdder removals = new LongAdder();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder getNanos = new LongAdder();
  private final LongAdder putNanos = new LongAdder();
  private final LongAdder removeNanos = new LongAdder();

  void hits(long count) {
    hits.add(count);
  }

  void misses(long count) {
    misses.add(count);
  }

  void puts(long count) {
    puts.add(count);
  }

  void removals(long count) {
    removals.add(count);
  }

  void getTime(long nanos) {
    getNanos.add(nanos);
  }

  void putTime(long nanos) {
    putNanos.add(nanos);
  }

  void removeTime(long nanos) {
    removeNanos.add(nanos);
  }

  @Override
  public void clear() {
    hits.reset();
    misses.reset();
    puts.reset();
    removals.reset();
    evictions.reset();
    getNanos.reset();
    putNanos.reset();
    removeNanos.reset();
  }

  @Override
  public long getCacheHits() {
    return hits.sum();
  }

  @Override
  public float getCacheHitPercentage() {
    return percentOfGets(getCacheHits());
  }

  @Override
  public long getCacheMisses() {
    return misses.sum();
  }

  @Override
  public float getCacheMissPercentage() {
    return percentOfGets(getCacheMisses());
  }

  @Override
  public long getCacheGets() {
    return hits.sum() + misses.sum();
  }

  @Override
  public long getCachePuts() {
    return puts.sum();
  }

  @Override
  public long getCacheRemovals() {
    return removals.sum();
  }

  /** Always 0: the node-local store is unbounded, so nothing is evicted. */
  @Override
  public long getCacheEvictions() {
    return evictions.sum();
  }

  @Override
  public float getAverageGetTime() {
    return averageMicros(getNanos.sum(), getCacheGets());
  }

  @Override
  public float getAveragePutTime() {
    return averageMicros(putNanos.sum(), getCachePuts());
  }

  @Override
  public float getAverageRemoveTime() {
    return averageMicros(removeNanos.sum(), getCacheRemovals());
  }

  /** {@code count} as a percentage of all gets; 0 before the first get. */
  private float percentOfGets(long count) {
    long gets = getCacheGets();
    return gets == 0 ? 0 : (float) count / gets * 100.0f;
  }

  private static float averageMicros(long totalNanos, long count) {
    return count == 0 ? 0 : (float) totalNanos / count / 1000.0f;
  }
}
