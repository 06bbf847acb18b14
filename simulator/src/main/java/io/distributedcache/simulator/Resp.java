package io.distributedcache.simulator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Just enough RESP2 to read the replies the workload's commands get. */
final class Resp {

  private Resp() {}

  /**
   * One reply: exactly one of {@code error}, {@code simple}, {@code integer}, a bulk string
   * ({@code isBulk}, {@code bulk} null for nil) or an {@code array} of bulk strings.
   */
  record Reply(String error, String simple, Long integer, boolean isBulk, String bulk,
      List<String> array) {}

  /**
   * Parses one complete reply.
   *
   * @throws IllegalArgumentException if it is not one of the shapes above
   */
  static Reply parse(byte[] reply) {
    String s = new String(reply, StandardCharsets.UTF_8);
    if (s.isEmpty() || !s.endsWith("\r\n")) {
      throw new IllegalArgumentException("not a RESP reply: " + show(reply));
    }
    char type = s.charAt(0);
    String line = s.substring(1, s.indexOf("\r\n"));
    switch (type) {
      case '-':
        return new Reply(line, null, null, false, null, null);
      case '+':
        return new Reply(null, line, null, false, null, null);
      case ':':
        return new Reply(null, null, Long.parseLong(line), false, null, null);
      case '$':
        return new Reply(null, null, null, true, bulkAt(s, 0)[0], null);
      case '*':
        int count = Integer.parseInt(line);
        List<String> items = new ArrayList<>(count);
        int pos = s.indexOf("\r\n") + 2;
        for (int i = 0; i < count; i++) {
          String[] item = bulkAt(s, pos);
          items.add(item[0]);
          pos = Integer.parseInt(item[1]);
        }
        return new Reply(null, null, null, false, null, items);
      default:
        throw new IllegalArgumentException("unexpected RESP reply: " + show(reply));
    }
  }

  /** The bulk string at {@code pos} (null for nil) and the position after it. */
  private static String[] bulkAt(String s, int pos) {
    if (s.charAt(pos) != '$') {
      throw new IllegalArgumentException("expected a bulk string at " + pos + ": " + s);
    }
    int end = s.indexOf("\r\n", pos);
    int length = Integer.parseInt(s.substring(pos + 1, end));
    if (length < 0) {
      return new String[] {null, Integer.toString(end + 2)};
    }
    // Values are ASCII here, so characters and bytes agree.
    String value = s.substring(end + 2, end + 2 + length);
    return new String[] {value, Integer.toString(end + 2 + length + 2)};
  }

  /** A reply as one printable line. */
  static String show(byte[] reply) {
    return new String(reply, StandardCharsets.UTF_8).replace("\r\n", "\\r\\n");
  }
}
