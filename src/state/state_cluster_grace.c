/* The grace object of clustered heads (state_cluster_grace.h says what it
 * holds and means).  Each operation is a read, a decision on what was
 * read, and a write guarded by the version read: a read-modify-write that
 * starts again when another head wrote in between. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "state/state_cluster_grace.h"
#include "state/state_rados.h"

#define GRACE_OID "grace"
#define GRACE_NODE_PREFIX "node:"

/* Attempts before a change gives up on heads that keep writing first. */
enum { GRACE_ATTEMPTS = 64, GRACE_MAX_MEMBERS = 4096 };

struct state_cluster_grace {
	rados_t cluster;
	rados_ioctx_t io;
	char key[sizeof(GRACE_NODE_PREFIX) + CONFIG_NAME_MAX]; /* "node:<name>" */
};

/* The object as read, seen from this node. */
struct grace_db {
	bool exists;
	uint64_t version;
	uint64_t current, recovery;
	unsigned members, need, enforcing; /* other members */
	bool me_member, me_need, me_enforcing;
};

static bool parse_u64(const char *v, size_t len, uint64_t *out)
{
	char buf[24];
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, v, len);
	buf[len] = '\0';
	char *end;
	errno = 0;
	unsigned long long x = strtoull(buf, &end, 10);
	if (errno || *end || buf[0] == '-')
		return false;
	*out = x;
	return true;
}

static int grace_read(struct state_cluster_grace *g, struct grace_db *db)
{
	memset(db, 0, sizeof(*db));
	db->current = 1;
	rados_read_op_t op = rados_create_read_op();
	if (!op)
		return -ENOMEM;
	rados_omap_iter_t it = NULL;
	unsigned char more = 0;
	int prval = 0;
	rados_read_op_omap_get_vals2(op, "", "", GRACE_MAX_MEMBERS + 2, &it, &more, &prval);
	int rc = rados_read_op_operate(op, g->io, GRACE_OID, 0);
	if (rc == 0)
		rc = prval;
	if (rc == 0) {
		db->exists = true;
		db->version = rados_get_last_version(g->io);
		char *k, *v;
		size_t kl, vl;
		while (rados_omap_get_next2(it, &k, &v, &kl, &vl) == 0 && k) {
			if (kl == 7 && memcmp(k, "current", 7) == 0) {
				if (!parse_u64(v, vl, &db->current))
					rc = -EINVAL;
			} else if (kl == 8 && memcmp(k, "recovery", 8) == 0) {
				if (!parse_u64(v, vl, &db->recovery))
					rc = -EINVAL;
			} else if (kl > strlen(GRACE_NODE_PREFIX) &&
				   memcmp(k, GRACE_NODE_PREFIX, strlen(GRACE_NODE_PREFIX)) == 0) {
				bool n = memchr(v, 'N', vl) != NULL, e = memchr(v, 'E', vl) != NULL;
				if (kl == strlen(g->key) && memcmp(k, g->key, kl) == 0) {
					db->me_member = true;
					db->me_need = n;
					db->me_enforcing = e;
				} else {
					db->members++;
					db->need += n;
					db->enforcing += e;
				}
			}
		}
		if (more)
			rc = -E2BIG;
	} else if (rc == -ENOENT) {
		rc = 0; /* created by the first change */
	}
	if (it)
		rados_omap_get_end(it);
	rados_release_read_op(op);
	if (rc == -EINVAL)
		log_error("state: RADOS object %s: an epoch is not a number", GRACE_OID);
	return rc;
}

static void grace_view(const struct grace_db *db, struct state_cluster_grace_view *v)
{
	v->current = db->current;
	v->recovery = db->recovery;
	v->members = db->members + db->me_member;
	v->need = db->need + db->me_need;
	v->enforcing = db->enforcing + db->me_enforcing;
	v->me_need = db->me_need;
	v->me_enforcing = db->me_enforcing;
}

/* Writes what changed in db against the version read.  0, -ECANCELED
 * when another head wrote first, or a negative errno. */
static int grace_write(struct state_cluster_grace *g, const struct grace_db *db)
{
	char cur[24], rec[24], flags[3];
	snprintf(cur, sizeof(cur), "%" PRIu64, db->current);
	snprintf(rec, sizeof(rec), "%" PRIu64, db->recovery);
	snprintf(flags, sizeof(flags), "%s%s", db->me_need ? "N" : "",
		 db->me_enforcing ? "E" : "");
	if (!flags[0])
		strcpy(flags, "-");
	const char *keys[3] = {"current", "recovery", g->key};
	const char *vals[3] = {cur, rec, flags};
	size_t lens[3] = {strlen(cur), strlen(rec), strlen(flags)};
	rados_write_op_t op = rados_create_write_op();
	if (!op)
		return -ENOMEM;
	if (db->exists)
		rados_write_op_assert_version(op, db->version);
	else
		rados_write_op_create(op, LIBRADOS_CREATE_EXCLUSIVE, NULL);
	rados_write_op_omap_set(op, keys, vals, lens, 3);
	int rc = rados_write_op_operate(op, g->io, GRACE_OID, NULL, 0);
	rados_release_write_op(op);
	/* Another head wrote since the read (the version moved on), or
	 * created the object first. */
	if (rc == -ERANGE || rc == -EOVERFLOW || rc == -EEXIST)
		return -ECANCELED;
	return rc;
}

enum grace_change { GRACE_JOIN_NEED, GRACE_JOIN, GRACE_DONE, GRACE_POLL };

/* What this node's change does to the object as read. */
static void grace_decide(struct grace_db *db, enum grace_change what)
{
	switch (what) {
	case GRACE_JOIN_NEED:
		db->me_member = true;
		db->me_need = true;
		if (db->recovery == 0) { /* a new grace epoch */
			db->recovery = db->current;
			db->current++;
		}
		break;
	case GRACE_JOIN:
		db->me_member = true;
		db->me_need = false;
		break;
	case GRACE_DONE:
		db->me_need = false;
		if (db->need == 0) /* nobody else needs it: lifted */
			db->recovery = 0;
		break;
	case GRACE_POLL:
		break;
	}
	db->me_enforcing = db->recovery != 0;
}

static int grace_change(struct state_cluster_grace *g, enum grace_change what,
			struct state_cluster_grace_view *v)
{
	memset(v, 0, sizeof(*v));
	for (int attempt = 0; attempt < GRACE_ATTEMPTS; attempt++) {
		struct grace_db db;
		int rc = grace_read(g, &db);
		if (rc)
			return rc;
		struct grace_db want = db;
		grace_decide(&want, what);
		bool same = db.exists && want.me_member == db.me_member &&
			    want.me_need == db.me_need && want.me_enforcing == db.me_enforcing &&
			    want.current == db.current && want.recovery == db.recovery;
		if (what == GRACE_POLL && !db.me_member)
			same = true; /* not a member: only look */
		if (!same) {
			rc = grace_write(g, &want);
			if (rc == -ECANCELED)
				continue;
			if (rc)
				return rc;
		}
		grace_view(same ? &db : &want, v);
		if (!same && want.recovery && !db.recovery)
			log_info("state: cluster grace started: epoch %" PRIu64 " recovers %" PRIu64,
				 want.current, want.recovery);
		else if (!same && !want.recovery && db.recovery)
			log_info("state: cluster grace lifted: epoch %" PRIu64
				 " has recovered %" PRIu64,
				 want.current, db.recovery);
		return 0;
	}
	log_error("state: RADOS object %s: other heads kept changing it; gave up after %d "
		  "attempts",
		  GRACE_OID, GRACE_ATTEMPTS);
	return -EAGAIN;
}

int state_cluster_grace_open(const struct state_cluster_options *c,
			     struct state_cluster_grace **out)
{
	*out = NULL;
	struct state_cluster_grace *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	snprintf(g->key, sizeof(g->key), GRACE_NODE_PREFIX "%s", c->node);
	int rc = state_rados_connect(c, "cluster grace", &g->cluster, &g->io);
	if (rc) {
		free(g);
		return rc;
	}
	*out = g;
	return 0;
}

void state_cluster_grace_close(struct state_cluster_grace *g)
{
	if (!g)
		return;
	state_rados_close(g->cluster, g->io);
	free(g);
}

int state_cluster_grace_join(struct state_cluster_grace *g, bool need,
			     struct state_cluster_grace_view *v)
{
	return grace_change(g, need ? GRACE_JOIN_NEED : GRACE_JOIN, v);
}

int state_cluster_grace_done(struct state_cluster_grace *g, struct state_cluster_grace_view *v)
{
	return grace_change(g, GRACE_DONE, v);
}

int state_cluster_grace_poll(struct state_cluster_grace *g, struct state_cluster_grace_view *v)
{
	return grace_change(g, GRACE_POLL, v);
}
