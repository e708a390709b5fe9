#include "lib/nfs4test.h"

#include <errno.h>
#include <string.h>

static uint32_t next_xid = 0x7e570000;

void nfs4t_begin(struct nfs4t_call *call, const char *tag, uint32_t minor)
{
	xdr_enc_init(&call->e, 1024, 4u << 20);
	xdr_encode_opaque(&call->e, tag, (uint32_t)strlen(tag));
	xdr_encode_u32(&call->e, minor);
	call->numops_off = xdr_enc_len(&call->e);
	xdr_encode_u32(&call->e, 0);
	call->numops = 0;
}

void nfs4t_op(struct nfs4t_call *call, uint32_t opnum)
{
	xdr_encode_u32(&call->e, opnum);
	call->numops++;
	xdr_enc_patch_u32(&call->e, call->numops_off, call->numops);
}

void nfs4t_putrootfh(struct nfs4t_call *call) { nfs4t_op(call, OP_PUTROOTFH); }

void nfs4t_putfh(struct nfs4t_call *call, const uint8_t *fh, uint32_t len)
{
	nfs4t_op(call, OP_PUTFH);
	xdr_encode_opaque(&call->e, fh, len);
}

void nfs4t_lookup(struct nfs4t_call *call, const char *name)
{
	nfs4t_op(call, OP_LOOKUP);
	xdr_encode_opaque(&call->e, name, (uint32_t)strlen(name));
}

void nfs4t_getfh(struct nfs4t_call *call) { nfs4t_op(call, OP_GETFH); }

void nfs4t_getattr(struct nfs4t_call *call, const unsigned *bits, unsigned n)
{
	struct nfs4_bitmap b = {{0}};
	for (unsigned i = 0; i < n; i++)
		nfs4_bitmap_set(&b, bits[i]);
	nfs4t_op(call, OP_GETATTR);
	nfs4_encode_bitmap(&call->e, &b);
}

const struct rpc_cred *nfs4t_root_cred(void)
{
	static struct rpc_cred cred = {.flavor = RPC_AUTH_SYS, .machinename = "ferry-test"};
	return &cred;
}

int nfs4t_send(int fd, struct nfs4t_call *call, const struct rpc_cred *cred,
	       struct nfs4t_reply *reply)
{
	memset(reply, 0, sizeof(*reply));
	int rc = rpctest_call(fd, next_xid++, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND,
			      cred ? cred : nfs4t_root_cred(), call->e.buf->data, call->e.buf->len,
			      &reply->rpc);
	xdr_enc_release(&call->e);
	if (rc)
		return rc;
	if (reply->rpc.hdr.reply_stat != RPC_MSG_ACCEPTED ||
	    reply->rpc.hdr.accept_stat != RPC_SUCCESS) {
		rpctest_reply_release(&reply->rpc);
		return -EPROTO;
	}
	reply->d = reply->rpc.results;
	if (!xdr_decode_u32(&reply->d, &reply->status) ||
	    !xdr_decode_opaque(&reply->d, UINT32_MAX, &reply->tag, &reply->taglen) ||
	    !xdr_decode_u32(&reply->d, &reply->nres)) {
		rpctest_reply_release(&reply->rpc);
		return -EBADMSG;
	}
	return 0;
}

bool nfs4t_result(struct nfs4t_reply *reply, uint32_t *opnum, uint32_t *status)
{
	return xdr_decode_u32(&reply->d, opnum) && xdr_decode_u32(&reply->d, status);
}

void nfs4t_reply_release(struct nfs4t_reply *reply) { rpctest_reply_release(&reply->rpc); }
