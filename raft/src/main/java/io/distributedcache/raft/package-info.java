/**
 * Raft consensus (Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm",
 * 2014) as a pure, single-threaded state machine in the manner of etcd's raft: {@link
 * io.distributedcache.raft.RaftNode} takes ticks, peer messages and proposals and emits {@link
 * io.distributedcache.raft.Ready} batches; the application does all disk and network I/O.
 */
package io.distributedcache.raft;
