/* The RPC server: listeners, connections, event loops and dispatch.
 *
 * Threads: a few event loops (one per CPU by default), each owning a set of
 * connections through its own epoll instance, plus a worker pool.  A loop
 * reads records, decodes the RPC header and runs the procedure right there;
 * a program whose call may block for long defers it (rpc_dispatch_defer),
 * and the rest of the call is served on the worker pool.  Either way the reply is written through
 * the connection's serialised output queue, so requests on one connection
 * run concurrently and their replies go out whole, in any order.
 *
 * The read loop tells a CALL from a REPLY by msg_type: REPLYs complete the
 * outgoing calls this server made on that connection (rpc_conn_call), which
 * is how callbacks ride on a client's own connection. */
#ifndef FERRY_RPC_SERVER_H
#define FERRY_RPC_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/pipe_pool.h"
#include "rpc/record.h"
#include "rpc/rpc_msg.h"
#include "rpc/tls/tls.h"
#include "xdr/xdr.h"

struct rpc_server;
struct rpc_conn;
struct pooled_pipe;
struct rpc_gss_call;
struct rpc_gss_options;

/* A read-only mapping of a file's range (mmap): base and size as mapped,
 * the data from skip.  base NULL: none.  release NULL: rpc unmaps it once
 * written; else the memory is a cache's, lent until rpc calls
 * release(release_arg) instead. */
struct rpc_mapped {
	void *base;
	size_t size, skip;
	void (*release)(void *release_arg);
	void *release_arg;
};

/* One call being served.  Valid for the duration of the program's dispatch
 * function. */
struct rpc_request {
	struct rpc_conn *conn; /* referenced for the life of the request */
	struct rpc_call_hdr hdr;
	struct rpc_cred cred;
	struct xdr_dec args;  /* the procedure's arguments, in place */
	struct xdr_enc reply; /* results are appended here */
	struct rpc_record record;
	size_t results_off; /* where the results start in reply */
	bool on_worker;     /* running on the worker pool, not an event loop */
	void *prog_state;   /* the program's, kept across a deferral */
	/* rpc_request_reply_tail: bytes sent after reply, by reference. */
	struct buf *tail;
	size_t tail_off, tail_len;
	bool reply_shared; /* rpc_request_share_reply was called */
	struct rpc_park *park; /* rpc_request_park was called */
	size_t charged; /* bytes counted against the memory budgets until it ends */
	/* It waited for its connection's memory (rpc_request_wait_memory):
	 * it goes before requests that did not. */
	bool mem_waited;
	/* What it waits for (set with RPC_RESERVE_WAIT), and what was counted
	 * for it when its turn came (its next reservation, up to that size). */
	size_t mem_want, mem_granted;
	/* rpc_request_pipe / rpc_request_reply_spliced: reply bytes
	 * [splice_at, splice_at + splice_len) of reply come from this pipe,
	 * or (rpc_request_reply_mapped) from this mapping, at map.skip. */
	struct pooled_pipe *splice_pipe;
	struct rpc_mapped map;
	size_t splice_at, splice_len;
	/* RPCSEC_GSS: what the reply needs (its verifier; for krb5i and
	 * krb5p the wrapping of the results, which then are never spliced).
	 * NULL for other flavors. */
	struct rpc_gss_call *gss;
	/* The results are to be wrapped: the reply is accepted with SUCCESS
	 * and its RPC_GSS_WRAP_HEAD bytes were reserved before results_off. */
	bool gss_wrap;
};

/* Large reply data without a copy through user space.  The program
 * reserves the data's place in req->reply, leaves it unwritten, fills the
 * pipe rpc_request_pipe gives it (splice from a file) and says where the
 * bytes go (rpc_request_reply_spliced); the reply then goes to the socket
 * as the encoded bytes before that place, the pipe's, and the encoded
 * bytes after it.  One pipe per reply.  A reply that is kept
 * (rpc_request_share_reply) gets the pipe's bytes read into their place
 * first, so a replay is whole.  Encoding must not shrink the reply below
 * the spliced range and grow it again: a reply shorter than its end drops
 * the pipe (an operation rolled back).
 *
 * rpc_request_pipe: the reply's pipe, empty, or NULL when none can be had
 * (no pool, all in use, one already spliced) or the connection takes its
 * data copied (splice_reads): the program copies then. */
struct pooled_pipe *rpc_request_pipe(struct rpc_request *req);
void rpc_request_reply_spliced(struct rpc_request *req, size_t at, size_t len);
/* Gives the reply's pipe (or mapping) back unused (closed if bytes went
 * into it). */
void rpc_request_pipe_drop(struct rpc_request *req);

/* The same for a connection that takes its READ data copied
 * (splice_reads): the data is sent from a mapping of the file's pages,
 * which the kernel copies into the socket, rather than read into the reply
 * first and copied from there (one copy instead of two; map_reads).
 * rpc_request_can_map: whether this reply may be (not wrapped, no TLS in
 * user space, no pipe or mapping taken yet, map_reads on).
 * rpc_request_reply_mapped: the reply's bytes [at, at + len) are
 * m->base + m->skip..., and rpc owns the mapping (munmap once written or
 * dropped).  A file that loses those pages before they are written
 * (truncated meanwhile) sends zeros in their place: the record's length
 * is already promised.  A reply that is kept copies the bytes in first,
 * through the kernel (a lost page cannot fault ferryd). */
bool rpc_request_can_map(struct rpc_request *req);
void rpc_request_reply_mapped(struct rpc_request *req, size_t at, size_t len,
			      const struct rpc_mapped *m);

/* Counts bytes of a reply about to be built (a large READ or READDIR)
 * against the memory budgets of the request's connection and of the
 * server, until the reply is queued (then its real size counts until it is
 * written).  A connection that holds nothing else is always allowed its
 * own budget's worth, so one reply larger than that budget still gets
 * through. */
enum rpc_reserve {
	RPC_RESERVED,
	/* The connection's own budget is full of replies its client has not
	 * read yet: the program waits for it to drain (rpc_request_wait_memory)
	 * and tries again, so a client that reads, only slower than the server
	 * answers, is slowed down rather than refused. */
	RPC_RESERVE_WAIT,
	/* The server's budget is full, or the connection closed: the program
	 * says the server is busy (NFS4ERR_DELAY) instead of building it. */
	RPC_RESERVE_REFUSED,
};
enum rpc_reserve rpc_request_reserve(struct rpc_request *req, size_t bytes);

/* After RPC_RESERVE_WAIT: parks the request (rpc_request_park) until its
 * connection holds less than its budget or closes; the program then
 * returns rpc_dispatch_park() and, resumed, tries the reservation again.
 * False when out of memory (nothing parked). */
bool rpc_request_wait_memory(struct rpc_request *req);

/* What the rpc layer adds to the reply after the results (RPCSEC_GSS
 * krb5i's checksum, krb5p's encryption): a program that must keep a reply
 * under a size the client gave leaves this much room.  0 for others. */
size_t rpc_request_reply_trailer(const struct rpc_request *req);

/* Ends the results with len bytes of b from off (a reply kept from an
 * earlier call), written after what req->reply holds without being copied;
 * takes the caller's reference on b, whose bytes must not change any more.
 * The program then returns rpc_dispatch_done(RPC_SUCCESS) and appends
 * nothing else. */
void rpc_request_reply_tail(struct rpc_request *req, struct buf *b, size_t off, size_t len);

/* Makes the reply encoded so far final (record mark included, spare
 * capacity given back) and returns a new reference on its buffer, which
 * the program may keep and send again (rpc_request_reply_tail): nobody
 * writes to it any more.  The results start at req->results_off in it.
 * The program then returns rpc_dispatch_done(RPC_SUCCESS) and appends
 * nothing else.  NULL when the reply overflowed (nothing is shared). */
struct buf *rpc_request_share_reply(struct rpc_request *req);

/* What a program's dispatch function asks for once it returns. */
enum rpc_dispatch_action {
	RPC_DISPATCH_DONE,  /* the call is served: reply with stat */
	RPC_DISPATCH_DEFER, /* go on serving it on the worker pool */
	/* Go on serving it on the pool for calls that mostly wait on another
	 * server and hold nothing meanwhile (a change CephFS's metadata
	 * server makes): many of them wait at once there without crowding
	 * the workers' calls that take locks and CPU. */
	RPC_DISPATCH_DEFER_REMOTE,
	RPC_DISPATCH_PARK,  /* wait for rpc_park_resume (rpc_request_park) */
	/* No reply at all: a retransmission of a call still being served
	 * (the client retransmits again and gets the reply then). */
	RPC_DISPATCH_DROP,
};

/* DONE with an accept status: RPC_SUCCESS with the results appended to
 * req->reply, or another status (PROC_UNAVAIL, GARBAGE_ARGS, SYSTEM_ERR),
 * in which case whatever was appended is discarded.  DEFER: the call is
 * moved to the worker pool (DEFER_REMOTE: the remote pool) and dispatch is
 * called again there, with on_worker set and prog_state as it was left
 * (stat is ignored).  A dispatch running on a worker must not defer
 * again. */
struct rpc_dispatch_result {
	enum rpc_dispatch_action action;
	enum rpc_accept_stat stat;
};

static inline struct rpc_dispatch_result rpc_dispatch_done(enum rpc_accept_stat stat)
{
	return (struct rpc_dispatch_result){RPC_DISPATCH_DONE, stat};
}

static inline struct rpc_dispatch_result rpc_dispatch_defer(void)
{
	return (struct rpc_dispatch_result){RPC_DISPATCH_DEFER, RPC_SUCCESS};
}

static inline struct rpc_dispatch_result rpc_dispatch_defer_remote(void)
{
	return (struct rpc_dispatch_result){RPC_DISPATCH_DEFER_REMOTE, RPC_SUCCESS};
}

static inline struct rpc_dispatch_result rpc_dispatch_drop(void)
{
	return (struct rpc_dispatch_result){RPC_DISPATCH_DROP, RPC_SUCCESS};
}

static inline struct rpc_dispatch_result rpc_dispatch_park(void)
{
	return (struct rpc_dispatch_result){RPC_DISPATCH_PARK, RPC_SUCCESS};
}

/* Parking: a call that must wait for an event (a client's callback answer)
 * without a thread waiting for it.  The program calls rpc_request_park
 * during dispatch, hands the handle to whoever will signal the event and
 * returns rpc_dispatch_park() without touching req again.  The request
 * stays in flight (its connection referenced, its reply as encoded so
 * far, prog_state kept); once dispatch returned and rpc_park_resume was
 * called (in either order, from any thread), dispatch is called again on
 * the worker pool with on_worker set, and may park again.  Exactly one
 * rpc_park_resume per handle.  A parked request must be resumed before
 * rpc_server_stop's drain ends (its workers go then).  NULL when out of
 * memory (then nothing is parked and dispatch goes on as it likes). */
struct rpc_park *rpc_request_park(struct rpc_request *req);
void rpc_park_resume(struct rpc_park *p);
/* rpc_park_resume for each of n at once: the requests it lets go on run one
 * after another on one worker, which costs one thread's wake-up where one
 * each would cost n (a committer's batch of finished requests). */
void rpc_park_resume_all(struct rpc_park *const *parks, unsigned n);

struct rpc_program {
	uint32_t prog;
	uint32_t vers_low, vers_high;
	/* Serves one call of a version in [vers_low, vers_high], starting on
	 * the event loop that read it; a call that may block for long (disk
	 * sync, large I/O, lock waits) defers to the worker pool. */
	struct rpc_dispatch_result (*dispatch)(struct rpc_request *req, void *ctx);
	/* Optional: told once when a connection closes (by either side, or at
	 * stop), on the connection's loop thread, before its pending outgoing
	 * calls fail; must not block.  Lets a program drop what it tied to
	 * the connection (NFSv4.1 session bindings). */
	void (*conn_closed)(struct rpc_conn *conn, void *ctx);
	/* Optional: given the first `have` bytes of a large call's arguments
	 * (args_len in all; the record has not all arrived), says where an
	 * opaque payload sits that the program would rather take from a pipe
	 * (offsets from the arguments' start, within args_len): rpc then
	 * splices those bytes from the socket into a pipe instead of reading
	 * them (rpc_request_args_pipe).  False: read the call as any other.
	 * Runs on the event loop, on untrusted bytes: bounds-safe, no
	 * blocking, no state. */
	bool (*find_bulk)(void *ctx, uint32_t vers, uint32_t proc, const uint8_t *args,
			  size_t have, size_t args_len, size_t *bulk_off, size_t *bulk_len);
	void *ctx;
	/* Bit i: calls that came in through listener i (rpc_conn_listener,
	 * below 32) are not this program's.  Such a call finds the other
	 * programs of its number (PROG_MISMATCH with their versions), or
	 * none (PROG_UNAVAIL), as if this one were not there. */
	uint32_t listeners_off;
};

/* A program serving the one version vers, with no optional hook: each of
 * Ferry's programs starts from this and adds the hooks it has. */
static inline struct rpc_program rpc_program_single(
	uint32_t prog, uint32_t vers,
	struct rpc_dispatch_result (*dispatch)(struct rpc_request *req, void *ctx), void *ctx)
{
	return (struct rpc_program){
		.prog = prog,
		.vers_low = vers,
		.vers_high = vers,
		.dispatch = dispatch,
		.ctx = ctx,
	};
}

/* --- arguments received into a pipe ------------------------------------ */

/* The first bytes of a call's arguments are always in memory, so a program
 * may hash them (reply caches, retry detection) whatever was spliced. */
enum { RPC_ARGS_HEAD_IN_MEMORY = 512 };

/* Where the n bytes of the arguments at p are, when the program's
 * find_bulk had a part of them spliced into a pipe ("the hole": those
 * bytes of req->args are never written and must not be read).  Returns 0
 * when all n bytes are in memory at p (nothing was spliced there, or it was
 * read in by rpc_request_args_materialise); 1 when they are *head_len bytes
 * at p, then *pipe_len bytes in *pipe, then the rest in memory at p +
 * *head_len + *pipe_len.  The caller then consumes the pipe's bytes, in
 * order, keeping (*pipe)->held up to date; they cannot be had again.  A
 * negative errno when the bytes are lost (handed out before, or a failed
 * materialise).
 *
 * Only the holder of the payload's cursor (the program's decoder hands it
 * to one consumer) may ask; every other reader of the hole's bytes must
 * call rpc_request_args_materialise first. */
int rpc_request_args_pipe(struct rpc_request *req, const uint8_t *p, size_t n, size_t *head_len,
			  struct pooled_pipe **pipe, size_t *pipe_len);

/* Whether the n bytes of the arguments at p are plain memory, none of
 * them in a hole find_bulk made (a reader that may not block, or may not
 * consume the pipe, asks before it reads them; else it moves to a worker
 * and goes through rpc_request_args_pipe or rpc_request_args_materialise). */
bool rpc_request_args_in_memory(const struct rpc_request *req, const uint8_t *p, size_t n);

/* Reads the pipe's bytes into the hole (one copy, what reading the record
 * would have cost), after which req->args is plain memory.  0, or a
 * negative errno (the bytes were handed out, or the read failed). */
int rpc_request_args_materialise(struct rpc_request *req);

/* Where a large READ's data goes file -> pipe -> socket instead of being
 * copied through ferryd's memory.  A peer on this host gets its data
 * copied into its socket by the kernel anyway, and there the spliced
 * send costs more than the copy: on Linux 6.18 over loopback a spliced
 * 1 MiB READ took 1.2-1.6x the server CPU of a copied one, over a veth
 * link 0.6x (docs/DECISIONS.md). */
enum rpc_splice_reads {
	RPC_SPLICE_READS_REMOTE = 0, /* to peers on other hosts only (default) */
	RPC_SPLICE_READS_ALWAYS,
	RPC_SPLICE_READS_NEVER,
};

struct rpc_server_options {
	unsigned event_loops;           /* 0: one per online CPU */
	unsigned workers;               /* worker pool threads */
	/* Threads of the pool for calls that wait on another server
	 * (rpc_dispatch_defer_remote), started by the first such call; 0:
	 * those go to the worker pool. */
	unsigned remote_workers;
	uint32_t max_record_size;       /* largest request record accepted */
	unsigned max_inflight_per_conn; /* reading pauses beyond this */
	/* Memory budgets for requests being served and replies being built or
	 * queued: past a connection's, it is not read until it drains; past
	 * either, large replies are refused (rpc_request_reserve). */
	size_t max_memory_per_conn;
	size_t max_memory; /* all connections together */
	/* Accepted connections open at once, in all and from one client
	 * address (0: no limit); one past either is closed at once. */
	unsigned max_connections, max_connections_per_client;
	unsigned idle_timeout_s;        /* close connections idle this long; 0: never */
	/* Pipes for large READ and WRITE data moved without a copy through
	 * user space (splice): at most this many at once, each holding one
	 * max_record_size; 0: none, every byte is copied. */
	unsigned splice_pipes;
	/* Which large READ replies are spliced rather than copied. */
	enum rpc_splice_reads splice_reads;
	/* Copied READ data is sent from a mapping of the file
	 * (rpc_request_can_map). */
	bool map_reads;
	/* The TCP congestion control of connections with peers on this host
	 * ("": the system's).  Their packets cross no network, and a pacing
	 * one (BBR) holds back sends to a loopback peer: 1 MiB READs to one
	 * took a third more server CPU and ran a quarter slower under BBR than
	 * under CUBIC on Linux 6.18 (docs/DECISIONS.md).  16: Linux's
	 * TCP_CA_NAME_MAX, with the NUL. */
	char local_congestion[16];
};

void rpc_server_options_default(struct rpc_server_options *o);

/* Returns NULL on failure (logged). */
struct rpc_server *rpc_server_create(const struct rpc_server_options *opts);

/* Registers a program; the struct is copied.  Before rpc_server_start. */
int rpc_server_add_program(struct rpc_server *srv, const struct rpc_program *prog);

/* Whether a call of version vers of prog that came in through listener
 * (rpc_conn_listener) finds a program to serve it (rpcbind's
 * registrations, the control plane's listeners). */
bool rpc_server_serves(const struct rpc_server *srv, uint32_t prog, uint32_t vers, int listener);

/* Binds and listens on "HOST:PORT" ("[v6addr]:PORT" for IPv6; port 0 picks
 * a free one).  Returns 0 and the bound port, or a negative errno. */
int rpc_server_listen(struct rpc_server *srv, const char *hostport, uint16_t *bound_port);

/* rpc_server_listen on a running server too, with IP_FREEBIND (the
 * address may arrive on an interface later: a service address moving
 * here from a failed server).  Returns the new listener's index
 * (rpc_conn_listener), or a negative errno. */
int rpc_server_listen_more(struct rpc_server *srv, const char *hostport, uint16_t *bound_port);

/* Listens on hostport (IP_FREEBIND) without accepting yet, on behalf of
 * holder (a failed head's name, whose take-over must wait): clients that
 * connect wait in the socket's backlog, their calls unread, until
 * rpc_server_listen_more on the same hostport accepts them (the
 * take-over ran), or rpc_server_unhold(holder) closes it (another head
 * took it over).  0 (also when already held), or a negative errno. */
int rpc_server_hold(struct rpc_server *srv, const char *hostport, const char *holder);
void rpc_server_unhold(struct rpc_server *srv, const char *holder);

/* rpc_server_hold before anything failed: for another head's address,
 * held from the start so that a client reconnecting while the address
 * moves here (keepalived brings it up before its notify script has run
 * the take-over) meets a socket that keeps it waiting, never a refusal
 * (which costs a Linux client 3 s or more before it tries again).  Only
 * an address on no interface of this host is held: one that is here
 * belongs to whoever listens there (this server, or another head on the
 * same host).  0 (held now or already), 1 (the address is here: not
 * held) or a negative errno. */
int rpc_server_hold_ahead(struct rpc_server *srv, const char *hostport, const char *holder);

/* Serves RPCSEC_GSS (rpc/gss/gss_server.h) with the keys of o->keytab,
 * from now on: before rpc_server_start, or while the server runs (a
 * reload gave an export a krb5 flavour).  Once: when it is served
 * already, 0 and o is not read.  0, or -EINVAL with a message in err when
 * the keytab holds no usable key.  Without it, calls with an RPCSEC_GSS
 * credential are refused with AUTH_REJECTEDCRED (RFC 2203 5.1). */
int rpc_server_enable_gss(struct rpc_server *srv, const struct rpc_gss_options *o, char *err,
			  size_t errlen);

/* The RPCSEC_GSS acceptor (NULL when not enabled), for its counters and
 * contexts (rpc_gss_server_stats, rpc_gss_server_list). */
struct rpc_gss_server *rpc_server_gss(struct rpc_server *srv);

/* RPC-with-TLS (rpc/tls/tls.h): offers STARTTLS to clients that probe
 * for it, with ctx (a reference is taken; NULL: no longer offered), from
 * now on; connections already in TLS keep the context they began with.
 * A handshake not done within handshake_s seconds (0: the default)
 * closes its connection. */
void rpc_server_set_tls(struct rpc_server *srv, struct rpc_tls_ctx *ctx, unsigned handshake_s);
/* The context new handshakes use, referenced (NULL: none); whether there
 * is one. */
struct rpc_tls_ctx *rpc_server_tls_ctx(struct rpc_server *srv);
bool rpc_server_tls_ctx_present(struct rpc_server *srv);

/* Starts the event loops and workers. */
int rpc_server_start(struct rpc_server *srv);

/* Serves an already connected socket (takes ownership of fd).  Returns the
 * connection with one reference for the caller, or NULL. */
struct rpc_conn *rpc_server_adopt_fd(struct rpc_server *srv, int fd);

/* --- handing the server's sockets to another process (an upgrade) ------
 *
 * rpc_server_handover_freeze stops accepting and reading, lets every
 * request already read finish and its reply go out, and lets a connection
 * in the middle of a record whose bytes cannot be handed as they are (one
 * assembled from fragments, or with a payload being spliced) read on
 * until that record is whole and served.  Then no loop touches a socket
 * any more, and *out lists the listeners and the connections with the
 * bytes read from each that no request took yet.  Connections that cannot
 * be handed (RPC-with-TLS: the session's keys are in this process;
 * connections this server dialled) are closed first.
 *
 * Afterwards exactly one of: rpc_server_handover_thaw (the other process
 * failed: serve on as before) or rpc_server_handover_done (it serves now:
 * this server's stop closes its copies of the sockets without shutting
 * them down). */
enum { RPC_HANDOVER_LISTENERS_MAX = 16 };

struct rpc_handover_conn {
	/* Which connection it was, to name it by its index in the list (the
	 * sessions bound to it); never dereferenced, valid until thaw or
	 * done. */
	const struct rpc_conn *conn;
	int fd;            /* a duplicate, the list's own (rpc_handover_free closes it) */
	int listener;      /* index of the listener it came in on; -1: none */
	uint8_t *unread;   /* owned; bytes received and not yet served */
	size_t unread_len;
	/* In TLS, both directions the kernel's (the session lives in the
	 * socket): what the handshake agreed and who the peer is.  Other TLS
	 * connections are not handed over (closed: the client reconnects). */
	bool tls;
	struct rpc_tls_info tls_info;
};

struct rpc_handover {
	unsigned nlisteners;
	int listener_fds[RPC_HANDOVER_LISTENERS_MAX];
	struct rpc_handover_conn *conns;
	size_t nconns;
	unsigned closed_tls, closed_dialled; /* what could not be handed */
};

/* 0, or a negative errno with a message in err: -ETIMEDOUT when requests
 * or records were still under way after timeout_ms (the server then
 * serves on as before). */
int rpc_server_handover_freeze(struct rpc_server *srv, unsigned timeout_ms,
			       struct rpc_handover *out, char *err, size_t errlen);
void rpc_server_handover_thaw(struct rpc_server *srv, struct rpc_handover *h);
void rpc_server_handover_done(struct rpc_server *srv, struct rpc_handover *h);
/* While shared, closing a connection never shuts its socket down: another
 * process may serve it (a ferryd starting with sockets handed over, until
 * it is ready). */
void rpc_server_share_sockets(struct rpc_server *srv, bool shared);
void rpc_handover_free(struct rpc_handover *h);
/* The TLS connections of a handover as bytes for the other side: each
 * one's index in h's list and its rpc_tls_info.  NULL when out of memory
 * (*n: how many, 0: none and NULL). */
struct buf *rpc_handover_tls_encode(const struct rpc_handover *h, size_t *n);
/* Those bytes again, for a list of nconns connections: out[i] (an array of
 * nconns, malloc'd, entries NULL or malloc'd) for connection i.  0,
 * -EINVAL for bytes that do not decode or name a connection past nconns,
 * -ENOMEM.  rpc_handover_tls_free frees it. */
int rpc_handover_tls_decode(const uint8_t *p, size_t len, size_t nconns,
			    struct rpc_tls_info ***out);
void rpc_handover_tls_free(struct rpc_tls_info **v, size_t nconns);

/* The other side: a listening socket handed over, served as the next
 * listener (as rpc_server_listen; takes fd), and a connection handed over
 * with the bytes already received on it (copied), served once the server
 * runs (tls: in kernel TLS, as the handover said; NULL: plain); before_serve (may be NULL) is called with it before any of its
 * bytes is read (the sessions it was bound to bind it again).  Negative
 * errno / NULL on failure. */
int rpc_server_listen_fd(struct rpc_server *srv, int fd, uint16_t *bound_port);
struct rpc_conn *rpc_server_adopt_handed(struct rpc_server *srv, int fd, int listener,
					 const uint8_t *unread, size_t unread_len,
					 const struct rpc_tls_info *tls,
					 void (*before_serve)(void *arg, struct rpc_conn *conn),
					 void *arg);

/* Graceful stop: closes the listeners, stops reading new requests, waits up
 * to drain_ms for requests in flight to finish and their replies to be
 * written, then closes every connection and joins the threads. */
void rpc_server_stop(struct rpc_server *srv, unsigned drain_ms);

void rpc_server_destroy(struct rpc_server *srv);

/* Calls that did not reach a program's results, by what the reply said. */
enum rpc_error_kind {
	RPC_ERR_GARBAGE_ARGS, /* an undecodable header, or the program said so */
	RPC_ERR_RPC_MISMATCH,
	RPC_ERR_AUTH,
	RPC_ERR_PROG_UNAVAIL,
	RPC_ERR_PROG_MISMATCH,
	RPC_ERR_PROC_UNAVAIL,
	RPC_ERR_SYSTEM,
	RPC_ERR_KINDS
};

/* The metric label of an error kind ("garbage_args", ...). */
const char *rpc_error_kind_name(enum rpc_error_kind k);

struct rpc_server_stats {
	uint64_t connections_accepted;
	uint64_t connections_open;
	uint64_t calls;
	uint64_t replies_received;
	uint64_t bad_records; /* connections closed for a malformed stream */
	uint64_t inflight;    /* requests being served now */
	uint64_t memory;      /* bytes counted against the server's memory budget */
	uint64_t memory_refusals; /* large replies refused for the budgets */
	uint64_t memory_waits;    /* large replies that waited for their connection */
	uint64_t memory_trims;    /* memory given back to the system after a burst */
	/* Connections closed at accept for max_connections, and for
	 * max_connections_per_client. */
	uint64_t connections_refused_total, connections_refused_per_client;
	uint64_t errors[RPC_ERR_KINDS];
	/* Reply bytes sent from a pipe (spliced from a file), pipes open now,
	 * and pipes refused at splice_pipes (their data copied instead). */
	uint64_t spliced_reply_bytes, pipes_open, pipes_refused;
	/* Reply bytes sent from a mapping of the file (rpc_request_reply_mapped). */
	uint64_t mapped_reply_bytes;
	/* Payload bytes spliced from sockets into pipes (find_bulk), and
	 * large calls that were read into memory for want of a pipe or
	 * because splicing failed. */
	uint64_t splice_in_bytes, splice_in_fallbacks;
	/* Requests an event loop handed to the worker pool, and to the
	 * remote pool (RPC_DISPATCH_DEFER_REMOTE). */
	uint64_t worker_handoffs, remote_handoffs;
};

void rpc_server_get_stats(struct rpc_server *srv, struct rpc_server_stats *out);

/* A gate on everything the server answers: while gate(arg) returns
 * false, calls are dropped unserved and replies of calls already being
 * served are dropped unsent (the client retransmits, or reconnects
 * elsewhere).  A clustered head that may have been fenced uses it to
 * acknowledge nothing.  Set before rpc_server_start; gate must be cheap
 * and thread-safe (it runs for every call). */
void rpc_server_set_gate(struct rpc_server *srv, bool (*gate)(void *arg), void *arg);

/* Calls and replies dropped at the gate since start. */
uint64_t rpc_server_gate_drops(struct rpc_server *srv);

/* How many event loops have not come round to their periodic tick for
 * stuck_ms (a loop blocked in a call, or spinning in one connection). */
unsigned rpc_server_loops_stuck(struct rpc_server *srv, uint64_t stuck_ms);

/* RPC-with-TLS: AUTH_TLS probes, those answered without STARTTLS for
 * other calls in flight, handshakes done and failed (by enum
 * rpc_tls_failure), and connections in TLS now. */
struct rpc_tls_stats {
	uint64_t probes, probes_refused, handshakes;
	uint64_t failures[RPC_TLS_FAIL_KINDS];
	uint64_t open, open_mutual, open_ktls;
};
void rpc_server_get_tls_stats(struct rpc_server *srv, struct rpc_tls_stats *out);

/* --- connections ------------------------------------------------------ */

/* What the control plane lists of a connection. */
struct rpc_conn_info {
	struct rpc_conn *conn; /* referenced: released by rpc_conn_info_free */
	char peer[64];
	char local[64]; /* the address the peer reached, as peer; "" if unknown */
	int listener;
	unsigned inflight; /* requests being served */
	uint64_t age_ms;
};

/* Every open connection, referenced, in a malloc'd array; 0 or -ENOMEM. */
int rpc_server_list_conns(struct rpc_server *srv, struct rpc_conn_info **out, size_t *n);
void rpc_conn_info_free(struct rpc_conn_info *v, size_t n);

/* A count that moves whenever a connection opens or closes: whoever
 * publishes the list (the cluster's heartbeat) lists again only then. */
uint64_t rpc_server_conns_changed(struct rpc_server *srv);

/* Makes the peer of a TCP connection to local (HOST:PORT, an address
 * that moved to this host from a failed head) drop it at once, not after
 * its RPC timeout: a bare ACK from local to peer, outside the
 * connection's window, which the peer answers with an ACK of its own;
 * this host, which has no such connection, answers that with a reset,
 * and the client reconnects, here (rpc/tickle.c).  The peer answers one
 * such segment per half second at most: a second try waits that long.
 * Needs CAP_NET_RAW.  0, or a negative errno. */
int rpc_tickle(const char *local, const char *peer);

struct rpc_conn *rpc_conn_ref(struct rpc_conn *conn);
void rpc_conn_unref(struct rpc_conn *conn);

/* The peer's address as text ("127.0.0.1:871", "[::1]:871"). */
const char *rpc_conn_peer(const struct rpc_conn *conn);
const struct sockaddr_storage *rpc_conn_peer_addr(const struct rpc_conn *conn);

/* Which listener accepted it, counting rpc_server_listen calls from 0;
 * -1 for a connection given to rpc_server_adopt_fd. */
int rpc_conn_listener(const struct rpc_conn *conn);

/* How the connection is protected (enum rpc_xprtsec, core/cred.h). */
enum rpc_xprtsec rpc_conn_xprtsec(const struct rpc_conn *conn);

/* The client certificate's identity on a mutual-TLS connection, NULL on
 * any other (rpc/tls/tls.h; valid while the connection is referenced). */
const struct rpc_tls_peer *rpc_conn_tls_peer(const struct rpc_conn *conn);

/* What a TLS connection agreed (version, cipher, kernel TLS, the peer's
 * certificate); false for a connection not in TLS. */
bool rpc_conn_tls_describe(const struct rpc_conn *conn, struct rpc_tls_info *out);

/* True once the connection has been closed (by either side). */
bool rpc_conn_is_closed(struct rpc_conn *conn);

/* Asks the connection's loop to close it. */
void rpc_conn_close(struct rpc_conn *conn);

/* A session uses (on) or stops using (off) the connection as its back
 * channel: while any does, the idle timeout does not close it, since the
 * client may send nothing on it for long and still expect callbacks.
 * Atomic; takes no lock. */
void rpc_conn_hold_back(struct rpc_conn *conn, bool on);

/* Dials "HOST:PORT" ("[v6]:PORT"; a literal address, nothing is resolved)
 * without blocking: the connection is served by an event loop from the
 * start, and calls made on it (rpc_conn_call) go out once the connect
 * completes.  A connect that fails, or does not complete before every call
 * made on it timed out, closes the connection (rpc_conn_is_closed), which
 * fails its calls.  CALLs the peer sends on it are served like any other.
 * Returns a connection with one reference for the caller, or NULL with
 * *err set (-EINVAL for a bad address, -ESHUTDOWN before rpc_server_start
 * or once rpc_server_stop began, or the socket's errno). */
struct rpc_conn *rpc_server_connect(struct rpc_server *srv, const char *hostport, int *err);

/* Completion of an outgoing call.  err is 0 with the decoded reply header and
 * a cursor over the results (valid only during the call), or a negative errno
 * (-ETIMEDOUT, -ECONNRESET, -EBADMSG) with hdr and results NULL.  Runs on the
 * connection's loop thread and must not block. */
typedef void (*rpc_call_done_fn)(void *arg, int err, const struct rpc_reply_hdr *hdr,
				 struct xdr_dec *results);

/* Sends a CALL on this connection (a backchannel call on the client's own
 * connection) with a fresh XID and arranges for done to run exactly once.
 * args are the encoded arguments (copied).  cred NULL means AUTH_NONE.
 * Returns 0, or a negative errno without calling done (-ENOTCONN for a
 * closed connection or one no event loop serves). */
int rpc_conn_call(struct rpc_conn *conn, uint32_t prog, uint32_t vers, uint32_t proc,
		  const struct rpc_cred *cred, const void *args, size_t args_len,
		  unsigned timeout_ms, rpc_call_done_fn done, void *arg);

/* RPCSEC_GSS for calls on a context the peer made with this server (a
 * v4.1 back channel, RFC 8881 2.10.8.2; rpc/gss/gss_server.h): NULL when
 * the server serves no RPCSEC_GSS or from_server names no context. */
struct rpc_gss_cb *rpc_conn_gss_cb(struct rpc_conn *conn, const uint8_t *from_server,
				   uint32_t from_server_len, const uint8_t *from_client,
				   uint32_t from_client_len, uint32_t service);

/* Whether handle names a complete RPCSEC_GSS context of conn's server. */
bool rpc_conn_gss_knows(struct rpc_conn *conn, const uint8_t *handle, uint32_t len);

/* rpc_conn_call under RPCSEC_GSS on gss (taken, whatever the outcome):
 * the reply reaches done only when its verifier (and for krb5i and krb5p
 * its results) verify, with the results made plain; a reply that does not
 * verify is -EBADMSG. */
int rpc_conn_call_gss(struct rpc_conn *conn, struct rpc_gss_cb *gss, uint32_t prog, uint32_t vers,
		      uint32_t proc, const void *args, size_t args_len, unsigned timeout_ms,
		      rpc_call_done_fn done, void *arg);

#endif
