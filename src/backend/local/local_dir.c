/* Name operations of the local back end: create, remove, rename, link,
 * readdir.
 *
 * Each works on one component relative to a directory descriptor and
 * never follows a symbolic link, under the caller's identity, so the
 * kernel decides permission, sticky directories, set-group-ID inheritance
 * and the owner of what is created (fsuid/fsgid).  Between creating a name
 * and opening it to make its handle another process could replace it; we
 * then describe whatever is there, which is still inside the export. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "backend/local/local_internal.h"

/* Gets the directory entry and enters the caller's identity. */
static int local_dir_begin(struct local_export *ex, const struct backend_cred *cred,
			   const struct backend_handle *dir, struct local_fd **out)
{
	int r = local_fd_get(ex, dir, out);

	if (r != 0)
		return r;
	if ((*out)->fmt != S_IFDIR)
		r = -ENOTDIR;
	if (r == 0)
		r = local_cred_enter(cred);
	if (r != 0)
		local_fd_put(ex, *out);
	return r;
}

/* local_dir_begin for a call that already holds another object (rename's
 * source directory, link's file): on failure that one is released too, so
 * that the caller has nothing left to release. */
static int local_dir_begin_also(struct local_export *ex, const struct backend_cred *cred,
				const struct backend_handle *dir, struct local_fd **out,
				struct local_fd *held)
{
	int r = local_dir_begin(ex, cred, dir, out);

	if (r != 0)
		local_fd_put(ex, held);
	return r;
}

/* Every call that makes or removes a name checks the name before it looks
 * at the directory, so a bad name is refused the same way everywhere. */
static int local_dir_begin_named(struct local_export *ex, const struct backend_cred *cred,
				 const struct backend_handle *dir, const char *name,
				 struct local_fd **out)
{
	int r = backend_name_check(name);

	return r != 0 ? r : local_dir_begin(ex, cred, dir, out);
}

/* Opens and describes a name just created (or found) in dirfd. */
static int local_describe_child(struct local_export *ex, int dirfd, const char *name,
				struct backend_handle *out, struct backend_attr *attr)
{
	int fd = local_open_child(dirfd, name), r;

	if (fd < 0)
		return fd;
	r = local_describe(ex, fd, out, attr);
	if (r != 0)
		close(fd);
	return r;
}

/* Applies what is left of a create's attributes to the new object h and
 * refreshes attr. */
static int local_apply_after(struct local_export *ex, const struct backend_cred *cred,
			     const struct backend_handle *h, const struct backend_setattr *sa,
			     struct backend_attr *attr)
{
	return sa->mask ? local_setattr_handle(ex, cred, h, sa, attr) : 0;
}

/* mknod, mkdir and symlink set the mode as they create; the other
 * attributes go on the new object afterwards. */
static int local_new_finish(struct local_export *ex, const struct backend_cred *cred, int dirfd,
			    const char *name, const struct backend_setattr *sa,
			    struct backend_handle *out, struct backend_attr *attr)
{
	struct backend_setattr rest;
	struct backend_attr a;
	int r = local_describe_child(ex, dirfd, name, out, &a);

	if (r == 0 && sa) {
		rest = *sa;
		rest.mask &= ~BACKEND_SET_MODE;
		r = local_apply_after(ex, cred, out, &rest, &a);
	}
	if (r == 0 && attr)
		*attr = a;
	return r;
}

static uint32_t local_create_mode(const struct backend_setattr *sa)
{
	/* Without a mode the object gets none, as with nfsd: the client sets
	 * it next (EXCLUSIVE creates carry no attributes at all). */
	return sa && (sa->mask & BACKEND_SET_MODE) ? sa->mode & 07777 : 0;
}

int local_create_file(struct backend_export *bex, const struct backend_cred *cred,
		      const struct backend_handle *dir, const char *name,
		      enum backend_create_mode how, const uint8_t verifier[8],
		      const struct backend_setattr *sa, struct backend_handle *out,
		      struct backend_attr *attr, bool *created)
{
	struct local_export *ex = local_export_of(bex);
	struct backend_setattr rest = { 0 };
	struct backend_attr a;
	struct local_fd *d;
	int r;

	*created = false;
	r = local_dir_begin_named(ex, cred, dir, name, &d);
	if (r != 0)
		return r;
	/* mknod, not open(O_CREAT): it creates without opening, so an
	 * existing file needs no read or write permission to be found. */
	if (mknodat(d->pfd, name, S_IFREG | local_create_mode(sa), 0) == 0)
		*created = true;
	else if (errno != EEXIST || how == BACKEND_CREATE_GUARDED)
		r = -errno;
	if (r == 0)
		r = local_describe_child(ex, d->pfd, name, out, &a);
	if (r == 0 && !*created) {
		if (a.type == BACKEND_DIR)
			r = -EISDIR;
		else if (a.type == BACKEND_LNK)
			r = -ELOOP;
		else if (a.type != BACKEND_REG)
			r = -EEXIST;
		else if (how == BACKEND_CREATE_EXCLUSIVE &&
			 !backend_verifier_matches(verifier, &a.atime, &a.mtime))
			r = -EEXIST;
	}
	if (r == 0) {
		if (*created && how == BACKEND_CREATE_EXCLUSIVE) {
			rest.mask = BACKEND_SET_ATIME | BACKEND_SET_MTIME;
			backend_verifier_to_times(verifier, &rest.atime, &rest.mtime);
		} else if (*created && sa) {
			rest = *sa;
			rest.mask &= ~BACKEND_SET_MODE;
		} else if (how == BACKEND_CREATE_UNCHECKED && sa) {
			rest = *sa;
			rest.mask &= BACKEND_SET_SIZE;
		}
		r = local_apply_after(ex, cred, out, &rest, &a);
	}
	if (r == 0 && attr)
		*attr = a;
	local_fd_put(ex, d);
	return r;
}

int local_mknod(struct backend_export *bex, const struct backend_cred *cred,
		const struct backend_handle *dir, const char *name, enum backend_ftype type,
		uint32_t rdev_major, uint32_t rdev_minor, const struct backend_setattr *sa,
		struct backend_handle *out, struct backend_attr *attr)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *d;
	uint32_t mode = local_create_mode(sa);
	int r, sys;

	r = local_dir_begin_named(ex, cred, dir, name, &d);
	if (r != 0)
		return r;
	switch (type) {
	case BACKEND_DIR:
		sys = mkdirat(d->pfd, name, mode);
		break;
	case BACKEND_BLK:
	case BACKEND_CHR:
		/* CAP_MKNOD is not among the capabilities a fsuid switch
		 * drops, so the kernel would let anyone make devices. */
		if (cred->uid != 0) {
			r = -EPERM;
			goto out;
		}
		sys = mknodat(d->pfd, name, (type == BACKEND_BLK ? S_IFBLK : S_IFCHR) | mode,
			      makedev(rdev_major, rdev_minor));
		break;
	case BACKEND_SOCK:
		sys = mknodat(d->pfd, name, S_IFSOCK | mode, 0);
		break;
	case BACKEND_FIFO:
		sys = mknodat(d->pfd, name, S_IFIFO | mode, 0);
		break;
	default:
		r = -EINVAL; /* regular files and links have their own calls */
		goto out;
	}
	if (sys != 0) {
		r = -errno;
		goto out;
	}
	r = local_new_finish(ex, cred, d->pfd, name, sa, out, attr);
out:
	local_fd_put(ex, d);
	return r;
}

int local_symlink(struct backend_export *bex, const struct backend_cred *cred,
		  const struct backend_handle *dir, const char *name, const char *target,
		  const struct backend_setattr *sa, struct backend_handle *out,
		  struct backend_attr *attr)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *d;
	int r;

	r = local_dir_begin_named(ex, cred, dir, name, &d);
	if (r != 0)
		return r;
	/* The target is stored as given; nothing here ever resolves it. */
	if (symlinkat(target, d->pfd, name) != 0)
		r = -errno;
	if (r == 0)
		r = local_new_finish(ex, cred, d->pfd, name, sa, out, attr);
	local_fd_put(ex, d);
	return r;
}

int local_remove(struct backend_export *bex, const struct backend_cred *cred,
		 const struct backend_handle *dir, const char *name)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *d;
	struct stat st;
	int r, flag;

	r = local_dir_begin_named(ex, cred, dir, name, &d);
	if (r != 0)
		return r;
	if (fstatat(d->pfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		r = -errno;
		goto out;
	}
	flag = S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0;
	if (unlinkat(d->pfd, name, flag) != 0) {
		r = -errno;
		/* Replaced by the other kind since the fstatat: once more. */
		if ((r == -EISDIR && flag == 0) || (r == -ENOTDIR && flag == AT_REMOVEDIR))
			r = unlinkat(d->pfd, name, flag ^ AT_REMOVEDIR) == 0 ? 0 : -errno;
	}
	if (r == 0) {
		local_fd_forget(ex, st.st_ino);
		local_attrcache_forget_ino(ex, st.st_ino);
	}
out:
	local_fd_put(ex, d);
	return r;
}

int local_rename(struct backend_export *bex, const struct backend_cred *cred,
		 const struct backend_handle *from_dir, const char *from_name,
		 const struct backend_handle *to_dir, const char *to_name)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *fd, *td;
	struct stat st;
	bool replaced;
	uint64_t moved;
	int r = backend_name_check(from_name);

	if (r == 0)
		r = backend_name_check(to_name);
	if (r != 0)
		return r;
	r = local_dir_begin(ex, cred, from_dir, &fd);
	if (r != 0)
		return r;
	r = local_dir_begin_also(ex, cred, to_dir, &td, fd);
	if (r != 0)
		return r;
	/* Whatever the rename replaces loses a name: forget it below. */
	replaced = fstatat(td->pfd, to_name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	moved = local_attrcache_ino_of(ex, fd->pfd, from_name); /* its ctime changes */
	if (renameat(fd->pfd, from_name, td->pfd, to_name) != 0) {
		r = -errno;
	} else {
		local_attrcache_forget_ino(ex, moved);
		if (replaced) {
			local_fd_forget(ex, st.st_ino);
			local_attrcache_forget_ino(ex, st.st_ino);
		}
	}
	local_fd_put(ex, td);
	local_fd_put(ex, fd);
	return r;
}

int local_link(struct backend_export *bex, const struct backend_cred *cred,
	       const struct backend_handle *h, const struct backend_handle *dir, const char *name)
{
	struct local_export *ex = local_export_of(bex);
	char path[LOCAL_PROC_FD_PATH];
	struct local_fd *f, *d;
	int r = backend_name_check(name);

	if (r != 0)
		return r;
	r = local_fd_get(ex, h, &f);
	if (r != 0)
		return r;
	r = local_dir_begin_also(ex, cred, dir, &d, f);
	if (r != 0)
		return r;
	if (f->fmt == S_IFDIR) {
		r = -EPERM;
	} else {
		/* linkat(fd, "", AT_EMPTY_PATH) would need CAP_DAC_READ_SEARCH,
		 * which the caller's identity does not have; the /proc magic
		 * link reaches the inode without it, and the kernel applies
		 * protected_hardlinks for the caller. */
		local_proc_path(path, f->pfd);
		if (linkat(AT_FDCWD, path, d->pfd, name, AT_SYMLINK_FOLLOW) != 0)
			r = -errno;
		local_attrcache_forget(ex, &f->handle); /* two links: no longer kept */
	}
	local_fd_put(ex, d);
	local_fd_put(ex, f);
	return r;
}

/* Describes entry name of dfd for a listing: its attributes by name (so
 * that an entry is never opened) and its handle, the one known (hlen
 * bytes at known, for the inode ino) when the name still names that
 * inode, else made by name.  Handle and attributes need search permission
 * and a name still there on our file system; otherwise the entry goes out
 * without them (both NULL).  A rename on the host between the calls can
 * pair them wrongly, which READDIR's attributes (a snapshot, revalidated by
 * GETATTR on the handle) tolerate.  *exact_at: the attribute cache's
 * ticket at which the attributes are those of the known handle (kept, or
 * filed from this statx), or 0 when they are not tied to one. */
static void local_readdir_describe(struct local_export *ex, int dfd, const char *name,
				   uint64_t ino, const uint8_t *known, uint8_t hlen,
				   bool may_search, struct backend_dirent *ent,
				   struct backend_handle *h, struct backend_attr *a,
				   uint64_t *exact_at)
{
	struct statx stx;
	uint64_t ticket = 0;

	*exact_at = 0;
	if (hlen) {
		memcpy(h->data, known, hlen);
		h->len = hlen;
	}
	if (hlen && may_search) {
		/* A snapshot served names ino by this handle: its attributes
		 * may be kept (local_attrcache.c). */
		if (local_attrcache_get(ex, h, ino, a, &ticket)) {
			ent->handle = h;
			ent->attr = a;
			*exact_at = ticket;
			return;
		}
	}
	if (statx(dfd, name, AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC,
		  STATX_BASIC_STATS | STATX_BTIME, &stx) != 0 ||
	    makedev(stx.stx_dev_major, stx.stx_dev_minor) != ex->dev)
		return;
	if (hlen && stx.stx_ino == ino) {
		if (may_search && local_attrcache_put(ex, h, &stx, ticket))
			*exact_at = ticket;
	} else if (local_handle_child(ex, dfd, name, h) != 0) {
		return;
	}
	local_attr_fill(&stx, a);
	ent->handle = h;
	ent->attr = a;
}

/* What backend_dirent.keep needs to file the caller's bytes. */
struct local_keep_ctx {
	struct local_export *ex;
	struct local_dirsnap *s;
	const struct backend_keep_key *key;
	size_t idx;
	uint64_t ticket;
	const struct backend_handle *h;
};

static void local_readdir_keep(const struct backend_dirent *ent, const void *bytes, size_t len)
{
	const struct local_keep_ctx *k = ent->keep_priv;

	local_dirsnap_keep(k->ex, k->s, k->idx, k->key, k->ticket, local_handle_hash(k->h),
			   bytes, len);
}

/* Serves a listing from a snapshot, from the entry after cookie.  1 when
 * the snapshot does not know cookie (list directly then).
 *
 * What the caller kept of an entry (keep) is handed back instead of the
 * entry's attributes when the key is the same and the attribute cache's
 * ticket for the entry's file has not moved since the attributes it was
 * made from were exact: after local_attrcache_sync, every change made
 * before this listing began has moved it.  The name, cookie and handle
 * are the snapshot's, which serves only an unchanged directory. */
static int local_readdir_snap(struct local_export *ex, int dfd, struct local_dirsnap *s,
			      uint64_t cookie, const struct backend_keep_key *keep,
			      backend_dirent_fn fn, void *ctx, bool *eof)
{
	size_t i;

	if (!local_dirsnap_find(s, cookie, &i))
		return 1;
	/* Every change that returned before this listing began is applied.
	 * Kept attributes skip the walk of each name, and with it the check
	 * of search permission on the directory that a statx by name makes:
	 * it is made once here, on ".". */
	bool may_search = local_attrcache_on(ex) &&
			  statx(dfd, ".", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &(struct statx){0}) == 0;
	if (may_search)
		local_attrcache_sync(ex);
	if (!may_search)
		keep = NULL; /* only attributes tied to the cache's tickets are kept */
	for (; i < s->n; i++) {
		const struct local_dirsnap_ent *e = &s->ents[i];
		struct backend_dirent ent = {
			.name = s->bytes + e->name_off, .namelen = e->namelen, .cookie = e->cookie};
		struct backend_handle h;
		struct backend_attr a;
		struct local_keep_ctx kc;
		uint64_t exact_at;

		if (keep && e->hlen) {
			const struct local_dirsnap_kept *k;

			/* Memory, not computing, is what a kept entry costs
			 * (50,000 of them are ~10 MiB, and the generations
			 * 64 KiB): ask for the record 8 entries ahead and for
			 * its generations 4 ahead. */
			if (i + 8 < s->n)
				__builtin_prefetch(__atomic_load_n(&s->kept[i + 8], __ATOMIC_RELAXED));
			if (i + 4 < s->n &&
			    (k = __atomic_load_n(&s->kept[i + 4], __ATOMIC_ACQUIRE)))
				local_attrcache_ticket_prefetch(ex, k->hh, s->ents[i + 4].ino);
			k = local_dirsnap_kept_get(s, i, keep);

			if (k && k->ticket == local_attrcache_ticket(ex, k->hh, e->ino)) {
				ent.kept = k->bytes;
				ent.kept_len = k->len;
				if (!fn(ctx, &ent))
					return 0;
				continue;
			}
		}
		local_readdir_describe(ex, dfd, ent.name, e->ino,
				       (const uint8_t *)s->bytes + e->handle_off, e->hlen, may_search,
				       &ent, &h, &a, &exact_at);
		if (keep && exact_at && ent.attr && ent.handle == &h) {
			kc = (struct local_keep_ctx){ex, s, keep, i, exact_at, &h};
			ent.keep = local_readdir_keep;
			ent.keep_priv = &kc;
		}
		if (!fn(ctx, &ent))
			return 0;
	}
	*eof = true;
	return 0;
}

/* 0 when the caller may read directory pfd (what opening it for reading
 * checks), -EACCES (or another error) when not, 1 when the kernel cannot
 * tell (no faccessat2): open it then. */
static int local_readdir_readable(int pfd)
{
	if (syscall(SYS_faccessat2, pfd, "", R_OK, AT_EACCESS | AT_EMPTY_PATH) == 0)
		return 0;
	return errno == ENOSYS || errno == EINVAL ? 1 : -errno;
}

/* Cookies are getdents64 d_off values (the position after the entry) plus
 * LOCAL_COOKIE_BIAS.  ext4 (and xfs, btrfs) make d_off from the name's
 * hash or a persistent index, so a cookie stays valid across calls,
 * server restarts, and the removal of other entries; lseek takes it
 * back.  A directory listed again while unchanged is served from a
 * snapshot of its names and handles (local_dirsnap.c), with the same
 * cookies. */
int local_readdir(struct backend_export *bex, const struct backend_cred *cred,
		  const struct backend_handle *dir, uint64_t cookie,
		  const struct backend_keep_key *keep, backend_dirent_fn fn, void *ctx, bool *eof)
{
	struct local_export *ex = local_export_of(bex);
	uint64_t buf[2048]; /* 16 KiB, aligned for the records */
	char path[LOCAL_PROC_FD_PATH];
	struct local_dirsnap *snap = NULL;
	struct statx dstx;
	struct local_fd *d;
	int r, dfd;

	*eof = false;
	if (cookie != 0 && (cookie < LOCAL_COOKIE_BIAS || cookie - LOCAL_COOKIE_BIAS > INT64_MAX))
		return -EINVAL;
	r = local_dir_begin(ex, cred, dir, &d);
	if (r != 0)
		return r;
	/* A snapshot needs no descriptor to read the directory with: served
	 * through the cached O_PATH one, after the check of read permission
	 * that opening it would make (an open through /proc and its close
	 * were a fifth of the CPU of a listing served from kept entries). */
	if (local_statx(d->pfd, &dstx) == 0 && (snap = local_dirsnap_get(ex, d, -1, &dstx))) {
		r = local_readdir_readable(d->pfd);
		if (r == 0)
			r = local_readdir_snap(ex, d->pfd, snap, cookie, keep, fn, ctx, eof);
		local_dirsnap_put(ex, snap);
		snap = NULL;
		if (r <= 0)
			goto out;
		r = 0; /* an unknown cookie, or no faccessat2: the way below */
	}
	/* Through /proc rather than openat(".") so that listing needs read
	 * permission only, like readdir on the host. */
	local_proc_path(path, d->pfd);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		goto out;
	}
	/* The directory's times before anything of it is read: a snapshot
	 * matching them shows the directory as it is now. */
	if (local_statx(dfd, &dstx) == 0)
		snap = local_dirsnap_get(ex, d, dfd, &dstx);
	if (snap) {
		r = local_readdir_snap(ex, dfd, snap, cookie, keep, fn, ctx, eof);
		local_dirsnap_put(ex, snap);
		if (r == 0)
			goto out_close;
		r = 0;
	}
	if (lseek(dfd, cookie != 0 ? (off_t)(cookie - LOCAL_COOKIE_BIAS) : 0, SEEK_SET) < 0) {
		r = -errno;
		goto out_close;
	}
	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));

		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0) {
			*eof = true;
			break;
		}
		for (long off = 0; off < n;) {
			const struct local_dirent64 *de = (const void *)((const char *)buf + off);
			struct backend_dirent ent = { .name = de->d_name };
			struct backend_handle h;
			struct backend_attr a;

			off += de->d_reclen;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			ent.namelen = strlen(de->d_name);
			ent.cookie = (uint64_t)de->d_off + LOCAL_COOKIE_BIAS;
			uint64_t exact_at;

			local_readdir_describe(ex, dfd, de->d_name, 0, NULL, 0, false, &ent, &h, &a,
					       &exact_at);
			if (!fn(ctx, &ent))
				goto out_close;
		}
	}
out_close:
	close(dfd);
out:
	local_fd_put(ex, d);
	return r;
}
