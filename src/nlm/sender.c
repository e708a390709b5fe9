/* The NLM sender: calls to clients' lock managers (GRANTED for blocked
 * LOCKs the state module granted, _RES calls answering _MSG calls) on
 * threads of their own, so that nothing else waits for a client, and the
 * calls to the local statd on another, in order, so that a client that does
 * not answer delays neither statd's calls nor other clients' grants: it
 * holds one client thread at most (the others skip its address), for one
 * callback timeout a call, and its queue of answers is bounded
 * (NLM_RES_QUEUED_PER_ADDR).
 *
 * Each call goes over the transport the client's own call came over: it
 * finds the client's NLM v4 TCP or UDP port with the portmapper on the
 * client's address (PMAPPROC_GETPORT) and dials it or sends it a datagram
 * (again while no reply comes), as a server's lock manager reaches a
 * client's (the client's lockd registers there).  The connection is not
 * kept: grants are rare next to the calls they answer. */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "nlm/nlm_internal.h"
#include "rpc/client.h"
#include "rpc/rpcbind.h"
#include "state/state.h"

bool nlm_blob_encode(struct xdr_enc *e, const struct nlm_grant_blob *b)
{
	return xdr_encode_opaque(e, b->addr.data, b->addr.len) && xdr_encode_bool(e, b->udp) &&
	       xdr_encode_bool(e, b->exclusive) && nlm4_encode_lock(e, &b->lock);
}

bool nlm_blob_decode(const uint8_t *p, uint32_t len, struct nlm_grant_blob *out)
{
	struct xdr_dec d;
	xdr_dec_init(&d, p, len);
	return xdr_decode_opaque(&d, NLM_ADDR_MAX - 1, &out->addr.data, &out->addr.len) &&
	       xdr_decode_bool(&d, &out->udp) && xdr_decode_bool(&d, &out->exclusive) &&
	       nlm4_decode_lock(&d, &out->lock);
}

void nlm_job_free(struct nlm_job *j)
{
	free(j->args);
	free(j->blob);
	free(j);
}

static uint8_t *dup_bytes(const uint8_t *p, uint32_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	if (c && len)
		memcpy(c, p, len);
	return c;
}

/* Whether an answer for addr may join the queue (lock held). */
static bool res_room(const struct nlm_service *n, const char *addr)
{
	if (n->res_queued >= NLM_RES_QUEUED_MAX)
		return false;
	unsigned here = 0;
	for (const struct nlm_job *q = n->jobs; q; q = q->next)
		if (q->kind == NLM_JOB_RES && strcmp(q->addr, addr) == 0 &&
		    ++here >= NLM_RES_QUEUED_PER_ADDR)
			return false;
	return true;
}

/* Appends j (lock held): at the tail, as statd must hear of a host's
 * SM_MON before its SM_UNMON. */
static void job_append(struct nlm_service *n, struct nlm_job *j)
{
	if (!j->due_ms)
		j->due_ms = clock_now_ms();
	struct nlm_job **pp = &n->jobs;
	while (*pp)
		pp = &(*pp)->next;
	j->next = NULL;
	*pp = j;
	if (j->kind == NLM_JOB_RES)
		n->res_queued++;
	pthread_cond_broadcast(&n->cond);
}

bool nlm_send_queue(struct nlm_service *n, enum nlm_job_kind kind, const char *addr, bool udp,
		    uint32_t proc, const uint8_t *args, uint32_t args_len, const uint8_t *blob,
		    uint32_t blob_len)
{
	struct nlm_job *j = calloc(1, sizeof(*j));
	if (!j)
		return false;
	j->kind = kind;
	snprintf(j->addr, sizeof(j->addr), "%s", addr);
	j->udp = udp;
	j->proc = proc;
	j->args = dup_bytes(args, args_len);
	j->args_len = args_len;
	j->blob = blob ? dup_bytes(blob, blob_len) : NULL;
	j->blob_len = blob_len;
	if (!j->args || (blob && !j->blob)) {
		nlm_job_free(j);
		return false;
	}
	pthread_mutex_lock(&n->lock);
	bool room = kind != NLM_JOB_RES || res_room(n, j->addr);
	if (room)
		job_append(n, j);
	pthread_mutex_unlock(&n->lock);
	if (!room) {
		atomic_fetch_add(&n->res_failed, 1);
		nlm_job_free(j);
	}
	return room;
}

void nlm_job_push(struct nlm_service *n, struct nlm_job *j)
{
	pthread_mutex_lock(&n->lock);
	job_append(n, j);
	pthread_mutex_unlock(&n->lock);
}

/* Whether another sender thread than me is calling addr (lock held). */
static bool addr_busy(const struct nlm_service *n, unsigned me, const char *addr)
{
	for (unsigned i = 0; i < NLM_SENDERS; i++)
		if (i != me && n->busy[i][0] && strcmp(n->busy[i], addr) == 0)
			return true;
	return false;
}

void nlm_grant_hook(void *ctx, const struct state_nlm_grant *g)
{
	struct nlm_service *n = ctx;
	struct nlm_grant_blob b;
	if (!nlm_blob_decode(g->blob, g->blob_len, &b)) {
		log_error("nlm: a granted lock's record does not decode");
		return;
	}
	uint64_t cookie = atomic_fetch_add(&n->next_cookie, 1);
	uint8_t cookie_bytes[8];
	xdr_put_be32(cookie_bytes, (uint32_t)(cookie >> 32));
	xdr_put_be32(cookie_bytes + 4, (uint32_t)cookie);
	struct nlm4_testargs args = {
		.cookie = {cookie_bytes, sizeof(cookie_bytes)},
		.exclusive = b.exclusive,
		.lock = b.lock,
	};
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 256, 4 * 4096)) {
		log_error("nlm: no memory to tell a client its lock is granted");
		return;
	}
	char addr[NLM_ADDR_MAX];
	snprintf(addr, sizeof(addr), "%.*s", (int)b.addr.len, (const char *)b.addr.data);
	if (!nlm4_encode_testargs(&e, &args) || e.overflow ||
	    !nlm_send_queue(n, NLM_JOB_GRANTED, addr, b.udp, NLMPROC4_GRANTED, e.buf->data,
			    (uint32_t)e.buf->len, g->blob, g->blob_len))
		log_error("nlm: no memory to tell a client its lock is granted");
	xdr_enc_release(&e);
}

/* "HOST:PORT" for rpc_client_connect (IPv6 in brackets). */
static void hostport(char *out, size_t len, const char *addr, uint16_t port)
{
	if (strchr(addr, ':'))
		snprintf(out, len, "[%s]:%u", addr, port);
	else
		snprintf(out, len, "%s:%u", addr, port);
}

int nlm_getport(struct nlm_service *n, const char *addr, uint16_t pmap_port, uint32_t prog,
		uint32_t vers, uint32_t proto, uint16_t *port)
{
	char hp[NLM_ADDR_MAX + 8];
	hostport(hp, sizeof(hp), addr, pmap_port);
	return rpcbind_getport(hp, RPC_CLIENT_PORT_UNRESERVED, n->opts.callback_timeout_ms, prog,
			       vers, proto, port);
}

int nlm_call(struct nlm_service *n, const char *addr, bool udp, uint16_t port, uint32_t prog,
	     uint32_t vers, uint32_t proc, const uint8_t *args, size_t args_len,
	     struct buf **reply, size_t *off)
{
	char hp[NLM_ADDR_MAX + 8];
	hostport(hp, sizeof(hp), addr, port);
	struct rpc_client cl;
	int rc = udp ? rpc_client_connect_udp(&cl, hp, RPC_CLIENT_PORT_RESERVED_IF_ALLOWED)
		     : rpc_client_connect(&cl, hp, n->opts.callback_timeout_ms);
	if (rc)
		return rc;
	cl.max_record = NLM_REPLY_MAX;
	struct rpc_cred cred = {.flavor = RPC_AUTH_SYS, .uid = 0, .gid = 0};
	snprintf(cred.machinename, sizeof(cred.machinename), "ferryd");
	struct rpc_reply_hdr hdr;
	rc = rpc_client_call(&cl, prog, vers, proc, &cred, args, args_len, reply, &hdr, off,
			     n->opts.callback_timeout_ms);
	rpc_client_close(&cl);
	if (rc)
		return rc;
	if (hdr.reply_stat != RPC_MSG_ACCEPTED || hdr.accept_stat != RPC_SUCCESS) {
		buf_unref(*reply);
		*reply = NULL;
		return -EPROTO;
	}
	return 0;
}

/* Makes the job's call.  0 with *stat (GRANTED's nlm4_stats; NLM4_GRANTED
 * for a _RES, whose result is void), or a negative errno. */
static int call_client(struct nlm_service *n, const struct nlm_job *j, uint32_t *stat)
{
	if (j->kind == NLM_JOB_SM_MON || j->kind == NLM_JOB_SM_UNMON) {
		*stat = NLM4_GRANTED;
		return nlm_nsm_call(n, j);
	}
	uint16_t port;
	int rc = nlm_getport(n, j->addr, n->opts.portmapper_port, NLM_PROGRAM, NLM4_VERSION,
			     j->udp ? IPPROTO_UDP : IPPROTO_TCP, &port);
	if (rc)
		return rc;
	/* As the server host's root (nlm_call): the v4.0 callbacks' choice too. */
	struct buf *reply;
	size_t off;
	rc = nlm_call(n, j->addr, j->udp, port, NLM_PROGRAM, NLM4_VERSION, j->proc, j->args,
		      j->args_len, &reply, &off);
	if (rc)
		return rc;
	*stat = NLM4_GRANTED;
	if (j->kind == NLM_JOB_GRANTED) {
		struct xdr_dec d;
		xdr_dec_init(&d, reply->data + off, reply->len - off);
		struct nlm4_res res;
		if (!nlm4_decode_res(&d, &res))
			rc = -EBADMSG;
		else
			*stat = res.stat;
	}
	buf_unref(reply);
	return rc;
}

/* The outcome of a job: done (freed), or back in the queue for later. */
static void job_finish(struct nlm_service *n, struct nlm_job *j, int rc, uint32_t stat)
{
	bool again = false;
	if (j->kind == NLM_JOB_SM_MON || j->kind == NLM_JOB_SM_UNMON) {
		if (rc) {
			atomic_fetch_add(&n->nsm_failed, 1);
			char shown[80];
			log_printable(shown, sizeof(shown), j->host, strlen(j->host));
			log_ratelimited("nlm: %s of host %s through the local statd failed: %s",
					j->kind == NLM_JOB_SM_MON ? "SM_MON" : "SM_UNMON", shown,
					strerror(-rc));
		}
	} else if (j->kind == NLM_JOB_RES) {
		if (rc) {
			atomic_fetch_add(&n->res_failed, 1);
			log_ratelimited("nlm: %s: answer to an asynchronous call not delivered: %s",
					j->addr, strerror(-rc));
		} else {
			atomic_fetch_add(&n->res_sent, 1);
		}
	} else if (rc == 0 && stat == NLM4_GRANTED) {
		atomic_fetch_add(&n->granted_sent, 1);
	} else if ((rc || stat == NLM4_DENIED_GRACE_PERIOD) &&
		   j->attempts < n->opts.granted_retries) {
		/* Unreachable, or the client is in its own grace period:
		 * later, with a longer wait each time. */
		again = true;
	} else {
		/* Refused (the client no longer waits for it: its process
		 * went or cancelled) or never delivered: the lock goes, so that
		 * nobody waits behind a lock no one holds. */
		struct nlm_grant_blob b;
		if (rc) {
			atomic_fetch_add(&n->granted_failed, 1);
			log_ratelimited("nlm: %s: GRANTED not delivered (%s); the lock is released",
					j->addr, strerror(-rc));
		} else {
			atomic_fetch_add(&n->granted_refused, 1);
		}
		if (nlm_blob_decode(j->blob, j->blob_len, &b))
			nlm_release_granted(n, &b);
	}
	if (!again) {
		nlm_job_free(j);
		return;
	}
	uint64_t wait = (uint64_t)n->opts.retry_ms << (j->attempts < 8 ? j->attempts : 8);
	j->attempts++;
	j->due_ms = clock_now_ms() + wait;
	pthread_mutex_lock(&n->lock);
	j->next = n->jobs;
	n->jobs = j;
	pthread_mutex_unlock(&n->lock);
}

/* statd's thread's jobs: its calls, and the list of hosts it keeps. */
static bool is_nsm(const struct nlm_job *j)
{
	return j->kind == NLM_JOB_SM_MON || j->kind == NLM_JOB_SM_UNMON ||
	       j->kind == NLM_JOB_HOSTS_SETTLE;
}

/* The grace period's end is checked once a second. */
enum { NLM_HOSTS_SETTLE_MS = 1000 };

static void *sender_main(void *arg)
{
	struct nlm_service *n = ((struct sender_arg *)arg)->n;
	bool nsm = ((struct sender_arg *)arg)->nsm;
	unsigned me = ((struct sender_arg *)arg)->idx;
	pthread_mutex_lock(&n->lock);
	while (!n->stop) {
		if (nsm && n->nsm_paused) {
			n->nsm_held = true;
			pthread_cond_broadcast(&n->cond);
			pthread_cond_wait(&n->cond, &n->lock);
			continue;
		}
		if (nsm)
			n->nsm_held = false;
		uint64_t now = clock_now_ms(), next = UINT64_MAX;
		struct nlm_job **pp = &n->jobs, *due = NULL;
		for (; *pp; pp = &(*pp)->next) {
			if (is_nsm(*pp) != nsm || (!nsm && addr_busy(n, me, (*pp)->addr)))
				continue;
			if ((*pp)->due_ms <= now) {
				due = *pp;
				*pp = due->next;
				break;
			}
			if ((*pp)->due_ms < next)
				next = (*pp)->due_ms;
		}
		if (!due) {
			if (next == UINT64_MAX) {
				pthread_cond_wait(&n->cond, &n->lock);
			} else {
				struct timespec ts = clock_deadline_ms(next - now);
				pthread_cond_timedwait(&n->cond, &n->lock, &ts);
			}
			continue;
		}
		if (due->kind == NLM_JOB_RES)
			n->res_queued--;
		if (!nsm)
			snprintf(n->busy[me], sizeof(n->busy[me]), "%s", due->addr);
		pthread_mutex_unlock(&n->lock);
		if (due->kind == NLM_JOB_HOSTS_SETTLE) {
			bool settled = nlm_nsm_hosts_settle(n);
			pthread_mutex_lock(&n->lock);
			if (settled) {
				nlm_job_free(due);
			} else {
				due->due_ms = clock_now_ms() + NLM_HOSTS_SETTLE_MS;
				job_append(n, due);
			}
			continue;
		}
		uint32_t stat = NLM4_FAILED;
		int rc = call_client(n, due, &stat);
		job_finish(n, due, rc, stat);
		/* A released lock may have granted another blocked one. */
		state_lock_notify_flush(n->st);
		pthread_mutex_lock(&n->lock);
		if (!nsm) {
			/* The address's other jobs are free to go. */
			n->busy[me][0] = '\0';
			pthread_cond_broadcast(&n->cond);
		}
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

void nlm_nsm_pause(struct nlm_service *n, bool paused)
{
	pthread_mutex_lock(&n->lock);
	n->nsm_paused = paused;
	pthread_cond_broadcast(&n->cond);
	/* A call to statd under way ends first. */
	while (paused && !n->nsm_held && !n->stop && n->nthreads)
		pthread_cond_wait(&n->cond, &n->lock);
	pthread_mutex_unlock(&n->lock);
}

int nlm_sender_start(struct nlm_service *n)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&n->lock, NULL);
	static_assert(NLM_SENDERS >= 2, "one thread for statd, at least one for clients");
	for (unsigned i = 0; i < NLM_SENDERS; i++) {
		n->sender_args[i] = (struct sender_arg){.n = n, .idx = i, .nsm = i == 0};
		int rc = pthread_create(&n->threads[i], NULL, sender_main, &n->sender_args[i]);
		if (rc) {
			nlm_sender_stop(n);
			return -rc;
		}
		n->nthreads++;
	}
	return 0;
}

void nlm_sender_stop(struct nlm_service *n)
{
	pthread_mutex_lock(&n->lock);
	n->stop = true;
	pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->lock);
	for (unsigned i = 0; i < n->nthreads; i++)
		pthread_join(n->threads[i], NULL);
	n->nthreads = 0;
	while (n->jobs) {
		struct nlm_job *j = n->jobs;
		n->jobs = j->next;
		nlm_job_free(j);
	}
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->lock);
}
