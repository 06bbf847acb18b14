package io.distributedcache.resp.command;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The commands this server knows, looked up by name ignoring ASCII case.
 *
 * <p>Lookup runs once per request on the hot path, so it works on the raw name bytes: an
 * open-addressed table hashed on the lower-cased bytes, no String, no allocation. Immutable after
 * construction; safe to share between event loops.
 */
public final class CommandTable {

  private final CommandSpec[] slots;
  private final byte[][] names;
  private final int mask;
  private final List<CommandSpec> all;

  private CommandTable(List<CommandSpec> specs) {
    int size = Integer.highestOneBit(Math.max(16, specs.size() * 4) - 1) << 1;
    this.slots = new CommandSpec[size];
    this.names = new byte[size][];
    this.mask = size - 1;
    for (CommandSpec spec : specs) {
      byte[] name = spec.name().getBytes(StandardCharsets.US_ASCII);
      int i = hash(name) & mask;
      while (slots[i] != null) {
        if (Arrays.equals(names[i], name)) {
          throw new IllegalArgumentException("duplicate command " + spec.name());
        }
        i = (i + 1) & mask;
      }
      slots[i] = spec;
      names[i] = name;
    }
    List<CommandSpec> sorted = new ArrayList<>(specs);
    sorted.sort((a, b) -> a.name().compareTo(b.name()));
    this.all = Collections.unmodifiableList(sorted);
  }

  /** Builds a table from specs whose names must be lower case and distinct. */
  public static CommandTable of(List<CommandSpec> specs) {
    for (CommandSpec spec : specs) {
      if (!spec.name().equals(spec.name().toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException("command names are lower case: " + spec.name());
      }
    }
    return new CommandTable(specs);
  }

  /** Returns the command called {@code name} in any case, or null. */
  public CommandSpec lookup(byte[] name) {
    int i = hash(name) & mask;
    while (true) {
      byte[] candidate = names[i];
      if (candidate == null) {
        return null;
      }
      if (equalsLowered(candidate, name)) {
        return slots[i];
      }
      i = (i + 1) & mask;
    }
  }

  /** Returns the command with this exact lower-case name, or null. */
  public CommandSpec lookup(String name) {
    return lookup(name.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
  }

  /** All commands, sorted by name. */
  public List<CommandSpec> all() {
    return all;
  }

  private static int hash(byte[] name) {
    int h = 0;
    for (byte b : name) {
      h = h * 31 + lower(b);
    }
    return h ^ (h >>> 16);
  }

  private static int lower(byte b) {
    return b >= 'A' && b <= 'Z' ? b + 32 : b;
  }

  private static boolean equalsLowered(byte[] lowerName, byte[] name) {
    if (lowerName.length != name.length) {
      return false;
    }
    for (int i = 0; i < name.length; i++) {
      if (lowerName[i] != lower(name[i])) {
        return false;
      }
    }
    return true;
  }
}
