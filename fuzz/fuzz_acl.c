/* libFuzzer target: an NFSv4 ACL from the wire as SETATTR, OPEN and CREATE
 * take one (the acl attribute's nfsace4<>), decoded by the codec
 * (nfs4_acl_decode, nfs4_acl_next) and mapped to POSIX ACLs by the NFSv4
 * layer (nfs4_acl_map: who strings, then acl_map.h), for a directory or a
 * file, on the in-process server of fuzz_inproc.h.
 *
 * Input layout:
 *   byte 0   bit 0: the object is a directory (else a regular file)
 *   the rest the ACL's XDR (a count, then the ACEs)
 *
 * Checked beyond "no sanitizer report": a decoded ACL walks as exactly its
 * count of ACEs over exactly its bytes; the status of the mapping is one
 * the operations may answer; what maps is a valid POSIX ACL (and a file
 * gets no default one); mapped back to ACEs and again to POSIX ACLs it
 * grants every entry what it granted (the mask may lose a bit no entry
 * has: a client's ACL can allow write's parts, WRITE_DATA and APPEND_DATA,
 * to different principals, and the mask, like knfsd's, is made of the
 * ACE bits), and once more it comes back exactly the same. */
#include "fuzz_inproc.h"

#include <stdlib.h>

#include "backend/backend_internal.h"
#include "nfs4/fs/acl.h"
#include "nfs4/fs/acl_map.h"
#include "xdr/nfs4_fattr.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_server();
	return 0;
}

static bool acl_same(const struct backend_acl *a, const struct backend_acl *b)
{
	return a->count == b->count && memcmp(a->e, b->e, a->count * sizeof(a->e[0])) == 0;
}

static uint16_t acl_mask(const struct backend_acl *a)
{
	for (uint32_t i = 0; i < a->count; i++)
		if (a->e[i].tag == BACKEND_ACL_MASK)
			return a->e[i].perm;
	return 7;
}

/* The same entries, each granting the same through its mask. */
static bool acl_grants_same(const struct backend_acl *a, const struct backend_acl *b)
{
	if (a->count != b->count)
		return false;
	uint16_t ma = acl_mask(a), mb = acl_mask(b);
	for (uint32_t i = 0; i < a->count; i++) {
		const struct backend_acl_entry *x = &a->e[i], *y = &b->e[i];
		bool masked = x->tag == BACKEND_ACL_USER || x->tag == BACKEND_ACL_GROUP_OBJ ||
			      x->tag == BACKEND_ACL_GROUP;
		if (x->tag != y->tag || x->id != y->id)
			return false;
		if (x->tag == BACKEND_ACL_MASK ? (y->perm & ~x->perm) != 0
		    : masked		       ? (x->perm & ma) != (y->perm & mb)
					       : x->perm != y->perm)
			return false;
	}
	return true;
}

/* ACLs read as ACEs and set back (what a client that reads an ACL and
 * writes it again gets). */
static void round_trip(const struct backend_acl *access_in, const struct backend_acl *dflt_in,
		       bool dir, struct backend_acl *access, struct backend_acl *dflt)
{
	uint32_t cap = nfs4_acl_map_max(access_in->count) + nfs4_acl_map_max(dflt_in->count);
	struct nfs4_ace_val *aces = malloc(cap * sizeof(*aces));
	CHECK(aces);
	uint32_t n = nfs4_acl_from_posix(access_in, dir, false, aces);
	n += nfs4_acl_from_posix(dflt_in, dir, true, aces + n);
	CHECK(n <= cap);
	CHECK(nfs4_acl_to_posix(aces, n, dir, access, dflt) == 0);
	free(aces);
}

static void check_round_trip(const struct nfs4_acl_posix *p, bool dir)
{
	struct backend_acl *a1 = malloc(sizeof(*a1)), *d1 = malloc(sizeof(*d1));
	struct backend_acl *a2 = malloc(sizeof(*a2)), *d2 = malloc(sizeof(*d2));
	CHECK(a1 && d1 && a2 && d2);
	round_trip(p->access, p->dflt, dir, a1, d1);
	CHECK(acl_grants_same(p->access, a1));
	CHECK(acl_grants_same(p->dflt, d1));
	round_trip(a1, d1, dir, a2, d2);
	CHECK(acl_same(a1, a2));
	CHECK(acl_same(d1, d2));
	free(a1);
	free(d1);
	free(a2);
	free(d2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool dir = data[0] & 1;
	struct xdr_dec d;
	xdr_dec_init(&d, data + 1, size - 1);
	struct nfs4_acl acl;
	if (!nfs4_acl_decode(&d, &acl))
		return 0; /* the attribute's values: NFS4ERR_BADXDR */

	struct xdr_dec w;
	xdr_dec_init(&w, acl.aces.data, acl.aces.len);
	struct nfs4_ace ace;
	for (uint32_t i = 0; i < acl.count; i++)
		CHECK(nfs4_acl_next(&w, &ace));
	CHECK(xdr_dec_remaining(&w) == 0 && !nfs4_acl_next(&w, &ace));

	struct inproc *ip = fuzz_server();
	struct nfs4_acl_posix p;
	enum nfsstat4 st = nfs4_acl_map(&ip->nfs, &acl, dir ? BACKEND_DIR : BACKEND_REG, &p);
	CHECK(st == NFS4_OK || st == NFS4ERR_ATTRNOTSUPP || st == NFS4ERR_BADOWNER ||
	      st == NFS4ERR_FBIG || st == NFS4ERR_RESOURCE);
	if (st == NFS4_OK) {
		CHECK(backend_acl_check(p.access) == 0);
		CHECK(p.dflt->count == 0 || (dir && backend_acl_check(p.dflt) == 0));
		check_round_trip(&p, dir);
	}
	nfs4_acl_posix_free(&p);
	return 0;
}
