/* NFSv4.0 state through a real ferryd: SETCLIENTID/CONFIRM, RENEW,
 * OPEN/OPEN_CONFIRM/CLOSE, share reservations between two clients, LOCK
 * conflicts between two clients (LOCK4denied on the wire), LOCKT/LOCKU,
 * seqid replay and BAD_SEQID, and I/O checked against opens and locks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"
#include "xdr/nfs4_prot.h"
#include "xdr/nfs4_types.h"

enum { ACC_R = 1, ACC_W = 2, ACC_RW = 3, DENY_NONE = 0, DENY_W = 2 };
enum { RESULT_CONFIRM = 2 };

static struct ferryd_proc server;
static int conn = -1;

/* One NFS client as the tests drive it. */
struct cl {
	struct rpc_cred cred;
	uint64_t clientid;
	uint32_t seqid; /* of its open owner "owner" */
};

static struct cl ca, cb;

static void cl_init(struct cl *c, uint32_t uid)
{
	memset(c, 0, sizeof(*c));
	c->cred.flavor = RPC_AUTH_SYS;
	c->cred.uid = uid;
	c->cred.gid = uid;
	snprintf(c->cred.machinename, sizeof(c->cred.machinename), "client%u", uid);
	c->seqid = 1;
}

static int setup(void **state)
{
	if (ferryd_start(&server, NULL) != 0)
		return -1;
	/* Anyone may create files in the export. */
	char p[400];
	snprintf(p, sizeof(p), "%s/export", server.dir);
	chmod(p, 0777);
	conn = rpctest_connect(server.hostport);
	cl_init(&ca, 1000);
	cl_init(&cb, 1001);
	return conn >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
	if (conn >= 0)
		close(conn);
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

/* --- COMPOUND building -------------------------------------------------------- */

/* COMPOUNDs of minor version 0 with tag "t". */
static void cmp_begin(struct nfs4c_call *m) { nfs4c_begin_tag(m, 0, "t"); }

/* PUTROOTFH; LOOKUP "export". */
static void op_export_dir(struct nfs4c_call *m)
{
	nfs4c_putrootfh(m);
	nfs4c_lookup(m, "export");
}

static void op_putfh(struct nfs4c_call *m, const uint8_t *fh, uint32_t len)
{
	nfs4c_putfh(m, fh, len);
}

static struct nfs4_state_owner owner_of(const struct cl *c, const char *name)
{
	return (struct nfs4_state_owner){c->clientid, nfs4_opaque_str(name)};
}

static void cmp_send(struct nfs4c_call *m, const struct cl *c, struct nfs4c_reply *out)
{
	nfs4c_send(conn, &c->cred, m, out);
}

/* Reads the next result header; returns its status. */
static uint32_t next_res(struct nfs4c_reply *p, uint32_t want_op)
{
	uint32_t opnum = 0, status = 0;
	assert_true(nfs4c_result(p, &opnum, &status));
	assert_int_equal(opnum, want_op);
	return status;
}

static void skip_ok(struct nfs4c_reply *p, uint32_t want_op)
{
	assert_int_equal(next_res(p, want_op), NFS4_OK);
}

static void get_stateid(struct nfs4c_reply *p, struct nfs4_stateid *s)
{
	struct nfs4_stateid_res r;
	assert_true(nfs4_dec_stateid_res(&p->d, &r));
	*s = r.stateid;
}

static void rep_done(struct nfs4c_reply *p)
{
	nfs4c_done(p);
}

/* --- clients ------------------------------------------------------------------- */

static uint32_t setclientid(struct cl *c, const char *name, const char *verf, uint64_t *id,
			    uint8_t confirm[8])
{
	struct nfs4c_call m;
	cmp_begin(&m);
	struct nfs4_setclientid_args a = {.id = nfs4_opaque_str(name), .cb_program = 0x40000000,
					  .callback_ident = 1};
	memcpy(a.verifier.data, verf, strlen(verf));
	a.cb_location.netid = nfs4_opaque_str("tcp");
	a.cb_location.addr = nfs4_opaque_str("127.0.0.1.0.1"); /* nobody listens: the probe fails */
	nfs4c_setclientid_op(&m, &a);
	struct nfs4c_reply p;
	cmp_send(&m, c, &p);
	uint32_t s = next_res(&p, OP_SETCLIENTID);
	if (s == NFS4_OK) {
		struct nfs4_setclientid_res r;
		assert_true(nfs4_dec_setclientid_res(&p.d, s, &r));
		*id = r.clientid;
		memcpy(confirm, r.confirm.data, 8);
	}
	rep_done(&p);
	return s;
}

static uint32_t confirm_client(struct cl *c, uint64_t id, const uint8_t confirm[8])
{
	struct nfs4c_call m;
	cmp_begin(&m);
	struct nfs4_verifier v;
	memcpy(v.data, confirm, 8);
	nfs4c_setclientid_confirm_op(&m, id, &v);
	struct nfs4c_reply p;
	cmp_send(&m, c, &p);
	uint32_t s = next_res(&p, OP_SETCLIENTID_CONFIRM);
	rep_done(&p);
	return s;
}

static void client_up(struct cl *c, const char *name)
{
	uint8_t confirm[8];
	assert_int_equal(setclientid(c, name, "verifier", &c->clientid, confirm), NFS4_OK);
	assert_int_equal(confirm_client(c, c->clientid, confirm), NFS4_OK);
}

static uint32_t renew(struct cl *c, uint64_t id)
{
	struct nfs4c_call m;
	cmp_begin(&m);
	struct nfs4_renew_args a = {.clientid = id};
	NFS4C_OP(&m, OP_RENEW, nfs4_enc_renew_args, &a);
	struct nfs4c_reply p;
	cmp_send(&m, c, &p);
	uint32_t s = next_res(&p, OP_RENEW);
	rep_done(&p);
	return s;
}

/* --- opens ------------------------------------------------------------------------ */

struct opened {
	struct nfs4_stateid sid;
	uint32_t rflags;
	struct nfs4_bitmap attrset;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fh_len;
};

enum { HOW_UNCHECKED = 0, HOW_EXCLUSIVE = 2, HOW_NOCREATE = 9 };
static uint32_t open_how = HOW_UNCHECKED;
static char open_verifier[8];

/* The OPEN op of file name by owner: create UNCHECKED with mode 0666, or
 * as open_how says. */
static void op_open(struct nfs4c_call *m, struct cl *c, uint32_t seqid, const char *owner,
		    const char *name, uint32_t access, uint32_t deny)
{
	static const uint8_t mode[4] = {0, 0, 0x01, 0xb6}; /* 0666 */
	struct nfs4_open_args a = {.seqid = seqid, .share_access = access, .share_deny = deny,
				   .owner = owner_of(c, owner), .opentype = OPEN4_CREATE};
	a.claim.type = CLAIM_NULL;
	a.claim.file = nfs4_opaque_str(name);
	if (open_how == HOW_NOCREATE) {
		a.opentype = OPEN4_NOCREATE;
	} else if (open_how == HOW_EXCLUSIVE) {
		a.how.mode = EXCLUSIVE4;
		memcpy(a.how.verifier.data, open_verifier, 8);
	} else {
		a.how.mode = UNCHECKED4;
		nfs4_bitmap_set(&a.how.attrs.mask, FATTR4_MODE);
		a.how.attrs.vals = (struct nfs4_opaque){mode, sizeof(mode)};
	}
	nfs4c_open_op(m, &a);
}

/* OPEN + GETFH in the export directory; the raw reply is kept in *raw when
 * asked (for comparing replays). */
static uint32_t open_file(struct cl *c, uint32_t seqid, const char *owner, const char *name,
			  uint32_t access, uint32_t deny, struct opened *o, struct buf **raw)
{
	struct nfs4c_call m;
	cmp_begin(&m);
	op_export_dir(&m);
	op_open(&m, c, seqid, owner, name, access, deny);
	nfs4c_getfh(&m);
	struct nfs4c_reply p;
	cmp_send(&m, c, &p);
	skip_ok(&p, OP_PUTROOTFH);
	skip_ok(&p, OP_LOOKUP);
	uint32_t s = next_res(&p, OP_OPEN);
	if (s == NFS4_OK) {
		struct nfs4_open_res r;
		assert_true(nfs4_dec_open_res(&p.d, &r));
		o->sid = r.stateid;
		o->rflags = r.rflags;
		o->attrset = r.attrset;
		assert_int_equal(r.delegation.type, OPEN_DELEGATE_NONE);
		skip_ok(&p, OP_GETFH);
		struct nfs4_getfh_res fh;
		assert_true(nfs4_dec_getfh_res(&p.d, &fh));
		memcpy(o->fh, fh.fh.data, fh.fh.len);
		o->fh_len = fh.fh.len;
		assert_int_equal(xdr_dec_remaining(&p.d), 0);
	}
	if (raw)
		*raw = buf_ref(p.r.buf);
	rep_done(&p);
	return s;
}

/* An op on the owner's stateid with the file current: OPEN_CONFIRM or CLOSE. */
static uint32_t stateid_op(struct cl *c, uint32_t opnum, uint32_t seqid, struct opened *o,
			   struct nfs4_stateid *out)
{
	struct nfs4c_call m;
	cmp_begin(&m);
	op_putfh(&m, o->fh, o->fh_len);
	if (opnum == OP_CLOSE)
		nfs4c_close_op(&m, seqid, &o->sid);
	else
		nfs4c_open_confirm_op(&m, &o->sid, seqid);
	struct nfs4c_reply p;
	cmp_send(&m, c, &p);
	skip_ok(&p, OP_PUTFH);
	uint32_t s = next_res(&p, opnum);
	if (s == NFS4_OK)
		get_stateid(&p, out);
	rep_done(&p);
	return s;
}

/* OPEN (+ OPEN_CONFIRM when asked for) with the client's owner "owner". */
static uint32_t open_confirmed(struct cl *c, const char *name, uint32_t access, uint32_t deny,
			       struct opened *o)
{
	uint32_t s = open_file(c, c->seqid, "owner", name, access, deny, o, NULL);
	if (s != NFS4ERR_BAD_SEQID && s != NFS4ERR_STALE_CLIENTID)
		c->seqid++;
	if (s != NFS4_OK || !(o->rflags & RESULT_CONFIRM))
		return s;
	struct nfs4_stateid out;
	s = stateid_op(c, OP_OPEN_CONFIRM, c->seqid++, o, &out);
	if (s == NFS4_OK)
		o->sid = out;
	return s;
}

/* --- locks ------------------------------------------------------------------------ */

struct denied {
	uint64_t offset, length, clientid;
	uint32_t type;
	char owner[64];
};

static void get_denied(struct nfs4c_reply *p, struct denied *d)
{
	struct nfs4_lock_denied r;
	assert_true(nfs4_dec_lock_denied(&p->d, &r));
	d->offset = r.offset;
	d->length = r.length;
	d->type = r.locktype;
	d->clientid = r.owner.clientid;
	assert_true(r.owner.owner.len < sizeof(d->owner));
	memcpy(d->owner, r.owner.owner.data, r.owner.owner.len);
	d->owner[r.owner.owner.len] = '\0';
}

/* LOCK with a new lock owner, from the open o of client c. */
static uint32_t lock_new(struct cl *c, struct opened *o, const char *lock_owner, uint32_t type,
			 uint64_t off, uint64_t len, struct nfs4_stateid *out, struct denied *d)
{
	struct nfs4c_call m;
	cmp_begin(&m);
	op_putfh(&m, o->fh, o->fh_len);
	struct nfs4_lock_args a = {.locktype = type, .offset = off, .length = len};
	a.locker.new_lock_owner = true;
	a.locker.open_seqid = c->seqid;
	a.locker.open_stateid = o->sid;
	a.locker.lock_seqid = 0;
	a.locker.owner = owner_of(c, lock_owner);
	NFS4C_OP(&m, OP_LOCK, nfs4_enc_lock_args, &a);
	struct nfs4c_reply p;
	cmp_send(&m, c, &p);
	skip_ok(&p, OP_PUTFH);
	uint32_t s = next_res(&p, OP_LOCK);
	if (s == NFS4_OK)
		get_stateid(&p, out);
	else if (s == NFS4ERR_DENIED)
		get_denied(&p, d);
	assert_int_equal(xdr_dec_remaining(&p.d), 0);
	rep_done(&p);
	c->seqid++;
	return s;
}

static uint32_t lockt(struct cl *c, struct opened *o, const char *owner, uint32_t type,
		      uint64_t off, uint64_t len, struct denied *d)
{
	struct nfs4c_call m;
	cmp_begin(&m);
	op_putfh(&m, o->fh, o->fh_len);
	struct nfs4_lockt_args a = {.locktype = type, .offset = off, .length = len,
				    .owner = owner_of(c, owner)};
	NFS4C_OP(&m, OP_LOCKT, nfs4_enc_lockt_args, &a);
	struct nfs4c_reply p;
	cmp_send(&m, c, &p);
	skip_ok(&p, OP_PUTFH);
	uint32_t s = next_res(&p, OP_LOCKT);
	if (s == NFS4ERR_DENIED)
		get_denied(&p, d);
	rep_done(&p);
	return s;
}

static uint32_t locku(struct cl *c, struct opened *o, struct nfs4_stateid *lsid, uint32_t seqid,
		      uint64_t off, uint64_t len)
{
	struct nfs4c_call m;
	cmp_begin(&m);
	op_putfh(&m, o->fh, o->fh_len);
	struct nfs4_locku_args a = {.locktype = WRITE_LT, .seqid = seqid, .stateid = *lsid,
				    .offset = off, .length = len};
	NFS4C_OP(&m, OP_LOCKU, nfs4_enc_locku_args, &a);
	struct nfs4c_reply p;
	cmp_send(&m, c, &p);
	skip_ok(&p, OP_PUTFH);
	uint32_t s = next_res(&p, OP_LOCKU);
	if (s == NFS4_OK)
		get_stateid(&p, lsid);
	rep_done(&p);
	return s;
}

static uint32_t write_at(struct cl *c, struct opened *o, const struct nfs4_stateid *sid,
			 uint64_t off)
{
	struct nfs4c_call m;
	cmp_begin(&m);
	op_putfh(&m, o->fh, o->fh_len);
	struct nfs4_write_args a = {.stateid = *sid, .offset = off, .stable = FILE_SYNC4,
				    .data = nfs4_opaque_str("data")};
	NFS4C_OP(&m, OP_WRITE, nfs4_enc_write_args, &a);
	struct nfs4c_reply p;
	cmp_send(&m, c, &p);
	skip_ok(&p, OP_PUTFH);
	uint32_t s = next_res(&p, OP_WRITE);
	rep_done(&p);
	return s;
}

/* --- tests ------------------------------------------------------------------------ */

static void test_setclientid_confirm_renew(void **state)
{
	uint64_t id;
	uint8_t confirm[8], wrong[8];
	assert_int_equal(setclientid(&ca, "proto-a", "v1", &id, confirm), NFS4_OK);
	assert_int_equal(renew(&ca, id), NFS4ERR_STALE_CLIENTID); /* not confirmed yet */
	memcpy(wrong, confirm, 8);
	wrong[7] ^= 1;
	assert_int_equal(confirm_client(&ca, id, wrong), NFS4ERR_STALE_CLIENTID);
	assert_int_equal(confirm_client(&cb, id, confirm), NFS4ERR_CLID_INUSE);
	assert_int_equal(confirm_client(&ca, id, confirm), NFS4_OK);
	assert_int_equal(confirm_client(&ca, id, confirm), NFS4_OK); /* retransmission */
	assert_int_equal(renew(&ca, id), NFS4_OK);
	assert_int_equal(renew(&ca, id + 77), NFS4ERR_STALE_CLIENTID);
	assert_int_equal(renew(&ca, 0), NFS4ERR_STALE_CLIENTID);
}

static void test_clid_inuse_body(void **state)
{
	client_up(&ca, "proto-shared");
	struct opened o;
	ca.seqid = 1;
	assert_int_equal(open_confirmed(&ca, "inuse-file", ACC_R, DENY_NONE, &o), NFS4_OK);
	/* Another principal, same id, while the state is live. */
	struct nfs4c_call m;
	cmp_begin(&m);
	struct nfs4_setclientid_args a = {.id = nfs4_opaque_str("proto-shared"), .cb_program = 1,
					  .callback_ident = 1};
	memcpy(a.verifier.data, "otherver", 8);
	a.cb_location.netid = nfs4_opaque_str("tcp");
	a.cb_location.addr = nfs4_opaque_str("127.0.0.1.0.2");
	nfs4c_setclientid_op(&m, &a);
	struct nfs4c_reply p;
	cmp_send(&m, &cb, &p);
	assert_int_equal(next_res(&p, OP_SETCLIENTID), NFS4ERR_CLID_INUSE);
	struct nfs4_setclientid_res r;
	assert_true(nfs4_dec_setclientid_res(&p.d, NFS4ERR_CLID_INUSE, &r));
	assert_int_equal(r.inuse_addr.netid.len, 3);
	assert_memory_equal(r.inuse_addr.netid.data, "tcp", 3);
	assert_int_equal(r.inuse_addr.addr.len, 13);
	assert_memory_equal(r.inuse_addr.addr.data, "127.0.0.1.0.1", 13);
	assert_int_equal(xdr_dec_remaining(&p.d), 0);
	assert_int_equal(p.status, NFS4ERR_CLID_INUSE);
	rep_done(&p);
}

static void test_open_confirm_close(void **state)
{
	client_up(&ca, "proto-a");
	struct opened o;
	assert_int_equal(open_file(&ca, 10, "owner", "f1", ACC_RW, DENY_NONE, &o, NULL), NFS4_OK);
	assert_true(o.rflags & RESULT_CONFIRM);
	assert_int_equal(o.sid.seqid, 1);
	/* Unconfirmed: not usable for I/O. */
	assert_int_equal(write_at(&ca, &o, &o.sid, 0), NFS4ERR_BAD_STATEID);
	struct nfs4_stateid confirmed, closed;
	assert_int_equal(stateid_op(&ca, OP_OPEN_CONFIRM, 11, &o, &confirmed), NFS4_OK);
	assert_int_equal(confirmed.seqid, 2);
	o.sid = confirmed;
	assert_int_equal(write_at(&ca, &o, &o.sid, 0), NFS4_OK);
	/* A second OPEN by the now confirmed owner needs no confirm. */
	struct opened o2;
	assert_int_equal(open_file(&ca, 12, "owner", "f1", ACC_R, DENY_NONE, &o2, NULL), NFS4_OK);
	assert_false(o2.rflags & RESULT_CONFIRM);
	assert_memory_equal(o2.sid.other, o.sid.other, NFS4_OTHER_SIZE);
	assert_int_equal(o2.sid.seqid, 3);
	/* The old stateid is old now. */
	assert_int_equal(write_at(&ca, &o, &o.sid, 0), NFS4ERR_OLD_STATEID);
	o.sid = o2.sid;
	assert_int_equal(stateid_op(&ca, OP_CLOSE, 13, &o, &closed), NFS4_OK);
	assert_int_equal(closed.seqid, 4);
	assert_int_equal(write_at(&ca, &o, &o.sid, 0), NFS4ERR_BAD_STATEID);
	assert_int_equal(stateid_op(&ca, OP_CLOSE, 14, &o, &closed), NFS4ERR_BAD_STATEID);
}

static void test_share_deny_two_clients(void **state)
{
	client_up(&ca, "proto-a");
	client_up(&cb, "proto-b");
	struct opened oa, ob;
	assert_int_equal(open_confirmed(&ca, "shared", ACC_RW, DENY_W, &oa), NFS4_OK);
	assert_int_equal(open_confirmed(&cb, "shared", ACC_W, DENY_NONE, &ob),
			 NFS4ERR_SHARE_DENIED);
	assert_int_equal(open_confirmed(&cb, "shared", ACC_R, DENY_NONE, &ob), NFS4_OK);
	/* Anonymous writes meet the deny too. */
	struct nfs4_stateid anon;
	memset(&anon, 0, sizeof(anon));
	assert_int_equal(write_at(&cb, &ob, &anon, 0), NFS4ERR_LOCKED);
	assert_int_equal(write_at(&cb, &ob, &ob.sid, 0), NFS4ERR_OPENMODE);
	struct nfs4_stateid closed;
	assert_int_equal(stateid_op(&ca, OP_CLOSE, ca.seqid++, &oa, &closed), NFS4_OK);
	assert_int_equal(open_confirmed(&cb, "shared", ACC_W, DENY_NONE, &ob), NFS4_OK);
	assert_int_equal(write_at(&cb, &ob, &ob.sid, 0), NFS4_OK);
}

static void test_lock_conflicts_two_clients(void **state)
{
	client_up(&ca, "proto-a");
	client_up(&cb, "proto-b");
	struct opened oa, ob;
	assert_int_equal(open_confirmed(&ca, "lockme", ACC_RW, DENY_NONE, &oa), NFS4_OK);
	assert_int_equal(open_confirmed(&cb, "lockme", ACC_RW, DENY_NONE, &ob), NFS4_OK);
	struct nfs4_stateid la, lb;
	struct denied d;
	assert_int_equal(lock_new(&ca, &oa, "lock-owner-a", WRITE_LT, 0, 100, &la, &d), NFS4_OK);
	memset(&d, 0, sizeof(d));
	assert_int_equal(lock_new(&cb, &ob, "lock-owner-b", READ_LT, 50, 10, &lb, &d),
			 NFS4ERR_DENIED);
	assert_int_equal(d.offset, 0);
	assert_int_equal(d.length, 100);
	assert_int_equal(d.type, WRITE_LT);
	assert_int_equal(d.clientid, ca.clientid);
	assert_string_equal(d.owner, "lock-owner-a");
	memset(&d, 0, sizeof(d));
	assert_int_equal(lockt(&cb, &ob, "lock-owner-b", WRITE_LT, 99, 1, &d), NFS4ERR_DENIED);
	assert_string_equal(d.owner, "lock-owner-a");
	assert_int_equal(lockt(&cb, &ob, "lock-owner-b", WRITE_LT, 100, 10, &d), NFS4_OK);
	/* Mandatory: client B's WRITE into A's range is refused, A's passes. */
	assert_int_equal(write_at(&cb, &ob, &ob.sid, 10), NFS4ERR_LOCKED);
	assert_int_equal(write_at(&ca, &oa, &la, 10), NFS4_OK);
	/* A unlocks; B gets its lock. */
	assert_int_equal(locku(&ca, &oa, &la, 1, 0, 100), NFS4_OK);
	assert_int_equal(la.seqid, 2);
	assert_int_equal(lock_new(&cb, &ob, "lock-owner-b", READ_LT, 50, 10, &lb, &d), NFS4_OK);
	assert_int_equal(write_at(&cb, &ob, &ob.sid, 10), NFS4_OK);
	/* Zero length and overflowing ranges. */
	assert_int_equal(lock_new(&ca, &oa, "lock-owner-a2", WRITE_LT, 5, 0, &la, &d),
			 NFS4ERR_INVAL);
	assert_int_equal(lockt(&ca, &oa, "x", WRITE_LT, 100, UINT64_MAX - 1, &d), NFS4ERR_INVAL);
}

/* The same OPEN twice with one seqid: the second is answered from the
 * owner's reply cache, byte for byte; a wrong seqid is BAD_SEQID. */
static void test_seqid_replay(void **state)
{
	client_up(&ca, "proto-a");
	struct opened o1, o2;
	struct buf *r1, *r2;
	assert_int_equal(open_file(&ca, 5, "owner", "replayed", ACC_RW, DENY_W, &o1, &r1),
			 NFS4_OK);
	assert_int_equal(open_file(&ca, 5, "owner", "replayed", ACC_RW, DENY_W, &o2, &r2),
			 NFS4_OK);
	/* Same results after the RPC header (xid differs). */
	assert_int_equal(r1->len, r2->len);
	assert_memory_equal(r1->data + 4, r2->data + 4, r1->len - 4);
	buf_unref(r1);
	buf_unref(r2);
	struct nfs4_stateid out;
	assert_int_equal(stateid_op(&ca, OP_OPEN_CONFIRM, 6, &o1, &out), NFS4_OK);
	/* (Before the confirm, a new OPEN would have started the owner over.) */
	struct opened o3;
	assert_int_equal(open_file(&ca, 9, "owner", "replayed", ACC_R, DENY_NONE, &o3, NULL),
			 NFS4ERR_BAD_SEQID);
	/* A replayed OPEN_CONFIRM, and one with a wrong seqid. */
	struct nfs4_stateid again;
	assert_int_equal(stateid_op(&ca, OP_OPEN_CONFIRM, 6, &o1, &again), NFS4_OK);
	assert_memory_equal(&again, &out, sizeof(out));
	assert_int_equal(stateid_op(&ca, OP_OPEN_CONFIRM, 8, &o1, &again), NFS4ERR_BAD_SEQID);
	/* CLOSE, and its replay after the stateid is gone. */
	o1.sid = out;
	struct nfs4_stateid c1, c2;
	assert_int_equal(stateid_op(&ca, OP_CLOSE, 7, &o1, &c1), NFS4_OK);
	assert_int_equal(stateid_op(&ca, OP_CLOSE, 7, &o1, &c2), NFS4_OK);
	assert_memory_equal(&c1, &c2, sizeof(c1));
}

/* EXCLUSIVE create: a retry with the verifier opens the same file (even
 * without permission bits yet), another verifier is EXIST; attrset names
 * the attributes holding the verifier.  NOCREATE of nothing: NOENT. */
static void test_exclusive_create(void **state)
{
	client_up(&ca, "proto-a");
	struct opened o1, o2, o3;
	open_how = HOW_EXCLUSIVE;
	memcpy(open_verifier, "12345678", 8);
	assert_int_equal(open_file(&ca, 1, "owner", "excl", ACC_RW, DENY_NONE, &o1, NULL), NFS4_OK);
	assert_true(nfs4_bitmap_isset(&o1.attrset, 47) && nfs4_bitmap_isset(&o1.attrset, 53));
	assert_int_equal(open_file(&ca, 2, "owner", "excl", ACC_RW, DENY_NONE, &o2, NULL), NFS4_OK);
	assert_int_equal(o1.fh_len, o2.fh_len);
	assert_memory_equal(o1.fh, o2.fh, o1.fh_len);
	memcpy(open_verifier, "87654321", 8);
	assert_int_equal(open_file(&ca, 3, "owner", "excl", ACC_RW, DENY_NONE, &o3, NULL),
			 NFS4ERR_EXIST);
	open_how = HOW_NOCREATE;
	assert_int_equal(open_file(&ca, 4, "owner", "nothing", ACC_R, DENY_NONE, &o3, NULL),
			 NFS4ERR_NOENT);
	/* Mode 0: another user may not open it. */
	client_up(&cb, "proto-b");
	assert_int_equal(open_file(&cb, 1, "owner", "excl", ACC_R, DENY_NONE, &o3, NULL),
			 NFS4ERR_ACCESS);
	open_how = HOW_UNCHECKED;
}

static void test_errors_without_client(void **state)
{
	/* OPEN with a clientid nobody has. */
	ca.clientid = 0x1234;
	struct opened o;
	assert_int_equal(open_file(&ca, 1, "owner", "nope", ACC_R, DENY_NONE, &o, NULL),
			 NFS4ERR_STALE_CLIENTID);
	/* OPEN of a directory, and a bad name. */
	client_up(&ca, "proto-a");
	struct nfs4c_call m;
	cmp_begin(&m);
	nfs4c_putrootfh(&m);
	op_open(&m, &ca, 1, "owner", "export", ACC_R, DENY_NONE);
	struct nfs4c_reply p;
	cmp_send(&m, &ca, &p);
	skip_ok(&p, OP_PUTROOTFH);
	assert_int_equal(next_res(&p, OP_OPEN), NFS4ERR_ISDIR);
	rep_done(&p);
	assert_int_equal(open_file(&ca, 2, "owner", "", ACC_R, DENY_NONE, &o, NULL),
			 NFS4ERR_INVAL);
	assert_int_equal(open_file(&ca, 3, "owner", "a/b", ACC_R, DENY_NONE, &o, NULL),
			 NFS4ERR_BADCHAR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_setclientid_confirm_renew, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clid_inuse_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_confirm_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_share_deny_two_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_conflicts_two_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seqid_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exclusive_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_without_client, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
