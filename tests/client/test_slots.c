/* The client slot table (client/slots.h) and session establishment
 * helpers (client/session.h): the lowest usable slot, the server's limits
 * taken only from replies that are not stale, sequence IDs advanced only by
 * a processed SEQUENCE, the checks of SEQUENCE and CREATE_SESSION results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "client/session.h"
#include "client/slots.h"

static const struct nfs4_sessionid sid = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};

/* The reply a server makes to req with its limits highest/target. */
static struct nfs4_sequence_res reply_to(const struct client_slot_req *req, uint32_t highest,
					 uint32_t target)
{
	return (struct nfs4_sequence_res){.sessionid = sid,
					  .sequenceid = req->seqid,
					  .slotid = req->slot,
					  .highest_slotid = highest,
					  .target_highest_slotid = target};
}

static void test_lowest_free_slot(void **unused)
{
	struct client_slots t;
	assert_int_equal(client_slots_init(&t, 130), 0);
	for (int i = 0; i < 130; i++)
		assert_int_equal(client_slot_acquire(&t), i);
	assert_int_equal(client_slot_acquire(&t), -1);
	assert_int_equal(client_slots_highest_busy(&t), 129);
	client_slot_release(&t, 65);
	client_slot_release(&t, 3);
	assert_int_equal(client_slot_acquire(&t), 3);
	assert_int_equal(client_slot_acquire(&t), 65);
	for (uint32_t i = 0; i < 130; i++)
		client_slot_release(&t, i);
	assert_int_equal(client_slots_highest_busy(&t), 0);
	client_slots_fini(&t);
}

static void test_seqid_advances_when_processed(void **unused)
{
	struct client_slots t;
	struct nfs4_sequence_args sa;
	struct client_slot_req req;
	assert_int_equal(client_slots_init(&t, 4), 0);
	int slot = client_slot_acquire(&t);
	assert_int_equal(slot, 0);
	client_slot_sequence(&t, &sid, 0, true, &sa, &req);
	assert_int_equal(sa.sequenceid, 1);
	assert_int_equal(sa.slotid, 0);
	assert_int_equal(sa.highest_slotid, 0);
	assert_true(sa.cachethis);
	/* Not processed (an error on SEQUENCE): the retry carries the same. */
	client_slot_sequence(&t, &sid, 0, false, &sa, &req);
	assert_int_equal(sa.sequenceid, 1);
	struct nfs4_sequence_res r = reply_to(&req, 3, 3);
	char why[160];
	assert_null(client_sequence_check(&sid, &req, &r, why, sizeof(why)));
	client_slot_done(&t, &req, &r);
	client_slot_sequence(&t, &sid, 0, false, &sa, &req);
	assert_int_equal(sa.sequenceid, 2);
	client_slots_fini(&t);
}

static void test_sequence_check(void **unused)
{
	struct client_slot_req req = {.slot = 2, .seqid = 7};
	struct nfs4_sequence_res r = reply_to(&req, 3, 3);
	char why[160];
	assert_null(client_sequence_check(&sid, &req, &r, why, sizeof(why)));
	r.sequenceid = 6;
	assert_non_null(client_sequence_check(&sid, &req, &r, why, sizeof(why)));
	assert_string_equal(why, "SEQUENCE reply for slot 2 seqid 6, sent slot 2 seqid 7");
	/* Without what was sent, only the limits are checked. */
	assert_null(client_sequence_check(NULL, NULL, &r, why, sizeof(why)));
	r = reply_to(&req, 3, 3);
	r.sessionid.data[0] ^= 1;
	assert_non_null(client_sequence_check(&sid, &req, &r, why, sizeof(why)));
	assert_null(client_sequence_check(NULL, NULL, &r, why, sizeof(why)));
	r = reply_to(&req, 2, 3);
	assert_non_null(client_sequence_check(NULL, NULL, &r, why, sizeof(why)));
}

static void test_target_from_fresh_replies_only(void **unused)
{
	struct client_slots t;
	struct nfs4_sequence_args sa;
	struct client_slot_req a, b;
	assert_int_equal(client_slots_init(&t, 8), 0);
	assert_int_equal(client_slot_acquire(&t), 0);
	assert_int_equal(client_slot_acquire(&t), 1);
	client_slot_sequence(&t, &sid, 0, false, &sa, &a);
	client_slot_sequence(&t, &sid, 1, false, &sa, &b);
	assert_int_equal(sa.highest_slotid, 1);
	/* a's reply lowers the target to slot 1 ... */
	struct nfs4_sequence_res ra = reply_to(&a, 7, 1);
	client_slot_done(&t, &a, &ra);
	client_slot_release(&t, 0);
	assert_int_equal(t.target_highest, 1);
	assert_int_equal(t.min_target, 1);
	/* ... and b's, sent before that change, cannot raise it again. */
	struct nfs4_sequence_res rb = reply_to(&b, 7, 7);
	rb.status_flags = SEQ4_STATUS_CB_PATH_DOWN;
	client_slot_done(&t, &b, &rb);
	client_slot_release(&t, 1);
	assert_int_equal(t.target_highest, 1);
	assert_int_equal(t.status_flags, SEQ4_STATUS_CB_PATH_DOWN);
	/* Only slots 0 and 1 are usable now. */
	assert_int_equal(client_slot_acquire(&t), 0);
	assert_int_equal(client_slot_acquire(&t), 1);
	assert_int_equal(client_slot_acquire(&t), -1);
	/* A request sent after the change may raise it. */
	client_slot_sequence(&t, &sid, 1, false, &sa, &b);
	rb = reply_to(&b, 7, 7);
	client_slot_done(&t, &b, &rb);
	client_slot_release(&t, 1);
	assert_int_equal(t.target_highest, 7);
	assert_int_equal(client_slot_acquire(&t), 1);
	assert_int_equal(client_slot_acquire(&t), 2);
	client_slots_fini(&t);
}

static void test_session_establishment(void **unused)
{
	struct client_owner o = {.ownerid = nfs4_opaque_str("owner"),
				 .flags = EXCHGID4_FLAG_USE_NON_PNFS,
				 .sp4 = SP4_NONE,
				 .impl_name = "test"};
	struct nfs4_exchange_id_args ea;
	client_exchange_id_args(&ea, &o);
	assert_int_equal(ea.ownerid.len, 5);
	assert_true(ea.has_impl_id);
	o.impl_name = NULL;
	client_exchange_id_args(&ea, &o);
	assert_false(ea.has_impl_id);

	struct client_id id;
	char why[160];
	struct nfs4_exchange_id_res er = {.clientid = 42, .sequenceid = 9};
	er.state_protect.how = SP4_MACH_CRED;
	assert_int_equal(client_exchange_id_done(&id, &er, why, sizeof(why)), -1);
	er.state_protect.how = SP4_NONE;
	assert_int_equal(client_exchange_id_done(&id, &er, why, sizeof(why)), 0);
	assert_int_equal(id.clientid, 42);
	assert_int_equal(id.create_seq, 9);

	static const uint32_t flavors[] = {RPC_AUTH_NONE, RPC_AUTH_SYS};
	const struct rpc_cred cred = {.flavor = RPC_AUTH_SYS, .uid = 5, .gid = 6,
				      .machinename = "m"};
	struct client_session_req req = {.fore = {.maxrequests = 16},
					 .cb_program = 0x40000000,
					 .flavors = flavors,
					 .nflavors = 2,
					 .cred = &cred};
	struct nfs4_create_session_args ca;
	struct nfs4_cb_sec_parms parms[CLIENT_SEC_PARMS_MAX];
	client_create_session_args(&ca, &id, &req, parms);
	assert_int_equal(ca.clientid, 42);
	assert_int_equal(ca.sequence, 9);
	assert_int_equal(ca.sec_parms.l.count, 2);
	assert_int_equal(parms[0].flavor, RPC_AUTH_NONE);
	assert_int_equal(parms[1].sys.uid, 5);
	assert_int_equal(parms[1].sys.machinename.len, 1);

	struct nfs4_create_session_res cr = {.sequence = 8, .fore = {.maxrequests = 8}};
	assert_int_equal(client_create_session_done(&id, &ca, &cr, 64, why, sizeof(why)), 0);
	cr.sequence = 9;
	cr.fore.maxrequests = 17;
	assert_int_equal(client_create_session_done(&id, &ca, &cr, 64, why, sizeof(why)), 0);
	cr.fore.maxrequests = 0;
	assert_int_equal(client_create_session_done(&id, &ca, &cr, 64, why, sizeof(why)), 0);
	assert_int_equal(id.create_seq, 9);
	cr.fore.maxrequests = 8;
	assert_int_equal(client_create_session_done(&id, &ca, &cr, 4, why, sizeof(why)), 4);
	assert_int_equal(id.create_seq, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowest_free_slot),
		cmocka_unit_test(test_seqid_advances_when_processed),
		cmocka_unit_test(test_sequence_check),
		cmocka_unit_test(test_target_from_fresh_replies_only),
		cmocka_unit_test(test_session_establishment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
