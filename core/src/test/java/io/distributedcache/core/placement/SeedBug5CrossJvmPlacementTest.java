package io.distributedcache.core.placement;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seed bug 5 regression, ring half: the prototype placed keys with a per-process seeded hash, so two
 * nodes disagreed about where a key lives. Two child JVMs with different identity-hash algorithms,
 * secure-random seeds, default charsets and locales compute the placement of 10,000 keys for the
 * test-vector membership; both must print the same line, and that line must be the checked-in one.
 * (The CRC16 half is {@code keyspace.SeedBug5StablePlacementTest}.)
 */
class SeedBug5CrossJvmPlacementTest {

  /** Generated once with this code; see {@link PlacementDigestMain#describe}. */
  static final String EXPECTED =
      "keys=e8c6c571aa4afb25 placement=b9351a6166eb10a2 membership=3578b49bb5514064";

  private static final long CHILD_DEADLINE_SECONDS = 120;

  @Test
  void thisJvmMatchesTheCheckedInPlacement() {
    assertThat(PlacementDigestMain.describe(RingFixtures.vectorRing())).isEqualTo(EXPECTED);
  }

  @Test
  void twoDifferentlyConfiguredJvmsAgreeWithTheCheckedInPlacement(@TempDir Path dir)
      throws IOException, InterruptedException {
    String first =
        runChild(
            dir,
            "a",
            List.of(
                "-XX:+UnlockExperimentalVMOptions",
                "-XX:hashCode=2",
                "-Djava.util.secureRandomSeed=1",
                "-Dfile.encoding=UTF-8",
                "-Duser.language=en",
                "-Duser.country=US"));
    String second =
        runChild(
            dir,
            "b",
            List.of(
                "-XX:+UnlockExperimentalVMOptions",
                "-XX:hashCode=5",
                "-Djava.util.secureRandomSeed=987654321",
                "-Dfile.encoding=ISO-8859-1",
                "-Duser.language=tr",
                "-Duser.country=TR",
                "-XX:TieredStopAtLevel=1"));
    assertThat(first).isEqualTo(second).isEqualTo(EXPECTED);
  }

  private static String runChild(Path dir, String name, List<String> jvmOptions)
      throws IOException, InterruptedException {
    Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(PlacementDigestMain.class.getName());
    Path stdout = dir.resolve(name + ".out");
    Path stderr = dir.resolve(name + ".err");
    Process child =
        new ProcessBuilder(command)
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile())
            .start();
    try {
      child.getOutputStream().close(); // the child reads nothing
      boolean exited = child.waitFor(CHILD_DEADLINE_SECONDS, TimeUnit.SECONDS);
      assertThat(exited)
          .as("child %s (pid %d) still running after %d s: %s",
              name, child.pid(), CHILD_DEADLINE_SECONDS, command)
          .isTrue();
      String err = Files.readString(stderr, StandardCharsets.UTF_8);
      assertThat(child.exitValue()).as("child %s exit code; stderr: %s", name, err).isZero();
      return Files.readString(stdout, StandardCharsets.UTF_8).strip();
    } finally {
      if (child.isAlive()) {
        child.destroyForcibly();
        child.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
