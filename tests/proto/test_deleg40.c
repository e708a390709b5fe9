/* File delegations over NFSv4.0: granted once the CB_NULL probe of the
 * client's callback address answered, recalled over a connection ferryd
 * dials to that address (CB_RECALL with the client's callback_ident), and
 * returned with DELEGRETURN.  v4.0 has no session, so even the holder's own
 * REMOVE recalls its delegation. */
#include "proto/deleg_fixture.h"

enum { IDENT = 0x1234 };

/* A v4.0 client with a callback listener; waits for the probe. */
static void client40(struct nfs4c_client40 *c, struct nfs4c_cb *svc, struct nfs4c_cb_listener *l,
		     const char *id, uint32_t uid)
{
	nfs4c_cb_init(svc, NFS4C_CB_PROGRAM);
	assert_int_equal(nfs4c_cb_listen(l, svc), 0);
	int fd = nfs4c_connect(server.hostport);
	assert_int_equal(nfs4c_setclientid(c, fd, nfs4c_cred(uid), id, NFS4C_CB_PROGRAM, "tcp",
					   l->uaddr, IDENT),
			 NFS4_OK);
	assert_true(nfs4c_cb_wait(svc, 0, 1, 5000)); /* CB_NULL */
}

static void client40_end(struct nfs4c_client40 *c, struct nfs4c_cb *svc,
			 struct nfs4c_cb_listener *l)
{
	nfs4c_close(c->fd);
	nfs4c_cb_listen_stop(l);
	nfs4c_cb_destroy(svc);
}

/* OPEN until the probe's answer counts (it is recorded before the server
 * read it); false when no delegation comes at all. */
static bool open_with_deleg(struct nfs4c_client40 *c, const char *owner, uint32_t *seqid,
			    const char *name, uint32_t access, struct nfs4c_open40 *o)
{
	uint64_t end = dl_now_ms() + 3000;
	do {
		assert_int_equal(nfs4c_open40(c, owner, seqid, "export", name, access, true, o),
				 NFS4_OK);
		if (o->deleg.type != OPEN_DELEGATE_NONE)
			return true;
		usleep(100 * 1000);
	} while (dl_now_ms() < end);
	return false;
}

static uint32_t delegreturn40(struct nfs4c_client40 *c, const struct nfs4c_open40 *o)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 0);
	nfs4c_putfh(&m, o->fh, o->fhlen);
	NFS4C_OP(&m, OP_DELEGRETURN, nfs4_enc_delegreturn_args,
		 &(struct nfs4_stateid_args){o->deleg.stateid});
	nfs4c_send(c->fd, c->cred, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t s = nfs4c_next(&p, OP_DELEGRETURN);
	nfs4c_done(&p);
	return s;
}

static void test_v40_recall_dialled(void **st)
{
	(void)st;
	struct nfs4c_client40 a, b;
	struct nfs4c_cb sa, sb;
	struct nfs4c_cb_listener la, lb;
	client40(&a, &sa, &la, "dl40-a", 930);
	client40(&b, &sb, &lb, "dl40-b", 930);
	uint32_t seqa = 1, seqb = 1;
	struct nfs4c_open40 oa, ob;
	/* The callback engine dials v4.0 clients: a delegation must come
	 * once the probe answered. */
	assert_true(open_with_deleg(&a, "oa", &seqa, "f40", OPEN4_SHARE_ACCESS_READ, &oa));
	assert_int_equal(oa.deleg.type, OPEN_DELEGATE_READ);
	assert_int_equal(nfs4c_open40(&b, "ob", &seqb, "export", "f40",
				      OPEN4_SHARE_ACCESS_WRITE, false, &ob),
			 NFS4ERR_DELAY);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 1, 5000));
	struct nfs4c_cb_rec rec;
	assert_true(nfs4c_cb_get(&sa, OP_CB_RECALL, 0, &rec));
	assert_int_equal(rec.minor, 0);
	assert_int_equal(rec.callback_ident, IDENT);
	assert_true(nfs4c_cb_recalled(&sa, &oa.deleg.stateid));
	assert_int_equal(delegreturn40(&a, &oa), NFS4_OK);
	assert_int_equal(nfs4c_open40(&b, "ob", &seqb, "export", "f40",
				      OPEN4_SHARE_ACCESS_WRITE, false, &ob),
			 NFS4_OK);
	/* The holder's own REMOVE recalls its write delegation. */
	struct nfs4c_open40 ow;
	assert_true(open_with_deleg(&a, "oa", &seqa, "f40-own", OPEN4_SHARE_ACCESS_BOTH, &ow));
	assert_int_equal(ow.deleg.type, OPEN_DELEGATE_WRITE);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 0);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	NFS4C_OP(&m, OP_REMOVE, nfs4_enc_remove_args,
		 &(struct nfs4_name_args){nfs4_opaque_str("f40-own")});
	nfs4c_send(a.fd, a.cred, &m, &p);
	assert_int_equal(p.status, NFS4ERR_DELAY);
	nfs4c_done(&p);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 2, 5000));
	assert_int_equal(delegreturn40(&a, &ow), NFS4_OK);
	client40_end(&a, &sa, &la);
	client40_end(&b, &sb, &lb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v40_recall_dialled),
	};
	return cmocka_run_group_tests(tests, dl_setup, dl_teardown);
}
