/* libFuzzer target: the TLS_CONNS section of an upgrade's state image
 * (rpc/handover.c), as the new ferryd decodes it before it says ready.
 *
 * Checked beyond "no sanitizer report": the section decodes only when
 * every connection it names is one of the list (here: as many as the
 * count it announces plus one, at most 4096) and named once, and each
 * string fits; what decodes, made a handover list again, encodes back to
 * the same bytes (XDR padding aside: the same length) and decodes again
 * to the same connections. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_codec.h"
#include "rpc/server.h"
#include "xdr/xdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nconns = size >= 4 ? xdr_get_be32(data) + 1 : 0;
	if (nconns > 4096)
		nconns = 4096;
	struct rpc_tls_info **v = NULL;
	if (rpc_handover_tls_decode(data, size, nconns, &v) != 0) {
		CHECK(!v);
		return 0;
	}
	struct rpc_handover h;
	memset(&h, 0, sizeof(h));
	h.conns = nconns ? calloc(nconns, sizeof(*h.conns)) : NULL;
	CHECK(!nconns || h.conns);
	h.nconns = nconns;
	for (size_t i = 0; i < nconns; i++) {
		h.conns[i].fd = -1;
		if (v && v[i]) {
			CHECK(v[i]->ktls_send && v[i]->ktls_recv &&
			      v[i]->peer.nnames <= RPC_TLS_MAX_NAMES);
			h.conns[i].tls = true;
			h.conns[i].tls_info = *v[i];
		}
	}
	size_t n = 0;
	struct buf *again = rpc_handover_tls_encode(&h, &n);
	CHECK(again && again->len == size);
	struct rpc_tls_info **w = NULL;
	CHECK(rpc_handover_tls_decode(again->data, again->len, nconns, &w) == 0);
	for (size_t i = 0; i < nconns; i++) {
		CHECK(!v[i] == !w[i]);
		CHECK(!v[i] || memcmp(v[i], w[i], sizeof(*v[i])) == 0);
	}
	buf_unref(again);
	free(h.conns);
	rpc_handover_tls_free(v, nconns);
	rpc_handover_tls_free(w, nconns);
	return 0;
}
