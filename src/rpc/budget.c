/* Memory budgets: the bytes that requests being served and replies being
 * built or queued hold, per connection and for the whole server.
 *
 * Two ways of staying within them, because neither is enough alone:
 * - backpressure: a connection over its own budget is not read until it
 *   drains (loop.c), so a client that does not read its replies stops
 *   being served instead of growing the server;
 * - reservation: the records read in one go may carry many more requests
 *   than the budget has room for (64 READs of 1 MiB fit in 10 KiB), and
 *   they are already in flight when their replies are built, so a large
 *   reply is reserved before it is built.  Past the connection's budget
 *   the request waits, parked, until its client has read enough (a client
 *   that reads slowly is slowed, not refused: the Linux client waits
 *   100 ms or more after NFS4ERR_DELAY); past the server's, it is refused
 *   and the NFS layer answers NFS4ERR_DELAY.
 * The server-wide budget only refuses; it never pauses reading, or a few
 * connections that do not read could stop every other client. */
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "rpc/server_internal.h"

enum {
	/* Charges this large say a burst may be under way (the high mark is
	 * tracked only for them: a compare-and-swap per small reply would
	 * cost more than it tells). */
	BIG_CHARGE = 64 * 1024,
	/* Memory is given back once a burst that took at least this much has
	 * drained to an eighth of its height and stayed there TRIM_QUIET_MS:
	 * a connection that keeps its budget busy passes through low points
	 * between batches, and a trim there made the next buffers fault in
	 * again (40,000 page faults in 4 s of 1 MiB READs, p99 x2.5). */
	TRIM_AFTER = 16u << 20,
	TRIM_DRAINED_DIVISOR = 8,
	TRIM_QUIET_MS = 1000,
};

size_t rpc_server_memory(struct rpc_server *srv)
{
	size_t total = 0;
	for (unsigned i = 0; i < srv->nloops; i++)
		total += atomic_load_explicit(&srv->loops[i].mem, memory_order_relaxed);
	return total;
}

static void note_high(struct rpc_server *srv)
{
	size_t now = rpc_server_memory(srv);
	size_t high = atomic_load_explicit(&srv->mem_high, memory_order_relaxed);
	while (now > high && !atomic_compare_exchange_weak(&srv->mem_high, &high, now))
		;
}

/* n bytes more counted against the connection's and the server's
 * budgets (conn_uncount: fewer). */
static void conn_count(struct rpc_conn *conn, size_t n)
{
	atomic_fetch_add_explicit(&conn->charged, n, memory_order_relaxed);
	atomic_fetch_add_explicit(&conn->loop->mem, n, memory_order_relaxed);
}

static void conn_uncount(struct rpc_conn *conn, size_t n)
{
	atomic_fetch_sub_explicit(&conn->charged, n, memory_order_relaxed);
	atomic_fetch_sub_explicit(&conn->loop->mem, n, memory_order_relaxed);
}

void rpc_request_charge(struct rpc_request *req, size_t n)
{
	struct rpc_conn *conn = req->conn;
	if (!conn->loop || n == 0)
		return;
	req->charged += n;
	conn_count(conn, n);
	if (n >= BIG_CHARGE)
		note_high(conn->srv);
}

/* Takes n of what req was charged back off the counts. */
static void uncharge(struct rpc_request *req, size_t n)
{
	req->charged -= n;
	conn_uncount(req->conn, n);
}

void rpc_request_uncharge_all(struct rpc_request *req)
{
	struct rpc_conn *conn = req->conn;
	if (req->charged == 0)
		return;
	conn_uncount(conn, req->charged);
	req->charged = 0;
	if (atomic_load(&conn->mem_waiting)) {
		pthread_mutex_lock(&conn->lock);
		rpc_conn_wake_memory_waiters_locked(conn);
		pthread_mutex_unlock(&conn->lock);
	}
}

void rpc_conn_charge_output(struct rpc_conn *conn, size_t n)
{
	if (!conn->loop || n == 0)
		return;
	atomic_fetch_add_explicit(&conn->loop->mem, n, memory_order_relaxed);
	if (n >= BIG_CHARGE)
		note_high(conn->srv);
}

void rpc_conn_uncharge_output(struct rpc_conn *conn, size_t n)
{
	if (conn->loop && n)
		atomic_fetch_sub_explicit(&conn->loop->mem, n, memory_order_relaxed);
}

bool rpc_conn_within_budget_locked(struct rpc_conn *conn)
{
	/* Room for the largest reply the connection has reserved, not just
	 * for a byte: a request read with less room than its reply needs is
	 * already under way when it finds out, and must park and run again
	 * on a worker (1 MiB READs, 64 in flight: 1.4 waits per READ, and
	 * each cost more than the READ).  Read later instead, it runs on the
	 * loop like the others. */
	size_t held = conn->outq_bytes + atomic_load_explicit(&conn->charged, memory_order_relaxed);
	size_t headroom = atomic_load_explicit(&conn->reserve_high, memory_order_relaxed);
	return held == 0 || held + headroom < conn->srv->opts.max_memory_per_conn;
}

enum rpc_reserve rpc_request_reserve(struct rpc_request *req, size_t bytes)
{
	struct rpc_conn *conn = req->conn;
	struct rpc_server *srv = conn->srv;
	if (!conn->loop)
		return RPC_RESERVED;
	if (rpc_conn_is_closed(conn))
		return RPC_RESERVE_REFUSED; /* nobody would read it */
	if (req->mem_granted) {
		/* Counted when its turn came among the waiters. */
		size_t granted = req->mem_granted;
		req->mem_granted = 0;
		if (granted >= bytes)
			return RPC_RESERVED;
		uncharge(req, granted);
	}
	pthread_mutex_lock(&conn->lock);
	size_t held = conn->outq_bytes + atomic_load(&conn->charged);
	pthread_mutex_unlock(&conn->lock);
	/* What the connection's other requests and queued replies hold. */
	size_t others = held > req->charged ? held - req->charged : 0;
	if (bytes > atomic_load_explicit(&conn->reserve_high, memory_order_relaxed))
		atomic_store_explicit(&conn->reserve_high, bytes, memory_order_relaxed);
	/* First come, first served: while requests wait for the connection's
	 * memory, a newer one waits behind them rather than take the room
	 * their wake-up made (they would wait again, and again: READs of 1
	 * MiB built in memory, 64 in flight, saw 2 s at the 99th percentile
	 * where the mean was 0.15 s). */
	bool queue = !req->mem_waited && atomic_load(&conn->mem_waiting) > 0;
	if (others != 0 && (queue || others + bytes > srv->opts.max_memory_per_conn)) {
		/* A request that already holds a reservation (two large
		 * operations in one COMPOUND) must not wait with it: parked
		 * requests holding memory could keep the connection over the
		 * mark that wakes them, for ever. */
		if (req->charged > req->record.len) {
			atomic_fetch_add_explicit(&srv->st_mem_refused, 1, memory_order_relaxed);
			return RPC_RESERVE_REFUSED;
		}
		atomic_fetch_add_explicit(&srv->st_mem_waits, 1, memory_order_relaxed);
		req->mem_want = bytes;
		return RPC_RESERVE_WAIT;
	}
	/* Counted first and looked at after, so that two requests reserving
	 * at once cannot both pass on the same room. */
	rpc_request_charge(req, bytes);
	if (rpc_server_memory(srv) <= srv->opts.max_memory) {
		note_high(srv);
		return RPC_RESERVED;
	}
	uncharge(req, bytes);
	atomic_fetch_add_explicit(&srv->st_mem_refused, 1, memory_order_relaxed);
	if (!atomic_exchange(&srv->mem_warned, true))
		log_warn("rpc: the server's memory budget is reached (%zu bytes); large replies "
			 "are refused as busy until it drains (counted in "
			 "ferry_rpc_memory_refusals_total; [rpc] inflight_memory_mb)",
			 srv->opts.max_memory);
	return RPC_RESERVE_REFUSED;
}

struct rpc_mem_waiter {
	struct rpc_mem_waiter *next;
	struct rpc_park *park;
	size_t want;
};

bool rpc_request_wait_memory(struct rpc_request *req)
{
	struct rpc_conn *conn = req->conn;
	req->mem_waited = true;
	struct rpc_mem_waiter *w = malloc(sizeof(*w));
	if (!w)
		return false;
	w->next = NULL;
	w->want = req->mem_want;
	w->park = rpc_request_park(req);
	if (!w->park) {
		free(w);
		return false;
	}
	pthread_mutex_lock(&conn->lock);
	if (conn->mem_waiters_tail)
		conn->mem_waiters_tail->next = w;
	else
		conn->mem_waiters = w;
	conn->mem_waiters_tail = w;
	atomic_fetch_add(&conn->mem_waiting, 1);
	/* The connection may have drained (or closed) since the reservation
	 * looked. */
	rpc_conn_wake_memory_waiters_locked(conn);
	pthread_mutex_unlock(&conn->lock);
	return true;
}

void rpc_conn_wake_memory_waiters_locked(struct rpc_conn *conn)
{
	if (!conn->mem_waiters)
		return;
	/* Not at the first byte written: with half the budget free, several
	 * waiters go on at once, instead of one on every write. */
	struct rpc_server *srv = conn->srv;
	size_t max = srv->opts.max_memory_per_conn;
	size_t held = conn->outq_bytes + atomic_load_explicit(&conn->charged, memory_order_relaxed);
	if (!conn->closed && held > max / 2)
		return;
	/* In their order, as many as the room takes, each with its memory
	 * counted now: a waiter let go on to try again could find the room
	 * taken by a request that just arrived on the loop, and wait again at
	 * the back, again and again (1 MiB READs, 64 in flight: the 99th
	 * percentile 3-4 times the median).  The rest keep their places.  A
	 * waiter the server's budget has no room for goes on without, to be
	 * refused as busy; on a closed connection all go. */
	struct rpc_mem_waiter *w;
	while ((w = conn->mem_waiters) != NULL) {
		if (!conn->closed) {
			if (held != 0 && held + w->want > max)
				break;
			/* Counted first and looked at after, as a reservation. */
			conn_count(conn, w->want);
			if (rpc_server_memory(srv) <= srv->opts.max_memory) {
				rpc_park_grant_memory(w->park, w->want);
				held += w->want;
			} else {
				conn_uncount(conn, w->want);
			}
		}
		conn->mem_waiters = w->next;
		atomic_fetch_sub(&conn->mem_waiting, 1);
		/* The pool's lock comes after the connection's
		 * (core/lock_order.h). */
		rpc_park_resume(w->park);
		free(w);
	}
	if (!conn->mem_waiters)
		conn->mem_waiters_tail = NULL;
}

void rpc_server_tune_malloc(void)
{
	/* glibc's defaults cost a 1 MiB READ more than its copy: a reply
	 * buffer past the mmap threshold is a fresh mapping, and once the
	 * threshold has risen an arena whose free top passes the trim
	 * threshold (twice the largest chunk freed) gives it back to the
	 * kernel at once; either way the next buffer faults in and zeroes
	 * every page again (a quarter of ferryd's CPU under ferry-bench
	 * read1m).  Buffers up to 4 MiB (a 1 MiB READ or WRITE with its
	 * headers) come from the arenas, and they keep up to 16 MiB free at
	 * their top; the memory of a burst goes back after it (trim_run).
	 * Not more: malloc_trim gives back the top of the main arena only,
	 * so a worker's arena keeps what its trim threshold lets it keep
	 * (at 64 MiB, 30-40 MiB stayed resident after a burst; at 16 MiB,
	 * read1m costs about 600 us of server CPU against 300 at 64 MiB and
	 * 850 with glibc's defaults: DECISIONS.md).  What a busy server still
	 * lost to that, large buffers kept for reuse (core/buf.c) win back. */
	mallopt(M_MMAP_THRESHOLD, RPC_MALLOC_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, RPC_MALLOC_TRIM_THRESHOLD);
}

static void trim_run(struct threadpool_task *task)
{
	struct rpc_server *srv =
		(struct rpc_server *)((char *)task - offsetof(struct rpc_server, trim_task));
	/* glibc keeps freed chunks of its arenas (and raises its mmap
	 * threshold after large frees, so large replies come from the arenas
	 * too): without this, the peak of a burst stays resident. */
	uint64_t t0 = clock_now_ns();
	buf_drop_kept();
	malloc_trim(0);
	atomic_fetch_add_explicit(&srv->st_mem_trims, 1, memory_order_relaxed);
	log_debug("rpc: gave memory back after a burst (%.2f ms)",
		  (double)(clock_now_ns() - t0) / 1e6);
	atomic_store(&srv->trim_pending, false);
}

void rpc_server_trim_after_burst(struct rpc_server *srv)
{
	size_t high = atomic_load(&srv->mem_high);
	size_t now = rpc_server_memory(srv);
	if (high < TRIM_AFTER || now > high / TRIM_DRAINED_DIVISOR) {
		srv->mem_low_since_ms = 0;
		return;
	}
	uint64_t now_ms = clock_now_ms();
	if (!srv->mem_low_since_ms)
		srv->mem_low_since_ms = now_ms;
	if (now_ms - srv->mem_low_since_ms < TRIM_QUIET_MS)
		return;
	srv->mem_low_since_ms = 0;
	atomic_store(&srv->mem_high, now);
	/* On a worker: trimming the arenas of a burst takes milliseconds (3 ms
	 * after 33 MiB here), which the loop's connections would wait. */
	if (!srv->pool || atomic_exchange(&srv->trim_pending, true))
		return;
	srv->trim_task.run = trim_run;
	threadpool_submit(srv->pool, &srv->trim_task);
}
