/* Changes to names and metadata made stable before the reply (backend_ops.sync).
 *
 * An object is made stable with fsync on its data descriptor (the one
 * reads use: opened once, privileged, so no permission stands in the way,
 * and never a second open that would break a lease the server holds on
 * the file).  A directory's fsync makes its entries stable; a file's, its
 * inode (and any data written to it).
 *
 * On a journaling file system (ext4 with its journal, XFS) an object
 * created or linked in a directory is stable once that directory is: the
 * new entry and the new inode are one transaction of the journal, and the
 * directory's fsync commits it.  There the BACKEND_SYNC_NEW objects of a
 * batch cost nothing more; elsewhere (ext2, ext4 without a journal, btrfs,
 * whose directory fsync logs names but not every inode's state) each is
 * flushed on its own.  An object that cannot be opened for its fsync (a
 * symbolic link, a device) is made stable with syncfs of the file system
 * instead, once per batch: rare, and correct everywhere. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "backend/local/local_internal.h"
#include "core/log.h"

enum {
	LOCAL_EXT4_MAGIC = 0xEF53, /* ext2, ext3 and ext4 share it */
	LOCAL_XFS_MAGIC = 0x58465342,
};

/* Whether the export's file system journals its metadata: XFS always; the
 * ext family when jbd2 runs a journal for the device (it lists each one
 * under /proc/fs/jbd2 as NAME-8). */
bool local_fs_journaled(int root_fd, dev_t dev)
{
	struct statfs sf;
	if (fstatfs(root_fd, &sf) != 0)
		return false;
	if ((unsigned long)sf.f_type == LOCAL_XFS_MAGIC)
		return true;
	if ((unsigned long)sf.f_type != LOCAL_EXT4_MAGIC)
		return false;
	char link[64], target[PATH_MAX], jbd2[PATH_MAX + 32];
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	const char *name = strrchr(target, '/');
	name = name ? name + 1 : target;
	snprintf(jbd2, sizeof(jbd2), "/proc/fs/jbd2/%s-8", name);
	return access(jbd2, F_OK) == 0;
}

/* fsync of one object; *via_fs set instead when it has no descriptor
 * that fsync takes (symbolic links, devices, sockets, fifos). */
static int sync_object(struct local_export *ex, const struct backend_handle *h, bool *via_fs)
{
	struct local_fd *f;
	int r = local_fd_get(ex, h, &f);
	if (r == -ESTALE || r == -ENOENT)
		return 0; /* gone since: nothing of it to keep */
	if (r != 0)
		return r;
	if (f->fmt != S_IFREG && f->fmt != S_IFDIR) {
		*via_fs = true;
		local_fd_put(ex, f);
		return 0;
	}
	int fd = local_fd_data(ex, f);
	if (fd < 0)
		r = fd;
	else if (fsync(fd) != 0)
		r = -errno;
	local_fd_put(ex, f);
	return r;
}

/* The first error of a batch is its answer; each one is logged. */
static int first_error(struct local_export *ex, int r, int e)
{
	if (e != 0)
		log_ratelimited("local back end: %s: fsync for a change's reply: %s", ex->path,
				strerror(-e));
	return r != 0 ? r : e;
}

int local_sync(struct backend_export *bex, const struct backend_sync_item *items, unsigned n)
{
	struct local_export *ex = local_export_of(bex);
	bool via_fs = false;
	int r = 0;
	/* Directories first: on a journaling file system their commit carries
	 * the new objects and most of the rest, whose own fsync then finds
	 * nothing left to write.  A directory flagged for its attributes too
	 * is done with then. */
	for (unsigned i = 0; i < n; i++)
		if (items[i].what & BACKEND_SYNC_ENTRIES)
			r = first_error(ex, r, sync_object(ex, &items[i].h, &via_fs));
	unsigned rest = BACKEND_SYNC_ATTRS | (ex->journaled ? 0 : BACKEND_SYNC_NEW);
	for (unsigned i = 0; i < n; i++)
		if (!(items[i].what & BACKEND_SYNC_ENTRIES) && (items[i].what & rest))
			r = first_error(ex, r, sync_object(ex, &items[i].h, &via_fs));
	if (via_fs && syncfs(ex->root_fd) != 0)
		r = first_error(ex, r, -errno);
	return r;
}
