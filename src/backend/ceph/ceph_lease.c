/* The ceph back end's delegations: read leases backed by CephFS read
 * delegations, no write leases (directory watches: ceph_dirwatch.c).
 *
 * Other CephFS clients (another ferryd, a kernel mount, ceph-fuse) change
 * the file system behind Ferry's back, so an NFS delegation is safe only
 * while CephFS itself holds them back.  A CephFS delegation
 * (ceph_ll_delegation) on a file Ferry's client holds open does: while it
 * is held, the MDS makes any other client that opens the file for writing
 * (or changes its names) wait, and libcephfs calls the recall function
 * first.  A read lease is such a delegation on a read-only open file of
 * the lease's own; the recall reaches the NFS layer through break_fn, and
 * once the NFS clients have returned their delegations the lease is
 * dropped (NONE) and the other client goes ahead.
 *
 * libcephfs runs the recall function under its client lock, so it only
 * marks the lease recalled and wakes this file's thread, which calls
 * break_fn.  A delegation not given back within the client's delegation
 * timeout makes libcephfs unmount the whole client; the thread drops any
 * lease recalled longer than CEPHFS_LEASE_HOLD_S itself, as the kernel
 * takes back a local lease after its lease-break time, and the other
 * client goes ahead.
 *
 * Write leases are refused (-EAGAIN: no write delegation is granted),
 * because libcephfs 16.2 offers no way to write back what the NFS client
 * cached under one before another CephFS client sees the file
 * (tests/ceph/test_ceph_deleg_limits.c shows all but ceph_ll_write_block):
 *  - A CephFS write delegation holds references on the capabilities it
 *    covers, the buffering one (Fb) among them.  Another client's open
 *    makes the MDS revoke Fb, which it cannot finish while the delegation
 *    holds it: that is what holds the other client back.  But every
 *    write of this client asks for Fb (Client::_write wants it whatever
 *    the flags; O_DIRECT or client_oc off only stop using it once
 *    granted), and Client::get_caps waits while a capability it asks for
 *    is being revoked: the NFS client's write-back, which must reach
 *    CephFS before the NFS delegation is returned, would wait for that
 *    very return (measured: it goes through 1-3 ms after the delegation
 *    is given back, and not before, on the delegation's own open file, a
 *    second one opened O_RDWR | O_DIRECT, and with client_oc off).
 *  - Given back first, the delegation no longer holds the other client:
 *    its open goes through 1-2 ms later, racing the write-back.
 *  - It cannot be changed into a read delegation (no reference on Fb)
 *    once recalled (-EAGAIN), a read delegation is refused while the
 *    client has the file open for writing, and a write delegation while
 *    it has the file open twice.  ceph_ll_write_block takes no
 *    capabilities but cannot grow the file, and a size change
 *    (ceph_ll_setattr) waits like a write.  Lazy I/O changes nothing,
 *    and a second client of ferryd's own waits too (the MDS gives it Fw
 *    only once the delegation's holder has let go).
 * So a write delegation on a ceph export would either leave the NFS
 * client's WRITEs waiting until the thread drops the recalled lease
 * (hold_s), or let the other client read the file before them.
 *
 * Ferry's own conflicting use of a file under a read lease (opening it
 * for writing for a WRITE, or a SETATTR) would make libcephfs recall the
 * delegation and wait in ceph_ll_open or ceph_ll_setattr until it is
 * given back (measured: the open returns when the delegation goes back),
 * holding the request until the NFS client's DELEGRETURN or the hold
 * time.  So the back end looks first (cephfs_lease_break_held): a leased
 * file is neither opened for writing nor changed, the lease is marked
 * recalled as libcephfs would have, and the caller gets -EAGAIN at once
 * (NFS4ERR_DELAY) as the interface asks.
 *
 * Directories have no CephFS delegation; their watches
 * (backend_ops.dir_watch) revalidate them instead, ceph_dirwatch.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/ceph/ceph_internal.h"
#include "core/clock.h"
#include "core/log.h"

enum {
	CEPHFS_LEASE_BUCKETS = 1024,
	/* Leases held at most: each is an open file of the client. */
	CEPHFS_LEASE_MAX = 16384,
	/* The client's delegation timeout, when the cluster's session
	 * timeout allows it (libcephfs wants it below that). */
	CEPHFS_LEASE_TIMEOUT_S = 45,
	/* A recalled lease is dropped this long before that timeout. */
	CEPHFS_LEASE_MARGIN_S = 5,
};

struct cephfs_lease {
	struct cephfs_lease *next;
	struct cephfs_export *ex;
	uint64_t ino, snapid;
	struct Inode *in; /* held while the lease is */
	struct Fh *fh;	  /* the open file the delegation is on */
	bool recalled;	  /* libcephfs asked for it back, or ferryd's own change did */
	bool told;	  /* break_fn has been called for that recall */
	uint64_t recalled_ms;
	struct cephfs_revoke revoke; /* listed while libcephfs's recall is under way */
};

struct cephfs_leases {
	pthread_mutex_t lock; /* taken inside libcephfs's client lock, never around it */
	/* Tells recalls and drops leases held too long; not started while
	 * delegations are off on this client. */
	struct cephfs_chore recaller;
	struct cephfs_lease *bucket[CEPHFS_LEASE_BUCKETS];
	size_t count;
	unsigned hold_s; /* how long a recalled lease is kept at most */
	/* An upgrade's new process holds delegations of its own on these
	 * files now (cephfs_lease_leave): one recalled here is given back at
	 * once, and the NFS layer, which no longer serves, is not told. */
	bool left;
};

static struct cephfs_lease **cephfs_lease_slot(struct cephfs_leases *t, uint64_t ino,
					       uint64_t snapid)
{
	struct cephfs_lease **p = &t->bucket[(ino ^ (snapid << 7)) % CEPHFS_LEASE_BUCKETS];

	while (*p && ((*p)->ino != ino || (*p)->snapid != snapid))
		p = &(*p)->next;
	return p;
}

/* Gives the delegation back, closes its file and frees l (out of the
 * table); the READs waiting for its revoke go on. */
static void cephfs_lease_release(struct cephfs_export *ex, struct cephfs_lease *l)
{
	int rc = CEPHFS_CALL(ex, delegation,
			     ceph_ll_delegation(ex->cm, l->fh, CEPH_DELEGATION_NONE, NULL, NULL));
	if (rc)
		log_warn("ceph: cannot give back the delegation on inode %#llx: %s",
			 (unsigned long long)l->ino, strerror(-rc));
	CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, l->fh));
	cephfs_revoke_end(ex, &l->revoke, l->in);
	ceph_ll_put(ex->cm, l->in);
	free(l);
}

/* libcephfs's recall function, run under its client lock: no call into
 * libcephfs here. */
static void cephfs_lease_recalled(struct Fh *fh, void *priv)
{
	struct cephfs_lease *l = priv;
	struct cephfs_leases *t = l->ex->leases;

	/* The MDS is taking the capabilities back: READs of the file wait
	 * in ferryd until the delegation is given back. */
	cephfs_revoke_begin(l->ex, &l->revoke, l->ino, l->snapid);
	pthread_mutex_lock(&t->lock);
	if (!l->recalled) {
		l->recalled = true;
		l->recalled_ms = clock_now_coarse_ms();
	}
	cephfs_chore_wake(&t->recaller);
	pthread_mutex_unlock(&t->lock);
}

/* Tells the NFS layer (break_fn) of the file h names; no lease lock held
 * (break_fn may call back: lease NONE). */
static void cephfs_lease_tell(struct cephfs_export *ex, const struct backend_handle *h,
			      enum backend_lease_event ev)
{
	pthread_mutex_lock(&ex->notify_lock);
	backend_lease_break_fn fn = ex->break_fn;
	void *ctx = ex->break_ctx;
	pthread_mutex_unlock(&ex->notify_lock);
	if (fn)
		fn(ctx, h, ev);
}

/* Tells the NFS layer of the recalls not told yet, and drops the leases
 * recalled too long ago.  Lock held; released around the calls. */
static void cephfs_leases_work(struct cephfs_export *ex)
{
	struct cephfs_leases *t = ex->leases;
	uint64_t now = clock_now_coarse_ms();

	for (size_t b = 0; b < CEPHFS_LEASE_BUCKETS; b++) {
		struct cephfs_lease **p = &t->bucket[b];
		while (*p) {
			struct cephfs_lease *l = *p;
			if (l->recalled && t->left) {
				*p = l->next;
				t->count--;
				pthread_mutex_unlock(&t->lock);
				cephfs_lease_release(ex, l);
				pthread_mutex_lock(&t->lock);
				p = &t->bucket[b];
				continue;
			}
			if (l->recalled && now - l->recalled_ms >= (uint64_t)t->hold_s * 1000) {
				*p = l->next;
				t->count--;
				pthread_mutex_unlock(&t->lock);
				log_warn("ceph: the delegation on inode %#llx was recalled %u s ago "
					 "and is still held by NFS clients: their delegations are "
					 "revoked and it is given back, so that the other CephFS "
					 "client goes ahead",
					 (unsigned long long)l->ino, t->hold_s);
				/* The NFS delegations are revoked first: once
				 * given back, nothing holds the other client
				 * back.  l is out of the table: this thread's. */
				struct backend_handle h;
				cephfs_handle_make(l->ino, l->snapid, &h);
				cephfs_lease_tell(ex, &h, BACKEND_LEASE_LOST);
				cephfs_lease_release(ex, l);
				pthread_mutex_lock(&t->lock);
				/* The bucket may have changed meanwhile. */
				p = &t->bucket[b];
				continue;
			}
			if (l->recalled && !l->told) {
				l->told = true;
				/* Made under the lock: once it is released, a
				 * lease NONE (a DELEGRETURN, break_fn's own
				 * call back) may free l. */
				struct backend_handle h;
				cephfs_handle_make(l->ino, l->snapid, &h);
				pthread_mutex_unlock(&t->lock);
				cephfs_lease_tell(ex, &h, BACKEND_LEASE_BROKEN);
				pthread_mutex_lock(&t->lock);
				p = &t->bucket[b];
				continue;
			}
			p = &l->next;
		}
	}
}

int cephfs_leases_open(struct cephfs_export *ex)
{
	struct cephfs_leases *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	cephfs_chore_init(&t->recaller, &t->lock, 1000, cephfs_leases_work, ex);
	ex->leases = t;
	/* Delegations are off until the client has a timeout for them;
	 * libcephfs wants one below the time the MDS gives a client to
	 * return capabilities. */
	uint32_t cap_return = ceph_get_cap_return_timeout(ex->cm);
	uint32_t timeout = CEPHFS_LEASE_TIMEOUT_S;
	if (cap_return <= CEPHFS_LEASE_MARGIN_S + 1) {
		log_warn("ceph: the cluster gives clients %u s to return capabilities: too short "
			 "for delegations, none is granted on %s",
			 cap_return, ex->path);
		return 0;
	}
	if (timeout >= cap_return)
		timeout = cap_return - 1;
	int rc = ceph_set_deleg_timeout(ex->cm, timeout);
	if (rc) {
		log_warn("ceph: cannot enable delegations on %s (%s): none is granted", ex->path,
			 strerror(-rc));
		return 0;
	}
	t->hold_s = timeout - CEPHFS_LEASE_MARGIN_S;
	return cephfs_chore_start(&t->recaller);
}

void cephfs_leases_close(struct cephfs_export *ex)
{
	struct cephfs_leases *t = ex->leases;

	if (!t)
		return;
	cephfs_chore_stop(&t->recaller);
	for (size_t b = 0; b < CEPHFS_LEASE_BUCKETS; b++) {
		while (t->bucket[b]) {
			struct cephfs_lease *l = t->bucket[b];
			t->bucket[b] = l->next;
			cephfs_lease_release(ex, l);
		}
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
	ex->leases = NULL;
}


bool cephfs_lease_break_held(struct cephfs_export *ex, uint64_t ino, uint64_t snapid)
{
	struct cephfs_leases *t = ex->leases;

	if (!t)
		return false;
	pthread_mutex_lock(&t->lock);
	struct cephfs_lease *l = *cephfs_lease_slot(t, ino, snapid);
	if (l && !l->recalled) {
		/* Told to the NFS layer, and given back after the hold time,
		 * by the thread as a recall of libcephfs's would be. */
		l->recalled = true;
		l->recalled_ms = clock_now_coarse_ms();
		cephfs_chore_wake(&t->recaller);
	}
	pthread_mutex_unlock(&t->lock);
	return l != NULL;
}

bool cephfs_leases_on(struct cephfs_export *ex)
{
	return ex->leases && ex->leases->recaller.started;
}

static int cephfs_lease_take(struct cephfs_export *ex, const struct backend_handle *h)
{
	struct cephfs_leases *t = ex->leases;
	struct cephfs_obj o;

	if (!t->recaller.started)
		return -EAGAIN; /* delegations are off on this client */
	int rc = cephfs_obj_get_typed(ex, h, BACKEND_REG, -EINVAL, &o);
	if (rc)
		return rc;
	pthread_mutex_lock(&t->lock);
	struct cephfs_lease *held = *cephfs_lease_slot(t, o.ino, o.snapid);
	bool full = t->count >= CEPHFS_LEASE_MAX;
	/* A recalled one stays recalled: no new delegation until it is
	 * given back (libcephfs would refuse one too). */
	rc = held ? (held->recalled ? -EAGAIN : 0) : full ? -EMFILE : 1;
	pthread_mutex_unlock(&t->lock);
	if (rc <= 0) {
		cephfs_obj_put(ex, &o);
		return rc;
	}

	/* The file a create or a WRITE left open for writing, idle, would make
	 * libcephfs refuse the delegation for the seconds it is kept; one a
	 * request is writing through now does refuse it. */
	if (!cephfs_file_drop_writer(ex, o.ino, o.snapid)) {
		cephfs_obj_put(ex, &o);
		return -EAGAIN;
	}
	struct cephfs_lease *l = calloc(1, sizeof(*l));
	if (!l) {
		cephfs_obj_put(ex, &o);
		return -ENOMEM;
	}
	l->ex = ex;
	l->ino = o.ino;
	l->snapid = o.snapid;
	l->in = cephfs_obj_take(ex, &o); /* the lease's own reference */
	if (!l->in) {
		free(l);
		return -ESTALE;
	}
	rc = CEPHFS_CALL(ex, open,
			 ceph_ll_open(ex->cm, l->in, O_RDONLY, &l->fh, ceph_mount_perms(ex->cm)));
	if (rc) {
		ceph_ll_put(ex->cm, l->in);
		free(l);
		return cephfs_err(ex, rc);
	}
	/* -EAGAIN: open for writing by this client (a WRITE's open file,
	 * kept a few seconds), or a delegation recalled and not yet given
	 * back. */
	rc = CEPHFS_CALL(ex, delegation,
			 ceph_ll_delegation(ex->cm, l->fh, CEPH_DELEGATION_RD,
					    cephfs_lease_recalled, l));
	if (rc) {
		CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, l->fh));
		ceph_ll_put(ex->cm, l->in);
		free(l);
		if (rc != -EAGAIN)
			log_info("ceph: no delegation on inode %#llx: %s",
				 (unsigned long long)o.ino, strerror(-rc));
		return -EAGAIN;
	}
	pthread_mutex_lock(&t->lock);
	/* Taken back by the MDS already (it finishes moving capabilities
	 * away from a client that just wrote the file, and libcephfs
	 * recalls at once): no NFS delegation on it. */
	bool recalled = l->recalled;
	if (!recalled) {
		struct cephfs_lease **slot = cephfs_lease_slot(t, l->ino, l->snapid);
		l->next = *slot;
		*slot = l;
		t->count++;
	}
	pthread_mutex_unlock(&t->lock);
	if (recalled) {
		cephfs_lease_release(ex, l);
		return -EAGAIN;
	}
	return 0;
}

static int cephfs_lease_drop(struct cephfs_export *ex, const struct backend_handle *h)
{
	struct cephfs_leases *t = ex->leases;
	uint64_t ino, snapid;

	if (cephfs_handle_parse(h, &ino, &snapid))
		return 0;
	pthread_mutex_lock(&t->lock);
	struct cephfs_lease **slot = cephfs_lease_slot(t, ino, snapid);
	struct cephfs_lease *l = *slot;
	if (l) {
		*slot = l->next;
		t->count--;
	}
	pthread_mutex_unlock(&t->lock);
	if (l)
		cephfs_lease_release(ex, l);
	return 0;
}

int cephfs_lease(struct backend_export *bex, const struct backend_handle *h,
		 enum backend_lease type)
{
	struct cephfs_export *ex = cephfs_export_of(bex);

	switch (type) {
	case BACKEND_LEASE_NONE:
		return cephfs_lease_drop(ex, h);
	case BACKEND_LEASE_READ:
		return cephfs_lease_take(ex, h);
	case BACKEND_LEASE_WRITE:
		/* Refused, and a read lease held stays (its delegations
		 * remain). */
		return -EAGAIN;
	}
	return -EINVAL;
}

/* The file's change time in ns (0 when it cannot be read). */
static uint64_t cephfs_lease_ctime_ns(struct cephfs_export *ex, const struct backend_handle *h)
{
	struct backend_attr a;
	if (cephfs_attr_of(ex, h, &a, NULL) != 0)
		return 0;
	return (uint64_t)a.ctime.tv_sec * 1000000000ull + (uint64_t)a.ctime.tv_nsec;
}

/* An upgrade hands the leases over with no descriptor: a CephFS
 * delegation is the old process's session's.  The new process takes one
 * of its own session (cephfs_lease_adopt) while the old one's still holds
 * the other clients back, until the old process exits; read delegations
 * of two sessions stand together.  Recalled ones are not listed: the
 * NFS delegations go over recalled, with nothing to take. */
int cephfs_lease_list(struct backend_export *bex, struct backend_lease_held **out, size_t *n)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_leases *t = ex->leases;
	*out = NULL;
	*n = 0;
	if (!t)
		return 0;
	pthread_mutex_lock(&t->lock);
	size_t cap = t->count;
	struct backend_lease_held *v = cap ? calloc(cap, sizeof(*v)) : NULL;
	size_t k = 0;
	for (size_t b = 0; v && b < CEPHFS_LEASE_BUCKETS; b++) {
		for (struct cephfs_lease *l = t->bucket[b]; l && k < cap; l = l->next) {
			if (l->recalled)
				continue;
			cephfs_handle_make(l->ino, l->snapid, &v[k].handle);
			v[k].type = BACKEND_LEASE_READ;
			v[k].fd = -1;
			k++;
		}
	}
	pthread_mutex_unlock(&t->lock);
	if (cap && !v)
		return -ENOMEM;
	/* Read outside the lease lock (libcephfs's client lock is taken
	 * around it, never inside). */
	for (size_t i = 0; i < k; i++)
		v[i].changed_ns = cephfs_lease_ctime_ns(ex, &v[i].handle);
	*out = v;
	*n = k;
	return 0;
}

int cephfs_lease_adopt(struct backend_export *bex, const struct backend_handle *h,
		       enum backend_lease type, int fd, uint64_t changed_ns)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	if (fd >= 0)
		close(fd); /* none is expected: the lease is taken anew */
	if (type != BACKEND_LEASE_READ)
		return -EINVAL;
	int rc = cephfs_lease_take(ex, h);
	bool changed = rc == 0 && cephfs_lease_ctime_ns(ex, h) != changed_ns;
	if (rc == -EAGAIN || changed) {
		/* Refused (another client opened the file for writing and
		 * the old process gave its delegation back), or the file
		 * changed in between: recalled as after any break. */
		log_info("ceph: a delegated file %s during the upgrade's hand-over: its "
			 "delegations are recalled",
			 changed ? "changed" : "was asked for by another client");
		cephfs_lease_tell(ex, h, BACKEND_LEASE_BROKEN);
		return 0;
	}
	return rc;
}

void cephfs_lease_leave(struct backend_export *bex)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_leases *t = ex->leases;
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->left = true;
	cephfs_chore_wake(&t->recaller);
	pthread_mutex_unlock(&t->lock);
}

void cephfs_lease_notify(struct backend_export *bex, backend_lease_break_fn fn, void *ctx)
{
	struct cephfs_export *ex = cephfs_export_of(bex);

	backend_lease_notify_set(&ex->notify_lock, &ex->break_fn, &ex->break_ctx, fn, ctx);
}
