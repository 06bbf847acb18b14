package io.distributedcache.resp.command;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The ACL categories of our commands against Redis 7's: what {@code +@read}, {@code -@dangerous}
 * and the like grant or take away depends on them.
 */
class AclCategoriesTest {

  private final CommandTable table = CommandRegistry.standard();

  /** What {@code COMMAND INFO} of Redis 7.4 lists for a sample of commands and subcommands. */
  private static final Map<String, List<String>> REDIS_7 =
      Map.ofEntries(
          Map.entry("get", List.of("read", "string", "fast")),
          Map.entry("set", List.of("write", "string", "slow")),
          Map.entry("del", List.of("keyspace", "write", "slow")),
          Map.entry("keys", List.of("keyspace", "read", "slow", "dangerous")),
          Map.entry("flushall", List.of("keyspace", "write", "slow", "dangerous")),
          Map.entry("info", List.of("slow", "dangerous")),
          Map.entry("publish", List.of("pubsub", "fast")),
          Map.entry("ping", List.of("fast", "connection")),
          Map.entry("client", List.of("slow")),
          Map.entry("config", List.of("slow")),
          Map.entry("cluster", List.of("slow")),
          Map.entry("acl", List.of("slow")),
          Map.entry("client|list", List.of("admin", "slow", "dangerous", "connection")),
          Map.entry("client|no-evict", List.of("admin", "slow", "dangerous", "connection")),
          Map.entry("client|id", List.of("slow", "connection")),
          Map.entry("config|get", List.of("admin", "slow", "dangerous")),
          Map.entry("cluster|info", List.of("slow")),
          Map.entry("acl|setuser", List.of("admin", "slow", "dangerous")),
          Map.entry("acl|whoami", List.of("slow")),
          Map.entry("pubsub|channels", List.of("pubsub", "slow")),
          Map.entry("command|info", List.of("slow", "connection")));

  private List<String> categories(String name) {
    int bar = name.indexOf('|');
    if (bar < 0) {
      return table.lookup(name).aclCategories();
    }
    CommandSpec container = table.lookup(name.substring(0, bar));
    CommandSpec.Subcommand sub =
        container.subcommand(Args.bytes(name.substring(bar + 1)));
    assertThat(sub).as(name).isNotNull();
    return sub.aclCategories();
  }

  @Test
  void sampleMatchesRedis7() {
    REDIS_7.forEach(
        (name, expected) ->
            assertThat(categories(name)).as(name).containsExactlyInAnyOrderElementsOf(expected));
  }

  @Test
  void flagsAndCategoriesAgree() {
    List<String> problems = new ArrayList<>();
    for (CommandSpec spec : table.all()) {
      List<String> c = spec.aclCategories();
      if (c.contains("fast") == c.contains("slow")) {
        problems.add(spec.name() + ": exactly one of fast and slow");
      }
      if (spec.flags().contains("write") != c.contains("write")) {
        problems.add(spec.name() + ": write flag and @write disagree");
      }
      if (spec.flags().contains("readonly") && !c.contains("read")) {
        problems.add(spec.name() + ": readonly without @read");
      }
      for (CommandSpec.Subcommand sub : spec.subcommands()) {
        List<String> sc = sub.aclCategories();
        if (sub.flags().contains("admin") != sc.contains("admin")
            || (sc.contains("admin") && !sc.contains("dangerous"))) {
          problems.add(sub.fullName() + ": admin subcommands are @admin and @dangerous");
        }
        if (sc.contains("fast") == sc.contains("slow")) {
          problems.add(sub.fullName() + ": exactly one of fast and slow");
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void everyCommandAndSubcommandHasItsOwnAclId() {
    List<Integer> ids = new ArrayList<>();
    for (CommandSpec spec : table.all()) {
      ids.add(spec.aclId());
      spec.subcommands().forEach(sub -> ids.add(sub.aclId()));
    }
    assertThat(ids).doesNotHaveDuplicates().allMatch(id -> id >= 0);
  }
}
