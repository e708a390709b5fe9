#include "rpc/rpcbind.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rpc/addr.h"
#include "rpc/client.h"

enum {
	RPCBIND_PROG = 100000,
	RPCBIND_VERS4 = 4,
	RPCBPROC_SET = 1,
	RPCBPROC_UNSET = 2,
	PMAP_VERS2 = 2, /* the portmapper protocol: GETPORT */
	PMAPPROC_GETPORT2 = 3,
	RPCBIND_TIMEOUT_MS = 2000,
};

static int rpcbind_connect(struct rpc_client *cl)
{
	if (rpc_client_connect_unix(cl, RPCBIND_SOCKET_PATH) == 0)
		return 0;
	int rc = rpc_client_connect(cl, "127.0.0.1:111", RPCBIND_TIMEOUT_MS);
	/* Nothing at either place: no rpcbind on this host. */
	return rc == -ECONNREFUSED || rc == -ENOENT ? -ECONNREFUSED : rc;
}

int rpcbind_call(uint32_t prog, uint32_t vers, const char *netid, const char *uaddr, bool set)
{
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 256, 1024))
		return -ENOMEM;
	/* struct rpcb: r_prog, r_vers, r_netid, r_addr, r_owner.  rpcbind
	 * takes the owner from the local socket's peer credentials; over TCP
	 * it records what it can tell, and only the same owner or root may
	 * withdraw. */
	char owner[16];
	snprintf(owner, sizeof(owner), "%u", (unsigned)geteuid());
	xdr_encode_u32(&e, prog);
	xdr_encode_u32(&e, vers);
	xdr_encode_cstring(&e, netid);
	xdr_encode_cstring(&e, set ? uaddr : "");
	xdr_encode_cstring(&e, owner);
	if (e.overflow) {
		xdr_enc_release(&e);
		return -EINVAL;
	}
	struct rpc_client cl;
	int rc = rpcbind_connect(&cl);
	if (rc) {
		xdr_enc_release(&e);
		return rc;
	}
	/* rpcbind accepts changes only from a privileged local caller: over
	 * TCP it recognises one by the loopback AUTH_SYS call's credential. */
	struct rpc_cred cred = {.flavor = RPC_AUTH_SYS, .uid = geteuid(), .gid = getegid()};
	struct buf *reply;
	struct rpc_reply_hdr hdr;
	size_t off;
	rc = rpc_client_call(&cl, RPCBIND_PROG, RPCBIND_VERS4, set ? RPCBPROC_SET : RPCBPROC_UNSET,
	                     &cred, e.buf->data, xdr_enc_len(&e), &reply, &hdr, &off,
	                     RPCBIND_TIMEOUT_MS);
	rpc_client_close(&cl);
	xdr_enc_release(&e);
	if (rc)
		return rc;
	struct xdr_dec d;
	xdr_dec_init(&d, reply->data + off, reply->len - off);
	bool ok = false;
	if (hdr.reply_stat != RPC_MSG_ACCEPTED || hdr.accept_stat != RPC_SUCCESS ||
	    !xdr_decode_bool(&d, &ok))
		rc = -EPROTO;
	else if (!ok)
		rc = -EPERM;
	buf_unref(reply);
	return rc;
}

/* The universal address (RFC 1833 section 2.2) of a numeric host and a
 * port, and its netid. */
static int uaddr_of(const char *hostport, bool udp, char *netid, size_t netid_len, char *uaddr,
                    size_t uaddr_len)
{
	char host[128], port[16];
	if (rpc_addr_split(hostport, host, sizeof(host), port, sizeof(port)) != 0 ||
	    !rpc_addr_port_ok(port))
		return -EINVAL;
	unsigned p = (unsigned)atoi(port);
	uint8_t bin[16];
	char text[INET6_ADDRSTRLEN];
	bool v6 = inet_pton(AF_INET6, host, bin) == 1;
	if (!v6 && inet_pton(AF_INET, host, bin) != 1)
		return -EINVAL;
	inet_ntop(v6 ? AF_INET6 : AF_INET, bin, text, sizeof(text));
	snprintf(netid, netid_len, "%s", udp ? (v6 ? "udp6" : "udp") : (v6 ? "tcp6" : "tcp"));
	int n = snprintf(uaddr, uaddr_len, "%s.%u.%u", text, p >> 8, p & 0xff);
	return n > 0 && (size_t)n < uaddr_len ? 0 : -EINVAL;
}

static int regs_add(struct rpcbind_regs *r, uint32_t prog, uint32_t lo, uint32_t hi,
                    const char *hostport, bool udp)
{
	char netid[8], uaddr[64];
	int rc = uaddr_of(hostport, udp, netid, sizeof(netid), uaddr, sizeof(uaddr));
	if (rc)
		return rc;
	for (uint32_t vers = lo; vers <= hi; vers++) {
		bool have = false;
		for (unsigned i = 0; i < r->n && !have; i++)
			have = r->v[i].prog == prog && r->v[i].vers == vers &&
			       strcmp(r->v[i].netid, netid) == 0;
		if (have)
			continue;
		if (r->n >= RPCBIND_MAX_REGS)
			return -ENOSPC;
		struct rpcbind_reg *g = &r->v[r->n++];
		g->prog = prog;
		g->vers = vers;
		snprintf(g->netid, sizeof(g->netid), "%s", netid);
		snprintf(g->uaddr, sizeof(g->uaddr), "%s", uaddr);
	}
	return 0;
}

int rpcbind_regs_add(struct rpcbind_regs *r, uint32_t prog, uint32_t lo, uint32_t hi,
                     const char *hostport)
{
	return regs_add(r, prog, lo, hi, hostport, false);
}

int rpcbind_regs_add_udp(struct rpcbind_regs *r, uint32_t prog, uint32_t lo, uint32_t hi,
                         const char *hostport)
{
	return regs_add(r, prog, lo, hi, hostport, true);
}

int rpcbind_regs_register(struct rpcbind_regs *r, int *first_err)
{
	*first_err = 0;
	unsigned kept = 0;
	for (unsigned i = 0; i < r->n; i++) {
		struct rpcbind_reg *g = &r->v[i];
		/* rpcbind refuses a second SET for the same program, version
		 * and netid: what a killed ferryd left goes first. */
		int rc = rpcbind_call(g->prog, g->vers, g->netid, NULL, false);
		if (rc == -ECONNREFUSED) {
			r->n = 0;
			return -ECONNREFUSED;
		}
		rc = rpcbind_call(g->prog, g->vers, g->netid, g->uaddr, true);
		if (rc == 0)
			r->v[kept++] = *g;
		else if (!*first_err)
			*first_err = rc;
	}
	r->n = kept;
	return (int)kept;
}

void rpcbind_regs_unregister(struct rpcbind_regs *r)
{
	for (unsigned i = 0; i < r->n; i++)
		rpcbind_call(r->v[i].prog, r->v[i].vers, r->v[i].netid, NULL, false);
	r->n = 0;
}

int rpcbind_getport(const char *hostport, enum rpc_client_port how, unsigned timeout_ms,
		    uint32_t prog, uint32_t vers, uint32_t proto, uint16_t *port)
{
	struct rpc_client cl;
	int rc = rpc_client_connect_from(&cl, hostport, timeout_ms, how);
	if (rc)
		return rc;
	/* A GETPORT reply is a few words: a peer's record mark claiming more
	 * must not make the caller allocate for it. */
	cl.max_record = RPCBIND_REPLY_MAX;
	/* struct mapping: prog, vers, prot, port (ignored). */
	uint8_t args[16];
	xdr_put_be32(args, prog);
	xdr_put_be32(args + 4, vers);
	xdr_put_be32(args + 8, proto);
	xdr_put_be32(args + 12, 0);
	struct buf *reply;
	struct rpc_reply_hdr hdr;
	size_t off;
	rc = rpc_client_call(&cl, RPCBIND_PROG, PMAP_VERS2, PMAPPROC_GETPORT2, NULL, args,
			     sizeof(args), &reply, &hdr, &off, timeout_ms);
	rpc_client_close(&cl);
	if (rc)
		return rc;
	struct xdr_dec d;
	xdr_dec_init(&d, reply->data + off, reply->len - off);
	uint32_t p = 0;
	if (hdr.reply_stat != RPC_MSG_ACCEPTED || hdr.accept_stat != RPC_SUCCESS ||
	    !xdr_decode_u32(&d, &p) || p > 65535)
		rc = -EPROTO;
	else if (p == 0)
		rc = -ENOENT;
	buf_unref(reply);
	*port = (uint16_t)p;
	return rc;
}
