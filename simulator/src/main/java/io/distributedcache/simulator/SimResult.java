package io.distributedcache.simulator;

/**
 * What a simulation run did, when no invariant broke.
 *
 * @param seed the run's seed
 * @param events events processed
 * @param traceDigest a digest of every event's time, kind and payload and of every reply: two
 *     runs of one config must agree on it
 * @param simulatedNanos simulated time at the end
 * @param operations client operations issued
 * @param acknowledged operations answered with success
 * @param failed operations answered with an error
 * @param unknown writes answered with an unknown outcome, or never answered (coordinator crash)
 * @param messagesSent peer messages sent (each encoded with the real codec)
 * @param messagesDropped messages dropped by the fault injector
 * @param messagesDuplicated messages delivered twice
 * @param crashes node crashes
 * @param partitions partitions started
 * @param clockSteps wall-clock steps
 * @param figures what the nodes and checkers counted, summed over every node incarnation: the
 *     {@code ClusterStats} counters ({@code cluster.readRepairs}, {@code cluster.slotsSynced},
 *     {@code cluster.digestMismatches}, ...), {@code hlc.skewEvents}, and the checkers' work
 *     ({@code ttl.copiesChecked}, {@code ttl.relayedCopies}, {@code ttl.expiryChecks})
 */
public record SimResult(
    long seed,
    long events,
    long traceDigest,
    long simulatedNanos,
    long operations,
    long acknowledged,
    long failed,
    long unknown,
    long messagesSent,
    long messagesDropped,
    long messagesDuplicated,
    int crashes,
    int partitions,
    int clockSteps,
    java.util.Map<String, Long> figures) {

  public SimResult {
    figures = java.util.Map.copyOf(figures);
  }

  /** One of {@link #figures()}, 0 if absent. */
  public long figure(String name) {
    return figures.getOrDefault(name, 0L);
  }

  /** One line for logs. */
  public String summary() {
    return String.format(
        java.util.Locale.ROOT,
        "seed=%d events=%d sim=%.1fs ops=%d ok=%d failed=%d unknown=%d msgs=%d dropped=%d"
            + " dup=%d crashes=%d partitions=%d clockSteps=%d digest=%016x",
        seed,
        events,
        simulatedNanos / 1e9,
        operations,
        acknowledged,
        failed,
        unknown,
        messagesSent,
        messagesDropped,
        messagesDuplicated,
        crashes,
        partitions,
        clockSteps,
        traceDigest);
  }
}
