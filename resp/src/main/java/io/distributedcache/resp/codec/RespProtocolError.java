package io.distributedcache.resp.codec;

import java.util.Objects;

/**
 * The message {@link RespDecoder} passes down the pipeline, once, when a client's request breaks
 * the protocol or a {@link RespLimits limit}. The decoder discards all later input of that
 * channel; the handler is expected to reply {@code "-ERR " + message} (as Redis does: {@code
 * -ERR Protocol error: invalid bulk length}) and close the connection once the reply is flushed.
 *
 * @param message the text of the error without the error code and without CRLF, e.g. {@code
 *     "Protocol error: invalid bulk length"}; never null
 */
public record RespProtocolError(String message) {

  /**
   * @throws NullPointerException if {@code message} is null
   */
  public RespProtocolError {
    Objects.requireNonNull(message, "message");
  }
}
