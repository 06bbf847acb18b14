package io.distributedcache.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class LoadGeneratorOptionsTest {

  @Test
  void defaultsMatchTheDocumentation() {
    LoadSettings s = LoadGenerator.parse();
    assertThat(s.targets()).containsExactly(new Target("127.0.0.1", 6379));
    assertThat(s.connections()).isEqualTo(50);
    assertThat(s.duration()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.warmup()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.operation()).isEqualTo(Operation.SET);
    assertThat(s.keyspace()).isEqualTo(100_000);
    assertThat(s.valueSize()).isEqualTo(100);
    assertThat(s.waitReplicas()).isZero();
    assertThat(s.consistency()).isEmpty();
    assertThat(s.label()).isEqualTo("set");
    assertThat(s.seed()).isEqualTo(1);
    assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.replyTimeout()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void parsesEveryOption() {
    LoadSettings s =
        LoadGenerator.parse(
            "--targets", "127.0.0.1:7000,localhost:7001,[::1]:7002",
            "--connections", "3",
            "--duration", "1.5s",
            "--warmup", "250ms",
            "--command", "INCR",
            "--keyspace", "10",
            "--value-size", "0",
            "--wait-replicas", "2",
            "--consistency", "QUORUM",
            "--label", "ours x3",
            "--seed", "-9",
            "--connect-timeout", "2",
            "--reply-timeout", "1m");
    assertThat(s.targets())
        .containsExactly(
            new Target("127.0.0.1", 7000), new Target("localhost", 7001), new Target("::1", 7002));
    assertThat(s.connections()).isEqualTo(3);
    assertThat(s.duration()).isEqualTo(Duration.ofMillis(1500));
    assertThat(s.warmup()).isEqualTo(Duration.ofMillis(250));
    assertThat(s.operation()).isEqualTo(Operation.INCR);
    assertThat(s.keyspace()).isEqualTo(10);
    assertThat(s.valueSize()).isZero();
    assertThat(s.waitReplicas()).isEqualTo(2);
    assertThat(s.consistency()).isEqualTo(Optional.of("QUORUM"));
    assertThat(s.label()).isEqualTo("ours x3");
    assertThat(s.seed()).isEqualTo(-9);
    assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.replyTimeout()).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void targetsMayBeRepeatedAndShortOptionsWork() {
    LoadSettings s =
        LoadGenerator.parse(
            "--targets=h1:1", "--targets", "h2:2", "-c", "7", "-d", "16", "--command=get");
    assertThat(s.targets()).containsExactly(new Target("h1", 1), new Target("h2", 2));
    assertThat(s.connections()).isEqualTo(7);
    assertThat(s.valueSize()).isEqualTo(16);
    assertThat(s.operation()).isEqualTo(Operation.GET);
    assertThat(s.label()).isEqualTo("get");
  }

  @ParameterizedTest
  @CsvSource({
    "10s, 10000",
    "10, 10000",
    "500ms, 500",
    "1.5s, 1500",
    "2m, 120000",
    "1h, 3600000",
    "PT3S, 3000",
    "0.25, 250",
    "1500us, 1",
  })
  void parsesDurations(String text, long expectedMillis) {
    assertThat(Durations.parse(text).toMillis()).isEqualTo(expectedMillis);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "s", "10x", "ten", "1.2.3s", "PTX", "10 s s"})
  void rejectsMalformedDurations(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(text.strip().isEmpty() ? "duration" : text.strip());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--targets|nohost|expected host:port",
        "--targets|h:0|port out of range",
        "--targets|h:65536|port out of range",
        "--targets|h:x|bad port",
        "--targets|::1:7000|IPv6 addresses need brackets",
        "--connections|0|--connections",
        "--connections|1001|--connections",
        "--duration|0s|--duration",
        "--duration|-1s|--duration",
        "--warmup|-1s|--warmup",
        "--keyspace|0|--keyspace",
        "--value-size|-1|--value-size",
        "--wait-replicas|-1|--wait-replicas",
        "--consistency|' '|--consistency",
        "--command|del|del",
        "--duration|soon|soon",
        "--reply-timeout|0s|timeouts",
      })
  void rejectsBadValuesAsUsageErrors(String option, String value, String messagePart) {
    assertThatThrownBy(() -> LoadGenerator.parse(option, value))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining(messagePart);
  }

  @Test
  void waitReplicasOnlyFollowsWrites() {
    assertThatThrownBy(() -> LoadGenerator.parse("--command", "get", "--wait-replicas", "1"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("only applies to writes");
    assertThat(LoadGenerator.parse("--command", "incr", "--wait-replicas", "1").waitReplicas())
        .isEqualTo(1);
  }

  @Test
  void unknownOptionsAreUsageErrors() {
    assertThatThrownBy(() -> LoadGenerator.parse("--pipeline", "16"))
        .isInstanceOf(CommandLine.UnmatchedArgumentException.class);
  }

  @Test
  void targetsPrintAsTheyParse() {
    for (String text : List.of("127.0.0.1:7000", "[::1]:6379", "example:1")) {
      assertThat(Target.parse(text).toString()).isEqualTo(text);
    }
  }
}
