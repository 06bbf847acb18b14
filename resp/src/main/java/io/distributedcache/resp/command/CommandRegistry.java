package io.distributedcache.resp.command;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Collects command specs while the command groups register themselves, then freezes them into a
 * {@link CommandTable}. Used once at start-up, on one thread.
 */
public final class CommandRegistry {

  /** A command as registered, before ids and subcommands are attached. */
  private record Entry(
      String name,
      int arity,
      String flags,
      int firstKey,
      int lastKey,
      int keyStep,
      String categories,
      String group,
      String since,
      String summary,
      CommandHandler handler) {}

  private final List<Entry> entries = new ArrayList<>();

  /**
   * Adds a command. {@code flags} and {@code categories} are space-separated words, as Redis lists
   * them in {@code COMMAND INFO}.
   */
  CommandRegistry add(
      String name,
      int arity,
      String flags,
      int firstKey,
      int lastKey,
      int keyStep,
      String categories,
      String group,
      String since,
      String summary,
      CommandHandler handler) {
    entries.add(
        new Entry(
            name, arity, flags, firstKey, lastKey, keyStep, categories, group, since, summary,
            handler));
    return this;
  }

  private static List<String> words(String s) {
    return s.isBlank() ? List.of() : List.copyOf(Arrays.asList(s.trim().split("\\s+")));
  }

  /**
   * The ACL view of the container commands' subcommands: {@code container|name -> flags;
   * categories}, as Redis 7.4's {@code COMMAND INFO} lists them under each container. A container's
   * own categories (usually just "slow") apply to the subcommands not listed here. Our own
   * subcommands (CLUSTER LEAVE, CLUSTER VERIFY) are admin like Redis' cluster-changing ones.
   */
  private static final Map<String, String> SUBCOMMANDS = subcommandTable();

  private static Map<String, String> subcommandTable() {
    String admin = "admin noscript loading stale; admin slow dangerous";
    String clientPlain = "noscript loading stale; slow connection";
    String clientAdmin = "admin noscript loading stale; admin slow dangerous connection";
    String clusterPlain = "stale; slow";
    String clusterAdmin = "admin stale; admin slow dangerous";
    Map<String, String> m = new LinkedHashMap<>();
    for (String sub :
        List.of("id", "setname", "getname", "info", "setinfo", "no-touch", "tracking", "caching",
            "trackinginfo", "getredir")) {
      m.put("client|" + sub, clientPlain);
    }
    m.put("client|help", "loading stale; slow connection");
    m.put("client|list", clientAdmin);
    m.put("client|no-evict", clientAdmin);
    for (String sub :
        List.of("slots", "shards", "nodes", "info", "myid", "myshardid", "keyslot",
            "countkeysinslot", "getkeysinslot")) {
      m.put("cluster|" + sub, clusterPlain);
    }
    m.put("cluster|help", "loading stale; slow");
    m.put("cluster|leave", clusterAdmin);
    m.put("cluster|verify", clusterAdmin);
    m.put("config|get", admin);
    m.put("config|set", "admin noscript loading stale; admin slow dangerous");
    for (String sub : List.of("get", "len", "reset")) {
      m.put("slowlog|" + sub, "admin loading stale; admin slow dangerous");
    }
    m.put("slowlog|help", "loading stale; slow");
    m.put("config|help", "loading stale; slow");
    for (String sub : List.of("count", "list", "info", "docs")) {
      m.put("command|" + sub, "loading stale; slow connection");
    }
    m.put("command|help", "loading stale; slow connection");
    for (String sub : List.of("channels", "numsub", "numpat")) {
      m.put("pubsub|" + sub, "pubsub loading stale; pubsub slow");
    }
    m.put("pubsub|help", "loading stale; slow");
    for (String sub : List.of("getuser", "setuser", "deluser", "dryrun", "users", "list")) {
      m.put("acl|" + sub, admin);
    }
    for (String sub : List.of("cat", "genpass", "whoami")) {
      m.put("acl|" + sub, "noscript loading stale; slow");
    }
    m.put("acl|help", "loading stale; slow");
    return m;
  }

  /**
   * Freezes what was registered: assigns every command, then every subcommand, its ACL id, and
   * attaches the subcommands to their containers.
   */
  private CommandTable table() {
    Map<String, List<CommandSpec.Subcommand>> subs = new LinkedHashMap<>();
    int nextId = entries.size();
    for (Map.Entry<String, String> e : SUBCOMMANDS.entrySet()) {
      String[] names = e.getKey().split("\\|");
      String[] flagsAndCategories = e.getValue().split(";");
      boolean containerRegistered = entries.stream().anyMatch(x -> x.name().equals(names[0]));
      if (!containerRegistered) {
        continue;
      }
      subs.computeIfAbsent(names[0], k -> new ArrayList<>())
          .add(
              new CommandSpec.Subcommand(
                  names[0],
                  names[1],
                  names[1].toUpperCase(Locale.ROOT),
                  words(flagsAndCategories[0]),
                  words(flagsAndCategories[1]),
                  nextId++));
    }
    List<CommandSpec> specs = new ArrayList<>(entries.size());
    for (int id = 0; id < entries.size(); id++) {
      Entry x = entries.get(id);
      specs.add(
          new CommandSpec(
              x.name(),
              x.arity(),
              words(x.flags()),
              x.firstKey(),
              x.lastKey(),
              x.keyStep(),
              words(x.categories()),
              x.group(),
              x.since(),
              x.summary(),
              x.handler(),
              id,
              List.copyOf(subs.getOrDefault(x.name(), List.of()))));
    }
    return CommandTable.of(specs);
  }

  /** The table of every command this server implements. */
  public static CommandTable standard() {
    CommandRegistry registry = new CommandRegistry();
    StringCommands.register(registry);
    KeyCommands.register(registry);
    ConnectionCommands.register(registry);
    ServerCommands.register(registry);
    ClusterCommands.register(registry);
    PubSubCommands.register(registry);
    AclCommands.register(registry);
    SlowlogCommands.register(registry);
    return registry.table();
  }
}
