/* File delegations through a real ferryd over NFSv4.1: read and write
 * delegations granted, recalled (CB_RECALL on the back channel) by each
 * conflicting operation of another client, CB_GETATTR for another
 * client's GETATTR, DELEGRETURN, and a holder that never answers the
 * recall: revoked, RECALLABLE_STATE_REVOKED until FREE_STATEID. */
#include "proto/deleg_fixture.h"

#include "lib/ctl_test.h"

static const uint32_t RD = OPEN4_SHARE_ACCESS_READ;
static const uint32_t BOTH = OPEN4_SHARE_ACCESS_BOTH;

/* A second OPEN that gets NFS4ERR_DELAY while the delegation is recalled,
 * and NFS4_OK once it is returned. */
static void test_read_delegation_recalled_by_open(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "dl-open-a", 901);
	dl_client(&b, &sb, "dl-open-b", 902);
	char *before = ctlt_scrape(&server);
	struct dl_open oa = dl_open(&a, "f-open", RD, true);
	assert_int_equal(oa.status, NFS4_OK);
	assert_int_equal(oa.deleg.type, OPEN_DELEGATE_READ);
	/* The same client opening again: the same delegation. */
	struct dl_open again = dl_open(&a, "f-open", RD, false);
	assert_int_equal(again.deleg.type, OPEN_DELEGATE_READ);
	assert_memory_equal(again.deleg.stateid.other, oa.deleg.stateid.other, NFS4_OTHER_SIZE);
	/* A reader of another client shares the file; a writer recalls. */
	struct dl_open ob = dl_open(&b, "f-open", RD, false);
	assert_int_equal(ob.status, NFS4_OK);
	assert_int_equal(ob.deleg.type, OPEN_DELEGATE_READ);
	ob = dl_open(&b, "f-open", BOTH, false);
	assert_int_equal(ob.status, NFS4ERR_DELAY);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 1, 5000));
	assert_true(nfs4c_cb_recalled(&sa, &oa.deleg.stateid));
	struct nfs4c_cb_rec rec;
	assert_true(nfs4c_cb_get(&sa, OP_CB_RECALL, 0, &rec));
	assert_int_equal(rec.fhlen, oa.fhlen);
	assert_memory_equal(rec.fh, oa.fh, oa.fhlen);
	/* Still recalled: the OPEN waits, no second recall. */
	assert_int_equal(dl_open(&b, "f-open", BOTH, false).status, NFS4ERR_DELAY);
	assert_int_equal(dl_delegreturn(&a, &oa), NFS4_OK);
	assert_int_equal(dl_delegreturn(&a, &oa), NFS4ERR_BAD_STATEID);
	ob = dl_open(&b, "f-open", BOTH, false);
	assert_int_equal(ob.status, NFS4_OK);
	/* Just recalled: no new delegation on the file for now. */
	assert_int_equal(ob.deleg.type, OPEN_DELEGATE_NONE);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), 1);
	assert_int_equal(nfs4c_cb_count(&sb, OP_CB_RECALL), 0);
	/* The metrics saw two delegations granted (a's, recalled and
	 * returned, and b's read one, still held) and one CB_RECALL answered.
	 * A callback's answer is counted by a callback worker once the reply
	 * reached the server, in no order with the requests after it on the
	 * fore channel: the scrape waits for it (5 s at most). */
	const char *recall_ok = "ferry_callbacks_total{op=\"recall\",result=\"ok\"}";
	char *after = NULL;
	for (int tries = 0; tries < 100; tries++) {
		free(after);
		after = ctlt_scrape(&server);
		if (ctlt_metric(after, recall_ok) - ctlt_metric(before, recall_ok) >= 1)
			break;
		usleep(50 * 1000);
	}
	assert_int_equal(ctlt_metric(after, "ferry_delegations_granted_total") -
				 ctlt_metric(before, "ferry_delegations_granted_total"),
			 2);
	assert_int_equal(ctlt_metric(after, "ferry_delegations_recalled_total") -
				 ctlt_metric(before, "ferry_delegations_recalled_total"),
			 1);
	assert_int_equal(ctlt_metric(after, "ferry_delegations_active") -
				 ctlt_metric(before, "ferry_delegations_active"),
			 1);
	assert_int_equal(ctlt_metric(after, recall_ok) - ctlt_metric(before, recall_ok), 1);
	assert_true(ctlt_metric(after, "ferry_callback_duration_seconds_count{op=\"recall\"}") >=
		    1);
	free(before);
	free(after);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* The WANT bits of v4.1: the reasons for no delegation. */
static void test_want_flags(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "dl-want", 903);
	struct dl_open o = dl_open(&a, "f-want", RD | OPEN4_SHARE_ACCESS_WANT_NO_DELEG, true);
	assert_int_equal(o.status, NFS4_OK);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_NONE_EXT);
	assert_int_equal(o.deleg.why, WND4_NOT_WANTED);
	o = dl_open(&a, "f-want", RD | OPEN4_SHARE_ACCESS_WANT_CANCEL, false);
	assert_int_equal(o.status, NFS4_OK);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_NONE_EXT);
	assert_int_equal(o.deleg.why, WND4_CANCELLED);
	/* A read delegation cannot cover a write open. */
	o = dl_open(&a, "f-want", BOTH | OPEN4_SHARE_ACCESS_WANT_READ_DELEG, false);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_NONE_EXT);
	assert_int_equal(o.deleg.why, WND4_CONTENTION);
	o = dl_open(&a, "f-want", BOTH | OPEN4_SHARE_ACCESS_WANT_WRITE_DELEG, false);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_WRITE);
	assert_int_equal(o.deleg.space_limit.limitby, NFS_LIMIT_SIZE);
	assert_int_equal(dl_delegreturn(&a, &o), NFS4_OK);
	dl_client_end(&a, &sa);
}

static void add_want_delegation(struct nfs4c_call *m, const void *arg)
{
	struct nfs4_want_delegation_args w = {.want = *(const uint32_t *)arg, .claim = CLAIM_FH};
	NFS4C_OP(m, OP_WANT_DELEGATION, nfs4_enc_want_delegation_args, &w);
}

/* WANT_DELEGATION (RFC 8881 18.49): a delegation without an OPEN. */
static void test_want_delegation(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "dl-wantdeleg", 910);
	struct dl_open o = dl_open(&a, "f-wantdeleg", RD | OPEN4_SHARE_ACCESS_WANT_NO_DELEG, true);
	assert_int_equal(o.status, NFS4_OK);
	uint32_t want = OPEN4_SHARE_ACCESS_WANT_READ_DELEG;
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&a, &m, 0, false);
	nfs4c_putfh(&m, o.fh, o.fhlen);
	add_want_delegation(&m, &want);
	nfs4c_send(a.fd, a.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_WANT_DELEGATION), NFS4_OK);
	struct nfs4_want_delegation_res r;
	assert_true(nfs4_dec_want_delegation_res(&p.d, &r));
	nfs4c_done(&p);
	assert_int_equal(r.deleg.type, OPEN_DELEGATE_READ);
	o.deleg = r.deleg;
	assert_int_equal(dl_delegreturn(&a, &o), NFS4_OK);
	/* A directory: none, and why. */
	nfs4c_begin_seq(&a, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	add_want_delegation(&m, &want);
	nfs4c_send(a.fd, a.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_WANT_DELEGATION), NFS4_OK);
	assert_true(nfs4_dec_want_delegation_res(&p.d, &r));
	nfs4c_done(&p);
	assert_int_equal(r.deleg.type, OPEN_DELEGATE_NONE_EXT);
	assert_int_equal(r.deleg.why, WND4_IS_DIR);
	dl_client_end(&a, &sa);
}

/* --- the conflicting operations ------------------------------------------------------- */

static void add_remove(struct nfs4c_call *m, const void *arg)
{
	NFS4C_OP(m, OP_REMOVE, nfs4_enc_remove_args,
		 &(struct nfs4_name_args){nfs4_opaque_str(arg)});
}

static void add_rename(struct nfs4c_call *m, const void *arg)
{
	const char *const *names = arg;
	nfs4c_op(m, OP_SAVEFH);
	struct nfs4_rename_args r = {nfs4_opaque_str(names[0]), nfs4_opaque_str(names[1])};
	NFS4C_OP(m, OP_RENAME, nfs4_enc_rename_args, &r);
}

/* LINK of the file (arg: its dl_open) into the export as "linked". */
static void add_link(struct nfs4c_call *m, const void *arg)
{
	const struct dl_open *o = arg;
	nfs4c_op(m, OP_SAVEFH);
	nfs4c_putfh(m, o->fh, o->fhlen);
	nfs4c_op(m, OP_SAVEFH);
	nfs4c_putrootfh(m);
	nfs4c_lookup(m, "export");
	NFS4C_OP(m, OP_LINK, nfs4_enc_link_args,
		 &(struct nfs4_link_args){nfs4_opaque_str("linked")});
}

/* SETATTR mode 0600 (no stateid). */
static void add_chmod(struct nfs4c_call *m, const void *arg)
{
	(void)arg;
	static const uint8_t mode[4] = {0, 0, 0x01, 0x80};
	struct nfs4_setattr_args a;
	memset(&a, 0, sizeof(a));
	nfs4_bitmap_set(&a.attrs.mask, FATTR4_MODE);
	a.attrs.vals = (struct nfs4_opaque){mode, sizeof(mode)};
	NFS4C_OP(m, OP_SETATTR, nfs4_enc_setattr_args, &a);
}

/* SETATTR size 0 with the anonymous stateid. */
static void add_truncate(struct nfs4c_call *m, const void *arg)
{
	(void)arg;
	static const uint8_t size[8] = {0};
	struct nfs4_setattr_args a;
	memset(&a, 0, sizeof(a));
	nfs4_bitmap_set(&a.attrs.mask, FATTR4_SIZE);
	a.attrs.vals = (struct nfs4_opaque){size, sizeof(size)};
	NFS4C_OP(m, OP_SETATTR, nfs4_enc_setattr_args, &a);
}

/* WRITE of 5 bytes with the anonymous stateid. */
static void add_write(struct nfs4c_call *m, const void *arg)
{
	(void)arg;
	struct nfs4_write_args w;
	memset(&w, 0, sizeof(w));
	w.stable = FILE_SYNC4;
	w.data = nfs4_opaque_str("hello");
	NFS4C_OP(m, OP_WRITE, nfs4_enc_write_args, &w);
}

/* One conflict: a holds a delegation of type on name, b's operation
 * answers NFS4ERR_DELAY and recalls it, a returns it, b's retry passes. */
static void conflict_case(struct nfs4c_sess *a, struct nfs4c_cb *sa, struct nfs4c_sess *b,
			  const char *name, uint32_t access, bool on_file, uint32_t opnum,
			  dl_op_fn add, const void *arg)
{
	struct dl_open o = dl_open(a, name, access, true);
	assert_int_equal(o.status, NFS4_OK);
	assert_int_equal(o.deleg.type,
			 access == RD ? OPEN_DELEGATE_READ : OPEN_DELEGATE_WRITE);
	unsigned before = nfs4c_cb_count(sa, OP_CB_RECALL);
	const uint8_t *fh = on_file ? o.fh : NULL;
	uint32_t fhlen = on_file ? o.fhlen : 0;
	assert_int_equal(dl_on(b, fh, fhlen, opnum, add, arg ? arg : &o), NFS4ERR_DELAY);
	assert_true(nfs4c_cb_wait(sa, OP_CB_RECALL, before + 1, 5000));
	assert_true(nfs4c_cb_recalled(sa, &o.deleg.stateid));
	assert_int_equal(dl_delegreturn(a, &o), NFS4_OK);
	assert_int_equal(dl_on(b, fh, fhlen, opnum, add, arg ? arg : &o), NFS4_OK);
}

static void test_recall_by_each_conflict(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "dl-conf-a", 904);
	dl_client(&b, &sb, "dl-conf-b", 904); /* one user: b may chmod a's files */
	conflict_case(&a, &sa, &b, "c-remove", RD, false, OP_REMOVE, add_remove, "c-remove");
	static const char *const ren[] = {"c-rename", "c-renamed"};
	conflict_case(&a, &sa, &b, "c-rename", RD, false, OP_RENAME, add_rename, ren);
	/* RENAME over a delegated file recalls it too. */
	assert_int_equal(dl_open(&b, "c-src", RD, true).status, NFS4_OK);
	static const char *const over[] = {"c-src", "c-target"};
	conflict_case(&a, &sa, &b, "c-target", RD, false, OP_RENAME, add_rename, over);
	conflict_case(&a, &sa, &b, "c-link", RD, false, OP_LINK, add_link, NULL);
	conflict_case(&a, &sa, &b, "c-chmod", RD, true, OP_SETATTR, add_chmod, NULL);
	conflict_case(&a, &sa, &b, "c-trunc", RD, true, OP_SETATTR, add_truncate, NULL);
	conflict_case(&a, &sa, &b, "c-write", RD, true, OP_WRITE, add_write, NULL);
	/* A write delegation: even another client's read recalls it. */
	struct nfs4_open_claim fh_claim = {.type = CLAIM_FH};
	struct dl_open o = dl_open(&a, "c-wopen", BOTH, true);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_WRITE);
	/* Counted before the conflict: the recall may arrive at any moment
	 * after it. */
	unsigned recalls = nfs4c_cb_count(&sa, OP_CB_RECALL);
	assert_int_equal(dl_open_claim(&b, NULL, RD, false, &fh_claim, o.fh, o.fhlen).status,
			 NFS4ERR_DELAY);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, recalls + 1, 5000));
	assert_true(nfs4c_cb_recalled(&sa, &o.deleg.stateid));
	/* The holder opens under it (CLAIM_DELEG_CUR_FH) before returning. */
	struct nfs4_open_claim cur = {.type = CLAIM_DELEG_CUR_FH, .delegate_stateid = o.deleg.stateid};
	struct dl_open oc = dl_open_claim(&a, NULL, RD, false, &cur, o.fh, o.fhlen);
	assert_int_equal(oc.status, NFS4_OK);
	assert_int_equal(oc.deleg.type, OPEN_DELEGATE_NONE);
	assert_int_equal(dl_delegreturn(&a, &o), NFS4_OK);
	assert_int_equal(dl_open_claim(&b, NULL, RD, false, &fh_claim, o.fh, o.fhlen).status,
			 NFS4_OK);
	/* The holder's own conflicting operations recall nothing. */
	o = dl_open(&a, "c-own", BOTH, true);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_WRITE);
	unsigned n = nfs4c_cb_count(&sa, OP_CB_RECALL);
	assert_int_equal(dl_on(&a, o.fh, o.fhlen, OP_SETATTR, add_chmod, NULL), NFS4_OK);
	assert_int_equal(dl_on(&a, NULL, 0, OP_REMOVE, add_remove, "c-own"), NFS4_OK);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), n);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* --- CB_GETATTR ----------------------------------------------------------------------- */

/* The holder's answer: change 777, size 12345. */
static uint32_t getattr_answer(struct nfs4c_cb *svc, const struct nfs4c_cb_op *op,
			       struct xdr_enc *res)
{
	(void)svc, (void)op;
	uint8_t vals[16];
	xdr_put_be32(vals, 0);
	xdr_put_be32(vals + 4, 777);
	xdr_put_be32(vals + 8, 0);
	xdr_put_be32(vals + 12, 12345);
	struct nfs4_cb_getattr_res r;
	memset(&r, 0, sizeof(r));
	nfs4_bitmap_set(&r.attrs.mask, FATTR4_CHANGE);
	nfs4_bitmap_set(&r.attrs.mask, FATTR4_SIZE);
	r.attrs.vals = (struct nfs4_opaque){vals, sizeof(vals)};
	return nfs4_enc_cb_getattr_res(res, &r) ? NFS4_OK : NFS4ERR_RESOURCE;
}

static void add_getattr(struct nfs4c_call *m, const void *arg)
{
	(void)arg;
	static const unsigned bits[] = {FATTR4_CHANGE, FATTR4_SIZE};
	nfs4c_getattr(m, bits, 2);
}

/* GETATTR of change and size on o's file by s: its status, and the
 * values when NFS4_OK. */
static uint32_t dl_getattr(struct nfs4c_sess *s, const struct dl_open *o, uint64_t *change,
			   uint64_t *size)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, o->fh, o->fhlen);
	add_getattr(&m, NULL);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t status = nfs4c_next(&p, OP_GETATTR);
	if (status == NFS4_OK) {
		struct nfs4_getattr_res r;
		assert_true(nfs4_dec_getattr_res(&p.d, &r));
		assert_int_equal(r.attrs.vals.len, 16);
		*change = (uint64_t)xdr_get_be32(r.attrs.vals.data) << 32 |
			  xdr_get_be32(r.attrs.vals.data + 4);
		*size = (uint64_t)xdr_get_be32(r.attrs.vals.data + 8) << 32 |
			xdr_get_be32(r.attrs.vals.data + 12);
	}
	nfs4c_done(&p);
	return status;
}

static void test_getattr_asks_the_holder(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "dl-ga-a", 906);
	dl_client(&b, &sb, "dl-ga-b", 907);
	sa.handlers[OP_CB_GETATTR] = getattr_answer;
	struct dl_open o = dl_open(&a, "f-getattr", BOTH, true);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_WRITE);
	/* The holder's own GETATTR asks nobody: the server's values. */
	uint64_t change0, size0, change, size;
	assert_int_equal(dl_getattr(&a, &o, &change0, &size0), NFS4_OK);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_GETATTR), 0);
	/* Another client's one GETATTR waits for the holder's answer and
	 * gets its size, and the change advanced since the holder's change
	 * is not the server's (RFC 8881 10.4.3). */
	assert_int_equal(dl_getattr(&b, &o, &change, &size), NFS4_OK);
	assert_int_equal(size, 12345);
	assert_int_equal(change, change0 + 1);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_GETATTR), 1);
	struct nfs4c_cb_rec rec;
	assert_true(nfs4c_cb_get(&sa, OP_CB_GETATTR, 0, &rec));
	assert_true(nfs4_bitmap_isset(&rec.attr_request, FATTR4_CHANGE));
	assert_true(nfs4_bitmap_isset(&rec.attr_request, FATTR4_SIZE));
	/* Each GETATTR asks again: the holder may write at any time. */
	assert_int_equal(dl_getattr(&b, &o, &change, &size), NFS4_OK);
	assert_int_equal(size, 12345);
	assert_true(nfs4c_cb_count(&sa, OP_CB_GETATTR) >= 2);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), 0);
	assert_int_equal(dl_delegreturn(&a, &o), NFS4_OK);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* --- delegated timestamps (RFC 9754) ------------------------------------------------ */

/* An ATTRS_DELEG holder's answer: change 777, size 12345, atime 1000.5,
 * mtime 2000.7. */
static uint32_t getattr_answer_times(struct nfs4c_cb *svc, const struct nfs4c_cb_op *op,
				     struct xdr_enc *res)
{
	(void)svc, (void)op;
	uint8_t vals[40];
	memset(vals, 0, sizeof(vals));
	xdr_put_be32(vals + 4, 777);
	xdr_put_be32(vals + 12, 12345);
	xdr_put_be32(vals + 20, 1000);
	xdr_put_be32(vals + 24, 5);
	xdr_put_be32(vals + 32, 2000);
	xdr_put_be32(vals + 36, 7);
	struct nfs4_cb_getattr_res r;
	memset(&r, 0, sizeof(r));
	nfs4_bitmap_set(&r.attrs.mask, FATTR4_CHANGE);
	nfs4_bitmap_set(&r.attrs.mask, FATTR4_SIZE);
	nfs4_bitmap_set(&r.attrs.mask, FATTR4_TIME_DELEG_ACCESS);
	nfs4_bitmap_set(&r.attrs.mask, FATTR4_TIME_DELEG_MODIFY);
	r.attrs.vals = (struct nfs4_opaque){vals, sizeof(vals)};
	return nfs4_enc_cb_getattr_res(res, &r) ? NFS4_OK : NFS4ERR_RESOURCE;
}

/* GETATTR of time_access and time_modify on o's file by s: the status and
 * the two seconds. */
static uint32_t dl_getattr_times(struct nfs4c_sess *s, const struct dl_open *o, uint32_t *asec,
				 uint32_t *msec)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	static const unsigned bits[] = {FATTR4_TIME_ACCESS, FATTR4_TIME_MODIFY};
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, o->fh, o->fhlen);
	nfs4c_getattr(&m, bits, 2);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t status = nfs4c_next(&p, OP_GETATTR);
	if (status == NFS4_OK) {
		struct nfs4_getattr_res r;
		assert_true(nfs4_dec_getattr_res(&p.d, &r));
		assert_int_equal(r.attrs.vals.len, 24);
		*asec = xdr_get_be32(r.attrs.vals.data + 4);
		*msec = xdr_get_be32(r.attrs.vals.data + 16);
	}
	nfs4c_done(&p);
	return status;
}

/* SETATTR time_deleg_modify = 3000.0 with the stateid arg. */
static void add_set_deleg_mtime(struct nfs4c_call *m, const void *arg)
{
	static const uint8_t t[12] = {0, 0, 0, 0, 0, 0, 0x0b, 0xb8, 0, 0, 0, 0};
	struct nfs4_setattr_args a;
	memset(&a, 0, sizeof(a));
	a.stateid = *(const struct nfs4_stateid *)arg;
	nfs4_bitmap_set(&a.attrs.mask, FATTR4_TIME_DELEG_MODIFY);
	a.attrs.vals = (struct nfs4_opaque){t, sizeof(t)};
	NFS4C_OP(m, OP_SETATTR, nfs4_enc_setattr_args, &a);
}

static void test_deleg_timestamps(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "dl-ts-a", 910);
	dl_client(&b, &sb, "dl-ts-b", 911);
	sa.handlers[OP_CB_GETATTR] = getattr_answer_times;
	struct dl_open o = dl_open(&a, "f-times", BOTH | OPEN4_SHARE_ACCESS_WANT_DELEG_TIMESTAMPS,
				   true);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_WRITE_ATTRS_DELEG);
	/* Another client sees the holder's times, asked by CB_GETATTR. */
	uint32_t asec = 0, msec = 0;
	assert_int_equal(dl_getattr_times(&b, &o, &asec, &msec), NFS4_OK);
	assert_int_equal(asec, 1000);
	assert_int_equal(msec, 2000);
	struct nfs4c_cb_rec rec;
	assert_true(nfs4c_cb_get(&sa, OP_CB_GETATTR, 0, &rec));
	assert_true(nfs4_bitmap_isset(&rec.attr_request, FATTR4_TIME_DELEG_ACCESS));
	assert_true(nfs4_bitmap_isset(&rec.attr_request, FATTR4_TIME_DELEG_MODIFY));
	/* Only the holder sets the delegated times, with its delegation's
	 * stateid; they become the file's. */
	static const struct nfs4_stateid anon = {0, {0}};
	assert_int_equal(dl_on(&b, o.fh, o.fhlen, OP_SETATTR, add_set_deleg_mtime, &anon),
			 NFS4ERR_INVAL);
	assert_int_equal(dl_on(&b, o.fh, o.fhlen, OP_SETATTR, add_set_deleg_mtime,
			       &o.deleg.stateid),
			 NFS4ERR_INVAL);
	assert_int_equal(dl_on(&a, o.fh, o.fhlen, OP_SETATTR, add_set_deleg_mtime, &anon),
			 NFS4ERR_INVAL);
	assert_int_equal(dl_on(&a, o.fh, o.fhlen, OP_SETATTR, add_set_deleg_mtime,
			       &o.deleg.stateid),
			 NFS4_OK);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), 0);
	assert_int_equal(dl_getattr_times(&a, &o, &asec, &msec), NFS4_OK);
	assert_int_equal(msec, 3000);
	assert_int_equal(dl_delegreturn(&a, &o), NFS4_OK);
	/* A delegation without the wish carries no times: SETATTR refused. */
	o = dl_open(&a, "f-times-plain", BOTH, true);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_WRITE);
	assert_int_equal(dl_on(&a, o.fh, o.fhlen, OP_SETATTR, add_set_deleg_mtime,
			       &o.deleg.stateid),
			 NFS4ERR_INVAL);
	assert_int_equal(dl_delegreturn(&a, &o), NFS4_OK);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* A holder without delegated timestamps that answers CB_GETATTR with them
 * anyway: it was not asked for them and does not own the file's times, so
 * another client sees the server's. */
static void test_getattr_unasked_times(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "dl-tu-a", 912);
	dl_client(&b, &sb, "dl-tu-b", 913);
	sa.handlers[OP_CB_GETATTR] = getattr_answer_times;
	struct dl_open o = dl_open(&a, "f-times-unasked", BOTH, true);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_WRITE);
	uint32_t asec = 0, msec = 0;
	assert_int_equal(dl_getattr_times(&b, &o, &asec, &msec), NFS4_OK);
	struct nfs4c_cb_rec rec;
	assert_true(nfs4c_cb_get(&sa, OP_CB_GETATTR, 0, &rec));
	assert_false(nfs4_bitmap_isset(&rec.attr_request, FATTR4_TIME_DELEG_ACCESS));
	assert_int_not_equal(asec, 1000);
	assert_int_not_equal(msec, 2000);
	assert_int_equal(dl_delegreturn(&a, &o), NFS4_OK);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* A holder that does not answer CB_GETATTR: the GETATTR gets
 * NFS4ERR_DELAY after a short wait, and the delegation is recalled. */
static void test_getattr_silent_holder(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "dl-gs-a", 908);
	dl_client(&b, &sb, "dl-gs-b", 909);
	struct dl_open o = dl_open(&a, "f-getattr-silent", BOTH, true);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_WRITE);
	sa.silent = true;
	uint64_t change, size;
	uint64_t t0 = dl_now_ms();
	assert_int_equal(dl_getattr(&b, &o, &change, &size), NFS4ERR_DELAY);
	uint64_t took = dl_now_ms() - t0;
	assert_true(took >= 150);
	assert_true(took < 2000);
	assert_true(nfs4c_cb_count(&sa, OP_CB_GETATTR) >= 1);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 1, 5000));
	/* Recalled now: no more waiting, DELAY at once. */
	t0 = dl_now_ms();
	assert_int_equal(dl_getattr(&b, &o, &change, &size), NFS4ERR_DELAY);
	assert_true(dl_now_ms() - t0 < 180);
	sa.silent = false;
	assert_int_equal(dl_delegreturn(&a, &o), NFS4_OK);
	assert_int_equal(dl_getattr(&b, &o, &change, &size), NFS4_OK);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* --- revocation ----------------------------------------------------------------------- */

static void add_read_with(struct nfs4c_call *m, const void *arg)
{
	struct nfs4_read_args r = {.stateid = *(const struct nfs4_stateid *)arg, .count = 10};
	NFS4C_OP(m, OP_READ, nfs4_enc_read_args, &r);
}

static void test_unanswered_recall_revokes(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "dl-rev-a", 908);
	dl_client(&b, &sb, "dl-rev-b", 909);
	struct dl_open o = dl_open(&a, "f-revoke", RD, true);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_READ);
	/* The holder's back channel goes deaf. */
	pthread_mutex_lock(&sa.lock);
	sa.silent = true;
	pthread_mutex_unlock(&sa.lock);
	assert_int_equal(dl_open(&b, "f-revoke", BOTH, false).status, NFS4ERR_DELAY);
	/* Every retry fails: revoked, and the OPEN goes through. */
	struct dl_open ob;
	uint64_t end = dl_now_ms() + 20000;
	while ((ob = dl_open(&b, "f-revoke", BOTH, false)).status == NFS4ERR_DELAY &&
	       dl_now_ms() < end)
		usleep(100 * 1000);
	assert_int_equal(ob.status, NFS4_OK);
	pthread_mutex_lock(&sa.lock);
	sa.silent = false;
	pthread_mutex_unlock(&sa.lock);
	uint32_t flags = nfs4c_ping(&a);
	assert_true(flags & SEQ4_STATUS_RECALLABLE_STATE_REVOKED);
	assert_int_equal(dl_on(&a, o.fh, o.fhlen, OP_READ, add_read_with, &o.deleg.stateid),
			 NFS4ERR_DELEG_REVOKED);
	assert_int_equal(dl_test_stateid(&a, &o.deleg.stateid), NFS4ERR_DELEG_REVOKED);
	/* FREE_STATEID acknowledges the revocation: the flag goes. */
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&a, &m, 0, false);
	add_free_stateid(&m, &o.deleg.stateid);
	nfs4c_send(a.fd, a.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_FREE_STATEID), NFS4_OK);
	nfs4c_done(&p);
	assert_int_equal(nfs4c_ping(&a) & SEQ4_STATUS_RECALLABLE_STATE_REVOKED, 0);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_delegation_recalled_by_open),
		cmocka_unit_test(test_want_flags),
		cmocka_unit_test(test_want_delegation),
		cmocka_unit_test(test_recall_by_each_conflict),
		cmocka_unit_test(test_getattr_asks_the_holder),
		cmocka_unit_test(test_getattr_silent_holder),
		cmocka_unit_test(test_deleg_timestamps),
		cmocka_unit_test(test_getattr_unasked_times),
		cmocka_unit_test(test_unanswered_recall_revokes),
	};
	return cmocka_run_group_tests(tests, dl_setup, dl_teardown);
}
