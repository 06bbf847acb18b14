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
   * Random appends (with truncations of random suffixes), hard state changes and reopenings,
   * checked against {@link InMemoryRaftStorage} after every step.
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
        int op = random.nextInt(10);
        if (op < 6) {
          int size = reference.entries().size();
          // Mostly at the end, sometimes replacing a suffix (or the whole log).
          long first = random.nextInt(4) == 0 ? 1 + random.nextInt(size + 1) : size + 1;
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
        } else {
          s.close();
          s = FileRaftStorage.open(dir);
        }
        assertThat(s.entries()).as("seed %d step %d", seed, step).isEqualTo(reference.entries());
        assertThat(s.hardState())
            .as("seed %d step %d", seed, step)
            .isEqualTo(reference.hardState());
      }
      s.close();
      FileRaftStorage reopened = FileRaftStorage.open(dir);
      assertThat(reopened.entries()).as("seed %d reopened", seed).isEqualTo(reference.entries());
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
}
