/* RPC record marking over a byte stream (RFC 5531 section 11).
 *
 * The reader owns an input buffer that the transport reads into.  A record
 * that arrives as a single fragment is handed out in place, as a slice of the
 * input buffer holding a reference on it, so no byte is copied; a record in
 * several fragments is assembled into a buffer of its own.
 *
 * A large single-fragment record may carry a payload its program would
 * rather receive into a pipe (a WRITE's data, bound for a file): the reader
 * then splices that range from the socket into a pipe of the server's pool,
 * socket pages moved by reference, and reads the rest of the record as
 * usual.  The record buffer still spans the whole record, so the decoder
 * sees it contiguous, but the spliced range ("the hole") of it is never
 * written: its bytes are in the pipe (rpc_request_args_pipe). */
#ifndef FERRY_RPC_RECORD_H
#define FERRY_RPC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/pipe_pool.h"

enum {
	RPC_RECORD_LAST_FRAG = 0x80000000u,
	RPC_RECORD_LEN_MASK = 0x7fffffffu,
	RPC_RECORD_MIN_READ = 64 * 1024, /* input buffer size for small records */
	/* Records this large may have a payload spliced: below it, one more
	 * system call and a pipe cost more than the copy they save. */
	RPC_RECORD_BULK_MIN = 128 * 1024,
	/* Bytes of a large record read before asking where its payload is:
	 * enough for any RPC header (credentials are at most 400 bytes), the
	 * first RPC_ARGS_HEAD_IN_MEMORY bytes of the arguments and the
	 * operations ahead of a WRITE. */
	RPC_RECORD_BULK_PREFIX = 4096,
	/* A payload range with less than this left to receive is read. */
	RPC_RECORD_BULK_MIN_HOLE = 32 * 1024,
};

/* Whether a record (rec, have of its len bytes arrived) has a payload to
 * splice: its range [*off, *off + *blen) within len.  arg is the caller's. */
typedef bool (*rpc_record_bulk_fn)(void *arg, const uint8_t *rec, size_t have, size_t len,
				   size_t *off, size_t *blen);

/* What rpc_record_plan_bulk decided for the record being received. */
enum rpc_record_bulk {
	RPC_RECORD_BULK_UNDECIDED = 0, /* not enough of it yet */
	RPC_RECORD_BULK_NONE,          /* read it all into memory */
	RPC_RECORD_BULK_SPLICE,        /* its payload goes into a pipe */
	/* It had one, but no pipe was free: read it into memory (returned
	 * once; the reader then says NONE). */
	RPC_RECORD_BULK_NO_PIPE,
};

/* One complete record.  Holds a reference on buf; release with
 * rpc_record_release. */
struct rpc_record {
	struct buf *buf;
	const uint8_t *data;
	size_t len;
	/* The hole: data[hole_off, hole_off + hole_len) is in pipe, not in
	 * buf, while pipe is set.  hole_lost: its bytes were handed out
	 * (rpc_request_args_pipe) or could not be read in. */
	struct pooled_pipe *pipe;
	struct pipe_pool *pipe_pool;
	size_t hole_off, hole_len;
	bool hole_lost;
};

/* Drops the buffer and gives the pipe back (closed if bytes are left). */
static inline void rpc_record_release(struct rpc_record *rec)
{
	buf_unref(rec->buf);
	rec->buf = NULL;
	if (rec->pipe)
		pipe_pool_put(rec->pipe_pool, rec->pipe);
	rec->pipe = NULL;
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

	/* Splicing (see the top): the pool (NULL: never), what was decided
	 * for the record at start, and its hole [hole_start, hole_start +
	 * hole_len) counted from the record mark, hole_done of it spliced. */
	struct pipe_pool *pipes;
	enum rpc_record_bulk bulk;
	struct pooled_pipe *pipe;
	size_t hole_start, hole_len, hole_done;
	/* The previous record had a payload spliced: the next may too, so
	 * its start is read in small steps (see rpc_record_read_space). */
	bool bulk_after;
};

void rpc_record_reader_init(struct rpc_record_reader *r, uint32_t max_record);

/* Gives back the pipe of a partial record (the connection closed: it
 * will never complete). */
void rpc_record_reader_release_pipe(struct rpc_record_reader *r);

/* Frees the buffers and gives back the pipe of a partial record; records
 * already handed out stay valid. */
void rpc_record_reader_destroy(struct rpc_record_reader *r);

/* Returns where the next read should put its bytes and how many fit.  The
 * fragment being received ends up contiguous; the room for it grows with
 * the bytes that arrived (doubling), never to more than it announced, so a
 * peer that announces a large fragment and sends little pins little.
 * Returns NULL when out of memory. */
uint8_t *rpc_record_read_space(struct rpc_record_reader *r, size_t *avail);

/* Decides, once enough of it is buffered, whether the record being
 * received has its payload spliced (asking fn, with arg); returns the
 * decision (UNDECIDED until then).  Called before each transfer; cheap
 * once decided. */
enum rpc_record_bulk rpc_record_plan_bulk(struct rpc_record_reader *r, rpc_record_bulk_fn fn,
					  void *arg);

/* Bytes the next transfer should splice into *pipe, or 0 when it is a
 * read (rpc_record_read_space). */
size_t rpc_record_splice_want(const struct rpc_record_reader *r, struct pooled_pipe **pipe);

/* Accounts n bytes just spliced into the pipe.  False when out of memory
 * (the buffer grows to the whole record once the hole is complete). */
bool rpc_record_spliced(struct rpc_record_reader *r, size_t n);

/* Splicing failed (an error, a pipe full before its size): the rest of the
 * payload is read into the buffer.  False when out of memory. */
bool rpc_record_splice_stop(struct rpc_record_reader *r);

/* Accounts n bytes just written at the space returned above. */
void rpc_record_commit(struct rpc_record_reader *r, size_t n);

/* Extracts the next complete record, if any. */
enum rpc_record_status rpc_record_next(struct rpc_record_reader *r, struct rpc_record *out);

/* Whether the bytes buffered and not yet taken as records can be handed
 * to another reader as they are (rpc_record_reader_unread): no record is
 * being assembled from fragments or spliced. */
bool rpc_record_reader_handable(const struct rpc_record_reader *r);
/* Those bytes (in place; valid until the reader changes). */
size_t rpc_record_reader_unread(const struct rpc_record_reader *r, const uint8_t **p);
/* Takes len bytes as if just received (a connection handed over from
 * another process).  False when out of memory. */
bool rpc_record_reader_preload(struct rpc_record_reader *r, const uint8_t *p, size_t len);

/* True when no partial record is buffered. */
bool rpc_record_reader_idle(const struct rpc_record_reader *r);

/* Drops the input buffer if it holds no bytes, so an idle connection keeps
 * no large allocation. */
void rpc_record_reader_trim(struct rpc_record_reader *r);

#endif
