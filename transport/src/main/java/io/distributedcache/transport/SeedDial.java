package io.distributedcache.transport;

import io.netty.channel.Channel;
import java.util.concurrent.Future;

/**
 * A dial to an address whose node id we do not know yet ({@code --join host:port}): it retries with
 * the usual backoff until the node there answers with its Hello, whose id makes it a peer (the
 * connection then becomes that peer's outbound connection), or until the address belongs to a
 * known peer anyway, or until the transport closes.
 *
 * <p>Mutable fields are guarded by the instance's monitor, as in {@link PeerLink}.
 */
final class SeedDial {

  final String host;
  final int port;

  /** The channel of the current attempt, from dial to close or adoption; null between attempts. */
  Channel channel;

  /** Connection attempts so far. */
  long attempts;

  /** Attempts since the last one that completed a Hello; drives the backoff. */
  int consecutiveFailures;

  /** The scheduled redial, or null. */
  Future<?> redial;

  /** Set once the id is learned (or the address became a known peer's); no more attempts. */
  boolean done;

  SeedDial(String host, int port) {
    this.host = host;
    this.port = port;
  }

  /** {@code host:port}, with an IPv6 host in brackets. */
  String address() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
