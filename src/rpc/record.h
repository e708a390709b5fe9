/* RPC record marking over a byte stream (RFC 5531 section 11).
 *
 * The reader owns an input buffer that the transport reads into.  A record
 * that arrives as a single fragment is handed out in place, as a slice of the
 * input buffer holding a reference on it, so no byte is copied; a record in
 * several fragments is assembled into a buffer of its own. */
#ifndef FERRY_RPC_RECORD_H
#define FERRY_RPC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum {
	RPC_RECORD_LAST_FRAG = 0x80000000u,
	RPC_RECORD_LEN_MASK = 0x7fffffffu,
	RPC_RECORD_MIN_READ = 64 * 1024, /* input buffer size for small records */
};

/* One complete record.  Holds a reference on buf; release with
 * rpc_record_release. */
struct rpc_record {
	struct buf *buf;
	const uint8_t *data;
	size_t len;
};

static inline void rpc_record_release(struct rpc_record *rec)
{
	buf_unref(rec->buf);
	rec->buf = NULL;
}

enum rpc_record_status {
	RPC_RECORD_NEED_MORE = 0, /* no complete record buffered */
	RPC_RECORD_READY,         /* *out holds a record */
	RPC_RECORD_TOO_BIG,       /* a fragment or the record exceeds the maximum */
	RPC_RECORD_EMPTY,         /* a record of zero bytes: not an RPC message */
	RPC_RECORD_NOMEM,
};

struct rpc_record_reader {
	uint32_t max_record;  /* largest record accepted, in bytes */
	struct buf *in;       /* input bytes; NULL until the first read */
	size_t start;         /* first unconsumed byte in in->data */
	struct buf *assembly; /* fragments of the record in progress, or NULL */
};

void rpc_record_reader_init(struct rpc_record_reader *r, uint32_t max_record);

/* Frees the buffers; records already handed out stay valid. */
void rpc_record_reader_destroy(struct rpc_record_reader *r);

/* Returns where the next read should put its bytes and how many fit.  The
 * fragment being received ends up contiguous; the room for it grows with
 * the bytes that arrived (doubling), never to more than it announced, so a
 * peer that announces a large fragment and sends little pins little.
 * Returns NULL when out of memory. */
uint8_t *rpc_record_read_space(struct rpc_record_reader *r, size_t *avail);

/* Accounts n bytes just written at the space returned above. */
void rpc_record_commit(struct rpc_record_reader *r, size_t n);

/* Extracts the next complete record, if any. */
enum rpc_record_status rpc_record_next(struct rpc_record_reader *r, struct rpc_record *out);

/* True when no partial record is buffered. */
bool rpc_record_reader_idle(const struct rpc_record_reader *r);

/* Drops the input buffer if it holds no bytes, so an idle connection keeps
 * no large allocation. */
void rpc_record_reader_trim(struct rpc_record_reader *r);

#endif
