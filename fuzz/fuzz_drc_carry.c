/* libFuzzer target: a duplicate request cache's section of an upgrade's
 * state image (rpc/drc.h, rpc_drc_load), as the new ferryd reads it into
 * its NFSv4.0 and NFSv3 caches before it serves.
 *
 * Checked beyond "no sanitizer report": what loads saves again, and that
 * save loads into a fresh cache and saves to the same length (the same
 * entries; only their ages may differ). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_codec.h"
#include "rpc/drc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct buf *save(struct rpc_drc *d)
{
	struct buf *b = NULL;
	CHECK(rpc_drc_save(d, &b) == 0);
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_drc *d;
	CHECK(rpc_drc_create(&d) == 0);
	char err[256];
	if (rpc_drc_load(d, data, size, err, sizeof(err)) != 0) {
		CHECK(err[0] != '\0');
		rpc_drc_destroy(d);
		return 0;
	}
	struct buf *first = save(d);
	rpc_drc_destroy(d);
	CHECK(rpc_drc_create(&d) == 0);
	CHECK(rpc_drc_load(d, first->data, first->len, err, sizeof(err)) == 0);
	struct buf *second = save(d);
	CHECK(second->len == first->len);
	buf_unref(first);
	buf_unref(second);
	rpc_drc_destroy(d);
	return 0;
}
