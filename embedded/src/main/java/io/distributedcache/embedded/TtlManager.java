package io.distributedcache.embedded;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * TTLs of keys, through the cluster ({@code PTTL}, {@code PEXPIRE}, {@code PERSIST} on the key's
 * primary, replicated like any write), at the node's default consistency level; and the node's
 * default TTL, which {@link DistributedCache} gives a put that names none.
 *
 * <p>Expiry itself needs no timer here: an expired key reads as missing at once on every copy,
 * and the node's storage maintenance removes it. Thread-safe. Blocking methods wait at most the
 * request timeout and throw {@link CacheException}s (see there); their {@code Async} variants
 * complete on a callback thread.
 */
public final class TtlManager {

  private final CacheNode node;
  private final NodeSession session;

  TtlManager(CacheNode node) {
    this.node = node;
    this.session = new NodeSession(node, node.config().defaultConsistency());
  }

  /** The TTL a put without one gets ({@link NodeConfig#defaultTtl()}); empty for none. */
  public Optional<Duration> defaultTtl() {
    return node.config().defaultTtl();
  }

  /**
   * The time {@code key} has left, rounded to milliseconds; empty when the key does not exist or
   * has no expiry.
   */
  public Optional<Duration> ttl(byte[] key) {
    return session.call(CacheProtocol.pttl(key), r -> CacheProtocol.remainingTtl(NodeSession.integer(r)));
  }

  /** {@link #ttl(byte[])} of a UTF-8 key. */
  public Optional<Duration> ttl(String key) {
    return ttl(utf8(key));
  }

  public CompletableFuture<Optional<Duration>> ttlAsync(byte[] key) {
    return session.callAsync(
        CacheProtocol.pttl(key), r -> CacheProtocol.remainingTtl(NodeSession.integer(r)));
  }

  /**
   * Makes {@code key} expire {@code ttl} from now (rounded up to whole milliseconds). Returns
   * whether the key exists (false: nothing was set).
   *
   * @throws IllegalArgumentException if {@code ttl} is not positive
   */
  public boolean expire(byte[] key, Duration ttl) {
    return session.call(CacheProtocol.pexpire(key, ttl), NodeSession::flag);
  }

  /** {@link #expire(byte[], Duration)} of a UTF-8 key. */
  public boolean expire(String key, Duration ttl) {
    return expire(utf8(key), ttl);
  }

  public CompletableFuture<Boolean> expireAsync(byte[] key, Duration ttl) {
    return session.callAsync(CacheProtocol.pexpire(key, ttl), NodeSession::flag);
  }

  /** Removes {@code key}'s expiry. Returns whether it had one. */
  public boolean persist(byte[] key) {
    return session.call(CacheProtocol.persist(key), NodeSession::flag);
  }

  /** {@link #persist(byte[])} of a UTF-8 key. */
  public boolean persist(String key) {
    return persist(utf8(key));
  }

  public CompletableFuture<Boolean> persistAsync(byte[] key) {
    return session.callAsync(CacheProtocol.persist(key), NodeSession::flag);
  }

  static byte[] utf8(String key) {
    return key.getBytes(StandardCharsets.UTF_8);
  }
}
