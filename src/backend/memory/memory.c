/* The memory back end: a tree in memory, for tests.
 *
 * It follows the local back end's semantics (which are the kernel's), down
 * to permissions: owner/group/other bits with root bypassing all but
 * execute, sticky directories, set-ID bits cleared on chown, write and
 * truncate, nfsd's owner override for read and write, hard links,
 * devices, the EXCLUSIVE verifier kept in atime/mtime.  Names are in
 * memory_dir.c, extended attributes in memory_xattr.c.  Timestamps do not
 * move on read (noatime). */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "backend/memory/memory_internal.h"

enum { MEM_TABLE_MIN = 1024 };

static struct timespec mem_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

static uint64_t mem_hash(uint64_t id)
{
	return id * 0x9e3779b97f4a7c15ull;
}

int mem_node_find(struct mem_export *ex, const struct backend_handle *h, struct mem_node **out)
{
	uint64_t id, gen;

	if (h->len != MEM_HANDLE_LEN)
		return -EBADF;
	memcpy(&id, h->data, 8);
	memcpy(&gen, h->data + 8, 8);
	if (gen != ex->gen)
		return -ESTALE;
	struct hashtable_node *hn;
	hashtable_for_each_hash(hn, &ex->table, mem_hash(id))
	{
		struct mem_node *n = hashtable_entry(hn, struct mem_node, node);

		if (n->id == id) {
			*out = n;
			return 0;
		}
	}
	return -ESTALE;
}

void mem_handle_make(const struct mem_export *ex, const struct mem_node *n,
		     struct backend_handle *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->data, &n->id, 8);
	memcpy(out->data + 8, &ex->gen, 8);
	out->len = MEM_HANDLE_LEN;
}

void mem_attr_fill(const struct mem_node *n, struct backend_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->type = n->type;
	attr->mode = n->mode & 07777;
	attr->nlink = n->nlink;
	attr->uid = n->uid;
	attr->gid = n->gid;
	attr->size = n->type == BACKEND_LNK ? strlen(n->target) : n->size;
	attr->space_used = n->type == BACKEND_REG ? mem_space_used(n) : 0;
	attr->fileid = n->id;
	attr->change = n->change;
	attr->rdev_major = n->rdev_major;
	attr->rdev_minor = n->rdev_minor;
	attr->atime = n->atime;
	attr->mtime = n->mtime;
	attr->ctime = n->ctime;
	attr->btime = n->btime;
}

void mem_node_describe(const struct mem_export *ex, const struct mem_node *n,
		       struct backend_handle *out, struct backend_attr *attr)
{
	mem_handle_make(ex, n, out);
	if (attr)
		mem_attr_fill(n, attr);
}

void mem_touch(struct mem_export *ex, struct mem_node *n, unsigned what)
{
	struct timespec now = mem_now();

	n->change = ++ex->clock;
	n->ctime = now;
	if (what & MEM_TOUCH_MTIME)
		n->mtime = now;
}

bool mem_may(const struct backend_cred *cred, const struct mem_node *n, uint32_t want)
{
	return backend_mode_may(cred, n->type, n->mode, n->uid, n->gid, want);
}

struct mem_node *mem_node_new(struct mem_export *ex, enum backend_ftype type, uint32_t mode,
			      const struct backend_cred *cred, const struct mem_node *dir)
{
	struct mem_node *n;

	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->id = ex->next_id++;
	n->type = type;
	n->mode = mode & 07777;
	n->uid = cred->uid;
	n->gid = cred->gid;
	if (dir && (dir->mode & MEM_MODE_SGID)) {
		n->gid = dir->gid;
		if (type == BACKEND_DIR)
			n->mode |= MEM_MODE_SGID;
	}
	/* The kernel strips set-group-ID from a new executable file of a
	 * group its creator is not in (mode_strip_sgid). */
	if (type != BACKEND_DIR && (n->mode & MEM_MODE_SGID) && (n->mode & 010) &&
	    cred->uid != 0 && !backend_cred_in_group(cred, n->gid))
		n->mode &= ~(uint32_t)MEM_MODE_SGID;
	n->btime = n->atime = mem_now();
	mem_touch(ex, n, MEM_TOUCH_MTIME);
	if (type == BACKEND_DIR)
		n->next_cookie = MEM_FIRST_COOKIE;
	hashtable_insert(&ex->table, &n->node, mem_hash(n->id));
	return n;
}

static void mem_node_free(struct mem_node *n)
{
	for (size_t i = 0; i < n->nents; i++)
		free(n->ents[i].name);
	free(n->ents);
	mem_xattrs_free(n);
	free(n->data);
	free(n->blocks);
	free(n->target);
	free(n);
}

void mem_node_release(struct mem_export *ex, struct mem_node *n)
{
	if (n->nlink > 0 || n == ex->root)
		return;
	hashtable_remove(&ex->table, &n->node);
	ex->bytes -= n->size;
	mem_node_free(n);
}

long mem_dir_find(const struct mem_node *dir, const char *name)
{
	for (size_t i = 0; i < dir->nents; i++)
		if (strcmp(dir->ents[i].name, name) == 0)
			return (long)i;
	return -1;
}

int mem_dir_add(struct mem_export *ex, struct mem_node *dir, const char *name,
		struct mem_node *n)
{
	struct mem_entry *e;

	if (dir->nents == dir->ents_cap) {
		size_t cap = dir->ents_cap ? dir->ents_cap * 2 : 16;

		e = realloc(dir->ents, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		dir->ents = e;
		dir->ents_cap = cap;
	}
	e = &dir->ents[dir->nents];
	e->name = strdup(name);
	if (!e->name)
		return -ENOMEM;
	e->cookie = dir->next_cookie++;
	e->node = n;
	dir->nents++;
	mem_touch(ex, dir, MEM_TOUCH_MTIME);
	return 0;
}

void mem_dir_del(struct mem_node *dir, size_t i)
{
	free(dir->ents[i].name);
	memmove(&dir->ents[i], &dir->ents[i + 1], (dir->nents - i - 1) * sizeof(dir->ents[0]));
	dir->nents--;
}

/* ---- export ---- */

static void mem_export_free(struct mem_export *ex)
{
	struct hashtable_iter it;

	for (struct hashtable_node *n = hashtable_iter_first(&it, &ex->table); n;
	     n = hashtable_iter_next(&it))
		mem_node_free(hashtable_entry(n, struct mem_node, node));
	hashtable_fini(&ex->table);
	pthread_mutex_destroy(&ex->lock);
	free(ex);
}

static int mem_export_open(const char *path, const char *state_dir,
			   const struct backend_options *opts, struct backend_export **out)
{
	static const struct backend_cred root_cred = { 0 };
	struct mem_export *ex = calloc(1, sizeof(*ex));
	int r;

	(void)path;
	(void)state_dir;
	if (!ex)
		return -ENOMEM;
	r = pthread_mutex_init(&ex->lock, NULL);
	if (r != 0) {
		free(ex);
		return -r;
	}
	if (getrandom(&ex->gen, sizeof(ex->gen), 0) != sizeof(ex->gen))
		ex->gen = (uint64_t)mem_now().tv_nsec ^ (uint64_t)(uintptr_t)ex;
	ex->next_id = 2; /* ids start where ext4's root sits; any would do */
	r = hashtable_init(&ex->table, MEM_TABLE_MIN);
	if (r == 0) {
		ex->root = mem_node_new(ex, BACKEND_DIR, 0755, &root_cred, NULL);
		if (!ex->root)
			r = -ENOMEM;
	}
	if (r != 0) {
		mem_export_free(ex);
		return r;
	}
	ex->root->nlink = 2;
	*out = (struct backend_export *)ex;
	return 0;
}

void backend_memory_set_latency(struct backend_export *bex, unsigned us)
{
	atomic_store(&mem_export_of(bex)->latency_us, us);
}

void mem_metadata_delay(struct mem_export *ex)
{
	unsigned us = atomic_load_explicit(&ex->latency_us, memory_order_relaxed);
	if (us) {
		struct timespec ts = {us / 1000000, (long)(us % 1000000) * 1000};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

void mem_lock_metadata(struct mem_export *ex)
{
	mem_metadata_delay(ex);
	pthread_mutex_lock(&ex->lock);
}

int mem_lock_metadata_node(struct mem_export *ex, const struct backend_handle *h,
			   struct mem_node **out)
{
	mem_lock_metadata(ex);
	return mem_node_find(ex, h, out);
}

static void mem_export_close(struct backend_export *bex)
{
	if (bex)
		mem_export_free(mem_export_of(bex));
}

static int mem_root(struct backend_export *bex, struct backend_handle *out)
{
	struct mem_export *ex = mem_export_of(bex);

	mem_handle_make(ex, ex->root, out);
	return 0;
}

/* ---- attributes and names ---- */

static int mem_getattr(struct backend_export *bex, const struct backend_handle *h,
		       struct backend_attr *attr)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	int r;

	pthread_mutex_lock(&ex->lock);
	r = mem_node_find(ex, h, &n);
	if (r == 0)
		mem_attr_fill(n, attr);
	pthread_mutex_unlock(&ex->lock);
	return r;
}

static int mem_lookup(struct backend_export *bex, const struct backend_cred *cred,
		      const struct backend_handle *dir, const char *name, struct backend_handle *out,
		      struct backend_attr *attr)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *d;
	long i;
	int r;

	mem_lock_metadata(ex);
	r = mem_dir_get_entry(ex, cred, dir, name, &d, &i);
	if (r == 0)
		mem_node_describe(ex, d->ents[i].node, out, attr);
	pthread_mutex_unlock(&ex->lock);
	return r;
}

/* The memory back end has no cheaper walk than its lookups; offering one
 * lets the tests and the compound fuzz target reach the NFS layer's walk
 * of LOOKUP after LOOKUP on it. */
static int mem_lookup_path(struct backend_export *bex, const struct backend_cred *cred,
			   const struct backend_handle *dir, const char *const *names, unsigned n,
			   struct backend_handle *out, struct backend_attr *attr)
{
	struct backend_handle at = *dir;
	int r = n ? 0 : -EINVAL;

	for (unsigned i = 0; r == 0 && i < n; i++) {
		r = mem_lookup(bex, cred, &at, names[i], out, attr);
		at = *out;
	}
	return r;
}

static int mem_lookup_parent(struct backend_export *bex, const struct backend_cred *cred,
			     const struct backend_handle *dir, struct backend_handle *out,
			     struct backend_attr *attr)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *d;
	int r = mem_lock_metadata_node(ex, dir, &d);

	if (r == 0 && d->type != BACKEND_DIR)
		r = -ENOTDIR;
	if (r == 0 && d == ex->root)
		r = -ENOENT;
	if (r == 0 && !mem_may(cred, d, BACKEND_ACCESS_EXEC))
		r = -EACCES;
	if (r == 0)
		mem_node_describe(ex, d->parent, out, attr);
	pthread_mutex_unlock(&ex->lock);
	return r;
}

static int mem_access(struct backend_export *bex, const struct backend_cred *cred,
		      const struct backend_handle *h, uint32_t want, uint32_t *granted)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	int r;

	*granted = 0;
	pthread_mutex_lock(&ex->lock);
	r = mem_node_find(ex, h, &n);
	for (uint32_t bit = 1; r == 0 && bit <= 4; bit <<= 1)
		if ((want & bit) && mem_may(cred, n, bit))
			*granted |= bit;
	pthread_mutex_unlock(&ex->lock);
	return r;
}

/* ---- data ---- */

int mem_data_type(const struct mem_node *n)
{
	if (n->type == BACKEND_REG)
		return 0;
	return n->type == BACKEND_DIR ? -EISDIR : -EINVAL;
}

/* READ, WRITE and COMMIT refuse anything but a regular file, all with the
 * same errors. */
int mem_file_find(struct mem_export *ex, const struct backend_handle *h, struct mem_node **out)
{
	int r = mem_node_find(ex, h, out);

	return r != 0 ? r : mem_data_type(*out);
}

/* Reading a file's data: read permission, or execute (a client runs a
 * program by reading it), or ownership (see local_access.c on nfsd's owner
 * override). */
bool mem_may_read_data(const struct backend_cred *cred, const struct mem_node *n)
{
	return mem_may(cred, n, BACKEND_ACCESS_READ) || mem_may(cred, n, BACKEND_ACCESS_EXEC) ||
	       cred->uid == n->uid;
}

/* Changing a file's data: write permission, or ownership (see local_access.c
 * on nfsd's owner override). */
bool mem_may_write_data(const struct backend_cred *cred, const struct mem_node *n)
{
	return mem_may(cred, n, BACKEND_ACCESS_WRITE) || cred->uid == n->uid;
}

/* What the kernel's file_remove_privs does when someone without
 * CAP_FSETID writes or truncates. */
void mem_kill_suid(const struct backend_cred *cred, struct mem_node *n)
{
	if (cred->uid == 0)
		return;
	n->mode &= ~(uint32_t)MEM_MODE_SUID;
	if (n->mode & 010)
		n->mode &= ~(uint32_t)MEM_MODE_SGID;
}

int mem_file_access(struct mem_export *ex, const struct backend_cred *cred,
		    const struct backend_handle *h, bool write, struct mem_node **out)
{
	int r = mem_file_find(ex, h, out);

	if (r == 0 && !(write ? mem_may_write_data(cred, *out) : mem_may_read_data(cred, *out)))
		r = -EACCES;
	return r;
}

static _Atomic uint64_t file_max = MEM_FILE_MAX;

void backend_memory_set_file_max(uint64_t bytes)
{
	atomic_store_explicit(&file_max, bytes < MEM_FILE_MAX ? bytes : MEM_FILE_MAX,
			      memory_order_relaxed);
}

uint64_t mem_file_max(void)
{
	return atomic_load_explicit(&file_max, memory_order_relaxed);
}

int mem_resize(struct mem_export *ex, struct mem_node *n, uint64_t size)
{
	if (size > mem_file_max())
		return -EFBIG;
	/* Blocks past a smaller size go; a larger one adds a hole. */
	if (size < n->size)
		mem_space_truncate(n, size);
	if (size > n->cap) {
		size_t cap = n->cap ? n->cap : 4096;
		uint8_t *p;

		while (cap < size)
			cap *= 2;
		p = realloc(n->data, cap);
		if (!p)
			return -ENOSPC;
		n->data = p;
		n->cap = cap;
	}
	if (size > n->size)
		memset(n->data + n->size, 0, size - n->size);
	ex->bytes += size;
	ex->bytes -= n->size;
	n->size = size;
	return 0;
}

static int mem_read(struct backend_export *bex, const struct backend_cred *cred,
		    const struct backend_handle *h, uint64_t off, size_t len, void *buf,
		    size_t *got, bool *eof)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	int r;

	*got = 0;
	*eof = false;
	pthread_mutex_lock(&ex->lock);
	r = mem_file_access(ex, cred, h, false, &n);
	if (r == 0) {
		if (off < n->size) {
			*got = n->size - off < len ? (size_t)(n->size - off) : len;
			memcpy(buf, n->data + off, *got);
		}
		*eof = off + *got >= n->size;
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}

/* Memory never waits for a disk (the test latency delays names and
 * attributes only). */
static int mem_read_nowait(struct backend_export *bex, const struct backend_cred *cred,
			   const struct backend_handle *h, const struct backend_attr *seen,
			   uint64_t off, size_t len, void *buf, size_t *got, bool *eof,
			   bool *would_block)
{
	(void)seen;
	*would_block = false;
	return mem_read(bex, cred, h, off, len, buf, got, eof);
}

static int mem_write(struct backend_export *bex, const struct backend_cred *cred,
		     const struct backend_handle *h, uint64_t off, const void *buf, size_t len,
		     enum backend_stable stable, size_t *written, enum backend_stable *committed)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	int r;

	*written = 0;
	pthread_mutex_lock(&ex->lock);
	r = mem_file_access(ex, cred, h, true, &n);
	if (r == 0 && (off > mem_file_max() || len > mem_file_max() - off))
		r = -EFBIG;
	if (r == 0 && off + len > n->size)
		r = mem_resize(ex, n, off + len);
	if (r == 0 && len)
		r = mem_space_fill(n, off, len);
	if (r == 0) {
		/* An empty file has no data buffer: nothing to copy to (or from). */
		if (len)
			memcpy(n->data + off, buf, len);
		mem_kill_suid(cred, n);
		mem_touch(ex, n, MEM_TOUCH_MTIME);
		*written = len;
		*committed = stable; /* memory is as stable as it gets */
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}

static int mem_write_nowait(struct backend_export *bex, const struct backend_cred *cred,
			    const struct backend_handle *h, const struct backend_attr *seen,
			    uint64_t off, const void *buf, size_t len, size_t *written,
			    bool *would_block)
{
	enum backend_stable committed;
	(void)seen;
	*would_block = false;
	return mem_write(bex, cred, h, off, buf, len, BACKEND_UNSTABLE, written, &committed);
}

/* COPY: what a read of src and a write of dst would check and do. */
static int mem_copy(struct backend_export *bex, const struct backend_cred *cred,
		    const struct backend_handle *src, uint64_t src_off,
		    const struct backend_handle *dst, uint64_t dst_off, uint64_t len,
		    uint64_t *copied)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *s, *d;
	int r;

	*copied = 0;
	pthread_mutex_lock(&ex->lock);
	r = mem_file_find(ex, src, &s);
	if (r == 0)
		r = mem_file_find(ex, dst, &d);
	if (r == 0 && !mem_may_read_data(cred, s))
		r = -EACCES;
	if (r == 0 && !mem_may_write_data(cred, d))
		r = -EACCES;
	if (r == 0 && s == d)
		r = -EINVAL; /* the NFS layer refuses a copy within one file */
	uint64_t n = 0;
	if (r == 0 && src_off < s->size)
		n = s->size - src_off < len ? s->size - src_off : len;
	if (r == 0 && n && (dst_off > mem_file_max() || n > mem_file_max() - dst_off))
		r = -EFBIG;
	if (r == 0 && n && dst_off + n > d->size)
		r = mem_resize(ex, d, dst_off + n);
	if (r == 0 && n) {
		memcpy(d->data + dst_off, s->data + src_off, n);
		mem_kill_suid(cred, d);
		mem_touch(ex, d, MEM_TOUCH_MTIME);
		*copied = n;
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}

static int mem_commit(struct backend_export *bex, const struct backend_handle *h, uint64_t off,
		      uint64_t len)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	int r;

	(void)off;
	(void)len;
	pthread_mutex_lock(&ex->lock);
	r = mem_file_find(ex, h, &n);
	pthread_mutex_unlock(&ex->lock);
	return r;
}

/* ---- setattr: the kernel's rules (notify_change, chown_ok, ...) ---- */

static int mem_set_owner(struct mem_export *ex, const struct backend_cred *cred,
			 struct mem_node *n, const struct backend_setattr *sa)
{
	bool set_uid = sa->mask & BACKEND_SET_UID, set_gid = sa->mask & BACKEND_SET_GID;
	bool owner = cred->uid == n->uid;

	if (cred->uid != 0) {
		/* Only root gives a file away; the owner may pick one of
		 * their groups (chown_ok, chgrp_ok). */
		if (set_uid && !(owner && sa->uid == n->uid))
			return -EPERM;
		if (set_gid && !(owner && (sa->gid == n->gid || backend_cred_in_group(cred, sa->gid))))
			return -EPERM;
	}
	if (set_uid)
		n->uid = sa->uid;
	if (set_gid)
		n->gid = sa->gid;
	if (n->type != BACKEND_DIR) {
		/* Even root's chown clears set-user-ID (and executable
		 * set-group-ID), so a file does not change hands with
		 * privileges attached. */
		n->mode &= ~(uint32_t)MEM_MODE_SUID;
		if (n->mode & 010)
			n->mode &= ~(uint32_t)MEM_MODE_SGID;
	}
	mem_touch(ex, n, 0);
	return 0;
}

static int mem_set_mode(struct mem_export *ex, const struct backend_cred *cred,
			struct mem_node *n, uint32_t mode)
{
	if (n->type == BACKEND_LNK)
		return 0; /* meaningless on Linux; nfsd ignores it */
	if (cred->uid != 0 && cred->uid != n->uid)
		return -EPERM;
	mode &= 07777;
	if (cred->uid != 0 && !backend_cred_in_group(cred, n->gid))
		mode &= ~(uint32_t)MEM_MODE_SGID;
	n->mode = mode;
	mem_touch(ex, n, 0);
	return 0;
}

static int mem_set_times(struct mem_export *ex, const struct backend_cred *cred,
			 struct mem_node *n, const struct backend_setattr *sa)
{
	struct timespec now = { 0 };
	uint32_t m = sa->mask;
	bool both_now = (m & BACKEND_SET_ATIME_NOW) && (m & BACKEND_SET_MTIME_NOW);
	bool owner = cred->uid == 0 || cred->uid == n->uid;

	/* utimensat: "now" for both needs write permission or ownership;
	 * anything else (explicit times, or one left alone) ownership. */
	if (!owner && !both_now)
		return -EPERM;
	if (!owner && !mem_may(cred, n, BACKEND_ACCESS_WRITE))
		return -EACCES;
	mem_touch(ex, n, 0);
	now = n->ctime;
	if (m & BACKEND_SET_ATIME_NOW)
		n->atime = now;
	else if (m & BACKEND_SET_ATIME)
		n->atime = sa->atime;
	if (m & BACKEND_SET_MTIME_NOW)
		n->mtime = now;
	else if (m & BACKEND_SET_MTIME)
		n->mtime = sa->mtime;
	return 0;
}

/* In the local back end's order: size, owner, mode, times. */
int mem_setattr_apply(struct mem_export *ex, const struct backend_cred *cred, struct mem_node *n,
		      const struct backend_setattr *sa)
{
	uint32_t m = sa->mask;
	int r;

	if (m & BACKEND_SET_SIZE) {
		r = mem_data_type(n);
		if (r != 0)
			return r;
		if (!mem_may_write_data(cred, n))
			return -EACCES;
		r = mem_resize(ex, n, sa->size);
		if (r != 0)
			return r;
		mem_kill_suid(cred, n);
		mem_touch(ex, n, MEM_TOUCH_MTIME);
	}
	if (m & (BACKEND_SET_UID | BACKEND_SET_GID)) {
		r = mem_set_owner(ex, cred, n, sa);
		if (r != 0)
			return r;
	}
	if (m & BACKEND_SET_MODE) {
		r = mem_set_mode(ex, cred, n, sa->mode);
		if (r != 0)
			return r;
	}
	if (m & (BACKEND_SET_ATIME | BACKEND_SET_ATIME_NOW | BACKEND_SET_MTIME |
		 BACKEND_SET_MTIME_NOW))
		return mem_set_times(ex, cred, n, sa);
	return 0;
}

static int mem_setattr(struct backend_export *bex, const struct backend_cred *cred,
		       const struct backend_handle *h, const struct backend_setattr *sa,
		       struct backend_attr *attr)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	int r = mem_lock_metadata_node(ex, h, &n);

	if (r == 0)
		r = mem_setattr_apply(ex, cred, n, sa);
	if (r == 0 && attr)
		mem_attr_fill(n, attr);
	pthread_mutex_unlock(&ex->lock);
	return r;
}

/* ---- the rest ---- */

static int mem_readlink(struct backend_export *bex, const struct backend_handle *h, char *buf,
			size_t cap, size_t *len)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	int r;

	pthread_mutex_lock(&ex->lock);
	r = mem_node_find(ex, h, &n);
	if (r == 0 && n->type != BACKEND_LNK)
		r = -EINVAL;
	if (r == 0) {
		size_t l = strlen(n->target);

		if (l >= cap) {
			r = -ENAMETOOLONG;
		} else {
			memcpy(buf, n->target, l + 1);
			*len = l;
		}
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}

static int mem_statfs(struct backend_export *bex, const struct backend_handle *h,
		      struct backend_fsstat *out)
{
	struct mem_export *ex = mem_export_of(bex);
	const uint64_t space = 1ull << 40, files = 1ull << 24;
	struct mem_node *n;
	int r;

	pthread_mutex_lock(&ex->lock);
	r = mem_node_find(ex, h, &n);
	if (r == 0) {
		size_t nodes = hashtable_count(&ex->table);

		out->space_total = space;
		out->space_free = out->space_avail = space > ex->bytes ? space - ex->bytes : 0;
		out->files_total = files;
		out->files_free = out->files_avail = files > nodes ? files - nodes : 0;
		out->name_max = BACKEND_NAME_MAX;
		out->link_max = MEM_LINK_MAX;
		out->xattrs = true;
		out->clone_blksize = MEM_BLOCK;
		out->change_kind = BACKEND_CHANGE_COUNTER; /* ex->clock */
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}

const struct backend_ops backend_memory_ops = {
	.name = "memory",
	.export_open = mem_export_open,
	.export_close = mem_export_close,
	.root = mem_root,
	.getattr = mem_getattr,
	.lookup = mem_lookup,
	.lookup_path = mem_lookup_path,
	.lookup_parent = mem_lookup_parent,
	.access = mem_access,
	.setattr = mem_setattr,
	.read = mem_read,
	.read_nowait = mem_read_nowait,
	.write = mem_write,
	.write_nowait = mem_write_nowait,
	.commit = mem_commit,
	.copy = mem_copy,
	.space = mem_space,
	.seek = mem_seek,
	.clone = mem_clone,
	.advise = mem_advise,
	.create_file = mem_create_file,
	.mknod = mem_mknod,
	.symlink = mem_symlink,
	.readlink = mem_readlink,
	.remove = mem_remove,
	.rename = mem_rename,
	.link = mem_link,
	.readdir = mem_readdir,
	.statfs = mem_statfs,
	.getxattr = mem_getxattr,
	.setxattr = mem_setxattr,
	.listxattr = mem_listxattr,
	.removexattr = mem_removexattr,
	.lease = mem_lease,
	.lease_notify = mem_lease_notify,
};
