package io.distributedcache.core.cluster;

import java.util.List;

/**
 * What {@link ClusterNode#verify} found: for the layout in force, per slot, whether every member
 * that should hold a copy holds the same entries and no other member holds any (DESIGN.md section
 * 8, seed bug 2).
 *
 * <p>Copies are compared by digest (keys and versions, tombstones included), so a write still
 * travelling to its replicas, or a TTL that ran out on one copy a moment before another, shows up
 * as a difference until it settles; a caller that wants a verdict on a quiet cluster repeats the
 * check.
 *
 * @param epoch the epoch of the layout checked
 * @param members members asked (this node included)
 * @param unreachable members that did not answer in time; their copies were not checked
 * @param slotsChecked slots compared
 * @param missing copies that are empty where another copy of the same slot is not
 * @param stale slots whose non-empty copies differ
 * @param misplaced members holding entries of a slot they hold no copy of, counted per (member,
 *     slot)
 * @param problems the first problems found, one line each, for people
 */
public record VerifyReport(
    long epoch,
    int members,
    List<String> unreachable,
    int slotsChecked,
    int missing,
    int stale,
    int misplaced,
    List<String> problems) {

  /** Copies the lists. */
  public VerifyReport {
    unreachable = List.copyOf(unreachable);
    problems = List.copyOf(problems);
  }

  /** Whether every copy could be checked and none is missing, stale or misplaced. */
  public boolean healthy() {
    return unreachable.isEmpty() && missing == 0 && stale == 0 && misplaced == 0;
  }
}
