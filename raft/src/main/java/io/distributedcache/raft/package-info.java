/**
 * Raft consensus (Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm",
 * 2014) as a pure, single-threaded state machine in the manner of etcd's raft: {@link
 * io.distributedcache.raft.RaftNode} takes ticks, peer messages and proposals and emits {@link
 * io.distributedcache.raft.Ready} batches; the application does all disk and network I/O, for the
 * disk through a {@link io.distributedcache.raft.RaftStorage} such as {@link
 * io.distributedcache.raft.FileRaftStorage}, the one class here that touches files, and for the
 * network with the bytes of {@link io.distributedcache.raft.RaftMessageCodec}.
 */
package io.distributedcache.raft;
