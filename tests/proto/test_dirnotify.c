/* CB_NOTIFY for directory delegations (RFC 8881 20.4): a holder that
 * asked for entry notifications is told of additions, removals and
 * renames (within the directory, out of it and into it) instead of being
 * recalled, exactly those changes in order, gathered over the window into
 * one CB_NOTIFY; its own changes too (10.9.2); one that falls too far
 * behind is recalled, one that never answers is revoked. */
#include "lib/ctl_test.h"
#include "proto/dirdeleg_fixture.h"

static const uint32_t ENTRIES =
	(1u << NOTIFY4_ADD_ENTRY) | (1u << NOTIFY4_REMOVE_ENTRY) | (1u << NOTIFY4_RENAME_ENTRY);

/* A window long enough for a test's burst of changes to fall in one. */
static int setup(void **st)
{
	(void)st;
	return dl_setup_with("dir_notify_window_ms = 400\ndir_notify_max_changes = 8\n");
}

static double metric_delta(const char *before, const char *after, const char *series)
{
	return ctlt_metric(after, series) - ctlt_metric(before, series);
}

/* GET_DIR_DELEGATION asking the entry types and, for new entries, the type
 * and fileid attributes. */
static struct nfs4_stateid grant_entries(struct nfs4c_sess *s, const struct dd_fh *dir)
{
	struct nfs4_bitmap child;
	memset(&child, 0, sizeof(child));
	nfs4_bitmap_set(&child, FATTR4_TYPE);
	nfs4_bitmap_set(&child, FATTR4_FILEID);
	struct nfs4_get_dir_delegation_res r;
	uint32_t ask = ENTRIES | (1u << NOTIFY4_CHANGE_COOKIE_VERIFIER);
	assert_int_equal(dd_get_full(s, dir, ask, &child, NULL, 0, &r), NFS4_OK);
	assert_int_equal(r.status, GDD4_OK);
	assert_int_equal(r.notification.w[0], ask);
	/* Nothing asked of child or directory attributes notifications. */
	assert_int_equal(r.child_attributes.w[0] | r.child_attributes.w[1], 0);
	assert_int_equal(r.dir_attributes.w[0] | r.dir_attributes.w[1], 0);
	return r.stateid;
}

static void expect(const struct dd_note *n, unsigned call, uint32_t kind, const char *name,
		   const char *new_name, const struct nfs4_stateid *sid)
{
	assert_int_equal(n->call, call);
	assert_int_equal(n->kind, kind);
	assert_string_equal(n->name, name);
	if (new_name)
		assert_string_equal(n->new_name, new_name);
	assert_memory_equal(n->stateid.other, sid->other, NFS4_OTHER_SIZE);
}

/* An added entry's attributes: type (NF4LNK) and a fileid, as asked. */
static void expect_link_attrs(const struct dd_note *n)
{
	assert_true(nfs4_bitmap_isset(&n->attr_mask, FATTR4_TYPE));
	assert_true(nfs4_bitmap_isset(&n->attr_mask, FATTR4_FILEID));
	assert_int_equal(n->attr_len, 4 + 8);
	uint32_t type = (uint32_t)n->attr_vals[0] << 24 | (uint32_t)n->attr_vals[1] << 16 |
			(uint32_t)n->attr_vals[2] << 8 | n->attr_vals[3];
	assert_int_equal(type, NF4LNK);
}

static void test_changes_in_order(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	struct dd_log log;
	dl_client(&a, &sa, "dn-order-a", 2001);
	dl_client(&b, &sb, "dn-order-b", 2002);
	dd_log_attach(&sa, &log);
	struct dd_fh dir = dd_mkdir(&b, "n-order"), other = dd_mkdir(&b, "n-other");
	assert_int_equal(dd_on(&b, &other, OP_CREATE, dd_add_create_file, "visitor"), NFS4_OK);
	char *before = ctlt_scrape(&server);
	struct nfs4_stateid sid = grant_entries(&a, &dir);

	/* One burst: none of it waits (no NFS4ERR_DELAY), all of it comes
	 * in one CB_NOTIFY, in order. */
	static const char *const f12[] = {"f1", "f2"};
	struct dd_move in = {"visitor", "guest", &dir};
	assert_int_equal(dd_on(&b, &dir, OP_CREATE, dd_add_create_file, "f1"), NFS4_OK);
	assert_int_equal(dd_on(&b, &dir, OP_RENAME, dd_add_rename, f12), NFS4_OK);
	assert_int_equal(dd_on(&b, &other, OP_RENAME, dd_add_move, &in), NFS4_OK);
	assert_int_equal(dd_on(&b, &dir, OP_REMOVE, dd_add_remove, "f2"), NFS4_OK);
	struct dd_move out = {"guest", "gone", &other};
	assert_int_equal(dd_on(&b, &dir, OP_RENAME, dd_add_move, &out), NFS4_OK);
	struct dd_note got[DD_NOTES_MAX];
	assert_int_equal(dd_log_wait(&log, 5, 3000, got), 5);
	expect(&got[0], 0, NOTIFY4_ADD_ENTRY, "f1", NULL, &sid);
	expect_link_attrs(&got[0]);
	expect(&got[1], 0, NOTIFY4_RENAME_ENTRY, "f1", "f2", &sid);
	expect_link_attrs(&got[1]);
	expect(&got[2], 0, NOTIFY4_ADD_ENTRY, "guest", NULL, &sid);
	expect_link_attrs(&got[2]);
	expect(&got[3], 0, NOTIFY4_REMOVE_ENTRY, "f2", NULL, &sid);
	expect(&got[4], 0, NOTIFY4_REMOVE_ENTRY, "guest", NULL, &sid);
	/* No entry was renamed over. */
	for (unsigned i = 0; i < 5; i++)
		assert_string_equal(got[i].replaced, "");

	/* The holder's own change: told too, never recalled. */
	assert_int_equal(dd_on(&a, &dir, OP_CREATE, dd_add_create_file, "mine"), NFS4_OK);
	assert_int_equal(dd_log_wait(&log, 6, 3000, got), 6);
	expect(&got[5], 1, NOTIFY4_ADD_ENTRY, "mine", NULL, &sid);
	/* A moment later nothing more came: exactly those changes. */
	usleep(600 * 1000);
	assert_int_equal(dd_log_wait(&log, 7, 0, got), 6);
	assert_false(log.bad);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), 0);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_NOTIFY), 2);

	char *after = ctlt_scrape(&server);
	assert_int_equal(metric_delta(before, after, "ferry_dir_notify_changes_count"), 2);
	assert_int_equal(metric_delta(before, after, "ferry_dir_notify_changes_sum"), 6);
	assert_int_equal(
		metric_delta(before, after, "ferry_callbacks_total{op=\"notify\",result=\"ok\"}"), 2);
	assert_int_equal(metric_delta(before, after, "ferry_dir_delegations_recalled_total"), 0);
	free(before);
	free(after);
	assert_int_equal(dd_return(&a, &dir, &sid), NFS4_OK);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* A rename over an existing entry names the entry that went
 * (nad_old_entry, RFC 8881 20.4): within the directory in the
 * RENAME_ENTRY's new entry, from another directory in the ADD_ENTRY. */
static void test_rename_over(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	struct dd_log log;
	dl_client(&a, &sa, "dn-onto-a", 2081);
	dl_client(&b, &sb, "dn-onto-b", 2082);
	dd_log_attach(&sa, &log);
	struct dd_fh dir = dd_mkdir(&b, "n-over"), other = dd_mkdir(&b, "n-over-other");
	static const char *const names[] = {"src", "victim", "second"};
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(dd_on(&b, &dir, OP_CREATE, dd_add_create_file, names[i]), NFS4_OK);
	assert_int_equal(dd_on(&b, &other, OP_CREATE, dd_add_create_file, "incoming"), NFS4_OK);
	struct nfs4_stateid sid = grant_entries(&a, &dir);

	static const char *const over[] = {"src", "victim"};
	assert_int_equal(dd_on(&b, &dir, OP_RENAME, dd_add_rename, over), NFS4_OK);
	struct dd_move in = {"incoming", "second", &dir};
	assert_int_equal(dd_on(&b, &other, OP_RENAME, dd_add_move, &in), NFS4_OK);
	struct dd_note got[DD_NOTES_MAX];
	assert_int_equal(dd_log_wait(&log, 2, 3000, got), 2);
	expect(&got[0], 0, NOTIFY4_RENAME_ENTRY, "src", "victim", &sid);
	assert_string_equal(got[0].replaced, "victim");
	expect(&got[1], 0, NOTIFY4_ADD_ENTRY, "second", NULL, &sid);
	assert_string_equal(got[1].replaced, "second");
	expect_link_attrs(&got[1]);
	/* A rename onto itself changes nothing and tells nothing. */
	static const char *const same[] = {"victim", "victim"};
	assert_int_equal(dd_on(&b, &dir, OP_RENAME, dd_add_rename, same), NFS4_OK);
	usleep(600 * 1000);
	assert_int_equal(dd_log_wait(&log, 3, 0, got), 2);
	assert_false(log.bad);
	assert_int_equal(dd_return(&a, &dir, &sid), NFS4_OK);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* More changes in one window than the server keeps for a holder: it is
 * recalled rather than told part of them, and the next change waits for
 * the delegation to come back. */
static void test_overflow_recalls(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	struct dd_log log;
	dl_client(&a, &sa, "dn-over-a", 2011);
	dl_client(&b, &sb, "dn-over-b", 2012);
	dd_log_attach(&sa, &log);
	struct dd_fh dir = dd_mkdir(&b, "n-overflow");
	char *before = ctlt_scrape(&server);
	struct nfs4_stateid sid = grant_entries(&a, &dir);
	char name[16];
	for (int i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "e%d", i);
		assert_int_equal(dd_on(&b, &dir, OP_CREATE, dd_add_create_file, name), NFS4_OK);
	}
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 1, 5000));
	assert_true(nfs4c_cb_recalled(&sa, &sid));
	assert_int_equal(dd_on(&b, &dir, OP_CREATE, dd_add_create_file, "e9"), NFS4ERR_DELAY);
	assert_int_equal(dd_return(&a, &dir, &sid), NFS4_OK);
	assert_int_equal(dd_on(&b, &dir, OP_CREATE, dd_add_create_file, "e9"), NFS4_OK);
	/* Nothing half told: no notification came for that delegation. */
	usleep(600 * 1000);
	struct dd_note got[DD_NOTES_MAX];
	assert_int_equal(dd_log_wait(&log, 1, 0, got), 0);
	char *after = ctlt_scrape(&server);
	assert_int_equal(metric_delta(before, after, "ferry_dir_delegation_overflows_total"), 1);
	assert_int_equal(metric_delta(before, after, "ferry_dir_delegations_recalled_total"), 1);
	free(before);
	free(after);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* A holder whose back channel never answers the CB_NOTIFY is revoked
 * (the change itself never waited), and learns it from SEQUENCE. */
static void test_silent_holder_revoked(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "dn-silent-a", 2021);
	dl_client(&b, &sb, "dn-silent-b", 2022);
	struct dd_fh dir = dd_mkdir(&b, "n-silent");
	char *before = ctlt_scrape(&server);
	struct nfs4_stateid sid = grant_entries(&a, &dir);
	pthread_mutex_lock(&sa.lock);
	sa.silent = true;
	pthread_mutex_unlock(&sa.lock);
	assert_int_equal(dd_on(&b, &dir, OP_CREATE, dd_add_create_file, "x"), NFS4_OK);
	char *after = NULL;
	uint64_t end = dl_now_ms() + 20000;
	for (;;) {
		after = ctlt_scrape(&server);
		if (metric_delta(before, after, "ferry_dir_delegations_revoked_total") >= 1 ||
		    dl_now_ms() > end)
			break;
		free(after);
		usleep(200 * 1000);
	}
	assert_int_equal(metric_delta(before, after, "ferry_dir_delegations_revoked_total"), 1);
	assert_true(metric_delta(before, after,
				 "ferry_callbacks_total{op=\"notify\",result=\"failed\"}") >= 1);
	pthread_mutex_lock(&sa.lock);
	sa.silent = false;
	pthread_mutex_unlock(&sa.lock);
	assert_true(nfs4c_ping(&a) & SEQ4_STATUS_RECALLABLE_STATE_REVOKED);
	assert_int_equal(dd_return(&a, &dir, &sid), NFS4ERR_DELEG_REVOKED);
	free(before);
	free(after);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* A holder that answers a CB_NOTIFY with an error may have missed the
 * changes: it is recalled. */
static void test_error_answer_recalls(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	struct dd_log log;
	dl_client(&a, &sa, "dn-err-a", 2031);
	dl_client(&b, &sb, "dn-err-b", 2032);
	dd_log_attach(&sa, &log);
	log.answer = NFS4ERR_SERVERFAULT;
	struct dd_fh dir = dd_mkdir(&b, "n-error");
	struct nfs4_stateid sid = grant_entries(&a, &dir);
	assert_int_equal(dd_on(&b, &dir, OP_CREATE, dd_add_create_file, "y"), NFS4_OK);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 1, 5000));
	assert_true(nfs4c_cb_recalled(&sa, &sid));
	assert_int_equal(dd_return(&a, &dir, &sid), NFS4_OK);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* --- attributes -------------------------------------------------------------------- */

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* GET_DIR_DELEGATION for attribute notifications: child mode, directory
 * change and mode, the delay asked. */
static struct nfs4_stateid grant_attrs(struct nfs4c_sess *s, const struct dd_fh *dir,
				       uint32_t delay_ms)
{
	struct nfs4_bitmap child, dattr;
	memset(&child, 0, sizeof(child));
	memset(&dattr, 0, sizeof(dattr));
	nfs4_bitmap_set(&child, FATTR4_MODE);
	nfs4_bitmap_set(&dattr, FATTR4_CHANGE);
	nfs4_bitmap_set(&dattr, FATTR4_MODE);
	/* An attribute Ferry does not have is left out of what it grants. */
	nfs4_bitmap_set(&dattr, FATTR4_ACL);
	uint32_t ask = ENTRIES | (1u << NOTIFY4_CHANGE_CHILD_ATTRS) |
		       (1u << NOTIFY4_CHANGE_DIR_ATTRS);
	struct nfs4_get_dir_delegation_res r;
	assert_int_equal(dd_get_full(s, dir, ask, &child, &dattr, delay_ms, &r), NFS4_OK);
	assert_int_equal(r.status, GDD4_OK);
	assert_int_equal(r.notification.w[0], ask);
	assert_true(nfs4_bitmap_isset(&r.child_attributes, FATTR4_MODE));
	assert_true(nfs4_bitmap_isset(&r.dir_attributes, FATTR4_CHANGE));
	assert_true(nfs4_bitmap_isset(&r.dir_attributes, FATTR4_MODE));
	assert_false(nfs4_bitmap_isset(&r.dir_attributes, FATTR4_ACL));
	return r.stateid;
}

/* Child and directory attribute changes come with the attributes asked;
 * two changes of one child within the delay come as one with the latest
 * values; an entry change is followed by the directory's new change
 * attribute. */
static void test_attribute_changes(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	struct dd_log log;
	dl_client(&a, &sa, "dn-attr-a", 2041);
	dl_client(&b, &sb, "dn-attr-b", 2042);
	dd_log_attach(&sa, &log);
	struct dd_fh dir = dd_mkdir(&b, "n-attrs");
	struct dl_open c1 = dl_open_claim(&b, "c1", OPEN4_SHARE_ACCESS_READ, true, NULL, dir.fh,
					  dir.len);
	assert_int_equal(c1.status, NFS4_OK);
	struct dd_fh c1fh = {.len = c1.fhlen};
	memcpy(c1fh.fh, c1.fh, c1.fhlen);
	if (c1.deleg.type != OPEN_DELEGATE_NONE)
		assert_int_equal(dl_delegreturn(&b, &c1), NFS4_OK);
	struct nfs4_stateid sid = grant_attrs(&a, &dir, 0);

	static const uint32_t m600 = 0600, m640 = 0640, m750 = 0750;
	assert_int_equal(dd_on(&b, &c1fh, OP_SETATTR, dd_add_chmod, &m600), NFS4_OK);
	assert_int_equal(dd_on(&b, &c1fh, OP_SETATTR, dd_add_chmod, &m640), NFS4_OK);
	assert_int_equal(dd_on(&b, &dir, OP_SETATTR, dd_add_chmod, &m750), NFS4_OK);
	struct dd_note got[DD_NOTES_MAX];
	assert_int_equal(dd_log_wait(&log, 2, 3000, got), 2);
	expect(&got[0], 0, NOTIFY4_CHANGE_CHILD_ATTRS, "c1", NULL, &sid);
	assert_true(nfs4_bitmap_isset(&got[0].attr_mask, FATTR4_MODE));
	assert_int_equal(got[0].attr_len, 4);
	assert_int_equal(be32_at(got[0].attr_vals), 0640);
	expect(&got[1], 0, NOTIFY4_CHANGE_DIR_ATTRS, "", NULL, &sid);
	assert_int_equal(got[1].attr_len, 8 + 4);
	assert_int_equal(be32_at(got[1].attr_vals + 8), 0750);
	uint64_t change1 = (uint64_t)be32_at(got[1].attr_vals) << 32 | be32_at(got[1].attr_vals + 4);

	/* An entry added: the entry, then the directory's new change. */
	assert_int_equal(dd_on(&b, &dir, OP_CREATE, dd_add_create_file, "c2"), NFS4_OK);
	assert_int_equal(dd_log_wait(&log, 4, 3000, got), 4);
	expect(&got[2], 1, NOTIFY4_ADD_ENTRY, "c2", NULL, &sid);
	expect(&got[3], 1, NOTIFY4_CHANGE_DIR_ATTRS, "", NULL, &sid);
	uint64_t change2 = (uint64_t)be32_at(got[3].attr_vals) << 32 | be32_at(got[3].attr_vals + 4);
	assert_true(change2 != change1);
	usleep(600 * 1000);
	assert_int_equal(dd_log_wait(&log, 5, 0, got), 4);
	assert_false(log.bad);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), 0);
	assert_int_equal(dd_return(&a, &dir, &sid), NFS4_OK);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* The attribute delay a holder asks is honoured within the server's
 * bounds: never sooner than the window (400 ms here), never later than
 * dir_attr_delay_max_ms (1000 by default). */
static void test_attribute_delays(void **st)
{
	(void)st;
	struct nfs4c_sess a, b, c;
	struct nfs4c_cb sa, sb, sc;
	struct dd_log la, lc;
	dl_client(&a, &sa, "dn-delay-a", 2051);
	dl_client(&b, &sb, "dn-delay-b", 2052);
	dl_client(&c, &sc, "dn-delay-c", 2053);
	dd_log_attach(&sa, &la);
	dd_log_attach(&sc, &lc);
	struct dd_fh dir = dd_mkdir(&b, "n-delay");
	struct nfs4_stateid slow = grant_attrs(&a, &dir, 900);
	struct nfs4_stateid capped = grant_attrs(&c, &dir, 60000);
	static const uint32_t m700 = 0700;
	uint64_t t0 = dl_now_ms();
	assert_int_equal(dd_on(&b, &dir, OP_SETATTR, dd_add_chmod, &m700), NFS4_OK);
	struct dd_note got[DD_NOTES_MAX];
	assert_int_equal(dd_log_wait(&la, 1, 5000, got), 1);
	uint64_t ta = dl_now_ms() - t0;
	expect(&got[0], 0, NOTIFY4_CHANGE_DIR_ATTRS, "", NULL, &slow);
	assert_int_equal(dd_log_wait(&lc, 1, 5000, got), 1);
	uint64_t tc = dl_now_ms() - t0;
	expect(&got[0], 0, NOTIFY4_CHANGE_DIR_ATTRS, "", NULL, &capped);
	assert_true(ta >= 850);
	assert_true(tc >= 950 && tc < 3000);
	assert_int_equal(dd_return(&a, &dir, &slow), NFS4_OK);
	assert_int_equal(dd_return(&c, &dir, &capped), NFS4_OK);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
	dl_client_end(&c, &sc);
}

static void add_write_at(struct nfs4c_call *m, const void *arg)
{
	const uint64_t *offset = arg;
	struct nfs4_write_args w;
	memset(&w, 0, sizeof(w)); /* the anonymous stateid */
	w.offset = *offset;
	w.stable = FILE_SYNC4;
	w.data = nfs4_opaque_str(*offset ? "abc" : "hello");
	NFS4C_OP(m, OP_WRITE, nfs4_enc_write_args, &w);
}

static uint64_t be64_at(const uint8_t *p)
{
	return (uint64_t)be32_at(p) << 32 | be32_at(p + 4);
}

/* WRITE moves an entry's size: a holder told of child attributes learns
 * it, under the entry's name as it is now (the entries of the directory
 * are known from when the delegation was granted, then followed). */
static void test_write_told(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	struct dd_log log;
	dl_client(&a, &sa, "dn-write-a", 2071);
	dl_client(&b, &sb, "dn-write-b", 2072);
	dd_log_attach(&sa, &log);
	struct dd_fh dir = dd_mkdir(&b, "n-write");
	struct dl_open w = dl_open_claim(&b, "w1", OPEN4_SHARE_ACCESS_BOTH, true, NULL, dir.fh,
					 dir.len);
	assert_int_equal(w.status, NFS4_OK);
	if (w.deleg.type != OPEN_DELEGATE_NONE)
		assert_int_equal(dl_delegreturn(&b, &w), NFS4_OK);
	struct dd_fh wfh = {.len = w.fhlen};
	memcpy(wfh.fh, w.fh, w.fhlen);
	struct nfs4_bitmap child;
	memset(&child, 0, sizeof(child));
	nfs4_bitmap_set(&child, FATTR4_SIZE);
	uint32_t ask = ENTRIES | (1u << NOTIFY4_CHANGE_CHILD_ATTRS);
	struct nfs4_get_dir_delegation_res r;
	assert_int_equal(dd_get_full(&a, &dir, ask, &child, NULL, 0, &r), NFS4_OK);
	assert_int_equal(r.status, GDD4_OK);
	assert_int_equal(r.notification.w[0], ask);
	struct nfs4_stateid sid = r.stateid;

	static const uint64_t at0 = 0, at5 = 5;
	assert_int_equal(dd_on(&b, &wfh, OP_WRITE, add_write_at, &at0), NFS4_OK);
	struct dd_note got[DD_NOTES_MAX];
	assert_int_equal(dd_log_wait(&log, 1, 3000, got), 1);
	expect(&got[0], 0, NOTIFY4_CHANGE_CHILD_ATTRS, "w1", NULL, &sid);
	assert_int_equal(got[0].attr_len, 8);
	assert_int_equal(be64_at(got[0].attr_vals), 5);

	static const char *const w12[] = {"w1", "w2"};
	assert_int_equal(dd_on(&b, &dir, OP_RENAME, dd_add_rename, w12), NFS4_OK);
	assert_int_equal(dd_on(&b, &wfh, OP_WRITE, add_write_at, &at5), NFS4_OK);
	assert_int_equal(dd_log_wait(&log, 3, 3000, got), 3);
	expect(&got[1], 1, NOTIFY4_RENAME_ENTRY, "w1", "w2", &sid);
	expect(&got[2], 1, NOTIFY4_CHANGE_CHILD_ATTRS, "w2", NULL, &sid);
	assert_int_equal(be64_at(got[2].attr_vals), 8);
	usleep(600 * 1000);
	assert_int_equal(dd_log_wait(&log, 4, 0, got), 3);
	assert_false(log.bad);
	assert_int_equal(dd_return(&a, &dir, &sid), NFS4_OK);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* An NFSv4.0 client (no session: never a holder) changes the directory:
 * the holder told of additions is told, the recall-only one is recalled
 * and the change waits for it. */
static void test_v40_change(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb, sc;
	struct dd_log log;
	dl_client(&a, &sa, "dn-v40-a", 2061);
	dl_client(&b, &sb, "dn-v40-b", 2062);
	dd_log_attach(&sa, &log);
	struct dd_fh root = dd_export_fh(&a);
	struct nfs4_stateid told = grant_entries(&a, &root);
	struct nfs4_stateid recalled = dd_grant(&b, &root, 0);
	struct nfs4c_client40 c;
	struct nfs4c_cb_listener lc;
	nfs4c_cb_init(&sc, NFS4C_CB_PROGRAM);
	assert_int_equal(nfs4c_cb_listen(&lc, &sc), 0);
	c.fd = nfs4c_connect(server.hostport);
	assert_int_equal(nfs4c_setclientid(&c, c.fd, nfs4c_cred(2063), "dn-v40-c",
					   NFS4C_CB_PROGRAM, "tcp", lc.uaddr, 1),
			 NFS4_OK);
	uint32_t seq = 1;
	struct nfs4c_open40 o;
	assert_int_equal(nfs4c_open40(&c, "o40", &seq, "export", "from-v40",
				      OPEN4_SHARE_ACCESS_READ, true, &o),
			 NFS4ERR_DELAY);
	assert_true(nfs4c_cb_wait(&sb, OP_CB_RECALL, 1, 5000));
	assert_true(nfs4c_cb_recalled(&sb, &recalled));
	assert_int_equal(dd_return(&b, &root, &recalled), NFS4_OK);
	assert_int_equal(nfs4c_open40(&c, "o40", &seq, "export", "from-v40",
				      OPEN4_SHARE_ACCESS_READ, true, &o),
			 NFS4_OK);
	struct dd_note got[DD_NOTES_MAX];
	assert_int_equal(dd_log_wait(&log, 1, 3000, got), 1);
	expect(&got[0], 0, NOTIFY4_ADD_ENTRY, "from-v40", NULL, &told);
	usleep(600 * 1000);
	assert_int_equal(dd_log_wait(&log, 2, 0, got), 1);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), 0);
	assert_int_equal(dd_return(&a, &root, &told), NFS4_OK);
	nfs4c_close(c.fd);
	nfs4c_cb_listen_stop(&lc);
	nfs4c_cb_destroy(&sc);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changes_in_order),
		cmocka_unit_test(test_rename_over),
		cmocka_unit_test(test_overflow_recalls),
		cmocka_unit_test(test_silent_holder_revoked),
		cmocka_unit_test(test_error_answer_recalls),
		cmocka_unit_test(test_attribute_changes),
		cmocka_unit_test(test_attribute_delays),
		cmocka_unit_test(test_v40_change),
		cmocka_unit_test(test_write_told),
	};
	return cmocka_run_group_tests(tests, setup, dl_teardown);
}
