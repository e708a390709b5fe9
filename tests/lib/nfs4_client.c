/* COMPOUND building, results and the v4.1 / v4.0 helpers of the test client;
 * the transport and back channel are in nfs4_client_cb.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "client/session.h"
#include "client/slots.h"
#include "lib/nfs4_client.h"

static _Atomic uint32_t next_xid = 0x4e430000u;

int nfs4c_connect(const char *hostport)
{
	int fd = rpctest_connect(hostport);
	assert_true(fd >= 0);
	return fd;
}

const struct rpc_cred *nfs4c_cred(uint32_t uid)
{
	static _Thread_local struct rpc_cred c;
	memset(&c, 0, sizeof(c));
	c.flavor = RPC_AUTH_SYS;
	c.uid = uid;
	c.gid = uid;
	snprintf(c.machinename, sizeof(c.machinename), "v41-%u", uid);
	return &c;
}

const struct rpc_cred *nfs4c_root_cred(void)
{
	static struct rpc_cred c = {.flavor = RPC_AUTH_SYS, .machinename = "ferry-test"};
	return &c;
}

/* --- building ------------------------------------------------------------------------ */

void nfs4c_begin_bin(struct nfs4c_call *m, uint32_t minor, const void *tag, uint32_t len)
{
	assert_true(xdr_enc_init(&m->e, 1024 + len, 8u << 20));
	assert_true(nfs4_enc_compound_args_begin(&m->c, &m->e,
						 (struct nfs4_opaque){tag, len}, minor));
}

void nfs4c_begin_tag(struct nfs4c_call *m, uint32_t minor, const char *tag)
{
	nfs4c_begin_bin(m, minor, tag, (uint32_t)strlen(tag));
}

void nfs4c_begin(struct nfs4c_call *m, uint32_t minor) { nfs4c_begin_tag(m, minor, "nfs4c"); }

struct xdr_enc *nfs4c_op(struct nfs4c_call *m, uint32_t opnum)
{
	assert_true(nfs4_enc_op(&m->c, opnum));
	return &m->e;
}

void nfs4c_str(struct nfs4c_call *m, const char *s)
{
	assert_true(nfs4_enc_opaque(&m->e, nfs4_opaque_str(s)));
}

void nfs4c_release_call(struct nfs4c_call *m) { xdr_enc_release(&m->e); }

struct buf *nfs4c_call_bytes(struct nfs4c_call *m)
{
	nfs4_enc_compound_end(&m->c);
	assert_false(m->e.overflow);
	struct buf *b = buf_new(m->e.buf->len);
	assert_non_null(b);
	memcpy(b->data, m->e.buf->data, m->e.buf->len);
	b->len = m->e.buf->len;
	xdr_enc_release(&m->e);
	return b;
}

void nfs4c_putrootfh(struct nfs4c_call *m) { nfs4c_op(m, OP_PUTROOTFH); }

void nfs4c_putfh(struct nfs4c_call *m, const uint8_t *fh, uint32_t len)
{
	struct nfs4_putfh_args a = {.fh = {fh, len}};
	NFS4C_OP(m, OP_PUTFH, nfs4_enc_putfh_args, &a);
}

void nfs4c_lookup(struct nfs4c_call *m, const char *name)
{
	struct nfs4_lookup_args a = {.name = nfs4_opaque_str(name)};
	NFS4C_OP(m, OP_LOOKUP, nfs4_enc_lookup_args, &a);
}

void nfs4c_getfh(struct nfs4c_call *m) { nfs4c_op(m, OP_GETFH); }

void nfs4c_getattr(struct nfs4c_call *m, const unsigned *bits, unsigned n)
{
	struct nfs4_getattr_args a;
	memset(&a, 0, sizeof(a));
	for (unsigned i = 0; i < n; i++) {
		assert_true(bits[i] / 32 < NFS4_BITMAP_WORDS);
		a.mask.w[bits[i] / 32] |= 1u << (bits[i] % 32);
	}
	NFS4C_OP(m, OP_GETATTR, nfs4_enc_getattr_args, &a);
}

void nfs4c_sequence_op(struct nfs4c_call *m, const uint8_t sid[16], uint32_t seqid,
		       uint32_t slot, uint32_t highest, bool cachethis)
{
	struct nfs4_sequence_args a = {.sequenceid = seqid, .slotid = slot,
				       .highest_slotid = highest, .cachethis = cachethis};
	memcpy(a.sessionid.data, sid, NFS4_SESSIONID_SIZE);
	NFS4C_OP(m, OP_SEQUENCE, nfs4_enc_sequence_args, &a);
}

void nfs4c_reclaim_complete_op(struct nfs4c_call *m, bool one_fs)
{
	struct nfs4_reclaim_complete_args a = {.one_fs = one_fs};
	NFS4C_OP(m, OP_RECLAIM_COMPLETE, nfs4_enc_reclaim_complete_args, &a);
}

void nfs4c_destroy_session_op(struct nfs4c_call *m, const uint8_t sid[16])
{
	struct nfs4_destroy_session_args a;
	memcpy(a.sessionid.data, sid, NFS4_SESSIONID_SIZE);
	NFS4C_OP(m, OP_DESTROY_SESSION, nfs4_enc_destroy_session_args, &a);
}

void nfs4c_destroy_clientid_op(struct nfs4c_call *m, uint64_t clientid)
{
	struct nfs4_destroy_clientid_args a = {.clientid = clientid};
	NFS4C_OP(m, OP_DESTROY_CLIENTID, nfs4_enc_destroy_clientid_args, &a);
}

void nfs4c_setclientid_op(struct nfs4c_call *m, const struct nfs4_setclientid_args *a)
{
	NFS4C_OP(m, OP_SETCLIENTID, nfs4_enc_setclientid_args, a);
}

void nfs4c_setclientid_confirm_op(struct nfs4c_call *m, uint64_t clientid,
				  const struct nfs4_verifier *confirm)
{
	struct nfs4_setclientid_confirm_args a = {.clientid = clientid, .confirm = *confirm};
	NFS4C_OP(m, OP_SETCLIENTID_CONFIRM, nfs4_enc_setclientid_confirm_args, &a);
}

void nfs4c_open_op(struct nfs4c_call *m, const struct nfs4_open_args *a)
{
	NFS4C_OP(m, OP_OPEN, nfs4_enc_open_args, a);
}

void nfs4c_open_confirm_op(struct nfs4c_call *m, const struct nfs4_stateid *sid, uint32_t seqid)
{
	struct nfs4_open_confirm_args a = {.stateid = *sid, .seqid = seqid};
	NFS4C_OP(m, OP_OPEN_CONFIRM, nfs4_enc_open_confirm_args, &a);
}

void nfs4c_close_op(struct nfs4c_call *m, uint32_t seqid, const struct nfs4_stateid *sid)
{
	struct nfs4_close_args a = {.seqid = seqid, .stateid = *sid};
	NFS4C_OP(m, OP_CLOSE, nfs4_enc_close_args, &a);
}

void nfs4c_encode_compound(struct xdr_enc *e, const void *tag, uint32_t taglen, uint32_t minor,
			   const uint32_t *ops, uint32_t nops)
{
	struct nfs4_compound_enc c;
	nfs4_enc_compound_args_begin(&c, e, (struct nfs4_opaque){tag, taglen}, minor);
	for (uint32_t i = 0; i < nops; i++)
		nfs4_enc_op(&c, ops[i]);
	nfs4_enc_compound_end(&c);
}

int nfs4c_parse_compound(struct rpctest_reply *r, struct nfs4_compound_res_hdr *h)
{
	memset(h, 0, sizeof(*h));
	if (r->hdr.reply_stat != RPC_MSG_ACCEPTED || r->hdr.accept_stat != RPC_SUCCESS)
		return -EBADMSG;
	return nfs4_dec_compound_res_hdr(&r->results, h) ? 0 : -EBADMSG;
}

/* --- sending and results --------------------------------------------------------------- */

int nfs4c_call(int fd, const struct rpc_cred *cred, struct nfs4c_call *m,
	       struct nfs4c_reply *out)
{
	memset(out, 0, sizeof(*out));
	nfs4_enc_compound_end(&m->c);
	if (m->e.overflow) {
		xdr_enc_release(&m->e);
		return -EMSGSIZE;
	}
	uint32_t xid = atomic_fetch_add(&next_xid, 1);
	int rc = nfs4c_rpc(fd, xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND, cred,
			   m->e.buf->data, m->e.buf->len, &out->r);
	xdr_enc_release(&m->e);
	if (rc)
		return rc;
	return nfs4c_reply_take(&out->r, out);
}

int nfs4c_reply_take(struct rpctest_reply *r, struct nfs4c_reply *out)
{
	if (r != &out->r) {
		memset(out, 0, sizeof(*out));
		out->r = *r;
	}
	if (out->r.hdr.reply_stat != RPC_MSG_ACCEPTED || out->r.hdr.accept_stat != RPC_SUCCESS) {
		rpctest_reply_release(&out->r);
		return -EPROTO;
	}
	out->d = out->r.results;
	out->res_start = out->d.p;
	out->res_len = xdr_dec_remaining(&out->d);
	struct nfs4_compound_res_hdr h;
	if (!nfs4_dec_compound_res_hdr(&out->d, &h)) {
		rpctest_reply_release(&out->r);
		return -EBADMSG;
	}
	out->status = h.status;
	out->nres = h.numres;
	out->tag = h.tag.data;
	out->taglen = h.tag.len;
	return 0;
}

void nfs4c_send(int fd, const struct rpc_cred *cred, struct nfs4c_call *m,
		struct nfs4c_reply *out)
{
	assert_int_equal(nfs4c_call(fd, cred, m, out), 0);
}

bool nfs4c_result(struct nfs4c_reply *p, uint32_t *opnum, uint32_t *status)
{
	return nfs4_dec_op_res(&p->d, opnum, status);
}

uint32_t nfs4c_next(struct nfs4c_reply *p, uint32_t want_op)
{
	uint32_t opnum = 0, status = 0;
	assert_true(nfs4c_result(p, &opnum, &status));
	assert_int_equal(opnum, want_op);
	return status;
}

void nfs4c_done(struct nfs4c_reply *p) { rpctest_reply_release(&p->r); }

/* --- v4.1 --------------------------------------------------------------------------------- */

static uint32_t exchange_id_minor(int fd, const struct rpc_cred *cred, uint32_t minor,
				  const char *name, const char *verf, uint32_t flags, uint32_t sp4,
				  struct nfs4c_eid *out);

uint32_t nfs4c_exchange_id(int fd, const struct rpc_cred *cred, const char *name,
			   const char *verf, uint32_t flags, uint32_t sp4, struct nfs4c_eid *out)
{
	return exchange_id_minor(fd, cred, 1, name, verf, flags, sp4, out);
}

static uint32_t exchange_id_minor(int fd, const struct rpc_cred *cred, uint32_t minor,
				  const char *name, const char *verf, uint32_t flags, uint32_t sp4,
				  struct nfs4c_eid *out)
{
	struct client_owner o = {.ownerid = nfs4_opaque_str(name), .flags = flags, .sp4 = sp4};
	size_t vl = strlen(verf);
	memcpy(o.verifier.data, verf, vl < 8 ? vl : 8);
	struct nfs4_exchange_id_args a;
	client_exchange_id_args(&a, &o);
	struct nfs4c_call m;
	nfs4c_begin(&m, minor);
	NFS4C_OP(&m, OP_EXCHANGE_ID, nfs4_enc_exchange_id_args, &a);
	struct nfs4c_reply p;
	nfs4c_send(fd, cred, &m, &p);
	uint32_t s = nfs4c_next(&p, OP_EXCHANGE_ID);
	if (s == NFS4_OK && out) {
		struct nfs4_exchange_id_res r;
		struct client_id id;
		char why[160] = "";
		assert_true(nfs4_dec_exchange_id_res(&p.d, &r));
		assert_int_equal(client_exchange_id_done(&id, &r, why, sizeof(why)), 0);
		out->clientid = id.clientid;
		out->seq = id.create_seq;
		out->flags = id.flags;
		assert_true(r.server_major_id.len < sizeof(out->major));
		memcpy(out->major, r.server_major_id.data, r.server_major_id.len);
		out->major[r.server_major_id.len] = '\0';
	}
	nfs4c_done(&p);
	return s;
}

void nfs4c_default_attrs(struct nfs4c_attrs *a)
{
	*a = (struct nfs4c_attrs){0, 1 << 20, 1 << 20, 64 * 1024, 16, 8};
}

static struct nfs4_chan_attrs to_chan(const struct nfs4c_attrs *a)
{
	return (struct nfs4_chan_attrs){a->pad, a->maxreq, a->maxresp, a->maxcached,
					a->maxops, a->maxreqs, false, 0};
}

static struct nfs4c_attrs from_chan(const struct nfs4_chan_attrs *c)
{
	assert_false(c->has_rdma_ird);
	return (struct nfs4c_attrs){c->headerpadsize, c->maxrequestsize, c->maxresponsesize,
				    c->maxresponsesize_cached, c->maxoperations,
				    c->maxrequests};
}

uint32_t nfs4c_create_session(int fd, const struct rpc_cred *cred, uint64_t clientid,
			      uint32_t seq, uint32_t flags, const struct nfs4c_attrs *fore,
			      struct nfs4c_cs *out)
{
	static const uint32_t none = RPC_AUTH_NONE;
	return nfs4c_create_session_sec(fd, cred, clientid, seq, flags, fore, &none, 1, out);
}

static uint32_t create_session_minor(int fd, const struct rpc_cred *cred, uint32_t minor,
				     uint64_t clientid, uint32_t seq, uint32_t flags,
				     const struct nfs4c_attrs *fore, const uint32_t *flavors,
				     unsigned nflavors, struct nfs4c_cs *out, uint32_t *nslots);

uint32_t nfs4c_create_session_sec(int fd, const struct rpc_cred *cred, uint64_t clientid,
				  uint32_t seq, uint32_t flags, const struct nfs4c_attrs *fore,
				  const uint32_t *flavors, unsigned nflavors, struct nfs4c_cs *out)
{
	return create_session_minor(fd, cred, 1, clientid, seq, flags, fore, flavors, nflavors,
				    out, NULL);
}

uint32_t nfs4c_back_maxrequest = 4096;

/* nslots not NULL: the session is one the test goes on using, so the
 * result is checked as a client does (client_create_session_done) and
 * *nslots is the slots granted, at most NFS4C_MAX_SLOTS. */
static uint32_t create_session_minor(int fd, const struct rpc_cred *cred, uint32_t minor,
				     uint64_t clientid, uint32_t seq, uint32_t flags,
				     const struct nfs4c_attrs *fore, const uint32_t *flavors,
				     unsigned nflavors, struct nfs4c_cs *out, uint32_t *nslots)
{
	struct nfs4c_attrs def, back = {0, nfs4c_back_maxrequest, 4096, 0, 2, 16};
	if (!fore) {
		nfs4c_default_attrs(&def);
		fore = &def;
	}
	assert_true(nflavors <= CLIENT_SEC_PARMS_MAX);
	struct client_id id = {.clientid = clientid, .create_seq = seq};
	const struct client_session_req req = {.flags = flags,
					       .fore = to_chan(fore),
					       .back = to_chan(&back),
					       .cb_program = NFS4C_CB_PROGRAM,
					       .flavors = flavors,
					       .nflavors = nflavors,
					       .cred = cred};
	struct nfs4_cb_sec_parms parms[CLIENT_SEC_PARMS_MAX];
	struct nfs4_create_session_args a;
	client_create_session_args(&a, &id, &req, parms);
	struct nfs4c_call m;
	nfs4c_begin(&m, minor);
	NFS4C_OP(&m, OP_CREATE_SESSION, nfs4_enc_create_session_args, &a);
	struct nfs4c_reply p;
	nfs4c_send(fd, cred, &m, &p);
	uint32_t s = nfs4c_next(&p, OP_CREATE_SESSION);
	if (s == NFS4_OK && out) {
		const uint8_t *body = p.d.p;
		struct nfs4_create_session_res r;
		assert_true(nfs4_dec_create_session_res(&p.d, &r));
		memcpy(out->sid, r.sessionid.data, 16);
		out->seq = r.sequence;
		out->flags = r.flags;
		out->fore = from_chan(&r.fore);
		out->back = from_chan(&r.back);
		out->body_len = (size_t)(p.d.p - body);
		assert_true(out->body_len <= sizeof(out->body));
		memcpy(out->body, body, out->body_len);
		if (nslots) {
			char why[160] = "";
			*nslots = client_create_session_done(&id, &a, &r, NFS4C_MAX_SLOTS, why,
							     sizeof(why));
			if (*nslots == 0)
				fail_msg("%s", why);
		}
	}
	nfs4c_done(&p);
	return s;
}

/* EXCHANGE_ID and CREATE_SESSION in COMPOUNDs of minor version minor. */
static void session_up_minor(struct nfs4c_sess *s, uint32_t minor, int fd, uint32_t uid,
			     const char *name, const struct nfs4c_attrs *fore, uint32_t cs_flags)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->minor = minor;
	s->cred_store = *nfs4c_cred(uid);
	s->cred = &s->cred_store;
	struct nfs4c_eid e = {0};
	assert_int_equal(exchange_id_minor(fd, s->cred, minor, name, "verf0001", 0, SP4_NONE, &e),
			 NFS4_OK);
	s->clientid = e.clientid;
	struct nfs4c_cs cs;
	memset(&cs, 0, sizeof(cs));
	static const uint32_t none = RPC_AUTH_NONE;
	assert_int_equal(create_session_minor(fd, s->cred, minor, e.clientid, e.seq, cs_flags,
					      fore, &none, 1, &cs, &s->nslots),
			 NFS4_OK);
	memcpy(s->sid, cs.sid, 16);
	s->fore = cs.fore;
}

void nfs4c_session_up_flags(struct nfs4c_sess *s, int fd, uint32_t uid, const char *name,
			    const struct nfs4c_attrs *fore, uint32_t cs_flags)
{
	session_up_minor(s, 1, fd, uid, name, fore, cs_flags);
}

void nfs4c_session_up_reclaiming(struct nfs4c_sess *s, int fd, uint32_t uid, const char *name,
				 const struct nfs4c_attrs *fore)
{
	nfs4c_session_up_flags(s, fd, uid, name, fore, 0);
}

void nfs4c_session_up(struct nfs4c_sess *s, int fd, uint32_t uid, const char *name,
		      const struct nfs4c_attrs *fore)
{
	nfs4c_session_up_minor(s, 1, fd, uid, name, fore);
}

void nfs4c_session_up_minor_flags(struct nfs4c_sess *s, uint32_t minor, int fd, uint32_t uid,
				  const char *name, const struct nfs4c_attrs *fore,
				  uint32_t cs_flags)
{
	session_up_minor(s, minor, fd, uid, name, fore, cs_flags);
}

void nfs4c_session_up_minor(struct nfs4c_sess *s, uint32_t minor, int fd, uint32_t uid,
			    const char *name, const struct nfs4c_attrs *fore)
{
	session_up_minor(s, minor, fd, uid, name, fore, 0);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	/* On the highest slot, so tests that count seqids from 1 on the low
	 * slots find them fresh. */
	nfs4c_begin_seq(s, &m, s->nslots - 1, false);
	nfs4c_reclaim_complete_op(&m, false);
	nfs4c_send(fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_RECLAIM_COMPLETE), NFS4_OK);
	nfs4c_done(&p);
}

void nfs4c_begin_seq(struct nfs4c_sess *s, struct nfs4c_call *m, uint32_t slot, bool cachethis)
{
	assert_true(slot < NFS4C_MAX_SLOTS);
	nfs4c_begin(m, s->minor ? s->minor : 1);
	nfs4c_sequence_op(m, s->sid, ++s->seq[slot], slot, s->nslots - 1, cachethis);
}

uint32_t nfs4c_seq_result_full(struct nfs4c_reply *p, struct nfs4_sequence_res *res)
{
	uint32_t s = nfs4c_next(p, OP_SEQUENCE);
	if (s == NFS4_OK) {
		struct nfs4_sequence_res r;
		char why[160] = "";
		assert_true(nfs4_dec_sequence_res(&p->d, &r));
		/* What was sent is the test's business (it may send SEQUENCE by
		 * hand): only what the result says of itself is checked. */
		if (client_sequence_check(NULL, NULL, &r, why, sizeof(why)))
			fail_msg("%s", why);
		if (res)
			*res = r;
	}
	return s;
}

uint32_t nfs4c_seq_result(struct nfs4c_reply *p, uint32_t *flags)
{
	struct nfs4_sequence_res r;
	uint32_t s = nfs4c_seq_result_full(p, &r);
	if (s == NFS4_OK && flags)
		*flags = r.status_flags;
	return s;
}

static void readdir_page(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen, uint64_t cookie,
			 const struct nfs4_verifier *verf, uint32_t dircount, uint32_t maxcount,
			 const struct nfs4_bitmap *want, struct nfs4c_reply *p,
			 struct nfs4_readdir_res *r)
{
	struct nfs4c_call m;
	struct nfs4_readdir_args a;

	memset(&a, 0, sizeof(a));
	a.cookie = cookie;
	a.cookieverf = *verf;
	a.dircount = dircount;
	a.maxcount = maxcount;
	a.attr_request = *want;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, fh, fhlen);
	NFS4C_OP(&m, OP_READDIR, nfs4_enc_readdir_args, &a);
	nfs4c_send(s->fd, s->cred, &m, p);
	assert_int_equal(nfs4c_seq_result(p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(p, OP_READDIR), NFS4_OK);
	assert_true(nfs4_dec_readdir_res(&p->d, r));
}

unsigned nfs4c_list_dir(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen,
			uint32_t dircount, uint32_t maxcount,
			void (*entry)(void *arg, const struct nfs4_dirent *e),
			void (*page)(void *arg, unsigned n), void *arg)
{
	struct nfs4_bitmap want;

	memset(&want, 0, sizeof(want));
	nfs4_bitmap_set(&want, FATTR4_TYPE);
	nfs4_bitmap_set(&want, FATTR4_SIZE);
	nfs4_bitmap_set(&want, FATTR4_FILEID);
	nfs4_bitmap_set(&want, FATTR4_MODE);
	return nfs4c_list_dir_attrs(s, fh, fhlen, dircount, maxcount, &want, entry, page, arg);
}

unsigned nfs4c_list_dir_attrs(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen,
			      uint32_t dircount, uint32_t maxcount, const struct nfs4_bitmap *want,
			      void (*entry)(void *arg, const struct nfs4_dirent *e),
			      void (*page)(void *arg, unsigned n), void *arg)
{
	uint64_t cookie = 0;
	struct nfs4_verifier verf;
	unsigned calls = 0;

	memset(&verf, 0, sizeof(verf));
	for (bool eof = false; !eof;) {
		struct nfs4c_reply p;
		struct nfs4_readdir_res r;
		struct nfs4_dirent e;
		unsigned got = 0;

		readdir_page(s, fh, fhlen, cookie, &verf, dircount, maxcount, want, &p, &r);
		while (nfs4_readdir_res_next(&r, &e)) {
			entry(arg, &e);
			got++;
		}
		eof = r.eof;
		assert_true(got > 0 || eof);
		if (got)
			cookie = r.last_cookie;
		verf = r.cookieverf;
		nfs4c_done(&p);
		calls++;
		if (page)
			page(arg, calls);
	}
	return calls;
}

uint32_t nfs4c_ping(struct nfs4c_sess *s)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	uint32_t flags = 0;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, &flags), NFS4_OK);
	nfs4c_done(&p);
	return flags;
}

uint32_t nfs4c_find(struct nfs4c_sess *s, const char *path, uint8_t *fh, uint32_t *fhlen)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putrootfh(&m);
	unsigned n = 0;
	for (char *save, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save), n++)
		nfs4c_lookup(&m, c);
	nfs4c_getfh(&m);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	uint32_t st = nfs4c_next(&p, OP_PUTROOTFH);
	for (unsigned i = 0; i < n && st == NFS4_OK; i++)
		st = nfs4c_next(&p, OP_LOOKUP);
	if (st == NFS4_OK) {
		assert_int_equal(nfs4c_next(&p, OP_GETFH), NFS4_OK);
		struct nfs4_getfh_res g;
		assert_true(nfs4_dec_getfh_res(&p.d, &g));
		memcpy(fh, g.fh.data, g.fh.len);
		*fhlen = g.fh.len;
	}
	nfs4c_done(&p);
	return st;
}

uint32_t nfs4c_create(struct nfs4c_sess *s, uint8_t *fh, uint32_t *fhlen, const char *name,
		      const struct nfs4_fattr_raw *attrs, struct nfs4_bitmap *attrset)
{
	struct nfs4_open_args a;
	memset(&a, 0, sizeof(a));
	a.share_access = OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_NO_DELEG;
	a.owner.clientid = s->clientid;
	a.owner.owner = nfs4_opaque_str("nfs4c-create");
	a.opentype = OPEN4_CREATE;
	a.how.mode = UNCHECKED4;
	if (attrs)
		a.how.attrs = *attrs;
	a.claim.type = CLAIM_NULL;
	a.claim.file = nfs4_opaque_str(name);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, fh, *fhlen);
	nfs4c_open_op(&m, &a);
	nfs4c_getfh(&m);
	struct nfs4_stateid cur = {.seqid = 1};
	nfs4c_close_op(&m, 0, &cur);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	uint32_t st = nfs4c_next(&p, OP_PUTFH);
	if (st == NFS4_OK)
		st = nfs4c_next(&p, OP_OPEN);
	if (st == NFS4_OK) {
		struct nfs4_open_res r;
		assert_true(nfs4_dec_open_res(&p.d, &r));
		if (attrset)
			*attrset = r.attrset;
		assert_int_equal(nfs4c_next(&p, OP_GETFH), NFS4_OK);
		struct nfs4_getfh_res g;
		assert_true(nfs4_dec_getfh_res(&p.d, &g));
		memcpy(fh, g.fh.data, g.fh.len);
		*fhlen = g.fh.len;
		assert_int_equal(nfs4c_next(&p, OP_CLOSE), NFS4_OK);
	}
	nfs4c_done(&p);
	return st;
}

uint32_t nfs4c_bind_conn(int fd, const struct rpc_cred *cred, const uint8_t sid[16], uint32_t dir,
			 uint32_t *got)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 1);
	nfs4c_op(&m, OP_BIND_CONN_TO_SESSION);
	xdr_encode_opaque_fixed(&m.e, sid, 16);
	xdr_encode_u32(&m.e, dir);
	xdr_encode_bool(&m.e, false);
	nfs4c_send(fd, cred, &m, &p);
	uint32_t st = nfs4c_next(&p, OP_BIND_CONN_TO_SESSION);
	const uint8_t *rsid;
	*got = 0;
	if (st == NFS4_OK) {
		assert_true(xdr_decode_opaque_fixed(&p.d, 16, &rsid));
		assert_memory_equal(rsid, sid, 16);
		assert_true(xdr_decode_u32(&p.d, got));
	}
	nfs4c_done(&p);
	return st;
}

uint32_t nfs4c_backchannel_ctl(struct nfs4c_sess *s, uint32_t prog, const uint32_t *flavors,
			       unsigned n)
{
	struct nfs4_cb_sec_parms parms[CLIENT_SEC_PARMS_MAX];
	assert_true(n <= CLIENT_SEC_PARMS_MAX);
	client_sec_parms(parms, flavors, n, s->cred);
	return nfs4c_backchannel_ctl_parms(s, prog, parms, n);
}

uint32_t nfs4c_backchannel_ctl_parms(struct nfs4c_sess *s, uint32_t prog,
				     const struct nfs4_cb_sec_parms *parms, unsigned n)
{
	struct nfs4_backchannel_ctl_args bc = {.cb_program = prog};
	bc.sec_parms.l.count = n;
	bc.sec_parms.items = parms;
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	NFS4C_OP(&m, OP_BACKCHANNEL_CTL, nfs4_enc_backchannel_ctl_args, &bc);
	nfs4c_send(s->fd, s->cred, &m, &p);
	uint32_t st = nfs4c_seq_result(&p, NULL);
	if (st == NFS4_OK)
		st = nfs4c_next(&p, OP_BACKCHANNEL_CTL);
	nfs4c_done(&p);
	return st;
}

uint32_t nfs4c_destroy_session(struct nfs4c_sess *s)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, s->minor ? s->minor : 1);
	nfs4c_destroy_session_op(&m, s->sid);
	nfs4c_send(s->fd, s->cred, &m, &p);
	uint32_t st = nfs4c_next(&p, OP_DESTROY_SESSION);
	nfs4c_done(&p);
	return st;
}

uint32_t nfs4c_destroy_clientid(struct nfs4c_sess *s)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, s->minor ? s->minor : 1);
	nfs4c_destroy_clientid_op(&m, s->clientid);
	nfs4c_send(s->fd, s->cred, &m, &p);
	uint32_t st = nfs4c_next(&p, OP_DESTROY_CLIENTID);
	nfs4c_done(&p);
	return st;
}

/* --- v4.0 ---------------------------------------------------------------------------------- */

uint32_t nfs4c_setclientid(struct nfs4c_client40 *c, int fd, const struct rpc_cred *cred,
			   const char *id, uint32_t prog, const char *netid, const char *uaddr,
			   uint32_t ident)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->cred = cred;
	struct nfs4_setclientid_args a;
	memset(&a, 0, sizeof(a));
	memcpy(a.verifier.data, "nfs4cver", 8);
	a.id = nfs4_opaque_str(id);
	a.cb_program = prog;
	a.cb_location.netid = nfs4_opaque_str(netid ? netid : "tcp");
	a.cb_location.addr = nfs4_opaque_str(uaddr ? uaddr : "127.0.0.1.0.0");
	a.callback_ident = ident;
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 0);
	nfs4c_setclientid_op(&m, &a);
	nfs4c_send(fd, cred, &m, &p);
	uint32_t s = nfs4c_next(&p, OP_SETCLIENTID);
	struct nfs4_setclientid_res r;
	assert_true(nfs4_dec_setclientid_res(&p.d, s, &r));
	nfs4c_done(&p);
	if (s != NFS4_OK)
		return s;
	c->clientid = r.clientid;
	c->confirm = r.confirm;
	nfs4c_begin(&m, 0);
	nfs4c_setclientid_confirm_op(&m, c->clientid, &c->confirm);
	nfs4c_send(fd, cred, &m, &p);
	s = nfs4c_next(&p, OP_SETCLIENTID_CONFIRM);
	nfs4c_done(&p);
	return s;
}

uint32_t nfs4c_open40(struct nfs4c_client40 *c, const char *owner, uint32_t *seqid,
		      const char *dir, const char *name, uint32_t access, bool create,
		      struct nfs4c_open40 *out)
{
	memset(out, 0, sizeof(*out));
	struct nfs4_open_args a;
	memset(&a, 0, sizeof(a));
	a.seqid = (*seqid)++;
	a.share_access = access;
	a.share_deny = OPEN4_SHARE_DENY_NONE;
	a.owner.clientid = c->clientid;
	a.owner.owner = nfs4_opaque_str(owner);
	a.opentype = create ? OPEN4_CREATE : OPEN4_NOCREATE;
	a.how.mode = UNCHECKED4;
	static const uint8_t mode[4] = {0, 0, 0x01, 0xa4}; /* 0644 */
	nfs4_bitmap_set(&a.how.attrs.mask, FATTR4_MODE);
	a.how.attrs.vals = (struct nfs4_opaque){mode, sizeof(mode)};
	a.claim.type = CLAIM_NULL;
	a.claim.file = nfs4_opaque_str(name);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 0);
	nfs4c_putrootfh(&m);
	if (dir)
		nfs4c_lookup(&m, dir);
	nfs4c_open_op(&m, &a);
	nfs4c_getfh(&m);
	nfs4c_send(c->fd, c->cred, &m, &p);
	uint32_t s = nfs4c_next(&p, OP_PUTROOTFH);
	if (s == NFS4_OK && dir)
		s = nfs4c_next(&p, OP_LOOKUP);
	if (s == NFS4_OK && (s = nfs4c_next(&p, OP_OPEN)) == NFS4_OK) {
		struct nfs4_open_res r;
		assert_true(nfs4_dec_open_res(&p.d, &r));
		out->stateid = r.stateid;
		out->rflags = r.rflags;
		out->deleg = r.delegation;
		s = nfs4c_next(&p, OP_GETFH);
		if (s == NFS4_OK) {
			struct nfs4_getfh_res fh;
			assert_true(nfs4_dec_getfh_res(&p.d, &fh));
			memcpy(out->fh, fh.fh.data, fh.fh.len);
			out->fhlen = fh.fh.len;
		}
	}
	nfs4c_done(&p);
	if (s != NFS4_OK || !(out->rflags & OPEN4_RESULT_CONFIRM))
		return s;
	nfs4c_begin(&m, 0);
	nfs4c_putfh(&m, out->fh, out->fhlen);
	nfs4c_open_confirm_op(&m, &out->stateid, (*seqid)++);
	nfs4c_send(c->fd, c->cred, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	s = nfs4c_next(&p, OP_OPEN_CONFIRM);
	if (s == NFS4_OK) {
		struct nfs4_stateid_res r;
		assert_true(nfs4_dec_open_confirm_res(&p.d, &r));
		out->stateid = r.stateid;
	}
	nfs4c_done(&p);
	return s;
}

uint32_t nfs4c_close40(struct nfs4c_client40 *c, uint32_t *seqid, const struct nfs4c_open40 *o)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 0);
	nfs4c_putfh(&m, o->fh, o->fhlen);
	nfs4c_close_op(&m, (*seqid)++, &o->stateid);
	nfs4c_send(c->fd, c->cred, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t s = nfs4c_next(&p, OP_CLOSE);
	nfs4c_done(&p);
	return s;
}
