package io.distributedcache.resp.server;

import static io.distributedcache.resp.server.ClientTrackingTest.bulk;
import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.resp.server.ClientTrackingTest.RawResp;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

/**
 * Cluster-wide pub/sub as clients see it: a PUBLISH through one node reaches the subscribers of
 * every node, in the exact frames Redis sends (RESP2 arrays, RESP3 pushes); subscribed-mode rules;
 * the node-local PUBSUB introspection; a real Jedis subscriber; and a subscriber that never reads
 * being cut off instead of growing the node's memory.
 *
 * <p>Only {@link #pubsubIntrospectionCountsThisNodesSubscribers} subscribes on n2, so its counts
 * are not disturbed by the connections of other tests, which the server forgets asynchronously.
 */
class PubSubTest {

  private static final Duration DELIVERY = Duration.ofSeconds(5);

  private static InProcessCluster cluster;

  @BeforeAll
  static void start() {
    cluster = new InProcessCluster(3, 3);
    ClientTrackingTest.warmUp(cluster);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Jedis jedis(String node) {
    return ClientTrackingTest.jedis(cluster.port(node));
  }

  private static String confirm(char type, String kind, String name, long count) {
    return type + "3\r\n" + bulk(kind) + (name == null ? "$-1\r\n" : bulk(name)) + ":" + count
        + "\r\n";
  }

  private static String message(char type, String channel, String payload) {
    return type + "3\r\n" + bulk("message") + bulk(channel) + bulk(payload);
  }

  @Test
  void publishThroughOneNodeReachesSubscribersOfTheOthers() {
    try (RawResp resp2 = new RawResp(cluster.port("n1"));
        RawResp resp3 = new RawResp(cluster.port("n3"));
        Jedis publisher = jedis("n2")) {
      resp2.send("SUBSCRIBE", "news");
      assertThat(resp2.next(DELIVERY).text()).isEqualTo(confirm('*', "subscribe", "news", 1));
      resp3.call("HELLO", "3");
      resp3.send("SUBSCRIBE", "news");
      assertThat(resp3.next(DELIVERY).text()).isEqualTo(confirm('>', "subscribe", "news", 1));

      assertThat(publisher.publish("news", "hello"))
          .as("PUBLISH counts the publishing node's subscribers only, as Redis Cluster does")
          .isZero();
      assertThat(resp2.next(DELIVERY).text()).isEqualTo(message('*', "news", "hello"));
      assertThat(resp3.next(DELIVERY).text()).isEqualTo(message('>', "news", "hello"));

      // In order per publisher.
      publisher.publish("news", "one");
      publisher.publish("news", "two");
      assertThat(resp2.next(DELIVERY).text()).isEqualTo(message('*', "news", "one"));
      assertThat(resp2.next(DELIVERY).text()).isEqualTo(message('*', "news", "two"));
      assertThat(resp3.next(DELIVERY).text()).isEqualTo(message('>', "news", "one"));
      assertThat(resp3.next(DELIVERY).text()).isEqualTo(message('>', "news", "two"));

      // A local publish counts the local subscriber.
      try (Jedis local = jedis("n1")) {
        assertThat(local.publish("news", "here")).isEqualTo(1);
      }
      assertThat(resp2.next(DELIVERY).text()).isEqualTo(message('*', "news", "here"));
      assertThat(resp3.next(DELIVERY).text()).isEqualTo(message('>', "news", "here"));
    }
  }

  @Test
  void patternSubscriberGetsPmessageForMatchingChannelsOnly() {
    try (RawResp sub = new RawResp(cluster.port("n1"));
        RawResp sub3 = new RawResp(cluster.port("n3"));
        Jedis publisher = jedis("n2")) {
      sub.send("PSUBSCRIBE", "news.*");
      assertThat(sub.next(DELIVERY).text()).isEqualTo(confirm('*', "psubscribe", "news.*", 1));
      sub3.call("HELLO", "3");
      sub3.send("PSUBSCRIBE", "news.*");
      assertThat(sub3.next(DELIVERY).text()).isEqualTo(confirm('>', "psubscribe", "news.*", 1));

      publisher.publish("sports", "ignored");
      publisher.publish("news.tech", "chips");
      // Published in this order by one node: "sports" would have come first.
      assertThat(sub.next(DELIVERY).text())
          .isEqualTo("*4\r\n" + bulk("pmessage") + bulk("news.*") + bulk("news.tech")
              + bulk("chips"));
      assertThat(sub3.next(DELIVERY).text())
          .isEqualTo(">4\r\n" + bulk("pmessage") + bulk("news.*") + bulk("news.tech")
              + bulk("chips"));
    }
  }

  @Test
  void unsubscribeRepliesCountTheRemainingSubscriptions() {
    try (RawResp c = new RawResp(cluster.port("n1"))) {
      c.send("SUBSCRIBE", "u:a", "u:b", "u:c");
      assertThat(c.next(DELIVERY).text()).isEqualTo(confirm('*', "subscribe", "u:a", 1));
      assertThat(c.next(DELIVERY).text()).isEqualTo(confirm('*', "subscribe", "u:b", 2));
      assertThat(c.next(DELIVERY).text()).isEqualTo(confirm('*', "subscribe", "u:c", 3));
      c.send("PSUBSCRIBE", "u:*");
      assertThat(c.next(DELIVERY).text()).isEqualTo(confirm('*', "psubscribe", "u:*", 4));
      // Subscribing again to the same channel does not count twice.
      c.send("SUBSCRIBE", "u:a");
      assertThat(c.next(DELIVERY).text()).isEqualTo(confirm('*', "subscribe", "u:a", 4));

      c.send("UNSUBSCRIBE", "u:a");
      assertThat(c.next(DELIVERY).text()).isEqualTo(confirm('*', "unsubscribe", "u:a", 3));
      // Unsubscribing from a channel it does not listen to: confirmed, count unchanged.
      c.send("UNSUBSCRIBE", "u:never");
      assertThat(c.next(DELIVERY).text()).isEqualTo(confirm('*', "unsubscribe", "u:never", 3));

      // UNSUBSCRIBE with no channel: one reply per remaining channel, in any order.
      c.send("UNSUBSCRIBE");
      Set<String> replies = new HashSet<>();
      replies.add(c.next(DELIVERY).text());
      replies.add(c.next(DELIVERY).text());
      assertThat(replies)
          .isIn(
              Set.of(confirm('*', "unsubscribe", "u:b", 2), confirm('*', "unsubscribe", "u:c", 1)),
              Set.of(confirm('*', "unsubscribe", "u:c", 2), confirm('*', "unsubscribe", "u:b", 1)));

      c.send("PUNSUBSCRIBE");
      assertThat(c.next(DELIVERY).text()).isEqualTo(confirm('*', "punsubscribe", "u:*", 0));
      c.send("UNSUBSCRIBE");
      assertThat(c.next(DELIVERY).text()).isEqualTo(confirm('*', "unsubscribe", null, 0));

      // Out of subscribed mode: ordinary commands run again.
      assertThat(c.call("PING").text()).isEqualTo("+PONG\r\n");
      assertThat(c.call("GET", "u:key").text()).isEqualTo("$-1\r\n");
    }
  }

  @Test
  void resp2SubscribedModeRefusesOtherCommandsAndPongsAsAnArray() {
    try (RawResp resp2 = new RawResp(cluster.port("n1"));
        RawResp resp3 = new RawResp(cluster.port("n1"))) {
      resp2.send("SUBSCRIBE", "mode");
      assertThat(resp2.next(DELIVERY).text()).isEqualTo(confirm('*', "subscribe", "mode", 1));
      assertThat(resp2.call("GET", "k").text())
          .isEqualTo(
              "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT /"
                  + " RESET are allowed in this context\r\n");
      assertThat(resp2.call("PING").text()).isEqualTo("*2\r\n$4\r\npong\r\n$0\r\n\r\n");
      assertThat(resp2.call("PING", "hi").text()).isEqualTo("*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
      // RESET leaves subscribed mode.
      assertThat(resp2.call("RESET").text()).isEqualTo("+RESET\r\n");
      assertThat(resp2.call("PING").text()).isEqualTo("+PONG\r\n");

      // RESP3 connections take any command while subscribed.
      resp3.call("HELLO", "3");
      resp3.send("SUBSCRIBE", "mode");
      assertThat(resp3.next(DELIVERY).text()).isEqualTo(confirm('>', "subscribe", "mode", 1));
      assertThat(resp3.call("GET", "mode:k").text()).isEqualTo("_\r\n");
      assertThat(resp3.call("PING").text()).isEqualTo("+PONG\r\n");
    }
  }

  @Test
  void pubsubIntrospectionCountsThisNodesSubscribers() {
    try (RawResp a = new RawResp(cluster.port("n2"));
        RawResp b = new RawResp(cluster.port("n2"));
        RawResp admin = new RawResp(cluster.port("n2"));
        RawResp elsewhere = new RawResp(cluster.port("n3"))) {
      a.send("SUBSCRIBE", "ps:one", "ps:two");
      a.next(DELIVERY);
      a.next(DELIVERY);
      b.send("SUBSCRIBE", "ps:one");
      b.next(DELIVERY);
      b.send("PSUBSCRIBE", "ps:*", "other.*");
      b.next(DELIVERY);
      b.next(DELIVERY);

      @SuppressWarnings("unchecked")
      List<Object> channels = (List<Object>) admin.call("PUBSUB", "CHANNELS", "ps:*").value();
      assertThat(channels).containsExactlyInAnyOrder("ps:one", "ps:two");
      assertThat(admin.call("PUBSUB", "NUMSUB", "ps:one", "ps:two", "ps:none").text())
          .isEqualTo("*6\r\n" + bulk("ps:one") + ":2\r\n" + bulk("ps:two") + ":1\r\n"
              + bulk("ps:none") + ":0\r\n");
      assertThat(admin.call("PUBSUB", "NUMPAT").text()).isEqualTo(":2\r\n");
      // Node-local, as in Redis Cluster: n3 has none of these subscribers.
      assertThat(elsewhere.call("PUBSUB", "NUMSUB", "ps:one").text())
          .isEqualTo("*2\r\n" + bulk("ps:one") + ":0\r\n");
      // A flat array in RESP3 too, as Redis answers.
      admin.call("HELLO", "3");
      assertThat(admin.call("PUBSUB", "NUMSUB", "ps:two").text())
          .isEqualTo("*2\r\n" + bulk("ps:two") + ":1\r\n");

      // A closed subscriber is forgotten.
      a.close();
      InProcessCluster.await(
          "n2 forgets the closed subscriber",
          () -> admin.call("PUBSUB", "NUMSUB", "ps:one").text().endsWith(":1\r\n"),
          DELIVERY);
      assertThat(admin.call("PUBSUB", "CHANNELS", "ps:*").value()).isEqualTo(List.of("ps:one"));
    }
  }

  @Test
  void jedisSubscriberOnOneNodeReceivesAPublishThroughAnother() throws Exception {
    CountDownLatch subscribed = new CountDownLatch(1);
    AtomicReference<String> received = new AtomicReference<>();
    CountDownLatch gotMessage = new CountDownLatch(1);
    JedisPubSub listener =
        new JedisPubSub() {
          @Override
          public void onSubscribe(String channel, int subscribedChannels) {
            subscribed.countDown();
          }

          @Override
          public void onMessage(String channel, String message) {
            received.set(channel + "=" + message);
            gotMessage.countDown();
          }
        };
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread subscriber =
        new Thread(
            () -> {
              try (Jedis j = jedis("n1")) {
                j.subscribe(listener, "jedis-channel");
              } catch (RuntimeException e) {
                failure.set(e);
              }
            },
            "jedis-subscriber");
    subscriber.setDaemon(true);
    subscriber.start();
    try {
      assertThat(subscribed.await(DELIVERY.toMillis(), TimeUnit.MILLISECONDS))
          .as("Jedis subscribed")
          .isTrue();
      try (Jedis publisher = jedis("n2")) {
        publisher.publish("jedis-channel", "from n2");
      }
      assertThat(gotMessage.await(DELIVERY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
      assertThat(received.get()).isEqualTo("jedis-channel=from n2");
    } finally {
      if (listener.isSubscribed()) {
        listener.unsubscribe();
      }
      subscriber.join(DELIVERY.toMillis());
    }
    assertThat(subscriber.isAlive()).as("subscriber thread ended after UNSUBSCRIBE").isFalse();
    assertThat(failure.get()).isNull();
  }

  @Test
  void aSubscriberThatNeverReadsIsDisconnectedAndTheNodeKeepsServing() {
    byte[] payload = new byte[64 * 1024];
    Arrays.fill(payload, (byte) 'x');
    String message = new String(payload, java.nio.charset.StandardCharsets.US_ASCII);
    int messages = 1040; // 65 MiB in all, twice the pending-push bound
    long start = System.nanoTime();
    try (RawResp slow = new RawResp(cluster.port("n1"), 4096);
        Jedis publisher = jedis("n1");
        RawResp other = new RawResp(cluster.port("n1"))) {
      slow.send("SUBSCRIBE", "firehose");
      assertThat(slow.next(DELIVERY).text()).isEqualTo(confirm('*', "subscribe", "firehose", 1));

      int deliveredTo = 0;
      int cutOffAt = -1;
      for (int i = 0; i < messages; i++) {
        long receivers = publisher.publish("firehose", message);
        if (receivers == 1) {
          deliveredTo++;
        } else if (cutOffAt < 0) {
          cutOffAt = i;
        }
      }
      assertThat(cutOffAt).as("the subscriber was cut off before the last message").isPositive();
      assertThat((long) deliveredTo * payload.length)
          .as("not before the pending-push bound was passed")
          .isGreaterThan(ClientSession.MAX_PENDING_PUSH_BYTES);
      assertThat(other.call("PING").text()).isEqualTo("+PONG\r\n");
      assertThat(other.call("PUBSUB", "NUMSUB", "firehose").text())
          .isEqualTo("*2\r\n" + bulk("firehose") + ":0\r\n");
      assertThat(slow.awaitClosedByServer(DELIVERY)).as("slow subscriber's socket closed").isTrue();
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }
}
