package io.distributedcache.bench;

import java.io.IOException;

/** The peer sent bytes that are not a RESP2 reply; the connection cannot be used any more. */
public final class RespProtocolException extends IOException {

  private static final long serialVersionUID = 1L;

  /** An exception whose message says what was wrong with the bytes. */
  public RespProtocolException(String message) {
    super(message);
  }
}
