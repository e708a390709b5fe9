/* Directory delegations: which delegated directories an object is an
 * entry of, for CHANGE_CHILD_ATTRS, and what the server keeps per
 * delegated directory (the index and the back end's watch) for as long
 * as it is delegated.  A file does not know its parents (hard links may
 * give it several), so the directories some holder asked child-attribute
 * notifications of are indexed: read when such a delegation is asked
 * for, kept up to date by the entry changes the server makes or sees
 * (nfs4_dirdeleg_added, _removed, the host watch), dropped once no
 * delegation of the directory wants it.  A SETATTR or WRITE then finds
 * the entries of a changed object by its handle at the cost of a hash
 * look-up.
 *
 * The lifecycle is decided here, under one lock, so that a grant and the
 * end of the directory's last delegation cannot cross: a
 * GET_DIR_DELEGATION claims the directory before it asks the state for a
 * grant and settles it after (watch taken or not), and nothing is dropped
 * while a claim is open or the state still holds a delegation that needs
 * it. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashtable.h"
#include "nfs4/deleg/dirdeleg.h"
#include "nfs4/server.h"
#include "state/deleg/state_dirdeleg.h"

/* One entry of an indexed directory. */
struct child_ent {
	struct hashtable_node node; /* by the child's export and handle */
	uint32_t export_id;
	struct backend_handle child, dir;
	char name[];
};

/* A directory delegated or being asked for. */
struct dir_rec {
	struct state_file_key key;
	unsigned claims; /* GET_DIR_DELEGATIONs between claim and settle */
	bool indexed;    /* its entries are in by_child */
};

struct nfs4_dirdeleg_children {
	pthread_mutex_t lock; /* lock order: see core/lock_order.h, level 2a */
	struct hashtable by_child;
	struct dir_rec *dirs;
	size_t ndirs, cap;
	size_t nindexed;
};

enum { CHILDREN_MAX = 1 << 18 }; /* entries of all indexed directories */

static uint64_t child_hash(uint32_t export_id, const struct backend_handle *h)
{
	uint64_t x = 1469598103934665603ull ^ export_id;
	for (unsigned i = 0; i < h->len; i++)
		x = (x ^ h->data[i]) * 1099511628211ull;
	return x;
}

static bool handle_eq(const struct backend_handle *a, const struct backend_handle *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

int nfs4_dirdeleg_children_start(struct nfs4_server *srv)
{
	struct nfs4_dirdeleg_children *c = calloc(1, sizeof(*c));
	if (!c || hashtable_init(&c->by_child, 64) != 0) {
		free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	srv->dd_children = c;
	return 0;
}

/* The record of dir, or NULL; c->lock held.  A scan: the directories
 * delegated at once are few next to the entries they hold. */
static struct dir_rec *dir_find(struct nfs4_dirdeleg_children *c, const struct state_file_key *dir)
{
	for (size_t i = 0; i < c->ndirs; i++)
		if (c->dirs[i].key.export_id == dir->export_id &&
		    handle_eq(&c->dirs[i].key.bh, &dir->bh))
			return &c->dirs[i];
	return NULL;
}

/* c->lock held. */
static bool ent_add(struct nfs4_dirdeleg_children *c, const struct state_file_key *dir,
		    const char *name, size_t namelen, const struct backend_handle *child)
{
	if (hashtable_count(&c->by_child) >= CHILDREN_MAX)
		return false;
	struct child_ent *e = malloc(sizeof(*e) + namelen + 1);
	if (!e)
		return false;
	e->export_id = dir->export_id;
	e->child = *child;
	e->dir = dir->bh;
	memcpy(e->name, name, namelen);
	e->name[namelen] = '\0';
	hashtable_insert(&c->by_child, &e->node, child_hash(dir->export_id, child));
	return true;
}

/* Removes the entries of dir named name (NULL: every one); c->lock held.
 * The table is walked whole: removals are rare next to look-ups. */
static void ents_remove(struct nfs4_dirdeleg_children *c, const struct state_file_key *dir,
			const char *name)
{
	struct hashtable_node **b = c->by_child.buckets;
	for (size_t i = 0; i < c->by_child.nbuckets; i++) {
		struct hashtable_node *n = b[i];
		while (n) {
			struct hashtable_node *next = n->next;
			struct child_ent *e = hashtable_entry(n, struct child_ent, node);
			if (e->export_id == dir->export_id && handle_eq(&e->dir, &dir->bh) &&
			    (!name || strcmp(e->name, name) == 0)) {
				hashtable_remove(&c->by_child, n);
				free(e);
			}
			n = next;
		}
	}
}

struct index_ctx {
	struct nfs4_dirdeleg_children *c;
	const struct state_file_key *dir;
	bool ok;
};

static bool index_entry(void *arg, const struct backend_dirent *ent)
{
	struct index_ctx *x = arg;
	if (!x->ok)
		return false;
	x->ok = ent_add(x->c, x->dir, ent->name, ent->namelen, ent->handle);
	return x->ok;
}

/* Reads dir's entries into the index; c->lock held, so that a change
 * noted meanwhile waits and none is lost between the listing and the
 * index.  The server reads it as root, whoever asked. */
static int index_read(struct nfs4_server *srv, struct nfs4_dirdeleg_children *c,
		      struct dir_rec *r)
{
	struct export *ex = exports_find(&srv->exports, r->key.export_id);
	if (!ex)
		return -ENOENT;
	struct backend_cred root;
	memset(&root, 0, sizeof(root));
	struct index_ctx x = {.c = c, .dir = &r->key, .ok = true};
	bool eof = false;
	int rc = ex->ops->readdir(ex->bex, &root, &r->key.bh, 0, NULL, index_entry, &x, &eof);
	if (rc == 0 && (!x.ok || !eof))
		rc = -E2BIG;
	if (rc != 0) {
		ents_remove(c, &r->key, NULL);
		return rc;
	}
	r->indexed = true;
	c->nindexed++;
	return 0;
}

static void index_drop(struct nfs4_dirdeleg_children *c, struct dir_rec *r)
{
	if (!r->indexed)
		return;
	ents_remove(c, &r->key, NULL);
	r->indexed = false;
	c->nindexed--;
}

/* Drops what no delegation of r's directory needs any more: its index
 * when none asks child attributes, its watch and record when there is
 * none at all.  Nothing while a GET_DIR_DELEGATION has it claimed (its
 * settle decides).  c->lock held; the state is asked under it, so no
 * grant can come between the answer and the drop. */
static void drop_unneeded(struct nfs4_server *srv, struct nfs4_dirdeleg_children *c,
			  struct dir_rec *r)
{
	if (r->claims > 0)
		return;
	bool held, child_attrs;
	state_dirdeleg_needs(srv->state, &r->key, &held, &child_attrs);
	if (!child_attrs)
		index_drop(c, r);
	if (held)
		return;
	nfs4_dirdeleg_unwatch(srv, &r->key);
	*r = c->dirs[--c->ndirs];
}

int nfs4_dirdeleg_claim(struct nfs4_server *srv, const struct state_file_key *dir,
			bool want_index, bool *indexed)
{
	struct nfs4_dirdeleg_children *c = srv->dd_children;
	*indexed = false;
	if (!c)
		return -ENOMEM;
	pthread_mutex_lock(&c->lock);
	int rc = 0;
	struct dir_rec *r = dir_find(c, dir);
	if (!r) {
		if (c->ndirs == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 8;
			struct dir_rec *d = realloc(c->dirs, cap * sizeof(*d));
			if (!d) {
				rc = -ENOMEM;
				goto out;
			}
			c->dirs = d;
			c->cap = cap;
		}
		r = &c->dirs[c->ndirs++];
		*r = (struct dir_rec){.key = *dir};
	}
	r->claims++;
	/* An index that cannot be made only means no child attributes. */
	if (want_index && !r->indexed)
		index_read(srv, c, r);
	*indexed = r->indexed;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void nfs4_dirdeleg_settle(struct nfs4_server *srv, const struct state_file_key *dir)
{
	struct nfs4_dirdeleg_children *c = srv->dd_children;
	pthread_mutex_lock(&c->lock);
	struct dir_rec *r = dir_find(c, dir);
	if (r) {
		r->claims--;
		drop_unneeded(srv, c, r);
	}
	pthread_mutex_unlock(&c->lock);
}

void nfs4_dirdeleg_release(struct nfs4_server *srv, const struct state_file_key *dir)
{
	struct nfs4_dirdeleg_children *c = srv->dd_children;
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	struct dir_rec *r = dir_find(c, dir);
	if (r)
		drop_unneeded(srv, c, r);
	pthread_mutex_unlock(&c->lock);
}

void nfs4_dirdeleg_children_count(struct nfs4_server *srv, size_t *dirs, size_t *entries)
{
	struct nfs4_dirdeleg_children *c = srv->dd_children;
	*dirs = *entries = 0;
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	*dirs = c->nindexed;
	*entries = hashtable_count(&c->by_child);
	pthread_mutex_unlock(&c->lock);
}

bool nfs4_dirdeleg_children_note(struct nfs4_server *srv, const struct state_file_key *dir,
				 const char *name, const struct backend_handle *child)
{
	struct nfs4_dirdeleg_children *c = srv->dd_children;
	bool ok = true;
	if (!c)
		return true;
	pthread_mutex_lock(&c->lock);
	struct dir_rec *r = dir_find(c, dir);
	if (r && r->indexed) {
		ents_remove(c, dir, name);
		if (child && !ent_add(c, dir, name, strlen(name), child)) {
			/* The directory's index can no longer be trusted. */
			index_drop(c, r);
			ok = false;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return ok;
}

size_t nfs4_dirdeleg_children_find(struct nfs4_server *srv, uint32_t export_id,
				   const struct backend_handle *child,
				   struct nfs4_dirdeleg_parent *out, size_t max)
{
	struct nfs4_dirdeleg_children *c = srv->dd_children;
	size_t n = 0;
	if (!c)
		return 0;
	uint64_t h = child_hash(export_id, child);
	pthread_mutex_lock(&c->lock);
	struct hashtable_node *pos;
	hashtable_for_each_hash(pos, &c->by_child, h)
	{
		struct child_ent *e = hashtable_entry(pos, struct child_ent, node);
		if (e->export_id != export_id || !handle_eq(&e->child, child) || n == max)
			continue;
		out[n].dir = (struct state_file_key){.export_id = export_id, .bh = e->dir};
		snprintf(out[n].name, sizeof(out[n].name), "%s", e->name);
		n++;
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}

void nfs4_dirdeleg_children_free(struct nfs4_server *srv)
{
	struct nfs4_dirdeleg_children *c = srv->dd_children;
	if (!c)
		return;
	/* Entries only: the watches go with their back ends. */
	for (size_t i = 0; i < c->ndirs; i++)
		index_drop(c, &c->dirs[i]);
	hashtable_fini(&c->by_child);
	free(c->dirs);
	pthread_mutex_destroy(&c->lock);
	free(c);
	srv->dd_children = NULL;
}
