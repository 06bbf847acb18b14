package io.distributedcache.faultlab.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.faultlab.check.CheckResult;
import io.distributedcache.faultlab.history.HistoryFile;
import io.distributedcache.faultlab.history.Op;
import io.distributedcache.faultlab.workload.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The short fault-lab run of {@code mvn verify}: three real nodes behind the fault proxy, 25 s of
 * workload under the first two faults of the "mixed" schedule (a kill -9 and restart, then a
 * minority partition), heal, final reads, checkers. The seed is printed; replay one with {@code
 * -Dfaultlab.seed=N}.
 */
class FaultLabMixedTest {

  @Test
  void mixedFaultsLeaveNoViolationAndTheFaultsWereReal() {
    long seed = FaultLab.seedFromProperty();
    FaultLab.RunConfig config =
        new FaultLab.RunConfig(
            Schedule.MIXED, seed, 3, Duration.ofSeconds(25), 2, Lab.serverJar(), Lab.historyDir());

    FaultLab.RunResult result = FaultLab.run(config);

    String context = result.line() + "\nfaults: " + result.faultLog();
    assertThat(result.faultLog()).as(context)
        .anyMatch(l -> l.contains("kill -9"))
        .anyMatch(l -> l.contains("partition"));
    assertThat(result.problems()).as(context).isEmpty();
    for (CheckResult r : result.results()) {
      assertThat(r.violations()).as("%s\n%s", r.checker(), context).isEmpty();
    }
    assertThat(result.okByFunction()).as(context)
        .containsKeys(
            Workload.WRITE, Workload.READ, Workload.INCR, Workload.WRITE_TTL, Workload.ADD,
            Workload.FINAL_READ);
    assertThat(result.failed() + result.unknown()).as("fail + info ops; " + context).isPositive();

    List<Op> written = HistoryFile.read(result.historyFile());
    assertThat(written).as("history file").hasSize((int) (2 * result.operations() + 2 * result.finalReads()));
    assertThat(written.get(0).index()).isZero();
  }

  /** Paths the build passes in (see faultlab/pom.xml). */
  static final class Lab {
    private Lab() {}

    static Path serverJar() {
      String jar = System.getProperty("faultlab.serverJar", "");
      Path path = Path.of(jar);
      if (jar.isBlank() || !path.toFile().isFile()) {
        throw new IllegalStateException(
            "server jar " + jar + " missing: build it first (mvn -pl server,faultlab -am package)");
      }
      return path;
    }

    static Path historyDir() {
      return Path.of(System.getProperty("faultlab.historyDir", "target/histories"));
    }
  }
}
