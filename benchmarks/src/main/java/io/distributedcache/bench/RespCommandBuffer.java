package io.distributedcache.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds one command as a RESP array of bulk strings in a reusable byte array, so that a command
 * goes out in a single {@code write} and the hot loop allocates nothing.
 *
 * <p>Usage: {@link #begin(int)} with the argument count, then exactly that many {@code arg} calls,
 * then {@link #writeTo(OutputStream)}. The buffer grows as needed and is kept for the next command.
 *
 * <p>Not thread-safe: one buffer per connection thread.
 */
public final class RespCommandBuffer {

  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] NO_PREFIX = {};

  private byte[] buf = new byte[256];
  private int size;
  private int argsLeft;
  private final byte[] digits = new byte[20];

  /** Starts a command of {@code argCount} arguments (the command name counts as one). */
  public RespCommandBuffer begin(int argCount) {
    if (argCount < 1) {
      throw new IllegalArgumentException("a command has at least one argument: " + argCount);
    }
    if (argsLeft != 0) {
      throw new IllegalStateException(argsLeft + " argument(s) of the previous command missing");
    }
    size = 0;
    argsLeft = argCount;
    put((byte) '*');
    putNumber(argCount);
    put(CRLF);
    return this;
  }

  /** Appends one bulk-string argument. */
  public RespCommandBuffer arg(byte[] value) {
    return arg(value, 0, value.length);
  }

  /** Appends an ASCII/UTF-8 argument (for command names and small constants). */
  public RespCommandBuffer arg(String value) {
    return arg(value.getBytes(StandardCharsets.UTF_8));
  }

  /** Appends {@code value[offset, offset+length)} as one bulk-string argument. */
  public RespCommandBuffer arg(byte[] value, int offset, int length) {
    consumeArg();
    put((byte) '$');
    putNumber(length);
    put(CRLF);
    ensure(length);
    System.arraycopy(value, offset, buf, size, length);
    size += length;
    put(CRLF);
    return this;
  }

  /** Appends {@code Long.toString(number)} as an argument, e.g. the 1 of {@code WAIT 1 0}. */
  public RespCommandBuffer arg(long number) {
    return argWithSuffix(NO_PREFIX, number);
  }

  /**
   * Appends {@code prefix} immediately followed by the decimal digits of {@code number}, as one
   * argument, without allocating: {@code argWithSuffix("key:", 42)} sends {@code key:42}.
   */
  public RespCommandBuffer argWithSuffix(byte[] prefix, long number) {
    consumeArg();
    put((byte) '$');
    putNumber(prefix.length + formatDigits(number));
    put(CRLF);
    put(prefix);
    // putNumber used the digit scratch space for the length: format the number again.
    int digitCount = formatDigits(number);
    ensure(digitCount);
    System.arraycopy(digits, digits.length - digitCount, buf, size, digitCount);
    size += digitCount;
    put(CRLF);
    return this;
  }

  /**
   * Writes the finished command to {@code out} in one call and flushes it.
   *
   * @throws IllegalStateException if fewer arguments were added than {@link #begin} announced
   * @throws IOException from the stream
   */
  public void writeTo(OutputStream out) throws IOException {
    if (argsLeft != 0) {
      throw new IllegalStateException(argsLeft + " argument(s) missing");
    }
    out.write(buf, 0, size);
    out.flush();
  }

  /** A copy of the bytes of the finished command (for tests). */
  public byte[] toByteArray() {
    if (argsLeft != 0) {
      throw new IllegalStateException(argsLeft + " argument(s) missing");
    }
    return Arrays.copyOf(buf, size);
  }

  private void consumeArg() {
    if (argsLeft == 0) {
      throw new IllegalStateException("more arguments than announced by begin()");
    }
    argsLeft--;
  }

  /** Writes the digits of {@code number} right-aligned into {@link #digits}; returns the count. */
  private int formatDigits(long number) {
    int pos = digits.length;
    // Work on the negative value so that Long.MIN_VALUE needs no special case.
    long n = number < 0 ? number : -number;
    do {
      digits[--pos] = (byte) ('0' - (n % 10));
      n /= 10;
    } while (n != 0);
    if (number < 0) {
      digits[--pos] = '-';
    }
    return digits.length - pos;
  }

  private void putNumber(long number) {
    int count = formatDigits(number);
    ensure(count);
    System.arraycopy(digits, digits.length - count, buf, size, count);
    size += count;
  }

  private void put(byte b) {
    ensure(1);
    buf[size++] = b;
  }

  private void put(byte[] bytes) {
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buf, size, bytes.length);
    size += bytes.length;
  }

  private void ensure(int more) {
    if (size + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }
  }
}
