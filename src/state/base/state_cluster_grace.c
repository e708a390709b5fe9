/* The grace object of clustered heads (state_cluster_grace.h says what it
 * holds and means).  Each operation is a read of the whole object, a
 * decision on what was read, and a write guarded by the version read: a
 * read-modify-write that starts again when another head wrote in
 * between. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/log.h"
#include "state/base/state_cluster_grace.h"
#include "state/base/state_rados.h"

#define GRACE_OID "grace"
#define NODE_PREFIX "node:"
#define ADDR_PREFIX "addr:"
#define INST_PREFIX "inst:"
#define FENCE_PREFIX "fence:"
#define TAKEN_PREFIX "taken:"
#define BEAT_OID "beat"
#define CONNS_OID "conns"

/* Attempts before a change gives up on heads that keep writing first. */
enum { GRACE_ATTEMPTS = 64 };

struct state_cluster_grace {
	rados_t cluster;
	rados_ioctx_t io;
	char node[CONFIG_NAME_MAX];
	uint64_t limit_ms;
	uint64_t instance; /* this process's, written when it joins */
	/* The heartbeat object's own I/O context: beats go out while a
	 * change holds this handle for a long read-modify-write. */
	rados_ioctx_t beat_io;
};

/* The object as read. */
struct grace_db {
	bool exists;
	uint64_t version;
	uint64_t current, recovery, since_ms, boot;
	size_t n;
	struct grace_member {
		struct state_cluster_member m;
		uint64_t instance; /* the process that joined last under this name */
		bool has_node;	   /* "node:" read: a member; else only a marker */
		bool removed;	   /* every key of this name goes at the write */
		/* Taken over by that head (the "taken:" marker), not a member:
		 * a take-over repeated, or run by a second survivor, sees it
		 * done. */
		char taken_by[CONFIG_NAME_MAX];
	} members[STATE_CLUSTER_MEMBERS_MAX];
};

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

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

static bool key_is(const char *k, size_t kl, const char *want)
{
	return kl == strlen(want) && memcmp(k, want, kl) == 0;
}

/* The member called name (length len), added when add and not there. */
static struct grace_member *member(struct grace_db *db, const char *name, size_t len, bool add)
{
	for (size_t i = 0; i < db->n; i++)
		if (strlen(db->members[i].m.name) == len &&
		    memcmp(db->members[i].m.name, name, len) == 0)
			return &db->members[i];
	if (!add || db->n == STATE_CLUSTER_MEMBERS_MAX || len >= CONFIG_NAME_MAX)
		return NULL;
	struct grace_member *gm = &db->members[db->n++];
	memset(gm, 0, sizeof(*gm));
	memcpy(gm->m.name, name, len);
	return gm;
}

/* A member of the cluster now: joined, neither removed nor taken over. */
static bool active(const struct grace_member *gm)
{
	return gm->has_node && !gm->removed && !gm->taken_by[0];
}

static void copy_value(char *dst, size_t cap, const char *v, size_t vl)
{
	size_t l = vl < cap - 1 ? vl : cap - 1;
	if (l) /* an empty omap value comes as NULL */
		memcpy(dst, v, l);
	dst[l] = '\0';
}

static int take_entry(struct grace_db *db, const char *k, size_t kl, const char *v, size_t vl)
{
	if (key_is(k, kl, "current"))
		return parse_u64(v, vl, &db->current) ? 0 : -EINVAL;
	if (key_is(k, kl, "recovery"))
		return parse_u64(v, vl, &db->recovery) ? 0 : -EINVAL;
	if (key_is(k, kl, "since"))
		return parse_u64(v, vl, &db->since_ms) ? 0 : -EINVAL;
	if (key_is(k, kl, "boot"))
		return parse_u64(v, vl, &db->boot) ? 0 : -EINVAL;
	static const char *const prefixes[] = {NODE_PREFIX, ADDR_PREFIX, INST_PREFIX, FENCE_PREFIX,
					       TAKEN_PREFIX};
	size_t which = sizeof(prefixes) / sizeof(prefixes[0]), skip = 0;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		skip = strlen(prefixes[i]);
		if (kl > skip && memcmp(k, prefixes[i], skip) == 0) {
			which = i;
			break;
		}
	}
	if (which == sizeof(prefixes) / sizeof(prefixes[0]))
		return 0; /* not ours to know */
	struct grace_member *gm = member(db, k + skip, kl - skip, true);
	if (!gm)
		return -E2BIG;
	switch (which) {
	case 0: /* node: */
		gm->has_node = true;
		gm->m.need = memchr(v, 'N', vl) != NULL;
		gm->m.enforcing = memchr(v, 'E', vl) != NULL;
		return 0;
	case 1: /* addr: */
		copy_value(gm->m.addrs, sizeof(gm->m.addrs), v, vl);
		return 0;
	case 2: /* inst: */
		return parse_u64(v, vl, &gm->instance) ? 0 : -EINVAL;
	case 3: /* fence: */
		copy_value(gm->m.fence, sizeof(gm->m.fence), v, vl);
		return 0;
	default: /* taken: */
		copy_value(gm->taken_by, sizeof(gm->taken_by), v, vl);
		return 0;
	}
}

/* Reads at most max omap entries of object oid and gives each to take
 * (which stops the walk with an error); *exists whether the object is
 * there (a missing one is read as empty, 0).  0, -E2BIG when it holds
 * more than max, or a negative errno. */
static int omap_each(rados_ioctx_t io, const char *oid, unsigned max,
		     int (*take)(void *arg, const char *k, size_t kl, const char *v, size_t vl),
		     void *arg, bool *exists)
{
	*exists = false;
	rados_read_op_t op = rados_create_read_op();
	if (!op)
		return -ENOMEM;
	rados_omap_iter_t it = NULL;
	unsigned char more = 0;
	int prval = 0;
	rados_read_op_omap_get_vals2(op, "", "", max, &it, &more, &prval);
	int rc = rados_read_op_operate(op, io, oid, 0);
	if (rc == 0)
		rc = prval;
	if (rc == 0) {
		*exists = true;
		char *k, *v;
		size_t kl, vl;
		while (rc == 0 && rados_omap_get_next2(it, &k, &v, &kl, &vl) == 0 && k)
			rc = take(arg, k, kl, v, vl);
		if (rc == 0 && more)
			rc = -E2BIG;
	} else if (rc == -ENOENT) {
		rc = 0;
	}
	if (it)
		rados_omap_get_end(it);
	rados_release_read_op(op);
	return rc;
}

static int take_db_entry(void *arg, const char *k, size_t kl, const char *v, size_t vl)
{
	return take_entry(arg, k, kl, v, vl);
}

static int grace_read(struct state_cluster_grace *g, struct grace_db *db)
{
	memset(db, 0, offsetof(struct grace_db, members));
	db->current = 1;
	/* A missing object is created by the first change. */
	int rc = omap_each(g->io, GRACE_OID, 5 * STATE_CLUSTER_MEMBERS_MAX + 8, take_db_entry, db,
			   &db->exists);
	if (db->exists)
		db->version = rados_get_last_version(g->io);
	/* Joined again after it was taken over: a member, the marker stale
	 * (the join that wrote "node:" removes it). */
	for (size_t i = 0; i < db->n; i++)
		if (db->members[i].has_node)
			db->members[i].taken_by[0] = '\0';
	if (rc == -EINVAL)
		log_error("state: RADOS object %s: an epoch or time is not a number", GRACE_OID);
	else if (rc == -E2BIG)
		log_error("state: RADOS object %s: more than %d members", GRACE_OID,
			  STATE_CLUSTER_MEMBERS_MAX);
	return rc;
}

static void grace_view(struct state_cluster_grace *g, const struct grace_db *db,
		       struct state_cluster_grace_view *v)
{
	memset(v, 0, sizeof(*v));
	v->current = db->current;
	v->recovery = db->recovery;
	v->since_ms = db->since_ms;
	for (size_t i = 0; i < db->n; i++) {
		const struct grace_member *gm = &db->members[i];
		if (!active(gm))
			continue;
		v->members++;
		v->need += gm->m.need;
		v->enforcing += gm->m.enforcing;
		if (strcmp(gm->m.name, g->node) == 0) {
			v->me_member = true;
			v->me_need = gm->m.need;
			v->me_enforcing = gm->m.enforcing;
			v->me_instance = gm->instance;
		}
	}
}

/* The keys and values of one write: names made into kb, numbers into nb. */
struct grace_kv {
	size_t nk, nrm;
	const char **keys, **vals, **rm;
	size_t *lens;
	char (*kb)[sizeof(TAKEN_PREFIX) + CONFIG_NAME_MAX];
	size_t nkb;
	char (*nb)[24];
	size_t nnb;
};

static const char *kv_key(struct grace_kv *kv, const char *prefix, const char *name)
{
	char *k = kv->kb[kv->nkb++];
	snprintf(k, sizeof(kv->kb[0]), "%s%s", prefix, name);
	return k;
}

static void kv_set(struct grace_kv *kv, const char *key, const char *val)
{
	kv->keys[kv->nk] = key;
	kv->vals[kv->nk] = val;
	kv->lens[kv->nk++] = strlen(val);
}

static void kv_set_u64(struct grace_kv *kv, const char *key, uint64_t x)
{
	char *b = kv->nb[kv->nnb++];
	snprintf(b, sizeof(kv->nb[0]), "%" PRIu64, x);
	kv_set(kv, key, b);
}

/* Each name's keys: those of a member, of a marker of its take-over, or
 * none (removed); the others are removed. */
static void kv_member(struct grace_kv *kv, const struct grace_member *gm, char *flags)
{
	const char *name = gm->m.name;
	bool is_member = active(gm), marker = !gm->removed && gm->taken_by[0];
	const char *node = kv_key(kv, NODE_PREFIX, name), *addr = kv_key(kv, ADDR_PREFIX, name);
	const char *inst = kv_key(kv, INST_PREFIX, name), *fence = kv_key(kv, FENCE_PREFIX, name);
	const char *taken = kv_key(kv, TAKEN_PREFIX, name);
	if (is_member) {
		snprintf(flags, 4, "%s%s", gm->m.need ? "N" : "", gm->m.enforcing ? "E" : "");
		if (!flags[0])
			strcpy(flags, "-");
		kv_set_u64(kv, inst, gm->instance);
		kv_set(kv, node, flags);
		kv_set(kv, addr, gm->m.addrs);
		kv_set(kv, fence, gm->m.fence);
		kv->rm[kv->nrm++] = taken;
		return;
	}
	kv->rm[kv->nrm++] = node;
	kv->rm[kv->nrm++] = addr;
	kv->rm[kv->nrm++] = inst;
	kv->rm[kv->nrm++] = fence;
	if (marker)
		kv_set(kv, taken, gm->taken_by);
	else
		kv->rm[kv->nrm++] = taken;
}

/* Writes db whole against the version read (names marked removed lose
 * every key).  0, -ECANCELED when another head wrote first, or a negative
 * errno. */
static int grace_write(struct state_cluster_grace *g, const struct grace_db *db)
{
	enum { FIXED = 4, PER_NAME = 5 };
	size_t cap = FIXED + PER_NAME * db->n;
	struct grace_kv kv = {
		.keys = calloc(cap, sizeof(*kv.keys)),
		.vals = calloc(cap, sizeof(*kv.vals)),
		.rm = calloc(cap, sizeof(*kv.rm)),
		.lens = calloc(cap, sizeof(*kv.lens)),
		.kb = calloc(cap, sizeof(*kv.kb)),
		.nb = calloc(cap, sizeof(*kv.nb)),
	};
	char (*flags)[4] = calloc(db->n + 1, sizeof(*flags));
	int rc = -ENOMEM;
	rados_write_op_t op = NULL;
	if (!kv.keys || !kv.vals || !kv.rm || !kv.lens || !kv.kb || !kv.nb || !flags)
		goto out;
	kv_set_u64(&kv, "current", db->current);
	kv_set_u64(&kv, "recovery", db->recovery);
	kv_set_u64(&kv, "since", db->since_ms);
	kv_set_u64(&kv, "boot", db->boot);
	for (size_t i = 0; i < db->n; i++)
		kv_member(&kv, &db->members[i], flags[i]);
	op = rados_create_write_op();
	if (!op)
		goto out;
	if (db->exists)
		rados_write_op_assert_version(op, db->version);
	else
		rados_write_op_create(op, LIBRADOS_CREATE_EXCLUSIVE, NULL);
	rados_write_op_omap_set(op, kv.keys, kv.vals, kv.lens, kv.nk);
	if (kv.nrm)
		rados_write_op_omap_rm_keys(op, kv.rm, kv.nrm);
	rc = rados_write_op_operate(op, g->io, GRACE_OID, NULL, 0);
	/* Another head wrote since the read (the version moved on), or
	 * created the object first. */
	if (rc == -ERANGE || rc == -EOVERFLOW || rc == -EEXIST)
		rc = -ECANCELED;
out:
	if (op)
		rados_release_write_op(op);
	free(kv.keys);
	free(kv.vals);
	free(kv.rm);
	free(kv.lens);
	free(kv.kb);
	free(kv.nb);
	free(flags);
	return rc;
}

enum grace_change {
	GRACE_JOIN_NEED,
	GRACE_JOIN,
	GRACE_DONE,
	GRACE_POLL,
	GRACE_TAKEOVER,
	GRACE_REMOVE,
	GRACE_BOOT,
	GRACE_LIST,
	GRACE_ADDRS
};

struct grace_args {
	const char *addrs;   /* JOIN, ADDRS: NULL keeps */
	const char *fence;   /* JOIN, ADDRS: NULL keeps */
	const char *other;   /* TAKEOVER, REMOVE */
	struct state_cluster_member *other_was; /* TAKEOVER: out, what other published */
	char *taken_by;      /* TAKEOVER: out, CONFIG_NAME_MAX, who took other over */
	uint32_t boot_want;  /* BOOT */
	uint32_t boot_got;
};

static unsigned needing(const struct grace_db *db)
{
	unsigned n = 0;
	for (size_t i = 0; i < db->n; i++)
		n += active(&db->members[i]) && db->members[i].m.need;
	return n;
}

/* A new grace epoch, or the one under way made to last from now: the
 * limit counts from the last head that came to need it. */
static void start_epoch(struct grace_db *db)
{
	if (db->recovery == 0) {
		db->recovery = db->current;
		db->current++;
	}
	db->since_ms = wall_ms();
}

/* What this node's change does to the object as read: 0, or a negative
 * errno and nothing to write. */
static int grace_decide(struct state_cluster_grace *g, struct grace_db *db,
			enum grace_change what, struct grace_args *a)
{
	bool joins = what == GRACE_JOIN || what == GRACE_JOIN_NEED;
	bool looks = what == GRACE_POLL || what == GRACE_LIST || what == GRACE_BOOT;
	struct grace_member *me = member(db, g->node, strlen(g->node), joins);
	if (joins && !me)
		return -E2BIG;
	if (joins) { /* a member from now on, whatever it was */
		me->has_node = true;
		me->removed = false;
		me->taken_by[0] = '\0';
	} else if (!looks && (!me || !active(me))) {
		return -ESTALE; /* taken over or removed: it changes nothing more */
	}
	struct grace_member *other = NULL;
	if (what == GRACE_TAKEOVER || what == GRACE_REMOVE) {
		if (strcmp(a->other, g->node) == 0)
			return -EINVAL;
		other = member(db, a->other, strlen(a->other), false);
		if (!other || other->removed || (!active(other) && !other->taken_by[0]))
			return -ENOENT;
		if (what == GRACE_TAKEOVER && !active(other)) {
			snprintf(a->taken_by, CONFIG_NAME_MAX, "%s", other->taken_by);
			return -EALREADY;
		}
	}
	if (db->recovery && g->limit_ms && wall_ms() > db->since_ms + g->limit_ms) {
		/* A member that died needing grace, or one whose clients take
		 * longer than any grace time: nobody waits for it longer. */
		for (size_t i = 0; i < db->n; i++)
			if (active(&db->members[i]) && db->members[i].m.need) {
				log_warn("state: cluster grace of epoch %" PRIu64
					 " is %" PRIu64 " ms old; lifting it although %s "
					 "still needs it",
					 db->current, wall_ms() - db->since_ms,
					 db->members[i].m.name);
				db->members[i].m.need = false;
			}
		db->recovery = 0;
		db->since_ms = 0;
	}
	switch (what) {
	case GRACE_JOIN_NEED:
		me->m.need = true;
		me->instance = g->instance;
		start_epoch(db);
		break;
	case GRACE_JOIN:
		me->m.need = false;
		me->instance = g->instance;
		break;
	case GRACE_DONE:
		me->m.need = false;
		break;
	case GRACE_TAKEOVER:
		*a->other_was = other->m;
		/* A marker, not a member: who took it over stays readable. */
		snprintf(other->taken_by, sizeof(other->taken_by), "%s", g->node);
		me->m.need = true;
		start_epoch(db);
		break;
	case GRACE_REMOVE:
		other->removed = true;
		break;
	case GRACE_BOOT:
		a->boot_got = a->boot_want > db->boot ? a->boot_want : (uint32_t)db->boot + 1;
		db->boot = a->boot_got;
		break;
	case GRACE_POLL:
	case GRACE_LIST:
	case GRACE_ADDRS:
		break;
	}
	if (joins || what == GRACE_ADDRS) {
		if (a->addrs)
			snprintf(me->m.addrs, sizeof(me->m.addrs), "%s", a->addrs);
		if (a->fence)
			snprintf(me->m.fence, sizeof(me->m.fence), "%s", a->fence);
	}
	if (db->recovery && needing(db) == 0) { /* nobody needs it: lifted */
		db->recovery = 0;
		db->since_ms = 0;
	}
	if (me && active(me))
		me->m.enforcing = db->recovery != 0;
	return 0;
}

static bool same_member(const struct grace_member *a, const struct grace_member *b)
{
	return !b->removed && a->has_node == b->has_node && a->m.need == b->m.need &&
	       a->instance == b->instance && a->m.enforcing == b->m.enforcing &&
	       strcmp(a->m.addrs, b->m.addrs) == 0 && strcmp(a->m.fence, b->m.fence) == 0 &&
	       strcmp(a->taken_by, b->taken_by) == 0;
}

static bool same_db(const struct grace_db *a, const struct grace_db *b)
{
	if (!a->exists || a->current != b->current || a->recovery != b->recovery ||
	    a->since_ms != b->since_ms || a->boot != b->boot || a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!same_member(&a->members[i], &b->members[i]))
			return false;
	return true;
}

static int grace_change(struct state_cluster_grace *g, enum grace_change what,
			struct grace_args *a, struct state_cluster_grace_view *v,
			struct state_cluster_member *list, size_t max, size_t *nlist)
{
	memset(v, 0, sizeof(*v));
	struct grace_db *db = malloc(sizeof(*db)), *want = malloc(sizeof(*want));
	int rc = -ENOMEM;
	if (!db || !want)
		goto out;
	for (int attempt = 0; attempt < GRACE_ATTEMPTS; attempt++) {
		rc = grace_read(g, db);
		if (rc)
			goto out;
		memcpy(want, db, sizeof(*db));
		rc = grace_decide(g, want, what, a);
		if (rc)
			goto out;
		/* POLL by a head that is not a member only looks; LIST never
		 * writes unless a too-old grace is to be lifted. */
		bool same = same_db(db, want);
		if (!same) {
			rc = grace_write(g, want);
			if (rc == -ECANCELED)
				continue;
			if (rc)
				goto out;
		}
		grace_view(g, want, v);
		if (list) {
			*nlist = 0;
			for (size_t i = 0; i < want->n && *nlist < max; i++)
				if (active(&want->members[i]))
					list[(*nlist)++] = want->members[i].m;
		}
		if (!same && want->recovery && !db->recovery)
			log_info("state: cluster grace started: epoch %" PRIu64 " recovers %" PRIu64,
				 want->current, want->recovery);
		else if (!same && !want->recovery && db->recovery)
			log_info("state: cluster grace lifted: epoch %" PRIu64
				 " has recovered %" PRIu64,
				 want->current, db->recovery);
		rc = 0;
		goto out;
	}
	log_error("state: RADOS object %s: other heads kept changing it; gave up after %d "
		  "attempts",
		  GRACE_OID, GRACE_ATTEMPTS);
	rc = -EAGAIN;
out:
	free(db);
	free(want);
	return rc;
}

int state_cluster_grace_open(const struct state_cluster_options *c,
			     struct state_cluster_grace **out)
{
	*out = NULL;
	struct state_cluster_grace *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	snprintf(g->node, sizeof(g->node), "%s", c->node);
	g->instance = c->instance;
	if (!g->instance &&
	    getrandom(&g->instance, sizeof(g->instance), 0) != (ssize_t)sizeof(g->instance)) {
		free(g);
		return -EIO;
	}
	g->instance |= 1; /* never 0, which an object without the key reads as */
	int rc = state_rados_connect(c, "cluster grace", &g->cluster, &g->io);
	if (rc) {
		free(g);
		return rc;
	}
	rc = rados_ioctx_create2(g->cluster, rados_ioctx_get_id(g->io), &g->beat_io);
	if (rc) {
		log_error("state: cluster heartbeat: cannot open the pool: %s", strerror(-rc));
		state_rados_close(g->cluster, g->io);
		free(g);
		return rc;
	}
	rados_ioctx_set_namespace(g->beat_io, c->rados_namespace[0] ? c->rados_namespace : NULL);
	*out = g;
	return 0;
}

void state_cluster_grace_close(struct state_cluster_grace *g)
{
	if (!g)
		return;
	rados_ioctx_destroy(g->beat_io);
	state_rados_close(g->cluster, g->io);
	free(g);
}

void state_cluster_grace_set_limit(struct state_cluster_grace *g, uint64_t ms)
{
	g->limit_ms = ms;
}

int state_cluster_grace_join(struct state_cluster_grace *g, bool need, const char *addrs,
			     struct state_cluster_grace_view *v)
{
	struct grace_args a = {.addrs = addrs};
	return grace_change(g, need ? GRACE_JOIN_NEED : GRACE_JOIN, &a, v, NULL, 0, NULL);
}

int state_cluster_grace_done(struct state_cluster_grace *g, struct state_cluster_grace_view *v)
{
	struct grace_args a = {0};
	return grace_change(g, GRACE_DONE, &a, v, NULL, 0, NULL);
}

int state_cluster_grace_poll(struct state_cluster_grace *g, struct state_cluster_grace_view *v)
{
	struct grace_args a = {0};
	return grace_change(g, GRACE_POLL, &a, v, NULL, 0, NULL);
}

int state_cluster_grace_takeover(struct state_cluster_grace *g, const char *node,
				 struct state_cluster_member *was, char *taken_by,
				 struct state_cluster_grace_view *v)
{
	struct grace_args a = {.other = node, .other_was = was, .taken_by = taken_by};
	memset(was, 0, sizeof(*was));
	taken_by[0] = '\0';
	return grace_change(g, GRACE_TAKEOVER, &a, v, NULL, 0, NULL);
}

int state_cluster_grace_remove(struct state_cluster_grace *g, const char *node,
			       struct state_cluster_grace_view *v)
{
	struct grace_args a = {.other = node};
	return grace_change(g, GRACE_REMOVE, &a, v, NULL, 0, NULL);
}

int state_cluster_grace_boot(struct state_cluster_grace *g, uint32_t want, uint32_t *out)
{
	struct grace_args a = {.boot_want = want};
	struct state_cluster_grace_view v;
	int rc = grace_change(g, GRACE_BOOT, &a, &v, NULL, 0, NULL);
	if (rc == 0)
		*out = a.boot_got;
	return rc;
}

int state_cluster_grace_list(struct state_cluster_grace *g, struct state_cluster_member *list,
			     size_t max, size_t *n, struct state_cluster_grace_view *v)
{
	struct grace_args a = {0};
	return grace_change(g, GRACE_LIST, &a, v, list, max, n);
}

int state_cluster_grace_publish(struct state_cluster_grace *g, const char *addrs,
				const char *fence, struct state_cluster_grace_view *v)
{
	struct grace_args a = {.addrs = addrs, .fence = fence};
	return grace_change(g, GRACE_ADDRS, &a, v, NULL, 0, NULL);
}

uint64_t state_cluster_grace_instance(const struct state_cluster_grace *g)
{
	return g->instance;
}

int state_cluster_grace_addrs(struct state_cluster_grace *g, char *out, size_t cap)
{
	return state_rados_addrs(g->cluster, out, cap);
}

int state_cluster_grace_blocklist(struct state_cluster_grace *g, const char *addr,
				  uint32_t seconds)
{
	char a[STATE_CLUSTER_ADDRS_MAX];
	snprintf(a, sizeof(a), "%s", addr); /* the call takes a char * */
	return rados_blocklist_add(g->cluster, a, seconds);
}

/* Sets one omap key of oid, beside the others: heads writing keys of
 * their own at once do not collide.  0 or a negative errno. */
static int omap_put_one(rados_ioctx_t io, const char *oid, const char *key, const char *val,
			size_t len)
{
	const char *vals[1] = {val};
	size_t lens[1] = {len};
	rados_write_op_t op = rados_create_write_op();
	if (!op)
		return -ENOMEM;
	rados_write_op_omap_set(op, &key, vals, lens, 1);
	int rc = rados_write_op_operate(op, io, oid, NULL, 0);
	rados_release_write_op(op);
	return rc;
}

int state_cluster_grace_beat(struct state_cluster_grace *g, uint64_t count)
{
	char val[48];
	int vl = snprintf(val, sizeof(val), "%" PRIu64 ".%" PRIu64, g->instance, count);
	return omap_put_one(g->beat_io, BEAT_OID, g->node, val, (size_t)vl);
}

struct beats_walk {
	void (*each)(void *arg, const char *node, const char *beat);
	void *arg;
};

static int take_beat(void *arg, const char *k, size_t kl, const char *v, size_t vl)
{
	const struct beats_walk *w = arg;
	char node[CONFIG_NAME_MAX], beat[48];
	if (kl >= sizeof(node) || vl >= sizeof(beat))
		return 0; /* not a head's */
	memcpy(node, k, kl);
	node[kl] = '\0';
	memcpy(beat, v, vl);
	beat[vl] = '\0';
	w->each(w->arg, node, beat);
	return 0;
}

int state_cluster_grace_beats(struct state_cluster_grace *g,
			      void (*each)(void *arg, const char *node, const char *beat),
			      void *arg)
{
	struct beats_walk w = {each, arg};
	bool exists; /* none yet: no head has beaten */
	return omap_each(g->beat_io, BEAT_OID, STATE_CLUSTER_MEMBERS_MAX, take_beat, &w, &exists);
}

int state_cluster_grace_put_conns(struct state_cluster_grace *g, const char *conns)
{
	return omap_put_one(g->beat_io, CONNS_OID, g->node, conns, strlen(conns));
}

struct conns_find {
	const char *node;
	char *found;
};

static int take_conns(void *arg, const char *k, size_t kl, const char *v, size_t vl)
{
	struct conns_find *f = arg;
	if (kl != strlen(f->node) || memcmp(k, f->node, kl) != 0)
		return 0;
	f->found = strndup(v ? v : "", vl);
	return f->found ? 0 : -ENOMEM;
}

int state_cluster_grace_get_conns(struct state_cluster_grace *g, const char *node, char **out)
{
	struct conns_find f = {node, NULL};
	bool exists;
	int rc = omap_each(g->io, CONNS_OID, STATE_CLUSTER_MEMBERS_MAX, take_conns, &f, &exists);
	if (rc) {
		free(f.found);
		f.found = NULL;
	}
	*out = f.found;
	return rc;
}
