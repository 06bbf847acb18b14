package io.distributedcache.server;

import io.distributedcache.server.ClusterView.Endpoint;
import io.distributedcache.server.ClusterView.Member;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code distributedcache cluster status|join|leave|verify}: looks at and changes a running
 * cluster through any member's client (RESP) port, with the admin commands {@code CLUSTER INFO},
 * {@code CLUSTER NODES}, {@code INFO cluster}, {@code CLUSTER LEAVE} and {@code CLUSTER VERIFY}.
 *
 * <p>Exit codes, the same for every subcommand: {@value #EXIT_OK} done or healthy, {@value
 * #EXIT_DEGRADED} degraded or refused, {@value #EXIT_UNREACHABLE} the node could not be reached,
 * answered an error, or the wait timed out (picocli also exits 2 on a usage error).
 *
 * <p>Threading: each subcommand runs on the calling thread and blocks on the network and between
 * polls. Output goes to the command line's {@code out} (reports, progress) and {@code err} (why
 * it failed), so tests capture both through {@link CommandLine#setOut}/{@link CommandLine#setErr}.
 */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description =
        "Looks at and changes a running cluster through any member's client port"
            + " (exit 0 ok, 1 degraded or refused, 2 unreachable, error or timeout).",
    subcommands = {
      ClusterCliCommand.Status.class,
      ClusterCliCommand.Join.class,
      ClusterCliCommand.Leave.class,
      ClusterCliCommand.Verify.class
    })
final class ClusterCliCommand implements Runnable {

  /** Done, or the cluster is healthy. */
  static final int EXIT_OK = 0;

  /** The cluster is degraded, the request was refused, or a check found problems. */
  static final int EXIT_DEGRADED = 1;

  /** The node could not be reached or answered an error, or a wait timed out. */
  static final int EXIT_UNREACHABLE = 2;

  /** Connecting never waits longer than this, whatever {@code --timeout} says. */
  private static final Duration CONNECT_TIMEOUT_MAX = Duration.ofSeconds(5);

  /** A reply never waits longer than this: a wait is many short requests, not one long one. */
  private static final Duration READ_TIMEOUT_MAX = Duration.ofSeconds(15);

  /** How long {@code status} waits for each member's PING. */
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  // ------------------------------------------------------------------------------------------
  // Options and plumbing shared by the subcommands

  /** Which node to ask, and how long to wait. */
  static final class Target {
    @Option(names = "--host", description = "Host of the member to ask. Default: ${DEFAULT-VALUE}.")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "Its client port. Default: ${DEFAULT-VALUE}.")
    int port = 6379;

    @Option(
        names = "--password",
        defaultValue = "${env:REDISCLI_AUTH}",
        description =
            "Password to AUTH with (as the server's --requirepass). Default: the REDISCLI_AUTH"
                + " environment variable, else none.")
    String password;

    @Option(
        names = "--timeout",
        defaultValue = "60s",
        converter = DurationConverter.class,
        description =
            "How long join and leave wait for the change to finish; any one connection or reply"
                + " waits at most this too (and at most 5s to connect, 15s per reply)."
                + " Default: ${DEFAULT-VALUE}.")
    Duration timeout;
  }

  /** picocli converter for {@code 500ms}, {@code 2s}, {@code 1m} ({@link Durations}). */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return Durations.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** What every subcommand has: the target, the output streams, connecting and pausing. */
  abstract static class Base implements Callable<Integer> {
    @Mixin Target target = new Target();

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    PrintWriter err() {
      return spec.commandLine().getErr();
    }

    Endpoint asked() {
      return new Endpoint(target.host, target.port);
    }

    /** Connects to {@code endpoint} with the target's password and timeouts. */
    RespClient connect(Endpoint endpoint) throws IOException {
      return connect(endpoint, min(target.timeout, CONNECT_TIMEOUT_MAX));
    }

    RespClient connect(Endpoint endpoint, Duration connectTimeout) throws IOException {
      return RespClient.connect(
          endpoint.host(),
          endpoint.port(),
          target.password,
          connectTimeout,
          min(target.timeout, READ_TIMEOUT_MAX));
    }

    /** One look through {@code endpoint}; a new connection each time, so a restart is no matter. */
    ClusterView fetch(Endpoint endpoint) throws IOException, RespClient.UnexpectedReplyException {
      try (RespClient client = connect(endpoint)) {
        return ClusterView.fetch(client);
      }
    }
  }

  /** {@link Base} plus the interval of a polling wait. */
  abstract static class Waiting extends Base {
    @Option(
        names = "--interval",
        defaultValue = "500ms",
        converter = DurationConverter.class,
        description = "Pause between two looks. Default: ${DEFAULT-VALUE}.")
    Duration interval;

    private long startNanos = System.nanoTime();

    void startClock() {
      startNanos = System.nanoTime();
    }

    /** A progress line with the time since {@link #startClock}, e.g. {@code [  1.5s] ...}. */
    void progress(String line) {
      double seconds = (System.nanoTime() - startNanos) / 1e9;
      out().printf(Locale.ROOT, "[%6.1fs] %s%n", seconds, line);
      out().flush();
    }

    /**
     * Looks at the cluster through {@code poller} every {@link #interval} until {@code done}
     * holds for a view or {@code timeout} has passed, printing {@code progressLine(view)} when it
     * changes and once when no member answers ({@code unreachable}).
     *
     * @return the view {@code done} accepted, or null at the deadline; {@link #lastView} is the
     *     last view seen either way
     */
    ClusterView pollUntil(
        Poller poller,
        Duration timeout,
        java.util.function.Predicate<ClusterView> done,
        java.util.function.Function<ClusterView, String> progressLine,
        String unreachable)
        throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      String lastLine = null;
      boolean saidUnreachable = false;
      lastView = null;
      while (true) {
        ClusterView view = poller.poll();
        if (view != null) {
          lastView = view;
          if (done.test(view)) {
            return view;
          }
          String line = progressLine.apply(view);
          if (!line.equals(lastLine)) {
            progress(line);
            lastLine = line;
          }
          saidUnreachable = false;
        } else if (!saidUnreachable) {
          progress(unreachable + " (" + poller.lastFailure() + "); retrying");
          saidUnreachable = true;
        }
        long leftNanos = deadline - System.nanoTime();
        if (leftNanos <= 0) {
          return null;
        }
        pause(min(interval, Duration.ofNanos(leftNanos)));
      }
    }

    /** The last view {@link #pollUntil} saw, or null if no member answered. */
    ClusterView lastView;
  }

  /**
   * Blocks for {@code pause} (the calling thread parks; {@code parkNanos} may return early, so
   * it parks again until the deadline).
   *
   * @throws InterruptedException if the thread is interrupted meanwhile
   */
  static void pause(Duration pause) throws InterruptedException {
    long deadline = System.nanoTime() + pause.toNanos();
    for (long left = pause.toNanos(); left > 0; left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(left);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /**
   * Why a connection to a node failed, in a few words: {@code timed out (Read timed out)}, {@code
   * Connection refused}, {@code AUTH refused: WRONGPASS ...}.
   */
  static String reason(IOException e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return e instanceof SocketTimeoutException ? "timed out (" + message + ")" : message;
  }

  /** The line for a failure to talk to {@code endpoint}. */
  static String failure(Endpoint endpoint, IOException e) {
    return e instanceof RespClient.AuthException
        ? endpoint + ": " + e.getMessage()
        : "cannot reach " + endpoint + ": " + reason(e);
  }

  /** {@code 200ms}, {@code 60s}: a duration as the flags take it. */
  static String human(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  // ------------------------------------------------------------------------------------------
  // status

  /** {@code cluster status}: one look, printed for people; the exit code says healthy or not. */
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = {
        "Prints the cluster as the member at --host/--port sees it: state, ring epoch, Raft"
            + " leader and term, members with their state, address and reachability, rebalance"
            + " progress.",
        "Healthy (exit 0) means cluster_state ok and no member failed, joining or leaving."
      },
      exitCodeListHeading = "Exit codes:%n",
      exitCodeList = {
        "0:healthy",
        "1:degraded: a member failed or unreachable, a rebalance in progress, or state fail",
        "2:the node cannot be reached or answers an error"
      })
  static final class Status extends Base {
    @Option(
        names = "--no-probe",
        description = "Do not PING each member's client address from here.")
    boolean noProbe;

    @Override
    public Integer call() {
      Endpoint asked = asked();
      ClusterView view;
      try {
        view = fetch(asked);
      } catch (IOException e) {
        err().println(failure(asked, e));
        return EXIT_UNREACHABLE;
      } catch (RespClient.UnexpectedReplyException e) {
        err().println(asked + " answered: " + e.getMessage());
        return EXIT_UNREACHABLE;
      }
      Map<String, String> probes = noProbe ? Map.of() : probe(view);
      out().print(formatStatus(view, asked, probes));
      out().flush();
      return view.problems().isEmpty() ? EXIT_OK : EXIT_DEGRADED;
    }

    /** PINGs every member's client address: {@code ok}, or why not, by member name. */
    private Map<String, String> probe(ClusterView view) {
      Map<String, String> results = new LinkedHashMap<>();
      for (Member m : view.members()) {
        if (m.clientPort() == 0) {
          results.put(m.name(), "no address");
          continue;
        }
        Endpoint endpoint = new Endpoint(m.host(), m.clientPort());
        try (RespClient client = connect(endpoint, min(target.timeout, PROBE_TIMEOUT))) {
          Object reply = client.call("PING");
          results.put(
              m.name(), "PONG".equals(reply) ? "ok" : "answered " + RespClient.describe(reply));
        } catch (IOException e) {
          results.put(m.name(), e instanceof ConnectException ? "refused" : reason(e));
        }
      }
      return results;
    }
  }

  /**
   * The {@code status} report.
   *
   * @param probes the PING result by member name; a member without one shows {@code -}
   */
  static String formatStatus(ClusterView view, Endpoint asked, Map<String, String> probes) {
    StringBuilder sb = new StringBuilder(1024);
    String self = view.selfName();
    line(
        sb,
        "Cluster",
        "%s, %d of %d slots served (asked %s at %s)",
        view.field("cluster_state").isEmpty() ? "unknown" : view.field("cluster_state"),
        view.figure("cluster_slots_ok"),
        view.figure("cluster_slots_assigned"),
        self,
        asked);
    line(sb, "Ring epoch", "%d", view.epoch());
    String leader = view.field("dc_raft_leader");
    line(
        sb,
        "Raft",
        "%s, term %d (%s is %s); voters %s",
        leader.isEmpty() ? "no leader" : "leader " + leader,
        view.figure("dc_raft_term"),
        self,
        view.field("dc_raft_role").isEmpty() ? "?" : view.field("dc_raft_role"),
        view.field("dc_raft_voters").isEmpty() ? "-" : view.field("dc_raft_voters"));
    line(
        sb,
        "Members",
        "%d active, %d failed, %d joining, %d leaving",
        view.figure("dc_members_active"),
        view.figure("dc_members_failed"),
        view.figure("dc_members_joining"),
        view.figure("dc_members_leaving"));
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("NAME", "CLIENT", "CLUSTER-PORT", "STATE", "LINK", "PING", "PRIMARY-SLOTS"));
    for (Member m : view.members()) {
      rows.add(
          List.of(
              m.name(),
              m.clientAddress(),
              Integer.toString(m.clusterPort()),
              m.state(),
              m.myself() ? "myself" : m.connected() ? "connected" : "disconnected",
              probes.getOrDefault(m.name(), "-"),
              Integer.toString(m.primarySlots())));
    }
    table(sb, rows);
    if (view.figure("dc_members_joining") > 0) {
      sb.append("  (joining members are not in the serving ring until the rebalance is done)\n");
    }
    if (view.rebalancing()) {
      line(
          sb,
          "Rebalance",
          "in progress: %d nodes still pulling; %s pulled %d slots, %d left to pull",
          view.figure("dc_rebalance_nodes_pulling"),
          self,
          view.figure("dc_rebalance_slots_pulled"),
          view.figure("dc_rebalance_slots_to_pull_here"));
    } else {
      line(sb, "Rebalance", "none");
    }
    List<String> problems = view.problems();
    line(sb, "Health", "%s", problems.isEmpty() ? "healthy" : "degraded");
    for (String problem : problems) {
      sb.append("  - ").append(problem).append('\n');
    }
    return sb.toString();
  }

  private static void line(StringBuilder sb, String label, String format, Object... args) {
    sb.append(String.format(Locale.ROOT, "%-12s", label + ":"))
        .append(String.format(Locale.ROOT, format, args))
        .append('\n');
  }

  /** Left-aligned columns two spaces apart, indented by two. */
  private static void table(StringBuilder sb, List<List<String>> rows) {
    int[] widths = new int[rows.get(0).size()];
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    for (List<String> row : rows) {
      StringBuilder line = new StringBuilder("  ");
      for (int i = 0; i < row.size(); i++) {
        line.append(row.get(i));
        if (i < row.size() - 1) {
          line.append(" ".repeat(widths[i] - row.get(i).length() + 2));
        }
      }
      sb.append(line).append('\n');
    }
  }

  // ------------------------------------------------------------------------------------------
  // join and leave

  /**
   * Polls the cluster through the first member that answers, starting with the preferred ones,
   * and learns the other members' addresses from each answer so that it can go on when the one it
   * asked stops (a leaving node exits; any node may fail).
   */
  private static final class Poller {
    private final Waiting command;
    private final String avoid;
    private final List<Endpoint> endpoints = new ArrayList<>();
    private Endpoint lastAnswered;
    private String lastFailure = "";

    /**
     * @param avoid the name of a member not to ask (the leaving one), or null
     */
    Poller(Waiting command, List<Endpoint> preferred, String avoid) {
      this.command = command;
      this.avoid = avoid;
      endpoints.addAll(preferred);
    }

    /** One look, or null when no known member answered (why is in {@link #lastFailure}). */
    ClusterView poll() {
      List<String> failures = new ArrayList<>();
      for (Endpoint endpoint : List.copyOf(endpoints)) {
        try {
          ClusterView view = command.fetch(endpoint);
          if (lastAnswered != null && !lastAnswered.equals(endpoint)) {
            command.progress("asking " + view.selfName() + " at " + endpoint + " now");
          }
          lastAnswered = endpoint;
          learn(endpoint, view);
          return view;
        } catch (IOException e) {
          failures.add(endpoint + ": " + reason(e));
        } catch (RespClient.UnexpectedReplyException e) {
          failures.add(endpoint + " answered " + e.getMessage());
        }
      }
      lastFailure = String.join("; ", failures);
      return null;
    }

    /** Keeps {@code answered} first, then the members it knows of, then the rest as before. */
    private void learn(Endpoint answered, ClusterView view) {
      Set<Endpoint> next = new LinkedHashSet<>();
      next.add(answered);
      next.addAll(view.endpointsExcept(avoid));
      next.addAll(endpoints);
      if (avoid != null) {
        Member leaving = view.member(avoid);
        if (leaving != null && leaving.clientPort() != 0) {
          next.remove(new Endpoint(leaving.host(), leaving.clientPort()));
        }
      }
      endpoints.clear();
      endpoints.addAll(next);
    }

    String lastFailure() {
      return lastFailure;
    }
  }

  /** The progress line for {@code name} in {@code view}; printed when it changes. */
  static String progressLine(ClusterView view, String name, boolean leaving) {
    Member m = view.member(name);
    String member;
    if (m == null) {
      member = leaving ? "gone from the ring" : "not in the serving ring yet";
    } else {
      member = m.state();
    }
    String rebalance =
        view.rebalancing()
            ? String.format(
                Locale.ROOT,
                "rebalancing (%d joining, %d leaving, %d nodes pulling; %s pulled %d slots)",
                view.figure("dc_members_joining"),
                view.figure("dc_members_leaving"),
                view.figure("dc_rebalance_nodes_pulling"),
                view.selfName(),
                view.figure("dc_rebalance_slots_pulled"))
            : "no rebalance";
    return "epoch " + view.epoch() + ": " + name + " " + member + "; " + rebalance;
  }

  /** What follows a finished join or leave: usually nothing, else the next rebalance. */
  private static String after(ClusterView view) {
    return view.rebalancing()
        ? String.format(
            Locale.ROOT,
            "rebalance finished, another one started (%d joining, %d leaving)",
            view.figure("dc_members_joining"),
            view.figure("dc_members_leaving"))
        : "rebalance finished";
  }

  /** {@code cluster join}: watches a node that joins by itself until it is an active member. */
  @Command(
      name = "join",
      mixinStandardHelpOptions = true,
      description = {
        "A node joins by being started with 'server --join host:clusterPort'; this command waits"
            + " until <node-name> is an active member (not joining) and the rebalance finished,"
            + " printing progress.",
        "It asks the member at --host/--port (retrying while it does not answer: a joining node"
            + " opens its client port only once accepted), then any member it learns of."
      },
      exitCodeListHeading = "Exit codes:%n",
      exitCodeList = {
        "0:<node-name> is an active member and the rebalance finished",
        "1:<node-name> became a member but is failed (at --timeout)",
        "2:no member answered, or timed out"
      })
  static final class Join extends Waiting {
    @Parameters(paramLabel = "<node-name>", description = "The joining node's --node-id.")
    String name;

    @Override
    public Integer call() throws InterruptedException {
      startClock();
      Poller poller = new Poller(this, List.of(asked()), null);
      // In the serving ring and not failed or leaving: the cutover that ends a join's rebalance
      // has happened (JOINING nodes are only in the target ring).
      ClusterView joined =
          pollUntil(
              poller,
              target.timeout,
              view -> view.member(name) != null && view.member(name).state().equals("active"),
              view -> progressLine(view, name, false),
              "no member answers yet");
      if (joined != null) {
        progress(name + " is an active member at epoch " + joined.epoch() + "; " + after(joined));
        return EXIT_OK;
      }
      ClusterView last = lastView;
      if (last == null) {
        err().println(
            "timed out after " + human(target.timeout) + ": no member answered ("
                + poller.lastFailure() + ")");
        return EXIT_UNREACHABLE;
      }
      Member m = last.member(name);
      if (m != null && m.state().equals("failed")) {
        err().println(name + " joined but is marked failed (epoch " + last.epoch() + ")");
        return EXIT_DEGRADED;
      }
      err().println(
          "timed out after " + human(target.timeout) + " waiting for " + name
              + " to become an active member (last: " + progressLine(last, name, false) + ")");
      return EXIT_UNREACHABLE;
    }
  }

  /** {@code cluster leave}: asks a member to leave and waits until it is gone. */
  @Command(
      name = "leave",
      mixinStandardHelpOptions = true,
      description = {
        "Removes <node-name> gracefully (CLUSTER LEAVE): its slots move to the other members,"
            + " then it stops.",
        "Unless --no-wait, waits until it is gone from the cluster and the rebalance finished,"
            + " printing progress; asked through the leaving node itself, it watches another"
            + " member, since the leaving node exits."
      },
      exitCodeListHeading = "Exit codes:%n",
      exitCodeList = {
        "0:the member left (with --no-wait: the leave was accepted)",
        "1:the cluster refused the leave (the reason is printed)",
        "2:the node cannot be reached or answers an error, or timed out"
      })
  static final class Leave extends Waiting {
    @Parameters(paramLabel = "<node-name>", description = "The leaving member's --node-id.")
    String name;

    @Option(names = "--no-wait", description = "Return once the leave is accepted.")
    boolean noWait;

    @Override
    public Integer call() throws InterruptedException {
      startClock();
      long deadline = System.nanoTime() + target.timeout.toNanos();
      Endpoint asked = asked();
      ClusterView before;
      Object reply;
      try (RespClient client = connect(asked)) {
        before = ClusterView.fetch(client);
        reply = client.call("CLUSTER", "LEAVE", name);
      } catch (IOException e) {
        err().println(failure(asked, e));
        return EXIT_UNREACHABLE;
      } catch (RespClient.UnexpectedReplyException e) {
        err().println(asked + " answered: " + e.getMessage());
        return EXIT_UNREACHABLE;
      }
      if (reply instanceof RespClient.ErrorReply error) {
        String prefix = "ERR cannot leave: ";
        if (error.message().startsWith(prefix)) {
          err().println(
              "refused: " + name + " cannot leave: " + error.message().substring(prefix.length()));
          return EXIT_DEGRADED;
        }
        err().println(asked + " answered: " + error.message());
        return EXIT_UNREACHABLE;
      }
      if (!"OK".equals(reply)) {
        err().println(asked + " answered " + RespClient.describe(reply) + " to CLUSTER LEAVE");
        return EXIT_UNREACHABLE;
      }
      progress(name + ": leave accepted by " + before.selfName() + " (epoch " + before.epoch()
          + ")");
      if (noWait) {
        return EXIT_OK;
      }
      List<Endpoint> preferred = new ArrayList<>();
      if (!before.selfName().equals(name)) {
        preferred.add(asked);
      }
      preferred.addAll(before.endpointsExcept(name));
      if (preferred.isEmpty()) {
        err().println("no other member with a client address to watch the leave through");
        return EXIT_UNREACHABLE;
      }
      Poller poller = new Poller(this, preferred, name);
      // Gone from the serving ring with nobody LEAVING: the leave's cutover has happened (at
      // most one rebalance runs at a time, and a LEAVING node stays in the ring).
      ClusterView left =
          pollUntil(
              poller,
              Duration.ofNanos(Math.max(0, deadline - System.nanoTime())),
              view -> view.member(name) == null && view.figure("dc_members_leaving") == 0,
              view -> progressLine(view, name, true),
              "no member answers");
      if (left != null) {
        progress(name + " left at epoch " + left.epoch() + "; " + after(left));
        return EXIT_OK;
      }
      ClusterView last = lastView;
      err().println(
          "timed out after " + human(target.timeout) + " waiting for " + name + " to leave"
              + (last == null
                  ? ": no member answered (" + poller.lastFailure() + ")"
                  : " (last: " + progressLine(last, name, true) + ")"));
      return EXIT_UNREACHABLE;
    }
  }

  // ------------------------------------------------------------------------------------------
  // verify

  /**
   * The {@code CLUSTER VERIFY} reply: its {@code name:value} fields and its {@code problem:}
   * lines, in order.
   */
  record VerifyReply(Map<String, String> fields, List<String> problems) {
    VerifyReply {
      fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
      problems = List.copyOf(problems);
    }

    static VerifyReply parse(String text) {
      Map<String, String> fields = new LinkedHashMap<>();
      List<String> problems = new ArrayList<>();
      for (String line : text.split("\r?\n")) {
        int colon = line.indexOf(':');
        if (colon <= 0) {
          continue;
        }
        String key = line.substring(0, colon);
        String value = line.substring(colon + 1);
        if (key.equals("problem")) {
          problems.add(value);
        } else {
          fields.put(key, value);
        }
      }
      return new VerifyReply(fields, problems);
    }

    /** Whether the node reported {@code verify_result:ok}. */
    boolean ok() {
      return "ok".equals(fields.get("verify_result"));
    }

    String field(String name) {
      return fields.getOrDefault(name, "?");
    }

    /** One line: the counts that are not zero. */
    String summary() {
      List<String> parts = new ArrayList<>();
      for (String key :
          List.of("copies_missing", "slots_stale", "copies_misplaced", "members_unreachable")) {
        String value = fields.getOrDefault(key, "");
        if (!value.isEmpty() && !value.equals("0")) {
          parts.add(key.replace('_', ' ') + " " + value);
        }
      }
      if (parts.isEmpty()) {
        parts.add(problems.size() + " problems");
      }
      return String.join(", ", parts);
    }
  }

  /** The {@code verify} report. */
  static String formatVerify(VerifyReply reply, Endpoint asked, int attempt, int attempts) {
    StringBuilder sb = new StringBuilder(512);
    sb.append(
        String.format(
            Locale.ROOT,
            "Verify via %s at epoch %s: %s (attempt %d of %d)\n",
            asked,
            reply.field("epoch"),
            reply.ok() ? "ok" : "problems",
            attempt,
            attempts));
    String unreachable = reply.fields().getOrDefault("members_unreachable", "");
    String[][] rows = {
      {"members checked", reply.field("members_checked")},
      {"members unreachable", unreachable.isEmpty() ? "none" : unreachable},
      {"slots checked", reply.field("slots_checked")},
      {"copies missing", reply.field("copies_missing")},
      {"slots stale", reply.field("slots_stale")},
      {"copies misplaced", reply.field("copies_misplaced")}
    };
    for (String[] row : rows) {
      sb.append(String.format(Locale.ROOT, "  %-21s%s", row[0] + ":", row[1])).append('\n');
    }
    if (!reply.problems().isEmpty()) {
      sb.append("  problems:\n");
      for (String problem : reply.problems()) {
        sb.append("    - ").append(problem).append('\n');
      }
    }
    return sb.toString();
  }

  /** {@code cluster verify}: compares every copy of every slot, again if it finds a difference. */
  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Compares every copy of every slot (CLUSTER VERIFY): missing, stale and misplaced copies.",
        "In-flight writes can show as transient differences, so a report with problems is taken"
            + " again, up to --attempts times, --interval apart; the last one is printed."
      },
      exitCodeListHeading = "Exit codes:%n",
      exitCodeList = {
        "0:every copy agrees",
        "1:problems (in every attempt)",
        "2:the node cannot be reached or answers an error"
      })
  static final class Verify extends Waiting {
    @Option(
        names = "--attempts",
        description = "Verifications at most, until one is clean. Default: ${DEFAULT-VALUE}.")
    int attempts = 3;

    @Override
    public Integer call() throws InterruptedException {
      if (attempts < 1) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--attempts must be >= 1");
      }
      startClock();
      Endpoint asked = asked();
      try (RespClient client = connect(asked)) {
        for (int attempt = 1; attempt <= attempts; attempt++) {
          VerifyReply reply = VerifyReply.parse(client.text("CLUSTER", "VERIFY"));
          if (reply.ok() || attempt == attempts) {
            out().print(formatVerify(reply, asked, attempt, attempts));
            out().flush();
            return reply.ok() ? EXIT_OK : EXIT_DEGRADED;
          }
          progress(
              "attempt " + attempt + " of " + attempts + ": " + reply.summary()
                  + "; again in " + human(interval));
          pause(interval);
        }
        throw new AssertionError("unreachable: the last attempt returns");
      } catch (IOException e) {
        err().println(failure(asked, e));
        return EXIT_UNREACHABLE;
      } catch (RespClient.UnexpectedReplyException e) {
        err().println(asked + " answered: " + e.getMessage());
        return EXIT_UNREACHABLE;
      }
    }
  }
}
