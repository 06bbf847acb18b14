package io.distributedcache.resp.server;

import io.distributedcache.resp.command.CommandSpec;
import io.distributedcache.resp.command.CommandTable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The commands of a {@link CommandTable} as ACL rules address them: by name ({@code get}), by
 * container and subcommand ({@code client|list}) and by category ({@code @read}), each resolved to
 * the command-id bits it sets or clears in a user's bitmap.
 *
 * <p>Built once per node from the immutable command table; immutable and shared by all threads.
 */
public final class AclCommandIndex {

  /** Redis 7's categories in the order {@code ACL CAT} lists them; ours are a subset of its use. */
  public static final List<String> CATEGORIES =
      List.of(
          "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
          "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
          "dangerous", "connection", "transaction", "scripting");

  private final int idCount;
  private final Map<String, CommandSpec> commands = new HashMap<>();
  private final Map<String, CommandSpec.Subcommand> subcommands = new HashMap<>();
  private final Map<String, long[]> categoryBits = new HashMap<>();
  private final Map<String, List<String>> categoryMembers = new LinkedHashMap<>();

  AclCommandIndex(CommandTable table) {
    int maxId = -1;
    for (CommandSpec spec : table.all()) {
      maxId = Math.max(maxId, spec.aclId());
      for (CommandSpec.Subcommand sub : spec.subcommands()) {
        maxId = Math.max(maxId, sub.aclId());
      }
    }
    this.idCount = maxId + 1;
    for (String category : CATEGORIES) {
      categoryBits.put(category, newBits());
      categoryMembers.put(category, new ArrayList<>());
    }
    for (CommandSpec spec : table.all()) {
      commands.put(spec.name(), spec);
      for (String category : spec.aclCategories()) {
        long[] bits = bitsOf(category, spec.name());
        // As Redis: a category that names the container covers all of its subcommands too.
        orInto(bits, commandBits(spec));
        categoryMembers.get(category).add(spec.name());
      }
      for (CommandSpec.Subcommand sub : spec.subcommands()) {
        subcommands.put(sub.fullName(), sub);
        for (String category : sub.aclCategories()) {
          set(bitsOf(category, sub.fullName()), sub.aclId());
          categoryMembers.get(category).add(sub.fullName());
        }
      }
    }
    categoryMembers.replaceAll((k, v) -> Collections.unmodifiableList(v));
  }

  private long[] bitsOf(String category, String command) {
    long[] bits = categoryBits.get(category);
    if (bits == null) {
      throw new IllegalArgumentException(
          "command " + command + " names unknown ACL category " + category);
    }
    return bits;
  }

  /** One bit per command and subcommand id. */
  int idCount() {
    return idCount;
  }

  long[] newBits() {
    return new long[(idCount + 63) >>> 6];
  }

  /** A bitmap with every command and subcommand set. */
  long[] allBits() {
    long[] bits = newBits();
    for (int id = 0; id < idCount; id++) {
      set(bits, id);
    }
    return bits;
  }

  /** The command called {@code lowerName}, or null. */
  CommandSpec command(String lowerName) {
    return commands.get(lowerName);
  }

  /** The subcommand called {@code container|name} (lower case), or null. */
  CommandSpec.Subcommand subcommand(String lowerFullName) {
    return subcommands.get(lowerFullName);
  }

  /** The bits of {@code +category}, or null for an unknown category. Do not modify. */
  long[] categoryBits(String lowerCategory) {
    return categoryBits.get(lowerCategory);
  }

  /** The commands and subcommands ({@code client|list}) in a category, or null if unknown. */
  public List<String> categoryMembers(String category) {
    return categoryMembers.get(category.toLowerCase(Locale.ROOT));
  }

  /** The bits {@code +name} sets for a command: its own and all of its subcommands'. */
  long[] commandBits(CommandSpec spec) {
    long[] bits = newBits();
    set(bits, spec.aclId());
    for (CommandSpec.Subcommand sub : spec.subcommands()) {
      set(bits, sub.aclId());
    }
    return bits;
  }

  static void set(long[] bits, int id) {
    bits[id >>> 6] |= 1L << id;
  }

  static boolean isSet(long[] bits, int id) {
    return (bits[id >>> 6] & (1L << id)) != 0;
  }

  static void orInto(long[] target, long[] bits) {
    for (int i = 0; i < target.length; i++) {
      target[i] |= bits[i];
    }
  }

  static void clearFrom(long[] target, long[] bits) {
    for (int i = 0; i < target.length; i++) {
      target[i] &= ~bits[i];
    }
  }
}
