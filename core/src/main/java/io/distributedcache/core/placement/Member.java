package io.distributedcache.core.placement;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One node of the cluster as placement sees it: a stable id and the address of its cluster (peer)
 * port.
 *
 * <p>Only the {@link #id} decides placement: a node that moves to another address keeps its slots.
 * The id is what the ring hashes, so it must stay the same across restarts of that node.
 *
 * <p>The written form is {@code id@host:port}, with an IPv6 literal in brackets ({@code
 * n1@[::1]:7101}); {@link #parse} reads it and {@link #spec()} writes it. The host is kept without
 * brackets and is not resolved: the core does no I/O, so names are checked for shape only and a
 * host name and its address count as different hosts.
 *
 * @param id the node's stable id: non-empty, without {@code '@'}, {@code ','}, whitespace or
 *     control characters
 * @param host a host name or IP literal (IPv6 without brackets): non-empty, without whitespace,
 *     control characters, {@code '@'}, {@code ','}, {@code '['}, {@code ']'} or {@code '/'}
 * @param clusterPort the peer port, 1 to 65535
 */
public record Member(String id, String host, int clusterPort) {

  /** Largest TCP port. */
  public static final int MAX_PORT = 65535;

  /**
   * Checks the fields.
   *
   * @throws IllegalArgumentException if a field breaks the rules above
   * @throws NullPointerException if {@code id} or {@code host} is null
   */
  public Member {
    checkId(id);
    checkHost(host);
    if (clusterPort < 1 || clusterPort > MAX_PORT) {
      throw new IllegalArgumentException(
          "cluster port of member '" + id + "' must be in 1.." + MAX_PORT + ": " + clusterPort);
    }
  }

  /**
   * Parses {@code id@host:port} ({@code n1@10.0.0.5:7101}, {@code n2@cache-2.internal:7101}, {@code
   * n3@[::1]:7101}). Surrounding whitespace is ignored.
   *
   * @throws IllegalArgumentException naming the spec and what is wrong with it
   * @throws NullPointerException if {@code spec} is null
   */
  public static Member parse(String spec) {
    String s = spec.strip();
    int at = s.indexOf('@');
    if (at < 0) {
      throw bad(spec, "missing '@' (expected id@host:port)");
    }
    if (at == 0) {
      throw bad(spec, "empty id before '@'");
    }
    String id = s.substring(0, at);
    String address = s.substring(at + 1);
    String host;
    String port;
    if (address.startsWith("[")) {
      int close = address.indexOf(']');
      if (close < 0) {
        throw bad(spec, "'[' without ']' around the IPv6 address");
      }
      host = address.substring(1, close);
      if (host.isEmpty()) {
        throw bad(spec, "empty host between '[' and ']'");
      }
      if (close + 1 >= address.length() || address.charAt(close + 1) != ':') {
        throw bad(spec, "missing ':port' after ']'");
      }
      port = address.substring(close + 2);
    } else {
      int colon = address.lastIndexOf(':');
      if (colon < 0) {
        throw bad(spec, "missing ':port' (expected id@host:port)");
      }
      host = address.substring(0, colon);
      if (host.isEmpty()) {
        throw bad(spec, "empty host between '@' and ':'");
      }
      if (host.indexOf(':') >= 0) {
        throw bad(spec, "an IPv6 address must be in brackets, as in id@[::1]:7101");
      }
      port = address.substring(colon + 1);
    }
    int clusterPort = parsePort(spec, port);
    try {
      return new Member(id, host, clusterPort);
    } catch (IllegalArgumentException e) {
      IllegalArgumentException wrapped = bad(spec, e.getMessage());
      wrapped.initCause(e);
      throw wrapped;
    }
  }

  /**
   * Parses a comma-separated list of {@link #parse} specs, as given to {@code --members}, keeping
   * their order. Whitespace around each entry is ignored.
   *
   * @return an unmodifiable list of at least one member
   * @throws IllegalArgumentException if the list is empty, an entry is empty or malformed, or two
   *     entries share an id or an address (host compared without regard to ASCII case)
   * @throws NullPointerException if {@code commaSeparated} is null
   */
  public static List<Member> parseList(String commaSeparated) {
    if (commaSeparated.isBlank()) {
      throw new IllegalArgumentException("member list is empty (expected id@host:port,...)");
    }
    // -1 keeps trailing empty strings, so "a@h:1," is reported instead of silently accepted.
    String[] specs = commaSeparated.split(",", -1);
    List<Member> members = new ArrayList<>(specs.length);
    for (int i = 0; i < specs.length; i++) {
      if (specs[i].isBlank()) {
        throw new IllegalArgumentException(
            "member list '" + commaSeparated + "' has an empty entry at position " + (i + 1));
      }
      members.add(parse(specs[i]));
    }
    checkDistinct(members);
    return List.copyOf(members);
  }

  /**
   * Checks that no two members share an id or an address ({@link #address()}, host compared without
   * regard to ASCII case).
   *
   * @throws IllegalArgumentException naming the first duplicate found
   */
  public static void checkDistinct(List<Member> members) {
    Map<String, Member> byId = new HashMap<>();
    Map<String, Member> byAddress = new HashMap<>();
    for (Member member : members) {
      Member sameId = byId.putIfAbsent(member.id(), member);
      if (sameId != null) {
        throw new IllegalArgumentException(
            "duplicate member id '" + member.id() + "': " + sameId.spec() + " and " + member.spec());
      }
      Member sameAddress = byAddress.putIfAbsent(member.address().toLowerCase(Locale.ROOT), member);
      if (sameAddress != null) {
        throw new IllegalArgumentException(
            "duplicate member address "
                + member.address()
                + ": "
                + sameAddress.spec()
                + " and "
                + member.spec());
      }
    }
  }

  /** {@code host:port}, with an IPv6 host in brackets. */
  public String address() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + clusterPort;
  }

  /** {@code id@host:port}, the form {@link #parse} reads. */
  public String spec() {
    return id + "@" + address();
  }

  /** The same as {@link #spec()}. */
  @Override
  public String toString() {
    return spec();
  }

  private static void checkId(String id) {
    if (id.isEmpty()) {
      throw new IllegalArgumentException("member id must not be empty");
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c == '@' || c == ',' || Character.isWhitespace(c) || Character.isISOControl(c)) {
        throw new IllegalArgumentException(
            "member id '"
                + id
                + "' must not contain '@', ',', whitespace or control characters (found "
                + describe(c)
                + " at index "
                + i
                + ")");
      }
    }
  }

  private static void checkHost(String host) {
    if (host.isEmpty()) {
      throw new IllegalArgumentException("member host must not be empty");
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c == '@'
          || c == ','
          || c == '['
          || c == ']'
          || c == '/'
          || Character.isWhitespace(c)
          || Character.isISOControl(c)) {
        throw new IllegalArgumentException(
            "member host '" + host + "' must not contain " + describe(c) + " (at index " + i + ")");
      }
    }
  }

  private static int parsePort(String spec, String port) {
    if (port.isEmpty()) {
      throw bad(spec, "empty port after ':'");
    }
    // Digits only: Integer.parseInt would also take "+7101", and a 20-digit port must not overflow.
    if (port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw bad(spec, "port '" + port + "' is not a number in 1.." + MAX_PORT);
    }
    int value = Integer.parseInt(port);
    if (value < 1 || value > MAX_PORT) {
      throw bad(spec, "port " + value + " is outside 1.." + MAX_PORT);
    }
    return value;
  }

  private static String describe(char c) {
    return Character.isWhitespace(c) || Character.isISOControl(c)
        ? String.format(Locale.ROOT, "U+%04X", (int) c)
        : "'" + c + "'";
  }

  private static IllegalArgumentException bad(String spec, String problem) {
    return new IllegalArgumentException("bad member '" + spec + "': " + problem);
  }
}
