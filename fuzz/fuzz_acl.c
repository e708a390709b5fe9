/* libFuzzer target: an NFSv4 ACL from the wire as SETATTR, OPEN and CREATE
 * take one (the acl attribute's nfsace4<>), decoded by the codec
 * (nfs4_acl_decode, nfs4_acl_next) and mapped to POSIX ACLs by the NFSv4
 * layer (nfs4_acl_map: who strings, then acl_map.h), for a directory or a
 * file, on the in-process server of fuzz_inproc.h; or a POSIX ACL as
 * posix_access_acl carries one (posixace4<>, draft-ietf-nfsv4-posix-acls:
 * nfs4_posix_acl_decode, then nfs4_acl_map_sattr).
 *
 * Input layout:
 *   byte 0   bit 0: the object is a directory (else a regular file);
 *            bit 1: a posixace4<> (else an nfsace4<>)
 *   the rest the ACL's XDR (a count, then the ACEs)
 *
 * Checked for a POSIX ACL: it walks as its count of ACEs; what maps comes
 * out in tag and id order with rwx bits only, one entry per ACE; a valid
 * one written back as posixace4s (numeric whos) maps to the same ACL.
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
#include "nfs4/fs/fattr.h"
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

/* A posix_access_acl's values as SETATTR decodes them, mapped. */
static enum nfsstat4 map_posix(const struct nfs4_posix_acl *wire, bool dir, struct nfs4_acl_posix *p)
{
	struct nfs4_sattr s;
	memset(&s, 0, sizeof(s));
	s.has_acl = s.has_posix_access = true;
	s.posix_access = *wire;
	return nfs4_acl_map_sattr(&fuzz_server()->nfs, &s, dir ? BACKEND_DIR : BACKEND_REG, p);
}

static void check_posix(const uint8_t *data, size_t size, bool dir)
{
	struct xdr_dec d;
	xdr_dec_init(&d, data, size);
	struct nfs4_posix_acl acl;
	if (!nfs4_posix_acl_decode(&d, &acl))
		return;
	struct xdr_dec w;
	xdr_dec_init(&w, acl.aces.data, acl.aces.len);
	struct nfs4_posix_ace ace;
	for (uint32_t i = 0; i < acl.count; i++)
		CHECK(nfs4_posix_acl_next(&w, &ace));
	CHECK(xdr_dec_remaining(&w) == 0 && !nfs4_posix_acl_next(&w, &ace));

	struct nfs4_acl_posix p;
	enum nfsstat4 st = map_posix(&acl, dir, &p);
	CHECK(st == NFS4_OK || st == NFS4ERR_BADOWNER || st == NFS4ERR_FBIG ||
	      st == NFS4ERR_RESOURCE);
	if (st == NFS4_OK) {
		CHECK(p.access && !p.dflt && p.access->count == acl.count);
		for (uint32_t i = 0; i < p.access->count; i++) {
			const struct backend_acl_entry *e = &p.access->e[i];
			CHECK(e->perm <= 7);
			if (i > 0)
				CHECK(p.access->e[i - 1].tag < e->tag ||
				      (p.access->e[i - 1].tag == e->tag && p.access->e[i - 1].id <= e->id));
		}
	}
	if (st == NFS4_OK && backend_acl_check(p.access) == 0) {
		/* Written back, numeric whos, and mapped again. */
		static const uint32_t wire_tag[] = {[BACKEND_ACL_USER_OBJ] = POSIXACE4_TAG_USER_OBJ,
						    [BACKEND_ACL_USER] = POSIXACE4_TAG_USER,
						    [BACKEND_ACL_GROUP_OBJ] = POSIXACE4_TAG_GROUP_OBJ,
						    [BACKEND_ACL_GROUP] = POSIXACE4_TAG_GROUP,
						    [BACKEND_ACL_MASK] = POSIXACE4_TAG_MASK,
						    [BACKEND_ACL_OTHER] = POSIXACE4_TAG_OTHER};
		struct xdr_enc e;
		CHECK(xdr_enc_init(&e, 256, 1u << 24));
		CHECK(xdr_encode_u32(&e, p.access->count));
		for (uint32_t i = 0; i < p.access->count; i++) {
			const struct backend_acl_entry *x = &p.access->e[i];
			char digits[16];
			struct nfs4_posix_ace a = {wire_tag[x->tag], x->perm, {NULL, 0}};
			if (x->tag == BACKEND_ACL_USER || x->tag == BACKEND_ACL_GROUP)
				a.who = nfs4_owner_string(digits, x->id);
			CHECK(nfs4_posix_ace_encode(&e, &a));
		}
		struct xdr_dec again;
		xdr_dec_init(&again, e.buf->data, xdr_enc_len(&e));
		struct nfs4_posix_acl acl2;
		CHECK(nfs4_posix_acl_decode(&again, &acl2));
		struct nfs4_acl_posix p2;
		CHECK(map_posix(&acl2, dir, &p2) == NFS4_OK);
		CHECK(acl_same(p.access, p2.access));
		nfs4_acl_posix_free(&p2);
		xdr_enc_release(&e);
	}
	nfs4_acl_posix_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool dir = data[0] & 1;
	if (data[0] & 2) {
		check_posix(data + 1, size - 1, dir);
		return 0;
	}
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
