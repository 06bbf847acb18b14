package io.distributedcache.resp.command;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Collects command specs while the command groups register themselves, then freezes them into a
 * {@link CommandTable}. Used once at start-up, on one thread.
 */
public final class CommandRegistry {

  private final List<CommandSpec> specs = new ArrayList<>();

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
    specs.add(
        new CommandSpec(
            name,
            arity,
            words(flags),
            firstKey,
            lastKey,
            keyStep,
            words(categories),
            group,
            since,
            summary,
            handler));
    return this;
  }

  private static List<String> words(String s) {
    return s.isBlank() ? List.of() : List.copyOf(Arrays.asList(s.trim().split("\\s+")));
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
    return CommandTable.of(registry.specs);
  }
}
