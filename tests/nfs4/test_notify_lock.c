/* Blocking locks and CB_NOTIFY_LOCK (RFC 8881 18.10.4, 20.11) with the
 * server in process and two test clients over loopback, each serving the
 * back channel of its session on its fore connection: a READW/WRITEW lock
 * that is denied leaves a waiter, and the waiting client hears
 * CB_NOTIFY_LOCK (its file handle and lock owner) once the conflicting
 * lock goes; a plain READ/WRITE request is not remembered; OPEN says
 * MAY_NOTIFY_LOCK in v4.1 only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "nfs4/cb_fixture.h"
#include "state/state.h"

enum { QUIET_MS = 400 }; /* WAIT_MS: cb_fixture.h */

static int setup(void **state)
{
	struct cbfix *f = cbfix_start(300, 50, 3);
	if (!f)
		return -1;
	/* Files made through the back end, open to everyone: the export
	 * squashes root and its root directory is 0755. */
	struct export *ex = f->nfs.exports.list[0];
	static const struct backend_cred root = {0};
	static const char *names[] = {"f1", "f2", "f3", "f4", "f5"};
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct backend_setattr sa = {.mask = BACKEND_SET_MODE, .mode = 0666};
		struct backend_handle h;
		struct backend_attr a;
		bool created;
		if (ex->ops->create_file(ex->bex, &root, &ex->root, names[i],
					 BACKEND_CREATE_GUARDED, NULL, &sa, &h, &a, &created) != 0)
			return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	cbfix_stop(*state);
	return 0;
}

/* A v4.1 client whose fore connection is its back channel, served in the
 * background. */
struct client {
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
};

static void client_up(struct cbfix *f, struct client *cl, const char *name)
{
	int fd = nfs4c_connect(f->hostport);
	nfs4c_cb_init(&cl->svc, NFS4C_CB_PROGRAM);
	cl->svc.highest_slot = cl->svc.target_highest_slot = 15;
	nfs4c_cb_attach(fd, &cl->svc);
	nfs4c_session_up_flags(&cl->s, fd, 1000, name, NULL, CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
	nfs4c_bg_start(fd);
	nfs4c_ping(&cl->s);
	assert_true(nfs4c_cb_wait(&cl->svc, OP_CB_SEQUENCE, 1, WAIT_MS));
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&cl->s, &m, 0, false);
	nfs4c_reclaim_complete_op(&m, false);
	nfs4c_send(fd, cl->s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_RECLAIM_COMPLETE), NFS4_OK);
	nfs4c_done(&p);
}

static void client_down(struct client *cl)
{
	nfs4c_close(cl->s.fd);
	nfs4c_cb_destroy(&cl->svc);
}

struct opened {
	struct nfs4_stateid sid;
	uint32_t rflags;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
};

/* OPEN (read and write, no create) of mem/a/<name> by open owner "oo". */
static void open41(struct client *cl, const char *name, struct opened *o)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&cl->s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "mem");
	nfs4c_lookup(&m, "a");
	struct nfs4_open_args a = {
		.share_access = OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_NO_DELEG,
		.share_deny = OPEN4_SHARE_DENY_NONE,
		.owner = {cl->s.clientid, nfs4_opaque_str("oo")},
		.opentype = OPEN4_NOCREATE,
		.claim = {.type = CLAIM_NULL, .file = nfs4_opaque_str(name)},
	};
	nfs4c_open_op(&m, &a);
	nfs4c_getfh(&m);
	nfs4c_send(cl->s.fd, cl->s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	nfs4c_next(&p, OP_PUTROOTFH);
	nfs4c_next(&p, OP_LOOKUP);
	nfs4c_next(&p, OP_LOOKUP);
	assert_int_equal(nfs4c_next(&p, OP_OPEN), NFS4_OK);
	struct nfs4_open_res r;
	assert_true(nfs4_dec_open_res(&p.d, &r));
	o->sid = r.stateid;
	o->rflags = r.rflags;
	assert_int_equal(nfs4c_next(&p, OP_GETFH), NFS4_OK);
	struct nfs4_opaque fh;
	assert_true(nfs4_dec_fh(&p.d, &fh));
	memcpy(o->fh, fh.data, fh.len);
	o->fhlen = fh.len;
	nfs4c_done(&p);
}

/* LOCK as a new lock owner of the open o; returns the status. */
static uint32_t lock41(struct client *cl, const struct opened *o, const char *owner,
		       uint32_t type, uint64_t off, uint64_t len, struct nfs4_stateid *lsid)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&cl->s, &m, 0, false);
	nfs4c_putfh(&m, o->fh, o->fhlen);
	struct nfs4_lock_args a = {.locktype = type, .offset = off, .length = len};
	a.locker.new_lock_owner = true;
	a.locker.open_stateid = o->sid;
	a.locker.owner = (struct nfs4_state_owner){cl->s.clientid, nfs4_opaque_str(owner)};
	NFS4C_OP(&m, OP_LOCK, nfs4_enc_lock_args, &a);
	nfs4c_send(cl->s.fd, cl->s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	nfs4c_next(&p, OP_PUTFH);
	uint32_t s = nfs4c_next(&p, OP_LOCK);
	if (s == NFS4_OK) {
		struct nfs4_lock_res r;
		assert_true(nfs4_dec_lock_res(&p.d, &r));
		if (lsid)
			*lsid = r.stateid;
	}
	nfs4c_done(&p);
	return s;
}

/* LOCKU; *lsid moves on to the stateid it answers. */
static void locku41(struct client *cl, const struct opened *o, struct nfs4_stateid *lsid,
		    uint64_t off, uint64_t len)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&cl->s, &m, 0, false);
	nfs4c_putfh(&m, o->fh, o->fhlen);
	struct nfs4_locku_args a = {.locktype = WRITE_LT, .stateid = *lsid, .offset = off,
				    .length = len};
	NFS4C_OP(&m, OP_LOCKU, nfs4_enc_locku_args, &a);
	nfs4c_send(cl->s.fd, cl->s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	nfs4c_next(&p, OP_PUTFH);
	assert_int_equal(nfs4c_next(&p, OP_LOCKU), NFS4_OK);
	struct nfs4_locku_res r;
	assert_true(nfs4_dec_locku_res(&p.d, &r));
	*lsid = r.stateid;
	nfs4c_done(&p);
}

static void close41(struct client *cl, const struct opened *o)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&cl->s, &m, 0, false);
	nfs4c_putfh(&m, o->fh, o->fhlen);
	nfs4c_close_op(&m, 0, &o->sid);
	nfs4c_send(cl->s.fd, cl->s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	nfs4c_next(&p, OP_PUTFH);
	assert_int_equal(nfs4c_next(&p, OP_CLOSE), NFS4_OK);
	nfs4c_done(&p);
}

static unsigned waiters(struct cbfix *f)
{
	struct state_stats st;
	state_get_stats(f->nfs.state, &st);
	return st.lock_waiters;
}

/* The idx-th CB_NOTIFY_LOCK of cl names the file of o and lock owner. */
static void check_notice(struct client *cl, unsigned idx, const struct opened *o,
			 const char *owner)
{
	struct nfs4c_cb_rec r;
	assert_true(nfs4c_cb_get(&cl->svc, OP_CB_NOTIFY_LOCK, idx, &r));
	assert_int_equal(r.minor, 1);
	assert_int_equal(r.fhlen, o->fhlen);
	assert_memory_equal(r.fh, o->fh, o->fhlen);
	assert_int_equal(r.owner_clientid, cl->s.clientid);
	assert_int_equal(r.owner_len, strlen(owner));
	assert_memory_equal(r.owner, owner, r.owner_len);
}

/* A's LOCKU frees the range B waits for: B hears of it and gets it. */
static void test_notify_after_locku(void **state)
{
	struct cbfix *f = *state;
	struct client a, b;
	struct opened oa, ob;
	struct nfs4_stateid la, lb;
	client_up(f, &a, "nl-a1");
	client_up(f, &b, "nl-b1");
	open41(&a, "f1", &oa);
	open41(&b, "f1", &ob);
	assert_int_equal(lock41(&a, &oa, "lo-a", WRITE_LT, 0, 100, &la), NFS4_OK);
	assert_int_equal(lock41(&b, &ob, "lo-b", WRITEW_LT, 50, 10, NULL), NFS4ERR_DENIED);
	assert_int_equal(waiters(f), 1);
	/* Asking again refreshes the waiter, it does not add one. */
	assert_int_equal(lock41(&b, &ob, "lo-b", WRITEW_LT, 50, 10, NULL), NFS4ERR_DENIED);
	assert_int_equal(waiters(f), 1);
	/* Unlocking elsewhere in the range leaves the conflict: no notice. */
	locku41(&a, &oa, &la, 0, 10);
	poll(NULL, 0, QUIET_MS);
	assert_int_equal(nfs4c_cb_count(&b.svc, OP_CB_NOTIFY_LOCK), 0);
	locku41(&a, &oa, &la, 0, 100);
	assert_true(nfs4c_cb_wait(&b.svc, OP_CB_NOTIFY_LOCK, 1, WAIT_MS));
	check_notice(&b, 0, &ob, "lo-b");
	assert_int_equal(waiters(f), 0);
	assert_int_equal(nfs4c_cb_count(&a.svc, OP_CB_NOTIFY_LOCK), 0);
	assert_int_equal(lock41(&b, &ob, "lo-b", WRITE_LT, 50, 10, &lb), NFS4_OK);
	client_down(&a);
	client_down(&b);
}

/* A plain WRITE_LT request that is denied is not remembered. */
static void test_no_notify_plain_lock(void **state)
{
	struct cbfix *f = *state;
	struct client a, b;
	struct opened oa, ob;
	struct nfs4_stateid la;
	client_up(f, &a, "nl-a2");
	client_up(f, &b, "nl-b2");
	open41(&a, "f2", &oa);
	open41(&b, "f2", &ob);
	assert_int_equal(lock41(&a, &oa, "lo-a", WRITE_LT, 0, 100, &la), NFS4_OK);
	assert_int_equal(lock41(&b, &ob, "lo-b", WRITE_LT, 0, 1, NULL), NFS4ERR_DENIED);
	assert_int_equal(lock41(&b, &ob, "lo-b2", READ_LT, 0, 1, NULL), NFS4ERR_DENIED);
	assert_int_equal(waiters(f), 0);
	locku41(&a, &oa, &la, 0, 100);
	poll(NULL, 0, QUIET_MS);
	assert_int_equal(nfs4c_cb_count(&b.svc, OP_CB_NOTIFY_LOCK), 0);
	client_down(&a);
	client_down(&b);
}

/* CLOSE releases the holder's locks: the waiter hears of it. */
static void test_notify_after_close(void **state)
{
	struct cbfix *f = *state;
	struct client a, b;
	struct opened oa, ob;
	client_up(f, &a, "nl-a3");
	client_up(f, &b, "nl-b3");
	open41(&a, "f3", &oa);
	open41(&b, "f3", &ob);
	assert_int_equal(lock41(&a, &oa, "lo-a", READ_LT, 0, 100, NULL), NFS4_OK);
	/* A reader does not block another reader: granted, no waiter. */
	assert_int_equal(lock41(&b, &ob, "lo-r", READW_LT, 0, 10, NULL), NFS4_OK);
	assert_int_equal(lock41(&b, &ob, "lo-w", WRITEW_LT, 90, 20, NULL), NFS4ERR_DENIED);
	assert_int_equal(waiters(f), 1);
	close41(&a, &oa);
	assert_true(nfs4c_cb_wait(&b.svc, OP_CB_NOTIFY_LOCK, 1, WAIT_MS));
	check_notice(&b, 0, &ob, "lo-w");
	assert_int_equal(waiters(f), 0);
	client_down(&a);
	client_down(&b);
}

/* The waiting client going away takes its waiter with it. */
static void test_waiter_gone_with_client(void **state)
{
	struct cbfix *f = *state;
	struct client a, b;
	struct opened oa, ob;
	struct nfs4_stateid la;
	client_up(f, &a, "nl-a4");
	client_up(f, &b, "nl-b4");
	open41(&a, "f4", &oa);
	open41(&b, "f4", &ob);
	assert_int_equal(lock41(&a, &oa, "lo-a", WRITE_LT, 0, 100, &la), NFS4_OK);
	assert_int_equal(lock41(&b, &ob, "lo-b", READW_LT, 0, 1, NULL), NFS4ERR_DENIED);
	assert_int_equal(waiters(f), 1);
	close41(&b, &ob);
	assert_int_equal(nfs4c_destroy_session(&b.s), NFS4_OK);
	assert_int_equal(nfs4c_destroy_clientid(&b.s), NFS4_OK);
	assert_int_equal(waiters(f), 0);
	locku41(&a, &oa, &la, 0, 100);
	client_down(&a);
	client_down(&b);
}

/* OPEN4_RESULT_MAY_NOTIFY_LOCK: v4.1 only. */
static void test_open_rflags(void **state)
{
	struct cbfix *f = *state;
	struct client a;
	struct opened oa;
	client_up(f, &a, "nl-a5");
	open41(&a, "f5", &oa);
	assert_true(oa.rflags & OPEN4_RESULT_MAY_NOTIFY_LOCK);
	assert_true(oa.rflags & OPEN4_RESULT_LOCKTYPE_POSIX);
	client_down(&a);

	struct nfs4c_client40 c;
	int fd = nfs4c_connect(f->hostport);
	assert_int_equal(nfs4c_setclientid(&c, fd, nfs4c_cred(1000), "nl-v40", 0x40000001, "tcp",
					   NULL, 1),
			 NFS4_OK);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 0);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "mem");
	nfs4c_lookup(&m, "a");
	struct nfs4_open_args oa40 = {
		.seqid = 1,
		.share_access = OPEN4_SHARE_ACCESS_READ,
		.share_deny = OPEN4_SHARE_DENY_NONE,
		.owner = {c.clientid, nfs4_opaque_str("oo40")},
		.opentype = OPEN4_NOCREATE,
		.claim = {.type = CLAIM_NULL, .file = nfs4_opaque_str("f5")},
	};
	nfs4c_open_op(&m, &oa40);
	nfs4c_send(fd, c.cred, &m, &p);
	nfs4c_next(&p, OP_PUTROOTFH);
	nfs4c_next(&p, OP_LOOKUP);
	nfs4c_next(&p, OP_LOOKUP);
	assert_int_equal(nfs4c_next(&p, OP_OPEN), NFS4_OK);
	struct nfs4_open_res r;
	assert_true(nfs4_dec_open_res(&p.d, &r));
	assert_false(r.rflags & OPEN4_RESULT_MAY_NOTIFY_LOCK);
	assert_true(r.rflags & OPEN4_RESULT_LOCKTYPE_POSIX);
	nfs4c_done(&p);
	nfs4c_close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify_after_locku),
		cmocka_unit_test(test_no_notify_plain_lock),
		cmocka_unit_test(test_notify_after_close),
		cmocka_unit_test(test_waiter_gone_with_client),
		cmocka_unit_test(test_open_rflags),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
