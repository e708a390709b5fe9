/* Directory delegations: the notifications (RFC 8881 20.4).  A change
 * that succeeded is encoded once per holder that asked for its kind (the
 * child's attributes are those that holder asked for) and handed to the
 * state module's batch of that holder; one thread sends each batch as one
 * CB_NOTIFY once its window has passed, never two at once per
 * delegation, so that a holder sees the changes in the order they were
 * made.  The same thread keeps the promises of GDD4_UNAVAIL's
 * will_signal.  Nothing here waits for a client: the thread only queues. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/container_of.h"
#include "core/log.h"
#include "core/workers.h"
#include "callback/callback.h"
#include "nfs4/deleg/deleg.h"
#include "nfs4/deleg/dirdeleg.h"
#include "nfs4/fs/fattr.h"
#include "nfs4/server.h"
#include "state/deleg/state_dirdeleg.h"
#include "xdr/nfs4_codec_cb.h"

struct nfs4_dirdeleg_notifier {
	struct nfs4_server *srv;
	/* The sender thread; workers.lock: lock order, see
	 * core/lock_order.h, level 9d.  It guards kicked. */
	struct workers workers;
	bool kicked;
};

/* --- encoding the changes ---------------------------------------------------------- */

/* Holders looked up at once (more take a second look), and the largest
 * body of one change (a name and the attributes asked). */
enum { NOTIFY_TARGETS_FIRST = 16, BODY_MAX = 8192 };

/* The attributes of entry fh (attr) that a holder asked for, as a raw
 * fattr4 into scratch (out points into it).  False when they do not
 * encode. */
static bool entry_attrs(const struct nfs4_dir_author *by, const struct fh *fh,
			const struct backend_attr *attr, const struct nfs4_bitmap *want,
			struct xdr_enc *scratch, struct nfs4_fattr_raw *out)
{
	memset(out, 0, sizeof(*out));
	bool none = true;
	for (unsigned w = 0; w < NFS4_BITMAP_WORDS; w++)
		none &= want->w[w] == 0;
	if (none || !fh || !attr)
		return true;
	size_t at = xdr_enc_len(scratch);
	if (nfs4_fattr_encode_as(by->srv, by->minor, fh, attr, want, scratch) != NFS4_OK)
		return false;
	struct xdr_dec d;
	xdr_dec_init(&d, scratch->buf->data + at, xdr_enc_len(scratch) - at);
	return nfs4_dec_fattr_raw(&d, out);
}

/* One change to describe. */
struct dir_change {
	uint32_t kind;              /* NOTIFY4_* */
	const char *name;           /* added, removed, or renamed from */
	const char *new_name;       /* RENAME: renamed to */
	bool replaced;              /* RENAME, ADD by a rename: over an entry of that name */
	const struct fh *child; /* ADD, RENAME: the entry (may be NULL) */
	const struct backend_attr *attr;
};

static bool encode_change(const struct nfs4_dir_author *by, const struct dir_change *ch,
			  const struct state_dirdeleg_target *t, struct xdr_enc *e)
{
	struct xdr_enc scratch;
	if (!xdr_enc_init(&scratch, 256, BODY_MAX))
		return false;
	bool ok = false;
	struct nfs4_notify_add add;
	memset(&add, 0, sizeof(add));
	struct nfs4_notify_remove rm;
	memset(&rm, 0, sizeof(rm));
	switch (ch->kind) {
	case NOTIFY4_ADD_ENTRY:
		/* Renamed over an entry: the one that went (its cookie is not
		 * kept: 0, as for a removal). */
		add.has_old_entry = ch->replaced;
		add.old_entry.old_entry.name = nfs4_opaque_str(ch->name);
		add.new_entry.name = nfs4_opaque_str(ch->name);
		ok = entry_attrs(by, ch->child, ch->attr, &t->child_attrs, &scratch,
				 &add.new_entry.attrs) &&
		     nfs4_enc_notify_add(e, &add);
		break;
	case NOTIFY4_REMOVE_ENTRY:
		/* The cookie of a gone entry is not kept: 0, which no entry
		 * of a listing has. */
		rm.old_entry.name = nfs4_opaque_str(ch->name);
		ok = nfs4_enc_notify_remove(e, &rm);
		break;
	case NOTIFY4_CHANGE_CHILD_ATTRS:
	case NOTIFY4_CHANGE_DIR_ATTRS: {
		/* The directory's own attributes name no entry. */
		struct nfs4_notify_attr at;
		memset(&at, 0, sizeof(at));
		bool child = ch->kind == NOTIFY4_CHANGE_CHILD_ATTRS;
		at.changed_entry.name = nfs4_opaque_str(child ? ch->name : "");
		ok = entry_attrs(by, ch->child, ch->attr, child ? &t->child_attrs : &t->dir_attrs,
				 &scratch, &at.changed_entry.attrs) &&
		     nfs4_enc_notify_attr(e, &at);
		break;
	}
	case NOTIFY4_RENAME_ENTRY: {
		struct nfs4_notify_rename rn;
		memset(&rn, 0, sizeof(rn));
		rn.old_entry.old_entry.name = nfs4_opaque_str(ch->name);
		rn.new_entry.new_entry.name = nfs4_opaque_str(ch->new_name);
		rn.new_entry.has_old_entry = ch->replaced;
		rn.new_entry.old_entry.old_entry.name = nfs4_opaque_str(ch->new_name);
		ok = entry_attrs(by, ch->child, ch->attr, &t->child_attrs, &scratch,
				 &rn.new_entry.new_entry.attrs) &&
		     nfs4_enc_notify_rename(e, &rn);
		break;
	}
	default:
		break;
	}
	xdr_enc_release(&scratch);
	return ok && !e->overflow;
}

/* What tells two attribute changes of one entry from others' (never 0). */
static uint64_t name_key(const char *name)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	return h | 1;
}

/* Hands change ch of directory dir to the batch of each holder that asked
 * for its kind.  A holder whose notification cannot be made (no memory)
 * is recalled: it must never go on trusting a listing that changed. */
static void dir_changed(const struct nfs4_dir_author *by, const struct fh *dir,
			const struct dir_change *ch)
{
	struct nfs4_server *srv = by->srv;
	if (dir->kind != FH_EXPORT || !state_dirdeleg_any(srv->state))
		return;
	struct state_file_key key = {.export_id = dir->export->id, .bh = dir->bh};
	struct state_dirdeleg_target first[NOTIFY_TARGETS_FIRST], *t = first;
	size_t n = state_dirdeleg_targets(srv->state, &key, ch->kind, t, NOTIFY_TARGETS_FIRST);
	if (n > NOTIFY_TARGETS_FIRST) {
		t = malloc(n * sizeof(*t));
		if (!t) {
			state_dirdeleg_break(srv->state, &key, 0, 0);
			return;
		}
		n = state_dirdeleg_targets(srv->state, &key, ch->kind, t, n);
	}
	bool due = false;
	uint64_t same = ch->kind == NOTIFY4_CHANGE_DIR_ATTRS     ? 1
			: ch->kind == NOTIFY4_CHANGE_CHILD_ATTRS ? name_key(ch->name)
								 : 0;
	for (size_t i = 0; i < n; i++) {
		struct xdr_enc e;
		bool init = xdr_enc_init(&e, 256, BODY_MAX);
		if (init && encode_change(by, ch, &t[i], &e))
			due |= state_dirdeleg_note(srv->state, &t[i].stateid, ch->kind, same,
						   e.buf->data, (uint32_t)xdr_enc_len(&e));
		else
			state_dirdeleg_fell_behind(srv->state, &t[i].stateid);
		if (init)
			xdr_enc_release(&e);
	}
	if (t != first)
		free(t);
	if (due)
		nfs4_dirdeleg_kick(srv);
}

void nfs4_dirdeleg_dir_attrs(const struct nfs4_dir_author *by, const struct fh *dir)
{
	if (dir->kind != FH_EXPORT || !state_dirdeleg_any(by->srv->state))
		return;
	struct backend_attr attr;
	if (dir->export->ops->getattr(dir->export->bex, &dir->bh, &attr) != 0)
		return;
	struct dir_change ch = {
		.kind = NOTIFY4_CHANGE_DIR_ATTRS, .name = "", .child = dir, .attr = &attr};
	dir_changed(by, dir, &ch);
}

void nfs4_dirdeleg_child_attrs(const struct nfs4_dir_author *by, const struct fh *child,
			       const struct backend_attr *attr)
{
	struct nfs4_server *srv = by->srv;
	if (child->kind != FH_EXPORT || !state_dirdeleg_any_child_attrs(srv->state))
		return;
	/* Hard links: one entry per directory and name, a few at most. */
	struct nfs4_dirdeleg_parent parents[8];
	size_t n = nfs4_dirdeleg_children_find(srv, child->export->id, &child->bh, parents, 8);
	for (size_t i = 0; i < n && i < 8; i++) {
		struct fh dir;
		fh_from_object(&srv->exports, child->export, &parents[i].dir.bh, &dir);
		struct dir_change ch = {.kind = NOTIFY4_CHANGE_CHILD_ATTRS,
					.name = parents[i].name,
					.child = child,
					.attr = attr};
		dir_changed(by, &dir, &ch);
	}
}

void nfs4_dirdeleg_child_attrs_in(const struct nfs4_dir_author *by, const struct fh *dir,
				  const char *name, const struct backend_handle *child,
				  const struct backend_attr *attr)
{
	if (dir->kind != FH_EXPORT || !state_dirdeleg_any_child_attrs(by->srv->state))
		return;
	struct fh fh;
	if (child)
		fh_from_object(&by->srv->exports, dir->export, child, &fh);
	struct dir_change ch = {.kind = NOTIFY4_CHANGE_CHILD_ATTRS,
				.name = name,
				.child = child ? &fh : NULL,
				.attr = child ? attr : NULL};
	dir_changed(by, dir, &ch);
}

/* Keeps the index of dir's entries (deleg/dir_children.c) in step; one
 * that had to be dropped leaves child-attribute changes untold, so the
 * holders go back (recalled). */
static void index_note(const struct nfs4_dir_author *by, const struct fh *dir, const char *name,
		       const struct backend_handle *child)
{
	if (dir->kind != FH_EXPORT || !state_dirdeleg_any_child_attrs(by->srv->state))
		return;
	struct state_file_key key = {.export_id = dir->export->id, .bh = dir->bh};
	if (!nfs4_dirdeleg_children_note(by->srv, &key, name, child))
		state_dirdeleg_break(by->srv->state, &key, 0, 0);
}

void nfs4_dirdeleg_added(const struct nfs4_dir_author *by, const struct fh *dir, const char *name,
			 const struct backend_handle *child, const struct backend_attr *attr)
{
	index_note(by, dir, name, child);
	struct fh fh;
	if (child && dir->kind == FH_EXPORT)
		fh_from_object(&by->srv->exports, dir->export, child, &fh);
	struct dir_change ch = {.kind = NOTIFY4_ADD_ENTRY,
				.name = name,
				.child = child ? &fh : NULL,
				.attr = attr};
	dir_changed(by, dir, &ch);
	nfs4_dirdeleg_dir_attrs(by, dir);
}

void nfs4_dirdeleg_removed(const struct nfs4_dir_author *by, const struct fh *dir, const char *name)
{
	index_note(by, dir, name, NULL);
	struct dir_change ch = {.kind = NOTIFY4_REMOVE_ENTRY, .name = name};
	dir_changed(by, dir, &ch);
	nfs4_dirdeleg_dir_attrs(by, dir);
}

void nfs4_dirdeleg_renamed(const struct nfs4_dir_author *by, const struct fh *from_dir,
			   const char *from, const struct fh *to_dir, const char *to,
			   bool replaced)
{
	if (!state_dirdeleg_any(by->srv->state) || to_dir->kind != FH_EXPORT)
		return;
	/* The entry as it is now, for the attributes of its new name. */
	struct export *ex = to_dir->export;
	struct backend_handle bh;
	struct backend_attr attr;
	struct fh fh;
	bool found = ex->ops->lookup(ex->bex, by->cred, &to_dir->bh, to, &bh, &attr) == 0;
	if (found)
		fh_from_object(&by->srv->exports, ex, &bh, &fh);
	bool within = fh_equal(from_dir, to_dir);
	if (within && strcmp(from, to) == 0)
		return; /* renamed onto itself: nothing changed */
	/* Across directories the source's holders see a removal and these
	 * an ADD_ENTRY; within one, its holders see one RENAME_ENTRY. */
	struct dir_change ch = {.kind = NOTIFY4_ADD_ENTRY,
				.name = to,
				.replaced = replaced,
				.child = found ? &fh : NULL,
				.attr = found ? &attr : NULL};
	if (within) {
		index_note(by, to_dir, from, NULL);
		index_note(by, to_dir, to, found ? &bh : NULL);
		ch.kind = NOTIFY4_RENAME_ENTRY;
		ch.name = from;
		ch.new_name = to;
	} else {
		nfs4_dirdeleg_removed(by, from_dir, from);
	}
	dir_changed(by, to_dir, &ch);
	nfs4_dirdeleg_dir_attrs(by, to_dir);
}

/* --- sending the batches ------------------------------------------------------------ */

/* One CB_NOTIFY on its way: the call, its arguments and what they point
 * to (the notify4 items and the batch's bodies), kept until done. */
struct notify_arg {
	struct cb_call call;
	struct nfs4_server *srv;
	struct nfs4_stateid stateid;
	struct nfs4_cb_notify_args args;
	uint8_t fh[NFS4_FHSIZE];
	struct nfs4_notify *items;
	uint8_t *buf; /* the batch's bodies (items point here) */
};

static void notify_arg_free(struct notify_arg *a)
{
	if (!a)
		return;
	free(a->items);
	free(a->buf);
	free(a);
}

static void notify_done(struct cb_call *call, uint32_t status)
{
	struct notify_arg *a = container_of(call, struct notify_arg, call);
	struct nfs4_server *srv = a->srv;
	if (state_dirdeleg_notify_done(srv->state, &a->stateid, status))
		nfs4_dirdeleg_kick(srv);
	notify_arg_free(a);
	/* An error became a recall, a lost path a revocation. */
	state_outbox_kick(srv->state);
}

/* One batch as one CB_NOTIFY (its notify4 items in the order noted). */
static void send_batch(struct nfs4_server *srv, struct state_dirdeleg_batch *b)
{
	struct nfs4_notify *items = calloc(b->count ? b->count : 1, sizeof(*items));
	struct notify_arg *arg = calloc(1, sizeof(*arg));
	struct export *ex = exports_find(&srv->exports, b->dir.export_id);
	int rc = -ENOMEM;
	if (arg) {
		/* The call owns them from here: freed with it. */
		arg->items = items;
		arg->buf = b->buf;
	} else {
		free(items);
		free(b->buf);
	}
	b->buf = NULL;
	if (items && arg && ex) {
		uint32_t off = 0;
		for (uint32_t i = 0; i < b->count; i++) {
			struct state_dirdeleg_item h;
			memcpy(&h, arg->buf + off, sizeof(h));
			off += (uint32_t)sizeof(h);
			memset(&items[i], 0, sizeof(items[i]));
			nfs4_bitmap_set(&items[i].mask, h.kind);
			items[i].vals = (struct nfs4_opaque){arg->buf + off, h.len};
			off += h.len;
		}
		struct fh fh;
		fh_from_object(&srv->exports, ex, &b->dir.bh, &fh);
		memcpy(arg->fh, fh.wire, fh.wire_len);
		arg->args.stateid = b->stateid;
		arg->args.fh = (struct nfs4_opaque){arg->fh, fh.wire_len};
		arg->args.items = items;
		arg->args.changes.count = b->count;
		arg->srv = srv;
		arg->stateid = b->stateid;
		arg->call = (struct cb_call){.op = &cb_op_notify, .args = &arg->args,
					     .fail_fast = true, .done = notify_done};
		rc = cb_queue(srv->cb, b->clientid, &arg->call);
	}
	if (rc == 0)
		return;
	notify_arg_free(arg);
	log_info("nfs4: cannot queue a CB_NOTIFY to client %016llx: %d",
		 (unsigned long long)b->clientid, rc);
	state_dirdeleg_notify_done(srv->state, &b->stateid,
				   rc == -ENOTCONN ? NFS4ERR_CB_PATH_DOWN : NFS4ERR_SERVERFAULT);
	state_outbox_kick(srv->state);
}

/* Keeps the promise of GDD4_UNAVAIL's will_signal (RFC 8881 18.39.3,
 * 20.7): the client may ask for a directory delegation again. */
struct avail_call {
	struct cb_call call;
	struct nfs4_cb_recallable_obj_avail_args args;
};

static void avail_done(struct cb_call *call, uint32_t status)
{
	(void)status;
	free(container_of(call, struct avail_call, call));
}

static void send_avail(struct nfs4_server *srv, uint64_t clientid)
{
	struct avail_call *ac = calloc(1, sizeof(*ac));
	int rc = -ENOMEM;
	if (ac) {
		ac->args.objects_to_keep = 1;
		nfs4_bitmap_set(&ac->args.type_mask, RCA4_TYPE_MASK_DIR_DLG);
		ac->call = (struct cb_call){.op = &cb_op_recallable_obj_avail, .args = &ac->args,
					    .done = avail_done};
		rc = cb_queue(srv->cb, clientid, &ac->call);
		if (rc)
			free(ac);
	}
	if (rc)
		log_info("nfs4: cannot queue CB_RECALLABLE_OBJ_AVAIL to client %016llx: %d",
			 (unsigned long long)clientid, rc);
}

/* The sender thread (workers_body_fn: called with its lock held). */
static void notifier_main(void *arg)
{
	struct nfs4_dirdeleg_notifier *n = arg;
	struct nfs4_server *srv = n->srv;
	while (!workers_stopping(&n->workers)) {
		n->kicked = false;
		pthread_mutex_unlock(&n->workers.lock);
		struct state_dirdeleg_batch b;
		uint64_t next = 0, next_avail = 0, clientid;
		while (state_dirdeleg_take_batch(srv->state, clock_now_ms(), &b, &next))
			send_batch(srv, &b);
		/* A holder found too slow was recalled. */
		state_outbox_kick(srv->state);
		while (state_dirdeleg_take_avail(srv->state, clock_now_ms(), &clientid, &next_avail))
			send_avail(srv, clientid);
		if (next_avail && (!next || next_avail < next))
			next = next_avail;
		pthread_mutex_lock(&n->workers.lock);
		if (!workers_stopping(&n->workers) && !n->kicked)
			workers_wait_until(&n->workers, next);
	}
}

void nfs4_dirdeleg_kick(struct nfs4_server *srv)
{
	struct nfs4_dirdeleg_notifier *n = srv->dd_notifier;
	if (!n)
		return;
	pthread_mutex_lock(&n->workers.lock);
	n->kicked = true;
	pthread_cond_signal(&n->workers.cond);
	pthread_mutex_unlock(&n->workers.lock);
}

int nfs4_dirdeleg_notifier_start(struct nfs4_server *srv)
{
	struct nfs4_dirdeleg_notifier *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->srv = srv;
	int rc = workers_launch(&n->workers, 1, NULL, notifier_main, n);
	if (rc) {
		free(n);
		return rc;
	}
	srv->dd_notifier = n;
	return 0;
}

void nfs4_dirdeleg_notifier_stop(struct nfs4_server *srv)
{
	struct nfs4_dirdeleg_notifier *n = srv->dd_notifier;
	if (n)
		workers_stop(&n->workers);
}

void nfs4_dirdeleg_notifier_free(struct nfs4_server *srv)
{
	struct nfs4_dirdeleg_notifier *n = srv->dd_notifier;
	if (!n)
		return;
	nfs4_dirdeleg_notifier_stop(srv);
	srv->dd_notifier = NULL;
	workers_destroy(&n->workers);
	free(n);
}
