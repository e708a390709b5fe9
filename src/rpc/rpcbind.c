#include "rpc/rpcbind.h"

#include <errno.h>
#include <netinet/in.h>

#include "rpc/client.h"

enum {
	PMAP_PROG = 100000,
	PMAP_VERS = 2,
	PMAPPROC_SET = 1,
	PMAPPROC_UNSET = 2,
	RPCBIND_TIMEOUT_MS = 2000,
};

int rpcbind_register(uint32_t prog, uint32_t vers, uint16_t port, bool set)
{
	return rpcbind_register_proto(prog, vers, IPPROTO_TCP, port, set);
}

int rpcbind_register_proto(uint32_t prog, uint32_t vers, uint32_t proto, uint16_t port, bool set)
{
	struct rpc_client cl;
	int rc = rpc_client_connect(&cl, "127.0.0.1:111", RPCBIND_TIMEOUT_MS);
	if (rc)
		return rc;
	uint8_t args[16];
	xdr_put_be32(args, prog);
	xdr_put_be32(args + 4, vers);
	xdr_put_be32(args + 8, proto);
	xdr_put_be32(args + 12, port);
	/* rpcbind accepts changes only from a privileged local caller, which
	 * it recognises by the credential of a loopback AUTH_SYS call. */
	struct rpc_cred cred = {.flavor = RPC_AUTH_SYS, .uid = 0, .gid = 0};
	struct buf *reply;
	struct rpc_reply_hdr hdr;
	size_t off;
	rc = rpc_client_call(&cl, PMAP_PROG, PMAP_VERS, set ? PMAPPROC_SET : PMAPPROC_UNSET, &cred,
			     args, sizeof(args), &reply, &hdr, &off, RPCBIND_TIMEOUT_MS);
	rpc_client_close(&cl);
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
