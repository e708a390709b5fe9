/* NLM over UDP: a socket on each listener's address and port (the
 * procedures are program.c's, as over TCP), and where statd's callback
 * comes: the socket bound on 0.0.0.0 or 127.0.0.1 when there is one, a
 * socket of its own on 127.0.0.1 otherwise.  rpcbind keeps one address per
 * program, version and netid, and statd looks NLM v4 over UDP up there to
 * call 127.0.0.1 at that port: the callback's own socket is bound at the
 * port the listeners' registration names where it can be. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "nlm/nlm_internal.h"
#include "rpc/addr.h"

/* Whether a datagram to 127.0.0.1 at the socket's port reaches a socket
 * bound at host (IPv6 sockets are IPv6 only). */
static bool covers_loopback(const char *host, bool *v6)
{
	struct in_addr a;
	struct in6_addr a6;
	*v6 = inet_pton(AF_INET6, host, &a6) == 1;
	if (*v6 || inet_pton(AF_INET, host, &a) != 1)
		return false;
	return a.s_addr == htonl(INADDR_ANY) || a.s_addr == htonl(INADDR_LOOPBACK);
}

static int bind_one(struct nlm_service *n, const char *host, uint16_t port, bool nlm,
		    struct nlm_udp_listener **out)
{
	if (n->nudp >= NLM_UDP_MAX)
		return -ENOSPC;
	struct nlm_udp_listener *l = &n->udp[n->nudp];
	*l = (struct nlm_udp_listener){.n = n, .nlm = nlm};
	l->loopback = covers_loopback(host, &l->v6);
	char hostport[sizeof(l->hostport)];
	snprintf(hostport, sizeof(hostport), l->v6 ? "[%s]:%u" : "%s:%u", host, port);
	struct rpc_udp_program prog = {
		.prog = NLM_PROGRAM,
		.vers_low = NLM4_VERSION,
		.vers_high = NLM4_VERSION,
		.serve = nlm_udp_serve,
		.ctx = l,
	};
	int rc = rpc_udp_listen(hostport, &prog, 1, &l->udp, &l->port);
	if (rc)
		return rc;
	snprintf(l->hostport, sizeof(l->hostport), l->v6 ? "[%s]:%u" : "%s:%u", host, l->port);
	n->nudp++;
	*out = l;
	return 0;
}

int nlm_udp_listen(struct nlm_service *n, const char *hostport)
{
	if (!n->opts.udp)
		return 0;
	char host[128], port[16];
	if (rpc_addr_split(hostport, host, sizeof(host), port, sizeof(port)) != 0 ||
	    !rpc_addr_port_ok(port)) {
		log_warn("nlm: %s is not an address NLM can be served at over UDP", hostport);
		return -EINVAL;
	}
	struct nlm_udp_listener *l;
	int rc = bind_one(n, host, (uint16_t)atoi(port), true, &l);
	if (rc) {
		log_warn("nlm: cannot serve NLM over UDP at %s: %s; NLM is served over TCP "
			 "alone there",
			 hostport, strerror(-rc));
		return rc;
	}
	log_info("nlm: NLM served over UDP at %s", l->hostport);
	return 0;
}

void nlm_udp_ready(struct nlm_service *n)
{
	if (!n->opts.nsm)
		return;
	uint16_t want = 0;
	for (unsigned i = 0; i < n->nudp; i++) {
		if (n->udp[i].loopback) {
			n->callback_port = n->udp[i].port;
			return;
		}
		if (!n->udp[i].v6 && !want)
			want = n->udp[i].port;
	}
	/* No listener gets statd's datagrams: a socket of their own,
	 * serving NLM as well where NLM is served over UDP. */
	struct nlm_udp_listener *l;
	int rc = bind_one(n, "127.0.0.1", want, n->opts.udp, &l);
	if (rc && want) {
		log_warn("nlm: cannot bind 127.0.0.1:%u (UDP) for statd's callback: %s; another "
			 "port is taken, which rpcbind cannot be told of beside NLM's",
			 want, strerror(-rc));
		rc = bind_one(n, "127.0.0.1", 0, n->opts.udp, &l);
	}
	if (rc) {
		/* Locks work without it; reboots go unheard. */
		log_error("nlm: cannot listen for statd's callbacks: %s; hosts' reboots are not "
			  "heard",
			  strerror(-rc));
		return;
	}
	n->callback_port = l->port;
	log_info("nlm: statd's callback served over UDP at %s%s", l->hostport,
		 l->nlm ? " (NLM too)" : "");
}

/* The socket rpcbind is told of for IPv4 or IPv6: over IPv4 the one at
 * statd's callback port (rpcbind keeps one address per netid, and statd
 * finds its callback there), else the first serving NLM. */
static const struct nlm_udp_listener *registered(const struct nlm_service *n, bool v6)
{
	const struct nlm_udp_listener *first = NULL;
	for (unsigned i = 0; i < n->nudp; i++) {
		const struct nlm_udp_listener *l = &n->udp[i];
		if (l->v6 != v6)
			continue;
		if (!v6 && n->callback_port && l->port == n->callback_port)
			return l;
		if (!first && l->nlm)
			first = l;
	}
	return first;
}

void nlm_register_udp(struct nlm_service *n, bool set)
{
	if (!set) {
		rpcbind_regs_unregister(&n->udp_regs);
		return;
	}
	memset(&n->udp_regs, 0, sizeof(n->udp_regs));
	for (int v6 = 0; v6 <= 1; v6++) {
		const struct nlm_udp_listener *l = registered(n, v6);
		if (!l)
			continue;
		for (unsigned i = 0; i < n->nudp; i++)
			if (n->udp[i].v6 == v6 && n->udp[i].nlm && n->udp[i].port != l->port)
				log_warn("nlm: rpcbind is told of %s alone (it keeps one address "
					 "per netid): NLM over UDP at %s is not registered",
					 l->hostport, n->udp[i].hostport);
		if (rpcbind_regs_add_udp(&n->udp_regs, NLM_PROGRAM, NLM4_VERSION, NLM4_VERSION,
					 l->hostport) != 0)
			log_warn("nlm: %s cannot be registered with rpcbind", l->hostport);
	}
	unsigned planned = n->udp_regs.n;
	if (!planned)
		return;
	int first_err;
	int rc = rpcbind_regs_register(&n->udp_regs, &first_err);
	if (rc == -ECONNREFUSED)
		return; /* said once already, for the TCP registrations */
	if (first_err)
		log_warn("nlm: rpcbind refused %u of %u registrations of NLM over UDP: %s",
			 planned - (unsigned)rc, planned, strerror(-first_err));
	for (unsigned i = 0; i < n->udp_regs.n; i++)
		log_info("nlm: registered with rpcbind: NLM v4 over %s at %s",
			 n->udp_regs.v[i].netid, n->udp_regs.v[i].uaddr);
}

void nlm_udp_stop(struct nlm_service *n)
{
	for (unsigned i = 0; i < n->nudp; i++) {
		rpc_udp_close(n->udp[i].udp);
		n->udp[i].udp = NULL;
	}
	/* Listening again (after an upgrade that failed) starts afresh. */
	n->nudp = 0;
	n->callback_port = 0;
}

void nlm_udp_get_stats(struct nlm_service *n, struct nlm_stats *out)
{
	out->callback_port = n->callback_port;
	for (unsigned i = 0; i < n->nudp; i++) {
		const struct nlm_udp_listener *l = &n->udp[i];
		if (!l->nlm)
			continue;
		if (!out->udp_listeners++)
			out->udp_port = l->port;
		struct rpc_udp_stats s;
		rpc_udp_get_stats(l->udp, &s);
		out->udp_calls += s.calls;
		out->udp_bad += s.bad;
	}
}
