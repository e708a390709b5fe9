/* libFuzzer target: the NLM section of an upgrade's state image
 * (nlm/carry.c), as the new ferryd reads it item by item before making
 * each lock again.
 *
 * Checked beyond "no sanitizer report": every item that decodes is within
 * the limits the state calls take (names, owner handles, handles, blobs,
 * a NUL-free address), encodes again, and that encoding decodes to the
 * same item taking exactly its own bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_codec.h"
#include "nlm/nlm_internal.h"
#include "state/opens/state_nlm.h"
#include "xdr/xdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_bytes(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static void check_same(const struct state_nlm_item *x, const struct state_nlm_item *y)
{
	CHECK(x->kind == y->kind && x->nsm_state == y->nsm_state);
	CHECK(same_bytes(x->lock.owner.host, x->lock.owner.host_len, y->lock.owner.host,
			 y->lock.owner.host_len));
	CHECK(strcmp(x->lock.owner.addr, y->lock.owner.addr) == 0);
	CHECK(x->lock.owner.svid == y->lock.owner.svid);
	CHECK(same_bytes(x->lock.owner.oh, x->lock.owner.oh_len, y->lock.owner.oh,
			 y->lock.owner.oh_len));
	CHECK(x->lock.file->export_id == y->lock.file->export_id);
	CHECK(same_bytes(x->lock.file->bh.data, x->lock.file->bh.len, y->lock.file->bh.data,
			 y->lock.file->bh.len));
	CHECK(x->lock.exclusive == y->lock.exclusive && x->lock.offset == y->lock.offset &&
	      x->lock.len == y->lock.len && x->access == y->access && x->deny == y->deny);
	CHECK(same_bytes(x->blob, x->blob_len, y->blob, y->blob_len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xdr_dec d;
	xdr_dec_init(&d, data, size);
	for (int n = 0; n < 64; n++) {
		struct state_nlm_item it, again;
		struct state_file_key key, key2;
		char addr[NLM_CARRY_ADDR_MAX + 1], addr2[NLM_CARRY_ADDR_MAX + 1];
		if (!nlm_carry_decode_item(&d, &it, &key, addr))
			return 0;
		CHECK(it.lock.owner.host_len <= NLM4_MAXSTRLEN && it.lock.owner.oh_len <= NLM4_MAXNETOBJ);
		CHECK(key.bh.len <= BACKEND_HANDLE_MAX && it.blob_len <= STATE_NLM_BLOB_MAX);
		CHECK(strlen(addr) <= NLM_CARRY_ADDR_MAX);
		struct xdr_enc e;
		CHECK(xdr_enc_init(&e, 256, 1u << 20));
		CHECK(nlm_carry_encode_item(&e, &it) && !e.overflow);
		struct xdr_dec d2;
		xdr_dec_init(&d2, e.buf->data, e.buf->len);
		CHECK(nlm_carry_decode_item(&d2, &again, &key2, addr2));
		CHECK(xdr_dec_remaining(&d2) == 0);
		check_same(&it, &again);
		xdr_enc_release(&e);
	}
	return 0;
}
