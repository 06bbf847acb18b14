package io.distributedcache.core.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.core.control.ClusterMetadata.Result;
import java.util.ArrayList;
import java.util.List;

/** Helpers shared by the control-plane tests. */
final class ControlFixtures {

  /** Few virtual nodes keep ring builds cheap; placement rules do not depend on the count. */
  static final int VNODES = 16;

  private ControlFixtures() {}

  static NodeRecord node(String id, int n) {
    return new NodeRecord(id, "127.0.0.1", 7100 + n, 6300 + n, NodeState.ACTIVE);
  }

  /** {@code count} ACTIVE nodes n1..n{count} on 127.0.0.1:7101.. with client ports 6301... */
  static List<NodeRecord> nodes(int count) {
    List<NodeRecord> nodes = new ArrayList<>(count);
    for (int i = 1; i <= count; i++) {
      nodes.add(node("n" + i, i));
    }
    return nodes;
  }

  static ClusterMetadata bootstrapped(int count, int replicationFactor) {
    return applied(
        ClusterMetadata.EMPTY,
        new MetadataCommand.Bootstrap(replicationFactor, VNODES, nodes(count)));
  }

  static MetadataCommand.Join join(String id, int n) {
    return new MetadataCommand.Join(id, "127.0.0.1", 7100 + n, 6300 + n);
  }

  /** Applies {@code command}, which must be accepted, and returns the next metadata. */
  static ClusterMetadata applied(ClusterMetadata metadata, MetadataCommand command) {
    Result result = metadata.apply(command);
    assertThat(result).as("%s on %s", command, metadata).isInstanceOf(Result.Applied.class);
    return ((Result.Applied) result).next();
  }

  /** Applies {@code command}, which must be rejected, and returns the reason. */
  static String rejected(ClusterMetadata metadata, MetadataCommand command) {
    Result result = metadata.apply(command);
    assertThat(result).as("%s on %s", command, metadata).isInstanceOf(Result.Rejected.class);
    return ((Result.Rejected) result).reason();
  }

  /**
   * Reports MoveDone for every pending mover, in id order, until the cutover; fails (instead of
   * looping) if that takes more reports than there are nodes.
   */
  static ClusterMetadata finishTransition(ClusterMetadata metadata) {
    ClusterMetadata m = metadata;
    for (int reports = 0; m.inTransition(); reports++) {
      assertThat(reports)
          .as("reports to finish %s", metadata)
          .isLessThanOrEqualTo(m.nodes().size());
      assertThat(m.pendingMoves()).as("in transition with nothing pending: %s", m).isNotEmpty();
      String mover = m.pendingMoves().iterator().next();
      m = applied(m, new MetadataCommand.MoveDone(mover, m.epoch()));
    }
    return m;
  }
}
