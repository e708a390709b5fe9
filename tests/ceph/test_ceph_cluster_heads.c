/* Two clustered ferryd heads ([cluster] node a and b) serving one CephFS
 * directory, with the cluster's grace object and client records in RADOS:
 *   - head a upgraded in place (POST /api/v1/upgrade) stays the same
 *     member: no cluster-wide grace (head b grants new state all along),
 *     its client's session and open carried over, its heartbeat going on
 *     (a take-over is refused), and the storage clients a take-over
 *     would blocklist now the new process's;
 *   - an upgrade of head a whose new ferryd fails once it has joined and
 *     published leaves the old one serving as the member it was (not
 *     stopped as a second process under its name), its own storage
 *     clients published again;
 *   - a read delegation held through head a is recalled by a write
 *     through head b (the CephFS delegation of a's client holds b's
 *     write back until the NFS client returns it);
 *   - head a killed and restarted in place starts a cluster-wide grace:
 *     head b refuses new state (NFS4ERR_GRACE) until a's client has
 *     reclaimed and said RECLAIM_COMPLETE, then at once (not after
 *     grace_time, 60 s here);
 *   - head a killed for good and taken over by head b (POST
 *     /api/v1/cluster/takeover): b listens on a's address, a's client
 *     comes back there with its file handle and reclaims its open and
 *     its byte-range lock (which CephFS lets b take only because a's
 *     CephFS session was ended), grace lifts once it is done, and a is
 *     no longer a member; b upgraded in place then still listens on a's
 *     address as a's server;
 *   - the take-over is refused (503, retry_after_ms) until a's heartbeat
 *     has been silent for fence_after, is a success that does nothing
 *     when repeated, and blocklists a's RADOS and CephFS clients;
 *   - head a paused (SIGSTOP) and taken over meanwhile answers nothing
 *     when it wakes (SIGCONT), and stops by itself;
 *   - a second process started under head b's name makes the first stop.
 *
 * Needs a cluster (FERRY_TEST_CEPH_CONF, FERRY_TEST_CEPH_ID) with a pool
 * named ferry; skipped (exit 77) without one. */
#include "ceph/ceph_fixture.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "lib/ctl_test.h"
#include "lib/rpctest.h"

enum { GRACE_S = 60, FENCE_AFTER_S = 2 };

static struct ferryd_proc head_b;
static char ns[96], conf_b[300], state_b[300];

static void write_head_conf(const char *path, const char *node)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"[nfs]\nlease_time = 10\ngrace_time = %u\ncallback_timeout_ms = 300\n"
		"callback_retry_ms = 200\ncallback_retries = 1\n"
		"[cluster]\nnode = %s\nrados_conf = %s\nrados_id = %s\nrados_namespace = %s\n"
		"fence_after = %u\n"
		"[export e]\nbackend = ceph\npath = %s\npseudo = /export\nceph_conf = %s\n"
		"ceph_id = %s\nsquash = none\n",
		GRACE_S, node, ceph_conf, ceph_id, ns, FENCE_AFTER_S, ceph_dir, ceph_conf, ceph_id);
	assert_int_equal(fclose(f), 0);
}

static int heads_setup(void **st)
{
	if (ceph_setup(st) != 0)
		return -1;
	/* A namespace of this run's: a cluster of these two heads alone. */
	snprintf(ns, sizeof(ns), "heads-%ld-%ld", (long)getpid(), (long)time(NULL));
	if (ferryd_stop(&server) != 0)
		return -1;
	write_head_conf(ceph_ferryd_conf, "a");
	if (ceph_start() != 0)
		return -1;
	snprintf(conf_b, sizeof(conf_b), "%s/ferry-b.conf", dl_dir);
	snprintf(state_b, sizeof(state_b), "%s/state-b", dl_dir);
	write_head_conf(conf_b, "b");
	const char *args[] = {"--config", conf_b, "--state-dir", state_b, NULL};
	return ferryd_start(&head_b, args);
}

static int heads_teardown(void **st)
{
	/* Head b stopped by itself when the last test ran to its end. */
	bool b_up = head_b.pid > 0;
	int rc = ferryd_stop(&head_b);
	return dl_teardown(st) | (b_up ? rc : 0);
}

static void kill_a(void)
{
	assert_int_equal(kill(server.pid, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(server.pid, &status, 0), server.pid);
	server.pid = 0;
}

/* OPEN CLAIM_PREVIOUS of o's file, again while the answer is
 * NFS4ERR_DELAY (the other head may not enforce grace yet); *delays
 * counts them. */
static struct dl_open reclaim_open(struct nfs4c_sess *s, const struct dl_open *o, int *delays)
{
	struct nfs4_open_claim prev = {.type = CLAIM_PREVIOUS, .delegate_type = OPEN_DELEGATE_NONE};
	uint64_t end = dl_now_ms() + 15000;
	struct dl_open r;
	*delays = 0;
	while ((r = dl_open_claim(s, NULL, BOTH, false, &prev, o->fh, o->fhlen)).status ==
		       NFS4ERR_DELAY &&
	       dl_now_ms() < end) {
		(*delays)++;
		usleep(100 * 1000);
	}
	return r;
}

/* LOCK WRITE_LT [0, 100) for a new lock owner through open stateid sid
 * of file fh; reclaim as asked. */
static uint32_t lock_range(struct nfs4c_sess *s, const struct dl_open *o,
			   const struct nfs4_stateid *sid, bool reclaim)
{
	struct nfs4_lock_args a = {.locktype = WRITE_LT, .reclaim = reclaim, .offset = 0,
				   .length = 100};
	a.locker.new_lock_owner = true;
	a.locker.open_stateid = *sid;
	a.locker.owner.clientid = s->clientid;
	a.locker.owner.owner = nfs4_opaque_str("heads-lock-owner");
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, o->fh, o->fhlen);
	NFS4C_OP(&m, OP_LOCK, nfs4_enc_lock_args, &a);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t st = nfs4c_next(&p, OP_LOCK);
	nfs4c_done(&p);
	return st;
}

/* New state on s (a new file each time): the status, retried while it
 * is want_gone, for at most ms; *waited how long it took. */
static uint32_t new_open_until_not(struct nfs4c_sess *s, const char *name, uint32_t want_gone,
				   unsigned ms, uint64_t *waited)
{
	uint64_t start = dl_now_ms();
	uint32_t st;
	while ((st = dl_open(s, name, BOTH, true).status) == want_gone &&
	       dl_now_ms() - start < ms)
		usleep(100 * 1000);
	*waited = dl_now_ms() - start;
	return st;
}

/* The client goes away for good (DESTROY_SESSION, DESTROY_CLIENTID): no
 * record of it is left to wait for in a later grace period. */
static void client_gone(struct nfs4c_sess *s, struct nfs4c_cb *svc)
{
	assert_int_equal(nfs4c_destroy_session(s), NFS4_OK);
	uint32_t st;
	uint64_t end = dl_now_ms() + 5000;
	while ((st = nfs4c_destroy_clientid(s)) == NFS4ERR_CLIENTID_BUSY && dl_now_ms() < end)
		usleep(100 * 1000);
	assert_int_equal(st, NFS4_OK);
	if (svc)
		dl_client_end(s, svc);
	else
		nfs4c_close(s->fd);
}

struct b_writer {
	struct nfs4c_sess *s;
	struct dl_open o;
	uint32_t status;
	uint64_t done_ms;
};

static void *b_write(void *arg)
{
	struct b_writer *w = arg;
	struct write_arg wa = {.stateid = &w->o.stateid, .data = "through b"};
	w->status = dl_on(w->s, w->o.fh, w->o.fhlen, OP_WRITE, add_write, &wa);
	w->done_ms = dl_now_ms();
	return NULL;
}

/* A read delegation through head a, recalled by a write through head b. */
static void test_delegation_across_heads(void **st)
{
	(void)st;
	/* Head a, taken over by the test before, serves again: a member with
	 * no records (b took them), so no grace. */
	if (server.pid == 0)
		assert_int_equal(ceph_start(), 0);
	char path[200];
	snprintf(path, sizeof(path), "%s/deleg-shared", ceph_dir);
	cephfs_put_file(path, "made by CephFS", 0666);

	struct nfs4c_sess x, y;
	struct nfs4c_cb sx, sy;
	dl_client(&x, &sx, "heads-deleg-x", 0);
	struct dl_open r = dl_open(&x, "deleg-shared", RD, false);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.deleg.type, OPEN_DELEGATE_READ);

	share_client_at(&y, &sy, head_b.hostport, "heads-deleg-y", 0);
	struct b_writer w = {.s = &y};
	w.o = dl_open(&y, "deleg-shared", BOTH, false);
	assert_int_equal(w.o.status, NFS4_OK);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, b_write, &w), 0);
	assert_true(nfs4c_cb_wait(&sx, OP_CB_RECALL, 1, 30000));
	/* b's write waits while a's client keeps its delegation. */
	usleep(1000 * 1000);
	assert_int_equal(w.done_ms, 0);
	uint64_t returned = dl_now_ms();
	assert_int_equal(dl_delegreturn(&x, &r), NFS4_OK);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.status, NFS4_OK);
	assert_true(w.done_ms >= returned);
	printf("head b's write went through %llu ms after the delegation went back to head a\n",
	       (unsigned long long)(w.done_ms - returned));
	assert_int_equal(dl_on(&x, r.fh, r.fhlen, OP_CLOSE, add_close, &r.stateid), NFS4_OK);
	assert_int_equal(dl_on(&y, w.o.fh, w.o.fhlen, OP_CLOSE, add_close, &w.o.stateid),
			 NFS4_OK);
	dl_client_end(&x, &sx);
	dl_client_end(&y, &sy);
}

/* Whether a's log holds text (grep -F). */
static bool a_log_has(const char *log, const char *text)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "grep -qF '%s' %s", text, log);
	return system(cmd) == 0;
}

/* Member node's storage clients (what a take-over blocklists) in GET
 * /api/v1/cluster of head b, into out; whether it is a member. */
static bool member_clients(const char *node, char *out, size_t cap)
{
	struct ctl_http_reply rep;
	ctlt_request(&head_b, "GET", "/api/v1/cluster", false, NULL, &rep);
	assert_int_equal(rep.status, 200);
	json_t *j = json_loads(rep.body, 0, NULL);
	assert_non_null(j);
	bool found = false;
	json_t *m;
	size_t i;
	json_array_foreach(json_object_get(j, "members"), i, m)
	{
		if (strcmp(json_string_value(json_object_get(m, "node")), node) != 0)
			continue;
		snprintf(out, cap, "%s", json_string_value(json_object_get(m, "clients")));
		found = true;
	}
	json_decref(j);
	ctl_http_reply_free(&rep);
	return found;
}

/* Head a upgraded in place while head b serves: a stays the member it
 * was.  Had the new process joined as a restarted head, b would refuse
 * new state (NFS4ERR_GRACE) within a second.  (Joining under a new
 * instance shows in the next test, where the old process must serve on:
 * here it hands over before its next look would see the change.) */
static void test_upgrade_keeps_membership(void **st)
{
	(void)st;
	struct nfs4c_sess x, y;
	struct nfs4c_cb sx, sy;
	share_client_at(&x, &sx, server.hostport, "heads-upgrade-x", 0);
	struct dl_open o = dl_open(&x, "upgrade-x", BOTH, true);
	assert_int_equal(o.status, NFS4_OK);
	/* Given back now: an upgrade recalls delegations and waits for them. */
	if (o.deleg.type != OPEN_DELEGATE_NONE)
		assert_int_equal(dl_delegreturn(&x, &o), NFS4_OK);
	share_client_at(&y, &sy, head_b.hostport, "heads-upgrade-y", 0);
	assert_int_equal(dl_open(&y, "upgrade-y0", BOTH, true).status, NFS4_OK);
	char before[512], after[512];
	assert_true(member_clients("a", before, sizeof(before)));
	assert_true(before[0] != '\0');

	pid_t old = server.pid;
	ctlt_upgrade(&server);
	assert_true(server.pid != old);
	/* b grants new state all along: no grace began (b looks twice a
	 * second, a restarted head's grace would show within one). */
	uint64_t granted;
	assert_int_equal(new_open_until_not(&y, "upgrade-y1", NFS4_OK, 2000, &granted),
			 NFS4_OK);
	/* x's session, open and connection came over. */
	struct write_arg wa = {.stateid = &o.stateid, .data = "after the upgrade"};
	assert_int_equal(dl_on(&x, o.fh, o.fhlen, OP_WRITE, add_write, &wa), NFS4_OK);
	assert_int_equal(dl_on(&x, o.fh, o.fhlen, OP_CLOSE, add_close, &o.stateid), NFS4_OK);
	assert_false(a_log_has(server.log_path, "not handed over"));
	assert_true(a_log_has(server.log_path, "upgrade: pid"));
	/* The new process published its own storage clients. */
	assert_true(member_clients("a", after, sizeof(after)));
	assert_true(after[0] != '\0');
	assert_string_not_equal(before, after);
	/* Its heartbeat goes on: past fence_after since the old process
	 * ended, a take-over of a is still refused as too early. */
	usleep((FENCE_AFTER_S * 1000 + 500) * 1000);
	struct ctl_http_reply rep;
	ctlt_request(&head_b, "POST", "/api/v1/cluster/takeover", true, "{\"node\": \"a\"}",
		     &rep);
	assert_int_equal(rep.status, 503);
	ctl_http_reply_free(&rep);
	printf("head a upgraded: head b granted new state for %llu ms after, a's storage clients "
	       "%s -> %s\n",
	       (unsigned long long)granted, before, after);
	client_gone(&x, &sx);
	dl_client_end(&y, &sy);
}

/* An upgrade of head a to a ferryd that gives up when all but ready (it
 * has joined the cluster under a's instance and published its storage
 * clients): the old process serves on, still the member, with its own
 * storage clients published again. */
static void test_failed_upgrade_serves_on(void **st)
{
	(void)st;
	char wrapper[300], before[512], after[512];
	snprintf(wrapper, sizeof(wrapper), "%s/ferryd-fails-ready", dl_dir);
	FILE *f = fopen(wrapper, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\nFERRY_TEST_UPGRADE_FAIL_READY=1 exec %s \"$@\"\n", FERRYD_PATH);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(wrapper, 0755), 0);
	assert_true(member_clients("a", before, sizeof(before)));
	pid_t old = server.pid;
	char body[400];
	snprintf(body, sizeof(body), "{\"binary\": \"%s\"}", wrapper);
	struct ctl_http_reply rep;
	ctlt_request(&server, "POST", "/api/v1/upgrade", true, body, &rep);
	printf("upgrade to a ferryd that fails: %u %s\n", rep.status, rep.body);
	assert_int_not_equal(rep.status, 200);
	assert_non_null(strstr(rep.body, "serves on"));
	ctl_http_reply_free(&rep);
	/* A few of its looks at the grace object later, it still serves. */
	usleep(2000 * 1000);
	assert_int_equal(server.pid, old);
	assert_true(ferryd_running(&server));
	assert_false(a_log_has(server.log_path, "joined by another process under the same name"));
	struct nfs4c_sess x;
	struct nfs4c_cb sx;
	share_client_at(&x, &sx, server.hostport, "heads-failed-upgrade-x", 0);
	struct dl_open o = dl_open(&x, "failed-upgrade-x", BOTH, true);
	assert_int_equal(o.status, NFS4_OK);
	if (o.deleg.type != OPEN_DELEGATE_NONE)
		assert_int_equal(dl_delegreturn(&x, &o), NFS4_OK);
	assert_int_equal(dl_on(&x, o.fh, o.fhlen, OP_CLOSE, add_close, &o.stateid), NFS4_OK);
	client_gone(&x, &sx);
	/* What a take-over of a would blocklist: this process's clients. */
	assert_true(member_clients("a", after, sizeof(after)));
	assert_string_equal(before, after);
}

/* Head a restarted in place: head b's clients get NFS4ERR_GRACE for new
 * state until a's client has reclaimed, and not longer. */
static void test_restart_in_place(void **st)
{
	(void)st;
	struct nfs4c_sess x, y;
	struct nfs4c_cb sx, sy;
	share_client_at(&x, &sx, server.hostport, "heads-restart-x", 0);
	struct dl_open o = dl_open(&x, "restart-x", BOTH, true);
	assert_int_equal(o.status, NFS4_OK);
	share_client_at(&y, &sy, head_b.hostport, "heads-restart-y", 0);
	assert_int_equal(dl_open(&y, "restart-y0", BOTH, true).status, NFS4_OK);
	dl_client_end(&x, &sx);

	kill_a();
	assert_int_equal(ceph_start(), 0);
	/* b learns of the grace a started (it looks twice a second). */
	uint64_t waited;
	assert_int_equal(new_open_until_not(&y, "restart-y1", NFS4_OK, 5000, &waited),
			 NFS4ERR_GRACE);
	printf("head b refused new state %llu ms after head a was up again\n",
	       (unsigned long long)waited);

	nfs4c_session_up_reclaiming(&x, nfs4c_connect(server.hostport), 0, "heads-restart-x",
				    NULL);
	int delays;
	struct dl_open r = reclaim_open(&x, &o, &delays);
	assert_int_equal(r.status, NFS4_OK);
	dl_reclaim_complete(&x);
	uint32_t s = new_open_until_not(&y, "restart-y2", NFS4ERR_GRACE, 20000, &waited);
	assert_int_equal(s, NFS4_OK);
	printf("head a's client reclaimed (after %d NFS4ERR_DELAY); head b granted new state "
	       "%llu ms after its RECLAIM_COMPLETE (grace_time %u s)\n",
	       delays, (unsigned long long)waited, (unsigned)GRACE_S);
	assert_true(waited < 5000);
	/* x goes for good: the take-over that follows has no record of it
	 * to wait for. */
	assert_int_equal(dl_on(&x, r.fh, r.fhlen, OP_CLOSE, add_close, &r.stateid), NFS4_OK);
	client_gone(&x, NULL);
	dl_client_end(&y, &sy);
}

/* POST /api/v1/cluster/takeover of node a to head b until it is no longer
 * refused for a's recent heartbeat (503, as a notify script retries);
 * the reply left in *rep, and how many refusals came first. */
static int takeover_a(struct ctl_http_reply *rep)
{
	int refused = 0;
	uint64_t end = dl_now_ms() + 4 * FENCE_AFTER_S * 1000;
	for (;;) {
		ctlt_request(&head_b, "POST", "/api/v1/cluster/takeover", true,
			     "{\"node\": \"a\"}", rep);
		if (rep->status != 503 || dl_now_ms() > end)
			return refused;
		assert_non_null(strstr(rep->body, "retry_after_ms"));
		refused++;
		ctl_http_reply_free(rep);
		usleep(200 * 1000);
	}
}

/* EXCHANGE_ID of owner name (the test clients' verifier) at hostport:
 * the server_owner major id into major, the clientid. */
static uint64_t owner_seen_at(const char *hostport, const char *name, char major[64])
{
	int fd = nfs4c_connect(hostport);
	struct nfs4c_eid e;
	assert_int_equal(nfs4c_exchange_id(fd, nfs4c_cred(0), name, "verf0001", 0, SP4_NONE, &e),
			 NFS4_OK);
	nfs4c_close(fd);
	memcpy(major, e.major, 64);
	return e.clientid;
}

/* Head a dies for good; head b takes it over.  Client x is a's alone;
 * client w, one owner, mounted both heads (as a Linux client does, one
 * owner for every server): its state on a comes back at a's address on
 * b beside its state on b, which goes on as it was. */
static void test_takeover(void **st)
{
	(void)st;
	struct nfs4c_sess x, z, wa, wb;
	struct nfs4c_cb sx, sz, swa, swb;
	share_client_at(&x, &sx, server.hostport, "heads-takeover-x", 0);
	struct dl_open o = dl_open(&x, "takeover-x", BOTH, true);
	assert_int_equal(o.status, NFS4_OK);
	assert_int_equal(lock_range(&x, &o, &o.stateid, false), NFS4_OK);
	dl_client_end(&x, &sx);

	share_client_at(&wa, &swa, server.hostport, "heads-takeover-w", 0);
	share_client_at(&wb, &swb, head_b.hostport, "heads-takeover-w", 0);
	struct dl_open owa = dl_open(&wa, "takeover-wa", BOTH, true);
	struct dl_open owb = dl_open(&wb, "takeover-wb", BOTH, true);
	assert_int_equal(owa.status, NFS4_OK);
	assert_int_equal(owb.status, NFS4_OK);
	assert_int_equal(lock_range(&wa, &owa, &owa.stateid, false), NFS4_OK);
	assert_int_equal(lock_range(&wb, &owb, &owb.stateid, false), NFS4_OK);
	char major_a[64], major_b[64], major_seen[64];
	owner_seen_at(server.hostport, "heads-takeover-w", major_a);
	owner_seen_at(head_b.hostport, "heads-takeover-w", major_b);
	assert_string_not_equal(major_a, major_b);
	dl_client_end(&wa, &swa);

	kill_a();
	uint64_t killed = dl_now_ms();
	/* At once: a's heartbeat is too recent; ferryctl says try again. */
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "%s --state-dir %s cluster takeover a 2>/dev/null",
		 FERRYCTL_PATH, state_b);
	int st_ctl = system(cmd);
	assert_true(WIFEXITED(st_ctl));
	assert_int_equal(WEXITSTATUS(st_ctl), 75);
	struct ctl_http_reply rep;
	int refused = takeover_a(&rep);
	uint64_t taken = dl_now_ms() - killed;
	printf("takeover after %d refusal(s), %llu ms after the kill: %u %s\n", refused,
	       (unsigned long long)taken, rep.status, rep.body);
	assert_int_equal(rep.status, 200);
	/* Not before fence_after of silence (less a beat's period: the last
	 * beat may have left just before the kill). */
	assert_true(refused > 0);
	assert_true(taken >= FENCE_AFTER_S * 1000 - 600);
	assert_non_null(strstr(rep.body, "\"taken_over_by\": \"b\""));
	assert_non_null(strstr(rep.body, "\"already\": false"));
	assert_non_null(strstr(rep.body, server.hostport)); /* now listening on it */
	assert_non_null(strstr(rep.body, "\"/export\""));     /* its CephFS session ended */
	assert_null(strstr(rep.body, "\"error\""));
	ctl_http_reply_free(&rep);

	/* a's client, at a's address, with a's file handle. */
	nfs4c_session_up_reclaiming(&x, nfs4c_connect(server.hostport), 0, "heads-takeover-x",
				    NULL);
	int delays;
	struct dl_open r = reclaim_open(&x, &o, &delays);
	assert_int_equal(r.status, NFS4_OK);
	/* CephFS gives head b the file and the range at once only because a's
	 * session was ended: without that, the reclaim waits on the
	 * capabilities a's dead session still holds (the test client's
	 * request then times out). */
	assert_int_equal(lock_range(&x, &o, &r.stateid, true), NFS4_OK);
	dl_reclaim_complete(&x);
	printf("head a's client had its open and lock back %llu ms after the kill (%d "
	       "NFS4ERR_DELAY)\n",
	       (unsigned long long)(dl_now_ms() - killed), delays);

	/* w at a's address: the server it mounted there (a's server_owner),
	 * a client of its own, not w's client of head b. */
	assert_true(owner_seen_at(server.hostport, "heads-takeover-w", major_seen) != wb.clientid);
	assert_string_equal(major_seen, major_a);
	nfs4c_session_up_reclaiming(&wa, nfs4c_connect(server.hostport), 0, "heads-takeover-w",
				    NULL);
	assert_true(wa.clientid != wb.clientid);
	struct dl_open rwa = reclaim_open(&wa, &owa, &delays);
	assert_int_equal(rwa.status, NFS4_OK);
	assert_int_equal(lock_range(&wa, &owa, &rwa.stateid, true), NFS4_OK);
	dl_reclaim_complete(&wa);
	/* w's state on b is still its own: its open writes (and its lock
	 * is kept: below). */
	struct write_arg wba = {.stateid = &owb.stateid, .data = "w through b"};
	assert_int_equal(dl_on(&wb, owb.fh, owb.fhlen, OP_WRITE, add_write, &wba), NFS4_OK);

	share_client_at(&z, &sz, head_b.hostport, "heads-takeover-z", 0);
	uint64_t waited;
	assert_int_equal(new_open_until_not(&z, "takeover-z", NFS4ERR_GRACE, 20000, &waited),
			 NFS4_OK);
	assert_true(waited < 5000);
	/* The range is held, by the lock reclaimed through b. */
	struct dl_open oz = dl_open(&z, "takeover-x", BOTH, false);
	assert_int_equal(oz.status, NFS4_OK);
	assert_int_equal(lock_range(&z, &oz, &oz.stateid, false), NFS4ERR_DENIED);
	/* And both of w's ranges are held: the one reclaimed at a's address
	 * and the one it kept at b's. */
	struct dl_open ozwa = dl_open(&z, "takeover-wa", BOTH, false);
	struct dl_open ozwb = dl_open(&z, "takeover-wb", BOTH, false);
	assert_int_equal(ozwa.status, NFS4_OK);
	assert_int_equal(ozwb.status, NFS4_OK);
	assert_int_equal(lock_range(&z, &ozwa, &ozwa.stateid, false), NFS4ERR_DENIED);
	assert_int_equal(lock_range(&z, &ozwb, &ozwb.stateid, false), NFS4ERR_DENIED);
	/* b lists w twice: once as its own client, once as a's. */
	ctlt_request(&head_b, "GET", "/api/v1/clients", false, NULL, &rep);
	assert_int_equal(rep.status, 200);
	assert_non_null(strstr(rep.body, "\"origin\": \"a\""));
	ctl_http_reply_free(&rep);

	ctlt_request(&head_b, "GET", "/api/v1/cluster", false, NULL, &rep);
	assert_int_equal(rep.status, 200);
	assert_non_null(strstr(rep.body, "\"node\": \"b\"")); /* members are listed... */
	assert_null(strstr(rep.body, "\"node\": \"a\""));	  /* ...and a is not one */
	/* b publishes a's address as its own now (a head taking b over
	 * listens there too), and the client instances a take-over of b
	 * would blocklist. */
	assert_non_null(strstr(rep.body, server.hostport));
	assert_non_null(strstr(rep.body, "\"clients\": \"127.0.0.1:"));
	assert_non_null(strstr(rep.body, "\"in_grace\": false"));
	ctl_http_reply_free(&rep);
	char *page = ctlt_scrape(&head_b);
	assert_true(ctlt_promtool_ok(page));
	assert_true(ctlt_metric(page, "ferry_cluster_in_grace") == 0);
	assert_true(ctlt_metric(page, "ferry_cluster_reachable") == 1);
	assert_true(ctlt_metric(page, "ferry_cluster_member_enforcing{node=\"b\"}") == 0);
	assert_true(ctlt_metric(page, "ferry_cluster_member_need_grace{node=\"a\"}") == -1);
	assert_true(ctlt_metric(page, "ferry_cluster_epoch{epoch=\"recovery\"}") == 0);
	assert_true(ctlt_metric(page, "ferry_cluster_epoch{epoch=\"current\"}") >= 3);
	free(page);
	/* Again: done already, by b; nothing more happens. */
	ctlt_request(&head_b, "POST", "/api/v1/cluster/takeover", true, "{\"node\": \"a\"}",
		     &rep);
	assert_int_equal(rep.status, 200);
	assert_non_null(strstr(rep.body, "\"already\": true"));
	assert_non_null(strstr(rep.body, "\"taken_over_by\": \"b\""));
	ctl_http_reply_free(&rep);
	/* ... not even a grace period: b grants new state at once. */
	assert_int_equal(dl_open(&z, "takeover-z-again", BOTH, true).status, NFS4_OK);
	ctlt_request(&head_b, "POST", "/api/v1/cluster/takeover", true,
		     "{\"node\": \"never-was\"}", &rep);
	assert_int_equal(rep.status, 404);
	ctl_http_reply_free(&rep);
	/* The clients go for good (their sessions now, their state and
	 * records when their leases are over): b, upgraded below while the
	 * grace for a's clients is under way, starts as after a restart for
	 * NFSv4, and the records of clients still there would hold the
	 * cluster in grace for the tests that follow. */
	assert_int_equal(nfs4c_destroy_session(&x), NFS4_OK);
	assert_int_equal(nfs4c_destroy_session(&wa), NFS4_OK);
	assert_int_equal(nfs4c_destroy_session(&wb), NFS4_OK);
	assert_int_equal(nfs4c_destroy_session(&z), NFS4_OK);
	nfs4c_close(x.fd);
	nfs4c_close(wa.fd);
	dl_client_end(&wb, &swb);
	dl_client_end(&z, &sz);
	uint64_t end = dl_now_ms() + 30000;
	while (ctlt_metric_now(&head_b, "ferry_state_locks") != 0 && dl_now_ms() < end)
		usleep(500 * 1000);
	assert_true(ctlt_metric_now(&head_b, "ferry_state_locks") == 0);

	/* b upgraded in place still listens on a's address, as a's server. */
	ctlt_upgrade(&head_b);
	assert_true(a_log_has(head_b.log_path, "address, as before"));
	owner_seen_at(server.hostport, "heads-takeover-w", major_seen);
	assert_string_equal(major_seen, major_a);
}


/* Head a paused past fence_after (SIGSTOP) is taken over by head b; woken
 * (SIGCONT), it answers nothing, not even a call that waited in its
 * socket, finds itself blocklisted and stops.  Its health check failed
 * meanwhile?  It could not answer at all: paused. */
static void test_paused_head_fenced(void **st)
{
	(void)st;
	if (server.pid == 0)
		assert_int_equal(ceph_start(), 0);
	/* Healthy before: GET /healthz 200. */
	struct ctl_http_reply rep;
	ctlt_request(&server, "GET", "/healthz", false, NULL, &rep);
	assert_int_equal(rep.status, 200);
	ctl_http_reply_free(&rep);
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	/* A heartbeat or two: a publishes the connection beside it. */
	usleep(1200 * 1000);
	assert_int_equal(kill(server.pid, SIGSTOP), 0);
	int refused = takeover_a(&rep);
	printf("paused head a taken over after %d refusal(s): %u %s\n", refused, rep.status,
	       rep.body);
	assert_int_equal(rep.status, 200);
	assert_non_null(strstr(rep.body, "\"already\": false"));
	/* b reset the connection a's client had (rpc_tickle; a, paused, still
	 * has it here on one host, so the client keeps it: rpc/test_tickle
	 * shows the reset itself). */
	assert_non_null(strstr(rep.body, "\"connections_reset\": 1"));
	ctl_http_reply_free(&rep);
	/* A call a finds in its socket when it wakes. */
	struct buf *call = rpctest_build_call(0x5eed, 100003, 4, 0, NULL, NULL, 0);
	assert_non_null(call);
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 64, 1024));
	rpctest_append_record(&e, call->data, call->len);
	struct buf *rec = xdr_enc_take(&e);
	assert_int_equal(rpctest_send_raw(fd, rec->data, rec->len), 0);
	buf_unref(rec);
	buf_unref(call);
	char log_a[sizeof(server.log_path)];
	snprintf(log_a, sizeof(log_a), "%s", server.log_path);
	assert_int_equal(kill(server.pid, SIGCONT), 0);
	struct rpctest_reply r;
	int rc = rpctest_recv_reply(fd, &r, 3000);
	if (rc == 0)
		rpctest_reply_release(&r);
	assert_true(rc != 0); /* no reply: timed out, or closed as it stopped */
	close(fd);
	uint64_t end = dl_now_ms() + 15000;
	while (ferryd_running(&server) && dl_now_ms() < end)
		usleep(100 * 1000);
	assert_false(ferryd_running(&server)); /* reaped: server.pid is 0 */
	/* Fenced by the blocklist, or told by the grace object: either way it
	 * said so and acknowledged nothing more. */
	assert_true(a_log_has(log_a, "acknowledging nothing more and stopping"));
	assert_true(a_log_has(head_b.log_path, "fenced node a: blocklisted"));
	/* Head a serves again, a new process the blocklist does not name. */
	assert_int_equal(ceph_start(), 0);
	ctlt_request(&server, "GET", "/healthz", false, NULL, &rep);
	assert_int_equal(rep.status, 200);
	ctl_http_reply_free(&rep);
}

/* A second process started under head b's node name: the first one
 * finds another instance in the grace object and stops (ferryd exits on
 * the SIGTERM it sends itself), so the two never serve at once. */
static void test_same_name_fenced(void **st)
{
	(void)st;
	char state_b2[300];
	snprintf(state_b2, sizeof(state_b2), "%s/state-b2", dl_dir);
	struct ferryd_proc b2;
	const char *args[] = {"--config", conf_b, "--state-dir", state_b2, NULL};
	assert_int_equal(ferryd_start(&b2, args), 0);
	char log_b[sizeof(head_b.log_path)];
	snprintf(log_b, sizeof(log_b), "%s", head_b.log_path);
	uint64_t end = dl_now_ms() + 10000;
	while (ferryd_running(&head_b) && dl_now_ms() < end)
		usleep(100 * 1000);
	assert_false(ferryd_running(&head_b));
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "grep -q 'joined by another process under the same name' %s",
		 log_b);
	assert_int_equal(system(cmd), 0);
	assert_true(ferryd_running(&b2));
	assert_int_equal(ferryd_stop(&b2), 0);
}

int main(void)
{
	if (!ceph_env("ceph_test_ceph_cluster_heads"))
		return SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upgrade_keeps_membership),
		cmocka_unit_test(test_failed_upgrade_serves_on),
		cmocka_unit_test(test_restart_in_place),
		cmocka_unit_test(test_takeover),
		cmocka_unit_test(test_delegation_across_heads),
		cmocka_unit_test(test_paused_head_fenced),
		cmocka_unit_test(test_same_name_fenced),
	};
	return cmocka_run_group_tests(tests, heads_setup, heads_teardown);
}
