package io.distributedcache.core.keyspace;

/**
 * Redis Cluster key slots: {@code CRC16(key) mod 16384}, honouring {@code {hash tags}}, identical
 * to Redis so that cluster-aware clients compute the same slot we do (DESIGN.md section 2).
 *
 * <p>The CRC is CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection, no final XOR), as
 * in the Redis Cluster specification, appendix A; {@code crc16("123456789") == 0x31C3}. Nothing
 * here depends on the process, the JVM or the platform: these values are part of the wire contract
 * and are pinned by test vectors (seed bug 5).
 *
 * <p>Stateless and thread-safe; no method allocates.
 */
public final class Slots {

  /** Number of key slots. */
  public static final int SLOT_COUNT = 16384;

  private static final int SLOT_MASK = SLOT_COUNT - 1;

  private static final char[] CRC16_TABLE = new char[256];

  static {
    for (int i = 0; i < 256; i++) {
      int crc = i << 8;
      for (int bit = 0; bit < 8; bit++) {
        crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
      }
      CRC16_TABLE[i] = (char) crc;
    }
  }

  private Slots() {}

  /**
   * Returns the slot of {@code key}, 0 to 16383. If the key contains a '{' followed later by a '}'
   * with at least one byte between them, only the bytes between the first '{' and the first '}'
   * after it are hashed; otherwise the whole key is. The empty key is slot 0.
   */
  public static int slot(byte[] key) {
    int length = key.length;
    int open = 0;
    while (open < length && key[open] != '{') {
      open++;
    }
    if (open < length) {
      int close = open + 1;
      while (close < length && key[close] != '}') {
        close++;
      }
      if (close < length && close > open + 1) {
        return crc16(key, open + 1, close) & SLOT_MASK;
      }
    }
    return crc16(key, 0, length) & SLOT_MASK;
  }

  /**
   * Returns CRC-16/XMODEM of {@code data[from, toExclusive)}, 0 to 65535.
   *
   * @throws IndexOutOfBoundsException if the range is not inside {@code data}
   */
  public static int crc16(byte[] data, int from, int toExclusive) {
    if (from < 0 || toExclusive > data.length || from > toExclusive) {
      throw new IndexOutOfBoundsException(
          "range [" + from + ", " + toExclusive + ") outside length " + data.length);
    }
    int crc = 0;
    for (int i = from; i < toExclusive; i++) {
      crc = ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ data[i]) & 0xFF]) & 0xFFFF;
    }
    return crc;
  }
}
