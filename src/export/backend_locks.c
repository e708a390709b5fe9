/* The byte-range locks a back end holds for ferryd (backend_ops.lock),
 * handed from one process to the next at an in-place upgrade.
 *
 * A ceph export's locks are the MDS's, kept per CephFS client session, and
 * the new ferryd mounts under a session of its own: it cannot inherit the
 * old one's locks, only take them again.  So the old ferryd lets go of
 * them in the back end once its state image lists them (it serves nothing
 * by then), the new one takes each range again, as the owner it has in
 * its own state, before it says it is ready, and refuses the upgrade if
 * one cannot be taken (the old one then takes them all again and serves
 * on).  For the milliseconds in between no session holds them: another
 * client of the file system that asks for a conflicting lock just then
 * gets it, and the upgrade fails rather than leave an NFS client holding
 * a lock the storage does not. */
#include "export/backend_locks.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "core/log.h"
#include "export/export.h"
#include "state/state.h"

static bool selected(const struct state_backend_lock *l, struct export_backend_locks_which w)
{
	return l->nlm ? w.nlm : w.nfs4;
}

static struct export *lock_export(struct exports *exps, const struct state_backend_lock *l)
{
	struct export *ex = exports_find(exps, l->file.export_id);
	return ex && ex->ops->lock ? ex : NULL;
}

/* The back end's length for an inclusive range: 0 is "to the end". */
static uint64_t range_length(const struct state_backend_lock *l)
{
	return l->last == UINT64_MAX ? 0 : l->last - l->start + 1;
}

static bool same_holder(const struct state_backend_lock *a, const struct state_backend_lock *b)
{
	return a->owner_id == b->owner_id && a->file.export_id == b->file.export_id &&
	       a->file.bh.len == b->file.bh.len &&
	       memcmp(a->file.bh.data, b->file.bh.data, a->file.bh.len) == 0;
}

/* Each owner's locks on a file go with one UNLOCK of the whole file,
 * which also tells the back end the owner holds nothing there (ceph closes
 * the file it locked through). */
static void unlock_holders(struct exports *exps, const struct state_backend_lock *v, size_t n,
			   struct export_backend_locks_which which)
{
	for (size_t i = 0; i < n; i++) {
		if (!selected(&v[i], which))
			continue;
		bool done = false;
		for (size_t j = 0; j < i && !done; j++)
			done = selected(&v[j], which) && same_holder(&v[i], &v[j]);
		struct export *ex = lock_export(exps, &v[i]);
		if (done || !ex)
			continue;
		int rc = ex->ops->lock(ex->bex, &v[i].file.bh, v[i].owner_id, BACKEND_LOCK_UNLOCK,
				       0, 0, false, NULL);
		if (rc)
			log_warn("upgrade: a lock of export %s not let go in its back end: %s",
				 ex->name, strerror(-rc));
	}
}

size_t export_backend_locks_release(struct exports *exps, struct state_server *st,
				    struct export_backend_locks_which which)
{
	struct state_backend_lock *v;
	size_t n;
	if (state_backend_locks(st, &v, &n) != 0) {
		log_error("upgrade: out of memory listing the locks held in back ends");
		return 0;
	}
	unlock_holders(exps, v, n, which);
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += selected(&v[i], which);
	free(v);
	return count;
}

int export_backend_locks_take(struct exports *exps, struct state_server *st,
			      struct export_backend_locks_which which, bool all_or_none,
			      size_t *taken, size_t *failed, char *err, size_t errlen)
{
	*taken = *failed = 0;
	struct state_backend_lock *v;
	size_t n;
	if (state_backend_locks(st, &v, &n) != 0) {
		snprintf(err, errlen, "out of memory listing the locks held in back ends");
		return -ENOMEM;
	}
	int rc = 0;
	size_t i;
	for (i = 0; i < n; i++) {
		if (!selected(&v[i], which))
			continue;
		struct export *ex = lock_export(exps, &v[i]);
		struct backend_lock_conflict k;
		int r = ex ? ex->ops->lock(ex->bex, &v[i].file.bh, v[i].owner_id,
					   v[i].write ? BACKEND_LOCK_WRITE : BACKEND_LOCK_READ,
					   v[i].start, range_length(&v[i]), false, &k)
			   : -ESTALE;
		if (r == 0) {
			(*taken)++;
			continue;
		}
		(*failed)++;
		char what[200];
		snprintf(what, sizeof(what), "a %s lock of bytes %llu-%llu on a file of export %s: %s",
			 v[i].write ? "write" : "read", (unsigned long long)v[i].start,
			 (unsigned long long)v[i].last, ex ? ex->name : "(gone)",
			 r == -EAGAIN ? "another holder has a conflicting lock" : strerror(-r));
		if (all_or_none) {
			snprintf(err, errlen, "cannot take %s", what);
			rc = r;
			break;
		}
		log_error("upgrade: lost %s (the NFS client still holds it in ferryd's table)",
			  what);
	}
	/* Those taken before the one that failed (and the one itself, should
	 * the back end hold part of it) go again. */
	if (rc)
		unlock_holders(exps, v, i + 1, which);
	free(v);
	return rc;
}
