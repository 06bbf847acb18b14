package io.distributedcache.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The agenda pops actions by time, and actions due at the same time in the order scheduled. */
class EventQueueTest {

  @Test
  void popsByTimeThenBySchedulingOrder() {
    for (long seed = 1; seed <= 50; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      EventQueue queue = new EventQueue();
      List<long[]> expected = new ArrayList<>(); // {time, scheduling order}
      List<long[]> popped = new ArrayList<>();
      long order = 0;
      long now = 0;
      for (int step = 0; step < 3000; step++) {
        if (queue.isEmpty() || random.nextInt(3) > 0) {
          // Few distinct times, so that ties are common.
          long at = now + random.nextInt(20);
          long[] item = {at, order++};
          expected.add(item);
          queue.add(new EventQueue.Event(at, 0, item[1], () -> {}));
        } else {
          EventQueue.Event e = queue.poll();
          assertThat(e.at()).as("seed %d", seed).isGreaterThanOrEqualTo(now);
          now = e.at();
          popped.add(new long[] {e.at(), e.detail()});
        }
      }
      while (!queue.isEmpty()) {
        EventQueue.Event e = queue.poll();
        popped.add(new long[] {e.at(), e.detail()});
      }
      // Within each time, scheduling order; and every item exactly once.
      List<long[]> sortedPopped = new ArrayList<>(popped);
      sortedPopped.sort(Comparator.<long[]>comparingLong(a -> a[0]).thenComparingLong(a -> a[1]));
      assertThat(popped).as("seed %d", seed).containsExactlyElementsOf(sortedPopped);
      assertThat(popped).as("seed %d", seed).hasSameSizeAs(expected);
    }
  }
}
