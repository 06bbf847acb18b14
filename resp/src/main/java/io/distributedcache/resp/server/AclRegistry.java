package io.distributedcache.resp.server;

import io.distributedcache.resp.command.CommandSpec;
import io.distributedcache.resp.command.CommandTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's ACL users ({@code ACL SETUSER}, {@code AUTH user pass}). Users are node-local, like a
 * Redis without an ACL file: nothing replicates them to the other members of a cluster.
 *
 * <p>Lookups (AUTH, ACL GETUSER) read a concurrent map from any thread; changes ({@code SETUSER},
 * {@code DELUSER}) are serialised on this object, and build a complete new {@link AclUserState}
 * before publishing it, so a rule list that fails half-way changes nothing, as in Redis.
 */
public final class AclRegistry {

  /** The user every connection starts as. */
  public static final String DEFAULT_USER = "default";

  private final AclCommandIndex index;
  private final Map<String, AclUser> users = new ConcurrentHashMap<>();
  private final AclUser defaultUser;

  /**
   * @param commands the node's commands, which rules name
   * @param requirePass the default user's password, empty for {@code nopass}
   */
  public AclRegistry(CommandTable commands, String requirePass) {
    this.index = new AclCommandIndex(commands);
    this.defaultUser = new AclUser(DEFAULT_USER, AclUserState.defaultUser(index, requirePass));
    users.put(DEFAULT_USER, defaultUser);
  }

  /** The commands as rules address them, for {@code ACL CAT}. */
  public AclCommandIndex index() {
    return index;
  }

  public AclUser defaultUser() {
    return defaultUser;
  }

  /**
   * Whether a connection that has not authenticated may run commands anyway: the default user is
   * on and nopass (as in Redis, this is checked when the command runs, so dropping the default
   * user's password opens connections made while it had one).
   */
  public boolean defaultUserOpen() {
    return defaultUser.state().autoAuthenticates();
  }

  /** The user called {@code name}, or null. */
  public AclUser user(String name) {
    return users.get(name);
  }

  /** All user names, sorted, as {@code ACL USERS} lists them. */
  public List<String> names() {
    return new ArrayList<>(new TreeMap<>(users).keySet());
  }

  /** All users, sorted by name. */
  public List<AclUser> users() {
    return new ArrayList<>(new TreeMap<>(users).values());
  }

  /**
   * The user {@code name} if it exists, is on and accepts {@code password} (any password when it
   * is nopass), else null. The password is hashed and compared even when the user does not exist,
   * so that failing for an unknown user takes as long as failing for a wrong password.
   */
  public AclUser authenticate(String name, byte[] password) {
    AclUser user = users.get(name);
    AclUserState state = user == null ? defaultUser.state() : user.state();
    boolean passwordOk = state.passwordMatches(password) || state.noPass;
    if (user == null || !state.enabled || !passwordOk) {
      return null;
    }
    return user;
  }

  /**
   * {@code ACL SETUSER name rules...}: creates the user ({@code off resetchannels -@all}) if
   * needed and applies the rules in order, all or nothing.
   *
   * @throws AclUserState.RuleException naming the first rule that failed, in {@code
   *     failedRule}'s format: {@code Error in ACL SETUSER modifier '<rule>': <reason>}
   * @throws IllegalArgumentException for a name with spaces or NUL characters
   */
  public synchronized void setUser(String name, List<String> rules) {
    if (name.indexOf(' ') >= 0 || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("Usernames can't contain spaces or null characters");
    }
    AclUser existing = users.get(name);
    AclUserState.Builder builder =
        existing == null
            ? AclUserState.created(index).toBuilder(index)
            : existing.state().toBuilder(index);
    for (String rule : rules) {
      try {
        builder.apply(rule);
      } catch (AclUserState.RuleException e) {
        throw new AclUserState.RuleException(
            "Error in ACL SETUSER modifier '" + rule + "': " + e.getMessage());
      }
    }
    AclUserState next = builder.build();
    if (existing == null) {
      users.put(name, new AclUser(name, next));
    } else {
      existing.state(next);
    }
  }

  /**
   * {@code ACL DELUSER}: removes the named users that exist and returns them, each left with the
   * rights of a reset user so that a command already past the check is the last one it runs; the
   * caller disconnects their clients. The default user cannot be removed.
   *
   * @throws IllegalArgumentException if {@code names} contains the default user (nothing is
   *     removed then)
   */
  public synchronized List<AclUser> deleteUsers(List<String> names) {
    if (names.contains(DEFAULT_USER)) {
      throw new IllegalArgumentException("The 'default' user cannot be removed");
    }
    List<AclUser> removed = new ArrayList<>();
    for (String name : names) {
      AclUser user = users.remove(name);
      if (user != null) {
        user.state(AclUserState.deleted(index));
        removed.add(user);
      }
    }
    return removed;
  }

  /**
   * {@code ACL DRYRUN}: whether {@code user} may run {@code args}, with the verbose reason Redis
   * gives (naming the key or channel), or null when allowed.
   */
  public String dryRun(AclUser user, CommandSpec spec, byte[][] args) {
    return user.state().denial(user.name(), spec, args, true);
  }

  /** {@code user <name> <rules>}, one line of {@code ACL LIST}. */
  public static String describe(AclUser user) {
    return "user " + user.name() + " " + user.state().describe();
  }
}
