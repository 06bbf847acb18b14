package io.distributedcache.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link FileRaftStorage}: durability across reopen, and recovery from torn or corrupt tails. */
class FileRaftStorageTest {

  @TempDir Path tmp;

  private static LogEntry entry(long term, long index, String command) {
    return new LogEntry(term, index, command.getBytes(StandardCharsets.UTF_8));
  }

  /** A command, a no-op and, last, a configuration: every kind of entry. */
  private static List<LogEntry> threeEntries() {
    return List.of(
        entry(1, 1, "a"),
        LogEntry.noOp(2, 2),
        LogEntry.config(2, 3, new Membership(Set.of("n1", "n2"), Set.of("n3"))));
  }

  @Test
  void aDirectoryInUseIsRefusedUntilItsStorageIsClosed() {
    Path dir = tmp.resolve("shared");
    FileRaftStorage first = FileRaftStorage.open(dir);
    assertThatThrownBy(() -> FileRaftStorage.open(dir))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("cannot open Raft storage in " + dir)
        .cause()
        .hasMessageContaining("is in use by another process");
    first.close();
    FileRaftStorage again = FileRaftStorage.open(dir);
    assertThat(again.entries()).isEmpty();
    again.close();
  }

  @Test
  void aFreshDirectoryIsEmpty() {
    FileRaftStorage s = FileRaftStorage.open(tmp.resolve("fresh/nested"));
    assertThat(s.hardState()).isEqualTo(HardState.INITIAL);
    assertThat(s.entries()).isEmpty();
    s.close();
  }

  @Test
  void hardStateAndLogSurviveReopen() {
    Path dir = tmp.resolve("n1");
    FileRaftStorage s = FileRaftStorage.open(dir);
    s.saveHardState(new HardState(7, "nœud-2"));
    s.append(threeEntries());
    s.close();

    FileRaftStorage again = FileRaftStorage.open(dir);
    assertThat(again.hardState()).isEqualTo(new HardState(7, "nœud-2"));
    assertThat(again.entries()).isEqualTo(threeEntries());
    assertThat(again.entries().get(1).isNoOp()).isTrue();
    assertThat(again.entries().get(2).membership().learners()).containsExactly("n3");
    again.saveHardState(new HardState(8, null));
    again.close();

    FileRaftStorage third = FileRaftStorage.open(dir);
    assertThat(third.hardState()).isEqualTo(new HardState(8, null));
    third.close();
    assertThat(dir.resolve(FileRaftStorage.HARD_STATE_TEMP_FILE)).doesNotExist();
  }

  @Test
  void appendRejectsGapsAndNonConsecutiveEntries() {
    FileRaftStorage s = FileRaftStorage.open(tmp);
    s.append(List.of(entry(1, 1, "a")));
    assertThatThrownBy(() -> s.append(List.of(entry(1, 3, "c"))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> s.append(List.of(entry(1, 2, "b"), entry(1, 4, "d"))))
        .isInstanceOf(IllegalArgumentException.class);
    s.close();
    FileRaftStorage again = FileRaftStorage.open(tmp);
    assertThat(again.entries()).containsExactly(entry(1, 1, "a"));
    again.close();
  }

  @Test
  void aLeftoverTempFileIsIgnoredAndACorruptHardStateIsAnError() throws IOException {
    FileRaftStorage s = FileRaftStorage.open(tmp);
    s.saveHardState(new HardState(3, "n2"));
    s.close();
    // A crash between writing the temp file and renaming it.
    Files.write(tmp.resolve(FileRaftStorage.HARD_STATE_TEMP_FILE), new byte[] {1, 2, 3});
    FileRaftStorage again = FileRaftStorage.open(tmp);
    assertThat(again.hardState()).isEqualTo(new HardState(3, "n2"));
    again.close();

    Path file = tmp.resolve(FileRaftStorage.HARD_STATE_FILE);
    byte[] bytes = Files.readAllBytes(file);
    bytes[6] ^= 0x01;
    Files.write(file, bytes);
    assertThatThrownBy(() -> FileRaftStorage.open(tmp)).isInstanceOf(UncheckedIOException.class);
  }

  /**
   * Random appends (with truncations of random suffixes), hard state changes, snapshots (matching
   * the entry at their index or not, within the log or beyond it) and reopenings, checked against
   * {@link InMemoryRaftStorage} after every step.
   */
  @Test
  void matchesTheInMemoryReferenceAcrossAppendsTruncationsAndReopens() {
    for (long seed = 1; seed <= 20; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      Path dir = tmp.resolve("seed-" + seed);
      InMemoryRaftStorage reference = new InMemoryRaftStorage();
      FileRaftStorage s = FileRaftStorage.open(dir);
      long term = 1;
      for (int step = 0; step < 60; step++) {
        int op = random.nextInt(11);
        long snapshotIndex = reference.snapshot().index();
        int size = reference.entries().size();
        if (op < 6) {
          // Mostly at the end, sometimes replacing a suffix (or the whole log after the snapshot).
          long first =
              snapshotIndex + 1 + (random.nextInt(4) == 0 ? random.nextInt(size + 1) : size);
          if (random.nextInt(3) == 0) {
            term++;
          }
          List<LogEntry> batch = new ArrayList<>();
          int count = 1 + random.nextInt(5);
          for (int i = 0; i < count; i++) {
            byte[] command = new byte[random.nextInt(3) == 0 ? 0 : random.nextInt(200)];
            for (int b = 0; b < command.length; b++) {
              command[b] = (byte) random.nextInt(256);
            }
            batch.add(
                random.nextInt(8) == 0
                    ? LogEntry.config(term, first + i, Membership.ofVoters(List.of("n" + step)))
                    : new LogEntry(term, first + i, command));
          }
          reference.append(batch);
          s.append(batch);
        } else if (op < 8) {
          HardState hs =
              new HardState(term, random.nextBoolean() ? null : "n" + random.nextInt(1000));
          reference.saveHardState(hs);
          s.saveHardState(hs);
        } else if (op == 8) {
          long index = snapshotIndex + 1 + random.nextInt(size + 3);
          List<LogEntry> log = reference.entries();
          boolean inLog = index <= snapshotIndex + size;
          long snapshotTerm =
              inLog && random.nextInt(4) != 0
                  ? log.get((int) (index - snapshotIndex - 1)).term()
                  : 1 + random.nextInt((int) term);
          byte[] data = new byte[random.nextInt(300)];
          for (int b = 0; b < data.length; b++) {
            data[b] = (byte) random.nextInt(256);
          }
          Snapshot snapshot =
              new Snapshot(index, snapshotTerm, Membership.ofVoters(List.of("n" + step)), data);
          reference.saveSnapshot(snapshot);
          s.saveSnapshot(snapshot);
        } else {
          s.close();
          s = FileRaftStorage.open(dir);
        }
        assertThat(s.entries()).as("seed %d step %d", seed, step).isEqualTo(reference.entries());
        assertThat(s.snapshot()).as("seed %d step %d", seed, step).isEqualTo(reference.snapshot());
        assertThat(s.hardState())
            .as("seed %d step %d", seed, step)
            .isEqualTo(reference.hardState());
      }
      s.close();
      FileRaftStorage reopened = FileRaftStorage.open(dir);
      assertThat(reopened.entries()).as("seed %d reopened", seed).isEqualTo(reference.entries());
      assertThat(reopened.snapshot()).as("seed %d reopened", seed).isEqualTo(reference.snapshot());
      assertThat(reopened.hardState())
          .as("seed %d reopened", seed)
          .isEqualTo(reference.hardState());
      reopened.close();
    }
  }

  @Test
  void aTailCutAtEveryOffsetOfTheLastRecordReopensToThePreviousRecords() throws IOException {
    Path dir = tmp.resolve("full");
    FileRaftStorage s = FileRaftStorage.open(dir);
    s.append(threeEntries().subList(0, 2));
    s.close();
    long before = Files.size(dir.resolve(FileRaftStorage.LOG_FILE));
    s = FileRaftStorage.open(dir);
    s.append(threeEntries().subList(2, 3));
    s.close();
    byte[] full = Files.readAllBytes(dir.resolve(FileRaftStorage.LOG_FILE));
    assertThat(full.length).isGreaterThan((int) before);

    for (int cut = (int) before; cut < full.length; cut++) {
      Path torn = tmp.resolve("cut-" + cut);
      Files.createDirectories(torn);
      Files.write(torn.resolve(FileRaftStorage.LOG_FILE), Arrays.copyOf(full, cut));
      FileRaftStorage recovered = FileRaftStorage.open(torn);
      assertThat(recovered.entries()).as("cut at %d", cut).isEqualTo(threeEntries().subList(0, 2));
      assertThat(Files.size(torn.resolve(FileRaftStorage.LOG_FILE))).isEqualTo(before);
      // The cut file is a sound base for further appends.
      recovered.append(List.of(entry(3, 3, "after")));
      recovered.close();
      FileRaftStorage again = FileRaftStorage.open(torn);
      assertThat(again.entries()).as("cut at %d, appended", cut).hasSize(3);
      assertThat(again.entries().get(2)).isEqualTo(entry(3, 3, "after"));
      again.close();
    }
  }

  @Test
  void aFlippedByteAnywhereInTheLastRecordCutsOnlyThatRecord() throws IOException {
    Path dir = tmp.resolve("full");
    FileRaftStorage s = FileRaftStorage.open(dir);
    s.append(threeEntries().subList(0, 2));
    s.close();
    long before = Files.size(dir.resolve(FileRaftStorage.LOG_FILE));
    s = FileRaftStorage.open(dir);
    s.append(threeEntries().subList(2, 3));
    s.close();
    byte[] full = Files.readAllBytes(dir.resolve(FileRaftStorage.LOG_FILE));

    for (int at = (int) before; at < full.length; at++) {
      for (int bit = 0; bit < 8; bit++) {
        Path bad = tmp.resolve("flip-" + at + "-" + bit);
        Files.createDirectories(bad);
        byte[] corrupt = full.clone();
        corrupt[at] ^= (byte) (1 << bit);
        Files.write(bad.resolve(FileRaftStorage.LOG_FILE), corrupt);
        FileRaftStorage recovered = FileRaftStorage.open(bad);
        assertThat(recovered.entries())
            .as("bit %d of byte %d flipped", bit, at)
            .isEqualTo(threeEntries().subList(0, 2));
        recovered.close();
      }
    }
  }

  private static Snapshot snapshotAt(long index, long term) {
    return new Snapshot(
        index, term, new Membership(Set.of("n1", "n2"), Set.of("n3")), new byte[] {1, 2, 3});
  }

  private static List<LogEntry> fiveEntries() {
    return List.of(
        entry(1, 1, "a"), entry(1, 2, "b"), entry(2, 3, "c"), entry(2, 4, "d"), entry(2, 5, "e"));
  }

  @Test
  void aSnapshotCompactsTheLogFileAndBothSurviveReopen() throws IOException {
    Path dir = tmp.resolve("n1");
    FileRaftStorage s = FileRaftStorage.open(dir);
    s.append(fiveEntries());
    long fullBytes = Files.size(dir.resolve(FileRaftStorage.LOG_FILE));
    s.saveSnapshot(snapshotAt(3, 2));
    assertThat(s.snapshot()).isEqualTo(snapshotAt(3, 2));
    assertThat(s.entries()).isEqualTo(fiveEntries().subList(3, 5));
    assertThat(Files.size(dir.resolve(FileRaftStorage.LOG_FILE)))
        .as("the log file was rewritten without entries 1 to 3")
        .isLessThan(fullBytes);
    s.append(List.of(entry(3, 6, "f")));
    s.close();

    FileRaftStorage again = FileRaftStorage.open(dir);
    assertThat(again.snapshot()).isEqualTo(snapshotAt(3, 2));
    assertThat(again.entries())
        .containsExactly(entry(2, 4, "d"), entry(2, 5, "e"), entry(3, 6, "f"));
    // Replacing a suffix after compaction cuts at the right record.
    again.append(List.of(entry(4, 5, "E")));
    assertThatThrownBy(() -> again.append(List.of(entry(4, 3, "C"))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> again.saveSnapshot(snapshotAt(2, 1)))
        .isInstanceOf(IllegalArgumentException.class);
    again.saveSnapshot(snapshotAt(3, 2)); // the same one again: nothing happens
    again.close();

    FileRaftStorage third = FileRaftStorage.open(dir);
    assertThat(third.entries()).containsExactly(entry(2, 4, "d"), entry(4, 5, "E"));
    // A snapshot past the end of the log, or not matching it, leaves no log.
    third.saveSnapshot(snapshotAt(9, 4));
    assertThat(third.entries()).isEmpty();
    third.append(List.of(entry(4, 10, "j")));
    third.close();
    FileRaftStorage fourth = FileRaftStorage.open(dir);
    assertThat(fourth.snapshot()).isEqualTo(snapshotAt(9, 4));
    assertThat(fourth.entries()).containsExactly(entry(4, 10, "j"));
    fourth.close();
  }

  /**
   * A crash after the new snapshot file is in place but before the log is rewritten: simulated by
   * giving a directory whose log holds entries 1 to 5 the snapshot file that compaction wrote in
   * a twin directory. Opening finishes the compaction by the same rule.
   */
  @ParameterizedTest(name = "snapshot term {0}")
  @ValueSource(longs = {2, 1})
  void aCrashBetweenTheSnapshotAndTheLogRewriteIsFinishedOnOpen(long snapshotTerm)
      throws IOException {
    Path twin = tmp.resolve("twin");
    FileRaftStorage compacted = FileRaftStorage.open(twin);
    compacted.append(fiveEntries());
    compacted.saveSnapshot(snapshotAt(3, snapshotTerm));
    List<LogEntry> expected = compacted.entries();
    compacted.close();
    assertThat(expected).hasSize(snapshotTerm == 2 ? 2 : 0); // entry 3 has term 2

    Path crashed = tmp.resolve("crashed");
    FileRaftStorage s = FileRaftStorage.open(crashed);
    s.append(fiveEntries());
    s.close();
    Files.copy(
        twin.resolve(FileRaftStorage.SNAPSHOT_FILE),
        crashed.resolve(FileRaftStorage.SNAPSHOT_FILE));

    FileRaftStorage recovered = FileRaftStorage.open(crashed);
    assertThat(recovered.snapshot()).isEqualTo(snapshotAt(3, snapshotTerm));
    assertThat(recovered.entries()).isEqualTo(expected);
    recovered.append(List.of(entry(3, 4 + expected.size(), "next")));
    recovered.close();
    assertThat(Files.readAllBytes(crashed.resolve(FileRaftStorage.LOG_FILE)))
        .as("the log file holds only what follows the snapshot")
        .hasSize((int) fileSizeOf(expected, entry(3, 4 + expected.size(), "next")));
    FileRaftStorage again = FileRaftStorage.open(crashed);
    assertThat(again.entries()).hasSize(expected.size() + 1);
    again.close();
  }

  private static long fileSizeOf(List<LogEntry> entries, LogEntry last) {
    long bytes = 4 + 8 + 8 + 1 + 4 + last.commandLength();
    for (LogEntry e : entries) {
      bytes += 4 + 8 + 8 + 1 + 4 + e.commandLength();
    }
    return bytes;
  }

  @Test
  void leftoverTempFilesAreIgnoredAndACorruptOrMissingSnapshotIsAnError() throws IOException {
    Path dir = tmp.resolve("n1");
    FileRaftStorage s = FileRaftStorage.open(dir);
    s.append(fiveEntries());
    s.saveSnapshot(snapshotAt(3, 2));
    s.close();
    // Crashes before the renames of a newer snapshot and of its rewritten log.
    Files.write(dir.resolve(FileRaftStorage.SNAPSHOT_TEMP_FILE), new byte[] {1, 2, 3});
    Files.write(dir.resolve(FileRaftStorage.LOG_TEMP_FILE), new byte[] {4, 5});
    FileRaftStorage again = FileRaftStorage.open(dir);
    assertThat(again.snapshot()).isEqualTo(snapshotAt(3, 2));
    assertThat(again.entries()).isEqualTo(fiveEntries().subList(3, 5));
    again.close();
    assertThat(dir.resolve(FileRaftStorage.SNAPSHOT_TEMP_FILE)).doesNotExist();
    assertThat(dir.resolve(FileRaftStorage.LOG_TEMP_FILE)).doesNotExist();

    Path file = dir.resolve(FileRaftStorage.SNAPSHOT_FILE);
    byte[] good = Files.readAllBytes(file);
    for (int at = 0; at < good.length; at++) {
      byte[] bad = good.clone();
      bad[at] ^= 0x10;
      Files.write(file, bad);
      int corruptAt = at;
      assertThatThrownBy(() -> FileRaftStorage.open(dir))
          .as("byte %d flipped", corruptAt)
          .isInstanceOf(UncheckedIOException.class);
    }
    Files.write(file, Arrays.copyOf(good, good.length - 1));
    assertThatThrownBy(() -> FileRaftStorage.open(dir)).isInstanceOf(UncheckedIOException.class);

    Files.delete(file);
    assertThatThrownBy(() -> FileRaftStorage.open(dir))
        .as("a log from index 4 without the snapshot that covers 1 to 3")
        .isInstanceOf(UncheckedIOException.class)
        .cause()
        .hasMessageContaining("entries are missing");
  }
}
