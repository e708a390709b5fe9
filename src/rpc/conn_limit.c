/* Connection limits: how many connections are open in all and from each
 * client address, and the admission of a new one against them. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/log.h"
#include "rpc/server_internal.h"

/* Open connections from one address (the port left out). */
struct addr_count {
	struct hashtable_node node;
	uint8_t addr[16];
	uint8_t len;
	unsigned open;
};

/* The address bytes of a peer; 0 for a family without one. */
static size_t peer_key(const struct sockaddr_storage *ss, uint8_t out[16])
{
	if (ss->ss_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return 4;
	}
	if (ss->ss_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		return 16;
	}
	return 0;
}

int rpc_conn_limits_init(struct rpc_server *srv)
{
	/* Keyed: peers choose their addresses, and must not aim at one
	 * bucket. */
	if (getrandom(&srv->addr_hash_key, sizeof(srv->addr_hash_key), 0) !=
	    sizeof(srv->addr_hash_key))
		memset(&srv->addr_hash_key, 0x5a, sizeof(srv->addr_hash_key));
	return hashtable_init(&srv->conns_by_addr, 64);
}

void rpc_conn_limits_fini(struct rpc_server *srv)
{
	struct hashtable_iter it;
	struct hashtable_node *n;
	for (n = hashtable_iter_first(&it, &srv->conns_by_addr); n; n = hashtable_iter_next(&it))
		free(hashtable_entry(n, struct addr_count, node));
	hashtable_fini(&srv->conns_by_addr);
}

/* With conns_lock held. */
static struct addr_count *addr_find(struct rpc_server *srv, const uint8_t *key, size_t len,
				    uint64_t *hash)
{
	*hash = siphash24(&srv->addr_hash_key, key, len);
	struct hashtable_node *n;
	hashtable_for_each_hash(n, &srv->conns_by_addr, *hash)
	{
		struct addr_count *a = hashtable_entry(n, struct addr_count, node);
		if (a->len == len && memcmp(a->addr, key, len) == 0)
			return a;
	}
	return NULL;
}

void rpc_conn_limits_add_locked(struct rpc_conn *conn)
{
	struct rpc_server *srv = conn->srv;
	srv->conns_tracked++;
	uint8_t key[16];
	size_t len = peer_key(&conn->peer, key);
	if (!len)
		return;
	uint64_t hash;
	struct addr_count *a = addr_find(srv, key, len, &hash);
	if (!a) {
		a = calloc(1, sizeof(*a));
		if (!a)
			return; /* uncounted: only its own limit is looser */
		memcpy(a->addr, key, len);
		a->len = (uint8_t)len;
		hashtable_insert(&srv->conns_by_addr, &a->node, hash);
	}
	a->open++;
	conn->addr_counted = true;
}

void rpc_conn_limits_remove_locked(struct rpc_conn *conn)
{
	struct rpc_server *srv = conn->srv;
	srv->conns_tracked--;
	if (!conn->addr_counted)
		return;
	conn->addr_counted = false;
	uint8_t key[16];
	size_t len = peer_key(&conn->peer, key);
	uint64_t hash;
	struct addr_count *a = addr_find(srv, key, len, &hash);
	if (a && --a->open == 0) {
		hashtable_remove(&srv->conns_by_addr, &a->node);
		free(a);
	}
}

bool rpc_conn_limits_admit(struct rpc_server *srv, const struct sockaddr_storage *peer,
			   const char *peer_str)
{
	unsigned max_total = srv->opts.max_connections;
	unsigned max_addr = srv->opts.max_connections_per_client;
	bool total_ok = true, addr_ok = true;
	unsigned open_from = 0;
	pthread_mutex_lock(&srv->conns_lock);
	if (max_total && srv->conns_tracked >= max_total) {
		total_ok = false;
	} else if (max_addr) {
		uint8_t key[16];
		size_t len = peer_key(peer, key);
		uint64_t hash;
		struct addr_count *a = len ? addr_find(srv, key, len, &hash) : NULL;
		open_from = a ? a->open : 0;
		addr_ok = open_from < max_addr;
	}
	pthread_mutex_unlock(&srv->conns_lock);
	if (total_ok && addr_ok)
		return true;
	/* Logged once per kind: a client retrying in a loop must not fill
	 * the log; the counters tell how often. */
	if (!total_ok) {
		atomic_fetch_add_explicit(&srv->st_refused_total, 1, memory_order_relaxed);
		if (!atomic_exchange(&srv->refused_total_logged, true))
			log_warn("rpc: refusing the connection from %s: %u connections open, the "
				 "limit of [rpc] max_connections (%u); further refusals are only "
				 "counted (ferry_rpc_connections_refused_total)",
				 peer_str, max_total, max_total);
	} else {
		atomic_fetch_add_explicit(&srv->st_refused_per_client, 1, memory_order_relaxed);
		if (!atomic_exchange(&srv->refused_addr_logged, true))
			log_warn("rpc: refusing the connection from %s: %u connections open from "
				 "that address, the limit of [rpc] max_connections_per_client; "
				 "further refusals are only counted "
				 "(ferry_rpc_connections_refused_total)",
				 peer_str, open_from);
	}
	return false;
}
