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

/* Attempts before a change gives up on heads that keep writing first. */
enum { GRACE_ATTEMPTS = 64 };

struct state_cluster_grace {
	rados_t cluster;
	rados_ioctx_t io;
	char node[CONFIG_NAME_MAX];
	uint64_t limit_ms;
	uint64_t instance; /* this process's, written when it joins */
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
		bool removed;
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

static int take_entry(struct grace_db *db, const char *k, size_t kl, const char *v, size_t vl)
{
	const size_t np = strlen(NODE_PREFIX), ap = strlen(ADDR_PREFIX);
	if (key_is(k, kl, "current"))
		return parse_u64(v, vl, &db->current) ? 0 : -EINVAL;
	if (key_is(k, kl, "recovery"))
		return parse_u64(v, vl, &db->recovery) ? 0 : -EINVAL;
	if (key_is(k, kl, "since"))
		return parse_u64(v, vl, &db->since_ms) ? 0 : -EINVAL;
	if (key_is(k, kl, "boot"))
		return parse_u64(v, vl, &db->boot) ? 0 : -EINVAL;
	const size_t ip = strlen(INST_PREFIX);
	bool node = kl > np && memcmp(k, NODE_PREFIX, np) == 0;
	bool addr = kl > ap && memcmp(k, ADDR_PREFIX, ap) == 0;
	bool inst = kl > ip && memcmp(k, INST_PREFIX, ip) == 0;
	if (!node && !addr && !inst)
		return 0; /* not ours to know */
	size_t skip = node ? np : addr ? ap : ip;
	struct grace_member *gm = member(db, k + skip, kl - skip, true);
	if (!gm)
		return -E2BIG;
	if (inst) {
		return parse_u64(v, vl, &gm->instance) ? 0 : -EINVAL;
	} else if (node) {
		gm->m.need = memchr(v, 'N', vl) != NULL;
		gm->m.enforcing = memchr(v, 'E', vl) != NULL;
	} else {
		size_t l = vl < STATE_CLUSTER_ADDRS_MAX - 1 ? vl : STATE_CLUSTER_ADDRS_MAX - 1;
		memcpy(gm->m.addrs, v, l);
		gm->m.addrs[l] = '\0';
	}
	return 0;
}

static int grace_read(struct state_cluster_grace *g, struct grace_db *db)
{
	memset(db, 0, offsetof(struct grace_db, members));
	db->current = 1;
	rados_read_op_t op = rados_create_read_op();
	if (!op)
		return -ENOMEM;
	rados_omap_iter_t it = NULL;
	unsigned char more = 0;
	int prval = 0;
	rados_read_op_omap_get_vals2(op, "", "", 2 * STATE_CLUSTER_MEMBERS_MAX + 8, &it, &more,
				     &prval);
	int rc = rados_read_op_operate(op, g->io, GRACE_OID, 0);
	if (rc == 0)
		rc = prval;
	if (rc == 0) {
		db->exists = true;
		db->version = rados_get_last_version(g->io);
		char *k, *v;
		size_t kl, vl;
		while (rc == 0 && rados_omap_get_next2(it, &k, &v, &kl, &vl) == 0 && k)
			rc = take_entry(db, k, kl, v, vl);
		if (rc == 0 && more)
			rc = -E2BIG;
	} else if (rc == -ENOENT) {
		rc = 0; /* created by the first change */
	}
	if (it)
		rados_omap_get_end(it);
	rados_release_read_op(op);
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
		if (gm->removed)
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

static void u64_text(char *buf, size_t cap, uint64_t x)
{
	snprintf(buf, cap, "%" PRIu64, x);
}

/* Writes db whole against the version read (members marked removed are
 * removed).  0, -ECANCELED when another head wrote first, or a negative
 * errno. */
static int grace_write(struct state_cluster_grace *g, const struct grace_db *db)
{
	enum { FIXED = 4 };
	size_t cap = FIXED + 3 * db->n;
	const char **keys = calloc(cap, sizeof(*keys)), **vals = calloc(cap, sizeof(*vals));
	const char **rm = calloc(cap, sizeof(*rm));
	size_t *lens = calloc(cap, sizeof(*lens));
	char (*kb)[sizeof(NODE_PREFIX) + CONFIG_NAME_MAX] = calloc(cap, sizeof(*kb));
	char (*flags)[4] = calloc(cap, sizeof(*flags));
	char (*insts)[24] = calloc(cap, sizeof(*insts));
	char fixed[FIXED][24];
	int rc = -ENOMEM;
	rados_write_op_t op = NULL;
	if (!keys || !vals || !rm || !lens || !kb || !flags || !insts)
		goto out;
	size_t nk = 0, nrm = 0;
	const char *fixed_keys[FIXED] = {"current", "recovery", "since", "boot"};
	const uint64_t fixed_vals[FIXED] = {db->current, db->recovery, db->since_ms, db->boot};
	for (size_t i = 0; i < FIXED; i++) {
		u64_text(fixed[i], sizeof(fixed[i]), fixed_vals[i]);
		keys[nk] = fixed_keys[i];
		vals[nk] = fixed[i];
		lens[nk++] = strlen(fixed[i]);
	}
	for (size_t i = 0; i < db->n; i++) {
		const struct grace_member *gm = &db->members[i];
		size_t kn = 3 * i, ka = 3 * i + 1, ki = 3 * i + 2;
		snprintf(kb[kn], sizeof(kb[kn]), NODE_PREFIX "%s", gm->m.name);
		snprintf(kb[ka], sizeof(kb[ka]), ADDR_PREFIX "%s", gm->m.name);
		snprintf(kb[ki], sizeof(kb[ki]), INST_PREFIX "%s", gm->m.name);
		if (gm->removed) {
			rm[nrm++] = kb[kn];
			rm[nrm++] = kb[ka];
			rm[nrm++] = kb[ki];
			continue;
		}
		u64_text(insts[i], sizeof(insts[i]), gm->instance);
		keys[nk] = kb[ki];
		vals[nk] = insts[i];
		lens[nk++] = strlen(insts[i]);
		snprintf(flags[i], sizeof(flags[i]), "%s%s", gm->m.need ? "N" : "",
			 gm->m.enforcing ? "E" : "");
		if (!flags[i][0])
			strcpy(flags[i], "-");
		keys[nk] = kb[kn];
		vals[nk] = flags[i];
		lens[nk++] = strlen(flags[i]);
		keys[nk] = kb[ka];
		vals[nk] = gm->m.addrs;
		lens[nk++] = strlen(gm->m.addrs);
	}
	op = rados_create_write_op();
	if (!op)
		goto out;
	if (db->exists)
		rados_write_op_assert_version(op, db->version);
	else
		rados_write_op_create(op, LIBRADOS_CREATE_EXCLUSIVE, NULL);
	rados_write_op_omap_set(op, keys, vals, lens, nk);
	if (nrm)
		rados_write_op_omap_rm_keys(op, rm, nrm);
	rc = rados_write_op_operate(op, g->io, GRACE_OID, NULL, 0);
	/* Another head wrote since the read (the version moved on), or
	 * created the object first. */
	if (rc == -ERANGE || rc == -EOVERFLOW || rc == -EEXIST)
		rc = -ECANCELED;
out:
	if (op)
		rados_release_write_op(op);
	free(keys);
	free(vals);
	free(rm);
	free(lens);
	free(kb);
	free(flags);
	free(insts);
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
	const char *addrs;   /* JOIN: NULL keeps */
	const char *other;   /* TAKEOVER, REMOVE */
	char *other_addrs;   /* TAKEOVER: out */
	uint32_t boot_want;  /* BOOT */
	uint32_t boot_got;
};

static unsigned needing(const struct grace_db *db)
{
	unsigned n = 0;
	for (size_t i = 0; i < db->n; i++)
		n += !db->members[i].removed && db->members[i].m.need;
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
	struct grace_member *me = member(db, g->node, strlen(g->node),
					 what != GRACE_POLL && what != GRACE_LIST &&
						 what != GRACE_BOOT);
	if (!me && what != GRACE_POLL && what != GRACE_LIST && what != GRACE_BOOT)
		return -E2BIG;
	struct grace_member *other = NULL;
	if (what == GRACE_TAKEOVER || what == GRACE_REMOVE) {
		if (strcmp(a->other, g->node) == 0)
			return -EINVAL;
		other = member(db, a->other, strlen(a->other), false);
		if (!other)
			return -ENOENT;
	}
	if (db->recovery && g->limit_ms && wall_ms() > db->since_ms + g->limit_ms) {
		/* A member that died needing grace, or one whose clients take
		 * longer than any grace time: nobody waits for it longer. */
		for (size_t i = 0; i < db->n; i++)
			if (!db->members[i].removed && db->members[i].m.need) {
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
		snprintf(a->other_addrs, STATE_CLUSTER_ADDRS_MAX, "%s", other->m.addrs);
		other->removed = true;
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
	if ((what == GRACE_JOIN || what == GRACE_JOIN_NEED || what == GRACE_ADDRS) && a->addrs)
		snprintf(me->m.addrs, sizeof(me->m.addrs), "%s", a->addrs);
	if (db->recovery && needing(db) == 0) { /* nobody needs it: lifted */
		db->recovery = 0;
		db->since_ms = 0;
	}
	if (me)
		me->m.enforcing = db->recovery != 0;
	return 0;
}

static bool same_db(const struct grace_db *a, const struct grace_db *b)
{
	if (!a->exists || a->current != b->current || a->recovery != b->recovery ||
	    a->since_ms != b->since_ms || a->boot != b->boot || a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (b->members[i].removed || a->members[i].m.need != b->members[i].m.need ||
		    a->members[i].instance != b->members[i].instance ||
		    a->members[i].m.enforcing != b->members[i].m.enforcing ||
		    strcmp(a->members[i].m.addrs, b->members[i].m.addrs) != 0)
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
				if (!want->members[i].removed)
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
	if (getrandom(&g->instance, sizeof(g->instance), 0) != (ssize_t)sizeof(g->instance)) {
		free(g);
		return -EIO;
	}
	g->instance |= 1; /* never 0, which an object without the key reads as */
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
				 char *addrs, struct state_cluster_grace_view *v)
{
	struct grace_args a = {.other = node, .other_addrs = addrs};
	addrs[0] = '\0';
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
				struct state_cluster_grace_view *v)
{
	struct grace_args a = {.addrs = addrs};
	return grace_change(g, GRACE_ADDRS, &a, v, NULL, 0, NULL);
}

uint64_t state_cluster_grace_instance(const struct state_cluster_grace *g)
{
	return g->instance;
}
