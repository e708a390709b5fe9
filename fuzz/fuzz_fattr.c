/* libFuzzer target: fattr4 from the wire as the server takes it, on the
 * in-process server of fuzz_inproc.h.  The codec decodes it
 * (nfs4_dec_fattr_raw, as for SETATTR, CREATE, OPEN's createattrs, VERIFY
 * and NVERIFY), then the server interprets it:
 *   - nfs4_fattr_decode_set, what SETATTR, CREATE and OPEN set;
 *   - nfs4_fattr_verify with want_same true and false (VERIFY, NVERIFY),
 *     against export A's root or the pseudo root.
 *
 * Input layout:
 *   byte 0   bit 0: minor version 1 (else 0); bit 1: the current
 *            filehandle is the pseudo root (else export A's root)
 *   the rest fattr4 (bitmap4, then the attribute values as opaque)
 *
 * Checked beyond "no sanitizer report": every status is one the RFC
 * allows for these operations; attributes to set that decoded are within
 * their ranges (mode bits, nanoseconds) and only those the mask names;
 * VERIFY succeeds exactly when NVERIFY answers NFS4ERR_SAME. */
#include "fuzz_inproc.h"
#include "nfs4/fs/fattr.h"
#include "xdr/nfs4_codec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_server();
	return 0;
}

static void check_set(struct nfs4_compound *c, const struct nfs4_fattr_raw *f, bool extra)
{
	struct nfs4_sattr s;
	enum nfsstat4 st = nfs4_fattr_decode_set(c, f, extra, &s);
	CHECK(st == NFS4_OK || st == NFS4ERR_BADXDR || st == NFS4ERR_INVAL ||
	      st == NFS4ERR_ATTRNOTSUPP || st == NFS4ERR_BADOWNER || st == NFS4ERR_BADCHAR ||
	      st == NFS4ERR_BADNAME);
	if (st != NFS4_OK)
		return;
	const struct backend_setattr *sa = &s.sa;
	if (sa->mask & BACKEND_SET_MODE)
		CHECK((sa->mode & ~07777u) == 0);
	if (sa->mask & BACKEND_SET_ATIME)
		CHECK(sa->atime.tv_nsec >= 0 && sa->atime.tv_nsec < 1000000000L);
	if (sa->mask & BACKEND_SET_MTIME)
		CHECK(sa->mtime.tv_nsec >= 0 && sa->mtime.tv_nsec < 1000000000L);
	if (sa->mask & BACKEND_SET_SIZE)
		CHECK(nfs4_bitmap_isset(&f->mask, FATTR4_SIZE));
	if (sa->mask & BACKEND_SET_MODE)
		CHECK(nfs4_bitmap_isset(&f->mask, FATTR4_MODE));
	if (sa->mask & BACKEND_SET_UID)
		CHECK(nfs4_bitmap_isset(&f->mask, FATTR4_OWNER));
	if (sa->mask & BACKEND_SET_GID)
		CHECK(nfs4_bitmap_isset(&f->mask, FATTR4_OWNER_GROUP));
}

static bool verify_status_ok(enum nfsstat4 st)
{
	return st == NFS4_OK || st == NFS4ERR_NOT_SAME || st == NFS4ERR_SAME ||
	       st == NFS4ERR_INVAL || st == NFS4ERR_ATTRNOTSUPP || st == NFS4ERR_BADXDR ||
	       st == NFS4ERR_RESOURCE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct inproc *ip = fuzz_server();
	struct rpc_request req;
	struct nfs4_compound c;
	fuzz_compound_ctx(ip, data[0] & 1, &req, &c);
	struct fh fh;
	if (data[0] & 2)
		fh_from_pseudo(&ip->nfs.exports, ip->nfs.exports.root, &fh);
	else {
		struct export *ex = fuzz_export(ip, INPROC_EXPORT_A);
		fh_from_object(&ip->nfs.exports, ex, &ex->root, &fh);
	}
	nfs4_compound_set_cfh(&c, &fh);

	struct xdr_dec d;
	xdr_dec_init(&d, data + 1, size - 1);
	struct nfs4_fattr_raw f;
	if (!nfs4_dec_fattr_raw(&d, &f))
		return 0; /* the operation's arguments: NFS4ERR_BADXDR */

	check_set(&c, &f, f.extra);

	enum nfsstat4 same = nfs4_fattr_verify(&c, &f, f.extra, true);
	enum nfsstat4 differ = nfs4_fattr_verify(&c, &f, f.extra, false);
	CHECK(verify_status_ok(same) && verify_status_ok(differ));
	CHECK(same != NFS4ERR_SAME && differ != NFS4ERR_NOT_SAME);
	CHECK((same == NFS4_OK) == (differ == NFS4ERR_SAME));
	CHECK((same == NFS4ERR_NOT_SAME) == (differ == NFS4_OK));
	return 0;
}
