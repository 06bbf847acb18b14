package io.distributedcache.resp.server;

import io.distributedcache.core.engine.GlobPattern;
import io.distributedcache.resp.command.Args;
import io.distributedcache.resp.command.CommandKeys;
import io.distributedcache.resp.command.CommandSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * One ACL user's settings at one moment: immutable, so every event loop can read it without a lock
 * while {@code ACL SETUSER} builds the next one (see {@link AclUser}).
 *
 * <p>Commands are a bitmap over the command and subcommand ids of the node's {@link
 * AclCommandIndex}, plus the rule text Redis 7.2+ shows in {@code ACL LIST}: the base ({@code
 * +@all} or {@code -@all}) followed by the rules applied since, a later rule for the same command
 * replacing an earlier one. Keys are glob patterns granting read and write ({@code ~p}), or one of
 * them ({@code %R~p}, {@code %W~p}), checked against what each command does with each key as Redis
 * 7's key specifications say (see {@link #keyAccess}). Channels are glob patterns ({@code &p}).
 */
public final class AclUserState {

  /** Payload sanitisation flag as Redis keeps it; we accept and report it, nothing more. */
  enum Sanitize {
    UNSET,
    SANITIZE,
    SKIP
  }

  /** An {@code ACL SETUSER} rule that cannot be applied; the message is Redis' reason. */
  public static final class RuleException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RuleException(String reason) {
      super(reason, null, false, false);
    }
  }

  static final String UNKNOWN_COMMAND = "Unknown command or category name in ACL";
  static final String SYNTAX = "Syntax error";
  static final String KEY_AFTER_ALL =
      "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have"
          + " any effect. Try 'resetkeys' to start with an empty list of patterns";
  static final String CHANNEL_AFTER_ALL =
      "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not"
          + " have any effect. Try 'resetchannels' to start with an empty list of channels";
  static final String NO_SUCH_PASSWORD =
      "The password you are trying to remove from the user does not exist";
  static final String BAD_HASH =
      "The password hash must be exactly 64 characters and contain only lowercase hexadecimal"
          + " characters";

  final boolean enabled;
  final boolean noPass;
  final Sanitize sanitize;
  private final List<String> passwordHashes;

  final boolean allCommandsBase;
  final List<String> commandRules;
  private final long[] allowed;
  final boolean allKeys;
  final List<KeyPattern> keyPatterns;
  final boolean allChannels;
  final List<byte[]> channelPatterns;
  /** Key access a pattern grants, and a command needs, as bits. */
  static final int READ = 1;

  static final int WRITE = 2;

  /**
   * A key pattern and what it grants: {@code ~p} both, {@code %R~p} reading, {@code %W~p} writing.
   */
  record KeyPattern(byte[] pattern, GlobPattern glob, int access) {
    static KeyPattern of(byte[] pattern, int access) {
      return new KeyPattern(pattern, GlobPattern.compile(pattern), access);
    }

    String text() {
      String p = new String(pattern, StandardCharsets.UTF_8);
      return switch (access) {
        case READ -> "%R~" + p;
        case WRITE -> "%W~" + p;
        default -> "~" + p;
      };
    }
  }

  /** Everything allowed: the hot path's single test. */
  final boolean unrestricted;

  private AclUserState(Builder b) {
    this.enabled = b.enabled;
    this.noPass = b.noPass;
    this.sanitize = b.sanitize;
    this.passwordHashes = List.copyOf(b.passwordHashes);
    this.allCommandsBase = b.allCommandsBase;
    this.commandRules = List.copyOf(b.commandRules);
    this.allowed = b.allowed.clone();
    this.allKeys = b.allKeys;
    this.keyPatterns = List.copyOf(b.keyPatterns);
    this.allChannels = b.allChannels;
    this.channelPatterns = List.copyOf(b.channelPatterns);
    this.unrestricted = Arrays.equals(allowed, b.index.allBits()) && allKeys && allChannels;
  }

  /** A user as {@code ACL SETUSER} creates it: {@code off resetchannels -@all}. */
  static AclUserState created(AclCommandIndex index) {
    return new Builder(index).build();
  }

  /**
   * The default user: {@code on nopass ~* &* +@all}, or with {@code requirePass} as its password
   * when that is not empty.
   */
  static AclUserState defaultUser(AclCommandIndex index, String requirePass) {
    Builder b = new Builder(index);
    b.apply("on");
    b.apply("allkeys");
    b.apply("allchannels");
    b.apply("+@all");
    b.apply(requirePass.isEmpty() ? "nopass" : ">" + requirePass);
    return b.build();
  }

  /** A user after {@code ACL DELUSER}: off and allowed nothing, for commands still in flight. */
  static AclUserState deleted(AclCommandIndex index) {
    Builder b = new Builder(index);
    b.apply("reset");
    return b.build();
  }

  /** Whether a new connection is logged in as this user without AUTH: on and nopass. */
  public boolean autoAuthenticates() {
    return enabled && noPass;
  }

  /** A builder starting from this state, for an atomic {@code ACL SETUSER}. */
  Builder toBuilder(AclCommandIndex index) {
    return new Builder(index, this);
  }

  /**
   * Why this user may not run {@code args}, or null if it may. Commands flagged {@code no_auth}
   * (AUTH, HELLO, QUIT, RESET) are always allowed, as in Redis. Event loop; allocates only when
   * the user is restricted and the command has keys or channels to check, or is denied.
   *
   * @param userName for the message
   * @param verbose name the key or channel refused ({@code ACL DRYRUN}); otherwise the short
   *     NOPERM wording Redis uses for commands
   */
  String denial(String userName, CommandSpec spec, byte[][] args, boolean verbose) {
    if (unrestricted || spec.allowedWithoutAuth()) {
      return null;
    }
    CommandSpec.Subcommand sub =
        args.length > 1 && !spec.subcommands().isEmpty() ? spec.subcommand(args[1]) : null;
    // An unknown subcommand is checked as its container; the handler then reports it unknown.
    if (!AclCommandIndex.isSet(allowed, sub == null ? spec.aclId() : sub.aclId())) {
      String name = sub == null ? spec.name() : sub.fullName();
      return "User " + userName + " has no permissions to run the '" + name + "' command";
    }
    if (!allKeys && spec.firstKey() > 0) {
      byte[][] keys = CommandKeys.of(spec, args);
      for (int k = 0; k < keys.length; k++) {
        byte[] key = keys[k];
        if (!keyAllowed(key, keyAccess(spec, k, args))) {
          return verbose
              ? "User " + userName + " has no permissions to access the '" + text(key) + "' key"
              : "No permissions to access a key";
        }
      }
    }
    if (!allChannels) {
      byte[] channel = refusedChannel(spec.name(), args);
      if (channel != null) {
        return verbose
            ? "User " + userName + " has no permissions to access the '" + text(channel)
                + "' channel"
            : "No permissions to access a channel";
      }
    }
    return null;
  }

  private boolean keyAllowed(byte[] key, int access) {
    for (int i = 0, n = keyPatterns.size(); i < n; i++) {
      KeyPattern p = keyPatterns.get(i);
      if ((p.access() & access) == access && p.glob().matches(key)) {
        return true;
      }
    }
    return false;
  }

  /**
   * What a command does with its {@code keyIndex}-th key, as the flags of Redis 7's key
   * specifications say: reading its value ({@code ACCESS}) needs {@link #READ}; inserting,
   * updating or deleting needs {@link #WRITE}; a command that only looks at a key's existence,
   * type or length (EXISTS, TYPE, STRLEN) needs neither, so any pattern that matches will do.
   */
  static int keyAccess(CommandSpec spec, int keyIndex, byte[][] args) {
    switch (spec.name()) {
      case "exists", "type", "strlen":
        return 0;
      case "get", "mget", "getrange", "ttl", "pttl", "expiretime", "pexpiretime":
        return READ;
      case "setnx", "setex", "psetex", "mset", "msetnx", "append", "setrange", "del", "unlink",
          "expire", "pexpire", "expireat", "pexpireat", "persist":
        return WRITE;
      case "getset", "getdel", "getex", "incr", "decr", "incrby", "decrby", "incrbyfloat",
          "delex":
        return READ | WRITE;
      case "set":
        for (int i = 3; i < args.length; i++) {
          if (Args.is(args[i], "GET")) {
            return READ | WRITE;
          }
        }
        return WRITE;
      case "rename", "renamenx":
        return keyIndex == 0 ? READ | WRITE : WRITE;
      default:
        // A command this table does not know yet: the strictest reading of its flags.
        return CommandKeys.writes(spec) ? READ | WRITE : READ;
    }
  }

  /** The first channel (or pattern) argument this user may not use, or null. */
  private byte[] refusedChannel(String command, byte[][] args) {
    switch (command) {
      case "publish":
        return matchesAny(channelPatterns, args[1], false) ? null : args[1];
      case "subscribe":
      case "psubscribe":
        // A pattern subscription needs the same pattern literally, as in Redis: a glob grant
        // cannot tell which channels a client-chosen pattern will reach.
        boolean literal = command.equals("psubscribe");
        for (int i = 1; i < args.length; i++) {
          if (!matchesAny(channelPatterns, args[i], literal)) {
            return args[i];
          }
        }
        return null;
      default:
        return null;
    }
  }

  private static boolean matchesAny(List<byte[]> patterns, byte[] value, boolean literal) {
    for (int i = 0, n = patterns.size(); i < n; i++) {
      byte[] p = patterns.get(i);
      if (literal ? Arrays.equals(p, value) : GlobPattern.compile(p).matches(value)) {
        return true;
      }
    }
    return false;
  }

  /** The rule line after {@code user <name>} in {@code ACL LIST}, in Redis' order. */
  String describe() {
    List<String> parts = new ArrayList<>(flagNames());
    for (String hash : passwordHashes) {
      parts.add("#" + hash);
    }
    String keys = keyPatternsText();
    if (!keys.isEmpty()) {
      parts.add(keys);
    }
    parts.add(allChannels ? "&*" : ("resetchannels " + channelPatternsText()).trim());
    parts.add(commandRulesText());
    return String.join(" ", parts);
  }

  /** {@code ACL GETUSER}'s flags: on/off, nopass, the payload flag. */
  public List<String> flagNames() {
    List<String> flags = new ArrayList<>(3);
    flags.add(enabled ? "on" : "off");
    if (noPass) {
      flags.add("nopass");
    }
    if (sanitize == Sanitize.SKIP) {
      flags.add("skip-sanitize-payload");
    } else if (sanitize == Sanitize.SANITIZE) {
      flags.add("sanitize-payload");
    }
    return flags;
  }

  /** SHA-256 hashes of the passwords, lower-case hex, in the order they were added. */
  public List<String> passwordHashes() {
    return passwordHashes;
  }

  /** The key patterns as {@code ACL GETUSER} shows them: {@code ~*}, {@code ~a ~b}, or empty. */
  public String keyPatternsText() {
    if (allKeys) {
      return "~*";
    }
    List<String> parts = new ArrayList<>(keyPatterns.size());
    for (KeyPattern p : keyPatterns) {
      parts.add(p.text());
    }
    return String.join(" ", parts);
  }

  /** The channel patterns as {@code ACL GETUSER} shows them: {@code &*}, {@code &a}, or empty. */
  public String channelPatternsText() {
    if (allChannels) {
      return "&*";
    }
    List<String> parts = new ArrayList<>(channelPatterns.size());
    for (byte[] p : channelPatterns) {
      parts.add("&" + text(p));
    }
    return String.join(" ", parts);
  }

  /** The command rules: {@code +@all} or {@code -@all}, then the rules applied since. */
  public String commandRulesText() {
    StringBuilder sb = new StringBuilder(allCommandsBase ? "+@all" : "-@all");
    for (String rule : commandRules) {
      sb.append(' ').append(rule);
    }
    return sb.toString();
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /** SHA-256 of a password as lower-case hex, as Redis stores and lists it. */
  static String sha256Hex(byte[] password) {
    return HexFormat.of().formatHex(sha256(password));
  }

  static byte[] sha256(byte[] password) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(password);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /**
   * Whether {@code password} is one of this user's, comparing digests in constant time and always
   * against every stored hash, so the time taken says nothing about which part of a guess was
   * right.
   */
  boolean passwordMatches(byte[] password) {
    byte[] digest = sha256(password);
    boolean match = false;
    for (String hash : passwordHashes) {
      match |= MessageDigest.isEqual(HexFormat.of().parseHex(hash), digest);
    }
    return match;
  }

  /** Applies {@code ACL SETUSER} rules to a copy; single-threaded. */
  static final class Builder {
    private final AclCommandIndex index;
    private boolean enabled;
    private boolean noPass;
    private Sanitize sanitize = Sanitize.UNSET;
    private final List<String> passwordHashes = new ArrayList<>();
    private boolean allCommandsBase;
    private final List<String> commandRules = new ArrayList<>();
    private long[] allowed;
    private boolean allKeys;
    private final List<KeyPattern> keyPatterns = new ArrayList<>();
    private boolean allChannels;
    private final List<byte[]> channelPatterns = new ArrayList<>();

    Builder(AclCommandIndex index) {
      this.index = index;
      this.allowed = index.newBits();
    }

    Builder(AclCommandIndex index, AclUserState from) {
      this.index = index;
      this.enabled = from.enabled;
      this.noPass = from.noPass;
      this.sanitize = from.sanitize;
      this.passwordHashes.addAll(from.passwordHashes);
      this.allCommandsBase = from.allCommandsBase;
      this.commandRules.addAll(from.commandRules);
      this.allowed = from.allowed.clone();
      this.allKeys = from.allKeys;
      this.keyPatterns.addAll(from.keyPatterns);
      this.allChannels = from.allChannels;
      this.channelPatterns.addAll(from.channelPatterns);
    }

    AclUserState build() {
      return new AclUserState(this);
    }

    /** Applies one rule; throws {@link RuleException} with Redis' reason if it is not valid. */
    Builder apply(String op) {
      String lower = op.toLowerCase(Locale.ROOT);
      switch (lower) {
        case "on" -> enabled = true;
        case "off" -> enabled = false;
        case "nopass" -> {
          noPass = true;
          passwordHashes.clear();
        }
        case "resetpass" -> {
          noPass = false;
          passwordHashes.clear();
        }
        case "skip-sanitize-payload" -> sanitize = Sanitize.SKIP;
        case "sanitize-payload" -> sanitize = Sanitize.SANITIZE;
        case "allkeys", "~*" -> {
          allKeys = true;
          keyPatterns.clear();
        }
        case "resetkeys" -> {
          allKeys = false;
          keyPatterns.clear();
        }
        case "allchannels", "&*" -> {
          allChannels = true;
          channelPatterns.clear();
        }
        case "resetchannels" -> {
          allChannels = false;
          channelPatterns.clear();
        }
        case "allcommands", "+@all" -> {
          allCommandsBase = true;
          commandRules.clear();
          allowed = index.allBits();
        }
        case "nocommands", "-@all" -> {
          allCommandsBase = false;
          commandRules.clear();
          allowed = index.newBits();
        }
        case "clearselectors" -> {
          // We have no selectors to clear; accepted so that rule lines Redis writes still apply.
        }
        case "reset" -> {
          apply("resetpass");
          apply("resetkeys");
          apply("resetchannels");
          apply("off");
          apply("-@all");
          sanitize = Sanitize.SANITIZE;
        }
        default -> applyWithArgument(op);
      }
      return this;
    }

    private void applyWithArgument(String op) {
      if (op.isEmpty()) {
        throw new RuleException(SYNTAX);
      }
      char c = op.charAt(0);
      String rest = op.substring(1);
      switch (c) {
        case '>' -> {
          String hash = sha256Hex(rest.getBytes(StandardCharsets.UTF_8));
          addPassword(hash);
        }
        case '#' -> addPassword(validHash(rest));
        case '<' -> removePassword(sha256Hex(rest.getBytes(StandardCharsets.UTF_8)));
        case '!' -> removePassword(validHash(rest));
        case '~' -> addKeyPattern(rest, READ | WRITE);
        case '%' -> addKeyPatternWithAccess(op);
        case '&' -> addChannelPattern(rest);
        case '+', '-' -> commandRule(c == '+', rest.toLowerCase(Locale.ROOT));
        case '(' -> throw new RuleException("Selectors are not supported by this server");
        default -> throw new RuleException(SYNTAX);
      }
    }

    private void addPassword(String hash) {
      if (!passwordHashes.contains(hash)) {
        passwordHashes.add(hash);
      }
      noPass = false;
    }

    private void removePassword(String hash) {
      if (!passwordHashes.remove(hash)) {
        throw new RuleException(NO_SUCH_PASSWORD);
      }
      noPass = false;
    }

    private static String validHash(String hash) {
      if (hash.length() != 64) {
        throw new RuleException(BAD_HASH);
      }
      for (int i = 0; i < hash.length(); i++) {
        char ch = hash.charAt(i);
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
          throw new RuleException(BAD_HASH);
        }
      }
      return hash;
    }

    /** {@code %R~pattern}, {@code %W~pattern}, {@code %RW~pattern}. */
    private void addKeyPatternWithAccess(String op) {
      int tilde = op.indexOf('~');
      if (tilde < 2) {
        throw new RuleException(SYNTAX);
      }
      int access = 0;
      for (int i = 1; i < tilde; i++) {
        char ch = Character.toUpperCase(op.charAt(i));
        if (ch == 'R') {
          access |= READ;
        } else if (ch == 'W') {
          access |= WRITE;
        } else {
          throw new RuleException(SYNTAX);
        }
      }
      addKeyPattern(op.substring(tilde + 1), access);
    }

    private void addKeyPattern(String pattern, int access) {
      // As Redis: a space would make the ACL LIST line unreadable.
      if (pattern.indexOf(' ') >= 0) {
        throw new RuleException(SYNTAX);
      }
      if (allKeys) {
        throw new RuleException(KEY_AFTER_ALL);
      }
      if (pattern.equals("*") && access == (READ | WRITE)) {
        apply("allkeys");
        return;
      }
      byte[] p = pattern.getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < keyPatterns.size(); i++) {
        KeyPattern existing = keyPatterns.get(i);
        if (Arrays.equals(existing.pattern(), p)) {
          // As Redis: the same pattern again widens what it grants.
          keyPatterns.set(i, KeyPattern.of(p, existing.access() | access));
          return;
        }
      }
      keyPatterns.add(KeyPattern.of(p, access));
    }

    private void addChannelPattern(String pattern) {
      if (pattern.indexOf(' ') >= 0) {
        throw new RuleException(SYNTAX);
      }
      if (allChannels) {
        throw new RuleException(CHANNEL_AFTER_ALL);
      }
      if (pattern.equals("*")) {
        apply("allchannels");
        return;
      }
      byte[] p = pattern.getBytes(StandardCharsets.UTF_8);
      if (channelPatterns.stream().noneMatch(q -> Arrays.equals(q, p))) {
        channelPatterns.add(p);
      }
    }

    /** {@code +name}, {@code -name}, {@code +container|sub}, {@code +@category} and minus forms. */
    private void commandRule(boolean allow, String target) {
      long[] bits;
      if (target.startsWith("@")) {
        bits = index.categoryBits(target.substring(1));
        if (bits == null) {
          throw new RuleException(UNKNOWN_COMMAND);
        }
      } else if (target.indexOf('|') >= 0) {
        int bar = target.indexOf('|');
        CommandSpec container = index.command(target.substring(0, bar));
        if (container == null) {
          throw new RuleException(UNKNOWN_COMMAND);
        }
        if (container.subcommands().isEmpty()) {
          throw new RuleException(
              "Rules on the first argument of a command ('+" + target + "') are not supported by"
                  + " this server");
        }
        CommandSpec.Subcommand sub = index.subcommand(target);
        if (sub == null) {
          throw new RuleException(UNKNOWN_COMMAND);
        }
        bits = index.newBits();
        AclCommandIndex.set(bits, sub.aclId());
      } else {
        CommandSpec spec = index.command(target);
        if (spec == null) {
          throw new RuleException(UNKNOWN_COMMAND);
        }
        bits = index.commandBits(spec);
      }
      if (allow) {
        AclCommandIndex.orInto(allowed, bits);
      } else {
        AclCommandIndex.clearFrom(allowed, bits);
      }
      // As Redis 7.2+: the new rule replaces earlier ones for the same target, and a rule for a
      // whole command replaces earlier rules for its subcommands.
      commandRules.removeIf(
          rule -> {
            String body = rule.substring(1);
            return body.equals(target) || body.startsWith(target + "|");
          });
      commandRules.add((allow ? "+" : "-") + target);
    }
  }
}
