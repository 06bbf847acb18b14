package io.distributedcache.resp.command;

/**
 * Finds the key arguments of a command from its {@link CommandSpec}'s key positions, as Redis'
 * {@code COMMAND GETKEYS} does for commands whose keys sit at fixed steps.
 */
public final class CommandKeys {

  private static final byte[][] NONE = new byte[0][];

  private CommandKeys() {}

  /**
   * The keys of {@code args} (the command name first), in argument order; empty for a command
   * without keys. {@code args} must satisfy the spec's arity.
   */
  public static byte[][] of(CommandSpec spec, byte[][] args) {
    if (spec.firstKey() <= 0) {
      return NONE;
    }
    int last = spec.lastKey() < 0 ? args.length + spec.lastKey() : spec.lastKey();
    int step = Math.max(1, spec.keyStep());
    if (last < spec.firstKey() || spec.firstKey() >= args.length) {
      return NONE;
    }
    last = Math.min(last, args.length - 1);
    byte[][] keys = new byte[(last - spec.firstKey()) / step + 1][];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = args[spec.firstKey() + i * step];
    }
    return keys;
  }

  /** Whether the command may change data (Redis' "write" flag). */
  public static boolean writes(CommandSpec spec) {
    return spec.flags().contains("write");
  }
}
