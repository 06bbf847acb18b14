package io.distributedcache.transport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority and the certificates it signs, made with the JDK's {@code
 * keytool} (no BouncyCastle): PEM files as a node is configured with them ({@code tls-cert-file},
 * {@code tls-key-file} as unencrypted PKCS#8, {@code tls-ca-cert-file}). EC P-256 keys, valid for
 * two days, with subject alternative names 127.0.0.1 and localhost.
 */
final class TestCertificates {

  private static final String PASS = "test-pass";

  private final Path dir;
  private final String name;

  /** The CA's certificate (PEM). */
  final Path caCert;

  private TestCertificates(Path dir, String name, Path caCert) {
    this.dir = dir;
    this.name = name;
    this.caCert = caCert;
  }

  /** A new CA called {@code name} whose files live in {@code dir}. One keytool run. */
  static TestCertificates authority(Path dir, String name) {
    Path store = dir.resolve(name + "-ca.p12");
    keytool(
        "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=" + name, "-ext", "bc:c", "-validity", "2",
        "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASS);
    Path caCert = dir.resolve(name + "-ca.pem");
    try {
      Files.writeString(
          caCert, pem("CERTIFICATE", load(store).getCertificate("ca").getEncoded()),
          StandardCharsets.US_ASCII);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot export the CA certificate of " + store, e);
    }
    return new TestCertificates(dir, name, caCert);
  }

  /** A certificate and key signed by this CA. */
  record Issued(Path cert, Path key) {}

  /**
   * Issues a certificate for {@code cn}, usable as TLS server and client (one keytool run: {@code
   * -genkeypair -signer}, JDK 15+).
   */
  Issued issue(String cn) {
    Path store = dir.resolve(name + "-ca.p12");
    keytool(
        "-genkeypair", "-alias", cn, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=" + cn, "-signer", "ca", "-validity", "2",
        "-ext", "san=ip:127.0.0.1,dns:localhost", "-ext", "eku=serverAuth,clientAuth",
        "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASS);
    Path cert = dir.resolve(name + "-" + cn + ".pem");
    Path key = dir.resolve(name + "-" + cn + "-key.pem");
    try {
      KeyStore ks = load(store);
      StringBuilder chain = new StringBuilder();
      for (Certificate c : ks.getCertificateChain(cn)) {
        chain.append(pem("CERTIFICATE", c.getEncoded()));
      }
      Files.writeString(cert, chain, StandardCharsets.US_ASCII);
      // getEncoded() of a private key is its PKCS#8 form.
      PrivateKey privateKey = (PrivateKey) ks.getKey(cn, PASS.toCharArray());
      Files.writeString(key, pem("PRIVATE KEY", privateKey.getEncoded()), StandardCharsets.US_ASCII);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot export " + cn + " from " + store, e);
    }
    return new Issued(cert, key);
  }

  private static KeyStore load(Path store) throws IOException, GeneralSecurityException {
    try (InputStream in = Files.newInputStream(store)) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, PASS.toCharArray());
      return ks;
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  private static void keytool(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.add("-noprompt");
    command.addAll(List.of(args));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException("keytool failed: " + command + "\n" + output);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run keytool", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running keytool", e);
    }
  }
}
