package io.distributedcache.faultlab.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.distributedcache.faultlab.history.Op;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded random histories from a sequential register (and a sequential counter) under random
 * concurrency: every generated history is valid for every checker, and a stale read injected into
 * one is caught. Each case prints nothing unless it fails; its message carries the seed. Set
 * {@code -Dfaultlab.check.seed=N} to replay one seed.
 */
class RandomHistoryPropertyTest {

  private static final int CASES = 300;

  static LongStream seeds() {
    Long only = Long.getLong("faultlab.check.seed");
    return only != null ? LongStream.of(only) : LongStream.range(1, CASES + 1);
  }

  /** One generated operation with the moment it really took effect (or never: MAX_VALUE). */
  private static final class GenOp {
    int process;
    String f;
    String key;
    String argument;
    String result;
    Op.Type outcome;
    long invokeMillis;
    long completeMillis;
    long effectMillis;
  }

  /**
   * Register operations on a few keys by a few processes; each op takes effect at a random point
   * of its interval (unknown writes maybe much later or never; failed ones never), reads return
   * the register at that point.
   */
  private static List<GenOp> registerRun(Random random) {
    int processes = 2 + random.nextInt(4);
    int count = 10 + random.nextInt(50);
    int keys = 1 + random.nextInt(2);
    long[] freeAt = new long[processes];
    int[] processId = new int[processes];
    for (int p = 0; p < processes; p++) {
      processId[p] = p;
    }
    int nextProcess = processes;
    List<GenOp> ops = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int p = random.nextInt(processes);
      GenOp op = new GenOp();
      op.process = processId[p];
      op.key = "k" + random.nextInt(keys);
      op.invokeMillis = freeAt[p] + random.nextInt(6);
      op.completeMillis = op.invokeMillis + 1 + random.nextInt(25);
      freeAt[p] = op.completeMillis;
      // Effect times are in microseconds, strictly inside the interval; ties keep list order.
      long within = op.invokeMillis * 1000 + 1
          + random.nextInt((int) (op.completeMillis - op.invokeMillis) * 1000 - 1);
      op.effectMillis = within;
      op.outcome = Op.Type.OK;
      if (random.nextBoolean()) {
        op.f = Call.WRITE;
        op.argument = "v" + i;
        int fate = random.nextInt(20);
        if (fate == 0) {
          op.outcome = Op.Type.FAIL;
          op.effectMillis = Long.MAX_VALUE;
        } else if (fate <= 2) {
          op.outcome = Op.Type.INFO;
          op.effectMillis = fate == 1 ? Long.MAX_VALUE : within + random.nextInt(200_000);
          processId[p] = nextProcess++;
        }
      } else {
        op.f = Call.READ;
        if (random.nextInt(15) == 0) {
          op.outcome = Op.Type.INFO;
          processId[p] = nextProcess++;
        }
      }
      ops.add(op);
    }
    List<GenOp> byEffect = new ArrayList<>(ops);
    byEffect.sort(Comparator.comparingLong((GenOp o) -> o.effectMillis));
    java.util.Map<String, String> register = new java.util.HashMap<>();
    for (GenOp op : byEffect) {
      if (op.effectMillis == Long.MAX_VALUE) {
        break;
      }
      if (op.f.equals(Call.WRITE)) {
        register.put(op.key, op.argument);
      } else {
        op.result = register.get(op.key);
      }
    }
    return ops;
  }

  private static List<Op> toHistory(List<GenOp> ops) {
    HistoryBuilder h = new HistoryBuilder();
    for (GenOp op : ops) {
      String result = op.f.equals(Call.WRITE) ? op.argument : op.result;
      h.op(op.process, op.f, op.key, op.argument, 0, result, op.outcome, op.invokeMillis,
          op.completeMillis);
    }
    return h.build();
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void registerHistoriesFromASequentialRegisterPassEveryChecker(long seed) {
    List<Op> history = toHistory(registerRun(new Random(seed)));

    for (CheckResult result : Checkers.checkAll(history, CheckOptions.defaults())) {
      assertThat(result.valid()).as("seed %d: %s", seed, result).isTrue();
      assertThat(result.unknown()).as("seed %d: %s", seed, result).isZero();
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void injectedStaleReadIsFlagged(long seed) {
    Random random = new Random(seed);
    // A read R and acknowledged writes W1, W2 of its key with W1 before W2 before R in real time:
    // R returning W1's value is stale in every linearization. Generate until a run has one.
    List<GenOp> ops = List.of();
    List<GenOp[]> candidates = new ArrayList<>();
    for (int attempt = 0; attempt < 50 && candidates.isEmpty(); attempt++) {
      ops = registerRun(random);
      candidates = staleCandidates(ops);
    }
    assertThat(candidates).as("seed %d: no run with a possible stale read", seed).isNotEmpty();
    GenOp[] chosen = candidates.get(random.nextInt(candidates.size()));
    chosen[0].result = chosen[1].argument;

    CheckResult result = new Linearizability(CheckOptions.defaults()).check(toHistory(ops));

    assertThat(result.valid())
        .as("seed %d: read of %s at %d should be stale: %s", seed, chosen[1].argument,
            chosen[0].invokeMillis, result)
        .isFalse();
  }

  /** Pairs {read, w1} where read could be made stale by returning w1's value. */
  private static List<GenOp[]> staleCandidates(List<GenOp> ops) {
    List<GenOp[]> candidates = new ArrayList<>();
    for (GenOp read : ops) {
      if (!read.f.equals(Call.READ) || read.outcome != Op.Type.OK) {
        continue;
      }
      for (GenOp w1 : ops) {
        for (GenOp w2 : ops) {
          if (isAckedWrite(w1, read.key) && isAckedWrite(w2, read.key)
              && w1.completeMillis < w2.invokeMillis && w2.completeMillis < read.invokeMillis) {
            candidates.add(new GenOp[] {read, w1});
          }
        }
      }
    }
    return candidates;
  }

  private static boolean isAckedWrite(GenOp op, String key) {
    return op.f.equals(Call.WRITE) && op.outcome == Op.Type.OK && Objects.equals(op.key, key);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void counterHistoriesFromASequentialCounterPassCounterBounds(long seed) {
    Random random = new Random(seed);
    int processes = 2 + random.nextInt(4);
    int count = 5 + random.nextInt(60);
    boolean negativeDeltas = random.nextBoolean();
    long[] freeAt = new long[processes];
    int nextProcess = processes;
    int[] processId = new int[processes];
    for (int p = 0; p < processes; p++) {
      processId[p] = p;
    }
    List<GenOp> ops = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int p = random.nextInt(processes);
      GenOp op = new GenOp();
      op.process = processId[p];
      op.f = Call.INCR;
      op.key = "c";
      long delta = negativeDeltas ? random.nextInt(11) - 5 : 1 + random.nextInt(3);
      op.argument = Long.toString(delta);
      op.invokeMillis = freeAt[p] + random.nextInt(6);
      op.completeMillis = op.invokeMillis + 1 + random.nextInt(25);
      freeAt[p] = op.completeMillis;
      op.effectMillis = op.invokeMillis * 1000 + 1
          + random.nextInt((int) (op.completeMillis - op.invokeMillis) * 1000 - 1);
      op.outcome = Op.Type.OK;
      int fate = random.nextInt(10);
      if (fate == 0) {
        op.outcome = Op.Type.FAIL;
        op.effectMillis = Long.MAX_VALUE;
      } else if (fate == 1) {
        op.outcome = Op.Type.INFO;
        op.effectMillis = random.nextBoolean() ? Long.MAX_VALUE : op.effectMillis;
        processId[p] = nextProcess++;
      }
      ops.add(op);
    }
    List<GenOp> byEffect = new ArrayList<>(ops);
    byEffect.sort(Comparator.comparingLong((GenOp o) -> o.effectMillis));
    long counter = 0;
    for (GenOp op : byEffect) {
      if (op.effectMillis != Long.MAX_VALUE) {
        counter += Long.parseLong(op.argument);
        op.result = Long.toString(counter);
      }
    }
    HistoryBuilder h = new HistoryBuilder();
    for (GenOp op : ops) {
      h.op(op.process, op.f, op.key, op.argument, 0, op.result, op.outcome, op.invokeMillis,
          op.completeMillis);
    }
    long end = ops.stream().mapToLong(o -> o.completeMillis).max().orElse(0) + 10;
    String finalValue = counter == 0 && random.nextBoolean() ? null : Long.toString(counter);
    h.finalRead(1000, "n1", "c", finalValue, end, end + 1);
    h.finalRead(1001, "n2", "c", finalValue, end, end + 1);

    CheckResult result = new CounterBounds().check(h.build());

    assertThat(result.valid()).as("seed %d: %s", seed, result).isTrue();

    // Dropping one acknowledged increment from the final value is caught when it moved the count.
    long acked = ops.stream().filter(o -> o.outcome == Op.Type.OK)
        .mapToLong(o -> Long.parseLong(o.argument)).filter(d -> d != 0).findFirst().orElse(0);
    if (acked != 0 && !negativeDeltas && ops.stream().noneMatch(o -> o.outcome == Op.Type.INFO)) {
      HistoryBuilder lost = new HistoryBuilder();
      for (GenOp op : ops) {
        lost.op(op.process, op.f, op.key, op.argument, 0, op.result, op.outcome, op.invokeMillis,
            op.completeMillis);
      }
      lost.finalRead(1000, "n1", "c", Long.toString(counter - acked), end, end + 1);
      assertThat(new CounterBounds().check(lost.build()).valid()).as("seed %d", seed).isFalse();
    }
  }
}
