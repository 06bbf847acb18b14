package io.distributedcache.resp.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.time.ManualClock;
import io.distributedcache.resp.command.CommandSpec;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The permission check on the hot path, for the user every connection starts as. */
class AclFastPathTest {

  private final ManualClock clock = new ManualClock(1_000_000_000L, 1_700_000_000_000L);

  @Test
  void checkingTheUnrestrictedDefaultUserAllocatesNothing() {
    NodeContext node =
        RespServer.standalone(
                ServerSettings.defaults().withRequirePass("pw"), clock, clock,
                new SplittableRandom(1))
            .node();
    AclUser user = node.acl().defaultUser();
    CommandSpec set = node.commands().lookup("set");
    CommandSpec clientList = node.commands().lookup("client");
    byte[][] setArgs = {bytes("SET"), bytes("k"), bytes("v")};
    byte[][] listArgs = {bytes("CLIENT"), bytes("LIST")};
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    int denials = 0;
    for (int i = 0; i < 20_000; i++) {
      denials += (user.denial(set, setArgs) == null ? 0 : 1);
    }
    long before = threads.getThreadAllocatedBytes(tid);
    for (int i = 0; i < 200_000; i++) {
      denials += (user.denial(set, setArgs) == null ? 0 : 1);
      denials += (user.denial(clientList, listArgs) == null ? 0 : 1);
    }
    long allocated = threads.getThreadAllocatedBytes(tid) - before;
    assertThat(denials).isZero();
    // 400,000 checks: any per-check allocation would be megabytes; the bean itself costs a little.
    assertThat(allocated).isLessThan(4_096);
  }

  @Test
  void restrictingTheDefaultUserLeavesTheFastPath() {
    NodeContext node =
        RespServer.standalone(ServerSettings.defaults(), clock, clock, new SplittableRandom(2))
            .node();
    AclUser user = node.acl().defaultUser();
    CommandSpec flushall = node.commands().lookup("flushall");
    byte[][] args = {bytes("FLUSHALL")};
    assertThat(user.denial(flushall, args)).isNull();
    node.acl().setUser("default", List.of("-@dangerous"));
    assertThat(user.denial(flushall, args))
        .isEqualTo("User default has no permissions to run the 'flushall' command");
    node.acl().setUser("default", List.of("+@all"));
    assertThat(user.denial(flushall, args)).isNull();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
