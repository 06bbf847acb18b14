package io.distributedcache.simulator;

import java.util.Arrays;

/**
 * The simulator's agenda: a binary min-heap of actions ordered by (time, sequence number), so that
 * actions due at the same moment run in the order they were scheduled. Times and sequence numbers
 * live in primitive arrays beside the actions, so that sifting compares longs without touching the
 * action objects (at boot the heap holds a hundred thousand message deliveries).
 *
 * <p>Not thread-safe: the simulator's thread only.
 */
final class EventQueue {

  /** One scheduled action, with what goes into the trace digest. */
  record Event(long at, int kind, long detail, Runnable action) {}

  private long[] times = new long[1024];
  private long[] sequences = new long[1024];
  private Event[] events = new Event[1024];
  private int size;
  private long nextSequence;

  boolean isEmpty() {
    return size == 0;
  }

  /** The time of the next action; only when not empty. */
  long peekTime() {
    return times[0];
  }

  void add(Event event) {
    if (size == events.length) {
      times = Arrays.copyOf(times, size * 2);
      sequences = Arrays.copyOf(sequences, size * 2);
      events = Arrays.copyOf(events, size * 2);
    }
    long at = event.at();
    long seq = nextSequence++;
    int i = size++;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (times[parent] < at || (times[parent] == at && sequences[parent] < seq)) {
        break;
      }
      move(parent, i);
      i = parent;
    }
    times[i] = at;
    sequences[i] = seq;
    events[i] = event;
  }

  /** Removes and returns the next action; only when not empty. */
  Event poll() {
    Event first = events[0];
    int last = --size;
    long at = times[last];
    long seq = sequences[last];
    Event moving = events[last];
    events[last] = null;
    int i = 0;
    int half = last >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      int right = child + 1;
      if (right < last
          && (times[right] < times[child]
              || (times[right] == times[child] && sequences[right] < sequences[child]))) {
        child = right;
      }
      if (at < times[child] || (at == times[child] && seq < sequences[child])) {
        break;
      }
      move(child, i);
      i = child;
    }
    if (last > 0) {
      times[i] = at;
      sequences[i] = seq;
      events[i] = moving;
    }
    return first;
  }

  private void move(int from, int to) {
    times[to] = times[from];
    sequences[to] = sequences[from];
    events[to] = events[from];
  }
}
