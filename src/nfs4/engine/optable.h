/* The operation table (optable.c): for each operation the minor versions
 * that define it, its decoder and handler, what the dispatcher (compound.c)
 * checks or does around it, how large its reply can be, and where its
 * stateid argument is. */
#ifndef FERRY_NFS4_OPTABLE_H
#define FERRY_NFS4_OPTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "xdr/nfs4_types.h"
#include "xdr/xdr.h"

struct nfs4_compound;

/* Flags of an operation in the op table (optable.c).  The dispatcher does
 * what they say before (or after) the handler runs, so handlers need not. */
enum {
	NFS4_OPF_NEED_FH = 1u << 0,   /* NFS4ERR_NOFILEHANDLE without a current fh */
	NFS4_OPF_MAY_BLOCK = 1u << 1, /* run on a worker thread (disk syncs, big I/O) */
	NFS4_OPF_V40_ONLY = 1u << 2,  /* v4.1 answers NFS4ERR_NOTSUPP */
	NFS4_OPF_SESSIONLESS = 1u << 3, /* v4.1: may come without SEQUENCE, alone */
	/* Changes state (files, opens, locks, clients): in a v4.1 session it
	 * is refused with NFS4ERR_REP_TOO_BIG(_TO_CACHE) before it runs when
	 * its reply estimate would not fit, so a change is never made whose
	 * reply the client cannot get (RFC 8881 2.10.6.4).  Other operations
	 * run and are refused afterwards if their reply did not fit. */
	NFS4_OPF_CHANGES_STATE = 1u << 4,
	/* Writes to the file system of the current fh: NFS4ERR_ROFS when that
	 * is the pseudo-fs or a read-only export (implies NEED_FH).  The
	 * handler then always has c->cfh on a read-write export. */
	NFS4_OPF_ROFS = 1u << 5,
	/* On success the result body starts with a stateid4, which becomes
	 * the current stateid (RFC 8881 16.2.3.1.2). */
	NFS4_OPF_SETS_STATEID = 1u << 6,
	/* Looks up or changes names or attributes in the back end (and maybe
	 * the host's user database), or puts a small WRITE's bytes into the
	 * page cache: quick as a rule, so it runs on the event loop, until its
	 * export proves slow (export_stall_*). */
	NFS4_OPF_MAY_STALL = 1u << 7,
	/* Run twice it fails or acts twice, and no owner seqid guards it
	 * (CREATE, REMOVE, RENAME...): a v4.0 COMPOUND that runs it keeps its
	 * reply for retransmissions (rpc/drc.h). */
	NFS4_OPF_NOT_IDEMPOTENT = 1u << 8,
	/* May wait for a disk, but usually finds its data in memory (READ
	 * from the page cache, a small unstable WRITE into it): tried on the
	 * event loop with I/O that does not wait, and moved to the worker
	 * pool only when the handler says it would block (c->would_block),
	 * or at once while its export is slow (export_stall_*).  A hand-off
	 * costs more than a small READ or WRITE. */
	NFS4_OPF_TRY_INLINE = 1u << 9,
	/* The current fh must be a directory (NFS4ERR_NOTDIR, or
	 * NFS4ERR_SYMLINK: nfs4_need_dir) / a regular file of an export
	 * (nfs4_need_regular_attr): checked right before the handler, which
	 * finds the attributes read for it at c->cfh_attr. */
	NFS4_OPF_NEED_DIR = 1u << 10,
	NFS4_OPF_NEED_REG = 1u << 11,
	/* Makes, removes or renames names, or changes attributes (OPEN, which
	 * may create, among them): on an export whose back end waits on a
	 * metadata server for that (export_changes_wait_remote), it goes to
	 * the remote pool at once. */
	NFS4_OPF_META_CHANGE = 1u << 12,
};

/* The hooks of an operation (optable.c).  The dispatcher decodes its
 * arguments with the codec into a struct of the op table's args_size bytes
 * (NFS4ERR_BADXDR when they do not decode), and the handler serves them:
 * nfs4_op_NAME (nfs4/ops/ops.h), args pointing to that struct. */
typedef bool (*nfs4_op_decode_fn)(struct xdr_dec *d, void *args);
typedef enum nfsstat4 (*nfs4_op_serve_fn)(struct nfs4_compound *c, void *args,
					  struct xdr_enc *res);

/* The largest result body (the bytes after the status) the operation can
 * produce on success for these decoded arguments (as READ's count).  An
 * error result that changes nothing (LOCK's NFS4ERR_DENIED) need not be
 * covered: it is checked after the operation like any read. */
typedef uint32_t (*nfs4_op_reply_fn)(const struct nfs4_compound *c, const void *args);

/* The stateid argument that may be the v4.1 current stateid, inside the
 * decoded arguments, or NULL when this use of the operation has none
 * (LOCK names one of two). */
typedef struct nfs4_stateid *(*nfs4_op_stateid_fn)(void *args);

struct nfs4_op_desc {
	const char *name;
	/* NULL for an operation Ferry does not serve: NFS4ERR_NOTSUPP. */
	nfs4_op_serve_fn serve;
	nfs4_op_decode_fn decode;
	uint16_t args_size;
	uint8_t minor_min, minor_max; /* the minor versions that define the op */
	uint16_t flags;               /* NFS4_OPF_* */
	/* Reply-size estimate: reply_size(c, args) when set, else the
	 * constant reply_max. */
	uint32_t reply_max;
	nfs4_op_reply_fn reply_size;
	/* Set for an operation whose stateid argument may be the current
	 * stateid (v4.1, seqid 1 and other all zeros): the dispatcher
	 * resolves it in the decoded arguments before the handler runs
	 * (NFS4ERR_BAD_STATEID when there is none). */
	nfs4_op_stateid_fn stateid_arg;
	/* Set for an operation whose result has a body whatever its status
	 * (SETATTR's attrsset): encodes that body for an error result the
	 * dispatcher makes (the operation refused before it ran) or whose
	 * body it drops (a reply too big). */
	void (*refused_body)(struct xdr_enc *res);
};

/* The largest decoded arguments struct of any operation. */
enum { NFS4_OP_ARGS_MAX = 512 };

/* One past the highest operation number in the table. */
enum { NFS4_OP_TABLE_SIZE = OP_REMOVEXATTR + 1 };

/* The descriptor of an operation number, or NULL if no minor version
 * defines it. */
const struct nfs4_op_desc *nfs4_op_describe(uint32_t opnum);

/* The operation's reply-size estimate for its decoded arguments. */
uint32_t nfs4_op_reply_estimate(const struct nfs4_op_desc *desc, const struct nfs4_compound *c,
				const void *args);

#endif
