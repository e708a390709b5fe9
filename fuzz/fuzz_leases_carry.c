/* libFuzzer target: the LEASES section of an upgrade's state image
 * (nfs4/deleg/leases_carried.c), as the new ferryd decodes it before it
 * says ready.
 *
 * Checked beyond "no sanitizer report": the section decodes only when
 * each entry names a descriptor received (here: as many as the count it
 * announces, at most 4096; the directory watches' come after) or none
 * (NFS4_LEASE_NO_FD: a ceph delegation, taken anew); what
 * decodes encodes back
 * to the input's length (XDR padding aside, the same bytes) and decodes
 * again to the same entries. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_codec.h"
#include "nfs4/deleg/deleg.h"
#include "xdr/xdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nfds = size >= 4 ? xdr_get_be32(data) : 0;
	if (nfds > 4096)
		nfds = 4096;
	struct nfs4_lease_carried *v = NULL;
	size_t n = 0;
	if (nfs4_deleg_leases_decode(data, size, nfds, &v, &n) != 0) {
		CHECK(!v && n == 0);
		return 0;
	}
	CHECK(n == nfds);
	for (size_t i = 0; i < n; i++)
		CHECK((v[i].fd < nfds || v[i].fd == NFS4_LEASE_NO_FD) &&
		      (v[i].type == BACKEND_LEASE_READ ||
					 v[i].type == BACKEND_LEASE_WRITE));
	struct buf *again = nfs4_deleg_leases_encode(v, n);
	CHECK(again && again->len == size);
	struct nfs4_lease_carried *w = NULL;
	size_t m = 0;
	CHECK(nfs4_deleg_leases_decode(again->data, again->len, nfds, &w, &m) == 0 && m == n);
	CHECK(n == 0 || memcmp(v, w, n * sizeof(*v)) == 0);
	buf_unref(again);
	free(v);
	free(w);
	return 0;
}
