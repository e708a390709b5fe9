/* Server lifecycle: creation, listeners, start and graceful stop. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "rpc/addr.h"
#include "rpc/gss/gss_server.h"
#include "rpc/server_internal.h"

void rpc_server_options_default(struct rpc_server_options *o)
{
	o->event_loops = 0;
	o->workers = 8;
	o->remote_workers = 0; /* ferryd's is [server] remote_workers */
	o->max_record_size = 1024 * 1024 + 8192;
	o->max_inflight_per_conn = 128;
	o->max_memory_per_conn = 16u << 20;
	o->max_memory = 256u << 20;
	o->max_connections = 4096;
	o->max_connections_per_client = 128;
	o->idle_timeout_s = 360;
	o->splice_pipes = 256;
	o->map_reads = true;
	strcpy(o->local_congestion, "cubic");
}

struct rpc_server *rpc_server_create(const struct rpc_server_options *opts)
{
	struct rpc_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->opts = *opts;
	pthread_mutex_init(&srv->conns_lock, NULL);
	pthread_mutex_init(&srv->listen_lock, NULL);
	pthread_mutex_init(&srv->gss_lock, NULL);
	pthread_mutex_init(&srv->tls_lock, NULL);
	list_init(&srv->all_conns);
	if (rpc_conn_limits_init(srv) != 0) {
		pthread_mutex_destroy(&srv->conns_lock);
		pthread_mutex_destroy(&srv->gss_lock);
		free(srv);
		return NULL;
	}
	if (srv->opts.event_loops == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		srv->opts.event_loops = n > 0 ? (unsigned)n : 1;
	}
	if (srv->opts.max_inflight_per_conn == 0)
		srv->opts.max_inflight_per_conn = 1;
	uint32_t seed = 0;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint32_t)clock_now_ns();
	atomic_init(&srv->xid_next, seed);
	srv->nloops = srv->opts.event_loops;
	srv->loops = calloc(srv->nloops, sizeof(*srv->loops));
	/* Idle pipes cost two descriptors each and nothing else: keep a
	 * quarter of them for the next burst. */
	if (srv->opts.splice_pipes)
		srv->pipes = pipe_pool_create((size_t)srv->opts.max_record_size,
					      srv->opts.splice_pipes, srv->opts.splice_pipes / 4);
	if (!srv->loops || (srv->opts.splice_pipes && !srv->pipes)) {
		free(srv->loops);
		pipe_pool_destroy(srv->pipes);
		rpc_conn_limits_fini(srv);
		free(srv);
		return NULL;
	}
	for (unsigned i = 0; i < srv->nloops; i++) {
		int rc = rpc_loop_init(&srv->loops[i], srv, i);
		if (rc < 0) {
			log_error("rpc: cannot set up event loop %u: %s", i, strerror(-rc));
			srv->nloops = i + 1;
			rpc_server_destroy(srv);
			return NULL;
		}
	}
	return srv;
}

int rpc_server_enable_gss(struct rpc_server *srv, const struct rpc_gss_options *o, char *err,
			  size_t errlen)
{
	pthread_mutex_lock(&srv->gss_lock);
	int rc = 0;
	if (!atomic_load_explicit(&srv->gss, memory_order_acquire)) {
		/* Made whole before it is published: the loops read it
		 * without a lock. */
		struct rpc_gss_server *g = rpc_gss_server_create(o, err, errlen);
		if (g)
			atomic_store_explicit(&srv->gss, g, memory_order_release);
		else
			rc = -EINVAL;
	}
	pthread_mutex_unlock(&srv->gss_lock);
	return rc;
}

struct rpc_gss_server *rpc_server_gss(struct rpc_server *srv)
{
	return atomic_load_explicit(&srv->gss, memory_order_acquire);
}

int rpc_server_add_program(struct rpc_server *srv, const struct rpc_program *prog)
{
	if (srv->started || srv->nprograms >= RPC_MAX_PROGRAMS)
		return -EINVAL;
	srv->programs[srv->nprograms++] = *prog;
	return 0;
}

/* The port a listening socket is bound to. */
static uint16_t bound_port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return 0;
	return ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					: ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

enum listen_flags {
	/* Even when the address is not (yet) on an interface of this host
	 * (a service address that moves here). */
	LISTEN_FREEBIND = 1,
	/* Failures are the caller's to tell (one that retries quietly). */
	LISTEN_QUIET = 2,
};

/* A listening socket on hostport.  0 with *fdp and *portp, or a negative
 * errno (logged unless LISTEN_QUIET). */
static int listen_socket(const char *hostport, unsigned flags, int *fdp, uint16_t *portp)
{
	bool freebind = flags & LISTEN_FREEBIND;
	char host[256], port[8];
	if (rpc_addr_split(hostport, host, sizeof(host), port, sizeof(port)) != 0 ||
	    !rpc_addr_port_ok(port)) {
		if (!(flags & LISTEN_QUIET))
			log_error("rpc: listen address '%s' is not HOST:PORT or [V6ADDR]:PORT",
				  hostport);
		return -EINVAL;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res;
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		if (!(flags & LISTEN_QUIET))
			log_error("rpc: cannot resolve listen address '%s': %s", hostport,
				  gai_strerror(gai));
		return -EINVAL;
	}
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0;
	if (fd < 0) {
		err = -errno;
	} else {
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (res->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (freebind)
			setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
		if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0)
			err = -errno;
	}
	freeaddrinfo(res);
	if (err) {
		if (!(flags & LISTEN_QUIET))
			log_error("rpc: cannot listen on %s: %s", hostport, strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	*portp = bound_port_of(fd);
	*fdp = fd;
	return 0;
}

int rpc_server_listen(struct rpc_server *srv, const char *hostport, uint16_t *bound_port)
{
	if (srv->nlisteners >= RPC_MAX_LISTENERS)
		return -ENOSPC;
	int fd;
	uint16_t p;
	int rc = listen_socket(hostport, 0, &fd, &p);
	if (rc)
		return rc;
	if (bound_port)
		*bound_port = p;
	rpc_server_add_listener(srv, fd);
	log_info("rpc: listening on %s (port %u)", hostport, p);
	return 0;
}

uint16_t rpc_server_add_listener(struct rpc_server *srv, int fd)
{
	unsigned i = srv->nlisteners;
	struct rpc_listener *l = &srv->listeners[i];
	l->index = i;
	l->poll.kind = POLL_LISTENER;
	l->poll.fd = fd;
	srv->nlisteners = i + 1;
	return bound_port_of(fd);
}

/* Under listen_lock: the index of hostport among the held sockets, or -1. */
static int held_index(const struct rpc_server *srv, const char *hostport)
{
	for (unsigned i = 0; i < srv->nheld; i++)
		if (strcmp(srv->held[i].hostport, hostport) == 0)
			return (int)i;
	return -1;
}

/* Under listen_lock: hostport's held socket, out of the held list. */
static bool take_held(struct rpc_server *srv, const char *hostport, int *fdp, uint16_t *portp)
{
	int h = held_index(srv, hostport);
	if (h < 0)
		return false;
	*fdp = srv->held[h].fd;
	*portp = bound_port_of(*fdp);
	srv->held[h] = srv->held[--srv->nheld];
	return true;
}

/* Whether hostport's address is on an interface of this host (asked of
 * the interfaces: with net.ipv4.ip_nonlocal_bind, which keepalived setups
 * turn on, a bind succeeds anywhere).  A wildcard or a name counts as
 * here: it is nothing to hold. */
static bool address_is_here(const char *hostport)
{
	char host[256], port[8];
	if (rpc_addr_split(hostport, host, sizeof(host), port, sizeof(port)) != 0)
		return true;
	struct in_addr v4;
	struct in6_addr v6;
	bool is_v4 = inet_pton(AF_INET, host, &v4) == 1;
	if (!is_v4 && inet_pton(AF_INET6, host, &v6) != 1)
		return true;
	if (is_v4 ? v4.s_addr == htonl(INADDR_ANY) : IN6_IS_ADDR_UNSPECIFIED(&v6))
		return true;
	struct ifaddrs *ifs;
	if (getifaddrs(&ifs) != 0)
		return true;
	bool here = false;
	for (struct ifaddrs *i = ifs; i && !here; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (is_v4 && i->ifa_addr->sa_family == AF_INET)
			here = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == v4.s_addr;
		else if (!is_v4 && i->ifa_addr->sa_family == AF_INET6)
			here = IN6_ARE_ADDR_EQUAL(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
						  &v6);
	}
	freeifaddrs(ifs);
	return here;
}

/* Under listen_lock: holds hostport for holder unless held already (0);
 * ahead: only where its address is on no interface here (1 otherwise),
 * and quietly.  A negative errno when it cannot listen. */
static int hold_locked(struct rpc_server *srv, const char *hostport, const char *holder,
		       bool ahead)
{
	if (held_index(srv, hostport) >= 0)
		return 0;
	if (ahead && address_is_here(hostport))
		return 1;
	if (srv->nheld >= RPC_MAX_LISTENERS)
		return -ENOSPC;
	int fd;
	uint16_t p;
	int rc = listen_socket(hostport, LISTEN_FREEBIND | (ahead ? LISTEN_QUIET : 0), &fd, &p);
	if (rc)
		return rc;
	unsigned h = srv->nheld++;
	snprintf(srv->held[h].hostport, sizeof(srv->held[h].hostport), "%s", hostport);
	snprintf(srv->held[h].holder, sizeof(srv->held[h].holder), "%s", holder);
	srv->held[h].fd = fd;
	if (ahead)
		log_info("rpc: holding connections to %s, %s's, should the address move here",
			 hostport, holder);
	else
		log_info("rpc: holding connections to %s until %s's take-over", hostport, holder);
	return 0;
}

static int hold(struct rpc_server *srv, const char *hostport, const char *holder, bool ahead)
{
	if (strlen(hostport) >= sizeof(srv->held[0].hostport) ||
	    strlen(holder) >= sizeof(srv->held[0].holder))
		return -ENAMETOOLONG;
	pthread_mutex_lock(&srv->listen_lock);
	int rc = hold_locked(srv, hostport, holder, ahead);
	pthread_mutex_unlock(&srv->listen_lock);
	return rc;
}

int rpc_server_hold(struct rpc_server *srv, const char *hostport, const char *holder)
{
	return hold(srv, hostport, holder, false);
}

int rpc_server_hold_ahead(struct rpc_server *srv, const char *hostport, const char *holder)
{
	return hold(srv, hostport, holder, true);
}

void rpc_server_unhold(struct rpc_server *srv, const char *holder)
{
	pthread_mutex_lock(&srv->listen_lock);
	for (unsigned i = 0; i < srv->nheld;) {
		if (strcmp(srv->held[i].holder, holder) != 0) {
			i++;
			continue;
		}
		/* What waited in its backlog is reset: those clients go to
		 * wherever the address is now. */
		close(srv->held[i].fd);
		log_info("rpc: no longer holding connections to %s", srv->held[i].hostport);
		srv->held[i] = srv->held[--srv->nheld];
	}
	pthread_mutex_unlock(&srv->listen_lock);
}

int rpc_server_listen_more(struct rpc_server *srv, const char *hostport, uint16_t *bound_port)
{
	if (!srv->started)
		return rpc_server_listen(srv, hostport, bound_port);
	pthread_mutex_lock(&srv->listen_lock);
	int rc = -ENOSPC;
	unsigned i = srv->nlisteners;
	if (atomic_load(&srv->stopping))
		rc = -ESHUTDOWN;
	else if (i < RPC_MAX_LISTENERS) {
		int fd;
		uint16_t p;
		rc = take_held(srv, hostport, &fd, &p) ? 0
							: listen_socket(hostport, LISTEN_FREEBIND, &fd, &p);
		if (rc == 0) {
			struct rpc_listener *l = &srv->listeners[i];
			l->index = i;
			l->paused = false;
			l->poll.kind = POLL_LISTENER;
			l->poll.fd = fd;
			struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->poll};
			if (epoll_ctl(srv->loops[0].epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
				rc = -errno;
				close(fd);
			} else {
				srv->nlisteners = i + 1;
				if (bound_port)
					*bound_port = p;
				log_info("rpc: listening on %s (port %u) from now on", hostport, p);
			}
		}
	}
	pthread_mutex_unlock(&srv->listen_lock);
	return rc < 0 ? rc : (int)i;
}

int rpc_server_start(struct rpc_server *srv)
{
	rpc_server_tune_malloc();
	srv->pool = threadpool_create("worker", srv->opts.workers);
	if (!srv->pool)
		return -ENOMEM;
	/* Loop 0 accepts; connections are spread over all loops. */
	for (unsigned i = 0; i < srv->nlisteners; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &srv->listeners[i].poll};
		if (epoll_ctl(srv->loops[0].epfd, EPOLL_CTL_ADD, srv->listeners[i].poll.fd, &ev))
			return -errno;
	}
	for (unsigned i = 0; i < srv->nloops; i++) {
		if (pthread_create(&srv->loops[i].thread, NULL, rpc_loop_main, &srv->loops[i]))
			return -EAGAIN;
		char name[16];
		snprintf(name, sizeof(name), "loop%u", i);
		pthread_setname_np(srv->loops[i].thread, name);
	}
	srv->started = true;
	return 0;
}

struct rpc_conn *rpc_server_adopt_fd(struct rpc_server *srv, int fd)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) != 0)
		plen = 0;
	struct rpc_conn *conn = rpc_conn_new(srv, fd, plen ? (struct sockaddr *)&peer : NULL, plen);
	if (!conn)
		return NULL;
	rpc_conn_track(conn);
	unsigned target = atomic_fetch_add(&srv->next_loop, 1) % srv->nloops;
	conn->loop = &srv->loops[target];
	/* The reference from rpc_conn_new becomes the loop's. */
	rpc_conn_ref(conn); /* the caller's */
	rpc_loop_post(conn->loop, conn, CONN_MSG_ADOPT);
	return conn;
}

struct rpc_conn *rpc_server_connect(struct rpc_server *srv, const char *hostport, int *err)
{
	char host[128], port[16];
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t slen = 0;
	*err = -ESHUTDOWN;
	/* A loop that stopped would never adopt it, nor end its calls. */
	if (!srv->started || atomic_load(&srv->stopping))
		return NULL;
	*err = -EINVAL;
	if (rpc_addr_split(hostport, host, sizeof(host), port, sizeof(port)) != 0 ||
	    !rpc_addr_port_ok(port))
		return NULL;
	uint16_t p = (uint16_t)atoi(port);
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(p);
		slen = sizeof(*in);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(p);
		slen = sizeof(*in6);
	} else {
		return NULL;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bool connecting = false;
	if (connect(fd, (struct sockaddr *)&ss, slen) != 0) {
		if (errno != EINPROGRESS) {
			*err = -errno;
			close(fd);
			return NULL;
		}
		connecting = true;
	}
	struct rpc_conn *conn = rpc_conn_new(srv, fd, (struct sockaddr *)&ss, slen);
	if (!conn) {
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	conn->dialled = true;
	atomic_store(&conn->connecting, connecting);
	atomic_fetch_add_explicit(&srv->st_open, 1, memory_order_relaxed);
	unsigned target = atomic_fetch_add(&srv->next_loop, 1) % srv->nloops;
	conn->loop = &srv->loops[target];
	rpc_conn_ref(conn); /* the caller's; rpc_conn_new's becomes the loop's */
	rpc_loop_post(conn->loop, conn, CONN_MSG_ADOPT);
	*err = 0;
	return conn;
}

void rpc_server_stop(struct rpc_server *srv, unsigned drain_ms)
{
	if (!srv->started)
		return;
	atomic_store(&srv->stopping, true);
	for (unsigned i = 0; i < srv->nloops; i++)
		rpc_loop_post_loop(&srv->loops[i], LOOP_MSG_DRAIN);
	/* Requests already read run to completion and their replies go out. */
	uint64_t deadline = clock_now_ms() + drain_ms;
	while (atomic_load(&srv->inflight) > 0 && clock_now_ms() < deadline)
		usleep(5000);
	if (atomic_load(&srv->inflight) > 0)
		log_warn("rpc: %u requests still running at shutdown",
			 atomic_load(&srv->inflight));
	for (unsigned i = 0; i < srv->nloops; i++)
		rpc_loop_post_loop(&srv->loops[i], LOOP_MSG_EXIT);
	for (unsigned i = 0; i < srv->nloops; i++)
		pthread_join(srv->loops[i].thread, NULL);
	/* A call on the remote pool may hand its request on to the workers
	 * (after a commit): that pool goes first. */
	threadpool_destroy(atomic_exchange(&srv->remote_pool, NULL));
	threadpool_destroy(srv->pool);
	srv->pool = NULL;
	for (unsigned i = 0; i < srv->nloops; i++)
		rpc_loop_settle(&srv->loops[i]);
	for (unsigned i = 0; i < srv->nlisteners; i++)
		close(srv->listeners[i].poll.fd);
	for (unsigned i = 0; i < srv->nheld; i++)
		close(srv->held[i].fd);
	srv->nlisteners = 0;
	srv->started = false;
}

void rpc_server_destroy(struct rpc_server *srv)
{
	if (!srv)
		return;
	rpc_server_stop(srv, 0);
	for (unsigned i = 0; i < srv->nloops; i++)
		rpc_loop_destroy(&srv->loops[i]);
	for (unsigned i = 0; i < srv->nlisteners; i++)
		close(srv->listeners[i].poll.fd);
	for (unsigned i = 0; i < srv->nheld; i++)
		close(srv->held[i].fd);
	free(srv->loops);
	pipe_pool_destroy(srv->pipes);
	rpc_gss_server_destroy(atomic_load(&srv->gss));
	pthread_mutex_destroy(&srv->gss_lock);
	rpc_tls_ctx_unref(srv->tls_ctx);
	pthread_mutex_destroy(&srv->tls_lock);
	rpc_conn_limits_fini(srv);
	pthread_mutex_destroy(&srv->conns_lock);
	free(srv);
}

void rpc_server_get_stats(struct rpc_server *srv, struct rpc_server_stats *out)
{
	out->connections_accepted = atomic_load(&srv->st_accepted);
	out->connections_open = atomic_load(&srv->st_open);
	out->calls = atomic_load(&srv->st_calls);
	out->replies_received = atomic_load(&srv->st_replies);
	out->bad_records = atomic_load(&srv->st_bad_records);
	out->inflight = atomic_load(&srv->inflight);
	out->memory = rpc_server_memory(srv);
	out->memory_refusals = atomic_load(&srv->st_mem_refused);
	out->memory_waits = atomic_load(&srv->st_mem_waits);
	out->memory_trims = atomic_load(&srv->st_mem_trims);
	out->spliced_reply_bytes = atomic_load(&srv->st_spliced_reply_bytes);
	out->mapped_reply_bytes = atomic_load(&srv->st_mapped_reply_bytes);
	out->pipes_open = srv->pipes ? pipe_pool_open(srv->pipes) : 0;
	out->pipes_refused = srv->pipes ? pipe_pool_refused(srv->pipes) : 0;
	out->connections_refused_total = atomic_load(&srv->st_refused_total);
	out->connections_refused_per_client = atomic_load(&srv->st_refused_per_client);
	for (unsigned k = 0; k < RPC_ERR_KINDS; k++)
		out->errors[k] = atomic_load(&srv->st_errors[k]);
	out->splice_in_bytes = atomic_load(&srv->st_splice_in_bytes);
	out->splice_in_fallbacks = atomic_load(&srv->st_splice_in_fallbacks);
	out->worker_handoffs = atomic_load(&srv->st_worker_handoffs);
	out->remote_handoffs = atomic_load(&srv->st_remote_handoffs);
}

void rpc_server_set_gate(struct rpc_server *srv, bool (*gate)(void *arg), void *arg)
{
	srv->gate = gate;
	srv->gate_arg = arg;
}

uint64_t rpc_server_gate_drops(struct rpc_server *srv)
{
	return atomic_load(&srv->st_gate_drops);
}

unsigned rpc_server_loops_stuck(struct rpc_server *srv, uint64_t stuck_ms)
{
	if (!srv->started)
		return 0;
	uint64_t now = clock_now_ms();
	unsigned stuck = 0;
	for (unsigned i = 0; i < srv->nloops; i++) {
		uint64_t last = atomic_load(&srv->loops[i].last_tick_ms);
		stuck += last && now > last + stuck_ms;
	}
	return stuck;
}

const char *rpc_error_kind_name(enum rpc_error_kind k)
{
	static const char *const names[RPC_ERR_KINDS] = {
		[RPC_ERR_GARBAGE_ARGS] = "garbage_args", [RPC_ERR_RPC_MISMATCH] = "rpc_mismatch",
		[RPC_ERR_AUTH] = "auth_error",		 [RPC_ERR_PROG_UNAVAIL] = "prog_unavail",
		[RPC_ERR_PROG_MISMATCH] = "prog_mismatch", [RPC_ERR_PROC_UNAVAIL] = "proc_unavail",
		[RPC_ERR_SYSTEM] = "system_err",
	};
	return (unsigned)k < RPC_ERR_KINDS ? names[k] : "unknown";
}
