/* A small NFSv4.1 client for protocol tests: COMPOUND building, EXCHANGE_ID,
 * CREATE_SESSION, SEQUENCE, and reading results.  Header-only (static
 * inline) so each test program takes what it uses. */
#ifndef FERRY_TESTS_V41_CLIENT_H
#define FERRY_TESTS_V41_CLIENT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "lib/rpctest.h"
#include "xdr/nfs4_prot.h"
#include "xdr/nfs4_types.h"

enum {
	V41_SP4_NONE = 0,
	V41_SP4_MACH_CRED = 1,
	V41_EID_UPDATE = 0x40000000,
	V41_EID_CONFIRMED = 0x80000000,
	V41_CS_PERSIST = 1,
	V41_CS_BACK_CHAN = 2,
	V41_CB_PROGRAM = 0x40000000,
};

static _Atomic uint32_t v41_xid = 0x41000000u;

struct v41_call {
	struct xdr_enc e;
	size_t count_off;
	uint32_t nops;
};

static inline void v41_begin_tag(struct v41_call *m, uint32_t minor, const char *tag)
{
	assert_true(xdr_enc_init(&m->e, 1024, 4u << 20));
	xdr_encode_opaque(&m->e, tag, (uint32_t)strlen(tag));
	xdr_encode_u32(&m->e, minor);
	m->count_off = xdr_enc_len(&m->e);
	xdr_encode_u32(&m->e, 0);
	m->nops = 0;
}

static inline void v41_begin(struct v41_call *m, uint32_t minor) { v41_begin_tag(m, minor, "v41"); }

static inline void v41_op(struct v41_call *m, uint32_t opnum)
{
	xdr_encode_u32(&m->e, opnum);
	m->nops++;
}

static inline void v41_str(struct v41_call *m, const char *s)
{
	xdr_encode_opaque(&m->e, s, (uint32_t)strlen(s));
}

static inline void v41_sequence_op(struct v41_call *m, const uint8_t sid[16], uint32_t seqid,
				   uint32_t slot, uint32_t highest, bool cachethis)
{
	v41_op(m, OP_SEQUENCE);
	xdr_encode_opaque_fixed(&m->e, sid, 16);
	xdr_encode_u32(&m->e, seqid);
	xdr_encode_u32(&m->e, slot);
	xdr_encode_u32(&m->e, highest);
	xdr_encode_bool(&m->e, cachethis);
}

/* A reply: the COMPOUND status and op count, a cursor at the first result,
 * and where the COMPOUND4res starts (for byte comparisons). */
struct v41_reply {
	struct rpctest_reply r;
	uint32_t status, nres;
	const uint8_t *res_start;
	size_t res_len;
};

static inline const struct rpc_cred *v41_cred(uint32_t uid)
{
	static _Thread_local struct rpc_cred c;
	memset(&c, 0, sizeof(c));
	c.flavor = RPC_AUTH_SYS;
	c.uid = uid;
	c.gid = uid;
	snprintf(c.machinename, sizeof(c.machinename), "v41-%u", uid);
	return &c;
}

/* Sends (consumes m) and parses the COMPOUND header of the reply. */
static inline void v41_send(int fd, const struct rpc_cred *cred, struct v41_call *m,
			    struct v41_reply *out)
{
	xdr_enc_patch_u32(&m->e, m->count_off, m->nops);
	assert_false(m->e.overflow);
	uint32_t xid = atomic_fetch_add(&v41_xid, 1);
	int rc = rpctest_call(fd, xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND, cred,
			      m->e.buf->data, m->e.buf->len, &out->r);
	xdr_enc_release(&m->e);
	assert_int_equal(rc, 0);
	assert_int_equal(out->r.hdr.accept_stat, RPC_SUCCESS);
	out->res_start = out->r.results.p;
	out->res_len = xdr_dec_remaining(&out->r.results);
	const uint8_t *tag;
	uint32_t taglen;
	assert_true(xdr_decode_u32(&out->r.results, &out->status));
	assert_true(xdr_decode_opaque(&out->r.results, UINT32_MAX, &tag, &taglen));
	assert_true(xdr_decode_u32(&out->r.results, &out->nres));
}

/* The next result: checks its op number, returns its status. */
static inline uint32_t v41_next(struct v41_reply *p, uint32_t want_op)
{
	uint32_t opnum = 0, status = 0;
	assert_true(xdr_decode_u32(&p->r.results, &opnum));
	assert_int_equal(opnum, want_op);
	assert_true(xdr_decode_u32(&p->r.results, &status));
	return status;
}

static inline void v41_done(struct v41_reply *p) { rpctest_reply_release(&p->r); }

/* --- EXCHANGE_ID / CREATE_SESSION -------------------------------------------- */

struct v41_eid {
	uint64_t clientid;
	uint32_t seq, flags;
	char major[64];
};

static inline uint32_t v41_exchange_id(int fd, const struct rpc_cred *cred, const char *name,
				       const char *verf, uint32_t flags, uint32_t sp4,
				       struct v41_eid *out)
{
	struct v41_call m;
	v41_begin(&m, 1);
	v41_op(&m, OP_EXCHANGE_ID);
	uint8_t v[8] = {0};
	memcpy(v, verf, strlen(verf) < 8 ? strlen(verf) : 8);
	xdr_encode_opaque_fixed(&m.e, v, 8);
	v41_str(&m, name);
	xdr_encode_u32(&m.e, flags);
	xdr_encode_u32(&m.e, sp4);
	if (sp4 == V41_SP4_MACH_CRED) {
		xdr_encode_u32(&m.e, 0);
		xdr_encode_u32(&m.e, 0);
	}
	xdr_encode_u32(&m.e, 0); /* no impl id */
	struct v41_reply p;
	v41_send(fd, cred, &m, &p);
	uint32_t s = v41_next(&p, OP_EXCHANGE_ID);
	if (s == NFS4_OK && out) {
		uint32_t how;
		uint64_t minor_id;
		const uint8_t *maj;
		uint32_t majlen;
		assert_true(xdr_decode_u64(&p.r.results, &out->clientid));
		assert_true(xdr_decode_u32(&p.r.results, &out->seq));
		assert_true(xdr_decode_u32(&p.r.results, &out->flags));
		assert_true(xdr_decode_u32(&p.r.results, &how));
		assert_int_equal(how, V41_SP4_NONE);
		assert_true(xdr_decode_u64(&p.r.results, &minor_id));
		assert_true(xdr_decode_opaque(&p.r.results, 1024, &maj, &majlen));
		assert_true(majlen < sizeof(out->major));
		memcpy(out->major, maj, majlen);
		out->major[majlen] = '\0';
	}
	v41_done(&p);
	return s;
}

struct v41_attrs {
	uint32_t pad, maxreq, maxresp, maxcached, maxops, maxreqs;
};

static inline void v41_default_attrs(struct v41_attrs *a)
{
	*a = (struct v41_attrs){0, 1 << 20, 1 << 20, 64 * 1024, 16, 8};
}

static inline void v41_put_attrs(struct v41_call *m, const struct v41_attrs *a)
{
	xdr_encode_u32(&m->e, a->pad);
	xdr_encode_u32(&m->e, a->maxreq);
	xdr_encode_u32(&m->e, a->maxresp);
	xdr_encode_u32(&m->e, a->maxcached);
	xdr_encode_u32(&m->e, a->maxops);
	xdr_encode_u32(&m->e, a->maxreqs);
	xdr_encode_u32(&m->e, 0);
}

static inline void v41_get_attrs(struct xdr_dec *d, struct v41_attrs *a)
{
	uint32_t nird = 0;
	assert_true(xdr_decode_u32(d, &a->pad) && xdr_decode_u32(d, &a->maxreq) &&
		    xdr_decode_u32(d, &a->maxresp) && xdr_decode_u32(d, &a->maxcached) &&
		    xdr_decode_u32(d, &a->maxops) && xdr_decode_u32(d, &a->maxreqs) &&
		    xdr_decode_u32(d, &nird));
	assert_int_equal(nird, 0);
}

struct v41_cs {
	uint8_t sid[16];
	uint32_t seq, flags;
	struct v41_attrs fore, back;
	uint8_t body[256]; /* the result body, for replay comparisons */
	size_t body_len;
};

static inline uint32_t v41_create_session(int fd, const struct rpc_cred *cred, uint64_t clientid,
					  uint32_t seq, uint32_t flags,
					  const struct v41_attrs *fore, struct v41_cs *out)
{
	struct v41_call m;
	v41_begin(&m, 1);
	v41_op(&m, OP_CREATE_SESSION);
	xdr_encode_u64(&m.e, clientid);
	xdr_encode_u32(&m.e, seq);
	xdr_encode_u32(&m.e, flags);
	struct v41_attrs def, back = {0, 4096, 4096, 0, 2, 16};
	if (!fore) {
		v41_default_attrs(&def);
		fore = &def;
	}
	v41_put_attrs(&m, fore);
	v41_put_attrs(&m, &back);
	xdr_encode_u32(&m.e, V41_CB_PROGRAM);
	xdr_encode_u32(&m.e, 1);
	xdr_encode_u32(&m.e, 0); /* AUTH_NONE */
	struct v41_reply p;
	v41_send(fd, cred, &m, &p);
	uint32_t s = v41_next(&p, OP_CREATE_SESSION);
	if (s == NFS4_OK && out) {
		const uint8_t *body = p.r.results.p;
		const uint8_t *sid;
		assert_true(xdr_decode_opaque_fixed(&p.r.results, 16, &sid));
		memcpy(out->sid, sid, 16);
		assert_true(xdr_decode_u32(&p.r.results, &out->seq));
		assert_true(xdr_decode_u32(&p.r.results, &out->flags));
		v41_get_attrs(&p.r.results, &out->fore);
		v41_get_attrs(&p.r.results, &out->back);
		out->body_len = (size_t)(p.r.results.p - body);
		assert_true(out->body_len <= sizeof(out->body));
		memcpy(out->body, body, out->body_len);
	}
	v41_done(&p);
	return s;
}

/* A client with one session, slots tracked. */
struct v41_sess {
	int fd;
	const struct rpc_cred *cred;
	uint64_t clientid;
	uint8_t sid[16];
	uint32_t nslots;
	uint32_t seq[64];
};

static inline void v41_begin_seq(struct v41_sess *s, struct v41_call *m, uint32_t slot,
				 bool cachethis);
static inline uint32_t v41_seq_result(struct v41_reply *p, uint32_t *flags);

/* A client with one session that has not said RECLAIM_COMPLETE yet. */
static inline void v41_session_up_reclaiming(struct v41_sess *s, int fd, uint32_t uid,
					     const char *name, const struct v41_attrs *fore);

/* A client with one session, done reclaiming (as a mounting client is):
 * it may OPEN at once. */
static inline void v41_session_up(struct v41_sess *s, int fd, uint32_t uid, const char *name,
				  const struct v41_attrs *fore)
{
	v41_session_up_reclaiming(s, fd, uid, name, fore);
	struct v41_call m;
	struct v41_reply p;
	/* On the highest slot, so tests that count seqids from 1 on the low
	 * slots find them fresh. */
	v41_begin_seq(s, &m, s->nslots - 1, false);
	v41_op(&m, OP_RECLAIM_COMPLETE);
	xdr_encode_bool(&m.e, false);
	v41_send(fd, s->cred, &m, &p);
	assert_int_equal(v41_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(v41_next(&p, OP_RECLAIM_COMPLETE), NFS4_OK);
	v41_done(&p);
}

static inline void v41_session_up_reclaiming(struct v41_sess *s, int fd, uint32_t uid,
					     const char *name, const struct v41_attrs *fore)
{
	static _Thread_local struct rpc_cred cred;
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	cred = *v41_cred(uid);
	s->cred = &cred;
	struct v41_eid e = {0};
	assert_int_equal(v41_exchange_id(fd, s->cred, name, "verf0001", 0, V41_SP4_NONE, &e),
			 NFS4_OK);
	s->clientid = e.clientid;
	struct v41_cs cs;
	memset(&cs, 0, sizeof(cs));
	assert_int_equal(v41_create_session(fd, s->cred, e.clientid, e.seq, 0, fore, &cs), NFS4_OK);
	memcpy(s->sid, cs.sid, 16);
	s->nslots = cs.fore.maxreqs < 64 ? cs.fore.maxreqs : 64;
}

/* Starts a COMPOUND with SEQUENCE on slot (its next seqid). */
static inline void v41_begin_seq(struct v41_sess *s, struct v41_call *m, uint32_t slot,
				 bool cachethis)
{
	v41_begin(m, 1);
	v41_sequence_op(m, s->sid, ++s->seq[slot], slot, s->nslots - 1, cachethis);
}

/* Reads SEQUENCE's result; returns its status (the body is consumed). */
static inline uint32_t v41_seq_result(struct v41_reply *p, uint32_t *flags)
{
	uint32_t s = v41_next(p, OP_SEQUENCE);
	if (s == NFS4_OK) {
		const uint8_t *sid;
		uint32_t v[5];
		assert_true(xdr_decode_opaque_fixed(&p->r.results, 16, &sid));
		for (int i = 0; i < 5; i++)
			assert_true(xdr_decode_u32(&p->r.results, &v[i]));
		if (flags)
			*flags = v[4];
		assert_true(v[3] <= v[2]); /* target <= highest */
	}
	return s;
}

#endif
