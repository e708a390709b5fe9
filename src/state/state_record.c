/* Stable client records and the grace period (RFC 7530 9.6.2, 9.6.3).
 *
 * Each confirmed client has one small file <state_dir>/v4clients/<hash>
 * holding its name (nfs_client_id4.id), written and fsync'd before its
 * SETCLIENTID_CONFIRM is answered and removed when the client goes away.
 * After a restart the files say who may reclaim: during the grace period a
 * client whose name has a file may reclaim, others wait; at the end the
 * files of clients that did not come back are removed.  With no files at
 * start-up there is nothing to reclaim and no grace period.
 *
 * The grace period ends early once every client of the records has said
 * RECLAIM_COMPLETE (v4.1, RFC 8881 18.51), as knfsd and NFS-Ganesha do:
 * nobody else can reclaim, so new state cannot conflict with a reclaim.
 * A v4.0 client has no such operation (RFC 7530 9.6.2): whether it is done
 * reclaiming cannot be known, so a v4.0 client in the records keeps the
 * whole grace_time, as in knfsd and Ganesha, whose early end also counts
 * RECLAIM_COMPLETEs only.
 *
 * Writes and removals are serialised by records_lock and decided from the
 * state at the time of the I/O (state_record_sync), so racing confirmations
 * and expiries of one name always leave the file matching the state. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/state_dir.h"
#include "core/log.h"
#include "backend/backend.h"
#include "state/state_internal.h"

static const char rec_magic[8] = {'F', 'R', 'Y', 'C', 'L', 'T', '0', '1'};

/* The file name must be the same in every run: a fixed key. */
static void record_name(const uint8_t *name, uint32_t len, char out[17])
{
	static const struct siphash_key k = {0x6665727279737461ull, 0x7465726563726473ull};
	snprintf(out, 17, "%016llx", (unsigned long long)siphash24(&k, name, len));
}

void state_prev_free(struct state_prev *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].name);
	free(p);
}

bool state_prev_has(const struct state_server *st, const uint8_t *name, uint32_t len)
{
	for (size_t i = 0; i < st->nprev; i++)
		if (st->prev[i].name_len == len && memcmp(st->prev[i].name, name, len) == 0)
			return true;
	return false;
}

void state_grace_reclaimed(struct state_server *st, const uint8_t *name, uint32_t len)
{
	uint64_t now = state_now_ms();
	if (!state_grace_active(st, now))
		return;
	size_t left = 0;
	for (size_t i = 0; i < st->nprev; i++) {
		struct state_prev *p = &st->prev[i];
		if (p->name_len == len && memcmp(p->name, name, len) == 0)
			p->reclaimed = true;
		left += !p->reclaimed;
	}
	if (left > 0)
		return;
	/* Nobody else can reclaim: new state need not wait any longer.  The
	 * state thread ends grace (and removes records no one came back for:
	 * none) at its next run, asked for now. */
	st->grace_end_ms = now;
	log_info("state: all %zu client(s) from before the restart have reclaimed; grace "
		 "period ends early",
		 st->nprev);
	st->reap_requests++;
	pthread_cond_signal(&st->cond);
}

bool state_grace_active(struct state_server *st, uint64_t now)
{
	return st->grace && now < st->grace_end_ms;
}

size_t state_grace_tick(struct state_server *st, uint64_t now, struct state_prev **names)
{
	*names = NULL;
	if (!st->grace || now < st->grace_end_ms)
		return 0;
	st->grace = false;
	size_t n = st->nprev;
	*names = st->prev;
	st->prev = NULL;
	st->nprev = 0;
	log_info("state: grace period over");
	return n;
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

int state_records_open(struct state_server *st)
{
	if (!st->opts.state_dir[0])
		return 0;
	snprintf(st->rec_dir, sizeof(st->rec_dir), "%s/v4clients", st->opts.state_dir);
	if (mkdir(st->rec_dir, 0700) != 0 && errno != EEXIST) {
		int rc = -errno;
		log_error("state: cannot create %s: %s", st->rec_dir, strerror(errno));
		return rc;
	}
	DIR *d = opendir(st->rec_dir);
	if (!d) {
		int rc = -errno;
		log_error("state: cannot read %s: %s", st->rec_dir, strerror(errno));
		return rc;
	}
	st->records = true;
	size_t cap = 0;
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
			log_warn("state: ignoring %s/%s: not a client record", st->rec_dir,
				 e->d_name);
			continue;
		}
		if (st->nprev == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct state_prev *np = realloc(st->prev, nc * sizeof(*np));
			if (!np) {
				free(p.name);
				closedir(d);
				return -ENOMEM;
			}
			st->prev = np;
			cap = nc;
		}
		st->prev[st->nprev++] = p;
	}
	closedir(d);
	return 0;
}

static int record_write(struct state_server *st, const char *fname, const uint8_t *name,
			uint32_t len)
{
	char path[sizeof(st->rec_dir) + 32];
	snprintf(path, sizeof(path), "%s/%s", st->rec_dir, fname);
	uint8_t buf[sizeof(rec_magic) + 4 + NFS4_OPAQUE_LIMIT];
	memcpy(buf, rec_magic, sizeof(rec_magic));
	xdr_put_be32(buf + sizeof(rec_magic), len);
	memcpy(buf + sizeof(rec_magic) + 4, name, len);
	size_t total = sizeof(rec_magic) + 4 + len;
	return state_file_replace(path, buf, total, 0600);
}

/* Whether name should have a record now (st->lock held). */
static bool record_wanted(struct state_server *st, const uint8_t *name, uint32_t len)
{
	if (state_client_find_name(st, name, len, true))
		return true;
	/* A record from before the restart stays until grace ends. */
	return state_grace_active(st, state_now_ms()) && state_prev_has(st, name, len);
}

void state_record_sync(struct state_server *st, const uint8_t *name, uint32_t len)
{
	if (!st->records)
		return;
	char fname[17];
	record_name(name, len, fname);
	/* This thread may still carry the last NFS caller's identity from a
	 * back-end call: records are the server's own files. */
	backend_local_restore_identity();
	pthread_mutex_lock(&st->records_lock);
	pthread_mutex_lock(&st->lock);
	bool want = record_wanted(st, name, len);
	pthread_mutex_unlock(&st->lock);
	char path[sizeof(st->rec_dir) + 32];
	snprintf(path, sizeof(path), "%s/%s", st->rec_dir, fname);
	struct stat sb;
	bool have = stat(path, &sb) == 0;
	int rc = 0;
	if (want && !have) {
		rc = record_write(st, fname, name, len);
	} else if (!want && have) {
		rc = unlink(path) == 0 ? state_dir_sync(st->rec_dir) : -errno;
	}
	if (rc != 0 && rc != -ENOENT)
		log_error("state: client record %s: %s", path, strerror(-rc));
	pthread_mutex_unlock(&st->records_lock);
}
