package io.distributedcache.core.control;

import io.distributedcache.core.control.MetadataCommand.Announce;
import io.distributedcache.core.control.MetadataCommand.Bootstrap;
import io.distributedcache.core.control.MetadataCommand.Fail;
import io.distributedcache.core.control.MetadataCommand.Join;
import io.distributedcache.core.control.MetadataCommand.Leave;
import io.distributedcache.core.control.MetadataCommand.MoveDone;
import io.distributedcache.core.control.MetadataCommand.Recover;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded command sequences over a small pool of node ids, biased towards commands that apply (so
 * that sequences reach rebalances and cutovers) with a share of retries, conflicts and stale or
 * malformed-by-rule commands. Node {@code n<i>} lives at {@code 10.0.0.<i>:7000} unless a command
 * moves it.
 */
final class RandomMetadataCommands {

  private static final int[] VNODES = {1, 3, 8};

  private final SplittableRandom random;
  private final int idPool;

  RandomMetadataCommands(SplittableRandom random, int idPool) {
    this.random = random;
    this.idPool = idPool;
  }

  MetadataCommand next(ClusterMetadata current) {
    if (!current.isBootstrapped() && random.nextInt(10) < 8) {
      return bootstrap();
    }
    int roll = random.nextInt(100);
    if (roll < 4) {
      return bootstrap();
    } else if (roll < 24) {
      int i = random.nextInt(idPool);
      return random.nextInt(8) == 0
          ? new Join(id(i), host(random.nextInt(idPool)), 7000, clientPort())
          : new Join(id(i), host(i), 7000, defaultClientPort(i));
    } else if (roll < 34) {
      return new Leave(someId(current));
    } else if (roll < 46) {
      return new Fail(someId(current));
    } else if (roll < 56) {
      return new Recover(someId(current));
    } else if (roll < 66) {
      int i = random.nextInt(idPool);
      int kind = random.nextInt(4);
      if (kind == 0) {
        return new Announce(id(i), host(random.nextInt(idPool)), 7000, clientPort());
      }
      if (kind == 1) {
        return new Announce(id(i), host(i), 7000 + random.nextInt(2), defaultClientPort(i));
      }
      return new Announce(id(i), host(i), 7000, clientPort());
    } else {
      List<String> pending = new ArrayList<>(current.pendingMoves());
      if (!pending.isEmpty() && random.nextInt(10) < 8) {
        return new MoveDone(pending.get(random.nextInt(pending.size())), current.epoch());
      }
      return new MoveDone(someId(current), current.epoch() + random.nextInt(3) - 1);
    }
  }

  Bootstrap bootstrap() {
    int count = 1 + random.nextInt(Math.min(5, idPool));
    List<NodeRecord> nodes = new ArrayList<>();
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < idPool; i++) {
      order.add(i);
    }
    for (int n = 0; n < count; n++) {
      int i = order.remove(random.nextInt(order.size()));
      NodeState state = NodeState.values()[random.nextInt(NodeState.values().length)];
      nodes.add(new NodeRecord(id(i), host(i), 7000, defaultClientPort(i), state));
    }
    if (random.nextInt(10) == 0) {
      nodes.add(nodes.get(0)); // a duplicate: rejected
    }
    int rf = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(4);
    return new Bootstrap(rf, VNODES[random.nextInt(VNODES.length)], nodes);
  }

  /** An existing node's id mostly, sometimes one from the pool that may not exist. */
  private String someId(ClusterMetadata current) {
    List<NodeRecord> nodes = current.nodes();
    if (!nodes.isEmpty() && random.nextInt(5) != 0) {
      return nodes.get(random.nextInt(nodes.size())).id();
    }
    return id(random.nextInt(idPool));
  }

  private int clientPort() {
    return random.nextInt(3) == 0 ? 0 : 6000 + random.nextInt(4);
  }

  static String id(int i) {
    return "n" + i;
  }

  static String host(int i) {
    return "10.0.0." + i;
  }

  static int defaultClientPort(int i) {
    return 6000 + i;
  }

  /** A metadata state reached by {@code steps} random commands from EMPTY. */
  static ClusterMetadata randomState(SplittableRandom random, int steps) {
    RandomMetadataCommands commands = new RandomMetadataCommands(random, 6);
    ClusterMetadata m = ClusterMetadata.EMPTY;
    for (int i = 0; i < steps; i++) {
      ClusterMetadata.Result result = m.apply(commands.next(m));
      if (result instanceof ClusterMetadata.Result.Applied applied) {
        m = applied.next();
      }
    }
    return m;
  }
}
