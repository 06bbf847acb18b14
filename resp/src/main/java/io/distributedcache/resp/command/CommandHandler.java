package io.distributedcache.resp.command;

import io.distributedcache.resp.server.ClientSession;
import io.distributedcache.resp.server.NodeContext;
import io.netty.buffer.ByteBuf;

/**
 * Executes one command and writes its reply.
 *
 * <p>Called on the connection's Netty event loop, once per command, after the arity and
 * authentication checks. Must write exactly one reply to {@code out}, through {@code
 * session.writer()}, unless it throws. Must not block. May throw {@link
 * io.distributedcache.core.engine.CommandException}, whose message becomes the error reply; any
 * other exception is reported to the client as an internal error and logged.
 */
@FunctionalInterface
public interface CommandHandler {

  /**
   * @param node the server-wide context
   * @param session the calling connection
   * @param args the command name followed by its arguments, as the client sent them
   * @param out the buffer the reply goes into
   */
  void execute(NodeContext node, ClientSession session, byte[][] args, ByteBuf out);
}
