#include "lib/nfs3_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/nfs4_client.h"
#include "xdr/nfs4_prot.h"

static uint32_t next_xid = 0x30000000;

struct buf *nfs3c_encode_args(uint32_t proc, union nfs3_args *a)
{
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 256, 4u << 20))
		return NULL;
	struct xdr_stream x = XDR_ENC_STREAM(&e);
	if (!nfs3_xdr_args(&x, proc, a) || e.overflow) {
		xdr_enc_release(&e);
		return NULL;
	}
	return xdr_enc_take(&e);
}

int nfs3c_call_xid(int fd, uint32_t xid, const struct rpc_cred *cred, uint32_t proc,
		   union nfs3_args *a, struct nfs3c_res *out)
{
	memset(out, 0, sizeof(*out));
	struct buf *args = nfs3c_encode_args(proc, a);
	if (!args)
		return -ENOMEM;
	if (!xid)
		xid = next_xid++;
	int rc = rpctest_call(fd, xid, NFS3_PROGRAM, NFS3_VERSION, proc,
			      cred ? cred : nfs4c_root_cred(), args->data, args->len, &out->raw);
	buf_unref(args);
	if (rc != 0)
		return rc;
	if (out->raw.hdr.reply_stat != RPC_MSG_ACCEPTED || out->raw.hdr.accept_stat != RPC_SUCCESS)
		return -EPROTO;
	out->body = out->raw.results.p;
	out->body_len = xdr_dec_remaining(&out->raw.results);
	out->res.u.readdir.list.v = out->entries;
	out->res.u.readdir.list.cap = NFS3C_MAX_ENTRIES;
	struct xdr_dec d = out->raw.results;
	struct xdr_stream x = XDR_DEC_STREAM(&d);
	if (!nfs3_xdr_res(&x, proc, &out->res) || xdr_dec_remaining(&d) != 0)
		return -EBADMSG;
	return 0;
}

int nfs3c_call(int fd, const struct rpc_cred *cred, uint32_t proc, union nfs3_args *a,
	       struct nfs3c_res *out)
{
	return nfs3c_call_xid(fd, 0, cred, proc, a, out);
}

void nfs3c_release(struct nfs3c_res *r) { rpctest_reply_release(&r->raw); }

int nfs3c_export_root(int fd, const char *const *names, struct nfs3c_fh *out)
{
	struct nfs4c_call call;
	nfs4c_begin(&call, 0);
	nfs4c_putrootfh(&call);
	for (unsigned i = 0; names[i]; i++)
		nfs4c_lookup(&call, names[i]);
	nfs4c_getfh(&call);
	struct nfs4c_reply r;
	if (nfs4c_call(fd, nfs4c_root_cred(), &call, &r) != 0)
		return -1;
	int rc = -1;
	if (r.status == NFS4_OK) {
		uint32_t op, st;
		while (nfs4c_result(&r, &op, &st) && op != OP_GETFH)
			;
		const uint8_t *p;
		if (op == OP_GETFH && xdr_decode_opaque(&r.d, NFS3_FHSIZE, &p, &out->len)) {
			memcpy(out->data, p, out->len);
			rc = 0;
		}
	}
	nfs4c_done(&r);
	return rc;
}

void nfs3c_copy_fh(struct nfs3c_fh *dst, const struct nfs3_fh *src)
{
	dst->len = src->len;
	memcpy(dst->data, src->data, src->len);
}

struct nfs3_str nfs3c_str(const char *s)
{
	return (struct nfs3_str){(const uint8_t *)s, (uint32_t)strlen(s)};
}

uint32_t nfs3c_lookup(int fd, const struct nfs3c_fh *dir, const char *name, struct nfs3c_fh *out)
{
	union nfs3_args a = {.dirop = {nfs3c_wire(dir), nfs3c_str(name)}};
	struct nfs3c_res r;
	if (nfs3c_call(fd, NULL, NFSPROC3_LOOKUP, &a, &r) != 0) {
		nfs3c_release(&r);
		return NFS3ERR_SERVERFAULT;
	}
	uint32_t st = r.res.status;
	if (st == NFS3_OK && out)
		nfs3c_copy_fh(out, &r.res.fh.fh);
	nfs3c_release(&r);
	return st;
}

uint32_t nfs3c_create(int fd, const struct nfs3c_fh *dir, const char *name, uint32_t mode,
		      struct nfs3c_fh *out)
{
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.create.where = (struct nfs3_diropargs){nfs3c_wire(dir), nfs3c_str(name)};
	a.create.mode = GUARDED;
	a.create.attr.set_mode = true;
	a.create.attr.mode = mode;
	struct nfs3c_res r;
	if (nfs3c_call(fd, NULL, NFSPROC3_CREATE, &a, &r) != 0) {
		nfs3c_release(&r);
		return NFS3ERR_SERVERFAULT;
	}
	uint32_t st = r.res.status;
	if (st == NFS3_OK && out && r.res.fh.present)
		nfs3c_copy_fh(out, &r.res.fh.fh);
	nfs3c_release(&r);
	return st;
}
