/* Shared by the fuzz targets that call the NFSv4 layer's functions directly
 * (fuzz_fattr, fuzz_fh): one in-process server on the memory back end
 * (tests/lib/inproc_server.h), built on first use and kept for the whole
 * run.  Those targets change nothing in it, so inputs do not depend on
 * each other.  File handles are signed with a fixed key, so that a handle
 * written to a corpus verifies in every later run. */
#ifndef FERRY_FUZZ_INPROC_H
#define FERRY_FUZZ_INPROC_H

#include <stdint.h>
#include <string.h>

#include "lib/inproc_server.h"
#include "nfs4/engine/compound.h"
#include "export/fh.h"

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

static const struct siphash_key FUZZ_FH_KEY = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};

static inline struct inproc *fuzz_server(void)
{
	static struct inproc server;
	static bool built;
	if (!built) {
		CHECK(inproc_init_diskless(&server, LOG_LEVEL_ERROR));
		server.nfs.exports.fh_key = FUZZ_FH_KEY;
		built = true;
	}
	return &server;
}

static inline struct export *fuzz_export(struct inproc *ip, const char *pseudo)
{
	for (unsigned i = 0; i < ip->nfs.exports.count; i++)
		if (strcmp(ip->nfs.exports.list[i]->pseudo, pseudo) == 0)
			return ip->nfs.exports.list[i];
	__builtin_trap();
}

/* A COMPOUND context as an operation handler of minor version minor sees
 * it, with no current filehandle; req must outlive c. */
static inline void fuzz_compound_ctx(struct inproc *ip, uint32_t minor, struct rpc_request *req,
				     struct nfs4_compound *c)
{
	memset(req, 0, sizeof(*req));
	req->conn = ip->conn;
	req->cred = ip->cred;
	memset(c, 0, sizeof(*c));
	c->srv = &ip->nfs;
	c->req = req;
	c->minor = minor;
	c->cfh.kind = FH_NONE;
	c->sfh.kind = FH_NONE;
}

#endif
