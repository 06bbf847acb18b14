package io.distributedcache.core.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import io.distributedcache.core.arch.canary.ViolatesEveryRule;
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
 * The core is sans-I/O (DESIGN.md section 10): no network, no threads of its own, no clock but the
 * injected ones, no randomness but the injected, seeded one. These rules make any breach fail the
 * build; the canary test proves each rule still catches what it is meant to catch.
 */
class CoreIsSansIoTest {

  private static final String CORE = "io.distributedcache.core..";

  static final ArchRule NO_IO =
      noClasses()
          .that()
          .resideInAPackage(CORE)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("io.netty..", "java.net..", "java.nio.channels..")
          .because("the core is sans-I/O: sockets and channels live in adapters");

  static final ArchRule NO_THREADS =
      noClasses()
          .that()
          .resideInAPackage(CORE)
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
          .because("the core owns no threads: callers and the simulator drive it");

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
          .resideInAPackage(CORE)
          .should()
          .callMethodWhere(
              DescribedPredicate.describe(
                  "reads the system clock (System.currentTimeMillis/nanoTime, Instant.now, "
                      + "Clock.systemUTC/systemDefaultZone, *.now())",
                  (JavaCall<?> call) ->
                      CLOCK_METHODS.contains(call.getName())
                          && CLOCK_OWNERS.stream()
                              .anyMatch(owner -> call.getTargetOwner().isEquivalentTo(owner))))
          .because("time comes only from the injected Ticker and WallClock (seed bug 1)");

  static final ArchRule NO_UNSEEDED_RANDOMNESS =
      noClasses()
          .that()
          .resideInAPackage(CORE)
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
          .because("randomness is injected and seeded, so a run replays exactly");

  static final List<ArchRule> RULES =
      List.of(NO_IO, NO_THREADS, NO_SYSTEM_CLOCK, NO_UNSEEDED_RANDOMNESS);

  @Test
  void coreHasNoIo() {
    NO_IO.check(mainClasses());
  }

  @Test
  void coreOwnsNoThreads() {
    NO_THREADS.check(mainClasses());
  }

  @Test
  void coreNeverReadsTheSystemClock() {
    NO_SYSTEM_CLOCK.check(mainClasses());
  }

  @Test
  void coreHasNoUnseededRandomness() {
    NO_UNSEEDED_RANDOMNESS.check(mainClasses());
  }

  /** Each rule reports the canary, which breaks every rule on purpose; so no rule is vacuous. */
  @Test
  void everyRuleCatchesTheCanary() {
    JavaClasses canary = new ClassFileImporter().importClasses(ViolatesEveryRule.class);
    for (ArchRule rule : RULES) {
      EvaluationResult result = rule.evaluate(canary);
      assertThat(result.hasViolation()).as(rule.getDescription()).isTrue();
    }
    String report = NO_SYSTEM_CLOCK.evaluate(canary).getFailureReport().toString();
    assertThat(report).contains("nanoTime", "currentTimeMillis", "Instant.now", "Clock.systemUTC");
    String randomness = NO_UNSEEDED_RANDOMNESS.evaluate(canary).getFailureReport().toString();
    assertThat(randomness).contains("Random.<init>()", "ThreadLocalRandom", "Math.random");
  }

  private static JavaClasses mainClasses() {
    return new ClassFileImporter()
        // ArchUnit's DO_NOT_INCLUDE_TESTS knows only target/test-classes; builds may use another
        // output directory (-Dbuild.dir.name), so reject any test-classes location.
        .withImportOption(location -> !location.contains("/test-classes/"))
        .importPackages("io.distributedcache.core");
  }
}
