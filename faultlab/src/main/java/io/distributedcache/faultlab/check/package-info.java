/**
 * Checkers over fault-lab histories ({@link io.distributedcache.faultlab.history.Op}): lost
 * acknowledged writes, per-key linearizability, session guarantees, counter exactness, the TTL
 * window and convergence after heal, each checking one guarantee of DESIGN.md sections 3 and 4.
 *
 * <p>All checkers are pure and sound: an operation with an unknown outcome may have happened at
 * any time after its invocation or never, equal timestamps are concurrent, and whatever a checker
 * cannot decide is reported as unknown rather than as a violation. {@link
 * io.distributedcache.faultlab.check.Checkers#all} lists them; {@link
 * io.distributedcache.faultlab.check.Table} formats results for the report.
 */
package io.distributedcache.faultlab.check;
