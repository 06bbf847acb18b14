package io.distributedcache.bench;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything one load-generator run needs, validated.
 *
 * @param targets servers; connection {@code i} goes to {@code targets[i % size]}
 * @param connections parallel connections, each driven by its own thread in a closed loop
 * @param duration the measured window
 * @param warmup time before the measured window; its operations are not recorded
 * @param operation what every connection sends
 * @param keyspace keys are {@code key:<n>} with {@code n} uniform in {@code [0, keyspace)}
 * @param valueSize bytes of every SET value
 * @param waitReplicas when positive, every write is followed by {@code WAIT waitReplicas 0} on the
 *     same connection, inside the operation's latency
 * @param consistency when present, {@code CONSISTENCY <level>} is sent once on every connection
 * @param label names the run in the output
 * @param seed seeds the key choice (connection {@code i} uses the {@code i}-th split of it)
 * @param connectTimeout bound on opening one connection
 * @param replyTimeout bound on waiting for one reply
 */
public record LoadSettings(
    List<Target> targets,
    int connections,
    Duration duration,
    Duration warmup,
    Operation operation,
    long keyspace,
    int valueSize,
    int waitReplicas,
    Optional<String> consistency,
    String label,
    long seed,
    Duration connectTimeout,
    Duration replyTimeout) {

  /** Upper bound on connections: one platform thread each. */
  public static final int MAX_CONNECTIONS = 1000;

  /** Upper bound on a value, far below Redis' 512 MB bulk limit; a benchmark needs no more. */
  public static final int MAX_VALUE_SIZE = 64 * 1024 * 1024;

  /**
   * Validates every field.
   *
   * @throws IllegalArgumentException naming the option that is out of range
   */
  public LoadSettings {
    targets = List.copyOf(targets);
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(consistency, "consistency");
    Objects.requireNonNull(label, "label");
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("--targets: at least one host:port");
    }
    if (connections < 1 || connections > MAX_CONNECTIONS) {
      throw new IllegalArgumentException(
          "--connections must be between 1 and " + MAX_CONNECTIONS + ": " + connections);
    }
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("--duration must be positive: " + duration);
    }
    if (warmup.isNegative()) {
      throw new IllegalArgumentException("--warmup must not be negative: " + warmup);
    }
    if (keyspace < 1) {
      throw new IllegalArgumentException("--keyspace must be at least 1: " + keyspace);
    }
    if (valueSize < 0 || valueSize > MAX_VALUE_SIZE) {
      throw new IllegalArgumentException(
          "--value-size must be between 0 and " + MAX_VALUE_SIZE + ": " + valueSize);
    }
    if (waitReplicas < 0) {
      throw new IllegalArgumentException("--wait-replicas must not be negative: " + waitReplicas);
    }
    if (waitReplicas > 0 && !operation.isWrite()) {
      throw new IllegalArgumentException(
          "--wait-replicas only applies to writes (set, incr), not " + operation.cliName());
    }
    if (consistency.isPresent() && consistency.get().isBlank()) {
      throw new IllegalArgumentException("--consistency must not be blank");
    }
    for (Duration d : List.of(connectTimeout, replyTimeout)) {
      if (d.toMillis() < 1 || d.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("timeouts must be between 1 ms and 24 days: " + d);
      }
    }
  }
}
