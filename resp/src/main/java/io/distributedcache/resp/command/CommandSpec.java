package io.distributedcache.resp.command;

import java.util.List;

/**
 * One command as {@code COMMAND INFO} and {@code COMMAND DOCS} describe it, with its handler.
 *
 * @param name lower-case name
 * @param arity Redis convention: positive means exactly that many arguments including the name,
 *     negative means at least that many
 * @param flags Redis command flags such as "write", "readonly", "fast", "no_auth"
 * @param firstKey position of the first key argument, 0 if none
 * @param lastKey position of the last key, -1 for the last argument
 * @param keyStep distance between keys
 * @param aclCategories categories without the leading '@'
 * @param group documentation group ("string", "generic", "connection", "server", "cluster")
 * @param since the Redis version that introduced it
 * @param summary one line for {@code COMMAND DOCS}
 * @param handler what runs it
 */
public record CommandSpec(
    String name,
    int arity,
    List<String> flags,
    int firstKey,
    int lastKey,
    int keyStep,
    List<String> aclCategories,
    String group,
    String since,
    String summary,
    CommandHandler handler) {

  /** Whether the command may run before the connection has authenticated. */
  public boolean allowedWithoutAuth() {
    return flags.contains("no_auth");
  }

  /** Whether {@code argc} (including the name) satisfies the arity. */
  public boolean arityAccepts(int argc) {
    return arity >= 0 ? argc == arity : argc >= -arity;
  }
}
