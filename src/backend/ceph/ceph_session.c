/* The ceph back end's CephFS session across restarts of ferryd.
 *
 * The MDS keeps a client's session, and every capability it holds, until
 * the client ends it or stops renewing it: a ferryd killed or crashed
 * leaves its session behind, and every other client's access to a file it
 * held capabilities on waits until the MDS times that session out (a
 * minute and more).  So each export's client names itself with an
 * identity kept in the state directory (ceph_set_uuid), and a restarted
 * ferryd first resets the session its predecessor left under that
 * identity (ceph_start_reclaim with CEPH_RECLAIM_RESET), which the MDS
 * ends at once.  Nothing of what it held is taken over: what a client was
 * told is stable was flushed before the reply (the group commit and
 * COMMIT), and an unstable WRITE is sent again by its client, which sees
 * the write verifier change; NFS state comes back through the NFS grace
 * period.  Another ferryd serving the same directory has an identity of
 * its own (its own state directory), so it never resets this one's.
 *
 * An upgrade runs two ferryds at once: the new one mounts while the old
 * one still serves on its session (and serves on for good if the upgrade
 * fails), and the MDS refuses a second session under an identity in use.
 * So an export has two identities, the one kept and its alternate
 * (cephfs_session_alternate), and a ferryd an upgrade started takes
 * whichever the running one does not hold, ending nothing; a restart, or
 * a head taking another over, ends the sessions under both. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "backend/ceph/ceph_internal.h"
#include "core/log.h"
#include "core/siphash.h"
#include "core/state_dir.h"

enum { CEPHFS_UUID_RANDOM = 16 };

/* Which export of which cluster a file names: the configuration file,
 * the client id and the directory, hashed (file names have no room for
 * paths).  The key is fixed, so the name stays across restarts. */
uint64_t cephfs_identity_key(const char *conf, const char *id, const char *path)
{
	static const struct siphash_key k = { 0x6365706866736964ull, 0x6964656e74697479ull };
	char buf[3 * BACKEND_PATH_MAX];
	int n = snprintf(buf, sizeof(buf), "%s\n%s\n%s", conf, id, path);

	return siphash24(&k, buf, n > 0 ? ((size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf)) : 0);
}

/* A clustered head's identity: the node and the directory (not the
 * configuration file's path or the client id, which may differ between
 * heads), so that another head can name it. */
static void node_identity(const char *node, const char *path, char *uuid, size_t cap)
{
	snprintf(uuid, cap, "ferry-%s-%016llx", node,
		 (unsigned long long)cephfs_identity_key("", "", path));
}

int cephfs_session_identity(const char *state_dir, const char *conf, const char *id,
			    const char *path, const char *node, char *uuid, size_t cap)
{
	if (node) {
		node_identity(node, path, uuid, cap);
		return 0;
	}
	char file[BACKEND_PATH_MAX + 64];
	snprintf(file, sizeof(file), "%s/ceph-session-%016llx", state_dir,
		 (unsigned long long)cephfs_identity_key(conf, id, path));
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		ssize_t n = read(fd, uuid, cap - 1);
		close(fd);
		if (n > 0 && (size_t)n < cap - 1) {
			uuid[n] = '\0';
			uuid[strcspn(uuid, "\n")] = '\0';
			if (uuid[0])
				return 0;
		}
		log_warn("ceph: %s holds no session identity; making a new one", file);
	} else if (errno != ENOENT) {
		int e = errno;
		log_error("ceph: cannot read %s: %s", file, strerror(e));
		return -e;
	}
	uint8_t rnd[CEPHFS_UUID_RANDOM];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -EIO;
	int len = snprintf(uuid, cap, "ferry-");
	for (size_t i = 0; i < sizeof(rnd) && (size_t)len + 2 < cap; i++)
		len += snprintf(uuid + len, cap - (size_t)len, "%02x", rnd[i]);
	char line[128];
	int ll = snprintf(line, sizeof(line), "%s\n", uuid);
	int rc = state_file_replace(file, line, (size_t)ll, 0600);
	if (rc)
		log_error("ceph: cannot write %s: %s", file, strerror(-rc));
	return rc;
}

void cephfs_session_alternate(const char *uuid, char *out, size_t cap)
{
	static const char tail[] = "-2";
	size_t len = strnlen(uuid, cap - sizeof(tail));
	memmove(out, uuid, len);
	memcpy(out + len, tail, sizeof(tail));
}

/* Ends the session left under uuid (a dead ferryd's, or a head's taken
 * over), with a client of its own: a client reclaims once, and a mounted
 * one not at all.  whose names the session's owner in the log; none_said:
 * whether finding none is worth saying at info.  0 when it ended or there
 * was none; a negative errno. */
static int end_session_apart(struct cephfs_export *ex, const char *uuid, const char *whose,
			     bool none_said)
{
	struct ceph_mount_info *cm;
	int rc = ceph_create(&cm, ex->id);
	if (rc) {
		log_error("ceph: %s: cannot create a client to end %s's session: %s", ex->path,
			  whose, strerror(-rc));
		return rc;
	}
	rc = ceph_conf_read_file(cm, ex->conf);
	if (rc == 0)
		rc = ceph_conf_parse_env(cm, NULL);
	if (rc == 0)
		rc = ceph_conf_set(cm, "client_mount_timeout", "30");
	if (rc == 0)
		rc = ceph_init(cm);
	if (rc == 0) {
		rc = ceph_start_reclaim(cm, uuid, CEPH_RECLAIM_RESET);
		if (rc == 0) {
			ceph_finish_reclaim(cm);
			log_info("ceph: %s: ended %s's CephFS session (%s)", ex->path, whose, uuid);
		} else if (rc == -ENOENT) {
			rc = 0; /* it had none left */
			if (none_said)
				log_info("ceph: %s: %s had no CephFS session (%s)", ex->path, whose,
					 uuid);
			else
				log_debug("ceph: %s: %s had no CephFS session (%s)", ex->path, whose,
					  uuid);
		}
	}
	if (rc)
		log_error("ceph: %s: cannot end %s's CephFS session (%s): %s", ex->path, whose, uuid,
			  strerror(-rc));
	ceph_shutdown(cm);
	return rc;
}

int cephfs_session_reclaim(struct cephfs_export *ex, const char *uuid, bool reset)
{
	int rc = ceph_init(ex->cm);
	if (rc) {
		log_error("ceph: cannot start a client: %s", strerror(-rc));
		return rc;
	}
	/* The ferryd an upgrade replaces serves on its session until it
	 * hands over (and for good if the upgrade fails): ending it would
	 * fail its requests and drop the unstable writes in its cache. */
	if (reset) {
		rc = ceph_start_reclaim(ex->cm, uuid, CEPH_RECLAIM_RESET);
		if (rc == 0) {
			ceph_finish_reclaim(ex->cm);
			ex->session_reset = true;
			log_info("ceph: %s: ended the CephFS session an earlier ferryd left (%s)",
				 ex->path, uuid);
		} else if (rc != -ENOENT) {
			/* Not fatal: the old session times out as it would have. */
			log_warn("ceph: %s: cannot end the CephFS session an earlier ferryd left "
				 "(%s): %s; files it held wait until the MDS times it out",
				 ex->path, uuid, strerror(-rc));
		}
		/* The one before may have taken the alternate identity (it was
		 * started by an upgrade). */
		char alt[sizeof(ex->uuid)];
		cephfs_session_alternate(uuid, alt, sizeof(alt));
		(void)end_session_apart(ex, alt, "an earlier ferryd", false);
	}
	ceph_set_uuid(ex->cm, uuid);
	return 0;
}

int cephfs_end_peer_session(struct backend_export *bex, const char *node)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	char uuid[sizeof(ex->uuid)], alt[sizeof(ex->uuid)];
	node_identity(node, ex->path, uuid, sizeof(uuid));
	cephfs_session_alternate(uuid, alt, sizeof(alt));
	if (strcmp(uuid, ex->uuid) == 0 || strcmp(alt, ex->uuid) == 0)
		return -EINVAL; /* this head's own */
	/* Under either identity: the head may have been upgraded in place
	 * any number of times. */
	char whose[CONFIG_NAME_MAX + 8];
	snprintf(whose, sizeof(whose), "node %s", node);
	int rc = end_session_apart(ex, uuid, whose, true);
	int rc2 = end_session_apart(ex, alt, whose, true);
	return rc ? rc : rc2;
}

int cephfs_client_instance(struct backend_export *bex, char *out, size_t cap)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	char *addrs = NULL;
	int rc = ceph_getaddrs(ex->cm, &addrs);
	if (rc == 0)
		snprintf(out, cap, "%s", addrs ? addrs : "");
	free(addrs);
	return rc;
}
