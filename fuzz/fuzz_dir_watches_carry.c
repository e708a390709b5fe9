/* libFuzzer target: the DIR_WATCHES section of an upgrade's state image
 * (nfs4/deleg/dirs_carried.c), as the new ferryd decodes it before it
 * says ready.
 *
 * Checked beyond "no sanitizer report": the section decodes only when
 * each watch names a descriptor received (here: as many as the count it
 * announces, at most 4096) or none, its directories then with their marks
 * (a ceph export's watch); what decodes, its descriptors numbered from
 * the first one's (or from 0 when they were not in a row), encodes back
 * to the same length when they were, and always decodes again to the
 * same watches. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_codec.h"
#include "nfs4/deleg/deleg.h"
#include "xdr/xdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct nfs4_dir_watches *a, const struct nfs4_dir_watches *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct nfs4_dir_watch_carried *x = &a->v[i], *y = &b->v[i];
		if (x->export_id != y->export_id || x->ndirs != y->ndirs ||
		    (x->marks == NULL) != (y->marks == NULL))
			return false;
		for (size_t k = 0; k < x->ndirs; k++)
			if (x->dirs[k].len != y->dirs[k].len ||
			    memcmp(x->dirs[k].data, y->dirs[k].data, x->dirs[k].len) != 0 ||
			    (x->marks && x->marks[k] != y->marks[k]))
				return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nfds = size >= 4 ? xdr_get_be32(data) : 0;
	if (nfds > 4096)
		nfds = 4096;
	struct nfs4_dir_watches w;
	if (nfs4_dir_watches_decode(data, size, nfds, &w) != 0) {
		CHECK(!w.v && w.n == 0);
		return 0;
	}
	/* The watches with descriptors, numbered in a row by the encoder. */
	bool consecutive = true;
	size_t first = 0, nfd = 0;
	for (size_t i = 0; i < w.n; i++) {
		bool marked = w.v[i].fd_index == NFS4_DIR_WATCH_NO_FD;
		CHECK(w.v[i].fd == -1 && (marked ? w.v[i].marks != NULL
						 : w.v[i].fd_index < nfds && !w.v[i].marks));
		if (marked)
			continue;
		if (nfd == 0)
			first = w.v[i].fd_index;
		consecutive = consecutive && w.v[i].fd_index == first + nfd;
		nfd++;
	}
	/* Numbered as they were when that can be said, from 0 otherwise. */
	if (!consecutive)
		first = 0;
	struct buf *again = nfs4_dir_watches_encode(&w, first);
	CHECK(again != NULL);
	if (consecutive)
		CHECK(again->len == size);
	struct nfs4_dir_watches x;
	CHECK(nfs4_dir_watches_decode(again->data, again->len, nfds, &x) == 0 && same(&w, &x));
	buf_unref(again);
	nfs4_dir_watches_free(&w);
	nfs4_dir_watches_free(&x);
	return 0;
}
