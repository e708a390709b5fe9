#include "nfs4/fs/fh.h"

#include <string.h>

#include "xdr/xdr.h"

enum { FH_VERSION = 1, FH_HEADER = 7, FH_MAC = 8 };

static void fh_seal(struct nfs4_exports *exps, struct nfs4_fh *fh, size_t body)
{
	uint64_t mac = siphash24(&exps->fh_key, fh->wire, body);
	for (int i = 0; i < 8; i++)
		fh->wire[body + (size_t)i] = (uint8_t)(mac >> (56 - 8 * i));
	fh->wire_len = (uint32_t)(body + FH_MAC);
}

void nfs4_fh_from_pseudo(struct nfs4_exports *exps, struct nfs4_pseudo_node *node,
			 struct nfs4_fh *out)
{
	/* The root of a server whose only export is at "/" is that export. */
	if (node->export && node == exps->root) {
		nfs4_fh_from_object(exps, node->export, &node->export->root, out);
		return;
	}
	out->kind = NFS4_FH_PSEUDO;
	out->node = node;
	out->export = NULL;
	out->bh.len = 0;
	out->wire[0] = FH_VERSION;
	out->wire[1] = NFS4_FH_PSEUDO;
	xdr_put_be32(out->wire + 2, node->id);
	out->wire[6] = 0;
	fh_seal(exps, out, FH_HEADER);
}

void nfs4_fh_from_object(struct nfs4_exports *exps, struct nfs4_export *ex,
			 const struct backend_handle *bh, struct nfs4_fh *out)
{
	out->kind = NFS4_FH_EXPORT;
	out->node = NULL;
	out->export = ex;
	out->bh = *bh;
	out->wire[0] = FH_VERSION;
	out->wire[1] = NFS4_FH_EXPORT;
	xdr_put_be32(out->wire + 2, ex->id);
	out->wire[6] = bh->len;
	memcpy(out->wire + FH_HEADER, bh->data, bh->len);
	fh_seal(exps, out, FH_HEADER + bh->len);
}

enum nfsstat4 nfs4_fh_parse(struct nfs4_exports *exps, const uint8_t *wire, uint32_t len,
			    struct nfs4_fh *out)
{
	if (len < FH_HEADER + FH_MAC || len > NFS4_FHSIZE || wire[0] != FH_VERSION)
		return NFS4ERR_BADHANDLE;
	size_t body = FH_HEADER + wire[6];
	if (wire[6] > BACKEND_HANDLE_MAX || len != body + FH_MAC)
		return NFS4ERR_BADHANDLE;
	uint64_t mac = siphash24(&exps->fh_key, wire, body);
	uint64_t got = 0;
	for (int i = 0; i < 8; i++)
		got = (got << 8) | wire[body + (size_t)i];
	if (mac != got)
		return NFS4ERR_BADHANDLE;

	uint32_t id = xdr_get_be32(wire + 2);
	memcpy(out->wire, wire, len);
	out->wire_len = len;
	if (wire[1] == NFS4_FH_PSEUDO) {
		if (wire[6] != 0)
			return NFS4ERR_BADHANDLE;
		out->kind = NFS4_FH_PSEUDO;
		out->export = NULL;
		out->bh.len = 0;
		out->node = nfs4_pseudo_find(exps, id);
		return out->node ? NFS4_OK : NFS4ERR_STALE;
	}
	if (wire[1] != NFS4_FH_EXPORT)
		return NFS4ERR_BADHANDLE;
	out->kind = NFS4_FH_EXPORT;
	out->node = NULL;
	out->export = nfs4_exports_find(exps, id);
	if (!out->export)
		return NFS4ERR_STALE;
	out->bh.len = wire[6];
	memcpy(out->bh.data, wire + FH_HEADER, wire[6]);
	return NFS4_OK;
}

bool nfs4_fh_equal(const struct nfs4_fh *a, const struct nfs4_fh *b)
{
	return a->wire_len == b->wire_len && memcmp(a->wire, b->wire, a->wire_len) == 0;
}
