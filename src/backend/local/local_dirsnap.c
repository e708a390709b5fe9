/* Snapshots of directory listings, so that listing a directory again costs
 * one statx per entry instead of getdents64 plus name_to_handle_at plus
 * statx (local_readdir).
 *
 * A snapshot holds, in getdents64 order, each entry's name, cookie, inode
 * number and handle: everything about an entry that can only change when
 * the directory itself changes (a create, remove, rename or link in it sets
 * the directory's ctime).  Attributes are never kept: every listing reads
 * them fresh.  A snapshot is served only while the directory's inode,
 * ctime and mtime are those read (statx) before it was built; a change
 * made after that read, even during the build, gives a new ctime, so a
 * snapshot that is served always shows what getdents64 would show now.
 *
 * Two guards make "gives a new ctime" hold.  Linux 6.13 and later give
 * ext4, xfs, btrfs and tmpfs multigrain timestamps: once a ctime has been
 * read, the next change gets a fine-grained one.  On other file systems a
 * change within the same clock tick could keep the ctime, so a snapshot is
 * built only of a directory whose ctime is at least LOCAL_DIRSNAP_SETTLE_NS
 * old: any later change is stamped with a later time.  The same rule keeps
 * a directory that is changing all the time from being rebuilt at every
 * READDIR.
 *
 * Cookies are the same getdents64 d_off values the direct path gives, so
 * a client may move between the two paths in the middle of a listing.  A
 * snapshot is kept only when its cookies increase (ext4, xfs, btrfs and
 * tmpfs list in cookie order), so a cookie is found by bisection.
 *
 * Memory: at most LOCAL_DIRSNAP_SLOTS snapshots per export of at most
 * LOCAL_DIRSNAP_MAX_ENTRIES entries each (a larger directory is always
 * listed directly); the least recently used goes first.
 *
 * A snapshot also keeps what listings made of its entries (READDIR: each
 * entry4 as encoded, backend_dirent.keep), with the key it was made for
 * and the attribute cache's ticket of the attributes it was made from.  It
 * is handed back only under the same key while the ticket holds
 * (local_readdir_snap), and it goes with the snapshot, so a change of the
 * directory, of the entry's attributes, or of what is asked never gets
 * old bytes.  At most LOCAL_DIRSNAP_MAX_KEPT_BYTES per snapshot, replaced
 * records included; then nothing more is kept. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "backend/local/local_internal.h"

enum { LOCAL_DIRSNAP_GETDENTS_BUF = 64 * 1024 };

void local_dirsnap_init(struct local_export *ex)
{
	pthread_mutex_init(&ex->snaps.lock, NULL);
}

static void local_dirsnap_free(struct local_dirsnap *s)
{
	if (!s)
		return;
	while (s->chunks) {
		struct local_dirsnap_chunk *next = s->chunks->next;

		free(s->chunks);
		s->chunks = next;
	}
	free(s->kept);
	free(s->ents);
	free(s->bytes);
	free(s);
}

/* Drops the table's reference; under the lock. */
static void local_dirsnap_unref_locked(struct local_dirsnap *s)
{
	if (--s->refs == 0)
		local_dirsnap_free(s);
}

void local_dirsnap_fini(struct local_export *ex)
{
	for (unsigned i = 0; i < LOCAL_DIRSNAP_SLOTS; i++) {
		if (ex->snaps.slot[i])
			local_dirsnap_unref_locked(ex->snaps.slot[i]);
		ex->snaps.slot[i] = NULL;
	}
	pthread_mutex_destroy(&ex->snaps.lock);
}

void local_dirsnap_put(struct local_export *ex, struct local_dirsnap *s)
{
	pthread_mutex_lock(&ex->snaps.lock);
	local_dirsnap_unref_locked(s);
	pthread_mutex_unlock(&ex->snaps.lock);
}

static bool local_dirsnap_same_dir(const struct local_dirsnap *s, const struct statx *dstx)
{
	return s->dir_ino == dstx->stx_ino && s->ctime.tv_sec == dstx->stx_ctime.tv_sec &&
	       s->ctime.tv_nsec == dstx->stx_ctime.tv_nsec &&
	       s->mtime.tv_sec == dstx->stx_mtime.tv_sec &&
	       s->mtime.tv_nsec == dstx->stx_mtime.tv_nsec;
}

static bool local_dirsnap_settled(const struct statx *dstx)
{
	struct timespec now;
	int64_t age;

	if (clock_gettime(CLOCK_REALTIME, &now) != 0)
		return false;
	age = ((int64_t)now.tv_sec - dstx->stx_ctime.tv_sec) * 1000000000 +
	      ((int64_t)now.tv_nsec - (int64_t)dstx->stx_ctime.tv_nsec);
	return age >= LOCAL_DIRSNAP_SETTLE_NS;
}

/* Appends bytes to the snapshot's pool; its offset, or -1. */
static int64_t local_dirsnap_store(struct local_dirsnap *s, const void *p, size_t len)
{
	if (s->nbytes + len > s->bytes_cap) {
		size_t cap = s->bytes_cap ? s->bytes_cap * 2 : 16384;
		char *b;

		while (cap < s->nbytes + len)
			cap *= 2;
		if (cap > LOCAL_DIRSNAP_MAX_BYTES || !(b = realloc(s->bytes, cap)))
			return -1;
		s->bytes = b;
		s->bytes_cap = cap;
	}
	memcpy(s->bytes + s->nbytes, p, len);
	s->nbytes += len;
	return (int64_t)(s->nbytes - len);
}

/* Lists dfd from its start into a new snapshot; NULL when the directory
 * does not suit one (too large, cookies out of order) or on error.  Runs
 * in the caller's identity, like the direct listing: an entry whose handle
 * that identity may not make is kept without one (made by name when it is
 * served). */
static struct local_dirsnap *local_dirsnap_build(struct local_export *ex, int dfd,
						 const struct statx *dstx)
{
	struct local_dirsnap *s = calloc(1, sizeof(*s));
	char *buf = malloc(LOCAL_DIRSNAP_GETDENTS_BUF);
	bool ok = s && buf && lseek(dfd, 0, SEEK_SET) == 0;

	if (ok) {
		s->dir_ino = dstx->stx_ino;
		s->ctime = dstx->stx_ctime;
		s->mtime = dstx->stx_mtime;
	}
	while (ok) {
		long n = syscall(SYS_getdents64, dfd, buf, LOCAL_DIRSNAP_GETDENTS_BUF);

		if (n <= 0) {
			ok = n == 0;
			break;
		}
		for (long off = 0; ok && off < n;) {
			const struct local_dirent64 *de = (const void *)(buf + off);
			struct local_dirsnap_ent *e;
			struct backend_handle h;
			size_t namelen;
			int64_t at;

			off += de->d_reclen;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (s->n == s->cap) {
				size_t cap = s->cap ? s->cap * 2 : 256;

				if (cap > LOCAL_DIRSNAP_MAX_ENTRIES)
					cap = LOCAL_DIRSNAP_MAX_ENTRIES;
				if (cap == s->cap || !(e = realloc(s->ents, cap * sizeof(*e)))) {
					ok = false;
					break;
				}
				s->ents = e;
				s->cap = cap;
			}
			e = &s->ents[s->n];
			e->cookie = (uint64_t)de->d_off + LOCAL_COOKIE_BIAS;
			if (s->n > 0 && e->cookie <= s->ents[s->n - 1].cookie) {
				ok = false;
				break;
			}
			e->ino = de->d_ino;
			namelen = strlen(de->d_name);
			at = local_dirsnap_store(s, de->d_name, namelen + 1);
			if (at < 0) {
				ok = false;
				break;
			}
			e->name_off = (uint32_t)at;
			e->namelen = (uint8_t)namelen;
			e->hlen = 0;
			e->handle_off = 0;
			if (local_handle_child(ex, dfd, de->d_name, &h) == 0) {
				at = local_dirsnap_store(s, h.data, h.len);
				if (at < 0) {
					ok = false;
					break;
				}
				e->handle_off = (uint32_t)at;
				e->hlen = h.len;
			}
			s->n++;
		}
	}
	free(buf);
	if (ok && !(s->kept = calloc(s->n ? s->n : 1, sizeof(*s->kept))))
		ok = false;
	if (!ok) {
		local_dirsnap_free(s);
		return NULL;
	}
	return s;
}

struct local_dirsnap *local_dirsnap_get(struct local_export *ex, const struct local_fd *d,
					int dfd, const struct statx *dstx)
{
	struct local_snaps *t = &ex->snaps;
	struct local_dirsnap *s = NULL, *built;
	unsigned victim = 0;

	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < LOCAL_DIRSNAP_SLOTS; i++) {
		struct local_dirsnap *c = t->slot[i];

		if (!c || !local_handle_eq(&c->dir, &d->handle))
			continue;
		if (local_dirsnap_same_dir(c, dstx)) {
			c->refs++;
			c->used = ++t->clock;
			s = c;
		} else {
			/* The directory changed: this one will never serve again. */
			t->slot[i] = NULL;
			local_dirsnap_unref_locked(c);
		}
		break;
	}
	if (s || dfd < 0 || !local_dirsnap_settled(dstx)) {
		pthread_mutex_unlock(&t->lock);
		return s;
	}
	/* One build per directory at a time: the others list directly. */
	for (unsigned i = 0; i < LOCAL_DIRSNAP_SLOTS; i++) {
		if (t->building[i].len && local_handle_eq(&t->building[i], &d->handle)) {
			pthread_mutex_unlock(&t->lock);
			return NULL;
		}
	}
	unsigned b = LOCAL_DIRSNAP_SLOTS;
	for (unsigned i = 0; i < LOCAL_DIRSNAP_SLOTS; i++) {
		if (t->building[i].len == 0) {
			b = i;
			break;
		}
	}
	if (b == LOCAL_DIRSNAP_SLOTS) {
		pthread_mutex_unlock(&t->lock);
		return NULL;
	}
	t->building[b] = d->handle;
	pthread_mutex_unlock(&t->lock);

	built = local_dirsnap_build(ex, dfd, dstx);

	pthread_mutex_lock(&t->lock);
	t->building[b].len = 0;
	if (built) {
		built->dir = d->handle;
		built->refs = 2; /* the table's and the caller's */
		built->used = ++t->clock;
		for (unsigned i = 0; i < LOCAL_DIRSNAP_SLOTS; i++) {
			if (!t->slot[i] || local_handle_eq(&t->slot[i]->dir, &d->handle)) {
				victim = i;
				break;
			}
			if (t->slot[i]->used < t->slot[victim]->used)
				victim = i;
		}
		if (t->slot[victim])
			local_dirsnap_unref_locked(t->slot[victim]);
		t->slot[victim] = built;
	}
	pthread_mutex_unlock(&t->lock);
	return built;
}

bool local_dirsnap_find(const struct local_dirsnap *s, uint64_t cookie, size_t *idx)
{
	size_t lo = 0, hi = s->n;

	if (cookie == 0) {
		*idx = 0;
		return true;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->ents[mid].cookie < cookie)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->n && s->ents[lo].cookie == cookie) {
		*idx = lo + 1;
		return true;
	}
	return false;
}

static bool local_keep_key_eq(const struct backend_keep_key *a, const struct backend_keep_key *b)
{
	return a->what == b->what && a->where == b->where;
}

const struct local_dirsnap_kept *local_dirsnap_kept_get(const struct local_dirsnap *s, size_t idx,
							const struct backend_keep_key *key)
{
	const struct local_dirsnap_kept *k = __atomic_load_n(&s->kept[idx], __ATOMIC_ACQUIRE);

	return k && local_keep_key_eq(&k->key, key) ? k : NULL;
}

/* Room for n bytes (8-aligned) in the snapshot's chunks; under the lock. */
static void *local_dirsnap_chunk_alloc(struct local_dirsnap *s, size_t n)
{
	struct local_dirsnap_chunk *c = s->chunks;

	n = (n + 7) & ~(size_t)7;
	if (n > LOCAL_DIRSNAP_KEPT_CHUNK || s->kept_bytes + n > LOCAL_DIRSNAP_MAX_KEPT_BYTES)
		return NULL;
	if (!c || c->used + n > LOCAL_DIRSNAP_KEPT_CHUNK) {
		c = malloc(sizeof(*c) + LOCAL_DIRSNAP_KEPT_CHUNK);
		if (!c)
			return NULL;
		c->used = 0;
		c->next = s->chunks;
		s->chunks = c;
	}
	c->used += n;
	s->kept_bytes += n;
	return c->data + c->used - n;
}

void local_dirsnap_keep(struct local_export *ex, struct local_dirsnap *s, size_t idx,
			const struct backend_keep_key *key, uint64_t ticket, uint64_t hh,
			const void *bytes, size_t len)
{
	struct local_dirsnap_kept *k;

	if (idx >= s->n || len > UINT32_MAX)
		return;
	pthread_mutex_lock(&ex->snaps.lock);
	k = local_dirsnap_chunk_alloc(s, sizeof(*k) + len);
	if (k) {
		k->key = *key;
		k->ticket = ticket;
		k->hh = hh;
		k->len = (uint32_t)len;
		memcpy(k->bytes, bytes, len);
		/* Readers load without the lock: the record is whole before
		 * they can see it. */
		__atomic_store_n(&s->kept[idx], k, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&ex->snaps.lock);
}
