package io.distributedcache.resp.server;

import io.distributedcache.core.time.Ticker;
import io.distributedcache.core.time.WallClock;

/** The real clocks, for production: {@link System#nanoTime()} and {@link System#currentTimeMillis()}. */
public final class SystemClock implements Ticker, WallClock {

  public static final SystemClock INSTANCE = new SystemClock();

  private SystemClock() {}

  @Override
  public long read() {
    return System.nanoTime();
  }

  @Override
  public long currentTimeMillis() {
    return System.currentTimeMillis();
  }
}
