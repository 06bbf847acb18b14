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
 * <p>The command array is copied in and never exposed for writing: {@link #command()} returns a
 * copy, so entries can be shared between the node, its storage and messages.
 *
 * @param term the term of the leader that created the entry, at least 1
 * @param index the position in the log, at least 1
 * @param command the application's command, empty for a no-op
 */
public record LogEntry(long term, long index, byte[] command) {

  private static final byte[] NO_OP = new byte[0];

  /** Validates and copies the command. */
  public LogEntry {
    if (term < 1) {
      throw new IllegalArgumentException("term must be >= 1: " + term);
    }
    if (index < 1) {
      throw new IllegalArgumentException("index must be >= 1: " + index);
    }
    command = command.length == 0 ? NO_OP : command.clone();
  }

  /** Creates the no-op entry a new leader appends. */
  public static LogEntry noOp(long term, long index) {
    return new LogEntry(term, index, NO_OP);
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
    return command.length == 0;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof LogEntry e
        && e.term == term
        && e.index == index
        && Arrays.equals(e.command, command);
  }

  @Override
  public int hashCode() {
    return Objects.hash(term, index, Arrays.hashCode(command));
  }

  @Override
  public String toString() {
    return "LogEntry[term=" + term + ", index=" + index + ", commandBytes=" + command.length + "]";
  }
}
