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
 * @param aclId this command's bit in an ACL user's command bitmap, unique in its {@link
 *     CommandTable} (subcommands have their own)
 * @param subcommands for a container command (CLIENT, CONFIG, ...), the subcommands whose ACL
 *     categories differ per subcommand, as in Redis 7; empty otherwise
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
    CommandHandler handler,
    int aclId,
    List<Subcommand> subcommands) {

  /**
   * A subcommand of a container command, for ACL purposes: {@code +client|list} and {@code
   * +@admin} address it on its own.
   *
   * @param container the container's lower-case name
   * @param name the subcommand's lower-case name
   * @param upperName the same in upper case, for the allocation-free match against the argument
   * @param flags Redis flags of the subcommand
   * @param aclCategories categories without the leading '@'
   * @param aclId its bit in an ACL user's command bitmap
   */
  public record Subcommand(
      String container,
      String name,
      String upperName,
      List<String> flags,
      List<String> aclCategories,
      int aclId) {

    /** {@code container|name}, as ACL rules and NOPERM errors spell it. */
    public String fullName() {
      return container + "|" + name;
    }
  }

  /** Whether the command may run before the connection has authenticated. */
  public boolean allowedWithoutAuth() {
    return flags.contains("no_auth");
  }

  /** Whether {@code argc} (including the name) satisfies the arity. */
  public boolean arityAccepts(int argc) {
    return arity >= 0 ? argc == arity : argc >= -arity;
  }

  /**
   * The subcommand {@code arg} names (any case), or null when this is no container or it has no
   * such subcommand. Allocation-free: runs on the permission check of restricted users.
   */
  public Subcommand subcommand(byte[] arg) {
    List<Subcommand> subs = subcommands;
    for (int i = 0, n = subs.size(); i < n; i++) {
      Subcommand sub = subs.get(i);
      if (Args.is(arg, sub.upperName())) {
        return sub;
      }
    }
    return null;
  }
}
