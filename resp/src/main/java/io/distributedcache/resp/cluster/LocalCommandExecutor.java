package io.distributedcache.resp.cluster;

import io.distributedcache.core.cluster.CommandExecutor;
import io.distributedcache.core.engine.CommandException;
import io.distributedcache.resp.command.CommandKeys;
import io.distributedcache.resp.command.CommandSpec;
import io.distributedcache.resp.server.ClientSession;
import io.distributedcache.resp.server.NodeContext;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs commands for the cluster on this node's engine, through the same handlers a client
 * connection uses, and returns the reply bytes. This is where a forwarded command (a write on its
 * primary, a read on a replica) finally runs.
 *
 * <p>Thread-safe: each thread gets its own reply writers (they keep scratch space); the engine is
 * thread-safe. The handlers of keyed data commands only use the session's writer, which is all the
 * detached session provides.
 */
public final class LocalCommandExecutor implements CommandExecutor {

  private static final Logger log = LoggerFactory.getLogger(LocalCommandExecutor.class);

  private final NodeContext node;
  private final ThreadLocal<ClientSession[]> sessions =
      ThreadLocal.withInitial(
          () -> new ClientSession[] {ClientSession.detached(2), ClientSession.detached(3)});

  public LocalCommandExecutor(NodeContext node) {
    this.node = node;
  }

  @Override
  public byte[][] keys(byte[][] args) {
    CommandSpec spec = args.length == 0 ? null : node.commands().lookup(args[0]);
    return spec == null || !spec.arityAccepts(args.length)
        ? new byte[0][]
        : CommandKeys.of(spec, args);
  }

  @Override
  public byte[] execute(byte[][] args, int protocol) {
    ClientSession session = sessions.get()[protocol == 3 ? 1 : 0];
    ByteBuf out = Unpooled.buffer(64);
    try {
      CommandSpec spec = args.length == 0 ? null : node.commands().lookup(args[0]);
      if (spec == null || !spec.arityAccepts(args.length)) {
        // The coordinator checked both; a peer that disagrees runs another version.
        session.writer().error(out, "ERR command not runnable on this node");
        return ByteBufUtil.getBytes(out);
      }
      try {
        spec.handler().execute(node, session, args, out);
      } catch (CommandException e) {
        out.clear();
        session.writer().error(out, e.getMessage());
      } catch (RuntimeException e) {
        out.clear();
        log.warn("command {} failed", spec.name(), e);
        session.writer().error(
            out, "ERR internal error while running '" + spec.name() + "': " + e);
      }
      return ByteBufUtil.getBytes(out);
    } finally {
      out.release();
    }
  }
}
