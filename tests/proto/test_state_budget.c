/* The state memory budget reached on purpose ([nfs] state_memory_mb = 1,
 * client_state_share = 50): one client's opens are refused at its share
 * with NFS4ERR_DELAY (v4.1), never NFS4ERR_SERVERFAULT, while a second
 * client still opens; once the budget itself is full a v4.0 client gets
 * NFS4ERR_RESOURCE; both are counted (ferry_state_cap_hits_total
 * {cap="client_memory"}, {cap="memory"}) and logged once per client with
 * the setting that moves them; a client holding a delegation is asked to
 * give half back (CB_RECALL_ANY) when the budget itself is full; /metrics
 * and the API's client view say how full the budget is; and closing files
 * makes room again. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ctl_test.h"
#include "proto/deleg_fixture.h"
#include "proto/state41_helpers.h"

enum { MAX_TRIES = 20000 };

/* The delegation fixture's server (short callback timeouts, a 10 s lease)
 * with the budget: half a MiB for each client. */
static int setup(void **state)
{
	(void)state;
	return dl_setup_with("state_memory_mb = 1\nclient_state_share = 50\n");
}

static double metric(const char *series)
{
	char *page = ctlt_scrape(&server);
	double v = ctlt_metric(page, series);
	free(page);
	return v;
}

struct held {
	struct nfs4_stateid sid;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
};

/* Opens files prefix-N by one owner until one is refused; how many were
 * granted (h[0..n)), and the refusal's status in *refused.  The other
 * clients' leases are renewed meanwhile (idle1, idle2): a thousand opens
 * can outlast the 10 s lease on a loaded machine, and a client whose lease
 * ran out takes its state, and the delegation the test counts on, with
 * it. */
static int open_until_refused(struct nfs4c_sess *s, const char *prefix, struct held *h,
			      uint32_t *refused, struct nfs4c_sess *idle1, struct nfs4c_sess *idle2)
{
	for (int i = 0; i < MAX_TRIES; i++) {
		if (i % 100 == 0) {
			(void)nfs4c_ping(idle1); /* asserts NFS4_OK itself */
			(void)nfs4c_ping(idle2);
		}
		char name[48];
		snprintf(name, sizeof(name), "%s-%05d", prefix, i);
		h[i].fhlen = 0;
		uint32_t st = open41(s, prefix, name, &h[i].sid, h[i].fh, &h[i].fhlen);
		if (st != NFS4_OK) {
			*refused = st;
			return i;
		}
	}
	*refused = NFS4_OK;
	return MAX_TRIES;
}

static void close_held(struct nfs4c_sess *s, struct held *h)
{
	struct nfs4_close_args cl = {.stateid = h->sid};
	assert_int_equal(op41(s, h->fh, h->fhlen, OP_CLOSE, enc_close, &cl, NULL), NFS4_OK);
}

static bool log_has(const char *needle) { return ferryd_log_has(&server, needle); }

static void test_budget(void **state)
{
	(void)state;
	static struct held a[MAX_TRIES], b[MAX_TRIES];
	int fd_a = nfs4c_connect(server.hostport), fd_b = nfs4c_connect(server.hostport);
	struct nfs4c_sess sa, sb;
	nfs4c_session_up(&sa, fd_a, 0, "budget-a", NULL);
	nfs4c_session_up(&sb, fd_b, 0, "budget-b", NULL);
	/* Client c holds a read delegation (and the one dl_client's probe
	 * took and gave back). */
	struct nfs4c_sess sc;
	struct nfs4c_cb svc;
	dl_client(&sc, &svc, "budget-c", 2101);
	struct dl_open held = dl_open(&sc, "delegated", OPEN4_SHARE_ACCESS_READ, true);
	assert_int_equal(held.status, NFS4_OK);
	assert_int_equal(held.deleg.type, OPEN_DELEGATE_READ);

	/* Client a: refused at its half of the megabyte. */
	uint32_t refused;
	int na = open_until_refused(&sa, "a", a, &refused, &sb, &sc);
	printf("client a: %d opens granted, then %u\n", na, refused);
	assert_int_equal(refused, NFS4ERR_DELAY);
	/* Half a MiB at STATE_BYTES_OPEN each, less the client and owner. */
	assert_true(na > 1000 && na < 1400);
	assert_true(metric("ferry_state_cap_hits_total{cap=\"client_memory\"}") >= 1);
	assert_true(log_has("client_memory limit is reached ([nfs] client_state_share"));
	/* How full it is: the budget, what it counts, a's share of it. */
	assert_true(metric("ferry_state_memory_budget_bytes") == 1 << 20);
	double used = metric("ferry_state_memory_bytes");
	assert_true(used > (1 << 19) * 0.9 && used <= 1 << 20);
	struct ctl_http_reply r;
	ctlt_request(&server, "GET", "/api/v1/clients", false, NULL, &r);
	assert_int_equal(r.status, 200);
	char opens[32];
	snprintf(opens, sizeof(opens), "\"opens\": %d", na);
	assert_non_null(strstr(r.body, opens));
	assert_non_null(strstr(r.body, "\"memory_bytes\": "));
	ctl_http_reply_free(&r);

	/* Client b still opens, up to the budget itself. */
	int nb = open_until_refused(&sb, "b", b, &refused, &sa, &sc);
	printf("client b: %d opens granted, then %u\n", nb, refused);
	assert_int_equal(refused, NFS4ERR_DELAY);
	assert_true(nb > 1000);
	assert_true(metric("ferry_state_cap_hits_total{cap=\"memory\"}") +
			    metric("ferry_state_cap_hits_total{cap=\"client_memory\"}") >=
		    2);

	/* A v4.0 client finds the budget full: NFS4ERR_RESOURCE. */
	int fd40 = nfs4c_connect(server.hostport);
	struct nfs4c_client40 c40;
	uint32_t st40 = nfs4c_setclientid(&c40, fd40, nfs4c_root_cred(), "budget-40", 0x40000000,
					  NULL, NULL, 1);
	if (st40 == NFS4_OK) {
		uint32_t seq = 1;
		struct nfs4c_open40 o40;
		st40 = nfs4c_open40(&c40, "owner-40", &seq, "export", "v40", OPEN4_SHARE_ACCESS_BOTH,
				    true, &o40);
	}
	assert_int_equal(st40, NFS4ERR_RESOURCE);
	assert_true(metric("ferry_state_cap_hits_total{cap=\"memory\"}") >= 1);
	assert_true(log_has("memory limit is reached ([nfs] state_memory_mb"));
	nfs4c_close(fd40);
	/* The full budget asked c to keep at most half of its one delegation. */
	assert_true(nfs4c_cb_wait(&svc, OP_CB_RECALL_ANY, 1, 5000));
	struct nfs4c_cb_rec rec;
	assert_true(nfs4c_cb_get(&svc, OP_CB_RECALL_ANY, 0, &rec));
	assert_int_equal(rec.objects_to_keep, 0);
	assert_true(nfs4_bitmap_isset(&rec.type_mask, RCA4_TYPE_MASK_RDATA_DLG));
	assert_true(nfs4_bitmap_isset(&rec.type_mask, RCA4_TYPE_MASK_DIR_DLG));
	assert_int_equal(dl_delegreturn(&sc, &held), NFS4_OK);
	dl_client_end(&sc, &svc);

	/* Closing makes room: a's next open goes through. */
	for (int i = 0; i < 10; i++)
		close_held(&sa, &a[i]);
	struct held again;
	assert_int_equal(open41(&sa, "a", "a-again", &again.sid, again.fh, &again.fhlen), NFS4_OK);
	nfs4c_close(fd_a);
	nfs4c_close(fd_b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget),
	};
	return cmocka_run_group_tests(tests, setup, dl_teardown);
}
