/* A WRITE's data into its file, from memory or from the pipe rpc spliced
 * it into (write.h). */
#include "export/write.h"
#include "export/export.h"
#include "rpc/server.h"

int export_write_args(struct rpc_request *req, struct export *ex,
		      const struct backend_cred *cred, const struct backend_handle *bh,
		      uint64_t off, const uint8_t *data, uint32_t len, enum backend_stable stable,
		      size_t *written, enum backend_stable *committed)
{
	if (!ex->ops->write_pipe) {
		int rc = rpc_request_args_materialise(req);
		if (rc)
			return rc;
		return ex->ops->write(ex->bex, cred, bh, off, data, len, stable, written,
				      committed);
	}
	struct backend_write_parts parts = {.head = data};
	int in_pipe = rpc_request_args_pipe(req, data, len, &parts.head_len, &parts.pipe,
					    &parts.pipe_len);
	if (in_pipe < 0)
		return in_pipe;
	if (!in_pipe)
		return ex->ops->write(ex->bex, cred, bh, off, data, len, stable, written,
				      committed);
	parts.tail = data + parts.head_len + parts.pipe_len;
	parts.tail_len = len - parts.head_len - parts.pipe_len;
	return ex->ops->write_pipe(ex->bex, cred, bh, off, &parts, stable, written, committed);
}
