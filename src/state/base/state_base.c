/* The base of the state module, which every other part of it uses: the
 * clock, random bytes, the keyed hash of its tables, the permutation that
 * makes ids, and the memory budget with its per-client limits. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/siphash.h"
#include "state/base/state_internal.h"

/* --- small helpers ----------------------------------------------------------- */

/* Leases, grace and the other times of client state are kept in ms and
 * read several times per COMPOUND: the coarse clock does. */
uint64_t state_now_ms(void) { return clock_now_coarse_ms(); }

void state_random(void *out, size_t len)
{
	uint8_t *p = out;
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n <= 0) {
			/* Only uniqueness matters where this is used; fall back
			 * on the clock rather than fail. */
			uint64_t t = clock_now_ns();
			size_t k = len < sizeof(t) ? len : sizeof(t);
			memcpy(p, &t, k);
			n = (ssize_t)k;
		}
		p += n;
		len -= (size_t)n;
	}
}

uint64_t state_hash(const struct state_server *st, const void *a, size_t alen, const void *b,
		    size_t blen)
{
	/* Keyed so that a client cannot pick names that share a bucket. */
	uint8_t buf[16 + NFS4_OPAQUE_LIMIT + BACKEND_HANDLE_MAX];
	if (alen + blen > sizeof(buf))
		blen = sizeof(buf) - alen;
	memcpy(buf, a, alen);
	if (blen)
		memcpy(buf + alen, b, blen);
	return siphash24(&st->hkey, buf, alen + blen);
}

uint32_t state_id_permute(const struct state_server *st, uint8_t domain, uint32_t n)
{
	/* A four-round Feistel network on 16-bit halves, its round function
	 * keyed siphash: a permutation of the 32-bit values (distinct counters
	 * give distinct ids) that cannot be run forward without the key. */
	uint16_t l = (uint16_t)(n >> 16), r = (uint16_t)n;
	for (uint8_t round = 0; round < 4; round++) {
		uint8_t in[4] = {domain, round, (uint8_t)(r >> 8), (uint8_t)r};
		uint16_t f = (uint16_t)siphash24(&st->id_key, in, sizeof(in));
		uint16_t t = r;
		r = l ^ f;
		l = t;
	}
	return (uint32_t)l << 16 | r;
}

uint8_t *state_bytes_dup(const uint8_t *p, uint32_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (copy)
		memcpy(copy, p, len);
	return copy;
}

bool state_file_key_eq(const struct state_file_key *a, const struct state_file_key *b)
{
	return a->export_id == b->export_id && a->bh.len == b->bh.len &&
	       memcmp(a->bh.data, b->bh.data, a->bh.len) == 0;
}

const char *const state_cap_names[STATE_CAP_KINDS] = {
	[STATE_CAP_CLIENTS] = "clients",
	[STATE_CAP_SESSIONS] = "sessions",
	[STATE_CAP_OPEN_OWNERS] = "open_owners",
	[STATE_CAP_OPENS] = "opens",
	[STATE_CAP_LOCK_OWNERS] = "lock_owners",
	[STATE_CAP_LOCKS] = "locks",
	[STATE_CAP_MEMORY] = "memory",
	[STATE_CAP_CLIENT_MEMORY] = "client_memory",
};

/* The setting that moves each limit, for the log. */
static const char *const cap_settings[STATE_CAP_KINDS] = {
	[STATE_CAP_CLIENTS] = "max_clients",
	[STATE_CAP_SESSIONS] = "max_sessions_per_client",
	[STATE_CAP_OPEN_OWNERS] = "max_open_owners_per_client",
	[STATE_CAP_OPENS] = "max_opens_per_client",
	[STATE_CAP_LOCK_OWNERS] = "max_lock_owners_per_client",
	[STATE_CAP_LOCKS] = "max_locks_per_client",
	[STATE_CAP_MEMORY] = "state_memory_mb",
	[STATE_CAP_CLIENT_MEMORY] = "client_state_share (a percentage of state_memory_mb)",
};

uint64_t state_memory_default(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	uint64_t phys = pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 1ull << 30;
	uint64_t v = phys / 8;
	return v < (64ull << 20) ? 64ull << 20 : v;
}

uint64_t state_memory_used(const struct state_server *st)
{
	unsigned delegs = st->deleg.files.active + st->deleg.dirs.active;
	return (uint64_t)st->n_clients * STATE_BYTES_CLIENT +
	       (uint64_t)st->n_owners * STATE_BYTES_OWNER + (uint64_t)st->n_opens * STATE_BYTES_OPEN +
	       (uint64_t)st->n_lock_states * STATE_BYTES_LOCK_STATE +
	       (uint64_t)st->n_locks * STATE_BYTES_LOCK + (uint64_t)delegs * STATE_BYTES_DELEG;
}

uint64_t state_client_memory(const struct state_client *cl)
{
	return STATE_BYTES_CLIENT +
	       (uint64_t)(cl->n_open_owners + cl->n_lock_owners) * STATE_BYTES_OWNER +
	       (uint64_t)cl->n_opens * STATE_BYTES_OPEN +
	       (uint64_t)cl->n_lock_states * STATE_BYTES_LOCK_STATE +
	       (uint64_t)cl->n_locks * STATE_BYTES_LOCK + (uint64_t)cl->n_delegs * STATE_BYTES_DELEG;
}

static uint64_t kind_bytes(enum state_cap_kind kind)
{
	switch (kind) {
	case STATE_CAP_CLIENTS: return STATE_BYTES_CLIENT;
	case STATE_CAP_OPEN_OWNERS:
	case STATE_CAP_LOCK_OWNERS: return STATE_BYTES_OWNER;
	case STATE_CAP_OPENS: return STATE_BYTES_OPEN;
	case STATE_CAP_LOCKS: return STATE_BYTES_LOCK_STATE + 2 * STATE_BYTES_LOCK;
	default: return 0;
	}
}

/* A refusal, logged once per client and limit. */
static void cap_log(struct state_client *cl, enum state_cap_kind kind)
{
	if (cl && (cl->caps_logged & (1u << kind)))
		return;
	if (cl)
		cl->caps_logged |= 1u << kind;
	if (cl)
		log_warn("state: client %016llx refused: the %s limit is reached ([nfs] %s)",
			 (unsigned long long)cl->clientid, state_cap_names[kind], cap_settings[kind]);
	else
		log_warn("state: a new client refused: the %s limit is reached ([nfs] %s)",
			 state_cap_names[kind], cap_settings[kind]);
}

/* Frees what may go when memory is short (st->lock held), through the
 * parts' reclaim hooks: owners kept only so that a v4.0 CLOSE or OPEN
 * could be replayed (state_owners_reclaim), and delegations asked back
 * (state_deleg_init's). */
static void reclaim_for_memory(struct state_server *st)
{
	/* The reclaimers walk every client under st->lock: at most once a
	 * second, however many requests a full budget refuses meanwhile. */
	enum { RECLAIM_EVERY_MS = 1000 };
	uint64_t now = state_now_ms();
	if (st->reclaim_ms && st->reclaim_ms + RECLAIM_EVERY_MS > now)
		return;
	st->reclaim_ms = now;
	for (unsigned i = 0; i < st->hooks.n_reclaim; i++)
		st->hooks.reclaim[i](st, now);
}

/* --- the hooks of the parts above ---------------------------------------------- */

void state_hooks_add_client_gone(struct state_server *st,
				 void (*fn)(struct state_server *st, struct state_client *cl))
{
	if (st->hooks.n_client_gone < STATE_HOOKS_MAX)
		st->hooks.client_gone[st->hooks.n_client_gone++] = fn;
	else
		log_error("state: more than %d client_gone hooks: one is not called",
			  STATE_HOOKS_MAX);
}

void state_hooks_add_reclaim(struct state_server *st,
			     void (*fn)(struct state_server *st, uint64_t now))
{
	if (st->hooks.n_reclaim < STATE_HOOKS_MAX)
		st->hooks.reclaim[st->hooks.n_reclaim++] = fn;
	else
		log_error("state: more than %d reclaim hooks: one is not called", STATE_HOOKS_MAX);
}

void state_hooks_client_gone(struct state_server *st, struct state_client *cl)
{
	for (unsigned i = 0; i < st->hooks.n_client_gone; i++)
		st->hooks.client_gone[i](st, cl);
}

bool state_room_for(struct state_server *st, struct state_client *cl, enum state_cap_kind kind,
		    unsigned count)
{
	if (state_cap_reached(st, kind, count)) { /* counted there */
		cap_log(cl, kind);
		return false;
	}
	const struct state_caps *c = &st->opts.caps;
	uint64_t add = kind_bytes(kind);
	if (!c->memory || !add)
		return true;
	if (state_memory_used(st) + add > c->memory) {
		reclaim_for_memory(st);
		if (state_memory_used(st) + add > c->memory) {
			atomic_fetch_add(&st->cap_hits[STATE_CAP_MEMORY], 1);
			cap_log(cl, STATE_CAP_MEMORY);
			return false;
		}
	}
	unsigned share = c->client_share_pct && c->client_share_pct < 100 ? c->client_share_pct : 100;
	if (cl && state_client_memory(cl) + add > c->memory / 100 * share) {
		atomic_fetch_add(&st->cap_hits[STATE_CAP_CLIENT_MEMORY], 1);
		cap_log(cl, STATE_CAP_CLIENT_MEMORY);
		return false;
	}
	return true;
}

bool state_cap_reached(struct state_server *st, enum state_cap_kind kind, unsigned count)
{
	const struct state_caps *c = &st->opts.caps;
	unsigned cap = kind == STATE_CAP_CLIENTS       ? c->clients
		       : kind == STATE_CAP_SESSIONS    ? c->sessions_per_client
		       : kind == STATE_CAP_OPEN_OWNERS ? c->open_owners_per_client
		       : kind == STATE_CAP_OPENS       ? c->opens_per_client
		       : kind == STATE_CAP_LOCK_OWNERS ? c->lock_owners_per_client
						       : c->locks_per_client;
	if (kind >= STATE_CAP_MEMORY || cap == 0 || count < cap)
		return false;
	atomic_fetch_add(&st->cap_hits[kind], 1);
	return true;
}

