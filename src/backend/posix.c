/* What every back end over a POSIX-like file system computes alike: file
 * types from and to mode bits, the permission check of owner, group and
 * other bits, the figures of stat and statvfs, and fallocate's mode
 * (backend_internal.h). */
#include <linux/falloc.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "backend/backend_internal.h"

static const struct {
	enum backend_ftype type;
	uint32_t fmt;
} backend_ftypes[] = {
	{ BACKEND_REG, S_IFREG },  { BACKEND_DIR, S_IFDIR },   { BACKEND_BLK, S_IFBLK },
	{ BACKEND_CHR, S_IFCHR },  { BACKEND_LNK, S_IFLNK },   { BACKEND_SOCK, S_IFSOCK },
	{ BACKEND_FIFO, S_IFIFO },
};

enum backend_ftype backend_ftype_of_mode(uint32_t mode)
{
	for (size_t i = 0; i < sizeof(backend_ftypes) / sizeof(backend_ftypes[0]); i++)
		if (backend_ftypes[i].fmt == (mode & S_IFMT))
			return backend_ftypes[i].type;
	return BACKEND_REG;
}

uint32_t backend_ftype_mode(enum backend_ftype t)
{
	for (size_t i = 0; i < sizeof(backend_ftypes) / sizeof(backend_ftypes[0]); i++)
		if (backend_ftypes[i].type == t)
			return backend_ftypes[i].fmt;
	return 0;
}

bool backend_cred_in_group(const struct backend_cred *cred, uint32_t gid)
{
	if (cred->gid == gid)
		return true;
	for (uint32_t i = 0; i < cred->ngids && i < BACKEND_MAX_GIDS; i++)
		if (cred->gids[i] == gid)
			return true;
	return false;
}

bool backend_mode_may(const struct backend_cred *cred, enum backend_ftype type, uint32_t mode,
		      uint32_t uid, uint32_t gid, uint32_t want)
{
	uint32_t bits;

	want &= 7;
	if (cred->uid == 0)
		return !(want & BACKEND_ACCESS_EXEC) || type == BACKEND_DIR || (mode & 0111);
	if (cred->uid == uid)
		bits = mode >> 6 & 7;
	else if (backend_cred_in_group(cred, gid))
		bits = mode >> 3 & 7;
	else
		bits = mode & 7;
	return (bits & want) == want;
}

void backend_attr_from_stat(struct backend_attr *attr, uint32_t mode, uint32_t nlink,
			    uint32_t uid, uint32_t gid, uint64_t size, uint64_t blocks,
			    uint64_t fileid)
{
	memset(attr, 0, sizeof(*attr));
	attr->type = backend_ftype_of_mode(mode);
	attr->mode = mode & 07777;
	attr->nlink = nlink;
	attr->uid = uid;
	attr->gid = gid;
	attr->size = size;
	attr->space_used = blocks * 512;
	attr->fileid = fileid;
}

void backend_fsstat_from_statvfs(const struct statvfs *sv, struct backend_fsstat *out)
{
	out->space_total = (uint64_t)sv->f_blocks * sv->f_frsize;
	out->space_free = (uint64_t)sv->f_bfree * sv->f_frsize;
	out->space_avail = (uint64_t)sv->f_bavail * sv->f_frsize;
	out->files_total = sv->f_files;
	out->files_free = sv->f_ffree;
	out->files_avail = sv->f_favail;
}

int backend_space_fallocate_mode(enum backend_space what)
{
	return what == BACKEND_SPACE_DEALLOCATE ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : 0;
}
