package io.distributedcache.raft;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Raft group's configuration: the voters, whose majority elects leaders and commits entries, and
 * the learners, which receive the log but never vote and never count towards a majority.
 *
 * <p>Configurations travel in the log as {@link LogEntry.Kind#CONFIG} entries ({@link #encode()});
 * each member uses the latest one in its log, committed or not (Raft thesis section 4.1), and the
 * one it was built with while its log holds none.
 *
 * @param voters the voting members, sorted; never empty
 * @param learners the non-voting members, sorted; disjoint from {@code voters}
 */
public record Membership(Set<String> voters, Set<String> learners) {

  /** Copies, sorts and validates the sets. */
  public Membership {
    voters = Collections.unmodifiableSet(new TreeSet<>(voters));
    learners = Collections.unmodifiableSet(new TreeSet<>(learners));
    if (voters.isEmpty()) {
      throw new IllegalArgumentException("a configuration needs at least one voter");
    }
    for (String learner : learners) {
      if (voters.contains(learner)) {
        throw new IllegalArgumentException(learner + " cannot be both voter and learner");
      }
    }
  }

  /** A configuration of voters only. */
  public static Membership ofVoters(Collection<String> voters) {
    return new Membership(new TreeSet<>(voters), Set.of());
  }

  /** Whether {@code id} is a voter or a learner. */
  public boolean contains(String id) {
    return voters.contains(id) || learners.contains(id);
  }

  /** Whether {@code id} is a voter. */
  public boolean isVoter(String id) {
    return voters.contains(id);
  }

  /** The votes a candidate or an entry needs: a majority of the voters. */
  public int quorum() {
    return voters.size() / 2 + 1;
  }

  /** Serialises this configuration for a {@link LogEntry.Kind#CONFIG} entry. */
  public byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeSet(out, voters);
    writeSet(out, learners);
    return out.toByteArray();
  }

  /**
   * Reads a configuration written by {@link #encode()}.
   *
   * @throws IllegalArgumentException if {@code bytes} is not an encoded configuration
   */
  public static Membership decode(byte[] bytes) {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    try {
      Set<String> voters = readSet(buf);
      Set<String> learners = readSet(buf);
      if (buf.hasRemaining()) {
        throw new IllegalArgumentException("trailing bytes after a configuration");
      }
      return new Membership(voters, learners);
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated configuration", e);
    }
  }

  private static void writeSet(ByteArrayOutputStream out, Set<String> ids) {
    out.writeBytes(ByteBuffer.allocate(4).putInt(ids.size()).array());
    for (String id : ids) {
      byte[] utf8 = id.getBytes(StandardCharsets.UTF_8);
      out.writeBytes(ByteBuffer.allocate(4).putInt(utf8.length).array());
      out.writeBytes(utf8);
    }
  }

  private static Set<String> readSet(ByteBuffer buf) {
    int count = buf.getInt();
    if (count < 0 || count > buf.remaining() / 4) {
      throw new IllegalArgumentException("bad member count " + count);
    }
    Set<String> ids = new TreeSet<>();
    for (int i = 0; i < count; i++) {
      int length = buf.getInt();
      if (length < 0 || length > buf.remaining()) {
        throw new IllegalArgumentException("bad id length " + length);
      }
      byte[] utf8 = new byte[length];
      buf.get(utf8);
      ids.add(new String(utf8, StandardCharsets.UTF_8));
    }
    return ids;
  }
}
