/* fattr4: the values GETATTR encodes from a backend_attr, and what a client
 * may (and may not) ask SETATTR or CREATE to set. */
#include "nfs4_inproc.h"

#include "nfs4/fs/fattr.h"

/* A compound context of one minor version, with cfh at export A's root. */
struct ctx {
	struct rpc_request req;
	struct nfs4_compound c;
	struct export *ex;
	struct fh fh;
};

static void ctx_init(struct inproc *ip, uint32_t minor, struct ctx *x)
{
	inproc_compound_ctx(ip, minor, &x->req, &x->c);
	x->ex = NULL;
	for (unsigned i = 0; i < ip->nfs.exports.count; i++)
		if (strcmp(ip->nfs.exports.list[i]->pseudo, INPROC_EXPORT_A) == 0)
			x->ex = ip->nfs.exports.list[i];
	assert_non_null(x->ex);
	fh_from_object(&ip->nfs.exports, x->ex, &x->ex->root, &x->fh);
}

static struct nfs4_bitmap bits_of(const unsigned *bits, size_t n)
{
	struct nfs4_bitmap b = {{0}};
	for (size_t i = 0; i < n; i++)
		nfs4_bitmap_set(&b, bits[i]);
	return b;
}

static struct backend_attr sample_attr(void)
{
	struct backend_attr a;
	memset(&a, 0, sizeof(a));
	a.type = BACKEND_REG;
	a.mode = 0104755; /* type bits above 07777 must not leak out */
	a.nlink = 3;
	a.uid = 4294967295u;
	a.gid = 0;
	a.size = 0x123456789abcull;
	a.space_used = 8192;
	a.fileid = 0xfedcba9876543210ull;
	a.change = 0x0102030405060708ull;
	a.atime = (struct timespec){1700000000, 1};
	a.mtime = (struct timespec){-5, 999999999};
	a.ctime = (struct timespec){1700000002, 500};
	return a;
}

/* Encodes want for attr; returns the cursor over the values after checking
 * the returned bitmap is exactly expect and the length matches. */
struct encoded {
	struct xdr_enc e;
	struct xdr_dec d;
};

static void encode(struct ctx *x, const struct backend_attr *attr, const struct nfs4_bitmap *want,
		   const struct nfs4_bitmap *expect, struct encoded *out)
{
	assert_true(xdr_enc_init(&out->e, 256, 64 * 1024));
	assert_int_equal(nfs4_fattr_encode(&x->c, &x->fh, attr, want, &out->e), NFS4_OK);
	xdr_dec_init(&out->d, out->e.buf->data, out->e.buf->len);
	struct nfs4_bitmap got;
	bool extra;
	assert_true(nfs4_decode_bitmap(&out->d, &got, &extra));
	assert_false(extra);
	assert_memory_equal(&got, expect, sizeof(got));
	uint32_t len;
	assert_true(xdr_decode_u32(&out->d, &len));
	assert_int_equal(len, xdr_dec_remaining(&out->d));
}

/* --- encoding ----------------------------------------------------------- */

static void test_encode_core_attributes(void **state)
{
	struct ctx x;
	ctx_init(*state, 0, &x);
	static const unsigned want_bits[] = {
		FATTR4_TYPE,	FATTR4_CHANGE,	     FATTR4_SIZE,	 FATTR4_FSID,
		FATTR4_FILEID,	FATTR4_MODE,	     FATTR4_NUMLINKS,	 FATTR4_OWNER,
		FATTR4_OWNER_GROUP, FATTR4_SPACE_USED, FATTR4_TIME_ACCESS, FATTR4_TIME_METADATA,
		FATTR4_TIME_MODIFY,
	};
	struct nfs4_bitmap want = bits_of(want_bits, sizeof(want_bits) / sizeof(want_bits[0]));
	struct backend_attr a = sample_attr();
	struct encoded en;
	encode(&x, &a, &want, &want, &en);
	/* Values follow in attribute-number order. */
	assert_int_equal(u32_of(&en.d), NF4REG);
	assert_int_equal(u64_of(&en.d), a.change);
	assert_int_equal(u64_of(&en.d), a.size);
	assert_int_equal(u64_of(&en.d), x.ex->id); /* fsid major */
	assert_int_equal(u64_of(&en.d), 0);	    /* fsid minor */
	assert_int_equal(u64_of(&en.d), a.fileid);
	assert_int_equal(u32_of(&en.d), 04755);
	assert_int_equal(u32_of(&en.d), 3);
	expect_utf8(&en.d, "4294967295");
	expect_utf8(&en.d, "0");
	assert_int_equal(u64_of(&en.d), 8192);
	expect_nfstime(&en.d, a.atime);
	expect_nfstime(&en.d, a.ctime);
	expect_nfstime(&en.d, a.mtime);
	assert_int_equal(xdr_dec_remaining(&en.d), 0);
	xdr_enc_release(&en.e);
}

static void test_encode_types(void **state)
{
	struct ctx x;
	ctx_init(*state, 0, &x);
	static const struct {
		enum backend_ftype be;
		uint32_t nfs;
	} map[] = {
		{BACKEND_REG, NF4REG},	 {BACKEND_DIR, NF4DIR},	  {BACKEND_BLK, NF4BLK},
		{BACKEND_CHR, NF4CHR},	 {BACKEND_LNK, NF4LNK},	  {BACKEND_SOCK, NF4SOCK},
		{BACKEND_FIFO, NF4FIFO},
	};
	static const unsigned bit[] = {FATTR4_TYPE};
	struct nfs4_bitmap want = bits_of(bit, 1);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		struct backend_attr a = sample_attr();
		a.type = map[i].be;
		struct encoded en;
		encode(&x, &a, &want, &want, &en);
		assert_int_equal(u32_of(&en.d), map[i].nfs);
		xdr_enc_release(&en.e);
	}
}

static void check_supported(struct inproc *ip, uint32_t minor)
{
	struct ctx x;
	ctx_init(ip, minor, &x);
	static const unsigned bit[] = {FATTR4_SUPPORTED_ATTRS};
	struct nfs4_bitmap want = bits_of(bit, 1);
	struct backend_attr a = sample_attr();
	struct encoded en;
	encode(&x, &a, &want, &want, &en);
	uint32_t words = u32_of(&en.d);
	assert_int_equal(words, minor == 0 ? 2 : 3);
	struct nfs4_bitmap sup = {{0}};
	for (uint32_t i = 0; i < words; i++)
		sup.w[i] = u32_of(&en.d);
	assert_int_equal(xdr_dec_remaining(&en.d), 0);
	xdr_enc_release(&en.e);
	/* The mandatory attributes (RFC 7530 5.6; RFC 8881 5.6 adds
	 * suppattr_exclcreat) and the recommended ones Ferry serves. */
	static const unsigned must[] = {
		FATTR4_SUPPORTED_ATTRS, FATTR4_TYPE,	  FATTR4_FH_EXPIRE_TYPE, FATTR4_CHANGE,
		FATTR4_SIZE,		FATTR4_LINK_SUPPORT, FATTR4_SYMLINK_SUPPORT,
		FATTR4_NAMED_ATTR,	FATTR4_FSID,	  FATTR4_UNIQUE_HANDLES, FATTR4_LEASE_TIME,
		FATTR4_RDATTR_ERROR,	FATTR4_FILEHANDLE,  FATTR4_FILEID,	  FATTR4_MODE,
		FATTR4_NUMLINKS,	FATTR4_OWNER,	  FATTR4_OWNER_GROUP,	 FATTR4_SPACE_USED,
		FATTR4_TIME_ACCESS,	FATTR4_TIME_METADATA, FATTR4_TIME_MODIFY,
		FATTR4_TIME_ACCESS_SET, FATTR4_TIME_MODIFY_SET, FATTR4_MOUNTED_ON_FILEID,
	};
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		if (!nfs4_bitmap_isset(&sup, must[i]))
			fail_msg("v4.%u does not list attribute %u", minor, must[i]);
	assert_int_equal(nfs4_bitmap_isset(&sup, FATTR4_SUPPATTR_EXCLCREAT), minor >= 1);
	assert_int_equal(nfs4_bitmap_isset(&sup, FATTR4_OPEN_ARGUMENTS), minor >= 1);
	assert_int_equal(nfs4_bitmap_isset(&sup, FATTR4_TIME_DELEG_ACCESS), minor >= 1);
	assert_int_equal(nfs4_bitmap_isset(&sup, FATTR4_TIME_DELEG_MODIFY), minor >= 1);
	/* Nothing Ferry cannot encode. */
	assert_false(nfs4_bitmap_isset(&sup, FATTR4_ACL));
	assert_false(nfs4_bitmap_isset(&sup, FATTR4_FS_LOCATIONS));
	assert_false(nfs4_bitmap_isset(&sup, FATTR4_QUOTA_USED));
	/* It agrees with nfs4_fattr_supported. */
	struct nfs4_bitmap direct;
	nfs4_fattr_supported(&x.c, &direct);
	assert_memory_equal(&direct, &sup, sizeof(sup));
}

static void test_encode_supported_attrs(void **state)
{
	check_supported(*state, 0);
	check_supported(*state, 1);
}

/* Unsupported and write-only attributes asked for are left out, silently. */
static void test_encode_leaves_out_unsupported(void **state)
{
	struct ctx x;
	ctx_init(*state, 0, &x);
	static const unsigned asked[] = {FATTR4_SIZE, FATTR4_ACL, FATTR4_ARCHIVE,
					 FATTR4_QUOTA_USED, FATTR4_TIME_ACCESS_SET,
					 FATTR4_TIME_MODIFY_SET, FATTR4_TIME_BACKUP,
					 FATTR4_SUPPATTR_EXCLCREAT, 60, 90, 95};
	static const unsigned kept[] = {FATTR4_SIZE};
	struct nfs4_bitmap want = bits_of(asked, sizeof(asked) / sizeof(asked[0]));
	struct nfs4_bitmap expect = bits_of(kept, 1);
	struct backend_attr a = sample_attr();
	struct encoded en;
	encode(&x, &a, &want, &expect, &en);
	assert_int_equal(u64_of(&en.d), a.size);
	assert_int_equal(xdr_dec_remaining(&en.d), 0);
	xdr_enc_release(&en.e);
}

static void expect_bitmap_bits(struct xdr_dec *d, const unsigned *bits, size_t n)
{
	struct nfs4_bitmap got, want = bits_of(bits, n);
	bool extra;
	assert_true(nfs4_decode_bitmap(d, &got, &extra));
	assert_false(extra);
	assert_memory_equal(&got, &want, sizeof(got));
}

/* open_arguments (4.1 on) says what OPEN accepts: every access and deny
 * value, the delegation wishes, the claims and the create modes. */
static void test_encode_open_arguments(void **state)
{
	struct ctx x;
	ctx_init(*state, 1, &x);
	static const unsigned bit[] = {FATTR4_OPEN_ARGUMENTS};
	struct nfs4_bitmap want = bits_of(bit, 1);
	struct backend_attr a = sample_attr();
	struct encoded en;
	encode(&x, &a, &want, &want, &en);
	static const unsigned access[] = {OPEN4_SHARE_ACCESS_READ, OPEN4_SHARE_ACCESS_WRITE,
					  OPEN4_SHARE_ACCESS_BOTH};
	static const unsigned deny[] = {OPEN4_SHARE_DENY_NONE, OPEN4_SHARE_DENY_READ,
					OPEN4_SHARE_DENY_WRITE, OPEN4_SHARE_DENY_BOTH};
	static const unsigned wants[] = {OPEN_ARGS_SHARE_ACCESS_WANT_ANY_DELEG,
					 OPEN_ARGS_SHARE_ACCESS_WANT_NO_DELEG,
					 OPEN_ARGS_SHARE_ACCESS_WANT_CANCEL,
					 OPEN_ARGS_SHARE_ACCESS_WANT_DELEG_TIMESTAMPS};
	static const unsigned claims[] = {CLAIM_NULL, CLAIM_PREVIOUS, CLAIM_DELEGATE_CUR,
					  CLAIM_FH, CLAIM_DELEG_CUR_FH};
	static const unsigned modes[] = {UNCHECKED4, GUARDED4, EXCLUSIVE4, EXCLUSIVE4_1};
	expect_bitmap_bits(&en.d, access, 3);
	expect_bitmap_bits(&en.d, deny, 4);
	expect_bitmap_bits(&en.d, wants, 4);
	expect_bitmap_bits(&en.d, claims, 5);
	expect_bitmap_bits(&en.d, modes, 4);
	assert_int_equal(xdr_dec_remaining(&en.d), 0);
	xdr_enc_release(&en.e);

	/* Not an NFSv4.0 attribute: left out there. */
	ctx_init(*state, 0, &x);
	struct nfs4_bitmap none = {{0}};
	encode(&x, &a, &want, &none, &en);
	assert_int_equal(xdr_dec_remaining(&en.d), 0);
	xdr_enc_release(&en.e);
}

/* time_create only when the back end knows it. */
static void test_encode_time_create(void **state)
{
	struct ctx x;
	ctx_init(*state, 0, &x);
	static const unsigned bit[] = {FATTR4_TIME_CREATE};
	struct nfs4_bitmap want = bits_of(bit, 1), none = {{0}};
	struct backend_attr a = sample_attr();
	struct encoded en;
	encode(&x, &a, &want, &none, &en);
	assert_int_equal(xdr_dec_remaining(&en.d), 0);
	xdr_enc_release(&en.e);
	a.btime = (struct timespec){1600000000, 42};
	encode(&x, &a, &want, &want, &en);
	expect_nfstime(&en.d, a.btime);
	xdr_enc_release(&en.e);
}

static void test_encode_pseudo_and_mount_point(void **state)
{
	struct inproc *ip = *state;
	struct ctx x;
	ctx_init(ip, 0, &x);
	struct exports *exps = &ip->nfs.exports;
	struct pseudo_node *mem = pseudo_lookup(exps->root, "mem");
	assert_non_null(mem);
	struct fh pfh;
	fh_from_pseudo(exps, mem, &pfh);
	struct backend_attr pa;
	assert_int_equal(nfs4_fh_getattr(&x.c, &pfh, &pa), NFS4_OK);
	assert_int_equal(pa.type, BACKEND_DIR);
	assert_int_equal(pa.mode, 0555);
	assert_int_equal(pa.nlink, 2 + 2); /* "a" and "b" below it */
	assert_int_equal(pa.fileid, mem->fileid);

	static const unsigned bits[] = {FATTR4_FSID, FATTR4_FILEHANDLE, FATTR4_MOUNTED_ON_FILEID};
	struct nfs4_bitmap want = bits_of(bits, 3);
	struct encoded en;
	x.fh = pfh;
	encode(&x, &pa, &want, &want, &en);
	assert_int_equal(u64_of(&en.d), 0x50534555); /* the pseudo fs's own fsid */
	assert_int_equal(u64_of(&en.d), 0);
	const uint8_t *p;
	uint32_t n;
	assert_true(xdr_decode_opaque(&en.d, NFS4_FHSIZE, &p, &n));
	assert_int_equal(n, pfh.wire_len);
	assert_memory_equal(p, pfh.wire, n);
	assert_int_equal(u64_of(&en.d), mem->fileid);
	xdr_enc_release(&en.e);

	/* An export's root reports the pseudo directory it is mounted on. */
	ctx_init(ip, 0, &x);
	struct backend_attr ra = sample_attr();
	encode(&x, &ra, &want, &want, &en);
	assert_int_equal(u64_of(&en.d), x.ex->id);
	assert_int_equal(u64_of(&en.d), 0);
	assert_true(xdr_decode_opaque(&en.d, NFS4_FHSIZE, &p, &n));
	assert_int_equal(u64_of(&en.d), x.ex->mount_point->fileid);
	assert_int_not_equal(x.ex->mount_point->fileid, ra.fileid);
	xdr_enc_release(&en.e);
}

static void test_encode_out_of_room(void **state)
{
	struct ctx x;
	ctx_init(*state, 0, &x);
	static const unsigned bits[] = {FATTR4_SIZE, FATTR4_OWNER, FATTR4_TIME_MODIFY};
	struct nfs4_bitmap want = bits_of(bits, 3);
	struct backend_attr a = sample_attr();
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 8, 20));
	assert_int_equal(nfs4_fattr_encode(&x.c, &x.fh, &a, &want, &e), NFS4ERR_RESOURCE);
	xdr_enc_release(&e);
}

/* --- decoding what to set ----------------------------------------------- */

/* A fattr4 to decode: bitmap words as given, then the values. */
struct sattr_buf {
	struct xdr_enc e;
	size_t len_off;
};

static void sattr_begin(struct sattr_buf *s, const uint32_t *words, uint32_t nwords)
{
	assert_true(xdr_enc_init(&s->e, 128, 4096));
	xdr_encode_u32(&s->e, nwords);
	for (uint32_t i = 0; i < nwords; i++)
		xdr_encode_u32(&s->e, words[i]);
	s->len_off = xdr_enc_len(&s->e);
	xdr_encode_u32(&s->e, 0);
}

static void sattr_begin_bits(struct sattr_buf *s, const unsigned *bits, size_t n)
{
	struct nfs4_bitmap b = bits_of(bits, n);
	sattr_begin(s, b.w, NFS4_BITMAP_WORDS);
}

static void sattr_string(struct sattr_buf *s, const char *str)
{
	xdr_encode_opaque(&s->e, str, (uint32_t)strlen(str));
}

/* A fattr4 from the wire: the codec decodes it, the server interprets it. */
static enum nfsstat4 sattr_from_wire(struct nfs4_compound *c, struct xdr_dec *d,
				     struct nfs4_sattr *out)
{
	struct nfs4_fattr_raw f;
	if (!nfs4_dec_fattr_raw(d, &f))
		return NFS4ERR_BADXDR;
	return nfs4_fattr_decode_set(c, &f, f.extra, out);
}

static enum nfsstat4 sattr_decode_minor(struct inproc *ip, uint32_t minor, struct sattr_buf *s,
					struct nfs4_sattr *out)
{
	xdr_enc_patch_u32(&s->e, s->len_off, (uint32_t)(xdr_enc_len(&s->e) - s->len_off - 4));
	struct ctx x;
	ctx_init(ip, minor, &x);
	struct xdr_dec d;
	xdr_dec_init(&d, s->e.buf->data, s->e.buf->len);
	enum nfsstat4 st = sattr_from_wire(&x.c, &d, out);
	xdr_enc_release(&s->e);
	return st;
}

static enum nfsstat4 sattr_decode(struct inproc *ip, struct sattr_buf *s, struct nfs4_sattr *out)
{
	return sattr_decode_minor(ip, 0, s, out);
}

static void test_decode_mode_and_size(void **state)
{
	struct inproc *ip = *state;
	static const unsigned bits[] = {FATTR4_SIZE, FATTR4_MODE};
	struct sattr_buf s;
	struct nfs4_sattr out;
	sattr_begin_bits(&s, bits, 2);
	xdr_encode_u64(&s.e, 0x1122334455667788ull);
	xdr_encode_u32(&s.e, 07755);
	assert_int_equal(sattr_decode(ip, &s, &out), NFS4_OK);
	assert_int_equal(out.sa.mask, BACKEND_SET_SIZE | BACKEND_SET_MODE);
	assert_int_equal(out.sa.size, 0x1122334455667788ull);
	assert_int_equal(out.sa.mode, 07755);
	struct nfs4_bitmap expect = bits_of(bits, 2);
	assert_memory_equal(&out.mask, &expect, sizeof(expect));

	/* Mode bits beyond the permission bits. */
	static const unsigned mode[] = {FATTR4_MODE};
	sattr_begin_bits(&s, mode, 1);
	xdr_encode_u32(&s.e, 0100644);
	assert_int_equal(sattr_decode(ip, &s, &out), NFS4ERR_INVAL);
}

static enum nfsstat4 decode_owner(struct inproc *ip, unsigned bit, const char *who,
				  uint32_t *id)
{
	struct sattr_buf s;
	struct nfs4_sattr out;
	const unsigned bits[] = {bit};
	sattr_begin_bits(&s, bits, 1);
	sattr_string(&s, who);
	enum nfsstat4 st = sattr_decode(ip, &s, &out);
	if (st == NFS4_OK) {
		assert_int_equal(out.sa.mask,
				 bit == FATTR4_OWNER ? BACKEND_SET_UID : BACKEND_SET_GID);
		*id = bit == FATTR4_OWNER ? out.sa.uid : out.sa.gid;
	}
	return st;
}

static void test_decode_owners(void **state)
{
	struct inproc *ip = *state;
	uint32_t id = 0xdead;
	assert_int_equal(decode_owner(ip, FATTR4_OWNER, "1234", &id), NFS4_OK);
	assert_int_equal(id, 1234);
	assert_int_equal(decode_owner(ip, FATTR4_OWNER, "4294967295", &id), NFS4_OK);
	assert_int_equal(id, 4294967295u);
	assert_int_equal(decode_owner(ip, FATTR4_OWNER_GROUP, "77@example.org", &id), NFS4_OK);
	assert_int_equal(id, 77);
	/* Names of our domain map through the host's databases; the domain
	 * compares without case. */
	id = 0xdead;
	assert_int_equal(decode_owner(ip, FATTR4_OWNER, "root@example.org", &id), NFS4_OK);
	assert_int_equal(id, 0);
	id = 0xdead;
	assert_int_equal(decode_owner(ip, FATTR4_OWNER_GROUP, "root@EXAMPLE.org", &id), NFS4_OK);
	assert_int_equal(id, 0);
}

static void test_decode_bad_owners(void **state)
{
	struct inproc *ip = *state;
	static const char *const bad[] = {
		"root@other.org",		 /* another domain */
		"1234@",			 /* an empty domain */
		"@example.org",			 /* no name */
		"no-such-user-ferry@example.org", /* unknown here */
		"no-such-user-ferry",
		"4294967296",			 /* past 32 bits */
		"99999999999999999999999",
		"12a",
		"-1",
		"\xc3\x28",			 /* not UTF-8 */
		"\xed\xa0\x80",			 /* a surrogate */
	};
	uint32_t id;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (decode_owner(ip, FATTR4_OWNER, bad[i], &id) != NFS4ERR_BADOWNER)
			fail_msg("owner '%s' was not BADOWNER", bad[i]);
		if (decode_owner(ip, FATTR4_OWNER_GROUP, bad[i], &id) != NFS4ERR_BADOWNER)
			fail_msg("group '%s' was not BADOWNER", bad[i]);
	}
	/* Longer than any name the server keeps. */
	char longname[400];
	memset(longname, '1', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(decode_owner(ip, FATTR4_OWNER, longname, &id), NFS4ERR_BADOWNER);
}

/* The name is counted, not NUL-terminated: a NUL inside must not cut it
 * short, or "root\0@elsewhere" would pass as root of our domain. */
static void test_decode_owner_with_nul(void **state)
{
	struct inproc *ip = *state;
	static const char *const bad[] = {"root\0@other.org", "5\0junk", "5\0", "\0"};
	static const uint32_t lens[] = {15, 7, 2, 1};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int g = 0; g < 2; g++) {
			struct sattr_buf s;
			struct nfs4_sattr out;
			const unsigned bits[] = {g ? FATTR4_OWNER_GROUP : FATTR4_OWNER};
			sattr_begin_bits(&s, bits, 1);
			xdr_encode_opaque(&s.e, bad[i], lens[i]);
			enum nfsstat4 st = sattr_decode(ip, &s, &out);
			if (st != NFS4ERR_BADOWNER)
				fail_msg("%s with a NUL at %zu: status %d, id %u",
					 g ? "group" : "owner", strlen(bad[i]), (int)st,
					 g ? out.sa.gid : out.sa.uid);
		}
	}
}

static void test_decode_times(void **state)
{
	struct inproc *ip = *state;
	static const unsigned bits[] = {FATTR4_TIME_ACCESS_SET, FATTR4_TIME_MODIFY_SET};
	struct sattr_buf s;
	struct nfs4_sattr out;

	sattr_begin_bits(&s, bits, 2);
	xdr_encode_u32(&s.e, 0); /* SET_TO_SERVER_TIME4 */
	xdr_encode_u32(&s.e, 1); /* SET_TO_CLIENT_TIME4 */
	xdr_encode_u64(&s.e, (uint64_t)(int64_t)-7);
	xdr_encode_u32(&s.e, 999999999);
	assert_int_equal(sattr_decode(ip, &s, &out), NFS4_OK);
	assert_int_equal(out.sa.mask, BACKEND_SET_ATIME_NOW | BACKEND_SET_MTIME);
	assert_int_equal(out.sa.mtime.tv_sec, -7);
	assert_int_equal(out.sa.mtime.tv_nsec, 999999999);

	sattr_begin_bits(&s, bits, 2);
	xdr_encode_u32(&s.e, 1);
	xdr_encode_u64(&s.e, 1700000000);
	xdr_encode_u32(&s.e, 5);
	xdr_encode_u32(&s.e, 0);
	assert_int_equal(sattr_decode(ip, &s, &out), NFS4_OK);
	assert_int_equal(out.sa.mask, BACKEND_SET_ATIME | BACKEND_SET_MTIME_NOW);
	assert_int_equal(out.sa.atime.tv_sec, 1700000000);
	assert_int_equal(out.sa.atime.tv_nsec, 5);

	/* Nanoseconds past a second. */
	sattr_begin_bits(&s, bits, 1);
	xdr_encode_u32(&s.e, 1);
	xdr_encode_u64(&s.e, 1);
	xdr_encode_u32(&s.e, 1000000000);
	assert_int_equal(sattr_decode(ip, &s, &out), NFS4ERR_INVAL);

	/* A time_how4 that does not exist. */
	sattr_begin_bits(&s, bits, 1);
	xdr_encode_u32(&s.e, 2);
	assert_int_equal(sattr_decode(ip, &s, &out), NFS4ERR_BADXDR);
}

static void test_decode_truncated(void **state)
{
	struct inproc *ip = *state;
	static const unsigned mode[] = {FATTR4_MODE}, size[] = {FATTR4_SIZE},
			      owner[] = {FATTR4_OWNER}, mtime[] = {FATTR4_TIME_MODIFY_SET};
	struct sattr_buf s;
	struct nfs4_sattr out;

	sattr_begin_bits(&s, mode, 1); /* no value at all */
	assert_int_equal(sattr_decode(ip, &s, &out), NFS4ERR_BADXDR);
	sattr_begin_bits(&s, size, 1); /* half a u64 */
	xdr_encode_u32(&s.e, 1);
	assert_int_equal(sattr_decode(ip, &s, &out), NFS4ERR_BADXDR);
	sattr_begin_bits(&s, owner, 1); /* a string longer than the values */
	xdr_encode_u32(&s.e, 40);
	xdr_encode_u32(&s.e, 0x31323334);
	assert_int_equal(sattr_decode(ip, &s, &out), NFS4ERR_BADXDR);
	sattr_begin_bits(&s, mtime, 1); /* seconds without nanoseconds */
	xdr_encode_u32(&s.e, 1);
	xdr_encode_u64(&s.e, 10);
	assert_int_equal(sattr_decode(ip, &s, &out), NFS4ERR_BADXDR);
	sattr_begin_bits(&s, mode, 1); /* a value too many */
	xdr_encode_u32(&s.e, 0644);
	xdr_encode_u32(&s.e, 0);
	assert_int_equal(sattr_decode(ip, &s, &out), NFS4ERR_BADXDR);

	/* The attribute list itself cut short: its length past the end. */
	sattr_begin_bits(&s, mode, 1);
	xdr_encode_u32(&s.e, 0644);
	struct ctx x;
	ctx_init(ip, 0, &x);
	xdr_enc_patch_u32(&s.e, s.len_off, 8);
	struct xdr_dec d;
	xdr_dec_init(&d, s.e.buf->data, s.e.buf->len);
	assert_int_equal(sattr_from_wire(&x.c, &d, &out), NFS4ERR_BADXDR);
	/* And the bitmap announcing more words than there are bytes. */
	xdr_dec_init(&d, s.e.buf->data, 8);
	assert_int_equal(sattr_from_wire(&x.c, &d, &out), NFS4ERR_BADXDR);
	xdr_enc_release(&s.e);
}

static void test_decode_unsupported_bits(void **state)
{
	struct inproc *ip = *state;
	static const unsigned unsupported[] = {FATTR4_ACL,	  FATTR4_ARCHIVE,
					       FATTR4_HIDDEN,	  FATTR4_MIMETYPE,
					       FATTR4_SYSTEM,	  FATTR4_TIME_BACKUP,
					       FATTR4_TIME_CREATE, FATTR4_QUOTA_USED,
					       FATTR4_FS_LOCATIONS, 56, 63, 64, 74, 76, 95};
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		struct sattr_buf s;
		struct nfs4_sattr out;
		const unsigned bits[] = {FATTR4_MODE, unsupported[i]};
		sattr_begin_bits(&s, bits, 2);
		xdr_encode_u32(&s.e, 0644);
		xdr_encode_u32(&s.e, 0);
		if (sattr_decode(ip, &s, &out) != NFS4ERR_ATTRNOTSUPP)
			fail_msg("attribute %u was not ATTRNOTSUPP", unsupported[i]);
	}
	/* suppattr_exclcreat does not exist in v4.0; v4.1 has it, read-only. */
	struct sattr_buf s;
	struct nfs4_sattr out;
	static const unsigned excl[] = {FATTR4_SUPPATTR_EXCLCREAT};
	sattr_begin_bits(&s, excl, 1);
	assert_int_equal(sattr_decode_minor(ip, 0, &s, &out), NFS4ERR_ATTRNOTSUPP);
	sattr_begin_bits(&s, excl, 1);
	assert_int_equal(sattr_decode_minor(ip, 1, &s, &out), NFS4ERR_INVAL);
}

static void test_decode_read_only_is_inval(void **state)
{
	struct inproc *ip = *state;
	static const unsigned ro[] = {
		FATTR4_SUPPORTED_ATTRS, FATTR4_TYPE,	    FATTR4_FH_EXPIRE_TYPE,
		FATTR4_CHANGE,		FATTR4_FSID,	    FATTR4_LEASE_TIME,
		FATTR4_RDATTR_ERROR,	FATTR4_FILEHANDLE,   FATTR4_FILEID,
		FATTR4_NUMLINKS,	FATTR4_SPACE_USED,   FATTR4_TIME_ACCESS,
		FATTR4_TIME_METADATA,	FATTR4_TIME_MODIFY,  FATTR4_MOUNTED_ON_FILEID,
		FATTR4_MAXREAD,		FATTR4_RAWDEV,	    FATTR4_TIME_DELTA,
	};
	for (size_t i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		struct sattr_buf s;
		struct nfs4_sattr out;
		const unsigned bits[] = {FATTR4_MODE, ro[i]};
		sattr_begin_bits(&s, bits, 2);
		xdr_encode_u32(&s.e, 0644);
		xdr_encode_u64(&s.e, 0);
		xdr_encode_u64(&s.e, 0);
		if (sattr_decode(ip, &s, &out) != NFS4ERR_INVAL)
			fail_msg("read-only attribute %u was not INVAL", ro[i]);
	}
}

static void test_decode_bitmap_beyond_known_words(void **state)
{
	struct inproc *ip = *state;
	struct sattr_buf s;
	struct nfs4_sattr out;
	/* Words past the third, all zero: harmless. */
	const uint32_t zeros[] = {0, 1u << (FATTR4_MODE - 32), 0, 0, 0, 0};
	sattr_begin(&s, zeros, 6);
	xdr_encode_u32(&s.e, 0600);
	assert_int_equal(sattr_decode(ip, &s, &out), NFS4_OK);
	assert_int_equal(out.sa.mask, BACKEND_SET_MODE);
	assert_int_equal(out.sa.mode, 0600);

	/* A bit in any of them: an attribute nobody here knows. */
	for (uint32_t w = 3; w < 6; w++) {
		uint32_t words[6] = {0, 1u << (FATTR4_MODE - 32), 0, 0, 0, 0};
		words[w] = 1u << (w * 7 % 32);
		sattr_begin(&s, words, 6);
		xdr_encode_u32(&s.e, 0600);
		assert_int_equal(sattr_decode(ip, &s, &out), NFS4ERR_ATTRNOTSUPP);
	}

	/* An empty bitmap sets nothing. */
	sattr_begin(&s, NULL, 0);
	assert_int_equal(sattr_decode(ip, &s, &out), NFS4_OK);
	assert_int_equal(out.sa.mask, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, inproc_setup, inproc_teardown)
	const struct CMUnitTest tests[] = {
		T(test_encode_core_attributes),
		T(test_encode_types),
		T(test_encode_supported_attrs),
		T(test_encode_leaves_out_unsupported),
		T(test_encode_open_arguments),
		T(test_encode_time_create),
		T(test_encode_pseudo_and_mount_point),
		T(test_encode_out_of_room),
		T(test_decode_mode_and_size),
		T(test_decode_owners),
		T(test_decode_bad_owners),
		T(test_decode_owner_with_nul),
		T(test_decode_times),
		T(test_decode_truncated),
		T(test_decode_unsupported_bits),
		T(test_decode_read_only_is_inval),
		T(test_decode_bitmap_beyond_known_words),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
