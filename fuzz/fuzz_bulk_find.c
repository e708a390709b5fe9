/* libFuzzer target: nfs4_bulk_find_write (nfs4/engine/bulk.c), which reads
 * the start of a COMPOUND before the rest has arrived.
 *
 * Input layout: bytes 0-3 the arguments' announced length (big-endian), the
 * rest the bytes that arrived.  Checked beyond "no sanitizer report": a
 * range found lies within the announced length and starts within what
 * arrived. */
#include <stdint.h>
#include <stdlib.h>

#include "nfs4/engine/bulk.h"
#include "xdr/xdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	size_t args_len = xdr_get_be32(data);
	const uint8_t *args = data + 4;
	size_t have = size - 4;
	size_t off = 0, len = 0;
	if (!nfs4_bulk_find_write(args, have, args_len, &off, &len))
		return 0;
	if (off > have || off > args_len || len > args_len - off || len < NFS4_BULK_WRITE_MIN)
		abort();
	return 0;
}
