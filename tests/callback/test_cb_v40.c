/* v4.0 callbacks: CB_NULL probe and CB_RECALL over a connection the server
 * dials to the client's callback listener, with minor version 0, the
 * client's callback_ident and no CB_SEQUENCE; a dead connection redialled;
 * retries ending in NFS4ERR_CB_PATH_DOWN; addresses no export admits are
 * never dialled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <unistd.h>

#include "nfs4/cb_fixture.h"

enum { PROG = 0x40000321, IDENT = 0x77, RETRIES = 2 };

static int setup(void **state)
{
	/* Only loopback clients: 127.0.0.2 is refused for callbacks. */
	struct cbfix *f = cbfix_start_clients(300, 50, RETRIES, "127.0.0.1/32");
	*state = f;
	return f ? 0 : -1;
}

static int teardown(void **state)
{
	cbfix_stop(*state);
	return 0;
}

struct client40 {
	int fd;
	struct nfs4c_client40 c;
	struct nfs4c_cb svc;
	struct nfs4c_cb_listener l;
};

/* SETCLIENTID with the listener's address; waits for the probe. */
static void client_up(struct cbfix *f, struct client40 *k, const char *name)
{
	nfs4c_cb_init(&k->svc, PROG);
	assert_int_equal(nfs4c_cb_listen(&k->l, &k->svc), 0);
	k->fd = nfs4c_connect(f->hostport);
	assert_int_equal(nfs4c_setclientid(&k->c, k->fd, nfs4c_root_cred(), name, PROG, "tcp",
					   k->l.uaddr, IDENT),
			 NFS4_OK);
	assert_true(nfs4c_cb_wait(&k->svc, 0, 1, WAIT_MS));
	for (unsigned waited = 0; !cb_path_up(f->nfs.cb, k->c.clientid); waited += 5) {
		assert_true(waited < WAIT_MS);
		usleep(5 * 1000);
	}
	cbfix_quiesce(f);
}

static void client_down(struct client40 *k)
{
	nfs4c_close(k->fd);
	nfs4c_cb_listen_stop(&k->l);
	nfs4c_cb_destroy(&k->svc);
}

static void test_v40_recall(void **state)
{
	struct cbfix *f = *state;
	struct client40 k;
	client_up(f, &k, "v40-recall");
	struct nfs4c_cb_rec r;
	assert_true(nfs4c_cb_get(&k.svc, 0, 0, &r));
	assert_int_equal(r.prog, PROG);
	cbfix_done_reset();
	struct cbfix_req req;
	cbfix_recall(&req, 5);
	assert_int_equal(cbfix_queue(f->nfs.cb, k.c.clientid, &req), 0);
	cbfix_recall(&req, 6);
	assert_int_equal(cbfix_queue(f->nfs.cb, k.c.clientid, &req), 0);
	assert_true(cbfix_wait_done(2, WAIT_MS));
	assert_int_equal(cbfix_dones.status[0], NFS4_OK);
	assert_int_equal(cbfix_dones.status[1], NFS4_OK);
	for (unsigned i = 0; i < 2; i++) {
		assert_true(nfs4c_cb_get(&k.svc, OP_CB_RECALL, i, &r));
		assert_int_equal(r.minor, 0);
		assert_int_equal(r.callback_ident, IDENT);
		assert_int_equal(r.prog, PROG);
		assert_int_equal(r.stateid.other[0], 0x15 + i);
		assert_int_equal(r.fhlen, 8);
		/* The client set up with AUTH_SYS: so are its callbacks (the
		 * Linux client refuses a CB_COMPOUND under AUTH_NONE), as the
		 * server host's root. */
		assert_int_equal(r.cred_flavor, RPC_AUTH_SYS);
		assert_int_equal(r.cred_uid, 0);
	}
	assert_int_equal(nfs4c_cb_count(&k.svc, OP_CB_SEQUENCE), 0);
	/* One connection for the probe and both recalls. */
	assert_int_equal(atomic_load(&k.l.accepted), 1);

	/* The client drops it: the next callback dials again. */
	atomic_store(&k.l.drop, 1);
	usleep(200 * 1000);
	cbfix_recall(&req, 7);
	assert_int_equal(cbfix_queue(f->nfs.cb, k.c.clientid, &req), 0);
	assert_true(cbfix_wait_done(3, WAIT_MS));
	assert_int_equal(cbfix_dones.status[2], NFS4_OK);
	assert_int_equal(atomic_load(&k.l.accepted), 2);
	assert_int_equal(nfs4c_cb_count(&k.svc, OP_CB_RECALL), 3);
	client_down(&k);
}

/* A listener that never answers: NFS4ERR_CB_PATH_DOWN after the retries;
 * the path is down until a callback gets through. */
static void test_v40_silent(void **state)
{
	struct cbfix *f = *state;
	struct client40 k;
	client_up(f, &k, "v40-silent");
	k.svc.silent = true;
	cbfix_done_reset();
	struct cbfix_req req;
	cbfix_recall(&req, 1);
	assert_int_equal(cbfix_queue(f->nfs.cb, k.c.clientid, &req), 0);
	assert_true(cbfix_wait_done(1, 4 * WAIT_MS));
	assert_int_equal(cbfix_dones.status[0], NFS4ERR_CB_PATH_DOWN);
	/* The first try, one at once on a new connection, RETRIES more. */
	assert_int_equal(nfs4c_cb_count(&k.svc, OP_CB_RECALL), 2 + RETRIES);
	assert_false(cb_path_up(f->nfs.cb, k.c.clientid));
	k.svc.silent = false;
	cbfix_recall(&req, 2);
	assert_int_equal(cbfix_queue(f->nfs.cb, k.c.clientid, &req), 0);
	assert_true(cbfix_wait_done(2, WAIT_MS));
	assert_int_equal(cbfix_dones.status[1], NFS4_OK);
	assert_true(cb_path_up(f->nfs.cb, k.c.clientid));
	client_down(&k);
}

/* A callback address no export admits is never dialled: no probe, no
 * queue; so is a client that gave no usable address. */
static void test_v40_address_not_allowed(void **state)
{
	struct cbfix *f = *state;
	int fd = nfs4c_connect(f->hostport);
	struct nfs4c_client40 c;
	assert_int_equal(nfs4c_setclientid(&c, fd, nfs4c_root_cred(), "v40-far", PROG, "tcp",
					   "127.0.0.2.8.1", IDENT),
			 NFS4_OK);
	usleep(100 * 1000);
	cbfix_quiesce(f);
	assert_false(cb_path_up(f->nfs.cb, c.clientid));
	struct cbfix_req req;
	cbfix_recall(&req, 1);
	assert_int_equal(cbfix_queue(f->nfs.cb, c.clientid, &req), -ENOTCONN);
	struct nfs4c_client40 c2;
	assert_int_equal(nfs4c_setclientid(&c2, fd, nfs4c_root_cred(), "v40-none", PROG, "tcp",
					   "localhost.8.1", IDENT),
			 NFS4_OK);
	assert_int_equal(cbfix_queue(f->nfs.cb, c2.clientid, &req), -ENOTCONN);
	nfs4c_close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v40_recall),
		cmocka_unit_test(test_v40_silent),
		cmocka_unit_test(test_v40_address_not_allowed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
