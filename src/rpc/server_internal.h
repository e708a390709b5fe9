/* Internal structures shared by the RPC server's files. */
#ifndef FERRY_RPC_SERVER_INTERNAL_H
#define FERRY_RPC_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/uio.h>

#include "core/hashtable.h"
#include "core/list.h"
#include "core/pipe_pool.h"
#include "core/siphash.h"
#include "core/threadpool.h"
#include "rpc/server.h"
#include "rpc/tls/tls.h"

enum rpc_pollable_kind { POLL_CONN, POLL_LISTENER, POLL_WAKE, POLL_TICK };

enum rpc_conn_tls_state {
	RPC_CONN_TLS_NONE = 0,
	RPC_CONN_TLS_STARTING,
	RPC_CONN_TLS_HANDSHAKE,
	RPC_CONN_TLS_UP,
};

/* CALL records a connection keeps aside while its backlog is full. */
enum { RPC_ASIDE_MAX = 16 };

/* First member of everything registered with epoll. */
struct rpc_pollable {
	enum rpc_pollable_kind kind;
	int fd;
};

/* Messages posted to a loop for a connection (bit flags). */
enum {
	CONN_MSG_ADOPT = 1u << 0,  /* start serving this connection */
	CONN_MSG_RESUME = 1u << 1, /* in-flight or output pressure went down */
	CONN_MSG_CLOSE = 1u << 2,  /* close it (write error, rpc_conn_close) */
	CONN_MSG_READ = 1u << 3,   /* read again: TLS holds bytes epoll cannot see */
};

struct rpc_pending_call {
	struct rpc_pending_call *next;
	uint32_t xid;
	uint64_t deadline_ms;
	rpc_call_done_fn done;
	void *arg;
	/* Made under RPCSEC_GSS (owned): the reply is checked and its
	 * results made plain before done sees them. */
	struct rpc_gss_cb *gss;
	uint32_t gss_seq;
};

struct rpc_loop;

/* A piece of a record queued for writing: len bytes of b from off, or
 * the len bytes a pipe holds (b NULL): file data spliced into it, which
 * go to the socket the same way, never through our memory; or len bytes
 * of a mapping of a file's pages from off (map): copied into the socket
 * by the kernel, which turns a page the file lost meanwhile into EFAULT. */
struct rpc_out_seg {
	struct buf *b; /* referenced */
	size_t off, len;
	struct pooled_pipe *pipe; /* owned; back to the pool once written */
	struct rpc_mapped map;    /* owned; unmapped once written */
};

/* A piece of len bytes of b from off (the reference is the piece's). */
static inline struct rpc_out_seg rpc_out_buf(struct buf *b, size_t off, size_t len)
{
	return (struct rpc_out_seg){.b = b, .off = off, .len = len};
}

/* mapped.c: unmaps m (base NULL: nothing), and copies len bytes of it
 * from byte from (counted from base) to dst through the kernel, zeros
 * where the file no longer has pages. */
void rpc_mapped_release(struct rpc_mapped *m);
void rpc_mapped_copy(const struct rpc_mapped *m, size_t from, uint8_t *dst, size_t len);

/* Lets go of a queued piece: its buffer reference, its pipe (closed when
 * bytes are left in it) or its mapping. */
void rpc_out_seg_release(struct rpc_server *srv, struct rpc_out_seg *sg);

struct rpc_conn {
	struct rpc_pollable poll; /* fd lives here */
	atomic_uint refs;
	struct rpc_server *srv;
	struct rpc_loop *loop;

	/* Owned by the loop thread. */
	struct list_node loop_link; /* the loop's conns, then its graveyard */
	struct rpc_record_reader reader;
	uint64_t last_activity_ms;
	bool adopted;
	atomic_bool read_paused;
	/* The peer shut down its sending side: serve what was received,
	 * write every reply, then close. */
	atomic_bool peer_eof;

	/* Under loop->msg_lock. */
	struct rpc_conn *msg_next;
	unsigned msg_flags;

	atomic_uint inflight; /* requests being served */
	/* Bytes of its requests in flight (their records and the replies they
	 * reserved); its queued output is outq_bytes.  Both count against
	 * its memory budget (budget.c). */
	atomic_size_t charged;
	/* The largest reply reserved on it so far: the room the loop leaves
	 * before it reads another request (rpc_conn_within_budget_locked). */
	atomic_size_t reserve_high;
	/* Requests parked until the connection drains below its budget
	 * (rpc_request_wait_memory), in order; under lock.  mem_waiting is
	 * their number, read without the lock to skip it when zero. */
	struct rpc_mem_waiter *mem_waiters, *mem_waiters_tail;
	atomic_uint mem_waiting;
	/* Sessions that use it as a back channel (rpc_conn_hold_back): never
	 * closed for idleness while any does. */
	atomic_uint back_holds;
	/* Dialled out (rpc_server_connect) and not connected yet: nothing is
	 * written or read until the connect completes. */
	atomic_bool connecting;

	/* Owned by the loop thread: CALLs read while the request backlog was
	 * full, kept (in order) so that REPLYs behind them are read; served
	 * before any new record once there is room. */
	struct rpc_record aside[RPC_ASIDE_MAX];
	unsigned aside_head, naside;

	/* Under lock: the output queue, epoll interest, pending calls.
	 * lock order: see core/lock_order.h, level 7. */
	pthread_mutex_t lock;
	/* Set once, under lock; read without it by rpc_conn_is_closed, so a
	 * caller holding its own lock (a session's) never takes this one. */
	atomic_bool closed;
	bool batching;  /* the loop is running a batch: hold replies for one write */
	bool reading;   /* EPOLLIN is in the interest set */
	bool writing;   /* EPOLLOUT is in the interest set */
	struct rpc_out_seg *outq; /* ring of queued record pieces */
	unsigned outq_cap, outq_head, outq_count;
	size_t outq_head_off; /* bytes of the head piece already written */
	size_t outq_bytes;
	uint64_t out_progress_ms; /* last write of queued bytes (or queue start) */
	struct rpc_pending_call *calls;

	/* RPC-with-TLS (rpc/tls/tls.h).  tls_state moves NONE -> STARTING
	 * (the STARTTLS reply is queued; no record is read after the probe)
	 * -> HANDSHAKE -> UP, or the connection closes.  Set by the loop
	 * thread; the session is used under lock once the handshake began.
	 * xprtsec is what calls on it are stamped with (enum rpc_xprtsec). */
	_Atomic uint8_t tls_state;
	_Atomic uint8_t xprtsec;
	struct rpc_tls_session *tls;
	bool tls_want_write;  /* the handshake waits for EPOLLOUT */
	bool tls_ktls_send;   /* writes go to the socket as in plain text */
	bool tls_ktls_recv;   /* the kernel decrypts: a payload may be spliced in */
	uint64_t tls_deadline_ms; /* the handshake must be done by then */
	struct rpc_tls_info *tls_info; /* once UP: what ctl shows */

	struct sockaddr_storage peer;
	char peer_str[64];
	bool peer_on_host; /* rpc_addr_same_host: its packets never leave the host */
	int listener; /* index of the accepting listener; -1 if adopted */
	bool dialled; /* rpc_server_connect's: never handed to another process */

	/* The server's list of open connections (under srv->conns_lock). */
	struct list_node all_link;
	bool tracked;
	bool addr_counted; /* counted in srv->conns_by_addr */
	uint64_t opened_ms;
};

struct rpc_loop {
	struct rpc_server *srv;
	unsigned index;
	pthread_t thread;
	int epfd;
	struct rpc_pollable wake; /* eventfd */
	struct rpc_pollable tick; /* timerfd */
	/* When the loop last served its tick (clock_ms): a loop that has
	 * not for long is stuck (rpc_server_loops_stuck). */
	_Atomic uint64_t last_tick_ms;
	struct list_node conns;     /* adopted connections (rpc_conn.loop_link) */
	struct list_node graveyard; /* closed in this batch, released after it */
	unsigned nconns;
	/* Bytes its connections count against the server's memory budget:
	 * per loop, so the loops do not share one hot counter. */
	atomic_size_t mem;
	bool draining;            /* stop reading requests */
	bool exiting;             /* flush and leave */
	/* rpc_server_handover_freeze: draining, except that a connection in
	 * the middle of a record that cannot be handed reads on; settled
	 * once nothing is under way (published for the freezing thread);
	 * frozen once its connections are out of epoll and listed in snap. */
	bool handover, frozen;
	atomic_bool handover_settled, frozen_done;
	struct rpc_handover_conn *snap;
	size_t nsnap;
	unsigned closed_tls, closed_dialled;
	bool snap_failed; /* out of memory listing them */

	pthread_mutex_t msg_lock; /* lock order: see core/lock_order.h, level 8 */
	struct rpc_conn *msg_head, *msg_tail;
	unsigned loop_msgs; /* LOOP_MSG_* */
};

enum {
	LOOP_MSG_DRAIN = 1u << 0,
	LOOP_MSG_EXIT = 1u << 1,
	LOOP_MSG_HANDOVER = 1u << 2, /* enter handover draining, or look again */
	LOOP_MSG_FREEZE = 1u << 3,
	LOOP_MSG_THAW = 1u << 4,
};

struct rpc_listener {
	struct rpc_pollable poll;
	unsigned index; /* order of rpc_server_listen calls */
	bool paused; /* out of file descriptors: retried at the next tick */
};

enum { RPC_MAX_PROGRAMS = 8, RPC_MAX_LISTENERS = 16 };
_Static_assert((int)RPC_MAX_LISTENERS <= (int)RPC_HANDOVER_LISTENERS_MAX, "every listener can be handed over");

struct rpc_server {
	struct rpc_server_options opts;
	struct rpc_program programs[RPC_MAX_PROGRAMS];
	unsigned nprograms;
	struct rpc_listener listeners[RPC_MAX_LISTENERS];
	/* Grows at run time too (rpc_server_listen_more, under listen_lock):
	 * a listener is whole before the count takes it in. */
	_Atomic unsigned nlisteners;
	pthread_mutex_t listen_lock; /* lock order: a leaf */
	/* Listening sockets not accepted from yet (rpc_server_hold), under
	 * listen_lock: a failed head's addresses while its take-over waits. */
	struct {
		char hostport[64];
		char holder[64];
		int fd;
	} held[RPC_MAX_LISTENERS];
	unsigned nheld;
	struct rpc_loop *loops;
	unsigned nloops;
	atomic_uint next_loop;
	struct threadpool *pool;
	/* Calls that wait on another server (RPC_DISPATCH_DEFER_REMOTE),
	 * started by the first of them (dispatch.c, remote_pool); NULL until
	 * then, or for good when there is none (opts.remote_workers 0, or
	 * remote_pool_failed: its threads could not start), and they go to
	 * pool. */
	_Atomic(struct threadpool *) remote_pool;
	atomic_bool remote_pool_failed;
	struct pipe_pool *pipes; /* NULL when splice_pipes is 0 */
	/* The kernel refused opts.local_congestion once (said then). */
	atomic_bool local_congestion_refused;
	/* NULL: RPCSEC_GSS not served.  Set once, maybe while the server
	 * runs (an export gained a krb5 flavour by a reload): read it with
	 * rpc_server_gss. */
	_Atomic(struct rpc_gss_server *) gss;
	/* RPC-with-TLS: the context new handshakes use (NULL: no STARTTLS),
	 * replaced whole by a reload under tls_lock; a connection's session
	 * keeps the context it began with.  lock order: a leaf. */
	struct rpc_tls_ctx *tls_ctx;
	pthread_mutex_t tls_lock;
	unsigned tls_handshake_ms;
	atomic_uint_fast64_t st_tls_handshakes, st_tls_probes, st_tls_refused_probes;
	atomic_uint_fast64_t st_tls_failures[RPC_TLS_FAIL_KINDS];
	pthread_mutex_t gss_lock; /* makes it once; lock order: core/lock_order.h, level 0a */
	bool started;
	atomic_bool stopping; /* rpc_server_stop began: no new dial */
	/* rpc_server_handover_done: the sockets are another process's too;
	 * closing ours must not shut them down. */
	atomic_bool handed_over;

	atomic_uint inflight; /* requests being served, all connections */
	atomic_uint xid_next;

	atomic_uint_fast64_t st_accepted, st_open, st_calls, st_replies, st_bad_records;
	atomic_uint_fast64_t st_spliced_reply_bytes, st_mapped_reply_bytes;
	/* rpc_server_set_gate: while gate(gate_arg) is false no call is
	 * served and no reply leaves (st_gate_drops counts them). */
	bool (*gate)(void *arg);
	void *gate_arg;
	atomic_uint_fast64_t st_gate_drops;
	/* Open connections, for the control plane (rpc_server_list_conns).
	 * lock order: see core/lock_order.h, level 10. */
	pthread_mutex_t conns_lock;
	struct list_node all_conns; /* rpc_conn.all_link, the newest first */
	_Atomic uint64_t conns_changed; /* counts each change to all_conns */
	/* Under conns_lock too: the connections in that list, and how many
	 * of them come from each client address (conn_limit.c). */
	unsigned conns_tracked;
	struct hashtable conns_by_addr;
	struct siphash_key addr_hash_key;
	atomic_uint_fast64_t st_refused_total, st_refused_per_client;
	atomic_bool refused_total_logged, refused_addr_logged;

	/* The memory budget (budget.c): the highest total seen since memory
	 * was last given back, and the refusals. */
	atomic_size_t mem_high;
	/* Since when the memory has been drained after a burst (loop 0's
	 * tick only; 0: it is not). */
	uint64_t mem_low_since_ms;
	atomic_uint_fast64_t st_mem_refused, st_mem_trims, st_mem_waits;
	atomic_bool mem_warned;
	struct threadpool_task trim_task; /* malloc_trim on a worker, one at a time */
	atomic_bool trim_pending;

	/* Errors are rare: one shared counter each costs the good path nothing. */
	atomic_uint_fast64_t st_errors[RPC_ERR_KINDS];
	atomic_uint_fast64_t st_splice_in_bytes, st_splice_in_fallbacks;
	/* Counted by loops only, each hand-off already a lock and a wake-up. */
	atomic_uint_fast64_t st_worker_handoffs;
	atomic_uint_fast64_t st_remote_handoffs;
};

/* Counts a call answered with an error (dispatch.c). */
static inline void rpc_server_count_error(struct rpc_server *srv, enum rpc_error_kind k)
{
	atomic_fetch_add_explicit(&srv->st_errors[k], 1, memory_order_relaxed);
}

/* budget.c: counting memory against the budgets (a connection no loop
 * serves, which only in-process tests make, counts nothing). */
size_t rpc_server_memory(struct rpc_server *srv);
/* Bytes a request holds (its record, a reserved reply), and the release
 * of all it held. */
void rpc_request_charge(struct rpc_request *req, size_t n);
void rpc_request_uncharge_all(struct rpc_request *req);
/* Queued output: added when queued, taken off when written or dropped. */
void rpc_conn_charge_output(struct rpc_conn *conn, size_t n);
void rpc_conn_uncharge_output(struct rpc_conn *conn, size_t n);
/* Whether the connection holds less than its budget (reading goes on);
 * with conn->lock held. */
bool rpc_conn_within_budget_locked(struct rpc_conn *conn);
/* Resumes the requests waiting for the connection's memory when it holds
 * less than its budget, or has closed; with conn->lock held. */
void rpc_conn_wake_memory_waiters_locked(struct rpc_conn *conn);
/* Called on each tick of loop 0: after a burst, once the memory it took is
 * no longer counted, gives the allocator's free pages back to the system. */
void rpc_server_trim_after_burst(struct rpc_server *srv);

/* The allocator's thresholds for large buffers (process-wide; once, as
 * the server starts). */
enum {
	RPC_MALLOC_MMAP_THRESHOLD = 4 << 20,
	RPC_MALLOC_TRIM_THRESHOLD = 16 << 20,
};
void rpc_server_tune_malloc(void);

/* conn_limit.c: connections open in all and per client address. */
int rpc_conn_limits_init(struct rpc_server *srv);
void rpc_conn_limits_fini(struct rpc_server *srv);
/* Counts a connection in and out (rpc_conn_track, rpc_conn_untrack), with
 * conns_lock held. */
void rpc_conn_limits_add_locked(struct rpc_conn *conn);
void rpc_conn_limits_remove_locked(struct rpc_conn *conn);
/* Whether a connection just accepted from peer may stay: false past
 * max_connections or max_connections_per_client (counted, logged once). */
bool rpc_conn_limits_admit(struct rpc_server *srv, const struct sockaddr_storage *peer,
			   const char *peer_str);

/* conn.c */
/* Adds a new connection to the server's list and counts it open; takes
 * it off and counts it closed.  The list holds no reference. */
void rpc_conn_track(struct rpc_conn *conn);
void rpc_conn_untrack(struct rpc_conn *conn);
/* Memory counted against the budgets for a parked request (by
 * rpc_conn_wake_memory_waiters_locked, in its turn): the request takes it
 * as its reservation when it runs again. */
void rpc_park_grant_memory(struct rpc_park *p, size_t bytes);

struct rpc_conn *rpc_conn_new(struct rpc_server *srv, int fd, const struct sockaddr *peer,
			      socklen_t peerlen);
/* Queues a complete record (record mark included) for writing; takes the
 * caller's reference on b.  Safe from any thread. */
void rpc_conn_send(struct rpc_conn *conn, struct buf *b);
/* The same for a record in n pieces, queued together so nothing comes
 * between them; takes the references of every piece. */
void rpc_conn_send_segs(struct rpc_conn *conn, struct rpc_out_seg *segs, unsigned n);
/* Writes as much of the queue as the socket takes; with conn->lock held.
 * Returns false when the socket failed. */
bool rpc_conn_flush_locked(struct rpc_conn *conn);
/* Sets the epoll interest from conn->reading and the queue; with lock held. */
void rpc_conn_update_events_locked(struct rpc_conn *conn);
/* Completes pending calls: all of them (close) or the expired ones. */
void rpc_conn_fail_calls(struct rpc_conn *conn, int err, uint64_t now_ms, bool only_expired);
/* Routes a REPLY record to its pending call. */
void rpc_conn_handle_reply(struct rpc_conn *conn, uint32_t xid, struct xdr_dec *d);

/* loop.c */
void rpc_loop_post(struct rpc_loop *loop, struct rpc_conn *conn, unsigned flags);
void rpc_loop_post_loop(struct rpc_loop *loop, unsigned flags);
void *rpc_loop_main(void *arg);
/* Takes the messages still queued and closes the connections left: at the
 * loop's end, and again once the workers are gone, for what requests that
 * outlived the loop posted (the loop's thread has ended by then). */
void rpc_loop_settle(struct rpc_loop *loop);
/* Takes fd as the next listener (before the server starts, or under
 * listen_lock); returns the port it is bound to. */
uint16_t rpc_server_add_listener(struct rpc_server *srv, int fd);
int rpc_loop_init(struct rpc_loop *loop, struct rpc_server *srv, unsigned index);
void rpc_loop_destroy(struct rpc_loop *loop);

/* conn_tls.c: RPC-with-TLS on a connection. */
enum rpc_tls_probe_answer {
	RPC_TLS_PROBE_STARTTLS,    /* answer with the STARTTLS verifier */
	RPC_TLS_PROBE_NOT_OFFERED, /* answer with a null verifier: stay in plain text */
	RPC_TLS_PROBE_BADCRED,     /* refuse with AUTH_BADCRED (a probe inside TLS) */
};
/* The AUTH_TLS NULL call's answer; inflight counts the probe itself.
 * STARTTLS moves the connection to RPC_CONN_TLS_STARTING. */
enum rpc_tls_probe_answer rpc_conn_tls_probe(struct rpc_conn *conn, unsigned inflight);
/* After the STARTTLS reply is written: the session, the handshake's
 * deadline.  False (close the connection) when records followed the
 * probe or no session can be made. */
bool rpc_conn_tls_begin(struct rpc_conn *conn);
/* Advances the handshake; RPC_TLS_FAILED is counted and logged (close). */
enum rpc_tls_step rpc_conn_tls_step(struct rpc_conn *conn);
void rpc_conn_tls_fail(struct rpc_conn *conn, enum rpc_tls_failure why);
/* As read(2), through the session, under the connection's lock. */
ssize_t rpc_conn_tls_read(struct rpc_conn *conn, void *buf, size_t len);
/* Whether the session holds received bytes not read yet (the rest of a
 * TLS record): they wake no epoll. */
bool rpc_conn_tls_buffered(struct rpc_conn *conn);
/* Whether replies are written through the session in user space (no
 * kernel TLS): then no pipe may be queued (their bytes would go out
 * unencrypted). */
static inline bool rpc_conn_tls_in_user_space(const struct rpc_conn *conn)
{
	return atomic_load(&((struct rpc_conn *)conn)->tls_state) == RPC_CONN_TLS_UP &&
	       !conn->tls_ktls_send;
}

/* bulk.c: the reader's question to the program (rpc_record_bulk_fn), arg
 * the connection. */
bool rpc_conn_find_bulk(void *conn, const uint8_t *rec, size_t have, size_t len, size_t *off,
			size_t *blen);

/* dispatch.c */
/* Serves one CALL record (consumes rec).  Runs on the loop thread. */
void rpc_dispatch_call(struct rpc_conn *conn, struct rpc_record *rec, struct xdr_dec *d,
		       uint32_t xid);

/* Whether a connection with queued output (queued > 0) has written none of
 * it for idle_ms, as the loop's tick judges at now_ms.  progress_ms is the
 * connection's out_progress_ms, which other threads move (workers queue
 * and write replies): it may be later than now_ms, read before the tick
 * took the connection's lock, and that is progress, not a difference that
 * wraps around to "forever". */
static inline bool rpc_conn_output_stuck(unsigned queued, uint64_t now_ms, uint64_t progress_ms,
					 uint64_t idle_ms)
{
	return queued > 0 && now_ms > progress_ms && now_ms - progress_ms >= idle_ms;
}

#endif
