package io.distributedcache.resp.server;

import io.distributedcache.core.cluster.ClusterSession;
import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.core.storage.ByteKey;
import io.distributedcache.resp.codec.RespDecoder;
import io.distributedcache.resp.codec.RespLimits;
import io.distributedcache.resp.codec.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The state of one client connection: protocol version, authentication, name, and the figures that
 * {@code CLIENT LIST} shows.
 *
 * <p>Owned by the connection's event loop: every mutator is called there only, so nothing here needs
 * a lock. Other threads (another connection running {@code CLIENT LIST}) read the volatile fields and
 * may see a slightly stale but never a torn picture.
 */
public final class ClientSession {

  private final long id;
  private final Channel channel;
  private final RespDecoder decoder;
  private final RespWriter writer = new RespWriter(2);
  private final long createdNanos;
  private final boolean passwordRequired;

  private volatile boolean authenticated;
  /** The ACL user this connection runs as; null only for a {@link #detached} session. */
  private volatile AclUser user;
  private volatile String name = "";
  private volatile String libName = "";
  private volatile String libVersion = "";
  private volatile long lastCommandNanos;
  private volatile String lastCommand = "NULL";
  private boolean closeAfterReply;

  // Redis Cluster client state (RedisClusterCommands): event-loop confined like closeAfterReply.
  private boolean clusterMode;
  private boolean readOnly;
  private boolean asking;

  private final ClusterSession cluster;

  // Pub/sub: event-loop confined sets; PubSub holds the server-wide index.
  private final Set<ByteKey> channels = new HashSet<>();
  private final Set<ByteKey> patterns = new HashSet<>();

  // Client-side caching (CLIENT TRACKING): written on the event loop, read by whichever thread
  // delivers an invalidation, hence volatile; prefixes is replaced, never modified.
  private volatile boolean tracking;
  private volatile boolean trackingBcast;
  private volatile boolean trackingOptIn;
  private volatile boolean trackingOptOut;
  private volatile boolean trackingNoLoop;
  private volatile long trackingRedirect;
  private volatile List<byte[]> trackingPrefixes = List.of();
  private volatile boolean trackingRedirectBroken;
  /**
   * Guards {@link #readInFlight} and {@link #deferredInvalidations}: the event loop starts and
   * finishes reads, invalidations arrive on any thread.
   */
  private final Object readLock = new Object();

  private byte[][] readInFlight;
  private List<byte[]> deferredInvalidations;

  /** CLIENT CACHING yes|no for the next command: 1 yes, -1 no, 0 not given. */
  private int cachingNext;
  private int cachingCurrent;

  ClientSession(
      long id,
      Channel channel,
      RespDecoder decoder,
      long createdNanos,
      boolean passwordRequired,
      ConsistencyLevel level) {
    this.id = id;
    this.channel = channel;
    this.decoder = decoder;
    this.createdNanos = createdNanos;
    this.lastCommandNanos = createdNanos;
    this.passwordRequired = passwordRequired;
    this.authenticated = !passwordRequired;
    this.cluster = new ClusterSession(level);
  }

  /**
   * A session with no connection, for running a command on behalf of a peer: only its reply
   * writer is usable.
   */
  public static ClientSession detached(int protocol) {
    ClientSession session = new ClientSession(0, null, null, 0, false, ConsistencyLevel.ONE);
    session.protocol(protocol);
    return session;
  }

  /** The cluster's view of this connection: its consistency levels and the versions it wrote. */
  public ClusterSession cluster() {
    return cluster;
  }

  /** The connection id, unique in this process and increasing, as {@code CLIENT ID} reports. */
  public long id() {
    return id;
  }

  /** The reply encoder, set to this connection's protocol version. */
  public RespWriter writer() {
    return writer;
  }

  /** 2 or 3. */
  public int protocol() {
    return writer.protocol();
  }

  /** Switches the reply protocol (HELLO). */
  public void protocol(int version) {
    writer.protocol(version);
  }

  public boolean authenticated() {
    return authenticated;
  }

  /**
   * The ACL user whose permissions govern this connection: {@code default} until AUTH or HELLO
   * AUTH succeeds. Read by the connection's event loop on every command, and by CLIENT LIST and
   * ACL DELUSER on other threads.
   */
  public AclUser user() {
    return user;
  }

  /** Switches the connection to {@code value} (AUTH, HELLO AUTH, RESET); event loop. */
  public void user(AclUser value) {
    this.user = value;
  }

  /**
   * Closes this connection now, from any thread (ACL DELUSER of its user). The calling connection
   * itself uses {@link #closeAfterReply} instead, so that its reply is written first.
   */
  public void disconnect() {
    disconnected = true;
    if (channel != null) {
      channel.close();
    }
  }

  /**
   * Whether {@link #disconnect} was called: the close runs on the connection's event loop, which
   * may still read a command first; the handler runs none once this is set.
   */
  public boolean disconnected() {
    return disconnected;
  }

  private volatile boolean disconnected;

  /** Marks the connection authenticated and lifts the stricter pre-authentication input limits. */
  public void authenticated(boolean value, RespLimits limitsWhenAuthenticated) {
    this.authenticated = value;
    decoder.limits(value || !passwordRequired ? limitsWhenAuthenticated : RespLimits.unauthenticated());
  }

  public boolean passwordRequired() {
    return passwordRequired;
  }

  public String name() {
    return name;
  }

  public void name(String value) {
    this.name = value;
  }

  public void libName(String value) {
    this.libName = value;
  }

  public void libVersion(String value) {
    this.libVersion = value;
  }

  void commandStarted(String commandName, long nowNanos) {
    this.lastCommand = commandName;
    this.lastCommandNanos = nowNanos;
  }

  /** Asks the handler to close the connection once the current reply has been written (QUIT). */
  public void closeAfterReply() {
    this.closeAfterReply = true;
  }

  boolean shouldCloseAfterReply() {
    return closeAfterReply;
  }

  /**
   * Whether this connection behaves as a Redis Cluster client: it has sent a {@code CLUSTER}
   * subcommand, {@code READONLY} or {@code READWRITE}. Only such connections get {@code -MOVED}
   * redirections; plain clients are served by forwarding.
   */
  public boolean clusterMode() {
    return clusterMode;
  }

  /** Puts the connection in cluster mode for the rest of its life. */
  public void enterClusterMode() {
    this.clusterMode = true;
  }

  /** Whether {@code READONLY} is on: reads of slots this node holds a copy of are served here. */
  public boolean readOnly() {
    return readOnly;
  }

  /** {@code READONLY} ({@code true}) or {@code READWRITE} ({@code false}). */
  public void readOnly(boolean value) {
    this.readOnly = value;
  }

  /** Sets the one-shot {@code ASKING} flag, which the next command consumes. */
  public void asking(boolean value) {
    this.asking = value;
  }

  /** Returns the {@code ASKING} flag and clears it (called once per command, before it runs). */
  public boolean takeAsking() {
    boolean value = asking;
    asking = false;
    return value;
  }

  // ------------------------------------------------------------------------------------------
  // Pub/sub

  /** The channels this connection is subscribed to; event-loop confined. */
  public Set<ByteKey> channels() {
    return channels;
  }

  /** The patterns this connection is subscribed to; event-loop confined. */
  public Set<ByteKey> patterns() {
    return patterns;
  }

  /** Channel plus pattern subscriptions, as the (un)subscribe replies count them. */
  public int subscriptionCount() {
    return channels.size() + patterns.size();
  }

  /**
   * Whether a RESP2 connection is in subscribed mode, where only (un)subscribe commands, PING,
   * QUIT and RESET run. RESP3 connections take any command while subscribed.
   */
  public boolean inSubscribedMode() {
    return protocol() == 2 && subscriptionCount() > 0;
  }

  /**
   * Writes an out-of-band message (a pub/sub message, an invalidation) to this connection; any
   * thread, never blocks. {@code encoder} writes the whole message with the writer it is given,
   * which speaks the connection's protocol. A connection that does not read its messages is
   * closed once more than {@link #MAX_PENDING_PUSH_BYTES} wait for its socket, as Redis' pubsub
   * output buffer limit does, rather than letting the node's memory grow.
   *
   * @return false if the connection is closed or was closed for falling behind
   */
  public boolean push(BiConsumer<RespWriter, ByteBuf> encoder) {
    if (channel == null || !channel.isActive()) {
      return false;
    }
    if (!channel.isWritable() && channel.bytesBeforeWritable() > MAX_PENDING_PUSH_BYTES) {
      channel.close();
      return false;
    }
    RespWriter w = new RespWriter(protocol());
    ByteBuf out = channel.alloc().ioBuffer(64);
    try {
      encoder.accept(w, out);
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
    channel.writeAndFlush(out, channel.voidPromise());
    return true;
  }

  /** Messages waiting beyond this many bytes close a subscriber that does not read. */
  public static final long MAX_PENDING_PUSH_BYTES = 32L * 1024 * 1024;

  // ------------------------------------------------------------------------------------------
  // Client-side caching

  /**
   * Turns tracking on (CLIENT TRACKING ON ...). Options accumulate like Redis': prefixes add up
   * across calls while tracking stays on.
   */
  public void trackingOn(
      boolean bcast,
      boolean optIn,
      boolean optOut,
      boolean noLoop,
      long redirect,
      List<byte[]> morePrefixes) {
    List<byte[]> prefixes = new ArrayList<>(tracking ? trackingPrefixes : List.of());
    prefixes.addAll(morePrefixes);
    this.trackingBcast = bcast;
    this.trackingOptIn = optIn;
    this.trackingOptOut = optOut;
    this.trackingNoLoop = noLoop;
    this.trackingRedirect = redirect;
    this.trackingRedirectBroken = false;
    this.trackingPrefixes = List.copyOf(prefixes);
    this.tracking = true;
  }

  /** CLIENT TRACKING OFF (and RESET, and a closed connection). */
  public void trackingOff() {
    this.tracking = false;
    this.trackingBcast = false;
    this.trackingOptIn = false;
    this.trackingOptOut = false;
    this.trackingNoLoop = false;
    this.trackingRedirect = 0;
    this.trackingRedirectBroken = false;
    this.trackingPrefixes = List.of();
    this.cachingNext = 0;
    this.cachingCurrent = 0;
  }

  public boolean tracking() {
    return tracking;
  }

  public boolean trackingBcast() {
    return trackingBcast;
  }

  public boolean trackingOptIn() {
    return trackingOptIn;
  }

  public boolean trackingOptOut() {
    return trackingOptOut;
  }

  public boolean trackingNoLoop() {
    return trackingNoLoop;
  }

  /** The client id invalidations are redirected to, or 0. */
  public long trackingRedirect() {
    return trackingRedirect;
  }

  public List<byte[]> trackingPrefixes() {
    return trackingPrefixes;
  }

  public boolean trackingRedirectBroken() {
    return trackingRedirectBroken;
  }

  public void trackingRedirectBroken(boolean broken) {
    this.trackingRedirectBroken = broken;
  }

  /** CLIENT CACHING yes ({@code true}) or no: applies to the next command only. */
  public void cachingNext(boolean yes) {
    this.cachingNext = yes ? 1 : -1;
  }

  /** The CLIENT CACHING answer in force for the command now running: 1 yes, -1 no, 0 none. */
  public int caching() {
    return cachingCurrent;
  }

  /**
   * Moves a pending CLIENT CACHING to the command about to run (the one after CLIENT CACHING);
   * called once per command, before it runs, except for CLIENT CACHING itself.
   */
  void startCommandCaching(boolean isCachingCommand) {
    if (isCachingCommand) {
      return;
    }
    cachingCurrent = cachingNext;
    cachingNext = 0;
  }

  /**
   * A tracked read of {@code keys} went to the cluster; until {@link #readFinished}, invalidations
   * of those keys are held back (see {@link #deferIfReading}). Event loop.
   */
  public void readStarted(byte[][] keys) {
    synchronized (readLock) {
      readInFlight = keys;
    }
  }

  /**
   * The read's reply has been written (into the connection's output, in order): returns the
   * invalidations held back meanwhile, to be written after it (a null element: everything), and
   * stops holding back. Event loop.
   */
  public List<byte[]> readFinished() {
    synchronized (readLock) {
      readInFlight = null;
      List<byte[]> held = deferredInvalidations;
      deferredInvalidations = null;
      return held == null ? List.of() : held;
    }
  }

  /**
   * Holds back an invalidation of {@code key} (null: everything) while a read of it is out with
   * the cluster, so that it reaches the client after the read's reply, as on a single Redis: an
   * invalidation overtaking the reply would let the client cache what the read returns, which may
   * predate the change. Returns false (send it now) when no such read is in flight. Any thread.
   */
  public boolean deferIfReading(byte[] key) {
    synchronized (readLock) {
      byte[][] reading = readInFlight;
      if (reading == null) {
        return false;
      }
      boolean covered = key == null;
      for (int i = 0; !covered && i < reading.length; i++) {
        covered = java.util.Arrays.equals(reading[i], key);
      }
      if (!covered) {
        return false;
      }
      if (deferredInvalidations == null) {
        deferredInvalidations = new ArrayList<>(2);
      }
      deferredInvalidations.add(key);
      return true;
    }
  }

  /**
   * Whether the keys the current read command touches should be remembered for invalidation:
   * tracking on in the default mode, and not excluded by OPTIN/OPTOUT and CLIENT CACHING.
   */
  public boolean remembersReads() {
    if (!tracking || trackingBcast) {
      return false;
    }
    if (trackingOptIn) {
      return cachingCurrent == 1;
    }
    if (trackingOptOut) {
      return cachingCurrent != -1;
    }
    return true;
  }

  /**
   * One line of {@code CLIENT LIST} / {@code CLIENT INFO}. Only fields whose value we really know are
   * listed; Redis' buffer-accounting fields are left out rather than reported as zeros.
   */
  public String describe(long nowNanos) {
    long ageSeconds = (nowNanos - createdNanos) / 1_000_000_000L;
    long idleSeconds = (nowNanos - lastCommandNanos) / 1_000_000_000L;
    return "id=" + id
        + " addr=" + address(channel.remoteAddress())
        + " laddr=" + address(channel.localAddress())
        + " name=" + name
        + " age=" + Math.max(0, ageSeconds)
        + " idle=" + Math.max(0, idleSeconds)
        + " flags=" + flags() + " db=0"
        + " sub=" + channels.size()
        + " psub=" + patterns.size()
        + " cmd=" + lastCommand
        + " user=" + (user == null ? AclRegistry.DEFAULT_USER : user.name())
        + " resp=" + protocol()
        + " lib-name=" + libName
        + " lib-ver=" + libVersion;
  }

  private String flags() {
    StringBuilder f = new StringBuilder();
    if (!channels.isEmpty() || !patterns.isEmpty()) {
      f.append('P');
    }
    if (tracking) {
      f.append('t');
      if (trackingRedirectBroken) {
        f.append('R');
      }
    }
    return f.length() == 0 ? "N" : f.toString();
  }

  private static String address(SocketAddress address) {
    if (address instanceof InetSocketAddress) {
      InetSocketAddress inet = (InetSocketAddress) address;
      String host = inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
      return host + ":" + inet.getPort();
    }
    return String.valueOf(address);
  }
}
