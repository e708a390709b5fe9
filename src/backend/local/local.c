/* The local back end: a directory of this host.
 *
 * Objects are named by kernel file handles and reached through a cache of
 * O_PATH descriptors (local_fd.c); permission checks are the kernel's, made
 * under the caller's fsuid/fsgid/groups (local_cred.c).  One concern per
 * file: this one opens and closes exports and holds the operation table;
 * attributes are in local_attr.c, name lookups in local_lookup.c,
 * permission checks in local_access.c, file contents in local_io.c,
 * directory changes in local_dir.c and kernel leases in local_lease.c.
 * Nothing in them walks a path: every call works from a descriptor on one
 * name component, without following symbolic links, so no name a client
 * sends can lead outside the export.
 *
 * Requirements, checked by export_open: ferryd runs as root (uid 0, with
 * CAP_DAC_READ_SEARCH for open_by_handle_at), and the exported file system
 * supports export handles (ext4, xfs, btrfs, tmpfs... but not /proc or most
 * FUSE file systems).  Persistent handles are the documented choice: a
 * table of our own would have to follow renames made on the host. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "backend/local/local_internal.h"
#include "core/log.h"

/* Whether the export's file system keeps "user." extended attributes: it
 * answers a look-up of one with "no such attribute" rather than "not
 * supported" (the kernel asks the file system, so a mount without
 * user_xattr says so too). */
static bool local_xattrs_supported(int root_fd)
{
	char b;

	return fgetxattr(root_fd, "user.ferry.probe", &b, sizeof(b)) >= 0 || errno != ENOTSUP;
}

/* Whether it keeps POSIX ACLs: a look-up of the root's access ACL finds
 * none or one rather than "not supported" (a mount with noacl says so). */
static bool local_acls_supported(int root_fd)
{
	char b;

	return fgetxattr(root_fd, "system.posix_acl_access", &b, sizeof(b)) >= 0 ||
	       errno != ENOTSUP;
}

static void local_export_free(struct local_export *ex)
{
	local_attrcache_stop(ex);
	if (ex->root_ent) {
		local_dirwatch_fini(ex);
		local_lease_fini(ex);
		local_wkeep_fini(ex);
		local_fd_cache_destroy(ex);
	}
	local_dirsnap_fini(ex);
	if (ex->root_fd >= 0)
		close(ex->root_fd);
	free(ex);
}

static int local_export_open(const char *path, const char *state_dir,
			     const struct backend_options *opts, struct backend_export **out)
{
	struct local_export *ex;
	struct statx stx;
	long link_max;
	int r;

	if (geteuid() != 0) {
		log_error("local back end: %s: ferryd must run as root: it checks permissions by "
			  "switching each thread's fsuid, which only drops the capabilities that "
			  "bypass them when leaving uid 0",
			  path);
		return -EPERM;
	}
	r = local_cred_privileged();
	if (r != 0)
		return r;
	ex = calloc(1, sizeof(*ex));
	if (!ex)
		return -ENOMEM;
	snprintf(ex->path, sizeof(ex->path), "%s", path);
	local_lease_init(ex);
	local_dirwatch_init(ex);
	local_dirsnap_init(ex);
	ex->root_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ex->root_fd < 0) {
		r = -errno;
		log_error("local back end: cannot open export directory %s: %s", path, strerror(-r));
		goto fail;
	}
	r = local_statx(ex->root_fd, &stx);
	if (r != 0)
		goto fail;
	ex->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	ex->root_ino = stx.stx_ino;

	r = local_handle_make(ex->root_fd, "", AT_EMPTY_PATH, &ex->root, &ex->mount_id);
	if (r == -EOPNOTSUPP || r == -EOVERFLOW) {
		log_error("local back end: %s: the file system cannot make persistent file handles "
			  "that fit %d bytes (it needs export support: ext4, xfs, btrfs, tmpfs...)",
			  path, BACKEND_HANDLE_MAX);
		goto fail;
	}
	if (r != 0) {
		log_error("local back end: %s: name_to_handle_at: %s", path, strerror(-r));
		goto fail;
	}
	r = local_fd_cache_init(ex);
	if (r == -EPERM) {
		log_error("local back end: %s: open_by_handle_at refused: ferryd needs "
			  "CAP_DAC_READ_SEARCH (run it as root)",
			  path);
		goto fail;
	}
	if (r != 0) {
		log_error("local back end: %s: cannot open the root by handle: %s", path,
			  strerror(-r));
		goto fail;
	}
	r = local_wkeep_init(ex);
	if (r != 0)
		goto fail;
	link_max = fpathconf(ex->root_fd, _PC_LINK_MAX);
	ex->link_max = link_max > 0 && link_max < UINT32_MAX ? (uint32_t)link_max : 65000;
	ex->xattrs = local_xattrs_supported(ex->root_fd);
	ex->acls = local_acls_supported(ex->root_fd);
	ex->journaled = local_fs_journaled(ex->root_fd, ex->dev);
	local_attrcache_start(ex, LOCAL_ATTRCACHE_MAX);
	(void)state_dir; /* handles are the kernel's: nothing to keep */
	*out = (struct backend_export *)ex;
	return 0;
fail:
	local_export_free(ex);
	return r;
}

static void local_export_close(struct backend_export *bex)
{
	if (bex)
		local_export_free(local_export_of(bex));
}

static int local_root(struct backend_export *bex, struct backend_handle *out)
{
	*out = local_export_of(bex)->root;
	return 0;
}

const struct backend_ops backend_local_ops = {
	.name = "local",
	.export_open = local_export_open,
	.export_close = local_export_close,
	.root = local_root,
	.getattr = local_getattr,
	.object_type = local_object_type,
	.lookup = local_lookup,
	.lookup_path = local_lookup_path,
	.lookup_parent = local_lookup_parent,
	.access = local_access,
	.setattr = local_setattr,
	.read = local_read,
	.read_nowait = local_read_nowait,
	.read_splice = local_read_splice,
	.read_mapped = local_read_mapped,
	.write = local_write,
	.write_nowait = local_write_nowait,
	.write_pipe = local_write_pipe,
	.write_hold = local_write_hold,
	.commit = local_commit,
	.sync = local_sync,
	.copy = local_copy,
	.space = local_space,
	.seek = local_seek,
	.clone = local_clone,
	.advise = local_advise,
	.create_file = local_create_file,
	.mknod = local_mknod,
	.symlink = local_symlink,
	.readlink = local_readlink,
	.remove = local_remove,
	.rename = local_rename,
	.link = local_link,
	.readdir = local_readdir,
	.statfs = local_statfs,
	.getxattr = local_getxattr,
	.setxattr = local_setxattr,
	.listxattr = local_listxattr,
	.removexattr = local_removexattr,
	.get_acl = local_get_acl,
	.set_acl = local_set_acl,
	.lease = local_lease,
	.lease_notify = local_lease_notify,
	.lease_list = local_lease_list,
	.lease_adopt = local_lease_adopt,
	.lease_leave = local_lease_leave,
	.dir_watch = local_dir_watch,
	.dir_notify = local_dir_notify,
	.dir_watch_hand = local_dir_watch_hand,
	.dir_watch_adopt = local_dir_watch_adopt,
	.dir_watch_resume = local_dir_watch_resume,
};
