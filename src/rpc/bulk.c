/* Call payloads received into a pipe: the read loop's question to the
 * program, and the request's view of the hole (record.h, server.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "rpc/gss/gss_wire.h"
#include "rpc/server_internal.h"

static const struct rpc_program *bulk_program(struct rpc_server *srv, uint32_t prog,
					      uint32_t vers)
{
	for (unsigned i = 0; i < srv->nprograms; i++) {
		const struct rpc_program *p = &srv->programs[i];
		if (p->prog == prog && vers >= p->vers_low && vers <= p->vers_high)
			return p->find_bulk ? p : NULL;
	}
	return NULL;
}

bool rpc_conn_find_bulk(void *arg, const uint8_t *rec, size_t have, size_t len, size_t *off,
			size_t *blen)
{
	struct rpc_conn *conn = arg;
	/* Under TLS the socket holds TLS records, not the payload's bytes,
	 * unless the kernel decrypts them (kernel TLS receiving). */
	uint8_t tls = atomic_load(&conn->tls_state);
	if (tls != RPC_CONN_TLS_NONE && !(tls == RPC_CONN_TLS_UP && conn->tls_ktls_recv))
		return false;
	struct xdr_dec d;
	uint32_t xid, msg_type;
	xdr_dec_init(&d, rec, have);
	if (!rpc_decode_msg_start(&d, &xid, &msg_type) || msg_type != RPC_MSG_CALL)
		return false;
	struct rpc_call_hdr hdr;
	struct rpc_cred cred;
	enum rpc_auth_stat auth_stat;
	/* A call the dispatcher would refuse is refused with all its bytes
	 * read, as before. */
	if (rpc_decode_call(&d, &hdr, &cred, &auth_stat) != RPC_CALL_OK)
		return false;
	/* Under krb5i and krb5p the arguments are one checksummed or
	 * encrypted body: all of it must be in memory. */
	struct rpc_gss_cred gc;
	if (hdr.cred_flavor == RPC_AUTH_GSS &&
	    (!rpc_gss_decode_cred(hdr.cred_body, hdr.cred_len, &gc) ||
	     gc.proc != RPC_GSS_PROC_DATA || gc.service != RPC_GSS_SVC_NONE))
		return false;
	const struct rpc_program *prog = bulk_program(conn->srv, hdr.prog, hdr.vers);
	if (!prog)
		return false;
	size_t args_off = (size_t)(d.p - rec);
	size_t a_off, a_len;
	if (!prog->find_bulk(prog->ctx, hdr.vers, hdr.proc, d.p, have - args_off, len - args_off,
			     &a_off, &a_len))
		return false;
	if (a_off > len - args_off || a_len > len - args_off - a_off)
		return false;
	/* The arguments' first bytes stay in memory for the program to hash
	 * (RPC_ARGS_HEAD_IN_MEMORY). */
	size_t start = args_off + a_off, end = start + a_len;
	size_t keep = args_off + RPC_ARGS_HEAD_IN_MEMORY;
	if (start < keep)
		start = keep < end ? keep : end;
	*off = start;
	*blen = end - start;
	return true;
}

bool rpc_request_args_in_memory(const struct rpc_request *req, const uint8_t *p, size_t n)
{
	const struct rpc_record *rec = &req->record;
	if (!rec->pipe && !rec->hole_lost)
		return true;
	const uint8_t *hole = rec->data + rec->hole_off;
	return n == 0 || p + n <= hole || p >= hole + rec->hole_len;
}

int rpc_request_args_pipe(struct rpc_request *req, const uint8_t *p, size_t n, size_t *head_len,
			  struct pooled_pipe **pipe, size_t *pipe_len)
{
	if (rpc_request_args_in_memory(req, p, n))
		return 0;
	struct rpc_record *rec = &req->record;
	const uint8_t *hole = rec->data + rec->hole_off;
	if (rec->hole_lost)
		return -EIO;
	if (p > hole || p + n < hole + rec->hole_len) {
		/* Not the payload the hole was made for: plain memory. */
		int rc = rpc_request_args_materialise(req);
		return rc < 0 ? rc : 0;
	}
	*head_len = (size_t)(hole - p);
	*pipe = rec->pipe;
	*pipe_len = rec->hole_len;
	/* Whatever the consumer leaves in it, the pipe goes back with the
	 * record (closed if not empty); its bytes are the consumer's now. */
	rec->hole_lost = true;
	return 1;
}

int rpc_request_args_materialise(struct rpc_request *req)
{
	struct rpc_record *rec = &req->record;
	if (rec->hole_lost)
		return -EIO;
	if (!rec->pipe)
		return 0;
	/* The record is complete, so the pipe holds every byte of the hole:
	 * a read never waits. */
	uint8_t *hole = (uint8_t *)rec->data + rec->hole_off;
	size_t done = 0;
	while (done < rec->hole_len) {
		ssize_t n = read(rec->pipe->rd, hole + done, rec->hole_len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rec->pipe->held -= done;
			rec->hole_lost = true;
			return n < 0 ? -errno : -EIO;
		}
		done += (size_t)n;
	}
	rec->pipe->held -= done;
	pipe_pool_put(rec->pipe_pool, rec->pipe);
	rec->pipe = NULL;
	rec->hole_len = 0;
	return 0;
}
