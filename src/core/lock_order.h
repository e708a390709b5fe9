/* The lock order of the whole server.  This header has no code: every
 * mutex in src/ names its level here, next to its declaration, and new
 * locks get a level here before they are used.
 *
 * The rule: a thread holding a lock of level N takes only locks of a level
 * greater than N, and never two locks of the same level at once (two
 * owners' sequence mutexes, two sessions, two connections).  A lock whose
 * level has nothing above it that the code takes is a leaf: nothing but
 * the log may be called while it is held.
 *
 * Levels, outermost first:
 *
 *   0. cmd: ferryd's reload lock (reload_lock in ferryd.c), held while an
 *      exports reload (SIGHUP, the control plane, or a change of the
 *      cluster's configuration) applies it; it takes no other lock but 0a
 *      and those of the back ends (6) of the exports it opens.
 *  0a. rpc: the server's RPCSEC_GSS set-up lock (struct
 *      rpc_server.gss_lock), held while the acceptor is made from the
 *      keytab, once per server; taken under 0 (a reload that gives an
 *      export a krb5 flavour) or with nothing held.  A leaf.
 *  0b. cmd: the wake-up lock of ferryd's thread that applies the cluster's
 *      configuration (struct cluster_conf.lock in ferryd.c); a leaf.
 *   1. state: an owner's sequence mutex (struct state_owner.seq_lock),
 *      state_seq_begin .. state_seq_end.  Held across one seqid-ordered
 *      operation, back-end calls and disk writes included, so that a
 *      retransmission waits for the original and then gets its reply
 *      (v4.0 only: v4.1's owners have no seqids to order).
 *   2. state: the stable-records lock (struct state_server.records_lock),
 *      held across the I/O of one client record: a file write and fsync,
 *      or with [cluster] a RADOS round trip (which times out after 30 s,
 *      state/base/state_record_rados.c).
 *  2a. nfs4: the lock of what the server keeps per delegated directory
 *      (struct nfs4_dirdeleg_children.lock, nfs4/deleg/dir_children.c):
 *      the index of their entries and their lifecycle.  Taken with
 *      nothing held, or under 1 (an operation that changes a directory);
 *      under it a directory is read from the back end (6) when it is
 *      indexed, so that no change slips between the listing and the index,
 *      the state lock (3) is taken to learn whether a directory is still
 *      delegated, and the back end's watch is dropped (6), so that a grant
 *      cannot cross the end of the directory's last delegation.
 *  2b. nfs4: the write-hold drain lock (struct nfs4_server.write_holds_lock,
      nfs4/write_holds.c), held while the state module's queued write holds
      are taken (3) and handed to the back ends (6d), so that they arrive
      in order.  Taken with nothing held or under 1.
 *  2c. nfs4: a file's lease lock, one of a striped array keyed by a hash
 *      of the file key (struct nfs4_server.deleg_lease_locks,
 *      nfs4/deleg/callbacks.c), held while a new delegation's lease is taken or
 *      found, and while a lease drop asks the state lock (3) whether the
 *      file is delegated again and, if not, drops the lease in the back
 *      end (6, and 6d when a lease is taken), so that a drop decided
 *      before a newer grant cannot remove the lease that grant relies on.
 *      Taken with nothing held or under 1 (an OPEN); never two stripes
 *      at once.  Only new delegations and lease drops take it.
 *  2d. state: the cluster's grace-object lock (struct state_cluster.io_lock,
 *      state/base/state_cluster.c), held across one RADOS round trip on the
 *      grace object (30 s at most); under it the state lock (3) is taken
 *      to read this head's own grace.  Taken with nothing held.  The
 *      cluster thread's wake-up lock (struct state_cluster.lock) is a
 *      leaf.
 *  2e. state: the lock of the cluster's configuration object (struct
 *      state_cluster_config.lock, state/base/state_cluster_config.c), held
 *      across one RADOS round trip on it (30 s at most); a leaf.
   3. state: the state lock (struct state_server.lock): the client, owner,
 *      stateid and file tables, all open/lock state and delegations
 *      (with the callbacks and lease drops they queue for the NFSv4 layer,
 *      which acts on them after releasing it).
 *   4. state: the session table lock (struct state_server.sess_lock): the
 *      session hash table and the reply-cache budget.  Taken with 3 held
 *      (a new or destroyed session) or alone (SEQUENCE's lookup).
 *   5. state: a session's lock (struct state_session.lock): its slot table,
 *      bound connections and back-channel fields.  Taken with 3 and/or 4
 *      held, or alone.  It takes only 5a: it may reference, release and
 *      ask about connections (rpc_conn_ref, rpc_conn_unref,
 *      rpc_conn_is_closed, rpc_conn_hold_back), which are atomic and take
 *      no rpc lock.
 *  5a. state: the connection index lock (struct state_server.conn_index_lock,
 *      state/clients/session_conn.c): which sessions each connection is bound to.
 *      Taken under a session's lock when a binding comes or goes, or alone
 *      when a connection closes; a leaf.
 *   6. back end: one export's lock: the local back end's cache of open
 *      objects (struct local_export.lock), which also guards its kernel
 *      leases (local_lease.c: F_SETLEASE and F_GETLEASE, which never block,
 *      are made under it, and so is fanotify_mark for the watch on a
 *      leased file, local_watch.c, and for the watch on a delegated
 *      directory, local_dirwatch.c, whose list of watched directories it
 *      guards too), or the memory back end's tree
 *      (struct mem_export.lock).  Taken by op handlers with at most level 1
 *      held: the state module never calls the back end with 2..5 held.
 *  6a. back end: the local back end's directory listing snapshots (struct
 *      local_snaps.lock, backend/local/local_dirsnap.c).  A leaf: taken with
 *      nothing held or under 5b, and only memory is managed under it.
 *  6b. back end: the local back end's attribute cache's drain lock
 *      (struct local_attrcache.drain, backend/local/local_attrcache.c), held by
 *      whoever reads the cache's fanotify group until it has applied what
 *      it read.  Taken with nothing held; it takes 6c only.
 *  6c. back end: the attribute cache's table (struct local_attrcache.lock).
 *      A leaf: taken with nothing held or under 6b; only memory is
 *      managed under it.
 *  6d. back end: the local back end's descriptors kept for writing (struct
      local_export.wkeep_lock, backend/local/local_wkeep.c).  A leaf: taken with
      nothing held, under 2b (a write hold) or under 2c (a lease taken
      drops the descriptor kept for writing);
      descriptors are closed after it is released.
 *  6e. back end: the ceph back end's directory watches (struct
 *      cephfs_dirwatch.lock, backend/ceph/ceph_dirwatch.c): the watched
 *      directories and what ferryd's own operations in them account for.
 *      A leaf: taken with nothing held or by a back-end operation under 1
 *      or 2a; no libcephfs call is made under it and its reports are
 *      made after it is released.
 *  6f. back end: the ceph back end's byte-range locks
 *      (backend/ceph/ceph_locks.c): the table's lock (struct
 *      cephfs_locks.lock: the inodes with NFS clients' locks and their
 *      users) or one inode's (struct cephfs_lockfile.lock: its Fh and
 *      owners), never both.  An inode's is held across the libcephfs
 *      open, ceph_ll_setlk / ceph_ll_getlk (never sleeping) and close, so
 *      an owner's lock and unlock reach the MDS in the order decided; no
 *      libcephfs call is made under the table's.
 *      Taken by LOCK, LOCKT and LOCKU with at most 1 held (never 3: the
 *      state table is asked before and after, not around it), or with
 *      nothing held by the released notices of state_lock_notify_flush
 *      and an upgrade's hand-over of the locks; a leaf.
 *  6g. back end: the ceph back end's delegations being revoked (struct
 *      cephfs_revokes.lock, backend/ceph/ceph_revokes.c).  A leaf: taken
 *      inside libcephfs's client lock (a recall function), under the read
 *      cache's lock (its recall function) or with nothing held; no
 *      libcephfs call is made under it.
   7. rpc: a connection's lock (struct rpc_conn.lock): its output queue,
 *      epoll interest and pending outgoing calls.
 *   8. rpc: an event loop's message queue lock (struct rpc_loop.msg_lock).
 *   9. core: a thread pool's queue lock (struct threadpool.workers.lock,
 *      a struct workers of core/workers.h like the nfs4 levels 9a, 9b,
 *      9d and 9e).
 *  9a. callback: the callback engine's lock (struct cb_engine.workers.lock,
 *      callback/callback_internal.h): its queues, items and counters.  A leaf:
 *      taken with nothing held and nothing taken under it; state and rpc
 *      are called, and done() run, only after it is released.
 *  9b. nfs4: the parked-GETATTR registry's lock (struct nfs4_ga_waits.workers.lock,
 *      nfs4/deleg/getattr_wait.c): waiters on CB_GETATTR answers and their
 *      deadlines.  A leaf: taken with nothing held; parked requests are
 *      resumed (rpc_park_resume, which takes 9) after it is released.
 *  9c. rpc: a duplicate request cache's lock (struct rpc_drc.lock,
 *      rpc/drc.c; NFSv4.0's and NFSv3's): its table of calls and the list of
 *      kept replies.  A leaf: taken with nothing held; it only frees
 *      buffers under it.
 *  9d. nfs4: the CB_NOTIFY sender's lock (struct nfs4_dirdeleg_notifier.workers.lock,
 *      nfs4/deleg/dir_notify.c): its wake-up flags.  A leaf: taken with
 *      nothing held; the batches are taken from the state and queued
 *      after it is released.
 *  9e. nfs4: the copy engine's lock (struct nfs4_copy_engine.workers.lock,
 *      nfs4/copy/offload.c): asynchronous copies' states, its run queue and
 *      counters.  A leaf: taken with nothing held; the back end, the state
 *      module and the callback engine are called after it is released.
 *  9g. export: the committer's lock (struct export_durable.workers.lock,
 *      export/durable.c; NFSv4's and NFSv3's): the queue of requests waiting for their
 *      changes to be made stable.  A leaf: taken with nothing held; the
 *      back ends flush and parked requests are resumed (rpc_park_resume,
 *      which takes 9) after it is released.
 *  9i. nlm: the NLM sender's lock (struct nlm_service.lock,
 *      nlm/sender.c): its queue of calls to clients' lock managers.  A
 *      leaf: taken with nothing held, or by the state module's grant hook
 *      (which runs with no state lock held); calls are made after it is
 *      released.
 *  9h. mount: the mount list's lock (struct mount_server.lock,
 *      mount/mount.c): who mounted what.  A leaf: taken with nothing held
 *      by MNT, UMNT, UMNTALL, DUMP and the control plane's listing; only
 *      memory is managed under it.
 *  9f. core: a pipe pool's lock (struct pipe_pool.lock, core/pipe_pool.c):
 *      its idle pipes and counts.  A leaf: taken with nothing held or under
 *      7 (a reply's pipe given back as its bytes are sent); pipes are made
 *      and closed after it is released.
 *  10. rpc: the server's connection registry lock (struct
 *      rpc_server.conns_lock): the list of open connections the control
 *      plane reads; taken when a connection opens or closes and when the
 *      list is read, with no rpc lock held; a leaf but for logging.
 * 10a. rpc: the RPCSEC_GSS context table's lock (struct
 *      rpc_gss_server.lock, rpc/gss/gss_server.c): its slots and
 *      generations.  Taken with nothing held, by the control plane's
 *      listing and an upgrade's save of the contexts with 10b under it,
 *      or under a session's lock (state: is
 *      the context a client gave for its back channel still there?); no
 *      GSS-API call under it.
 * 10b. rpc: an RPCSEC_GSS context's lock (struct gss_ctx.lock): its
 *      GSS-API state (the mechanism's sequence counters) and sequence
 *      window.  GSS-API calls (checksums, encryption) run under it; a leaf.
 *  11. nfs4: the per-op counters' registry lock (op_stats.c blocks_lock),
 *      taken only when a thread first counts an op, when it exits and when
 *      the counters are read; a leaf but for logging.  nfs3's (struct
 *      nfs3_server.stats_lock, nfs3/stats.c) is at the same level, never
 *      held with it: taken when a thread first counts a call and when the
 *      counters are read; a leaf.
 * 11a. export: the client-name cache's lock (name_cache.lock,
 *      export/export.c): clients' names found by reverse lookup for
 *      exports(5) wildcards.  A leaf, taken at any level: only memory is
 *      touched under it, the lookups are made after it is released.
 *  12. core: the log's rate-limit lock (log_ratelimited); a leaf, so code
 *      at any level may log.
 *
 * What keeps the order from being broken across layers:
 *   - Levels 3, 4 and 5 are held only for in-memory work: no back-end
 *     call, no file or network I/O, no sleeping.
 *   - The rpc layer calls upward (a program's conn_closed hook, the
 *     completion of an outgoing call, dispatch) with none of its locks
 *     held, so nfs4 and state code never runs under 7, 8 or 9.
 *   - Locks 7, 8 and 9 are not nested with each other today: a
 *     connection's lock is released before a message is posted to its
 *     loop or a request to the pool.  The levels say which way round a
 *     future nesting must go. */
#ifndef FERRY_CORE_LOCK_ORDER_H
#define FERRY_CORE_LOCK_ORDER_H
#endif
