package io.distributedcache.faultlab.check;

import io.distributedcache.faultlab.history.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A value written with a TTL lives for that TTL, measured on monotonic clocks wherever it is
 * stored: never visible much after it, never gone much before it (DESIGN.md section 4: expiry
 * travels as remaining time, clock skew has no effect). "Much" is {@link
 * CheckOptions#ttlSlackMillis()}.
 *
 * <p>For each key that {@code write-ttl} wrote (values are unique per key):
 *
 * <ul>
 *   <li><b>Not visible after expiry</b>: a {@code read} or {@code final-read} invoked later than
 *       ok(W) + ttl + slack must not return W's value. The TTL starts when the primary applies W,
 *       which is before W's ok, so the value is gone by ok(W) + ttl on every copy. Only applies
 *       when every write of that value is an {@code OK} {@code write-ttl}: an unknown write may be
 *       applied arbitrarily late, and a plain {@code write} has no TTL.
 *   <li><b>Not gone before expiry</b>: a {@code read} invoked after ok(W) and completed before
 *       invoke(W) + ttl - slack must return W's value, unless some other write of the key that may
 *       have taken effect after W did was invoked before the read completed (another operation of
 *       the key that did not fail, other than an {@code OK} one that completed before W was
 *       invoked). Needs reads that see acknowledged writes (QUORUM writes and reads, or reads on
 *       the primary). Final reads are not used here: they come after the faults, usually long after.
 * </ul>
 */
public final class TtlWindow implements Checker {

  private final long slackNanos;

  /** A checker with the TTL slack of {@code options}. */
  public TtlWindow(CheckOptions options) {
    this.slackNanos = TimeUnit.MILLISECONDS.toNanos(options.ttlSlackMillis());
  }

  @Override
  public String name() {
    return "ttl-window";
  }

  @Override
  public CheckResult check(List<Op> history) {
    List<Call> calls = Calls.pair(history);
    Map<String, List<Call>> ttlWrites =
        Calls.group(calls, c -> c.f().equals(Call.WRITE_TTL), Call::key);
    Map<String, List<Call>> byKey = Calls.group(calls, c -> ttlWrites.containsKey(c.key()),
        Call::key);
    List<String> violations = new ArrayList<>();
    long checked = 0;
    for (Map.Entry<String, List<Call>> entry : byKey.entrySet()) {
      List<Call> ops = entry.getValue();
      List<Call> writes = new ArrayList<>();
      List<Call> reads = new ArrayList<>();
      for (Call op : ops) {
        if (isRead(op)) {
          if (op.ok()) {
            reads.add(op);
          }
        } else if (!op.failed()) {
          writes.add(op);
        }
      }
      checked += ops.size();
      checkNotVisibleAfterExpiry(writes, reads, violations);
      checkNotGoneBeforeExpiry(writes, reads, violations);
    }
    return CheckResult.of(name(), checked, violations, 0, List.of());
  }

  private static boolean isRead(Call op) {
    return op.f().equals(Call.READ) || op.f().equals(Call.FINAL_READ);
  }

  private void checkNotVisibleAfterExpiry(
      List<Call> writes, List<Call> reads, List<String> violations) {
    for (Call read : reads) {
      String value = read.result();
      if (value == null) {
        continue;
      }
      Call latest = null;
      long visibleUntilNanos = Long.MIN_VALUE;
      for (Call write : writes) {
        if (!value.equals(write.argument())) {
          continue;
        }
        if (!write.ok() || !write.f().equals(Call.WRITE_TTL)) {
          visibleUntilNanos = Call.NEVER;
          break;
        }
        long until = saturatedAdd(write.completeNanos(), ttlNanos(write) + slackNanos);
        if (until > visibleUntilNanos) {
          visibleUntilNanos = until;
          latest = write;
        }
      }
      if (latest != null && visibleUntilNanos != Call.NEVER
          && read.invokeNanos() > visibleUntilNanos) {
        violations.add("expired value visible: " + read.describe() + " invoked "
            + Calls.millis(read.invokeNanos() - latest.completeNanos()) + " after the ok of "
            + latest.describe() + " (ttl " + latest.invoke().ttlMillis() + " ms + slack "
            + Calls.millis(slackNanos) + ")");
      }
    }
  }

  private void checkNotGoneBeforeExpiry(
      List<Call> writes, List<Call> reads, List<String> violations) {
    for (Call write : writes) {
      if (!write.ok() || !write.f().equals(Call.WRITE_TTL)) {
        continue;
      }
      long aliveUntilNanos = write.invokeNanos() + ttlNanos(write) - slackNanos;
      for (Call read : reads) {
        if (!read.f().equals(Call.READ)
            || read.invokeNanos() <= write.completeNanos()
            || read.completeNanos() >= aliveUntilNanos
            || Objects.equals(read.result(), write.argument())) {
          continue;
        }
        Call interfering = null;
        for (Call other : writes) {
          if (other != write && other.invokeNanos() <= read.completeNanos()
              && !other.precedes(write)) {
            interfering = other;
            break;
          }
        }
        if (interfering == null) {
          violations.add((read.result() == null ? "value gone before its TTL: " : "value replaced "
              + "before its TTL with no newer write: ") + read.describe() + " completed "
              + Calls.millis(read.completeNanos() - write.invokeNanos()) + " after the invoke of "
              + write.describe() + " (ttl " + write.invoke().ttlMillis() + " ms - slack "
              + Calls.millis(slackNanos) + ")");
        }
      }
    }
  }

  private static long ttlNanos(Call write) {
    return TimeUnit.MILLISECONDS.toNanos(write.invoke().ttlMillis());
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }
}
