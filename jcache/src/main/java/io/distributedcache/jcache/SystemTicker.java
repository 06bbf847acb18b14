package io.distributedcache.jcache;

import io.distributedcache.core.time.Ticker;

/**
 * The JCache provider's clock: {@link System#nanoTime()}. Every expiry time the provider keeps is a
 * reading of this ticker, never a wall-clock time, so that clock steps cannot move an expiry.
 *
 * <p>Thread-safe, never blocks, never throws.
 */
final class SystemTicker implements Ticker {

  static final SystemTicker INSTANCE = new SystemTicker();

  private SystemTicker() {}

  @Override
  public long read() {
    return System.nanoTime();
  }
}
