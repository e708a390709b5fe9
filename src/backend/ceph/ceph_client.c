#include "backend/ceph/ceph_client.h"

#include <cephfs/libcephfs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* libcephfs keeps a ring of recent debug messages in memory for its crash
 * dumps, formatting every message up to each subsystem's memory level
 * even when nothing is written out: on the request path that was most of
 * ferryd's CPU for a LOOKUP and a third of it for a GETATTR or a create
 * (measured, docs/DECISIONS.md).  Those of the subsystems a request goes
 * through are set to 0/0 unless the Ceph configuration file or CEPH_ARGS
 * set them.  ceph_create has read CEPH_ARGS already, so a subsystem
 * CEPH_ARGS names is looked for there, and one the file sets is one whose
 * level reading the file changed (a file that sets the default level
 * itself is not told from one that says nothing). */
static const char *const cephfs_quiet_subsystems[] = {
	"debug_client", "debug_objectcacher", "debug_objecter", "debug_ms", "debug_monc",
};
enum { CEPHFS_QUIET_N = sizeof(cephfs_quiet_subsystems) / sizeof(cephfs_quiet_subsystems[0]) };

struct cephfs_log_levels {
	char level[CEPHFS_QUIET_N][16]; /* "" when it could not be read */
};

static void cephfs_log_levels_read(struct ceph_mount_info *cm, struct cephfs_log_levels *l)
{
	for (size_t i = 0; i < CEPHFS_QUIET_N; i++)
		if (ceph_conf_get(cm, cephfs_quiet_subsystems[i], l->level[i],
				  sizeof(l->level[i])) < 0)
			l->level[i][0] = '\0';
}

/* Whether CEPH_ARGS names the option (Ceph takes '-' for '_' there). */
static bool cephfs_env_names(const char *option)
{
	const char *env = getenv("CEPH_ARGS");
	size_t n = strlen(option);

	for (const char *p = env; p && *p; p++) {
		size_t i = 0;
		while (i < n && (p[i] == option[i] || (p[i] == '-' && option[i] == '_')))
			i++;
		if (i == n)
			return true;
	}
	return false;
}

/* before: the levels after ceph_create, before the file was read. */
static void cephfs_log_levels_quiet(struct ceph_mount_info *cm,
				    const struct cephfs_log_levels *before)
{
	struct cephfs_log_levels now;

	cephfs_log_levels_read(cm, &now);
	for (size_t i = 0; i < CEPHFS_QUIET_N; i++) {
		const char *name = cephfs_quiet_subsystems[i];
		if (!before->level[i][0] || strcmp(now.level[i], before->level[i]) != 0 ||
		    cephfs_env_names(name))
			continue;
		if (ceph_conf_set(cm, name, "0/0") != 0)
			log_warn("ceph: cannot set %s to 0/0", name);
	}
}

/* libcephfs's object cacher starts sending dirty data to the OSDs once it
 * holds client_oc_target_dirty of it (8 MiB by default), long before its
 * limit (client_oc_max_dirty, 100 MiB): data rewritten within moments is
 * sent again and again, and the OSDs' and the messenger's work took most
 * of the two cores under 4 KiB and 1 MiB WRITEs (docs/DECISIONS.md, "CephFS:
 * writeback from half the dirty limit").  ferryd starts it at half the
 * limit, as the kernel's background writeback starts at half its dirty
 * ratio by default: what a COMMIT, a close or another client's caps make
 * stable is unchanged.  A file or CEPH_ARGS that sets the target keeps
 * its own (before: the target after ceph_create). */
static void cephfs_writeback_target(struct ceph_mount_info *cm, const char *before)
{
	char now[32], max[32];
	if (ceph_conf_get(cm, "client_oc_target_dirty", now, sizeof(now)) < 0 ||
	    strcmp(now, before) != 0 || cephfs_env_names("client_oc_target_dirty") ||
	    ceph_conf_get(cm, "client_oc_max_dirty", max, sizeof(max)) < 0)
		return;
	unsigned long long target = strtoull(max, NULL, 10) / 2;
	if (target <= strtoull(now, NULL, 10))
		return;
	char value[32];
	snprintf(value, sizeof(value), "%llu", target);
	if (ceph_conf_set(cm, "client_oc_target_dirty", value) != 0)
		log_warn("ceph: cannot set client_oc_target_dirty to %s", value);
}

int cephfs_client_create(const char *conf, const char *id, struct ceph_mount_info **out,
			 char *err, size_t errlen)
{
	struct ceph_mount_info *cm;
	*out = NULL;
	int rc = ceph_create(&cm, id);
	if (rc) {
		snprintf(err, errlen, "cannot create a client as %s: %s", id, strerror(-rc));
		return rc;
	}
	struct cephfs_log_levels before_file;
	cephfs_log_levels_read(cm, &before_file);
	char target_before[32] = "";
	ceph_conf_get(cm, "client_oc_target_dirty", target_before, sizeof(target_before));
	rc = ceph_conf_read_file(cm, conf);
	if (rc) {
		snprintf(err, errlen, "cannot read %s: %s", conf, strerror(-rc));
		goto fail;
	}
	/* CEPH_ARGS, as every Ceph tool takes it (debug_client, log_file...). */
	rc = ceph_conf_parse_env(cm, NULL);
	if (rc) {
		snprintf(err, errlen, "CEPH_ARGS: %s", strerror(-rc));
		goto fail;
	}
	cephfs_log_levels_quiet(cm, &before_file);
	cephfs_writeback_target(cm, target_before);
	/* libcephfs checks every caller's permissions itself (never the
	 * mount's own), and a mount that cannot reach the cluster fails in
	 * seconds rather than the default five minutes. */
	static const char *const settings[][2] = {
		{ "client_permissions", "true" },
		{ "fuse_default_permissions", "false" },
		{ "client_mount_timeout", "30" },
		/* A directory's size is its number of entries, not the bytes of
		 * its whole subtree (which CephFS propagates lazily). */
		{ "client_dirsize_rbytes", "false" },
		/* POSIX ACLs kept, applied to permission checks and inherited
		 * (ceph_acl.c); without it libcephfs ignores them. */
		{ "client_acl_type", "posix_acl" },
	};
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		rc = ceph_conf_set(cm, settings[i][0], settings[i][1]);
		if (rc) {
			snprintf(err, errlen, "cannot set %s: %s", settings[i][0], strerror(-rc));
			goto fail;
		}
	}
	*out = cm;
	return 0;
fail:
	ceph_release(cm);
	return rc;
}
