package io.distributedcache.resp.server;

import io.distributedcache.core.cluster.ClusterSession;
import io.distributedcache.core.cluster.ConsistencyLevel;
import io.distributedcache.resp.codec.RespDecoder;
import io.distributedcache.resp.codec.RespLimits;
import io.distributedcache.resp.codec.RespWriter;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

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
        + " flags=N db=0"
        + " cmd=" + lastCommand
        + " user=default"
        + " resp=" + protocol()
        + " lib-name=" + libName
        + " lib-ver=" + libVersion;
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
