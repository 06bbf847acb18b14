package io.distributedcache.resp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.resp.server.TlsSettings.AuthClients;
import java.io.File;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.SslVerifyMode;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * TLS on the client port with a real client (Jedis over the JDK's TLS): a TLS client is served, a
 * plain one is closed, and with {@code tls-auth-clients yes} only a client whose certificate the
 * configured CA signed gets through.
 */
class TlsClientPortTest {

  @TempDir static Path dir;

  private static TestCertificates serverCa;
  private static TestCertificates otherCa;
  private static TestCertificates.Issued serverCert;
  private static TestCertificates.Issued clientCert;
  private static TestCertificates.Issued strangerCert;
  private static RespServer tlsOnly;
  private static RespServer mutual;

  @BeforeAll
  static void start() {
    serverCa = TestCertificates.authority(dir, "clients");
    otherCa = TestCertificates.authority(dir, "other");
    serverCert = serverCa.issue("server");
    clientCert = serverCa.issue("client");
    strangerCert = otherCa.issue("stranger");
    tlsOnly =
        server(TlsSettings.of(serverCert.cert(), serverCert.key(), null));
    mutual =
        server(
            new TlsSettings(serverCert.cert(), serverCert.key(), serverCa.caCert, AuthClients.YES));
  }

  @AfterAll
  static void stop() {
    if (tlsOnly != null) {
      tlsOnly.close();
    }
    if (mutual != null) {
      mutual.close();
    }
  }

  private static RespServer server(TlsSettings tls) {
    return RespServer.standalone(
            ServerSettings.defaults().withTls(tls),
            SystemClock.INSTANCE,
            SystemClock.INSTANCE,
            new SplittableRandom(3))
        .start();
  }

  @Test
  void aTlsClientIsServed() throws Exception {
    try (Jedis jedis = tlsClient(tlsOnly.port(), null)) {
      assertThat(jedis.set("greeting", "over tls")).isEqualTo("OK");
      assertThat(jedis.get("greeting")).isEqualTo("over tls");
    }
  }

  @Test
  void aPlainClientIsClosed() {
    // Jedis may connect in its constructor or on the first command: either must fail.
    assertThatThrownBy(
            () -> {
              try (Jedis jedis = new Jedis("127.0.0.1", tlsOnly.port(), 5_000)) {
                jedis.ping();
              }
            })
        .isInstanceOf(JedisConnectionException.class);
  }

  @Test
  void mutualTlsServesAClientWithACertificateOfTheCa() throws Exception {
    try (Jedis jedis = tlsClient(mutual.port(), serverCa.keyStore(clientCert))) {
      assertThat(jedis.ping()).isEqualTo("PONG");
    }
  }

  @Test
  void mutualTlsRefusesAClientWithoutACertificate() {
    assertThatThrownBy(
            () -> {
              try (Jedis jedis = tlsClient(mutual.port(), null)) {
                jedis.ping();
              }
            })
        .isInstanceOf(JedisConnectionException.class);
  }

  @Test
  void mutualTlsRefusesAClientWithAnotherCasCertificate() {
    assertThatThrownBy(
            () -> {
              try (Jedis jedis = tlsClient(mutual.port(), otherCa.keyStore(strangerCert))) {
                jedis.ping();
              }
            })
        .isInstanceOf(JedisConnectionException.class);
  }

  @Test
  void clientAuthenticationWithoutACaIsAConfigurationError() {
    assertThatThrownBy(
            () -> new TlsSettings(serverCert.cert(), serverCert.key(), null, AuthClients.YES))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tls-ca-cert-file");
    assertThat(AuthClients.parse(" Optional ")).isEqualTo(AuthClients.OPTIONAL);
    assertThatThrownBy(() -> AuthClients.parse("maybe"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aMissingCertificateFileFailsTheStart() {
    TlsSettings missing = TlsSettings.of(dir.resolve("nope.pem"), serverCert.key(), null);
    assertThatThrownBy(() -> server(missing))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("tls-cert-file");
  }

  /**
   * Jedis over TLS ({@link SslOptions}, the JDK's TLS underneath) trusting the server's CA, and
   * presenting {@code keyStore}'s key if not null.
   */
  private static Jedis tlsClient(int port, KeyStore keyStore) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(serverCa.caCert)) {
      trust.setCertificateEntry(
          "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    char[] pass = TestCertificates.PASS.toCharArray();
    SslOptions.Builder ssl =
        SslOptions.builder()
            .truststore(store(trust, "trust"), pass)
            .trustStoreType("PKCS12")
            .sslVerifyMode(SslVerifyMode.FULL);
    if (keyStore != null) {
      ssl.keystore(store(keyStore, "key"), pass).keyStoreType("PKCS12");
    }
    return new Jedis(
        new HostAndPort("127.0.0.1", port),
        DefaultJedisClientConfig.builder()
            .sslOptions(ssl.build())
            .socketTimeoutMillis(5_000)
            .build());
  }

  private static File store(KeyStore keyStore, String what) throws Exception {
    Path file = Files.createTempFile(dir, what, ".p12");
    try (OutputStream out = Files.newOutputStream(file)) {
      keyStore.store(out, TestCertificates.PASS.toCharArray());
    }
    return file.toFile();
  }
}
