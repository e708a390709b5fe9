/* Server-side copy, NFSv4.2 (RFC 7862 15.2, 15.3, 15.8, 15.9): COPY within
 * one export, synchronous or asynchronous (the copy engine, copy.h),
 * OFFLOAD_STATUS and OFFLOAD_CANCEL.  Inter-server copy is not offered:
 * COPY_NOTIFY answers NFS4ERR_NOTSUPP (optable.c) and a COPY that names
 * source servers NFS4ERR_OFFLOAD_DENIED. */
#include <string.h>

#include "nfs4/copy/copy.h"
#include "nfs4/fs/fattr.h"
#include "nfs4/ops/ops.h"
#include "nfs4/server.h"

/* What Ferry's copies are: always in order from the first byte; whether
 * this one was synchronous. */
static void enc_requirements(struct xdr_enc *res, bool synchronous)
{
	struct nfs4_copy_requirements r = {.consecutive = true, .synchronous = synchronous};
	nfs4_enc_copy_requirements(res, &r);
}

/* The COPY's two files: regular files of one export, not the same file. */
static enum nfsstat4 copy_files(struct nfs4_compound *c, struct backend_attr *sattr)
{
	if (c->sfh.kind == FH_NONE)
		return NFS4ERR_NOFILEHANDLE;
	/* The pseudo-fs holds directories only. */
	if (c->sfh.kind != FH_EXPORT || c->cfh.kind != FH_EXPORT)
		return NFS4ERR_WRONG_TYPE;
	struct backend_attr dattr;
	enum nfsstat4 st = nfs4_fh_getattr(c, &c->sfh, sattr);
	if (st == NFS4_OK)
		st = nfs4_fh_getattr(c, &c->cfh, &dattr);
	if (st != NFS4_OK)
		return st;
	if (sattr->type != BACKEND_REG || dattr.type != BACKEND_REG)
		return NFS4ERR_WRONG_TYPE;
	/* A copy between exports would cross file systems, or let a client
	 * read through one export's rules what another's keep from it. */
	if (c->sfh.export != c->cfh.export)
		return NFS4ERR_XDEV;
	if (fh_equal(&c->sfh, &c->cfh))
		return NFS4ERR_INVAL; /* RFC 7862 15.2.3: different files */
	return NFS4_OK;
}

enum nfsstat4 nfs4_op_copy(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_copy_args *a = args;
	/* An inter-server copy (RFC 7862 4.2): the destination would have
	 * to read from another server; Ferry does not.  OFFLOAD_DENIED
	 * tells the client to copy by itself. */
	if (a->nsources > 0)
		return NFS4ERR_OFFLOAD_DENIED;
	struct backend_attr sattr;
	enum nfsstat4 st = copy_files(c, &sattr);
	if (st != NFS4_OK)
		return st;
	/* RFC 7862 15.2.3: the source range must lie within the source file;
	 * count 0 is "to its end". */
	if (a->src_offset > sattr.size)
		return NFS4ERR_INVAL;
	uint64_t count = a->count;
	if (count == 0)
		count = sattr.size - a->src_offset;
	else if (count > sattr.size - a->src_offset)
		return NFS4ERR_INVAL;
	if (a->dst_offset > (uint64_t)INT64_MAX || count > (uint64_t)INT64_MAX - a->dst_offset)
		return NFS4ERR_FBIG;
	/* The stateids: as a READ of the source and a WRITE of the
	 * destination (which recalls other clients' delegations). */
	struct nfs4_stateid src_sid = a->src_stateid, dst_sid = a->dst_stateid;
	if ((st = nfs4_compound_resolve_stateid(c, &src_sid)) != NFS4_OK ||
	    (st = nfs4_compound_resolve_stateid(c, &dst_sid)) != NFS4_OK)
		return st;
	if ((st = nfs4_check_io_stateid_fh(c, &c->sfh, &src_sid, false, a->src_offset,
					   count)) != NFS4_OK ||
	    (st = nfs4_check_io_stateid_fh(c, &c->cfh, &dst_sid, true, a->dst_offset, count)) !=
		    NFS4_OK)
		return st;

	struct nfs4_server *srv = c->srv;
	bool sync = count <= nfs4_copy_sync_max(srv);
	if (!sync && a->synchronous) {
		/* A long copy would hold this worker thread and the slot:
		 * Ferry copies it only asynchronously (RFC 7862 15.2.3). */
		nfs4_copy_count_no_reqs(srv);
		enc_requirements(res, false);
		c->error_body = true;
		return NFS4ERR_OFFLOAD_NO_REQS;
	}
	struct nfs4_copy_job job = {.clientid = c->clientid,
				    .cred = c->cred,
				    .src = c->sfh,
				    .dst = c->cfh,
				    .src_off = a->src_offset,
				    .dst_off = a->dst_offset,
				    .count = count};
	struct nfs4_copy_res r;
	memset(&r, 0, sizeof(r));
	r.response.committed = UNSTABLE4;
	memcpy(r.response.writeverf.data, srv->write_verifier, sizeof(r.response.writeverf.data));
	r.requirements.consecutive = true;
	if (sync) {
		uint64_t copied = 0;
		if (count && (st = nfs4_copy_run_sync(srv, &job, &copied)) != NFS4_OK)
			return st;
		r.response.count = copied;
		r.requirements.synchronous = true;
		nfs4_enc_copy_res(res, &r);
		if (copied)
			nfs4_data_changed(c); /* as after a WRITE */
		return NFS4_OK;
	}
	if ((st = nfs4_copy_start(srv, &job, &r.response.callback_id)) != NFS4_OK)
		return st;
	r.response.has_callback_id = true;
	nfs4_enc_copy_res(res, &r);
	return NFS4_OK;
}

static struct nfs4_copy_ref copy_ref(const struct nfs4_compound *c, const struct nfs4_stateid *sid)
{
	return (struct nfs4_copy_ref){
		.clientid = c->clientid, .uid = c->cred.uid, .dst = &c->cfh, .sid = sid};
}

enum nfsstat4 nfs4_op_offload_status(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_offload_status_args *a = args;
	struct nfs4_copy_ref ref = copy_ref(c, &a->stateid);
	struct nfs4_offload_status_res r = {0};
	uint32_t result = NFS4_OK;
	enum nfsstat4 st = nfs4_copy_status(c->srv, &ref, &r.count, &r.has_complete, &result);
	if (st != NFS4_OK)
		return st;
	r.complete = result;
	nfs4_enc_offload_status_res(res, &r);
	return NFS4_OK;
}

enum nfsstat4 nfs4_op_offload_cancel(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_offload_cancel_args *a = args;
	(void)res;
	struct nfs4_copy_ref ref = copy_ref(c, &a->stateid);
	return nfs4_copy_cancel(c->srv, &ref);
}
