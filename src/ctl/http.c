/* The control plane's HTTP side: libmicrohttpd with one internal thread
 * (requests are served one at a time: they are small and rare), our own
 * listening socket so that any address form and port 0 work, the token
 * check, body limits and the routing to /metrics and /api/v1. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/state_dir.h"
#include "core/clock.h"
#include "core/log.h"
#include "ctl/ctl_internal.h"
#include "rpc/addr.h"

/* --- text buffers ------------------------------------------------------------ */

void ctl_text_printf(struct ctl_text *t, const char *fmt, ...)
{
	if (t->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		size_t room = t->cap - t->len;
		int n = vsnprintf(t->p ? t->p + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = true;
			return;
		}
		if ((size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 4096;
		while (cap - t->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(t->p, cap);
		if (!p) {
			t->oom = true;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
}

void ctl_text_free(struct ctl_text *t)
{
	free(t->p);
	memset(t, 0, sizeof(*t));
}

/* Compares without stopping at the first difference, so the time taken
 * does not tell how much of a guess was right.  The loop runs over the
 * token's length whatever the guess's: bounded by the shorter of the two,
 * short guesses would time the token's length out of it. */
static bool token_equal(const char *guess, const char *token)
{
	size_t lg = strlen(guess), lt = strlen(token);
	unsigned char diff = lg != lt;
	for (size_t i = 0; i < lt; i++)
		diff |= (unsigned char)((i < lg ? guess[i] : 0) ^ token[i]);
	return diff == 0;
}

/* --- requests --------------------------------------------------------------------- */

/* One request's state across libmicrohttpd's calls (the body arrives in
 * pieces). */
struct ctl_req {
	char *body;
	size_t len;
	bool too_big;
	bool refused; /* answered from the headers */
};

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, const char *type,
				 char *text, size_t len)
{
	/* The response takes the buffer and frees it. */
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(v);
	if (!s)
		return MHD_NO;
	size_t n = strlen(s);
	/* A trailing newline makes curl and terminals happy. */
	char *t = realloc(s, n + 2);
	if (!t) {
		free(s);
		return MHD_NO;
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	return send_text(conn, status, "application/json", t, n + 1);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return send_json(conn, status, ctl_api_error("%s", msg));
}

static bool peer_is_loopback(const struct ctl_server *cs, struct MHD_Connection *conn)
{
	/* A unix socket is as local as loopback, and its mode guards it. */
	if (cs->unix_path[0])
		return true;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return false;
	return rpc_addr_is_loopback(ci->client_addr);
}

/* 0 when the request may go on, else the status to refuse it with. */
static unsigned check_auth(struct ctl_server *cs, struct MHD_Connection *conn, bool write,
			   const char **why)
{
	if (!write && peer_is_loopback(cs, conn))
		return 0;
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	if (!h) {
		*why = write ? "this request changes the server: it needs \"Authorization: "
			       "Bearer TOKEN\" (the token file is in ferryd's state directory)"
			     : "requests from beyond loopback need \"Authorization: Bearer TOKEN\"";
		return 401;
	}
	if (strncmp(h, "Bearer ", 7) != 0 || !token_equal(h + 7, cs->token)) {
		*why = "the bearer token is wrong";
		return 403;
	}
	return 0;
}

static bool method_reads(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/* Called once the headers are in, before any of the body is read: a
 * request that will be refused anyway is answered now, so that a peer
 * without the token, or with a body over the limit, neither makes us read
 * that body nor holds the connection while it trickles in.  MHD_YES when
 * the request may go on. */
static enum MHD_Result refuse_early(struct ctl_server *cs, struct MHD_Connection *conn,
				    const char *url, const char *method, bool *refused)
{
	const char *why = NULL;
	unsigned refuse = check_auth(cs, conn, !method_reads(method), &why);
	if (refuse) {
		/* Anyone who can connect can ask: rate-limited. */
		log_ratelimited("ctl: %s %s refused (%u)", method, url, refuse);
		*refused = true;
		return send_error(conn, refuse, why);
	}
	const char *cl =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > CTL_MAX_BODY) {
		char msg[96];
		snprintf(msg, sizeof(msg), "the request body is over %d bytes", CTL_MAX_BODY);
		*refused = true;
		return send_error(conn, 413, msg);
	}
	return MHD_YES;
}

static enum MHD_Result serve(struct ctl_server *cs, struct MHD_Connection *conn,
			     const char *url, const char *method, struct ctl_req *rq)
{
	bool get = method_reads(method);
	/* A body sent without Content-Length (chunked) is only known to be
	 * too big once it has come. */
	if (rq->too_big) {
		char msg[96];
		snprintf(msg, sizeof(msg), "the request body is over %d bytes", CTL_MAX_BODY);
		return send_error(conn, 413, msg);
	}
	if (strcmp(url, "/metrics") == 0) {
		if (!get)
			return send_error(conn, 405, "/metrics is read with GET");
		struct ctl_text t = {0};
		ctl_metrics_render(cs, &t);
		if (t.oom) {
			ctl_text_free(&t);
			return send_error(conn, 500, "out of memory");
		}
		return send_text(conn, 200, "text/plain; version=0.0.4; charset=utf-8", t.p,
				 t.len);
	}
	if (strcmp(url, "/healthz") == 0) {
		if (!get)
			return send_error(conn, 405, "/healthz is read with GET");
		json_t *reply = NULL;
		unsigned status = ctl_health(cs, &reply);
		return send_json(conn, status, reply);
	}
	if (strncmp(url, "/api/v1", 7) == 0 && (url[7] == '/' || url[7] == '\0')) {
		json_t *reply = NULL;
		unsigned status = ctl_api_handle(cs, method, url + 7, rq->body ? rq->body : "",
						 rq->len, &reply);
		if (!get && status < 300)
			log_info("ctl: %s %s done", method, url);
		return send_json(conn, status, reply);
	}
	return send_error(conn, 404, "no such resource (try /metrics or /api/v1/server)");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct ctl_server *cs = cls;
	struct ctl_req *rq = *con_cls;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		atomic_fetch_add(&cs->requests, 1);
		/* the headers only: the body, if any, follows */
		return refuse_early(cs, conn, url, method, &rq->refused);
	}
	if (rq->refused) {
		*upload_size = 0; /* answered already: whatever comes is dropped */
		return MHD_YES;
	}
	if (*upload_size) {
		if (!rq->too_big && rq->len + *upload_size > CTL_MAX_BODY) {
			rq->too_big = true;
			free(rq->body);
			rq->body = NULL;
			rq->len = 0;
		}
		if (!rq->too_big) {
			char *b = realloc(rq->body, rq->len + *upload_size + 1);
			if (!b)
				return MHD_NO;
			memcpy(b + rq->len, upload, *upload_size);
			rq->len += *upload_size;
			b[rq->len] = '\0';
			rq->body = b;
		}
		*upload_size = 0; /* taken (or dropped, when too big) */
		return MHD_YES;
	}
	return serve(cs, conn, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode why)
{
	struct ctl_server *cs = cls;
	struct ctl_req *rq = *con_cls;
	if (rq) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
		atomic_fetch_sub(&cs->requests, 1);
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_ratelimited("ctl: http: %s", msg);
}

/* --- the listening socket ------------------------------------------------------------ */

/* "unix:/path": a socket file only its owner may use (mode 0600); a stale
 * one from an earlier run is replaced. */
static int listen_unix(const char *spec, char *bound, size_t boundlen, char *err, size_t errlen)
{
	const char *path = spec + 5;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	mode_t old = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc != 0 || listen(fd, 16) != 0) {
		int e = errno;
		snprintf(err, errlen, "cannot listen on %s for the control plane: %s", spec,
			 strerror(e));
		close(fd);
		return -e;
	}
	snprintf(bound, boundlen, "%s", spec);
	return fd;
}

/* The address a listening socket is bound to, as "HOST:PORT" (else listen as given). */
static void bound_name(int fd, const char *listen, char *bound, size_t boundlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char h[INET6_ADDRSTRLEN] = "?";
	snprintf(bound, boundlen, "%s", listen);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, h, sizeof(h));
		snprintf(bound, boundlen, "%s:%u", h, ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, h, sizeof(h));
		snprintf(bound, boundlen, "[%s]:%u", h, ntohs(in6->sin6_port));
	}
}

static int listen_on(const char *hostport, char *bound, size_t boundlen, char *err,
		     size_t errlen)
{
	if (strncmp(hostport, "unix:", 5) == 0)
		return listen_unix(hostport, bound, boundlen, err, errlen);
	char host[128], port[16];
	if (rpc_addr_split(hostport, host, sizeof(host), port, sizeof(port)) != 0 ||
	    !rpc_addr_port_ok(port)) {
		snprintf(err, errlen, "control listen address '%s' is not HOST:PORT", hostport);
		return -EINVAL;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0 || !ai) {
		snprintf(err, errlen, "control listen address '%s': %s", hostport,
			 gai_strerror(rc));
		return -EINVAL;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
		int e = errno;
		snprintf(err, errlen, "cannot listen on %s for the control plane: %s", hostport,
			 strerror(e));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -e;
	}
	freeaddrinfo(ai);
	bound_name(fd, hostport, bound, boundlen);
	return fd;
}

static struct ctl_server *start_on(const struct ctl_context *ctx, int fd, const char *listen,
				   const char *token_path, char *bound, size_t boundlen,
				   char *err, size_t errlen);

struct ctl_server *ctl_server_start(const struct ctl_context *ctx, const char *listen,
				    const char *token_path, char *bound, size_t boundlen,
				    char *err, size_t errlen)
{
	return start_on(ctx, -1, listen, token_path, bound, boundlen, err, errlen);
}

struct ctl_server *ctl_server_start_on(const struct ctl_context *ctx, int fd, const char *listen,
				       const char *token_path, char *bound, size_t boundlen,
				       char *err, size_t errlen)
{
	bound_name(fd, listen, bound, boundlen);
	return start_on(ctx, fd, listen, token_path, bound, boundlen, err, errlen);
}

int ctl_server_listen_fd(const struct ctl_server *cs) { return cs ? cs->listen_fd : -1; }

unsigned ctl_server_listeners(const struct ctl_server *cs, const char *out[], unsigned max)
{
	unsigned n = cs ? cs->ctx.nlisteners : 0;
	for (unsigned i = 0; i < n && i < max; i++)
		out[i] = cs->ctx.listeners[i];
	return n < max ? n : max;
}

int ctl_server_cluster_publish(struct ctl_server *cs)
{
	return cs ? ctl_cluster_publish(&cs->ctx) : -ENOTCONN;
}

unsigned ctl_server_requests(struct ctl_server *cs)
{
	return cs ? atomic_load(&cs->requests) : 0;
}

void ctl_server_release_socket(struct ctl_server *cs)
{
	if (!cs)
		return;
	/* Out of the daemon's hands first: stopping it would shut the
	 * socket down, for the new process too. */
	int fd = MHD_quiesce_daemon(cs->daemon);
	if (fd >= 0)
		close(fd);
	cs->unix_path[0] = '\0';
}

/* fd: a listening socket handed over, or -1 to bind listen. */
static struct ctl_server *start_on(const struct ctl_context *ctx, int fd, const char *listen,
				   const char *token_path, char *bound, size_t boundlen,
				   char *err, size_t errlen)
{
	struct ctl_server *cs = calloc(1, sizeof(*cs));
	if (!cs) {
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cs->ctx = *ctx;
	if (strncmp(listen, "unix:", 5) == 0)
		snprintf(cs->unix_path, sizeof(cs->unix_path), "%s", listen + 5);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	cs->start_realtime_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	cs->start_mono_ms = clock_now_ms();
	int rc = ctl_token_ensure(token_path, cs->token, sizeof(cs->token));
	if (rc) {
		snprintf(err, errlen, "cannot create the control token %s: %s", token_path,
			 strerror(-rc));
		if (fd >= 0)
			close(fd);
		free(cs);
		return NULL;
	}
	cs->listen_fd = fd >= 0 ? fd : listen_on(listen, bound, boundlen, err, errlen);
	if (cs->listen_fd < 0) {
		free(cs);
		return NULL;
	}
	cs->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG | MHD_USE_ITC,
		0, NULL, NULL, on_request, cs, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, cs,
		MHD_OPTION_LISTEN_SOCKET, cs->listen_fd,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, cs, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)32, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(CTL_MAX_BODY + 32768), MHD_OPTION_END);
	if (!cs->daemon) {
		snprintf(err, errlen, "cannot start the control plane's HTTP server");
		close(cs->listen_fd);
		if (cs->unix_path[0])
			unlink(cs->unix_path);
		free(cs);
		return NULL;
	}
	return cs;
}

void ctl_server_stop(struct ctl_server *cs)
{
	if (!cs)
		return;
	/* The daemon closes the listening socket it was given. */
	MHD_stop_daemon(cs->daemon);
	if (cs->unix_path[0])
		unlink(cs->unix_path);
	free(cs);
}
