package io.distributedcache.resp.server;

import io.distributedcache.resp.command.CommandSpec;

/**
 * One ACL user as connections see it: a name and the current {@link AclUserState}, swapped whole
 * by {@code ACL SETUSER}, so a connection logged in as this user is governed by the new rules from
 * its next command on (as in Redis), and no reader ever sees half an update.
 *
 * <p>Read on every command by any event loop (one volatile read on the fast path); written only by
 * {@link AclRegistry} under its lock.
 */
public final class AclUser {

  private final String name;
  private volatile AclUserState state;

  AclUser(String name, AclUserState state) {
    this.name = name;
    this.state = state;
  }

  public String name() {
    return name;
  }

  /** The settings in force now. */
  public AclUserState state() {
    return state;
  }

  void state(AclUserState next) {
    this.state = next;
  }

  /**
   * Why this user may not run {@code args} (without the {@code NOPERM} prefix), or null if it may.
   * Allocation-free for a user allowed everything ({@code ~* &* +@all}), the default user's usual
   * settings. Any thread.
   */
  public String denial(CommandSpec spec, byte[][] args) {
    AclUserState s = state;
    if (s.unrestricted) {
      return null;
    }
    return s.denial(name, spec, args, false);
  }
}
