/* Synchronous helpers for preparing and cleaning up a workload's files: each
 * runs one COMPOUND (SEQUENCE first) on a session's control stream and
 * waits for it.  They return 0, or -1 after bench_fail with the failing op
 * and status (so setup problems end the run with a clear message). */
#ifndef FERRY_BENCH_SETUP_H
#define FERRY_BENCH_SETUP_H

#include "cmd/bench/bench.h"

/* PUTROOTFH, LOOKUP of each component of path ("/a/b"), GETFH. */
int setup_lookup_path(struct bench_session *ss, const char *path, struct bench_fh *out);
/* PUTFH dir, CREATE (directory, mode 0755), GETFH. */
int setup_mkdir(struct bench_session *ss, const struct bench_fh *dir, const char *name,
		struct bench_fh *out);
/* PUTFH dir, OPEN (create: UNCHECKED, mode 0644) with this session's open
 * owner, GETFH. */
int setup_open(struct bench_session *ss, const struct bench_fh *dir, const char *name,
	       uint32_t access, bool create, struct bench_fh *fh, struct nfs4_stateid *sid);
/* PUTFH dir, OPEN create, CLOSE: an empty file. */
int setup_touch(struct bench_session *ss, const struct bench_fh *dir, const char *name);
/* PUTFH, WRITE len bytes of data at offset (all of them must be written). */
int setup_write(struct bench_session *ss, const struct bench_fh *fh,
		const struct nfs4_stateid *sid, uint64_t offset, const uint8_t *data,
		uint32_t len, uint32_t stable);
int setup_commit(struct bench_session *ss, const struct bench_fh *fh);
int setup_close(struct bench_session *ss, const struct bench_fh *fh,
		const struct nfs4_stateid *sid);
/* PUTFH dir, REMOVE name (files and empty directories). */
int setup_remove(struct bench_session *ss, const struct bench_fh *dir, const char *name);
/* The same where the name may be gone already (NFS4ERR_NOENT is fine). */
int setup_remove_if_there(struct bench_session *ss, const struct bench_fh *dir, const char *name);

/* Empty files named fmt (one unsigned conversion) with 0 .. count-1, as
 * many per COMPOUND as the session takes; *made counts those made. */
int setup_touch_many(struct bench_session *ss, const struct bench_fh *dir, const char *fmt,
		     unsigned count, unsigned *made);
/* REMOVE of the names setup_touch_many made, many per COMPOUND. */
int setup_remove_many(struct bench_session *ss, const struct bench_fh *dir, const char *fmt,
		      unsigned count);

/* Fills c->file_mode_attrs and c->dir_mode_attrs (before any of the above). */
int setup_attrs_init(struct bench_ctx *c);

/* The open owner of a session: "ferry-bench-oo-<index>". */
uint32_t setup_open_owner(const struct bench_session *ss, uint8_t *buf, size_t len);

#endif
