package io.distributedcache.resp.codec;

/**
 * Size limits that {@link RespDecoder} enforces on client requests as their bytes arrive.
 *
 * <p>Immutable and therefore safe to share between threads and connections. Instances are plain
 * values: two limits with the same components are equal.
 *
 * <p>The limits mirror Redis' {@code proto-max-bulk-len}, its multibulk count check and {@code
 * PROTO_INLINE_MAX_SIZE}. While a password is required and the client has not authenticated yet,
 * Redis applies much stricter limits (multibulk length 10, bulk length 16 KiB) and reports them
 * with their own messages ({@code "Protocol error: unauthenticated multibulk length"}, {@code
 * "Protocol error: unauthenticated bulk length"}); {@link #unauthenticated()} reproduces that, and
 * the {@link #authPending()} flag is what selects those messages.
 *
 * @param maxBulkBytes largest bulk string argument in bytes; a larger {@code $<len>} header is a
 *     protocol error. At least 0.
 * @param maxArrayLength largest number of arguments in one multibulk request; a larger {@code
 *     *<n>} header is a protocol error. At least 1.
 * @param maxInlineBytes longest line, without its line terminator: an inline command, or a {@code
 *     *<n>} / {@code $<len>} header line. At least {@value #MIN_INLINE_BYTES}, so that every valid
 *     header line fits.
 * @param authPending whether a violation of {@code maxBulkBytes} or {@code maxArrayLength} is
 *     reported with Redis' "unauthenticated" messages instead of the "invalid" ones
 */
public record RespLimits(
    int maxBulkBytes, int maxArrayLength, int maxInlineBytes, boolean authPending) {

  /**
   * Smallest accepted {@link #maxInlineBytes()}: a header line with the prefix byte and the
   * longest valid count ({@code "$2147483647"}) has 11 bytes.
   */
  public static final int MIN_INLINE_BYTES = 16;

  /**
   * Largest accepted value of any limit: the largest {@code byte[]} that HotSpot allocates, which
   * also keeps the decoder's {@code length + 2} arithmetic from overflowing.
   */
  public static final int MAX_LIMIT = Integer.MAX_VALUE - 8;

  private static final RespLimits DEFAULTS =
      new RespLimits(512 * 1024 * 1024, 1024 * 1024, 64 * 1024, false);

  /** Redis' limits before AUTH when {@code requirepass} is set (networking.c, authRequired()). */
  private static final RespLimits UNAUTHENTICATED = new RespLimits(16 * 1024, 10, 64 * 1024, true);

  /**
   * Validates the components.
   *
   * @throws IllegalArgumentException if a limit is outside the range documented on the component
   */
  public RespLimits {
    check("maxBulkBytes", maxBulkBytes, 0);
    check("maxArrayLength", maxArrayLength, 1);
    check("maxInlineBytes", maxInlineBytes, MIN_INLINE_BYTES);
  }

  /**
   * Limits for an authenticated client (or one on a server without a password), reported with the
   * "invalid" messages.
   *
   * @throws IllegalArgumentException if a limit is outside the range documented on the component
   */
  public RespLimits(int maxBulkBytes, int maxArrayLength, int maxInlineBytes) {
    this(maxBulkBytes, maxArrayLength, maxInlineBytes, false);
  }

  /**
   * Redis' default limits: bulk strings up to 512 MiB ({@code proto-max-bulk-len}), up to 1024 *
   * 1024 arguments per request and lines up to 64 KiB.
   */
  public static RespLimits defaults() {
    return DEFAULTS;
  }

  /**
   * Redis' limits for a client that has not authenticated yet while a password is required: up to
   * 10 arguments, bulk strings up to 16 KiB, lines up to 64 KiB, with the "unauthenticated" error
   * messages.
   */
  public static RespLimits unauthenticated() {
    return UNAUTHENTICATED;
  }

  private static void check(String name, int value, int min) {
    if (value < min || value > MAX_LIMIT) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + MAX_LIMIT + "] but was " + value);
    }
  }
}
