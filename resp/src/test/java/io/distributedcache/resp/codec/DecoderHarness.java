package io.distributedcache.resp.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Drives a {@link RespDecoder} through an {@link EmbeddedChannel}, one chunk per read, and keeps
 * what came out: a command as a {@code List<String>} of its arguments (ISO-8859-1, so every byte
 * maps to one char and back), a {@link RespProtocolError} as itself.
 *
 * <p>After every chunk it checks the decoder's invariants: the cumulation never holds more than
 * one maximal line or bulk, nothing is buffered once failed, and nothing follows an error. {@link
 * #finish()} closes the channel and checks that every buffer passed in, and every buffer the
 * decoder allocated to accumulate them, was released.
 */
final class DecoderHarness {

  final RespDecoder decoder;
  final EmbeddedChannel channel;
  private final List<ByteBuf> inputs = new ArrayList<>();
  private final TrackingAllocator allocator = new TrackingAllocator();
  private final List<Object> messages = new ArrayList<>();
  private boolean direct;

  DecoderHarness(RespLimits limits) {
    decoder = new RespDecoder(limits);
    channel = new EmbeddedChannel(decoder);
    channel.config().setAllocator(allocator);
  }

  /** Makes later chunks direct buffers instead of heap buffers. */
  DecoderHarness direct(boolean direct) {
    this.direct = direct;
    return this;
  }

  /** Feeds {@code bytes[from, to)} as one read. */
  void write(byte[] bytes, int from, int to) {
    int length = to - from;
    // Heap chunks cannot grow, so the decoder's cumulator copies them into buffers of its own
    // (from the tracking allocator); direct chunks can, so the first one becomes the cumulation.
    // Capacity 1 for an empty chunk: Unpooled.buffer(0, 0) is the unreleasable EMPTY_BUFFER.
    int capacity = Math.max(1, length);
    ByteBuf buf = direct ? Unpooled.directBuffer(capacity) : Unpooled.buffer(capacity, capacity);
    buf.writeBytes(bytes, from, length);
    inputs.add(buf);
    int before = messages.size();
    boolean failedBefore = decoder.failed();
    channel.writeInbound(buf);
    drain();
    if (failedBefore) {
      assertThat(messages.size()).as("messages after a protocol error").isEqualTo(before);
    }
    RespLimits limits = decoder.limits();
    assertThat(decoder.bufferedBytes())
        .as("bytes retained by the cumulation")
        .isLessThanOrEqualTo(Math.max(limits.maxBulkBytes(), limits.maxInlineBytes()) + 2);
    if (decoder.failed()) {
      assertThat(decoder.bufferedBytes()).as("bytes retained after an error").isZero();
    }
  }

  void write(byte[] bytes) {
    write(bytes, 0, bytes.length);
  }

  void write(String latin1) {
    write(latin1.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Number of buffers the decoder allocated. */
  int allocations() {
    return allocator.allocated.size();
  }

  /** Messages decoded so far. */
  List<Object> messages() {
    return messages;
  }

  /** Closes the channel, checks that all input buffers were released, returns all messages. */
  List<Object> finish() {
    channel.finish();
    drain();
    for (ByteBuf in : inputs) {
      assertThat(in.refCnt()).as("refCnt of an input buffer after close").isZero();
    }
    for (ByteBuf b : allocator.allocated) {
      assertThat(b.refCnt()).as("refCnt of a cumulation buffer after close").isZero();
    }
    checkShape(messages);
    return messages;
  }

  private void drain() {
    Object m;
    while ((m = channel.readInbound()) != null) {
      messages.add(render(m));
    }
  }

  /** Commands, then at most one error, which is last. */
  static void checkShape(List<Object> messages) {
    for (int i = 0; i < messages.size(); i++) {
      Object m = messages.get(i);
      if (m instanceof RespProtocolError) {
        assertThat(i).as("a protocol error is the last message").isEqualTo(messages.size() - 1);
      } else {
        assertThat((List<?>) m).as("a command has arguments").isNotEmpty();
      }
    }
  }

  static Object render(Object message) {
    if (message instanceof RespProtocolError) {
      return message;
    }
    assertThat(message).isInstanceOf(byte[][].class);
    byte[][] args = (byte[][]) message;
    List<String> out = new ArrayList<>(args.length);
    for (byte[] arg : args) {
      assertThat(arg).isNotNull();
      out.add(new String(arg, StandardCharsets.ISO_8859_1));
    }
    return out;
  }

  /** Decodes {@code input} cut at the given ascending offsets. */
  static List<Object> decode(RespLimits limits, byte[] input, int... cuts) {
    DecoderHarness h = new DecoderHarness(limits);
    int from = 0;
    for (int cut : cuts) {
      h.write(input, from, cut);
      from = cut;
    }
    h.write(input, from, input.length);
    return h.finish();
  }

  /** Decodes {@code input} one byte per read. */
  static List<Object> decodeBytewise(RespLimits limits, byte[] input) {
    DecoderHarness h = new DecoderHarness(limits);
    for (int i = 0; i < input.length; i++) {
      h.write(input, i, i + 1);
    }
    return h.finish();
  }

  static byte[] latin1(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Unpooled allocator that remembers every buffer it hands out. */
  private static final class TrackingAllocator extends AbstractByteBufAllocator {
    final List<ByteBuf> allocated = new ArrayList<>();

    TrackingAllocator() {
      super(false);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
      ByteBuf b = new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
      allocated.add(b);
      return b;
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
      ByteBuf b = new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity);
      allocated.add(b);
      return b;
    }

    @Override
    public boolean isDirectBufferPooled() {
      return false;
    }
  }
}
