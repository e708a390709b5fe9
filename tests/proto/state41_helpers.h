/* v4.1 open and lock helpers of the state protocol tests (caps, scale):
 * one operation per COMPOUND after SEQUENCE, asserting the envelope and
 * returning the operation's status. */
#ifndef FERRY_TESTS_PROTO_STATE41_HELPERS_H
#define FERRY_TESTS_PROTO_STATE41_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/nfs4_client.h"

/* v4.1 OPEN (created, no delegation) of name by owner; the stateid and
 * file handle on success. */
static inline uint32_t open41(struct nfs4c_sess *s, const char *owner, const char *name,
				     struct nfs4_stateid *sid, uint8_t *fh, uint32_t *fhlen)
{
	struct nfs4_open_args a;
	memset(&a, 0, sizeof(a));
	a.share_access = OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_NO_DELEG;
	a.share_deny = OPEN4_SHARE_DENY_NONE;
	a.owner.clientid = s->clientid;
	a.owner.owner = nfs4_opaque_str(owner);
	a.opentype = OPEN4_CREATE;
	a.how.mode = UNCHECKED4;
	a.claim.type = CLAIM_NULL;
	a.claim.file = nfs4_opaque_str(name);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_open_op(&m, &a);
	nfs4c_getfh(&m);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	uint32_t st = nfs4c_next(&p, OP_OPEN);
	if (st == NFS4_OK) {
		struct nfs4_open_res r;
		assert_true(nfs4_dec_open_res(&p.d, &r));
		*sid = r.stateid;
		assert_int_equal(nfs4c_next(&p, OP_GETFH), NFS4_OK);
		struct nfs4_getfh_res g;
		assert_true(nfs4_dec_getfh_res(&p.d, &g));
		memcpy(fh, g.fh.data, g.fh.len);
		*fhlen = g.fh.len;
	}
	nfs4c_done(&p);
	return st;
}

/* SEQUENCE, PUTROOTFH, LOOKUP "export", GETFH (nfs4c_find): LOOKUP's
 * status (where an export's security is judged) and, on success, the
 * export's handle. */
static inline uint32_t export_fh41(struct nfs4c_sess *s, uint8_t *fh, uint32_t *fhlen)
{
	return nfs4c_find(s, "/export", fh, fhlen);
}

/* SEQUENCE, PUTFH, then one op encoded by enc; the op's status and, on
 * success, the stateid its result starts with. */
static inline uint32_t op41(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen, uint32_t opnum,
				   bool (*enc)(struct xdr_enc *, const void *), const void *args,
				   struct nfs4_stateid *out)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, fh, fhlen);
	assert_true(enc(nfs4c_op(&m, opnum), args));
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t st = nfs4c_next(&p, opnum);
	if (st == NFS4_OK && out) {
		struct nfs4_stateid_res r;
		assert_true(nfs4_dec_stateid_res(&p.d, &r));
		*out = r.stateid;
	}
	nfs4c_done(&p);
	return st;
}

static inline bool enc_lock(struct xdr_enc *e, const void *a) { return nfs4_enc_lock_args(e, a); }
static inline bool enc_locku(struct xdr_enc *e, const void *a) { return nfs4_enc_locku_args(e, a); }
static inline bool enc_close(struct xdr_enc *e, const void *a) { return nfs4_enc_close_args(e, a); }

static inline uint32_t lock41(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen,
				     const struct nfs4_stateid *open, const char *lock_owner,
				     const struct nfs4_stateid *lock, uint64_t off, struct nfs4_stateid *out)
{
	struct nfs4_lock_args a = {.locktype = WRITE_LT, .offset = off, .length = 10};
	if (lock) {
		a.locker.lock_stateid = *lock;
	} else {
		a.locker.new_lock_owner = true;
		a.locker.open_stateid = *open;
		a.locker.owner.clientid = s->clientid;
		a.locker.owner.owner = nfs4_opaque_str(lock_owner);
	}
	return op41(s, fh, fhlen, OP_LOCK, enc_lock, &a, out);
}

static inline bool enc_free_stateid(struct xdr_enc *e, const void *a)
{
	return nfs4_enc_free_stateid_args(e, a);
}

#endif
