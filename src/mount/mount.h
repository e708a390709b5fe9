/* The MOUNT program (RFC 1813 appendix I): how an NFSv3 client learns the
 * file handle of an export's root (or of a directory below it) and the
 * export's security flavours, and what showmount asks (the exports and
 * their host rules, the mount list).
 *
 * Program 100005 version 3 on the NFS listeners; a MNT below an export's
 * root looks its way down in the back end, on the worker pool; versions 1 and 2 (NFSv2's,
 * whose handles are a fixed 32 bytes) get PROG_MISMATCH 3..3, as Ferry
 * serves no NFSv2.
 *
 * The mount list is kept in memory only: RFC 1813 makes it
 * informational (a client that never says UMNT stays listed; a restart
 * forgets every entry), and nothing depends on it. */
#ifndef FERRY_MOUNT_MOUNT_H
#define FERRY_MOUNT_MOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export/export.h"
#include "rpc/server.h"
#include "xdr/mount_prot.h"

struct mount_server;

/* Serves MOUNT for the exports exps (which must outlive it).  NULL when
 * out of memory. */
struct mount_server *mount_server_create(struct exports *exps);
void mount_server_destroy(struct mount_server *ms);

/* The program for rpc_server_add_program; a listener that is not to
 * serve MOUNT is set in its listeners_off (a call there gets
 * PROG_UNAVAIL). */
void mount_program_describe(struct rpc_program *p, struct mount_server *ms);

/* A dirpath as MNT and UMNT compare it: runs of slashes made one and a
 * trailing slash dropped ("/srv//data/" is "/srv/data"), NUL-terminated
 * into out (MNTPATHLEN + 1 bytes).  False for what can name no export:
 * empty, not absolute, longer than MNTPATHLEN, or holding a NUL. */
bool mount_path_tidy(const uint8_t *p, size_t len, char *out);

/* --- what the control plane shows ------------------------------------- */

/* One entry of the mount list: who mounted what, and when. */
struct mount_entry {
	char host[64];             /* the client's address, without port */
	char path[MNTPATHLEN + 1]; /* as it asked for it, slashes tidied */
	int64_t when;              /* the (latest) MNT, seconds since the epoch */
};

/* The mount list, oldest first, in a malloc'd array the caller frees.
 * 0 or -ENOMEM. */
int mount_server_list(struct mount_server *ms, struct mount_entry **out, size_t *n);

/* MNT's outcomes, counted. */
enum mount_mnt_outcome {
	MOUNT_MNT_OK,
	MOUNT_MNT_NOENT, /* no export by that path */
	MOUNT_MNT_ACCES, /* the host rules or the source port refused */
	MOUNT_MNT_NAMETOOLONG,
	MOUNT_MNT_NOTSUPP, /* the root's handle has no NFSv3 form */
	MOUNT_MNT_OTHER,   /* below the root: not a directory, I/O, ... */
	MOUNT_MNT_OUTCOMES
};

struct mount_stats {
	uint64_t calls[MOUNTPROC3_COUNT]; /* by procedure, every version */
	uint64_t mnt[MOUNT_MNT_OUTCOMES];
	uint64_t garbage_args; /* calls whose arguments did not decode */
	uint64_t list_full;    /* MNTs not listed: the list was full */
	uint64_t entries;      /* in the mount list now */
};
void mount_server_get_stats(struct mount_server *ms, struct mount_stats *out);

/* Metric labels: "null", "mnt", ... and "ok", "noent", ... */
const char *mount_proc_name(unsigned proc);
const char *mount_mnt_outcome_name(enum mount_mnt_outcome o);

#endif
