/* cmocka helpers over the in-process NFSv4 server of tests/lib/inproc_server.h
 * (memory back end, COMPOUNDs served by calling nfs4_compound() directly):
 * fixtures, building COMPOUND arguments and reading results.  Header-only
 * (static functions) because tests/CMakeLists.txt makes every
 * tests/<module>/test_*.c its own program. */
#ifndef FERRY_TESTS_NFS4_INPROC_H
#define FERRY_TESTS_NFS4_INPROC_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "lib/inproc_server.h"
#include "nfs4/engine/compound.h"
#include "nfs4/server.h"
#include "rpc/server_internal.h"
#include "xdr/nfs4_codec_file.h"
#include "xdr/nfs4_prot.h"
#include "xdr/nfs4_types.h"

static inline int inproc_setup(void **state)
{
	struct inproc *ip = inproc_new();
	*state = ip;
	return ip ? 0 : -1;
}

static inline int inproc_teardown(void **state)
{
	inproc_free(*state);
	return 0;
}

/* --- building COMPOUND arguments ---------------------------------------- */

struct inproc_args {
	struct xdr_enc e;
	struct nfs4_compound_enc c;
	bool fixed_count; /* announce instead of the count of ops encoded */
	uint32_t announce;
	bool raw; /* the test wrote every byte (a deliberately malformed header) */
};

/* Arguments the test writes byte by byte into a->e, header included: only
 * for deliberately malformed COMPOUND headers. */
static inline void inproc_begin_raw(struct inproc_args *a)
{
	memset(a, 0, sizeof(*a));
	assert_true(xdr_enc_init(&a->e, 64, 1024));
	a->raw = true;
}

static inline void inproc_begin(struct inproc_args *a, const char *tag, uint32_t taglen,
			 uint32_t minor)
{
	assert_true(xdr_enc_init(&a->e, 1024, 8u << 20));
	assert_true(nfs4_enc_compound_args_begin(&a->c, &a->e,
						 (struct nfs4_opaque){(const uint8_t *)tag, taglen},
						 minor));
	a->fixed_count = false;
	a->raw = false;
}

static inline void inproc_op(struct inproc_args *a, uint32_t opnum)
{
	assert_true(nfs4_enc_op(&a->c, opnum));
}

/* Announces n operations whatever follows: a deliberately wrong count. */
static inline void inproc_announce(struct inproc_args *a, uint32_t n)
{
	a->fixed_count = true;
	a->announce = n;
}

/* --- results ------------------------------------------------------------ */

struct inproc_reply {
	enum rpc_accept_stat accept;
	struct buf *buf; /* the whole reply (RPC header included) */
	uint32_t status, nres, taglen;
	const uint8_t *tag;
	struct xdr_dec d; /* at the first result */
};

/* Serves the COMPOUND in a (consumed) and decodes the reply header. */
static inline void inproc_call(struct inproc *ip, struct inproc_args *a,
			       struct inproc_reply *r)
{
	if (!a->raw)
		nfs4_enc_compound_end(&a->c);
	if (!a->raw && a->fixed_count)
		xdr_enc_patch_u32(&a->e, a->c.count_off, a->announce);
	assert_false(a->e.overflow);
	struct inproc_served served;
	assert_true(inproc_serve(ip, a->e.buf->data, a->e.buf->len, &served));
	xdr_enc_release(&a->e);
	memset(r, 0, sizeof(*r));
	assert_int_equal(served.result.action, RPC_DISPATCH_DONE);
	assert_false(served.prog_state_left);
	assert_non_null(served.reply);
	r->accept = served.result.stat;
	r->buf = served.reply;
	xdr_dec_init(&r->d, r->buf->data + served.results_off,
		     r->buf->len - served.results_off);
	if (r->accept != RPC_SUCCESS)
		return;
	struct nfs4_compound_res_hdr h;
	assert_true(nfs4_dec_compound_res_hdr(&r->d, &h));
	r->status = h.status;
	r->tag = h.tag.data;
	r->taglen = h.tag.len;
	r->nres = h.numres;
}

/* The next result: checks its operation number, returns its status. */
static inline uint32_t inproc_next(struct inproc_reply *r, uint32_t want_op)
{
	uint32_t opnum = 0, status = 0;
	assert_true(nfs4_dec_op_res(&r->d, &opnum, &status));
	assert_int_equal(opnum, want_op);
	return status;
}

static inline void inproc_done(struct inproc_reply *r)
{
	if (r->buf)
		buf_unref(r->buf);
	r->buf = NULL;
}

/* --- common operations -------------------------------------------------- */

static inline void inproc_lookup(struct inproc_args *a, const char *name)
{
	struct nfs4_lookup_args l = {.name = nfs4_opaque_str(name)};
	inproc_op(a, OP_LOOKUP);
	assert_true(nfs4_enc_lookup_args(&a->e, &l));
}

static inline void inproc_putfh(struct inproc_args *a, const uint8_t *fh, uint32_t len)
{
	struct nfs4_putfh_args f = {.fh = {fh, len}};
	inproc_op(a, OP_PUTFH);
	assert_true(nfs4_enc_putfh_args(&a->e, &f));
}

/* v4.0: the file handle at a path from the pseudo root ("mem/a").  Returns
 * its length. */
static inline uint32_t inproc_fh_of(struct inproc *ip, const char *const *path, unsigned n,
			     uint8_t fh[NFS4_FHSIZE])
{
	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin(&a, "fh", 2, 0);
	inproc_op(&a, OP_PUTROOTFH);
	for (unsigned i = 0; i < n; i++)
		inproc_lookup(&a, path[i]);
	inproc_op(&a, OP_GETFH);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_PUTROOTFH), NFS4_OK);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(inproc_next(&r, OP_LOOKUP), NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_GETFH), NFS4_OK);
	const uint8_t *p;
	uint32_t len;
	assert_true(xdr_decode_opaque(&r.d, NFS4_FHSIZE, &p, &len));
	memcpy(fh, p, len);
	inproc_done(&r);
	return len;
}

/* A compound context for calling fattr and fh functions directly, as an
 * operation handler of the given minor version would.  req must outlive it. */
static inline void inproc_compound_ctx(struct inproc *ip, uint32_t minor,
				       struct rpc_request *req, struct nfs4_compound *c)
{
	memset(req, 0, sizeof(*req));
	req->conn = ip->conn;
	req->cred = ip->cred;
	memset(c, 0, sizeof(*c));
	c->srv = &ip->nfs;
	c->req = req;
	c->minor = minor;
	c->cfh.kind = FH_NONE;
	c->sfh.kind = FH_NONE;
}

/* Reading attribute values out of a reply, asserting each is there. */
static inline uint32_t u32_of(struct xdr_dec *d)
{
	uint32_t v = 0;
	assert_true(xdr_decode_u32(d, &v));
	return v;
}

static inline uint64_t u64_of(struct xdr_dec *d)
{
	uint64_t v = 0;
	assert_true(xdr_decode_u64(d, &v));
	return v;
}

static inline void expect_utf8(struct xdr_dec *d, const char *s)
{
	const uint8_t *p;
	uint32_t n;
	assert_true(xdr_decode_opaque(d, 1024, &p, &n));
	assert_int_equal(n, strlen(s));
	assert_memory_equal(p, s, n);
}

static inline void expect_nfstime(struct xdr_dec *d, struct timespec ts)
{
	struct timespec got;
	assert_true(nfs4_decode_time(d, &got));
	assert_int_equal(got.tv_sec, ts.tv_sec);
	assert_int_equal(got.tv_nsec, ts.tv_nsec);
}

#endif
