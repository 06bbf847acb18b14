package io.distributedcache.embedded;

import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.invalidation.Invalidation;
import io.distributedcache.core.invalidation.InvalidationListener;
import io.distributedcache.core.storage.Subscription;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A typed cache over a {@link CacheNode}: keys and values go through {@link Codec}s, requests
 * through the cluster at this view's {@link ConsistencyLevel}, exactly as a RESP client's
 * commands do ({@code GET}, {@code SET ... PX ... NX}, {@code DEL}, {@code INCRBY}, {@code
 * PEXPIRE}, {@code PTTL}, {@code PERSIST}), so RESP clients and this API see the same data.
 *
 * <pre>{@code
 * try (DistributedCache<String, String> cache =
 *     DistributedCache.builder().keyCodec(Codecs.utf8()).valueCodec(Codecs.utf8()).build()) {
 *   cache.put("user:1234", "Alice", Duration.ofHours(1));
 *   cache.with(ConsistencyLevel.ALL).get("user:1234"); // Optional[Alice]
 * }
 * }</pre>
 *
 * <p><b>Consistency and sessions.</b> Each view ({@link #with}) has its own session: a read
 * through a view sees every write that completed through the same view before it, from any
 * thread (read your own writes), even at {@code ONE}.
 *
 * <p><b>TTL.</b> {@link #put(Object, Object)} and {@link #putIfAbsent(Object, Object)} give the
 * value the cache's default TTL (the builder's, else the node's {@link NodeConfig#defaultTtl()}),
 * or no expiry when there is none; a put replaces any earlier TTL of the key. TTLs are rounded up
 * to whole milliseconds.
 *
 * <p><b>Counters.</b> {@link #increment} runs {@code INCRBY}: the key holds its count as decimal
 * ASCII text, created at 0 if missing, and keeps its TTL (a new counter has none: {@link
 * #expire} it). The value codec is not involved; {@link Codecs#longs()} writes the same text, so
 * a {@code DistributedCache<K, Long>} with it reads and writes counters too. With another value
 * codec, {@link #get} of a counter decodes its digits ({@code "42"} with {@link Codecs#utf8()}, a
 * {@link CodecException} with Java serialization), and {@link #increment} of a value that is not
 * such text throws {@link WrongTypeException}.
 *
 * <p><b>Errors and threading.</b> Blocking methods wait at most the node's request timeout, on
 * the calling thread, and throw unchecked {@link CacheException}s: {@link CacheTimeoutException}
 * (a write's outcome is then unknown), {@link ClusterUnavailableException} (too few copies
 * reachable, or the node closed: nothing was written), {@link WrongTypeException}, {@link
 * CodecException}. They must not be called on the node's Netty event loops or ticking thread
 * (they throw {@link IllegalStateException} there). The {@code Async} variants never block;
 * their futures fail with the same exceptions and complete on the node's callback threads.
 * Keys and values must not be null ({@link NullPointerException}). Thread-safe.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class DistributedCache<K, V> implements AutoCloseable {

  private final CacheNode node;
  private final boolean ownsNode;
  private final Codec<K> keyCodec;
  private final Codec<V> valueCodec;
  private final Duration defaultTtl;
  private final NodeSession session;
  /** For {@link #invalidate}: every copy must confirm. */
  private final NodeSession allCopies;

  private DistributedCache(
      CacheNode node,
      boolean ownsNode,
      Codec<K> keyCodec,
      Codec<V> valueCodec,
      Duration defaultTtl,
      ConsistencyLevel level) {
    this.node = node;
    this.ownsNode = ownsNode;
    this.keyCodec = keyCodec;
    this.valueCodec = valueCodec;
    this.defaultTtl = defaultTtl;
    this.session = new NodeSession(node, level);
    this.allCopies =
        level == ConsistencyLevel.ALL ? session : new NodeSession(node, ConsistencyLevel.ALL);
  }

  /** A builder; set at least the key and value codecs. */
  public static Builder<Object, Object> builder() {
    return new Builder<>(null, null);
  }

  /**
   * A view of the same cache whose requests run at {@code level}, with a session of its own.
   * Cheap; closing a view does nothing.
   */
  public DistributedCache<K, V> with(ConsistencyLevel level) {
    Objects.requireNonNull(level, "level");
    return new DistributedCache<>(node, false, keyCodec, valueCodec, defaultTtl, level);
  }

  /** The level this view reads and writes at. */
  public ConsistencyLevel consistency() {
    return session.level();
  }

  /** The TTL puts without one get; empty for no expiry. */
  public Optional<Duration> defaultTtl() {
    return Optional.ofNullable(defaultTtl);
  }

  /** The node requests go through. */
  public CacheNode node() {
    return node;
  }

  // ------------------------------------------------------------------------------------------
  // Reads

  /** The value of {@code key}, or empty if it is missing or expired. */
  public Optional<V> get(K key) {
    return session.call(CacheProtocol.get(key(key)), this::value);
  }

  public CompletableFuture<Optional<V>> getAsync(K key) {
    return session.callAsync(CacheProtocol.get(key(key)), this::value);
  }

  // ------------------------------------------------------------------------------------------
  // Writes

  /** Stores {@code value} under {@code key} with the default TTL (or none). */
  public void put(K key, V value) {
    session.call(set(key, value, defaultTtl, false), NodeSession::ok);
  }

  /** Stores {@code value} under {@code key}, expiring {@code ttl} from now (positive). */
  public void put(K key, V value, Duration ttl) {
    session.call(set(key, value, Objects.requireNonNull(ttl, "ttl"), false), NodeSession::ok);
  }

  public CompletableFuture<Void> putAsync(K key, V value) {
    return session.callAsync(set(key, value, defaultTtl, false), NodeSession::ok);
  }

  public CompletableFuture<Void> putAsync(K key, V value, Duration ttl) {
    return session.callAsync(
        set(key, value, Objects.requireNonNull(ttl, "ttl"), false), NodeSession::ok);
  }

  /**
   * Stores {@code value} with the default TTL only if {@code key} is missing, atomically on the
   * key's primary: of several concurrent calls, from any nodes, exactly one returns true.
   */
  public boolean putIfAbsent(K key, V value) {
    return session.call(set(key, value, defaultTtl, true), NodeSession::okOrNull);
  }

  /** {@link #putIfAbsent(Object, Object)} with its own TTL (positive). */
  public boolean putIfAbsent(K key, V value, Duration ttl) {
    return session.call(
        set(key, value, Objects.requireNonNull(ttl, "ttl"), true), NodeSession::okOrNull);
  }

  public CompletableFuture<Boolean> putIfAbsentAsync(K key, V value) {
    return session.callAsync(set(key, value, defaultTtl, true), NodeSession::okOrNull);
  }

  public CompletableFuture<Boolean> putIfAbsentAsync(K key, V value, Duration ttl) {
    return session.callAsync(
        set(key, value, Objects.requireNonNull(ttl, "ttl"), true), NodeSession::okOrNull);
  }

  /** Removes {@code key} at this view's level. Returns whether it existed. */
  public boolean delete(K key) {
    return session.call(CacheProtocol.del(key(key)), NodeSession::flag);
  }

  public CompletableFuture<Boolean> deleteAsync(K key) {
    return session.callAsync(CacheProtocol.del(key(key)), NodeSession::flag);
  }

  /**
   * Removes {@code key} from every copy: returns once all of them applied the delete, whatever
   * this view's level, so no read at any level finds the old value afterwards. Needs every copy
   * reachable: otherwise it throws {@link ClusterUnavailableException} or {@link
   * CacheTimeoutException}, and {@link #delete} (which needs only this view's level) is the
   * fallback. Listeners on every node hear of it ({@link #addListener}).
   */
  public void invalidate(K key) {
    allCopies.call(CacheProtocol.del(key(key)), NodeSession::flag);
  }

  public CompletableFuture<Void> invalidateAsync(K key) {
    return allCopies.callAsync(CacheProtocol.del(key(key)), r -> null);
  }

  /**
   * Removes every key whose encoded form starts with {@code prefix} from every copy: every member
   * deletes, through the normal write path, the matching keys of the slots it is primary of, and
   * every node's listeners and tracking clients hear of the prefix. Returns once this node has
   * run its part and sent the request to every member (members that are unreachable now miss it;
   * their keys were not reachable either). Meaningful with key codecs whose encoding keeps
   * prefixes ({@link Codecs#utf8()}, {@link Codecs#bytes()}).
   */
  public void invalidatePrefix(byte[] prefix) {
    node.await(node.invalidationManager().invalidatePrefix(prefix.clone()).thenApply(v -> OK));
  }

  /** {@link #invalidatePrefix(byte[])} of the UTF-8 bytes of {@code prefix}. */
  public void invalidatePrefix(String prefix) {
    invalidatePrefix(prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * Removes every key from every member ({@code FLUSHALL}); returns once every member confirmed.
   *
   * @throws CacheException if a member did not confirm (the others are flushed)
   */
  public void invalidateAll() {
    node.await(node.invalidationManager().invalidateAll().thenApply(v -> OK));
  }

  /**
   * Registers {@code listener} for every change this node learns of, cluster-wide: writes and
   * deletes through any node, expiries, evictions here, explicit invalidations, and slots whose
   * owner changed. Close the returned subscription to stop; nothing else holds the listener. See
   * {@link io.distributedcache.core.invalidation.InvalidationListener} for the threading contract
   * (called on node threads: be quick, do not block, do not call this cache from it).
   */
  public Subscription addListener(ChangeListener<K> listener) {
    return node.invalidationManager()
        .subscribe(new KeyDecoding<>(keyCodec, Objects.requireNonNull(listener, "listener")));
  }

  /** Hears of changes; see {@link #addListener}. */
  @FunctionalInterface
  public interface ChangeListener<K> {
    /**
     * @param event what changed and why
     * @param key the decoded key of a one-key event, or null for an event about many keys (a
     *     prefix, slots, everything) or a key this cache's codec cannot decode
     */
    void onChange(Invalidation event, K key);
  }

  /** Decodes keys for a {@link ChangeListener}; holds the codec and the listener, nothing else. */
  private static final class KeyDecoding<K> implements InvalidationListener {
    private final Codec<K> keys;
    private final ChangeListener<K> listener;

    KeyDecoding(Codec<K> keys, ChangeListener<K> listener) {
      this.keys = keys;
      this.listener = listener;
    }

    @Override
    public void onInvalidation(Invalidation event) {
      K key = null;
      if (event.scope() == Invalidation.Scope.KEY) {
        try {
          key = keys.decode(event.bytes());
        } catch (RuntimeException e) {
          key = null; // written through another codec: the event still counts
        }
      }
      listener.onChange(event, key);
    }
  }

  private static final byte[] OK = {'+', 'O', 'K', '\r', '\n'};

  /**
   * Adds {@code delta} (may be negative) to the counter at {@code key}, created at 0 if missing,
   * and returns the new count; atomic on the key's primary, so concurrent increments through any
   * nodes all count. See the class comment for how counters meet the value codec.
   *
   * @throws WrongTypeException if the key holds something other than a decimal 64-bit integer
   * @throws CacheException ({@code ERR increment or decrement would overflow}) past the long range
   */
  public long increment(K key, long delta) {
    return session.call(CacheProtocol.incrBy(key(key), delta), NodeSession::integer);
  }

  public CompletableFuture<Long> incrementAsync(K key, long delta) {
    return session.callAsync(CacheProtocol.incrBy(key(key), delta), NodeSession::integer);
  }

  // ------------------------------------------------------------------------------------------
  // TTL

  /** The time {@code key} has left; empty when it is missing or has no expiry. */
  public Optional<Duration> ttl(K key) {
    return session.call(
        CacheProtocol.pttl(key(key)), r -> CacheProtocol.remainingTtl(NodeSession.integer(r)));
  }

  public CompletableFuture<Optional<Duration>> ttlAsync(K key) {
    return session.callAsync(
        CacheProtocol.pttl(key(key)), r -> CacheProtocol.remainingTtl(NodeSession.integer(r)));
  }

  /** Makes {@code key} expire {@code ttl} from now. Returns whether the key exists. */
  public boolean expire(K key, Duration ttl) {
    return session.call(CacheProtocol.pexpire(key(key), ttl), NodeSession::flag);
  }

  public CompletableFuture<Boolean> expireAsync(K key, Duration ttl) {
    return session.callAsync(CacheProtocol.pexpire(key(key), ttl), NodeSession::flag);
  }

  /** Removes {@code key}'s expiry. Returns whether it had one. */
  public boolean persist(K key) {
    return session.call(CacheProtocol.persist(key(key)), NodeSession::flag);
  }

  // ------------------------------------------------------------------------------------------

  /**
   * Closes the node if this cache built it ({@link Builder#config}); a cache over a node given
   * with {@link Builder#node}, and every view, leaves the node running. Idempotent.
   */
  @Override
  public void close() {
    if (ownsNode) {
      node.close();
    }
  }

  private byte[] key(K key) {
    return encode(keyCodec, Objects.requireNonNull(key, "key"), "key");
  }

  private byte[][] set(K key, V value, Duration ttl, boolean onlyIfAbsent) {
    byte[] v = encode(valueCodec, Objects.requireNonNull(value, "value"), "value");
    return CacheProtocol.set(key(key), v, ttl, onlyIfAbsent);
  }

  private static <T> byte[] encode(Codec<T> codec, T value, String what) {
    byte[] bytes;
    try {
      bytes = codec.encode(value);
    } catch (CodecException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CodecException("the " + what + " codec failed: " + e, e);
    }
    if (bytes == null) {
      throw new CodecException("the " + what + " codec returned null", null);
    }
    return bytes;
  }

  private Optional<V> value(Object reply) {
    byte[] bytes = NodeSession.bulk(reply);
    if (bytes == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(valueCodec.decode(bytes));
    } catch (CodecException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CodecException("the value codec failed: " + e, e);
    }
  }

  /**
   * Collects a cache's settings. The codec setters return a builder of the new type, so the
   * cache's type follows from them: {@code
   * DistributedCache.builder().keyCodec(Codecs.utf8()).valueCodec(Codecs.longs()).build()} is a
   * {@code DistributedCache<String, Long>}. Not thread-safe.
   *
   * @param <K> key type so far
   * @param <V> value type so far
   */
  public static final class Builder<K, V> {
    private final Codec<K> keyCodec;
    private final Codec<V> valueCodec;
    private NodeConfig config;
    private CacheNode node;
    private Duration defaultTtl;
    private ConsistencyLevel consistency;

    private Builder(Codec<K> keyCodec, Codec<V> valueCodec) {
      this.keyCodec = keyCodec;
      this.valueCodec = valueCodec;
    }

    private <K2, V2> Builder<K2, V2> copy(Codec<K2> keys, Codec<V2> values) {
      Builder<K2, V2> b = new Builder<>(keys, values);
      b.config = config;
      b.node = node;
      b.defaultTtl = defaultTtl;
      b.consistency = consistency;
      return b;
    }

    /** How keys become bytes (required). */
    public <K2> Builder<K2, V> keyCodec(Codec<K2> codec) {
      return copy(Objects.requireNonNull(codec, "codec"), valueCodec);
    }

    /** How values become bytes (required). */
    public <V2> Builder<K, V2> valueCodec(Codec<V2> codec) {
      return copy(keyCodec, Objects.requireNonNull(codec, "codec"));
    }

    /**
     * Starts a node with {@code nodeConfig} in {@link #build()}; the cache closes it. Default,
     * when neither this nor {@link #node} is given: a standalone node without a client port.
     */
    public Builder<K, V> config(NodeConfig nodeConfig) {
      this.config = Objects.requireNonNull(nodeConfig, "nodeConfig");
      this.node = null;
      return this;
    }

    /** Uses a running node; the cache leaves it running when closed. */
    public Builder<K, V> node(CacheNode running) {
      this.node = Objects.requireNonNull(running, "running");
      this.config = null;
      return this;
    }

    /** The TTL of puts that name none; default: the node's ({@link NodeConfig#defaultTtl()}). */
    public Builder<K, V> defaultTtl(Duration ttl) {
      CacheProtocol.ttlMillis(ttl); // checks it is positive
      this.defaultTtl = ttl;
      return this;
    }

    /** The level of the cache's requests; default: the node's. */
    public Builder<K, V> consistency(ConsistencyLevel level) {
      this.consistency = Objects.requireNonNull(level, "level");
      return this;
    }

    /**
     * The cache; starts its node if given a {@link #config}.
     *
     * @throws IllegalStateException if a codec is missing, or the node cannot start
     */
    public DistributedCache<K, V> build() {
      if (keyCodec == null || valueCodec == null) {
        throw new IllegalStateException("set keyCodec and valueCodec");
      }
      boolean owns = node == null;
      CacheNode n = owns ? CacheNode.start(config != null ? config : NodeConfig.builder().build()) : node;
      Duration ttl = defaultTtl != null ? defaultTtl : n.config().defaultTtl().orElse(null);
      ConsistencyLevel level = consistency != null ? consistency : n.config().defaultConsistency();
      return new DistributedCache<>(n, owns, keyCodec, valueCodec, ttl, level);
    }
  }
}
