package io.distributedcache.simulator;

/** What the simulator's tests share: the replay command and the report around a violation. */
final class SimTests {

  private SimTests() {}

  /** The one-line Maven command that replays a test method (with extra -D properties). */
  static String replay(String testMethod, String properties) {
    return "mvn -pl simulator -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest='"
        + testMethod
        + "' "
        + properties;
  }

  /** Runs {@code config}; on a violation, fails with the replay command in front of the report. */
  static SimResult runOrFail(SimConfig config, String replayCommand) {
    try {
      return Simulation.run(config);
    } catch (InvariantViolation v) {
      throw new AssertionError("Replay: " + replayCommand + "\n" + v.getMessage(), v);
    }
  }
}
