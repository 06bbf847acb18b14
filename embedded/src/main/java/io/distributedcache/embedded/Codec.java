package io.distributedcache.embedded;

/**
 * Turns keys or values into the bytes the cluster stores, and back. {@link Codecs} has the usual
 * ones.
 *
 * <p>Implementations must be thread-safe (a cache calls them from any thread, several at once)
 * and must not block. {@code decode(encode(x))} must equal {@code x}. Keys are compared by their
 * encoded bytes, so a key codec must encode equal keys to equal bytes.
 *
 * @param <T> the Java type
 */
public interface Codec<T> {

  /**
   * The bytes for {@code value}, never null.
   *
   * @throws CodecException if {@code value} cannot be encoded
   */
  byte[] encode(T value);

  /**
   * The value {@code bytes} encode.
   *
   * @throws CodecException if they are not a valid encoding (another codec wrote them)
   */
  T decode(byte[] bytes);
}
