/* What the NFSv3 program's files share. */
#ifndef FERRY_NFS3_NFS3_INTERNAL_H
#define FERRY_NFS3_NFS3_INTERNAL_H

#include "export/durable.h"
#include "export/fh.h"
#include "nfs3/nfs3.h"
#include "xdr/nfs3_codec.h"
#include "xdr/nfsacl_codec.h"

struct rpc_drc_entry;

/* One call being served, on a worker. */
struct nfs3_call {
	struct nfs3_server *srv;
	struct rpc_request *req;
	struct backend_cred cred; /* the caller on the export, after squashing */
	/* The procedure parked the request (rpc_request_wait_memory) before
	 * it encoded anything: it runs again, from its arguments, once
	 * resumed. */
	bool parked;
	/* On an event loop, the procedure found it would wait for a disk
	 * before it encoded anything: it runs again on a worker. */
	bool defer;
	/* What the call's changes wait for (nfs3_durable_note); NULL: none. */
	struct nfs3_pending *pending;
	/* The handle LOOKUP or a create answers with: the results point
	 * into it until they are encoded, after the procedure returns. */
	struct fh obj;
};

/* A call waiting for the committer, with what it needs once resumed:
 * its reply cache entry, and the failure arm of its results should the
 * flush fail (attributes only: nothing that points elsewhere). */
struct nfs3_pending {
	struct export_durable_wait w;
	const struct nfs3_table *table; /* the call's program */
	uint32_t proc;
	uint64_t t0;
	struct rpc_drc_entry *drc_entry;
	struct nfs3_wcc wcc, wcc2;
	struct nfs3_post_attr attr;
};

/* Any procedure's decoded arguments, of either program. */
union nfs3_any_args {
	union nfs3_args v3;
	union nfsacl_args acl;
};

/* A program served through the NFSv3 pipeline (program.c): NFSv3, and
 * NFSACL beside it (acl.c), with the same reply cache, counters, workers
 * and committer.  Procedure 0 is NULL. */
struct nfs3_table {
	const char *program; /* in log lines */
	uint32_t nprocs;
	uint32_t stats_base; /* its NULL's counter (nfs3_stats_count) */
	const char *(*name)(uint32_t proc);
	/* Kept in the reply cache: a second run fails or acts twice. */
	bool (*not_idempotent)(uint32_t proc);
	/* Tried on the event loop that read the call (see program.c). */
	bool (*may_run_inline)(uint32_t proc);
	/* Makes, removes or renames names, or changes attributes: on an
	 * export whose back end asks a metadata server for that
	 * (export_changes_wait_remote), it goes to the remote pool. */
	bool (*changes_meta)(uint32_t proc);
	/* False when the arguments do not decode (GARBAGE_ARGS). */
	bool (*decode)(struct xdr_stream *x, uint32_t proc, union nfs3_any_args *a);
	/* Runs proc: unless it defers or parks (c->defer, c->parked),
	 * encodes its results into c->req->reply, fills c->pending's
	 * failure arm when there is one, and returns their status. */
	uint32_t (*run)(struct nfs3_call *c, uint32_t proc, union nfs3_any_args *a);
	/* proc's results as NFS3ERR_IO, from p's failure arm: a change it
	 * waited for could not be made stable. */
	void (*encode_failed)(struct xdr_stream *x, uint32_t proc, const struct nfs3_pending *p);
};

extern const struct nfs3_table nfs3_acl_table;

/* The largest READ tried on an event loop (from the page cache), and the
 * largest UNSTABLE WRITE (one that needs no read from a disk). */
enum { NFS3_READ_INLINE_MAX = 65536, NFS3_WRITE_INLINE_MAX = 65536 };

/* READs of this many bytes or more are spliced from the file to the
 * socket where the back end can. */
enum { NFS3_SPLICE_MIN = 64 * 1024 };

/* WRITE data of this many bytes or more is spliced from the socket into a
 * pipe and from there into the file where the back end can. */
enum { NFS3_BULK_WRITE_MIN = 64 * 1024 };

/* A procedure: decoded arguments in, results out in r, or encoded into
 * req->reply itself (then it returns true in *encoded). */
typedef void nfs3_proc_fn(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r,
			  bool *encoded);

nfs3_proc_fn nfs3_getattr, nfs3_setattr, nfs3_lookup, nfs3_access, nfs3_readlink, nfs3_read,
	nfs3_write, nfs3_create, nfs3_mkdir, nfs3_symlink, nfs3_mknod, nfs3_remove, nfs3_rmdir,
	nfs3_rename, nfs3_link, nfs3_readdir, nfs3_readdirplus, nfs3_fsstat, nfs3_fsinfo,
	nfs3_pathconf, nfs3_commit;

/* --- helpers (nfs3/common.c) --- */

enum nfsstat3 nfs3_errno(int rc);

/* Resolves a handle from the wire and checks the caller may use its
 * export (hosts, source port, flavour; for_write: not read-only) and that
 * the object is there: fh and attr filled, c->cred set. */
enum nfsstat3 nfs3_resolve(struct nfs3_call *c, const struct nfs3_fh *wire, bool for_write,
			   struct fh *fh, struct backend_attr *attr);
/* nfs3_resolve for a call that only reads, the object's attributes in
 * post too once resolved. */
enum nfsstat3 nfs3_resolve_post(struct nfs3_call *c, const struct nfs3_fh *wire, struct fh *fh,
				struct backend_attr *attr, struct nfs3_post_attr *post);
/* nfs3_resolve_post of an object that must be of type: wrong when it is
 * another (post is filled all the same). */
enum nfsstat3 nfs3_resolve_post_typed(struct nfs3_call *c, const struct nfs3_fh *wire,
				      enum backend_ftype type, enum nfsstat3 wrong, struct fh *fh,
				      struct backend_attr *attr, struct nfs3_post_attr *post);
/* nfs3_resolve for a call that changes the object: its attributes before
 * in wcc once resolved, and as wcc's after on a read-only export. */
enum nfsstat3 nfs3_resolve_change(struct nfs3_call *c, const struct nfs3_fh *wire, struct fh *fh,
				  struct backend_attr *before, struct nfs3_wcc *wcc);

/* A sattr3 as the back end's setattr (SETATTR and the creates);
 * NFS3ERR_INVAL for a time with 10^9 nanoseconds or more. */
enum nfsstat3 nfs3_setattr_from(const struct nfs3_sattr *s, struct backend_setattr *out);

/* A name component from the wire into name (NUL-terminated). */
enum nfsstat3 nfs3_name(const struct nfs3_str *wire, char name[BACKEND_NAME_MAX + 1]);

void nfs3_fattr_from(const struct export *ex, const struct backend_attr *a, struct nfs3_fattr *out);
void nfs3_post_from(const struct export *ex, const struct backend_attr *a,
		    struct nfs3_post_attr *out);
void nfs3_pre_from(const struct backend_attr *a, struct nfs3_pre_attr *out);
/* Fills post with the object's attributes now (absent when they cannot
 * be had). */
void nfs3_post_now(struct nfs3_call *c, const struct fh *fh, struct nfs3_post_attr *post);

/* The v3 form of an object's handle: false when its back-end handle is
 * too long for NFSv3's 64 bytes. */
bool nfs3_fh_make(struct nfs3_call *c, struct export *ex, const struct backend_handle *bh,
		  struct fh *out);

/* Notes that the call's change to h of ex (what: enum backend_sync_what)
 * must be stable before the reply: the call then waits for the shared
 * committer (export/durable.h) once its results are encoded, and answers
 * NFS3ERR_IO if the flush fails.  Nothing for an async export or a back
 * end that keeps nothing in memory. */
void nfs3_durable_note(struct nfs3_call *c, struct export *ex, const struct backend_handle *h,
		       unsigned what);

/* A large reply (READ, the listings) counts against the memory budgets
 * before it is built: true when bytes are reserved; false when the call
 * was parked to wait for room (c->parked) or refused (r->status
 * NFS3ERR_JUKEBOX: the server is out of room). */
bool nfs3_reserve_reply(struct nfs3_call *c, size_t bytes, struct nfs3_res *r);

/* NFSv4 delegations in the way of a v3 call: NFS3_OK, or
 * NFS3ERR_JUKEBOX while one is being recalled.  write: a change (every
 * delegation conflicts), else a READ (write delegations do). */
enum nfsstat3 nfs3_deleg_break(struct nfs3_call *c, const struct fh *fh, bool write);
/* The same for the regular file dir/name names, if any. */
enum nfsstat3 nfs3_deleg_break_name(struct nfs3_call *c, const struct fh *dir, const char *name);
/* Directory delegations on dir, before a v3 call changes its entries. */
enum nfsstat3 nfs3_dirdeleg_break(struct nfs3_call *c, const struct fh *dir);

#endif
