package io.distributedcache.resp.command;

import static io.distributedcache.resp.command.Args.is;

import io.distributedcache.core.cluster.ClusterNode;
import io.distributedcache.resp.codec.RespWriter;
import io.distributedcache.resp.server.ClientSession;
import io.distributedcache.resp.server.NodeContext;
import io.distributedcache.resp.server.PubSub;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Pub/sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH and PUBSUB, cluster-wide (see
 * {@link PubSub}). Confirmations are pushes in RESP3 and arrays in RESP2, one per channel, as in
 * Redis.
 */
final class PubSubCommands {

  private static final byte[] SUBSCRIBE = "subscribe".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] UNSUBSCRIBE = "unsubscribe".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PSUBSCRIBE = "psubscribe".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PUNSUBSCRIBE = "punsubscribe".getBytes(StandardCharsets.US_ASCII);

  private PubSubCommands() {}

  static void register(CommandRegistry r) {
    r.add("subscribe", -2, "pubsub noscript loading stale", 0, 0, 0, "pubsub slow", "pubsub",
        "2.0.0", "Listens for messages published to channels.", PubSubCommands::subscribe);
    r.add("unsubscribe", -1, "pubsub noscript loading stale", 0, 0, 0, "pubsub slow", "pubsub",
        "2.0.0", "Stops listening to messages posted to channels.", PubSubCommands::unsubscribe);
    r.add("psubscribe", -2, "pubsub noscript loading stale", 0, 0, 0, "pubsub slow", "pubsub",
        "2.0.0", "Listens for messages published to channels that match patterns.",
        PubSubCommands::psubscribe);
    r.add("punsubscribe", -1, "pubsub noscript loading stale", 0, 0, 0, "pubsub slow", "pubsub",
        "2.0.0", "Stops listening to messages published to channels that match patterns.",
        PubSubCommands::punsubscribe);
    r.add("publish", 3, "pubsub loading stale fast", 0, 0, 0, "pubsub fast", "pubsub", "2.0.0",
        "Posts a message to a channel; every node's subscribers receive it.",
        PubSubCommands::publish);
    r.add("pubsub", -2, "", 0, 0, 0, "slow", "pubsub", "2.8.0",
        "A container for pub/sub introspection commands (this node's subscribers).",
        PubSubCommands::pubsub);
  }

  static void subscribe(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    for (int i = 1; i < a.length; i++) {
      n.pubSub().subscribe(s, a[i]);
      confirm(s.writer(), out, SUBSCRIBE, a[i], s.subscriptionCount());
    }
  }

  static void psubscribe(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    for (int i = 1; i < a.length; i++) {
      n.pubSub().psubscribe(s, a[i]);
      confirm(s.writer(), out, PSUBSCRIBE, a[i], s.subscriptionCount());
    }
  }

  static void unsubscribe(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    List<byte[]> names = new ArrayList<>();
    if (a.length == 1) {
      s.channels().forEach(k -> names.add(k.bytes()));
    } else {
      for (int i = 1; i < a.length; i++) {
        names.add(a[i]);
      }
    }
    if (names.isEmpty()) {
      confirm(s.writer(), out, UNSUBSCRIBE, null, s.subscriptionCount());
      return;
    }
    for (byte[] name : names) {
      n.pubSub().unsubscribe(s, name);
      confirm(s.writer(), out, UNSUBSCRIBE, name, s.subscriptionCount());
    }
  }

  static void punsubscribe(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    List<byte[]> names = new ArrayList<>();
    if (a.length == 1) {
      s.patterns().forEach(k -> names.add(k.bytes()));
    } else {
      for (int i = 1; i < a.length; i++) {
        names.add(a[i]);
      }
    }
    if (names.isEmpty()) {
      confirm(s.writer(), out, PUNSUBSCRIBE, null, s.subscriptionCount());
      return;
    }
    for (byte[] name : names) {
      n.pubSub().punsubscribe(s, name);
      confirm(s.writer(), out, PUNSUBSCRIBE, name, s.subscriptionCount());
    }
  }

  private static void confirm(RespWriter w, ByteBuf out, byte[] kind, byte[] name, int count) {
    w.pushHeader(out, 3);
    w.bulk(out, kind);
    if (name == null) {
      w.nullBulk(out);
    } else {
      w.bulk(out, name);
    }
    w.integer(out, count);
  }

  /**
   * PUBLISH: delivered to this node's subscribers at once and sent to every other member, whose
   * subscribers get it too. The count is this node's receivers, as in Redis Cluster.
   */
  static void publish(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    int receivers = n.pubSub().deliverLocally(a[1], a[2]);
    ClusterNode cluster = n.cluster();
    if (cluster != null) {
      cluster.publish(a[1], a[2]);
    }
    s.writer().integer(out, receivers);
  }

  /** PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT | HELP, about this node. */
  static void pubsub(NodeContext n, ClientSession s, byte[][] a, ByteBuf out) {
    RespWriter w = s.writer();
    PubSub pubSub = n.pubSub();
    if (is(a[1], "CHANNELS") && a.length <= 3) {
      List<byte[]> channels = pubSub.activeChannels(a.length == 3 ? a[2] : null);
      w.arrayHeader(out, channels.size());
      for (byte[] c : channels) {
        w.bulk(out, c);
      }
    } else if (is(a[1], "NUMSUB")) {
      // A flat array of channel, count pairs in RESP3 too: Redis answers so, and clients parse it.
      w.arrayHeader(out, 2 * (a.length - 2));
      for (int i = 2; i < a.length; i++) {
        w.bulk(out, a[i]);
        w.integer(out, pubSub.subscribers(a[i]));
      }
    } else if (is(a[1], "NUMPAT") && a.length == 2) {
      w.integer(out, pubSub.patternCount());
    } else if (is(a[1], "HELP") && a.length == 2) {
      ConnectionCommands.help(w, out, "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "CHANNELS [<pattern>]", "    Return the currently active channels on this node.",
          "NUMPAT", "    Return the number of unique patterns subscribed to on this node.",
          "NUMSUB [<channel> ...]", "    Return the number of subscribers on this node for each channel.",
          "HELP", "    Print this help.");
    } else {
      throw ConnectionCommands.unknownSubcommand(a, "PUBSUB");
    }
  }
}
