/* NLM with NSM through the real rpc.statd: run by nsm.test.sh inside a
 * network and mount namespace of its own, where it started rpcbind and
 * rpc.statd -P $FERRY_TEST_NSM_DIR (refuses to run elsewhere).
 *
 *   - a host's first lock reaches statd: its directory lists the host
 *     (sm/NAME), ferryd's state directory too (nlm_hosts);
 *   - the host reboots (SM_NOTIFY to the local statd, as the rebooted
 *     peer's sm-notify would send it): statd calls ferryd back and the
 *     host's locks go;
 *   - ferryd killed while a host holds a lock and started again: a grace
 *     period without any NFSv4 client record (non-reclaims
 *     DENIED_GRACE_PERIOD, the reclaim granted) and sm-notify run;
 *   - ferryd stopped while statd has yet to answer an SM_MON: nlm_hosts
 *     still lists the hosts monitored before (statd stopped and continued,
 *     FERRY_TEST_STATD_PID). */
#include "proto/deleg_fixture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "lib/ctl_test.h"
#include "nlm/nlm_client.h"
#include "proto/state41_helpers.h"
#include "rpc/client.h"
#include "rpc/rpcbind.h"

static const char *nsm_dir;
static struct nfs4c_sess v4;
/* The test's client calls itself by a name no resolver knows (as a guest
 * named kclient-guest does): statd is asked to watch its address, which
 * it can resolve, and files it under that. */
static const char caller[] = "nsm-client.invalid";
static const char host[] = "127.0.0.1";

static int setup(void **st)
{
	(void)st;
	setenv("FERRYD_PROC_RPCBIND", "1", 1);
	char extra[600];
	snprintf(extra, sizeof(extra), "[nlm]\nstatd_dir = %s\nunmon_delay_ms = 100\n", nsm_dir);
	if (dl_setup_with(extra) != 0)
		return -1;
	nfs4c_session_up(&v4, nfs4c_connect(server.hostport), 0, "nsm-v4-client", NULL);
	return 0;
}

static int teardown(void **st)
{
	nfs4c_close(v4.fd);
	return dl_teardown(st);
}

static bool file_has(const char *path, const char *text);

/* Whether statd's sm/ directory holds a record naming mon_name: statd
 * files it under the name it resolves (127.0.0.1 becomes localhost), and
 * the record's text carries the mon_name it was given. */
static bool sm_lists(const char *dir, const char *mon_name)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[600];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		found = file_has(p, mon_name);
	}
	closedir(d);
	return found;
}

static bool wait_listed(const char *dir, const char *name, bool want, unsigned ms)
{
	for (unsigned i = 0; i < ms / 50; i++) {
		if (sm_lists(dir, name) == want)
			return true;
		usleep(50000);
	}
	return sm_lists(dir, name) == want;
}

static bool file_has(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, text) != NULL;
}

/* rpcbind's port for prog/vers/proto once it is registered (ferryd
 * registers after it writes its port file), waiting up to 5 s; 0: none. */
static uint16_t getport(uint32_t prog, uint32_t vers, uint32_t proto);

static uint16_t getport_registered(uint32_t prog, uint32_t vers, uint32_t proto)
{
	uint16_t port = 0;
	for (int i = 0; i < 100 && (port = getport(prog, vers, proto)) == 0; i++)
		usleep(50000);
	return port;
}

/* rpcbind's port for prog/vers/proto (0: none). */
static uint16_t getport(uint32_t prog, uint32_t vers, uint32_t proto)
{
	uint16_t port = 0;
	int rc = rpcbind_getport("127.0.0.1:111", RPC_CLIENT_PORT_UNRESERVED, 2000, prog, vers,
				 proto, &port);
	assert_true(rc == 0 || rc == -ENOENT);
	return port;
}

static void test_registered(void **st)
{
	(void)st;
	/* Clients' lock managers find NLM over TCP and over UDP on ferryd's
	 * port; statd finds its callback there too (UDP, on 127.0.0.1). */
	assert_int_equal(getport_registered(NLM_PROGRAM, NLM4_VERSION, IPPROTO_TCP), server.port);
	assert_int_equal(getport_registered(NLM_PROGRAM, NLM4_VERSION, IPPROTO_UDP), server.port);
}

/* SM_NOTIFY to the local statd as the rebooted host would send it. */
static void notify_reboot(const char *name, int32_t state)
{
	struct rpc_client cl;
	uint16_t port = getport(NSM_PROGRAM, NSM_VERSION, IPPROTO_TCP); /* statd's */
	assert_true(port != 0);
	char hp[32];
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", port);
	assert_int_equal(rpc_client_connect(&cl, hp, 2000), 0);
	struct nsm_stat_chge sc = {.mon_name = {(const uint8_t *)name, (uint32_t)strlen(name)},
				   .state = state};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 128, 4096));
	assert_true(nsm_encode_stat_chge(&e, &sc));
	struct buf *reply;
	struct rpc_reply_hdr hdr;
	size_t off;
	assert_int_equal(rpc_client_call(&cl, NSM_PROGRAM, NSM_VERSION, SM_NOTIFY, NULL,
					 e.buf->data, e.buf->len, &reply, &hdr, &off, 2000),
			 0);
	assert_int_equal(hdr.accept_stat, RPC_SUCCESS);
	buf_unref(reply);
	xdr_enc_release(&e);
	rpc_client_close(&cl);
}

static void test_monitor_and_reboot(void **st)
{
	(void)st;
	struct file f;
	assert_int_equal(open41(&v4, "nsm-opener", "nsm-file", &f.open, f.fh, &f.fhlen), NFS4_OK);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock a = mk_lock(caller, 1, &f, 0, 10);
	struct nlm4_lock b = mk_lock("otherhost", 2, &f, 0, 10);
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_GRANTED);
	/* statd records the host it monitors under its name. */
	char sm[400];
	snprintf(sm, sizeof(sm), "%s/sm", nsm_dir);
	assert_true(wait_listed(sm, host, true, 5000));
	char list[400];
	snprintf(list, sizeof(list), "%s/state/nlm_hosts", dl_dir);
	for (int i = 0; i < 100 && !file_has(list, host); i++)
		usleep(50000);
	assert_true(file_has(list, host));
	assert_int_equal(nlm_lock(fd, &b, true, false), NLM4_DENIED);

	/* The host reboots: statd tells ferryd, whose lock goes. */
	notify_reboot(host, 7);
	uint32_t s = NLM4_DENIED;
	for (int i = 0; i < 100 && s != NLM4_GRANTED; i++) {
		s = nlm_lock(fd, &b, true, false);
		if (s != NLM4_GRANTED)
			usleep(50000);
	}
	assert_int_equal(s, NLM4_GRANTED);
	/* otherhost calls from the same address: it is still watched until
	 * nothing is held from there (unmon_delay_ms later). */
	assert_int_equal(nlm_unlock(fd, &b), NLM4_GRANTED);
	assert_true(wait_listed(sm, host, false, 5000));
	close(fd);
}

/* Whether ferryd heard of a host's reboot from statd within ms. */
static bool wait_reboot_heard(int ms)
{
	for (int waited = 0; waited <= ms; waited += 50) {
		char *page = ctlt_scrape(&server);
		double reboots = ctlt_metric(page, "ferry_nlm_host_reboots_total");
		free(page);
		if (reboots >= 1)
			return true;
		usleep(50000);
	}
	return false;
}

static void test_restart_grace_and_notify(void **st)
{
	(void)st;
	struct file f;
	assert_int_equal(open41(&v4, "nsm-opener2", "nsm-file2", &f.open, f.fh, &f.fhlen),
			 NFS4_OK);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock a = mk_lock(caller, 3, &f, 0, 10);
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_GRANTED);
	char list[400];
	snprintf(list, sizeof(list), "%s/state/nlm_hosts", dl_dir);
	for (int i = 0; i < 100 && !file_has(list, host); i++)
		usleep(50000);
	assert_true(file_has(list, host));
	/* And statd monitors it: the SM_MON goes out after the list is
	 * written, on the sender thread behind the previous test's SM_UNMON;
	 * killed before statd has it, ferryd's restart would have nobody for
	 * sm-notify to tell. */
	char sm[400];
	snprintf(sm, sizeof(sm), "%s/sm", nsm_dir);
	assert_true(wait_listed(sm, host, true, 5000));
	close(fd);
	nfs4c_close(v4.fd);
	/* No NFSv4 client record may start the grace period: the v4 client
	 * goes first (DESTROY_CLIENTID would need its session; the record
	 * directory is emptied instead). */
	char recs[400];
	snprintf(recs, sizeof(recs), "rm -rf %s/state/v4clients/*", dl_dir);
	assert_int_equal(kill(server.pid, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(server.pid, &status, 0), server.pid);
	server.pid = 0;
	assert_int_equal(system(recs), 0);
	assert_int_equal(dl_start(), 0);
	/* The restart's sm-notify tells 127.0.0.1 that ferryd's host
	 * rebooted, and 127.0.0.1's statd is the one that monitors the client
	 * (also 127.0.0.1) for ferryd: it passes the notice back as the
	 * client's reboot, which releases what that host holds.  A reclaim
	 * before that notice came back would be released by it; the next test
	 * needs the reclaimed lock, so the reclaim waits for the echo. */
	assert_true(wait_reboot_heard(4000));
	fd = rpctest_connect(server.hostport);
	struct nlm4_lock n = mk_lock("newhost", 4, &f, 100, 10);
	assert_int_equal(nlm_lock(fd, &n, true, false), NLM4_DENIED_GRACE_PERIOD);
	assert_int_equal(nlm_lock_full(fd, NLMPROC4_LOCK, &a, true, false, true), NLM4_GRANTED);
	char log[400];
	snprintf(log, sizeof(log), "%s", server.log_path);
	assert_true(file_has(log, "NLM hosts held locks before the restart"));
	assert_true(file_has(log, "sm-notify -f asked to notify"));
	close(fd);
	nfs4c_session_up(&v4, nfs4c_connect(server.hostport), 0, "nsm-v4-client-2", NULL);
}

/* A TCP connection to ferryd from source address src, from a reserved
 * port (the export is secure). */
/* Opens name through v4 once a grace period a restart began lets it
 * (20 s at most). */
static void open_after_grace(const char *owner, const char *name, struct file *f)
{
	uint32_t s = NFS4ERR_GRACE;
	for (int i = 0; i < 200 && s == NFS4ERR_GRACE; i++) {
		s = open41(&v4, owner, name, &f->open, f->fh, &f->fhlen);
		if (s == NFS4ERR_GRACE)
			usleep(100000);
	}
	assert_int_equal(s, NFS4_OK);
}

static int connect_from(const char *src)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in me = {.sin_family = AF_INET};
	assert_int_equal(inet_pton(AF_INET, src, &me.sin_addr), 1);
	int rc = -1;
	for (uint16_t p = 1023; p >= 600 && rc != 0; p--) {
		me.sin_port = htons(p);
		rc = bind(fd, (struct sockaddr *)&me, sizeof(me));
	}
	assert_int_equal(rc, 0);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(server.port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	return fd;
}

/* Whether a UDP port on loopback is closed: a NULL call there meets
 * ECONNREFUSED (the ICMP port unreachable) instead of an answer. */
static bool udp_closed(uint16_t port)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 128, 4096));
	rpctest_encode_call(&e, 99, NLM_PROGRAM, NLM4_VERSION, NLMPROC4_NULL, NULL);
	bool closed = send(s, e.buf->data, e.buf->len, 0) < 0 && errno == ECONNREFUSED;
	xdr_enc_release(&e);
	uint8_t buf[256];
	struct pollfd p = {.fd = s, .events = POLLIN};
	if (!closed && poll(&p, 1, 100) == 1)
		closed = recv(s, buf, sizeof(buf), 0) < 0 && errno == ECONNREFUSED;
	close(s);
	return closed;
}

/* ferryd stops while its SM_MON of a new host waits for statd (stopped),
 * which answers once ferryd's statd callback is closed: the stop went on
 * past the NSM service's end while the call was out.  The list of hosts
 * monitored is still the whole list, now with the new host too. */
static void test_stop_while_statd_answers(void **st)
{
	(void)st;
	const char *statd = getenv("FERRY_TEST_STATD_PID");
	assert_non_null(statd);
	pid_t statd_pid = (pid_t)atoi(statd);
	assert_true(statd_pid > 0);
	char list[400];
	snprintf(list, sizeof(list), "%s/state/nlm_hosts", dl_dir);
	/* The last test's reclaimed lock: 127.0.0.1 is monitored. */
	for (int i = 0; i < 100 && !file_has(list, host); i++)
		usleep(50000);
	assert_true(file_has(list, host));
	uint16_t cb_port = getport_registered(NLM_PROGRAM, NLM4_VERSION, IPPROTO_UDP);
	assert_true(cb_port != 0);
	/* A file to lock, once the restart's grace period lets it be opened. */
	struct file f;
	open_after_grace("nsm-opener3", "nsm-file3", &f);

	assert_int_equal(kill(statd_pid, SIGSTOP), 0);
	int fd = connect_from("127.0.0.2");
	struct nlm4_lock l = mk_lock("second.invalid", 5, &f, 0, 10);
	assert_int_equal(nlm_lock(fd, &l, true, false), NLM4_GRANTED);
	close(fd);
	/* The SM_MON of 127.0.0.2 is out to statd (a GETPORT and a connection
	 * on loopback away). */
	usleep(1000000);
	assert_int_equal(kill(server.pid, SIGTERM), 0);
	bool closed = false;
	for (int i = 0; i < 100 && !(closed = udp_closed(cb_port)); i++)
		usleep(50000);
	usleep(100000);
	assert_int_equal(kill(statd_pid, SIGCONT), 0);
	assert_true(closed);
	int status;
	assert_int_equal(waitpid(server.pid, &status, 0), server.pid);
	server.pid = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(file_has(list, host));
	assert_true(file_has(list, "127.0.0.2"));
	/* For the teardown. */
	assert_int_equal(dl_start(), 0);
	nfs4c_close(v4.fd);
	nfs4c_session_up(&v4, nfs4c_connect(server.hostport), 0, "nsm-v4-client-3", NULL);
}

/* ferryd listening on 127.0.0.2 alone: no UDP socket of NLM's gets what
 * statd sends to 127.0.0.1, so statd's callback has one of its own there,
 * at the listener's port, which rpcbind gives for NLM over UDP: clients
 * and statd both find it.  With port, ferryd listens there, and another
 * program holds UDP 127.0.0.1:port: the callback's socket takes another
 * port, and rpcbind is told of that one.  Either way a host's reboot
 * still frees its locks. */
static void callback_beside_other_address(const char *name, uint16_t port)
{
	struct file f;
	char opener[64];
	snprintf(opener, sizeof(opener), "%s-opener", name);
	/* The last test's restart began a grace period. */
	open_after_grace(opener, name, &f);
	nfs4c_close(v4.fd);
	assert_int_equal(ferryd_stop(&server), 0);
	int held = -1;
	if (port) {
		held = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		assert_int_equal(bind(held, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	char conf[300], exp[300], state[300], listen[32];
	snprintf(conf, sizeof(conf), "%s/ferry.conf", dl_dir);
	snprintf(exp, sizeof(exp), "%s/export:/export", dl_dir);
	snprintf(state, sizeof(state), "%s/state", dl_dir);
	snprintf(listen, sizeof(listen), "127.0.0.2:%u", port);
	const char *args[] = {"--config", conf,	 "--export", exp,
			      "--state-dir", state, "--listen", listen, NULL};
	assert_int_equal(ferryd_start(&server, args), 0);
	snprintf(server.hostport, sizeof(server.hostport), "127.0.0.2:%u", server.port);
	assert_int_equal(getport_registered(NLM_PROGRAM, NLM4_VERSION, IPPROTO_TCP), server.port);
	uint16_t udp = getport_registered(NLM_PROGRAM, NLM4_VERSION, IPPROTO_UDP);
	if (port) {
		assert_int_equal(server.port, port);
		assert_true(udp != 0 && udp != port);
	} else {
		assert_int_equal(udp, server.port);
	}

	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	/* The address ferryd knows this host by. */
	struct sockaddr_in me;
	socklen_t mlen = sizeof(me);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &mlen), 0);
	char addr[INET_ADDRSTRLEN];
	assert_non_null(inet_ntop(AF_INET, &me.sin_addr, addr, sizeof(addr)));
	struct nlm4_lock a = mk_lock(caller, 5, &f, 0, 10);
	struct nlm4_lock b = mk_lock("otherhost", 6, &f, 0, 10);
	/* Past the grace period the restart began. */
	uint32_t s = NLM4_DENIED_GRACE_PERIOD;
	for (int i = 0; i < 150 && s == NLM4_DENIED_GRACE_PERIOD; i++) {
		s = nlm_lock_full(fd, NLMPROC4_LOCK, &a, true, false, false);
		if (s == NLM4_DENIED_GRACE_PERIOD)
			usleep(100000);
	}
	assert_int_equal(s, NLM4_GRANTED);
	/* statd monitors the host once nlm_hosts names it (statd cannot
	 * resolve 127.0.0.2 here, so its sm/ record is not looked at). */
	char list[400];
	snprintf(list, sizeof(list), "%s/state/nlm_hosts", dl_dir);
	for (int i = 0; i < 100 && !file_has(list, addr); i++)
		usleep(50000);
	assert_true(file_has(list, addr));
	assert_int_equal(nlm_lock(fd, &b, true, false), NLM4_DENIED);
	notify_reboot(addr, port ? 11 : 9);
	s = NLM4_DENIED;
	for (int i = 0; i < 100 && s != NLM4_GRANTED; i++) {
		s = nlm_lock(fd, &b, true, false);
		if (s != NLM4_GRANTED)
			usleep(50000);
	}
	assert_int_equal(s, NLM4_GRANTED);
	assert_int_equal(nlm_unlock(fd, &b), NLM4_GRANTED);
	close(fd);
	if (held >= 0)
		close(held);
	char client[64];
	snprintf(client, sizeof(client), "%s-v4-client", name);
	nfs4c_session_up(&v4, nfs4c_connect(server.hostport), 0, client, NULL);
}

static void test_callback_beside_other_address(void **st)
{
	(void)st;
	callback_beside_other_address("nsm-file4", 0);
}

/* The namespace is the test's own: the port is free but for the test. */
static void test_callback_port_taken(void **st)
{
	(void)st;
	callback_beside_other_address("nsm-file5", 20491);
}

int main(void)
{
	nsm_dir = getenv("FERRY_TEST_NSM_DIR");
	if (!nsm_dir) {
		fprintf(stderr, "nlm_nsm_client: run by tests/nlm/nsm.test.sh (it needs the "
				"rpcbind and rpc.statd that script starts in a namespace)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registered),
		cmocka_unit_test(test_monitor_and_reboot),
		cmocka_unit_test(test_restart_grace_and_notify),
		cmocka_unit_test(test_stop_while_statd_answers),
		cmocka_unit_test(test_callback_beside_other_address),
		cmocka_unit_test(test_callback_port_taken),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
