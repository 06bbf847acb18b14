package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three real nodes with TLS everywhere and a cluster secret: {@code --tls-cluster yes} (mutual TLS
 * on the cluster port, certificates of one CA), {@code --cluster-secret-file}, and the client port
 * TLS-only with client certificates required. Clients are the stock {@code redis-cli --tls}.
 * Certificates are made by the JDK's {@code keytool} in a temporary directory.
 */
class TlsIT {

  private static final Path REDIS_CLI = Path.of("/usr/bin/redis-cli");
  private static final Duration CLI_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration HEALTHY_TIMEOUT = Duration.ofSeconds(90);
  private static final int NODES = 3;

  private static Path dir;
  private static Certificates ca;
  private static Certificates.Issued node;
  private static Certificates.Issued client;
  private static Path secretFile;
  private static final Set<Integer> ports = new HashSet<>();
  private static final Map<String, int[]> nodePorts = new LinkedHashMap<>();
  private static final Map<String, ServerProcess> processes = new LinkedHashMap<>();

  @BeforeAll
  static void startCluster() throws IOException {
    assumeFalse(ServerProcess.referenceMode(), "cluster mode is DistributedCache's own");
    assumeTrue(Files.isExecutable(REDIS_CLI), "/usr/bin/redis-cli is not installed");
    dir = Files.createTempDirectory("distributedcache-tls-it-");
    ca = Certificates.authority(dir, "cluster");
    node = ca.issue("node");
    client = ca.issue("client");
    secretFile = dir.resolve("cluster-secret");
    Files.writeString(secretFile, "it-is-a-secret-to-everybody\n", StandardCharsets.UTF_8);
    StringBuilder members = new StringBuilder();
    for (int i = 1; i <= NODES; i++) {
      int[] pair = {distinctFreePort(), distinctFreePort()};
      nodePorts.put("n" + i, pair);
      members.append(i == 1 ? "" : ",").append('n').append(i).append("@127.0.0.1:");
      members.append(pair[1]);
    }
    for (String id : nodePorts.keySet()) {
      List<String> args = nodeArgs(id, secretFile);
      args.addAll(List.of("--members", members.toString(), "--replication-factor", "3"));
      processes.put(id, ServerProcess.launch(args, nodePorts.get(id)[0]));
    }
    for (Map.Entry<String, ServerProcess> e : processes.entrySet()) {
      assertThat(e.getValue().awaitReady(ServerProcess.START_TIMEOUT))
          .as("%s ready; output:%n%s", e.getKey(), allOutput())
          .isTrue();
    }
    awaitCondition(
        "every node to reach the other two over TLS with the secret",
        () ->
            nodePorts.keySet().stream()
                .allMatch(
                    id -> {
                      Map<String, String> info = infoCluster(id);
                      String all = Integer.toString(NODES);
                      return all.equals(info.get("members_reachable"))
                          && all.equals(info.get("members_active"))
                          && "0".equals(info.get("slots_not_ready"));
                    }));
    // Members with the same secret and CA never fail each other's authentication.
    for (String id : nodePorts.keySet()) {
      assertThat(infoCluster(id))
          .as("%s INFO cluster; output:%n%s", id, allOutput())
          .containsEntry("peer_auth_failures", "0");
    }
  }

  @AfterAll
  static void stopCluster() {
    processes.values().forEach(ServerProcess::close);
    if (dir != null) {
      try (Stream<Path> paths = Files.walk(dir)) {
        for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(path);
        }
      } catch (IOException e) {
        System.err.println("[TlsIT] could not delete " + dir + ": " + e);
      }
    }
  }

  private static List<String> nodeArgs(String id, Path secret) {
    int[] pair = nodePorts.get(id);
    return new ArrayList<>(
        List.of(
            "server",
            "--port", Integer.toString(pair[0]),
            "--bind", ServerProcess.LOOPBACK,
            "--node-id", id,
            "--cluster-port", Integer.toString(pair[1]),
            "--data-dir", dir.resolve("data-" + id).toString(),
            "--tls-cert-file", node.cert().toString(),
            "--tls-key-file", node.key().toString(),
            "--tls-ca-cert-file", ca.caCert.toString(),
            "--tls-cluster", "yes",
            "--cluster-secret-file", secret.toString()));
  }

  @Test
  void writesReplicateOverAuthenticatedTlsPeerLinks() {
    assertThat(cli("n1", "SET", "tls:k", "sealed").stdout()).isEqualTo("OK\n");
    // QUORUM reads through the other nodes: the value crossed the TLS peer links.
    assertThat(cli("n2", "GET", "tls:k").stdout()).isEqualTo("sealed\n");
    assertThat(cli("n3", "GET", "tls:k").stdout()).isEqualTo("sealed\n");
  }

  @Test
  void aPlainClientGetsNoAnswer() {
    CommandRunner.Result plain =
        CommandRunner.run(
            List.of(REDIS_CLI.toString(), "-h", "127.0.0.1", "-p", port("n1"), "PING"),
            "",
            CLI_TIMEOUT);
    assertThat(plain.stdout()).doesNotContain("PONG");
  }

  @Test
  void aTlsClientWithoutACertificateIsRefused() {
    CommandRunner.Result noCert =
        CommandRunner.run(
            List.of(
                REDIS_CLI.toString(), "-h", "127.0.0.1", "-p", port("n1"),
                "--tls", "--cacert", ca.caCert.toString(), "PING"),
            "",
            CLI_TIMEOUT);
    assertThat(noCert.stdout()).doesNotContain("PONG");
  }

  @Test
  void aNodeWithTheWrongSecretNeverJoins() throws IOException {
    Path wrongSecret = dir.resolve("wrong-secret");
    Files.writeString(wrongSecret, "not-the-secret\n", StandardCharsets.UTF_8);
    nodePorts.put("n4", new int[] {distinctFreePort(), distinctFreePort()});
    List<String> args = nodeArgs("n4", wrongSecret);
    args.addAll(List.of("--join", "127.0.0.1:" + nodePorts.get("n1")[1]));
    ServerProcess intruder = ServerProcess.launch(args, nodePorts.get("n4")[0]);
    processes.put("n4", intruder);
    try {
      awaitCondition(
          "n1 to refuse n4's handshakes",
          () -> Long.parseLong(infoCluster("n1").getOrDefault("peer_auth_failures", "0")) > 0);
      // A joiner opens its client port once it knows the layout: it never does.
      assertThat(intruder.awaitReady(Duration.ofSeconds(10))).as(intruder.allOutput()).isFalse();
      for (int i = 1; i <= NODES; i++) {
        Map<String, String> info = infoCluster("n" + i);
        assertThat(info).as("n%d INFO cluster", i).containsEntry("members_active", "3");
        assertThat(info).containsEntry("members_joining", "0");
      }
      assertThat(cli("n1", "CLUSTER", "NODES").stdout()).doesNotContain(port("n4"));
      assertThat(intruder.allOutput()).contains("wrong cluster-secret proof");
    } finally {
      intruder.close();
      processes.remove("n4");
      nodePorts.remove("n4");
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static String port(String id) {
    return Integer.toString(nodePorts.get(id)[0]);
  }

  /** {@code redis-cli --tls} with the client certificate, to node {@code id}; must exit 0. */
  private static CommandRunner.Result cli(String id, String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                REDIS_CLI.toString(), "-h", "127.0.0.1", "-p", port(id),
                "--tls", "--cacert", ca.caCert.toString(),
                "--cert", client.cert().toString(), "--key", client.key().toString()));
    cmd.addAll(List.of(args));
    CommandRunner.Result result = CommandRunner.run(cmd, "", CLI_TIMEOUT);
    assertThat(result.exitCode()).as("%s", result).isZero();
    return result;
  }

  private static Map<String, String> infoCluster(String id) {
    Map<String, String> info = new LinkedHashMap<>();
    for (String line : cli(id, "INFO", "cluster").stdout().split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith("#")) {
        info.put(line.substring(0, colon), line.substring(colon + 1).strip());
      }
    }
    return info;
  }

  private static void awaitCondition(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + HEALTHY_TIMEOUT.toNanos();
    while (true) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (AssertionError | RuntimeException e) {
        // not up yet (a node still starting refuses connections): poll again
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "timed out after " + HEALTHY_TIMEOUT + " waiting for " + what + "\n" + allOutput());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
    }
  }

  private static int distinctFreePort() {
    while (true) {
      int port = ServerProcess.freePort();
      if (ports.add(port)) {
        return port;
      }
    }
  }

  private static String allOutput() {
    StringBuilder out = new StringBuilder();
    processes.forEach(
        (id, p) -> out.append("---- ").append(id).append('\n').append(p.allOutput()));
    return out.toString();
  }

  /**
   * A throw-away CA and the certificates it signs, made with the JDK's {@code keytool} (no
   * BouncyCastle): PEM files as the server's {@code --tls-*-file} flags take them, EC P-256 keys,
   * subject alternative names 127.0.0.1 and localhost, valid for two days.
   */
  private static final class Certificates {
    private static final String PASS = "test-pass";

    private final Path store;
    private final Path dir;
    final Path caCert;

    private Certificates(Path store, Path dir, Path caCert) {
      this.store = store;
      this.dir = dir;
      this.caCert = caCert;
    }

    record Issued(Path cert, Path key) {}

    static Certificates authority(Path dir, String name) {
      Path store = dir.resolve(name + "-ca.p12");
      keytool(
          "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
          "-dname", "CN=" + name, "-ext", "bc:c", "-validity", "2",
          "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASS);
      Path caCert = dir.resolve(name + "-ca.pem");
      try {
        byte[] der = load(store).getCertificate("ca").getEncoded();
        Files.writeString(caCert, pem("CERTIFICATE", der));
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalStateException("cannot export the CA certificate", e);
      }
      return new Certificates(store, dir, caCert);
    }

    /** A certificate for {@code cn} signed by this CA ({@code keytool -genkeypair -signer}). */
    Issued issue(String cn) {
      keytool(
          "-genkeypair", "-alias", cn, "-keyalg", "EC", "-groupname", "secp256r1",
          "-dname", "CN=" + cn, "-signer", "ca", "-validity", "2",
          "-ext", "san=ip:127.0.0.1,dns:localhost", "-ext", "eku=serverAuth,clientAuth",
          "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASS);
      Path cert = dir.resolve(cn + ".pem");
      Path key = dir.resolve(cn + "-key.pem");
      try {
        KeyStore ks = load(store);
        StringBuilder chain = new StringBuilder();
        for (Certificate c : ks.getCertificateChain(cn)) {
          chain.append(pem("CERTIFICATE", c.getEncoded()));
        }
        Files.writeString(cert, chain);
        // getEncoded() of a private key is its PKCS#8 form, what --tls-key-file reads.
        PrivateKey privateKey = (PrivateKey) ks.getKey(cn, PASS.toCharArray());
        Files.writeString(key, pem("PRIVATE KEY", privateKey.getEncoded()));
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalStateException("cannot export " + cn, e);
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
      CommandRunner.Result result = CommandRunner.run(command, "", Duration.ofSeconds(60));
      if (result.exitCode() != 0) {
        throw new UncheckedIOException(new IOException("keytool failed: " + result));
      }
    }
  }
}
