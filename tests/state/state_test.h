/* Helpers for the state module's unit tests: a state server without a
 * back end, clients set up in one call (asserting), and the sequenced
 * calls of state_calls.h (opens and locks driven the way the op handlers
 * drive them: owner, seqid begin/end, the state call). */
#ifndef FERRY_TESTS_STATE_TEST_H
#define FERRY_TESTS_STATE_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state/state.h"
#include "state_calls.h"

static inline void st_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* A state server with no state directory (no records, no grace). */
static inline struct state_server *st_new(uint32_t lease_ms)
{
	struct state_options o;
	memset(&o, 0, sizeof(o));
	o.lease_ms = lease_ms;
	o.grace_ms = 0;
	struct state_server *st = NULL;
	assert_int_equal(state_server_create(&o, &st), 0);
	return st;
}

/* SETCLIENTID + SETCLIENTID_CONFIRM; returns the clientid. */
static inline uint64_t st_client_v(struct state_server *st, const char *name, uint32_t uid,
				   const char *verf)
{
	uint64_t id;
	assert_int_equal(st_client_make(st, name, uid, verf, &id), NFS4_OK);
	return id;
}

static inline uint64_t st_client(struct state_server *st, const char *name, uint32_t uid)
{
	return st_client_v(st, name, uid, "verf0001");
}

/* A fresh temporary directory (removed by st_rmtree). */
static inline void st_tmpdir(char *out, size_t cap)
{
	const char *t = getenv("TMPDIR");
	snprintf(out, cap, "%s/ferry-state-XXXXXX", t && *t ? t : "/tmp");
	assert_non_null(mkdtemp(out));
}

static inline void st_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char p[4096];
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(p, sizeof(p), "%.3800s/%.255s", dir, e->d_name) >= (int)sizeof(p))
			continue;
		struct stat sb;
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			st_rmtree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* Number of entries in a directory, or -1. */
static inline int st_count_files(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

#endif
