/* RPC over UDP (rpc/udp.h): a thread per socket that receives a datagram,
 * decodes its call header, hands the call to its program and sends the
 * reply back to where the call came from. */
#include "rpc/udp.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "rpc/addr.h"

struct rpc_udp {
	int fd;
	pthread_t thread;
	atomic_bool stop;
	unsigned nprogs;
	struct rpc_udp_program progs[RPC_UDP_PROGRAMS_MAX];
	_Atomic uint64_t calls, bad;
	uint8_t in[RPC_UDP_DATAGRAM_MAX];
};

static const struct rpc_udp_program *find_program(const struct rpc_udp *u, uint32_t prog)
{
	for (unsigned i = 0; i < u->nprogs; i++)
		if (u->progs[i].prog == prog)
			return &u->progs[i];
	return NULL;
}

/* The reply to one datagram, in e; false: send nothing. */
static bool serve_datagram(struct rpc_udp *u, const uint8_t *p, size_t n,
			   const struct sockaddr_storage *peer, struct xdr_enc *e)
{
	struct xdr_dec d;
	xdr_dec_init(&d, p, n);
	uint32_t xid, type;
	if (!rpc_decode_msg_start(&d, &xid, &type) || type != RPC_MSG_CALL)
		return false; /* a REPLY, or noise: nothing waits for it here */
	struct rpc_call_hdr hdr;
	struct rpc_cred cred;
	enum rpc_auth_stat as = RPC_AUTH_OK;
	switch (rpc_decode_call(&d, &hdr, &cred, &as)) {
	case RPC_CALL_OK:
		break;
	case RPC_CALL_BAD_RPCVERS:
		return rpc_encode_rpc_mismatch(e, xid);
	case RPC_CALL_AUTH_ERROR:
		return rpc_encode_auth_error(e, xid, as);
	case RPC_CALL_GARBAGE:
	default:
		return false;
	}
	if (cred.flavor != RPC_AUTH_NONE && cred.flavor != RPC_AUTH_SYS)
		return rpc_encode_auth_error(e, xid, RPC_AUTH_BADCRED);
	const struct rpc_udp_program *prog = find_program(u, hdr.prog);
	if (!prog)
		return rpc_encode_accepted(e, xid, RPC_PROG_UNAVAIL);
	if (hdr.vers < prog->vers_low || hdr.vers > prog->vers_high)
		return rpc_encode_prog_mismatch(e, xid, prog->vers_low, prog->vers_high);
	struct xdr_enc results;
	if (!xdr_enc_init(&results, 256, RPC_UDP_DATAGRAM_MAX - 64))
		return false;
	struct rpc_udp_call call = {.hdr = &hdr, .cred = &cred, .peer = peer, .args = d};
	enum rpc_accept_stat stat = prog->serve(prog->ctx, &call, &results);
	atomic_fetch_add(&u->calls, 1);
	if (stat == RPC_SUCCESS && results.overflow)
		stat = RPC_SYSTEM_ERR;
	bool ok = rpc_encode_accepted(e, xid, stat);
	if (ok && stat == RPC_SUCCESS && results.buf->len)
		ok = xdr_encode_opaque_fixed(e, results.buf->data, results.buf->len);
	xdr_enc_release(&results);
	return ok;
}

static void *udp_main(void *arg)
{
	struct rpc_udp *u = arg;
	while (!atomic_load(&u->stop)) {
		struct pollfd pfd = {.fd = u->fd, .events = POLLIN};
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		/* MSG_TRUNC: the datagram's whole length, so that one longer
		 * than the buffer (IPv6 allows 65,527 bytes) is dropped rather
		 * than served from its first part. */
		ssize_t n = recvfrom(u->fd, u->in, sizeof(u->in), MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&peer, &plen);
		if (n < 0)
			continue;
		if ((size_t)n > sizeof(u->in)) {
			atomic_fetch_add(&u->bad, 1);
			log_ratelimited("rpc: udp: a datagram of %zd bytes dropped: over %zu", n,
					sizeof(u->in));
			continue;
		}
		struct xdr_enc e;
		if (!xdr_enc_init(&e, 512, RPC_UDP_DATAGRAM_MAX))
			continue;
		if (serve_datagram(u, u->in, (size_t)n, &peer, &e) && !e.overflow) {
			if (sendto(u->fd, e.buf->data, e.buf->len, MSG_DONTWAIT,
				   (struct sockaddr *)&peer, plen) < 0)
				log_ratelimited("rpc: udp: reply not sent: %s", strerror(errno));
		} else {
			atomic_fetch_add(&u->bad, 1);
			log_ratelimited("rpc: udp: a datagram of %zd bytes dropped", n);
		}
		xdr_enc_release(&e);
	}
	return NULL;
}

int rpc_udp_listen(const char *hostport, const struct rpc_udp_program *progs, unsigned n,
		   struct rpc_udp **out, uint16_t *bound_port)
{
	if (n == 0 || n > RPC_UDP_PROGRAMS_MAX)
		return -EINVAL;
	char host[256], port[16];
	if (rpc_addr_split(hostport, host, sizeof(host), port, sizeof(port)) != 0 ||
	    !rpc_addr_port_ok(port))
		return -EINVAL;
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV},
			*ai;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -EINVAL;
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = 0;
	/* As the TCP listeners (rpc/server.c): an IPv6 address is IPv6's
	 * alone, so that "[::]:P" and "0.0.0.0:P" can both be bound. */
	int one = 1;
	if (fd >= 0 && ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		rc = -errno;
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (!rc && getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		rc = -errno;
	struct rpc_udp *u = rc ? NULL : calloc(1, sizeof(*u));
	if (!rc && !u)
		rc = -ENOMEM;
	if (rc) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	u->fd = fd;
	u->nprogs = n;
	memcpy(u->progs, progs, n * sizeof(*progs));
	*bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						     : ((struct sockaddr_in *)&ss)->sin_port);
	if ((rc = pthread_create(&u->thread, NULL, udp_main, u)) != 0) {
		close(fd);
		free(u);
		return -rc;
	}
	*out = u;
	return 0;
}

void rpc_udp_close(struct rpc_udp *u)
{
	if (!u)
		return;
	atomic_store(&u->stop, true);
	pthread_join(u->thread, NULL);
	close(u->fd);
	free(u);
}

void rpc_udp_get_stats(struct rpc_udp *u, struct rpc_udp_stats *out)
{
	out->calls = u ? atomic_load(&u->calls) : 0;
	out->bad = u ? atomic_load(&u->bad) : 0;
}
