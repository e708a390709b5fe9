/* Directory delegations: which delegated directories an object is an
 * entry of, for CHANGE_CHILD_ATTRS.  A file does not know its parents
 * (hard links may give it several), so the directories some holder asked
 * child-attribute notifications of are indexed: read once when the first
 * such delegation is granted, kept up to date by the entry changes the
 * server makes or sees (nfs4_dirdeleg_added, _removed, the host watch),
 * dropped with the directory's last delegation.  A SETATTR or WRITE then
 * finds the entries of a changed object by its handle at the cost of a
 * hash look-up. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashtable.h"
#include "nfs4/dirdeleg.h"
#include "nfs4/server.h"

/* One entry of an indexed directory. */
struct child_ent {
	struct hashtable_node node; /* by the child's export and handle */
	uint32_t export_id;
	struct backend_handle child, dir;
	char name[];
};

struct nfs4_dirdeleg_children {
	pthread_mutex_t lock; /* lock order: see core/lock_order.h, level 5b */
	struct hashtable by_child;
	struct state_file_key *dirs; /* the directories indexed */
	size_t ndirs, cap;
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

static bool dir_indexed(const struct nfs4_dirdeleg_children *c, const struct state_file_key *dir,
			size_t *at)
{
	for (size_t i = 0; i < c->ndirs; i++)
		if (c->dirs[i].export_id == dir->export_id && handle_eq(&c->dirs[i].bh, &dir->bh)) {
			if (at)
				*at = i;
			return true;
		}
	return false;
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

int nfs4_dirdeleg_children_index(struct nfs4_server *srv, const struct state_file_key *dir)
{
	struct nfs4_dirdeleg_children *c = srv->dd_children;
	struct nfs4_export *ex = nfs4_exports_find(&srv->exports, dir->export_id);
	if (!c || !ex)
		return -ENOENT;
	pthread_mutex_lock(&c->lock);
	int rc = 0;
	if (dir_indexed(c, dir, NULL))
		goto out;
	if (c->ndirs == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct state_file_key *d = realloc(c->dirs, cap * sizeof(*d));
		if (!d) {
			rc = -ENOMEM;
			goto out;
		}
		c->dirs = d;
		c->cap = cap;
	}
	/* Read under the lock: changes noted meanwhile wait, so none is
	 * lost between the listing and the index.  The server reads it as
	 * root, whoever asked. */
	struct backend_cred root;
	memset(&root, 0, sizeof(root));
	struct index_ctx x = {.c = c, .dir = dir, .ok = true};
	bool eof = false;
	rc = ex->ops->readdir(ex->bex, &root, &dir->bh, 0, index_entry, &x, &eof);
	if (rc == 0 && (!x.ok || !eof))
		rc = -E2BIG;
	if (rc != 0) {
		ents_remove(c, dir, NULL);
		goto out;
	}
	c->dirs[c->ndirs++] = *dir;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void nfs4_dirdeleg_children_forget(struct nfs4_server *srv, const struct state_file_key *dir)
{
	struct nfs4_dirdeleg_children *c = srv->dd_children;
	size_t at;
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	if (dir_indexed(c, dir, &at)) {
		ents_remove(c, dir, NULL);
		c->dirs[at] = c->dirs[--c->ndirs];
	}
	pthread_mutex_unlock(&c->lock);
}

bool nfs4_dirdeleg_children_note(struct nfs4_server *srv, const struct state_file_key *dir,
				 const char *name, const struct backend_handle *child)
{
	struct nfs4_dirdeleg_children *c = srv->dd_children;
	size_t at;
	bool ok = true;
	if (!c)
		return true;
	pthread_mutex_lock(&c->lock);
	if (dir_indexed(c, dir, &at)) {
		ents_remove(c, dir, name);
		if (child && !ent_add(c, dir, name, strlen(name), child)) {
			/* The directory's index can no longer be trusted. */
			ents_remove(c, dir, NULL);
			c->dirs[at] = c->dirs[--c->ndirs];
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
	while (c->ndirs > 0) {
		struct state_file_key d = c->dirs[c->ndirs - 1];
		nfs4_dirdeleg_children_forget(srv, &d);
	}
	hashtable_fini(&c->by_child);
	free(c->dirs);
	pthread_mutex_destroy(&c->lock);
	free(c);
	srv->dd_children = NULL;
}
