/* OPEN (every createhow4, open_claim4 and open_delegation4 arm), the open
 * and lock state operations and LOCK4denied: round trips field by field,
 * truncations and bad discriminants refused. */
#include "nfs4_codec_check.h"

#include "xdr/nfs4_codec_file.h"

CODEC_DEC_ADAPTER(nfs4_dec_open_args, struct nfs4_open_args)
CODEC_DEC_ADAPTER(nfs4_dec_open_res, struct nfs4_open_res)
CODEC_DEC_ADAPTER(nfs4_dec_open_confirm_args, struct nfs4_open_confirm_args)
CODEC_DEC_ADAPTER(nfs4_dec_open_downgrade_args, struct nfs4_open_downgrade_args)
CODEC_DEC_ADAPTER(nfs4_dec_close_args, struct nfs4_close_args)
CODEC_DEC_ADAPTER(nfs4_dec_stateid_res, struct nfs4_stateid_res)
CODEC_DEC_ADAPTER(nfs4_dec_lock_args, struct nfs4_lock_args)
CODEC_DEC_ADAPTER(nfs4_dec_lock_denied, struct nfs4_lock_denied)
CODEC_DEC_ADAPTER(nfs4_dec_lockt_args, struct nfs4_lockt_args)
CODEC_DEC_ADAPTER(nfs4_dec_locku_args, struct nfs4_locku_args)
CODEC_DEC_ADAPTER(nfs4_dec_delegreturn_args, struct nfs4_delegreturn_args)
CODEC_DEC_ADAPTER(nfs4_dec_delegpurge_args, struct nfs4_delegpurge_args)

#define CHECK(encfn, decfn, in, out)                                          \
	do {                                                                  \
		struct xdr_enc e_;                                            \
		codec_enc_start(&e_);                                         \
		assert_true(encfn(&e_, &(in)));                               \
		codec_check_decode(&e_, adapt_##decfn, &(out), sizeof(out)); \
		codec_keep(&e_);                                              \
	} while (0)

/* Encodes with encfn (which must succeed) and expects decfn to refuse. */
#define REFUSE(encfn, decfn, in, out)                                 \
	do {                                                          \
		struct xdr_enc e_;                                    \
		codec_enc_start(&e_);                                 \
		assert_true(encfn(&e_, &(in)));                       \
		codec_check_refused(&e_, adapt_##decfn, &(out));      \
		xdr_enc_release(&e_);                                 \
	} while (0)

/* Patches the u32 at byte offset off of an encoding and expects the decoder
 * to refuse the result. */
#define REFUSE_PATCHED(encfn, decfn, in, out, off, v)                 \
	do {                                                          \
		struct xdr_enc e_;                                    \
		codec_enc_start(&e_);                                 \
		assert_true(encfn(&e_, &(in)));                       \
		xdr_enc_patch_u32(&e_, (off), (v));                   \
		codec_check_refused(&e_, adapt_##decfn, &(out));      \
		xdr_enc_release(&e_);                                 \
	} while (0)

static void assert_owner_eq(const struct nfs4_state_owner *a, const struct nfs4_state_owner *b)
{
	assert_int_equal(a->clientid, b->clientid);
	assert_opaque_eq(a->owner, b->owner);
}

static struct nfs4_open_args open_args(void)
{
	return (struct nfs4_open_args){
		.seqid = 4,
		.share_access = OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_READ_DELEG |
				OPEN4_SHARE_ACCESS_WANT_SIGNAL_DELEG_WHEN_RESRC_AVAIL,
		.share_deny = OPEN4_SHARE_DENY_WRITE,
		.owner = {0x1122334455667788ull, nfs4_opaque_str("open-owner")},
		.opentype = OPEN4_NOCREATE,
		.claim = {.type = CLAIM_NULL, .file = nfs4_opaque_str("file.txt")},
	};
}

static void check_open_args(const struct nfs4_open_args *a)
{
	struct nfs4_open_args b;
	memset(&b, 0x5a, sizeof(b));
	CHECK(nfs4_enc_open_args, nfs4_dec_open_args, *a, b);
	assert_int_equal(b.seqid, a->seqid);
	assert_int_equal(b.share_access, a->share_access);
	assert_int_equal(b.share_deny, a->share_deny);
	assert_owner_eq(&a->owner, &b.owner);
	assert_int_equal(b.opentype, a->opentype);
	if (a->opentype == OPEN4_CREATE) {
		assert_int_equal(b.how.mode, a->how.mode);
		if (a->how.mode != EXCLUSIVE4)
			assert_fattr_raw_eq(&a->how.attrs, &b.how.attrs);
		if (a->how.mode == EXCLUSIVE4 || a->how.mode == EXCLUSIVE4_1)
			assert_verifier_eq(&a->how.verifier, &b.how.verifier);
	}
	assert_int_equal(b.claim.type, a->claim.type);
	assert_opaque_eq(a->claim.file, b.claim.file);
	assert_stateid_eq(&a->claim.delegate_stateid, &b.claim.delegate_stateid);
	assert_int_equal(b.claim.delegate_type, a->claim.delegate_type);
}

static void test_open_createhow(void **state)
{
	(void)state;
	struct nfs4_open_args a = open_args();
	check_open_args(&a);
	a.opentype = OPEN4_CREATE;
	const uint32_t modes[] = {UNCHECKED4, GUARDED4, EXCLUSIVE4, EXCLUSIVE4_1};
	for (unsigned i = 0; i < 4; i++) {
		a.how = (struct nfs4_createhow){.mode = modes[i], .verifier = codec_verifier(9)};
		if (modes[i] != EXCLUSIVE4)
			a.how.attrs = codec_fattr();
		check_open_args(&a);
	}
	struct nfs4_open_args b;
	/* createmode 4; opentype 2: the createmode sits after seqid, access,
	 * deny, clientid, owner (4 + 12) and opentype. */
	const size_t opentype_off = 4 + 4 + 4 + 8 + 4 + 12;
	REFUSE_PATCHED(nfs4_enc_open_args, nfs4_dec_open_args, a, b, opentype_off + 4, 4);
	REFUSE_PATCHED(nfs4_enc_open_args, nfs4_dec_open_args, a, b, opentype_off, 2);
	a.owner.owner = codec_bytes(NFS4_OPAQUE_LIMIT + 1, 'o');
	REFUSE(nfs4_enc_open_args, nfs4_dec_open_args, a, b);
}

static void test_open_claims(void **state)
{
	(void)state;
	struct nfs4_open_args a = open_args();
	struct nfs4_open_claim claims[] = {
		{.type = CLAIM_NULL, .file = nfs4_opaque_str("n")},
		{.type = CLAIM_PREVIOUS, .delegate_type = OPEN_DELEGATE_WRITE},
		{.type = CLAIM_DELEGATE_CUR, .file = nfs4_opaque_str("cur"),
		 .delegate_stateid = codec_stateid(5)},
		{.type = CLAIM_DELEGATE_PREV, .file = nfs4_opaque_str("prev")},
		{.type = CLAIM_FH},
		{.type = CLAIM_DELEG_CUR_FH, .delegate_stateid = codec_stateid(6)},
		{.type = CLAIM_DELEG_PREV_FH},
	};
	for (unsigned i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
		a.claim = claims[i];
		check_open_args(&a);
	}
	struct nfs4_open_args b;
	const size_t claim_off = 4 + 4 + 4 + 8 + 4 + 12 + 4;
	a.claim = claims[4];
	REFUSE_PATCHED(nfs4_enc_open_args, nfs4_dec_open_args, a, b, claim_off, 7);
	a.claim = claims[0];
	/* A long name decodes: NAMETOOLONG is the server's to say. */
	a.claim.file = codec_bytes(NFS4_OPAQUE_LIMIT + 1, 'f');
	CHECK(nfs4_enc_open_args, nfs4_dec_open_args, a, b);
	assert_int_equal(b.claim.file.len, NFS4_OPAQUE_LIMIT + 1);
}

static void check_open_res(const struct nfs4_open_res *a)
{
	struct nfs4_open_res b;
	memset(&b, 0x5a, sizeof(b));
	CHECK(nfs4_enc_open_res, nfs4_dec_open_res, *a, b);
	assert_stateid_eq(&a->stateid, &b.stateid);
	assert_cinfo_eq(&a->cinfo, &b.cinfo);
	assert_int_equal(b.rflags, a->rflags);
	assert_bitmap_eq(&a->attrset, &b.attrset);
	const struct nfs4_open_delegation *x = &a->delegation, *y = &b.delegation;
	assert_int_equal(y->type, x->type);
	assert_stateid_eq(&x->stateid, &y->stateid);
	assert_int_equal(y->recall, x->recall);
	assert_int_equal(y->space_limit.limitby, x->space_limit.limitby);
	assert_int_equal(y->space_limit.filesize, x->space_limit.filesize);
	assert_int_equal(y->space_limit.num_blocks, x->space_limit.num_blocks);
	assert_int_equal(y->space_limit.bytes_per_block, x->space_limit.bytes_per_block);
	assert_int_equal(y->permissions.type, x->permissions.type);
	assert_int_equal(y->permissions.flag, x->permissions.flag);
	assert_int_equal(y->permissions.access_mask, x->permissions.access_mask);
	assert_opaque_eq(x->permissions.who, y->permissions.who);
	assert_int_equal(y->why, x->why);
	assert_int_equal(y->server_will, x->server_will);
}

static void test_open_res(void **state)
{
	(void)state;
	struct nfs4_open_res a = {
		.stateid = codec_stateid(1),
		.cinfo = {true, 10, 11},
		.rflags = OPEN4_RESULT_LOCKTYPE_POSIX | OPEN4_RESULT_CONFIRM,
	};
	nfs4_bitmap_set(&a.attrset, FATTR4_MODE);
	check_open_res(&a);

	struct nfs4_ace ace = {0, 0, 0x1f, nfs4_opaque_str("EVERYONE@")};
	a.delegation = (struct nfs4_open_delegation){.type = OPEN_DELEGATE_READ,
						     .stateid = codec_stateid(2),
						     .recall = true, .permissions = ace};
	check_open_res(&a);
	a.delegation = (struct nfs4_open_delegation){
		.type = OPEN_DELEGATE_WRITE, .stateid = codec_stateid(3),
		.space_limit = {.limitby = NFS_LIMIT_SIZE, .filesize = UINT64_MAX},
		.permissions = ace};
	check_open_res(&a);
	a.delegation.space_limit =
		(struct nfs4_space_limit){.limitby = NFS_LIMIT_BLOCKS, .num_blocks = 7,
					  .bytes_per_block = 4096};
	check_open_res(&a);
	/* RFC 9754's ATTRS_DELEG types have the READ and WRITE arms. */
	a.delegation = (struct nfs4_open_delegation){.type = OPEN_DELEGATE_READ_ATTRS_DELEG,
						     .stateid = codec_stateid(4),
						     .permissions = ace};
	check_open_res(&a);
	a.delegation = (struct nfs4_open_delegation){
		.type = OPEN_DELEGATE_WRITE_ATTRS_DELEG, .stateid = codec_stateid(5),
		.recall = true,
		.space_limit = {.limitby = NFS_LIMIT_SIZE, .filesize = 1 << 20},
		.permissions = ace};
	check_open_res(&a);

	for (uint32_t why = WND4_NOT_WANTED; why <= WND4_IS_DIR; why++) {
		a.delegation = (struct nfs4_open_delegation){.type = OPEN_DELEGATE_NONE_EXT,
							     .why = why};
		a.delegation.server_will = why == WND4_CONTENTION || why == WND4_RESOURCE;
		check_open_res(&a);
	}

	/* Bad delegation type, bad limitby, over-long ace who. */
	struct nfs4_open_res b;
	a.delegation = (struct nfs4_open_delegation){.type = OPEN_DELEGATE_NONE};
	const size_t deleg_off = 16 + 20 + 4 + 12;
	REFUSE_PATCHED(nfs4_enc_open_res, nfs4_dec_open_res, a, b, deleg_off, 6);
	a.delegation = (struct nfs4_open_delegation){
		.type = OPEN_DELEGATE_WRITE,
		.space_limit = {.limitby = NFS_LIMIT_SIZE},
		.permissions = ace};
	REFUSE_PATCHED(nfs4_enc_open_res, nfs4_dec_open_res, a, b, deleg_off + 4 + 16 + 4, 3);
	a.delegation.permissions.who = codec_bytes(NFS4_OPAQUE_LIMIT + 1, 'w');
	REFUSE(nfs4_enc_open_res, nfs4_dec_open_res, a, b);
}

static void test_open_state_ops(void **state)
{
	(void)state;
	struct nfs4_open_confirm_args ca = {codec_stateid(4), 77}, cb;
	CHECK(nfs4_enc_open_confirm_args, nfs4_dec_open_confirm_args, ca, cb);
	assert_stateid_eq(&ca.stateid, &cb.stateid);
	assert_int_equal(cb.seqid, 77);

	struct nfs4_open_downgrade_args da = {codec_stateid(5), 8, OPEN4_SHARE_ACCESS_READ,
					      OPEN4_SHARE_DENY_NONE},
					db;
	CHECK(nfs4_enc_open_downgrade_args, nfs4_dec_open_downgrade_args, da, db);
	assert_stateid_eq(&da.stateid, &db.stateid);
	assert_int_equal(db.seqid, 8);
	assert_int_equal(db.share_access, OPEN4_SHARE_ACCESS_READ);
	assert_int_equal(db.share_deny, OPEN4_SHARE_DENY_NONE);

	struct nfs4_close_args la = {9, codec_stateid(6)}, lb;
	CHECK(nfs4_enc_close_args, nfs4_dec_close_args, la, lb);
	assert_int_equal(lb.seqid, 9);
	assert_stateid_eq(&la.stateid, &lb.stateid);

	struct nfs4_stateid_res ra = {codec_stateid(7)}, rb;
	CHECK(nfs4_enc_stateid_res, nfs4_dec_stateid_res, ra, rb);
	assert_stateid_eq(&ra.stateid, &rb.stateid);

	struct nfs4_delegreturn_args ga = {codec_stateid(8)}, gb;
	CHECK(nfs4_enc_delegreturn_args, nfs4_dec_delegreturn_args, ga, gb);
	assert_stateid_eq(&ga.stateid, &gb.stateid);
	struct nfs4_delegpurge_args pa = {0xfeedull}, pb;
	CHECK(nfs4_enc_delegpurge_args, nfs4_dec_delegpurge_args, pa, pb);
	assert_int_equal(pb.clientid, 0xfeedull);
}

static void check_lock_args(const struct nfs4_lock_args *a)
{
	struct nfs4_lock_args b;
	CHECK(nfs4_enc_lock_args, nfs4_dec_lock_args, *a, b);
	assert_int_equal(b.locktype, a->locktype);
	assert_int_equal(b.reclaim, a->reclaim);
	assert_int_equal(b.offset, a->offset);
	assert_int_equal(b.length, a->length);
	const struct nfs4_locker *x = &a->locker, *y = &b.locker;
	assert_int_equal(y->new_lock_owner, x->new_lock_owner);
	assert_int_equal(y->open_seqid, x->open_seqid);
	assert_stateid_eq(&x->open_stateid, &y->open_stateid);
	assert_stateid_eq(&x->lock_stateid, &y->lock_stateid);
	assert_int_equal(y->lock_seqid, x->lock_seqid);
	assert_owner_eq(&x->owner, &y->owner);
}

static void test_locks(void **state)
{
	(void)state;
	struct nfs4_lock_args a = {
		.locktype = WRITEW_LT, .reclaim = true, .offset = 10, .length = UINT64_MAX,
		.locker = {.new_lock_owner = true, .open_seqid = 2,
			   .open_stateid = codec_stateid(1), .lock_seqid = 0,
			   .owner = {42, nfs4_opaque_str("lock-owner")}},
	};
	check_lock_args(&a);
	a.locker = (struct nfs4_locker){.lock_stateid = codec_stateid(2), .lock_seqid = 3};
	check_lock_args(&a);
	struct nfs4_lock_args b;
	REFUSE_PATCHED(nfs4_enc_lock_args, nfs4_dec_lock_args, a, b, 4, 2); /* reclaim */
	REFUSE_PATCHED(nfs4_enc_lock_args, nfs4_dec_lock_args, a, b, 24, 2); /* new_lock_owner */
	a.locker = (struct nfs4_locker){.new_lock_owner = true,
					.owner = {1, codec_bytes(NFS4_OPAQUE_LIMIT + 1, 'l')}};
	REFUSE(nfs4_enc_lock_args, nfs4_dec_lock_args, a, b);

	struct nfs4_lock_denied da = {100, 200, READ_LT, {7, nfs4_opaque_str("holder")}}, db;
	CHECK(nfs4_enc_lock_denied, nfs4_dec_lock_denied, da, db);
	assert_int_equal(db.offset, 100);
	assert_int_equal(db.length, 200);
	assert_int_equal(db.locktype, READ_LT);
	assert_owner_eq(&da.owner, &db.owner);

	struct nfs4_lockt_args ta = {WRITE_LT, 1, 2, {3, nfs4_opaque_str("tester")}}, tb;
	CHECK(nfs4_enc_lockt_args, nfs4_dec_lockt_args, ta, tb);
	assert_int_equal(tb.locktype, WRITE_LT);
	assert_int_equal(tb.offset, 1);
	assert_int_equal(tb.length, 2);
	assert_owner_eq(&ta.owner, &tb.owner);
	ta.owner.owner = codec_bytes(NFS4_OPAQUE_LIMIT + 1, 't');
	REFUSE(nfs4_enc_lockt_args, nfs4_dec_lockt_args, ta, tb);

	struct nfs4_locku_args ua = {READ_LT, 5, codec_stateid(3), 6, 7}, ub;
	CHECK(nfs4_enc_locku_args, nfs4_dec_locku_args, ua, ub);
	assert_int_equal(ub.locktype, READ_LT);
	assert_int_equal(ub.seqid, 5);
	assert_stateid_eq(&ua.stateid, &ub.stateid);
	assert_int_equal(ub.offset, 6);
	assert_int_equal(ub.length, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CODEC_TEST(test_open_createhow),
		CODEC_TEST(test_open_claims),
		CODEC_TEST(test_open_res),
		CODEC_TEST(test_open_state_ops),
		CODEC_TEST(test_locks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
