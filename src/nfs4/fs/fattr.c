#include "nfs4/fs/fattr.h"
#include "nfs4/fs/acl.h"

#include <ctype.h>
#include <pthread.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "xdr/nfs4_fattr.h"
#include "nfs4/server.h"

enum {
	PSEUDO_FSID_MAJOR = 0x50534555, /* "PSEU" */
	NFS4_MAXFILESIZE_BITS = 63,
};

static const unsigned supported_v40[] = {
	FATTR4_SUPPORTED_ATTRS, FATTR4_TYPE, FATTR4_FH_EXPIRE_TYPE, FATTR4_CHANGE,
	FATTR4_SIZE, FATTR4_LINK_SUPPORT, FATTR4_SYMLINK_SUPPORT, FATTR4_NAMED_ATTR,
	FATTR4_FSID, FATTR4_UNIQUE_HANDLES, FATTR4_LEASE_TIME, FATTR4_RDATTR_ERROR,
	FATTR4_ACLSUPPORT, FATTR4_CANSETTIME, FATTR4_CASE_INSENSITIVE,
	FATTR4_CASE_PRESERVING, FATTR4_CHOWN_RESTRICTED, FATTR4_FILEHANDLE, FATTR4_FILEID,
	FATTR4_FILES_AVAIL, FATTR4_FILES_FREE, FATTR4_FILES_TOTAL, FATTR4_HOMOGENEOUS,
	FATTR4_MAXFILESIZE, FATTR4_MAXLINK, FATTR4_MAXNAME, FATTR4_MAXREAD, FATTR4_MAXWRITE,
	FATTR4_MODE, FATTR4_NO_TRUNC, FATTR4_NUMLINKS, FATTR4_OWNER, FATTR4_OWNER_GROUP,
	FATTR4_RAWDEV, FATTR4_SPACE_AVAIL, FATTR4_SPACE_FREE, FATTR4_SPACE_TOTAL,
	FATTR4_SPACE_USED, FATTR4_TIME_ACCESS, FATTR4_TIME_ACCESS_SET, FATTR4_TIME_CREATE,
	FATTR4_TIME_DELTA, FATTR4_TIME_METADATA, FATTR4_TIME_MODIFY, FATTR4_TIME_MODIFY_SET,
	FATTR4_MOUNTED_ON_FILEID,
};

static void fattr_supported_build(unsigned minor, struct nfs4_bitmap *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(supported_v40) / sizeof(supported_v40[0]); i++)
		nfs4_bitmap_set(out, supported_v40[i]);
	if (minor >= 1) {
		nfs4_bitmap_set(out, FATTR4_SUPPATTR_EXCLCREAT);
		/* RFC 9754 defines open_arguments as an NFSv4.2 extension; it
		 * only describes OPEN, whose arguments are the same in 4.1,
		 * and 4.1 clients that do not know the bit never ask for it. */
		nfs4_bitmap_set(out, FATTR4_OPEN_ARGUMENTS);
		/* Delegated timestamps (RFC 9754), like open_arguments a
		 * v4.2 extension that only concerns OPEN and SETATTR. */
		nfs4_bitmap_set(out, FATTR4_TIME_DELEG_ACCESS);
		nfs4_bitmap_set(out, FATTR4_TIME_DELEG_MODIFY);
	}
	if (minor >= 2) {
		/* RFC 7862 12.2; sec_label (Labeled NFS) is not offered.
		 * mode_set_masked is RFC 8881's (write-only), offered with
		 * the 4.2 set. */
		nfs4_bitmap_set(out, FATTR4_MODE_SET_MASKED);
		nfs4_bitmap_set(out, FATTR4_CLONE_BLKSIZE);
		nfs4_bitmap_set(out, FATTR4_SPACE_FREED);
		nfs4_bitmap_set(out, FATTR4_CHANGE_ATTR_TYPE);
		/* RFC 8276 */
		nfs4_bitmap_set(out, FATTR4_XATTR_SUPPORT);
	}
}

/* Built once per minor version: the set was rebuilt bit by bit for every
 * attribute encoding, 13% of ferryd's CPU in a 50,000-entry listing. */
enum { FATTR_MINORS = 3 };
static struct nfs4_bitmap fattr_supported_by_minor[FATTR_MINORS];
static pthread_once_t fattr_supported_once = PTHREAD_ONCE_INIT;

static void fattr_supported_init(void)
{
	for (unsigned m = 0; m < FATTR_MINORS; m++)
		fattr_supported_build(m, &fattr_supported_by_minor[m]);
}

/* The set for an object of fh: where its export keeps ACLs
 * (nfs4_acl_supported), acl, dacl from 4.1 and the POSIX ACL attributes
 * (draft-ietf-nfsv4-posix-acls) from 4.2. */
static void supported_in(uint32_t minor, const struct fh *fh, struct nfs4_bitmap *out)
{
	pthread_once(&fattr_supported_once, fattr_supported_init);
	*out = fattr_supported_by_minor[minor < FATTR_MINORS ? minor : FATTR_MINORS - 1];
	if (nfs4_acl_supported(fh)) {
		nfs4_bitmap_set(out, FATTR4_ACL);
		if (minor >= 1)
			nfs4_bitmap_set(out, FATTR4_DACL);
		if (minor >= 2) {
			nfs4_bitmap_set(out, FATTR4_ACL_TRUEFORM);
			nfs4_bitmap_set(out, FATTR4_ACL_TRUEFORM_SCOPE);
			nfs4_bitmap_set(out, FATTR4_POSIX_DEFAULT_ACL);
			nfs4_bitmap_set(out, FATTR4_POSIX_ACCESS_ACL);
		}
	}
}

void nfs4_fattr_supported(const struct nfs4_compound *c, struct nfs4_bitmap *out)
{
	supported_in(c->minor, &c->cfh, out);
}

/* What OPEN accepts (ops/open.c): every access and deny value, the
 * delegation wishes it honours, the claims it serves and the create modes
 * of the minor version. */
static void open_arguments(uint32_t minor, struct nfs4_open_arguments *oa)
{
	memset(oa, 0, sizeof(*oa));
	nfs4_bitmap_set(&oa->share_access, OPEN4_SHARE_ACCESS_READ);
	nfs4_bitmap_set(&oa->share_access, OPEN4_SHARE_ACCESS_WRITE);
	nfs4_bitmap_set(&oa->share_access, OPEN4_SHARE_ACCESS_BOTH);
	for (unsigned deny = OPEN4_SHARE_DENY_NONE; deny <= OPEN4_SHARE_DENY_BOTH; deny++)
		nfs4_bitmap_set(&oa->share_deny, deny);
	nfs4_bitmap_set(&oa->share_access_want, OPEN_ARGS_SHARE_ACCESS_WANT_ANY_DELEG);
	nfs4_bitmap_set(&oa->share_access_want, OPEN_ARGS_SHARE_ACCESS_WANT_NO_DELEG);
	nfs4_bitmap_set(&oa->share_access_want, OPEN_ARGS_SHARE_ACCESS_WANT_CANCEL);
	if (minor >= 1)
		nfs4_bitmap_set(&oa->share_access_want,
				OPEN_ARGS_SHARE_ACCESS_WANT_DELEG_TIMESTAMPS);
	static const unsigned claims[] = {CLAIM_NULL, CLAIM_PREVIOUS, CLAIM_DELEGATE_CUR,
					  CLAIM_FH, CLAIM_DELEG_CUR_FH};
	for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++)
		nfs4_bitmap_set(&oa->open_claim, claims[i]);
	nfs4_bitmap_set(&oa->create_mode, UNCHECKED4);
	nfs4_bitmap_set(&oa->create_mode, GUARDED4);
	nfs4_bitmap_set(&oa->create_mode, EXCLUSIVE4);
	if (minor >= 1)
		nfs4_bitmap_set(&oa->create_mode, EXCLUSIVE4_1);
}

static struct timespec server_start_time(void)
{
	static struct timespec start;
	static int once;
	if (!__atomic_load_n(&once, __ATOMIC_ACQUIRE)) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		start = now;
		__atomic_store_n(&once, 1, __ATOMIC_RELEASE);
	}
	return start;
}

enum nfsstat4 nfs4_fh_getattr(struct nfs4_compound *c, const struct fh *fh,
			      struct backend_attr *attr)
{
	if (fh->kind == FH_EXPORT) {
		int rc = fh->export->ops->getattr(fh->export->bex, &fh->bh, attr);
		return rc ? nfs4_errno_to_status(rc) : NFS4_OK;
	}
	/* A pseudo-fs directory: read-only, owned by root, never changing. */
	const struct pseudo_node *n = fh->node;
	memset(attr, 0, sizeof(*attr));
	attr->type = BACKEND_DIR;
	attr->mode = 0555;
	attr->nlink = 2;
	for (const struct pseudo_node *k = n->children; k; k = k->sibling)
		attr->nlink += pseudo_visible(k);
	attr->size = 4096;
	attr->fileid = n->fileid;
	attr->change = 1;
	attr->atime = attr->mtime = attr->ctime = server_start_time();
	return NFS4_OK;
}

/* --- owners ------------------------------------------------------------ */

/* Owners go out as numeric strings, which the Linux client expects with
 * id mapping off (its default for AUTH_SYS) and maps through idmapd
 * otherwise. */
struct nfs4_opaque nfs4_owner_string(char s[16], uint32_t id)
{
	/* By hand: snprintf was 1.4% of ferryd's CPU under GETATTR. */
	char tmp[10];
	uint32_t n = 0;
	do {
		tmp[n++] = (char)('0' + id % 10);
		id /= 10;
	} while (id);
	for (uint32_t i = 0; i < n; i++)
		s[i] = tmp[n - 1 - i];
	return (struct nfs4_opaque){(const uint8_t *)s, n};
}

/* Accepts "1234", "1234@domain" and "name@domain" (our domain, looked up in
 * the host's user or group database). */
enum nfsstat4 nfs4_owner_decode(const struct nfs4_server *srv, const uint8_t *s, uint32_t len,
				bool group, uint32_t *id)
{
	char buf[256];
	if (len == 0)
		return NFS4ERR_INVAL; /* an empty owner is not a name at all */
	if (len >= sizeof(buf) || !nfs4_utf8_valid(s, len))
		return NFS4ERR_BADOWNER;
	/* UTF-8 allows NUL, but the C string below would end there and drop
	 * the domain ("root\0@elsewhere" would pass as our root). */
	if (memchr(s, '\0', len))
		return NFS4ERR_BADOWNER;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *at = strchr(buf, '@');
	if (at) {
		if (strcasecmp(at + 1, srv->owner_domain) != 0)
			return NFS4ERR_BADOWNER;
		*at = '\0';
	}
	bool numeric = buf[0] != '\0';
	for (const char *p = buf; *p; p++)
		if (!isdigit((unsigned char)*p))
			numeric = false;
	if (numeric) {
		char *end;
		unsigned long v = strtoul(buf, &end, 10);
		if (*end || v > UINT32_MAX)
			return NFS4ERR_BADOWNER;
		*id = (uint32_t)v;
		return NFS4_OK;
	}
	char scratch[1024];
	if (group) {
		struct group gr, *res = NULL;
		if (getgrnam_r(buf, &gr, scratch, sizeof(scratch), &res) != 0 || !res)
			return NFS4ERR_BADOWNER;
		*id = (uint32_t)gr.gr_gid;
	} else {
		struct passwd pw, *res = NULL;
		if (getpwnam_r(buf, &pw, scratch, sizeof(scratch), &res) != 0 || !res)
			return NFS4ERR_BADOWNER;
		*id = (uint32_t)pw.pw_uid;
	}
	return NFS4_OK;
}

/* --- encoding ----------------------------------------------------------- */

static uint32_t ftype_to_nfs(enum backend_ftype t)
{
	switch (t) {
	case BACKEND_REG:
		return NF4REG;
	case BACKEND_DIR:
		return NF4DIR;
	case BACKEND_BLK:
		return NF4BLK;
	case BACKEND_CHR:
		return NF4CHR;
	case BACKEND_LNK:
		return NF4LNK;
	case BACKEND_SOCK:
		return NF4SOCK;
	case BACKEND_FIFO:
		return NF4FIFO;
	}
	return NF4REG;
}

static struct nfs4_fsid fh_fsid(const struct fh *fh)
{
	if (fh->kind == FH_EXPORT)
		return (struct nfs4_fsid){fh->export->id, 0};
	return (struct nfs4_fsid){PSEUDO_FSID_MAJOR, 0};
}

static uint64_t mounted_on_fileid(const struct fh *fh, const struct backend_attr *attr)
{
	/* The root of an export sits on a pseudo-fs directory: report that
	 * directory's fileid, as a mount point would. */
	if (fh->kind == FH_EXPORT && fh->bh.len == fh->export->root.len &&
	    memcmp(fh->bh.data, fh->export->root.data, fh->bh.len) == 0 &&
	    fh->export->mount_point->parent)
		return fh->export->mount_point->fileid;
	return attr->fileid;
}

/* Owner and group strings live here while their values are encoded. */
struct fattr_scratch {
	char owner[16], group[16];
};

/* Fills the value of one attribute Ferry supports into out; its present
 * bit is the caller's. */
static void fill_one(const struct nfs4_server *srv, uint32_t minor, const struct fh *fh,
		     const struct backend_attr *a, const struct backend_fsstat *fs, unsigned bit,
		     struct nfs4_attrs *out, struct fattr_scratch *scratch)
{
	switch (bit) {
	case FATTR4_SUPPORTED_ATTRS: supported_in(minor, fh, &out->supported_attrs); break;
	case FATTR4_TYPE: out->type = ftype_to_nfs(a->type); break;
	case FATTR4_FH_EXPIRE_TYPE: out->fh_expire_type = FH4_PERSISTENT; break;
	case FATTR4_CHANGE: out->change = a->change; break;
	case FATTR4_SIZE: out->size = a->size; break;
	case FATTR4_LINK_SUPPORT: out->link_support = true; break;
	case FATTR4_SYMLINK_SUPPORT: out->symlink_support = true; break;
	case FATTR4_UNIQUE_HANDLES: out->unique_handles = true; break;
	case FATTR4_CANSETTIME: out->cansettime = true; break;
	case FATTR4_CASE_PRESERVING: out->case_preserving = true; break;
	case FATTR4_CHOWN_RESTRICTED: out->chown_restricted = true; break;
	case FATTR4_HOMOGENEOUS: out->homogeneous = true; break;
	case FATTR4_NO_TRUNC: out->no_trunc = true; break;
	case FATTR4_NAMED_ATTR: out->named_attr = false; break;
	case FATTR4_CASE_INSENSITIVE: out->case_insensitive = false; break;
	case FATTR4_FSID: out->fsid = fh_fsid(fh); break;
	case FATTR4_LEASE_TIME: out->lease_time = srv->lease_time_s; break;
	case FATTR4_RDATTR_ERROR: out->rdattr_error = NFS4_OK; break;
	case FATTR4_ACLSUPPORT:
		out->aclsupport = nfs4_acl_supported(fh)
					  ? ACL4_SUPPORT_ALLOW_ACL | ACL4_SUPPORT_DENY_ACL
					  : ACL4_SUPPORT_NONE;
		break;
	/* What the file system keeps are POSIX ACLs, for all its objects
	 * (the acl attribute is a mapping of them). */
	case FATTR4_ACL_TRUEFORM: out->acl_trueform = ACL_MODEL_POSIX_DRAFT; break;
	case FATTR4_ACL_TRUEFORM_SCOPE: out->acl_trueform_scope = ACL_SCOPE_FILE_SYSTEM; break;
	case FATTR4_FILEHANDLE: out->filehandle = (struct nfs4_opaque){fh->wire, fh->wire_len}; break;
	case FATTR4_FILEID: out->fileid = a->fileid; break;
	case FATTR4_FILES_AVAIL: out->files_avail = fs->files_avail; break;
	case FATTR4_FILES_FREE: out->files_free = fs->files_free; break;
	case FATTR4_FILES_TOTAL: out->files_total = fs->files_total; break;
	case FATTR4_MAXFILESIZE: out->maxfilesize = (1ull << NFS4_MAXFILESIZE_BITS) - 1; break;
	case FATTR4_MAXLINK: out->maxlink = fs->link_max ? fs->link_max : 1; break;
	case FATTR4_MAXNAME: out->maxname = fs->name_max ? fs->name_max : 255; break;
	case FATTR4_MAXREAD: out->maxread = NFS4_MAX_IO; break;
	case FATTR4_MAXWRITE: out->maxwrite = NFS4_MAX_IO; break;
	case FATTR4_MODE: out->mode = a->mode & 07777; break;
	case FATTR4_NUMLINKS: out->numlinks = a->nlink; break;
	case FATTR4_OWNER: out->owner = nfs4_owner_string(scratch->owner, a->uid); break;
	case FATTR4_OWNER_GROUP: out->owner_group = nfs4_owner_string(scratch->group, a->gid); break;
	case FATTR4_RAWDEV:
		out->rawdev_major = a->rdev_major;
		out->rawdev_minor = a->rdev_minor;
		break;
	case FATTR4_SPACE_AVAIL: out->space_avail = fs->space_avail; break;
	case FATTR4_SPACE_FREE: out->space_free = fs->space_free; break;
	case FATTR4_SPACE_TOTAL: out->space_total = fs->space_total; break;
	case FATTR4_SPACE_USED: out->space_used = a->space_used; break;
	case FATTR4_TIME_ACCESS: out->time_access = a->atime; break;
	case FATTR4_TIME_CREATE: out->time_create = a->btime; break;
	case FATTR4_TIME_DELTA: out->time_delta = (struct timespec){0, 1}; break;
	case FATTR4_TIME_METADATA: out->time_metadata = a->ctime; break;
	case FATTR4_TIME_MODIFY: out->time_modify = a->mtime; break;
	case FATTR4_MOUNTED_ON_FILEID: out->mounted_on_fileid = mounted_on_fileid(fh, a); break;
	case FATTR4_SUPPATTR_EXCLCREAT:
		memset(&out->suppattr_exclcreat, 0, sizeof(out->suppattr_exclcreat));
		nfs4_bitmap_set(&out->suppattr_exclcreat, FATTR4_SIZE);
		nfs4_bitmap_set(&out->suppattr_exclcreat, FATTR4_MODE);
		nfs4_bitmap_set(&out->suppattr_exclcreat, FATTR4_OWNER);
		nfs4_bitmap_set(&out->suppattr_exclcreat, FATTR4_OWNER_GROUP);
		nfs4_bitmap_set(&out->suppattr_exclcreat, FATTR4_TIME_ACCESS_SET);
		nfs4_bitmap_set(&out->suppattr_exclcreat, FATTR4_TIME_MODIFY_SET);
		break;
	case FATTR4_TIME_DELEG_ACCESS: out->time_deleg_access = a->atime; break;
	case FATTR4_TIME_DELEG_MODIFY: out->time_deleg_modify = a->mtime; break;
	case FATTR4_OPEN_ARGUMENTS: open_arguments(minor, &out->open_arguments); break;
	/* The pseudo-fs keeps none (its statfs answer is zeroed). */
	case FATTR4_XATTR_SUPPORT: out->xattr_support = fs->xattrs; break;
	case FATTR4_CLONE_BLKSIZE: out->clone_blksize = fs->clone_blksize; break;
	/* What removing the object would give back (RFC 7862 12.2.2):
	 * nothing while another name keeps it. */
	case FATTR4_SPACE_FREED: out->space_freed = a->nlink > 1 ? 0 : a->space_used; break;
	case FATTR4_CHANGE_ATTR_TYPE:
		out->change_attr_type = fh->kind == FH_EXPORT &&
						fs->change_kind == BACKEND_CHANGE_CTIME
					? NFS4_CHANGE_TYPE_IS_TIME_METADATA
					: NFS4_CHANGE_TYPE_IS_MONOTONIC_INCR;
		break;
	}
}

static bool needs_fsstat(const struct nfs4_bitmap *b)
{
	static const unsigned bits[] = {FATTR4_FILES_AVAIL, FATTR4_FILES_FREE, FATTR4_FILES_TOTAL,
					FATTR4_MAXLINK,     FATTR4_MAXNAME,    FATTR4_SPACE_AVAIL,
					FATTR4_SPACE_FREE,  FATTR4_SPACE_TOTAL, FATTR4_CLONE_BLKSIZE,
					FATTR4_CHANGE_ATTR_TYPE, FATTR4_XATTR_SUPPORT};
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (nfs4_bitmap_isset(b, bits[i]))
			return true;
	return false;
}

/* One POSIX ACL attribute (kind's ACL) into *out, its bytes in buf; its
 * bit is cleared from ret when there is none to give: outside a request
 * (cred NULL), or the file system keeps none for the object. */
static enum nfsstat4 posix_acl_value(const struct backend_cred *cred, const struct fh *fh,
				     enum backend_ftype type, enum backend_acl_kind kind,
				     struct xdr_enc *buf, struct nfs4_posix_acl *out,
				     struct nfs4_bitmap *ret)
{
	bool none = !cred;
	enum nfsstat4 st = cred ? nfs4_posix_acl_read(cred, fh, type, kind, buf, out, &none)
				: NFS4_OK;
	if (st == NFS4_OK && none)
		nfs4_bitmap_clear(ret, kind == BACKEND_ACL_DEFAULT ? FATTR4_POSIX_DEFAULT_ACL
								 : FATTR4_POSIX_ACCESS_ACL);
	return st;
}

/* cred NULL: outside a request, the ACL is not read (it is left out). */
static enum nfsstat4 fattr_encode(const struct nfs4_server *srv, uint32_t minor,
				  const struct backend_cred *cred, const struct fh *fh,
				  const struct backend_attr *attr, const struct nfs4_bitmap *want,
				  struct xdr_enc *e)
{
	struct nfs4_bitmap sup, ret;
	supported_in(minor, fh, &sup);
	for (int i = 0; i < NFS4_BITMAP_WORDS; i++)
		ret.w[i] = want->w[i] & sup.w[i];
	/* Write-only attributes are never returned. */
	ret.w[FATTR4_TIME_ACCESS_SET / 32] &= ~(1u << (FATTR4_TIME_ACCESS_SET % 32));
	ret.w[FATTR4_MODE_SET_MASKED / 32] &= ~(1u << (FATTR4_MODE_SET_MASKED % 32));
	ret.w[FATTR4_TIME_MODIFY_SET / 32] &= ~(1u << (FATTR4_TIME_MODIFY_SET % 32));
	if (attr->btime.tv_sec == 0 && attr->btime.tv_nsec == 0)
		ret.w[FATTR4_TIME_CREATE / 32] &= ~(1u << (FATTR4_TIME_CREATE % 32));

	struct backend_fsstat fs = {0};
	if (needs_fsstat(&ret)) {
		int rc = -1;
		if (fh->kind == FH_EXPORT)
			rc = fh->export->ops->statfs(fh->export->bex, &fh->bh, &fs);
		if (rc) {
			/* A pseudo directory holds nothing and has no room. */
			memset(&fs, 0, sizeof(fs));
			fs.name_max = 255;
			fs.link_max = 1;
		}
	}
	/* Only the fields of the attributes returned are filled: the codec
	 * reads no others. */
	struct nfs4_attrs vals;
	struct fattr_scratch scratch;
	struct xdr_enc acl_buf = {0};
	if (nfs4_bitmap_isset(&ret, FATTR4_ACL) || nfs4_bitmap_isset(&ret, FATTR4_DACL)) {
		bool none = !cred;
		enum nfsstat4 st =
			none ? NFS4_OK
			     : nfs4_acl_read(cred, fh, attr->type, &acl_buf, &vals.acl, &none);
		if (st != NFS4_OK)
			return st;
		if (none) {
			/* The file system keeps none for this object after
			 * all (a symbolic link): not returned, as knfsd does. */
			nfs4_bitmap_clear(&ret, FATTR4_ACL);
			nfs4_bitmap_clear(&ret, FATTR4_DACL);
		}
		vals.dacl = (struct nfs4_acl41){0, vals.acl};
	}
	/* The POSIX ACLs (4.2), each read on its own. */
	struct xdr_enc dflt_buf = {0}, access_buf = {0};
	enum nfsstat4 st = NFS4_OK;
	if (nfs4_bitmap_isset(&ret, FATTR4_POSIX_DEFAULT_ACL))
		st = posix_acl_value(cred, fh, attr->type, BACKEND_ACL_DEFAULT, &dflt_buf,
				     &vals.posix_default_acl, &ret);
	if (st == NFS4_OK && nfs4_bitmap_isset(&ret, FATTR4_POSIX_ACCESS_ACL))
		st = posix_acl_value(cred, fh, attr->type, BACKEND_ACL_ACCESS, &access_buf,
				     &vals.posix_access_acl, &ret);
	if (st == NFS4_OK) {
		vals.present = ret;
		for (unsigned w = 0; w < NFS4_BITMAP_WORDS; w++)
			for (uint32_t bits = ret.w[w]; bits; bits &= bits - 1)
				fill_one(srv, minor, fh, attr, &fs,
					 w * 32 + (unsigned)__builtin_ctz(bits), &vals, &scratch);
		if (!nfs4_fattr_encode_attrs(&vals, &ret, e))
			st = NFS4ERR_RESOURCE;
	}
	/* Each holds bytes only once read (a NULL buffer is nothing). */
	xdr_enc_release(&acl_buf);
	xdr_enc_release(&dflt_buf);
	xdr_enc_release(&access_buf);
	return st;
}

enum nfsstat4 nfs4_fattr_encode(struct nfs4_compound *c, const struct fh *fh,
				const struct backend_attr *attr, const struct nfs4_bitmap *want,
				struct xdr_enc *e)
{
	return fattr_encode(c->srv, c->minor, &c->cred, fh, attr, want, e);
}

enum nfsstat4 nfs4_fattr_encode_as(const struct nfs4_server *srv, uint32_t minor,
				   const struct fh *fh, const struct backend_attr *attr,
				   const struct nfs4_bitmap *want, struct xdr_enc *e)
{
	return fattr_encode(srv, minor, NULL, fh, attr, want, e);
}

/* --- decoding ----------------------------------------------------------- */

static bool attr_is_settable(unsigned bit)
{
	return bit == FATTR4_SIZE || bit == FATTR4_MODE || bit == FATTR4_OWNER ||
	       bit == FATTR4_OWNER_GROUP || bit == FATTR4_TIME_ACCESS_SET ||
	       bit == FATTR4_TIME_MODIFY_SET || bit == FATTR4_TIME_DELEG_ACCESS ||
	       bit == FATTR4_TIME_DELEG_MODIFY || bit == FATTR4_MODE_SET_MASKED ||
	       bit == FATTR4_ACL || bit == FATTR4_DACL || bit == FATTR4_POSIX_DEFAULT_ACL ||
	       bit == FATTR4_POSIX_ACCESS_ACL;
}

/* Settable only where supported: mode_set_masked from minor version 2,
 * the ACL attributes on exports that keep ACLs. */
static bool attr_settable_where_supported(unsigned bit)
{
	return bit == FATTR4_MODE_SET_MASKED || bit == FATTR4_ACL || bit == FATTR4_DACL ||
	       bit == FATTR4_POSIX_DEFAULT_ACL || bit == FATTR4_POSIX_ACCESS_ACL;
}

/* Attributes the protocol lets a client set but Ferry does not support
 * (where it does not). */
static bool attr_is_settable_unsupported(unsigned bit)
{
	return bit == FATTR4_ACL || bit == FATTR4_DACL || bit == FATTR4_POSIX_DEFAULT_ACL ||
	       bit == FATTR4_POSIX_ACCESS_ACL || bit == FATTR4_ARCHIVE ||
	       bit == FATTR4_HIDDEN || bit == FATTR4_MIMETYPE || bit == FATTR4_SYSTEM ||
	       bit == FATTR4_TIME_BACKUP || bit == FATTR4_TIME_CREATE;
}

static enum nfsstat4 decode_settime(struct xdr_dec *d, uint32_t set_flag, uint32_t now_flag,
				    struct timespec *ts, uint32_t *mask)
{
	uint32_t how;
	if (!xdr_decode_u32(d, &how))
		return NFS4ERR_BADXDR;
	if (how == SET_TO_SERVER_TIME4) {
		*mask |= now_flag;
		return NFS4_OK;
	}
	if (how != SET_TO_CLIENT_TIME4)
		return NFS4ERR_BADXDR;
	if (!nfs4_decode_time(d, ts))
		return NFS4ERR_BADXDR;
	if (ts->tv_nsec >= 1000000000L)
		return NFS4ERR_INVAL;
	*mask |= set_flag;
	return NFS4_OK;
}

enum nfsstat4 nfs4_fattr_decode_set(struct nfs4_compound *c, const struct nfs4_fattr_raw *f,
				    bool extra, struct nfs4_sattr *out)
{
	memset(out, 0, sizeof(*out));
	out->mask = f->mask;
	const uint8_t *vals = f->vals.data;
	uint32_t vlen = f->vals.len;
	struct nfs4_bitmap sup;
	nfs4_fattr_supported(c, &sup);
	/* Errors about the set of attributes come before their values. */
	if (extra)
		return NFS4ERR_ATTRNOTSUPP;
	for (unsigned bit = 0; bit < 32 * NFS4_BITMAP_WORDS; bit++) {
		if (!nfs4_bitmap_isset(&out->mask, bit))
			continue;
		if (attr_is_settable(bit) &&
		    (!attr_settable_where_supported(bit) || nfs4_bitmap_isset(&sup, bit)))
			continue;
		if (attr_is_settable_unsupported(bit) || !nfs4_bitmap_isset(&sup, bit))
			return NFS4ERR_ATTRNOTSUPP;
		return NFS4ERR_INVAL; /* a read-only attribute */
	}
	/* One ACL at a time: acl and dacl together are refused (RFC 8881
	 * 6.4.1.3). */
	if (nfs4_bitmap_isset(&out->mask, FATTR4_ACL) && nfs4_bitmap_isset(&out->mask, FATTR4_DACL))
		return NFS4ERR_ATTRNOTSUPP;
	/* An NFSv4 ACL with POSIX ones: two models for one object
	 * (draft-ietf-nfsv4-posix-acls; knfsd answers NFS4ERR_INVAL). */
	if ((nfs4_bitmap_isset(&out->mask, FATTR4_ACL) ||
	     nfs4_bitmap_isset(&out->mask, FATTR4_DACL)) &&
	    (nfs4_bitmap_isset(&out->mask, FATTR4_POSIX_DEFAULT_ACL) ||
	     nfs4_bitmap_isset(&out->mask, FATTR4_POSIX_ACCESS_ACL)))
		return NFS4ERR_INVAL;
	struct xdr_dec v;
	xdr_dec_init(&v, vals, vlen);
	struct backend_setattr *sa = &out->sa;
	for (unsigned bit = 0; bit < 32 * NFS4_BITMAP_WORDS; bit++) {
		if (!nfs4_bitmap_isset(&out->mask, bit))
			continue;
		enum nfsstat4 st = NFS4_OK;
		const uint8_t *s;
		uint32_t slen;
		switch (bit) {
		case FATTR4_SIZE:
			if (!xdr_decode_u64(&v, &sa->size))
				return NFS4ERR_BADXDR;
			sa->mask |= BACKEND_SET_SIZE;
			break;
		case FATTR4_MODE:
			if (!xdr_decode_u32(&v, &sa->mode))
				return NFS4ERR_BADXDR;
			if (sa->mode & ~07777u)
				return NFS4ERR_INVAL;
			sa->mask |= BACKEND_SET_MODE;
			break;
		case FATTR4_MODE_SET_MASKED: {
			/* The bits of mm_mask_bits take mm_value_to_set's
			 * values, the others keep the file's (RFC 8881 6.2.4;
			 * read, then set: not atomic against another
			 * SETATTR of the mode).  A new object (OPEN, CREATE)
			 * starts from no bits.  With mode as well, which one
			 * wins would be a guess: refused. */
			uint32_t value, mbits, base = 0;
			if (!xdr_decode_u32(&v, &value) || !xdr_decode_u32(&v, &mbits))
				return NFS4ERR_BADXDR;
			if ((value | mbits) & ~07777u || (sa->mask & BACKEND_SET_MODE))
				return NFS4ERR_INVAL;
			if (c->opnum == OP_SETATTR) {
				struct backend_attr cur;
				if (c->cfh.kind == FH_NONE)
					return NFS4ERR_NOFILEHANDLE;
				if ((st = nfs4_fh_getattr(c, &c->cfh, &cur)) != NFS4_OK)
					return st;
				base = cur.mode & 07777;
			}
			sa->mode = (base & ~mbits) | (value & mbits);
			sa->mask |= BACKEND_SET_MODE;
			break;
		}
		case FATTR4_OWNER:
		case FATTR4_OWNER_GROUP:
			if (!xdr_decode_opaque(&v, UINT32_MAX, &s, &slen))
				return NFS4ERR_BADXDR;
			if (bit == FATTR4_OWNER) {
				st = nfs4_owner_decode(c->srv, s, slen, false, &sa->uid);
				sa->mask |= BACKEND_SET_UID;
			} else {
				st = nfs4_owner_decode(c->srv, s, slen, true, &sa->gid);
				sa->mask |= BACKEND_SET_GID;
			}
			break;
		case FATTR4_TIME_ACCESS_SET:
			st = decode_settime(&v, BACKEND_SET_ATIME, BACKEND_SET_ATIME_NOW, &sa->atime,
					    &sa->mask);
			break;
		case FATTR4_ACL:
			if (!nfs4_acl_decode(&v, &out->acl))
				return NFS4ERR_BADXDR;
			out->has_acl = true;
			break;
		case FATTR4_DACL: {
			/* The ACL's flags (automatic inheritance) have no
			 * POSIX counterpart to keep them in. */
			uint32_t flag;
			if (!xdr_decode_u32(&v, &flag) || !nfs4_acl_decode(&v, &out->acl))
				return NFS4ERR_BADXDR;
			if (flag != 0)
				return NFS4ERR_ATTRNOTSUPP;
			out->has_acl = true;
			break;
		}
		case FATTR4_POSIX_DEFAULT_ACL:
			if (!nfs4_posix_acl_decode(&v, &out->posix_default))
				return NFS4ERR_BADXDR;
			out->has_posix_default = out->has_acl = true;
			break;
		case FATTR4_POSIX_ACCESS_ACL:
			if (!nfs4_posix_acl_decode(&v, &out->posix_access))
				return NFS4ERR_BADXDR;
			out->has_posix_access = out->has_acl = true;
			break;
		case FATTR4_TIME_MODIFY_SET:
			st = decode_settime(&v, BACKEND_SET_MTIME, BACKEND_SET_MTIME_NOW, &sa->mtime,
					    &sa->mask);
			break;
		case FATTR4_TIME_DELEG_ACCESS:
		case FATTR4_TIME_DELEG_MODIFY: {
			/* Only the holder of an ATTRS_DELEG delegation sets
			 * these (the handler checks); they are the file's
			 * times from then on.  With time_*_set too, these
			 * come later in bit order and win. */
			struct timespec *ts =
				bit == FATTR4_TIME_DELEG_ACCESS ? &sa->atime : &sa->mtime;
			if (!nfs4_decode_time(&v, ts))
				return NFS4ERR_BADXDR;
			if (ts->tv_nsec >= 1000000000L)
				return NFS4ERR_INVAL;
			uint32_t set = bit == FATTR4_TIME_DELEG_ACCESS ? BACKEND_SET_ATIME
								      : BACKEND_SET_MTIME;
			uint32_t now = bit == FATTR4_TIME_DELEG_ACCESS ? BACKEND_SET_ATIME_NOW
								      : BACKEND_SET_MTIME_NOW;
			sa->mask = (sa->mask & ~now) | set;
			out->deleg_times = true;
			break;
		}
		}
		if (st != NFS4_OK)
			return st;
	}
	if (xdr_dec_remaining(&v) != 0)
		return NFS4ERR_BADXDR;
	return NFS4_OK;
}

enum nfsstat4 nfs4_fattr_verify(struct nfs4_compound *c, const struct nfs4_fattr_raw *f,
				bool extra, bool want_same)
{
	struct nfs4_bitmap want = f->mask, sup;
	const uint8_t *vals = f->vals.data;
	uint32_t vlen = f->vals.len;
	if (nfs4_bitmap_isset(&want, FATTR4_RDATTR_ERROR) ||
	    nfs4_bitmap_isset(&want, FATTR4_TIME_ACCESS_SET) ||
	    nfs4_bitmap_isset(&want, FATTR4_TIME_MODIFY_SET) ||
	    nfs4_bitmap_isset(&want, FATTR4_MODE_SET_MASKED))
		return NFS4ERR_INVAL;
	/* A POSIX ACL's entries come in no set order: no byte comparison
	 * can say whether two are the same (draft-ietf-nfsv4-posix-acls). */
	if (nfs4_bitmap_isset(&want, FATTR4_POSIX_DEFAULT_ACL) ||
	    nfs4_bitmap_isset(&want, FATTR4_POSIX_ACCESS_ACL))
		return NFS4ERR_INVAL;
	nfs4_fattr_supported(c, &sup);
	if (extra)
		return NFS4ERR_ATTRNOTSUPP;
	for (int i = 0; i < NFS4_BITMAP_WORDS; i++)
		if (want.w[i] & ~sup.w[i])
			return NFS4ERR_ATTRNOTSUPP;

	struct backend_attr attr;
	enum nfsstat4 st = nfs4_fh_getattr(c, &c->cfh, &attr);
	if (st != NFS4_OK)
		return st;
	struct xdr_enc ours;
	if (!xdr_enc_init(&ours, 512, 64 * 1024))
		return NFS4ERR_RESOURCE;
	st = nfs4_fattr_encode(c, &c->cfh, &attr, &want, &ours);
	if (st == NFS4_OK) {
		/* Skip our bitmap and length: compare the values only. */
		struct xdr_dec od;
		struct nfs4_bitmap got;
		bool x;
		const uint8_t *ovals;
		uint32_t olen;
		xdr_dec_init(&od, ours.buf->data, ours.buf->len);
		nfs4_decode_bitmap(&od, &got, &x);
		xdr_decode_opaque(&od, UINT32_MAX, &ovals, &olen);
		bool same = olen == vlen && memcmp(ovals, vals, vlen) == 0;
		if (want_same)
			st = same ? NFS4_OK : NFS4ERR_NOT_SAME;
		else
			st = same ? NFS4ERR_SAME : NFS4_OK;
	}
	xdr_enc_release(&ours);
	return st;
}
