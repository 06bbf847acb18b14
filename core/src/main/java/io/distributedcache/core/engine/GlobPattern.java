package io.distributedcache.core.engine;

import java.util.Arrays;

/**
 * Redis glob-style patterns, as KEYS and SCAN MATCH use them: a port of {@code stringmatchlen} in
 * Redis' {@code util.c}, case-sensitive, byte-wise.
 *
 * <ul>
 *   <li>{@code *} any run of bytes, {@code ?} any one byte;
 *   <li>{@code [abc]} one of the bytes, {@code [^abc]} none of them, {@code [a-z]} a range
 *       (reversed bounds are swapped), {@code \} escapes inside brackets; an unclosed {@code [}
 *       extends to the end of the pattern;
 *   <li>{@code \x} matches {@code x} literally; a trailing {@code \} matches itself.
 * </ul>
 *
 * Bytes compare as signed values, as C {@code char} does on the platforms Redis runs on, which only
 * matters for ranges over bytes above 0x7F.
 *
 * <p>Redis recurses at each {@code *} and cuts the search short once a suffix failed to match; this
 * port gets the same answers with the usual iterative backtracking (resume after the last {@code
 * *}), which needs no recursion and runs in O(pattern x string) at worst. Like {@code
 * stringmatchlen}, a pattern never matches the empty string unless the pattern is empty too; KEYS
 * and SCAN treat the pattern {@code *} as "everything" before matching, see {@link #isMatchAll}.
 *
 * <p>Immutable and thread-safe.
 */
public final class GlobPattern {

  private final byte[] pattern;

  private GlobPattern(byte[] pattern) {
    this.pattern = pattern;
  }

  /** Wraps {@code pattern} (not copied: do not modify it afterwards). */
  public static GlobPattern compile(byte[] pattern) {
    return new GlobPattern(pattern);
  }

  /** Whether {@code string} matches this pattern. */
  public boolean matches(byte[] string) {
    return matches(pattern, string);
  }

  /**
   * Whether this pattern is exactly {@code *}, which Redis' KEYS and SCAN treat as matching every
   * key.
   */
  public boolean isMatchAll() {
    return pattern.length == 1 && pattern[0] == '*';
  }

  /**
   * Returns the single key this pattern can match if it has no special characters at all, else
   * null; lets KEYS answer a literal pattern with one lookup.
   */
  public byte[] literalOrNull() {
    for (byte b : pattern) {
      if (b == '*' || b == '?' || b == '[' || b == '\\') {
        return null;
      }
    }
    return pattern;
  }

  /**
   * Whether {@code string} matches {@code pattern}; {@code stringmatchlen(pattern, string,
   * nocase=0)}.
   */
  public static boolean matches(byte[] pattern, byte[] string) {
    int patternLength = pattern.length;
    int stringLength = string.length;
    if (stringLength == 0) {
      return patternLength == 0;
    }
    int p = 0;
    int s = 0;
    int starPattern = -1; // pattern index just after the last '*' seen
    int starString = -1; // string index that '*' is currently assumed to stop at
    while (s < stringLength) {
      if (p < patternLength && pattern[p] == '*') {
        while (p < patternLength && pattern[p] == '*') {
          p++;
        }
        if (p == patternLength) {
          return true;
        }
        starPattern = p;
        starString = s;
        continue;
      }
      int next = p < patternLength ? matchOne(pattern, p, string[s]) : -1;
      if (next >= 0) {
        p = next;
        s++;
        continue;
      }
      if (starPattern < 0) {
        return false;
      }
      // Let the last '*' swallow one more byte and retry the rest of the pattern from there.
      starString++;
      s = starString;
      p = starPattern;
    }
    while (p < patternLength && pattern[p] == '*') {
      p++;
    }
    return p == patternLength;
  }

  /**
   * Matches the single-byte element of the pattern at {@code p} ('?', a bracket class, an escape or
   * a literal) against {@code c}.
   *
   * @return the pattern index after the element, or -1 if {@code c} does not match
   */
  private static int matchOne(byte[] pattern, int p, byte c) {
    int length = pattern.length;
    switch (pattern[p]) {
      case '?':
        return p + 1;
      case '[':
        return matchClass(pattern, p + 1, c);
      case '\\':
        if (length - p >= 2) {
          return pattern[p + 1] == c ? p + 2 : -1;
        }
        return c == '\\' ? p + 1 : -1;
      default:
        return pattern[p] == c ? p + 1 : -1;
    }
  }

  /**
   * The bracket class whose body starts at {@code p}; mirrors the loop in {@code stringmatchlen}.
   */
  private static int matchClass(byte[] pattern, int p, byte c) {
    int length = pattern.length;
    boolean not = p < length && pattern[p] == '^';
    if (not) {
      p++;
    }
    boolean match = false;
    while (true) {
      int remaining = length - p;
      if (remaining >= 2 && pattern[p] == '\\') {
        p++;
        if (pattern[p] == c) {
          match = true;
        }
      } else if (remaining > 0 && pattern[p] == ']') {
        break;
      } else if (remaining == 0) {
        // Unclosed class: Redis steps back one and lets the common advance land on the end.
        p--;
        break;
      } else if (remaining >= 3 && pattern[p + 1] == '-') {
        int start = pattern[p];
        int end = pattern[p + 2];
        if (start > end) {
          int swap = start;
          start = end;
          end = swap;
        }
        p += 2;
        if (c >= start && c <= end) {
          match = true;
        }
      } else if (pattern[p] == c) {
        match = true;
      }
      p++;
    }
    if (not) {
      match = !match;
    }
    return match ? p + 1 : -1;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GlobPattern other && Arrays.equals(pattern, other.pattern);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(pattern);
  }

  @Override
  public String toString() {
    return "GlobPattern{" + new String(pattern, java.nio.charset.StandardCharsets.ISO_8859_1) + '}';
  }
}
