/* libFuzzer target: file handles from the wire, parsed and verified as
 * PUTFH does (fh_parse: layout, keyed MAC, export or pseudo node),
 * then looked up in the back end as the next operation would
 * (nfs4_fh_getattr), on the in-process server of fuzz_inproc.h whose key
 * is fixed.
 *
 * Input layout:
 *   byte 0   bit 0: the rest is a handle without its MAC; the target signs
 *                   it with the fixed key (so the fuzzer gets behind the
 *                   MAC check); clear: the rest is the whole handle
 *   the rest the handle bytes
 *
 * Checked beyond "no sanitizer report": the status is NFS4_OK,
 * NFS4ERR_BADHANDLE or NFS4ERR_STALE; a handle that parses is kept byte for
 * byte, names an existing pseudo node or export, and is the very handle the
 * server makes for that object (fh_from_pseudo / fh_from_object):
 * no two encodings of one object verify.
 *
 * FUZZ_FH_SEEDS=DIR makes the target write seeds (the real handles of the
 * pseudo nodes and export roots, signed and unsigned) to DIR and exit:
 *   FUZZ_FH_SEEDS=fuzz/corpus/fh build-fuzz/fuzz/fuzz_fh */
#include <stdio.h>
#include <stdlib.h>

#include "core/siphash.h"
#include "fuzz_inproc.h"
#include "nfs4/fs/fattr.h"

enum { FH_MAC = 8 };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_seed(const char *dir, const char *name, uint8_t mode, const uint8_t *p,
		       size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	CHECK(f);
	CHECK(fwrite(&mode, 1, 1, f) == 1 && fwrite(p, 1, n, f) == n);
	fclose(f);
}

static void write_seeds_of(const char *dir, const char *what, const struct fh *fh)
{
	char name[128];
	snprintf(name, sizeof(name), "%s-signed", what);
	write_seed(dir, name, 0, fh->wire, fh->wire_len);
	snprintf(name, sizeof(name), "%s-body", what);
	write_seed(dir, name, 1, fh->wire, fh->wire_len - FH_MAC);
}

static void write_seeds(const char *dir)
{
	struct inproc *ip = fuzz_server();
	struct exports *exps = &ip->nfs.exports;
	struct fh fh;
	fh_from_pseudo(exps, exps->root, &fh);
	write_seeds_of(dir, "pseudo-root", &fh);
	for (struct pseudo_node *n = exps->root->children; n; n = n->sibling) {
		fh_from_pseudo(exps, n, &fh);
		write_seeds_of(dir, "pseudo-child", &fh);
	}
	for (unsigned i = 0; i < exps->count; i++) {
		char what[64];
		snprintf(what, sizeof(what), "export%u-root", i);
		fh_from_object(exps, exps->list[i], &exps->list[i]->root, &fh);
		write_seeds_of(dir, what, &fh);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("FUZZ_FH_SEEDS");
	if (dir && *dir) {
		write_seeds(dir);
		exit(0);
	}
	fuzz_server();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 + NFS4_FHSIZE)
		return 0;
	struct inproc *ip = fuzz_server();
	struct exports *exps = &ip->nfs.exports;
	uint8_t wire[NFS4_FHSIZE + FH_MAC];
	size_t len = size - 1;
	memcpy(wire, data + 1, len);
	if (data[0] & 1) {
		uint64_t mac = siphash24(&FUZZ_FH_KEY, wire, len);
		for (int i = 0; i < FH_MAC; i++)
			wire[len + (size_t)i] = (uint8_t)(mac >> (56 - 8 * i));
		len += FH_MAC;
		if (len > NFS4_FHSIZE)
			return 0;
	}

	struct fh fh;
	memset(&fh, 0, sizeof(fh));
	enum fh_status st = fh_parse(exps, wire, (uint32_t)len, &fh);
	CHECK(st == FH_OK || st == FH_BADHANDLE || st == FH_STALE);
	if (st != FH_OK)
		return 0;
	CHECK(fh.wire_len == len && memcmp(fh.wire, wire, len) == 0);
	struct fh again;
	if (fh.kind == FH_PSEUDO) {
		CHECK(fh.node != NULL && fh.export == NULL);
		fh_from_pseudo(exps, fh.node, &again);
	} else {
		CHECK(fh.kind == FH_EXPORT && fh.export != NULL && fh.node == NULL);
		CHECK(fh.bh.len <= BACKEND_HANDLE_MAX);
		fh_from_object(exps, fh.export, &fh.bh, &again);
	}
	CHECK(fh_equal(&fh, &again));

	/* What the next operation does with it: ask the back end. */
	struct rpc_request req;
	struct nfs4_compound c;
	fuzz_compound_ctx(ip, 1, &req, &c);
	nfs4_compound_set_cfh(&c, &fh);
	struct backend_attr attr;
	enum nfsstat4 st4 = nfs4_fh_getattr(&c, &c.cfh, &attr);
	CHECK(st4 == NFS4_OK || st4 == NFS4ERR_STALE || st4 == NFS4ERR_BADHANDLE ||
	      st4 == NFS4ERR_FHEXPIRED);
	return 0;
}
