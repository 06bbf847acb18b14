package io.distributedcache.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.resp.command.ClusterLayout;
import io.distributedcache.server.ClusterView.Member;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parsing of the replies {@link ClusterView} reads, in the formats the node writes them. */
class ClusterCliViewTest {

  private static String id(String name) {
    return ClusterLayout.redisNodeId(name);
  }

  @Test
  void infoSkipsSectionHeadersAndBlankLines() {
    assertThat(ClusterView.parseInfo("# Cluster\r\ncluster_enabled:1\r\n\r\npeers:n2=up,n3=down\r\n"
            + "odd line\r\nurl:http://x:1\r\n"))
        .containsExactly(
            Map.entry("cluster_enabled", "1"),
            Map.entry("peers", "n2=up,n3=down"),
            Map.entry("url", "http://x:1"));
  }

  @Test
  void nodesAreNamedByTheirShaOneAndCarryFlagsAddressesAndSlots() {
    String nodes =
        id("n1") + " 127.0.0.1:7000@17000 myself,master - 0 0 3 connected 0-99 200 300-309\n"
            + id("n2") + " ::1:7001@17001 master,fail - 0 0 3 disconnected\n"
            + id("n3") + " :0@17002 master,noaddr - 0 0 3 connected 100-199\n"
            + id("stranger") + " 10.0.0.9:7009@17009 master - 0 0 3 connected\n"
            + "garbage\n";

    List<Member> members = ClusterView.parseNodes(nodes, List.of("n1", "n2", "n3"), false);

    assertThat(members)
        .containsExactly(
            new Member("n1", "127.0.0.1", 7000, 17000, true, "active", true, 111),
            new Member("n2", "::1", 7001, 17001, false, "failed", false, 0),
            new Member("n3", "", 0, 17002, false, "active", true, 100),
            new Member(id("stranger").substring(0, 8), "10.0.0.9", 7009, 17009, false, "active",
                true, 0));
    assertThat(members.get(1).clientAddress()).isEqualTo("[::1]:7001");
    assertThat(members.get(2).clientAddress()).isEqualTo("-");
  }

  @Test
  void whileSomeoneLeavesTheMemberPrimaryOfNothingIsLeaving() {
    String nodes =
        id("n1") + " 127.0.0.1:7000@17000 myself,master - 0 0 3 connected 0-16383\n"
            + id("n2") + " 127.0.0.1:7001@17001 master - 0 0 3 connected\n"
            + id("n3") + " 127.0.0.1:7002@17002 master,fail - 0 0 3 disconnected\n";

    assertThat(ClusterView.parseNodes(nodes, List.of("n1", "n2", "n3"), true))
        .extracting(Member::state)
        .containsExactly("active", "leaving", "failed");
    assertThat(ClusterView.parseNodes(nodes, List.of("n1", "n2", "n3"), false))
        .extracting(Member::state)
        .containsExactly("active", "active", "failed");
  }

  @Test
  void namesAreAlsoFoundInClusterShards() {
    Object shards =
        List.of(
            List.of("slots", List.of(0L, 5L), "nodes",
                List.of(List.of("id", id("n1"), "hostname", "n1", "port", 7000L),
                    List.of("id", id("n2"), "hostname", "n2"))),
            List.of("slots", List.of(6L, 9L), "nodes",
                List.of(List.of("hostname", "n3"), List.of("hostname", "n1"))));

    assertThat(ClusterView.namesInShards(shards)).containsExactly("n1", "n2", "n3");
    assertThat(ClusterView.namesInShards(new RespClient.ErrorReply("ERR"))).isEmpty();
  }

  @Test
  void namesComeFromInfoClusterAndClusterInfo() {
    ClusterView view =
        ClusterView.parse(
            Map.of("cluster_state", "ok", "dc_node_name", "a", "dc_ring_epoch", "7"),
            Map.of("node_id", "a", "peers", "b=up,c=down"),
            id("a") + " h:1@2 myself,master - 0 0 7 connected 0-16383\n"
                + id("b") + " h:3@4 master - 0 0 7 connected\n"
                + id("c") + " h:5@6 master - 0 0 7 disconnected\n");

    assertThat(view.members()).extracting(Member::name).containsExactly("a", "b", "c");
    assertThat(view.selfName()).isEqualTo("a");
    assertThat(view.epoch()).isEqualTo(7);
    assertThat(view.problems()).containsExactly("c is unreachable from a");
    assertThat(view.endpointsExcept("b"))
        .containsExactly(new ClusterView.Endpoint("h", 1), new ClusterView.Endpoint("h", 5));
  }
}
