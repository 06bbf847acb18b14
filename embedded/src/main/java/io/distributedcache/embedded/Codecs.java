package io.distributedcache.embedded;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/** The usual {@link Codec}s. Each is stateless and thread-safe. */
public final class Codecs {

  private static final Codec<byte[]> BYTES =
      new Codec<>() {
        @Override
        public byte[] encode(byte[] value) {
          // A copy: the local engine may keep the array it is handed, and the caller may reuse its.
          return Arrays.copyOf(Objects.requireNonNull(value, "value"), value.length);
        }

        @Override
        public byte[] decode(byte[] bytes) {
          return bytes;
        }
      };

  private static final Codec<String> UTF8 =
      new Codec<>() {
        @Override
        public byte[] encode(String value) {
          return Objects.requireNonNull(value, "value").getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String decode(byte[] bytes) {
          return new String(bytes, StandardCharsets.UTF_8);
        }
      };

  private static final Codec<Long> LONGS =
      new Codec<>() {
        @Override
        public byte[] encode(Long value) {
          return Long.toString(Objects.requireNonNull(value, "value"))
              .getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public Long decode(byte[] bytes) {
          String text = new String(bytes, StandardCharsets.US_ASCII);
          try {
            return Long.parseLong(text);
          } catch (NumberFormatException e) {
            throw new CodecException(
                "not a decimal 64-bit integer (" + bytes.length + " bytes): written by another codec?",
                e);
          }
        }
      };

  private Codecs() {}

  /** Bytes as they are (encode copies the array, decode hands out the received one). */
  public static Codec<byte[]> bytes() {
    return BYTES;
  }

  /** Strings as UTF-8; malformed bytes decode to U+FFFD, as {@link String#String(byte[], java.nio.charset.Charset)} does. */
  public static Codec<String> utf8() {
    return UTF8;
  }

  /**
   * Longs as decimal ASCII text ({@code 42}, {@code -7}): the form {@code INCRBY} keeps counters
   * in, so a {@code DistributedCache<K, Long>} with this value codec reads, writes and {@link
   * DistributedCache#increment increments} the same values, and {@code redis-cli GET} shows them.
   */
  public static Codec<Long> longs() {
    return LONGS;
  }

  /**
   * Values through Java serialization, for any {@link Serializable} type; the target type is
   * inferred ({@code Codecs.<User>javaSerialization()}). Decoding a value of another class fails
   * later with a {@link ClassCastException} where the value is used; {@link
   * #javaSerialization(Class)} checks at once. Only for data your own applications wrote: Java
   * deserialization of untrusted bytes can run code.
   */
  public static <T> Codec<T> javaSerialization() {
    return new JavaSerialization<>(null);
  }

  /**
   * Values of {@code type} through Java serialization; decoding anything else fails with a {@link
   * CodecException}. Same trust caveat as {@link #javaSerialization()}.
   */
  public static <T extends Serializable> Codec<T> javaSerialization(Class<T> type) {
    return new JavaSerialization<>(Objects.requireNonNull(type, "type"));
  }

  private static final class JavaSerialization<T> implements Codec<T> {
    private final Class<?> type;

    JavaSerialization(Class<?> type) {
      this.type = type;
    }

    @Override
    public byte[] encode(T value) {
      Objects.requireNonNull(value, "value");
      if (!(value instanceof Serializable)) {
        throw new CodecException(value.getClass().getName() + " is not Serializable", null);
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
        out.writeObject(value);
      } catch (IOException e) {
        throw new CodecException("cannot serialize " + value.getClass().getName(), e);
      }
      return bytes.toByteArray();
    }

    @Override
    @SuppressWarnings("unchecked") // the caller chose T; javaSerialization(Class) checks it
    public T decode(byte[] bytes) {
      Object value;
      try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
        value = in.readObject();
      } catch (IOException | ClassNotFoundException e) {
        throw new CodecException("not a Java-serialized value: written by another codec?", e);
      }
      if (type != null && !type.isInstance(value)) {
        throw new CodecException(
            "expected " + type.getName() + " but the value is a " + value.getClass().getName(),
            null);
      }
      return (T) value;
    }
  }
}
