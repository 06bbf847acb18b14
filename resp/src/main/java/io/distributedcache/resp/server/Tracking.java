package io.distributedcache.resp.server;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.invalidation.Invalidation;
import io.distributedcache.core.invalidation.InvalidationListener;
import io.distributedcache.core.storage.ByteKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Server-assisted client-side caching ({@code CLIENT TRACKING}), cluster-wide.
 *
 * <p>Design note. In the default mode the node remembers, per key, which of its connections read
 * it ({@link #remember}); in BCAST mode connections name prefixes instead. Every invalidation the
 * node's {@code InvalidationManager} delivers, whether from a write run here, a peer's broadcast,
 * an expiry, a layout change or a reconnected peer, reaches {@link #onInvalidation}, which tells
 * each interested connection once and forgets the key for it, as Redis does: a connection hears
 * about a key again only after reading it again. So a write through any node reaches tracking
 * clients on every node, and after a failover or a slot move clients drop what they read of the
 * slots that changed hands.
 *
 * <p>Invariants: the table holds only ids of connections that had tracking on when they read;
 * a connection that turns tracking off or closes is skipped at delivery and its entries are
 * dropped then (lazily, like Redis). The table is bounded ({@link #MAX_KEYS}): beyond it, the
 * oldest-seen key is invalidated for its readers and forgotten, so memory stays bounded and no
 * client keeps a value the server no longer watches.
 *
 * <p>Thread safety: {@link #remember} runs on the reader's event loop, {@link #onInvalidation} on
 * any thread; the table is a concurrent map whose values are concurrent sets.
 */
public final class Tracking implements InvalidationListener {

  /** Keys remembered at most, like Redis' {@code tracking-table-max-keys} default. */
  public static final int MAX_KEYS = 1_000_000;

  private static final byte[] INVALIDATE = "invalidate".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MESSAGE = "message".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] REDIS_INVALIDATE =
      "__redis__:invalidate".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] REDIR_BROKEN =
      "tracking-redir-broken".getBytes(StandardCharsets.US_ASCII);

  private final NodeContext node;
  private final Map<ByteKey, Set<Long>> readers = new ConcurrentHashMap<>();
  private final Set<ClientSession> broadcasters = ConcurrentHashMap.newKeySet();
  private final LongAdder invalidationsSent = new LongAdder();

  Tracking(NodeContext node) {
    this.node = node;
  }

  /** The channel RESP2 clients subscribe to for redirected invalidations. */
  public static byte[] invalidationChannel() {
    return REDIS_INVALIDATE.clone();
  }

  /** Remembers that {@code session} read {@code keys}, if its tracking mode asks for it. */
  public void remember(ClientSession session, byte[][] keys) {
    if (!session.remembersReads()) {
      return;
    }
    for (byte[] key : keys) {
      remember(ByteKey.of(key), session.id());
    }
    if (readers.size() > MAX_KEYS) {
      evictSome();
    }
  }

  /**
   * Adds {@code id} to the readers of {@code key}: compute, not computeIfAbsent + add, so that it
   * is atomic with an invalidation taking the key out (a read is never added to a dropped set).
   */
  private void remember(ByteKey key, long id) {
    readers.compute(
        key,
        (k, ids) -> {
          Set<Long> set = ids != null ? ids : ConcurrentHashMap.newKeySet();
          set.add(id);
          return set;
        });
  }

  private void evictSome() {
    Iterator<ByteKey> it = readers.keySet().iterator();
    int toEvict = readers.size() - MAX_KEYS;
    while (toEvict-- > 0 && it.hasNext()) {
      ByteKey key = it.next();
      Set<Long> ids = readers.remove(key);
      if (ids != null) {
        for (long id : ids) {
          send(id, null, key.bytes(), null);
        }
      }
    }
  }

  /** Tracking turned on for {@code session}: a BCAST one joins the broadcast list. */
  public void started(ClientSession session) {
    if (session.trackingBcast()) {
      broadcasters.add(session);
    } else {
      broadcasters.remove(session);
    }
  }

  /** Tracking turned off, or the connection closed. */
  public void stopped(ClientSession session) {
    broadcasters.remove(session);
  }

  /** Keys remembered in the default mode. */
  public int trackedKeys() {
    return readers.size();
  }

  /** Invalidation messages sent to clients. */
  public long invalidationsSent() {
    return invalidationsSent.sum();
  }

  /** Connections in BCAST mode. */
  public int broadcastClients() {
    return broadcasters.size();
  }

  /** Whether no connection tracks anything: events then cost nothing here. */
  public boolean idle() {
    return readers.isEmpty() && broadcasters.isEmpty();
  }

  @Override
  public void onInvalidation(Invalidation event) {
    if (readers.isEmpty() && broadcasters.isEmpty() && event.scope() != Invalidation.Scope.ALL) {
      return;
    }
    switch (event.scope()) {
      case KEY -> {
        byte[] key = event.bytes();
        ByteKey k = ByteKey.of(key);
        Set<Long> ids = readers.remove(k);
        if (ids != null) {
          for (long id : ids) {
            if (send(id, event, key, null) == Delivery.HELD) {
              // The client's read of the key is still out: what it returns must be watched too.
              remember(k, id);
            }
          }
        }
        for (ClientSession s : broadcasters) {
          if (matchesPrefix(s, key)) {
            send(s.id(), event, key, s);
          }
        }
      }
      case PREFIX, SLOTS -> {
        List<Map.Entry<ByteKey, Long>> held = new ArrayList<>();
        for (Iterator<Map.Entry<ByteKey, Set<Long>>> it = readers.entrySet().iterator();
            it.hasNext(); ) {
          Map.Entry<ByteKey, Set<Long>> e = it.next();
          byte[] key = e.getKey().bytes();
          if (event.covers(key)) {
            it.remove();
            for (long id : e.getValue()) {
              if (send(id, event, key, null) == Delivery.HELD) {
                held.add(Map.entry(e.getKey(), id));
              }
            }
          }
        }
        for (Map.Entry<ByteKey, Long> e : held) {
          remember(e.getKey(), e.getValue());
        }
        // A BCAST client cannot be told which keys: it drops everything it may hold there.
        for (ClientSession s : broadcasters) {
          if (event.scope() == Invalidation.Scope.SLOTS || overlapsPrefix(s, event.bytes())) {
            send(s.id(), event, null, s);
          }
        }
      }
      case ALL -> {
        // Like Redis: every tracking client hears of a flush, whatever it read.
        readers.clear();
        for (ClientSession s : node.clients()) {
          if (s.tracking()) {
            send(s.id(), event, null, s);
          }
        }
      }
    }
  }

  private static boolean matchesPrefix(ClientSession s, byte[] key) {
    List<byte[]> prefixes = s.trackingPrefixes();
    if (prefixes.isEmpty()) {
      return true;
    }
    for (byte[] p : prefixes) {
      if (Invalidation.startsWith(key, p)) {
        return true;
      }
    }
    return false;
  }

  private static boolean overlapsPrefix(ClientSession s, byte[] prefix) {
    List<byte[]> prefixes = s.trackingPrefixes();
    if (prefixes.isEmpty()) {
      return true;
    }
    for (byte[] p : prefixes) {
      if (Invalidation.startsWith(p, prefix) || Invalidation.startsWith(prefix, p)) {
        return true;
      }
    }
    return false;
  }

  /** What {@link #send} did. */
  private enum Delivery {
    SENT,
    SKIPPED,
    /** Held back until the client's read of the key is answered. */
    HELD
  }

  /**
   * Tells client {@code id} that {@code key} (null: everything) changed, through its redirect
   * if it has one, unless it is gone, has tracking off, or made the change itself with NOLOOP.
   */
  private Delivery send(long id, Invalidation event, byte[] key, ClientSession known) {
    ClientSession client = known != null ? known : node.client(id);
    if (client == null || !client.tracking()) {
      return Delivery.SKIPPED;
    }
    if (event != null && client.trackingNoLoop() && event.originClient() == client.id()
        && event.originNode().equals(selfId())) {
      return Delivery.SKIPPED;
    }
    if (client.deferIfReading(key)) {
      return Delivery.HELD;
    }
    return push(client, key) ? Delivery.SENT : Delivery.SKIPPED;
  }

  /**
   * Writes one invalidation of {@code key} (null: everything) for {@code client}: to it, or to
   * its redirect target. Any thread; also called by the connection for held-back ones.
   */
  boolean push(ClientSession client, byte[] key) {
    ClientSession target = client;
    boolean redirected = false;
    long redirect = client.trackingRedirect();
    if (redirect != 0) {
      target = node.client(redirect);
      redirected = true;
      if (target == null) {
        client.trackingRedirectBroken(true);
        client.push(
            (w, out) -> {
              if (w.protocol() == 3) {
                w.pushHeader(out, 2);
                w.bulk(out, REDIR_BROKEN);
                w.integer(out, redirect);
              }
            });
        return false;
      }
    }
    boolean resp3 = target.protocol() == 3;
    if (!resp3
        && !(redirected && node.pubSub().isSubscribed(target, REDIS_INVALIDATE))) {
      return false; // RESP2 without a subscribed redirect target cannot take a push, as in Redis.
    }
    invalidationsSent.increment();
    return target.push(
        (w, out) -> {
          if (resp3) {
            w.pushHeader(out, 2);
            w.bulk(out, INVALIDATE);
          } else {
            w.pushHeader(out, 3);
            w.bulk(out, MESSAGE);
            w.bulk(out, REDIS_INVALIDATE);
          }
          if (key == null) {
            w.nullBulk(out); // "_" in RESP3, "$-1" in RESP2, as Redis sends for a flush
          } else {
            w.arrayHeader(out, 1);
            w.bulk(out, key);
          }
        });
  }

  private String selfId() {
    ClusterNode cluster = node.cluster();
    return cluster == null ? "" : cluster.nodeId();
  }
}
