#include "upgrade/upgrade.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "upgrade/channel.h"
#include "upgrade/image.h"
#include "xdr/xdr.h"

/* Messages on the channel. */
enum {
	MSG_HELLO = 1,     /* new -> old: u32 image version min, max; u32 pid */
	MSG_IMAGE = 2,     /* old -> new: the state image */
	MSG_LISTENERS = 3, /* old -> new: u32 n, n x (u32 len, address); n fds */
	MSG_CONNS = 4,     /* old -> new: u32 n, n x (u32 listener + 1, u32 len, bytes); n fds */
	MSG_CONTROL = 5,   /* old -> new: the control plane's socket (0 or 1 fd) */
	MSG_END = 6,       /* old -> new: that was all */
	MSG_READY = 7,     /* new -> old: serving */
	MSG_REFUSE = 8,    /* either way: a reason, then the channel closes */
	MSG_GO = 9,        /* old -> new: READY heard, the sockets are yours */
	MSG_FILES = 10,    /* old -> new: the image's descriptors (u32 n; n fds) */
	GO_WAIT_MS = 5000,
	CONNS_BYTES_MAX = 16u << 20, /* unread bytes per CONNS message */
	MSG_SEND_MS = 10000,
};

extern char **environ;

/* --- the old side ----------------------------------------------------------- */

/* The environment with FERRY_UPGRADE_FD=fd added (built before fork: the
 * child may only make async-signal-safe calls). */
static char **child_environ(int fd, char *slot, size_t slotlen)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	size_t namelen = strlen(UPGRADE_FD_ENV);
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], UPGRADE_FD_ENV "=", namelen + 1) != 0)
			env[k++] = environ[i];
	snprintf(slot, slotlen, "%s=%d", UPGRADE_FD_ENV, fd);
	env[k] = slot;
	return env;
}

static pid_t spawn(const struct upgrade_offer *o, int child_end, char *err, size_t errlen)
{
	char slot[64];
	char **env = child_environ(child_end, slot, sizeof(slot));
	if (!env) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		fcntl(child_end, F_SETFD, 0);
		execve(o->binary, o->argv, env);
		_exit(127);
	}
	int e = errno;
	free(env);
	if (pid < 0)
		snprintf(err, errlen, "cannot start %s: %s", o->binary, strerror(e));
	return pid;
}

/* The new ferryd failed: gone, or killed now; why, appended to err. */
static void end_child(pid_t pid, char *err, size_t errlen)
{
	int status = 0;
	/* One that closed the channel is exiting: its status says why. */
	pid_t r = 0;
	for (int i = 0; i < 100 && (r = waitpid(pid, &status, WNOHANG)) == 0; i++)
		usleep(10000);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return;
	}
	size_t at = strlen(err);
	if (r != pid || at >= errlen)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(err + at, errlen - at, " (the binary could not be run)");
	else if (WIFEXITED(status))
		snprintf(err + at, errlen - at, " (it exited with status %d)", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(err + at, errlen - at, " (it was killed by %s)",
			 strsignal(WTERMSIG(status)));
}

static int send_listeners(int ch, const struct upgrade_offer *o, const struct rpc_handover *h)
{
	uint8_t buf[4 + RPC_HANDOVER_LISTENERS_MAX * (4 + UPGRADE_LISTEN_ADDR_MAX)];
	size_t at = 4;
	xdr_put_be32(buf, h->nlisteners);
	for (unsigned i = 0; i < h->nlisteners; i++) {
		const char *a = o->listen[i] ? o->listen[i] : "";
		size_t len = strnlen(a, UPGRADE_LISTEN_ADDR_MAX - 1);
		xdr_put_be32(buf + at, (uint32_t)len);
		memcpy(buf + at + 4, a, len);
		at += 4 + len;
	}
	return channel_send(ch, MSG_LISTENERS, buf, at, h->listener_fds, h->nlisteners,
			    MSG_SEND_MS);
}

/* The connections, in messages of at most CHANNEL_FDS_MAX descriptors
 * and CONNS_BYTES_MAX unread bytes (one connection's own may be more). */
static int send_conns(int ch, const struct rpc_handover *h)
{
	size_t i = 0;
	while (i < h->nconns) {
		size_t n = 0, bytes = 4;
		while (i + n < h->nconns && n < CHANNEL_FDS_MAX &&
		       (n == 0 || bytes + 8 + h->conns[i + n].unread_len <= CONNS_BYTES_MAX)) {
			bytes += 8 + h->conns[i + n].unread_len;
			n++;
		}
		uint8_t *buf = malloc(bytes);
		if (!buf)
			return -ENOMEM;
		int fds[CHANNEL_FDS_MAX];
		xdr_put_be32(buf, (uint32_t)n);
		size_t at = 4;
		for (size_t k = 0; k < n; k++) {
			const struct rpc_handover_conn *c = &h->conns[i + k];
			xdr_put_be32(buf + at, (uint32_t)(c->listener + 1));
			xdr_put_be32(buf + at + 4, (uint32_t)c->unread_len);
			if (c->unread_len)
				memcpy(buf + at + 8, c->unread, c->unread_len);
			at += 8 + c->unread_len;
			fds[k] = c->fd;
		}
		int rc = channel_send(ch, MSG_CONNS, buf, at, fds, (unsigned)n, MSG_SEND_MS);
		free(buf);
		if (rc)
			return rc;
		i += n;
	}
	return 0;
}

/* The image's descriptors, in order, at most CHANNEL_FDS_MAX a message. */
static int send_files(int ch, const struct upgrade_files *files)
{
	for (size_t i = 0; i < files->n;) {
		size_t n = files->n - i < CHANNEL_FDS_MAX ? files->n - i : CHANNEL_FDS_MAX;
		uint8_t count[4];
		xdr_put_be32(count, (uint32_t)n);
		int rc = channel_send(ch, MSG_FILES, count, sizeof(count), files->fds + i,
				      (unsigned)n, MSG_SEND_MS);
		if (rc)
			return rc;
		i += n;
	}
	return 0;
}

static void files_release(struct upgrade_files *files)
{
	for (size_t i = 0; i < files->n; i++)
		if (files->fds[i] >= 0)
			close(files->fds[i]);
	free(files->fds);
	files->fds = NULL;
	files->n = 0;
}

static int send_all(int ch, const struct upgrade_offer *o, const struct rpc_handover *h,
		    const uint8_t *img, size_t img_len, const struct upgrade_files *files)
{
	int rc = channel_send(ch, MSG_IMAGE, img, img_len, NULL, 0, MSG_SEND_MS);
	if (!rc)
		rc = send_listeners(ch, o, h);
	if (!rc)
		rc = send_conns(ch, h);
	if (!rc)
		rc = send_files(ch, files);
	if (!rc)
		rc = channel_send(ch, MSG_CONTROL, NULL, 0, &o->control_fd, o->control_fd >= 0,
				  MSG_SEND_MS);
	if (!rc)
		rc = channel_send(ch, MSG_END, NULL, 0, NULL, 0, MSG_SEND_MS);
	return rc;
}

/* A refusal's reason into err. */
static void refusal(const struct channel_msg *m, char *err, size_t errlen)
{
	int n = (int)(m->len < 400 ? m->len : 400);
	snprintf(err, errlen, "the new ferryd refused: %.*s", n,
		 m->payload ? (const char *)m->payload : "");
}

/* HELLO, checked against the image version we write (a mismatch is told
 * to the new ferryd, which then exits). */
static int await_hello(int ch, uint32_t version, char *err, size_t errlen)
{
	struct channel_msg m;
	int rc = channel_recv(ch, &m, UPGRADE_HELLO_MS);
	if (rc) {
		snprintf(err, errlen, "the new ferryd did not start: %s",
			 rc == -ECONNRESET ? "it closed the channel" : strerror(-rc));
		return rc;
	}
	if (m.type == MSG_REFUSE) {
		refusal(&m, err, errlen);
		channel_msg_release(&m);
		return -EPROTO;
	}
	if (m.type != MSG_HELLO || m.len != 12) {
		snprintf(err, errlen, "the new ferryd said something else than hello (%u)", m.type);
		channel_msg_release(&m);
		return -EPROTO;
	}
	uint32_t lo = xdr_get_be32(m.payload), hi = xdr_get_be32(m.payload + 4);
	channel_msg_release(&m);
	if (version < lo || version > hi) {
		snprintf(err, errlen,
			 "the new ferryd reads state images %u to %u; this one writes %u", lo, hi,
			 version);
		channel_send(ch, MSG_REFUSE, err, strlen(err), NULL, 0, 1000);
		return -EPROTO;
	}
	return 0;
}

static int await_ready(int ch, unsigned ms, char *err, size_t errlen)
{
	struct channel_msg m;
	int rc = channel_recv(ch, &m, ms);
	if (rc) {
		snprintf(err, errlen, "the new ferryd was not ready: %s",
			 rc == -ECONNRESET ? "it closed the channel"
			 : rc == -ETIMEDOUT ? "timed out"
					    : strerror(-rc));
		return rc;
	}
	if (m.type == MSG_READY) {
		channel_msg_release(&m);
		rc = channel_send(ch, MSG_GO, NULL, 0, NULL, 0, MSG_SEND_MS);
		if (rc)
			snprintf(err, errlen, "the new ferryd went away when it was ready");
		return rc;
	}
	if (m.type == MSG_REFUSE)
		refusal(&m, err, errlen);
	else
		snprintf(err, errlen, "the new ferryd said something else than ready (%u)",
			 m.type);
	channel_msg_release(&m);
	return -EPROTO;
}

int upgrade_run(const struct upgrade_offer *o, const struct upgrade_hooks *hooks,
		struct upgrade_result *res)
{
	memset(res, 0, sizeof(*res));
	uint32_t version = o->image_version ? o->image_version : UPGRADE_IMAGE_VERSION;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(res->err, sizeof(res->err), "socketpair: %s", strerror(errno));
		return -errno;
	}
	pid_t pid = spawn(o, sv[1], res->err, sizeof(res->err));
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return -ECHILD;
	}
	res->pid = pid;
	int ch = sv[0];
	int rc = await_hello(ch, version, res->err, sizeof(res->err));
	if (rc) {
		close(ch);
		end_child(pid, res->err, sizeof(res->err));
		return rc;
	}
	uint64_t t0 = clock_now_ms();
	struct rpc_handover h;
	char why[400] = "";
	rc = hooks->freeze(hooks->arg, &h, why, sizeof(why));
	if (rc) {
		snprintf(res->err, sizeof(res->err), "cannot stop serving for the handover: %s",
			 why);
		channel_send(ch, MSG_REFUSE, why, strlen(why), NULL, 0, 1000);
		close(ch);
		end_child(pid, res->err, sizeof(res->err));
		return rc;
	}
	uint8_t *img = NULL;
	size_t img_len = 0;
	struct upgrade_files files = {0};
	rc = hooks->image(hooks->arg, &img, &img_len, &files, why, sizeof(why));
	if (rc)
		snprintf(res->err, sizeof(res->err), "cannot write the state image: %s", why);
	if (!rc) {
		rc = send_all(ch, o, &h, img, img_len, &files);
		if (rc)
			snprintf(res->err, sizeof(res->err), "cannot hand over: %s",
				 strerror(-rc));
	}
	/* The new ferryd has its own descriptors of those files now. */
	files_release(&files);
	/* It holds keys (the RPCSEC_GSS contexts'). */
	if (img)
		explicit_bzero(img, img_len);
	free(img);
	if (!rc)
		rc = await_ready(ch, o->ready_ms ? o->ready_ms : UPGRADE_READY_MS, res->err,
				 sizeof(res->err));
	close(ch);
	if (rc) {
		/* Dead before anything else touches the sockets again. */
		end_child(pid, res->err, sizeof(res->err));
		hooks->thaw(hooks->arg, &h);
		return rc;
	}
	res->stall_ms = clock_now_ms() - t0;
	res->connections = h.nconns;
	res->listeners = h.nlisteners;
	res->closed_tls = h.closed_tls;
	hooks->done(hooks->arg, &h);
	return 0;
}

/* --- the new side ----------------------------------------------------------- */

bool upgrade_started(void)
{
	const char *v = getenv(UPGRADE_FD_ENV);
	return v && *v;
}

int upgrade_channel_from_env(void)
{
	const char *v = getenv(UPGRADE_FD_ENV);
	if (!v || !*v)
		return -1;
	char *end;
	long fd = strtol(v, &end, 10);
	unsetenv(UPGRADE_FD_ENV);
	if (*end || fd < 0 || fd > 65535 || fcntl((int)fd, F_GETFD) < 0)
		return -1;
	fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	return (int)fd;
}

static int take_listeners(struct upgrade_inherited *in, struct channel_msg *m)
{
	if (m->len < 4)
		return -EPROTO;
	uint32_t n = xdr_get_be32(m->payload);
	if (n != m->nfds || n > RPC_HANDOVER_LISTENERS_MAX)
		return -EPROTO;
	size_t at = 4;
	for (uint32_t i = 0; i < n; i++) {
		if (m->len - at < 4)
			return -EPROTO;
		uint32_t len = xdr_get_be32(m->payload + at);
		if (len >= UPGRADE_LISTEN_ADDR_MAX || m->len - at - 4 < len)
			return -EPROTO;
		memcpy(in->listen[i], m->payload + at + 4, len);
		in->listen[i][len] = 0;
		at += 4 + len;
	}
	for (uint32_t i = 0; i < n; i++) {
		in->listener_fds[i] = m->fds[i];
		m->fds[i] = -1;
	}
	in->nlisteners = n;
	return 0;
}

static int take_conns(struct upgrade_inherited *in, struct channel_msg *m)
{
	if (m->len < 4)
		return -EPROTO;
	uint32_t n = xdr_get_be32(m->payload);
	if (n != m->nfds)
		return -EPROTO;
	struct upgrade_conn *v = realloc(in->conns, (in->nconns + n) * sizeof(*v));
	if (!v && n)
		return -ENOMEM;
	in->conns = v;
	size_t at = 4;
	for (uint32_t i = 0; i < n; i++) {
		if (m->len - at < 8)
			return -EPROTO;
		uint32_t listener = xdr_get_be32(m->payload + at), len = xdr_get_be32(m->payload + at + 4);
		at += 8;
		if (m->len - at < len || listener > RPC_HANDOVER_LISTENERS_MAX)
			return -EPROTO;
		struct upgrade_conn *c = &in->conns[in->nconns];
		c->unread = len ? malloc(len) : NULL;
		if (len && !c->unread)
			return -ENOMEM;
		if (len)
			memcpy(c->unread, m->payload + at, len);
		c->unread_len = len;
		c->listener = (int)listener - 1;
		c->fd = m->fds[i];
		m->fds[i] = -1;
		in->nconns++;
		at += len;
	}
	return 0;
}

static int take_files(struct upgrade_inherited *in, struct channel_msg *m)
{
	if (m->len != 4 || xdr_get_be32(m->payload) != m->nfds)
		return -EPROTO;
	int *v = realloc(in->files.fds, (in->files.n + m->nfds) * sizeof(*v));
	if (!v && m->nfds)
		return -ENOMEM;
	in->files.fds = v;
	for (unsigned i = 0; i < m->nfds; i++) {
		in->files.fds[in->files.n++] = m->fds[i];
		m->fds[i] = -1;
	}
	return 0;
}

int upgrade_inherit(int channel, struct upgrade_inherited *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->channel = channel;
	out->control_fd = -1;
	for (unsigned i = 0; i < RPC_HANDOVER_LISTENERS_MAX; i++)
		out->listener_fds[i] = -1;
	uint8_t hello[12];
	xdr_put_be32(hello, UPGRADE_IMAGE_VERSION_MIN);
	xdr_put_be32(hello + 4, UPGRADE_IMAGE_VERSION);
	xdr_put_be32(hello + 8, (uint32_t)getpid());
	int rc = channel_send(channel, MSG_HELLO, hello, sizeof(hello), NULL, 0, MSG_SEND_MS);
	bool end = false;
	while (!rc && !end) {
		struct channel_msg m;
		rc = channel_recv(channel, &m, UPGRADE_HELLO_MS + UPGRADE_FREEZE_MS + MSG_SEND_MS);
		if (rc)
			break;
		switch (m.type) {
		case MSG_IMAGE:
			if (out->image)
				explicit_bzero(out->image, out->image_len);
			free(out->image);
			out->image = m.payload;
			out->image_len = m.len;
			m.payload = NULL;
			break;
		case MSG_LISTENERS:
			rc = take_listeners(out, &m);
			break;
		case MSG_CONNS:
			rc = take_conns(out, &m);
			break;
		case MSG_FILES:
			rc = take_files(out, &m);
			break;
		case MSG_CONTROL:
			if (m.nfds == 1) {
				out->control_fd = m.fds[0];
				m.fds[0] = -1;
			}
			break;
		case MSG_END:
			end = true;
			break;
		case MSG_REFUSE:
			snprintf(err, errlen, "the running ferryd gave up: %.*s",
				 (int)(m.len < 400 ? m.len : 400),
				 m.payload ? (const char *)m.payload : "");
			rc = -ECANCELED;
			break;
		default:
			rc = -EPROTO;
		}
		channel_msg_release(&m);
	}
	if (rc && rc != -ECANCELED)
		snprintf(err, errlen, "taking over from the running ferryd: %s", strerror(-rc));
	else if (!rc && !out->image) {
		snprintf(err, errlen, "the running ferryd sent no state image");
		rc = -EPROTO;
	}
	if (rc) {
		upgrade_inherited_free(out);
		return rc;
	}
	return 0;
}

int upgrade_take_listener(struct upgrade_inherited *in, unsigned i, const char *configured)
{
	if (i >= in->nlisteners || in->listener_fds[i] < 0 || strcmp(in->listen[i], configured) != 0)
		return -1;
	int fd = in->listener_fds[i];
	in->listener_fds[i] = -1;
	return fd;
}

int upgrade_take_file(struct upgrade_inherited *in, size_t i)
{
	if (i >= in->files.n)
		return -1;
	int fd = in->files.fds[i];
	in->files.fds[i] = -1;
	return fd;
}

int upgrade_ready(struct upgrade_inherited *in)
{
	int rc = channel_send(in->channel, MSG_READY, NULL, 0, NULL, 0, MSG_SEND_MS);
	if (!rc) {
		struct channel_msg m;
		rc = channel_recv(in->channel, &m, GO_WAIT_MS);
		if (!rc) {
			bool go = m.type == MSG_GO;
			channel_msg_release(&m);
			rc = go ? 0 : -EPROTO;
		}
	}
	close(in->channel);
	in->channel = -1;
	return rc;
}

void upgrade_refuse(struct upgrade_inherited *in, const char *why)
{
	if (in->channel < 0)
		return;
	channel_send(in->channel, MSG_REFUSE, why, strlen(why), NULL, 0, 1000);
	close(in->channel);
	in->channel = -1;
}

void upgrade_inherited_free(struct upgrade_inherited *in)
{
	for (unsigned i = 0; i < in->nlisteners; i++)
		if (in->listener_fds[i] >= 0)
			close(in->listener_fds[i]);
	in->nlisteners = 0;
	for (size_t i = 0; i < in->nconns; i++) {
		if (in->conns[i].fd >= 0)
			close(in->conns[i].fd);
		free(in->conns[i].unread);
	}
	free(in->conns);
	in->conns = NULL;
	in->nconns = 0;
	if (in->control_fd >= 0)
		close(in->control_fd);
	in->control_fd = -1;
	files_release(&in->files);
	if (in->image)
		explicit_bzero(in->image, in->image_len); /* keys among it */
	free(in->image);
	in->image = NULL;
}
