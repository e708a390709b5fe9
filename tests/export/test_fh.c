/* File handles: what fh_* make and accept, and what PUTFH does with
 * handles that were damaged, cut, lengthened, moved to another export or
 * made by another server.  The layout is the one fh.h documents. */
#include <sys/stat.h>

#include "nfs4/nfs4_inproc.h"

#include "core/siphash.h"
#include "export/fh.h"

enum { FH_VERSION = 1, FH_HEADER = 7, FH_MAC = 8 };

static struct export *export_at(struct inproc *ip, const char *pseudo)
{
	for (unsigned i = 0; i < ip->nfs.exports.count; i++)
		if (strcmp(ip->nfs.exports.list[i]->pseudo, pseudo) == 0)
			return ip->nfs.exports.list[i];
	fail_msg("no export at %s", pseudo);
	return NULL;
}

/* A new regular file in the export, made through the back end. */
static void make_file(struct export *ex, const char *name, struct backend_handle *out)
{
	static const struct backend_cred root = {0};
	struct backend_setattr sa = {.mask = BACKEND_SET_MODE, .mode = 0644};
	struct backend_attr attr;
	bool created = false;
	static const uint8_t verf[8] = {0};
	assert_int_equal(ex->ops->create_file(ex->bex, &root, &ex->root, name,
					      BACKEND_CREATE_GUARDED, verf, &sa, out, &attr,
					      &created),
			 0);
	assert_true(created);
}

/* Signs body[0..len) with the server's key, as only the server could. */
static uint32_t forge(struct inproc *ip, uint8_t *wire, size_t body)
{
	uint64_t mac = siphash24(&ip->nfs.exports.fh_key, wire, body);
	for (int i = 0; i < 8; i++)
		wire[body + (size_t)i] = (uint8_t)(mac >> (56 - 8 * i));
	return (uint32_t)(body + FH_MAC);
}

/* PUTFH wire, then GETATTR(type): both statuses. */
static void putfh_getattr(struct inproc *ip, const uint8_t *wire, uint32_t len,
			  uint32_t *put_status, uint32_t *getattr_status)
{
	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin(&a, "fh", 2, 0);
	inproc_putfh(&a, wire, len);
	inproc_op(&a, OP_GETATTR);
	xdr_encode_u32(&a.e, 1);
	xdr_encode_u32(&a.e, 1u << 1); /* type */
	inproc_call(ip, &a, &r);
	*put_status = inproc_next(&r, OP_PUTFH);
	*getattr_status = *put_status == NFS4_OK ? inproc_next(&r, OP_GETATTR) : 0;
	inproc_done(&r);
}

static uint32_t putfh_status(struct inproc *ip, const uint8_t *wire, uint32_t len)
{
	uint32_t put, ga;
	putfh_getattr(ip, wire, len, &put, &ga);
	return put;
}

/* --- round trips -------------------------------------------------------- */

static void test_export_root_round_trip(void **state)
{
	struct inproc *ip = *state;
	struct export *ex = export_at(ip, INPROC_EXPORT_A);
	static const char *const path[] = {"mem", "a"};
	uint8_t wire[NFS4_FHSIZE];
	uint32_t len = inproc_fh_of(ip, path, 2, wire);

	/* What LOOKUP handed out is what fh_from_object makes. */
	struct fh made;
	fh_from_object(&ip->nfs.exports, ex, &ex->root, &made);
	assert_int_equal(made.wire_len, len);
	assert_memory_equal(made.wire, wire, len);
	assert_int_equal(len, FH_HEADER + ex->root.len + FH_MAC);
	assert_int_equal(wire[0], FH_VERSION);
	assert_int_equal(wire[1], FH_EXPORT);
	assert_int_equal(xdr_get_be32(wire + 2), ex->id);

	struct fh parsed;
	assert_int_equal(fh_parse(&ip->nfs.exports, wire, len, &parsed), FH_OK);
	assert_int_equal(parsed.kind, FH_EXPORT);
	assert_ptr_equal(parsed.export, ex);
	assert_int_equal(parsed.bh.len, ex->root.len);
	assert_memory_equal(parsed.bh.data, ex->root.data, ex->root.len);
	assert_true(fh_equal(&parsed, &made));
}

static void test_object_round_trip_through_putfh(void **state)
{
	struct inproc *ip = *state;
	struct export *ex = export_at(ip, INPROC_EXPORT_B);
	struct backend_handle bh;
	make_file(ex, "f", &bh);
	struct fh fh;
	fh_from_object(&ip->nfs.exports, ex, &bh, &fh);

	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin(&a, "rt", 2, 0);
	inproc_putfh(&a, fh.wire, fh.wire_len);
	inproc_op(&a, OP_GETFH);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_PUTFH), NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_GETFH), NFS4_OK);
	const uint8_t *p;
	uint32_t len;
	assert_true(xdr_decode_opaque(&r.d, NFS4_FHSIZE, &p, &len));
	assert_int_equal(len, fh.wire_len);
	assert_memory_equal(p, fh.wire, len);
	inproc_done(&r);

	/* The same object always gets the same handle; another one does not. */
	struct fh again, other;
	fh_from_object(&ip->nfs.exports, ex, &bh, &again);
	assert_true(fh_equal(&fh, &again));
	struct backend_handle bh2;
	make_file(ex, "g", &bh2);
	fh_from_object(&ip->nfs.exports, ex, &bh2, &other);
	assert_false(fh_equal(&fh, &other));
}

static void test_pseudo_handles(void **state)
{
	struct inproc *ip = *state;
	struct exports *exps = &ip->nfs.exports;
	uint8_t root[NFS4_FHSIZE], mem[NFS4_FHSIZE];
	uint32_t root_len = inproc_fh_of(ip, NULL, 0, root);
	static const char *const path[] = {"mem"};
	uint32_t mem_len = inproc_fh_of(ip, path, 1, mem);

	assert_int_equal(root_len, FH_HEADER + FH_MAC);
	assert_int_equal(root[1], FH_PSEUDO);
	assert_int_equal(root[6], 0);
	struct fh fh, made;
	assert_int_equal(fh_parse(exps, root, root_len, &fh), FH_OK);
	assert_int_equal(fh.kind, FH_PSEUDO);
	assert_ptr_equal(fh.node, exps->root);
	assert_null(fh.export);
	fh_from_pseudo(exps, exps->root, &made);
	assert_true(fh_equal(&fh, &made));

	struct pseudo_node *node = pseudo_lookup(exps->root, "mem");
	assert_non_null(node);
	assert_int_equal(fh_parse(exps, mem, mem_len, &fh), FH_OK);
	assert_int_equal(fh.kind, FH_PSEUDO);
	assert_ptr_equal(fh.node, node);
	assert_int_equal(xdr_get_be32(mem + 2), node->id);
	assert_false(memcmp(root, mem, root_len) == 0);
}

/* --- damage ------------------------------------------------------------- */

static void check_every_flip(struct inproc *ip, const uint8_t *wire, uint32_t len)
{
	static const uint8_t masks[] = {0x01, 0x80, 0xff};
	uint8_t bad[NFS4_FHSIZE];
	for (uint32_t i = 0; i < len; i++) {
		for (size_t m = 0; m < sizeof(masks); m++) {
			memcpy(bad, wire, len);
			bad[i] ^= masks[m];
			struct fh fh;
			if (fh_parse(&ip->nfs.exports, bad, len, &fh) != FH_BADHANDLE)
				fail_msg("byte %u ^ 0x%02x of a %u-byte handle was accepted", i,
					 masks[m], len);
		}
		/* And through PUTFH, once per byte. */
		memcpy(bad, wire, len);
		bad[i] ^= 0x01;
		assert_int_equal(putfh_status(ip, bad, len), NFS4ERR_BADHANDLE);
	}
	assert_int_equal(putfh_status(ip, wire, len), NFS4_OK);
}

static void test_flipped_byte_is_badhandle(void **state)
{
	struct inproc *ip = *state;
	uint8_t wire[NFS4_FHSIZE];
	static const char *const path[] = {"mem", "a"};
	check_every_flip(ip, wire, inproc_fh_of(ip, path, 2, wire));
	check_every_flip(ip, wire, inproc_fh_of(ip, NULL, 0, wire));
	struct export *ex = export_at(ip, INPROC_EXPORT_A);
	struct backend_handle bh;
	make_file(ex, "flip", &bh);
	struct fh fh;
	fh_from_object(&ip->nfs.exports, ex, &bh, &fh);
	check_every_flip(ip, fh.wire, fh.wire_len);
}

static void test_truncated_and_overlong(void **state)
{
	struct inproc *ip = *state;
	uint8_t wire[NFS4_FHSIZE + 8];
	static const char *const path[] = {"mem", "b"};
	uint32_t len = inproc_fh_of(ip, path, 2, wire);
	struct fh fh;
	for (uint32_t n = 0; n < len; n++) {
		assert_int_equal(fh_parse(&ip->nfs.exports, wire, n, &fh), FH_BADHANDLE);
		assert_int_equal(putfh_status(ip, wire, n), NFS4ERR_BADHANDLE);
	}
	/* Trailing bytes, zero or not, up to past NFS4_FHSIZE. */
	for (uint32_t n = len + 1; n <= sizeof(wire); n++) {
		memset(wire + len, n & 1 ? 0 : 0xa5, sizeof(wire) - len);
		assert_int_equal(fh_parse(&ip->nfs.exports, wire, n, &fh), FH_BADHANDLE);
		assert_int_equal(putfh_status(ip, wire, n), NFS4ERR_BADHANDLE);
	}
}

/* A handle of export A carrying export B's id: the MAC covers the id. */
static void test_relabelled_export_refused(void **state)
{
	struct inproc *ip = *state;
	struct export *a = export_at(ip, INPROC_EXPORT_A);
	struct export *b = export_at(ip, INPROC_EXPORT_B);
	struct backend_handle bh;
	make_file(a, "mine", &bh);
	struct fh fh;
	fh_from_object(&ip->nfs.exports, a, &bh, &fh);
	uint8_t wire[NFS4_FHSIZE];
	memcpy(wire, fh.wire, fh.wire_len);
	xdr_put_be32(wire + 2, b->id);
	struct fh out;
	assert_int_equal(fh_parse(&ip->nfs.exports, wire, fh.wire_len, &out), FH_BADHANDLE);
	assert_int_equal(putfh_status(ip, wire, fh.wire_len), NFS4ERR_BADHANDLE);

	/* Even correctly signed, B's back end does not know A's object. */
	uint32_t len = forge(ip, wire, fh.wire_len - FH_MAC);
	uint32_t put, ga;
	putfh_getattr(ip, wire, len, &put, &ga);
	assert_int_equal(put, NFS4_OK);
	assert_int_equal(ga, NFS4ERR_STALE);
}

/* Another server (another key) made it: not ours. */
static void test_other_server_handle_refused(void **state)
{
	struct inproc *ip = *state;
	struct inproc *other = inproc_new();
	assert_non_null(other);
	static const char *const path[] = {"mem", "a"};
	uint8_t wire[NFS4_FHSIZE];
	uint32_t len = inproc_fh_of(other, path, 2, wire);
	inproc_free(other);
	/* The same export id (it comes from the pseudo path), another key. */
	assert_int_equal(xdr_get_be32(wire + 2), export_at(ip, INPROC_EXPORT_A)->id);
	assert_int_equal(putfh_status(ip, wire, len), NFS4ERR_BADHANDLE);
}

/* A server without a state directory keeps its handle key nowhere (ferryd
 * always has one; the in-process fuzz target builds such servers): each
 * has a key of its own, and nothing is written outside its directory. */
static void test_diskless_servers_have_own_keys(void **state)
{
	(void)state;
	struct inproc *a = inproc_new_diskless(LOG_LEVEL_WARN);
	struct inproc *b = inproc_new_diskless(LOG_LEVEL_WARN);
	assert_non_null(a);
	assert_non_null(b);
	static const char *const path[] = {"mem", "a"};
	uint8_t wire[NFS4_FHSIZE];
	uint32_t len = inproc_fh_of(a, path, 2, wire);
	assert_int_equal(putfh_status(a, wire, len), NFS4_OK);
	assert_int_equal(putfh_status(b, wire, len), NFS4ERR_BADHANDLE);
	inproc_free(a);
	inproc_free(b);
	/* Nor do they keep anything on disk: an empty state directory is not
	 * the root directory. */
	struct stat st;
	assert_int_not_equal(stat("/fh.key", &st), 0);
	assert_int_not_equal(stat("/export_roots", &st), 0);
}

/* Signed handles whose contents are wrong: the checks behind the MAC. */
static void test_signed_but_malformed(void **state)
{
	struct inproc *ip = *state;
	struct export *ex = export_at(ip, INPROC_EXPORT_A);
	uint8_t w[NFS4_FHSIZE];
	struct fh fh;

	/* Unknown version. */
	fh_from_object(&ip->nfs.exports, ex, &ex->root, &fh);
	memcpy(w, fh.wire, fh.wire_len);
	w[0] = 2;
	uint32_t len = forge(ip, w, fh.wire_len - FH_MAC);
	assert_int_equal(putfh_status(ip, w, len), NFS4ERR_BADHANDLE);

	/* Unknown kind. */
	memcpy(w, fh.wire, fh.wire_len);
	w[1] = 7;
	len = forge(ip, w, fh.wire_len - FH_MAC);
	assert_int_equal(putfh_status(ip, w, len), NFS4ERR_BADHANDLE);

	/* A pseudo handle carrying back-end bytes. */
	memcpy(w, fh.wire, fh.wire_len);
	w[1] = FH_PSEUDO;
	xdr_put_be32(w + 2, ip->nfs.exports.root->id);
	len = forge(ip, w, fh.wire_len - FH_MAC);
	assert_int_equal(putfh_status(ip, w, len), NFS4ERR_BADHANDLE);

	/* A back-end handle longer than any back end makes. */
	memset(w, 0, sizeof(w));
	w[0] = FH_VERSION;
	w[1] = FH_EXPORT;
	xdr_put_be32(w + 2, ex->id);
	w[6] = BACKEND_HANDLE_MAX + 1;
	len = forge(ip, w, FH_HEADER + BACKEND_HANDLE_MAX + 1);
	assert_int_equal(fh_parse(&ip->nfs.exports, w, len, &fh), FH_BADHANDLE);
	assert_int_equal(putfh_status(ip, w, len), NFS4ERR_BADHANDLE);

	/* Export-kind handle with no back-end bytes: the back end decides. */
	w[6] = 0;
	len = forge(ip, w, FH_HEADER);
	uint32_t put, ga;
	putfh_getattr(ip, w, len, &put, &ga);
	assert_int_equal(put, NFS4_OK);
	assert_true(ga == NFS4ERR_STALE || ga == NFS4ERR_BADHANDLE);
}

/* Signed, well formed, but naming what this server does not have. */
static void test_signed_unknown_is_stale(void **state)
{
	struct inproc *ip = *state;
	struct export *ex = export_at(ip, INPROC_EXPORT_A);
	uint8_t w[NFS4_FHSIZE];
	struct fh fh;
	fh_from_object(&ip->nfs.exports, ex, &ex->root, &fh);
	memcpy(w, fh.wire, fh.wire_len);
	xdr_put_be32(w + 2, ex->id ^ 0x5a5a5a5a);
	uint32_t len = forge(ip, w, fh.wire_len - FH_MAC);
	assert_int_equal(fh_parse(&ip->nfs.exports, w, len, &fh), FH_STALE);
	assert_int_equal(putfh_status(ip, w, len), NFS4ERR_STALE);

	fh_from_pseudo(&ip->nfs.exports, ip->nfs.exports.root, &fh);
	memcpy(w, fh.wire, fh.wire_len);
	xdr_put_be32(w + 2, ip->nfs.exports.root->id ^ 0x00010000);
	len = forge(ip, w, fh.wire_len - FH_MAC);
	assert_int_equal(putfh_status(ip, w, len), NFS4ERR_STALE);
}

/* A removed object's handle still parses; using it is STALE. */
/* component4 is unbounded on the wire: a name past what the server takes is
 * NFS4ERR_NAMETOOLONG, whatever its length, and only a length past the
 * record is NFS4ERR_BADXDR. */
static void test_long_name_is_nametoolong(void **state)
{
	struct inproc *ip = *state;
	uint8_t wire[NFS4_FHSIZE];
	static const char *const path[] = {"mem", "b"};
	uint32_t len = inproc_fh_of(ip, path, 2, wire);
	static char name[4000];
	memset(name, 'n', sizeof(name) - 1);
	struct inproc_args a;
	struct inproc_reply r;
	static const uint32_t lens[] = {256, 1025, sizeof(name) - 1};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		inproc_begin(&a, "", 0, 0);
		inproc_putfh(&a, wire, len);
		inproc_op(&a, OP_LOOKUP);
		xdr_encode_opaque(&a.e, name, lens[i]);
		inproc_call(ip, &a, &r);
		assert_int_equal(r.status, NFS4ERR_NAMETOOLONG);
		inproc_done(&r);
	}
	inproc_begin(&a, "", 0, 0);
	inproc_putfh(&a, wire, len);
	inproc_op(&a, OP_LOOKUP);
	xdr_encode_u32(&a.e, 100000);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4ERR_BADXDR);
	inproc_done(&r);
}

static void test_removed_object_is_stale(void **state)
{
	struct inproc *ip = *state;
	struct export *ex = export_at(ip, INPROC_EXPORT_A);
	struct backend_handle bh;
	make_file(ex, "gone", &bh);
	struct fh fh;
	fh_from_object(&ip->nfs.exports, ex, &bh, &fh);
	uint32_t put, ga;
	putfh_getattr(ip, fh.wire, fh.wire_len, &put, &ga);
	assert_int_equal(put, NFS4_OK);
	assert_int_equal(ga, NFS4_OK);
	static const struct backend_cred root = {0};
	assert_int_equal(ex->ops->remove(ex->bex, &root, &ex->root, "gone"), 0);
	putfh_getattr(ip, fh.wire, fh.wire_len, &put, &ga);
	assert_int_equal(put, NFS4_OK);
	assert_int_equal(ga, NFS4ERR_STALE);
}

static uint32_t name_op_status(struct inproc *ip, const uint8_t *wire, uint32_t len,
			       uint32_t op, const char *name, uint32_t name_len)
{
	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin(&a, "", 0, 0);
	inproc_putfh(&a, wire, len);
	inproc_op(&a, op);
	xdr_encode_opaque(&a.e, name, name_len);
	inproc_call(ip, &a, &r);
	uint32_t status = r.status;
	inproc_done(&r);
	return status;
}

/* LOOKUP and REMOVE judge the directory before the name: a bad name in a
 * file is NOTDIR, in a directory the name's own error. */
static void test_dir_checked_before_name(void **state)
{
	struct inproc *ip = *state;
	struct export *ex = export_at(ip, INPROC_EXPORT_A);
	struct backend_handle bh;
	make_file(ex, "plain", &bh);
	struct fh fh;
	fh_from_object(&ip->nfs.exports, ex, &bh, &fh);
	uint8_t dir[NFS4_FHSIZE];
	static const char *const path[] = {"mem", "b"};
	uint32_t dir_len = inproc_fh_of(ip, path, 2, dir);
	static char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	static const uint32_t ops[] = {OP_LOOKUP, OP_REMOVE};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		assert_int_equal(name_op_status(ip, fh.wire, fh.wire_len, ops[i], "", 0),
				 NFS4ERR_NOTDIR);
		assert_int_equal(name_op_status(ip, fh.wire, fh.wire_len, ops[i], longname, 256),
				 NFS4ERR_NOTDIR);
		assert_int_equal(name_op_status(ip, dir, dir_len, ops[i], longname, 256),
				 NFS4ERR_NAMETOOLONG);
		assert_int_equal(name_op_status(ip, dir, dir_len, ops[i], "", 0), NFS4ERR_INVAL);
	}
}

/* LOOKUPP and READDIR need a directory (the op table's
 * NFS4_OPF_NEED_DIR, checked before the handler): on a file NOTDIR, on a
 * symbolic link SYMLINK (RFC 8881 15.1.2.9), where the back end alone
 * would say NOTDIR or find a parent; on a directory they go on to their
 * own work. */
static uint32_t dir_op_status(struct inproc *ip, const uint8_t *wire, uint32_t len, uint32_t op)
{
	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin(&a, "", 0, 0);
	inproc_putfh(&a, wire, len);
	inproc_op(&a, op);
	if (op == OP_READDIR) {
		xdr_encode_u64(&a.e, 0);    /* cookie */
		xdr_encode_u64(&a.e, 0);    /* cookieverf */
		xdr_encode_u32(&a.e, 4096); /* dircount */
		xdr_encode_u32(&a.e, 8192); /* maxcount */
		xdr_encode_u32(&a.e, 0);    /* attr_request: empty */
	}
	inproc_call(ip, &a, &r);
	uint32_t status = r.status;
	inproc_done(&r);
	return status;
}

static void test_table_checks_directory(void **state)
{
	struct inproc *ip = *state;
	struct export *ex = export_at(ip, INPROC_EXPORT_A);
	static const struct backend_cred root = {0};
	struct backend_handle file_bh, link_bh;
	make_file(ex, "notadir", &file_bh);
	struct backend_setattr sa = {.mask = BACKEND_SET_MODE, .mode = 0777};
	struct backend_attr attr;
	assert_int_equal(ex->ops->symlink(ex->bex, &root, &ex->root, "link", ".", &sa, &link_bh,
					  &attr),
			 0);
	struct fh file, link;
	fh_from_object(&ip->nfs.exports, ex, &file_bh, &file);
	fh_from_object(&ip->nfs.exports, ex, &link_bh, &link);
	uint8_t dir[NFS4_FHSIZE];
	static const char *const path[] = {"mem", "b"};
	uint32_t dir_len = inproc_fh_of(ip, path, 2, dir);
	static const uint32_t ops[] = {OP_READDIR, OP_LOOKUPP};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		assert_int_equal(dir_op_status(ip, file.wire, file.wire_len, ops[i]),
				 NFS4ERR_NOTDIR);
		assert_int_equal(dir_op_status(ip, link.wire, link.wire_len, ops[i]),
				 NFS4ERR_SYMLINK);
		assert_int_equal(dir_op_status(ip, dir, dir_len, ops[i]), NFS4_OK);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_export_root_round_trip, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_object_round_trip_through_putfh, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_pseudo_handles, inproc_setup, inproc_teardown),
		cmocka_unit_test_setup_teardown(test_flipped_byte_is_badhandle, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_truncated_and_overlong, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_relabelled_export_refused, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_other_server_handle_refused, inproc_setup,
						inproc_teardown),
		cmocka_unit_test(test_diskless_servers_have_own_keys),
		cmocka_unit_test_setup_teardown(test_signed_but_malformed, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_signed_unknown_is_stale, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_dir_checked_before_name, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_table_checks_directory, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_long_name_is_nametoolong, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_removed_object_is_stale, inproc_setup,
						inproc_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
