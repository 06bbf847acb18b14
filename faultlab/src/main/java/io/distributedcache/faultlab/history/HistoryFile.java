package io.distributedcache.faultlab.history;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes histories as JSON, one {@link Op} object per line (JSON Lines), with fields
 * {@code index, type, process, session, node, f, key, value, ttlMillis, timeNanos, error}; strings
 * are JSON strings, absent values are {@code null}. Written by hand rather than with a JSON library
 * so the lab has no dependency beyond the JDK; the reader accepts exactly what the writer writes.
 */
public final class HistoryFile {

  private HistoryFile() {}

  /** Writes {@code ops} to {@code file}, replacing it. */
  public static void write(Path file, List<Op> ops) {
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (Op op : ops) {
        out.write(toJson(op));
        out.write('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write history " + file, e);
    }
  }

  /** Reads a history written by {@link #write}. */
  public static List<Op> read(Path file) {
    try {
      List<Op> ops = new ArrayList<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          ops.add(fromJson(line));
        }
      }
      return ops;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read history " + file, e);
    }
  }

  /** One op as a JSON object on one line. */
  public static String toJson(Op op) {
    StringBuilder sb = new StringBuilder(128);
    sb.append("{\"index\":").append(op.index());
    sb.append(",\"type\":\"").append(op.type().name().toLowerCase(java.util.Locale.ROOT)).append('"');
    sb.append(",\"process\":").append(op.process());
    sb.append(",\"session\":").append(op.session());
    sb.append(",\"node\":").append(string(op.node()));
    sb.append(",\"f\":").append(string(op.f()));
    sb.append(",\"key\":").append(string(op.key()));
    sb.append(",\"value\":").append(string(op.value()));
    sb.append(",\"ttlMillis\":").append(op.ttlMillis());
    sb.append(",\"timeNanos\":").append(op.timeNanos());
    sb.append(",\"error\":").append(string(op.error()));
    return sb.append('}').toString();
  }

  /** Parses one line written by {@link #toJson}. */
  public static Op fromJson(String line) {
    Parser p = new Parser(line);
    p.expect('{');
    long index = 0;
    Op.Type type = null;
    int process = 0;
    int session = 0;
    String node = null;
    String f = null;
    String key = null;
    String value = null;
    long ttlMillis = 0;
    long timeNanos = 0;
    String error = null;
    boolean first = true;
    while (!p.peek('}')) {
      if (!first) {
        p.expect(',');
      }
      first = false;
      String name = p.string();
      p.expect(':');
      switch (name) {
        case "index" -> index = p.number();
        case "type" -> type = Op.Type.valueOf(p.string().toUpperCase(java.util.Locale.ROOT));
        case "process" -> process = (int) p.number();
        case "session" -> session = (int) p.number();
        case "node" -> node = p.nullableString();
        case "f" -> f = p.nullableString();
        case "key" -> key = p.nullableString();
        case "value" -> value = p.nullableString();
        case "ttlMillis" -> ttlMillis = p.number();
        case "timeNanos" -> timeNanos = p.number();
        case "error" -> error = p.nullableString();
        default -> throw new IllegalArgumentException("unknown field " + name + " in " + line);
      }
    }
    p.expect('}');
    return new Op(index, type, process, session, node, f, key, value, ttlMillis, timeNanos, error);
  }

  private static String string(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  /** A strict parser for the subset the writer produces. */
  private static final class Parser {
    private final String s;
    private int pos;

    Parser(String s) {
      this.s = s;
    }

    boolean peek(char c) {
      return pos < s.length() && s.charAt(pos) == c;
    }

    void expect(char c) {
      if (!peek(c)) {
        throw new IllegalArgumentException("expected '" + c + "' at " + pos + " in " + s);
      }
      pos++;
    }

    long number() {
      int start = pos;
      if (peek('-')) {
        pos++;
      }
      while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
        pos++;
      }
      return Long.parseLong(s.substring(start, pos));
    }

    String nullableString() {
      if (s.startsWith("null", pos)) {
        pos += 4;
        return null;
      }
      return string();
    }

    String string() {
      expect('"');
      StringBuilder sb = new StringBuilder();
      while (!peek('"')) {
        char c = s.charAt(pos++);
        if (c == '\\') {
          char e = s.charAt(pos++);
          switch (e) {
            case 'n' -> sb.append('\n');
            case 'r' -> sb.append('\r');
            case 't' -> sb.append('\t');
            case 'u' -> {
              sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
              pos += 4;
            }
            default -> sb.append(e);
          }
        } else {
          sb.append(c);
        }
      }
      expect('"');
      return sb.toString();
    }
  }
}
