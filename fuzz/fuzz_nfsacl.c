/* libFuzzer target: NFSACL's arguments from the wire (GETACL, SETACL),
 * decoded by the codec (xdr/nfsacl_codec.h) and SETACL's lists turned
 * into POSIX ACLs as the server does (nfs3/acl_wire.h).
 *
 * Input layout:
 *   byte 0   bit 0: SETACL (else GETACL)
 *   the rest the arguments' XDR
 *
 * Checked beyond "no sanitizer report": decoded arguments encode again
 * to exactly the bytes they were read from; a list the mask sets comes
 * out as INVAL or as an ACL in tag and id order, its permissions rwx and
 * no more entries than the list; a valid one sent back as GETACL sends it
 * and read again is the same ACL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend_internal.h"
#include "nfs3/acl_wire.h"
#include "xdr/nfsacl_codec.h"

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct backend_acl acl, again;
static struct nfsacl_ace entries[2][NFSACL_MAX_ENTRIES], sent[NFSACL_MAX_ENTRIES + 1];

/* A decoded list's entries, for encoding. */
static void list_entries(struct nfsacl_list *l, struct nfsacl_ace *out)
{
	for (uint32_t i = 0; i < l->n; i++)
		out[i] = nfsacl_list_at(l, i);
	l->v = out;
}

static void check_list(const struct nfsacl_list *l)
{
	if (nfs3_acl_from_wire(l, &acl) != NFS3_OK)
		return;
	CHECK(acl.count <= l->n);
	for (uint32_t i = 0; i < acl.count; i++) {
		const struct backend_acl_entry *e = &acl.e[i];
		CHECK(e->perm <= 7);
		if (i > 0) {
			const struct backend_acl_entry *p = &acl.e[i - 1];
			CHECK(p->tag < e->tag || (p->tag == e->tag && p->id <= e->id));
		}
	}
	if (backend_acl_check(&acl) != 0)
		return;
	/* As GETACL sends it, through the codec, and back. */
	uint32_t n;
	CHECK(nfs3_acl_to_wire(&acl, 1000, 1000, false, sent, &n));
	struct nfsacl_list out = {n, n, NULL, sent}, in;
	struct xdr_enc e;
	CHECK(xdr_enc_init(&e, 64, 1u << 20));
	struct xdr_stream ex = XDR_ENC_STREAM(&e);
	struct nfsacl_res r = {.status = NFS3_OK, .mask = NFSACL_ACL, .access = out, .dflt = {0}};
	CHECK(nfsacl_xdr_res(&ex, NFSACLPROC3_GETACL, &r) && !e.overflow);
	struct xdr_dec d;
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	struct xdr_stream dx = XDR_DEC_STREAM(&d);
	struct nfsacl_res back;
	memset(&back, 0, sizeof(back));
	CHECK(nfsacl_xdr_res(&dx, NFSACLPROC3_GETACL, &back) && xdr_dec_remaining(&d) == 0);
	in = back.access;
	CHECK(nfs3_acl_from_wire(&in, &again) == NFS3_OK);
	CHECK(again.count == acl.count &&
	      memcmp(again.e, acl.e, acl.count * sizeof(acl.e[0])) == 0);
	xdr_enc_release(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t proc = data[0] & 1 ? NFSACLPROC3_SETACL : NFSACLPROC3_GETACL;
	struct xdr_dec d;
	xdr_dec_init(&d, data + 1, size - 1);
	struct xdr_stream x = XDR_DEC_STREAM(&d);
	union nfsacl_args a;
	memset(&a, 0, sizeof(a));
	if (!nfsacl_xdr_args(&x, proc, &a))
		return 0;
	size_t used = size - 1 - xdr_dec_remaining(&d);
	if (proc == NFSACLPROC3_SETACL) {
		if (a.setacl.mask & NFSACL_ACL)
			check_list(&a.setacl.access);
		if (a.setacl.mask & NFSACL_DFACL)
			check_list(&a.setacl.dflt);
		list_entries(&a.setacl.access, entries[0]);
		list_entries(&a.setacl.dflt, entries[1]);
	}
	/* The same bytes again, but for the handle's padding, which the
	 * decoder skips and the encoder zeroes. */
	struct xdr_enc e;
	CHECK(xdr_enc_init(&e, 64, 1u << 20));
	struct xdr_stream ex = XDR_ENC_STREAM(&e);
	CHECK(nfsacl_xdr_args(&ex, proc, &a) && !e.overflow);
	CHECK(e.buf->len == used);
	size_t fh_end = 4 + a.getacl.fh.len, pad = xdr_pad4(a.getacl.fh.len) - a.getacl.fh.len;
	CHECK(memcmp(e.buf->data, data + 1, fh_end) == 0);
	CHECK(memcmp(e.buf->data + fh_end + pad, data + 1 + fh_end + pad, used - fh_end - pad) == 0);
	xdr_enc_release(&e);
	return 0;
}
