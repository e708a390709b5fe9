/* ferry-bench internals: one event loop (epoll) drives every connection,
 * session and stream of a run on a single thread.
 *
 * A stream is one sequential actor: it runs one operation at a time, each
 * made of one or more RPCs (steps), so the number of streams is the number
 * of requests in flight.  For the NFSv4.1 workloads every stream belongs to
 * a session and takes a free slot of that session's slot table for each
 * RPC (SEQUENCE first in every COMPOUND); slots are given back when the
 * reply arrives, so slots are reused by whichever stream asks next.  For the
 * null workload streams are tied to a connection only.
 *
 * Ownership: everything hangs off struct bench_ctx, allocated once before
 * the run and freed at the end; nothing is allocated per operation. */
#ifndef FERRY_BENCH_BENCH_H
#define FERRY_BENCH_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "client/session.h"
#include "client/slots.h"
#include "cmd/bench/stats.h"
#include "rpc/gss/gss_client.h"
#include "rpc/record.h"
#include "rpc/rpc_msg.h"
#include "rpc/tls/tls.h"
#include "xdr/nfs4_codec_session.h"
#include "xdr/xdr.h"

struct bench_ctx;
struct bench_stream;
struct bench_session;
struct bench_workload;

/* A file handle kept across calls: the codec's struct nfs4_opaque points
 * into a reply that is gone once the next one is read. */
struct bench_fh {
	uint32_t len;
	uint8_t data[NFS4_FHSIZE];
};

static inline struct nfs4_opaque bench_fh_opaque(const struct bench_fh *fh)
{
	return (struct nfs4_opaque){fh->data, fh->len};
}

/* The v4.1 current stateid (RFC 8881 16.2.3.1.2): OPEN's stateid for the
 * WRITE and CLOSE that follow it in the same COMPOUND. */
extern const struct nfs4_stateid bench_current_stateid;

/* --- options ----------------------------------------------------------- */

struct bench_opts {
	char server[256];      /* HOST:PORT */
	char export_path[512]; /* pseudo-fs path of the export, "/export" */
	const struct bench_workload *workload;
	char workload_name[32];
	uint32_t vers; /* NFS version of the workload's calls: 4 (4.x) or 3 */
	uint32_t mount_port; /* --vers 3: MOUNT's port; 0: ask the server's rpcbind */
	unsigned connections;
	unsigned sessions;
	unsigned inflight; /* per session (per connection for null) */
	double duration_s;
	double warmup_s;
	uint64_t op_count;  /* 0: run for duration_s */
	uint64_t file_size; /* of the data files of the read/write workloads */
	unsigned dir_entries;
	unsigned depth; /* directory levels below the work dir for lookup */
	uint32_t write_stable;
	uint32_t uid, gid;
	/* --sec: 0 for AUTH_SYS, else the RPCSEC_GSS service of every call
	 * (RPC_GSS_SVC_NONE krb5, _INTEGRITY krb5i, _PRIVACY krb5p). */
	uint32_t sec;
	char krb5_target[256];    /* "" : nfs@<host of --server> */
	char krb5_keytab[512];    /* "" : KRB5CCNAME's tickets (or KRB5_CLIENT_KTNAME) */
	char krb5_principal[256]; /* "" : the cache's or the keytab's first */
	/* --tls: RPC-with-TLS (RFC 9289) on every connection, the AUTH_TLS
	 * probe and the handshake right after connecting. */
	bool tls;
	char tls_ca[512];   /* "" : the server's chain is not checked */
	char tls_cert[512]; /* "" : no client certificate */
	char tls_key[512];  /* "" : the key is in tls_cert's file */
	double timeout_s; /* no reply for this long while waiting: fatal */
	pid_t server_pid; /* 0: do not sample the server */
	bool json;
	bool keep;    /* leave the work directory in the export */
	bool verbose;
	uint32_t seed;
};

/* --- event loop, connections and calls -------------------------------- */

struct bench_conn {
	int fd;
	unsigned index;
	struct bench_ctx *ctx;
	struct rpc_tls_session *tls; /* --tls: every byte goes through it */
	struct rpc_record_reader rd;
	/* Output: a ring of iovecs pointing into the calls' own buffers (and
	 * the shared write payload), written with writev. */
	struct iovec *out;
	unsigned out_head, out_count, out_cap;
	uint8_t *scratch; /* see flush_gather in loop.c */
	bool dirty;     /* on the flush list */
	bool want_out;  /* EPOLLOUT armed */
	unsigned inflight;
	struct bench_conn *next_dirty;
};

/* The connection's bytes in and out, as recv(2) and sendmsg(2) (EAGAIN on
 * its non-blocking socket), through its TLS session under --tls: one test
 * per call is all plain text pays.  After EAGAIN a send must be retried
 * with the same leading bytes (TLS may have encrypted them already). */
static inline ssize_t bench_conn_recv(struct bench_conn *cn, void *p, size_t len)
{
	if (__builtin_expect(cn->tls != NULL, 0))
		return rpc_tls_read(cn->tls, p, len);
	return recv(cn->fd, p, len, 0);
}

static inline ssize_t bench_conn_sendv(struct bench_conn *cn, struct iovec *iov, unsigned n)
{
	if (__builtin_expect(cn->tls != NULL, 0))
		return rpc_tls_writev(cn->tls, iov, (int)n);
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = n};
	return sendmsg(cn->fd, &mh, MSG_NOSIGNAL);
}

/* An RPCSEC_GSS context (--sec krb5*) and the connection it was made on.
 * A stream is bound to one for the run, on its own connection, and each
 * has at most window streams bound: a stream has one call outstanding at
 * a time, so no context ever has more than the server's window of
 * sequence numbers outstanding, and the calls of one context go out on one
 * connection in the order of their sequence numbers. */
struct bench_gss {
	struct rpc_gss_client *cl;
	struct bench_conn *conn;
	unsigned nstreams;
};

/* One RPC of a stream.  The request buffer is reused from call to call; it
 * must stay untouched until the reply arrives, which is after it has been
 * written whole. */
struct bench_call {
	uint32_t xid;
	bool busy;
	struct bench_conn *conn;
	struct xdr_enc enc;     /* record mark, RPC header, arguments */
	size_t split;           /* payload goes between enc[0,split) and the rest */
	const uint8_t *payload; /* not owned */
	uint32_t payload_len;
	/* RPCSEC_GSS: enc holds the arguments alone (with any payload copied
	 * in), which call_send hands to rpc_gss_client_encode_call; wire is
	 * the record as sent, gcall what its reply is checked against. */
	struct bench_gss *gss;
	uint32_t prog, vers, proc;
	struct xdr_enc wire;
	struct rpc_gss_client_call gcall;
};

/* What a step's result decoder says. */
enum step_result {
	STEP_NEXT,  /* the op continues with its next step */
	STEP_DONE,  /* the op completed */
	STEP_DELAY, /* the server said NFS4ERR_DELAY: retry this step later */
	STEP_WAIT,  /* the op polls: send this step again after s->wait_ns */
	STEP_ERROR, /* the op failed with s->err_op / s->err_status */
	STEP_FATAL, /* protocol error: bench_fail was called */
};

struct bench_stream {
	unsigned id;
	struct bench_ctx *ctx;
	struct bench_call call;
	struct bench_conn *conn;
	struct bench_session *sess; /* NULL for RPC NULL streams */
	bool sessionless;           /* next compound has no SEQUENCE */

	/* Encodes the ops of the current step after SEQUENCE (or all of them
	 * when sessionless); false when they do not fit. */
	bool (*enc)(struct bench_stream *s, struct nfs4_compound_enc *ce);
	/* Walks the results after SEQUENCE; numres counts them. */
	enum step_result (*dec)(struct bench_stream *s, struct xdr_dec *d, uint32_t numres);
	/* Called with each step's outcome (never STEP_DELAY, which the session
	 * layer retries itself). */
	void (*done)(struct bench_stream *s, enum step_result r);
	/* RPC NULL streams and other raw calls: the reply's results. */
	void (*on_reply)(struct bench_stream *s, struct xdr_dec *d);
	void *arg; /* for enc/dec/done */

	/* slot held while an RPC is in flight, or -1 */
	int slot;
	struct bench_stream *slot_wait_next;
	bool waiting_slot;

	/* timer (DELAY backoff) */
	uint64_t wake_ns;
	bool timer_armed;
	void (*on_wake)(struct bench_stream *s);
	unsigned delays; /* DELAY answers for the current step */
	uint64_t delay_start_ns;

	/* the operation in progress */
	bool active;
	uint64_t op_start_ns;
	unsigned step;
	uint64_t op_bytes;
	uint32_t err_op, err_status;
	uint32_t cstatus;  /* COMPOUND status of the reply being decoded */
	struct client_slot_req seq_sent; /* what SEQUENCE carried */
	bool sync_done;
	enum step_result sync_result;

	/* workload state */
	uint64_t wait_ns; /* STEP_WAIT */
	struct bench_fh fh;            /* copy: the destination */
	struct nfs4_stateid sid;       /* its open stateid */
	struct nfs4_stateid copy_sid;  /* an asynchronous COPY's */
	bool async;                    /* copy: asked asynchronously */
	uint32_t rng;
	uint64_t cursor;
	uint64_t counter;
	uint64_t offset;
	uint64_t cookie;
	struct nfs4_verifier verf;
	uint32_t entries;
	char name[64];
};

/* --- sessions ---------------------------------------------------------- */

struct bench_session {
	unsigned index;
	struct bench_ctx *ctx;
	struct nfs4_sessionid sessionid;
	bool created;
	struct client_slots slots; /* the granted fore-channel slots */
	struct bench_stream *wait_head, *wait_tail;
	struct bench_conn **conns;
	unsigned nconns;
	struct nfs4_chan_attrs fore; /* as granted */
	struct bench_stream ctl; /* setup and teardown compounds */
	/* per-session data file of the write workloads, open for writing */
	struct bench_fh wfh;
	struct bench_fh wfh3; /* the same file's NFSv3 handle (--vers 3) */
	struct nfs4_stateid wsid;
	bool wopen;
	/* the shared data file opened by this session for reading */
	struct nfs4_stateid rsid;
	bool ropen;
};

/* --- the run ----------------------------------------------------------- */

/* The NFSv3 handles of the work tree (--vers 3), from MOUNT and NFSv3
 * LOOKUP (handles3.c); the NFSv4.1 ones beside them are for the set-up and
 * teardown, which stay NFSv4.1. */
struct bench_v3_fhs {
	struct bench_fh workdir;
	struct bench_fh file;       /* getattr's "f", the read workloads' "data" */
	struct bench_fh dir;        /* readdirplus's directory */
	struct bench_fh lookup_dir; /* the directory the lookup workload's file is in */
};

struct bench_ctx {
	struct bench_opts opts;
	int epfd;
	struct bench_conn *conns;
	unsigned nconns;
	struct bench_stream **streams; /* indexed by id; xid low bits */
	unsigned nstreams, streams_cap;
	unsigned xid_bits;
	uint32_t xid_gen;
	struct bench_stream **timers;
	unsigned ntimers;
	struct bench_conn *dirty_head;
	struct rpc_cred cred;
	/* RPCSEC_GSS (opts.sec != 0): the contexts, at most one per stream. */
	bool gss;
	struct bench_gss *gss_ctxs;
	unsigned ngss;
	uint64_t last_progress_ns;
	unsigned rpcs_inflight;
	/* Time of the latest wake-up or read: one clock read per batch, not
	 * per op (clock_gettime is not free, least of all in a VM). */
	uint64_t now_ns;
	/* RPC call headers as encoded once (xid in the first 4 bytes), so a
	 * call costs a copy: [0] NULL with AUTH_NONE, [1] COMPOUND with cred. */
	struct bench_call_tmpl {
		uint32_t prog, vers, proc;
		const struct rpc_cred *cred;
		uint8_t bytes[512];
		size_t len;
	} call_tmpl[2];

	/* failure */
	bool failed;
	char error[512];

	/* NFSv4.1 client */
	struct client_id id;
	bool have_client;
	uint8_t owner[64];
	uint32_t owner_len;
	struct bench_session *sessions;
	unsigned nsessions;

	/* createattrs of OPEN(create) and CREATE (mode 0644 for files, 0755 for
	 * directories, so every server creates alike), encoded once by
	 * setup_attrs_init into mode_vals */
	struct nfs4_fattr_raw file_mode_attrs, dir_mode_attrs;
	uint8_t mode_vals[2][8];

	/* work tree in the export */
	char workdir[128];
	struct bench_fh workdir_fh;
	bool workdir_made;
	struct bench_fh rfh; /* shared data file for the read workloads */
	struct bench_fh dir_fh; /* directory: readdir, create, lookup */
	bool dir_made;
	unsigned files_made; /* readdir entries created so far */
	struct bench_fh lookup_fh;
	struct bench_v3_fhs v3;
	uint32_t io_size;
	const uint8_t *payload;

	/* run phases */
	struct bench_stream *workers; /* the workload's streams */
	unsigned nworkers;
	bool stopping;
	bool measuring;
	uint64_t measure_start_ns, measure_end_ns;
	uint64_t measure_started_ops;
	unsigned active_ops;
	struct bench_stats stats;   /* reset when the window opens */
	struct bench_errors run_errors; /* whole run, never reset */
	uint64_t run_delay_retries;
	uint32_t slots_granted_min; /* over sessions */
};

/* Records a fatal error (first one wins) and makes the loop return. */
void bench_fail(struct bench_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* loop.c --------------------------------------------------------------- */

int loop_init(struct bench_ctx *c, unsigned max_streams);
void loop_destroy(struct bench_ctx *c);
/* Opens opts.connections connections. */
int loop_connect(struct bench_ctx *c);
/* Registers a stream (gives it an id and a request buffer). */
int loop_add_stream(struct bench_ctx *c, struct bench_stream *s);
void loop_free_stream(struct bench_stream *s);
/* Starts a call on s->conn: record mark and RPC header; the caller then
 * appends the arguments to s->call.enc and calls call_send. */
void call_begin(struct bench_stream *s, uint32_t prog, uint32_t vers, uint32_t proc,
		const struct rpc_cred *cred);
/* Marks the spot where the payload (len bytes, padded on the wire) goes. */
void call_splice(struct bench_stream *s, const uint8_t *payload, uint32_t len);
/* Finishes the record and queues it; replies go to s->on_reply. */
void call_send(struct bench_stream *s);
/* The loop's notion of now (see now_ns). */
static inline uint64_t loop_now(const struct bench_ctx *c) { return c->now_ns; }
/* Calls s->on_wake at now + ns. */
void loop_sleep(struct bench_stream *s, uint64_t ns);
/* Runs the loop until pred(arg) is true or the run failed; pred is checked
 * after every batch of events.  Returns 0 or -1 (c->error says why). */
int loop_run(struct bench_ctx *c, bool (*pred)(struct bench_ctx *c, void *arg), void *arg);

/* gss.c ---------------------------------------------------------------- */

/* "krb5p" etc. for opts.sec; "sys" for 0. */
const char *bench_sec_name(uint32_t sec);
/* Binds s (its connection set) to a context of its connection with room,
 * making a new one there when none has (a blocking round trip: call it
 * only while nothing is in flight).  No-op under AUTH_SYS.  0 or -1. */
int bench_gss_bind(struct bench_stream *s);
/* Ends every context (RPCSEC_GSS_DESTROY, unless the run failed) and
 * frees them.  Nothing may be in flight. */
void bench_gss_teardown(struct bench_ctx *c);
/* The sequence window of the contexts (0 before the first is made). */
uint32_t bench_gss_window(const struct bench_ctx *c);

/* tls.c ---------------------------------------------------------------- */

/* --tls: the AUTH_TLS probe and the TLS 1.3 handshake on cn's new
 * connection (blocking up to --timeout).  0, or -1 with bench_fail. */
int bench_tls_start(struct bench_conn *cn);
/* Sends close_notify and frees cn's session, if it has one. */
void bench_tls_end(struct bench_conn *cn);
/* The host of --server HOST:PORT ("[V6]:PORT" too, without its brackets):
 * the name the server's certificate and Kerberos service go by. */
void bench_server_host(const char *server, char *out, size_t len);

/* session.c ------------------------------------------------------------ */

/* EXCHANGE_ID, one CREATE_SESSION per session, RECLAIM_COMPLETE. */
int session_setup(struct bench_ctx *c);
/* DESTROY_SESSION each, DESTROY_CLIENTID; best effort after a failure. */
void session_teardown(struct bench_ctx *c);
/* Sends the stream's current step (SEQUENCE + s->enc) when a slot is free;
 * otherwise queues the stream for the next free slot.  Outcome: s->done. */
void session_issue(struct bench_stream *s);
/* Runs one compound on s synchronously (for setup/teardown).  Returns the
 * step result; STEP_ERROR leaves the failing op/status in s. */
enum step_result session_run_sync(struct bench_stream *s,
				  bool (*enc)(struct bench_stream *, struct nfs4_compound_enc *),
				  enum step_result (*dec)(struct bench_stream *, struct xdr_dec *,
							  uint32_t),
				  void *arg);
/* Reads the next result: returns 1 when the op succeeded (its body
 * follows), 0 when it failed (recorded in s->err_op/err_status), -1 on a
 * malformed reply or an unexpected op (bench_fail called). */
int session_res(struct bench_stream *s, struct xdr_dec *d, uint32_t *left, uint32_t want_op);
/* A step decoder's verdict for a failed op: DELAY or ERROR. */
enum step_result session_failed(struct bench_stream *s);
/* A step decoder's verdict for a result body that does not decode: says
 * "malformed OP result" and makes the step fatal. */
enum step_result session_malformed(struct bench_stream *s, uint32_t op);

/* In a step decoder (s, d and the results left n in scope): consumes the
 * next result, which must be op's and succeed, or returns the verdict. */
#define EXPECT_OK(s, d, n, op)                                   \
	do {                                                     \
		int rc_ = session_res((s), (d), &(n), (op));     \
		if (rc_ < 0)                                     \
			return STEP_FATAL;                       \
		if (rc_ == 0)                                    \
			return session_failed(s);                \
	} while (0)

/* The same, then decodes the result's body with dec into *res. */
#define EXPECT_RES(s, d, n, op, dec, res)                        \
	do {                                                     \
		EXPECT_OK(s, d, n, op);                          \
		if (!dec((d), (res)))                            \
			return session_malformed((s), (op));     \
	} while (0)
/* For messages and the report: "GETATTR", "NFS4ERR_DELAY"; numbers the
 * codec has no name for come back as "OP_<n>" / "NFS4ERR_<n>" in static
 * storage (the bench is single-threaded). */
const char *bench_op_name(uint32_t opnum);
const char *bench_status_name(uint32_t status);
/* The same for a call of NFS version vers: an NFSv3 workload's errors are
 * procedures and nfsstat3 values ("GETATTR", "NFS3ERR_BADHANDLE"). */
const char *bench_call_name(uint32_t vers, uint32_t op);
const char *bench_call_status_name(uint32_t vers, uint32_t status);

/* workloads.c ---------------------------------------------------------- */

struct bench_workload {
	const char *name;
	const char *desc;
	bool nfs;      /* needs sessions (all but null) */
	bool io_bytes; /* counts payload for MB/s */
	uint32_t minor; /* of its COMPOUNDs: 0 means 1 (2 for the NFSv4.2 ones) */
	uint32_t io_size; /* bytes a READ or WRITE moves; 0 where none */
	/* Creates the files it needs (synchronously, on session 0). */
	int (*setup)(struct bench_ctx *c);
	/* Prepares s for its next operation (names, offsets); step 0 follows. */
	void (*op_begin)(struct bench_stream *s);
	bool (*enc)(struct bench_stream *s, struct nfs4_compound_enc *ce);
	enum step_result (*dec)(struct bench_stream *s, struct xdr_dec *d, uint32_t numres);
	/* Undoes setup (unless --keep). */
	void (*teardown)(struct bench_ctx *c);
	/* NFSv3 workloads (--vers 3, workloads3.c): sends the stream's
	 * current step as one NFSv3 call, in place of enc and dec; the rest
	 * (setup, op_begin, teardown) is its NFSv4.1 namesake's.  NULL for
	 * NFSv4 workloads. */
	void (*issue3)(struct bench_stream *s);
	/* The NFSv4.1 workload whose set-up an NFSv3 one takes ("readdir" for
	 * readdirplus); NULL for NFSv4 workloads. */
	const char *base_name;
};

const struct bench_workload *workload_find(const char *name);
/* The NFSv3 workload of that name (a static copy: one per run), or NULL;
 * the list of them for --list-workloads. */
const struct bench_workload *workload_find_v3(const char *name);
void workload_list_v3(FILE *out);
/* handles3.c: fills c->v3 (and each session's wfh3) for the NFSv3
 * workload after its set-up: MOUNT v3 MNT of --export (MOUNT's port from
 * --mount-port or the server's rpcbind), then NFSv3 LOOKUPs.  0, or -1
 * after bench_fail. */
int bench_v3_handles(struct bench_ctx *c);
/* For the usage text: "null, sequence, getattr, ..." */
void workload_list(char *out, size_t len);
extern const struct bench_workload *const bench_workloads[];

/* run.c ---------------------------------------------------------------- */

struct bench_proc_sample {
	bool ok;
	double cpu_s;      /* user + system */
	uint64_t hwm_kb;   /* peak RSS (VmHWM) */
	uint64_t rss_kb;
};

struct bench_result {
	bool failed;          /* protocol error or setup failure */
	char error[512];
	double elapsed_s;     /* measured window */
	struct bench_stats stats;       /* the measured window */
	struct bench_errors run_errors; /* ops failed at any time (warm-up, drain too) */
	uint64_t run_delay_retries;
	double client_cpu_s;  /* over the measured window */
	struct bench_proc_sample server_before, server_after;
	uint32_t slots_requested;
	uint32_t slots_granted; /* lowest over sessions */
	uint32_t min_target_highest;
	uint32_t status_flags;
	uint32_t maxrequestsize, maxresponsesize;
	uint32_t io_size;
	unsigned gss_contexts; /* RPCSEC_GSS contexts made */
	uint32_t gss_window;
};

/* Runs the whole benchmark described by opts. */
void bench_run(const struct bench_opts *opts, struct bench_result *res);
bool bench_proc_sample(pid_t pid, struct bench_proc_sample *out);

static inline uint32_t bench_rand(uint32_t *state)
{
	/* xorshift32: cheap, per stream, reproducible with --seed */
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

#endif
