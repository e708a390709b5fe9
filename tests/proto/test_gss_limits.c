/* A session's ca_maxresponsesize under RPCSEC_GSS: what krb5i and krb5p
 * add after the results counts against it.  A COMPOUND whose reply would
 * be too large (three GETATTRs in a 400-byte session), with tags of every
 * length so that its end falls on each byte around the limit, gets
 * NFS4ERR_REP_TOO_BIG in a reply that is within 400 bytes as sent and
 * whole (every result it counts is there).  Before, the checksum or the
 * encryption's growth came on top of the limit, and pynfs's CSESS26 found
 * the failing operation's own result header left out. */
#include "proto/gss_fixture.h"

static char alice_cc[320];

static int setup(void **st)
{
	(void)st;
	return gss_server_up("krb5p:krb5i:krb5:sys", 1000, alice_cc, sizeof(alice_cc));
}

static int teardown(void **st)
{
	(void)st;
	return gss_server_down();
}

enum { MAXRESP = 400 };

static void rep_too_big_under(uint32_t service)
{
	int fd = nfs4c_connect(server.hostport);
	struct rpc_gss_client *g = nfs4c_gss_login(fd, NULL, alice_cc, NULL, service);
	struct nfs4c_attrs fore;
	nfs4c_default_attrs(&fore);
	fore.maxresp = MAXRESP;
	fore.maxcached = MAXRESP;
	struct nfs4c_sess s;
	char name[64];
	snprintf(name, sizeof(name), "gss-limits-%u", service);
	nfs4c_session_up(&s, fd, 4242, name, &fore);
	static const unsigned bits[] = {FATTR4_SUPPORTED_ATTRS, FATTR4_TYPE, FATTR4_FH_EXPIRE_TYPE,
					FATTR4_CHANGE, FATTR4_SIZE, FATTR4_LINK_SUPPORT,
					FATTR4_SYMLINK_SUPPORT, FATTR4_NAMED_ATTR, FATTR4_FSID,
					FATTR4_UNIQUE_HANDLES, FATTR4_LEASE_TIME,
					FATTR4_RDATTR_ERROR, FATTR4_FILEHANDLE};
	/* Tags of every length, so that some reply's end falls on each byte
	 * around the limit. */
	char tag[64];
	uint32_t xid = 0x71000000;
	for (unsigned t = 0; t < 48; t++) {
		memset(tag, 'x', t);
		tag[t] = '\0';
		struct nfs4c_call m;
		nfs4c_begin_tag(&m, 1, tag);
		nfs4c_sequence_op(&m, s.sid, ++s.seq[0], 0, s.nslots - 1, false);
		nfs4c_putrootfh(&m);
		for (unsigned i = 0; i < 3; i++)
			nfs4c_getattr(&m, bits, sizeof(bits) / sizeof(bits[0]));
		struct buf *args = nfs4c_call_bytes(&m);
		struct buf *call = NULL, *raw = NULL;
		struct rpc_gss_client_call info;
		assert_int_equal(nfs4c_gss_build(fd, ++xid, NFS4_PROGRAM, NFS4_VERSION, 1, args->data,
						 args->len, &call, &info),
				 0);
		assert_int_equal(nfs4c_rpc_raw(fd, call->data, call->len, 5000, &raw), 0);
		/* The reply as sent: within the client's size ... */
		assert_true(raw->len <= MAXRESP);
		/* ... and whole: every result it counts is there. */
		struct rpctest_reply rr;
		struct nfs4c_reply p;
		assert_int_equal(nfs4c_gss_reply(fd, &info, raw, &rr), 0);
		assert_int_equal(nfs4c_reply_take(&rr, &p), 0);
		uint32_t op, st, count = 0;
		while (nfs4c_result(&p, &op, &st)) {
			count++;
			if (op == OP_GETATTR && st == NFS4_OK) {
				struct nfs4_fattr_raw fa;
				assert_true(nfs4_dec_fattr_raw(&p.d, &fa));
			} else if (op == OP_SEQUENCE && st == NFS4_OK) {
				struct nfs4_sequence_res sr;
				assert_true(nfs4_dec_sequence_res(&p.d, &sr));
			}
		}
		assert_int_equal(count, p.nres);
		assert_int_equal(p.status, NFS4ERR_REP_TOO_BIG);
		nfs4c_done(&p);
		buf_unref(args);
		buf_unref(call);
	}
	nfs4c_gss_detach(fd);
	nfs4c_close(fd);
	rpc_gss_client_free(g);
}

static void test_rep_too_big_krb5i(void **st)
{
	(void)st;
	rep_too_big_under(RPC_GSS_SVC_INTEGRITY);
}

static void test_rep_too_big_krb5p(void **st)
{
	(void)st;
	rep_too_big_under(RPC_GSS_SVC_PRIVACY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rep_too_big_krb5i),
		cmocka_unit_test(test_rep_too_big_krb5p),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
