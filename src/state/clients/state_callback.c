/* The v4.0 callback path: after SETCLIENTID_CONFIRM a probe of the address
 * the client gave is queued (bounded, one per client and callback) and the
 * state thread hands it to the callback engine (cb_probe), which sends
 * CB_NULL and reports with state_cb_probe_done; without an engine the
 * state thread dials and waits itself (cb_null).  A result is dropped if
 * the client changed its callback since.
 *
 * A path that is not up is probed again when the client renews its lease
 * (any request of its) and enough time went by: the first probe can fail
 * for passing reasons (the client's callback service busy or not
 * listening yet right after its mount, a lost connection), and without
 * another one the client would never get a delegation.  The wait doubles
 * with each failure, from cb_reprobe_ms up to a lease, so a client whose
 * callback never works costs one CB_NULL a lease at most, and an idle one
 * none (it opens nothing a delegation could be given for). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "state/base/state_internal.h"

/* "h1.h2.h3.h4.p1.p2" (tcp) or "v6addr.p1.p2" (tcp6), RFC 5665. */
bool state_uaddr_to_hostport(const char *netid, const char *uaddr, char *out, size_t outlen)
{
	bool v6;
	if (strcmp(netid, "tcp") == 0)
		v6 = false;
	else if (strcmp(netid, "tcp6") == 0)
		v6 = true;
	else
		return false;
	size_t len = strnlen(uaddr, STATE_UADDR_MAX);
	const char *p2 = memrchr(uaddr, '.', len);
	if (!p2 || p2 == uaddr)
		return false;
	const char *p1 = memrchr(uaddr, '.', (size_t)(p2 - uaddr));
	if (!p1 || p1 == uaddr)
		return false;
	char host[STATE_UADDR_MAX];
	size_t hl = (size_t)(p1 - uaddr);
	memcpy(host, uaddr, hl);
	host[hl] = '\0';
	unsigned long hi = 0, lo = 0;
	char *end;
	hi = strtoul(p1 + 1, &end, 10);
	if (end != p2 || p1[1] == '\0' || hi > 255)
		return false;
	lo = strtoul(p2 + 1, &end, 10);
	if (*end != '\0' || p2[1] == '\0' || lo > 255)
		return false;
	unsigned port = (unsigned)(hi << 8 | lo);
	uint8_t bin[16];
	/* Only a literal address: nothing here resolves names. */
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, bin) != 1 || port == 0)
		return false;
	int n = v6 ? snprintf(out, outlen, "[%s]:%u", host, port)
		   : snprintf(out, outlen, "%s:%u", host, port);
	return n > 0 && (size_t)n < outlen;
}

/* The wait before the next probe of a path that failed cl->cb_downs
 * times in a row. */
static uint64_t reprobe_wait_ms(const struct state_server *st, const struct state_client *cl)
{
	uint64_t base = st->opts.cb_reprobe_ms ? st->opts.cb_reprobe_ms : STATE_CB_REPROBE_FIRST_MS;
	uint64_t cap = st->opts.lease_ms > base ? st->opts.lease_ms : base;
	unsigned shift = cl->cb_downs > 1 ? cl->cb_downs - 1 : 0;
	uint64_t wait = base << (shift < 20 ? shift : 20);
	return wait < cap ? wait : cap;
}

void state_cb_schedule(struct state_server *st, struct state_client *cl)
{
	if (!st->opts.cb_null && !st->opts.cb_probe)
		return;
	/* Asked for now: the client's renewals ask again only once this
	 * probe had its time to answer (or it was not queued: below). */
	cl->cb_reprobe_ms = state_now_ms() + st->opts.cb_timeout_ms + reprobe_wait_ms(st, cl);
	unsigned n = 0;
	for (struct state_probe *q = st->probes; q; q = q->next, n++)
		if (q->clientid == cl->clientid && q->gen == cl->cb_gen)
			return; /* already asked for */
	if (n >= STATE_PROBES_MAX) {
		log_ratelimited("state: %u callback probes waiting; client %016llx not probed", n,
				(unsigned long long)cl->clientid);
		return;
	}
	struct state_probe *p = calloc(1, sizeof(*p));
	if (!p)
		return; /* the path stays unknown: no delegations, nothing worse */
	p->clientid = cl->clientid;
	p->gen = cl->cb_gen;
	p->prog = cl->cb.program;
	memcpy(p->netid, cl->cb.netid, sizeof(p->netid));
	memcpy(p->addr, cl->cb.addr, sizeof(p->addr));
	*st->probes_tail = p;
	st->probes_tail = &p->next;
	pthread_cond_signal(&st->cond);
}

bool state_cb_run_one(struct state_server *st)
{
	pthread_mutex_lock(&st->lock);
	struct state_probe *p = st->probes;
	if (p) {
		st->probes = p->next;
		if (!st->probes)
			st->probes_tail = &st->probes;
	}
	pthread_mutex_unlock(&st->lock);
	if (!p)
		return false;
	if (st->opts.cb_probe) {
		st->opts.cb_probe(st->opts.cb_ctx, p->clientid, p->gen);
		free(p);
		return true;
	}
	char hostport[STATE_UADDR_MAX + 8];
	int rc = -22; /* EINVAL */
	if (state_uaddr_to_hostport(p->netid, p->addr, hostport, sizeof(hostport)))
		rc = st->opts.cb_null(hostport, p->prog, st->opts.cb_timeout_ms);
	if (rc != 0)
		log_info("state: callback probe of client %016llx (%s %s) failed: %d",
			 (unsigned long long)p->clientid, p->netid, p->addr, rc);
	state_cb_probe_done(st, p->clientid, p->gen, rc == 0);
	free(p);
	return true;
}

void state_cb_free_queue(struct state_server *st)
{
	while (st->probes) {
		struct state_probe *p = st->probes;
		st->probes = p->next;
		free(p);
	}
	st->probes_tail = &st->probes;
}

void state_cb_probe_done(struct state_server *st, uint64_t clientid, uint32_t gen, bool ok)
{
	pthread_mutex_lock(&st->lock);
	struct state_client *cl = state_client_find(st, clientid, true);
	if (cl && cl->cb_gen == gen && !cl->v41) {
		if (ok) {
			if (cl->cb_status != STATE_CB_UP && cl->cb_downs)
				log_info("state: callback path of client %016llx (%s %s) is up "
					 "after %u failed probes",
					 (unsigned long long)clientid, cl->cb.netid, cl->cb.addr,
					 cl->cb_downs);
			else if (cl->cb_status != STATE_CB_UP)
				log_debug("state: callback path of client %016llx (%s %s) is up",
					  (unsigned long long)clientid, cl->cb.netid, cl->cb.addr);
			cl->cb_downs = 0;
			cl->cb_reprobe_ms = 0;
		} else {
			cl->cb_downs++;
			cl->cb_reprobe_ms = state_now_ms() + reprobe_wait_ms(st, cl);
			if (cl->cb_status != STATE_CB_DOWN)
				log_info("state: callback path of client %016llx (%s %s) is "
					 "down; probed again on its first request after %llu ms",
					 (unsigned long long)clientid, cl->cb.netid, cl->cb.addr,
					 (unsigned long long)reprobe_wait_ms(st, cl));
		}
		cl->cb_status = ok ? STATE_CB_UP : STATE_CB_DOWN;
	} else if (cl && !cl->v41) {
		log_debug("state: callback outcome of client %016llx for an earlier callback "
			  "(%u, now %u) ignored",
			  (unsigned long long)clientid, gen, cl->cb_gen);
	}
	pthread_mutex_unlock(&st->lock);
}

void state_cb_reprobe_due(struct state_server *st, struct state_client *cl, uint64_t now)
{
	if (!cl->v41 && cl->cb_status != STATE_CB_UP && cl->confirmed && cl->cb_reprobe_ms &&
	    now >= cl->cb_reprobe_ms)
		state_cb_schedule(st, cl);
}
