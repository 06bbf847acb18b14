package io.distributedcache.resp.server;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * TLS on the client port, configured as Redis configures it: {@code tls-cert-file}, {@code
 * tls-key-file}, {@code tls-ca-cert-file} and {@code tls-auth-clients}. When set, the client port
 * speaks TLS only (there is no separate {@code tls-port}).
 *
 * @param certFile the server's certificate chain (PEM)
 * @param keyFile its private key (PEM, unencrypted PKCS#8)
 * @param caCertFile the CA that signs client certificates (PEM), or null when clients are not
 *     authenticated by certificate
 * @param authClients whether clients must present a certificate signed by {@code caCertFile}
 */
public record TlsSettings(Path certFile, Path keyFile, Path caCertFile, AuthClients authClients) {

  /** Redis' {@code tls-auth-clients}: client certificates required, ignored, or checked if sent. */
  public enum AuthClients {
    YES,
    NO,
    OPTIONAL;

    /**
     * Parses {@code yes}, {@code no} or {@code optional}, in any case.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static AuthClients parse(String text) {
      try {
        return valueOf(text.strip().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "tls-auth-clients must be yes, no or optional, not '" + text + "'", e);
      }
    }
  }

  /** Checks that the files are named and that client authentication has a CA to check against. */
  public TlsSettings {
    Objects.requireNonNull(certFile, "tls-cert-file");
    Objects.requireNonNull(keyFile, "tls-key-file");
    Objects.requireNonNull(authClients, "tls-auth-clients");
    if (caCertFile == null && authClients != AuthClients.NO) {
      throw new IllegalArgumentException(
          "tls-auth-clients " + authClients.name().toLowerCase(Locale.ROOT)
              + " needs tls-ca-cert-file (the CA that signs client certificates)");
    }
  }

  /**
   * The settings with Redis' default for {@code tls-auth-clients}: {@code yes} when a CA is given,
   * {@code no} otherwise.
   */
  public static TlsSettings of(Path certFile, Path keyFile, Path caCertFile) {
    return new TlsSettings(
        certFile, keyFile, caCertFile, caCertFile == null ? AuthClients.NO : AuthClients.YES);
  }

  /**
   * The server-side TLS context. Reads the files now, on the caller's thread.
   *
   * @throws IllegalStateException if a file cannot be read or does not hold what it should
   */
  public SslContext newServerContext() {
    try {
      SslContextBuilder builder = SslContextBuilder.forServer(certFile.toFile(), keyFile.toFile());
      if (caCertFile != null) {
        builder.trustManager(caCertFile.toFile());
      }
      builder.clientAuth(
          switch (authClients) {
            case YES -> ClientAuth.REQUIRE;
            case OPTIONAL -> ClientAuth.OPTIONAL;
            case NO -> ClientAuth.NONE;
          });
      return builder.build();
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "cannot set up TLS on the client port from tls-cert-file "
              + certFile
              + ", tls-key-file "
              + keyFile
              + (caCertFile == null ? "" : " and tls-ca-cert-file " + caCertFile)
              + ": "
              + e.getMessage(),
          e);
    }
  }
}
