package io.distributedcache.raft;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.FileReader;
import java.io.FileWriter;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.Timer;
import java.util.TimerTask;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * The raft module is sans-I/O like the core (DESIGN.md section 7: Raft runs inside the
 * deterministic simulator): no network, no threads of its own, no clock but logical ticks, no
 * randomness but the injected {@link java.util.random.RandomGenerator}. {@link FileRaftStorage} is
 * the one exception, for files only: it is the adapter that does the node's disk I/O by design.
 * {@link RaftMessageCodec} is pure byte manipulation and stays under every rule. The approach is
 * core's {@code CoreIsSansIoTest}; a canary proves each rule still catches what it is meant to.
 */
class RaftIsSansIoTest {

  private static final String RAFT = "io.distributedcache.raft..";

  static final ArchRule NO_NETWORK_OR_FILES =
      noClasses()
          .that()
          .resideInAPackage(RAFT)
          .and()
          .doNotBelongToAnyOf(FileRaftStorage.class)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("java.net..", "java.nio.channels..", "java.nio.file..")
          .orShould()
          .dependOnClassesThat()
          .belongToAnyOf(
              File.class,
              FileInputStream.class,
              FileOutputStream.class,
              FileReader.class,
              FileWriter.class,
              RandomAccessFile.class)
          .because("the node decides, adapters do I/O: only FileRaftStorage touches files");

  static final ArchRule NO_THREADS =
      noClasses()
          .that()
          .resideInAPackage(RAFT)
          .should()
          .dependOnClassesThat()
          .belongToAnyOf(
              Thread.class,
              Executor.class,
              ExecutorService.class,
              ScheduledExecutorService.class,
              ForkJoinPool.class,
              Executors.class,
              Timer.class,
              TimerTask.class)
          .because("a RaftNode owns no threads: the application or the simulator drives it");

  private static final Set<Class<?>> CLOCK_OWNERS =
      Set.of(
          System.class,
          Instant.class,
          Clock.class,
          LocalDateTime.class,
          LocalDate.class,
          LocalTime.class,
          ZonedDateTime.class,
          OffsetDateTime.class);
  private static final Set<String> CLOCK_METHODS =
      Set.of("currentTimeMillis", "nanoTime", "now", "systemUTC", "systemDefaultZone");

  static final ArchRule NO_SYSTEM_CLOCK =
      noClasses()
          .that()
          .resideInAPackage(RAFT)
          .should()
          .callMethodWhere(
              DescribedPredicate.describe(
                  "reads the system clock (System.currentTimeMillis/nanoTime, Instant.now, "
                      + "Clock.systemUTC/systemDefaultZone, *.now())",
                  (JavaCall<?> call) ->
                      CLOCK_METHODS.contains(call.getName())
                          && CLOCK_OWNERS.stream()
                              .anyMatch(owner -> call.getTargetOwner().isEquivalentTo(owner))))
          .orShould()
          .dependOnClassesThat()
          .belongToAnyOf(Clock.class)
          .because("time is logical: tick() is the only clock");

  static final ArchRule NO_UNSEEDED_RANDOMNESS =
      noClasses()
          .that()
          .resideInAPackage(RAFT)
          .should()
          .callConstructor(Random.class)
          .orShould()
          .callConstructor(SecureRandom.class)
          .orShould()
          .callConstructor(SplittableRandom.class)
          .orShould()
          .dependOnClassesThat()
          .belongToAnyOf(ThreadLocalRandom.class)
          .orShould()
          .callMethod(Math.class, "random")
          .orShould()
          .callMethod(StrictMath.class, "random")
          .because("randomness is injected and seeded, so a simulation replays exactly");

  static final List<ArchRule> RULES =
      List.of(NO_NETWORK_OR_FILES, NO_THREADS, NO_SYSTEM_CLOCK, NO_UNSEEDED_RANDOMNESS);

  @Test
  void raftDoesNoNetworkOrFileIoOutsideFileRaftStorage() {
    NO_NETWORK_OR_FILES.check(mainClasses());
  }

  @Test
  void raftOwnsNoThreads() {
    NO_THREADS.check(mainClasses());
  }

  @Test
  void raftNeverReadsTheSystemClock() {
    NO_SYSTEM_CLOCK.check(mainClasses());
  }

  @Test
  void raftHasNoUnseededRandomness() {
    NO_UNSEEDED_RANDOMNESS.check(mainClasses());
  }

  /** The rules look at the real classes: the node and the codec are among those imported. */
  @Test
  void theRulesSeeTheMainClasses() {
    JavaClasses main = mainClasses();
    assertThat(main.contain(RaftNode.class)).isTrue();
    assertThat(main.contain(RaftMessageCodec.class)).isTrue();
    assertThat(main.contain(FileRaftStorage.class)).isTrue();
    assertThat(main.contain(RaftIsSansIoTest.class)).as("no test classes").isFalse();
  }

  /** Each rule reports the canary, which breaks every rule on purpose; so no rule is vacuous. */
  @Test
  void everyRuleCatchesTheCanary() {
    JavaClasses canary = new ClassFileImporter().importClasses(ViolatesEveryRule.class);
    for (ArchRule rule : RULES) {
      EvaluationResult result = rule.evaluate(canary);
      assertThat(result.hasViolation()).as(rule.getDescription()).isTrue();
    }
    String io = NO_NETWORK_OR_FILES.evaluate(canary).getFailureReport().toString();
    assertThat(io).contains("InetSocketAddress", "java.nio.file.Files", "java.io.File");
    String clock = NO_SYSTEM_CLOCK.evaluate(canary).getFailureReport().toString();
    assertThat(clock).contains("nanoTime", "currentTimeMillis", "Instant.now", "Clock.systemUTC");
    String randomness = NO_UNSEEDED_RANDOMNESS.evaluate(canary).getFailureReport().toString();
    assertThat(randomness).contains("Random.<init>()", "ThreadLocalRandom", "Math.random");
    String threads = NO_THREADS.evaluate(canary).getFailureReport().toString();
    assertThat(threads).contains("Executors", "Thread");
  }

  /** Imported once: importing is the slow part, and the classes do not change during a run. */
  private static JavaClasses mainClasses;

  private static synchronized JavaClasses mainClasses() {
    if (mainClasses == null) {
      mainClasses =
          new ClassFileImporter()
              // ArchUnit's DO_NOT_INCLUDE_TESTS knows only target/test-classes; builds may use
              // another output directory (-Dbuild.dir.name), so reject any test-classes location.
              .withImportOption(location -> !location.contains("/test-classes/"))
              .importPackages("io.distributedcache.raft");
    }
    return mainClasses;
  }

  /** Test-only: breaks every rule so that the rules can be shown to catch it. Never called. */
  static final class ViolatesEveryRule {

    private ViolatesEveryRule() {}

    static long everything() throws IOException {
      long sum = System.nanoTime() + System.currentTimeMillis() + Instant.now().toEpochMilli();
      sum += Clock.systemUTC().millis();
      sum += new Random().nextInt() + ThreadLocalRandom.current().nextInt() + (long) Math.random();
      sum += new InetSocketAddress(0).getPort();
      sum += Files.size(Path.of("x")) + new File("y").length();
      Executors.newSingleThreadExecutor().shutdown();
      sum += Thread.currentThread().getId();
      return sum;
    }
  }
}
