package io.distributedcache.raft;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of the replicated log.
 *
 * <p>An entry with an empty command is the no-op a new leader appends to commit the entries of
 * earlier terms (Raft paper section 8; section 5.4.2 forbids committing them by counting replicas).
 * Applications skip no-ops when they apply; {@link RaftNode#propose} refuses empty commands so that
 * the two never mix.
 *
 * <p>An entry of kind {@link Kind#CONFIG} carries an encoded {@link Membership} instead of a
 * command: it changes the group's configuration as soon as it is in a member's log (Raft thesis
 * section 4.1). Applications skip configuration entries too, or use them to track the members.
 *
 * <p>The command array is copied in and never exposed for writing: {@link #command()} returns a
 * copy, so entries can be shared between the node, its storage and messages.
 *
 * @param term the term of the leader that created the entry, at least 1
 * @param index the position in the log, at least 1
 * @param kind what the entry carries
 * @param command the application's command (empty for a no-op), or an encoded {@link Membership}
 */
public record LogEntry(long term, long index, Kind kind, byte[] command) {

  /** What an entry carries. */
  public enum Kind {
    /** An application command, or a leader's no-op if empty. */
    COMMAND,
    /** A new configuration of the group, {@link Membership#encode() encoded}. */
    CONFIG
  }

  private static final byte[] NO_OP = new byte[0];

  /** Validates and copies the command. */
  public LogEntry {
    if (term < 1) {
      throw new IllegalArgumentException("term must be >= 1: " + term);
    }
    if (index < 1) {
      throw new IllegalArgumentException("index must be >= 1: " + index);
    }
    Objects.requireNonNull(kind, "kind");
    if (kind == Kind.CONFIG) {
      Membership.decode(command); // validates
    }
    command = command.length == 0 ? NO_OP : command.clone();
  }

  /** An application command entry (a no-op if {@code command} is empty). */
  public LogEntry(long term, long index, byte[] command) {
    this(term, index, Kind.COMMAND, command);
  }

  /** Creates an entry that changes the group's configuration to {@code membership}. */
  public static LogEntry config(long term, long index, Membership membership) {
    return new LogEntry(term, index, Kind.CONFIG, membership.encode());
  }

  /** Creates the no-op entry a new leader appends. */
  public static LogEntry noOp(long term, long index) {
    return new LogEntry(term, index, Kind.COMMAND, NO_OP);
  }

  /** Returns a copy of the command. */
  @Override
  public byte[] command() {
    return command.clone();
  }

  /** The command's length in bytes, without copying it. */
  public int commandLength() {
    return command.length;
  }

  /** Whether this is a leader's no-op rather than an application command. */
  public boolean isNoOp() {
    return kind == Kind.COMMAND && command.length == 0;
  }

  /** Whether this entry changes the configuration rather than carrying a command. */
  public boolean isConfig() {
    return kind == Kind.CONFIG;
  }

  /**
   * The configuration this entry carries.
   *
   * @throws IllegalStateException if this is not a {@link Kind#CONFIG} entry
   */
  public Membership membership() {
    if (kind != Kind.CONFIG) {
      throw new IllegalStateException("not a configuration entry: " + this);
    }
    return Membership.decode(command);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof LogEntry e
        && e.term == term
        && e.index == index
        && e.kind == kind
        && Arrays.equals(e.command, command);
  }

  @Override
  public int hashCode() {
    return Objects.hash(term, index, kind, Arrays.hashCode(command));
  }

  @Override
  public String toString() {
    return "LogEntry[term="
        + term
        + ", index="
        + index
        + (kind == Kind.CONFIG ? ", config=" + membership() : ", commandBytes=" + command.length)
        + "]";
  }
}
