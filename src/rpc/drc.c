/* The duplicate request cache (rpc/drc.h): a hash table of calls,
 * and the completed ones on a list, oldest first, for eviction.  Calls in
 * progress are in the table only: never evicted, as many as requests in
 * flight. */
#include "rpc/drc.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/hashtable.h"
#include "core/list.h"
#include "core/siphash.h"
#include "xdr/xdr.h"

enum { CSUM_BYTES = 256 }; /* as knfsd: retransmissions differ nowhere */

struct rpc_drc_entry {
	struct hashtable_node node;
	struct list_node done_link; /* on the done list once done */
	struct rpc_drc_key key;
	bool done;
	struct buf *reply;
	size_t off;
	uint64_t done_ms;
};

struct rpc_drc {
	/* lock order: see core/lock_order.h, level 9c (a leaf). */
	pthread_mutex_t lock;
	struct hashtable calls;
	struct list_node done; /* completed calls, the oldest first */
	size_t ndone;
	uint64_t bytes;
	atomic_size_t ncalls; /* read without the lock: rpc_drc_empty */
	struct siphash_key hkey;
	uint64_t hits, dropped;
};

int rpc_drc_create(struct rpc_drc **out)
{
	struct rpc_drc *d = calloc(1, sizeof(*d));
	if (!d || hashtable_init(&d->calls, 256) != 0) {
		free(d);
		return -ENOMEM;
	}
	pthread_mutex_init(&d->lock, NULL);
	list_init(&d->done);
	atomic_init(&d->ncalls, 0);
	/* Keyed per run: a client cannot aim its calls at one bucket. */
	uint64_t t = clock_now_ns();
	d->hkey.k0 = t ^ 0x6472633430637573ull;
	d->hkey.k1 = (uint64_t)(uintptr_t)d ^ (t << 17);
	*out = d;
	return 0;
}

static void entry_free(struct rpc_drc *d, struct rpc_drc_entry *e)
{
	hashtable_remove(&d->calls, &e->node);
	atomic_fetch_sub(&d->ncalls, 1);
	if (e->done) {
		list_del(&e->done_link);
		d->ndone--;
		d->bytes -= e->reply->cap;
		buf_unref(e->reply);
	}
	free(e);
}

void rpc_drc_destroy(struct rpc_drc *d)
{
	if (!d)
		return;
	struct hashtable_iter it;
	struct hashtable_node *n = hashtable_iter_first(&it, &d->calls);
	while (n) {
		struct hashtable_node *next = hashtable_iter_next(&it);
		entry_free(d, hashtable_entry(n, struct rpc_drc_entry, node));
		n = next;
	}
	hashtable_fini(&d->calls);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void rpc_drc_key(struct rpc_drc_key *k, const char *peer, uint32_t xid,
		    const uint8_t *args, size_t len)
{
	static const struct siphash_key ck = {0x7265706c61796364ull, 0x6e66737634307263ull};
	memset(k, 0, sizeof(*k));
	snprintf(k->peer, sizeof(k->peer), "%s", peer);
	k->xid = xid;
	k->args_len = (uint32_t)len;
	k->csum = siphash24(&ck, args, len < CSUM_BYTES ? len : CSUM_BYTES);
}

bool rpc_drc_empty(const struct rpc_drc *d)
{
	return atomic_load_explicit(&d->ncalls, memory_order_relaxed) == 0;
}

static uint64_t key_hash(const struct rpc_drc *d, const struct rpc_drc_key *k)
{
	return siphash24(&d->hkey, k, sizeof(*k));
}

/* Evicts the oldest completed calls while over a bound (lock held). */
static void prune(struct rpc_drc *d, uint64_t now)
{
	while (!list_empty(&d->done)) {
		struct rpc_drc_entry *old =
			list_entry(d->done.next, struct rpc_drc_entry, done_link);
		if (d->ndone <= RPC_DRC_MAX_ENTRIES && d->bytes <= RPC_DRC_MAX_BYTES &&
		    now - old->done_ms < RPC_DRC_MAX_AGE_MS)
			break;
		entry_free(d, old);
	}
}

static struct rpc_drc_entry *find(struct rpc_drc *d, const struct rpc_drc_key *k,
				     uint64_t h)
{
	struct hashtable_node *n;
	hashtable_for_each_hash(n, &d->calls, h)
	{
		struct rpc_drc_entry *e = hashtable_entry(n, struct rpc_drc_entry, node);
		if (memcmp(&e->key, k, sizeof(*k)) == 0)
			return e;
	}
	return NULL;
}

/* What a found entry means for a new copy of its call (lock held). */
static enum rpc_drc_found answer(struct rpc_drc *d, struct rpc_drc_entry *e,
				    struct buf **reply, size_t *off)
{
	if (!e)
		return RPC_DRC_MISS;
	if (!e->done) {
		d->dropped++;
		return RPC_DRC_IN_PROGRESS;
	}
	d->hits++;
	*reply = buf_ref(e->reply);
	*off = e->off;
	return RPC_DRC_DONE;
}

enum rpc_drc_found rpc_drc_lookup(struct rpc_drc *d, const struct rpc_drc_key *k,
					struct buf **reply, size_t *off)
{
	uint64_t h = key_hash(d, k);
	pthread_mutex_lock(&d->lock);
	prune(d, clock_now_ms());
	enum rpc_drc_found f = answer(d, find(d, k, h), reply, off);
	pthread_mutex_unlock(&d->lock);
	return f;
}

struct rpc_drc_entry *rpc_drc_begin(struct rpc_drc *d, const struct rpc_drc_key *k,
					  enum rpc_drc_found *found, struct buf **reply,
					  size_t *off)
{
	uint64_t h = key_hash(d, k);
	struct rpc_drc_entry *e = calloc(1, sizeof(*e));
	pthread_mutex_lock(&d->lock);
	prune(d, clock_now_ms());
	*found = answer(d, find(d, k, h), reply, off);
	if (*found != RPC_DRC_MISS || !e) {
		pthread_mutex_unlock(&d->lock);
		free(e);
		return NULL;
	}
	e->key = *k;
	hashtable_insert(&d->calls, &e->node, h);
	atomic_fetch_add(&d->ncalls, 1);
	pthread_mutex_unlock(&d->lock);
	return e;
}

void rpc_drc_finish(struct rpc_drc *d, struct rpc_drc_entry *e, struct buf *reply,
		       size_t off)
{
	pthread_mutex_lock(&d->lock);
	if (!reply) {
		entry_free(d, e);
	} else {
		e->done = true;
		e->reply = reply;
		e->off = off;
		e->done_ms = clock_now_ms();
		list_add_tail(&d->done, &e->done_link);
		d->ndone++;
		d->bytes += reply->cap;
		prune(d, e->done_ms);
	}
	pthread_mutex_unlock(&d->lock);
}

void rpc_drc_stats(struct rpc_drc *d, struct rpc_drc_stats *out)
{
	pthread_mutex_lock(&d->lock);
	out->entries = d->ndone;
	out->bytes = d->bytes;
	out->hits = d->hits;
	out->dropped = d->dropped;
	pthread_mutex_unlock(&d->lock);
}

/* --- in-place upgrades ------------------------------------------------------- */

/* Layout (XDR): a count, then per completed call, oldest first: the
 * client's address and port, the XID, the arguments' length and checksum,
 * how long ago it completed (ms) and its kept reply from the offset on.
 * The checksum's key is fixed, so the new process computes the same ones;
 * the table's own key is not carried (entries are hashed again). */
int rpc_drc_save(struct rpc_drc *d, struct buf **out)
{
	*out = NULL;
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 4096, 1u << 30))
		return -ENOMEM;
	pthread_mutex_lock(&d->lock);
	uint64_t now = clock_now_ms();
	bool ok = xdr_encode_u32(&e, (uint32_t)d->ndone);
	list_for_each_entry(en, &d->done, struct rpc_drc_entry, done_link) {
		if (!ok)
			break;
		const struct rpc_drc_key *k = &en->key;
		uint64_t age = now > en->done_ms ? now - en->done_ms : 0;
		ok = xdr_encode_opaque(&e, k->peer, (uint32_t)strlen(k->peer)) &&
		     xdr_encode_u32(&e, k->xid) && xdr_encode_u32(&e, k->args_len) &&
		     xdr_encode_u64(&e, k->csum) && xdr_encode_u32(&e, (uint32_t)age) &&
		     xdr_encode_opaque(&e, en->reply->data + en->off,
				       (uint32_t)(en->reply->len - en->off));
	}
	pthread_mutex_unlock(&d->lock);
	if (!ok || e.overflow) {
		xdr_enc_release(&e);
		return -ENOMEM;
	}
	*out = xdr_enc_take(&e);
	return 0;
}

int rpc_drc_load(struct rpc_drc *d, const uint8_t *p, size_t len, char *err, size_t errlen)
{
	struct xdr_dec dec;
	xdr_dec_init(&dec, p, len);
	uint32_t n;
	if (!xdr_decode_u32(&dec, &n)) {
		snprintf(err, errlen, "the reply cache's section is cut short");
		return -EINVAL;
	}
	uint64_t now = clock_now_ms();
	for (uint32_t i = 0; i < n; i++) {
		struct rpc_drc_key k;
		memset(&k, 0, sizeof(k));
		const uint8_t *peer, *reply;
		uint32_t peer_len, age, reply_len;
		if (!xdr_decode_opaque(&dec, RPC_DRC_PEER_MAX - 1, &peer, &peer_len) ||
		    memchr(peer, 0, peer_len) || !xdr_decode_u32(&dec, &k.xid) ||
		    !xdr_decode_u32(&dec, &k.args_len) || !xdr_decode_u64(&dec, &k.csum) ||
		    !xdr_decode_u32(&dec, &age) ||
		    !xdr_decode_opaque(&dec, RPC_DRC_MAX_BYTES, &reply, &reply_len)) {
			snprintf(err, errlen, "reply cache entry %u of %u does not decode", i, n);
			return -EINVAL;
		}
		memcpy(k.peer, peer, peer_len);
		struct buf *b = buf_new(reply_len ? reply_len : 1);
		struct rpc_drc_entry *en = b ? calloc(1, sizeof(*en)) : NULL;
		if (!en) {
			buf_unref(b);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		memcpy(b->data, reply, reply_len);
		b->len = reply_len;
		en->key = k;
		en->done = true;
		en->reply = b;
		en->done_ms = now > age ? now - age : 0;
		uint64_t h = key_hash(d, &k);
		pthread_mutex_lock(&d->lock);
		if (find(d, &k, h)) {
			pthread_mutex_unlock(&d->lock);
			buf_unref(b);
			free(en);
			snprintf(err, errlen, "reply cache entry %u of %u comes twice", i, n);
			return -EINVAL;
		}
		hashtable_insert(&d->calls, &en->node, h);
		atomic_fetch_add(&d->ncalls, 1);
		list_add_tail(&d->done, &en->done_link);
		d->ndone++;
		d->bytes += b->cap;
		prune(d, now);
		pthread_mutex_unlock(&d->lock);
	}
	if (xdr_dec_remaining(&dec) != 0) {
		snprintf(err, errlen, "%zu bytes after the reply cache's entries",
			 xdr_dec_remaining(&dec));
		return -EINVAL;
	}
	return 0;
}
