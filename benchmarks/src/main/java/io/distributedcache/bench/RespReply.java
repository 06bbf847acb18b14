package io.distributedcache.bench;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * One RESP2 reply as read by {@link RespReader}: the five RESP2 types plus the two null forms.
 *
 * <p>Values are immutable once built (a {@link Bulk}'s array is never written after decoding), so a
 * reply may be handed between threads freely.
 */
public sealed interface RespReply
    permits RespReply.Simple,
        RespReply.Error,
        RespReply.Int,
        RespReply.Bulk,
        RespReply.Array,
        RespReply.Nil {

  /** A one-line description for error messages, e.g. {@code -ERR unknown command}. */
  String describe();

  /** {@code +text}: a status reply such as {@code OK}. */
  record Simple(String text) implements RespReply {
    public Simple {
      Objects.requireNonNull(text, "text");
    }

    @Override
    public String describe() {
      return "+" + text;
    }
  }

  /** {@code -message}: an error reply; {@code message} starts with its code, e.g. {@code ERR}. */
  record Error(String message) implements RespReply {
    public Error {
      Objects.requireNonNull(message, "message");
    }

    @Override
    public String describe() {
      return "-" + message;
    }
  }

  /** {@code :value}: an integer reply. */
  record Int(long value) implements RespReply {
    @Override
    public String describe() {
      return ":" + value;
    }
  }

  /**
   * {@code $len\r\nbytes}: a bulk string. Compare contents with {@link #utf8()}; the record's
   * generated {@code equals} compares the array by identity.
   */
  record Bulk(byte[] bytes) implements RespReply {
    public Bulk {
      Objects.requireNonNull(bytes, "bytes");
    }

    /** The bytes decoded as UTF-8. */
    public String utf8() {
      return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public String describe() {
      return "$" + bytes.length;
    }
  }

  /** {@code *n}: an array of {@code n} replies (possibly nested arrays). */
  record Array(List<RespReply> elements) implements RespReply {
    public Array {
      elements = List.copyOf(elements);
    }

    @Override
    public String describe() {
      return "*" + elements.size();
    }
  }

  /** The RESP2 nulls: {@code $-1} and {@code *-1}, kept apart because Redis keeps them apart. */
  enum Nil implements RespReply {
    /** {@code $-1}, e.g. GET of a missing key. */
    BULK,
    /** {@code *-1}, e.g. a timed-out blocking pop. */
    ARRAY;

    @Override
    public String describe() {
      return this == BULK ? "$-1" : "*-1";
    }
  }
}
