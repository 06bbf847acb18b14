package io.distributedcache.resp.server;

import io.distributedcache.core.placement.ConsistentHashRing;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link ClusterTopology} whose every answer the test sets: the ring, the members' client
 * addresses, and which members are failed or unreachable. Thread-safe (servers read it from
 * their event loops while the test changes it).
 */
final class FakeClusterTopology implements ClusterTopology {

  private final String selfId;
  private volatile ConsistentHashRing ring;
  final Map<String, ClientAddress> addresses = new ConcurrentHashMap<>();
  final Set<String> failed = ConcurrentHashMap.newKeySet();
  final Set<String> unreachable = ConcurrentHashMap.newKeySet();

  FakeClusterTopology(String selfId, ConsistentHashRing ring) {
    this.selfId = selfId;
    this.ring = ring;
  }

  void ring(ConsistentHashRing next) {
    this.ring = next;
  }

  @Override
  public String selfId() {
    return selfId;
  }

  @Override
  public ConsistentHashRing ring() {
    return ring;
  }

  @Override
  public ClientAddress clientAddress(String memberId) {
    return addresses.get(memberId);
  }

  @Override
  public boolean isReachable(String memberId) {
    return memberId.equals(selfId) || !unreachable.contains(memberId);
  }

  @Override
  public boolean isFailed(String memberId) {
    return failed.contains(memberId);
  }
}
