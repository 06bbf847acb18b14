package io.distributedcache.resp.server;

import io.distributedcache.resp.codec.RespLimits;
import java.util.Objects;

/**
 * What the RESP server needs to know about its configuration. Built by the server module from flags,
 * a config file and defaults; these are the values {@code CONFIG GET} and {@code INFO} report.
 *
 * @param bindAddress the address to listen on (127.0.0.1 by default)
 * @param port the TCP port; 0 picks a free one (the bound port is then in {@link RespServer#port()})
 * @param requirePass the password of the default user, or empty for none
 * @param maxMemoryBytes the storage bound in bytes, 0 for unbounded
 * @param limits input limits for authenticated connections
 * @param ioThreads Netty event-loop threads; 0 means one per available processor
 * @param configFile the config file the values came from, or empty
 * @param tls TLS on the client port (which then speaks TLS only), or null for plain TCP
 */
public record ServerSettings(
    String bindAddress,
    int port,
    String requirePass,
    long maxMemoryBytes,
    RespLimits limits,
    int ioThreads,
    String configFile,
    TlsSettings tls) {

  /** Settings of a plain-TCP client port. */
  public ServerSettings(
      String bindAddress,
      int port,
      String requirePass,
      long maxMemoryBytes,
      RespLimits limits,
      int ioThreads,
      String configFile) {
    this(bindAddress, port, requirePass, maxMemoryBytes, limits, ioThreads, configFile, null);
  }

  public ServerSettings {
    Objects.requireNonNull(bindAddress, "bindAddress");
    Objects.requireNonNull(requirePass, "requirePass");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(configFile, "configFile");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be in 0..65535: " + port);
    }
    if (maxMemoryBytes < 0) {
      throw new IllegalArgumentException("maxmemory must not be negative: " + maxMemoryBytes);
    }
    if (ioThreads < 0) {
      throw new IllegalArgumentException("io-threads must not be negative: " + ioThreads);
    }
  }

  /** Defaults for tests: loopback, a free port, no password, unbounded memory. */
  public static ServerSettings defaults() {
    return new ServerSettings("127.0.0.1", 0, "", 0, RespLimits.defaults(), 0, "");
  }

  public ServerSettings withPort(int newPort) {
    return new ServerSettings(
        bindAddress, newPort, requirePass, maxMemoryBytes, limits, ioThreads, configFile, tls);
  }

  public ServerSettings withRequirePass(String password) {
    return new ServerSettings(
        bindAddress, port, password, maxMemoryBytes, limits, ioThreads, configFile, tls);
  }

  /** These settings with TLS on the client port ({@code null}: plain TCP). */
  public ServerSettings withTls(TlsSettings newTls) {
    return new ServerSettings(
        bindAddress, port, requirePass, maxMemoryBytes, limits, ioThreads, configFile, newTls);
  }

  public boolean tlsEnabled() {
    return tls != null;
  }

  public boolean passwordRequired() {
    return !requirePass.isEmpty();
  }
}
