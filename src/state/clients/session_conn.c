/* Which sessions each connection is bound to (RFC 8881 2.10.3: a
 * connection may serve several sessions), so that a connection that closes
 * is unbound from those sessions only, never by a walk over all of them.
 *
 * The index maps a connection (its pointer, never dereferenced) to the
 * sessions holding it in their conns[]; each entry references its
 * session.  It changes under the session's lock with the session's own
 * list, so the two always agree: a binding is added to the index before
 * the connection's closed flag is checked (conn_bind_locked), and the close
 * hook runs after that flag is set; whichever comes first, the other sees
 * it.  Lock order: core/lock_order.h, level 5a (taken under a session's
 * lock, a leaf). */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "state/clients/session_internal.h"

struct state_conn_sessions {
	struct hashtable_node node;
	const struct rpc_conn *conn;
	struct state_session **sess; /* referenced */
	unsigned n, cap;
};

int state_conn_index_init(struct state_server *st)
{
	pthread_mutex_init(&st->conn_index_lock, NULL);
	return hashtable_init(&st->conn_index, 64);
}

void state_conn_index_fini(struct state_server *st)
{
	/* Every session is gone by now, and with them every entry. */
	hashtable_fini(&st->conn_index);
	pthread_mutex_destroy(&st->conn_index_lock);
}

static uint64_t hash_conn(const struct state_server *st, const struct rpc_conn *conn)
{
	return state_hash(st, "C", 1, &conn, sizeof(conn));
}

/* conn_index_lock held. */
static struct state_conn_sessions *entry_find(struct state_server *st,
					      const struct rpc_conn *conn, uint64_t h)
{
	struct hashtable_node *n;
	hashtable_for_each_hash(n, &st->conn_index, h)
	{
		struct state_conn_sessions *e =
			container_of(n, struct state_conn_sessions, node);
		if (e->conn == conn)
			return e;
	}
	return NULL;
}

/* An entry lives while it names a session.  conn_index_lock held. */
static void entry_drop_if_empty(struct state_server *st, struct state_conn_sessions *e)
{
	if (e->n)
		return;
	hashtable_remove(&st->conn_index, &e->node);
	free(e->sess);
	free(e);
}

/* Takes conn_index_lock (the caller releases it) and finds conn's entry;
 * *hash, when asked for, is the hash to insert a new one under. */
static struct state_conn_sessions *entry_lock_find(struct state_server *st,
						   const struct rpc_conn *conn, uint64_t *hash)
{
	uint64_t h = hash_conn(st, conn);
	if (hash)
		*hash = h;
	pthread_mutex_lock(&st->conn_index_lock);
	return entry_find(st, conn, h);
}

bool state_conn_index_add(struct state_server *st, const struct rpc_conn *conn,
			  struct state_session *s)
{
	uint64_t h;
	bool ok = false;
	struct state_conn_sessions *e = entry_lock_find(st, conn, &h);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			goto out;
		e->conn = conn;
		hashtable_insert(&st->conn_index, &e->node, h);
	}
	if (e->n == e->cap) {
		unsigned cap = e->cap ? e->cap * 2 : 2;
		struct state_session **n = realloc(e->sess, cap * sizeof(*n));
		if (!n) {
			entry_drop_if_empty(st, e); /* the one just made */
			goto out;
		}
		e->sess = n;
		e->cap = cap;
	}
	e->sess[e->n++] = state_session_ref(s);
	ok = true;
out:
	pthread_mutex_unlock(&st->conn_index_lock);
	return ok;
}

void state_conn_index_del(struct state_server *st, const struct rpc_conn *conn,
			  struct state_session *s)
{
	bool found = false;
	struct state_conn_sessions *e = entry_lock_find(st, conn, NULL);
	for (unsigned i = 0; e && i < e->n; i++) {
		if (e->sess[i] != s)
			continue;
		e->sess[i] = e->sess[--e->n];
		found = true;
		break;
	}
	if (e)
		entry_drop_if_empty(st, e);
	pthread_mutex_unlock(&st->conn_index_lock);
	/* The caller holds a reference of its own (and s->lock): this one is
	 * never the last. */
	if (found)
		atomic_fetch_sub_explicit(&s->refs, 1, memory_order_relaxed);
}

void state_conn_closed(struct state_server *st, struct rpc_conn *conn)
{
	struct state_conn_sessions *e = entry_lock_find(st, conn, NULL);
	if (e)
		hashtable_remove(&st->conn_index, &e->node);
	pthread_mutex_unlock(&st->conn_index_lock);
	if (!e)
		return;
	for (unsigned k = 0; k < e->n; k++) {
		struct state_session *s = e->sess[k];
		atomic_fetch_add_explicit(&st->n_close_visits, 1, memory_order_relaxed);
		bool put = false;
		pthread_mutex_lock(&s->lock);
		for (unsigned i = 0; i < s->nconns; i++) {
			if (s->conns[i].conn != conn)
				continue;
			if (s->conns[i].dir & STATE_CONN_BACK)
				state_conn_hold_back(st, conn, false);
			s->conns[i] = s->conns[--s->nconns];
			put = true;
			break;
		}
		pthread_mutex_unlock(&s->lock);
		if (put)
			state_conn_put(st, conn); /* no lock of ours held */
		state_session_unref(st, s);
	}
	free(e->sess);
	free(e);
}
