package io.distributedcache.server;

import java.util.Locale;

/** Parses memory sizes the way redis.conf writes them: 100, 1k, 1kb, 5mb, 2gb (k = 1000, kb = 1024). */
final class Sizes {

  private Sizes() {}

  static long parseBytes(String text) {
    String s = text.trim().toLowerCase(Locale.ROOT);
    long multiplier = 1;
    String[][] units = {
      {"kb", "1024"}, {"mb", "1048576"}, {"gb", "1073741824"},
      {"k", "1000"}, {"m", "1000000"}, {"g", "1000000000"}, {"b", "1"}
    };
    for (String[] unit : units) {
      if (s.endsWith(unit[0])) {
        multiplier = Long.parseLong(unit[1]);
        s = s.substring(0, s.length() - unit[0].length());
        break;
      }
    }
    long value;
    try {
      value = Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a memory size: '" + text + "'");
    }
    if (value < 0) {
      throw new IllegalArgumentException("memory size must not be negative: '" + text + "'");
    }
    return Math.multiplyExact(value, multiplier);
  }
}
