package io.distributedcache.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distributedcache.resp.codec.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Commands as argument arrays, and replies as resp's RespWriter writes them, decoded. */
class CacheProtocolTest {

  private static byte[] written(int protocol, BiConsumer<RespWriter, ByteBuf> write) {
    ByteBuf out = Unpooled.buffer();
    try {
      write.accept(new RespWriter(protocol), out);
      return ByteBufUtil.getBytes(out);
    } finally {
      out.release();
    }
  }

  private static String text(byte[][] args) {
    StringBuilder sb = new StringBuilder();
    for (byte[] a : args) {
      sb.append(sb.length() == 0 ? "" : " ").append(new String(a, StandardCharsets.UTF_8));
    }
    return sb.toString();
  }

  @Test
  void encodesTheCommandsTheApiSends() {
    byte[] k = "k".getBytes(StandardCharsets.UTF_8);
    byte[] v = "v".getBytes(StandardCharsets.UTF_8);
    assertThat(text(CacheProtocol.set(k, v, Duration.ofMillis(1500), true))).isEqualTo("SET k v PX 1500 NX");
    assertThat(text(CacheProtocol.set(k, v, null, false))).isEqualTo("SET k v");
    assertThat(text(CacheProtocol.set(k, v, Duration.ofNanos(1), false))).isEqualTo("SET k v PX 1");
    assertThat(text(CacheProtocol.incrBy(k, -3))).isEqualTo("INCRBY k -3");
    assertThat(text(CacheProtocol.pexpire(k, Duration.ofSeconds(2)))).isEqualTo("PEXPIRE k 2000");
    assertThat(text(CacheProtocol.pttl(k))).isEqualTo("PTTL k");
    assertThat(new String(CacheProtocol.encodeRequest(CacheProtocol.get(k)), StandardCharsets.US_ASCII))
        .isEqualTo("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    assertThatThrownBy(() -> CacheProtocol.ttlMillis(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3})
  void decodesWhatRespWriterWrites(int protocol) {
    assertThat(CacheProtocol.decode(written(protocol, RespWriter::ok))).isEqualTo("OK");
    assertThat(CacheProtocol.decode(written(protocol, (w, o) -> w.integer(o, -42)))).isEqualTo(-42L);
    assertThat(CacheProtocol.decode(written(protocol, (w, o) -> w.bulk(o, "héllo"))))
        .isEqualTo("héllo".getBytes(StandardCharsets.UTF_8));
    assertThat(CacheProtocol.decode(written(protocol, RespWriter::nullBulk))).isNull();
    assertThat(CacheProtocol.decode(written(protocol, RespWriter::nullArray))).isNull();
    Object list =
        CacheProtocol.decode(
            written(protocol, (w, o) -> {
              w.arrayHeader(o, 2);
              w.integer(o, 1);
              w.nullBulk(o);
            }));
    assertThat(list).isEqualTo(java.util.Arrays.asList(1L, null));
    Object map =
        CacheProtocol.decode(
            written(protocol, (w, o) -> {
              w.mapHeader(o, 1);
              w.simple(o, "a");
              w.integer(o, 7);
            }));
    if (protocol == 3) {
      assertThat(map).isEqualTo(Map.of("a", 7L));
    } else {
      assertThat(map).isEqualTo(List.of("a", 7L));
    }
    Object bool = CacheProtocol.decode(written(protocol, (w, o) -> w.bool(o, true)));
    assertThat(bool).isEqualTo(protocol == 3 ? (Object) Boolean.TRUE : (Object) 1L);
    Object d = CacheProtocol.decode(written(protocol, (w, o) -> w.doubleValue(o, 1.5)));
    assertThat(d).isEqualTo(protocol == 3 ? (Object) 1.5 : (Object) "1.5".getBytes(StandardCharsets.US_ASCII));
    assertThat(CacheProtocol.decode(written(protocol, (w, o) -> w.verbatim(o, "txt", "info"))))
        .isEqualTo(protocol == 3 ? (Object) "info" : (Object) "info".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void decodesRemainingResp3Types() {
    assertThat(CacheProtocol.decode("(123456789012345678901234567890\r\n".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(new BigInteger("123456789012345678901234567890"));
    assertThat(CacheProtocol.decode(",-inf\r\n".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(CacheProtocol.decode("|1\r\n+a\r\n+b\r\n:5\r\n".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(5L);
    assertThat(CacheProtocol.decode("~1\r\n+x\r\n".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(List.of("x"));
  }

  @Test
  void errorsBecomeTheRightExceptions() {
    assertThat(error("TIMEOUT unknown outcome: slot 5")).isInstanceOf(CacheTimeoutException.class);
    assertThat(error("CLUSTERDOWN the primary of slot 1 is unreachable"))
        .isInstanceOf(ClusterUnavailableException.class);
    assertThat(error("TRYAGAIN slot 3 is catching up")).isInstanceOf(ClusterUnavailableException.class);
    assertThat(error("WRONGTYPE Operation against a key holding the wrong kind of value"))
        .isInstanceOf(WrongTypeException.class);
    assertThat(error("ERR value is not an integer or out of range")).isInstanceOf(WrongTypeException.class);
    CacheException other = error("ERR increment or decrement would overflow");
    assertThat(other.getClass()).isEqualTo(CacheException.class);
    assertThat(other.errorCode()).isEqualTo("ERR");
    assertThat(other).hasMessage("ERR increment or decrement would overflow");
  }

  private static CacheException error(String message) {
    byte[] reply = written(3, (w, o) -> w.error(o, message));
    return org.assertj.core.api.Assertions.catchThrowableOfType(
        CacheException.class, () -> CacheProtocol.decodeOrThrow(reply));
  }

  @Test
  void malformedRepliesAreRefusedNotMisread() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    byte[] good = written(3, (w, o) -> {
      w.arrayHeader(o, 3);
      w.bulk(o, "abc");
      w.integer(o, 12345);
      w.nullBulk(o);
    });
    for (int cut = 0; cut < good.length; cut++) {
      byte[] truncated = java.util.Arrays.copyOf(good, cut);
      assertThatThrownBy(() -> CacheProtocol.decode(truncated))
          .as("seed %d, cut %d", seed, cut)
          .isInstanceOf(IllegalArgumentException.class);
    }
    for (int i = 0; i < 2000; i++) {
      byte[] noise = new byte[1 + random.nextInt(24)];
      random.nextBytes(noise);
      try {
        CacheProtocol.decode(noise);
      } catch (IllegalArgumentException expected) {
        // refused: fine. Anything else (an index error, a huge allocation) fails the test.
      } catch (RuntimeException e) {
        throw new AssertionError("seed " + seed + ": " + e, e);
      }
    }
  }
}
