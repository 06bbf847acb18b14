package io.distributedcache.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Hostile and broken input on raw sockets, against one server started with {@code
 * --proto-max-bulk-len 1mb}: each bad connection is answered and dropped on its own while other
 * clients keep being served, and nothing makes the server crash or balloon.
 */
@ExtendWith(Seeds.class)
class ProtocolRobustnessIT {

  /** Bound on INFO memory used_memory after the garbage streams. */
  private static final long USED_MEMORY_BOUND = 512L * 1024 * 1024;

  /** Bound on RSS growth while a client pipelines without reading. */
  private static final long RSS_GROWTH_BOUND_KIB = 300L * 1024;

  private static ServerProcess server;
  private static Jedis healthy;

  @BeforeAll
  static void startServer() {
    server = ServerProcess.start("--proto-max-bulk-len", "1mb");
    healthy = jedis();
    healthy.set("sentinel", "intact");
  }

  @AfterAll
  static void stopServer() {
    try {
      if (healthy != null) {
        healthy.close();
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  private static Jedis jedis() {
    return new Jedis(
        new HostAndPort(ServerProcess.LOOPBACK, server.port()),
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(5_000)
            .socketTimeoutMillis(10_000)
            .build());
  }

  private static String errorMessage(Object reply) {
    assertThat(reply).as("expected an error reply").isInstanceOf(RawClient.ErrorReply.class);
    return ((RawClient.ErrorReply) reply).message();
  }

  // ---------------------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "*1\r\n$abc\r\n",
        "*abc\r\n",
        "*1\r\nfoo\r\n",
        "*1\r\n$-1\r\n",
        "*2147483648\r\n",
        "*1\r\n$99999999999999999999\r\n",
        "*2\r\n$3\r\nGET\r\n:1\r\n"
      })
  void malformedFrameClosesOnlyThatConnection(String frame) throws IOException {
    try (RawClient bad = new RawClient(server.port())) {
      bad.send(frame);
      // meanwhile, another connection is served
      assertThat(healthy.ping()).isEqualTo("PONG");
      assertThat(errorMessage(bad.readReply())).startsWith("ERR Protocol error");
      assertThat(bad.awaitClosedByServer(Duration.ofSeconds(5)))
          .as("the server closes a connection after a protocol error")
          .isTrue();
    }
    assertThat(healthy.get("sentinel")).isEqualTo("intact");
    assertThat(healthy.incr("after-malformed")).isPositive();
  }

  @Test
  void commandsBeforeTheMalformedFrameAreAnswered() throws IOException {
    try (RawClient bad = new RawClient(server.port())) {
      bad.send("*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$6\r\nbefore\r\n$1\r\n1\r\n*1\r\n$x\r\n");
      assertThat(bad.readReply()).isEqualTo("PONG");
      assertThat(bad.readReply()).isEqualTo("OK");
      assertThat(errorMessage(bad.readReply())).startsWith("ERR Protocol error");
      assertThat(bad.awaitClosedByServer(Duration.ofSeconds(5))).isTrue();
    }
    assertThat(healthy.get("before")).isEqualTo("1");
  }

  @Test
  void hostileBulkLengthIsRefused() throws IOException {
    long rssBefore = server.rssKib();
    for (String header : new String[] {"$2147483647", "$1048577", "$536870912"}) {
      try (RawClient bad = new RawClient(server.port())) {
        bad.send("*1\r\n" + header + "\r\n");
        assertThat(errorMessage(bad.readReply()))
            .as("header %s with proto-max-bulk-len 1mb", header)
            .startsWith("ERR Protocol error");
        assertThat(bad.awaitClosedByServer(Duration.ofSeconds(5))).isTrue();
      }
    }
    assertThat(server.rssKib() - rssBefore)
        .as("refusing a huge length must not allocate it")
        .isLessThan(RSS_GROWTH_BOUND_KIB);

    // 1 MiB exactly is allowed; one byte more is a protocol error that drops the connection
    byte[] max = new byte[1024 * 1024];
    java.util.Arrays.fill(max, (byte) 'm');
    try (Jedis jedis = jedis()) {
      assertThat(jedis.set("max".getBytes(StandardCharsets.UTF_8), max)).isEqualTo("OK");
      assertThat(jedis.strlen("max")).isEqualTo(max.length);
      byte[] tooBig = new byte[max.length + 1];
      assertThatThrownBy(() -> jedis.set("too-big".getBytes(StandardCharsets.UTF_8), tooBig))
          .isInstanceOf(JedisException.class);
    }
    assertThat(healthy.exists("too-big")).isFalse();
    assertThat(healthy.ping()).isEqualTo("PONG");
  }

  @Test
  void stringsCannotGrowPastProtoMaxBulkLen() {
    String tooLarge = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    try (Jedis jedis = jedis()) {
      assertThat(jedis.setrange("grow", 1024 * 1024 - 1, "x")).isEqualTo(1024L * 1024);
      assertThatThrownBy(() -> jedis.setrange("grow2", 1024 * 1024, "x")).hasMessage(tooLarge);
      assertThatThrownBy(() -> jedis.setrange("grow3", Integer.MAX_VALUE, "x"))
          .hasMessage(tooLarge);
      assertThatThrownBy(() -> jedis.append("grow", "y")).hasMessage(tooLarge);
      assertThat(jedis.strlen("grow")).isEqualTo(1024L * 1024);
      assertThat(jedis.exists("grow2", "grow3")).isZero();
      assertThat(jedis.ping()).isEqualTo("PONG");
    }
  }

  @Test
  void inlineCommands() throws IOException {
    try (RawClient raw = new RawClient(server.port())) {
      raw.send("PING\r\n");
      assertThat(raw.readReply()).isEqualTo("PONG");
      raw.send("SET a \"hello world\"\r\n");
      assertThat(raw.readReply()).isEqualTo("OK");
      raw.send("GET a\r\n");
      assertThat(raw.readReply()).isEqualTo("hello world");
      raw.send("PING\n");
      assertThat(raw.readReply()).as("a bare LF ends an inline command too").isEqualTo("PONG");
      raw.send("\r\n\r\nECHO \"tab\\there\\x41\"\r\n");
      assertThat(raw.readReply()).as("empty lines are skipped, escapes decoded").isEqualTo("tab\thereA");
      raw.send("SET b 'single quoted'\r\nGET b\r\n");
      assertThat(raw.readReply()).isEqualTo("OK");
      assertThat(raw.readReply()).isEqualTo("single quoted");
      raw.send("*0\r\n*-1\r\nPING\r\n");
      assertThat(raw.readReply()).as("empty and null multibulks are no-ops").isEqualTo("PONG");
      raw.send("NOSUCH arg\r\n");
      assertThat(errorMessage(raw.readReply())).startsWith("ERR unknown command");
      // the byte-split arrival of a command changes nothing
      for (byte b : "INCR inline-n\r\n".getBytes(StandardCharsets.US_ASCII)) {
        raw.send(new byte[] {b});
      }
      assertThat(raw.readReply()).isEqualTo(1L);
      raw.send("SET c \"unterminated\r\n");
      assertThat(errorMessage(raw.readReply())).startsWith("ERR Protocol error");
      assertThat(raw.awaitClosedByServer(Duration.ofSeconds(5))).isTrue();
    }
    assertThat(healthy.get("a")).isEqualTo("hello world");
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void randomGarbageNeverCrashesTheServer() throws Exception {
    int streams = 240;
    int concurrency = 8;
    AtomicInteger protocolErrors = new AtomicInteger();
    AtomicInteger closedByServer = new AtomicInteger();
    AtomicLong bytesSent = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int s = 0; s < streams; s++) {
        final int stream = s;
        futures.add(
            pool.submit(
                () -> {
                  Random random = Seeds.random("ProtocolRobustnessIT.garbage." + stream);
                  byte[] garbage = Garbage.stream(random);
                  bytesSent.addAndGet(garbage.length);
                  sendGarbage(random, garbage, protocolErrors, closedByServer);
                  return null;
                }));
      }
      // while the garbage flows, a well-behaved client is served correctly
      int i = 0;
      while (!futures.stream().allMatch(Future::isDone)) {
        String key = "healthy:" + (i % 100);
        assertThat(healthy.set(key, "v" + i)).isEqualTo("OK");
        assertThat(healthy.get(key)).isEqualTo("v" + i);
        i++;
        if (i > 1_000_000) {
          break;
        }
      }
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
      pool.awaitTermination(10, TimeUnit.SECONDS);
    }
    System.out.printf(
        "[garbage] %d streams, %d bytes, %d protocol errors seen, %d closed by server (%s)%n",
        streams, bytesSent.get(), protocolErrors.get(), closedByServer.get(), Seeds.describe());

    assertThat(server.isAlive()).as("server process alive; %s", Seeds.describe()).isTrue();
    assertThat(protocolErrors.get())
        .as("the garbage must reach the parser (some streams answered with a protocol error)")
        .isPositive();
    try (Jedis fresh = jedis()) {
      assertThat(fresh.ping()).isEqualTo("PONG");
      assertThat(fresh.get("sentinel")).isEqualTo("intact");
      long used = usedMemory(fresh.info("memory"));
      assertThat(used).as("used_memory after garbage; %s", Seeds.describe()).isLessThan(USED_MEMORY_BOUND);
    }
    // every garbage connection is eventually gone: only `healthy` remains
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () ->
                assertThat(connectedClients(healthy.info("clients")))
                    .as("connected_clients (only the healthy connection should remain)")
                    .isEqualTo(1L));
    assertThat(server.allOutput()).doesNotContain("OutOfMemoryError").doesNotContain("LEAK:");
  }

  private static void sendGarbage(
      Random random, byte[] garbage, AtomicInteger protocolErrors, AtomicInteger closedByServer) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(ServerProcess.LOOPBACK, server.port()), 5_000);
      socket.setTcpNoDelay(true);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      int at = 0;
      try {
        while (at < garbage.length) {
          int len = 1 + random.nextInt(Math.min(garbage.length - at, 1 + random.nextInt(512)));
          out.write(garbage, at, len);
          out.flush();
          at += len;
        }
        if (random.nextInt(4) == 0) {
          socket.setSoLinger(true, 0); // abortive close (RST) without waiting for anything
          return;
        }
        socket.shutdownOutput();
      } catch (IOException e) {
        closedByServer.incrementAndGet(); // the server dropped us mid-stream
      }
      // collect what the server answers until it closes, with a short deadline
      ByteArrayOutputStream replies = new ByteArrayOutputStream();
      socket.setSoTimeout(100);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_000);
      byte[] buf = new byte[8192];
      while (System.nanoTime() < deadline) {
        try {
          int n = in.read(buf);
          if (n == -1) {
            closedByServer.incrementAndGet();
            break;
          }
          if (replies.size() < 1 << 20) {
            replies.write(buf, 0, n);
          }
        } catch (SocketTimeoutException e) {
          // keep reading until the deadline
        } catch (IOException e) {
          closedByServer.incrementAndGet();
          break;
        }
      }
      if (replies.toString(StandardCharsets.ISO_8859_1).contains("-ERR Protocol error")) {
        protocolErrors.incrementAndGet();
      }
    } catch (IOException e) {
      // connecting or closing failed: counts as nothing
    }
  }

  private static long usedMemory(String info) {
    Matcher m = Pattern.compile("(?m)^used_memory:(\\d+)").matcher(info);
    assertThat(m.find()).as("used_memory in INFO memory:\n%s", info).isTrue();
    return Long.parseLong(m.group(1));
  }

  private static long connectedClients(String info) {
    Matcher m = Pattern.compile("(?m)^connected_clients:(\\d+)").matcher(info);
    assertThat(m.find()).as("connected_clients in INFO clients:\n%s", info).isTrue();
    return Long.parseLong(m.group(1));
  }

  /** Seeded generators of hostile byte streams. */
  static final class Garbage {
    private static final String[] COMMANDS = {
      "GET", "SET", "MGET", "MSET", "INCR", "APPEND", "PING", "ECHO", "EXISTS", "DEL", "GETRANGE",
      "SETRANGE", "EXPIRE", "TTL", "SCAN", "HELLO", "CLIENT", "COMMAND", "INFO", "TYPE", "STRLEN",
      "GETEX", "INCRBYFLOAT", "KEYS", "CLUSTER"
    };
    private static final String[] NUMBERS = {
      "-1", "0", "1", "2", "3", "10", "-2147483648", "1048576", "1048577", "2147483647",
      "2147483648", "9223372036854775807", "9223372036854775808", "99999999999999999999", "+1",
      " 1", "1 ", "0x10", "", "-", "1e3"
    };
    private static final String[] TOKENS = {
      "*", "$", ":", "+", "-", "%", "~", ">", "_", "#", ",", "(", "=", "|", "\r\n", "\r", "\n",
      "\0", "\"", "'", " ", "\\x41", "\\", "\t", "\r\n\r\n", "\"\\x", "\"a\"b"
    };

    static byte[] stream(Random random) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int parts = 1 + random.nextInt(6);
      for (int p = 0; p < parts; p++) {
        switch (random.nextInt(5)) {
          case 0 -> randomBytes(random, out);
          case 1 -> mutatedCommands(random, out);
          case 2 -> tokenSoup(random, out);
          case 3 -> inline(random, out);
          default -> validCommands(random, out);
        }
      }
      return out.toByteArray();
    }

    private static void randomBytes(Random random, ByteArrayOutputStream out) {
      byte[] b = new byte[1 + random.nextInt(4096)];
      random.nextBytes(b);
      out.writeBytes(b);
    }

    private static void validCommands(Random random, ByteArrayOutputStream out) {
      int n = 1 + random.nextInt(5);
      for (int i = 0; i < n; i++) {
        out.writeBytes(command(random));
      }
    }

    private static void mutatedCommands(Random random, ByteArrayOutputStream out) {
      ByteArrayOutputStream clean = new ByteArrayOutputStream();
      validCommands(random, clean);
      byte[] b = clean.toByteArray();
      int mutations = 1 + random.nextInt(4);
      for (int m = 0; m < mutations && b.length > 0; m++) {
        int at = random.nextInt(b.length);
        switch (random.nextInt(3)) {
          case 0 -> b[at] = (byte) random.nextInt(256);
          case 1 -> b[at] = (byte) "*$:\r\n-0123456789".charAt(random.nextInt(16));
          default -> b = java.util.Arrays.copyOf(b, at); // truncate
        }
      }
      out.writeBytes(b);
    }

    private static byte[] command(Random random) {
      List<byte[]> args = new ArrayList<>();
      args.add(COMMANDS[random.nextInt(COMMANDS.length)].getBytes(StandardCharsets.US_ASCII));
      int extra = random.nextInt(5);
      for (int a = 0; a < extra; a++) {
        byte[] arg;
        switch (random.nextInt(4)) {
          case 0 -> arg = ("fz:" + random.nextInt(50)).getBytes(StandardCharsets.US_ASCII);
          case 1 -> arg = NUMBERS[random.nextInt(NUMBERS.length)].getBytes(StandardCharsets.US_ASCII);
          case 2 -> {
            arg = new byte[random.nextInt(64)];
            random.nextBytes(arg);
          }
          default -> arg = new byte[random.nextInt(2) == 0 ? 0 : random.nextInt(20_000)];
        }
        args.add(arg);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(("*" + args.size() + "\r\n").getBytes(StandardCharsets.US_ASCII));
      for (byte[] arg : args) {
        out.writeBytes(("$" + arg.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(arg);
        out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      return out.toByteArray();
    }

    private static void tokenSoup(Random random, ByteArrayOutputStream out) {
      int n = 1 + random.nextInt(60);
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < n; i++) {
        if (random.nextBoolean()) {
          sb.append(TOKENS[random.nextInt(TOKENS.length)]);
        } else {
          sb.append(NUMBERS[random.nextInt(NUMBERS.length)]);
        }
      }
      out.writeBytes(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    private static void inline(Random random, ByteArrayOutputStream out) {
      StringBuilder sb = new StringBuilder(COMMANDS[random.nextInt(COMMANDS.length)]);
      int n = random.nextInt(6);
      for (int i = 0; i < n; i++) {
        sb.append(' ');
        switch (random.nextInt(4)) {
          case 0 -> sb.append("fz:").append(random.nextInt(50));
          case 1 -> sb.append('"').append(TOKENS[random.nextInt(TOKENS.length)]).append('"');
          case 2 -> sb.append(TOKENS[random.nextInt(TOKENS.length)]);
          default -> sb.append("x".repeat(random.nextInt(100)));
        }
      }
      sb.append(random.nextBoolean() ? "\r\n" : "\n");
      out.writeBytes(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
    }
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void clientThatNeverReadsItsRepliesDoesNotBloatTheServer() throws Exception {
    // redis-server buffers replies without limit for normal clients (client-output-buffer-limit
    // normal 0 0 0), so it fails this on purpose; DistributedCache must apply backpressure.
    assumeFalse(ServerProcess.referenceMode(), "redis-server has no output buffer limit by default");
    int getCount = 200_000;
    Random random = Seeds.random("ProtocolRobustnessIT.flood");
    byte[] value = new byte[10 * 1024];
    random.nextBytes(value);
    byte[] key = "flood:value".getBytes(StandardCharsets.UTF_8);
    try (Jedis warm = jedis()) {
      warm.set(key, value);
      // warm the server up on the same kind of work, reading the replies
      for (int round = 0; round < 5; round++) {
        Pipeline p = warm.pipelined();
        for (int i = 0; i < 2_000; i++) {
          p.get(key);
        }
        p.sync();
      }
    }
    long baseline = server.rssKib();

    byte[] oneGet = "*2\r\n$3\r\nGET\r\n$11\r\nflood:value\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] chunk = new byte[oneGet.length * 1_000];
    for (int i = 0; i < 1_000; i++) {
      System.arraycopy(oneGet, 0, chunk, i * oneGet.length, oneGet.length);
    }
    AtomicLong sentGets = new AtomicLong();
    RawClient hostile = new RawClient(server.port());
    Thread writer =
        new Thread(
            () -> {
              try {
                OutputStream out = hostile.socket().getOutputStream();
                for (int i = 0; i < getCount / 1_000; i++) {
                  out.write(chunk);
                  sentGets.addAndGet(1_000);
                }
                out.flush();
              } catch (IOException e) {
                // closed by the test (or the server): stop writing
              }
            },
            "flood-writer");
    writer.setDaemon(true);
    long maxGrowth = 0;
    int served = 0;
    try {
      writer.start();
      try (Jedis other = jedis()) {
        // watch for 6 s: memory stays bounded and another client keeps getting answers
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
        while (System.nanoTime() < end) {
          long growth = server.rssKib() - baseline;
          maxGrowth = Math.max(maxGrowth, growth);
          assertThat(growth)
              .as("RSS growth (KiB) with %d GETs pipelined and unread", sentGets.get())
              .isLessThan(RSS_GROWTH_BOUND_KIB);
          assertThat(other.get(key)).isEqualTo(value);
          assertThat(other.incr("flood:served")).isEqualTo(++served);
          writer.join(50); // pace the sampling: wait for the writer (or 50 ms)
        }
      }
    } finally {
      hostile.close();
      writer.join(10_000);
    }
    System.out.printf(
        "[flood] %d GETs written before blocking/end, max RSS growth %d KiB, %d requests served%n",
        sentGets.get(), maxGrowth, served);
    assertThat(server.isAlive()).isTrue();
    assertThat(healthy.ping()).isEqualTo("PONG");
    assertThat(served).as("the other client was served throughout").isGreaterThan(10);
  }

  @Test
  void largeRepliesToAClientThatNeverReadsAreHeldBack() throws Exception {
    // One burst of small requests whose replies add up to gigabytes: the server must run them only
    // as fast as the client reads, not buffer every reply (seen before the fix: RSS of 4.6 GB).
    assumeFalse(ServerProcess.referenceMode(), "redis-server has no output buffer limit by default");
    byte[] value = new byte[8 * 1024 * 1024];
    Seeds.random("ProtocolRobustnessIT.bigReplies").nextBytes(value);
    byte[] key = "flood:big".getBytes(StandardCharsets.UTF_8);
    // Its own server: this class's shared one refuses values over 1 MB.
    try (ServerProcess big = ServerProcess.start()) {
      try (Jedis setter = new Jedis(ServerProcess.LOOPBACK, big.port())) {
        setter.set(key, value);
      }
      long baseline = big.rssKib();
      byte[] oneGet =
          "*2\r\n$3\r\nGET\r\n$9\r\nflood:big\r\n".getBytes(StandardCharsets.US_ASCII);
      byte[] burst = new byte[oneGet.length * 1_000]; // 1,000 x 8 MiB = 8 GiB of replies
      for (int i = 0; i < 1_000; i++) {
        System.arraycopy(oneGet, 0, burst, i * oneGet.length, oneGet.length);
      }
      try (RawClient hostile = new RawClient(big.port());
          Jedis other = new Jedis(ServerProcess.LOOPBACK, big.port())) {
        OutputStream out = hostile.socket().getOutputStream();
        out.write(burst);
        out.flush();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
        int served = 0;
        while (System.nanoTime() < end) {
          assertThat(big.rssKib() - baseline)
              .as("RSS growth (KiB) while 8 GiB of replies wait for a client that does not read")
              .isLessThan(RSS_GROWTH_BOUND_KIB);
          assertThat(other.incr("flood:big:served")).isEqualTo(++served);
        }
        assertThat(served).isGreaterThan(10);
        assertThat(other.ping()).isEqualTo("PONG");
      }
    }
  }
}
