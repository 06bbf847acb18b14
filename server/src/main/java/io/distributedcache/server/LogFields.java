package io.distributedcache.server;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.distributedcache.embedded.internal.LogContext;

/**
 * Logback conversion words for the fields every log line carries: {@code %node} (the node id) and
 * {@code %epoch} (the ring epoch it applied last), so that lines from several nodes' logs can be
 * merged and still say who and when. Declared in {@code logback.xml}; called by Logback on the
 * logging thread.
 */
public final class LogFields {

  private LogFields() {}

  /** {@code %node}. */
  public static final class Node extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
      return LogContext.nodeId();
    }
  }

  /** {@code %epoch}. */
  public static final class Epoch extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
      return Long.toString(LogContext.epoch());
    }
  }
}
