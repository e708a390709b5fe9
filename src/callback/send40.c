/* Callbacks to v4.0 clients (RFC 7530 10.2, 16): a connection dialled out
 * to the address the client gave in SETCLIENTID, kept by the client's
 * queue and dialled again when it died or the client changed its callback;
 * CB_NULL for the probe, CB_COMPOUND with minor version 0 and the client's
 * callback_ident (no CB_SEQUENCE) for the rest.  Only an address the
 * engine's may_dial lets in (nfs4: one some export lets in) is dialled: a
 * client cannot make the server connect anywhere else. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "callback/callback_internal.h"
#include "rpc/client.h"
#include "rpc/gss/gss_server.h"
#include "rpc/server.h"

/* The credential of a v4.0 callback: the flavor the client used for
 * SETCLIENTID (v4.0 has no callback security parameters of its own); the
 * Linux client's callback service refuses a CB_COMPOUND under AUTH_NONE
 * (AUTH_BADCRED).
 * Under AUTH_SYS the server speaks for itself, as the host's root (what
 * knfsd sends too), not for any user of the client.  Under RPCSEC_GSS see
 * gss40 below: never this function's AUTH_NONE. */
static const struct rpc_cred *cb40_cred(uint32_t client_flavor, struct rpc_cred *out)
{
	if (client_flavor != RPC_AUTH_SYS)
		return NULL; /* AUTH_NONE */
	memset(out, 0, sizeof(*out));
	out->flavor = RPC_AUTH_SYS;
	out->stamp = (uint32_t)time(NULL);
	if (gethostname(out->machinename, sizeof(out->machinename) - 1) != 0)
		snprintf(out->machinename, sizeof(out->machinename), "ferry");
	out->machinename[sizeof(out->machinename) - 1] = '\0';
	return out;
}

struct cb_call40 {
	struct cb_engine *eng;
	struct cb_item *item;
	const struct rpc_conn *conn; /* compared only */
	uint64_t clientid;
	uint32_t gen;
};

/* "tcp"/"tcp6" universal address as a socket address. */
static bool uaddr_to_sockaddr(const struct state_callback *cb, struct sockaddr_storage *ss,
			      char *hostport, size_t hplen)
{
	if (!state_uaddr_to_hostport(cb->netid, cb->addr, hostport, hplen))
		return false;
	memset(ss, 0, sizeof(*ss));
	/* hostport is "a.b.c.d:port" or "[v6]:port"; only the address
	 * matters for the export check. */
	char host[STATE_UADDR_MAX];
	const char *colon = strrchr(hostport, ':');
	const char *start = hostport[0] == '[' ? hostport + 1 : hostport;
	size_t len = (size_t)(colon - start) - (hostport[0] == '[' ? 1 : 0);
	if (!colon || len >= sizeof(host))
		return false;
	memcpy(host, start, len);
	host[len] = '\0';
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return true;
	}
	return false;
}

bool cb_dial_allowed(struct cb_engine *eng, const struct state_callback *cb)
{
	struct sockaddr_storage ss;
	char hostport[STATE_UADDR_MAX + 8];
	if (!cb->netid[0] || !uaddr_to_sockaddr(cb, &ss, hostport, sizeof(hostport)))
		return false;
	return eng->may_dial && eng->may_dial(eng->ctx, &ss);
}

/* The channel's connection for callback cb (generation gen), dialled when
 * there is none, it closed, it is the one to avoid, or it was for an older
 * callback.  Referenced; NULL when the dial failed at once.  Only the
 * worker running the channel touches conn40. */
static struct rpc_conn *chan_conn40(struct cb_engine *eng, struct cb_chan *c,
				    const struct state_callback *cb, uint32_t gen,
				    const struct rpc_conn *avoid)
{
	if (c->conn40 && (rpc_conn_is_closed(c->conn40) || c->conn40 == avoid || c->gen40 != gen)) {
		rpc_conn_close(c->conn40);
		rpc_conn_unref(c->conn40);
		c->conn40 = NULL;
		/* A path that failed may have failed for its GSS context (the
		 * client's service forgot it): a new one with the new dial. */
		rpc_gss_cb_put(c->gss40);
		c->gss40 = NULL;
	}
	if (!c->conn40) {
		char hostport[STATE_UADDR_MAX + 8];
		struct rpc_server *rpc = eng->rpc ? *eng->rpc : NULL;
		if (!state_uaddr_to_hostport(cb->netid, cb->addr, hostport, sizeof(hostport)) || !rpc)
			return NULL;
		int err = 0;
		c->conn40 = rpc_server_connect(rpc, hostport, &err);
		if (!c->conn40) {
			log_info("nfs4: cannot dial the callback address %s: %d", hostport, err);
			return NULL;
		}
		c->gen40 = gen;
	}
	return rpc_conn_ref(c->conn40);
}

/* One round trip of context creation over a blocking connection of its
 * own to the client's callback address (rpc/gss/gss_client.h's
 * rpc_gss_roundtrip_fn). */
static int roundtrip40(void *arg, const void *record, size_t len, struct buf **reply)
{
	struct rpc_client *cl = arg;
	int rc = rpc_client_send_record(cl, record, len);
	uint32_t want = len >= 4 ? xdr_get_be32(record) : 0;
	while (rc == 0) {
		rc = rpc_client_recv_record(cl, reply, 5000);
		if (rc == 0 && (*reply)->len >= 4 && xdr_get_be32((*reply)->data) == want)
			return 0;
		if (rc == 0)
			buf_unref(*reply);
	}
	*reply = NULL;
	return rc;
}

/* The service target of a client's callback service, from the principal
 * it set its client ID up with: SERVICE/HOST@REALM (the machine's
 * principal, as the Linux client uses for SETCLIENTID) is nfs@HOST.  A
 * user's principal names no host: false. */
static bool gss40_target(const char *principal, char *out, size_t cap)
{
	const char *slash = strchr(principal, '/');
	const char *at = strrchr(principal, '@');
	if (!slash || !at || at < slash + 2)
		return false;
	int n = snprintf(out, cap, "nfs@%.*s", (int)(at - slash - 1), slash + 1);
	return n > 0 && (size_t)n < cap;
}

/* v4.0 under RPCSEC_GSS: the server's own context with the client's
 * callback service (RFC 7530 3.3.3: the server is the client there),
 * made once per callback address and kept; NULL when none can be made
 * (logged): the path is then down, with no callback in a flavor the client
 * did not set up with. */
static struct rpc_gss_cb *gss40(struct cb_engine *eng, struct cb_chan *c,
				const struct state_cb_route *r)
{
	if (c->gss40 && c->gss_gen40 == r->cb_gen)
		return rpc_gss_cb_ref(c->gss40);
	rpc_gss_cb_put(c->gss40);
	c->gss40 = NULL;
	struct rpc_server *rpc = eng->rpc ? *eng->rpc : NULL;
	struct rpc_gss_server *gss = rpc ? rpc_server_gss(rpc) : NULL;
	char target[RPC_CRED_PRINCIPAL_MAX + 8], hostport[STATE_UADDR_MAX + 8], err[256] = "";
	if (!gss || !gss40_target(r->gss_principal, target, sizeof(target)) ||
	    !state_uaddr_to_hostport(r->cb.netid, r->cb.addr, hostport, sizeof(hostport))) {
		log_ratelimited("nfs4: no RPCSEC_GSS callbacks for the v4.0 client %s: its "
				"principal names no host for a callback service",
				r->gss_principal);
		return NULL;
	}
	struct rpc_client cl;
	int rc = rpc_client_connect(&cl, hostport, eng->t.timeout_ms);
	if (rc == 0) {
		c->gss40 = rpc_gss_server_dial(gss, target, r->cb.program, NFS4_CALLBACK_VERSION,
					       r->gss_service, roundtrip40, &cl, err, sizeof(err));
		rpc_client_close(&cl);
	} else {
		snprintf(err, sizeof(err), "cannot connect to %s: %s", hostport, strerror(-rc));
	}
	if (!c->gss40) {
		log_ratelimited("nfs4: no RPCSEC_GSS context with %s's callback service %s: %s",
				r->gss_principal, target, err);
		return NULL;
	}
	c->gss_gen40 = r->cb_gen;
	return rpc_gss_cb_ref(c->gss40);
}

static void cb_reply40(void *arg, int err, const struct rpc_reply_hdr *hdr,
		       struct xdr_dec *results)
{
	struct cb_call40 *call = arg;
	struct cb_engine *eng = call->eng;
	struct cb_item *it = call->item;
	struct cb_reply r;
	cb_reply_read(&r, it, err, hdr, results, NULL);
	enum cb_outcome oc = CB_OUT_FAILED;
	uint32_t status = NFS4ERR_CB_PATH_DOWN;
	bool up = false;
	if (!r.answered || r.out.status == NFS4ERR_BADXDR ||
	    r.out.status == NFS4ERR_MINOR_VERS_MISMATCH) {
		/* No reply, a refused RPC, or a reply that does not decode. */
		log_info("nfs4: callback to a v4.0 client failed (rpc %d, status %u)", err,
			 r.out.status);
	} else {
		oc = cb_reply_settle(it, &r, &status);
		up = true;
	}
	/* As for v4.1: the path is down from a failed attempt until a call
	 * gets through (no delegation is granted meanwhile). */
	state_cb_probe_done(eng->state, call->clientid, call->gen, up);
	cb_item_outcome(eng, it, oc, call->conn, status);
	free(call);
	cb_call_ended(eng);
}

void cb_send40(struct cb_engine *eng, struct cb_item *it)
{
	struct state_server *st = eng->state;
	struct cb_chan *c = it->chan;
	struct state_cb_route r;
	if (!state_cb_route(st, c->clientid, &r) || r.v41) {
		state_session_unref(st, r.session);
		cb_item_outcome(eng, it, CB_OUT_DONE, NULL, NFS4ERR_CB_PATH_DOWN);
		return;
	}
	if (!cb_dial_allowed(eng, &r.cb)) {
		state_cb_probe_done(st, c->clientid, r.cb_gen, false);
		cb_item_outcome(eng, it, CB_OUT_DONE, NULL, NFS4ERR_CB_PATH_DOWN);
		return;
	}
	struct rpc_conn *conn = chan_conn40(eng, c, &r.cb, r.cb_gen, it->exclude);
	if (!conn) {
		state_cb_probe_done(st, c->clientid, r.cb_gen, false);
		cb_item_outcome(eng, it, CB_OUT_FAILED, NULL, 0);
		return;
	}
	struct xdr_enc e;
	struct cb_call40 *call = calloc(1, sizeof(*call));
	int rc = -ENOMEM;
	if (call && xdr_enc_init(&e, 256, 4096)) {
		bool encoded = true;
		if (!it->probe) {
			struct cb_compound_op op = {.opnum = it->call->op->opnum,
						    .args = it->call->args};
			encoded = cb_compound_encode(&e, r.cb.ident, 0, NULL, &op, 1);
		}
		if (encoded) {
			call->eng = eng;
			call->item = it;
			call->conn = conn;
			call->clientid = c->clientid;
			call->gen = r.cb_gen;
			cb_call_started(eng, it);
			uint32_t proc = it->probe ? CB_NULL : CB_COMPOUND;
			if (r.flavor == RPC_AUTH_GSS) {
				struct rpc_gss_cb *gss = gss40(eng, c, &r);
				rc = gss ? rpc_conn_call_gss(conn, gss, r.cb.program,
							     NFS4_CALLBACK_VERSION, proc,
							     e.buf->data, e.buf->len,
							     eng->t.timeout_ms, cb_reply40, call)
					 : -EACCES;
			} else {
				struct rpc_cred cred_buf;
				const struct rpc_cred *cred = cb40_cred(r.flavor, &cred_buf);
				rc = rpc_conn_call(conn, r.cb.program, NFS4_CALLBACK_VERSION, proc,
						   cred, e.buf->data, e.buf->len, eng->t.timeout_ms,
						   cb_reply40, call);
			}
			if (rc != 0)
				cb_call_ended(eng);
		}
		xdr_enc_release(&e);
	}
	if (rc != 0) {
		free(call);
		cb_item_outcome(eng, it, CB_OUT_FAILED, conn, 0);
	}
	rpc_conn_unref(conn);
}
