/* Directory delegations: changes made on the server host, outside NFS
 * (backend_ops.dir_watch).  They are told after the fact, so nothing can
 * wait for a recall: holders told of that kind of change are notified
 * like for any other client's change, the others are recalled (the
 * change has happened; their listing must go), and a directory that went
 * itself, or whose changes were lost, is recalled from every holder. */
#include <errno.h>
#include <string.h>

#include "core/log.h"
#include "nfs4/deleg/deleg.h"
#include "nfs4/deleg/dirdeleg.h"
#include "nfs4/fs/fattr.h"
#include "nfs4/server.h"
#include "state/deleg/state_dirdeleg.h"

int nfs4_dirdeleg_watch(struct nfs4_server *srv, const struct state_file_key *key)
{
	struct export *ex = exports_find(&srv->exports, key->export_id);
	if (!ex)
		return -ENOENT;
	if (!ex->ops->dir_watch)
		return 0;
	if (!ex->watch[EXPORT_WATCH_DIR_CHANGES])
		return -ENOMEM; /* its reports would reach nobody */
	return ex->ops->dir_watch(ex->bex, &key->bh, true);
}

void nfs4_dirdeleg_unwatch(struct nfs4_server *srv, const struct state_file_key *key)
{
	struct export *ex = exports_find(&srv->exports, key->export_id);
	if (ex && ex->ops->dir_watch)
		ex->ops->dir_watch(ex->bex, &key->bh, false);
}

/* The notify kind a host change needs told (0: none describes it). */
static uint32_t host_need(enum backend_dir_event ev)
{
	switch (ev) {
	case BACKEND_DIR_ADDED: return 1u << NOTIFY4_ADD_ENTRY;
	case BACKEND_DIR_REMOVED: return 1u << NOTIFY4_REMOVE_ENTRY;
	case BACKEND_DIR_ATTRS: return 1u << NOTIFY4_CHANGE_DIR_ATTRS;
	default: return 0;
	}
}

static void host_changed(void *arg, const struct backend_handle *dirh, enum backend_dir_event ev,
			 const char *name)
{
	struct export_watch *w = arg;
	struct nfs4_server *srv = w->owner;
	struct export *ex = exports_find(&srv->exports, w->export_id);
	struct state_file_key key = {.export_id = w->export_id, .bh = *dirh};
	if (!ex || !state_dirdeleg_any(srv->state))
		return;
	/* A child's attributes recall nobody (directory delegations are
	 * about the listing and the directory's own attributes); every
	 * other change recalls the holders it cannot be told to.  Nobody is
	 * the host: clientid 0 is no holder. */
	if (ev != BACKEND_DIR_CHILD)
		state_dirdeleg_break(srv->state, &key, 0, host_need(ev));
	if (ev == BACKEND_DIR_GONE || ev == BACKEND_DIR_LOST) {
		state_outbox_kick(srv->state);
		return;
	}
	/* The server's own change, as root (a zeroed credential), told with
	 * the attributes of minor version 1, which every holder of a
	 * directory delegation has. */
	static const struct backend_cred root;
	const struct nfs4_dir_author by = {.srv = srv, .minor = 1, .cred = &root};
	struct fh dir;
	fh_from_object(&srv->exports, ex, dirh, &dir);
	struct backend_handle bh;
	struct backend_attr attr;
	bool found = ev != BACKEND_DIR_REMOVED && ev != BACKEND_DIR_ATTRS &&
		     ex->ops->lookup(ex->bex, &root, dirh, name, &bh, &attr) == 0;
	switch (ev) {
	case BACKEND_DIR_ADDED:
		nfs4_dirdeleg_added(&by, &dir, name, found ? &bh : NULL, found ? &attr : NULL);
		break;
	case BACKEND_DIR_REMOVED:
		nfs4_dirdeleg_removed(&by, &dir, name);
		break;
	case BACKEND_DIR_ATTRS:
		nfs4_dirdeleg_dir_attrs(&by, &dir);
		break;
	case BACKEND_DIR_CHILD:
		/* Gone since (its removal comes next): told without values,
		 * the holder asks if it wants them. */
		nfs4_dirdeleg_child_attrs_in(&by, &dir, name, found ? &bh : NULL,
					     found ? &attr : NULL);
		break;
	default:
		break;
	}
	state_outbox_kick(srv->state);
}

void nfs4_dirdeleg_host_hook(struct export *ex, struct export_watch *w)
{
	ex->ops->dir_notify(ex->bex, w ? host_changed : NULL, w);
}
