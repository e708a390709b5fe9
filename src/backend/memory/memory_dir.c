/* Name operations of the memory back end, with the kernel's checks in the
 * kernel's terms: write and search permission on the directory, sticky
 * directories, protected_hardlinks, rename's directory rules. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/memory/memory_internal.h"

int mem_dir_get(struct mem_export *ex, const struct backend_cred *cred,
		const struct backend_handle *h, uint32_t want, struct mem_node **out)
{
	int r = mem_node_find(ex, h, out);

	if (r != 0)
		return r;
	if ((*out)->type != BACKEND_DIR)
		return -ENOTDIR;
	return mem_may(cred, *out, want) ? 0 : -EACCES;
}

int mem_dir_get_entry(struct mem_export *ex, const struct backend_cred *cred,
		      const struct backend_handle *dir, const char *name,
		      struct mem_node **dir_out, long *at)
{
	int r = backend_name_check(name);

	if (r == 0)
		r = mem_dir_get(ex, cred, dir, BACKEND_ACCESS_EXEC, dir_out);
	if (r != 0)
		return r;
	*at = mem_dir_find(*dir_out, name);
	return *at < 0 ? -ENOENT : 0;
}

#define MEM_MODIFY (BACKEND_ACCESS_WRITE | BACKEND_ACCESS_EXEC)

/* mknod, mkdir and symlink check in the kernel's order (lookup, then
 * may_create), so each reports the error the kernel would report first. */
static int mem_dir_get_for_new(struct mem_export *ex, const struct backend_cred *cred,
			       const struct backend_handle *dir, const char *name,
			       struct mem_node **out)
{
	int r = mem_dir_get(ex, cred, dir, BACKEND_ACCESS_EXEC, out);

	if (r == 0 && mem_dir_find(*out, name) >= 0)
		r = -EEXIST;
	if (r == 0 && !mem_may(cred, *out, MEM_MODIFY))
		r = -EACCES;
	return r;
}

/* Whether cred may remove or replace victim's name in dir. */
static bool mem_sticky_ok(const struct backend_cred *cred, const struct mem_node *dir,
			  const struct mem_node *victim)
{
	return !(dir->mode & MEM_MODE_STICKY) || cred->uid == 0 || cred->uid == dir->uid ||
	       cred->uid == victim->uid;
}

static uint32_t mem_create_mode(const struct backend_setattr *sa)
{
	return sa && (sa->mask & BACKEND_SET_MODE) ? sa->mode & 07777 : 0; /* as local_dir.c */
}

/* Makes a new object named name in d (checked not to exist). */
static int mem_make(struct mem_export *ex, const struct backend_cred *cred, struct mem_node *d,
		    const char *name, enum backend_ftype type, uint32_t mode, struct mem_node **out)
{
	struct mem_node *n = mem_node_new(ex, type, mode, cred, d);
	int r;

	if (!n)
		return -ENOMEM;
	r = mem_dir_add(ex, d, name, n);
	if (r != 0) {
		mem_node_release(ex, n);
		return r;
	}
	if (type == BACKEND_DIR) {
		n->nlink = 2;
		n->parent = d;
		d->nlink++;
	} else {
		n->nlink = 1;
	}
	*out = n;
	return 0;
}

/* Applies a create's remaining attributes (never the mode, given at
 * creation), then reports the object. */
static int mem_finish(struct mem_export *ex, const struct backend_cred *cred, struct mem_node *n,
		      const struct backend_setattr *sa, struct backend_handle *out,
		      struct backend_attr *attr)
{
	int r = 0;

	if (sa) {
		struct backend_setattr rest = *sa;

		rest.mask &= ~BACKEND_SET_MODE;
		r = mem_setattr_apply(ex, cred, n, &rest);
	}
	mem_node_describe(ex, n, out, attr);
	return r;
}

int mem_create_file(struct backend_export *bex, const struct backend_cred *cred,
		    const struct backend_handle *dir, const char *name,
		    enum backend_create_mode how, const uint8_t verifier[8],
		    const struct backend_setattr *sa, struct backend_handle *out,
		    struct backend_attr *attr, bool *created)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *d, *n;
	long i;
	int r;

	*created = false;
	mem_lock_metadata(ex);
	r = backend_name_check(name);
	if (r == 0)
		r = mem_dir_get(ex, cred, dir, BACKEND_ACCESS_EXEC, &d);
	if (r != 0)
		goto out;
	i = mem_dir_find(d, name);
	if (i >= 0) {
		n = d->ents[i].node;
		if (how == BACKEND_CREATE_GUARDED)
			r = -EEXIST;
		else if (n->type == BACKEND_DIR)
			r = -EISDIR;
		else if (n->type == BACKEND_LNK)
			r = -ELOOP;
		else if (n->type != BACKEND_REG)
			r = -EEXIST;
		else if (how == BACKEND_CREATE_EXCLUSIVE &&
			 !backend_verifier_matches(verifier, &n->atime, &n->mtime))
			r = -EEXIST;
		if (r == 0 && how == BACKEND_CREATE_UNCHECKED && sa && (sa->mask & BACKEND_SET_SIZE)) {
			struct backend_setattr size_only = { .mask = BACKEND_SET_SIZE,
							     .size = sa->size };

			r = mem_setattr_apply(ex, cred, n, &size_only);
		}
		if (r == 0) {
			mem_node_describe(ex, n, out, attr);
		}
		goto out;
	}
	if (!mem_may(cred, d, MEM_MODIFY)) {
		r = -EACCES;
		goto out;
	}
	r = mem_make(ex, cred, d, name, BACKEND_REG, mem_create_mode(sa), &n);
	if (r != 0)
		goto out;
	*created = true;
	if (how == BACKEND_CREATE_EXCLUSIVE) {
		backend_verifier_to_times(verifier, &n->atime, &n->mtime);
		r = mem_finish(ex, cred, n, NULL, out, attr);
	} else {
		r = mem_finish(ex, cred, n, sa, out, attr);
	}
out:
	pthread_mutex_unlock(&ex->lock);
	return r;
}

int mem_mknod(struct backend_export *bex, const struct backend_cred *cred,
	      const struct backend_handle *dir, const char *name, enum backend_ftype type,
	      uint32_t rdev_major, uint32_t rdev_minor, const struct backend_setattr *sa,
	      struct backend_handle *out, struct backend_attr *attr)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *d, *n;
	int r;

	mem_lock_metadata(ex);
	r = backend_name_check(name);
	if (r == 0 &&
	    (type == BACKEND_REG || type == BACKEND_LNK || type < BACKEND_REG || type > BACKEND_FIFO))
		r = -EINVAL;
	else if (r == 0 && (type == BACKEND_BLK || type == BACKEND_CHR) && cred->uid != 0)
		r = -EPERM; /* CAP_MKNOD */
	if (r == 0)
		r = mem_dir_get_for_new(ex, cred, dir, name, &d);
	/* mkdir keeps only permissions and sticky from the request; set-group-ID
	 * comes from the parent alone (vfs_mkdir). */
	if (r == 0)
		r = mem_make(ex, cred, d, name, type,
			     mem_create_mode(sa) & (type == BACKEND_DIR ? 01777u : 07777u), &n);
	if (r == 0) {
		if (type == BACKEND_BLK || type == BACKEND_CHR) {
			n->rdev_major = rdev_major;
			n->rdev_minor = rdev_minor;
		}
		r = mem_finish(ex, cred, n, sa, out, attr);
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}

int mem_symlink(struct backend_export *bex, const struct backend_cred *cred,
		const struct backend_handle *dir, const char *name, const char *target,
		const struct backend_setattr *sa, struct backend_handle *out,
		struct backend_attr *attr)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *d, *n;
	char *copy = NULL;
	int r;

	mem_lock_metadata(ex);
	r = backend_name_check(name);
	if (r == 0 && target[0] == '\0')
		r = -ENOENT; /* as symlink(2) */
	else if (r == 0 && strnlen(target, BACKEND_PATH_MAX) >= BACKEND_PATH_MAX)
		r = -ENAMETOOLONG;
	else if (r == 0 && !(copy = strdup(target)))
		r = -ENOMEM;
	if (r == 0)
		r = mem_dir_get_for_new(ex, cred, dir, name, &d);
	if (r == 0)
		r = mem_make(ex, cred, d, name, BACKEND_LNK, 0777, &n);
	if (r == 0) {
		n->target = copy;
		copy = NULL;
		r = mem_finish(ex, cred, n, sa, out, attr);
	}
	pthread_mutex_unlock(&ex->lock);
	free(copy);
	return r;
}

/* Drops one name of n (whose entry is already gone). */
static void mem_unlink_node(struct mem_export *ex, struct mem_node *dir, struct mem_node *n)
{
	if (n->type == BACKEND_DIR) {
		dir->nlink--;
		n->nlink = 0;
	} else {
		n->nlink--;
		mem_touch(ex, n, 0);
	}
	mem_node_release(ex, n);
}

int mem_remove(struct backend_export *bex, const struct backend_cred *cred,
	       const struct backend_handle *dir, const char *name)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *d, *n;
	long i = -1;
	int r;

	mem_lock_metadata(ex);
	r = mem_dir_get_entry(ex, cred, dir, name, &d, &i);
	if (r == 0 && !mem_may(cred, d, MEM_MODIFY))
		r = -EACCES;
	if (r == 0) {
		n = d->ents[i].node;
		if (!mem_sticky_ok(cred, d, n))
			r = -EPERM;
		else if (n->type == BACKEND_DIR && n->nents > 0)
			r = -ENOTEMPTY;
	}
	if (r == 0) {
		mem_dir_del(d, (size_t)i);
		mem_touch(ex, d, MEM_TOUCH_MTIME);
		mem_unlink_node(ex, d, n);
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}

/* rename(2)'s checks, in order; 0 lets it go ahead. */
static int mem_rename_check(const struct backend_cred *cred, struct mem_node *sd,
			    struct mem_node *s, struct mem_node *td, struct mem_node *t)
{
	if (!mem_sticky_ok(cred, sd, s) || (t && !mem_sticky_ok(cred, td, t)))
		return -EPERM;
	if (s->type == BACKEND_DIR) {
		if (t && t->type != BACKEND_DIR)
			return -ENOTDIR;
		if (t && t->nents > 0)
			return -ENOTEMPTY;
		for (const struct mem_node *p = td; p; p = p->parent)
			if (p == s)
				return -EINVAL; /* into itself */
		/* Its ".." changes: that is a write to the directory. */
		if (sd != td && !mem_may(cred, s, BACKEND_ACCESS_WRITE))
			return -EACCES;
	} else if (t && t->type == BACKEND_DIR) {
		return -EISDIR;
	}
	return 0;
}

int mem_rename(struct backend_export *bex, const struct backend_cred *cred,
	       const struct backend_handle *from_dir, const char *from_name,
	       const struct backend_handle *to_dir, const char *to_name)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *sd, *td, *s = NULL, *t = NULL;
	long si = -1, ti;
	int r;

	mem_lock_metadata(ex);
	r = backend_name_check(from_name);
	if (r == 0)
		r = backend_name_check(to_name);
	if (r == 0)
		r = mem_dir_get(ex, cred, from_dir, MEM_MODIFY, &sd);
	if (r == 0)
		r = mem_dir_get(ex, cred, to_dir, MEM_MODIFY, &td);
	if (r == 0 && (si = mem_dir_find(sd, from_name)) < 0)
		r = -ENOENT;
	if (r != 0)
		goto out;
	s = sd->ents[si].node;
	ti = mem_dir_find(td, to_name);
	t = ti >= 0 ? td->ents[ti].node : NULL;
	if (t == s)
		goto out; /* two names of one object: rename does nothing */
	r = mem_rename_check(cred, sd, s, td, t);
	if (r == 0)
		r = mem_dir_add(ex, td, to_name, s); /* first: the only step that can fail */
	if (r != 0)
		goto out;
	if (t) {
		/* The older entry of the name is the replaced one. */
		mem_dir_del(td, (size_t)mem_dir_find(td, to_name));
		mem_unlink_node(ex, td, t);
	}
	mem_dir_del(sd, (size_t)mem_dir_find(sd, from_name));
	if (s->type == BACKEND_DIR && sd != td) {
		sd->nlink--;
		td->nlink++;
		s->parent = td;
	}
	mem_touch(ex, sd, MEM_TOUCH_MTIME);
	mem_touch(ex, td, MEM_TOUCH_MTIME);
	mem_touch(ex, s, 0);
out:
	pthread_mutex_unlock(&ex->lock);
	return r;
}

/* fs.protected_hardlinks (on by default): someone other than the owner
 * may link only a regular file they can read and write that is not
 * set-user-ID or executable set-group-ID. */
static bool mem_may_link(const struct backend_cred *cred, const struct mem_node *n)
{
	if (cred->uid == 0 || cred->uid == n->uid)
		return true;
	if (n->type != BACKEND_REG || (n->mode & MEM_MODE_SUID) ||
	    ((n->mode & MEM_MODE_SGID) && (n->mode & 010)))
		return false;
	return mem_may(cred, n, BACKEND_ACCESS_READ | BACKEND_ACCESS_WRITE);
}

int mem_link(struct backend_export *bex, const struct backend_cred *cred,
	     const struct backend_handle *h, const struct backend_handle *dir, const char *name)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n, *d;
	int r;

	mem_lock_metadata(ex);
	r = backend_name_check(name);
	if (r == 0)
		r = mem_node_find(ex, h, &n);
	if (r == 0)
		r = mem_dir_get(ex, cred, dir, BACKEND_ACCESS_EXEC, &d);
	if (r == 0 && mem_dir_find(d, name) >= 0)
		r = -EEXIST;
	if (r == 0 && !mem_may_link(cred, n))
		r = -EPERM;
	if (r == 0 && !mem_may(cred, d, MEM_MODIFY))
		r = -EACCES;
	if (r == 0 && n->type == BACKEND_DIR)
		r = -EPERM;
	if (r == 0 && n->nlink >= MEM_LINK_MAX)
		r = -EMLINK;
	if (r == 0)
		r = mem_dir_add(ex, d, name, n);
	if (r == 0) {
		n->nlink++;
		mem_touch(ex, n, 0);
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}

/* Index of the first entry after cookie (entries are in cookie order). */
static size_t mem_dir_after(const struct mem_node *d, uint64_t cookie)
{
	size_t lo = 0, hi = d->nents;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->ents[mid].cookie <= cookie)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The lock is dropped around each call of fn, so fn may call back into the
 * back end; the listing then resumes after the last cookie given, which
 * survives any change made meanwhile. */
int mem_readdir(struct backend_export *bex, const struct backend_cred *cred,
		const struct backend_handle *dir, uint64_t cookie,
		const struct backend_keep_key *keep, backend_dirent_fn fn, void *ctx, bool *eof)
{
	(void)keep; /* nothing is kept: every listing encodes afresh */
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *d;
	int r;

	*eof = false;
	mem_lock_metadata(ex);
	if (cookie != 0 && cookie < MEM_FIRST_COOKIE)
		r = -EINVAL;
	else
		r = mem_dir_get(ex, cred, dir, BACKEND_ACCESS_READ, &d);
	if (r == 0 && cookie >= d->next_cookie)
		r = -EINVAL;
	while (r == 0) {
		char name[BACKEND_NAME_MAX + 1];
		struct backend_handle h;
		struct backend_attr a;
		struct backend_dirent ent = { .name = name };
		size_t i = mem_dir_after(d, cookie);
		const struct mem_entry *e;
		bool more;

		if (i >= d->nents) {
			*eof = true;
			break;
		}
		e = &d->ents[i];
		ent.namelen = strlen(e->name);
		memcpy(name, e->name, ent.namelen + 1);
		ent.cookie = e->cookie;
		/* As on the host: attributes need search permission. */
		if (mem_may(cred, d, BACKEND_ACCESS_EXEC)) {
			mem_handle_make(ex, e->node, &h);
			mem_attr_fill(e->node, &a);
			ent.handle = &h;
			ent.attr = &a;
		}
		pthread_mutex_unlock(&ex->lock);
		more = fn(ctx, &ent);
		pthread_mutex_lock(&ex->lock);
		if (!more)
			break;
		cookie = ent.cookie;
		if (mem_node_find(ex, dir, &d) != 0) {
			*eof = true; /* removed meanwhile: nothing left to list */
			break;
		}
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}
