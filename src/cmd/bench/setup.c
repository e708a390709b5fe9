/* One generic synchronous COMPOUND: the encoder records which ops it sent,
 * the decoder walks their results in that order and keeps what the caller
 * asked for (a file handle, an open stateid). */
#include <stdio.h>
#include <string.h>

#include "cmd/bench/setup.h"

enum { SX_MAX_OPS = 40, SX_MAX_COMPONENTS = 32 };

struct sx {
	const struct nfs41_fh *fh; /* PUTFH target; NULL: PUTROOTFH */
	const char *path;          /* LOOKUP components ("/a/b") */
	const char *name;
	uint32_t kind;
	uint32_t access;
	bool create;
	uint64_t offset;
	const uint8_t *data;
	uint32_t len;
	uint32_t stable;
	const struct nfs41_stateid *sid;
	struct nfs41_fh *out_fh;
	struct nfs41_stateid *out_sid;
	uint32_t ops[SX_MAX_OPS];
	unsigned nops;
};

enum sx_kind { SX_LOOKUP, SX_MKDIR, SX_OPEN, SX_TOUCH, SX_WRITE, SX_COMMIT, SX_CLOSE, SX_REMOVE };

uint32_t setup_open_owner(const struct bench_session *ss, uint8_t *buf, size_t len)
{
	int n = snprintf((char *)buf, len, "ferry-bench-oo-%u", ss->index);
	return (uint32_t)(n < (int)len ? n : (int)len - 1);
}

static bool sx_op(struct sx *x, uint32_t op, bool ok)
{
	if (x->nops < SX_MAX_OPS)
		x->ops[x->nops++] = op;
	return ok && x->nops < SX_MAX_OPS;
}

static int sx_enc(struct bench_stream *s, struct xdr_enc *e)
{
	struct sx *x = s->arg;
	struct bench_session *ss = s->sess;
	uint8_t owner[64];
	uint32_t owner_len = setup_open_owner(ss, owner, sizeof(owner));
	bool ok = true;
	x->nops = 0;
	if (x->fh)
		ok = sx_op(x, OP_PUTFH, nfs41_enc_putfh(e, x->fh));
	else
		ok = sx_op(x, OP_PUTROOTFH, nfs41_enc_putrootfh(e));
	switch (x->kind) {
	case SX_LOOKUP: {
		const char *p = x->path;
		while (ok && *p) {
			while (*p == '/')
				p++;
			size_t n = strcspn(p, "/");
			if (n == 0)
				break;
			char comp[256];
			if (n >= sizeof(comp))
				return -1;
			memcpy(comp, p, n);
			comp[n] = '\0';
			ok = sx_op(x, OP_LOOKUP, nfs41_enc_lookup(e, comp));
			p += n;
		}
		ok = ok && sx_op(x, OP_GETFH, nfs41_enc_getfh(e));
		break;
	}
	case SX_MKDIR:
		ok = ok && sx_op(x, OP_CREATE, nfs41_enc_create_dir(e, x->name)) &&
		     sx_op(x, OP_GETFH, nfs41_enc_getfh(e));
		break;
	case SX_OPEN:
		ok = ok &&
		     sx_op(x, OP_OPEN,
			   nfs41_enc_open(e, s->ctx->clientid, owner, owner_len, x->access,
					  x->create, x->name)) &&
		     sx_op(x, OP_GETFH, nfs41_enc_getfh(e));
		break;
	case SX_TOUCH:
		ok = ok &&
		     sx_op(x, OP_OPEN,
			   nfs41_enc_open(e, s->ctx->clientid, owner, owner_len,
					  OPEN4_SHARE_ACCESS_WRITE, true, x->name)) &&
		     sx_op(x, OP_CLOSE, nfs41_enc_close(e, &nfs41_current_stateid));
		break;
	case SX_WRITE:
		ok = ok && sx_op(x, OP_WRITE,
				 nfs41_enc_write_head(e, x->sid, x->offset, x->stable, x->len));
		if (ok)
			call_splice(s, x->data, x->len);
		break;
	case SX_COMMIT:
		ok = ok && sx_op(x, OP_COMMIT, nfs41_enc_commit(e, 0, 0));
		break;
	case SX_CLOSE:
		ok = ok && sx_op(x, OP_CLOSE, nfs41_enc_close(e, x->sid));
		break;
	case SX_REMOVE:
		ok = ok && sx_op(x, OP_REMOVE, nfs41_enc_remove(e, x->name));
		break;
	}
	return ok ? (int)x->nops : -1;
}

static enum step_result sx_dec(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	struct sx *x = s->arg;
	for (unsigned i = 0; i < x->nops; i++) {
		uint32_t op = x->ops[i];
		int rc = session_res(s, d, &n, op);
		if (rc < 0)
			return STEP_FATAL;
		if (rc == 0)
			return session_failed(s);
		bool ok;
		switch (op) {
		case OP_GETFH:
			ok = nfs41_dec_getfh(d, x->out_fh);
			break;
		case OP_OPEN: {
			uint32_t deleg;
			struct nfs41_stateid sid;
			ok = nfs41_dec_open(d, x->out_sid ? x->out_sid : &sid, &deleg);
			break;
		}
		case OP_WRITE: {
			uint32_t count, committed;
			ok = nfs41_dec_write(d, &count, &committed);
			if (ok && count != x->len) {
				bench_fail(s->ctx, "WRITE at %llu: server wrote %u of %u bytes",
					   (unsigned long long)x->offset, count, x->len);
				return STEP_FATAL;
			}
			break;
		}
		default:
			ok = nfs41_dec_skip_resok(d, op);
		}
		if (!ok) {
			bench_fail(s->ctx, "malformed %s result", nfs41_op_name(op));
			return STEP_FATAL;
		}
	}
	return STEP_DONE;
}

static int sx_run(struct bench_session *ss, struct sx *x, const char *what)
{
	struct bench_ctx *c = ss->ctx;
	enum step_result r = session_run_sync(&ss->ctl, sx_enc, sx_dec, x);
	if (r == STEP_DONE)
		return 0;
	if (r != STEP_FATAL && !c->failed)
		bench_fail(c, "setup: %s: %s returned %s", what, nfs41_op_name(ss->ctl.err_op),
			   nfs41_status_name(ss->ctl.err_status));
	return -1;
}

int setup_lookup_path(struct bench_session *ss, const char *path, struct nfs41_fh *out)
{
	struct sx x = {.kind = SX_LOOKUP, .path = path, .out_fh = out};
	char what[600];
	snprintf(what, sizeof(what), "looking up %s", path);
	return sx_run(ss, &x, what);
}

int setup_mkdir(struct bench_session *ss, const struct nfs41_fh *dir, const char *name,
		struct nfs41_fh *out)
{
	struct sx x = {.kind = SX_MKDIR, .fh = dir, .name = name, .out_fh = out};
	char what[300];
	snprintf(what, sizeof(what), "creating directory %s", name);
	return sx_run(ss, &x, what);
}

int setup_open(struct bench_session *ss, const struct nfs41_fh *dir, const char *name,
	       uint32_t access, bool create, struct nfs41_fh *fh, struct nfs41_stateid *sid)
{
	struct sx x = {.kind = SX_OPEN, .fh = dir, .name = name, .access = access,
		       .create = create, .out_fh = fh, .out_sid = sid};
	char what[300];
	snprintf(what, sizeof(what), "opening %s", name);
	return sx_run(ss, &x, what);
}

int setup_touch(struct bench_session *ss, const struct nfs41_fh *dir, const char *name)
{
	struct sx x = {.kind = SX_TOUCH, .fh = dir, .name = name};
	char what[300];
	snprintf(what, sizeof(what), "creating %s", name);
	return sx_run(ss, &x, what);
}

int setup_write(struct bench_session *ss, const struct nfs41_fh *fh,
		const struct nfs41_stateid *sid, uint64_t offset, const uint8_t *data,
		uint32_t len, uint32_t stable)
{
	struct sx x = {.kind = SX_WRITE, .fh = fh, .sid = sid, .offset = offset, .data = data,
		       .len = len, .stable = stable};
	return sx_run(ss, &x, "writing a data file");
}

int setup_commit(struct bench_session *ss, const struct nfs41_fh *fh)
{
	struct sx x = {.kind = SX_COMMIT, .fh = fh};
	return sx_run(ss, &x, "committing a data file");
}

int setup_close(struct bench_session *ss, const struct nfs41_fh *fh,
		const struct nfs41_stateid *sid)
{
	struct sx x = {.kind = SX_CLOSE, .fh = fh, .sid = sid};
	return sx_run(ss, &x, "closing a file");
}

int setup_remove(struct bench_session *ss, const struct nfs41_fh *dir, const char *name)
{
	struct sx x = {.kind = SX_REMOVE, .fh = dir, .name = name};
	char what[300];
	snprintf(what, sizeof(what), "removing %s", name);
	return sx_run(ss, &x, what);
}
