/* Delegations on the NFSv4 side (deleg/grant.c, deleg/callbacks.c): the grant for
 * OPEN, conflict checks of the operations that the state module cannot see
 * (REMOVE, RENAME, LINK, SETATTR, GETATTR), the callbacks and the back
 * end's leases.  The records and the policy are the state module's
 * (state/state.h, "delegations").  Nothing here is called with a state
 * lock held, and nothing waits for a client. */
#ifndef FERRY_NFS4_DELEG_H
#define FERRY_NFS4_DELEG_H

#include "nfs4/engine/compound.h"
#include "state/state.h"
#include "xdr/nfs4_codec_file.h"

struct nfs4_server;

/* The delegation for an OPEN that owner o just made on file key with
 * access (and v4.1 want bits; reclaim_type for CLAIM_PREVIOUS): the state
 * module's policy, then the back end's lease for a newly delegated file
 * (a file the back end will not lease gets none).  Fills *out. */
void nfs4_deleg_for_open(struct nfs4_compound *c, struct state_owner *o,
			 const struct state_file_key *key, uint32_t access, uint32_t want,
			 uint32_t reclaim_type, struct nfs4_open_delegation *out);

/* NFS4_OK, or NFS4ERR_DELAY while a delegation of another client than the
 * caller's on the file is recalled: the file fh names (LINK's source), the
 * regular file name names in directory dir (REMOVE, RENAME's source and
 * target), the current file before a SETATTR that changes it (sid: the
 * SETATTR's stateid, which may name the caller). */
enum nfsstat4 nfs4_deleg_break_fh(struct nfs4_compound *c, const struct fh *fh);
enum nfsstat4 nfs4_deleg_break_name(struct nfs4_compound *c, const struct fh *dir,
				    const char *name);
enum nfsstat4 nfs4_deleg_break_setattr(struct nfs4_compound *c, const struct nfs4_stateid *sid);

/* GETATTR of the current file (attr from the back end) asking want: while
 * another client holds a write delegation on it, the COMPOUND is parked
 * (c->parked; the handler returns at once and runs again on resume) until
 * the holder answered CB_GETATTR or NFS4_GA_WAIT_MS passed; then NFS4_OK
 * with the holder's size and, when it reports a modification, the
 * server's change + 1 in attr (RFC 8881 10.4.3), or NFS4ERR_DELAY with the
 * delegation recalled when it did not answer in time.  Without a way to
 * park (no memory), NFS4ERR_DELAY until an answer came. */
enum nfsstat4 nfs4_deleg_getattr(struct nfs4_compound *c, const struct nfs4_bitmap *want,
				 struct backend_attr *attr);

/* How long a GETATTR waits for the holder's CB_GETATTR answer. */
enum { NFS4_GA_WAIT_MS = 200 };

/* What a holder's CB_GETATTR answer said. */
struct nfs4_ga_values {
	bool have; /* answered NFS4_OK with change and size */
	struct state_deleg_ga v;
};

/* A GETATTR parked on a CB_GETATTR (getattr_wait.c).  Owned by the
 * COMPOUND (c->ga_wait); while registered, the registry links it and
 * fills values; whoever unlinks it resumes park exactly once. */
struct nfs4_ga_wait {
	struct nfs4_ga_wait *next;
	struct nfs4_stateid stateid; /* the delegation asked */
	uint64_t deadline_ms;
	uint64_t ticket; /* set by nfs4_ga_wait_add */
	struct rpc_park *park;
	struct nfs4_ga_values values;
};

/* Starts and stops the registry and its timer thread (nfs4_server_init,
 * nfs4_server_fini).  Stopping resumes every waiter left (no answer). */
int nfs4_ga_waits_start(struct nfs4_server *srv);
void nfs4_ga_waits_stop(struct nfs4_server *srv);

/* Registers w (stateid and park set) to be resumed by the answer about its
 * delegation or after timeout_ms; when the answer came before w was
 * registered, w is resumed at once.  Once registered, w belongs to whoever
 * resumes it: the caller must not look at it again.  False when the
 * registry is stopping (nothing registered, w still the caller's). */
bool nfs4_ga_wait_add(struct nfs4_server *srv, struct nfs4_ga_wait *w, unsigned timeout_ms);

/* The CB_GETATTR about delegation sid ended (v NULL: no answer): every
 * waiter on it is unlinked and gets v; they are returned as a list (*n of
 * them) for nfs4_ga_wait_resume, so that the caller may update the state
 * before any of them runs again. */
struct nfs4_ga_wait *nfs4_ga_wait_take(struct nfs4_server *srv, const struct nfs4_stateid *sid,
				       const struct nfs4_ga_values *v, unsigned *n);
void nfs4_ga_wait_resume(struct nfs4_ga_wait *list);

/* Takes (OPEN_DELEGATE_READ / _WRITE) or drops (OPEN_DELEGATE_NONE) the
 * back end's lease on file key.  0, -ENOTSUP (no leases: delegate
 * anyway) or another -errno (do not delegate). */
int nfs4_deleg_lease(struct nfs4_server *srv, const struct state_file_key *key, uint32_t type);

/* The lease a delegation of file key just granted (state_deleg_grant,
 * is_new) relies on, taken under the file's lease lock before the grant
 * is answered: the first grant of the file takes it, a later one finds it
 * (or takes it if a racing first grant has not yet), so no reply
 * announces a delegation before its lease and host watch exist.  Returns
 * as nfs4_deleg_lease. */
int nfs4_deleg_lease_grant(struct nfs4_server *srv, const struct state_file_key *key,
			   uint32_t type);

/* Drops the back end's lease on file key, whose last delegation the state
 * module reported gone (DELEGRETURN's last, state_deleg_take_unleased),
 * unless the file has been delegated again meanwhile: decided under the
 * file's lease lock, with the state asked again
 * (state_deleg_file_delegated). */
void nfs4_deleg_lease_drop(struct nfs4_server *srv, const struct state_file_key *key);

/* Drains the state module's outbox: sends its callbacks (CB_RECALL,
 * CB_GETATTR, CB_RECALL_ANY), applies its write holds to the back ends
 * (nfs4_write_holds_apply; only with write_holds: a COMPOUND that has not
 * ended leaves them for its end) and drops the back-end leases of files no
 * longer delegated.  Returns at once (callbacks are only queued).  Called
 * in two places: where a COMPOUND's run stops (nfs4_compound), and on the
 * state thread (nfs4_write_holds_work, the hook state_outbox_kick wakes);
 * everything else kicks the thread. */
void nfs4_outbox_drain(struct nfs4_server *srv, bool write_holds);

/* --- in-place upgrades: the leases of delegated files handed over
 * (leases_carried.c) --- */

/* state_deleg_carry_fn (arg: the server): whether an upgrade hands the
 * lease of file over (dir: the watch of directory file), so that its
 * delegations go over as they are. */
bool nfs4_deleg_carryable(void *arg, const struct state_file_key *file, bool dir);
/* The old ferryd, frozen: every export's leases as the image's LEASES
 * section (*out) and duplicates of their descriptors (*fds, *nfds; the
 * caller's), which the section names by index.  0 or a negative errno
 * (nothing left to the caller). */
int nfs4_deleg_leases_save(struct nfs4_server *srv, struct buf **out, int **fds, size_t *nfds);
/* A lease the section names. */
struct nfs4_lease_carried {
	uint32_t export_id;
	struct backend_handle handle;
	uint32_t type; /* enum backend_lease: READ or WRITE */
	uint32_t fd;   /* index of its descriptor, or NFS4_LEASE_NO_FD */
	uint64_t changed_ns; /* backend_lease_held's */
};
/* A lease no descriptor carries (ceph's, a delegation of the old process's
 * CephFS session): the new process's back end takes one of its own. */
#define NFS4_LEASE_NO_FD UINT32_MAX
/* The section's bytes for n leases (NULL: out of memory). */
struct buf *nfs4_deleg_leases_encode(const struct nfs4_lease_carried *v, size_t n);
/* The section's entries (*out malloc'd), nfds descriptors received (the
 * leases' first):
 * 0, -EINVAL for bytes that do not decode or name a descriptor not
 * received, -ENOMEM. */
int nfs4_deleg_leases_decode(const uint8_t *p, size_t len, size_t nfds,
			     struct nfs4_lease_carried **out, size_t *n);
/* The new ferryd, before it serves: takes each lease over (take_fd gives
 * the descriptor of an index, or -1); the delegations of a lease that
 * cannot be are revoked. */
void nfs4_deleg_leases_adopt(struct nfs4_server *srv, const struct nfs4_lease_carried *v,
			     size_t n, int (*take_fd)(void *arg, size_t i), void *arg);
/* The old ferryd, once the new one serves: lets go of its leases without
 * dropping them. */
void nfs4_deleg_leases_leave(struct nfs4_server *srv);

/* --- in-place upgrades: the watches of delegated directories handed
 * over (dirs_carried.c) --- */

/* One export's watch and the directories it watches: as handed, its
 * descriptor (fd, closed on free unless taken: -1); as decoded, the index
 * of the descriptor received (fd_index).  A watch that is no descriptor
 * (ceph's) has fd -1, fd_index NFS4_DIR_WATCH_NO_FD and, per directory,
 * what the back end had accounted for (marks; NULL for the others). */
struct nfs4_dir_watch_carried {
	uint32_t export_id;
	int fd;
	uint32_t fd_index;
	struct backend_handle *dirs;
	uint64_t *marks;
	size_t ndirs;
};
#define NFS4_DIR_WATCH_NO_FD UINT32_MAX
struct nfs4_dir_watches {
	struct nfs4_dir_watch_carried *v;
	size_t n;
};
/* The old ferryd, frozen, before the state image: every export's watch
 * stops reading and reports what it had seen; *out takes duplicates of
 * their descriptors.  0, or a negative errno (the watches read again). */
int nfs4_dir_watches_hand(struct nfs4_server *srv, struct nfs4_dir_watches *out);
/* The old ferryd, the upgrade given up (or the state not carried): every
 * watch reads again. */
void nfs4_dir_watches_resume(struct nfs4_server *srv);
/* The DIR_WATCHES section's bytes, the descriptors named first_fd on (in
 * w's order); NULL: out of memory. */
struct buf *nfs4_dir_watches_encode(const struct nfs4_dir_watches *w, size_t first_fd);
/* The section's entries, nfds descriptors received: 0, -EINVAL for bytes
 * that do not decode or name a descriptor not received, -ENOMEM. */
int nfs4_dir_watches_decode(const uint8_t *p, size_t len, size_t nfds,
			    struct nfs4_dir_watches *out);
/* The new ferryd, state loaded, before it serves: takes each watch over
 * (take_fd gives the descriptor of an index, or -1), recalls the
 * delegations of a watch that cannot be, and frees w. */
void nfs4_dir_watches_adopt(struct nfs4_server *srv, struct nfs4_dir_watches *w,
			    int (*take_fd)(void *arg, size_t i), void *arg);
void nfs4_dir_watches_free(struct nfs4_dir_watches *w);

/* The export hook (export_watch_hook_fn) of the back end's lease-break
 * notification: a break by someone on the host recalls every delegation of
 * the file.  Set on every export by nfs4_server_init. */
void nfs4_deleg_lease_hook(struct export *ex, struct export_watch *w);

#endif
