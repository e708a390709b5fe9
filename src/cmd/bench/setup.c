/* One generic synchronous COMPOUND: the encoder records which ops it sent,
 * the decoder walks their results in that order and keeps what the caller
 * asked for (a file handle, an open stateid). */
#include <stdio.h>
#include <string.h>

#include "cmd/bench/setup.h"
#include "xdr/nfs4_fattr.h"

enum { SX_MAX_OPS = 40, SX_MAX_COMPONENTS = 32 };

struct sx {
	const struct bench_fh *fh; /* PUTFH target; NULL: PUTROOTFH */
	const char *path;          /* LOOKUP components ("/a/b") */
	const char *name;
	uint32_t kind;
	uint32_t access;
	bool create;
	uint64_t offset;
	const uint8_t *data;
	uint32_t len;
	uint32_t stable;
	const struct nfs4_stateid *sid;
	struct bench_fh *out_fh;
	struct nfs4_stateid *out_sid;
	uint32_t ops[SX_MAX_OPS];
	unsigned nops;
};

enum sx_kind { SX_LOOKUP, SX_MKDIR, SX_OPEN, SX_TOUCH, SX_WRITE, SX_COMMIT, SX_CLOSE, SX_REMOVE };

uint32_t setup_open_owner(const struct bench_session *ss, uint8_t *buf, size_t len)
{
	int n = snprintf((char *)buf, len, "ferry-bench-oo-%u", ss->index);
	return (uint32_t)(n < (int)len ? n : (int)len - 1);
}

static bool sx_op(struct sx *x, struct nfs4_compound_enc *ce, uint32_t op)
{
	if (x->nops >= SX_MAX_OPS)
		return false;
	x->ops[x->nops++] = op;
	return nfs4_enc_op(ce, op);
}

/* Through the fattr codec once, not per OPEN: its encoder needs a buffer. */
static int mode_attrs(struct bench_ctx *c, uint32_t mode, uint8_t *vals, size_t cap,
		      struct nfs4_fattr_raw *out)
{
	struct nfs4_attrs attrs = {.mode = mode};
	struct xdr_enc e;
	nfs4_attrs_set(&attrs, FATTR4_MODE);
	memset(out, 0, sizeof(*out));
	nfs4_bitmap_set(&out->mask, FATTR4_MODE);
	if (!xdr_enc_init(&e, cap, cap)) {
		bench_fail(c, "out of memory");
		return -1;
	}
	bool ok = nfs4_fattr_encode_values(&attrs, &out->mask, &e);
	if (ok) {
		memcpy(vals, e.buf->data, xdr_enc_len(&e));
		out->vals = (struct nfs4_opaque){vals, (uint32_t)xdr_enc_len(&e)};
	}
	xdr_enc_release(&e);
	if (!ok) {
		bench_fail(c, "internal: cannot encode a mode attribute");
		return -1;
	}
	return 0;
}

int setup_attrs_init(struct bench_ctx *c)
{
	return mode_attrs(c, 0644, c->mode_vals[0], sizeof(c->mode_vals[0]), &c->file_mode_attrs) ||
	       mode_attrs(c, 0755, c->mode_vals[1], sizeof(c->mode_vals[1]), &c->dir_mode_attrs)
		       ? -1
		       : 0;
}

static bool sx_enc_open(struct sx *x, struct nfs4_compound_enc *ce, struct bench_stream *s,
			uint32_t access, bool create, const char *name)
{
	uint8_t owner[64];
	struct nfs4_open_args a = {
		.share_access = access | OPEN4_SHARE_ACCESS_WANT_NO_DELEG,
		.share_deny = OPEN4_SHARE_DENY_NONE,
		.owner = {.clientid = s->ctx->id.clientid,
			  .owner = {owner, setup_open_owner(s->sess, owner, sizeof(owner))}},
		.opentype = create ? OPEN4_CREATE : OPEN4_NOCREATE,
		.how = {.mode = UNCHECKED4, .attrs = s->ctx->file_mode_attrs},
		.claim = {.type = CLAIM_NULL, .file = nfs4_opaque_str(name)},
	};
	return sx_op(x, ce, OP_OPEN) && nfs4_enc_open_args(ce->e, &a);
}

static bool sx_enc(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	struct sx *x = s->arg;
	struct xdr_enc *e = ce->e;
	bool ok;
	x->nops = 0;
	if (x->fh) {
		const struct nfs4_putfh_args a = {.fh = bench_fh_opaque(x->fh)};
		ok = sx_op(x, ce, OP_PUTFH) && nfs4_enc_putfh_args(e, &a);
	} else {
		ok = sx_op(x, ce, OP_PUTROOTFH);
	}
	switch (x->kind) {
	case SX_LOOKUP: {
		const char *p = x->path;
		while (ok && *p) {
			while (*p == '/')
				p++;
			size_t n = strcspn(p, "/");
			if (n == 0)
				break;
			const struct nfs4_lookup_args a = {.name = {(const uint8_t *)p, (uint32_t)n}};
			ok = sx_op(x, ce, OP_LOOKUP) && nfs4_enc_lookup_args(e, &a);
			p += n;
		}
		ok = ok && sx_op(x, ce, OP_GETFH);
		break;
	}
	case SX_MKDIR: {
		const struct nfs4_create_args a = {.type = NF4DIR,
						   .name = nfs4_opaque_str(x->name),
						   .attrs = s->ctx->dir_mode_attrs};
		ok = ok && sx_op(x, ce, OP_CREATE) && nfs4_enc_create_args(e, &a) &&
		     sx_op(x, ce, OP_GETFH);
		break;
	}
	case SX_OPEN:
		ok = ok && sx_enc_open(x, ce, s, x->access, x->create, x->name) &&
		     sx_op(x, ce, OP_GETFH);
		break;
	case SX_TOUCH: {
		const struct nfs4_close_args a = {.stateid = bench_current_stateid};
		ok = ok && sx_enc_open(x, ce, s, OPEN4_SHARE_ACCESS_WRITE, true, x->name) &&
		     sx_op(x, ce, OP_CLOSE) && nfs4_enc_close_args(e, &a);
		break;
	}
	case SX_WRITE: {
		const struct nfs4_write_args a = {.stateid = *x->sid,
						  .offset = x->offset,
						  .stable = x->stable,
						  .data = {x->data, x->len}};
		ok = ok && sx_op(x, ce, OP_WRITE) && nfs4_enc_write_args_hdr(e, &a);
		if (ok)
			call_splice(s, x->data, x->len);
		break;
	}
	case SX_COMMIT: {
		const struct nfs4_commit_args a = {0};
		ok = ok && sx_op(x, ce, OP_COMMIT) && nfs4_enc_commit_args(e, &a);
		break;
	}
	case SX_CLOSE: {
		const struct nfs4_close_args a = {.stateid = *x->sid};
		ok = ok && sx_op(x, ce, OP_CLOSE) && nfs4_enc_close_args(e, &a);
		break;
	}
	case SX_REMOVE: {
		const struct nfs4_remove_args a = {.name = nfs4_opaque_str(x->name)};
		ok = ok && sx_op(x, ce, OP_REMOVE) && nfs4_enc_remove_args(e, &a);
		break;
	}
	}
	return ok;
}

/* Decodes the body of a successful result, keeping what the caller asked
 * for; false on a malformed body.  Every body is decoded, even one nobody
 * reads, so a malformed reply is caught wherever it is. */
static bool sx_dec_body(struct bench_stream *s, struct sx *x, uint32_t op, struct xdr_dec *d)
{
	union {
		struct nfs4_commit_res commit;
		struct nfs4_close_res close;
		struct nfs4_remove_res remove;
		struct nfs4_create_res create;
	} unread;
	switch (op) {
	case OP_PUTFH:
	case OP_PUTROOTFH:
	case OP_LOOKUP:
		return true;
	case OP_GETFH: {
		struct nfs4_getfh_res r;
		if (!nfs4_dec_getfh_res(d, &r))
			return false;
		x->out_fh->len = r.fh.len;
		memcpy(x->out_fh->data, r.fh.data, r.fh.len);
		return true;
	}
	case OP_OPEN: {
		struct nfs4_open_res r;
		if (!nfs4_dec_open_res(d, &r))
			return false;
		if (x->out_sid)
			*x->out_sid = r.stateid;
		return true;
	}
	case OP_WRITE: {
		struct nfs4_write_res r;
		if (!nfs4_dec_write_res(d, &r))
			return false;
		/* A short write is no malformed reply, but the data file would
		 * be wrong for the run: bench_fail, which sx_dec sees. */
		if (r.count != x->len)
			bench_fail(s->ctx, "WRITE at %llu: server wrote %u of %u bytes",
				   (unsigned long long)x->offset, r.count, x->len);
		return true;
	}
	case OP_COMMIT:
		return nfs4_dec_commit_res(d, &unread.commit);
	case OP_CLOSE:
		return nfs4_dec_close_res(d, &unread.close);
	case OP_REMOVE:
		return nfs4_dec_remove_res(d, &unread.remove);
	case OP_CREATE:
		return nfs4_dec_create_res(d, &unread.create);
	default:
		return false;
	}
}

/* Walks the results of the ops sent, in order, keeping in x what its
 * caller asked for. */
static enum step_result sx_dec_results(struct bench_stream *s, struct xdr_dec *d, uint32_t n,
				       struct sx *x, const uint32_t *ops, unsigned nops)
{
	for (unsigned i = 0; i < nops; i++) {
		EXPECT_OK(s, d, n, ops[i]);
		if (!sx_dec_body(s, x, ops[i], d))
			return session_malformed(s, ops[i]);
		if (s->ctx->failed)
			return STEP_FATAL;
	}
	return STEP_DONE;
}

static enum step_result sx_dec(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	struct sx *x = s->arg;
	return sx_dec_results(s, d, n, x, x->ops, x->nops);
}

static int sx_run(struct bench_session *ss, struct sx *x, const char *what)
{
	struct bench_ctx *c = ss->ctx;
	enum step_result r = session_run_sync(&ss->ctl, sx_enc, sx_dec, x);
	if (r == STEP_DONE)
		return 0;
	/* ferry-bench connects from a reserved port only when it may bind one. */
	const char *hint = ss->ctl.err_status == NFS4ERR_PERM
				   ? " (a secure export admits AUTH_SYS only from reserved ports: run "
				     "ferry-bench as root, or export with secure = no / insecure)"
			   : ss->ctl.err_status == NFS4ERR_WRONGSEC
				   ? " (the export does not take this --sec flavour)"
				   : "";
	if (r != STEP_FATAL && !c->failed)
		bench_fail(c, "setup: %s: %s returned %s%s", what, bench_op_name(ss->ctl.err_op),
			   bench_status_name(ss->ctl.err_status), hint);
	return -1;
}

int setup_lookup_path(struct bench_session *ss, const char *path, struct bench_fh *out)
{
	struct sx x = {.kind = SX_LOOKUP, .path = path, .out_fh = out};
	char what[600];
	snprintf(what, sizeof(what), "looking up %s", path);
	return sx_run(ss, &x, what);
}

int setup_mkdir(struct bench_session *ss, const struct bench_fh *dir, const char *name,
		struct bench_fh *out)
{
	struct sx x = {.kind = SX_MKDIR, .fh = dir, .name = name, .out_fh = out};
	char what[300];
	snprintf(what, sizeof(what), "creating directory %s", name);
	return sx_run(ss, &x, what);
}

int setup_open(struct bench_session *ss, const struct bench_fh *dir, const char *name,
	       uint32_t access, bool create, struct bench_fh *fh, struct nfs4_stateid *sid)
{
	struct sx x = {.kind = SX_OPEN, .fh = dir, .name = name, .access = access,
		       .create = create, .out_fh = fh, .out_sid = sid};
	char what[300];
	snprintf(what, sizeof(what), "opening %s", name);
	return sx_run(ss, &x, what);
}

int setup_touch(struct bench_session *ss, const struct bench_fh *dir, const char *name)
{
	struct sx x = {.kind = SX_TOUCH, .fh = dir, .name = name};
	char what[300];
	snprintf(what, sizeof(what), "creating %s", name);
	return sx_run(ss, &x, what);
}

int setup_write(struct bench_session *ss, const struct bench_fh *fh,
		const struct nfs4_stateid *sid, uint64_t offset, const uint8_t *data,
		uint32_t len, uint32_t stable)
{
	struct sx x = {.kind = SX_WRITE, .fh = fh, .sid = sid, .offset = offset, .data = data,
		       .len = len, .stable = stable};
	return sx_run(ss, &x, "writing a data file");
}

int setup_commit(struct bench_session *ss, const struct bench_fh *fh)
{
	struct sx x = {.kind = SX_COMMIT, .fh = fh};
	return sx_run(ss, &x, "committing a data file");
}

int setup_close(struct bench_session *ss, const struct bench_fh *fh,
		const struct nfs4_stateid *sid)
{
	struct sx x = {.kind = SX_CLOSE, .fh = fh, .sid = sid};
	return sx_run(ss, &x, "closing a file");
}

int setup_remove_if_there(struct bench_session *ss, const struct bench_fh *dir, const char *name)
{
	struct sx x = {.kind = SX_REMOVE, .fh = dir, .name = name};
	enum step_result r = session_run_sync(&ss->ctl, sx_enc, sx_dec, &x);
	if (r == STEP_DONE || (r == STEP_ERROR && ss->ctl.err_status == NFS4ERR_NOENT))
		return 0;
	char what[300];
	snprintf(what, sizeof(what), "removing %s", name);
	if (r != STEP_FATAL && !ss->ctx->failed)
		bench_fail(ss->ctx, "teardown: %s: %s returned %s", what,
			   bench_op_name(ss->ctl.err_op), bench_status_name(ss->ctl.err_status));
	return -1;
}

int setup_remove(struct bench_session *ss, const struct bench_fh *dir, const char *name)
{
	struct sx x = {.kind = SX_REMOVE, .fh = dir, .name = name};
	char what[300];
	snprintf(what, sizeof(what), "removing %s", name);
	return sx_run(ss, &x, what);
}

/* --- many names of one directory per COMPOUND ----------------------------- */

/* Directories of tens of thousands of entries are made and emptied many
 * names per round trip: PUTFH dir, then per file OPEN (create) CLOSE PUTFH
 * dir, or REMOVE for each name. */
enum { SXB_MAX_OPS = 64, SXB_TOUCH_PER_CALL = 16, SXB_REMOVE_PER_CALL = 32 };

struct sxb {
	const struct bench_fh *dir;
	const char *fmt; /* the names: fmt with one unsigned index */
	unsigned first, count;
	bool remove;
	uint32_t ops[SXB_MAX_OPS];
	unsigned nops;
};

static bool sxb_op(struct sxb *x, struct nfs4_compound_enc *ce, uint32_t op)
{
	if (x->nops >= SXB_MAX_OPS)
		return false;
	x->ops[x->nops++] = op;
	return nfs4_enc_op(ce, op);
}

static bool sxb_putfh(struct sxb *x, struct nfs4_compound_enc *ce)
{
	const struct nfs4_putfh_args a = {.fh = bench_fh_opaque(x->dir)};
	return sxb_op(x, ce, OP_PUTFH) && nfs4_enc_putfh_args(ce->e, &a);
}

static bool sxb_enc(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	struct sxb *x = s->arg;
	bool ok = true;
	x->nops = 0;
	ok = sxb_putfh(x, ce);
	for (unsigned i = 0; ok && i < x->count; i++) {
		char name[64];
		snprintf(name, sizeof(name), x->fmt, x->first + i);
		if (x->remove) {
			const struct nfs4_remove_args a = {.name = nfs4_opaque_str(name)};
			ok = sxb_op(x, ce, OP_REMOVE) && nfs4_enc_remove_args(ce->e, &a);
			continue;
		}
		struct sx one = {0};
		const struct nfs4_close_args cl = {.stateid = bench_current_stateid};
		ok = sx_enc_open(&one, ce, s, OPEN4_SHARE_ACCESS_WRITE, true, name) &&
		     x->nops < SXB_MAX_OPS;
		if (ok)
			x->ops[x->nops++] = OP_OPEN;
		ok = ok && sxb_op(x, ce, OP_CLOSE) && nfs4_enc_close_args(ce->e, &cl);
		if (ok && i + 1 < x->count)
			ok = sxb_putfh(x, ce);
	}
	return ok;
}

static enum step_result sxb_dec(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	struct sxb *x = s->arg;
	struct sx keep_nothing = {0};
	return sx_dec_results(s, d, n, &keep_nothing, x->ops, x->nops);
}

static int sxb_run(struct bench_session *ss, const struct bench_fh *dir, const char *fmt,
		   unsigned first, unsigned count, bool remove, unsigned *done)
{
	unsigned per = remove ? SXB_REMOVE_PER_CALL : SXB_TOUCH_PER_CALL;
	/* SEQUENCE and PUTFH, then 1 (REMOVE) or 3 (OPEN CLOSE PUTFH) per name. */
	uint32_t maxops = ss->fore.maxoperations;
	unsigned fit = maxops > 2 ? (remove ? maxops - 2 : (maxops - 1) / 3) : 1;
	if (per > fit)
		per = fit ? fit : 1;
	*done = 0;
	while (*done < count) {
		struct sxb x = {.dir = dir, .fmt = fmt, .first = first + *done, .remove = remove};
		x.count = count - *done < per ? count - *done : per;
		enum step_result r = session_run_sync(&ss->ctl, sxb_enc, sxb_dec, &x);
		if (r != STEP_DONE) {
			if (r != STEP_FATAL && !ss->ctx->failed)
				bench_fail(ss->ctx, "setup: %s names of a directory: %s returned %s",
					   remove ? "removing" : "creating",
					   bench_op_name(ss->ctl.err_op),
					   bench_status_name(ss->ctl.err_status));
			return -1;
		}
		*done += x.count;
	}
	return 0;
}

int setup_touch_many(struct bench_session *ss, const struct bench_fh *dir, const char *fmt,
		     unsigned count, unsigned *made)
{
	return sxb_run(ss, dir, fmt, 0, count, false, made);
}

int setup_remove_many(struct bench_session *ss, const struct bench_fh *dir, const char *fmt,
		      unsigned count)
{
	unsigned done;
	return sxb_run(ss, dir, fmt, 0, count, true, &done);
}
