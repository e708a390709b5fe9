/* libFuzzer target: a TCP byte stream through the record reader and the RPC
 * header decoders, read the way a transport reads it.
 *
 * Input layout (so the fuzzer also chooses how the stream is cut into reads):
 *
 *   byte 0        bits 0-2: n, the number of read sizes that follow
 *                 bit 3:    hold records until the end instead of releasing
 *                           each at once (keeps input buffers shared)
 *   2*n bytes     read sizes, little-endian u16, used in turn; 0 means "as
 *                 much as the reader offers"
 *   the rest      the byte stream
 *
 * Checked beyond "no sanitizer report": every record's bytes are unchanged
 * when it is finally released (the reader never reuses a buffer a record
 * still points into), the reader always offers room to read into, and an
 * AUTH_SYS credential that decodes re-encodes to one that decodes the same.
 * The whole input is also given to rpc_decode_auth_sys directly. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rpc/record.h"
#include "rpc/rpc_msg.h"
#include "xdr/xdr.h"

enum {
	FUZZ_MAX_RECORD = 64 * 1024,
	FUZZ_MAX_HELD = 32,
};

#define CHECK(cond)                          \
	do {                                 \
		if (!(cond))                 \
			__builtin_trap();    \
	} while (0)

struct held {
	struct rpc_record rec;
	uint64_t sum;
};

static uint64_t checksum(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h ^ n;
}

static void check_cred(const struct rpc_cred *c)
{
	CHECK(c->ngids <= RPC_AUTH_SYS_MAX_GIDS);
	CHECK(memchr(c->machinename, '\0', sizeof(c->machinename)) != NULL);
}

/* An AUTH_SYS credential that decoded must survive encode + decode. */
static void check_auth_sys_round_trip(const struct rpc_cred *c)
{
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 512, 4096))
		return;
	CHECK(rpc_encode_call(&e, 1, 2, 3, 4, c));
	struct xdr_dec d;
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	uint32_t xid, type;
	struct rpc_call_hdr hdr;
	struct rpc_cred back;
	enum rpc_auth_stat st;
	CHECK(rpc_decode_msg_start(&d, &xid, &type));
	CHECK(rpc_decode_call(&d, &hdr, &back, &st) == RPC_CALL_OK);
	CHECK(xdr_dec_remaining(&d) == 0);
	CHECK(back.flavor == RPC_AUTH_SYS && back.stamp == c->stamp && back.uid == c->uid &&
	      back.gid == c->gid && back.ngids == c->ngids);
	CHECK(memcmp(back.gids, c->gids, c->ngids * sizeof(c->gids[0])) == 0);
	CHECK(strcmp(back.machinename, c->machinename) == 0);
	xdr_enc_release(&e);
}

static void decode_record(const uint8_t *p, size_t n)
{
	struct xdr_dec d;
	xdr_dec_init(&d, p, n);
	uint32_t xid, type;
	if (!rpc_decode_msg_start(&d, &xid, &type))
		return;
	if (type == RPC_MSG_CALL) {
		struct rpc_call_hdr hdr;
		struct rpc_cred cred;
		enum rpc_auth_stat st = RPC_AUTH_OK;
		enum rpc_call_decode r = rpc_decode_call(&d, &hdr, &cred, &st);
		CHECK(d.p >= p && d.p <= p + n);
		if (r == RPC_CALL_OK) {
			check_cred(&cred);
			CHECK(hdr.cred_len <= RPC_AUTH_MAX_BODY);
			CHECK(hdr.cred_body >= p && hdr.cred_body + hdr.cred_len <= p + n);
			if (cred.flavor == RPC_AUTH_SYS)
				check_auth_sys_round_trip(&cred);
		} else if (r == RPC_CALL_AUTH_ERROR) {
			CHECK(st == RPC_AUTH_BADCRED || st == RPC_AUTH_BADVERF);
		}
	} else if (type == RPC_MSG_REPLY) {
		struct rpc_reply_hdr hdr;
		if (rpc_decode_reply(&d, &hdr))
			CHECK(hdr.reply_stat == RPC_MSG_ACCEPTED ||
			      hdr.reply_stat == RPC_MSG_DENIED);
		CHECK(d.p >= p && d.p <= p + n);
	}
}

static void release_held(struct held *h, size_t *nheld)
{
	for (size_t i = 0; i < *nheld; i++) {
		CHECK(checksum(h[i].rec.data, h[i].rec.len) == h[i].sum);
		rpc_record_release(&h[i].rec);
	}
	*nheld = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_cred cred;
	if (size <= UINT32_MAX && rpc_decode_auth_sys(data, (uint32_t)size, &cred))
		check_cred(&cred);

	if (size < 1)
		return 0;
	size_t nsizes = data[0] & 7;
	bool hold = (data[0] & 8) != 0;
	if (size < 1 + 2 * nsizes)
		return 0;
	const uint8_t *sizes = data + 1;
	const uint8_t *stream = data + 1 + 2 * nsizes;
	size_t len = size - 1 - 2 * nsizes;

	struct rpc_record_reader r;
	rpc_record_reader_init(&r, FUZZ_MAX_RECORD);
	struct held held[FUZZ_MAX_HELD];
	size_t nheld = 0;
	size_t off = 0, turn = 0, delivered = 0;
	bool closed = false;

	while (off < len && !closed) {
		size_t avail = 0;
		uint8_t *space = rpc_record_read_space(&r, &avail);
		if (!space)
			break; /* out of memory: the transport would drop the connection */
		CHECK(avail > 0);
		size_t want = len - off;
		if (nsizes) {
			size_t s = (size_t)sizes[2 * (turn % nsizes)] |
				   (size_t)sizes[2 * (turn % nsizes) + 1] << 8;
			turn++;
			if (s && s < want)
				want = s;
		}
		if (want > avail)
			want = avail;
		memcpy(space, stream + off, want);
		rpc_record_commit(&r, want);
		off += want;

		for (;;) {
			struct rpc_record rec;
			enum rpc_record_status st = rpc_record_next(&r, &rec);
			if (st == RPC_RECORD_NEED_MORE)
				break;
			if (st != RPC_RECORD_READY) {
				closed = true; /* TOO_BIG, EMPTY, NOMEM: connection closed */
				break;
			}
			CHECK(rec.len > 0 && rec.len <= FUZZ_MAX_RECORD);
			CHECK(rec.data >= rec.buf->data &&
			      rec.data + rec.len <= rec.buf->data + rec.buf->cap);
			delivered += rec.len + 4;
			CHECK(delivered <= off);
			decode_record(rec.data, rec.len);
			if (hold) {
				if (nheld == FUZZ_MAX_HELD)
					release_held(held, &nheld);
				held[nheld].rec = rec;
				held[nheld].sum = checksum(rec.data, rec.len);
				nheld++;
			} else {
				rpc_record_release(&rec);
			}
		}
		if (!closed && rpc_record_reader_idle(&r) && (turn & 1))
			rpc_record_reader_trim(&r);
	}
	rpc_record_reader_destroy(&r);
	release_held(held, &nheld);
	return 0;
}
