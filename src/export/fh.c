#include "export/fh.h"

#include <string.h>

#include "xdr/xdr.h"

enum { FH_VERSION = 1, FH_HEADER = 7, FH_MAC = 8 };

static void fh_seal(struct exports *exps, struct fh *fh, size_t body)
{
	uint64_t mac = siphash24(&exps->fh_key, fh->wire, body);
	for (int i = 0; i < 8; i++)
		fh->wire[body + (size_t)i] = (uint8_t)(mac >> (56 - 8 * i));
	fh->wire_len = (uint32_t)(body + FH_MAC);
}

void fh_from_pseudo(struct exports *exps, struct pseudo_node *node,
			 struct fh *out)
{
	/* The root of a server whose only export is at "/" is that export. */
	struct export *ex = node == exps->root ? node->export : NULL;
	if (ex) {
		fh_from_object(exps, ex, &ex->root, out);
		return;
	}
	out->kind = FH_PSEUDO;
	out->node = node;
	out->export = NULL;
	out->bh.len = 0;
	out->wire[0] = FH_VERSION;
	out->wire[1] = FH_PSEUDO;
	xdr_put_be32(out->wire + 2, node->id);
	out->wire[6] = 0;
	fh_seal(exps, out, FH_HEADER);
}

void fh_from_object(struct exports *exps, struct export *ex,
			 const struct backend_handle *bh, struct fh *out)
{
	out->kind = FH_EXPORT;
	out->node = NULL;
	out->export = ex;
	out->bh = *bh;
	out->wire[0] = FH_VERSION;
	out->wire[1] = FH_EXPORT;
	xdr_put_be32(out->wire + 2, ex->id);
	out->wire[6] = bh->len;
	memcpy(out->wire + FH_HEADER, bh->data, bh->len);
	fh_seal(exps, out, FH_HEADER + bh->len);
}

enum fh_status fh_parse(struct exports *exps, const uint8_t *wire, uint32_t len, struct fh *out)
{
	if (len < FH_HEADER + FH_MAC || len > FH_MAX_SIZE || wire[0] != FH_VERSION)
		return FH_BADHANDLE;
	size_t body = FH_HEADER + wire[6];
	if (wire[6] > BACKEND_HANDLE_MAX || len != body + FH_MAC)
		return FH_BADHANDLE;
	uint64_t mac = siphash24(&exps->fh_key, wire, body);
	uint64_t got = 0;
	for (int i = 0; i < 8; i++)
		got = (got << 8) | wire[body + (size_t)i];
	if (mac != got)
		return FH_BADHANDLE;

	uint32_t id = xdr_get_be32(wire + 2);
	memcpy(out->wire, wire, len);
	out->wire_len = len;
	if (wire[1] == FH_PSEUDO) {
		if (wire[6] != 0)
			return FH_BADHANDLE;
		out->kind = FH_PSEUDO;
		out->export = NULL;
		out->bh.len = 0;
		out->node = pseudo_find(exps, id);
		return out->node ? FH_OK : FH_STALE;
	}
	if (wire[1] != FH_EXPORT)
		return FH_BADHANDLE;
	out->kind = FH_EXPORT;
	out->node = NULL;
	out->export = exports_find(exps, id);
	if (!out->export)
		return FH_STALE;
	out->bh.len = wire[6];
	memcpy(out->bh.data, wire + FH_HEADER, wire[6]);
	return FH_OK;
}

struct export *fh_export_hint(struct exports *exps, const uint8_t *wire, uint32_t len)
{
	if (len < FH_HEADER + FH_MAC || len > FH_MAX_SIZE || wire[0] != FH_VERSION ||
	    wire[1] != FH_EXPORT)
		return NULL;
	return exports_find(exps, xdr_get_be32(wire + 2));
}

bool fh_equal(const struct fh *a, const struct fh *b)
{
	return a->wire_len == b->wire_len && memcmp(a->wire, b->wire, a->wire_len) == 0;
}
