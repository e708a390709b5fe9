/* The session and client-id codec: every encode/decode pair round-trips
 * field by field, every truncation of a valid encoding fails, and lengths
 * or counts past the protocol's limits fail. */
#include "codec_check.h"

#include "xdr/nfs4_codec_session.h"

static uint8_t big[2048];

static void assert_impl_id_equal(const struct nfs4_impl_id *a, const struct nfs4_impl_id *b)
{
	assert_opaque_equal(a->domain, b->domain);
	assert_opaque_equal(a->name, b->name);
	assert_int_equal(a->date.tv_sec, b->date.tv_sec);
	assert_int_equal(a->date.tv_nsec, b->date.tv_nsec);
}

/* --- EXCHANGE_ID ----------------------------------------------------------- */

static void test_exchange_id_args_sp4_none(void **state)
{
	struct nfs4_exchange_id_args a = {
		.verifier = verf(1),
		.ownerid = op("Linux NFSv4.1 client-host"),
		.flags = EXCHGID4_FLAG_SUPP_MOVED_REFER | EXCHGID4_FLAG_BIND_PRINC_STATEID,
		.state_protect = {.how = SP4_NONE},
		.has_impl_id = true,
		.impl_id = {.domain = op("kernel.org"), .name = op("Linux 6.8"),
			    .date = {.tv_sec = 1700000000, .tv_nsec = 5}},
	};
	struct nfs4_exchange_id_args b;
	CHECK_PAIR(nfs4_enc_exchange_id_args, nfs4_dec_exchange_id_args, &a, &b);
	assert_memory_equal(a.verifier.data, b.verifier.data, NFS4_VERIFIER_SIZE);
	assert_opaque_equal(a.ownerid, b.ownerid);
	assert_int_equal(a.flags, b.flags);
	assert_int_equal(b.state_protect.how, SP4_NONE);
	assert_true(b.has_impl_id);
	assert_impl_id_equal(&a.impl_id, &b.impl_id);
}

static void test_exchange_id_args_mach_cred(void **state)
{
	struct nfs4_exchange_id_args a = {
		.verifier = verf(2),
		.ownerid = op("owner"),
		.state_protect = {.how = SP4_MACH_CRED},
	};
	nfs4_bitmap_set(&a.state_protect.ops.must_enforce, OP_EXCHANGE_ID);
	nfs4_bitmap_set(&a.state_protect.ops.must_enforce, OP_DESTROY_CLIENTID);
	nfs4_bitmap_set(&a.state_protect.ops.must_allow, OP_CLOSE);
	struct nfs4_exchange_id_args b;
	CHECK_PAIR(nfs4_enc_exchange_id_args, nfs4_dec_exchange_id_args, &a, &b);
	assert_int_equal(b.state_protect.how, SP4_MACH_CRED);
	assert_bitmap_equal(&a.state_protect.ops.must_enforce, &b.state_protect.ops.must_enforce);
	assert_bitmap_equal(&a.state_protect.ops.must_allow, &b.state_protect.ops.must_allow);
	assert_false(b.state_protect.ops.extra);
	assert_false(b.has_impl_id);
}

/* Two sec_oid4 items as sent: "abc" and "12345678". */
static const uint8_t two_oids[] = {0, 0, 0, 3, 'a', 'b', 'c', 0,
				   0, 0, 0, 8, '1', '2', '3', '4', '5', '6', '7', '8'};

static void test_exchange_id_args_ssv(void **state)
{
	struct nfs4_exchange_id_args a = {
		.verifier = verf(3),
		.ownerid = op("ssv-owner"),
		.state_protect = {.how = SP4_SSV,
				  .hash_algs = {2, {two_oids, sizeof(two_oids)}},
				  .encr_algs = {0, {NULL, 0}},
				  .window = 16,
				  .num_gss_handles = 4},
	};
	nfs4_bitmap_set(&a.state_protect.ops.must_enforce, OP_SEQUENCE);
	struct nfs4_exchange_id_args b;
	CHECK_PAIR(nfs4_enc_exchange_id_args, nfs4_dec_exchange_id_args, &a, &b);
	assert_int_equal(b.state_protect.how, SP4_SSV);
	assert_int_equal(b.state_protect.window, 16);
	assert_int_equal(b.state_protect.num_gss_handles, 4);
	assert_int_equal(b.state_protect.encr_algs.count, 0);
	assert_int_equal(b.state_protect.hash_algs.count, 2);
	struct xdr_dec it;
	struct nfs4_opaque o;
	nfs4_list_iter_init(&it, &b.state_protect.hash_algs);
	assert_true(nfs4_dec_opaque_item(&it, &o));
	assert_opaque_equal(o, op("abc"));
	assert_true(nfs4_dec_opaque_item(&it, &o));
	assert_opaque_equal(o, op("12345678"));
	assert_int_equal(xdr_dec_remaining(&it), 0);
}

static void test_exchange_id_args_limits(void **state)
{
	struct nfs4_exchange_id_args a = {.verifier = verf(4), .state_protect = {.how = SP4_NONE}};
	struct xdr_enc e;

	/* co_ownerid<1024>: 1024 is fine, 1025 is not. */
	a.ownerid = (struct nfs4_opaque){big, NFS4_OPAQUE_LIMIT};
	struct nfs4_exchange_id_args b;
	CHECK_PAIR(nfs4_enc_exchange_id_args, nfs4_dec_exchange_id_args, &a, &b);
	a.ownerid.len = NFS4_OPAQUE_LIMIT + 1;
	CODEC_ENCODE(nfs4_enc_exchange_id_args, &a);
	CHECK_DEC_FAILS(nfs4_dec_exchange_id_args, codec_wire, codec_wire_len,
			struct nfs4_exchange_id_args);

	/* An unknown state_protect4_a arm, and nfs_impl_id4<1> with 2. */
	a.ownerid = op("x");
	codec_raw_init(&e);
	nfs4_enc_verifier(&e, &a.verifier);
	nfs4_enc_opaque(&e, a.ownerid);
	xdr_encode_u32(&e, 0);
	xdr_encode_u32(&e, 3);
	xdr_encode_u32(&e, 0);
	CHECK_DEC_FAILS(nfs4_dec_exchange_id_args, e.buf->data, xdr_enc_len(&e),
			struct nfs4_exchange_id_args);
	xdr_enc_release(&e);
	codec_raw_init(&e);
	nfs4_enc_verifier(&e, &a.verifier);
	nfs4_enc_opaque(&e, a.ownerid);
	xdr_encode_u32(&e, 0);
	xdr_encode_u32(&e, SP4_NONE);
	xdr_encode_u32(&e, 2);
	CHECK_DEC_FAILS(nfs4_dec_exchange_id_args, e.buf->data, xdr_enc_len(&e),
			struct nfs4_exchange_id_args);
	xdr_enc_release(&e);

	/* An SSV algorithm list whose count outruns the bytes. */
	codec_raw_init(&e);
	nfs4_enc_verifier(&e, &a.verifier);
	nfs4_enc_opaque(&e, a.ownerid);
	xdr_encode_u32(&e, 0);
	xdr_encode_u32(&e, SP4_SSV);
	xdr_encode_u32(&e, 0);
	xdr_encode_u32(&e, 0);
	xdr_encode_u32(&e, 0xffffffffu);
	xdr_encode_u32(&e, 0);
	CHECK_DEC_FAILS(nfs4_dec_exchange_id_args, e.buf->data, xdr_enc_len(&e),
			struct nfs4_exchange_id_args);
	xdr_enc_release(&e);
}

static void test_exchange_id_res(void **state)
{
	struct nfs4_exchange_id_res a = {
		.clientid = 0x1122334455667788ull,
		.sequenceid = 1,
		.flags = EXCHGID4_FLAG_USE_NON_PNFS | EXCHGID4_FLAG_CONFIRMED_R,
		.state_protect = {.how = SP4_NONE},
		.server_minor_id = 42,
		.server_major_id = op("ferry-major"),
		.server_scope = op("ferry-scope"),
		.has_impl_id = true,
		.impl_id = {.domain = op("ferry.example"), .name = op("ferryd 0.1"),
			    .date = {.tv_sec = 12, .tv_nsec = 34}},
	};
	struct nfs4_exchange_id_res b;
	CHECK_PAIR(nfs4_enc_exchange_id_res, nfs4_dec_exchange_id_res, &a, &b);
	assert_int_equal(a.clientid, b.clientid);
	assert_int_equal(a.sequenceid, b.sequenceid);
	assert_int_equal(a.flags, b.flags);
	assert_int_equal(b.state_protect.how, SP4_NONE);
	assert_int_equal(a.server_minor_id, b.server_minor_id);
	assert_opaque_equal(a.server_major_id, b.server_major_id);
	assert_opaque_equal(a.server_scope, b.server_scope);
	assert_true(b.has_impl_id);
	assert_impl_id_equal(&a.impl_id, &b.impl_id);

	a.state_protect.how = SP4_MACH_CRED;
	nfs4_bitmap_set(&a.state_protect.ops.must_allow, OP_RECLAIM_COMPLETE);
	a.has_impl_id = false;
	CHECK_PAIR(nfs4_enc_exchange_id_res, nfs4_dec_exchange_id_res, &a, &b);
	assert_int_equal(b.state_protect.how, SP4_MACH_CRED);
	assert_bitmap_equal(&a.state_protect.ops.must_allow, &b.state_protect.ops.must_allow);
	assert_false(b.has_impl_id);

	a.state_protect = (struct nfs4_state_protect_r){
		.how = SP4_SSV, .hash_alg = 1, .encr_alg = 2, .ssv_len = 32, .window = 8,
		.handles = {2, {two_oids, sizeof(two_oids)}}};
	CHECK_PAIR(nfs4_enc_exchange_id_res, nfs4_dec_exchange_id_res, &a, &b);
	assert_int_equal(b.state_protect.hash_alg, 1);
	assert_int_equal(b.state_protect.encr_alg, 2);
	assert_int_equal(b.state_protect.ssv_len, 32);
	assert_int_equal(b.state_protect.window, 8);
	assert_int_equal(b.state_protect.handles.count, 2);

	/* server_owner4.so_major_id<1024> and server_scope<1024>. */
	a.state_protect.how = SP4_NONE;
	a.server_scope = (struct nfs4_opaque){big, NFS4_OPAQUE_LIMIT + 1};
	CODEC_ENCODE(nfs4_enc_exchange_id_res, &a);
	CHECK_DEC_FAILS(nfs4_dec_exchange_id_res, codec_wire, codec_wire_len,
			struct nfs4_exchange_id_res);
}

/* --- CREATE_SESSION -------------------------------------------------------- */

static void assert_chan_equal(const struct nfs4_chan_attrs *a, const struct nfs4_chan_attrs *b)
{
	assert_int_equal(a->headerpadsize, b->headerpadsize);
	assert_int_equal(a->maxrequestsize, b->maxrequestsize);
	assert_int_equal(a->maxresponsesize, b->maxresponsesize);
	assert_int_equal(a->maxresponsesize_cached, b->maxresponsesize_cached);
	assert_int_equal(a->maxoperations, b->maxoperations);
	assert_int_equal(a->maxrequests, b->maxrequests);
	assert_int_equal(a->has_rdma_ird, b->has_rdma_ird);
	if (a->has_rdma_ird)
		assert_int_equal(a->rdma_ird, b->rdma_ird);
}

static void assert_cb_sec_equal(const struct nfs4_cb_sec_parms *a,
				const struct nfs4_cb_sec_parms *b)
{
	assert_int_equal(a->flavor, b->flavor);
	if (a->flavor == NFS4_AUTH_SYS) {
		assert_int_equal(a->sys.stamp, b->sys.stamp);
		assert_opaque_equal(a->sys.machinename, b->sys.machinename);
		assert_int_equal(a->sys.uid, b->sys.uid);
		assert_int_equal(a->sys.gid, b->sys.gid);
		assert_int_equal(a->sys.ngids, b->sys.ngids);
		assert_memory_equal(a->sys.gids, b->sys.gids, a->sys.ngids * sizeof(uint32_t));
	} else if (a->flavor == RPCSEC_GSS) {
		assert_int_equal(a->gss_service, b->gss_service);
		assert_opaque_equal(a->gss_handle_from_server, b->gss_handle_from_server);
		assert_opaque_equal(a->gss_handle_from_client, b->gss_handle_from_client);
	}
}

static struct nfs4_cb_sec_parms sec3[3];

static void fill_sec3(void)
{
	memset(sec3, 0, sizeof(sec3));
	sec3[0].flavor = NFS4_AUTH_NONE;
	sec3[1].flavor = NFS4_AUTH_SYS;
	sec3[1].sys.stamp = 99;
	sec3[1].sys.machinename = (struct nfs4_opaque){big, NFS4_AUTHSYS_MACHINENAME_MAX};
	sec3[1].sys.uid = 1000;
	sec3[1].sys.gid = 100;
	sec3[1].sys.ngids = NFS4_AUTHSYS_GIDS_MAX;
	for (uint32_t i = 0; i < NFS4_AUTHSYS_GIDS_MAX; i++)
		sec3[1].sys.gids[i] = 2000 + i;
	sec3[2].flavor = RPCSEC_GSS;
	sec3[2].gss_service = 2;
	sec3[2].gss_handle_from_server = op("server-handle");
	sec3[2].gss_handle_from_client = op("client");
}

static void check_sec_list(const struct nfs4_cb_sec_list *l)
{
	assert_null(l->items);
	assert_int_equal(l->l.count, 3);
	struct xdr_dec it;
	nfs4_list_iter_init(&it, &l->l);
	for (int i = 0; i < 3; i++) {
		struct nfs4_cb_sec_parms p;
		assert_true(nfs4_dec_cb_sec_parms(&it, &p));
		assert_cb_sec_equal(&sec3[i], &p);
	}
	assert_int_equal(xdr_dec_remaining(&it), 0);
}

static void test_create_session_args(void **state)
{
	fill_sec3();
	struct nfs4_create_session_args a = {
		.clientid = 0xabcdef0123456789ull,
		.sequence = 7,
		.flags = CREATE_SESSION4_FLAG_CONN_BACK_CHAN,
		.fore = {0, 1049600, 1049600, 65536, 64, 64, true, 3},
		.back = {0, 4096, 4096, 0, 2, 16, false, 0},
		.cb_program = 0x40000000,
		.sec_parms = {.l = {.count = 3}, .items = sec3},
	};
	struct nfs4_create_session_args b;
	CHECK_PAIR(nfs4_enc_create_session_args, nfs4_dec_create_session_args, &a, &b);
	assert_int_equal(a.clientid, b.clientid);
	assert_int_equal(a.sequence, b.sequence);
	assert_int_equal(a.flags, b.flags);
	assert_chan_equal(&a.fore, &b.fore);
	assert_chan_equal(&a.back, &b.back);
	assert_int_equal(a.cb_program, b.cb_program);
	check_sec_list(&b.sec_parms);

	/* An empty list. */
	a.sec_parms.l.count = 0;
	CHECK_PAIR(nfs4_enc_create_session_args, nfs4_dec_create_session_args, &a, &b);
	assert_int_equal(b.sec_parms.l.count, 0);
}

/* CREATE_SESSION arguments up to the security list, then one AUTH_SYS
 * entry written by hand with the given name length and gid count. */
static void raw_create_session_sys(struct xdr_enc *e, uint32_t namelen, uint32_t ngids)
{
	struct nfs4_chan_attrs c = {0};
	codec_raw_init(e);
	xdr_encode_u64(e, 1);
	xdr_encode_u32(e, 1);
	xdr_encode_u32(e, 0);
	nfs4_enc_chan_attrs(e, &c);
	nfs4_enc_chan_attrs(e, &c);
	xdr_encode_u32(e, 0x40000000);
	xdr_encode_u32(e, 1);
	xdr_encode_u32(e, NFS4_AUTH_SYS);
	xdr_encode_u32(e, 0);
	xdr_encode_opaque(e, big, namelen);
	xdr_encode_u32(e, 0);
	xdr_encode_u32(e, 0);
	xdr_encode_u32(e, ngids);
	for (uint32_t i = 0; i < ngids; i++)
		xdr_encode_u32(e, i);
}

static void test_create_session_limits(void **state)
{
	struct xdr_enc e;
	struct nfs4_create_session_args b;
	struct xdr_dec d;

	raw_create_session_sys(&e, 255, 16);
	xdr_dec_init(&d, e.buf->data, xdr_enc_len(&e));
	assert_true(nfs4_dec_create_session_args(&d, &b));
	xdr_enc_release(&e);

	raw_create_session_sys(&e, 256, 16);
	CHECK_DEC_FAILS(nfs4_dec_create_session_args, e.buf->data, xdr_enc_len(&e),
			struct nfs4_create_session_args);
	xdr_enc_release(&e);

	raw_create_session_sys(&e, 255, 17);
	CHECK_DEC_FAILS(nfs4_dec_create_session_args, e.buf->data, xdr_enc_len(&e),
			struct nfs4_create_session_args);
	xdr_enc_release(&e);

	/* The encoder refuses what the decoder would. */
	fill_sec3();
	sec3[1].sys.ngids = 17;
	codec_raw_init(&e);
	assert_false(nfs4_enc_cb_sec_parms(&e, &sec3[1]));
	assert_true(e.overflow);
	xdr_enc_release(&e);
	fill_sec3();
	sec3[1].sys.machinename.len = 256;
	codec_raw_init(&e);
	assert_false(nfs4_enc_cb_sec_parms(&e, &sec3[1]));
	xdr_enc_release(&e);

	/* A flavor the union does not have, and ca_rdma_ird<1> with two. */
	uint8_t krb[] = {0, 0, 0, 0x0a};
	CHECK_DEC_FAILS(nfs4_dec_cb_sec_parms, krb, sizeof(krb), struct nfs4_cb_sec_parms);
	uint8_t ird2[32] = {0};
	ird2[27] = 2;
	CHECK_DEC_FAILS(nfs4_dec_chan_attrs, ird2, sizeof(ird2), struct nfs4_chan_attrs);
}

static void test_create_session_res(void **state)
{
	struct nfs4_create_session_res a = {
		.sessionid = sid(9),
		.sequence = 7,
		.flags = CREATE_SESSION4_FLAG_CONN_BACK_CHAN,
		.fore = {0, 1049600, 1049600, 65536, 64, 64, false, 0},
		.back = {0, 4096, 4096, 0, 2, 16, true, 1},
	};
	struct nfs4_create_session_res b;
	CHECK_PAIR(nfs4_enc_create_session_res, nfs4_dec_create_session_res, &a, &b);
	assert_memory_equal(a.sessionid.data, b.sessionid.data, NFS4_SESSIONID_SIZE);
	assert_int_equal(a.sequence, b.sequence);
	assert_int_equal(a.flags, b.flags);
	assert_chan_equal(&a.fore, &b.fore);
	assert_chan_equal(&a.back, &b.back);
}

/* --- the small session operations ------------------------------------------ */

static void test_destroy_session_sequence(void **state)
{
	struct nfs4_destroy_session_args da = {sid(1)}, db;
	CHECK_PAIR(nfs4_enc_destroy_session_args, nfs4_dec_destroy_session_args, &da, &db);
	assert_memory_equal(da.sessionid.data, db.sessionid.data, NFS4_SESSIONID_SIZE);

	struct nfs4_sequence_args sa = {sid(2), 0xfffffffeu, 3, 63, true}, sb;
	CHECK_PAIR(nfs4_enc_sequence_args, nfs4_dec_sequence_args, &sa, &sb);
	assert_memory_equal(sa.sessionid.data, sb.sessionid.data, NFS4_SESSIONID_SIZE);
	assert_int_equal(sa.sequenceid, sb.sequenceid);
	assert_int_equal(sa.slotid, sb.slotid);
	assert_int_equal(sa.highest_slotid, sb.highest_slotid);
	assert_true(sb.cachethis);
	/* sa_cachethis is an XDR bool: 2 is not one. */
	codec_wire[codec_wire_len - 1] = 2;
	CHECK_DEC_FAILS(nfs4_dec_sequence_args, codec_wire, codec_wire_len,
			struct nfs4_sequence_args);

	struct nfs4_sequence_res ra = {sid(3), 5, 3, 63, 31, SEQ4_STATUS_CB_PATH_DOWN}, rb;
	CHECK_PAIR(nfs4_enc_sequence_res, nfs4_dec_sequence_res, &ra, &rb);
	assert_memory_equal(ra.sessionid.data, rb.sessionid.data, NFS4_SESSIONID_SIZE);
	assert_int_equal(ra.sequenceid, rb.sequenceid);
	assert_int_equal(ra.slotid, rb.slotid);
	assert_int_equal(ra.highest_slotid, rb.highest_slotid);
	assert_int_equal(ra.target_highest_slotid, rb.target_highest_slotid);
	assert_int_equal(ra.status_flags, rb.status_flags);
}

static void test_bind_conn_backchannel_ctl(void **state)
{
	struct nfs4_bind_conn_to_session_args aa = {sid(4), CDFC4_BACK_OR_BOTH, false}, ab;
	CHECK_PAIR(nfs4_enc_bind_conn_to_session_args, nfs4_dec_bind_conn_to_session_args, &aa,
		   &ab);
	assert_memory_equal(aa.sessionid.data, ab.sessionid.data, NFS4_SESSIONID_SIZE);
	assert_int_equal(aa.dir, ab.dir);
	assert_false(ab.use_conn_in_rdma_mode);

	struct nfs4_bind_conn_to_session_res ra = {sid(5), CDFS4_BOTH, true}, rb;
	CHECK_PAIR(nfs4_enc_bind_conn_to_session_res, nfs4_dec_bind_conn_to_session_res, &ra, &rb);
	assert_memory_equal(ra.sessionid.data, rb.sessionid.data, NFS4_SESSIONID_SIZE);
	assert_int_equal(ra.dir, rb.dir);
	assert_true(rb.use_conn_in_rdma_mode);

	fill_sec3();
	struct nfs4_backchannel_ctl_args ca = {0x40000001, {.l = {.count = 3}, .items = sec3}},
					 cb;
	CHECK_PAIR(nfs4_enc_backchannel_ctl_args, nfs4_dec_backchannel_ctl_args, &ca, &cb);
	assert_int_equal(ca.cb_program, cb.cb_program);
	check_sec_list(&cb.sec_parms);
}

static void test_clientid_ops(void **state)
{
	struct nfs4_destroy_clientid_args da = {0x0102030405060708ull}, db;
	CHECK_PAIR(nfs4_enc_destroy_clientid_args, nfs4_dec_destroy_clientid_args, &da, &db);
	assert_int_equal(da.clientid, db.clientid);

	struct nfs4_reclaim_complete_args ra = {true}, rb;
	CHECK_PAIR(nfs4_enc_reclaim_complete_args, nfs4_dec_reclaim_complete_args, &ra, &rb);
	assert_true(rb.one_fs);

	struct nfs4_renew_args na = {77}, nb;
	CHECK_PAIR(nfs4_enc_renew_args, nfs4_dec_renew_args, &na, &nb);
	assert_int_equal(na.clientid, nb.clientid);

	struct nfs4_setclientid_confirm_args ca = {99, verf(5)}, cb;
	CHECK_PAIR(nfs4_enc_setclientid_confirm_args, nfs4_dec_setclientid_confirm_args, &ca, &cb);
	assert_int_equal(ca.clientid, cb.clientid);
	assert_memory_equal(ca.confirm.data, cb.confirm.data, NFS4_VERIFIER_SIZE);

	struct nfs4_release_lockowner_args la = {{12345, op("lock-owner-bytes")}}, lb;
	CHECK_PAIR(nfs4_enc_release_lockowner_args, nfs4_dec_release_lockowner_args, &la, &lb);
	assert_int_equal(la.owner.clientid, lb.owner.clientid);
	assert_opaque_equal(la.owner.owner, lb.owner.owner);
	la.owner.owner = (struct nfs4_opaque){big, NFS4_OPAQUE_LIMIT + 1};
	CODEC_ENCODE(nfs4_enc_release_lockowner_args, &la);
	CHECK_DEC_FAILS(nfs4_dec_release_lockowner_args, codec_wire, codec_wire_len,
			struct nfs4_release_lockowner_args);
}

static void test_test_free_stateid(void **state)
{
	struct nfs4_stateid ids[3] = {stid(1), stid(2), stid(0xffffffffu)};
	struct nfs4_test_stateid_args a = {.count = 3, .items = ids}, b;
	CHECK_PAIR(nfs4_enc_test_stateid_args, nfs4_dec_test_stateid_args, &a, &b);
	assert_int_equal(b.count, 3);
	assert_null(b.items);
	for (uint32_t i = 0; i < 3; i++) {
		struct nfs4_stateid s;
		nfs4_test_stateid_args_get(&b, i, &s);
		assert_stateid_equal(&ids[i], &s);
		nfs4_test_stateid_args_get(&a, i, &s);
		assert_stateid_equal(&ids[i], &s);
	}
	/* A count the bytes cannot hold. */
	uint8_t huge[] = {0x10, 0, 0, 0, 0, 0, 0, 0};
	CHECK_DEC_FAILS(nfs4_dec_test_stateid_args, huge, sizeof(huge),
			struct nfs4_test_stateid_args);

	uint32_t codes[3] = {NFS4_OK, NFS4ERR_BAD_STATEID, NFS4ERR_OLD_STATEID};
	struct nfs4_test_stateid_res ra = {.count = 3, .items = codes}, rb;
	CHECK_PAIR(nfs4_enc_test_stateid_res, nfs4_dec_test_stateid_res, &ra, &rb);
	assert_int_equal(rb.count, 3);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(nfs4_test_stateid_res_get(&rb, i), codes[i]);
	CHECK_DEC_FAILS(nfs4_dec_test_stateid_res, huge, sizeof(huge),
			struct nfs4_test_stateid_res);

	struct nfs4_free_stateid_args fa = {stid(8)}, fb;
	CHECK_PAIR(nfs4_enc_free_stateid_args, nfs4_dec_free_stateid_args, &fa, &fb);
	assert_stateid_equal(&fa.stateid, &fb.stateid);
}

static void test_secinfo(void **state)
{
	struct nfs4_secinfo si[3] = {
		{.flavor = RPCSEC_GSS, .gss_oid = op("\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"),
		 .gss_qop = 0, .gss_service = 1},
		{.flavor = NFS4_AUTH_SYS},
		{.flavor = NFS4_AUTH_NONE},
	};
	struct nfs4_secinfo_res a = {.l = {.count = 3}, .items = si}, b;
	CHECK_PAIR(nfs4_enc_secinfo_res, nfs4_dec_secinfo_res, &a, &b);
	assert_int_equal(b.l.count, 3);
	struct xdr_dec it;
	nfs4_list_iter_init(&it, &b.l);
	for (int i = 0; i < 3; i++) {
		struct nfs4_secinfo s;
		assert_true(nfs4_dec_secinfo(&it, &s));
		assert_int_equal(s.flavor, si[i].flavor);
		if (s.flavor == RPCSEC_GSS) {
			assert_opaque_equal(s.gss_oid, si[i].gss_oid);
			assert_int_equal(s.gss_qop, si[i].gss_qop);
			assert_int_equal(s.gss_service, si[i].gss_service);
		}
	}
	/* sec_oid4 is bounded like any NFSv4 opaque. */
	si[0].gss_oid = (struct nfs4_opaque){big, NFS4_OPAQUE_LIMIT + 1};
	CODEC_ENCODE(nfs4_enc_secinfo_res, &a);
	CHECK_DEC_FAILS(nfs4_dec_secinfo_res, codec_wire, codec_wire_len, struct nfs4_secinfo_res);

	struct nfs4_secinfo_no_name_args na = {SECINFO_STYLE4_PARENT}, nb;
	CHECK_PAIR(nfs4_enc_secinfo_no_name_args, nfs4_dec_secinfo_no_name_args, &na, &nb);
	assert_int_equal(nb.style, SECINFO_STYLE4_PARENT);
}

static void test_set_ssv(void **state)
{
	struct nfs4_set_ssv_args a = {op("secret-state-verifier"), op("dig")}, b;
	CHECK_PAIR(nfs4_enc_set_ssv_args, nfs4_dec_set_ssv_args, &a, &b);
	assert_opaque_equal(a.ssv, b.ssv);
	assert_opaque_equal(a.digest, b.digest);
	struct nfs4_set_ssv_res ra = {op("digest!")}, rb;
	CHECK_PAIR(nfs4_enc_set_ssv_res, nfs4_dec_set_ssv_res, &ra, &rb);
	assert_opaque_equal(ra.digest, rb.digest);
}

/* --- SETCLIENTID ----------------------------------------------------------- */

static uint32_t scid_status;

static bool enc_scid_res(struct xdr_enc *e, const struct nfs4_setclientid_res *r)
{
	return nfs4_enc_setclientid_res(e, scid_status, r);
}

static bool dec_scid_res(struct xdr_dec *d, struct nfs4_setclientid_res *r)
{
	return nfs4_dec_setclientid_res(d, scid_status, r);
}

static void test_setclientid(void **state)
{
	struct nfs4_setclientid_args a = {
		.verifier = verf(6),
		.id = op("Linux NFSv4.0 host/10.0.0.1"),
		.cb_program = 0x40000000,
		.cb_location = {op("tcp"), op("10.0.0.1.3.232")},
		.callback_ident = 1,
	}, b;
	CHECK_PAIR(nfs4_enc_setclientid_args, nfs4_dec_setclientid_args, &a, &b);
	assert_memory_equal(a.verifier.data, b.verifier.data, NFS4_VERIFIER_SIZE);
	assert_opaque_equal(a.id, b.id);
	assert_int_equal(a.cb_program, b.cb_program);
	assert_opaque_equal(a.cb_location.netid, b.cb_location.netid);
	assert_opaque_equal(a.cb_location.addr, b.cb_location.addr);
	assert_int_equal(a.callback_ident, b.callback_ident);
	a.id = (struct nfs4_opaque){big, NFS4_OPAQUE_LIMIT + 1};
	CODEC_ENCODE(nfs4_enc_setclientid_args, &a);
	CHECK_DEC_FAILS(nfs4_dec_setclientid_args, codec_wire, codec_wire_len,
			struct nfs4_setclientid_args);

	struct nfs4_setclientid_res ra = {
		.clientid = 0x55,
		.confirm = verf(7),
		.inuse_addr = {op("tcp6"), op("::1.8.1")},
	}, rb;
	scid_status = NFS4_OK;
	CHECK_PAIR(enc_scid_res, dec_scid_res, &ra, &rb);
	assert_int_equal(ra.clientid, rb.clientid);
	assert_memory_equal(ra.confirm.data, rb.confirm.data, NFS4_VERIFIER_SIZE);
	scid_status = NFS4ERR_CLID_INUSE;
	CHECK_PAIR(enc_scid_res, dec_scid_res, &ra, &rb);
	assert_opaque_equal(ra.inuse_addr.netid, rb.inuse_addr.netid);
	assert_opaque_equal(ra.inuse_addr.addr, rb.inuse_addr.addr);

	/* Any other status has no body. */
	struct xdr_enc e;
	codec_raw_init(&e);
	assert_true(nfs4_enc_setclientid_res(&e, NFS4ERR_RESOURCE, &ra));
	assert_int_equal(xdr_enc_len(&e), 0);
	xdr_enc_release(&e);
}

/* --- GET_DIR_DELEGATION, WANT_DELEGATION ----------------------------------- */

static void test_get_dir_delegation(void **state)
{
	struct nfs4_get_dir_delegation_args a = {
		.signal_deleg_avail = true,
		.child_attr_delay = {1, 500},
		.dir_attr_delay = {0, 100000000},
	}, b;
	nfs4_bitmap_set(&a.notification_types, NOTIFY4_ADD_ENTRY);
	nfs4_bitmap_set(&a.notification_types, NOTIFY4_REMOVE_ENTRY);
	nfs4_bitmap_set(&a.child_attributes, FATTR4_SIZE);
	nfs4_bitmap_set(&a.dir_attributes, FATTR4_TIME_MODIFY);
	CHECK_PAIR(nfs4_enc_get_dir_delegation_args, nfs4_dec_get_dir_delegation_args, &a, &b);
	assert_true(b.signal_deleg_avail);
	assert_bitmap_equal(&a.notification_types, &b.notification_types);
	assert_int_equal(a.child_attr_delay.tv_sec, b.child_attr_delay.tv_sec);
	assert_int_equal(a.child_attr_delay.tv_nsec, b.child_attr_delay.tv_nsec);
	assert_int_equal(a.dir_attr_delay.tv_sec, b.dir_attr_delay.tv_sec);
	assert_int_equal(a.dir_attr_delay.tv_nsec, b.dir_attr_delay.tv_nsec);
	assert_bitmap_equal(&a.child_attributes, &b.child_attributes);
	assert_bitmap_equal(&a.dir_attributes, &b.dir_attributes);
	assert_false(b.extra);

	struct nfs4_get_dir_delegation_res ra = {
		.status = GDD4_OK, .cookieverf = verf(8), .stateid = stid(3)}, rb;
	nfs4_bitmap_set(&ra.notification, NOTIFY4_ADD_ENTRY);
	nfs4_bitmap_set(&ra.child_attributes, FATTR4_SIZE);
	nfs4_bitmap_set(&ra.dir_attributes, FATTR4_CHANGE);
	CHECK_PAIR(nfs4_enc_get_dir_delegation_res, nfs4_dec_get_dir_delegation_res, &ra, &rb);
	assert_int_equal(rb.status, GDD4_OK);
	assert_memory_equal(ra.cookieverf.data, rb.cookieverf.data, NFS4_VERIFIER_SIZE);
	assert_stateid_equal(&ra.stateid, &rb.stateid);
	assert_bitmap_equal(&ra.notification, &rb.notification);
	assert_bitmap_equal(&ra.child_attributes, &rb.child_attributes);
	assert_bitmap_equal(&ra.dir_attributes, &rb.dir_attributes);

	ra = (struct nfs4_get_dir_delegation_res){.status = GDD4_UNAVAIL,
						  .will_signal_deleg_avail = true};
	CHECK_PAIR(nfs4_enc_get_dir_delegation_res, nfs4_dec_get_dir_delegation_res, &ra, &rb);
	assert_int_equal(rb.status, GDD4_UNAVAIL);
	assert_true(rb.will_signal_deleg_avail);

	uint8_t bad[] = {0, 0, 0, 2, 0, 0, 0, 0};
	CHECK_DEC_FAILS(nfs4_dec_get_dir_delegation_res, bad, sizeof(bad),
			struct nfs4_get_dir_delegation_res);
}

static void test_want_delegation(void **state)
{
	const uint32_t claims[] = {CLAIM_FH, CLAIM_DELEG_PREV_FH, CLAIM_PREVIOUS};
	for (size_t i = 0; i < 3; i++) {
		struct nfs4_want_delegation_args a = {
			OPEN4_SHARE_ACCESS_WANT_READ_DELEG, claims[i], OPEN_DELEGATE_READ}, b;
		CHECK_PAIR(nfs4_enc_want_delegation_args, nfs4_dec_want_delegation_args, &a, &b);
		assert_int_equal(a.want, b.want);
		assert_int_equal(a.claim, b.claim);
		if (a.claim == CLAIM_PREVIOUS)
			assert_int_equal(a.delegate_type, b.delegate_type);
	}
	uint8_t bad[] = {0, 0, 0, 0, 0, 0, 0, CLAIM_NULL};
	CHECK_DEC_FAILS(nfs4_dec_want_delegation_args, bad, sizeof(bad),
			struct nfs4_want_delegation_args);

	struct nfs4_want_delegation_res cases[] = {
		{{.type = OPEN_DELEGATE_NONE}},
		{{.type = OPEN_DELEGATE_READ, .stateid = stid(4), .recall = true,
		  .permissions = {0, 0, ACCESS4_READ, op("EVERYONE@")}}},
		{{.type = OPEN_DELEGATE_WRITE, .stateid = stid(5),
		  .space_limit = {NFS_LIMIT_SIZE, 1ull << 40, 0, 0}, .permissions = {0, 0, 0x1f, op("OWNER@")}}},
		{{.type = OPEN_DELEGATE_WRITE, .stateid = stid(6),
		  .space_limit = {NFS_LIMIT_BLOCKS, 0, 100, 4096}, .permissions = {0}}},
		{{.type = OPEN_DELEGATE_NONE_EXT, .why = WND4_CONTENTION, .server_will = true}},
		{{.type = OPEN_DELEGATE_NONE_EXT, .why = WND4_RESOURCE, .server_will = true}},
		{{.type = OPEN_DELEGATE_NONE_EXT, .why = WND4_IS_DIR}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct nfs4_open_delegation *x = &cases[i].deleg;
		struct nfs4_want_delegation_res rb;
		CHECK_PAIR(nfs4_enc_want_delegation_res, nfs4_dec_want_delegation_res, &cases[i],
			   &rb);
		const struct nfs4_open_delegation *y = &rb.deleg;
		assert_int_equal(x->type, y->type);
		if (x->type == OPEN_DELEGATE_READ || x->type == OPEN_DELEGATE_WRITE) {
			assert_stateid_equal(&x->stateid, &y->stateid);
			assert_int_equal(x->recall, y->recall);
			assert_int_equal(x->permissions.type, y->permissions.type);
			assert_int_equal(x->permissions.flag, y->permissions.flag);
			assert_int_equal(x->permissions.access_mask, y->permissions.access_mask);
			assert_opaque_equal(x->permissions.who, y->permissions.who);
		}
		if (x->type == OPEN_DELEGATE_WRITE) {
			assert_int_equal(x->space_limit.limitby, y->space_limit.limitby);
			assert_int_equal(x->space_limit.filesize, y->space_limit.filesize);
			assert_int_equal(x->space_limit.num_blocks, y->space_limit.num_blocks);
			assert_int_equal(x->space_limit.bytes_per_block, y->space_limit.bytes_per_block);
		}
		if (x->type == OPEN_DELEGATE_NONE_EXT) {
			assert_int_equal(x->why, y->why);
			assert_int_equal(x->server_will, y->server_will);
		}
	}
	uint8_t badtype[] = {0, 0, 0, 9};
	CHECK_DEC_FAILS(nfs4_dec_want_delegation_res, badtype, sizeof(badtype),
			struct nfs4_want_delegation_res);
}

static void test_count(void **state)
{
	/* Keeps the per-pair count visible in the test log. */
	print_message("round-tripped %zu encode/decode pairs\n", codec_pairs_checked);
	assert_true(codec_pairs_checked >= 40);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)('a' + i % 26);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange_id_args_sp4_none),
		cmocka_unit_test(test_exchange_id_args_mach_cred),
		cmocka_unit_test(test_exchange_id_args_ssv),
		cmocka_unit_test(test_exchange_id_args_limits),
		cmocka_unit_test(test_exchange_id_res),
		cmocka_unit_test(test_create_session_args),
		cmocka_unit_test(test_create_session_limits),
		cmocka_unit_test(test_create_session_res),
		cmocka_unit_test(test_destroy_session_sequence),
		cmocka_unit_test(test_bind_conn_backchannel_ctl),
		cmocka_unit_test(test_clientid_ops),
		cmocka_unit_test(test_test_free_stateid),
		cmocka_unit_test(test_secinfo),
		cmocka_unit_test(test_set_ssv),
		cmocka_unit_test(test_setclientid),
		cmocka_unit_test(test_get_dir_delegation),
		cmocka_unit_test(test_want_delegation),
		cmocka_unit_test(test_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
