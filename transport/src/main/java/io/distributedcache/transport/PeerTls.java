package io.distributedcache.transport;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The TLS contexts of a cluster port with mutual authentication: every node presents its
 * certificate in both directions, and accepts only peers whose certificate the cluster's CA
 * signed. Pass them to {@link NettyPeerTransport.Builder#tls}.
 *
 * <p>Peers are identified by their certificate's issuer, not by host name: host name verification
 * is off, because members are addressed by IP and port and a certificate per address would make
 * moving a node a certificate change. What keeps out a node that is not a member is the CA (and
 * the cluster secret, if one is set).
 *
 * @param server for connections peers dial to this node; requires a client certificate
 * @param client for connections this node dials; presents this node's certificate
 */
public record PeerTls(SslContext server, SslContext client) {

  public PeerTls {
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(client, "client");
  }

  /**
   * Contexts from PEM files, as Redis' {@code tls-cert-file}, {@code tls-key-file} and {@code
   * tls-ca-cert-file} name them. Reads the files now; the caller's thread.
   *
   * @param certFile this node's certificate chain (PEM)
   * @param keyFile its private key (PEM, PKCS#8, unencrypted)
   * @param caCertFile the CA that signed every member's certificate (PEM)
   * @throws IllegalArgumentException if a file cannot be read or does not hold what it should
   */
  public static PeerTls fromPem(Path certFile, Path keyFile, Path caCertFile) {
    try {
      SslContext server =
          SslContextBuilder.forServer(certFile.toFile(), keyFile.toFile())
              .trustManager(caCertFile.toFile())
              .clientAuth(ClientAuth.REQUIRE)
              .build();
      SslContext client =
          SslContextBuilder.forClient()
              .keyManager(certFile.toFile(), keyFile.toFile())
              .trustManager(caCertFile.toFile())
              .endpointIdentificationAlgorithm(null)
              .build();
      return new PeerTls(server, client);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "cannot set up TLS for the cluster port from "
              + certFile
              + ", "
              + keyFile
              + " and CA "
              + caCertFile
              + ": "
              + e.getMessage(),
          e);
    }
  }
}
