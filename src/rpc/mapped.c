/* READ data sent from a mapping of the file's pages (rpc_request_reply_mapped).
 *
 * Over loopback the kernel copies a reply's bytes into the peer's socket
 * whether they are spliced or written, and a splice costs more there than a
 * copy (docs/DECISIONS.md); reading the data into the reply first makes that
 * two copies.  Mapped, the one copy is sendmsg's, straight from the page
 * cache.  ferryd itself never touches the mapping: a page the file loses
 * meanwhile (truncated by someone else) would fault it (SIGBUS), while the
 * kernel's own copy turns it into EFAULT, which the writer answers with
 * zeros (conn.c), and the copy for a kept reply goes through the kernel too
 * (rpc_mapped_copy). */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rpc/server_internal.h"

void rpc_mapped_release(struct rpc_mapped *m)
{
	if (m->base && m->release)
		m->release(m->release_arg);
	else if (m->base)
		munmap(m->base, m->size);
	*m = (struct rpc_mapped){0};
}

void rpc_mapped_copy(const struct rpc_mapped *m, size_t from, uint8_t *dst, size_t len)
{
	const uint8_t *src = (const uint8_t *)m->base + from;
	size_t done = 0;
	while (done < len) {
		struct iovec local = {dst + done, len - done};
		struct iovec remote = {(void *)(src + done), len - done};
		ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break; /* EFAULT: the file ended before the mapping did */
	}
	memset(dst + done, 0, len - done);
}
