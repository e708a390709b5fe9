/* The control plane's REST API against a running ferryd: a listener's
 * minor range changed under live v4.0 and v4.1 clients, refusals with a
 * message for bad requests, the token, client eviction, the address a
 * v4.0 client is listed with, the health check (GET /healthz, `ferryctl
 * health`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"

static struct ferryd_proc server;

static int setup(void **state) { return ferryd_start(&server, NULL); }
static int teardown(void **state) { return ferryd_stop(&server) == 0 ? 0 : -1; }

/* A request that must be refused with this status and an error message. */
static void expect_refusal(const char *method, const char *path, bool token, const char *body,
			   unsigned status, const char *words)
{
	struct ctl_http_reply r;
	ctlt_request(&server, method, path, token, body, &r);
	if (r.status != status)
		fprintf(stderr, "%s %s: HTTP %u %s\n", method, path, r.status, r.body);
	assert_int_equal(r.status, status);
	json_t *j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	const char *msg = json_string_value(json_object_get(j, "error"));
	assert_non_null(msg);
	if (!strstr(msg, words))
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", msg, words);
	assert_non_null(strstr(msg, words));
	json_decref(j);
	ctl_http_reply_free(&r);
}

static json_t *get_json(const char *path)
{
	struct ctl_http_reply r;
	ctlt_request(&server, "GET", path, false, NULL, &r);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	ctl_http_reply_free(&r);
	return j;
}

static void set_range(const char *range_json, unsigned min, unsigned max)
{
	struct ctl_http_reply r;
	ctlt_request(&server, "PUT", "/api/v1/listeners/0", true, range_json, &r);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(r.body, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "min_minor")), min);
	assert_int_equal(json_integer_value(json_object_get(j, "max_minor")), max);
	json_decref(j);
	ctl_http_reply_free(&r);
}

/* PUTROOTFH in a v4.0 COMPOUND on fd; its status. */
static uint32_t v40_status(int fd)
{
	struct nfs4c_call m;
	struct nfs4c_reply r;
	nfs4c_begin(&m, 0);
	nfs4c_putrootfh(&m);
	nfs4c_send(fd, nfs4c_root_cred(), &m, &r);
	uint32_t st = r.status;
	nfs4c_done(&r);
	return st;
}

static void test_listener_range_at_run_time(void **state)
{
	int fd40 = nfs4c_connect(server.hostport);
	struct nfs4c_client40 c40;
	assert_int_equal(nfs4c_setclientid(&c40, fd40, nfs4c_root_cred(), "api-v40", 0x40000000,
					   "tcp", NULL, 1),
			 NFS4_OK);
	int fd41 = nfs4c_connect(server.hostport);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd41, 0, "api-v41", NULL);
	assert_int_equal(v40_status(fd40), NFS4_OK);

	set_range("{\"min_minor\": 1, \"max_minor\": 1}", 1, 1);
	json_t *l = get_json("/api/v1/listeners");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 0), "min_minor")), 1);
	json_decref(l);
	/* The established connection's next v4.0 COMPOUND is refused; the
	 * v4.1 session goes on, on its connection and on a new one. */
	assert_int_equal(v40_status(fd40), NFS4ERR_MINOR_VERS_MISMATCH);
	nfs4c_ping(&s);
	nfs4c_ping(&s);
	int fresh = nfs4c_connect(server.hostport);
	assert_int_equal(v40_status(fresh), NFS4ERR_MINOR_VERS_MISMATCH);
	nfs4c_close(fresh);

	/* Narrowed to 0-0, the established session goes on on its
	 * connection; a new v4.1 client, or the session on a new connection,
	 * is refused. */
	struct nfs4c_call m;
	struct nfs4c_reply r;
	set_range("{\"min_minor\": 0, \"max_minor\": 0}", 0, 0);
	assert_int_equal(v40_status(fd40), NFS4_OK);
	nfs4c_ping(&s);
	int other = nfs4c_connect(server.hostport);
	struct nfs4c_sess moved = s;
	moved.fd = other;
	nfs4c_begin_seq(&moved, &m, 0, false);
	nfs4c_send(other, s.cred, &m, &r);
	assert_int_equal(r.status, NFS4ERR_MINOR_VERS_MISMATCH);
	nfs4c_done(&r);
	nfs4c_close(other);
	int late = nfs4c_connect(server.hostport);
	struct nfs4_exchange_id_args ea;
	memset(&ea, 0, sizeof(ea));
	ea.ownerid = nfs4_opaque_str("api-late");
	nfs4c_begin(&m, 1);
	NFS4C_OP(&m, OP_EXCHANGE_ID, nfs4_enc_exchange_id_args, &ea);
	nfs4c_send(late, nfs4c_root_cred(), &m, &r);
	assert_int_equal(r.status, NFS4ERR_MINOR_VERS_MISMATCH);
	nfs4c_done(&r);
	nfs4c_close(late);

	/* Only the fields given change. */
	set_range("{\"max_minor\": 1}", 0, 1);
	assert_int_equal(v40_status(fd40), NFS4_OK);
	nfs4c_ping(&s);
	/* Widened to 2 and back to the default range. */
	set_range("{\"max_minor\": 2}", 0, 2);
	assert_int_equal(v40_status(fd40), NFS4_OK);
	nfs4c_ping(&s);
	nfs4c_close(fd40);
	nfs4c_close(fd41);
}

static void test_bad_requests(void **state)
{
	const char *l0 = "/api/v1/listeners/0";
	expect_refusal("PUT", l0, true, "{\"min_minor\": 1,", 400, "not valid JSON");
	expect_refusal("PUT", l0, true, "[1, 2]", 400, "JSON object");
	expect_refusal("PUT", l0, true, "{\"min_minor\": 0, \"colour\": 1}", 400,
		       "unknown field \"colour\"");
	expect_refusal("PUT", l0, true, "{\"min_minor\": \"0\"}", 400, "integer");
	expect_refusal("PUT", l0, true, "{\"min_minor\": 1, \"max_minor\": 0}", 400,
		       "above max_minor");
	expect_refusal("PUT", l0, true, "{\"max_minor\": 7}", 400, "within 0..2");
	expect_refusal("PUT", l0, true, "{\"max_minor\": 3}", 400, "within 0..2");
	expect_refusal("PUT", "/api/v1/listeners/9", true, "{\"min_minor\": 0}", 404,
		       "no listener");
	expect_refusal("DELETE", "/api/v1/clients/00000000deadbeef", true, NULL, 404,
		       "no client");
	expect_refusal("DELETE", "/api/v1/clients/xyz", true, NULL, 400, "not a client id");
	expect_refusal("POST", "/api/v1/server", true, "{}", 405, "read-only");
	expect_refusal("GET", "/api/v1/nothing", false, NULL, 404, "no such resource");
	/* Ids and paths the reply echoes may be any bytes (%ff decodes to a
	 * lone 0xff): still a JSON refusal, not a dropped connection. */
	expect_refusal("DELETE", "/api/v1/clients/%ff", true, NULL, 400, "not a client id");
	expect_refusal("GET", "/api/v1/%c3%28", false, NULL, 404, "no such resource");
	expect_refusal("PUT", "/api/v1/listeners/%ff%fe", true, "{}", 404, "no listener");
	char *big = malloc(CTL_MAX_BODY + 100);
	memset(big, ' ', CTL_MAX_BODY + 99);
	big[CTL_MAX_BODY + 99] = '\0';
	big[0] = '{';
	big[CTL_MAX_BODY + 98] = '}';
	expect_refusal("PUT", l0, true, big, 413, "over");
	free(big);
	/* Nothing of the refused requests was applied. */
	json_t *l = get_json("/api/v1/listeners");
	json_t *l0j = json_array_get(l, 0);
	assert_int_equal(json_integer_value(json_object_get(l0j, "min_minor")), 0);
	assert_int_equal(json_integer_value(json_object_get(l0j, "max_minor")), 2);
	json_decref(l);
}

static void test_token(void **state)
{
	expect_refusal("PUT", "/api/v1/listeners/0", false, "{\"min_minor\": 1}", 401,
		       "Authorization");
	/* A wrong token. */
	struct ctl_http_reply r;
	char err[256];
	assert_int_equal(ctl_http_request(server.control, "PUT", "/api/v1/listeners/0", "guess",
					  "{\"min_minor\": 1}", 16, 5000, &r, err, sizeof(err)),
			 0);
	assert_int_equal(r.status, 403);
	ctl_http_reply_free(&r);
	/* The token's prefix, or the token with more after it, is wrong too. */
	char tok[CTL_TOKEN_MAX + 1];
	assert_int_equal(ctl_token_read(server.token_path, tok, CTL_TOKEN_MAX), 0);
	size_t tl = strlen(tok);
	char last = tok[tl - 1];
	tok[tl - 1] = '\0';
	for (int longer = 0; longer < 2; longer++) {
		if (longer) {
			tok[tl - 1] = last;
			memcpy(tok + tl, "x", 2);
		}
		assert_int_equal(ctl_http_request(server.control, "PUT", "/api/v1/listeners/0", tok,
						  "{\"min_minor\": 1}", 16, 5000, &r, err,
						  sizeof(err)),
				 0);
		assert_int_equal(r.status, 403);
		ctl_http_reply_free(&r);
	}
	json_t *l = get_json("/api/v1/listeners");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 0), "min_minor")), 0);
	json_decref(l);
	/* The token file is the server's secret. */
	struct stat st;
	assert_int_equal(stat(server.token_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

/* Sends head (request line and headers, no body) on a raw connection and
 * returns the status of the reply that comes within 2 s, 0 if none. */
static unsigned status_before_body(const char *head)
{
	char host[64];
	unsigned port;
	assert_int_equal(sscanf(server.control, "%63[^:]:%u", host, &port), 2);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	assert_int_equal(inet_pton(AF_INET, host, &sin.sin_addr), 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
	char buf[256] = "";
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	unsigned status = 0;
	if (n > 0 && sscanf(buf, "HTTP/1.%*u %u", &status) != 1)
		status = 0;
	return status;
}

/* Who may not change the server, or whose body is too big, learns it from
 * the headers: the server neither waits for nor reads the body. */
static void test_refused_before_the_body(void **state)
{
	assert_int_equal(status_before_body("PUT /api/v1/listeners/0 HTTP/1.1\r\nHost: x\r\n"
					    "Content-Length: 10000\r\n\r\n"),
			 401);
	char tok[CTL_TOKEN_MAX], head[512];
	assert_int_equal(ctl_token_read(server.token_path, tok, sizeof(tok)), 0);
	snprintf(head, sizeof(head),
		 "PUT /api/v1/listeners/0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
		 "Content-Length: 1000000000\r\n\r\n",
		 tok);
	assert_int_equal(status_before_body(head), 413);
	/* The server still answers. */
	json_decref(get_json("/api/v1/server"));
}

static void test_views_and_evict(void **state)
{
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 0, "api-evictee", NULL);
	char id[20];
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)s.clientid);

	json_t *clients = get_json("/api/v1/clients");
	json_t *mine = NULL;
	for (size_t i = 0; i < json_array_size(clients); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(clients, i), "id")), id) ==
		    0)
			mine = json_array_get(clients, i);
	assert_non_null(mine);
	assert_string_equal(json_string_value(json_object_get(mine, "owner")), "api-evictee");
	assert_int_equal(json_integer_value(json_object_get(mine, "minor")), 1);
	assert_int_equal(json_integer_value(json_object_get(mine, "sessions")), 1);
	assert_non_null(strstr(json_string_value(json_object_get(mine, "address")), "127.0.0.1:"));
	assert_true(json_real_value(json_object_get(mine, "lease_left_seconds")) > 0);
	json_decref(clients);

	json_t *sessions = get_json("/api/v1/sessions");
	assert_true(json_array_size(sessions) >= 1);
	json_t *sess = NULL;
	for (size_t i = 0; i < json_array_size(sessions); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(sessions, i), "client")),
			   id) == 0)
			sess = json_array_get(sessions, i);
	assert_non_null(sess);
	assert_true(json_integer_value(json_object_get(sess, "slots")) >= 1);
	assert_int_equal(json_integer_value(json_object_get(sess, "connection_count")), 1);
	json_t *c0 = json_array_get(json_object_get(sess, "connections"), 0);
	assert_string_equal(json_string_value(json_object_get(c0, "direction")), "fore");
	json_decref(sessions);

	/* A v4.0 connection is listed too, without sessions. */
	int fd40 = nfs4c_connect(server.hostport);
	assert_int_equal(v40_status(fd40), NFS4_OK);
	json_t *conns = get_json("/api/v1/connections");
	json_t *list = json_object_get(conns, "connections");
	assert_true(json_integer_value(json_object_get(conns, "open")) >= 2);
	assert_true(json_array_size(list) >= 2);
	unsigned with_session = 0, without = 0;
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *c = json_array_get(list, i);
		assert_int_equal(json_integer_value(json_object_get(c, "listener")), 0);
		json_t *ss = json_object_get(c, "sessions");
		if (json_array_size(ss) == 1 &&
		    strcmp(json_string_value(json_object_get(json_array_get(ss, 0), "direction")),
			   "fore") == 0)
			with_session++;
		else if (json_array_size(ss) == 0)
			without++;
	}
	assert_true(with_session >= 1);
	assert_true(without >= 1);
	json_decref(conns);
	nfs4c_close(fd40);
	json_t *server_view = get_json("/api/v1/server");
	assert_string_equal(json_string_value(json_object_get(server_view, "version")),
			    FERRY_VERSION);
	assert_int_equal(strlen(json_string_value(json_object_get(server_view, "boot_verifier"))),
			 16);
	json_decref(server_view);

	/* Names from the wire that are not UTF-8 come out escaped. */
	int fd_odd = nfs4c_connect(server.hostport);
	struct rpc_cred odd = *nfs4c_root_cred();
	snprintf(odd.machinename, sizeof(odd.machinename), "host\xc3\x28");
	struct nfs4c_client40 c40;
	assert_int_equal(nfs4c_setclientid(&c40, fd_odd, &odd, "odd\xff\x01id", 0x40000000, "tcp",
					   NULL, 1),
			 NFS4_OK);
	clients = get_json("/api/v1/clients");
	bool found = false;
	for (size_t i = 0; i < json_array_size(clients); i++) {
		json_t *c = json_array_get(clients, i);
		if (strcmp(json_string_value(json_object_get(c, "owner")), "odd\\xff\\x01id") == 0) {
			found = true;
			assert_string_equal(json_string_value(json_object_get(c, "machine")),
					    "host\\xc3(");
			assert_int_equal(json_integer_value(json_object_get(c, "minor")), 0);
		}
	}
	assert_true(found);
	json_decref(clients);
	nfs4c_close(fd_odd);

	char path[64];
	snprintf(path, sizeof(path), "/api/v1/clients/%s", id);
	struct ctl_http_reply r;
	ctlt_request(&server, "DELETE", path, true, NULL, &r);
	assert_int_equal(r.status, 200);
	ctl_http_reply_free(&r);
	/* Its session is gone. */
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4ERR_BADSESSION);
	nfs4c_done(&p);
	expect_refusal("DELETE", path, true, NULL, 404, "no client");
	nfs4c_close(fd);
}

/* "127.0.0.1:PORT" of fd's own end: the peer ferryd sees. */
static void local_end(int fd, char *out, size_t len)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	char host[INET_ADDRSTRLEN];
	assert_non_null(inet_ntop(AF_INET, &sin.sin_addr, host, sizeof(host)));
	snprintf(out, len, "%s:%u", host, (unsigned)ntohs(sin.sin_port));
}

/* The "address" the client listing gives the client of owner. */
static void listed_address(const char *owner, char *out, size_t len)
{
	json_t *clients = get_json("/api/v1/clients");
	json_t *mine = NULL;
	for (size_t i = 0; i < json_array_size(clients); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(clients, i), "owner")),
			   owner) == 0)
			mine = json_array_get(clients, i);
	assert_non_null(mine);
	assert_int_equal(json_integer_value(json_object_get(mine, "minor")), 0);
	snprintf(out, len, "%s", json_string_value(json_object_get(mine, "address")));
	json_decref(clients);
}

/* A v4.0 client is listed with the address its calls come from, as a
 * v4.1 client is with its session's connection: that of its
 * SETCLIENTID, then that of its latest RENEW. */
static void test_v40_client_address(void **state)
{
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_client40 c40;
	assert_int_equal(nfs4c_setclientid(&c40, fd, nfs4c_root_cred(), "api-v40-address",
					   0x40000000, "tcp", NULL, 1),
			 NFS4_OK);
	char want[64], got[64];
	local_end(fd, want, sizeof(want));
	listed_address("api-v40-address", got, sizeof(got));
	assert_string_equal(got, want);

	/* The client comes back on another connection and renews there. */
	int fd2 = nfs4c_connect(server.hostport);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 0);
	NFS4C_OP(&m, OP_RENEW, nfs4_enc_renew_args, &(struct nfs4_renew_args){c40.clientid});
	nfs4c_send(fd2, nfs4c_root_cred(), &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_RENEW), NFS4_OK);
	nfs4c_done(&p);
	local_end(fd2, want, sizeof(want));
	listed_address("api-v40-address", got, sizeof(got));
	assert_string_equal(got, want);
	nfs4c_close(fd2);
	nfs4c_close(fd);
}

/* A server alone, not clustered, with its loops turning: healthy, as
 * GET /healthz, `ferryctl health` and ferry_healthy say; a control plane
 * that does not answer is exit status 2. */
static void test_healthz(void **state)
{
	struct ctl_http_reply r;
	ctlt_request(&server, "GET", "/healthz", false, NULL, &r);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "healthy")));
	assert_int_equal(json_array_size(json_object_get(j, "problems")), 0);
	json_decref(j);
	ctl_http_reply_free(&r);
	expect_refusal("POST", "/healthz", true, "{}", 405, "GET");
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "%s --state-dir %s/state health | grep -qx healthy",
		 FERRYCTL_PATH, server.dir);
	assert_int_equal(system(cmd), 0);
	/* Nothing listens on port 1 of loopback. */
	snprintf(cmd, sizeof(cmd), "%s --server 127.0.0.1:1 health 2>/dev/null", FERRYCTL_PATH);
	int st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
	char *page = ctlt_scrape(&server);
	assert_true(ctlt_metric(page, "ferry_healthy") == 1);
	assert_true(ctlt_metric(page, "ferry_event_loops_stuck") == 0);
	assert_true(ctlt_metric(page, "ferry_rpc_gate_drops_total") == 0);
	assert_true(ctlt_promtool_ok(page));
	free(page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listener_range_at_run_time),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_refused_before_the_body),
		cmocka_unit_test(test_views_and_evict),
		cmocka_unit_test(test_v40_client_address),
		cmocka_unit_test(test_healthz),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
