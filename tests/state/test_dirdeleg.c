/* Directory delegations in the state module: who gets one, which changes
 * recall it and from whom, the batches of notifications (order, the
 * window, one CB_NOTIFY at a time, attribute changes superseding each
 * other, the bound of one CB_NOTIFY), how a CB_NOTIFY's end is taken, and
 * the promises of will_signal. */
#include "state_test.h"

#include <errno.h>

#include "state/clients/session_internal.h"
#include "state/deleg/state_dirdeleg.h"

enum { WINDOW_MS = 30, REGRANT_MS = 200, OVERHEAD = 640 };

/* Connections stand for themselves: the state module keeps and compares
 * them, nothing is sent. */
static struct rpc_conn *fake_ref(struct rpc_conn *c) { return c; }
static void fake_unref(struct rpc_conn *c) { (void)c; }
static bool fake_closed(struct rpc_conn *c)
{
	(void)c;
	return false;
}

static struct state_server *dd_new_as(unsigned max_changes, bool carried)
{
	struct state_options o;
	memset(&o, 0, sizeof(o));
	o.conn_ref = fake_ref;
	o.conn_unref = fake_unref;
	o.conn_is_closed = fake_closed;
	o.lease_ms = 10000;
	o.reaper_interval_ms = 20;
	o.deleg.mode = STATE_DELEG_READ_WRITE;
	o.deleg.no_regrant_ms = REGRANT_MS;
	o.deleg.dir = true;
	o.deleg.dir_window_ms = WINDOW_MS;
	o.deleg.dir_max_changes = max_changes;
	o.deleg.dir_attr_delay_max_ms = 300;
	o.carried = carried;
	struct state_server *st = NULL;
	assert_int_equal(state_server_create(&o, &st), 0);
	return st;
}

static struct state_server *dd_new(unsigned max_changes)
{
	return dd_new_as(max_changes, false);
}

static char fake_conn;

/* EXCHANGE_ID + CREATE_SESSION, with a back channel (back_req: its
 * ca_maxrequestsize) or without (0). */
static uint64_t dd_client(struct state_server *st, const char *name, uint32_t back_req)
{
	struct state_principal who = st_who(7);
	struct state_exchange_res er;
	assert_int_equal(state_exchange_id(st, &who, (const uint8_t *)"verifier",
					   (const uint8_t *)name, (uint32_t)strlen(name), 0, 1, &er),
			 NFS4_OK);
	struct state_create_session_args a;
	memset(&a, 0, sizeof(a));
	a.clientid = er.clientid;
	a.sequence = er.sequenceid;
	a.fore = (struct nfs4_chan_attrs){.maxrequestsize = 1 << 20,
					  .maxresponsesize = 1 << 20,
					  .maxresponsesize_cached = 4096,
					  .maxoperations = 16,
					  .maxrequests = 4};
	a.back = (struct nfs4_chan_attrs){.maxrequestsize = back_req ? back_req : 4096,
					  .maxresponsesize = 4096,
					  .maxoperations = 2,
					  .maxrequests = 4};
	if (back_req) {
		a.flags = CREATE_SESSION4_FLAG_CONN_BACK_CHAN;
		a.cb_sec.none = true;
		a.cb_program = 0x40000000;
	}
	a.conn = (struct rpc_conn *)(void *)&fake_conn;
	struct state_create_session_res r;
	struct buf *replay;
	enum nfsstat4 rs;
	assert_int_equal(state_create_session(st, &who, &a, &r, &replay, &rs), NFS4_OK);
	/* Its reply kept, as the NFSv4 layer does: the CREATE_SESSION done. */
	state_create_session_cache(st, er.clientid, a.sequence, NFS4_OK, (const uint8_t *)"r", 1);
	return er.clientid;
}

static struct state_dirdeleg_grant dd_grant(struct state_server *st, uint64_t clientid,
					    const struct state_file_key *dir, uint32_t notify,
					    bool signal)
{
	struct state_dirdeleg_ask a;
	memset(&a, 0, sizeof(a));
	a.notify = notify;
	a.cb_overhead = OVERHEAD;
	a.signal = signal;
	struct state_dirdeleg_grant g;
	state_dirdeleg_grant(st, clientid, dir, &a, &g);
	return g;
}

static const uint32_t ENTRIES =
	(1u << NOTIFY4_ADD_ENTRY) | (1u << NOTIFY4_REMOVE_ENTRY) | (1u << NOTIFY4_RENAME_ENTRY);

/* The CB_RECALLs queued, and whether one names sid. */
static bool dd_recalled(struct state_server *st, const struct nfs4_stateid *sid)
{
	struct state_deleg_cb cbs[16];
	size_t n = state_deleg_take_callbacks(st, cbs, 16);
	bool found = false;
	for (size_t i = 0; i < n; i++)
		found |= cbs[i].opnum == OP_CB_RECALL &&
			 memcmp(cbs[i].stateid.other, sid->other, NFS4_OTHER_SIZE) == 0;
	return found;
}

static void test_grant_policy(void **state)
{
	(void)state;
	struct state_server *st = dd_new(16);
	uint64_t a = dd_client(st, "a", 4096), b = dd_client(st, "b", 4096),
		 n = dd_client(st, "n", 0);
	struct state_file_key d = st_key(1, "dir");
	struct state_dirdeleg_grant g = dd_grant(st, a, &d, ENTRIES, false);
	assert_true(g.granted && g.is_new && g.first);
	assert_int_equal(g.notify, ENTRIES);
	struct state_dirdeleg_grant again = dd_grant(st, a, &d, 0, false);
	assert_true(again.granted && !again.is_new);
	assert_memory_equal(again.stateid.other, g.stateid.other, NFS4_OTHER_SIZE);
	assert_int_equal(again.notify, ENTRIES); /* as first granted */
	struct state_dirdeleg_grant gb = dd_grant(st, b, &d, 0, false);
	assert_true(gb.granted && gb.is_new && !gb.first);
	/* No back channel: none, and no promise (nothing could reach it). */
	struct state_dirdeleg_grant gn = dd_grant(st, n, &d, 0, true);
	assert_false(gn.granted);
	assert_false(gn.will_signal);
	struct state_dirdeleg_stats s;
	state_dirdeleg_get_stats(st, &s);
	assert_int_equal(s.granted, 2);
	assert_int_equal(s.active, 2);
	/* File delegations are counted apart. */
	struct state_deleg_stats fs;
	state_deleg_get_stats(st, &fs);
	assert_int_equal(fs.granted, 0);
	state_server_destroy(st);
}

static void test_break(void **state)
{
	(void)state;
	struct state_server *st = dd_new(16);
	uint64_t a = dd_client(st, "a", 4096), b = dd_client(st, "b", 4096);
	struct state_file_key d = st_key(1, "dir");
	struct state_dirdeleg_grant ga = dd_grant(st, a, &d, 1u << NOTIFY4_ADD_ENTRY, false);
	assert_true(ga.granted);
	/* Told of additions: b's addition waits for nothing. */
	assert_int_equal(state_dirdeleg_break(st, &d, b, 1u << NOTIFY4_ADD_ENTRY), NFS4_OK);
	assert_false(dd_recalled(st, &ga.stateid));
	/* The holder's own removal recalls nothing, even untold. */
	assert_int_equal(state_dirdeleg_break(st, &d, a, 1u << NOTIFY4_REMOVE_ENTRY), NFS4_OK);
	assert_false(dd_recalled(st, &ga.stateid));
	/* b's removal cannot be told: recalled, and it waits meanwhile. */
	assert_int_equal(state_dirdeleg_break(st, &d, b, 1u << NOTIFY4_REMOVE_ENTRY),
			 NFS4ERR_DELAY);
	assert_true(dd_recalled(st, &ga.stateid));
	assert_int_equal(state_dirdeleg_break(st, &d, b, 1u << NOTIFY4_ADD_ENTRY), NFS4ERR_DELAY);
	/* Another directory is another matter. */
	struct state_file_key d2 = st_key(1, "dir2");
	assert_int_equal(state_dirdeleg_break(st, &d2, b, 0), NFS4_OK);
	/* File delegations' conflicts do not see it. */
	assert_int_equal(state_deleg_break(st, &d, b, NULL, true), NFS4_OK);
	bool last;
	assert_int_equal(state_delegreturn(st, a, &ga.stateid, &d, 1, &last), NFS4_OK);
	assert_false(last); /* a directory has no lease to drop */
	assert_int_equal(state_dirdeleg_break(st, &d, b, 1u << NOTIFY4_REMOVE_ENTRY), NFS4_OK);
	state_server_destroy(st);
}

static void note(struct state_server *st, const struct nfs4_stateid *sid, uint32_t kind,
		 uint64_t key, const char *body)
{
	state_dirdeleg_note(st, sid, kind, key, (const uint8_t *)body, (uint32_t)strlen(body));
}

/* The bodies of a batch, in order, as "kind:body" joined by spaces. */
static void batch_text(const struct state_dirdeleg_batch *b, char *out, size_t cap)
{
	out[0] = '\0';
	uint32_t off = 0;
	for (uint32_t i = 0; i < b->count; i++) {
		struct state_dirdeleg_item h;
		memcpy(&h, b->buf + off, sizeof(h));
		off += (uint32_t)sizeof(h);
		size_t len = strlen(out);
		snprintf(out + len, cap - len, "%s%u:%.*s", i ? " " : "", h.kind, (int)h.len,
			 (const char *)b->buf + off);
		off += h.len;
	}
	assert_int_equal(off, b->len);
}

static void test_batches(void **state)
{
	(void)state;
	struct state_server *st = dd_new(16);
	uint64_t a = dd_client(st, "a", 4096);
	struct state_file_key d = st_key(1, "dir");
	uint32_t all = ENTRIES | (1u << NOTIFY4_CHANGE_DIR_ATTRS) | (1u << NOTIFY4_CHANGE_CHILD_ATTRS);
	struct state_dirdeleg_grant g = dd_grant(st, a, &d, all, false);
	assert_true(g.granted);
	uint64_t t0 = state_now_ms();
	note(st, &g.stateid, NOTIFY4_ADD_ENTRY, 0, "x");
	note(st, &g.stateid, NOTIFY4_CHANGE_DIR_ATTRS, 1, "dir1");
	note(st, &g.stateid, NOTIFY4_CHANGE_CHILD_ATTRS, 77, "x1");
	note(st, &g.stateid, NOTIFY4_REMOVE_ENTRY, 0, "y");
	/* Newer attributes of the directory and of x replace the older, and
	 * go after the changes that made them. */
	note(st, &g.stateid, NOTIFY4_CHANGE_DIR_ATTRS, 1, "dir2");
	note(st, &g.stateid, NOTIFY4_CHANGE_CHILD_ATTRS, 77, "x2");
	struct state_dirdeleg_batch b;
	uint64_t next;
	/* Not before the window. */
	assert_false(state_dirdeleg_take_batch(st, t0, &b, &next));
	assert_true(next >= t0 + WINDOW_MS);
	assert_true(state_dirdeleg_take_batch(st, next, &b, &next));
	assert_int_equal(b.count, 4);
	assert_int_equal(b.clientid, a);
	assert_memory_equal(b.stateid.other, g.stateid.other, NFS4_OTHER_SIZE);
	assert_true(state_file_key_eq(&b.dir, &d));
	char text[256];
	batch_text(&b, text, sizeof(text));
	assert_string_equal(text, "3:x 2:y 1:dir2 0:x2");
	free(b.buf);
	/* One CB_NOTIFY at a time: the next batch waits for its answer. */
	note(st, &g.stateid, NOTIFY4_ADD_ENTRY, 0, "z");
	assert_false(state_dirdeleg_take_batch(st, UINT64_MAX / 2, &b, &next));
	assert_true(state_dirdeleg_notify_done(st, &g.stateid, NFS4_OK));
	assert_true(state_dirdeleg_take_batch(st, UINT64_MAX / 2, &b, &next));
	batch_text(&b, text, sizeof(text));
	assert_string_equal(text, "3:z");
	free(b.buf);
	assert_false(state_dirdeleg_notify_done(st, &g.stateid, NFS4_OK));
	struct state_dirdeleg_stats s;
	state_dirdeleg_get_stats(st, &s);
	assert_int_equal(s.notifies, 2);
	assert_int_equal(s.changes, 5);
	state_server_destroy(st);
}

/* More changes waiting than max_changes recall; a batch larger than the
 * back channel takes goes in several CB_NOTIFYs, one at a time, in order;
 * a change no CB_NOTIFY of that back channel can carry recalls. */
static void test_overflow(void **state)
{
	(void)state;
	struct state_server *st = dd_new(3);
	uint64_t a = dd_client(st, "a", 4096), s = dd_client(st, "small", OVERHEAD + 100);
	struct state_file_key d = st_key(1, "dir");
	struct state_dirdeleg_grant g = dd_grant(st, a, &d, ENTRIES, false);
	for (int i = 0; i < 3; i++)
		note(st, &g.stateid, NOTIFY4_ADD_ENTRY, 0, "e");
	assert_false(dd_recalled(st, &g.stateid));
	note(st, &g.stateid, NOTIFY4_ADD_ENTRY, 0, "e");
	assert_true(dd_recalled(st, &g.stateid));
	/* Recalled: what waited is gone, nothing half told. */
	struct state_dirdeleg_batch b;
	uint64_t next;
	assert_false(state_dirdeleg_take_batch(st, UINT64_MAX / 2, &b, &next));

	struct state_file_key d2 = st_key(1, "dir2");
	struct state_dirdeleg_grant gs = dd_grant(st, s, &d2, ENTRIES, false);
	char body[61];
	memset(body, 'n', 60);
	body[60] = '\0';
	note(st, &gs.stateid, NOTIFY4_ADD_ENTRY, 0, body); /* 72 bytes on the wire */
	assert_false(dd_recalled(st, &gs.stateid));
	body[0] = 'm';
	note(st, &gs.stateid, NOTIFY4_ADD_ENTRY, 0, body); /* 144 > 100: two CB_NOTIFYs */
	assert_false(dd_recalled(st, &gs.stateid));
	assert_true(state_dirdeleg_take_batch(st, UINT64_MAX / 2, &b, &next));
	assert_int_equal(b.count, 1);
	assert_int_equal(b.wire, 72);
	assert_int_equal(b.buf[sizeof(struct state_dirdeleg_item)], 'n');
	free(b.buf);
	/* Not the second while the first is under way. */
	assert_false(state_dirdeleg_take_batch(st, UINT64_MAX / 2, &b, &next));
	assert_true(state_dirdeleg_notify_done(st, &gs.stateid, NFS4_OK));
	assert_true(state_dirdeleg_take_batch(st, UINT64_MAX / 2, &b, &next));
	assert_int_equal(b.count, 1);
	assert_int_equal(b.buf[sizeof(struct state_dirdeleg_item)], 'm');
	free(b.buf);
	assert_false(state_dirdeleg_notify_done(st, &gs.stateid, NFS4_OK));
	char huge[101];
	memset(huge, 'h', 100);
	huge[100] = '\0';
	note(st, &gs.stateid, NOTIFY4_ADD_ENTRY, 0, huge); /* 112 > 100 alone */
	assert_true(dd_recalled(st, &gs.stateid));
	struct state_dirdeleg_stats st_s;
	state_dirdeleg_get_stats(st, &st_s);
	assert_int_equal(st_s.overflows, 2);
	assert_int_equal(st_s.recalled, 2);
	state_server_destroy(st);
}

/* How a CB_NOTIFY ended: undeliverable revokes, an error recalls. */
static void test_notify_outcomes(void **state)
{
	(void)state;
	struct state_server *st = dd_new(16);
	uint64_t a = dd_client(st, "a", 4096);
	struct state_file_key d1 = st_key(1, "d1"), d2 = st_key(1, "d2");
	struct state_dirdeleg_grant g1 = dd_grant(st, a, &d1, ENTRIES, false);
	struct state_dirdeleg_grant g2 = dd_grant(st, a, &d2, ENTRIES, false);
	struct state_dirdeleg_batch b;
	uint64_t next;
	note(st, &g1.stateid, NOTIFY4_ADD_ENTRY, 0, "x");
	assert_true(state_dirdeleg_take_batch(st, UINT64_MAX / 2, &b, &next));
	free(b.buf);
	state_dirdeleg_notify_done(st, &g1.stateid, NFS4ERR_CB_PATH_DOWN);
	note(st, &g2.stateid, NOTIFY4_ADD_ENTRY, 0, "y");
	assert_true(state_dirdeleg_take_batch(st, UINT64_MAX / 2, &b, &next));
	free(b.buf);
	state_dirdeleg_notify_done(st, &g2.stateid, NFS4ERR_BAD_STATEID);
	assert_true(dd_recalled(st, &g2.stateid));
	struct state_dirdeleg_stats s;
	state_dirdeleg_get_stats(st, &s);
	assert_int_equal(s.revoked, 1);
	assert_int_equal(s.recalled, 1);
	assert_int_equal(s.active, 1);
	state_server_destroy(st);
}

/* will_signal: promised for a passing refusal, kept once the directory
 * may be delegated again, once. */
static void test_signal_promise(void **state)
{
	(void)state;
	struct state_server *st = dd_new(16);
	uint64_t a = dd_client(st, "a", 4096), b = dd_client(st, "b", 4096);
	struct state_file_key d = st_key(1, "dir");
	struct state_dirdeleg_grant ga = dd_grant(st, a, &d, 0, false);
	assert_int_equal(state_dirdeleg_break(st, &d, b, 1u << NOTIFY4_ADD_ENTRY), NFS4ERR_DELAY);
	struct state_dirdeleg_grant gb = dd_grant(st, b, &d, 0, false);
	assert_false(gb.granted || gb.will_signal);
	gb = dd_grant(st, b, &d, 0, true);
	assert_false(gb.granted);
	assert_true(gb.will_signal);
	uint64_t who, next;
	assert_false(state_dirdeleg_take_avail(st, state_now_ms(), &who, &next));
	assert_true(next != 0);
	bool last;
	assert_int_equal(state_delegreturn(st, a, &ga.stateid, &d, 1, &last), NFS4_OK);
	/* Still within the window after the recall. */
	assert_false(state_dirdeleg_take_avail(st, state_now_ms(), &who, &next));
	st_sleep_ms(REGRANT_MS + 50);
	assert_true(state_dirdeleg_take_avail(st, state_now_ms(), &who, &next));
	assert_int_equal(who, b);
	assert_int_equal(next, 0);
	assert_false(state_dirdeleg_take_avail(st, state_now_ms(), &who, &next));
	assert_true(dd_grant(st, b, &d, 0, false).granted);
	state_server_destroy(st);
}

static bool carry_dirs(void *arg, const struct state_file_key *file, bool dir)
{
	(void)file;
	return !dir || *(const bool *)arg;
}

static int no_conn_index(void *arg, const struct rpc_conn *conn)
{
	(void)arg, (void)conn;
	return -1;
}

/* An upgrade's image of st, delegations suspended with directories
 * carried or not; the save's status. */
static int dd_save(struct state_server *st, bool dirs, struct buf **out, char *err, size_t len)
{
	state_deleg_suspend(st, true, carry_dirs, &dirs);
	return state_carry_save(st, no_conn_index, NULL, out, err, len);
}

/* A directory delegation goes over an upgrade as it is: its stateid, what
 * its holder asked, and the changes waiting for it, in their order and
 * at their times; one whose CB_NOTIFY was under way (the holder may or
 * may not have it) is recalled by the new server.  Where the directory's
 * watch cannot go over, the image refuses it. */
static void test_carried(void **state)
{
	(void)state;
	struct state_server *st = dd_new(16);
	uint64_t a = dd_client(st, "a", 4096);
	uint64_t b = dd_client(st, "b", 4096);
	struct state_file_key d = st_key(1, "dir"), e = st_key(1, "other");
	uint32_t all = ENTRIES | (1u << NOTIFY4_CHANGE_DIR_ATTRS);
	struct state_dirdeleg_grant ga = dd_grant(st, a, &d, all, false);
	struct state_dirdeleg_grant gb = dd_grant(st, b, &e, ENTRIES, false);
	assert_true(ga.granted && gb.granted);
	/* b's CB_NOTIFY goes out and is not answered before the image. */
	note(st, &gb.stateid, NOTIFY4_ADD_ENTRY, 0, "z");
	struct state_dirdeleg_batch batch;
	uint64_t next;
	assert_true(state_dirdeleg_take_batch(st, UINT64_MAX / 2, &batch, &next));
	assert_int_equal(batch.clientid, b);
	free(batch.buf);
	/* a's wait. */
	note(st, &ga.stateid, NOTIFY4_ADD_ENTRY, 0, "x");
	note(st, &ga.stateid, NOTIFY4_CHANGE_DIR_ATTRS, 1, "dir1");
	note(st, &ga.stateid, NOTIFY4_REMOVE_ENTRY, 0, "y");

	char err[256];
	struct buf *img = NULL;
	st_sleep_ms(WINDOW_MS + 20);
	int rc = dd_save(st, true, &img, err, sizeof(err));
	if (rc)
		fail_msg("save: %s", err);
	state_server_destroy(st);

	struct state_server *nw = dd_new_as(16, true);
	assert_int_equal(state_carry_load(nw, img->data, img->len, err, sizeof(err)), 0);
	buf_unref(img);
	/* b's delegation: recalled; a's: not, and told of its changes. */
	assert_true(dd_recalled(nw, &gb.stateid));
	struct state_dirdeleg_target t[2];
	assert_int_equal(state_dirdeleg_targets(nw, &d, NOTIFY4_CHANGE_DIR_ATTRS, t, 2), 1);
	assert_memory_equal(t[0].stateid.other, ga.stateid.other, NFS4_OTHER_SIZE);
	assert_int_equal(state_dirdeleg_targets(nw, &e, NOTIFY4_ADD_ENTRY, t, 2), 0);
	assert_true(state_dirdeleg_any(nw));
	/* Due a window after they were noted (which passed before the
	 * image), not a window after the load. */
	assert_true(state_dirdeleg_take_batch(nw, state_now_ms(), &batch, &next));
	assert_int_equal(batch.clientid, a);
	assert_memory_equal(batch.stateid.other, ga.stateid.other, NFS4_OTHER_SIZE);
	char text[256];
	batch_text(&batch, text, sizeof(text));
	assert_string_equal(text, "3:x 1:dir1 2:y");
	free(batch.buf);
	/* Where the watch cannot go over, they are recalled first, and an
	 * image taken before they are back refuses them. */
	assert_int_equal(dd_save(nw, false, &img, err, sizeof(err)), -EBUSY);
	assert_string_equal(err, "a directory delegation whose watch cannot be handed over is held");
	assert_true(dd_recalled(nw, &ga.stateid));
	bool last;
	assert_int_equal(state_delegreturn(nw, a, &ga.stateid, &d, 1, &last), NFS4_OK);
	assert_int_equal(state_delegreturn(nw, b, &gb.stateid, &e, 1, &last), NFS4_OK);
	assert_false(state_dirdeleg_any(nw));
	state_server_destroy(nw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grant_policy),
		cmocka_unit_test(test_break),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_notify_outcomes),
		cmocka_unit_test(test_signal_promise),
		cmocka_unit_test(test_carried),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
