/* libFuzzer target: COMPOUND arguments of every operation, served by the
 * real dispatch (nfs4_compound) of an in-process server on the memory back
 * end (tests/lib/inproc_server.h).
 *
 * Input layout:
 *
 *   byte 0   the prelude (modulo 6):
 *              0  v4.0, nothing before
 *              1  v4.0 with a client the target set up and confirmed
 *                 (SETCLIENTID, SETCLIENTID_CONFIRM)
 *              2  v4.1, nothing before
 *              3  v4.1 in a session the target made (EXCHANGE_ID,
 *                 CREATE_SESSION): its COMPOUND starts with a SEQUENCE
 *                 the target writes, then the input's operations
 *              4  v4.1 with that client and session, no SEQUENCE added
 *                 (the session-less operations, alone)
 *              5  v4.2 in a session made as for 3, with SEQUENCE added
 *   byte 1   the number of operations announced (SEQUENCE not counted)
 *   the rest the operations (nfs_argop4 after nfs_argop4), where every
 *            "@CLIENT@" (8 bytes) is replaced by the clientid of the
 *            prelude and every "@@SESSION@ID@@@@" (16 bytes) by its
 *            sessionid, so the input can name them although they are
 *            random
 *
 * A new server is built for every input (in the same static storage, with
 * no state directory, so that is cheap enough): nothing an input leaves
 * behind (files, clients, opens) reaches the next one, and a crash
 * reproduces from its input alone.  Memory files hold at most 1 MiB.
 *
 * Checked beyond "no sanitizer report": the call is done (never deferred or
 * parked: it runs as on a worker and no client answers callbacks), leaves
 * no per-request state, and its reply decodes with the codec's result
 * decoders: the tag echoed, no more results than operations (every one of
 * them when the status is NFS4_OK), all but the last successful, the last
 * one's status the COMPOUND's, nothing after it.
 * In a session, the same COMPOUND sent again on its slot and seqid is a
 * replay: when that SEQUENCE succeeds the results must be byte-identical.
 *
 * fuzz/make-compound-seeds.py writes the seeds (every operation appears in
 * them).  FUZZ_COMPOUND_VERBOSE=1 prints each COMPOUND's status and how
 * many results it has to stderr (to see how far a seed gets). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "lib/inproc_server.h"
#include "xdr/nfs4_codec.h"
#include "xdr/nfs4_codec_file.h"
#include "xdr/nfs4_codec_file_open.h"
#include "xdr/nfs4_codec_session.h"
#include "xdr/nfs4_prot.h"
#include "xdr/xdr.h"

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

enum {
	PRELUDE_V40 = 0,
	PRELUDE_V40_CLIENT = 1,
	PRELUDE_V41 = 2,
	PRELUDE_V41_SESSION = 3,
	PRELUDE_V41_SESSIONLESS = 4,
	PRELUDE_V42_SESSION = 5,
	PRELUDES
};

static const char CLIENT_MARK[8] = "@CLIENT@";
static const char SESSION_MARK[16] = "@@SESSION@ID@@@@";
static const char TAG[] = "fuzz";

static bool verbose;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *v = getenv("FUZZ_COMPOUND_VERBOSE");
	verbose = v && *v && *v != '0';
	/* A WRITE or SETATTR size from the input would otherwise allocate and
	 * clear up to a gigabyte per input (seconds each under ASan). */
	backend_memory_set_file_max(1 << 20);
	return 0;
}

struct prelude {
	uint64_t clientid;
	uint8_t sessionid[16];
};

/* Serves e's bytes; returns the reply (a reference) with d at the first
 * result, the COMPOUND status in *status.  Setting-up calls must work. */
static struct buf *serve_setup(struct inproc *ip, struct xdr_enc *e, struct xdr_dec *d,
			       uint32_t *status)
{
	struct inproc_served s;
	CHECK(!e->overflow);
	CHECK(inproc_serve(ip, e->buf->data, xdr_enc_len(e), &s));
	xdr_enc_release(e);
	CHECK(s.result.action == RPC_DISPATCH_DONE && s.result.stat == RPC_SUCCESS);
	CHECK(s.reply);
	xdr_dec_init(d, s.reply->data + s.results_off, s.reply->len - s.results_off);
	struct nfs4_compound_res_hdr h;
	CHECK(nfs4_dec_compound_res_hdr(d, &h));
	*status = h.status;
	return s.reply;
}

static void begin(struct xdr_enc *e, struct nfs4_compound_enc *c, uint32_t minor, uint32_t opnum)
{
	CHECK(xdr_enc_init(e, 256, 1u << 20));
	CHECK(nfs4_enc_compound_args_begin(c, e, (struct nfs4_opaque){(const uint8_t *)TAG, 4},
					   minor));
	CHECK(nfs4_enc_op(c, opnum));
}

static void v40_client(struct inproc *ip, struct prelude *p)
{
	struct xdr_enc e;
	struct nfs4_compound_enc c;
	struct xdr_dec d;
	uint32_t status, opnum, opstatus;
	begin(&e, &c, 0, OP_SETCLIENTID);
	xdr_encode_opaque_fixed(&e, "fuzzverf", 8);
	xdr_encode_opaque(&e, "fuzz v4.0 client", 16);
	xdr_encode_u32(&e, 0x40000000);
	xdr_encode_opaque(&e, "tcp", 3);
	xdr_encode_opaque(&e, "127.0.0.1.3.232", 15);
	xdr_encode_u32(&e, 1);
	nfs4_enc_compound_end(&c);
	struct buf *r = serve_setup(ip, &e, &d, &status);
	CHECK(status == NFS4_OK);
	CHECK(nfs4_dec_op_res(&d, &opnum, &opstatus) && opstatus == NFS4_OK);
	const uint8_t *confirm;
	CHECK(xdr_decode_u64(&d, &p->clientid));
	CHECK(xdr_decode_opaque_fixed(&d, 8, &confirm));
	uint8_t verf[8];
	memcpy(verf, confirm, 8);
	buf_unref(r);

	begin(&e, &c, 0, OP_SETCLIENTID_CONFIRM);
	xdr_encode_u64(&e, p->clientid);
	xdr_encode_opaque_fixed(&e, verf, 8);
	nfs4_enc_compound_end(&c);
	r = serve_setup(ip, &e, &d, &status);
	CHECK(status == NFS4_OK);
	buf_unref(r);
}

static void chan_attrs(struct xdr_enc *e, uint32_t maxops, uint32_t maxreqs)
{
	xdr_encode_u32(e, 0);          /* header pad */
	xdr_encode_u32(e, 1 << 20);    /* max request */
	xdr_encode_u32(e, 1 << 20);    /* max response */
	xdr_encode_u32(e, 64 << 10);   /* max response cached */
	xdr_encode_u32(e, maxops);
	xdr_encode_u32(e, maxreqs);
	xdr_encode_u32(e, 0);          /* no RDMA ird */
}

static void v41_session(struct inproc *ip, struct prelude *p)
{
	struct xdr_enc e;
	struct nfs4_compound_enc c;
	struct xdr_dec d;
	uint32_t status, opnum, opstatus;
	begin(&e, &c, 1, OP_EXCHANGE_ID);
	xdr_encode_opaque_fixed(&e, "fuzzverf", 8);
	xdr_encode_opaque(&e, "fuzz v4.1 client", 16);
	xdr_encode_u32(&e, 0); /* flags */
	xdr_encode_u32(&e, 0); /* SP4_NONE */
	xdr_encode_u32(&e, 0); /* no implementation id */
	nfs4_enc_compound_end(&c);
	struct buf *r = serve_setup(ip, &e, &d, &status);
	CHECK(status == NFS4_OK);
	CHECK(nfs4_dec_op_res(&d, &opnum, &opstatus) && opstatus == NFS4_OK);
	CHECK(xdr_decode_u64(&d, &p->clientid));
	buf_unref(r);

	begin(&e, &c, 1, OP_CREATE_SESSION);
	xdr_encode_u64(&e, p->clientid);
	xdr_encode_u32(&e, 1); /* csa_sequence */
	xdr_encode_u32(&e, 0); /* flags: no back channel (nobody would answer) */
	chan_attrs(&e, 64, 4);
	chan_attrs(&e, 2, 1);
	xdr_encode_u32(&e, 0x40000000); /* callback program */
	xdr_encode_u32(&e, 1);
	xdr_encode_u32(&e, 0); /* AUTH_NONE */
	nfs4_enc_compound_end(&c);
	r = serve_setup(ip, &e, &d, &status);
	CHECK(status == NFS4_OK);
	CHECK(nfs4_dec_op_res(&d, &opnum, &opstatus) && opstatus == NFS4_OK);
	const uint8_t *sid;
	CHECK(xdr_decode_opaque_fixed(&d, 16, &sid));
	memcpy(p->sessionid, sid, 16);
	buf_unref(r);
}

/* Copies the input's operations into e with the marks replaced. */
static void put_ops(struct xdr_enc *e, const uint8_t *ops, size_t n, const struct prelude *p)
{
	uint8_t clientid[8];
	xdr_put_be32(clientid, (uint32_t)(p->clientid >> 32));
	xdr_put_be32(clientid + 4, (uint32_t)p->clientid);
	size_t i = 0;
	while (i < n) {
		const uint8_t *run = ops + i;
		size_t len = 0;
		while (i < n) {
			if (n - i >= 16 && memcmp(ops + i, SESSION_MARK, 16) == 0)
				break;
			if (n - i >= 8 && memcmp(ops + i, CLIENT_MARK, 8) == 0)
				break;
			i++;
			len++;
		}
		if (len)
			xdr_encode_opaque_fixed(e, run, (uint32_t)len);
		if (i == n)
			break;
		if (n - i >= 16 && memcmp(ops + i, SESSION_MARK, 16) == 0) {
			xdr_encode_opaque_fixed(e, p->sessionid, 16);
			i += 16;
		} else {
			xdr_encode_opaque_fixed(e, clientid, 8);
			i += 8;
		}
	}
}

/* Any result body the server sends, as the codec decodes it. */
union any_res {
	struct nfs4_access_res access;
	struct nfs4_stateid_res stateid;
	struct nfs4_commit_res commit;
	struct nfs4_create_res create;
	struct nfs4_getattr_res getattr;
	struct nfs4_getfh_res getfh;
	struct nfs4_cinfo_res cinfo;
	struct nfs4_lock_denied denied;
	struct nfs4_open_res open;
	struct nfs4_read_res read;
	struct nfs4_readdir_res readdir;
	struct nfs4_readlink_res readlink;
	struct nfs4_rename_res rename;
	struct nfs4_secinfo_res secinfo;
	struct nfs4_setattr_res setattr;
	struct nfs4_setclientid_res setclientid;
	struct nfs4_write_res write;
	struct nfs4_bind_conn_to_session_res bind;
	struct nfs4_exchange_id_res exchange_id;
	struct nfs4_create_session_res create_session;
	struct nfs4_sequence_res sequence;
	struct nfs4_set_ssv_res set_ssv;
	struct nfs4_test_stateid_res test_stateid;
	struct nfs4_want_delegation_res want;
	struct nfs4_get_dir_delegation_res gdd;
	struct nfs4_getxattr_res getxattr;
	struct nfs4_listxattrs_res listxattrs;
	struct nfs4_copy_res copy;
	struct nfs4_copy_requirements copy_reqs;
	struct nfs4_offload_status_res offload_status;
	struct nfs4_seek_res seek;
	struct nfs4_read_plus_res read_plus;
	struct nfs4_io_advise_res io_advise;
};

enum body { BODY_OK, BODY_BAD, BODY_UNKNOWN };

/* Decodes the body that follows a result's status with the codec: what a
 * client does with it.  BODY_UNKNOWN for an error result whose body is a
 * kept earlier answer (a v4.0 OPEN or a CREATE_SESSION replayed). */
static enum body decode_body(struct xdr_dec *d, uint32_t opnum, uint32_t status)
{
	union any_res u;
	bool ok = true;
	if (status != NFS4_OK) {
		switch (opnum) {
		case OP_SETATTR: /* attrsset, whatever the status */
			ok = nfs4_dec_setattr_res(d, &u.setattr);
			break;
		case OP_LOCK:
		case OP_LOCKT:
			ok = status != NFS4ERR_DENIED || nfs4_dec_lock_denied(d, &u.denied);
			break;
		case OP_SETCLIENTID:
			ok = nfs4_dec_setclientid_res(d, status, &u.setclientid);
			break;
		case OP_OPEN:
		case OP_CREATE_SESSION:
			return BODY_UNKNOWN;
		case OP_COPY:
			ok = status != NFS4ERR_OFFLOAD_NO_REQS ||
			     nfs4_dec_copy_requirements(d, &u.copy_reqs);
			break;
		}
		return ok ? BODY_OK : BODY_BAD;
	}
	switch (opnum) {
	case OP_ACCESS: ok = nfs4_dec_access_res(d, &u.access); break;
	case OP_CLOSE:
	case OP_LOCK:
	case OP_LOCKU:
	case OP_OPEN_CONFIRM:
	case OP_OPEN_DOWNGRADE: ok = nfs4_dec_stateid_res(d, &u.stateid); break;
	case OP_COMMIT: ok = nfs4_dec_commit_res(d, &u.commit); break;
	case OP_CREATE: ok = nfs4_dec_create_res(d, &u.create); break;
	case OP_GETATTR: ok = nfs4_dec_getattr_res(d, &u.getattr); break;
	case OP_GETFH: ok = nfs4_dec_getfh_res(d, &u.getfh); break;
	case OP_LINK:
	case OP_REMOVE: ok = nfs4_dec_cinfo_res(d, &u.cinfo); break;
	case OP_OPEN: ok = nfs4_dec_open_res(d, &u.open); break;
	case OP_READ: ok = nfs4_dec_read_res(d, &u.read); break;
	case OP_READDIR: ok = nfs4_dec_readdir_res(d, &u.readdir); break;
	case OP_READLINK: ok = nfs4_dec_readlink_res(d, &u.readlink); break;
	case OP_RENAME: ok = nfs4_dec_rename_res(d, &u.rename); break;
	case OP_SECINFO:
	case OP_SECINFO_NO_NAME: ok = nfs4_dec_secinfo_res(d, &u.secinfo); break;
	case OP_SETATTR: ok = nfs4_dec_setattr_res(d, &u.setattr); break;
	case OP_SETCLIENTID: ok = nfs4_dec_setclientid_res(d, status, &u.setclientid); break;
	case OP_WRITE: ok = nfs4_dec_write_res(d, &u.write); break;
	case OP_BIND_CONN_TO_SESSION: ok = nfs4_dec_bind_conn_to_session_res(d, &u.bind); break;
	case OP_EXCHANGE_ID: ok = nfs4_dec_exchange_id_res(d, &u.exchange_id); break;
	case OP_CREATE_SESSION: ok = nfs4_dec_create_session_res(d, &u.create_session); break;
	case OP_SEQUENCE: ok = nfs4_dec_sequence_res(d, &u.sequence); break;
	case OP_SET_SSV: ok = nfs4_dec_set_ssv_res(d, &u.set_ssv); break;
	case OP_TEST_STATEID: ok = nfs4_dec_test_stateid_res(d, &u.test_stateid); break;
	case OP_WANT_DELEGATION: ok = nfs4_dec_want_delegation_res(d, &u.want); break;
	case OP_COPY: ok = nfs4_dec_copy_res(d, &u.copy); break;
	case OP_OFFLOAD_STATUS: ok = nfs4_dec_offload_status_res(d, &u.offload_status); break;
	case OP_GET_DIR_DELEGATION:
		ok = nfs4_dec_get_dir_delegation_res(d, &u.gdd);
		break;
	case OP_GETXATTR: ok = nfs4_dec_getxattr_res(d, &u.getxattr); break;
	case OP_SETXATTR:
	case OP_REMOVEXATTR: ok = nfs4_dec_cinfo_res(d, &u.cinfo); break;
	case OP_LISTXATTRS: ok = nfs4_dec_listxattrs_res(d, &u.listxattrs); break;
	case OP_SEEK: ok = nfs4_dec_seek_res(d, &u.seek); break;
	case OP_READ_PLUS: ok = nfs4_dec_read_plus_res(d, &u.read_plus); break;
	case OP_IO_ADVISE: ok = nfs4_dec_io_advise_res(d, &u.io_advise); break;
	default: break; /* no body */
	}
	return ok ? BODY_OK : BODY_BAD;
}

/* Every result decodes with the codec, all but the last succeeded, the
 * last one's status is the COMPOUND's, and nothing follows. */
static void walk_results(struct xdr_dec *d, const struct nfs4_compound_res_hdr *h)
{
	for (uint32_t i = 0; i < h->numres; i++) {
		uint32_t opnum, status;
		CHECK(nfs4_dec_op_res(d, &opnum, &status));
		CHECK((opnum >= OP_ACCESS && opnum <= OP_REMOVEXATTR) || opnum == OP_ILLEGAL);
		if (i + 1 < h->numres)
			CHECK(status == NFS4_OK);
		else
			CHECK(status == h->status);
		enum body b = decode_body(d, opnum, status);
		CHECK(b != BODY_BAD);
		if (b == BODY_UNKNOWN)
			return;
	}
	CHECK(xdr_dec_remaining(d) == 0);
}

/* Checks the reply of the fuzzed COMPOUND of numops operations. */
static void check_reply(const struct inproc_served *s, uint32_t numops)
{
	CHECK(s->result.action == RPC_DISPATCH_DONE);
	CHECK(!s->prog_state_left);
	CHECK(s->reply);
	if (s->result.stat != RPC_SUCCESS) {
		CHECK(s->result.stat == RPC_GARBAGE_ARGS);
		return;
	}
	struct xdr_dec d;
	xdr_dec_init(&d, s->reply->data + s->results_off, s->reply->len - s->results_off);
	struct nfs4_compound_res_hdr h;
	CHECK(nfs4_dec_compound_res_hdr(&d, &h));
	CHECK(h.tag.len == 4 && memcmp(h.tag.data, TAG, 4) == 0);
	CHECK(h.numres <= numops);
	if (h.status == NFS4_OK)
		CHECK(h.numres == numops);
	walk_results(&d, &h);
	if (verbose) /* the last result is the one that failed, if any */
		fprintf(stderr, "compound: status %u, %u of %u results\n", h.status, h.numres,
			numops);
}

static bool sequence_ok(const struct inproc_served *s)
{
	struct xdr_dec d;
	xdr_dec_init(&d, s->reply->data + s->results_off, s->reply->len - s->results_off);
	struct nfs4_compound_res_hdr h;
	uint32_t opnum, status;
	return s->result.stat == RPC_SUCCESS && nfs4_dec_compound_res_hdr(&d, &h) &&
	       h.numres >= 1 && nfs4_dec_op_res(&d, &opnum, &status) &&
	       opnum == OP_SEQUENCE && status == NFS4_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned prelude = data[0] % PRELUDES;
	uint32_t announced = data[1];
	const uint8_t *ops = data + 2;
	size_t nops = size - 2;
	bool session = prelude == PRELUDE_V41_SESSION || prelude == PRELUDE_V42_SESSION;
	uint32_t minor = prelude == PRELUDE_V42_SESSION ? 2 : prelude >= PRELUDE_V41 ? 1 : 0;

	static struct inproc server;
	struct inproc *ip = &server;
	CHECK(inproc_init_diskless(ip, LOG_LEVEL_ERROR));
	struct prelude p = {0};
	if (prelude == PRELUDE_V40_CLIENT)
		v40_client(ip, &p);
	else if (prelude >= PRELUDE_V41_SESSION)
		v41_session(ip, &p);

	struct xdr_enc e;
	struct nfs4_compound_enc c;
	CHECK(xdr_enc_init(&e, 256 + nops, 1u << 21));
	CHECK(nfs4_enc_compound_args_begin(&c, &e, (struct nfs4_opaque){(const uint8_t *)TAG, 4},
					   minor));
	if (session) {
		CHECK(nfs4_enc_op(&c, OP_SEQUENCE));
		xdr_encode_opaque_fixed(&e, p.sessionid, 16);
		xdr_encode_u32(&e, 1); /* seqid */
		xdr_encode_u32(&e, 0); /* slot */
		xdr_encode_u32(&e, 0); /* highest slot */
		xdr_encode_bool(&e, true);
	}
	put_ops(&e, ops, nops, &p);
	nfs4_enc_compound_end(&c);
	uint32_t numops = announced + (session ? 1 : 0);
	xdr_enc_patch_u32(&e, c.count_off, numops);
	CHECK(!e.overflow);

	struct inproc_served first;
	CHECK(inproc_serve(ip, e.buf->data, xdr_enc_len(&e), &first));
	check_reply(&first, numops);

	if (session && sequence_ok(&first)) {
		/* The same slot and seqid again: a replay of the kept reply. */
		struct inproc_served again;
		CHECK(inproc_serve(ip, e.buf->data, xdr_enc_len(&e), &again));
		check_reply(&again, numops);
		if (sequence_ok(&again)) {
			size_t a = first.reply->len - first.results_off;
			size_t b = again.reply->len - again.results_off;
			CHECK(a == b);
			CHECK(memcmp(first.reply->data + first.results_off,
				     again.reply->data + again.results_off, a) == 0);
		}
		buf_unref(again.reply);
	}
	buf_unref(first.reply);
	xdr_enc_release(&e);
	inproc_fini(ip);
	return 0;
}
