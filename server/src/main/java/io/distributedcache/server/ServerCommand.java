package io.distributedcache.server;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.placement.Member;
import io.distributedcache.embedded.internal.ClusterBoot;
import io.distributedcache.embedded.internal.ClusterOptions;
import io.distributedcache.resp.codec.RespLimits;
import io.distributedcache.resp.server.NodeContext;
import io.distributedcache.resp.server.PrometheusEndpoint;
import io.distributedcache.resp.server.RespServer;
import io.distributedcache.resp.server.ServerSettings;
import io.distributedcache.resp.server.SystemClock;
import io.distributedcache.resp.server.TlsSettings;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code distributedcache server}: runs one node until SIGTERM or SIGINT.
 *
 * <p>Values come from, in order of precedence: the command line, the {@code --config} file, the
 * defaults shown in {@code --help}.
 */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = "Runs a DistributedCache node that Redis clients can talk to.")
final class ServerCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger("distributedcache");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--port", description = "Client (RESP) port. Default: ${DEFAULT-VALUE}.")
  int port = 6379;

  @Option(
      names = "--bind",
      description = "Address to listen on. Default: ${DEFAULT-VALUE} (loopback only).")
  String bind = "127.0.0.1";

  @Option(
      names = "--maxmemory",
      description =
          "Bound on stored data, e.g. 512mb or 2gb; 0 means unbounded. Beyond it, keys are evicted"
              + " by W-TinyLFU. Default: ${DEFAULT-VALUE}.")
  String maxMemory = "0";

  @Option(
      names = "--requirepass",
      description = "Password of the default user; clients must AUTH first. Default: none.")
  String requirePass = "";

  @Option(names = "--config", description = "A redis.conf-style file: 'name value' per line.")
  Path config;

  @Option(
      names = "--io-threads",
      description = "Event-loop threads serving clients; 0 = one per CPU. Default: ${DEFAULT-VALUE}.")
  int ioThreads = 0;

  @Option(
      names = "--proto-max-bulk-len",
      description = "Largest bulk string a client may send, e.g. 512mb. Default: ${DEFAULT-VALUE}.")
  String protoMaxBulkLen = "512mb";

  @Option(
      names = "--node-id",
      description = "This node's id in the cluster (with --members). Without both, the node runs alone.")
  String nodeId;

  @Option(
      names = "--members",
      paramLabel = "id@host:port,...",
      description =
          "Every member of the cluster with its cluster port, this node included; all members must"
              + " be started with the same list.")
  String members;

  @Option(
      names = "--cluster-port",
      description = "Port for peer traffic. Default: the client port + 10000.")
  Integer clusterPort;

  @Option(
      names = "--replication-factor",
      description = "Copies of every key (at most the member count). Default: ${DEFAULT-VALUE}.")
  int replicationFactor = 3;

  @Option(
      names = "--virtual-nodes",
      description = "Ring positions per member. Default: ${DEFAULT-VALUE}.")
  int virtualNodes = 150;

  @Option(
      names = "--consistency",
      description =
          "Level new connections read and write at: ONE, QUORUM or ALL (CONSISTENCY changes it per"
              + " connection). Default: ${DEFAULT-VALUE}.")
  String consistency = "QUORUM";

  @Option(
      names = "--request-timeout",
      description =
          "How long a request waits for other nodes before it fails (a write then reports an"
              + " unknown outcome), e.g. 500ms or 2s. Default: ${DEFAULT-VALUE}.")
  String requestTimeout = "1s";

  @Option(
      names = "--anti-entropy-interval",
      description =
          "How often replicas compare their slots with the primaries'. Default: ${DEFAULT-VALUE}.")
  String antiEntropyInterval = "30s";

  @Option(
      names = "--join",
      description =
          "host:clusterPort of any member of a running cluster: this node joins it (instead of"
              + " founding one with --members) and takes over its share of the slots.")
  String join;

  @Option(
      names = "--data-dir",
      description =
          "Where the node keeps its control-plane state (Raft term, vote, log, snapshot), so a"
              + " restarted node rejoins with its identity. Default: data/<node-id>.")
  String dataDir;

  @Option(
      names = "--cluster-name",
      description =
          "Peers only talk to nodes with the same name. Default: ${DEFAULT-VALUE}.")
  String clusterName = "distributedcache";

  @Option(
      names = "--failure-timeout",
      description =
          "How long a member must stay unreachable before its slots fail over to their replicas."
              + " Default: ${DEFAULT-VALUE}.")
  String failureTimeout = "1s";

  @Option(
      names = "--metrics-port",
      description =
          "Serve Prometheus metrics over HTTP at /metrics on this port of the --bind address."
              + " Default: 0 (off).")
  Integer metricsPort;

  @Option(
      names = "--slowlog-log-slower-than",
      description =
          "Commands slower than this many microseconds go to SLOWLOG (0: every command; negative:"
              + " none). Default: ${DEFAULT-VALUE}.")
  long slowlogSlowerThan = 10_000;

  @Option(
      names = "--slowlog-max-len",
      description = "Entries SLOWLOG keeps. Default: ${DEFAULT-VALUE}.")
  int slowlogMaxLen = 128;

  @Option(
      names = "--cluster-bind-port",
      description =
          "Bind the cluster port here instead of at this node's --members / --cluster-port"
              + " address, which stays the one peers dial (a port mapping or proxy in between,"
              + " like Redis' cluster-announce-bus-port). Default: the same port.")
  Integer clusterBindPort;

  @Option(
      names = "--announce-host",
      description =
          "Host other nodes and clients reach a joining node at. Default: the --bind address"
              + " (127.0.0.1 when binding to every address).")
  String announceHost;

  @Option(
      names = "--tls-cert-file",
      description =
          "Certificate (PEM) of this node. With it the client port speaks TLS only (there is no"
              + " separate --tls-port), and --tls-cluster yes uses it on the cluster port.")
  Path tlsCertFile;

  @Option(
      names = "--tls-key-file",
      description = "Private key (PEM, unencrypted PKCS#8) of --tls-cert-file.")
  Path tlsKeyFile;

  @Option(
      names = "--tls-ca-cert-file",
      description =
          "CA certificate (PEM) that signs client certificates (see --tls-auth-clients) and every"
              + " member's certificate (with --tls-cluster yes).")
  Path tlsCaCertFile;

  @Option(
      names = "--tls-auth-clients",
      paramLabel = "yes|no|optional",
      description =
          "Whether clients must present a certificate signed by --tls-ca-cert-file. Default: yes"
              + " when --tls-ca-cert-file is given, else no.")
  String tlsAuthClients;

  @Option(
      names = "--tls-cluster",
      paramLabel = "yes|no",
      description =
          "TLS with mutual certificate authentication on the cluster port (needs --tls-cert-file,"
              + " --tls-key-file and --tls-ca-cert-file). Default: ${DEFAULT-VALUE}.")
  String tlsCluster = "no";

  @Option(
      names = "--cluster-secret",
      description =
          "Secret every member must prove it knows before the node accepts any of its messages;"
              + " all members need the same one. Prefer --cluster-secret-file (a command line is"
              + " visible to other local users). Default: none.")
  String clusterSecret;

  @Option(
      names = "--cluster-secret-file",
      description = "File holding the cluster secret (trailing line breaks are ignored).")
  Path clusterSecretFile;

  /** Set by {@link #call()}: stops this process's node, as SIGTERM does. */
  private volatile Runnable stopNode = () -> {};

  @Override
  public Integer call() throws Exception {
    ServerSettings settings;
    try {
      settings = settings();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    ClusterOptions cluster;
    ConsistencyLevel level;
    try {
      level = ConsistencyLevel.parse(pick("--consistency", "consistency", consistency, file));
      cluster = clusterOptions(settings, level);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    AutoCloseable running;
    RespServer server;
    try {
      if (cluster == null) {
        server =
            RespServer.standalone(
                settings, SystemClock.INSTANCE, SystemClock.INSTANCE, new SplittableRandom());
        server.node().defaultConsistency(level);
        server.start();
        running = server;
      } else {
        ClusterBoot boot = ClusterBoot.start(settings, cluster, () -> stopNode.run());
        server = boot.server();
        running = boot;
      }
    } catch (IllegalStateException e) {
      log.error("{}", e.getMessage());
      return 1;
    }
    NodeContext nodeContext =
        running instanceof ClusterBoot boot ? boot.node() : server.node();
    PrometheusEndpoint metrics;
    EventLoopGroup metricsLoop;
    try {
      nodeContext.configureSlowLog(
          Long.parseLong(
              pick(
                      "--slowlog-log-slower-than",
                      "slowlog-log-slower-than",
                      Long.toString(slowlogSlowerThan),
                      file)
                  .trim()),
          Integer.parseInt(
              pick("--slowlog-max-len", "slowlog-max-len", Integer.toString(slowlogMaxLen), file)
                  .trim()));
      int effectiveMetricsPort =
          Integer.parseInt(
              pick(
                      "--metrics-port",
                      "metrics-port",
                      metricsPort == null ? "0" : metricsPort.toString(),
                      file)
                  .trim());
      if (effectiveMetricsPort > 0) {
        metricsLoop = RespServer.newEventLoopGroup(1);
        metrics =
            PrometheusEndpoint.start(
                nodeContext, settings.bindAddress(), effectiveMetricsPort, metricsLoop);
        log.info(
            "Metrics at http://{}:{}/metrics", settings.bindAddress(), metrics.port());
      } else {
        metricsLoop = null;
        metrics = null;
      }
    } catch (RuntimeException e) {
      running.close();
      log.error("{}", e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    stopNode =
        () ->
            new Thread(
                    () -> {
                      log.info("Removed from the cluster: stopping");
                      stopped.countDown();
                    },
                    "left")
                .start();
    AtomicBoolean stopping = new AtomicBoolean();
    Runnable stop =
        () -> {
          if (stopping.compareAndSet(false, true)) {
            log.info("Shutting down: closing connections");
            try {
              if (metrics != null) {
                metrics.close();
                metricsLoop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
              }
              running.close();
            } catch (Exception e) {
              log.warn("error while stopping", e);
            }
            log.info("Stopped");
          }
          stopped.countDown();
        };
    // SIGTERM/SIGINT stop the node and let main return 0; the hook covers any other way out.
    if (!Signals.onTerminate(stop)) {
      log.warn("signal handlers unavailable: SIGTERM will still stop cleanly, with status 143");
    }
    Runtime.getRuntime().addShutdownHook(new Thread(stop, "shutdown"));
    if (running instanceof ClusterBoot boot && !boot.servesAtStart()) {
      // A joiner, or a restarted founder, opens its client port once it knows the layout;
      // ClusterBoot logs "Ready to accept connections" then.
      log.info(
          "Started node {} (pid {}){}; client port {} opens once it knows the cluster's layout",
          cluster.nodeId(),
          ProcessHandle.current().pid(),
          cluster.founder() ? "" : ": joining through " + cluster.joinSeed(),
          settings.port());
      stopped.await();
      return 0;
    }
    log.info(
        "Ready to accept connections tcp bind={} port={} pid={} io-threads={} maxmemory={}{}",
        settings.bindAddress(),
        server.port(),
        ProcessHandle.current().pid(),
        server.node().ioThreads(),
        settings.maxMemoryBytes(),
        cluster == null
            ? ""
            : " node-id=" + cluster.nodeId() + " cluster-port=" + cluster.clusterPort()
                + " members=" + cluster.members().size()
                + " consistency=" + level
                + " data-dir=" + cluster.dataDir());
    stopped.await();
    return 0;
  }

  private Map<String, String> file = Map.of();

  private ServerSettings settings() {
    file = config == null ? Map.of() : ConfigFile.read(config);
    int effectivePort = Integer.parseInt(pick("--port", "port", Integer.toString(port), file));
    String effectiveBind = pick("--bind", "bind", bind, file);
    long effectiveMaxMemory = Sizes.parseBytes(pick("--maxmemory", "maxmemory", maxMemory, file));
    String effectivePassword = pick("--requirepass", "requirepass", requirePass, file);
    int effectiveIoThreads =
        Integer.parseInt(pick("--io-threads", "io-threads", Integer.toString(ioThreads), file));
    long maxBulk =
        Sizes.parseBytes(pick("--proto-max-bulk-len", "proto-max-bulk-len", protoMaxBulkLen, file));
    if (maxBulk < 1 || maxBulk > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("proto-max-bulk-len must be between 1 and 2147483647");
    }
    RespLimits defaults = RespLimits.defaults();
    RespLimits limits =
        new RespLimits((int) maxBulk, defaults.maxArrayLength(), defaults.maxInlineBytes());
    return new ServerSettings(
            effectiveBind,
            effectivePort,
            effectivePassword,
            effectiveMaxMemory,
            limits,
            effectiveIoThreads,
            config == null ? "" : config.toAbsolutePath().toString())
        .withTls(clientTls());
  }

  /** TLS on the client port, or null when no --tls-cert-file is given. */
  private TlsSettings clientTls() {
    Path cert = pickPath("--tls-cert-file", "tls-cert-file", tlsCertFile);
    Path key = pickPath("--tls-key-file", "tls-key-file", tlsKeyFile);
    Path ca = pickPath("--tls-ca-cert-file", "tls-ca-cert-file", tlsCaCertFile);
    String auth = pick("--tls-auth-clients", "tls-auth-clients", tlsAuthClients, file);
    if (cert == null && key == null) {
      if (auth != null) {
        throw new IllegalArgumentException("--tls-auth-clients needs --tls-cert-file");
      }
      return null;
    }
    if (cert == null || key == null) {
      throw new IllegalArgumentException("--tls-cert-file and --tls-key-file go together");
    }
    return auth == null
        ? TlsSettings.of(cert, key, ca)
        : new TlsSettings(cert, key, ca, TlsSettings.AuthClients.parse(auth));
  }

  /** The cluster secret and TLS of the cluster port, from their flags. */
  private ClusterOptions.PeerSecurity peerSecurity() {
    String secret = pick("--cluster-secret", "cluster-secret", clusterSecret, file);
    Path secretFile = pickPath("--cluster-secret-file", "cluster-secret-file", clusterSecretFile);
    if (secret != null && secretFile != null) {
      throw new IllegalArgumentException(
          "give --cluster-secret or --cluster-secret-file, not both");
    }
    if (secretFile != null) {
      try {
        secret =
            Files.readString(secretFile, StandardCharsets.UTF_8).replaceAll("[\\r\\n]+$", "");
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "cannot read --cluster-secret-file " + secretFile + ": " + e.getMessage(), e);
      }
      if (secret.isEmpty()) {
        throw new IllegalArgumentException("--cluster-secret-file " + secretFile + " is empty");
      }
    }
    if (secret != null && secret.isEmpty()) {
      throw new IllegalArgumentException("--cluster-secret must not be empty");
    }
    String tls = pick("--tls-cluster", "tls-cluster", tlsCluster, file).strip();
    boolean tlsOn;
    if (tls.equalsIgnoreCase("yes")) {
      tlsOn = true;
    } else if (tls.equalsIgnoreCase("no")) {
      tlsOn = false;
    } else {
      throw new IllegalArgumentException("--tls-cluster must be yes or no, not '" + tls + "'");
    }
    if (!tlsOn) {
      return new ClusterOptions.PeerSecurity(secret == null ? "" : secret, null, null, null);
    }
    return new ClusterOptions.PeerSecurity(
        secret == null ? "" : secret,
        required("--tls-cert-file", pickPath("--tls-cert-file", "tls-cert-file", tlsCertFile)),
        required("--tls-key-file", pickPath("--tls-key-file", "tls-key-file", tlsKeyFile)),
        required(
            "--tls-ca-cert-file",
            pickPath("--tls-ca-cert-file", "tls-ca-cert-file", tlsCaCertFile)));
  }

  private static Path required(String flag, Path path) {
    if (path == null) {
      throw new IllegalArgumentException("--tls-cluster yes needs " + flag);
    }
    return path;
  }

  private Path pickPath(String flag, String fileKey, Path flagValue) {
    String text = pick(flag, fileKey, flagValue == null ? null : flagValue.toString(), file);
    return text == null ? null : Path.of(text.strip());
  }

  /** The cluster settings, or null when none of --node-id, --members and --join is given. */
  private ClusterOptions clusterOptions(ServerSettings settings, ConsistencyLevel level) {
    String id = pick("--node-id", "node-id", nodeId, file);
    String memberList = pick("--members", "members", members, file);
    String seed = pick("--join", "join", join, file);
    if (id == null && memberList == null && seed == null) {
      ClusterOptions.PeerSecurity security = peerSecurity();
      if (!security.clusterSecret().isEmpty() || security.tls()) {
        throw new IllegalArgumentException(
            "--cluster-secret and --tls-cluster are for cluster members (--node-id with --members"
                + " or --join)");
      }
      return null;
    }
    if (id == null || (memberList == null && seed == null)) {
      throw new IllegalArgumentException(
          "--node-id goes with --members (to found a cluster) or --join (to join one)");
    }
    String dir = pick("--data-dir", "data-dir", dataDir, file);
    String announce = pick("--announce-host", "announce-host", announceHost, file);
    if (announce == null) {
      String bindAddress = settings.bindAddress();
      announce =
          bindAddress.equals("0.0.0.0") || bindAddress.equals("::") ? "127.0.0.1" : bindAddress;
    }
    String portText =
        pick(
            "--cluster-port",
            "cluster-port",
            clusterPort == null ? null : clusterPort.toString(),
            file);
    int effectiveClusterPort =
        portText == null ? settings.port() + 10000 : Integer.parseInt(portText.trim());
    return new ClusterOptions(
        id,
        memberList == null ? List.of() : Member.parseList(memberList),
        seed,
        announce,
        effectiveClusterPort,
        Integer.parseInt(
            pick(
                "--replication-factor",
                "replication-factor",
                Integer.toString(replicationFactor),
                file).trim()),
        Integer.parseInt(
            pick("--virtual-nodes", "virtual-nodes", Integer.toString(virtualNodes), file).trim()),
        level,
        Durations.parse(pick("--request-timeout", "request-timeout", requestTimeout, file)),
        Durations.parse(
            pick("--anti-entropy-interval", "anti-entropy-interval", antiEntropyInterval, file)),
        Path.of(dir == null ? "data/" + id : dir),
        pick("--cluster-name", "cluster-name", clusterName, file),
        Durations.parse(pick("--failure-timeout", "failure-timeout", failureTimeout, file)),
        Integer.parseInt(
            pick(
                    "--cluster-bind-port",
                    "cluster-bind-port",
                    clusterBindPort == null ? "0" : clusterBindPort.toString(),
                    file)
                .trim()))
        .withSecurity(peerSecurity());
  }

  /** The command-line value if the flag was given, else the file's, else the default. */
  /**
   * The value of one setting: the command line's if the flag was given, else the environment's
   * ({@link #environmentName}), else the config file's, else the default.
   */
  private String pick(String flag, String fileKey, String flagValue, Map<String, String> file) {
    if (spec.commandLine().getParseResult().hasMatchedOption(flag)) {
      return flagValue;
    }
    String fromEnvironment = environment.get(environmentName(fileKey));
    if (fromEnvironment != null) {
      return fromEnvironment;
    }
    return file.getOrDefault(fileKey, flagValue);
  }

  /** {@code cluster-port} -> {@code DISTRIBUTEDCACHE_CLUSTER_PORT}. */
  static String environmentName(String fileKey) {
    return "DISTRIBUTEDCACHE_" + fileKey.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
  }

  /** Where {@link #pick} reads environment variables; tests replace it. */
  Map<String, String> environment = System.getenv();
}
