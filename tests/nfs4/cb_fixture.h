/* The NFSv4 server with its rpc server in the test process, listening on
 * loopback, so the test client (lib/nfs4_client.h) talks to it over real
 * sockets while the test queues callbacks with cb_queue and sees
 * their done() directly.  Callback timings are short so retries and
 * give-ups take fractions of a second.  Header-only: every tests/nfs4 file
 * is its own program. */
#ifndef FERRY_TESTS_NFS4_CB_FIXTURE_H
#define FERRY_TESTS_NFS4_CB_FIXTURE_H

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/config.h"
#include "core/container_of.h"
#include "core/log.h"
#include "lib/nfs4_client.h"
#include "callback/callback.h"
#include "nfs4/engine/program.h"
#include "nfs4/server.h"
#include "rpc/server.h"

struct cbfix {
	char dir[256];
	struct ferry_config cfg;
	struct nfs4_server nfs;
	struct rpc_server *rpc;
	char hostport[64];
};

/* Short timings: an unanswered call fails after timeout_ms; backoff from
 * retry_ms; retries attempts. */
static inline struct cbfix *cbfix_start_clients(unsigned timeout_ms, unsigned retry_ms,
						unsigned retries, const char *clients);

static inline struct cbfix *cbfix_start(unsigned timeout_ms, unsigned retry_ms, unsigned retries)
{
	return cbfix_start_clients(timeout_ms, retry_ms, retries, NULL);
}

/* clients: the export's client list ("127.0.0.1/32"), NULL for everyone. */
static inline struct cbfix *cbfix_start_clients(unsigned timeout_ms, unsigned retry_ms,
						unsigned retries, const char *clients)
{
	struct cbfix *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof(f->dir), "%s/ferry-cb-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return NULL;
	config_init_defaults(&f->cfg);
	f->cfg.rpcbind = false;
	f->cfg.grace_time_s = 0;
	f->cfg.callback_timeout_ms = timeout_ms;
	f->cfg.callback_retry_ms = retry_ms;
	f->cfg.callback_retries = retries;
	snprintf(f->cfg.state_dir, sizeof(f->cfg.state_dir), "%s", f->dir);
	char spec[64], err[256];
	snprintf(spec, sizeof(spec), "mema:/mem/a");
	if (!config_add_export_spec(&f->cfg, spec, err, sizeof(err)))
		return NULL;
	snprintf(f->cfg.exports[0].backend, sizeof(f->cfg.exports[0].backend), "memory");
	if (clients) {
		snprintf(f->cfg.exports[0].clients[0], sizeof(f->cfg.exports[0].clients[0]), "%s",
			 clients);
		f->cfg.exports[0].nclients = 1;
	}
	if (!config_finish(&f->cfg, err, sizeof(err)))
		return NULL;
	log_set_level(LOG_LEVEL_WARN);
	if (nfs4_server_init(&f->nfs, &f->cfg) != 0)
		return NULL;
	struct rpc_server_options o;
	rpc_server_options_default(&o);
	o.event_loops = 2;
	o.workers = 2;
	o.max_record_size = f->cfg.max_record_size;
	f->rpc = rpc_server_create(&o);
	if (!f->rpc)
		return NULL;
	struct rpc_program p;
	nfs4_program_describe(&p, &f->nfs);
	f->nfs.rpc = f->rpc;
	rpc_server_add_program(f->rpc, &p);
	uint16_t port;
	if (rpc_server_listen(f->rpc, "127.0.0.1:0", &port) != 0 || rpc_server_start(f->rpc) != 0)
		return NULL;
	snprintf(f->hostport, sizeof(f->hostport), "127.0.0.1:%u", port);
	return f;
}

static inline int cbfix_rm_one(const char *path, const struct stat *st, int flag,
			       struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void cbfix_stop(struct cbfix *f)
{
	if (!f)
		return;
	rpc_server_stop(f->rpc, 1000);
	nfs4_server_fini(&f->nfs);
	rpc_server_destroy(f->rpc);
	nftw(f->dir, cbfix_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
}

/* --- the client's side ------------------------------------------------------------ */

enum { CBFIX_WAIT_MS = 5000 };
#define WAIT_MS CBFIX_WAIT_MS

/* Waits until every queued callback (probes included) ended. */
static inline void cbfix_quiesce(struct cbfix *f)
{
	struct cb_stats st;
	for (unsigned waited = 0;; waited += 5) {
		cb_get_stats(f->nfs.cb, &st);
		if (st.pending == 0)
			return;
		assert_true(waited < 4 * CBFIX_WAIT_MS);
		usleep(5 * 1000);
	}
}

/* A session whose fore connection is its back channel, answered by svc in
 * the background (all 16 back slots offered); the probe the first
 * SEQUENCE starts is answered. */
static inline void cbfix_back_session(struct cbfix *f, struct nfs4c_sess *s, struct nfs4c_cb *svc,
				      const char *name)
{
	int fd = nfs4c_connect(f->hostport);
	nfs4c_cb_init(svc, NFS4C_CB_PROGRAM);
	svc->highest_slot = svc->target_highest_slot = 15;
	nfs4c_cb_attach(fd, svc);
	nfs4c_session_up_flags(s, fd, 900, name, NULL, CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
	nfs4c_bg_start(fd);
	nfs4c_ping(s);
	assert_true(nfs4c_cb_wait(svc, OP_CB_SEQUENCE, 1, CBFIX_WAIT_MS));
	/* The server took the answer (its back slot is free again). */
	for (unsigned waited = 0; !cb_path_up(f->nfs.cb, s->clientid); waited += 5) {
		assert_true(waited < CBFIX_WAIT_MS);
		usleep(5 * 1000);
	}
	cbfix_quiesce(f);
}

static inline void cbfix_end_session(struct nfs4c_sess *s, struct nfs4c_cb *svc)
{
	nfs4c_close(s->fd);
	nfs4c_cb_destroy(svc);
}

/* SEQUENCEs until flags has every bit of want (or timeout); the flags. */
static inline uint32_t cbfix_ping_until(struct nfs4c_sess *s, uint32_t want, unsigned timeout_ms)
{
	uint32_t flags = 0;
	for (unsigned waited = 0;; waited += 20) {
		flags = nfs4c_ping(s);
		if ((flags & want) == want || waited >= timeout_ms)
			return flags;
		usleep(20 * 1000);
	}
}

/* --- what done() saw ----------------------------------------------------------- */

enum { CBFIX_DONE_MAX = 64 };

struct cbfix_done {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned n;
	uint32_t status[CBFIX_DONE_MAX];
	uintptr_t tag[CBFIX_DONE_MAX]; /* the arg each done() got, in order */
	bool getattr[CBFIX_DONE_MAX];
	struct nfs4_bitmap getattr_mask[CBFIX_DONE_MAX];
};

static struct cbfix_done cbfix_dones = {.lock = PTHREAD_MUTEX_INITIALIZER,
				       .cond = PTHREAD_COND_INITIALIZER};

static inline void cbfix_done_reset(void)
{
	pthread_mutex_lock(&cbfix_dones.lock);
	cbfix_dones.n = 0;
	pthread_mutex_unlock(&cbfix_dones.lock);
}

/* A test's callback, filled on the stack and queued as a copy of its own
 * (cbfix_queue), which done() frees: the owner's side of struct cb_call. */
struct cbfix_req {
	struct cb_call call;
	union {
		struct nfs4_cb_recall_args recall;
		struct nfs4_cb_getattr_args getattr;
		struct nfs4_cb_notify_lock_args notify_lock;
	} args;
	uint8_t fh[NFS4_FHSIZE];
	uint8_t owner[64]; /* CB_NOTIFY_LOCK's lock owner */
	uintptr_t tag;     /* what cbfix_dones.tag records */
	struct nfs4_cb_getattr_res res;
};

static inline void cbfix_on_done(struct cb_call *call, uint32_t status)
{
	struct cbfix_req *r = container_of(call, struct cbfix_req, call);
	pthread_mutex_lock(&cbfix_dones.lock);
	unsigned i = cbfix_dones.n;
	if (i < CBFIX_DONE_MAX) {
		bool getattr = call->op == &cb_op_getattr && status == NFS4_OK;
		cbfix_dones.status[i] = status;
		cbfix_dones.tag[i] = r->tag;
		cbfix_dones.getattr[i] = getattr;
		if (getattr)
			cbfix_dones.getattr_mask[i] = r->res.attrs.mask;
		cbfix_dones.n++;
	}
	pthread_cond_broadcast(&cbfix_dones.cond);
	pthread_mutex_unlock(&cbfix_dones.lock);
	free(r);
}

/* Queues a copy of req (its pointers moved into the copy); the copy is
 * freed by cbfix_on_done, or here when it was not queued. */
static inline int cbfix_queue(struct cb_engine *eng, uint64_t clientid,
			      const struct cbfix_req *req)
{
	struct cbfix_req *r = malloc(sizeof(*r));
	assert_non_null(r);
	*r = *req;
	r->call.args = &r->args;
	if (req->call.res)
		r->call.res = &r->res;
	switch (req->call.op ? req->call.op->opnum : 0) {
	case OP_CB_RECALL:
		r->args.recall.fh.data = r->fh;
		break;
	case OP_CB_GETATTR:
		r->args.getattr.fh.data = r->fh;
		break;
	case OP_CB_NOTIFY_LOCK:
		r->args.notify_lock.fh.data = r->fh;
		r->args.notify_lock.lock_owner.owner.data = r->owner;
		break;
	default:
		break;
	}
	int rc = cb_queue(eng, clientid, &r->call);
	if (rc != 0)
		free(r);
	return rc;
}

/* Waits until n done() calls happened; false after timeout_ms. */
static inline bool cbfix_wait_done(unsigned n, unsigned timeout_ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&cbfix_dones.lock);
	int rc = 0;
	while (cbfix_dones.n < n && rc == 0)
		rc = pthread_cond_timedwait(&cbfix_dones.cond, &cbfix_dones.lock, &ts);
	bool ok = cbfix_dones.n >= n;
	pthread_mutex_unlock(&cbfix_dones.lock);
	return ok;
}

static inline unsigned cbfix_done_count(void)
{
	pthread_mutex_lock(&cbfix_dones.lock);
	unsigned n = cbfix_dones.n;
	pthread_mutex_unlock(&cbfix_dones.lock);
	return n;
}

/* A CB_RECALL request for a made-up stateid numbered k. */
static inline void cbfix_recall(struct cbfix_req *req, unsigned k)
{
	memset(req, 0, sizeof(*req));
	req->call.op = &cb_op_recall;
	for (unsigned i = 0; i < 8; i++)
		req->fh[i] = (uint8_t)(0x40 + k + i);
	req->args.recall.fh = (struct nfs4_opaque){req->fh, 8};
	req->args.recall.stateid.seqid = 1;
	memset(req->args.recall.stateid.other, (int)(0x10 + k), NFS4_OTHER_SIZE);
	req->args.recall.truncate = (k & 1) != 0;
	req->call.done = cbfix_on_done;
	req->tag = k;
}

#endif
