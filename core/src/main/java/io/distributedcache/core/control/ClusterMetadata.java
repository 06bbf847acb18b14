package io.distributedcache.core.control;

import io.distributedcache.core.control.MetadataCommand.Announce;
import io.distributedcache.core.control.MetadataCommand.Bootstrap;
import io.distributedcache.core.control.MetadataCommand.Fail;
import io.distributedcache.core.control.MetadataCommand.Join;
import io.distributedcache.core.control.MetadataCommand.Leave;
import io.distributedcache.core.control.MetadataCommand.MoveDone;
import io.distributedcache.core.control.MetadataCommand.Recover;
import io.distributedcache.core.placement.ConsistentHashRing;
import io.distributedcache.core.placement.Member;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The cluster metadata that the Raft log carries (DESIGN.md sections 2, 7 and 8): the nodes, their
 * addresses and states, the replication factor, the virtual-node count and the epoch, and the
 * deterministic state machine that applies {@link MetadataCommand}s to it. Every node applies the
 * same committed commands in the same order and builds its rings from the result, so every node's
 * ring for epoch {@code E} is identical.
 *
 * <h2>Design note</h2>
 *
 * <b>Two rings.</b> The <em>serving</em> ring ({@link #ring()}) places the {@link
 * NodeState#ACTIVE}, {@link NodeState#FAILED} and {@link NodeState#LEAVING} nodes; it says who
 * owns each slot now. While a node joins or leaves, the <em>target</em> ring ({@link
 * #targetRing()}) places the ACTIVE, FAILED and {@link NodeState#JOINING} nodes: where the slots
 * go. During that transition writes go to the owners in both rings and reads stay on the serving
 * ring; each node that holds, in the target ring, a copy it does not hold in the serving ring (a
 * <em>mover</em>) pulls it and reports {@link MoveDone}. When the last pending mover has reported,
 * the same apply performs the <em>cutover</em>: JOINING nodes become ACTIVE, LEAVING nodes are
 * removed, and the new serving ring has the old target ring's placement.
 *
 * <p><b>Failover without moving data.</b> FAILED nodes are demoted in both rings ({@link
 * ConsistentHashRing#build(long, List, int, int, Set)}): their slots get the next live member as
 * primary while their copies stay assigned to them, so a failover moves no data, and a recovery
 * gives the slots back to the same copies. LEAVING nodes are demoted in the serving ring too: a
 * leave hands the node's primaries over first (the promoted copies reconcile as after a
 * failover) and keeps it a replica until the cutover, which also covers a leaving node that dies
 * or a dead node that is told to leave. A FAILED node is never a pending mover: it cannot pull,
 * and its new copies catch up when it returns, like every copy of a returning node.
 *
 * <p><b>Invariants</b> (checked by {@code ClusterMetadataPropertyTest}):
 *
 * <ul>
 *   <li>The epoch grows by exactly one on every change of either ring, of a node's addresses or of
 *       a node's state, and never otherwise; a command that changes nothing returns the same
 *       object ({@code Applied(this)}). Recording a {@link MoveDone} that does not complete the
 *       transition changes neither ring and keeps the epoch. So each epoch number names exactly
 *       one (serving ring, target ring) pair.
 *   <li>The same command sequence gives equal metadata and the same {@link #encode()} bytes on
 *       every node: nothing here reads a clock, a random source, {@code hashCode()} order or
 *       anything else of the process; nodes, demoted ids and moves are kept in id order.
 *   <li>A node is in exactly one state. Serving ring members = ACTIVE + FAILED + LEAVING; target
 *       ring members = ACTIVE + FAILED + JOINING; FAILED members are demoted in both, LEAVING
 *       ones in the serving ring.
 *   <li>At least one node is ACTIVE once bootstrapped (a Fail or Leave that would break this is
 *       rejected), so both rings always have a member; no two nodes share an id or a cluster
 *       address, so a ring can always be built.
 *   <li>At most one rebalance at a time: Join, and Leave of an ACTIVE or FAILED node, are rejected
 *       while a node is JOINING or LEAVING. After a cutover no node is JOINING or LEAVING.
 * </ul>
 *
 * <p><b>Choices the rules leave open.</b> A Join naming an existing node with the same addresses
 * is an idempotent retry even while that node's own rebalance is in progress (the retry check
 * comes before the "rebalance in progress" rejection). A transition whose pending moves are empty
 * from the start (a leave where nobody gains a copy) is cut over in the same apply, and the epoch
 * grows by one, not two: the intermediate state is never visible. Fail, Recover and Announce
 * during a transition bump the epoch and keep the recorded {@link #movesDone()} of every id that
 * is still a mover; since demotion never changes which members hold a slot, that is all of them
 * (a node that finished pulling need not pull again because another node failed). A LEAVING node
 * cannot be failed, and need not be: it is demoted already.
 *
 * <p><b>Never throws on a decoded command.</b> Raft replays the same bytes on every node, so a
 * command that breaks a rule is answered with {@link Result.Rejected} and a reason, identically
 * everywhere; {@link #apply} throws only for a null command.
 *
 * <p><b>Threading.</b> Immutable and safe to share between threads. The rings and the pending
 * moves are computed on first use and cached; two threads racing on first use may both build, and
 * one result wins: both are equal because building is pure. Applying a command that starts or
 * ends a transition builds both rings (a few milliseconds for tens of members, see {@link
 * ConsistentHashRing}); the other commands build nothing until asked.
 */
public final class ClusterMetadata {

  /** Epoch 0, not bootstrapped, no nodes; the state before the first {@link Bootstrap}. */
  public static final ClusterMetadata EMPTY =
      new ClusterMetadata(0, false, 0, 0, new TreeMap<>(), Set.of());

  private final long epoch;
  private final boolean bootstrapped;
  private final int replicationFactor;
  private final int virtualNodesPerMember;
  private final SortedMap<String, NodeRecord> nodesById;
  private final List<NodeRecord> nodes;
  private final Set<String> movesDone;
  private final boolean inTransition;
  private final int activeCount;

  // Computed on first use; see the threading note.
  private volatile ConsistentHashRing ring;
  private volatile ConsistentHashRing targetRing;
  private volatile Set<String> movers;

  /**
   * @param nodesById owned by the new instance; the caller must not keep it
   * @param movesDone copied, in id order
   */
  private ClusterMetadata(
      long epoch,
      boolean bootstrapped,
      int replicationFactor,
      int virtualNodesPerMember,
      TreeMap<String, NodeRecord> nodesById,
      Collection<String> movesDone) {
    this.epoch = epoch;
    this.bootstrapped = bootstrapped;
    this.replicationFactor = replicationFactor;
    this.virtualNodesPerMember = virtualNodesPerMember;
    this.nodesById = Collections.unmodifiableSortedMap(nodesById);
    this.nodes = List.copyOf(nodesById.values());
    this.movesDone = Collections.unmodifiableSet(new LinkedHashSet<>(new TreeSet<>(movesDone)));
    boolean transition = false;
    int active = 0;
    for (NodeRecord node : nodes) {
      transition |= node.state() == NodeState.JOINING || node.state() == NodeState.LEAVING;
      active += node.state() == NodeState.ACTIVE ? 1 : 0;
    }
    this.inTransition = transition;
    this.activeCount = active;
  }

  /** The epoch: 0 before bootstrap, 1 after it, plus one for every change since. */
  public long epoch() {
    return epoch;
  }

  /** Whether a {@link Bootstrap} has been applied. */
  public boolean isBootstrapped() {
    return bootstrapped;
  }

  /** The configured number of copies of each slot; 0 before bootstrap. */
  public int replicationFactor() {
    return replicationFactor;
  }

  /** The number of virtual nodes of each member; 0 before bootstrap. */
  public int virtualNodesPerMember() {
    return virtualNodesPerMember;
  }

  /** Every node, in every state, sorted by id; unmodifiable. */
  public List<NodeRecord> nodes() {
    return nodes;
  }

  /** The node with this id, or null if there is none. */
  public NodeRecord node(String id) {
    return nodesById.get(id);
  }

  /** Whether a node is JOINING or LEAVING, that is whether a target ring exists. */
  public boolean inTransition() {
    return inTransition;
  }

  /**
   * The serving ring at {@link #epoch()}: the ACTIVE, FAILED and LEAVING nodes, FAILED and
   * LEAVING ones demoted. Built on first call and cached.
   *
   * @throws IllegalStateException if not bootstrapped
   */
  public ConsistentHashRing ring() {
    ConsistentHashRing r = ring;
    if (r == null) {
      if (!bootstrapped) {
        throw new IllegalStateException("the cluster metadata is not bootstrapped: no ring yet");
      }
      r = buildRing(NodeState.JOINING);
      ring = r;
    }
    return r;
  }

  /**
   * The target ring at {@link #epoch()} while a rebalance is in progress: the ACTIVE, FAILED and
   * JOINING nodes, FAILED ones demoted, with the same replication factor and virtual-node count as
   * {@link #ring()}. Built on first call and cached.
   *
   * @return the target ring, or null when no node is JOINING or LEAVING
   */
  public ConsistentHashRing targetRing() {
    if (!inTransition) {
      return null;
    }
    ConsistentHashRing r = targetRing;
    if (r == null) {
      r = buildRing(NodeState.LEAVING);
      targetRing = r;
    }
    return r;
  }

  /**
   * The ids, in id order, of the nodes that still have to pull something: each holds, in the target
   * ring, a copy of at least one slot it does not hold in the serving ring, and has not reported
   * {@link MoveDone} for this epoch's transition. A node that only loses slots has nothing to pull.
   * Empty when not in transition. Unmodifiable.
   */
  public Set<String> pendingMoves() {
    if (!inTransition) {
      return Set.of();
    }
    Set<String> pending = new LinkedHashSet<>(movers());
    pending.removeAll(movesDone);
    return Collections.unmodifiableSet(pending);
  }

  /**
   * The ids, in id order, of the movers that have reported {@link MoveDone} in the current
   * transition. Empty when not in transition. Unmodifiable.
   */
  public Set<String> movesDone() {
    return movesDone;
  }

  /**
   * Applies one committed command. Deterministic: the same metadata and command give an equal
   * result on every node and JVM. Never throws for a command that {@link MetadataCommand#decode}
   * produced (or any other non-null one): a command that breaks a rule is rejected with a reason.
   * Any thread; pure (may build and cache this instance's rings).
   *
   * <p>The rules, in brief (the class and command Javadoc give the reasons):
   *
   * <ul>
   *   <li>Bootstrap: only when not bootstrapped; at least one and at most {@link
   *       ConsistentHashRing#MAX_MEMBERS} nodes, distinct ids and cluster addresses, replication
   *       factor {@code >= 1}, virtual nodes within the ring's limits; all nodes become ACTIVE at
   *       epoch 1.
   *   <li>Every other command is rejected before bootstrap.
   *   <li>Announce: the node must exist; unchanged addresses give {@code Applied(this)}.
   *   <li>Join: an existing node with the same addresses that is not LEAVING gives {@code
   *       Applied(this)}; another existing one is rejected; otherwise rejected while a rebalance is
   *       in progress or if the node count would exceed {@code MAX_MEMBERS}; else the node is added
   *       JOINING.
   *   <li>Leave: JOINING is removed at once; ACTIVE or FAILED becomes LEAVING unless a rebalance is
   *       in progress or no ACTIVE node would remain; LEAVING gives {@code Applied(this)}.
   *   <li>Fail: ACTIVE becomes FAILED unless it is the last ACTIVE node; FAILED gives {@code
   *       Applied(this)}. Recover: FAILED becomes ACTIVE; ACTIVE gives {@code Applied(this)}.
   *   <li>MoveDone: rejected as stale unless in transition at exactly this epoch; a non-pending id
   *       gives {@code Applied(this)}; else recorded, and the last one cuts over.
   * </ul>
   *
   * Any change that needs a new cluster address refuses one already used by another node. Every
   * change bumps the epoch by one (none once it has reached {@link Long#MAX_VALUE}: rejected).
   *
   * @throws NullPointerException if {@code command} is null
   */
  public Result apply(MetadataCommand command) {
    Objects.requireNonNull(command, "command");
    if (command instanceof Bootstrap bootstrap) {
      return bootstrap(bootstrap);
    }
    if (!bootstrapped) {
      return rejected("the cluster is not bootstrapped yet");
    }
    if (command instanceof Announce announce) {
      return announce(announce);
    }
    if (command instanceof Join join) {
      return join(join);
    }
    if (command instanceof Leave leave) {
      return leave(leave);
    }
    if (command instanceof Fail fail) {
      return fail(fail);
    }
    if (command instanceof Recover recover) {
      return recover(recover);
    }
    if (command instanceof MoveDone moveDone) {
      return moveDone(moveDone);
    }
    throw new AssertionError("unhandled command type " + command.getClass().getName());
  }

  private Result bootstrap(Bootstrap b) {
    if (bootstrapped) {
      return rejected("the cluster is already bootstrapped (epoch " + epoch + ")");
    }
    if (b.nodes().isEmpty()) {
      return rejected("bootstrap needs at least one node");
    }
    if (b.nodes().size() > ConsistentHashRing.MAX_MEMBERS) {
      return rejected(
          "bootstrap has "
              + b.nodes().size()
              + " nodes; a ring takes at most "
              + ConsistentHashRing.MAX_MEMBERS);
    }
    if (b.replicationFactor() < 1) {
      return rejected("replication factor must be >= 1: " + b.replicationFactor());
    }
    if (b.virtualNodesPerMember() < 1
        || b.virtualNodesPerMember() > ConsistentHashRing.MAX_VIRTUAL_NODES_PER_MEMBER) {
      return rejected(
          "virtual nodes per member must be in 1.."
              + ConsistentHashRing.MAX_VIRTUAL_NODES_PER_MEMBER
              + ": "
              + b.virtualNodesPerMember());
    }
    TreeMap<String, NodeRecord> next = new TreeMap<>();
    Map<String, String> idByAddress = new HashMap<>();
    for (NodeRecord node : b.nodes()) {
      if (next.put(node.id(), node.withState(NodeState.ACTIVE)) != null) {
        return rejected("bootstrap names node '" + node.id() + "' twice");
      }
      String address = addressKey(node.host(), node.clusterPort());
      String other = idByAddress.putIfAbsent(address, node.id());
      if (other != null) {
        return rejected(
            "nodes '" + other + "' and '" + node.id() + "' share the cluster address "
                + node.member().address());
      }
    }
    return new Result.Applied(
        new ClusterMetadata(
            1, true, b.replicationFactor(), b.virtualNodesPerMember(), next, Set.of()));
  }

  private Result announce(Announce a) {
    NodeRecord node = nodesById.get(a.id());
    if (node == null) {
      return rejected("no node '" + a.id() + "' to announce");
    }
    if (node.hasAddresses(a.host(), a.clusterPort(), a.clientPort())) {
      return new Result.Applied(this);
    }
    String clash = addressUser(a.id(), a.host(), a.clusterPort());
    if (clash != null) {
      return rejected(
          "node '" + a.id() + "' cannot take the cluster address of node '" + clash + "': "
              + new Member(a.id(), a.host(), a.clusterPort()).address());
    }
    TreeMap<String, NodeRecord> next = new TreeMap<>(nodesById);
    next.put(
        a.id(),
        new NodeRecord(a.id(), a.host(), a.clusterPort(), a.clientPort(), node.state()));
    return change(next);
  }

  private Result join(Join j) {
    NodeRecord existing = nodesById.get(j.id());
    if (existing != null) {
      if (existing.state() != NodeState.LEAVING
          && existing.hasAddresses(j.host(), j.clusterPort(), j.clientPort())) {
        return new Result.Applied(this); // a retried join
      }
      return rejected("node '" + j.id() + "' already exists: " + existing);
    }
    if (inTransition) {
      return rejected("a rebalance is in progress (" + transitionalNodes() + ")");
    }
    if (nodesById.size() >= ConsistentHashRing.MAX_MEMBERS) {
      return rejected(
          "the cluster already has "
              + ConsistentHashRing.MAX_MEMBERS
              + " nodes, the most a ring takes");
    }
    String clash = addressUser(j.id(), j.host(), j.clusterPort());
    if (clash != null) {
      return rejected(
          "node '" + j.id() + "' cannot join with the cluster address of node '" + clash + "': "
              + new Member(j.id(), j.host(), j.clusterPort()).address());
    }
    TreeMap<String, NodeRecord> next = new TreeMap<>(nodesById);
    next.put(
        j.id(),
        new NodeRecord(j.id(), j.host(), j.clusterPort(), j.clientPort(), NodeState.JOINING));
    return change(next);
  }

  private Result leave(Leave l) {
    NodeRecord node = nodesById.get(l.id());
    if (node == null) {
      return rejected("no node '" + l.id() + "' to leave");
    }
    switch (node.state()) {
      case LEAVING:
        return new Result.Applied(this);
      case JOINING:
        {
          TreeMap<String, NodeRecord> next = new TreeMap<>(nodesById);
          next.remove(l.id());
          return change(next);
        }
      case ACTIVE:
      case FAILED:
        if (inTransition) {
          return rejected(
              "node '" + l.id() + "' cannot leave: a rebalance is in progress ("
                  + transitionalNodes() + ")");
        }
        if (node.state() == NodeState.ACTIVE && activeCount == 1) {
          return rejected("node '" + l.id() + "' cannot leave: no ACTIVE node would remain");
        }
        return change(withState(node, NodeState.LEAVING));
      default:
        throw new AssertionError(node.state());
    }
  }

  private Result fail(Fail f) {
    NodeRecord node = nodesById.get(f.id());
    if (node == null) {
      return rejected("no node '" + f.id() + "' to fail");
    }
    switch (node.state()) {
      case FAILED:
        return new Result.Applied(this);
      case ACTIVE:
        if (activeCount == 1) {
          return rejected("node '" + f.id() + "' cannot fail: it is the last ACTIVE node");
        }
        return change(withState(node, NodeState.FAILED));
      default:
        return rejected("only an ACTIVE node can fail; node '" + f.id() + "' is " + node.state());
    }
  }

  private Result recover(Recover r) {
    NodeRecord node = nodesById.get(r.id());
    if (node == null) {
      return rejected("no node '" + r.id() + "' to recover");
    }
    switch (node.state()) {
      case ACTIVE:
        return new Result.Applied(this);
      case FAILED:
        return change(withState(node, NodeState.ACTIVE));
      default:
        return rejected("only a FAILED node can recover; node '" + r.id() + "' is " + node.state());
    }
  }

  private Result moveDone(MoveDone m) {
    if (!inTransition) {
      return rejected("stale MoveDone from '" + m.id() + "': no rebalance is in progress at epoch "
          + epoch);
    }
    if (m.epoch() != epoch) {
      return rejected("stale MoveDone from '" + m.id() + "': for epoch " + m.epoch()
          + " but the metadata is at epoch " + epoch);
    }
    if (!pendingMoves().contains(m.id())) {
      return new Result.Applied(this);
    }
    Set<String> done = new TreeSet<>(movesDone);
    done.add(m.id());
    ClusterMetadata recorded = withMovesDone(done);
    if (!recorded.pendingMoves().isEmpty()) {
      return new Result.Applied(recorded);
    }
    if (epoch == Long.MAX_VALUE) {
      return rejected("the epoch has reached its maximum");
    }
    return new Result.Applied(recorded.cutover(epoch + 1));
  }

  /**
   * The next epoch with these nodes: keeps the moves of ids still movers, and cuts over at once
   * when the transition has nothing left to pull.
   */
  private Result change(TreeMap<String, NodeRecord> nextNodes) {
    if (epoch == Long.MAX_VALUE) {
      return rejected("the epoch has reached its maximum");
    }
    ClusterMetadata next =
        new ClusterMetadata(
            epoch + 1, true, replicationFactor, virtualNodesPerMember, nextNodes, Set.of());
    if (next.inTransition) {
      Set<String> kept = new TreeSet<>(movesDone);
      kept.retainAll(next.movers());
      if (!kept.isEmpty()) {
        next = next.withMovesDone(kept);
      }
      if (next.pendingMoves().isEmpty()) {
        next = next.cutover(next.epoch);
      }
    }
    return new Result.Applied(next);
  }

  /** JOINING nodes become ACTIVE, LEAVING ones go, moves are forgotten, at {@code newEpoch}. */
  private ClusterMetadata cutover(long newEpoch) {
    TreeMap<String, NodeRecord> next = new TreeMap<>();
    for (NodeRecord node : nodes) {
      if (node.state() == NodeState.JOINING) {
        next.put(node.id(), node.withState(NodeState.ACTIVE));
      } else if (node.state() != NodeState.LEAVING) {
        next.put(node.id(), node);
      }
    }
    ClusterMetadata cut =
        new ClusterMetadata(
            newEpoch, true, replicationFactor, virtualNodesPerMember, next, Set.of());
    ConsistentHashRing target = targetRing;
    if (target != null && target.epoch() == newEpoch) {
      // Same members, addresses, demotion and epoch: the target ring is the new serving ring.
      cut.ring = target;
    }
    return cut;
  }

  private ClusterMetadata withMovesDone(Set<String> done) {
    TreeMap<String, NodeRecord> same = new TreeMap<>(nodesById);
    ClusterMetadata copy =
        new ClusterMetadata(
            epoch, bootstrapped, replicationFactor, virtualNodesPerMember, same, done);
    copy.ring = ring;
    copy.targetRing = targetRing;
    copy.movers = movers;
    return copy;
  }

  private TreeMap<String, NodeRecord> withState(NodeRecord node, NodeState state) {
    TreeMap<String, NodeRecord> next = new TreeMap<>(nodesById);
    next.put(node.id(), node.withState(state));
    return next;
  }

  /** Nodes that hold a copy in the target ring that they do not hold in the serving ring. */
  private Set<String> movers() {
    Set<String> m = movers;
    if (m == null) {
      ConsistentHashRing serving = ring();
      ConsistentHashRing target = targetRing();
      Set<String> found = new LinkedHashSet<>();
      for (int t = 0; t < target.memberCount(); t++) {
        String id = target.member(t).id();
        int s = serving.memberIndex(id);
        int[] gained = target.slotsReplicatedBy(t);
        if (node(id).state() == NodeState.FAILED) {
          // A failed node cannot pull; waiting for it would hold the rebalance open until it is
          // back. Its new copies catch up like any copy of a returning node.
          continue;
        }
        if (s < 0 ? gained.length > 0 : !containsAll(serving.slotsReplicatedBy(s), gained)) {
          found.add(id);
        }
      }
      m = Collections.unmodifiableSet(found);
      movers = m;
    }
    return m;
  }

  /** Whether every value of ascending {@code needles} is in ascending {@code haystack}. */
  private static boolean containsAll(int[] haystack, int[] needles) {
    int h = 0;
    for (int needle : needles) {
      while (h < haystack.length && haystack[h] < needle) {
        h++;
      }
      if (h == haystack.length || haystack[h] != needle) {
        return false;
      }
    }
    return true;
  }

  private ConsistentHashRing buildRing(NodeState excluded) {
    List<Member> members = new ArrayList<>(nodes.size());
    Set<String> demoted = new LinkedHashSet<>();
    for (NodeRecord node : nodes) {
      if (node.state() != excluded) {
        members.add(node.member());
        if (node.state() == NodeState.FAILED || node.state() == NodeState.LEAVING) {
          demoted.add(node.id());
        }
      }
    }
    return ConsistentHashRing.build(
        epoch, members, virtualNodesPerMember, replicationFactor, demoted);
  }

  /** The id of another node using this cluster address, or null. */
  private String addressUser(String id, String host, int clusterPort) {
    String key = addressKey(host, clusterPort);
    for (NodeRecord node : nodes) {
      if (!node.id().equals(id) && addressKey(node.host(), node.clusterPort()).equals(key)) {
        return node.id();
      }
    }
    return null;
  }

  /** As {@link Member#checkDistinct}: the address with the host in lower case. */
  private static String addressKey(String host, int clusterPort) {
    return host.toLowerCase(Locale.ROOT) + "\n" + clusterPort;
  }

  private String transitionalNodes() {
    StringBuilder sb = new StringBuilder();
    for (NodeRecord node : nodes) {
      if (node.state() == NodeState.JOINING || node.state() == NodeState.LEAVING) {
        if (sb.length() > 0) {
          sb.append(", ");
        }
        sb.append(node.id()).append(' ').append(node.state());
      }
    }
    return sb.toString();
  }

  private static Result rejected(String reason) {
    return new Result.Rejected(reason);
  }

  /**
   * The metadata as a Raft snapshot. Deterministic: equal metadata give equal bytes on every node.
   *
   * <h2>Format version 1</h2>
   *
   * <pre>
   *   u8  formatVersion          always 1
   *   u8  bootstrapped           0 or 1
   *   i64 epoch
   *   i32 replicationFactor
   *   i32 virtualNodesPerMember
   *   list&lt;node&gt; nodes          in id order ({@link MetadataCommand} gives the node layout)
   *   list&lt;string&gt; movesDone   in id order
   * </pre>
   *
   * @return a new array the caller owns
   */
  public byte[] encode() {
    MetadataCodec.Writer out =
        new MetadataCodec.Writer()
            .u8(MetadataCodec.FORMAT_VERSION)
            .u8(bootstrapped ? 1 : 0)
            .i64(epoch)
            .i32(replicationFactor)
            .i32(virtualNodesPerMember)
            .i32(nodes.size());
    for (NodeRecord node : nodes) {
      MetadataCodec.writeNode(out, node);
    }
    out.i32(movesDone.size());
    for (String id : movesDone) {
      out.string(id);
    }
    return out.toByteArray();
  }

  /**
   * Reads a snapshot written by {@link #encode()}. Hostile-input safe: every length and count is
   * checked against the bytes that remain before allocating. Besides the layout it checks what
   * {@link #apply} relies on: epoch {@code >= 1}, replication factor {@code >= 1}, virtual nodes
   * within the ring's limits, 1 to {@code MAX_MEMBERS} nodes in strictly ascending id order with
   * distinct cluster addresses and at least one ACTIVE, moves (only in transition) naming nodes in
   * strictly ascending order. An unbootstrapped snapshot must be {@link #EMPTY}'s, and decodes to
   * it.
   *
   * @throws IllegalArgumentException for anything else, naming the problem and the byte offset
   * @throws NullPointerException if {@code bytes} is null
   */
  public static ClusterMetadata decode(byte[] bytes) {
    MetadataCodec.Reader in = new MetadataCodec.Reader(bytes, "metadata snapshot");
    int version = in.u8("format version");
    if (version != MetadataCodec.FORMAT_VERSION) {
      throw in.error(0, "unsupported format version " + version);
    }
    boolean isBootstrapped = in.bool("bootstrapped");
    int at = in.offset();
    long epoch = in.i64("epoch");
    int rf = in.i32("replication factor");
    int vnodes = in.i32("virtual nodes per member");
    if (!isBootstrapped) {
      if (epoch != 0 || rf != 0 || vnodes != 0) {
        throw in.error(at, "an unbootstrapped snapshot must have epoch, rf and vnodes 0");
      }
    } else {
      if (epoch < 1) {
        throw in.error(at, "epoch must be >= 1 once bootstrapped: " + epoch);
      }
      if (rf < 1) {
        throw in.error(at + 8, "replication factor must be >= 1: " + rf);
      }
      if (vnodes < 1 || vnodes > ConsistentHashRing.MAX_VIRTUAL_NODES_PER_MEMBER) {
        throw in.error(
            at + 12,
            "virtual nodes per member must be in 1.."
                + ConsistentHashRing.MAX_VIRTUAL_NODES_PER_MEMBER
                + ": "
                + vnodes);
      }
    }
    at = in.offset();
    int n = in.count("nodes", MetadataCodec.NODE_MIN_BYTES);
    if (isBootstrapped && (n < 1 || n > ConsistentHashRing.MAX_MEMBERS)) {
      throw in.error(at, "node count must be in 1.." + ConsistentHashRing.MAX_MEMBERS + ": " + n);
    }
    if (!isBootstrapped && n != 0) {
      throw in.error(at, "an unbootstrapped snapshot has no nodes: " + n);
    }
    TreeMap<String, NodeRecord> nodes = new TreeMap<>();
    Map<String, String> idByAddress = new HashMap<>();
    String previous = null;
    boolean transition = false;
    boolean active = false;
    for (int i = 0; i < n; i++) {
      at = in.offset();
      NodeRecord node = MetadataCodec.readNode(in);
      if (previous != null && previous.compareTo(node.id()) >= 0) {
        throw in.error(at, "node ids must be strictly ascending: '" + node.id() + "' after '"
            + previous + "'");
      }
      previous = node.id();
      String address = addressKey(node.host(), node.clusterPort());
      String other = idByAddress.putIfAbsent(address, node.id());
      if (other != null) {
        throw in.error(at, "nodes '" + other + "' and '" + node.id() + "' share a cluster address");
      }
      transition |= node.state() == NodeState.JOINING || node.state() == NodeState.LEAVING;
      active |= node.state() == NodeState.ACTIVE;
      nodes.put(node.id(), node);
    }
    if (isBootstrapped && !active) {
      throw in.error(in.offset(), "no node is ACTIVE");
    }
    at = in.offset();
    int doneCount = in.count("moves done", MetadataCodec.STRING_MIN_BYTES);
    if (doneCount > 0 && !transition) {
      throw in.error(at, "moves done recorded outside a rebalance");
    }
    List<String> done = new ArrayList<>(doneCount);
    for (int i = 0; i < doneCount; i++) {
      at = in.offset();
      String id = in.string("moves done id");
      if (!nodes.containsKey(id)) {
        throw in.error(at, "moves done names no node: '" + id + "'");
      }
      if (!done.isEmpty() && done.get(done.size() - 1).compareTo(id) >= 0) {
        throw in.error(at, "moves done ids must be strictly ascending: '" + id + "'");
      }
      done.add(id);
    }
    in.end();
    if (!isBootstrapped) {
      return EMPTY;
    }
    return new ClusterMetadata(epoch, true, rf, vnodes, nodes, done);
  }

  /** Equal when epoch, bootstrap, replication factor, virtual nodes, nodes and moves are equal. */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ClusterMetadata)) {
      return false;
    }
    ClusterMetadata other = (ClusterMetadata) o;
    return epoch == other.epoch
        && bootstrapped == other.bootstrapped
        && replicationFactor == other.replicationFactor
        && virtualNodesPerMember == other.virtualNodesPerMember
        && nodes.equals(other.nodes)
        && movesDone.equals(other.movesDone);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        epoch, bootstrapped, replicationFactor, virtualNodesPerMember, nodes, movesDone);
  }

  /** Epoch, configuration, every node with its state, and the moves done. */
  @Override
  public String toString() {
    if (!bootstrapped) {
      return "ClusterMetadata{epoch=" + epoch + ", not bootstrapped}";
    }
    return "ClusterMetadata{epoch="
        + epoch
        + ", rf="
        + replicationFactor
        + ", vnodes="
        + virtualNodesPerMember
        + ", nodes="
        + nodes
        + (inTransition ? ", movesDone=" + movesDone : "")
        + "}";
  }

  /**
   * What {@link #apply} did with a command: {@link Applied} with the next metadata (the same
   * object when the command changed nothing), or {@link Rejected} with a reason. Both are the same
   * on every node for the same metadata and command.
   */
  public sealed interface Result permits Result.Applied, Result.Rejected {

    /**
     * The command applied.
     *
     * @param next the metadata after it; {@code this} when nothing changed
     */
    record Applied(ClusterMetadata next) implements Result {
      /**
       * Checks for null.
       *
       * @throws NullPointerException if {@code next} is null
       */
      public Applied {
        Objects.requireNonNull(next, "next");
      }
    }

    /**
     * The command broke a rule and changed nothing.
     *
     * @param reason why, for logs and for the proposer
     */
    record Rejected(String reason) implements Result {
      /**
       * Checks for null.
       *
       * @throws NullPointerException if {@code reason} is null
       */
      public Rejected {
        Objects.requireNonNull(reason, "reason");
      }
    }
  }
}
