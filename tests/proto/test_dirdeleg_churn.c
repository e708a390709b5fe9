/* Directory delegations under churn: while one or more clients hold a
 * delegation on a directory (asking ADD_ENTRY and REMOVE_ENTRY
 * notifications), another client creates 2,000 entries in it one after
 * another and then removes them.  Every holder either is told of every
 * change exactly once and in order, or is recalled (and returns the
 * delegation) with what it was told before a prefix of that order; and no
 * operation of the writer that was answered NFS4ERR_DELAY waits a second
 * or more in all, from its first sending to its success.  (Operations that
 * were never delayed are timed too, and printed, but not held to the
 * second: on a loaded machine under the sanitizers that is the machine's
 * doing, not the delegation's.)  A holder that answers at once keeps its
 * delegation through the whole burst.
 *
 * The callback settings are ferryd's defaults (5 s per attempt, retries
 * 5, 10, 20 s apart): a notification that cannot be delivered must not
 * make writers wait for a schedule made for file delegations. */
#include <stdatomic.h>

#include "lib/ctl_test.h"
#include "proto/dirdeleg_fixture.h"

enum {
	BURST = 2000,
	CHANGES = 2 * BURST,
	HOLDERS_MAX = 4,
	WAIT_LIMIT_MS = 1000,
	/* The longest a holder may keep its first CB_NOTIFY unanswered:
	 * below dir_notify_slow_ms (1000), past which it is recalled. */
	FIRST_HOLD_MAX_MS = 800,
};

/* Changes the writer has made so far (a holder may wait for them). */
static atomic_uint changes_made;

static int setup(void **st)
{
	(void)st;
	return dl_setup_with("callback_timeout_ms = 5000\ncallback_retry_ms = 5000\n"
			     "callback_retries = 3\nlease_time = 30\n");
}

/* One holder's view: the changes it was told, in the order it was told
 * them (kind and entry number), and the largest CB_NOTIFY it got. */
struct churn_log {
	pthread_mutex_t lock;
	uint32_t kind[CHANGES + 16];
	int entry[CHANGES + 16];
	unsigned count, calls, max_changes;
	bool bad;                 /* a change that did not decode or name no entry of ours */
	bool recalled;            /* a CB_RECALL came */
	unsigned answer_delay_ms;    /* how long the holder takes to answer each callback */
	unsigned first_hold_changes; /* the first CB_NOTIFY is answered once the writer
				      * made this many more changes (or after
				      * FIRST_HOLD_MAX_MS) */
	unsigned first_hold_made;    /* ... and it made this many meanwhile */
};

static uint32_t churn_notify(struct nfs4c_cb *svc, const struct nfs4c_cb_op *op,
			     struct xdr_enc *res)
{
	(void)res;
	struct churn_log *log = svc->arg;
	if (log->calls == 0 && log->first_hold_changes) {
		/* Held by what the writer did, not by the clock: a loaded
		 * machine makes fewer changes in a fixed pause. */
		unsigned from = atomic_load(&changes_made);
		unsigned until = from + log->first_hold_changes;
		uint64_t end = dl_now_ms() + FIRST_HOLD_MAX_MS;
		while (atomic_load(&changes_made) < until && dl_now_ms() < end)
			usleep(2000);
		log->first_hold_made = atomic_load(&changes_made) - from;
	} else if (log->answer_delay_ms) {
		usleep(log->answer_delay_ms * 1000);
	}
	pthread_mutex_lock(&log->lock);
	struct xdr_dec it;
	nfs4_list_iter_init(&it, &op->u.notify.changes);
	for (uint32_t i = 0; i < op->u.notify.changes.count; i++) {
		struct nfs4_notify n;
		struct dd_note o;
		memset(&o, 0, sizeof(o));
		int e;
		char tail;
		if (!nfs4_dec_notify(&it, &n) || !dd_decode_change(&n, &o) ||
		    sscanf(o.name, "c%5d%c", &e, &tail) != 1 || log->count >= CHANGES + 16) {
			log->bad = true;
			continue;
		}
		log->kind[log->count] = o.kind;
		log->entry[log->count++] = e;
	}
	if (op->u.notify.changes.count > log->max_changes)
		log->max_changes = op->u.notify.changes.count;
	log->calls++;
	pthread_mutex_unlock(&log->lock);
	return NFS4_OK;
}

/* A CB_RECALL is answered after the same delay as a CB_NOTIFY (and noted
 * here: the service's own records fill up with the CB_NOTIFYs). */
static uint32_t churn_recall(struct nfs4c_cb *svc, const struct nfs4c_cb_op *op,
			     struct xdr_enc *res)
{
	(void)op;
	(void)res;
	struct churn_log *log = svc->arg;
	if (log->answer_delay_ms)
		usleep(log->answer_delay_ms * 1000);
	pthread_mutex_lock(&log->lock);
	log->recalled = true;
	pthread_mutex_unlock(&log->lock);
	return NFS4_OK;
}

struct holder {
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	struct churn_log log;
	struct nfs4_stateid sid;
	bool returned;
};

/* Returns the delegation of every holder that was recalled, as a prompt
 * client does. */
static void return_recalled(struct holder *h, unsigned n, const struct dd_fh *dir)
{
	for (unsigned i = 0; i < n; i++) {
		pthread_mutex_lock(&h[i].log.lock);
		bool recalled = h[i].log.recalled;
		pthread_mutex_unlock(&h[i].log.lock);
		if (h[i].returned || !recalled)
			continue;
		uint32_t st = dd_return(&h[i].s, dir, &h[i].sid);
		assert_true(st == NFS4_OK || st == NFS4ERR_DELEG_REVOKED);
		h[i].returned = true;
	}
}

/* One change by the writer, retried through NFS4ERR_DELAY as a client
 * does (here every 5 ms, returning recalled delegations meanwhile); how
 * long it took in all (*delayed counts the NFS4ERR_DELAY answers). */
static uint64_t change(struct nfs4c_sess *w, const struct dd_fh *dir, struct holder *h,
		       unsigned nh, bool add, int entry, unsigned *delayed)
{
	char name[16];
	snprintf(name, sizeof(name), "c%05d", entry);
	uint64_t start = dl_now_ms();
	for (;;) {
		uint32_t st = add ? dd_on(w, dir, OP_CREATE, dd_add_create_file, name)
				  : dd_on(w, dir, OP_REMOVE, dd_add_remove, name);
		if (st == NFS4_OK)
			break;
		assert_int_equal(st, NFS4ERR_DELAY);
		(*delayed)++;
		assert_true(dl_now_ms() - start < 60000);
		return_recalled(h, nh, dir);
		usleep(5000);
	}
	return dl_now_ms() - start;
}

/* The n-th change of the burst, as it must be told. */
static void expected(unsigned n, uint32_t *kind, int *entry)
{
	*kind = n < BURST ? NOTIFY4_ADD_ENTRY : NOTIFY4_REMOVE_ENTRY;
	*entry = (int)(n % BURST);
}

/* How a run is set up: holders, how fast they answer, the back channel
 * they ask for (0: the test client's default, 4 KiB). */
struct churn_setup {
	unsigned holders, answer_delay_ms, first_hold_changes;
	uint32_t back_maxrequest;
	bool must_keep; /* a holder may not be recalled */
	const char *recall_cause; /* the cause a recall is counted under, if one comes */
};

static double delta(const char *before, const char *after, const char *series)
{
	return ctlt_metric(after, series) - ctlt_metric(before, series);
}

static void churn(const char *label, const struct churn_setup *cs)
{
	unsigned nh = cs->holders;
	struct holder h[HOLDERS_MAX];
	struct nfs4c_sess w;
	struct nfs4c_cb ws;
	char name[64];
	snprintf(name, sizeof(name), "churn-%s-w", label);
	dl_client(&w, &ws, name, 3100);
	nfs4c_back_maxrequest = cs->back_maxrequest ? cs->back_maxrequest : 4096;
	snprintf(name, sizeof(name), "churn-%s", label);
	struct dd_fh dir = dd_mkdir(&w, name);
	for (unsigned i = 0; i < nh; i++) {
		memset(&h[i], 0, sizeof(h[i]));
		snprintf(name, sizeof(name), "churn-%s-h%u", label, i);
		dl_client(&h[i].s, &h[i].svc, name, 3101 + i);
		pthread_mutex_init(&h[i].log.lock, NULL);
		h[i].log.answer_delay_ms = cs->answer_delay_ms;
		h[i].log.first_hold_changes = cs->first_hold_changes;
		pthread_mutex_lock(&h[i].svc.lock);
		h[i].svc.arg = &h[i].log;
		h[i].svc.handlers[OP_CB_NOTIFY] = churn_notify;
		h[i].svc.handlers[OP_CB_RECALL] = churn_recall;
		pthread_mutex_unlock(&h[i].svc.lock);
		h[i].sid = dd_grant(&h[i].s, &dir,
				    (1u << NOTIFY4_ADD_ENTRY) | (1u << NOTIFY4_REMOVE_ENTRY));
	}

	char *before = ctlt_scrape(&server);
	unsigned delayed = 0;
	uint64_t longest = 0, longest_delayed = 0, start = dl_now_ms();
	atomic_store(&changes_made, 0);
	for (unsigned n = 0; n < CHANGES; n++) {
		unsigned before_op = delayed;
		uint64_t took = change(&w, &dir, h, nh, n < BURST, (int)(n % BURST), &delayed);
		atomic_fetch_add(&changes_made, 1);
		if (took > longest)
			longest = took;
		if (delayed > before_op && took > longest_delayed)
			longest_delayed = took;
		return_recalled(h, nh, &dir);
	}
	uint64_t elapsed = dl_now_ms() - start;

	/* A holder still holding is told everything within a few windows,
	 * and a slow one in the time its answers take: a CB_NOTIFY carries
	 * at most about 87 of these changes (4 KiB), so what is left when
	 * the writer is done needs up to CHANGES / 40 of them, each answered
	 * after answer_delay_ms (a loaded machine left 2,155 changes, more
	 * than 10 s of a 200 ms holder's answers). */
	uint64_t end = dl_now_ms() + 10000 + (uint64_t)cs->answer_delay_ms * (CHANGES / 40);
	for (unsigned i = 0; i < nh; i++) {
		for (;;) {
			return_recalled(h, nh, &dir);
			pthread_mutex_lock(&h[i].log.lock);
			unsigned have = h[i].log.count;
			pthread_mutex_unlock(&h[i].log.lock);
			if (have >= CHANGES || h[i].returned || dl_now_ms() > end)
				break;
			usleep(20 * 1000);
		}
	}
	for (unsigned i = 0; i < nh; i++) {
		struct churn_log *log = &h[i].log;
		pthread_mutex_lock(&log->lock);
		printf("churn %s: holder %u: %u changes told in %u CB_NOTIFYs (at most %u in one)%s\n",
		       label, i, log->count, log->calls, log->max_changes,
		       h[i].returned ? ", recalled and returned" : "");
		assert_false(log->bad);
		/* Exactly the changes made, in order: all of them, or before
		 * the recall a prefix. */
		for (unsigned n = 0; n < log->count; n++) {
			uint32_t kind;
			int entry;
			expected(n, &kind, &entry);
			if (log->kind[n] != kind || log->entry[n] != entry)
				fail_msg("holder %u: change %u is %u/c%05d, not %u/c%05d", i, n,
					 log->kind[n], log->entry[n], kind, entry);
		}
		if (!h[i].returned)
			assert_int_equal(log->count, CHANGES);
		else
			assert_false(cs->must_keep);
		/* A back channel that takes more gets more in one CB_NOTIFY
		 * than 4 KiB hold (about 87 of these changes): the changes
		 * made while the first one was held go out together.  Only
		 * when the writer made enough of them in FIRST_HOLD_MAX_MS,
		 * which a loaded machine on CephFS may not. */
		if (log->first_hold_changes)
			printf("churn %s: holder %u: %u changes made while the first CB_NOTIFY "
			       "was held\n",
			       label, i, log->first_hold_made);
		if (cs->back_maxrequest > 16384 && log->first_hold_made >= 150)
			assert_true(log->max_changes > 100);
		pthread_mutex_unlock(&log->lock);
	}
	printf("churn %s: %u changes in %llu ms (%.0f/s), longest of one %llu ms, "
	       "longest of one delayed %llu ms\n",
	       label, CHANGES, (unsigned long long)elapsed,
	       CHANGES * 1000.0 / (double)(elapsed ? elapsed : 1), (unsigned long long)longest,
	       (unsigned long long)longest_delayed);
	assert_true(longest_delayed < WAIT_LIMIT_MS);

	/* What /metrics says of it. */
	char *after = ctlt_scrape(&server);
	unsigned calls = 0, returned = 0;
	for (unsigned i = 0; i < nh; i++) {
		calls += h[i].log.calls;
		returned += h[i].returned;
	}
	double queued = delta(before, after, "ferry_dir_notify_bytes_count");
	assert_true(queued >= calls);
	assert_true(delta(before, after, "ferry_dir_notify_changes_count") == queued);
	if (calls)
		assert_true(delta(before, after, "ferry_dir_notify_bytes_sum") > 12.0 * calls);
	double recalls = 0;
	static const char *const causes[] = {"overflow", "notify_failed", "slow_holder", "conflict"};
	for (unsigned k = 0; k < 4; k++) {
		char series[96];
		snprintf(series, sizeof(series), "ferry_dir_delegation_recalls_total{cause=\"%s\"}",
			 causes[k]);
		double d = delta(before, after, series);
		recalls += d;
		if (cs->recall_cause && strcmp(causes[k], cs->recall_cause) == 0)
			assert_int_equal(d, returned);
	}
	assert_int_equal(recalls, returned);
	assert_int_equal(delta(before, after, "ferry_dir_delegation_delays_total"), delayed);
	if (delayed)
		assert_true(delta(before, after, "ferry_dir_delegation_delay_seconds_total") > 0);
	printf("churn %s: %u NFS4ERR_DELAY, %.3f s of delay counted\n", label, delayed,
	       delta(before, after, "ferry_dir_delegation_delay_seconds_total"));
	free(before);
	free(after);

	for (unsigned i = 0; i < nh; i++) {
		if (!h[i].returned)
			assert_int_equal(dd_return(&h[i].s, &dir, &h[i].sid), NFS4_OK);
		dl_client_end(&h[i].s, &h[i].svc);
	}
	dl_client_end(&w, &ws);
	nfs4c_back_maxrequest = 4096;
}

static void test_one_prompt_holder(void **st)
{
	(void)st;
	churn("one", &(struct churn_setup){.holders = 1, .must_keep = true});
}

static void test_four_prompt_holders(void **st)
{
	(void)st;
	churn("four", &(struct churn_setup){.holders = 4, .must_keep = true});
}

/* Each callback answered after 200 ms: notified throughout, or recalled
 * once it falls behind; the writer never waits long either way. */
static void test_slow_holder(void **st)
{
	(void)st;
	churn("slow", &(struct churn_setup){.holders = 1,
					     .answer_delay_ms = 200,
					     .recall_cause = "slow_holder"});
}

/* A back channel of 64 KiB, and a first CB_NOTIFY answered only once the
 * writer made 200 more changes, so that they wait for the next: they go in
 * CB_NOTIFYs as large as the back channel takes, not in 4 KiB (a
 * CB_COMPOUND larger than that could not be encoded once, and the changes
 * were never told). */
static void test_large_back_channel(void **st)
{
	(void)st;
	churn("large", &(struct churn_setup){.holders = 1,
					      .first_hold_changes = 200,
					      .back_maxrequest = 65536,
					      .must_keep = true});
}

/* The same burst with nobody holding a delegation: the rate to compare. */
static void test_no_holder(void **st)
{
	(void)st;
	churn("none", &(struct churn_setup){0});
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_holder),
		cmocka_unit_test(test_one_prompt_holder),
		cmocka_unit_test(test_four_prompt_holders),
		cmocka_unit_test(test_slow_holder),
		cmocka_unit_test(test_large_back_channel),
	};
	return cmocka_run_group_tests(tests, setup, dl_teardown);
}
