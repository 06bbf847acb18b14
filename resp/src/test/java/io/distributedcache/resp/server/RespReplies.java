package io.distributedcache.resp.server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses RESP2/RESP3 replies into plain Java values for assertions: simple, bulk and verbatim
 * strings become {@link String} (a verbatim string without its format), integers {@link Long},
 * arrays, sets and pushes {@link List}, maps {@link LinkedHashMap}, nulls {@code null}, errors an
 * {@link Error}. Test helper; not thread-safe.
 */
final class RespReplies {

  /** An error reply. */
  record Error(String message) {}

  private final byte[] bytes;
  private int pos;

  private RespReplies(byte[] bytes) {
    this.bytes = bytes;
  }

  /** All replies in {@code text} (ISO-8859-1 bytes of the wire, or plain ASCII). */
  static List<Object> parseAll(byte[] wire) {
    RespReplies p = new RespReplies(wire);
    List<Object> replies = new ArrayList<>();
    while (p.pos < wire.length) {
      replies.add(p.value());
    }
    return replies;
  }

  /** Exactly one reply. */
  static Object parseOne(byte[] wire) {
    List<Object> all = parseAll(wire);
    if (all.size() != 1) {
      throw new IllegalArgumentException("expected one reply but got " + all.size() + ": " + all);
    }
    return all.get(0);
  }

  private String line() {
    int start = pos;
    while (bytes[pos] != '\r') {
      pos++;
    }
    String s = new String(bytes, start, pos - start, StandardCharsets.UTF_8);
    pos += 2;
    return s;
  }

  private Object value() {
    char type = (char) bytes[pos++];
    switch (type) {
      case '+':
        return line();
      case '-':
        return new Error(line());
      case ':':
        return Long.parseLong(line());
      case '_':
        line();
        return null;
      case '#':
        return line().equals("t");
      case ',':
        return Double.parseDouble(line());
      case '$':
      case '=': {
        int length = Integer.parseInt(line());
        if (length < 0) {
          return null;
        }
        String s = new String(bytes, pos, length, StandardCharsets.UTF_8);
        pos += length + 2;
        return type == '=' ? s.substring(4) : s;
      }
      case '*':
      case '~':
      case '>': {
        int n = Integer.parseInt(line());
        if (n < 0) {
          return null;
        }
        List<Object> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          list.add(value());
        }
        return list;
      }
      case '%': {
        int n = Integer.parseInt(line());
        Map<Object, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
          map.put(value(), value());
        }
        return map;
      }
      default:
        throw new IllegalArgumentException("unknown RESP type '" + type + "' at " + (pos - 1));
    }
  }
}
