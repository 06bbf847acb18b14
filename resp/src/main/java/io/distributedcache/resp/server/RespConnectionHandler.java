package io.distributedcache.resp.server;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.core.cluster.ClusterRequest;
import io.distributedcache.core.cluster.ReplySink;
import io.distributedcache.core.engine.CommandException;
import io.distributedcache.core.invalidation.Invalidation;
import io.distributedcache.core.keyspace.Slots;
import io.distributedcache.resp.cluster.AbsoluteExpiry;
import io.distributedcache.resp.codec.RespDecoder;
import io.distributedcache.resp.codec.RespProtocolError;
import io.distributedcache.resp.codec.RespWriter;
import io.distributedcache.resp.command.Args;
import io.distributedcache.resp.command.CommandKeys;
import io.distributedcache.resp.command.CommandSpec;
import io.distributedcache.resp.command.RedisClusterCommands;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.ArrayDeque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the commands of one connection and writes their replies, in order.
 *
 * <p>Design note. One instance per connection, driven only by that connection's event loop, so its
 * state needs no synchronisation. Replies to all the commands decoded from one socket read are
 * gathered in one buffer and written with a single flush in {@link #channelReadComplete}: a pipeline
 * of N commands costs one write system call, not N.
 *
 * <p>Backpressure: once the channel is unwritable (the client is not reading and the replies
 * waiting for its socket passed the high water mark), no further command of this connection runs.
 * Commands already decoded are kept, in order, in {@link #deferred} (their requests are small; it
 * is the replies that are big), auto-read is switched off, and they run when the channel drains. So
 * a client that pipelines large reads without reading holds about one reply beyond the water mark,
 * however many requests it sent. A protocol error is answered with {@code -ERR Protocol error:
 * ...} and closes only this connection.
 */
final class RespConnectionHandler extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(RespConnectionHandler.class);

  /** Replies beyond this size are handed to the channel before the read batch ends. */
  private static final int PENDING_WRITE_THRESHOLD_BYTES = 256 * 1024;

  private final NodeContext node;
  private final RespDecoder decoder;
  private ClientSession session;
  private ByteBuf pending;
  /** Decoded requests (byte[][] or RespProtocolError) waiting for the channel to drain. */
  private final ArrayDeque<Object> deferred = new ArrayDeque<>();
  /** Replies were handed to the channel during this read batch without a flush yet. */
  private boolean unflushed;
  private boolean closing;

  /** A command of this connection is out with the cluster; later ones wait in {@link #deferred}. */
  private boolean awaitingCluster;

  /** Set while {@link ClusterNode#submit} runs, so that an immediate reply is not re-entrant. */
  private boolean submitting;

  private byte[] immediateReply;

  /** The command out with the cluster is a tracked read ({@link ClientSession#readStarted}). */
  private boolean trackedReadOut;

  /**
   * The command being run, for its latency and the slow log: set when it starts, cleared by {@link
   * #commandDone} (at once, or when the cluster's reply arrives).
   */
  private CommandSpec runningSpec;

  private byte[][] runningArgs;
  private long runningStartNanos;

  RespConnectionHandler(NodeContext node, RespDecoder decoder) {
    this.node = node;
    this.decoder = decoder;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    // As in Redis, a connection starts as the default user, logged in iff that user is on and
    // nopass (with --requirepass it has a password).
    AclUser defaultUser = node.acl().defaultUser();
    boolean passwordRequired = !defaultUser.state().autoAuthenticates();
    session =
        new ClientSession(
            node.nextClientId(),
            ctx.channel(),
            decoder,
            node.ticker().read(),
            passwordRequired,
            node.defaultConsistency());
    session.user(defaultUser);
    session.authenticated(!passwordRequired, node.settings().limits());
    node.register(session);
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (session != null) {
      node.unregister(session);
    }
    if (pending != null) {
      pending.release();
      pending = null;
    }
    super.channelInactive(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing) {
      return;
    }
    if (awaitingCluster || !deferred.isEmpty() || !ctx.channel().isWritable()) {
      deferred.add(msg);
      ctx.channel().config().setAutoRead(false);
      return;
    }
    process(ctx, msg);
  }

  private void process(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof byte[][]) {
      execute(ctx, (byte[][]) msg);
    } else if (msg instanceof RespProtocolError) {
      node.stats().protocolErrors.increment();
      ByteBuf out = pending(ctx);
      session.writer().error(out, "ERR " + ((RespProtocolError) msg).message());
      closeAfterFlush(ctx);
    } else {
      throw new IllegalStateException("unexpected message " + msg.getClass());
    }
  }

  private void execute(ChannelHandlerContext ctx, byte[][] args) {
    if (args.length == 0) {
      return;
    }
    if (session.disconnected()) {
      // Closed from another connection (ACL DELUSER) while this command was on its way.
      closing = true;
      ctx.close();
      return;
    }
    ServerStats stats = node.stats();
    stats.commandsProcessed.increment();
    ByteBuf out = pending(ctx);
    RespWriter w = session.writer();
    CommandSpec spec = node.commands().lookup(args[0]);
    String denial;
    if (spec == null) {
      stats.unknownCommands.increment();
      w.error(out, unknownCommand(args));
    } else if (!spec.arityAccepts(args.length)) {
      node.metrics().rejected(spec);
      w.error(out, "ERR wrong number of arguments for '" + spec.name() + "' command");
    } else if (!session.authenticated()
        && !spec.allowedWithoutAuth()
        && !node.acl().defaultUserOpen()) {
      node.metrics().rejected(spec);
      w.error(out, "NOAUTH Authentication required.");
    } else if ((denial = session.user().denial(spec, args)) != null) {
      // ACL: before the command runs or is routed anywhere. Allocation-free for a user allowed
      // everything (the default user as configured by --requirepass alone).
      node.metrics().rejected(spec);
      w.error(out, "NOPERM " + denial);
    } else if (session.inSubscribedMode() && !allowedInSubscribedMode(spec.name())) {
      node.metrics().rejected(spec);
      w.error(
          out,
          "ERR Can't execute '" + spec.name() + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING"
              + " / QUIT / RESET are allowed in this context");
    } else {
      long startNanos = node.ticker().read();
      session.commandStarted(spec.name(), startNanos);
      session.startCommandCaching(
          args.length > 1 && spec.name().equals("client") && Args.is(args[1], "CACHING"));
      // Redis Cluster clients are sent to the slot's primary instead (-MOVED); see there. Like
      // Redis, a redirection counts as a rejected call.
      if (RedisClusterCommands.redirected(node, session, spec, args, out)) {
        node.metrics().rejected(spec);
        return;
      }
      runningSpec = spec;
      runningArgs = args;
      runningStartNanos = startNanos;
      if (routeVerify(ctx, spec, args, out)) {
        return;
      }
      ClusterNode cluster = node.cluster();
      if (cluster != null && routeToCluster(ctx, cluster, spec, args, out)) {
        return;
      }
      int mark = out.writerIndex();
      try {
        if (cluster == null && session.tracking() && spec.firstKey() != 0
            && !CommandKeys.writes(spec)) {
          // Remembered before it runs: a write on another event loop that lands between the
          // read and the remembering would otherwise tell nobody. Its push then reaches this
          // connection after this reply (it is queued on this connection's event loop).
          node.tracking().remember(session, CommandKeys.of(spec, args));
        }
        spec.handler().execute(node, session, args, out);
        if (cluster == null) {
          trackLocally(spec, args, out.writerIndex() > mark && out.getByte(mark) == '-');
        }
      } catch (CommandException e) {
        out.writerIndex(mark);
        w.error(out, e.getMessage());
      } catch (RuntimeException e) {
        out.writerIndex(mark);
        log.warn("command {} failed", spec.name(), e);
        w.error(out, "ERR internal error while running '" + spec.name() + "': " + e);
      }
      commandDone(ctx, out.writerIndex() > mark && out.getByte(mark) == '-');
      if (session.shouldCloseAfterReply()) {
        closeAfterFlush(ctx);
        return;
      }
    }
    if (out.readableBytes() >= PENDING_WRITE_THRESHOLD_BYTES) {
      stats.netOutputBytes.add(out.readableBytes());
      ctx.write(out, ctx.voidPromise());
      pending = null;
      unflushed = true;
    }
  }

  /**
   * Feeds the running command's latency (from its start to now) to the per-command histogram and
   * the slow log. Allocation-free unless the command is slow enough to be logged. Event loop only.
   */
  private void commandDone(ChannelHandlerContext ctx, boolean error) {
    CommandSpec spec = runningSpec;
    if (spec == null) {
      return;
    }
    byte[][] args = runningArgs;
    runningSpec = null;
    runningArgs = null;
    long nanos = node.ticker().read() - runningStartNanos;
    node.metrics().record(spec, nanos, error);
    SlowLog slowLog = node.slowLog();
    if (nanos >= slowLog.slowerThanNanos()) {
      slowLog.record(
          args,
          nanos,
          node.wallClock().currentTimeMillis(),
          SlowLog.describe(ctx.channel().remoteAddress()),
          session.name());
    }
  }

  private static boolean allowedInSubscribedMode(String name) {
    return switch (name) {
      case "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ping", "quit", "reset" ->
          true;
      default -> false;
    };
  }

  /**
   * Client-side caching on a node that runs alone: a write announces the keys it changed (with
   * this connection as their origin, for NOLOOP); reads were remembered before they ran. In a
   * cluster the primary announces writes and {@link #routeToCluster} remembers reads.
   */
  private void trackLocally(CommandSpec spec, byte[][] args, boolean failed) {
    String name = spec.name();
    if (name.equals("flushall") || name.equals("flushdb")) {
      if (!failed) {
        node.invalidations().announce(Invalidation.all(Invalidation.Cause.FLUSHED));
      }
      return;
    }
    if (spec.firstKey() == 0) {
      return;
    }
    // With no tracking client and no listener but the tracking table, a standalone write has no
    // one to tell: the per-key work is skipped on the hot path.
    if (!CommandKeys.writes(spec)
        || failed
        || (node.tracking().idle() && node.invalidations().listenerCount() <= 1)) {
      return;
    }
    node.announceStandaloneWrite(CommandKeys.of(spec, args), session.id());
  }

  /**
   * {@code CLUSTER VERIFY} asks every member for its digests, so it answers later, like a keyed
   * command: the connection waits for it in order. Returns false for anything else.
   */
  private boolean routeVerify(
      ChannelHandlerContext ctx, CommandSpec spec, byte[][] args, ByteBuf out) {
    ClusterAdmin admin = node.admin();
    if (admin == null
        || args.length != 2
        || !spec.name().equals("cluster")
        || !Args.is(args[1], "VERIFY")) {
      return false;
    }
    session.enterClusterMode();
    ReplySink sink = awaitReply(ctx);
    try {
      admin.verify(report -> sink.reply(verifyReply(report)));
    } finally {
      submitting = false;
    }
    takeImmediateReply(ctx, out);
    return true;
  }

  /**
   * Makes the connection wait for one answer that comes later (from a peer or a timer), and
   * returns where that answer goes: written on the event loop in order. The caller submits the
   * request, clears {@code submitting} and then calls {@link #takeImmediateReply}, because an
   * answer may also come at once, on this thread.
   */
  private ReplySink awaitReply(ChannelHandlerContext ctx) {
    awaitingCluster = true;
    submitting = true;
    return reply -> {
      if (ctx.executor().inEventLoop()) {
        clusterReplied(ctx, reply);
      } else {
        ctx.executor().execute(() -> clusterReplied(ctx, reply));
      }
    };
  }

  /** Writes an answer that arrived while the request was being submitted. */
  private void takeImmediateReply(ChannelHandlerContext ctx, ByteBuf out) {
    if (immediateReply != null) {
      byte[] reply = immediateReply;
      immediateReply = null;
      awaitingCluster = false;
      out.writeBytes(reply);
      commandDone(ctx, isError(reply));
    }
  }

  private static boolean isError(byte[] reply) {
    return reply.length > 0 && reply[0] == '-';
  }

  /** The verification as a bulk string of {@code name:value} lines, as CLUSTER INFO writes. */
  private static byte[] verifyReply(io.distributedcache.core.cluster.VerifyReport report) {
    StringBuilder text = new StringBuilder();
    text.append("verify_result:").append(report.healthy() ? "ok" : "problems").append("\r\n");
    text.append("epoch:").append(report.epoch()).append("\r\n");
    text.append("members_checked:").append(report.members() - report.unreachable().size())
        .append("\r\n");
    text.append("members_unreachable:").append(String.join(",", report.unreachable()))
        .append("\r\n");
    text.append("slots_checked:").append(report.slotsChecked()).append("\r\n");
    text.append("copies_missing:").append(report.missing()).append("\r\n");
    text.append("slots_stale:").append(report.stale()).append("\r\n");
    text.append("copies_misplaced:").append(report.misplaced()).append("\r\n");
    for (String problem : report.problems()) {
      text.append("problem:").append(problem).append("\r\n");
    }
    byte[] body = text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] head = ("$" + body.length + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] reply = new byte[head.length + body.length + 2];
    System.arraycopy(head, 0, reply, 0, head.length);
    System.arraycopy(body, 0, reply, head.length, body.length);
    reply[reply.length - 2] = '\r';
    reply[reply.length - 1] = '\n';
    return reply;
  }

  /**
   * Hands a keyed command (or FLUSHALL) to the cluster. Returns false for commands that run on
   * this node alone. The connection stops running further commands until the reply is here, so
   * replies stay in order and a read always follows the write before it (read your own writes).
   */
  private boolean routeToCluster(
      ChannelHandlerContext ctx, ClusterNode cluster, CommandSpec spec, byte[][] args, ByteBuf out) {
    boolean flush = spec.name().equals("flushall") || spec.name().equals("flushdb");
    byte[][] keys = flush ? null : CommandKeys.of(spec, args);
    if (!flush && keys.length == 0) {
      return false;
    }
    if (flush) {
      if (args.length > 2
          || (args.length == 2 && !Args.is(args[1], "ASYNC") && !Args.is(args[1], "SYNC"))) {
        session.writer().error(out, "ERR syntax error");
        commandDone(ctx, true);
        return true;
      }
    } else {
      int slot = Slots.slot(keys[0]);
      for (int i = 1; i < keys.length; i++) {
        if (Slots.slot(keys[i]) != slot) {
          session.writer().error(out, "CROSSSLOT Keys in request don't hash to the same slot");
          commandDone(ctx, true);
          return true;
        }
      }
    }
    node.stats().clusterRequests.increment();
    boolean writes = !flush && CommandKeys.writes(spec);
    boolean trackedRead = !flush && !writes && session.tracking();
    if (trackedRead) {
      node.tracking().remember(session, keys);
      session.readStarted(keys);
      trackedReadOut = true;
    }
    ReplySink sink = awaitReply(ctx);
    try {
      if (flush) {
        cluster.flushAll(sink);
      } else {
        // Absolute expiry times mean this node's clock, not the primary's: made relative here.
        cluster.submit(
            new ClusterRequest(
                AbsoluteExpiry.relativize(args, node.wallClock()),
                keys,
                Slots.slot(keys[0]),
                writes,
                session.protocol(),
                session.id()),
            session.cluster(),
            sink);
      }
    } finally {
      submitting = false;
    }
    takeImmediateReply(ctx, out);
    if (trackedRead && !awaitingCluster) {
      // Answered at once (a local read): invalidations held back meanwhile go after the reply.
      trackedReadOut = false;
      List<byte[]> held = session.readFinished();
      if (!held.isEmpty()) {
        flushPending(ctx);
        for (byte[] key : held) {
          node.tracking().push(session, key);
        }
      }
    }
    return true;
  }

  /** The cluster's answer to this connection's outstanding command; runs on the event loop. */
  private void clusterReplied(ChannelHandlerContext ctx, byte[] reply) {
    if (submitting) {
      immediateReply = reply;
      return;
    }
    awaitingCluster = false;
    commandDone(ctx, isError(reply));
    if (closing || !ctx.channel().isActive()) {
      return;
    }
    pending(ctx).writeBytes(reply);
    // Only a tracked read holds invalidations back: other replies skip the session's lock.
    List<byte[]> held = trackedReadOut ? session.readFinished() : List.of();
    trackedReadOut = false;
    if (!held.isEmpty()) {
      // Invalidations that arrived while this read was out follow its reply, never precede it.
      flushPending(ctx);
      for (byte[] key : held) {
        node.tracking().push(session, key);
      }
    }
    while (!deferred.isEmpty() && !closing && !awaitingCluster && ctx.channel().isWritable()) {
      process(ctx, deferred.poll());
    }
    flushPending(ctx);
    ctx.channel().config().setAutoRead(deferred.isEmpty() && !closing && !awaitingCluster);
  }

  /** Redis' wording: {@code unknown command 'x', with args beginning with: 'a' 'b' }. */
  private static String unknownCommand(byte[][] args) {
    StringBuilder sb = new StringBuilder("ERR unknown command '");
    sb.append(truncate(Args.text(args[0]), 128)).append("', with args beginning with: ");
    int budget = 128;
    for (int i = 1; i < args.length && budget > 0; i++) {
      String arg = truncate(Args.text(args[i]), budget);
      sb.append('\'').append(arg).append("' ");
      budget -= arg.length() + 3;
    }
    return sb.toString();
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }

  private ByteBuf pending(ChannelHandlerContext ctx) {
    if (pending == null) {
      pending = ctx.alloc().ioBuffer(512);
    }
    return pending;
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    flushPending(ctx);
  }

  private void flushPending(ChannelHandlerContext ctx) {
    if (pending != null) {
      ByteBuf out = pending;
      pending = null;
      if (out.isReadable()) {
        node.stats().netOutputBytes.add(out.readableBytes());
        ctx.write(out, ctx.voidPromise());
        unflushed = true;
      } else {
        out.release();
      }
    }
    if (unflushed) {
      unflushed = false;
      ctx.flush();
    }
  }

  private void closeAfterFlush(ChannelHandlerContext ctx) {
    closing = true;
    ByteBuf out = pending;
    pending = null;
    if (out != null && out.isReadable()) {
      node.stats().netOutputBytes.add(out.readableBytes());
      ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
    } else {
      if (out != null) {
        out.release();
      }
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    // Backpressure: stop reading requests from a client that is not reading its replies, and run
    // the deferred ones once its socket drains.
    if (ctx.channel().isWritable()) {
      while (!deferred.isEmpty() && !closing && !awaitingCluster && ctx.channel().isWritable()) {
        process(ctx, deferred.poll());
      }
      flushPending(ctx);
      ctx.channel().config().setAutoRead(deferred.isEmpty() && !closing && !awaitingCluster);
    } else {
      ctx.channel().config().setAutoRead(false);
    }
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("connection {} closed after error", ctx.channel(), cause);
    ctx.close();
  }
}
