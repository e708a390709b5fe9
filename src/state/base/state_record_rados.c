/* The record store of a clustered head ([cluster] in ferryd.conf): the
 * omap of one RADOS object per node, rec-<node>, in the configured pool
 * and namespace.  Each record is one omap key, the record key of
 * state_record.c (16 hex digits of a hash of the client's name), whose
 * value is the name itself; docs/DECISIONS.md says why this layout.
 *
 * An object per node, not one for the cluster, because each head changes
 * only its own records (no two heads write one object, so no
 * compare-and-swap is needed), and a survivor taking over a failed head
 * reads that head's object whole.  omap rather than the object's data
 * because a record is added or dropped on its own, without rewriting the
 * others.
 *
 * A write returns once RADOS acknowledged it, and RADOS acknowledges a
 * write only once every replica of the placement group has it: the same
 * promise as the fsync of the directory store.  Operations time out
 * (rados_osd_op_timeout) rather than hold the records lock, and with it a
 * SETCLIENTID_CONFIRM or the state thread, for ever when the cluster is
 * unreachable (state_rados.c); the failure is logged like a failed
 * fsync. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "state/base/state_internal.h"
#include "state/base/state_rados.h"
#include "state/base/state_record_store.h"

/* Records fetched per round trip when loading. */
enum { RECORD_RADOS_PAGE = 512 };

struct record_rados {
	struct state_record_store rs;
	rados_t cluster;
	rados_ioctx_t io;
	char oid[16 + CONFIG_NAME_MAX];
	char where[3 * CONFIG_NAME_MAX + 32]; /* "RADOS pool/[namespace/]oid" */
};

static struct record_rados *record_rados_of(struct state_record_store *rs)
{
	return container_of(rs, struct record_rados, rs);
}

static bool key_valid(const char *key, size_t len)
{
	if (len != STATE_RECORD_KEY_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f')))
			return false;
	return true;
}

/* Appends one omap entry to *prev; false only when out of memory. */
static bool record_rados_take(struct record_rados *rr, const char *key, size_t klen, const char *val,
		       size_t vlen, struct state_prev **prev, size_t *n, size_t *cap)
{
	if (!key_valid(key, klen) || vlen > NFS4_OPAQUE_LIMIT) {
		log_warn("state: ignoring key '%.*s' of %s: not a client record",
			 (int)(klen > 64 ? 64 : klen), key, rr->where);
		return true;
	}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct state_prev *np = realloc(*prev, nc * sizeof(*np));
		if (!np)
			return false;
		*prev = np;
		*cap = nc;
	}
	struct state_prev *p = &(*prev)[*n];
	p->name = state_bytes_dup((const uint8_t *)val, (uint32_t)vlen);
	if (!p->name && vlen > 0)
		return false;
	p->name_len = (uint32_t)vlen;
	p->reclaimed = false;
	(*n)++;
	return true;
}

static int record_rados_load(struct state_record_store *rs, struct state_prev **out, size_t *nout)
{
	struct record_rados *rr = record_rados_of(rs);
	*out = NULL;
	*nout = 0;
	struct state_prev *prev = NULL;
	size_t n = 0, cap = 0;
	char *after = NULL; /* the last key seen: the next page starts after it */
	int ret = 0;
	for (;;) {
		rados_read_op_t op = rados_create_read_op();
		if (!op) {
			ret = -ENOMEM;
			break;
		}
		rados_omap_iter_t it = NULL;
		unsigned char more = 0;
		int prval = 0;
		rados_read_op_omap_get_vals2(op, after ? after : "", "", RECORD_RADOS_PAGE, &it,
					     &more, &prval);
		int rc = rados_read_op_operate(op, rr->io, rr->oid, 0);
		if (rc == 0)
			rc = prval;
		if (rc < 0) {
			if (it)
				rados_omap_get_end(it);
			rados_release_read_op(op);
			if (rc != -ENOENT) /* ENOENT: no record was ever written */
				ret = rc;
			break;
		}
		bool oom = false;
		for (;;) {
			char *key = NULL, *val = NULL;
			size_t klen = 0, vlen = 0;
			if (rados_omap_get_next2(it, &key, &val, &klen, &vlen) != 0 || !key)
				break;
			if (!record_rados_take(rr, key, klen, val, vlen, &prev, &n, &cap)) {
				oom = true;
				break;
			}
			free(after);
			after = strndup(key, klen);
			if (!after) {
				oom = true;
				break;
			}
		}
		rados_omap_get_end(it);
		rados_release_read_op(op);
		if (oom) {
			ret = -ENOMEM;
			break;
		}
		if (!more)
			break;
	}
	free(after);
	if (ret) {
		state_prev_free(prev, n);
		return ret;
	}
	*out = prev;
	*nout = n;
	return 0;
}

static int record_rados_has(struct state_record_store *rs, const char *key)
{
	struct record_rados *rr = record_rados_of(rs);
	rados_read_op_t op = rados_create_read_op();
	if (!op)
		return -ENOMEM;
	rados_omap_iter_t it = NULL;
	int prval = 0;
	const char *keys[1] = {key};
	rados_read_op_omap_get_vals_by_keys(op, keys, 1, &it, &prval);
	int rc = rados_read_op_operate(op, rr->io, rr->oid, 0);
	if (rc == 0)
		rc = prval;
	if (rc == 0)
		rc = it && rados_omap_iter_size(it) > 0;
	else if (rc == -ENOENT)
		rc = 0;
	if (it)
		rados_omap_get_end(it);
	rados_release_read_op(op);
	return rc;
}

static int record_rados_put(struct state_record_store *rs, const char *key, const uint8_t *name,
		     uint32_t len)
{
	struct record_rados *rr = record_rados_of(rs);
	rados_write_op_t op = rados_create_write_op();
	if (!op)
		return -ENOMEM;
	const char *keys[1] = {key};
	const char *vals[1] = {(const char *)name};
	size_t klens[1] = {STATE_RECORD_KEY_LEN}, vlens[1] = {len};
	rados_write_op_create(op, LIBRADOS_CREATE_IDEMPOTENT, NULL);
	rados_write_op_omap_set2(op, keys, vals, klens, vlens, 1);
	int rc = rados_write_op_operate(op, rr->io, rr->oid, NULL, 0);
	rados_release_write_op(op);
	return rc;
}

static int record_rados_remove(struct state_record_store *rs, const char *key)
{
	struct record_rados *rr = record_rados_of(rs);
	rados_write_op_t op = rados_create_write_op();
	if (!op)
		return -ENOMEM;
	const char *keys[1] = {key};
	rados_write_op_omap_rm_keys(op, keys, 1);
	int rc = rados_write_op_operate(op, rr->io, rr->oid, NULL, 0);
	rados_release_write_op(op);
	return rc == -ENOENT ? 0 : rc;
}

static void record_rados_close(struct state_record_store *rs)
{
	struct record_rados *rr = record_rados_of(rs);
	state_rados_close(rr->cluster, rr->io);
	free(rr);
}

static const char *record_rados_describe(struct state_record_store *rs)
{
	return record_rados_of(rs)->where;
}

static const struct state_record_store_ops rados_ops = {
	.load = record_rados_load,
	.has = record_rados_has,
	.put = record_rados_put,
	.remove = record_rados_remove,
	.close = record_rados_close,
	.describe = record_rados_describe,
};

int state_record_store_rados_open(const struct state_cluster_options *c,
				  struct state_record_store **out)
{
	*out = NULL;
	struct record_rados *rr = calloc(1, sizeof(*rr));
	if (!rr)
		return -ENOMEM;
	rr->rs.ops = &rados_ops;
	const char *pool = c->rados_pool[0] ? c->rados_pool : "ferry";
	snprintf(rr->oid, sizeof(rr->oid), "rec-%s", c->node);
	snprintf(rr->where, sizeof(rr->where), "RADOS %s/%s%s%s", pool, c->rados_namespace,
		 c->rados_namespace[0] ? "/" : "", rr->oid);
	int rc = state_rados_connect(c, "client records", &rr->cluster, &rr->io);
	if (rc < 0) {
		free(rr);
		return rc;
	}
	log_info("state: client records of node %s in %s", c->node, rr->where);
	*out = &rr->rs;
	return 0;
}

int state_record_store_rados_drop(struct state_record_store *rs)
{
	struct record_rados *rr = record_rados_of(rs);
	int rc = rados_remove(rr->io, rr->oid);
	return rc == -ENOENT ? 0 : rc;
}

int state_record_store_rados_addrs(struct state_record_store *rs, char *out, size_t cap)
{
	struct record_rados *rr = record_rados_of(rs);
	char *addrs = NULL;
	int rc = rados_getaddrs(rr->cluster, &addrs);
	if (rc == 0)
		snprintf(out, cap, "%s", addrs ? addrs : "");
	free(addrs);
	return rc;
}
