/* The ceph back end's read cache: file data kept in ferryd's memory, so
 * that a large READ of data read before is sent from there (the kernel's
 * one copy into the socket) instead of copied out of libcephfs's object
 * cacher into the reply first (ceph_ll_read) and into the socket after.
 * libcephfs 16.2 has no call that lends its own buffers: on a 1 MiB READ
 * that first copy was about 37% of ferryd's CPU (docs/BENCHMARKS.md).
 *
 * Coherence.  Data is kept only while a CephFS read delegation
 * (ceph_ll_delegation RD) on an open file of the cache's own holds the
 * file still: while it is held, the MDS makes another client's write,
 * truncation or open with O_TRUNC wait until it is given back (measured:
 * the other client's ceph_write returns only after the return), and
 * libcephfs calls the recall function first.  The recall function takes
 * the file's data out of the cache at once, under the cache's lock, before
 * the delegation can be given back (by the cache's thread: the recall runs
 * under libcephfs's client lock, which no call into libcephfs may take
 * again); a READ that finds nothing afterwards reads the file anew.  A
 * READ lent data before the recall was answered before the write it
 * raced.
 *
 * Ferry's own changes to a file go through this client, which a
 * delegation of its own does not hold back, so each one drops the file's
 * data first (cephfs_cache_drop: a WRITE's open for writing, a SETATTR,
 * a COPY into it, an ALLOCATE or DEALLOCATE, the removal or replacement of
 * its name), and keeps it out of the cache for CEPHFS_CACHE_WRITTEN_MS
 * after: a file being written is not worth the delegation's round trips.
 *
 * What is kept: chunks of CEPHFS_CACHE_CHUNK bytes at aligned offsets,
 * filled by a READ of at least the NFS layer's splice minimum that misses
 * (one ceph_ll_read of the whole chunk: what the READ would have copied
 * anyway, for a 1 MiB READ), at most read_cache_mb of them per export, the
 * least recently read given up first.  A READ that spans two chunks, or
 * falls in a snapshot, is not served here (the caller reads as before).
 * A chunk lent to a reply is neither reused nor freed until rpc gives it
 * back (backend_mapping.release), even when its file's data was dropped
 * meanwhile: that reply was answered before the change.
 *
 * A file whose data went unread for CEPHFS_CACHE_IDLE_MS gives its
 * delegation back (its chunks go with it), as the open files' closer
 * gives capabilities back, so that other clients are not kept from
 * caching it longer than that. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/ceph/ceph_internal.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/test_setting.h"

enum {
	CEPHFS_CACHE_CHUNK = 1u << 20, /* NFS4_MAX_IO: a 1 MiB READ is one chunk */
	CEPHFS_CACHE_FILE_BUCKETS = 1024,
	CEPHFS_CACHE_IDLE_MS = 10000,
	CEPHFS_CACHE_WRITTEN_MS = 2000,
	CEPHFS_CACHE_SWEEP_MS = 1000,
};

struct cephfs_cache_file;

struct cephfs_cache_chunk {
	struct cephfs_cache_chunk *hnext;		/* the chunk index's chain */
	struct cephfs_cache_chunk *lru_prev, *lru_next; /* chunks in the index, least recent first */
	struct cephfs_cache_chunk *fprev, *fnext;	/* its file's chunks */
	struct cephfs_cache_file *file;			/* NULL: out of the index */
	struct cephfs_cache *cache;
	uint64_t index;	    /* offset / CEPHFS_CACHE_CHUNK */
	uint32_t len;	    /* bytes of the file held (fewer: the file ends there) */
	unsigned lent;	    /* replies sending from it */
	uint8_t *data;	    /* CEPHFS_CACHE_CHUNK bytes */
	struct cephfs_cache_chunk *free_next; /* on the free list */
};

struct cephfs_cache_file {
	struct cephfs_cache_file *next; /* the file table's chain, or the thread's list */
	struct cephfs_cache *cache;
	uint64_t ino, snapid;
	/* The delegation's open file and the inode it holds; NULL while the
	 * file is kept out after a change of Ferry's (written_ms). */
	struct Inode *in;
	struct Fh *fh;
	uint64_t size; /* the file's size when the delegation was taken */
	uint64_t used_ms, written_ms;
	struct cephfs_cache_chunk *chunks;
	unsigned reading; /* fills reading through fh now: not closed before they end */
	bool recalled;	  /* libcephfs asked for the delegation back */
	bool given_back;  /* the delegation is (being) given back: claimed under the lock */
	struct cephfs_revoke revoke; /* listed while libcephfs's recall is under way */
};

struct cephfs_cache {
	pthread_mutex_t lock; /* taken inside libcephfs's client lock, never around it */
	struct cephfs_chore returner; /* gives recalled and idle delegations back */
	struct cephfs_export *ex;
	struct cephfs_cache_file *files[CEPHFS_CACHE_FILE_BUCKETS];
	struct cephfs_cache_file *returning; /* out of the table, delegations to give back */
	struct cephfs_cache_chunk **chunk_bucket;
	size_t chunk_buckets;
	struct cephfs_cache_chunk *lru_head, *lru_tail;
	struct cephfs_cache_chunk *free; /* chunks with memory, out of the index */
	size_t chunks, max_chunks;	 /* made, and at most */
	bool closing;
	unsigned lent; /* chunks lent: the cache is freed by the last return once closing */
	uint64_t hits, fills, recalls;
	/* FERRY_TEST_CACHE_RETURN_DELAY_MS (a test setting, read at open): a
	 * recalled delegation is given back that much later, so that a test
	 * has READs arrive while the MDS is revoking. */
	unsigned test_return_delay_ms;
};

static struct cephfs_cache_file **cache_file_slot(struct cephfs_cache *c, uint64_t ino,
						  uint64_t snapid)
{
	struct cephfs_cache_file **p =
	    &c->files[(ino ^ (snapid << 7)) % CEPHFS_CACHE_FILE_BUCKETS];
	while (*p && ((*p)->ino != ino || (*p)->snapid != snapid))
		p = &(*p)->next;
	return p;
}

static size_t cache_chunk_bucket(const struct cephfs_cache *c, uint64_t ino, uint64_t index)
{
	uint64_t k = ino * 0x9e3779b97f4a7c15ull ^ index * 0xc2b2ae3d27d4eb4full;
	return (size_t)(k >> 17) % c->chunk_buckets;
}

static struct cephfs_cache_chunk *cache_chunk_find(struct cephfs_cache *c,
						   const struct cephfs_cache_file *f,
						   uint64_t index)
{
	struct cephfs_cache_chunk *k = c->chunk_bucket[cache_chunk_bucket(c, f->ino, index)];
	while (k && (k->file != f || k->index != index))
		k = k->hnext;
	return k;
}

static void cache_lru_unlink(struct cephfs_cache *c, struct cephfs_cache_chunk *k)
{
	if (k->lru_prev)
		k->lru_prev->lru_next = k->lru_next;
	else
		c->lru_head = k->lru_next;
	if (k->lru_next)
		k->lru_next->lru_prev = k->lru_prev;
	else
		c->lru_tail = k->lru_prev;
	k->lru_prev = k->lru_next = NULL;
}

static void cache_lru_append(struct cephfs_cache *c, struct cephfs_cache_chunk *k)
{
	k->lru_prev = c->lru_tail;
	k->lru_next = NULL;
	if (c->lru_tail)
		c->lru_tail->lru_next = k;
	else
		c->lru_head = k;
	c->lru_tail = k;
}

/* Takes k out of the index (and its file's list); its memory goes back to
 * the free list unless a reply still sends from it.  Lock held. */
static void cache_chunk_remove(struct cephfs_cache *c, struct cephfs_cache_chunk *k)
{
	struct cephfs_cache_chunk **p = &c->chunk_bucket[cache_chunk_bucket(c, k->file->ino,
									     k->index)];
	while (*p != k)
		p = &(*p)->hnext;
	*p = k->hnext;
	k->hnext = NULL;
	cache_lru_unlink(c, k);
	if (k->fprev)
		k->fprev->fnext = k->fnext;
	else
		k->file->chunks = k->fnext;
	if (k->fnext)
		k->fnext->fprev = k->fprev;
	k->fprev = k->fnext = NULL;
	k->file = NULL;
	if (!k->lent) {
		k->free_next = c->free;
		c->free = k;
	}
}

/* Drops all of f's data.  Lock held. */
static void cache_file_empty(struct cephfs_cache *c, struct cephfs_cache_file *f)
{
	while (f->chunks)
		cache_chunk_remove(c, f->chunks);
}

/* Takes f out of the table onto the thread's list, its data dropped.  Lock
 * held. */
static void cache_file_retire(struct cephfs_cache *c, struct cephfs_cache_file *f)
{
	struct cephfs_cache_file **p = cache_file_slot(c, f->ino, f->snapid);
	if (*p == f)
		*p = f->next;
	cache_file_empty(c, f);
	f->next = c->returning;
	c->returning = f;
}

/* Gives f's delegation back, the caller having claimed it (given_back
 * set under the lock).  No lock held.  A fill may still read through
 * f->fh: the delegation goes back without waiting for it, because that
 * read may itself wait for the capabilities the delegation holds.  The
 * READs waiting for the revoke to end go on once it is back. */
static void cache_file_give_back(struct cephfs_export *ex, struct cephfs_cache_file *f)
{
	int rc = CEPHFS_CALL(ex, delegation,
			     ceph_ll_delegation(ex->cm, f->fh, CEPH_DELEGATION_NONE, NULL, NULL));
	if (rc)
		log_warn("ceph: cannot give back the read cache's delegation on inode %#llx: %s",
			 (unsigned long long)f->ino, strerror(-rc));
	cephfs_revoke_end(ex, &f->revoke, f->in);
}

/* Gives f's delegation back (unless done), closes its file and frees it;
 * no fill reads through it any more.  No lock held. */
static void cache_file_release(struct cephfs_export *ex, struct cephfs_cache_file *f)
{
	if (f->fh) {
		if (!f->given_back)
			cache_file_give_back(ex, f);
		CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, f->fh));
	}
	if (f->in)
		ceph_ll_put(ex->cm, f->in);
	free(f);
}

/* Keeps (ino, snapid) out of the cache for CEPHFS_CACHE_WRITTEN_MS: an
 * entry without a delegation.  Lock held; nothing else of it in the
 * table. */
static void cache_keep_out(struct cephfs_cache *c, uint64_t ino, uint64_t snapid)
{
	struct cephfs_cache_file *k = calloc(1, sizeof(*k));
	if (!k)
		return; /* cached again sooner */
	k->cache = c;
	k->ino = ino;
	k->snapid = snapid;
	k->written_ms = clock_now_coarse_ms();
	struct cephfs_cache_file **slot = cache_file_slot(c, ino, snapid);
	k->next = *slot;
	*slot = k;
}

/* libcephfs's recall function, run under its client lock: no call into
 * libcephfs here.  The data goes now; the delegation once the thread gives
 * it back, after which the other client's change goes ahead. */
static void cache_recalled(struct Fh *fh, void *priv)
{
	struct cephfs_cache_file *f = priv;
	struct cephfs_cache *c = f->cache;

	(void)fh;
	pthread_mutex_lock(&c->lock);
	if (!f->recalled) {
		f->recalled = true;
		c->recalls++;
		/* Until it is given back, a READ of the file entering
		 * libcephfs would wait there for the revoke, and libcephfs
		 * 16.2 does not wake it when the return ends it. */
		cephfs_revoke_begin(c->ex, &f->revoke, f->ino, f->snapid);
		/* Not in the table yet when the recall comes during the
		 * take (cache_file_take checks recalled): left to it. */
		if (*cache_file_slot(c, f->ino, f->snapid) == f) {
			cache_file_retire(c, f);
			/* Another client is changing the file: a delegation
			 * taken again at once would hold it back anew (the
			 * MDS is still taking the capabilities away). */
			cache_keep_out(c, f->ino, f->snapid);
			cephfs_chore_wake(&c->returner);
		}
	}
	pthread_mutex_unlock(&c->lock);
}

/* Gives back the delegations recalled, and those of files unread for
 * CEPHFS_CACHE_IDLE_MS (or kept out after a change for as long).  Lock
 * held; released around the calls. */
static void cache_work(struct cephfs_export *ex)
{
	struct cephfs_cache *c = ex->cache;
	uint64_t now = clock_now_coarse_ms();

	for (size_t b = 0; b < CEPHFS_CACHE_FILE_BUCKETS; b++) {
		struct cephfs_cache_file **p = &c->files[b];
		while (*p) {
			struct cephfs_cache_file *f = *p;
			bool idle = f->fh ? now - f->used_ms >= CEPHFS_CACHE_IDLE_MS
					  : now - f->written_ms >= CEPHFS_CACHE_WRITTEN_MS;
			if (idle)
				cache_file_retire(c, f); /* takes it off *p */
			else
				p = &f->next;
		}
	}
	/* Every delegation goes back now; a file a fill still reads through
	 * is closed at the fill's end, which wakes this thread. */
	for (struct cephfs_cache_file *f = c->returning; f;) {
		if (!f->fh || f->given_back) {
			f = f->next;
			continue;
		}
		f->given_back = true;
		bool late = f->recalled && c->test_return_delay_ms;
		pthread_mutex_unlock(&c->lock);
		if (late)
			usleep(c->test_return_delay_ms * 1000u);
		cache_file_give_back(ex, f);
		pthread_mutex_lock(&c->lock);
		f = c->returning; /* the list may have grown meanwhile */
	}
	struct cephfs_cache_file *list = NULL, **p = &c->returning;
	while (*p) {
		struct cephfs_cache_file *f = *p;
		if (f->reading) {
			p = &f->next;
			continue;
		}
		*p = f->next;
		f->next = list;
		list = f;
	}
	if (!list)
		return;
	pthread_mutex_unlock(&c->lock);
	while (list) {
		struct cephfs_cache_file *f = list;
		list = f->next;
		cache_file_release(ex, f);
	}
	pthread_mutex_lock(&c->lock);
}

int cephfs_cache_open(struct cephfs_export *ex, unsigned max_mb)
{
	if (!max_mb)
		return 0;
	if (!cephfs_leases_on(ex)) {
		log_info("ceph: no read cache on %s: it needs delegations, which are off",
			 ex->path);
		return 0;
	}
	struct cephfs_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ex = ex;
	c->max_chunks = ((size_t)max_mb << 20) / CEPHFS_CACHE_CHUNK;
	if (!c->max_chunks)
		c->max_chunks = 1;
	c->chunk_buckets = c->max_chunks * 2;
	c->chunk_bucket = calloc(c->chunk_buckets, sizeof(*c->chunk_bucket));
	if (!c->chunk_bucket) {
		free(c);
		return -ENOMEM;
	}
	c->test_return_delay_ms =
		test_setting_ms("FERRY_TEST_CACHE_RETURN_DELAY_MS",
				"the read cache gives recalled delegations back late");
	pthread_mutex_init(&c->lock, NULL);
	cephfs_chore_init(&c->returner, &c->lock, CEPHFS_CACHE_SWEEP_MS, cache_work, ex);
	ex->cache = c;
	int rc = cephfs_chore_start(&c->returner);
	if (rc) {
		ex->cache = NULL;
		cephfs_chore_stop(&c->returner);
		pthread_mutex_destroy(&c->lock);
		free(c->chunk_bucket);
		free(c);
	}
	return rc;
}

static void cache_free(struct cephfs_cache *c)
{
	while (c->free) {
		struct cephfs_cache_chunk *k = c->free;
		c->free = k->free_next;
		free(k->data);
		free(k);
	}
	pthread_mutex_destroy(&c->lock);
	free(c->chunk_bucket);
	free(c);
}

void cephfs_cache_close(struct cephfs_export *ex)
{
	struct cephfs_cache *c = ex->cache;

	if (!c)
		return;
	cephfs_chore_stop(&c->returner);
	pthread_mutex_lock(&c->lock);
	for (size_t b = 0; b < CEPHFS_CACHE_FILE_BUCKETS; b++)
		while (c->files[b])
			cache_file_retire(c, c->files[b]);
	struct cephfs_cache_file *list = c->returning;
	c->returning = NULL;
	pthread_mutex_unlock(&c->lock);
	while (list) {
		struct cephfs_cache_file *f = list;
		list = f->next;
		cache_file_release(ex, f);
	}
	ex->cache = NULL;
	pthread_mutex_lock(&c->lock);
	c->closing = true;
	bool last = c->lent == 0;
	pthread_mutex_unlock(&c->lock);
	/* Chunks still lent free themselves, and the cache with the last. */
	if (last)
		cache_free(c);
}

/* rpc is done sending from a lent chunk (backend_mapping.release). */
static void cache_chunk_return(void *arg)
{
	struct cephfs_cache_chunk *k = arg;
	struct cephfs_cache *c = k->cache;

	pthread_mutex_lock(&c->lock);
	c->lent--;
	if (--k->lent == 0 && !k->file) {
		k->free_next = c->free;
		c->free = k;
	}
	bool last = c->closing && c->lent == 0;
	pthread_mutex_unlock(&c->lock);
	if (last)
		cache_free(c);
}

/* A chunk's memory for a fill: a free one, a new one while fewer than
 * max_chunks exist, else the least recently read one not lent.  Lock
 * held; NULL when every chunk is lent. */
static struct cephfs_cache_chunk *cache_chunk_obtain(struct cephfs_cache *c)
{
	struct cephfs_cache_chunk *k = c->free;
	if (k) {
		c->free = k->free_next;
		return k;
	}
	if (c->chunks < c->max_chunks) {
		k = calloc(1, sizeof(*k));
		if (k && !(k->data = malloc(CEPHFS_CACHE_CHUNK))) {
			free(k);
			k = NULL;
		}
		if (k) {
			k->cache = c;
			c->chunks++;
			return k;
		}
	}
	for (k = c->lru_head; k && k->lent; k = k->lru_next)
		;
	if (!k)
		return NULL;
	cache_chunk_remove(c, k);
	c->free = k->free_next; /* remove put it there */
	return k;
}

/* Takes a delegation on (ino, snapid) for the cache and enters the file in
 * the table (or finds one a concurrent READ entered).  Lock not held.
 * -EAGAIN: not cacheable now (written here lately, open for writing by a
 * request, or another client's change under way). */
static int cache_file_take(struct cephfs_export *ex, struct cephfs_obj *o)
{
	struct cephfs_cache *c = ex->cache;

	if (!cephfs_file_drop_writer(ex, o->ino, o->snapid))
		return -EAGAIN;
	struct cephfs_cache_file *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->cache = c;
	f->ino = o->ino;
	f->snapid = o->snapid;
	/* A reference of the file's own, o staying the caller's. */
	vinodeno_t vino = {.ino = {o->ino}, .snapid = {o->snapid}};
	int rc = CEPHFS_CALL(ex, lookup_vino, ceph_ll_lookup_vino(ex->cm, vino, &f->in));
	if (rc) {
		free(f);
		return cephfs_err(ex, rc);
	}
	rc = CEPHFS_CALL(ex, open,
			     ceph_ll_open(ex->cm, f->in, O_RDONLY, &f->fh, ceph_mount_perms(ex->cm)));
	if (rc) {
		f->fh = NULL;
		cache_file_release(ex, f);
		return cephfs_err(ex, rc);
	}
	rc = CEPHFS_CALL(ex, delegation,
			 ceph_ll_delegation(ex->cm, f->fh, CEPH_DELEGATION_RD, cache_recalled, f));
	if (rc) {
		CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, f->fh));
		f->fh = NULL;
		cache_file_release(ex, f);
		return -EAGAIN;
	}
	/* The size while the delegation holds the file still: only Ferry's
	 * own changes move it, and they drop the file first. */
	struct ceph_statx stx;
	rc = CEPHFS_CALL(ex, getattr,
			 ceph_ll_getattr(ex->cm, f->in, &stx, CEPH_STATX_SIZE, 0,
					 ceph_mount_perms(ex->cm)));
	f->size = stx.stx_size;
	f->used_ms = clock_now_coarse_ms();
	pthread_mutex_lock(&c->lock);
	struct cephfs_cache_file **slot = cache_file_slot(c, f->ino, f->snapid);
	bool enter = rc == 0 && !f->recalled && !*slot && !c->closing;
	if (enter) {
		f->next = NULL;
		*slot = f;
	}
	pthread_mutex_unlock(&c->lock);
	if (!enter) {
		cache_file_release(ex, f);
		return rc ? cephfs_err(ex, rc) : 0; /* 0: another READ's is there */
	}
	return 0;
}

/* Where the READ's bytes are in chunk k of file f; lends k. */
static void cache_lend(struct cephfs_cache *c, struct cephfs_cache_file *f,
		       struct cephfs_cache_chunk *k, uint64_t off, size_t len,
		       struct backend_mapping *out, size_t *got, bool *eof)
{
	uint64_t at = off - k->index * CEPHFS_CACHE_CHUNK;
	size_t avail = at < k->len ? k->len - (size_t)at : 0;
	*got = len < avail ? len : avail;
	*eof = off + *got >= f->size;
	f->used_ms = clock_now_coarse_ms();
	cache_lru_unlink(c, k);
	cache_lru_append(c, k);
	if (!*got)
		return;
	k->lent++;
	c->lent++;
	*out = (struct backend_mapping){.base = k->data,
					.size = CEPHFS_CACHE_CHUNK,
					.skip = (size_t)at,
					.release = cache_chunk_return,
					.release_arg = k};
}

bool cephfs_cache_may_serve(struct cephfs_export *ex, uint64_t off, size_t len)
{
	return ex->cache && len && off / CEPHFS_CACHE_CHUNK == (off + len - 1) / CEPHFS_CACHE_CHUNK;
}

int cephfs_cache_read(struct cephfs_export *ex, struct cephfs_obj *o, uint64_t off, size_t len,
		      struct backend_mapping *out, size_t *got, bool *eof)
{
	struct cephfs_cache *c = ex->cache;
	uint64_t index = off / CEPHFS_CACHE_CHUNK;

	*got = 0;
	*out = (struct backend_mapping){0};
	if (!cephfs_cache_may_serve(ex, off, len) || o->snapid != CEPH_NOSNAP)
		return -EOPNOTSUPP;
	for (int pass = 0; pass < 2; pass++) {
		pthread_mutex_lock(&c->lock);
		struct cephfs_cache_file **slot = cache_file_slot(c, o->ino, o->snapid);
		struct cephfs_cache_file *f = *slot;
		if (f && !f->fh) {
			/* Kept out after a change of Ferry's, for a while. */
			if (clock_now_coarse_ms() - f->written_ms < CEPHFS_CACHE_WRITTEN_MS) {
				pthread_mutex_unlock(&c->lock);
				return -EOPNOTSUPP;
			}
			*slot = f->next;
			free(f); /* holds nothing */
			f = NULL;
		}
		if (f) {
			struct cephfs_cache_chunk *k = cache_chunk_find(c, f, index);
			if (k) {
				c->hits++;
				cache_lend(c, f, k, off, len, out, got, eof);
				pthread_mutex_unlock(&c->lock);
				return 0;
			}
			if (index * CEPHFS_CACHE_CHUNK >= f->size) {
				/* Past the end the delegation holds still. */
				*eof = true;
				f->used_ms = clock_now_coarse_ms();
				pthread_mutex_unlock(&c->lock);
				return 0;
			}
			struct cephfs_cache_chunk *n = cache_chunk_obtain(c);
			if (!n) {
				pthread_mutex_unlock(&c->lock);
				return -EOPNOTSUPP; /* everything lent: read as before */
			}
			/* The delegation's file is read outside the lock, and
			 * not given back before the read ends (reading); a
			 * fill whose file left the table meanwhile keeps
			 * nothing it read. */
			struct cephfs_cache_file *filling = f;
			filling->reading++;
			pthread_mutex_unlock(&c->lock);
			int r = CEPHFS_CALL(ex, read,
					    ceph_ll_read(ex->cm, filling->fh,
							 (int64_t)(index * CEPHFS_CACHE_CHUNK),
							 CEPHFS_CACHE_CHUNK, (char *)n->data));
			pthread_mutex_lock(&c->lock);
			if (--filling->reading == 0)
				cephfs_chore_wake(&c->returner); /* it may be waiting to go */
			f = *cache_file_slot(c, o->ino, o->snapid);
			bool keep = r >= 0 && f == filling && !cache_chunk_find(c, f, index);
			if (keep) {
				n->file = f;
				n->index = index;
				n->len = (uint32_t)r;
				n->lent = 0;
				size_t b = cache_chunk_bucket(c, f->ino, index);
				n->hnext = c->chunk_bucket[b];
				c->chunk_bucket[b] = n;
				n->fprev = NULL;
				n->fnext = f->chunks;
				if (f->chunks)
					f->chunks->fprev = n;
				f->chunks = n;
				cache_lru_append(c, n);
				c->fills++;
				cache_lend(c, f, n, off, len, out, got, eof);
			} else {
				n->free_next = c->free;
				c->free = n;
			}
			pthread_mutex_unlock(&c->lock);
			if (r < 0)
				return cephfs_err(ex, r);
			/* Dropped or recalled meanwhile: read as before. */
			return keep ? 0 : -EOPNOTSUPP;
		}
		pthread_mutex_unlock(&c->lock);
		if (pass)
			break;
		int rc = cache_file_take(ex, o);
		if (rc == -ESTALE)
			return rc;
		if (rc)
			return -EOPNOTSUPP;
	}
	return -EOPNOTSUPP;
}

void cephfs_cache_drop(struct cephfs_export *ex, uint64_t ino, uint64_t snapid)
{
	struct cephfs_cache *c = ex->cache;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	struct cephfs_cache_file **slot = cache_file_slot(c, ino, snapid);
	struct cephfs_cache_file *f = *slot;
	uint64_t now = clock_now_coarse_ms();
	if (!f || !f->fh) {
		if (f)
			f->written_ms = now; /* kept out longer */
		pthread_mutex_unlock(&c->lock);
		return;
	}
	*slot = f->next;
	cache_file_empty(c, f);
	bool now_free = !f->reading;
	if (!now_free) {
		/* A fill reads through its file: given back here, closed by
		 * the thread once the fill ends. */
		f->given_back = true;
		f->next = c->returning;
		c->returning = f;
	}
	/* Kept out a while: a file being written would otherwise take a
	 * delegation between every two WRITEs. */
	cache_keep_out(c, ino, snapid);
	pthread_mutex_unlock(&c->lock);
	/* Given back before the change: libcephfs would make the change
	 * wait for it. */
	if (now_free)
		cache_file_release(ex, f);
	else
		cache_file_give_back(ex, f);
}

void cephfs_cache_counts(struct cephfs_export *ex, uint64_t *hits, uint64_t *fills,
			 uint64_t *recalls)
{
	struct cephfs_cache *c = ex->cache;

	*hits = *fills = *recalls = 0;
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	*hits = c->hits;
	*fills = c->fills;
	*recalls = c->recalls;
	pthread_mutex_unlock(&c->lock);
}
