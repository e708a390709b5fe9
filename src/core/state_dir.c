#include "core/state_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* The canonical path of dir, which may not exist yet (its parent must). */
static int canonical(const char *dir, char *out)
{
	if (realpath(dir, out))
		return 0;
	if (errno != ENOENT)
		return -errno;
	char a[PATH_MAX], b[PATH_MAX], parent[PATH_MAX];
	snprintf(a, sizeof(a), "%s", dir);
	snprintf(b, sizeof(b), "%s", dir);
	if (!realpath(dirname(a), parent))
		return -errno;
	const char *base = basename(b);
	size_t np = strlen(parent), nb = strlen(base);
	bool slash = strcmp(parent, "/") != 0;
	if (np + slash + nb >= PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(out, parent, np);
	if (slash)
		out[np] = '/';
	memcpy(out + np + slash, base, nb + 1);
	return 0;
}

/* Whether path is dir or below it (both canonical). */
static bool is_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int state_dir_prepare(const struct ferry_config *cfg, char *err, size_t errlen)
{
	const char *dir = cfg->state_dir;
	char real[PATH_MAX];
	int rc = canonical(dir, real);
	if (rc)
		return fail(err, errlen, rc, "state directory %s: %s", dir, strerror(-rc));
	for (unsigned i = 0; i < cfg->nexports; i++) {
		const struct config_export *e = &cfg->exports[i];
		char ex[PATH_MAX];
		if (strcmp(e->backend, "local") != 0 || !realpath(e->path, ex))
			continue;
		if (is_within(real, ex))
			return fail(err, errlen, -EINVAL,
				    "state directory %s is inside the export %s (%s): clients could "
				    "read or replace the file-handle key; give --state-dir (or "
				    "[server] state_dir) a directory outside every export",
				    dir, e->pseudo, e->path);
	}
	struct stat st;
	if (stat(dir, &st) != 0) {
		if (errno != ENOENT)
			return fail(err, errlen, -errno, "state directory %s: %s", dir,
				    strerror(errno));
		/* chmod after mkdir: the umask does not matter, 0700 is meant. */
		if (mkdir(dir, 0700) != 0 || chmod(dir, 0700) != 0 || stat(dir, &st) != 0)
			return fail(err, errlen, -errno, "cannot create state directory %s: %s",
				    dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return fail(err, errlen, -ENOTDIR, "state directory %s is not a directory", dir);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return fail(err, errlen, -EPERM,
			    "state directory %s is writable by %s (mode %04o): it holds the "
			    "file-handle key; fix with: chmod go-w %s",
			    dir, (st.st_mode & S_IWOTH) ? "everyone" : "its group",
			    (unsigned)(st.st_mode & 07777), dir);
	return 0;
}

int state_dir_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) == 0 ? 0 : -errno;
	close(fd);
	return rc;
}

/* The rename is a change to the directory: until the directory is
 * flushed, a power cut may bring back the old file, or none. */
static int sync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if (snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	return state_dir_sync(dir);
}

int state_file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX + 8];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if (unlink(tmp) != 0 && errno != ENOENT)
		return -errno;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	const char *p = data;
	size_t left = len;
	int rc = fchmod(fd, mode) == 0 ? 0 : -errno;
	while (rc == 0 && left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = w < 0 ? -errno : -EIO;
		else {
			p += w;
			left -= (size_t)w;
		}
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	return sync_parent(path);
}
