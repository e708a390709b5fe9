/* The record store of one head: <state_dir>/v4clients/<key>, one small
 * file per client holding a magic and the name, replaced atomically and
 * fsync'd with its directory (core/state_dir.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/state_dir.h"
#include "state/base/state_internal.h"
#include "state/base/state_record_store.h"

static const char rec_magic[8] = {'F', 'R', 'Y', 'C', 'L', 'T', '0', '1'};

struct record_dir {
	struct state_record_store rs;
	char dir[CONFIG_PATH_MAX + 16];
};

static struct record_dir *to_dir(struct state_record_store *rs)
{
	return container_of(rs, struct record_dir, rs);
}

/* Reads one record file into *out; false if it is not one. */
static bool record_read(int dirfd, const char *fname, struct state_prev *out)
{
	int fd = openat(dirfd, fname, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	uint8_t buf[sizeof(rec_magic) + 4 + NFS4_OPAQUE_LIMIT + 1];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < (ssize_t)sizeof(rec_magic) + 4 || memcmp(buf, rec_magic, sizeof(rec_magic)) != 0)
		return false;
	uint32_t len = xdr_get_be32(buf + sizeof(rec_magic));
	if (len > NFS4_OPAQUE_LIMIT || (size_t)n != sizeof(rec_magic) + 4 + len)
		return false;
	out->name = state_bytes_dup(buf + sizeof(rec_magic) + 4, len);
	if (!out->name)
		return false;
	out->name_len = len;
	out->reclaimed = false;
	return true;
}

static int dir_load(struct state_record_store *rs, struct state_prev **out, size_t *nout)
{
	struct record_dir *rd = to_dir(rs);
	*out = NULL;
	*nout = 0;
	DIR *d = opendir(rd->dir);
	if (!d)
		return -errno;
	struct state_prev *prev = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (strstr(e->d_name, ".tmp")) {
			unlinkat(dirfd(d), e->d_name, 0); /* an interrupted write */
			continue;
		}
		struct state_prev p;
		if (!record_read(dirfd(d), e->d_name, &p)) {
			log_warn("state: ignoring %s/%s: not a client record", rd->dir, e->d_name);
			continue;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct state_prev *np = realloc(prev, nc * sizeof(*np));
			if (!np) {
				free(p.name);
				closedir(d);
				state_prev_free(prev, n);
				return -ENOMEM;
			}
			prev = np;
			cap = nc;
		}
		prev[n++] = p;
	}
	closedir(d);
	*out = prev;
	*nout = n;
	return 0;
}

static int dir_has(struct state_record_store *rs, const char *key)
{
	struct record_dir *rd = to_dir(rs);
	char path[sizeof(rd->dir) + 32];
	snprintf(path, sizeof(path), "%s/%s", rd->dir, key);
	/* A file that cannot be seen counts as missing, so a put makes it
	 * again (and says why if that fails too). */
	struct stat sb;
	return stat(path, &sb) == 0;
}

static int dir_put(struct state_record_store *rs, const char *key, const uint8_t *name,
		   uint32_t len)
{
	struct record_dir *rd = to_dir(rs);
	char path[sizeof(rd->dir) + 32];
	snprintf(path, sizeof(path), "%s/%s", rd->dir, key);
	uint8_t buf[sizeof(rec_magic) + 4 + NFS4_OPAQUE_LIMIT];
	memcpy(buf, rec_magic, sizeof(rec_magic));
	xdr_put_be32(buf + sizeof(rec_magic), len);
	memcpy(buf + sizeof(rec_magic) + 4, name, len);
	size_t total = sizeof(rec_magic) + 4 + len;
	return state_file_replace(path, buf, total, 0600);
}

static int dir_remove(struct state_record_store *rs, const char *key)
{
	struct record_dir *rd = to_dir(rs);
	char path[sizeof(rd->dir) + 32];
	snprintf(path, sizeof(path), "%s/%s", rd->dir, key);
	return unlink(path) == 0 ? state_dir_sync(rd->dir) : -errno;
}

static void dir_close(struct state_record_store *rs)
{
	free(to_dir(rs));
}

static const char *dir_describe(struct state_record_store *rs)
{
	return to_dir(rs)->dir;
}

static const struct state_record_store_ops dir_ops = {
	.load = dir_load,
	.has = dir_has,
	.put = dir_put,
	.remove = dir_remove,
	.close = dir_close,
	.describe = dir_describe,
};

int state_record_store_dir_open(const char *state_dir, struct state_record_store **out)
{
	*out = NULL;
	struct record_dir *rd = calloc(1, sizeof(*rd));
	if (!rd)
		return -ENOMEM;
	rd->rs.ops = &dir_ops;
	snprintf(rd->dir, sizeof(rd->dir), "%s/v4clients", state_dir);
	if (mkdir(rd->dir, 0700) != 0 && errno != EEXIST) {
		int rc = -errno;
		log_error("state: cannot create %s: %s", rd->dir, strerror(errno));
		free(rd);
		return rc;
	}
	*out = &rd->rs;
	return 0;
}
