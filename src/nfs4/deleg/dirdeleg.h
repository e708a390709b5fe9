/* Directory delegations on the NFSv4 side (deleg/dir_grant.c,
 * deleg/dir_notify.c): GET_DIR_DELEGATION, the checks the operations that
 * change a directory make before they change it (recalls), what they
 * report after (notifications), and the sending of CB_NOTIFY.  Records,
 * policy and batches are the state module's (state/deleg/state_dirdeleg.h,
 * which also says who is told what).  Nothing here is called with a state
 * lock held, and nothing waits for a client. */
#ifndef FERRY_NFS4_DIRDELEG_H
#define FERRY_NFS4_DIRDELEG_H

#include "nfs4/engine/compound.h"
#include "export/fh.h"
#include "state/state.h"
#include "xdr/nfs4_codec.h"

struct nfs4_server;
struct backend_attr;
struct backend_handle;

/* The notification types Ferry grants (bits of NOTIFY4_*); a holder that
 * asked for none of them has a recall-only delegation.  The cookie
 * verifier never changes (nfs4_dir_cookie_verifier), so
 * CHANGE_COOKIE_VERIFIER is granted and never has anything to say. */
#define NFS4_DIRDELEG_NOTIFY_SERVED                                                  \
	((1u << NOTIFY4_ADD_ENTRY) | (1u << NOTIFY4_REMOVE_ENTRY) |                  \
	 (1u << NOTIFY4_RENAME_ENTRY) | (1u << NOTIFY4_CHANGE_CHILD_ATTRS) |         \
	 (1u << NOTIFY4_CHANGE_DIR_ATTRS) | (1u << NOTIFY4_CHANGE_COOKIE_VERIFIER))

/* Before an operation changes directory dir in the ways need (NOTIFY4_*
 * bits): NFS4_OK, or NFS4ERR_DELAY while another client's delegation on
 * it that would not be told is recalled. */
enum nfsstat4 nfs4_dirdeleg_break(struct nfs4_compound *c, const struct fh *dir,
				  uint32_t need);

/* Before name in dir is removed or renamed (REMOVE, RENAME's source and
 * the target it replaces): when it is a delegated directory, no
 * notification can describe its going; another client's delegation on it
 * is recalled (NFS4ERR_DELAY).  *exists (may be NULL): whether name is
 * there, looked at only while some directory is delegated (else false:
 * nobody is told). */
enum nfsstat4 nfs4_dirdeleg_break_name(struct nfs4_compound *c, const struct fh *dir,
				       const char *name, bool *exists);

/* Who made a change that directory delegation holders are told of: the
 * server, the minor version the notices' attributes are encoded for, and
 * the credential the entry is looked up with.  An operation's is
 * NFS4_DIR_BY(c); a change made on the host is the server's own, as root
 * (deleg/dir_host.c). */
struct nfs4_dir_author {
	struct nfs4_server *srv;
	uint32_t minor;
	const struct backend_cred *cred;
};
#define NFS4_DIR_BY(c) (&(const struct nfs4_dir_author){(c)->srv, (c)->minor, &(c)->cred})

/* After a change succeeded: each holder of a delegation on dir that asked
 * for the kind is told (the holder that made it too, RFC 8881 10.9.2).
 * added: name came into dir (child and attr: the entry, its attributes;
 * may be NULL); removed: name left; renamed: from in from_dir is now to
 * in to_dir, replaced when an entry named to was there and went (one
 * RENAME_ENTRY within a directory, REMOVE_ENTRY and ADD_ENTRY across,
 * each holder seeing its own directory's side; the entry replaced is the
 * new entry's nad_old_entry, RFC 8881 20.4). */
void nfs4_dirdeleg_added(const struct nfs4_dir_author *by, const struct fh *dir, const char *name,
			 const struct backend_handle *child, const struct backend_attr *attr);
void nfs4_dirdeleg_removed(const struct nfs4_dir_author *by, const struct fh *dir, const char *name);
/* Entry changes also change the directory's attributes: holders that
 * asked CHANGE_DIR_ATTRS are told after each (added, removed and renamed
 * do it).  dir_attrs: the directory's own attributes changed (SETATTR);
 * child_attrs: those of child (attr, as they are now: SETATTR, WRITE),
 * an entry of whichever delegated directories hold it. */
void nfs4_dirdeleg_dir_attrs(const struct nfs4_dir_author *by, const struct fh *dir);
void nfs4_dirdeleg_child_attrs(const struct nfs4_dir_author *by, const struct fh *child,
			       const struct backend_attr *attr);
/* The same when the directory and the entry's name are known (host
 * changes); child NULL: the entry went since (no values). */
void nfs4_dirdeleg_child_attrs_in(const struct nfs4_dir_author *by, const struct fh *dir,
				  const char *name, const struct backend_handle *child,
				  const struct backend_attr *attr);
void nfs4_dirdeleg_renamed(const struct nfs4_dir_author *by, const struct fh *from_dir,
			   const char *from, const struct fh *to_dir, const char *to,
			   bool replaced);

/* Wakes the thread that sends the batches (one became due). */
void nfs4_dirdeleg_kick(struct nfs4_server *srv);

/* The sending thread (nfs4_server_init / _fini): start; stop (nothing is
 * queued any more; a late kick does nothing); free, once the callback
 * engine stopped (its done() calls kick). */
int nfs4_dirdeleg_notifier_start(struct nfs4_server *srv);
void nfs4_dirdeleg_notifier_stop(struct nfs4_server *srv);
void nfs4_dirdeleg_notifier_free(struct nfs4_server *srv);

/* What the server keeps per delegated directory (deleg/dir_children.c):
 * the back end's watch, and for CHANGE_CHILD_ATTRS an index of its
 * entries (which delegated directories an object is an entry of).
 * GET_DIR_DELEGATION claims dir before it asks the state for a grant
 * (0; -ENOMEM: no delegation can be granted), with want_index reading
 * its entries unless indexed already (*indexed: whether they are; not
 * past the server's bound or on a read error: no child-attribute
 * notifications), and settles it after (the grant made and its watch
 * taken, or not); release follows the state letting go of the
 * directory's last delegation (nfs4_outbox_drain).  Settle and release
 * drop what no delegation of dir needs any more (the index when none asks
 * child attributes, the watch when there is none), never while a claim
 * is open, and decide it under the lock the claim takes, so that a grant
 * and the end of the last delegation cannot cross.
 * start/free with the server; note records that name in dir is now child
 * (NULL: gone), false when the index had to be dropped (its holders must
 * be recalled); find gives up to max directories and names of child;
 * count: the directories indexed and their entries (metrics). */
struct nfs4_dirdeleg_parent {
	struct state_file_key dir;
	char name[BACKEND_NAME_MAX + 1];
};
int nfs4_dirdeleg_children_start(struct nfs4_server *srv);
void nfs4_dirdeleg_children_free(struct nfs4_server *srv);
int nfs4_dirdeleg_claim(struct nfs4_server *srv, const struct state_file_key *dir,
			bool want_index, bool *indexed);
void nfs4_dirdeleg_settle(struct nfs4_server *srv, const struct state_file_key *dir);
void nfs4_dirdeleg_release(struct nfs4_server *srv, const struct state_file_key *dir);
bool nfs4_dirdeleg_children_note(struct nfs4_server *srv, const struct state_file_key *dir,
				 const char *name, const struct backend_handle *child);
size_t nfs4_dirdeleg_children_find(struct nfs4_server *srv, uint32_t export_id,
				   const struct backend_handle *child,
				   struct nfs4_dirdeleg_parent *out, size_t max);
void nfs4_dirdeleg_children_count(struct nfs4_server *srv, size_t *dirs, size_t *entries);

/* The back end's watch of directory key for host changes: taken when it
 * gets its first delegation (GET_DIR_DELEGATION: 0, or -errno and no
 * delegation: changes made on the host would go unseen), dropped once
 * the last one went (by settle or release, above).  A back end without dir_watch
 * (memory: nothing changes behind the server) needs none. */
int nfs4_dirdeleg_watch(struct nfs4_server *srv, const struct state_file_key *key);
void nfs4_dirdeleg_unwatch(struct nfs4_server *srv, const struct state_file_key *key);

/* The export hook (export_watch_hook_fn) of the back end's report of host
 * changes to watched directories.  Set on every export by
 * nfs4_server_init: an export without it watches no directory, so it
 * grants no directory delegation. */
void nfs4_dirdeleg_host_hook(struct export *ex, struct export_watch *w);

/* The cookie verifier READDIR and GET_DIR_DELEGATION give (ops/dir.c). */
void nfs4_dir_cookie_verifier(const struct nfs4_server *srv, struct nfs4_verifier *out);

#endif
