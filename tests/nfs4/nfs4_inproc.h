/* An NFSv4 server in the test process, over the memory back end: the
 * nfs4_server ferryd builds (exports, state, a temporary state directory),
 * one connection object that never touches a socket, and COMPOUNDs served by
 * calling nfs4_compound() directly.  Header-only (static functions) because
 * tests/CMakeLists.txt makes every tests/<module>/test_*.c its own program. */
#ifndef FERRY_TESTS_NFS4_INPROC_H
#define FERRY_TESTS_NFS4_INPROC_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "nfs4/compound.h"
#include "nfs4/server.h"
#include "rpc/server_internal.h"
#include "xdr/nfs4_codec_file.h"
#include "xdr/nfs4_prot.h"
#include "xdr/nfs4_types.h"

/* Pseudo paths of the memory exports every fixture has. */
#define INPROC_EXPORT_A "/mem/a"
#define INPROC_EXPORT_B "/mem/b"

struct inproc {
	char dir[256]; /* the state directory */
	struct ferry_config cfg;
	struct nfs4_server nfs;
	struct rpc_server *rpc;
	struct rpc_conn *conn;
	struct rpc_cred cred; /* what each call carries: AUTH_SYS root */
	uint32_t xid;
};

static inline int inproc_rm_one(const char *path, const struct stat *st, int flag,
				struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline bool inproc_add_memory_export(struct ferry_config *cfg, const char *name,
				     const char *pseudo)
{
	char spec[256], err[256];
	snprintf(spec, sizeof(spec), "%s:%s", name, pseudo);
	if (!config_add_export_spec(cfg, spec, err, sizeof(err)))
		return false;
	struct config_export *e = &cfg->exports[cfg->nexports - 1];
	snprintf(e->backend, sizeof(e->backend), "memory");
	/* Root keeps its identity so tests can chown and create freely. */
	e->squash = CONFIG_SQUASH_NONE;
	return true;
}

/* Builds the server.  Returns NULL on failure (the caller's setup fails). */
static inline struct inproc *inproc_new(void)
{
	struct inproc *ip = calloc(1, sizeof(*ip));
	if (!ip)
		return NULL;
	const char *tmp = getenv("TMPDIR");
	snprintf(ip->dir, sizeof(ip->dir), "%s/ferry-nfs4-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(ip->dir))
		goto fail;
	config_init_defaults(&ip->cfg);
	ip->cfg.rpcbind = false;
	ip->cfg.grace_time_s = 0;
	snprintf(ip->cfg.state_dir, sizeof(ip->cfg.state_dir), "%s", ip->dir);
	snprintf(ip->cfg.owner_domain, sizeof(ip->cfg.owner_domain), "example.org");
	if (!inproc_add_memory_export(&ip->cfg, "mema", INPROC_EXPORT_A) ||
	    !inproc_add_memory_export(&ip->cfg, "memb", INPROC_EXPORT_B))
		goto fail;
	char err[256];
	if (!config_finish(&ip->cfg, err, sizeof(err)))
		goto fail;
	log_set_level(LOG_LEVEL_WARN);
	if (nfs4_server_init(&ip->nfs, &ip->cfg) != 0)
		goto fail;

	/* Never started: it only gives the connection its limits. */
	struct rpc_server_options o;
	rpc_server_options_default(&o);
	o.event_loops = 1;
	o.workers = 1;
	o.max_record_size = ip->cfg.max_record_size;
	ip->rpc = rpc_server_create(&o);
	if (!ip->rpc)
		goto fail;
	ip->nfs.rpc = ip->rpc;
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(800)};
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ip->conn = rpc_conn_new(ip->rpc, -1, (const struct sockaddr *)&peer, sizeof(peer));
	if (!ip->conn)
		goto fail;

	ip->cred.flavor = RPC_AUTH_SYS;
	snprintf(ip->cred.machinename, sizeof(ip->cred.machinename), "inproc");
	ip->xid = 0x1f000000;
	return ip;
fail:
	fprintf(stderr, "nfs4_inproc: cannot build the server in %s\n", ip->dir);
	free(ip);
	return NULL;
}

static inline void inproc_free(struct inproc *ip)
{
	if (!ip)
		return;
	nfs4_server_fini(&ip->nfs);
	if (ip->conn)
		rpc_conn_unref(ip->conn);
	rpc_server_destroy(ip->rpc);
	nftw(ip->dir, inproc_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(ip);
}

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
	struct rpc_request req;
	memset(&req, 0, sizeof(req));
	req.conn = ip->conn;
	req.hdr.xid = ip->xid++;
	req.hdr.rpcvers = 2;
	req.hdr.prog = NFS4_PROGRAM;
	req.hdr.vers = NFS4_VERSION;
	req.hdr.proc = NFSPROC4_COMPOUND;
	req.hdr.cred_flavor = ip->cred.flavor;
	req.cred = ip->cred;
	xdr_dec_init(&req.args, a->e.buf->data, a->e.buf->len);
	/* Laid out as the dispatcher lays it out: record mark, accepted reply
	 * header, then the results, under the same size limit. */
	assert_true(xdr_enc_init(&req.reply, 512, (size_t)ip->cfg.max_record_size + 4));
	xdr_enc_reserve(&req.reply, 4);
	rpc_encode_accepted(&req.reply, req.hdr.xid, RPC_SUCCESS);
	req.results_off = xdr_enc_len(&req.reply);
	/* Everything runs on this thread: pretend to be the worker pool, so an
	 * operation that may block does not ask to be moved. */
	req.on_worker = true;

	memset(r, 0, sizeof(*r));
	struct rpc_dispatch_result dr = nfs4_compound(&ip->nfs, &req);
	assert_int_equal(dr.action, RPC_DISPATCH_DONE);
	r->accept = dr.stat;
	assert_null(req.prog_state);
	xdr_enc_release(&a->e);
	r->buf = xdr_enc_take(&req.reply);
	xdr_dec_init(&r->d, r->buf->data + req.results_off, r->buf->len - req.results_off);
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
	c->cfh.kind = NFS4_FH_NONE;
	c->sfh.kind = NFS4_FH_NONE;
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
