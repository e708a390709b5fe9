/* libFuzzer target: every decoder of xdr/nfs4_codec_session.h.
 *
 * Byte 0 picks the decoder (modulo their number), the rest is its input.
 * Beyond "no sanitizer report": a list that decoded walks item by item
 * without failing, and whatever decodes re-encodes into bytes that decode
 * again (fuzz_codec.h). */
#include "fuzz_codec.h"

#include "xdr/nfs4_codec_session.h"

static void walk_opaques(const struct nfs4_list *l)
{
	struct xdr_dec it;
	struct nfs4_opaque o;
	nfs4_list_iter_init(&it, l);
	for (uint32_t i = 0; i < l->count; i++)
		CHECK(nfs4_dec_opaque_item(&it, &o));
	CHECK(xdr_dec_remaining(&it) == 0);
}

static void walk_sec(const struct nfs4_cb_sec_list *s)
{
	struct xdr_dec it;
	struct nfs4_cb_sec_parms p;
	nfs4_list_iter_init(&it, &s->l);
	for (uint32_t i = 0; i < s->l.count; i++) {
		CHECK(nfs4_dec_cb_sec_parms(&it, &p));
		CHECK(p.flavor != NFS4_AUTH_SYS || (p.sys.ngids <= NFS4_AUTHSYS_GIDS_MAX &&
						   p.sys.machinename.len <=
							   NFS4_AUTHSYS_MACHINENAME_MAX));
	}
	CHECK(xdr_dec_remaining(&it) == 0);
}

static void walk_exchange_id_args(const struct nfs4_exchange_id_args *a)
{
	CHECK(a->ownerid.len <= NFS4_OPAQUE_LIMIT);
	if (a->state_protect.how == SP4_SSV) {
		walk_opaques(&a->state_protect.hash_algs);
		walk_opaques(&a->state_protect.encr_algs);
	}
}

static void walk_exchange_id_res(const struct nfs4_exchange_id_res *r)
{
	if (r->state_protect.how == SP4_SSV)
		walk_opaques(&r->state_protect.handles);
}

static void walk_create_session_args(const struct nfs4_create_session_args *a)
{
	walk_sec(&a->sec_parms);
}

static void walk_backchannel_ctl_args(const struct nfs4_backchannel_ctl_args *a)
{
	walk_sec(&a->sec_parms);
}

static void walk_test_stateid_args(const struct nfs4_test_stateid_args *a)
{
	struct nfs4_stateid s;
	for (uint32_t i = 0; i < a->count; i++)
		nfs4_test_stateid_args_get(a, i, &s);
}

static void walk_test_stateid_res(const struct nfs4_test_stateid_res *r)
{
	for (uint32_t i = 0; i < r->count; i++)
		(void)nfs4_test_stateid_res_get(r, i);
}

static void walk_secinfo_res(const struct nfs4_secinfo_res *r)
{
	struct xdr_dec it;
	struct nfs4_secinfo s;
	nfs4_list_iter_init(&it, &r->l);
	for (uint32_t i = 0; i < r->l.count; i++)
		CHECK(nfs4_dec_secinfo(&it, &s));
	CHECK(xdr_dec_remaining(&it) == 0);
}

static bool enc_scid_ok(struct xdr_enc *e, const struct nfs4_setclientid_res *r)
{
	return nfs4_enc_setclientid_res(e, NFS4_OK, r);
}

static bool dec_scid_ok(struct xdr_dec *d, struct nfs4_setclientid_res *r)
{
	return nfs4_dec_setclientid_res(d, NFS4_OK, r);
}

static bool enc_scid_inuse(struct xdr_enc *e, const struct nfs4_setclientid_res *r)
{
	return nfs4_enc_setclientid_res(e, NFS4ERR_CLID_INUSE, r);
}

static bool dec_scid_inuse(struct xdr_dec *d, struct nfs4_setclientid_res *r)
{
	return nfs4_dec_setclientid_res(d, NFS4ERR_CLID_INUSE, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] % 33) {
#define PAIR(k, type, name, walk)                                                    \
	case k:                                                                      \
		FUZZ_PAIR(struct nfs4_##type, nfs4_enc_##name, nfs4_dec_##name, walk, p, n); \
		break;
	PAIR(0, exchange_id_args, exchange_id_args, walk_exchange_id_args)
	PAIR(1, exchange_id_res, exchange_id_res, walk_exchange_id_res)
	PAIR(2, create_session_args, create_session_args, walk_create_session_args)
	PAIR(3, create_session_res, create_session_res, FUZZ_NO_WALK)
	PAIR(4, destroy_session_args, destroy_session_args, FUZZ_NO_WALK)
	PAIR(5, sequence_args, sequence_args, FUZZ_NO_WALK)
	PAIR(6, sequence_res, sequence_res, FUZZ_NO_WALK)
	PAIR(7, bind_conn_to_session_args, bind_conn_to_session_args, FUZZ_NO_WALK)
	PAIR(8, bind_conn_to_session_res, bind_conn_to_session_res, FUZZ_NO_WALK)
	PAIR(9, backchannel_ctl_args, backchannel_ctl_args, walk_backchannel_ctl_args)
	PAIR(10, destroy_clientid_args, destroy_clientid_args, FUZZ_NO_WALK)
	PAIR(11, reclaim_complete_args, reclaim_complete_args, FUZZ_NO_WALK)
	PAIR(12, renew_args, renew_args, FUZZ_NO_WALK)
	PAIR(13, test_stateid_args, test_stateid_args, walk_test_stateid_args)
	PAIR(14, test_stateid_res, test_stateid_res, walk_test_stateid_res)
	PAIR(15, free_stateid_args, free_stateid_args, FUZZ_NO_WALK)
	PAIR(16, secinfo_res, secinfo_res, walk_secinfo_res)
	PAIR(17, secinfo_no_name_args, secinfo_no_name_args, FUZZ_NO_WALK)
	PAIR(18, set_ssv_args, set_ssv_args, FUZZ_NO_WALK)
	PAIR(19, set_ssv_res, set_ssv_res, FUZZ_NO_WALK)
	PAIR(20, setclientid_args, setclientid_args, FUZZ_NO_WALK)
	PAIR(21, setclientid_confirm_args, setclientid_confirm_args, FUZZ_NO_WALK)
	PAIR(22, release_lockowner_args, release_lockowner_args, FUZZ_NO_WALK)
	PAIR(23, get_dir_delegation_args, get_dir_delegation_args, FUZZ_NO_WALK)
	PAIR(24, get_dir_delegation_res, get_dir_delegation_res, FUZZ_NO_WALK)
	PAIR(25, want_delegation_args, want_delegation_args, FUZZ_NO_WALK)
	PAIR(26, want_delegation_res, want_delegation_res, FUZZ_NO_WALK)
	PAIR(27, chan_attrs, chan_attrs, FUZZ_NO_WALK)
	PAIR(28, cb_sec_parms, cb_sec_parms, FUZZ_NO_WALK)
	PAIR(29, state_owner, state_owner, FUZZ_NO_WALK)
	PAIR(30, open_delegation, open_delegation, FUZZ_NO_WALK)
#undef PAIR
	case 31:
		FUZZ_PAIR(struct nfs4_setclientid_res, enc_scid_ok, dec_scid_ok, FUZZ_NO_WALK, p, n);
		break;
	case 32:
		FUZZ_PAIR(struct nfs4_setclientid_res, enc_scid_inuse, dec_scid_inuse, FUZZ_NO_WALK,
			  p, n);
		break;
	}
	return 0;
}
