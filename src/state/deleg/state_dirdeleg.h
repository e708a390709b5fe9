/* Directory delegations (RFC 8881 10.9, 18.39, 20.4): the records, the
 * grant policy, which operations recall them and the batches of
 * notifications (CB_NOTIFY) waiting to be sent.  A directory delegation
 * is a delegation stateid like a file's (state.h, "delegations"): it is
 * returned, freed, expired, recalled and revoked by the same code; this
 * part adds what only directories have.
 *
 * Who is told what (the decision of RFC 8881 10.9.2): a change made by
 * the holder itself never recalls its delegation; it is notified to the
 * holder like any other change when the holder asked for that kind of
 * notification (the RFC has the server notify the holder of its own
 * changes, so that it need not read the directory again).  A change by
 * another client, or on the server host, is notified to every holder
 * that asked for its kind; a holder that did not is recalled, and so is
 * every other holder when the change cannot be described (the directory
 * itself removed or renamed).  The notifications are encoded by the NFSv4
 * layer (attributes need the back end) and handed here as bytes, so that
 * nothing here calls the back end.  Nothing here waits for a client. */
#ifndef FERRY_STATE_STATE_DIRDELEG_H
#define FERRY_STATE_STATE_DIRDELEG_H

#include "state/state.h"

/* What GET_DIR_DELEGATION asks, as the NFSv4 layer serves it. */
struct state_dirdeleg_ask {
	uint32_t notify; /* NOTIFY4_* bits asked that the server can send */
	struct nfs4_bitmap child_attrs, dir_attrs;
	uint32_t child_delay_ms, dir_delay_ms; /* clamped to the limits here */
	/* The bytes of a CB_NOTIFY call besides its notify4 items: its
	 * changes may take what the client's back channels (the smallest
	 * ca_maxrequestsize of its sessions) leave beyond that. */
	uint32_t cb_overhead;
	/* gdda_signal_deleg_avail: the client wants to be told when one it
	 * cannot have now becomes possible. */
	bool signal;
};

struct state_dirdeleg_grant {
	bool granted;
	bool is_new; /* made now (state_deleg_undo takes it back) */
	bool first;  /* the directory's first delegation: watch it */
	/* Not granted for a passing reason (the directory is or was just
	 * recalled, grace, the caps) and the client asked to be told: it
	 * will get CB_RECALLABLE_OBJ_AVAIL (state_dirdeleg_take_avail). */
	bool will_signal;
	struct nfs4_stateid stateid;
	uint32_t notify; /* the bits granted */
	struct nfs4_bitmap child_attrs, dir_attrs;
};

/* Grants client clientid a delegation on directory dir, or tells why not
 * (out->granted false: GDD4_UNAVAIL): off by configuration, no working
 * back channel, grace, the caps, the directory recalled lately or being
 * recalled.  A client that holds one on dir already gets it again (its
 * notifications as first granted). */
void state_dirdeleg_grant(struct state_server *st, uint64_t clientid,
			  const struct state_file_key *dir, const struct state_dirdeleg_ask *ask,
			  struct state_dirdeleg_grant *out);

/* What directory dir's delegations need of the NFSv4 layer: *held, any
 * delegation at all, recalled ones included (the back end's watch);
 * *child_attrs, one that is told of its entries' attributes (their
 * index). */
void state_dirdeleg_needs(struct state_server *st, const struct state_file_key *dir, bool *held,
			  bool *child_attrs);

/* The directories delegated now, recalled ones included, each once: up
 * to max of them in out; returns how many there are (more than max: ask
 * again with room for all).  For a ferryd an upgrade started, to take
 * over what the one before kept per directory. */
size_t state_dirdeleg_dirs(struct state_server *st, struct state_file_key *out, size_t max);

/* Whether any directory delegation is held (no lock: operations on a
 * server without any pay nothing). */
bool state_dirdeleg_any(struct state_server *st);

/* Before an operation of client clientid (0: a v4.0 client, never a
 * holder) changes directory dir in the ways need (NOTIFY4_* bits; 0: a
 * change no notification describes, such as the directory itself going):
 * every other client's delegation on dir that is not told of all of need
 * is recalled.  NFS4_OK, or NFS4ERR_DELAY while any of them is recalled. */
enum nfsstat4 state_dirdeleg_break(struct state_server *st, const struct state_file_key *dir,
				   uint64_t clientid, uint32_t need);

/* A delegation to be told of a change. */
struct state_dirdeleg_target {
	struct nfs4_stateid stateid;
	struct nfs4_bitmap child_attrs, dir_attrs;
};

/* The delegations on dir whose holders asked for notifications of kind
 * (NOTIFY4_*), up to max of them in out; returns how many there are (more
 * than max: ask again with room for all).  The holder of a change is
 * among them (see the top of this file). */
size_t state_dirdeleg_targets(struct state_server *st, const struct state_file_key *dir,
			      uint32_t kind, struct state_dirdeleg_target *out, size_t max);

/* Appends one change, body the XDR of its notify_* structure, to the
 * changes waiting for delegation sid (a delegation gone meanwhile takes
 * nothing).  Attribute changes (CHANGE_CHILD_ATTRS, CHANGE_DIR_ATTRS)
 * with a key (the entry's name hashed; the directory's: any non-zero
 * value) replace the one of the same kind and key still waiting, which
 * their newer values supersede; they go to the end, after the changes
 * that made them.  Each kind waits its delay (the window, or the
 * attribute delay the holder asked) before a CB_NOTIFY goes.
 * A holder with max_changes waiting already has fallen too far behind,
 * and a change too large for any CB_NOTIFY its back channel takes can
 * never be told: the delegation is recalled instead (an overflow),
 * nothing is dropped silently.  True when a batch became due (the caller
 * wakes whoever sends them). */
bool state_dirdeleg_note(struct state_server *st, const struct nfs4_stateid *sid, uint32_t kind,
			 uint64_t key, const uint8_t *body, uint32_t len);

/* The holder of sid cannot be told of a change (no memory to describe
 * it): recalled, counted as an overflow. */
void state_dirdeleg_fell_behind(struct state_server *st, const struct nfs4_stateid *sid);

/* A batch to send as one CB_NOTIFY.  buf holds count changes, each a
 * state_dirdeleg_item header (host order) and len bytes of body. */
struct state_dirdeleg_batch {
	uint64_t clientid;
	struct nfs4_stateid stateid;
	struct state_file_key dir;
	uint8_t *buf; /* malloc'd: the taker frees it */
	uint32_t len, count;
	uint32_t wire; /* the bytes of its notify4 items in the CB_NOTIFY */
};

struct state_dirdeleg_item {
	uint32_t kind, len;
	uint64_t key;    /* 0: none (state_dirdeleg_note) */
	uint64_t due_ms; /* when it was meant to go out (noted + its delay) */
};

/* Whether any holder asked CHANGE_CHILD_ATTRS (no lock). */
bool state_dirdeleg_any_child_attrs(struct state_server *st);

/* Takes one batch whose time came (now) and whose delegation has no
 * CB_NOTIFY under way: the oldest changes waiting, as many as one
 * CB_NOTIFY takes (the rest go in the next, as soon as this one is
 * answered, so that the holder learns them in order); false when there
 * is none.  A holder that keeps a change waiting dir_slow_ms past its due
 * time because a CB_NOTIFY is still under way is too slow for the
 * directory: recalled (the caller sends the recall).  *next_ms: the
 * earliest time to look again (0: none). */
bool state_dirdeleg_take_batch(struct state_server *st, uint64_t now,
			       struct state_dirdeleg_batch *out, uint64_t *next_ms);

/* How the CB_NOTIFY of delegation sid ended (status as the callback's
 * done() got it, callback/callback.h): NFS4_OK lets the next batch go; NFS4ERR_CB_PATH_DOWN
 * revokes the delegation; any other error recalls it (its holder may have
 * missed changes).  True when a batch waits (wake the sender). */
bool state_dirdeleg_notify_done(struct state_server *st, const struct nfs4_stateid *sid,
				uint32_t status);

/* A client promised a signal whose directory may be delegated now: true
 * with *clientid (the promise is kept by sending it
 * CB_RECALLABLE_OBJ_AVAIL; a client gone meanwhile is forgotten).
 * *next_ms: when to look again (0: no promise left). */
bool state_dirdeleg_take_avail(struct state_server *st, uint64_t now, uint64_t *clientid,
			       uint64_t *next_ms);


void state_dirdeleg_get_stats(struct state_server *st, struct state_dirdeleg_stats *out);

#endif
