package io.distributedcache.raft;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * A {@link RaftStorage} in a directory of its own (the node's data directory): the only class of
 * this module that does I/O, so that {@link RaftNode} stays pure.
 *
 * <h2>Layout</h2>
 *
 * <ul>
 *   <li>{@value #HARD_STATE_FILE}: term and vote, replaced atomically: written to {@value
 *       #HARD_STATE_TEMP_FILE}, fsynced, renamed over the old file with an atomic move, and the
 *       directory fsynced so that the rename itself survives a crash. A reader therefore sees the
 *       old or the new state, never a mixture; its checksum guards against the disk, not the crash.
 *   <li>{@value #SNAPSHOT_FILE}: the latest {@link Snapshot}, {@code [int magic "RAFS"] [long
 *       index] [long term] [int length] [encoded membership] [int length] [data] [int crc32c]}
 *       big-endian, the CRC32C over everything before it; replaced atomically like the hard state
 *       (through {@value #SNAPSHOT_TEMP_FILE}). Absent until the first {@link #saveSnapshot}.
 *   <li>{@value #LOG_FILE}: the log after the snapshot, an append-only sequence of records {@code
 *       [int payloadLength] [payload: long term, long index, byte kind, command bytes] [int
 *       crc32c]}, big-endian, where the CRC32C covers the length field and the payload ({@code
 *       kind} is the ordinal of {@link LogEntry.Kind}). Every {@link #append} is followed by an
 *       fsync of the file's data. The first record has index {@code snapshot index + 1}, or less
 *       during the recovery described below.
 * </ul>
 *
 * <p><b>Truncation.</b> {@link #append} starting before the end of the log cuts the file at the
 * first replaced record (whose offset is kept in memory) and writes from there: the rewrite is
 * proportional to the replaced suffix, not to the log.
 *
 * <p><b>Compaction.</b> {@link #saveSnapshot} first replaces the snapshot file atomically, then
 * rewrites the log without the entries the snapshot covers (and without the rest too if the entry
 * at its index does not have its term, see {@link RaftStorage#entriesKept}): the kept records go to
 * {@value #LOG_TEMP_FILE}, which is fsynced, renamed over the log with an atomic move, and the
 * directory fsynced. The rewrite is proportional to the kept suffix, which is short when the
 * application compacts at its applied index. A crash between the two steps leaves the new snapshot
 * with the old log, from which {@link #open} finishes the job by the same rule (the rule looks only
 * at the old log's entry at the snapshot's index, which is still there).
 *
 * <p><b>Recovery.</b> A crash in the middle of an append can leave a torn last record. On {@link
 * #open}, records are read from the start until the first one whose length runs past the end of the
 * file, whose checksum does not match, or whose index does not follow its predecessor; the file is
 * cut there (and fsynced) and everything before is kept. Since an append is acknowledged only
 * after its fsync, what is cut was never promised to anybody. The same rule cuts everything after a
 * corrupted record in the middle of the file, which a crash cannot cause; Raft then treats the
 * member as having lost those entries, which is safe only if it was not counted on for them (a disk
 * that corrupts data is outside Raft's fault model either way). Leftover temp files are deleted:
 * they were never renamed, so they never held anything that counted. A log that starts after the
 * snapshot's index plus one (a missing snapshot file) is an error, as is a corrupt snapshot file.
 *
 * <p>The snapshot and the log after it are also kept on the heap (as {@link RaftNode} does): {@link
 * #entries()} and {@link #snapshot()} do not read the files.
 *
 * <p>Thread-safety: none, like the node it serves; one thread owns it. Methods block on the disk
 * and throw {@link UncheckedIOException} when it fails; after that the storage must not be used
 * again. {@link #close()} releases the log file; a directory must be opened by at most one
 * instance at a time (nothing here locks it).
 *
 * <p>Directory fsync relies on POSIX semantics (Linux, macOS): opening a directory for reading and
 * forcing it.
 */
public final class FileRaftStorage implements RaftStorage, AutoCloseable {

  static final String HARD_STATE_FILE = "raft-hardstate";
  static final String HARD_STATE_TEMP_FILE = "raft-hardstate.tmp";
  static final String LOG_FILE = "raft-log";
  static final String LOG_TEMP_FILE = "raft-log.tmp";
  static final String SNAPSHOT_FILE = "raft-snapshot";
  static final String SNAPSHOT_TEMP_FILE = "raft-snapshot.tmp";

  /**
   * Held locked (an OS file lock) while the storage is open: two processes given the same
   * directory would interleave their logs and votes, which breaks Raft's promises.
   */
  static final String LOCK_FILE = "raft-lock";

  private static final int HARD_STATE_MAGIC = 0x52414648; // "RAFH"
  private static final int SNAPSHOT_MAGIC = 0x52414653; // "RAFS"
  private static final int NO_VOTE = -1;

  /** Bytes of a log record besides its command: length, term, index, kind, checksum. */
  private static final int RECORD_OVERHEAD_BYTES = 4 + 8 + 8 + 1 + 4;

  /** Payload bytes besides the command: term, index and kind. */
  private static final int PAYLOAD_HEADER_BYTES = 8 + 8 + 1;

  private static final LogEntry.Kind[] KINDS = LogEntry.Kind.values();

  private final Path dir;

  /** The open log file; replaced (by a rename) when compaction rewrites the log. */
  private FileChannel logChannel;
  private final FileChannel lockChannel;

  private HardState hardState;
  private Snapshot snapshot;

  /**
   * The log after {@link #snapshot}, as in the file: index {@code snapshot.index() + 1 + i} at
   * {@code i} (entries at or before the snapshot's index only between {@link #open} reading them
   * and finishing an interrupted compaction).
   */
  private final List<LogEntry> log;

  /** {@code recordOffsets.get(i)} is the file offset of the record of {@code log.get(i)}. */
  private final List<Long> recordOffsets;

  private long logEndOffset;

  private FileRaftStorage(
      Path dir,
      FileChannel lockChannel,
      FileChannel logChannel,
      HardState hardState,
      Snapshot snapshot,
      List<LogEntry> log,
      List<Long> recordOffsets,
      long logEndOffset) {
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.logChannel = logChannel;
    this.hardState = hardState;
    this.snapshot = snapshot;
    this.log = log;
    this.recordOffsets = recordOffsets;
    this.logEndOffset = logEndOffset;
  }

  /**
   * Opens (creating it if needed) the storage in {@code dir}, reads the hard state, the snapshot
   * and the log, cuts a torn or corrupt tail off the log file and finishes a compaction a crash
   * interrupted, as described in the class comment. Blocks on the disk.
   *
   * @param dir the directory; created with its parents if missing
   * @throws UncheckedIOException if the directory or files cannot be read or written, the hard
   *     state or snapshot file is corrupt (which an atomic rename rules out for crashes, so it is
   *     not repaired), or the log does not follow the snapshot
   */
  public static FileRaftStorage open(Path dir) {
    Objects.requireNonNull(dir, "dir");
    FileChannel lockChannel = null;
    try {
      Files.createDirectories(dir);
      lockChannel = lock(dir);
      // A temp file left by a crash before its rename never counted.
      Files.deleteIfExists(dir.resolve(HARD_STATE_TEMP_FILE));
      Files.deleteIfExists(dir.resolve(SNAPSHOT_TEMP_FILE));
      Files.deleteIfExists(dir.resolve(LOG_TEMP_FILE));
      HardState hardState = readHardState(dir.resolve(HARD_STATE_FILE));
      Snapshot snapshot = readSnapshot(dir.resolve(SNAPSHOT_FILE));
      FileChannel channel =
          FileChannel.open(
              dir.resolve(LOG_FILE),
              StandardOpenOption.CREATE,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
      try {
        List<LogEntry> log = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        long validEnd = readLog(channel, log, offsets);
        if (validEnd < channel.size()) {
          channel.truncate(validEnd);
          channel.force(true);
        }
        fsyncDirectory(dir); // the log file may have just been created
        if (!log.isEmpty() && log.get(0).index() > snapshot.index() + 1) {
          throw new IOException(
              "the log starts at index "
                  + log.get(0).index()
                  + " but the snapshot ends at "
                  + snapshot.index()
                  + ": entries are missing");
        }
        FileRaftStorage storage =
            new FileRaftStorage(
                dir, lockChannel, channel, hardState, snapshot, log, offsets, validEnd);
        if (!log.isEmpty() && log.get(0).index() <= snapshot.index()) {
          // A crash between saving the snapshot and rewriting the log.
          storage.rewriteLog(RaftStorage.entriesKept(snapshot, log));
        }
        return storage;
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      if (lockChannel != null) {
        try {
          lockChannel.close();
        } catch (IOException ignored) {
          // already failing
        }
      }
      if (e instanceof IOException io) {
        throw new UncheckedIOException("cannot open Raft storage in " + dir, io);
      }
      throw (RuntimeException) e;
    }
  }

  /** Takes the directory's lock, or fails saying another storage holds it. */
  private static FileChannel lock(Path dir) throws IOException {
    FileChannel channel =
        FileChannel.open(
            dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    java.nio.channels.FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      lock = null; // held by this very process
    }
    if (lock == null) {
      channel.close();
      throw new IOException(
          dir + " is in use by another process (or another storage in this one): "
              + "each node needs its own --data-dir");
    }
    return channel;
  }

  /** The directory this storage lives in. */
  public Path directory() {
    return dir;
  }

  @Override
  public HardState hardState() {
    return hardState;
  }

  @Override
  public Snapshot snapshot() {
    return snapshot;
  }

  @Override
  public List<LogEntry> entries() {
    return List.copyOf(log);
  }

  @Override
  public void saveHardState(HardState hardState) {
    Objects.requireNonNull(hardState, "hardState");
    byte[] vote =
        hardState.votedFor() == null ? null : hardState.votedFor().getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(4 + 8 + 4 + (vote == null ? 0 : vote.length) + 4);
    buf.putInt(HARD_STATE_MAGIC).putLong(hardState.term());
    if (vote == null) {
      buf.putInt(NO_VOTE);
    } else {
      buf.putInt(vote.length).put(vote);
    }
    buf.putInt(crc(buf.array(), 0, buf.position()));
    buf.flip();
    try {
      replaceAtomically(HARD_STATE_TEMP_FILE, HARD_STATE_FILE, buf);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save hard state in " + dir, e);
    }
    this.hardState = hardState;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Two atomic file replacements, the snapshot's then the log's, each with its fsyncs; see the
   * class comment for why a crash between them is harmless.
   */
  @Override
  public void saveSnapshot(Snapshot snapshot) {
    Objects.requireNonNull(snapshot, "snapshot");
    if (snapshot.isEmpty() || snapshot.index() < this.snapshot.index()) {
      throw new IllegalArgumentException(
          "cannot replace the snapshot at " + this.snapshot.index() + " with " + snapshot);
    }
    if (snapshot.index() == this.snapshot.index()) {
      return;
    }
    byte[] membership = snapshot.membership().encode();
    ByteBuffer buf =
        ByteBuffer.allocate(4 + 8 + 8 + 4 + membership.length + 4 + snapshot.dataLength() + 4);
    buf.putInt(SNAPSHOT_MAGIC).putLong(snapshot.index()).putLong(snapshot.term());
    buf.putInt(membership.length).put(membership);
    buf.putInt(snapshot.dataLength()).put(snapshot.data());
    buf.putInt(crc(buf.array(), 0, buf.position()));
    buf.flip();
    List<LogEntry> kept = RaftStorage.entriesKept(snapshot, log);
    try {
      replaceAtomically(SNAPSHOT_TEMP_FILE, SNAPSHOT_FILE, buf);
      this.snapshot = snapshot;
      rewriteLog(kept);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save a snapshot in " + dir, e);
    }
  }

  @Override
  public void append(List<LogEntry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    RaftStorage.checkAppendable(snapshot.index(), snapshot.index() + log.size(), entries);
    long first = entries.get(0).index();
    int keep = (int) (first - snapshot.index() - 1);
    long writeAt = keep < recordOffsets.size() ? recordOffsets.get(keep) : logEndOffset;
    List<Long> newOffsets = new ArrayList<>(entries.size());
    ByteBuffer buf = encodeRecords(entries, writeAt, newOffsets);
    int bytes = buf.remaining();
    try {
      if (writeAt < logEndOffset) {
        // Cut first: a crash after the cut but before the write loses only unacknowledged
        // entries, never leaves old records behind new ones.
        logChannel.truncate(writeAt);
      }
      writeFully(logChannel, buf, writeAt);
      logChannel.force(false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to the Raft log in " + dir, e);
    }
    log.subList(keep, log.size()).clear();
    log.addAll(entries);
    recordOffsets.subList(keep, recordOffsets.size()).clear();
    recordOffsets.addAll(newOffsets);
    logEndOffset = writeAt + bytes;
  }

  /** Closes the log file. Idempotent. */
  @Override
  public void close() {
    try {
      logChannel.close();
      lockChannel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close the Raft log in " + dir, e);
    }
  }

  @Override
  public String toString() {
    return "FileRaftStorage["
        + dir
        + ", snapshot="
        + snapshot.index()
        + ", entries="
        + log.size()
        + ", bytes="
        + logEndOffset
        + "]";
  }

  // ------------------------------------------------------------------------------- internals

  /**
   * Replaces the log file with one holding just {@code kept}: written to a temp file, fsynced,
   * renamed over the log with an atomic move, directory fsynced; then this storage continues on the
   * new file. A crash before the rename leaves the old log (and a temp file {@link #open} deletes).
   */
  private void rewriteLog(List<LogEntry> kept) throws IOException {
    List<Long> offsets = new ArrayList<>(kept.size());
    ByteBuffer buf = encodeRecords(kept, 0, offsets);
    int bytes = buf.remaining();
    Path temp = dir.resolve(LOG_TEMP_FILE);
    FileChannel fresh =
        FileChannel.open(
            temp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    try {
      writeFully(fresh, buf, 0);
      fresh.force(true);
      moveAtomically(temp, dir.resolve(LOG_FILE));
      fsyncDirectory(dir);
    } catch (IOException | RuntimeException e) {
      fresh.close();
      throw e;
    }
    // The channel follows the renamed file, which is now the log.
    FileChannel old = logChannel;
    logChannel = fresh;
    old.close();
    log.clear();
    log.addAll(kept);
    recordOffsets.clear();
    recordOffsets.addAll(offsets);
    logEndOffset = bytes;
  }

  /**
   * Encodes {@code entries} as log records meant for file offset {@code at}, adding each record's
   * offset to {@code offsets}; returns the bytes, ready to write.
   */
  private static ByteBuffer encodeRecords(List<LogEntry> entries, long at, List<Long> offsets) {
    int bytes = 0;
    for (LogEntry e : entries) {
      bytes += RECORD_OVERHEAD_BYTES + e.commandLength();
    }
    ByteBuffer buf = ByteBuffer.allocate(bytes);
    for (LogEntry e : entries) {
      offsets.add(at + buf.position());
      int start = buf.position();
      buf.putInt(PAYLOAD_HEADER_BYTES + e.commandLength())
          .putLong(e.term())
          .putLong(e.index())
          .put((byte) e.kind().ordinal())
          .put(e.command());
      buf.putInt(crc(buf.array(), start, buf.position() - start));
    }
    buf.flip();
    return buf;
  }

  /**
   * Makes {@code content} the content of {@code fileName} so that a crash leaves the old or the new
   * content, never a mixture: temp file, fsync, atomic rename, directory fsync.
   */
  private void replaceAtomically(String tempName, String fileName, ByteBuffer content)
      throws IOException {
    Path temp = dir.resolve(tempName);
    try (FileChannel out =
        FileChannel.open(
            temp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      writeFully(out, content, 0);
      out.force(true);
    }
    moveAtomically(temp, dir.resolve(fileName));
    fsyncDirectory(dir);
  }

  private static void moveAtomically(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the file system cannot rename atomically", e);
    }
  }

  private static Snapshot readSnapshot(Path file) throws IOException {
    if (!Files.exists(file)) {
      return Snapshot.NONE;
    }
    byte[] bytes = Files.readAllBytes(file);
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    try {
      if (buf.getInt() != SNAPSHOT_MAGIC) {
        throw new IOException("not a snapshot file: " + file);
      }
      long index = buf.getLong();
      long term = buf.getLong();
      byte[] membership = readBlock(buf, file);
      byte[] data = readBlock(buf, file);
      int end = buf.position();
      if (buf.getInt() != crc(bytes, 0, end) || buf.hasRemaining()) {
        throw new IOException("corrupt snapshot file (checksum): " + file);
      }
      if (index < 1) {
        throw new IOException("corrupt snapshot file (index " + index + "): " + file);
      }
      return new Snapshot(index, term, Membership.decode(membership), data);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new IOException("corrupt snapshot file: " + file, e);
    }
  }

  /** Reads {@code [int length][length bytes]}, checking the length before allocating. */
  private static byte[] readBlock(ByteBuffer buf, Path file) throws IOException {
    int length = buf.getInt();
    if (length < 0 || length > buf.remaining()) {
      throw new IOException("corrupt snapshot file (length " + length + "): " + file);
    }
    byte[] block = new byte[length];
    buf.get(block);
    return block;
  }

  private static HardState readHardState(Path file) throws IOException {
    if (!Files.exists(file)) {
      return HardState.INITIAL;
    }
    byte[] bytes = Files.readAllBytes(file);
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    try {
      if (buf.getInt() != HARD_STATE_MAGIC) {
        throw new IOException("not a hard state file: " + file);
      }
      long term = buf.getLong();
      int voteLength = buf.getInt();
      String votedFor = null;
      if (voteLength != NO_VOTE) {
        if (voteLength < 0 || voteLength > buf.remaining() - 4) {
          throw new IOException("corrupt hard state file (vote length): " + file);
        }
        votedFor = new String(bytes, buf.position(), voteLength, StandardCharsets.UTF_8);
        buf.position(buf.position() + voteLength);
      }
      int end = buf.position();
      if (buf.getInt() != crc(bytes, 0, end) || buf.hasRemaining()) {
        throw new IOException("corrupt hard state file (checksum): " + file);
      }
      return new HardState(term, votedFor);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new IOException("corrupt hard state file: " + file, e);
    }
  }

  /**
   * Reads valid records from the start of {@code channel} into {@code log} and {@code offsets};
   * returns the offset just after the last valid record. The first record may have any index (the
   * log follows a snapshot); each later one must have the next.
   */
  private static long readLog(FileChannel channel, List<LogEntry> log, List<Long> offsets)
      throws IOException {
    long size = channel.size();
    if (size > Integer.MAX_VALUE) {
      throw new IOException("Raft log larger than 2 GiB: the application must compact it");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) size);
    while (buf.hasRemaining()) {
      if (channel.read(buf, buf.position()) < 0) {
        break;
      }
    }
    byte[] bytes = buf.array();
    int at = 0;
    while (true) {
      if (size - at < RECORD_OVERHEAD_BYTES) {
        return at;
      }
      int payloadLength = ByteBuffer.wrap(bytes, at, 4).getInt();
      if (payloadLength < PAYLOAD_HEADER_BYTES || payloadLength > size - at - 8) {
        return at; // a torn or corrupt length
      }
      int crcAt = at + 4 + payloadLength;
      int stored = ByteBuffer.wrap(bytes, crcAt, 4).getInt();
      if (stored != crc(bytes, at, 4 + payloadLength)) {
        return at;
      }
      ByteBuffer payload = ByteBuffer.wrap(bytes, at + 4, payloadLength);
      long term = payload.getLong();
      long index = payload.getLong();
      int kind = payload.get();
      boolean follows = log.isEmpty() || index == log.get(log.size() - 1).index() + 1;
      if (term < 1 || index < 1 || !follows || kind < 0 || kind >= KINDS.length) {
        return at; // a valid checksum over the wrong record: stop rather than guess
      }
      byte[] command = new byte[payloadLength - PAYLOAD_HEADER_BYTES];
      payload.get(command);
      try {
        log.add(new LogEntry(term, index, KINDS[kind], command));
      } catch (IllegalArgumentException e) {
        return at; // an undecodable configuration, likewise
      }
      offsets.add((long) at);
      at = crcAt + 4;
    }
  }

  private static void writeFully(FileChannel channel, ByteBuffer buf, long position)
      throws IOException {
    long at = position;
    while (buf.hasRemaining()) {
      at += channel.write(buf, at);
    }
  }

  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  private static int crc(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    return (int) crc.getValue();
  }
}
