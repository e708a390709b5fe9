/* NFSv3 beside NFSv4 state: v3 calls that conflict with an NFSv4
 * delegation recall it and get NFS3ERR_JUKEBOX until it is returned; the
 * write verifier changes across a restart; NFSv3 turned off on a listener
 * and on an export. */
#include "proto/deleg_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "lib/ctl_test.h"
#include "lib/nfs3_client.h"

static const uint32_t RD = OPEN4_SHARE_ACCESS_READ;
static const uint32_t BOTH = OPEN4_SHARE_ACCESS_BOTH;

static int v3_connect(struct nfs3c_fh *root)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	static const char *const path[] = {"export", NULL};
	assert_int_equal(nfs3c_export_root(fd, path, root), 0);
	return fd;
}

static uint32_t v3_read(int fd, const struct nfs3c_fh *f)
{
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.read.file = nfs3c_wire(f);
	a.read.count = 64;
	struct nfs3c_res r;
	assert_int_equal(nfs3c_call(fd, NULL, NFSPROC3_READ, &a, &r), 0);
	uint32_t st = r.res.status;
	nfs3c_release(&r);
	return st;
}

static uint32_t v3_write(int fd, const struct nfs3c_fh *f, uint8_t verf[8])
{
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.write.file = nfs3c_wire(f);
	a.write.count = 3;
	a.write.stable = UNSTABLE;
	a.write.data = nfs3c_str("v3!");
	struct nfs3c_res r;
	assert_int_equal(nfs3c_call(fd, NULL, NFSPROC3_WRITE, &a, &r), 0);
	uint32_t st = r.res.status;
	if (st == NFS3_OK && verf)
		memcpy(verf, r.res.u.write.verf, 8);
	nfs3c_release(&r);
	return st;
}

static uint32_t v3_remove(int fd, const struct nfs3c_fh *dir, const char *name)
{
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.dirop = (struct nfs3_diropargs){nfs3c_wire(dir), nfs3c_str(name)};
	struct nfs3c_res r;
	assert_int_equal(nfs3c_call(fd, NULL, NFSPROC3_REMOVE, &a, &r), 0);
	uint32_t st = r.res.status;
	nfs3c_release(&r);
	return st;
}

/* JUKEBOX until the holder returns its delegation, then the call goes
 * through: a READ against a write delegation, a WRITE and a REMOVE
 * against read delegations. */
static void test_jukebox_then_success(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "v3-jukebox", 911);
	struct nfs3c_fh root, f, g;
	int fd = v3_connect(&root);
	char *before = ctlt_scrape(&server);

	struct dl_open ow = dl_open(&a, "wd", BOTH, true);
	assert_int_equal(ow.status, NFS4_OK);
	assert_int_equal(ow.deleg.type, OPEN_DELEGATE_WRITE);
	assert_int_equal(nfs3c_lookup(fd, &root, "wd", &f), NFS3_OK);
	assert_int_equal(v3_read(fd, &f), NFS3ERR_JUKEBOX);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 1, 5000));
	assert_true(nfs4c_cb_recalled(&sa, &ow.deleg.stateid));
	/* Still recalled: JUKEBOX again, no second recall. */
	assert_int_equal(v3_read(fd, &f), NFS3ERR_JUKEBOX);
	assert_int_equal(dl_delegreturn(&a, &ow), NFS4_OK);
	assert_int_equal(v3_read(fd, &f), NFS3_OK);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), 1);

	struct dl_open orr = dl_open(&a, "rd", RD, true);
	assert_int_equal(orr.status, NFS4_OK);
	assert_int_equal(orr.deleg.type, OPEN_DELEGATE_READ);
	assert_int_equal(nfs3c_lookup(fd, &root, "rd", &g), NFS3_OK);
	/* Reading does not conflict with a read delegation. */
	assert_int_equal(v3_read(fd, &g), NFS3_OK);
	/* The same WRITE retransmitted (one XID): JUKEBOX is not kept for
	 * retransmissions, so once the delegation is back it goes through. */
	union nfs3_args wa;
	memset(&wa, 0, sizeof(wa));
	wa.write.file = nfs3c_wire(&g);
	wa.write.count = 3;
	wa.write.data = nfs3c_str("v3!");
	struct nfs3c_res wr;
	assert_int_equal(nfs3c_call_xid(fd, 0x5151, NULL, NFSPROC3_WRITE, &wa, &wr), 0);
	assert_int_equal(wr.res.status, NFS3ERR_JUKEBOX);
	nfs3c_release(&wr);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 2, 5000));
	assert_int_equal(dl_delegreturn(&a, &orr), NFS4_OK);
	assert_int_equal(nfs3c_call_xid(fd, 0x5151, NULL, NFSPROC3_WRITE, &wa, &wr), 0);
	assert_int_equal(wr.res.status, NFS3_OK);
	nfs3c_release(&wr);

	struct dl_open orm = dl_open(&a, "rm", RD, true);
	assert_int_equal(orm.deleg.type, OPEN_DELEGATE_READ);
	assert_int_equal(v3_remove(fd, &root, "rm"), NFS3ERR_JUKEBOX);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 3, 5000));
	assert_int_equal(dl_delegreturn(&a, &orm), NFS4_OK);
	assert_int_equal(v3_remove(fd, &root, "rm"), NFS3_OK);

	char *after = ctlt_scrape(&server);
	assert_int_equal(ctlt_metric(after, "ferry_nfs3_jukebox_total") -
				 ctlt_metric(before, "ferry_nfs3_jukebox_total"),
			 4);
	free(before);
	free(after);
	close(fd);
	dl_client_end(&a, &sa);
}

/* The write verifier is the server's instance: a restart changes it, so
 * a client resends what it wrote UNSTABLE. */
static void test_write_verifier_restart(void **st)
{
	(void)st;
	struct nfs3c_fh root, f;
	int fd = v3_connect(&root);
	assert_int_equal(nfs3c_create(fd, &root, "verf", 0666, &f), NFS3_OK);
	uint8_t v1[8], v2[8], v3[8];
	assert_int_equal(v3_write(fd, &f, v1), NFS3_OK);
	assert_int_equal(v3_write(fd, &f, v2), NFS3_OK);
	assert_memory_equal(v1, v2, 8);
	close(fd);
	assert_int_equal(ferryd_stop(&server), 0);
	assert_int_equal(dl_start(), 0);
	struct nfs3c_fh root2;
	fd = v3_connect(&root2);
	/* The handles survive the restart; the verifier does not. */
	assert_memory_equal(root.data, root2.data, root.len);
	assert_int_equal(v3_write(fd, &f, v3), NFS3_OK);
	assert_memory_not_equal(v1, v3, 8);
	close(fd);
}

/* A connection to 127.0.0.1:port from addr and a reserved port (the
 * exports are secure), as a client on another host would make it. */
static int connect_from(const char *addr, uint16_t port)
{
	for (uint16_t local = 1023; local >= 600; local--) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(local)};
		inet_pton(AF_INET, addr, &me.sin_addr);
		struct sockaddr_in srv = {.sin_family = AF_INET, .sin_port = htons(port)};
		inet_pton(AF_INET, "127.0.0.1", &srv.sin_addr);
		if (bind(fd, (struct sockaddr *)&me, sizeof(me)) == 0 &&
		    connect(fd, (struct sockaddr *)&srv, sizeof(srv)) == 0)
			return fd;
		close(fd);
	}
	return -1;
}

static void test_switches(void **st)
{
	(void)st;
	char dir[] = "/tmp/ferry-nfs3-sw-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char conf[300], p[300];
	snprintf(conf, sizeof(conf), "%s/ferry.conf", dir);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f,
		"[export a]\npath = %s/a\npseudo = /a\nsquash = none\n"
		"[export b]\npath = %s/b\npseudo = /b\nsquash = none\nnfs3 = no\n"
		"[export ro]\npath = %s/ro\npseudo = /ro\naccess = ro\n"
		"[export sq]\npath = %s/sq\npseudo = /sq\nsquash = all\nanonuid = 4321\n"
		"anongid = 4322\n"
		"[export far]\npath = %s/far\npseudo = /far\nclients = 127.0.0.2\n",
		dir, dir, dir, dir, dir);
	fclose(f);
	const char *subs[] = {"a", "b", "ro", "sq", "far"};
	for (unsigned i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, subs[i]);
		mkdir(p, 0777);
		chmod(p, 0777);
	}
	struct ferryd_proc s;
	const char *args[] = {"--config", conf, "--listen", "127.0.0.1:0", "--listen",
			      "127.0.0.1:0,v3=no", NULL};
	assert_int_equal(ferryd_start(&s, args), 0);
	snprintf(p, sizeof(p), "%s/port", s.dir);
	FILE *pf = fopen(p, "r");
	assert_non_null(pf);
	unsigned p1 = 0, p2 = 0;
	assert_int_equal(fscanf(pf, "%u %u", &p1, &p2), 2);
	fclose(pf);
	char hp2[64];
	snprintf(hp2, sizeof(hp2), "127.0.0.1:%u", p2);

	/* The control plane tells which listeners serve NFSv3. */
	struct ctl_http_reply hr;
	ctlt_request(&s, "GET", "/api/v1/listeners", false, NULL, &hr);
	assert_int_equal(hr.status, 200);
	assert_non_null(strstr(hr.body, "\"nfs3\": true"));
	assert_non_null(strstr(hr.body, "\"nfs3\": false"));
	ctl_http_reply_free(&hr);

	/* The second listener: v4 only. */
	int fd2 = rpctest_connect(hp2);
	assert_true(fd2 >= 0);
	struct rpctest_reply r;
	assert_int_equal(rpctest_call(fd2, 1, NFS3_PROGRAM, 3, 0, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.hdr.accept_stat, RPC_PROG_MISMATCH);
	assert_int_equal(r.hdr.mismatch_low, 4);
	assert_int_equal(r.hdr.mismatch_high, 4);
	rpctest_reply_release(&r);
	assert_int_equal(rpctest_call(fd2, 2, NFS3_PROGRAM, 4, 0, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
	close(fd2);

	/* The first: v3, on export a only. */
	int fd = rpctest_connect(s.hostport);
	assert_true(fd >= 0);
	static const char *const pa[] = {"a", NULL}, *const pb[] = {"b", NULL};
	struct nfs3c_fh ra, rb;
	assert_int_equal(nfs3c_export_root(fd, pa, &ra), 0);
	assert_int_equal(nfs3c_export_root(fd, pb, &rb), 0);
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	struct nfs3c_res res;
	a.fh = nfs3c_wire(&ra);
	assert_int_equal(nfs3c_call(fd, NULL, NFSPROC3_GETATTR, &a, &res), 0);
	assert_int_equal(res.res.status, NFS3_OK);
	nfs3c_release(&res);
	a.fh = nfs3c_wire(&rb);
	assert_int_equal(nfs3c_call(fd, NULL, NFSPROC3_GETATTR, &a, &res), 0);
	assert_int_equal(res.res.status, NFS3ERR_ACCES);
	nfs3c_release(&res);

	/* The export's rules: read-only, squashing, hosts, the source port. */
	static const char *const pro[] = {"ro", NULL}, *const psq[] = {"sq", NULL};
	struct nfs3c_fh rro, rsq, sqf;
	assert_int_equal(nfs3c_export_root(fd, pro, &rro), 0);
	assert_int_equal(nfs3c_export_root(fd, psq, &rsq), 0);
	assert_int_equal(nfs3c_create(fd, &rro, "x", 0644, NULL), NFS3ERR_ROFS);
	assert_int_equal(nfs3c_create(fd, &rsq, "x", 0644, &sqf), NFS3_OK);
	memset(&a, 0, sizeof(a));
	a.fh = nfs3c_wire(&sqf);
	assert_int_equal(nfs3c_call(fd, NULL, NFSPROC3_GETATTR, &a, &res), 0);
	assert_int_equal(res.res.status, NFS3_OK);
	assert_int_equal(res.res.attr.attr.uid, 4321);
	assert_int_equal(res.res.attr.attr.gid, 4322);
	nfs3c_release(&res);
	/* The host rules: export far admits 127.0.0.2 only.  Its root handle,
	 * had there, is refused from 127.0.0.1. */
	static const char *const pfar[] = {"far", NULL};
	struct nfs3c_fh rfar;
	int fd2b = connect_from("127.0.0.2", s.port);
	assert_true(fd2b >= 0);
	assert_int_equal(nfs3c_export_root(fd2b, pfar, &rfar), 0);
	a.fh = nfs3c_wire(&rfar);
	assert_int_equal(nfs3c_call(fd2b, NULL, NFSPROC3_GETATTR, &a, &res), 0);
	assert_int_equal(res.res.status, NFS3_OK);
	nfs3c_release(&res);
	close(fd2b);
	assert_int_equal(nfs3c_call(fd, NULL, NFSPROC3_GETATTR, &a, &res), 0);
	assert_int_equal(res.res.status, NFS3ERR_ACCES);
	nfs3c_release(&res);
	close(fd);
	/* AUTH_SYS from an unreserved port proves nothing on a secure export. */
	fd = rpctest_connect_unreserved(s.hostport);
	assert_true(fd >= 0);
	a.fh = nfs3c_wire(&ra);
	assert_int_equal(nfs3c_call(fd, NULL, NFSPROC3_GETATTR, &a, &res), 0);
	assert_int_equal(res.res.status, NFS3ERR_PERM);
	nfs3c_release(&res);
	close(fd);
	assert_int_equal(ferryd_stop(&s), 0);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_jukebox_then_success, dl_setup, dl_teardown),
		cmocka_unit_test_setup_teardown(test_write_verifier_restart, dl_setup, dl_teardown),
		cmocka_unit_test(test_switches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
