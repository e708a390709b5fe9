/* An in-place upgrade (ferryctl upgrade) carries the NFSv4 state: after
 * it, on the connections they had, v4.1 and v4.0 clients go on with their
 * session, clientid, opens and locks; a retried request gets its kept
 * reply, from the v4.1 slot or the v4.0 reply cache; nobody is in a grace
 * period; delegations go over with the kernel leases behind them, a
 * recalled one too (revoked a lease after its recall), and directory
 * delegations with the watch behind them and the changes waiting to be
 * told; a blocked lock request's client is told when the lock frees. */
#include "proto/dirdeleg_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>


#include "lib/ctl_test.h"
#include "proto/state41_helpers.h"

/* Where ferryd's log was when the last upgrade began. */
static long log_mark;

static FILE *log_since_mark(void)
{
	FILE *f = fopen(server.log_path, "r");
	if (f && fseek(f, log_mark, SEEK_SET) != 0) {
		fclose(f);
		f = NULL;
	}
	return f;
}

/* Whether ferryd's log has a line containing what since the last upgrade
 * began. */
static bool log_says(const char *what)
{
	FILE *f = log_since_mark();
	char line[1024];
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* Asserts the log says what since the last upgrade began, within 5 s
 * (the new ferryd writes some lines after the upgrade's reply: what it
 * does on taking the connections comes after it said ready); if not,
 * shows what it says of upgrades. */
static void expect_log(const char *what)
{
	for (unsigned waited = 0; waited < 5000; waited += 50) {
		if (log_says(what))
			return;
		usleep(50 * 1000);
	}
	FILE *f = log_since_mark();
	char line[1024];
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "upgrade") || strstr(line, "carried") || strstr(line, "state:"))
			printf("log: %s", line);
	if (f)
		fclose(f);
	fail_msg("the log does not say \"%s\"", what);
}

/* Prints what ferryd's log says of upgrades and directories since the
 * last upgrade began (a failure's context). */
static void show_log(void)
{
	FILE *f = log_since_mark();
	char line[1024];
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "upgrade") || strstr(line, "carried") || strstr(line, "state:") ||
		    strstr(line, "dir") || strstr(line, "notif") || strstr(line, "recall"))
			printf("log: %s", line);
	if (f)
		fclose(f);
}

/* POST /api/v1/upgrade; once the old ferryd exited, server is the new one. */
static void upgrade(void)
{
	struct stat sb;
	log_mark = stat(server.log_path, &sb) == 0 ? (long)sb.st_size : 0;
	ctlt_upgrade(&server);
}

static void add_create_dir(struct nfs4c_call *m, const void *arg)
{
	struct nfs4_create_args c;
	memset(&c, 0, sizeof(c));
	c.type = NF4DIR;
	c.name = nfs4_opaque_str(arg);
	NFS4C_OP(m, OP_CREATE, nfs4_enc_create_args, &c);
}

/* SEQUENCE (slot 0, cachethis), PUTROOTFH, LOOKUP export, CREATE of a
 * directory: CREATE's status.  Sent again with the slot's seqid as it was,
 * it is the retry of the last one. */
static uint32_t create_dir(struct nfs4c_sess *s, const char *name, bool retry)
{
	if (retry)
		s->seq[0]--;
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, true);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	add_create_dir(&m, name);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	uint32_t st = nfs4c_next(&p, OP_CREATE);
	nfs4c_done(&p);
	return st;
}

static void add_lockt(struct nfs4c_call *m, const void *arg)
{
	const struct nfs4_lockt_args *a = arg;
	NFS4C_OP(m, OP_LOCKT, nfs4_enc_lockt_args, a);
}

static void add_write(struct nfs4c_call *m, const void *arg)
{
	struct nfs4_write_args w;
	memset(&w, 0, sizeof(w));
	w.stateid = *(const struct nfs4_stateid *)arg;
	w.stable = FILE_SYNC4;
	w.data = nfs4_opaque_str("carried");
	NFS4C_OP(m, OP_WRITE, nfs4_enc_write_args, &w);
}

static void add_locku(struct nfs4c_call *m, const void *arg)
{
	struct nfs4_locku_args a = {.locktype = WRITE_LT, .seqid = 0, .offset = 0, .length = 10};
	a.stateid = *(const struct nfs4_stateid *)arg;
	NFS4C_OP(m, OP_LOCKU, nfs4_enc_locku_args, &a);
}

static void add_close(struct nfs4c_call *m, const void *arg)
{
	nfs4c_close_op(m, 0, arg);
}

/* Gone, so that the next upgrade carries only the next test's clients
 * (the first test's counts are exact). */
static void end_client(struct nfs4c_sess *s)
{
	assert_int_equal(nfs4c_destroy_session(s), NFS4_OK);
	assert_int_equal(nfs4c_destroy_clientid(s), NFS4_OK);
	nfs4c_close(s->fd);
}

static void test_v41_state_carried(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	nfs4c_session_up(&a, nfs4c_connect(server.hostport), 950, "upgrade-a", NULL);
	struct nfs4_stateid open, lock;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
	assert_int_equal(open41(&a, "owner-a", "carried", &open, fh, &fhlen), NFS4_OK);
	assert_int_equal(lock41(&a, fh, fhlen, &open, "locker-a", NULL, 0, &lock), NFS4_OK);
	assert_int_equal(create_dir(&a, "carried-dir", false), NFS4_OK);

	upgrade();
	expect_log("state: carried over 1 client(s), 1 session(s), 1 open(s), 1 lock(s) and 0 "
		   "delegation(s)");
	assert_false(log_says("grace period"));

	/* The retry of the last request, on the connection it came on: the
	 * reply kept for it, not a second CREATE (NFS4ERR_EXIST). */
	assert_int_equal(create_dir(&a, "carried-dir", true), NFS4_OK);
	assert_int_equal(create_dir(&a, "carried-dir", false), NFS4ERR_EXIST);
	/* The session goes on; the open and lock stateids are valid. */
	nfs4c_ping(&a);
	assert_int_equal(dl_test_stateid(&a, &open), NFS4_OK);
	assert_int_equal(dl_test_stateid(&a, &lock), NFS4_OK);
	assert_int_equal(dl_on(&a, fh, fhlen, OP_WRITE, add_write, &open), NFS4_OK);

	/* Another client: no grace period, and the lock is still held. */
	struct nfs4c_sess b;
	nfs4c_session_up(&b, nfs4c_connect(server.hostport), 951, "upgrade-b", NULL);
	struct nfs4_stateid bopen;
	uint8_t bfh[NFS4_FHSIZE];
	uint32_t bfhlen;
	assert_int_equal(open41(&b, "owner-b", "fresh", &bopen, bfh, &bfhlen), NFS4_OK);
	struct nfs4_lockt_args t = {.locktype = WRITE_LT, .offset = 0, .length = 10};
	t.owner.clientid = b.clientid;
	t.owner.owner = nfs4_opaque_str("locker-b");
	assert_int_equal(dl_on(&b, fh, fhlen, OP_LOCKT, add_lockt, &t), NFS4ERR_DENIED);

	/* Given back as any other: the lock, then the open. */
	lock.seqid = 0;
	assert_int_equal(dl_on(&a, fh, fhlen, OP_LOCKU, add_locku, &lock), NFS4_OK);
	assert_int_equal(dl_on(&b, fh, fhlen, OP_LOCKT, add_lockt, &t), NFS4_OK);
	open.seqid = 0;
	assert_int_equal(dl_on(&a, fh, fhlen, OP_CLOSE, add_close, &open), NFS4_OK);
	bopen.seqid = 0;
	assert_int_equal(dl_on(&b, bfh, bfhlen, OP_CLOSE, add_close, &bopen), NFS4_OK);
	end_client(&a);
	end_client(&b);
}

/* A v4.0 client: its clientid renews, its confirmed open owner's next
 * seqid is taken and its open closes. */
static void test_v40_state_carried(void **st)
{
	(void)st;
	struct nfs4c_client40 c;
	int fd = nfs4c_connect(server.hostport);
	assert_int_equal(nfs4c_setclientid(&c, fd, nfs4c_cred(952), "upgrade-v40", 0x40000000,
					   "tcp", NULL, 1),
			 NFS4_OK);
	uint32_t seqid = 0;
	struct nfs4c_open40 o;
	assert_int_equal(nfs4c_open40(&c, "owner-40", &seqid, "export", "carried40",
				      OPEN4_SHARE_ACCESS_BOTH, true, &o),
			 NFS4_OK);

	upgrade();
	expect_log("state: carried over ");
	assert_false(log_says("not handed over"));
	/* Its clientid, its owner's seqid and its open stateid, as they were. */
	assert_int_equal(nfs4c_close40(&c, &seqid, &o), NFS4_OK);
	nfs4c_close(fd);
}


/* The host path of name in the export. */
static void host_path(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/export/%s", dl_dir, name);
}

/* A process on the host opens name for writing without waiting: -1 with
 * EWOULDBLOCK while a lease stands in the way (and the lease is broken),
 * else it is opened and closed: 0. */
static int host_open_write(const char *name)
{
	char path[400];
	host_path(path, sizeof(path), name);
	int fd = open(path, O_WRONLY | O_NONBLOCK);
	if (fd < 0 && errno != EWOULDBLOCK)
		fail_msg("open %s: %s", path, strerror(errno));
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Delegations go over with the upgrade: no recall, the stateids stay
 * valid, and the kernel leases behind them are the new ferryd's: a process
 * on the host that opens a delegated file for writing is still held back,
 * and the new ferryd recalls the delegation; a host chmod of a
 * write-delegated file is seen too; given back, the lease goes. */
static void test_delegation_carried(void **st)
{
	(void)st;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	dl_client(&s, &svc, "upgrade-deleg", 953);
	struct dl_open r = dl_open(&s, "delegated", OPEN4_SHARE_ACCESS_READ, true);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.deleg.type, OPEN_DELEGATE_READ);
	struct dl_open w = dl_open(&s, "delegated-w", OPEN4_SHARE_ACCESS_BOTH, true);
	assert_int_equal(w.status, NFS4_OK);
	assert_int_equal(w.deleg.type, OPEN_DELEGATE_WRITE);

	unsigned recalls = nfs4c_cb_count(&svc, OP_CB_RECALL);
	upgrade();
	expect_log("delegation(s) go over with the upgrade");
	expect_log("open(s), 0 lock(s) and 2 delegation(s)");
	expect_log("2 lease(s) of delegated files taken over");
	assert_false(log_says("not handed over"));
	assert_false(nfs4c_cb_wait(&svc, OP_CB_RECALL, recalls + 1, 300));
	assert_int_equal(dl_test_stateid(&s, &r.deleg.stateid), NFS4_OK);
	assert_int_equal(dl_test_stateid(&s, &w.deleg.stateid), NFS4_OK);

	/* The old ferryd is gone: the read lease is held by the new one. */
	assert_int_equal(host_open_write("delegated"), -1);
	assert_true(nfs4c_cb_wait(&svc, OP_CB_RECALL, recalls + 1, 5000));
	assert_true(nfs4c_cb_recalled(&svc, &r.deleg.stateid));
	char path[400];
	host_path(path, sizeof(path), "delegated-w");
	assert_int_equal(chmod(path, 0600), 0);
	assert_true(nfs4c_cb_wait(&svc, OP_CB_RECALL, recalls + 2, 5000));
	assert_true(nfs4c_cb_recalled(&svc, &w.deleg.stateid));
	assert_int_equal(dl_delegreturn(&s, &r), NFS4_OK);
	assert_int_equal(dl_delegreturn(&s, &w), NFS4_OK);
	/* Given back: the new ferryd dropped the leases. */
	bool free_now = false;
	for (int i = 0; i < 100 && !free_now; i++) {
		free_now = host_open_write("delegated") == 0 && host_open_write("delegated-w") == 0;
		if (!free_now)
			usleep(20 * 1000);
	}
	assert_true(free_now);

	r.stateid.seqid = 0;
	assert_int_equal(dl_on(&s, r.fh, r.fhlen, OP_CLOSE, add_close, &r.stateid), NFS4_OK);
	w.stateid.seqid = 0;
	assert_int_equal(dl_on(&s, w.fh, w.fhlen, OP_CLOSE, add_close, &w.stateid), NFS4_OK);
	dl_client_end(&s, &svc);
}

/* A v4.0 client's delegation goes over too, and so does its callback
 * path's standing: RENEW right after the upgrade is NFS4_OK (not
 * NFS4ERR_CB_PATH_DOWN, which makes a client give every delegation back),
 * the new ferryd probes the path again by dialling it, and recalls over
 * it when a host process wants the file. */
static void test_v40_delegation_carried(void **st)
{
	(void)st;
	struct nfs4c_client40 a;
	struct nfs4c_cb sa;
	struct nfs4c_cb_listener la;
	dl_client40(&a, &sa, &la, "upgrade-dl40", 956);
	uint32_t seq = 1;
	struct nfs4c_open40 o;
	assert_true(dl_open40_deleg(&a, "o40", &seq, "delegated-40", OPEN4_SHARE_ACCESS_READ, &o));
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_READ);
	unsigned probes = nfs4c_cb_count(&sa, 0);
	upgrade();
	expect_log("and 1 delegation(s)");
	assert_int_equal(dl_renew40(&a), NFS4_OK);
	assert_true(nfs4c_cb_wait(&sa, 0, probes + 1, 5000)); /* the new ferryd's CB_NULL */
	assert_int_equal(dl_renew40(&a), NFS4_OK);
	assert_int_equal(host_open_write("delegated-40"), -1);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 1, 5000));
	assert_true(nfs4c_cb_recalled(&sa, &o.deleg.stateid));
	assert_int_equal(dl_delegreturn40(&a, &o), NFS4_OK);
	assert_int_equal(nfs4c_close40(&a, &seq, &o), NFS4_OK);
	dl_client40_end(&a, &sa, &la);
}

/* A host chmod of a delegated file while the upgrade is under way, after
 * the old ferryd wrote its image (it no longer acts on what it hears) and
 * before the new one watches the file: the new one sees that the file's
 * change time moved since the image and recalls the delegation (and says
 * so: the recall is the new ferryd's, not the old one's before its image).
 * The new ferryd is made 3 s late to say ready (a wrapper sets
 * FERRY_TEST_UPGRADE_READY_DELAY_MS), and the chmod comes 1.5 s into the
 * upgrade: the new binary has started and been sent the image by then
 * (tens of milliseconds here; a sanitized build takes longer).  It also
 * takes the connections 0.6 s after the leases (ADOPT_DELAY_MS), so the
 * recall comes before the session has its back channel: it must wait for
 * it, not fail and back off for seconds (which it did, now and then, in a
 * loaded run, before the session knew it was not yet bound). */
static void test_host_change_during_upgrade(void **st)
{
	(void)st;
	char wrapper[400];
	ferryd_wrapper(wrapper, sizeof(wrapper), dl_dir, "late-ferryd",
		       "FERRY_TEST_UPGRADE_READY_DELAY_MS=3000 FERRY_TEST_UPGRADE_ADOPT_DELAY_MS=600");

	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	dl_client(&s, &svc, "upgrade-host-change", 957);
	struct dl_open o = dl_open(&s, "changed-meanwhile", OPEN4_SHARE_ACCESS_READ, true);
	assert_int_equal(o.status, NFS4_OK);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_READ);
	unsigned recalls = nfs4c_cb_count(&svc, OP_CB_RECALL);
	struct stat sb;
	log_mark = stat(server.log_path, &sb) == 0 ? (long)sb.st_size : 0;
	struct ctlt_upgrade up;
	ctlt_upgrade_begin(&up, &server, wrapper);
	usleep(1500 * 1000);
	char path[400];
	host_path(path, sizeof(path), "changed-meanwhile");
	assert_int_equal(chmod(path, 0600), 0);
	ctlt_upgrade_end(&up);
	expect_log("READY_DELAY_MS=3000");
	expect_log("ADOPT_DELAY_MS=600");
	expect_log("and 1 delegation(s)");
	expect_log("changed on the host during the upgrade's hand-over");
	assert_true(nfs4c_cb_wait(&svc, OP_CB_RECALL, recalls + 1, 5000));
	assert_true(nfs4c_cb_recalled(&svc, &o.deleg.stateid));
	assert_int_equal(dl_delegreturn(&s, &o), NFS4_OK);
	o.stateid.seqid = 0;
	assert_int_equal(dl_on(&s, o.fh, o.fhlen, OP_CLOSE, add_close, &o.stateid), NFS4_OK);
	dl_client_end(&s, &svc);
	/* The wrapper is the binary the server was started from now: the
	 * tests after this one upgrade to the real one again, not late. */
	ctlt_upgrade_to(&server, FERRYD_PATH);
}

/* The changes of kind told about name in notes[from..n). */
static unsigned notes_of(const struct dd_note *notes, unsigned from, unsigned n, uint32_t kind,
			 const char *name)
{
	unsigned found = 0;
	for (unsigned i = from; i < n; i++)
		found += notes[i].kind == kind && (!name || strcmp(notes[i].name, name) == 0);
	return found;
}

/* Whether notes[from..n) tell the directory's mode as mode (its only
 * attribute asked). */
static bool dir_mode_told(const struct dd_note *notes, unsigned from, unsigned n, uint32_t mode)
{
	for (unsigned i = from; i < n; i++) {
		const struct dd_note *o = &notes[i];
		if (o->kind != NOTIFY4_CHANGE_DIR_ATTRS || o->attr_len != 4 ||
		    !nfs4_bitmap_isset(&o->attr_mask, FATTR4_MODE))
			continue;
		uint32_t v = (uint32_t)o->attr_vals[0] << 24 | (uint32_t)o->attr_vals[1] << 16 |
			     (uint32_t)o->attr_vals[2] << 8 | o->attr_vals[3];
		if ((v & 07777) == mode)
			return true;
	}
	return false;
}

/* A directory delegation goes over as it is: not recalled, its stateid
 * valid, a change on the host that waited to be told (the directory's
 * mode, under a 1 s attribute delay) told by the new ferryd, and a change
 * made on the host during the hand-over (after the old ferryd stopped
 * reading its watch, before the new one started: the new ferryd is 3 s
 * late to say ready) told too, not missed and not a recall: the watch
 * itself went over.  The new ferryd's watch goes on (a removal after).
 * An upgrade that fails leaves the old ferryd watching again. */
static void test_dir_delegation_carried(void **st)
{
	(void)st;
	char late[400], failing[400];
	ferryd_wrapper(late, sizeof(late), dl_dir, "late-ferryd-dirs", "FERRY_TEST_UPGRADE_READY_DELAY_MS=3000");
	ferryd_wrapper(failing, sizeof(failing), dl_dir, "failing-ferryd", "FERRY_TEST_UPGRADE_FAIL_READY=1");
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	struct dd_log log;
	dl_client(&s, &svc, "upgrade-dirdeleg", 958);
	dd_log_attach(&svc, &log);
	struct dd_fh dir = dd_mkdir(&s, "dir-delegated");
	struct nfs4_bitmap dattr;
	memset(&dattr, 0, sizeof(dattr));
	nfs4_bitmap_set(&dattr, FATTR4_MODE);
	struct nfs4_get_dir_delegation_res g;
	uint32_t kinds = (1u << NOTIFY4_ADD_ENTRY) | (1u << NOTIFY4_REMOVE_ENTRY) |
			 (1u << NOTIFY4_CHANGE_DIR_ATTRS);
	assert_int_equal(dd_get_full(&s, &dir, kinds, NULL, &dattr, 1000, &g), NFS4_OK);
	assert_int_equal(g.status, GDD4_OK);
	char path[400], file[500];
	host_path(path, sizeof(path), "dir-delegated");
	unsigned recalls = nfs4c_cb_count(&svc, OP_CB_RECALL);

	/* An upgrade that fails: the old ferryd watches again. */
	ctlt_upgrade_refused(&server, failing);
	dd_host_file(path, "after-failed", 0);
	struct dd_note notes[DD_NOTES_MAX];
	unsigned n = dd_log_wait(&log, 1, 5000, notes);
	assert_int_equal(notes_of(notes, 0, n, NOTIFY4_ADD_ENTRY, "after-failed"), 1);
	usleep(1500 * 1000); /* the directory's attributes after it, told too */
	unsigned before = dd_log_wait(&log, 0, 0, notes);

	/* Waiting when the upgrade begins: the directory's mode, told a
	 * second later. */
	assert_int_equal(chmod(path, 0750), 0);
	struct stat sb;
	log_mark = stat(server.log_path, &sb) == 0 ? (long)sb.st_size : 0;
	struct ctlt_upgrade up;
	ctlt_upgrade_begin(&up, &server, late);
	usleep(1500 * 1000);
	snprintf(file, sizeof(file), "%s/during", path);
	dd_host_file(path, "during", 0);
	ctlt_upgrade_end(&up);
	expect_log("READY_DELAY_MS=3000");
	expect_log("(1 of directories, 1 change(s) waiting to be told)");
	expect_log("1 directory watch(es) taken over");
	assert_false(log_says("not handed over"));
	uint64_t end = dl_now_ms() + 5000;
	do
		n = dd_log_wait(&log, before + 2, 100, notes);
	while ((!dir_mode_told(notes, before, n, 0750) ||
		!notes_of(notes, before, n, NOTIFY4_ADD_ENTRY, "during")) &&
	       dl_now_ms() < end);
	if (!dir_mode_told(notes, before, n, 0750) ||
	    !notes_of(notes, before, n, NOTIFY4_ADD_ENTRY, "during") ||
	    nfs4c_cb_count(&svc, OP_CB_RECALL) != recalls) {
		for (unsigned i = before; i < n; i++)
			printf("told: kind %u name %s\n", notes[i].kind, notes[i].name);
		show_log();
	}
	assert_true(dir_mode_told(notes, before, n, 0750));
	assert_int_equal(notes_of(notes, before, n, NOTIFY4_ADD_ENTRY, "during"), 1);
	assert_int_equal(nfs4c_cb_count(&svc, OP_CB_RECALL), recalls);
	assert_int_equal(dl_test_stateid(&s, &g.stateid), NFS4_OK);

	/* The new ferryd's watch: a removal on the host, told. */
	assert_int_equal(unlink(file), 0);
	before = n;
	n = dd_log_wait(&log, before + 1, 5000, notes);
	assert_int_equal(notes_of(notes, before, n, NOTIFY4_REMOVE_ENTRY, "during"), 1);
	assert_false(log.bad);
	assert_int_equal(nfs4c_cb_count(&svc, OP_CB_RECALL), recalls);
	assert_int_equal(dd_return(&s, &dir, &g.stateid), NFS4_OK);
	dl_client_end(&s, &svc);
	ctlt_upgrade_to(&server, FERRYD_PATH);
}

/* While the new binary starts (a CephFS mount can take it seconds), the
 * old ferryd serves, and a delegation the upgrade will carry is still
 * granted, file or directory: a client opening then gets its delegation
 * as at any other time, and it goes over.  The new ferryd is made 2 s
 * late to ask for the state (FERRY_TEST_UPGRADE_START_DELAY_MS). */
static void test_delegation_granted_during_run_up(void **st)
{
	(void)st;
	char slow[400];
	ferryd_wrapper(slow, sizeof(slow), dl_dir, "slow-start-ferryd",
		       "FERRY_TEST_UPGRADE_START_DELAY_MS=2000");
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	dl_client(&s, &svc, "upgrade-run-up", 959);
	struct dd_fh dir = dd_mkdir(&s, "dir-run-up");
	unsigned recalls = nfs4c_cb_count(&svc, OP_CB_RECALL);
	struct stat sb;
	log_mark = stat(server.log_path, &sb) == 0 ? (long)sb.st_size : 0;
	struct ctlt_upgrade up;
	ctlt_upgrade_begin(&up, &server, slow);
	usleep(700 * 1000);
	struct dl_open o = dl_open(&s, "opened-in-run-up", OPEN4_SHARE_ACCESS_READ, true);
	assert_int_equal(o.status, NFS4_OK);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_READ);
	struct nfs4_get_dir_delegation_res g;
	uint32_t kinds = (1u << NOTIFY4_ADD_ENTRY) | (1u << NOTIFY4_REMOVE_ENTRY);
	assert_int_equal(dd_get(&s, &dir, kinds, &g), NFS4_OK);
	assert_int_equal(g.status, GDD4_OK);
	ctlt_upgrade_end(&up);
	expect_log("START_DELAY_MS=2000");
	expect_log("and 2 delegation(s) (1 of directories");
	assert_false(log_says("not handed over"));
	assert_int_equal(dl_test_stateid(&s, &o.deleg.stateid), NFS4_OK);
	assert_int_equal(dl_test_stateid(&s, &g.stateid), NFS4_OK);
	assert_int_equal(nfs4c_cb_count(&svc, OP_CB_RECALL), recalls);
	/* The new ferryd holds the file's lease. */
	assert_int_equal(host_open_write("opened-in-run-up"), -1);
	assert_true(nfs4c_cb_wait(&svc, OP_CB_RECALL, recalls + 1, 5000));
	assert_true(nfs4c_cb_recalled(&svc, &o.deleg.stateid));
	assert_int_equal(dl_delegreturn(&s, &o), NFS4_OK);
	o.stateid.seqid = 0;
	assert_int_equal(dl_on(&s, o.fh, o.fhlen, OP_CLOSE, add_close, &o.stateid), NFS4_OK);
	assert_int_equal(dd_return(&s, &dir, &g.stateid), NFS4_OK);
	dl_client_end(&s, &svc);
	ctlt_upgrade_to(&server, FERRYD_PATH);
}

/* A delegation recalled when the upgrade begins goes over recalled: the
 * upgrade does not wait for it, and the new ferryd revokes it a lease after
 * its recall (as the old one would have); revoked and not yet freed, it
 * goes over another upgrade as such: the client is told
 * (SEQ4_STATUS_RECALLABLE_STATE_REVOKED), TEST_STATEID says
 * NFS4ERR_DELEG_REVOKED, FREE_STATEID frees it, and its open goes on. */
static void test_recalled_delegation_carried(void **st)
{
	(void)st;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	dl_client(&s, &svc, "upgrade-stubborn", 954);
	struct dl_open o = dl_open(&s, "stubborn", OPEN4_SHARE_ACCESS_READ, true);
	assert_int_equal(o.status, NFS4_OK);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_READ);

	/* A host writer breaks the lease; the recall is answered, the
	 * delegation never returned. */
	unsigned recalls = nfs4c_cb_count(&svc, OP_CB_RECALL);
	assert_int_equal(host_open_write("stubborn"), -1);
	assert_true(nfs4c_cb_wait(&svc, OP_CB_RECALL, recalls + 1, 5000));
	uint64_t recalled = dl_now_ms();
	upgrade();
	assert_true(dl_now_ms() - recalled < 5000);
	expect_log("open(s), 0 lock(s) and 1 delegation(s)");
	assert_false(log_says("not handed over"));
	assert_int_equal(dl_test_stateid(&s, &o.deleg.stateid), NFS4_OK);

	/* A lease (10 s here) after the recall, not after the upgrade. */
	while (!log_says("not returned within a lease of its recall") &&
	       dl_now_ms() < recalled + 20000) {
		nfs4c_ping(&s);
		usleep(200 * 1000);
	}
	uint64_t after = dl_now_ms() - recalled;
	if (!log_says("not returned within a lease of its recall") || after < 9000 ||
	    after > 13000)
		fail_msg("revoked %llu ms after its recall (lease 10 s)%s",
			 (unsigned long long)after,
			 log_says("not returned within a lease") ? "" : ": never");
	assert_true(nfs4c_ping(&s) & SEQ4_STATUS_RECALLABLE_STATE_REVOKED);
	/* Not freed yet: the next upgrade carries it as revoked. */
	upgrade();
	expect_log("state: carried over 1 client(s), 1 session(s)");
	assert_false(log_says("not handed over"));
	assert_int_equal(dl_test_stateid(&s, &o.deleg.stateid), NFS4ERR_DELEG_REVOKED);
	assert_int_equal(dl_on(&s, NULL, 0, OP_FREE_STATEID, add_free_stateid, &o.deleg.stateid),
			 NFS4_OK);
	assert_false(nfs4c_ping(&s) & SEQ4_STATUS_RECALLABLE_STATE_REVOKED);
	assert_int_equal(dl_test_stateid(&s, &o.stateid), NFS4_OK);
	dl_client_end(&s, &svc);
}

/* A client's lease runs on from its last request, not from the upgrade:
 * an idle client expires a lease after it went quiet (a client that
 * renewed nothing must not be kept alive by upgrades). */
static void test_lease_runs_on(void **st)
{
	(void)st;
	struct nfs4c_sess s;
	nfs4c_session_up(&s, nfs4c_connect(server.hostport), 955, "upgrade-idle", NULL);
	struct nfs4_stateid open;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
	assert_int_equal(open41(&s, "owner-idle", "idle", &open, fh, &fhlen), NFS4_OK);
	uint64_t quiet = dl_now_ms();
	usleep(4000 * 1000);
	upgrade();
	char expired[80];
	snprintf(expired, sizeof(expired), "lease of client %016llx expired",
		 (unsigned long long)s.clientid);
	while (!log_says(expired) && dl_now_ms() < quiet + 20000)
		usleep(100 * 1000);
	uint64_t after = dl_now_ms() - quiet;
	/* The fixture's lease is 10 s; the state thread looks every 1 s. */
	if (!log_says(expired) || after < 9000 || after > 13000)
		fail_msg("the idle client expired %llu ms after its last request (lease 10 s)%s",
			 (unsigned long long)after, log_says(expired) ? "" : ": never");
	nfs4c_close(s.fd);
}

/* The NFSv4.0 reply cache goes over too: a COMPOUND with a CREATE and no
 * seqid, retransmitted after the upgrade with its XID on its connection,
 * gets the reply it got before, byte for byte; with another XID it runs
 * again (NFS4ERR_EXIST). */
static uint32_t send_call(int fd, uint32_t xid, const struct buf *call, uint8_t *res,
			  size_t *len)
{
	struct rpctest_reply r;
	assert_int_equal(nfs4c_rpc(fd, xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND,
				   nfs4c_root_cred(), call->data, call->len, &r),
			 0);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	*len = xdr_dec_remaining(&r.results);
	assert_true(*len <= 512);
	memcpy(res, r.results.p, *len);
	struct nfs4_compound_res_hdr h;
	assert_int_equal(nfs4c_parse_compound(&r, &h), 0);
	rpctest_reply_release(&r);
	return h.status;
}

static void test_v40_reply_cache_carried(void **st)
{
	(void)st;
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_call m;
	nfs4c_begin(&m, 0);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	add_create_dir(&m, "drc-carried");
	struct buf *call = nfs4c_call_bytes(&m);
	uint32_t xid = 0x75910000u + (uint32_t)getpid();
	uint8_t first[512], again[512];
	size_t first_len, again_len;
	assert_int_equal(send_call(fd, xid, call, first, &first_len), NFS4_OK);

	upgrade();
	assert_int_equal(send_call(fd, xid, call, again, &again_len), NFS4_OK);
	assert_int_equal(again_len, first_len);
	assert_memory_equal(again, first, first_len);
	assert_int_equal(send_call(fd, xid + 1, call, again, &again_len), NFS4ERR_EXIST);
	buf_unref(call);
	nfs4c_close(fd);
}

/* A blocking WRITEW_LT LOCK of 0..9 by a new lock owner: its status. */
static uint32_t lock_waiting(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen,
			     const struct nfs4_stateid *open, const char *lock_owner)
{
	struct nfs4_lock_args a = {.locktype = WRITEW_LT, .offset = 0, .length = 10};
	a.locker.new_lock_owner = true;
	a.locker.open_stateid = *open;
	a.locker.owner.clientid = s->clientid;
	a.locker.owner.owner = nfs4_opaque_str(lock_owner);
	return op41(s, fh, fhlen, OP_LOCK, enc_lock, &a, NULL);
}

/* A v4.1 lock owner whose blocking LOCK was denied before the upgrade is
 * told by CB_NOTIFY_LOCK when the holder (another lock owner of the same
 * client) unlocks after it, as it would have been without the upgrade:
 * the waiter is carried. */
static void test_blocked_lock_carried(void **st)
{
	(void)st;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	dl_client(&s, &svc, "upgrade-waiter", 954);
	struct nfs4_stateid open, held;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
	assert_int_equal(open41(&s, "owner", "contended", &open, fh, &fhlen), NFS4_OK);
	assert_int_equal(lock41(&s, fh, fhlen, &open, "holder", NULL, 0, &held), NFS4_OK);
	assert_int_equal(lock_waiting(&s, fh, fhlen, &open, "waiter"), NFS4ERR_DENIED);

	upgrade();
	expect_log("with blocked lock requests");

	unsigned notices = nfs4c_cb_count(&svc, OP_CB_NOTIFY_LOCK);
	held.seqid = 0;
	assert_int_equal(dl_on(&s, fh, fhlen, OP_LOCKU, add_locku, &held), NFS4_OK);
	assert_true(nfs4c_cb_wait(&svc, OP_CB_NOTIFY_LOCK, notices + 1, 5000));
	struct nfs4c_cb_rec rec;
	assert_true(nfs4c_cb_get(&svc, OP_CB_NOTIFY_LOCK, notices, &rec));
	assert_int_equal(rec.owner_clientid, s.clientid);
	assert_int_equal(lock_waiting(&s, fh, fhlen, &open, "waiter"), NFS4_OK);
	dl_client_end(&s, &svc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v41_state_carried),
		cmocka_unit_test(test_delegation_carried),
		cmocka_unit_test(test_recalled_delegation_carried),
		cmocka_unit_test(test_v40_delegation_carried),
		cmocka_unit_test(test_host_change_during_upgrade),
		cmocka_unit_test(test_dir_delegation_carried),
		cmocka_unit_test(test_delegation_granted_during_run_up),
		cmocka_unit_test(test_lease_runs_on),
		cmocka_unit_test(test_v40_state_carried),
		cmocka_unit_test(test_v40_reply_cache_carried),
		cmocka_unit_test(test_blocked_lock_carried),
	};
	return cmocka_run_group_tests(tests, dl_setup, dl_teardown);
}
