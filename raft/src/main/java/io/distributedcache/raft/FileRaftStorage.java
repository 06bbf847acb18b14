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
 *   <li>{@value #LOG_FILE}: the log, an append-only sequence of records {@code [int payloadLength]
 *       [payload: long term, long index, byte kind, command bytes] [int crc32c]}, big-endian, where
 *       the CRC32C covers the length field and the payload ({@code kind} is the ordinal of {@link
 *       LogEntry.Kind}). Every {@link #append} is followed by an fsync of the file's data.
 * </ul>
 *
 * <p><b>Truncation.</b> {@link #append} starting before the end of the log cuts the file at the
 * first replaced record (whose offset is kept in memory) and writes from there: the rewrite is
 * proportional to the replaced suffix, not to the log. Log compaction is not supported.
 *
 * <p><b>Recovery.</b> A crash in the middle of an append can leave a torn last record. On {@link
 * #open}, records are read from the start until the first one whose length runs past the end of the
 * file, whose checksum does not match, or whose index does not follow its predecessor; the file is
 * cut there (and fsynced) and everything before is kept. Since an append is acknowledged only after
 * its fsync, what is cut was never promised to anybody. The same rule cuts everything after a
 * corrupted record in the middle of the file, which a crash cannot cause; Raft then treats the
 * member as having lost those entries, which is safe only if it was not counted on for them (a disk
 * that corrupts data is outside Raft's fault model either way).
 *
 * <p>The whole log is also kept on the heap (as {@link RaftNode} does): {@link #entries()} does not
 * read the file.
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

  private static final int HARD_STATE_MAGIC = 0x52414648; // "RAFH"
  private static final int NO_VOTE = -1;

  /** Bytes of a log record besides its command: length, term, index, kind, checksum. */
  private static final int RECORD_OVERHEAD_BYTES = 4 + 8 + 8 + 1 + 4;

  /** Payload bytes besides the command: term, index and kind. */
  private static final int PAYLOAD_HEADER_BYTES = 8 + 8 + 1;

  private static final LogEntry.Kind[] KINDS = LogEntry.Kind.values();

  private final Path dir;
  private final FileChannel logChannel;
  private HardState hardState;
  private final List<LogEntry> log;

  /** {@code recordOffsets.get(i)} is the file offset of the record of index {@code i + 1}. */
  private final List<Long> recordOffsets;

  private long logEndOffset;

  private FileRaftStorage(
      Path dir,
      FileChannel logChannel,
      HardState hardState,
      List<LogEntry> log,
      List<Long> recordOffsets,
      long logEndOffset) {
    this.dir = dir;
    this.logChannel = logChannel;
    this.hardState = hardState;
    this.log = log;
    this.recordOffsets = recordOffsets;
    this.logEndOffset = logEndOffset;
  }

  /**
   * Opens (creating it if needed) the storage in {@code dir}, reads the hard state and the log, and
   * cuts a torn or corrupt tail off the log file as described in the class comment. Blocks on the
   * disk.
   *
   * @param dir the directory; created with its parents if missing
   * @throws UncheckedIOException if the directory or files cannot be read or written, or the hard
   *     state file is corrupt (which an atomic rename rules out for crashes, so it is not repaired)
   */
  public static FileRaftStorage open(Path dir) {
    Objects.requireNonNull(dir, "dir");
    try {
      Files.createDirectories(dir);
      // A temp file left by a crash before its rename was never the hard state.
      Files.deleteIfExists(dir.resolve(HARD_STATE_TEMP_FILE));
      HardState hardState = readHardState(dir.resolve(HARD_STATE_FILE));
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
        return new FileRaftStorage(dir, channel, hardState, log, offsets, validEnd);
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open Raft storage in " + dir, e);
    }
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
    Path temp = dir.resolve(HARD_STATE_TEMP_FILE);
    try {
      try (FileChannel out =
          FileChannel.open(
              temp,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.WRITE)) {
        writeFully(out, buf, 0);
        out.force(true);
      }
      try {
        Files.move(
            temp,
            dir.resolve(HARD_STATE_FILE),
            StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system cannot rename atomically", e);
      }
      fsyncDirectory(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save hard state in " + dir, e);
    }
    this.hardState = hardState;
  }

  @Override
  public void append(List<LogEntry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    RaftStorage.checkAppendable(log.size(), entries);
    long first = entries.get(0).index();
    int keep = (int) (first - 1);
    long writeAt = keep < recordOffsets.size() ? recordOffsets.get(keep) : logEndOffset;
    int bytes = 0;
    for (LogEntry e : entries) {
      bytes += RECORD_OVERHEAD_BYTES + e.commandLength();
    }
    ByteBuffer buf = ByteBuffer.allocate(bytes);
    List<Long> newOffsets = new ArrayList<>(entries.size());
    for (LogEntry e : entries) {
      newOffsets.add(writeAt + buf.position());
      int start = buf.position();
      buf.putInt(PAYLOAD_HEADER_BYTES + e.commandLength())
          .putLong(e.term())
          .putLong(e.index())
          .put((byte) e.kind().ordinal())
          .put(e.command());
      buf.putInt(crc(buf.array(), start, buf.position() - start));
    }
    buf.flip();
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
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close the Raft log in " + dir, e);
    }
  }

  @Override
  public String toString() {
    return "FileRaftStorage[" + dir + ", entries=" + log.size() + ", bytes=" + logEndOffset + "]";
  }

  // ------------------------------------------------------------------------------- internals

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
   * returns the offset just after the last valid record.
   */
  private static long readLog(FileChannel channel, List<LogEntry> log, List<Long> offsets)
      throws IOException {
    long size = channel.size();
    if (size > Integer.MAX_VALUE) {
      throw new IOException("Raft log larger than 2 GiB needs compaction, which is not supported");
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
      if (term < 1 || index != log.size() + 1 || kind < 0 || kind >= KINDS.length) {
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
